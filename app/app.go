// Package app holds the running appliance: its configuration, store, cache,
// secrets and services, built once at start-up and handed to the HTTP layer
// and the CLI. Services take plain Go values from here and know nothing of HTTP.
package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"runtime"
	"runtime/debug"
	"strings"
	"syscall"
	"time"

	"github.com/aiwfe/aiwfe/app/auth"
	"github.com/aiwfe/aiwfe/app/calendar"
	"github.com/aiwfe/aiwfe/app/certs"
	"github.com/aiwfe/aiwfe/app/chat"
	"github.com/aiwfe/aiwfe/app/config"
	"github.com/aiwfe/aiwfe/app/datarights"
	"github.com/aiwfe/aiwfe/app/dav"
	"github.com/aiwfe/aiwfe/app/documents"
	"github.com/aiwfe/aiwfe/app/hub"
	"github.com/aiwfe/aiwfe/app/llm"
	"github.com/aiwfe/aiwfe/app/netguard"
	"github.com/aiwfe/aiwfe/app/opportunities"
	"github.com/aiwfe/aiwfe/app/research"
	"github.com/aiwfe/aiwfe/app/semantic"
	"github.com/aiwfe/aiwfe/app/settings"
	"github.com/aiwfe/aiwfe/app/tasks"
	"github.com/aiwfe/aiwfe/app/users"
	"github.com/aiwfe/aiwfe/store"
)

// Set at link time: -X github.com/aiwfe/aiwfe/app.Version=v1.2.3
var (
	Version = "dev"
	Commit  = ""
)

// BuildInfo describes this binary.
type BuildInfo struct {
	Version   string `json:"version"`
	Commit    string `json:"commit"`
	GoVersion string `json:"go_version"`
}

// Build reports version, commit (from the linker or Go's VCS stamp) and Go.
func Build() BuildInfo {
	b := BuildInfo{Version: Version, Commit: Commit, GoVersion: runtime.Version()}
	if b.Commit == "" {
		if info, ok := debug.ReadBuildInfo(); ok {
			for _, s := range info.Settings {
				if s.Key == "vcs.revision" {
					b.Commit = s.Value
				}
			}
		}
	}
	if b.Commit == "" {
		b.Commit = "unknown"
	}
	return b
}

// App is the appliance's dependencies in one explicit struct.
type App struct {
	Config  *config.Config
	Log     *slog.Logger
	Store   *store.Store
	Cache   store.Cache
	Secrets *Secrets
	// Auth is credentials and sessions.
	Auth *auth.Service
	// MFA is the second factors (TOTP, backup codes, passkeys); it is
	// installed into Auth's login.
	MFA *auth.MFA
	// Users is the profile, preferences and the administration of
	// accounts.
	Users *users.Service
	// DataRights is the data export and account deletion; every feature
	// registers its part of a user's data with it.
	DataRights *datarights.Service
	// Certs is the client certificates of the mutual-TLS listener.
	Certs *certs.Service
	// LLM is the model server (Ollama, OpenAI-compatible, or the demo
	// model). It is a switch: an admin's change of model server (Settings)
	// takes effect for the next request without a restart.
	LLM *llm.Switch
	// Settings is the application settings an admin changes from the UI.
	Settings *settings.Service
	// Hub is the per-user event hub: every feature publishes progress and
	// notifications on it; /api/v1/ws/progress and /ws/notifications
	// deliver them.
	Hub *hub.Hub
	// Chat is conversations, chat modes, models and their pulls.
	Chat *chat.Service
	// Documents is uploads, their ingestion queue and search.
	Documents *documents.Service
	// Outbound is the one client for URLs users supply (feeds, pages,
	// search results): it refuses loopback, private and metadata addresses.
	Outbound *netguard.Client
	// Tasks is tasks, their categories and what is due.
	Tasks *tasks.Service
	// Opportunities is the tasks a model proposes from conversations,
	// documents and events, and quick add's model path.
	Opportunities *opportunities.Service
	// Calendar is calendars, events (recurrence expanded), ICS import,
	// export and private feeds, and feed subscriptions.
	Calendar *calendar.Service
	// Research is web search, pages read from the web (and imported as
	// documents) and the passages of research replies.
	Research *research.Service
	// Semantic is the text tools: summary, keywords, entities,
	// sentiment, similarity, language.
	Semantic *semantic.Service
	// Now is the clock; tests replace it.
	Now func() time.Time

	lock *os.File
}

