package settings

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/aiwfe/aiwfe/app/apperr"
	"github.com/aiwfe/aiwfe/store"
)

// KeyWebSearch is the settings row of web search.
const KeyWebSearch = "search.web"

// WebSearchConfig is the admin's web search setting: whether anyone may
// search the web, and the default provider for accounts that keep
// "default".
type WebSearchConfig struct {
	Enabled  bool
	Provider string // searxng | brave | tavily | "" (no default)
	BaseURL  string // the SearXNG instance
	APIKey   string // the default provider's key
}

// WebSearch is the setting as an admin sees it; the key never leaves the
// server.
type WebSearch struct {
	Enabled   bool       `json:"enabled"`
	Provider  string     `json:"provider"`
	BaseURL   string     `json:"base_url"`
	APIKeySet bool       `json:"api_key_set"`
	Source    string     `json:"source"` // config | settings
	UpdatedAt *time.Time `json:"updated_at,omitempty"`
}

// WebSearchUpdate changes the setting. APIKey nil keeps the saved key; ""
// removes it.
type WebSearchUpdate struct {
	Enabled  bool    `json:"enabled"`
	Provider string  `json:"provider"`
	BaseURL  string  `json:"base_url"`
	APIKey   *string `json:"api_key"`
}

type savedWebSearch struct {
	Enabled      bool   `json:"enabled"`
	Provider     string `json:"provider"`
	BaseURL      string `json:"base_url"`
	SealedAPIKey string `json:"api_key,omitempty"`
}

// WebSearchConfig is the web search setting in force: the saved one, else
// the configuration file's. A saved row that cannot be read counts as
// search off (and is logged): a damaged setting must not open the
// appliance to the internet.
func (s *Service) WebSearchConfig(ctx context.Context) (WebSearchConfig, error) {
	c, _, err := s.webSearch(ctx)
	if err != nil {
		s.d.Log.Error("saved web search setting unreadable; web search is off until an admin saves it again", "err", err)
		return WebSearchConfig{}, nil
	}
	return c, nil
}

func (s *Service) webSearch(ctx context.Context) (WebSearchConfig, *store.Setting, error) {
	row, err := store.GetSetting(ctx, s.d.Store.DB, KeyWebSearch)
	if errors.Is(err, store.ErrNotFound) {
		return s.d.WebSearchDefault, nil, nil
	}
	if err != nil {
		return WebSearchConfig{}, nil, err
	}
	var v savedWebSearch
	if err := json.Unmarshal([]byte(row.Value), &v); err != nil {
		return WebSearchConfig{}, nil, fmt.Errorf("settings: %s: %w", KeyWebSearch, err)
	}
	c := WebSearchConfig{Enabled: v.Enabled, Provider: v.Provider, BaseURL: v.BaseURL}
	if v.SealedAPIKey != "" {
		if c.APIKey, err = s.d.Box.Open(v.SealedAPIKey, KeyWebSearch); err != nil {
			return WebSearchConfig{}, nil, fmt.Errorf("settings: %s: api key: %w", KeyWebSearch, err)
		}
	}
	return c, row, nil
}

// WebSearch reports the web search setting in force.
func (s *Service) WebSearch(ctx context.Context) (*WebSearch, error) {
	c, row, err := s.webSearch(ctx)
	if err != nil {
		return nil, err
	}
	out := &WebSearch{Enabled: c.Enabled, Provider: c.Provider, BaseURL: c.BaseURL, APIKeySet: c.APIKey != "", Source: "config"}
	if row != nil {
		t := row.UpdatedAt
		out.Source, out.UpdatedAt = "settings", &t
	}
	return out, nil
}

// SetWebSearch validates and saves the web search setting; it applies to
// the next search.
func (s *Service) SetWebSearch(ctx context.Context, adminID int64, u WebSearchUpdate) (*WebSearch, error) {
	prev, _, err := s.webSearch(ctx)
	if err != nil {
		prev = WebSearchConfig{} // replaced, not kept: the admin is fixing it
	}
	next := WebSearchConfig{Enabled: u.Enabled, Provider: strings.TrimSpace(u.Provider),
		BaseURL: strings.TrimRight(strings.TrimSpace(u.BaseURL), "/"), APIKey: prev.APIKey}
	if u.APIKey != nil {
		next.APIKey = strings.TrimSpace(*u.APIKey)
	}
	if err := validateWebSearch(&next); err != nil {
		return nil, err
	}
	v := savedWebSearch{Enabled: next.Enabled, Provider: next.Provider, BaseURL: next.BaseURL}
	if next.APIKey != "" {
		if v.SealedAPIKey, err = s.d.Box.Seal(next.APIKey, KeyWebSearch); err != nil {
			return nil, err
		}
	}
	raw, _ := json.Marshal(v)
	if err := store.PutSetting(ctx, s.d.Store.DB, &store.Setting{Key: KeyWebSearch, Value: string(raw), UpdatedAt: s.d.Now()}); err != nil {
		return nil, err
	}
	s.d.Log.Info("web search setting changed", "enabled", next.Enabled, "provider", next.Provider, "base_url", next.BaseURL, "by", adminID)
	s.d.Audit(ctx, adminID, "web search: "+describeWebSearch(next))
	return s.WebSearch(ctx)
}

// ResetWebSearch forgets the saved setting: the configuration's applies.
func (s *Service) ResetWebSearch(ctx context.Context, adminID int64) (*WebSearch, error) {
	if err := store.DeleteSetting(ctx, s.d.Store.DB, KeyWebSearch); err != nil {
		return nil, err
	}
	s.d.Audit(ctx, adminID, "web search reset to the configuration: "+describeWebSearch(s.d.WebSearchDefault))
	return s.WebSearch(ctx)
}

func describeWebSearch(c WebSearchConfig) string {
	if !c.Enabled {
		return "off"
	}
	if c.Provider == "" {
		return "on, no default provider"
	}
	if c.Provider == "searxng" {
		return "on, default searxng at " + c.BaseURL
	}
	return "on, default " + c.Provider
}

func validateWebSearch(c *WebSearchConfig) error {
	switch c.Provider {
	case "", "brave", "tavily":
		// A SearXNG address kept while another provider is the default
		// would only confuse the next reader.
		c.BaseURL = ""
	case "searxng":
		if c.BaseURL == "" {
			return apperr.Invalid("base_url", "base_url is required for SearXNG, e.g. http://192.168.1.5:8888")
		}
		u, err := url.Parse(c.BaseURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
			return apperr.Invalid("base_url", "base_url must be an http:// or https:// address without a query, e.g. http://192.168.1.5:8888")
		}
	default:
		return apperr.Invalid("provider", "provider must be searxng, brave, tavily or empty")
	}
	if len(c.APIKey) > 1024 {
		return apperr.Invalid("api_key", "api_key is too long")
	}
	return nil
}
