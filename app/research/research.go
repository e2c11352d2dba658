// Package research is web search and what is built on it: the providers
// (SearXNG, Brave Search, Tavily) chosen per user with an admin default
// and an admin switch, pages read from the web (through the SSRF guard,
// then readability → Markdown → passages), a page imported as a document,
// and the passages a research reply is given. It takes plain Go values and
// knows nothing of HTTP handlers or chat.
package research

import (
	"context"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/dgraph-io/ristretto/v2"

	"github.com/aiwfe/aiwfe/app/apperr"
	"github.com/aiwfe/aiwfe/app/auth"
	"github.com/aiwfe/aiwfe/app/documents"
	"github.com/aiwfe/aiwfe/app/netguard"
	"github.com/aiwfe/aiwfe/app/settings"
	"github.com/aiwfe/aiwfe/store"
)

// Deps is what the service needs.
type Deps struct {
	Log *slog.Logger
	Now func() time.Time
	// Outbound is the SSRF-guarded client. Every request of this package
	// goes through it: pages (addresses from search results or typed by a
	// user) and the providers too (admin- or user-configured endpoints; a
	// SearXNG on the LAN is admitted by the admin's [outbound] allow).
	Outbound *netguard.Client
	// PageCacheBytes bounds the pages kept for a while (by their size).
	PageCacheBytes int64
	// Admin is the web search setting in force (app/settings).
	Admin func(ctx context.Context) (settings.WebSearchConfig, error)
	// User reads the user's row (their provider choice).
	User func(ctx context.Context, id int64) (*store.User, error)
	// APIKey decrypts the user's own provider key ("" when none).
	APIKey func(ctx context.Context, userID int64) (string, error)
	// Documents stores an imported page.
	Documents *documents.Service
	// BraveURL and TavilyURL are the providers' endpoints.
	BraveURL, TavilyURL string
	// PerMinute is each user's budget of searches a minute.
	PerMinute int
	// Timeout bounds one search; Pages and PagesTimeout are how many
	// result pages a research reply reads and the time it has; PageTTL is
	// how long a page read is cached.
	Timeout      time.Duration
	Pages        int
	PagesTimeout time.Duration
	PageTTL      time.Duration
}

// Service is web search, page reading and research retrieval.
type Service struct {
	d       Deps
	limiter *auth.Limiter
	pages   *ristretto.Cache[string, *Page]
}

// New builds the service.
func New(d Deps) *Service {
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Log == nil {
		d.Log = slog.Default()
	}
	if d.PerMinute <= 0 {
		d.PerMinute = 20
	}
	if d.Timeout <= 0 {
		d.Timeout = 10 * time.Second
	}
	if d.Pages <= 0 {
		d.Pages = 4
	}
	if d.PagesTimeout <= 0 {
		d.PagesTimeout = 20 * time.Second
	}
	if d.PageTTL <= 0 {
		d.PageTTL = time.Hour
	}
	if d.PageCacheBytes <= 0 {
		d.PageCacheBytes = 16 << 20
	}
	// Pages have a cache of their own, costed by size: the appliance's
	// cache counts every entry as 1 KiB, and a page can be megabytes.
	pages, err := ristretto.NewCache(&ristretto.Config[string, *Page]{
		NumCounters: max(d.PageCacheBytes/1024, 1000), // about ten per page of 10 KiB
		MaxCost:     d.PageCacheBytes,
		BufferItems: 64,
	})
	if err != nil {
		panic(err) // only for a configuration that is not this one
	}
	return &Service{d: d, limiter: auth.NewLimiter(d.PerMinute, d.Now, "too many web searches; wait a moment"), pages: pages}
}

// Close drops the cached pages.
func (s *Service) Close() { s.pages.Close() }

// Errors of a search a person can act on.
var (
	ErrDisabled = apperr.New(http.StatusForbidden, "web_search_disabled",
		"Web search is off on this appliance. An admin can turn it on in Admin → Web search.")
	ErrUserOff = apperr.New(http.StatusForbidden, "web_search_off",
		"You turned web search off in your profile (Profile → Web search).")
	ErrNoProvider = apperr.New(http.StatusConflict, "web_search_not_configured",
		"No web search provider is set up: choose one in Profile → Web search, or ask an admin to set a default in Admin → Web search.")
)

// provider is a configured provider for one user.
type provider struct {
	Name    string // searxng | brave | tavily
	BaseURL string // the endpoint
	APIKey  string
}

// label is the provider's name for people.
func label(name string) string {
	switch name {
	case "searxng":
		return "SearXNG"
	case "brave":
		return "Brave Search"
	case "tavily":
		return "Tavily"
	}
	return name
}