// ErrLocked means another aiwfe process holds the data directory.
var ErrLocked = errors.New("another aiwfe server is running with this data directory")

// OpenOptions says what Open should do beyond opening the store.
type OpenOptions struct {
	// Lock takes the data directory's exclusive lock (serve, restore).
	Lock bool
}

// Open prepares the data directory, takes the lock when asked, loads or
// creates the secrets, opens and migrates the database and builds the cache.
func Open(ctx context.Context, cfg *config.Config, log *slog.Logger, opt OpenOptions) (*App, error) {
	if err := os.MkdirAll(cfg.Data.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("data directory %s: %w", cfg.Data.Dir, err)
	}
	a := &App{Config: cfg, Log: log, Now: time.Now}
	if opt.Lock {
		f, err := LockDataDir(cfg.Data.Dir)
		if err != nil {
			return nil, err
		}
		a.lock = f
	}
	ok := false
	defer func() {
		if !ok {
			a.Close()
		}
	}()
	sec, err := LoadSecrets(cfg)
	if err != nil {
		return nil, err
	}
	a.Secrets = sec
	st, err := store.OpenWith(cfg.Path("aiwfe.db"), store.Options{Synchronous: cfg.Data.Synchronous})
	if err != nil {
		return nil, err
	}
	a.Store = st
	applied, err := st.Migrate(ctx)
	if err != nil {
		return nil, err
	}
	for _, m := range applied {
		log.Debug("migration applied", "version", m.Version, "name", m.Name)
	}
	if a.Cache, err = store.NewCache(cfg.Cache.MaxMB); err != nil {
		return nil, err
	}
	a.Auth, err = auth.New(auth.Deps{
		Config: cfg, Store: st, Cache: a.Cache, Log: log,
		JWTSecret: sec.JWT, CSRFSecret: sec.CSRF, EncryptionKey: sec.Encryption,
		Now: a.now,
	})
	if err != nil {
		return nil, err
	}
	a.MFA = auth.NewMFA(a.Auth, cfg, nil)
	first, err := NewLLM(cfg)
	if err != nil {
		return nil, err
	}
	a.LLM = llm.NewSwitch(first)
	if err := a.openSettings(ctx); err != nil {
		return nil, err
	}
	a.Hub = hub.New(0)
	a.Outbound, err = netguard.New(netguard.Options{Allow: cfg.Outbound.Allow,
		Timeout: cfg.Outbound.Timeout.D(), MaxBytes: int64(cfg.Outbound.MaxMB) << 20, UserAgent: "aiwfe/" + Version})
	if err != nil {
		return nil, err
	}
	// The ingestion worker runs only in the serving process (the server
	// starts it): a CLI command must not take jobs from a running server.
	a.Documents = documents.New(documents.Deps{Store: st, LLM: a.LLM, Hub: a.Hub, Log: log, Now: a.now,
		DataDir: cfg.Data.Dir, MaxFileBytes: int64(cfg.Server.UploadLimitMB) << 20, User: a.Auth.User, NoWorker: true,
		Ready: func(ctx context.Context, userID, docID int64, collection string) {
			if a.Opportunities != nil {
				a.Opportunities.DocumentReady(ctx, userID, docID, collection)
			}
		}})
	a.Tasks = tasks.New(tasks.Deps{Store: st, Log: log, Now: a.now, User: a.Auth.User})
	a.Research = research.New(research.Deps{Log: log, Now: a.now, Outbound: a.Outbound,
		Admin: a.Settings.WebSearchConfig, User: a.Auth.User, APIKey: a.webSearchAPIKey, Documents: a.Documents,
		BraveURL: cfg.Search.BraveURL, TavilyURL: cfg.Search.TavilyURL, PerMinute: cfg.Search.PerMinute,
		Timeout: cfg.Search.Timeout.D(), Pages: cfg.Search.ResearchPages, PagesTimeout: cfg.Search.ResearchTimeout.D(),
		PageTTL: cfg.Search.PageCacheTTL.D()})
	a.Chat = chat.New(chat.Deps{Store: st, LLM: a.LLM, Hub: a.Hub, Log: log, Now: a.now,
		DefaultModel: cfg.LLM.DefaultModel, User: a.Auth.User, Retriever: documentsRetriever{a.Documents},
		Researcher: webResearcher{a.Research},
		// What the model may do in a chat that uses tools: one more tool
		// (the calendar's) is one more element here (docs/chat-tools.md).
		Tools: append(chat.TaskTools(chatTasks{a.Tasks}, a.now),
			chat.CalendarTools(chatCalendar{cal: func() *calendar.Service { return a.Calendar }, user: a.Auth.User}, a.now)...),
		Replied: func(userID, convID int64) {
			if a.Opportunities != nil {
				a.Opportunities.ConversationReplied(userID, convID)
			}
		}})
	a.Opportunities = opportunities.New(opportunities.Deps{Store: st, LLM: a.LLM, Hub: a.Hub, Log: log, Now: a.now,
		DefaultModel: cfg.LLM.DefaultModel, User: a.Auth.User, Tasks: opportunityTasks{a.Tasks},
		Conversations: opportunityChat{a.Chat}, Documents: opportunityDocuments{a.Documents}, Embed: a.Documents.Embed})
	// Feeds are refreshed only in the serving process (the server starts
	// the refresher), like the ingestion worker.
	feedMax := int64(cfg.Calendar.FeedMaxMB) << 20
	a.Calendar = calendar.New(calendar.Deps{Store: st, Log: log, Now: a.now, Hub: a.Hub, NoRefresh: true,
		Fetch: func(ctx context.Context, req *http.Request) (*http.Response, error) {
			return a.Outbound.Do(ctx, req, netguard.WithMaxBytes(feedMax))
		},
		FeedRefresh: cfg.Calendar.FeedRefresh.D(), FeedMaxBytes: feedMax, FeedMaxEvents: cfg.Calendar.FeedMaxEvents,
		EventCreated: a.eventCreated, EventsDeleted: a.eventsDeleted})
	a.Semantic = semantic.New(semantic.Deps{Store: st, LLM: a.LLM, User: a.Auth.User, Documents: a.Documents,
		DefaultModel: cfg.LLM.DefaultModel, Log: log})
	a.DataRights = datarights.New(datarights.Deps{Store: st, Cache: a.Cache, Accounts: a.Auth, Log: log, Now: a.now})
	a.Users = users.New(users.Deps{Store: st, Cache: a.Cache, Accounts: a.Auth, Erase: a.DataRights.Erase,
		DefaultModel: cfg.LLM.DefaultModel, Log: log, Now: a.now,
		// A new embedding model re-embeds the user's documents in the
		// background; search keeps the old vectors until it is done.
		EmbeddingModelChanged: func(ctx context.Context, userID int64) {
			if _, err := a.Documents.ReindexAll(ctx, userID); err != nil {
				log.Error("re-embedding after a model change not queued", "user_id", userID, "err", err)
			}
		},
		TimezoneChanged: a.Tasks.Rezone})
	a.Certs = certs.New(certs.Deps{Store: st, TLSDir: cfg.Path("tls"), Accounts: a.Auth, Log: log, Now: a.now})
	// The archive's sections come in this order; every table referring
	// to users belongs to one part.
	a.DataRights.Register(a.Users.DataPart(), a.Auth.DataPart(), a.Chat.DataPart(), a.MFA.DataPart(), a.Certs.DataPart(),
		a.Documents.DataPart(), a.Tasks.DataPart(), a.Calendar.DataPart(), a.Opportunities.DataPart())
	a.DataRights.Register(a.Auth.AppPasswordsPart(), dav.DataPart{})
	ok = true
	return a, nil
}

// now is the clock the services get: late-bound, so tests that replace
// a.Now move every service's clock too.
func (a *App) now() time.Time { return a.Now() }

// Close stops the services' background work (titles, pulls, indexing),
// then releases the hub, the store, the cache and the lock.
func (a *App) Close() {
	if a.Chat != nil {
		a.Chat.Close()
	}
	if a.Documents != nil {
		a.Documents.Close()
	}
	if a.Opportunities != nil {
		a.Opportunities.Close()
	}
	if a.Calendar != nil {
		a.Calendar.Close()
	}
	if a.Research != nil {
		a.Research.Close()
	}
	if a.Hub != nil {
		a.Hub.Close()
	}
	if a.Cache != nil {
		a.Cache.Close()
	}
	if a.Store != nil {
		a.Store.Close()
	}
	if a.lock != nil {
		a.lock.Close()
		a.lock = nil
	}
}

// LockDataDir takes an exclusive, non-blocking lock on dir/aiwfe.lock; the
// kernel drops it when the process exits, so a crash never leaves it stale.
func LockDataDir(dir string) (*os.File, error) {
	f, err := os.OpenFile(dir+"/aiwfe.lock", os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, ErrLocked
		}
		return nil, err
	}
	f.Truncate(0)
	fmt.Fprintf(f, "%d\n", os.Getpid())
	return f, nil
}