// Status says whether a user can search and with what, for the UI (the
// Research mode's hint, the profile page).
type Status struct {
	Enabled  bool   `json:"enabled"`
	Provider string `json:"provider,omitempty"`
	// Code is ok or the error code a search would answer.
	Code    string `json:"code"`
	Message string `json:"message,omitempty"`
}

// Status reports whether the user can search the web now.
func (s *Service) Status(ctx context.Context, userID int64) Status {
	p, err := s.provider(ctx, userID)
	if err != nil {
		e := apperr.From(err)
		return Status{Code: e.Code, Message: e.Message}
	}
	return Status{Enabled: true, Provider: p.Name, Code: "ok"}
}

// Available is nil when the user can search the web now, else the error
// a search would answer.
func (s *Service) Available(ctx context.Context, userID int64) error {
	_, err := s.provider(ctx, userID)
	return err
}

// provider settles the user's provider: the admin switch first, then the
// user's choice ("default" takes the admin's default provider and key; a
// provider of their own takes their key, else the admin's key when it is
// the admin's provider too).
func (s *Service) provider(ctx context.Context, userID int64) (*provider, error) {
	admin, err := s.d.Admin(ctx)
	if err != nil {
		return nil, err
	}
	if !admin.Enabled {
		return nil, ErrDisabled
	}
	u, err := s.d.User(ctx, userID)
	if err != nil {
		return nil, err
	}
	choice := u.WebSearchProvider
	p := &provider{Name: choice}
	switch choice {
	case "none":
		return nil, ErrUserOff
	case "", "default":
		if admin.Provider == "" {
			return nil, ErrNoProvider
		}
		p.Name, p.APIKey = admin.Provider, admin.APIKey
	}
	switch p.Name {
	case "searxng":
		if admin.BaseURL == "" || admin.Provider != "searxng" {
			return nil, apperr.New(http.StatusConflict, "web_search_not_configured",
				"SearXNG is searched on the appliance's own instance, and an admin has not set one up (Admin → Web search). Choose another provider in Profile → Web search.")
		}
		p.BaseURL = admin.BaseURL
	case "brave", "tavily":
		p.BaseURL = s.d.BraveURL
		if p.Name == "tavily" {
			p.BaseURL = s.d.TavilyURL
		}
		if choice == p.Name {
			key, err := s.d.APIKey(ctx, userID)
			if err != nil {
				return nil, err
			}
			switch {
			case key != "":
				p.APIKey = key
			case admin.Provider == p.Name:
				p.APIKey = admin.APIKey
			}
		}
		if p.APIKey == "" && choice == p.Name {
			return nil, apperr.New(http.StatusConflict, "web_search_not_configured",
				label(p.Name)+" needs an API key: add yours in Profile → Web search.")
		}
		if p.APIKey == "" {
			return nil, apperr.New(http.StatusConflict, "web_search_not_configured",
				"The default web search provider, "+label(p.Name)+", has no API key: an admin can add one in Admin → Web search, or choose your own provider and key in Profile → Web search.")
		}
	default:
		return nil, apperr.New(http.StatusConflict, "web_search_not_configured",
			"The web search provider "+strconv.Quote(p.Name)+" is not supported; choose another in Profile → Web search.")
	}
	return p, nil
}

// MaxQuery bounds a search query, in characters.
const MaxQuery = 400

// MaxResults bounds the results of one search.
const MaxResults = 20

// Result is one web search hit.
type Result struct {
	Title    string `json:"title"`
	URL      string `json:"url"`
	Snippet  string `json:"snippet"`
	Provider string `json:"provider"`
}

// Search asks the user's provider. The user's budget of searches is
// spent first, so a failing provider is not hammered either.
func (s *Service) Search(ctx context.Context, userID int64, query string, limit int) ([]Result, error) {
	query = strings.Join(strings.Fields(query), " ")
	switch {
	case query == "":
		return nil, apperr.Invalid("q", "q must not be empty")
	case utf8.RuneCountInString(query) > MaxQuery:
		return nil, apperr.Invalid("q", "q must be at most 400 characters")
	}
	if limit <= 0 {
		limit = 10
	}
	limit = min(limit, MaxResults)
	p, err := s.provider(ctx, userID)
	if err != nil {
		return nil, err
	}
	if err := s.limiter.Allow(strconv.FormatInt(userID, 10)); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, s.d.Timeout)
	defer cancel()
	res, err := s.ask(ctx, p, query, limit)
	if err != nil {
		return nil, s.searchError(ctx, p, err)
	}
	return res, nil
}