// openSettings builds the settings service and routes the model server to
// the one an admin saved, unless this is `serve --demo`, which always
// answers with the demo model.
func (a *App) openSettings(ctx context.Context) error {
	cfg := a.Config
	def := settings.ModelServerConfig{Provider: cfg.LLM.Provider, BaseURL: cfg.LLM.BaseURL, APIKey: cfg.LLM.APIKey}
	if cfg.Demo {
		def = settings.ModelServerConfig{Provider: "demo"}
	}
	a.Settings = settings.New(settings.Deps{
		Store: a.Store, Log: a.Log, Now: a.now, Box: a.Auth.SecretBox(), LLM: a.LLM, Default: def,
		WebSearchDefault: settings.WebSearchConfig{Enabled: cfg.Search.Enabled, Provider: cfg.Search.Provider,
			BaseURL: strings.TrimRight(cfg.Search.BaseURL, "/"), APIKey: cfg.Search.APIKey},
		NewProvider: func(m settings.ModelServerConfig) (llm.Provider, error) {
			c := *cfg
			c.Demo = false
			c.LLM.Provider, c.LLM.BaseURL, c.LLM.APIKey = m.Provider, m.BaseURL, m.APIKey
			return NewLLM(&c)
		},
		Audit: func(ctx context.Context, adminID int64, what string) {
			a.Auth.Audit(ctx, nil, &store.SecurityEvent{Type: settings.EventChange, UserID: adminID, ActorID: adminID, Success: true, Reason: what})
		},
	})
	if cfg.Demo {
		return nil
	}
	return a.Settings.Apply(ctx)
}

// NewLLM builds the configured model provider; demo mode (--demo or
// provider "demo") uses the built-in deterministic model, streamed with a
// small per-token delay so the UI shows it arriving.
func NewLLM(cfg *config.Config) (llm.Provider, error) {
	provider := cfg.LLM.Provider
	if cfg.Demo {
		provider = "demo"
	}
	return llm.New(llm.Config{
		Provider:          provider,
		BaseURL:           cfg.LLM.BaseURL,
		APIKey:            cfg.LLM.APIKey,
		FirstTokenTimeout: cfg.LLM.FirstTokenTimeout.D(),
		IdleTimeout:       cfg.LLM.IdleTimeout.D(),
		RequestTimeout:    cfg.LLM.RequestTimeout.D(),
		DemoDelay:         llm.ProductDemoDelay,
	})
}
