// Package settings is the application settings an admin changes from the
// UI while the appliance runs. Today that is the model server: which
// provider answers chats (Ollama, an OpenAI-compatible server, or the
// built-in demo model) and where it is. A saved setting overrides the
// configuration file's value until it is reset; the file stays the default
// for a fresh install and for `aiwfe serve --demo`.
package settings

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"github.com/aiwfe/aiwfe/app/apperr"
	"github.com/aiwfe/aiwfe/app/llm"
	"github.com/aiwfe/aiwfe/store"
)

// EventChange is the security event of an admin's change of settings.
const EventChange = "settings_change"

// KeyModelServer is the settings row of the model server.
const KeyModelServer = "llm.model_server"

// Sealer encrypts the model server's API key at rest.
type Sealer interface {
	Seal(plain, context string) (string, error)
	Open(sealed, context string) (string, error)
}

// Deps is what the service needs.
type Deps struct {
	Store *store.Store
	Log   *slog.Logger
	Now   func() time.Time
	Box   Sealer
	// LLM is the appliance's provider; a change of model server swaps
	// what it routes to.
	LLM *llm.Switch
	// Default is the model server the configuration file describes.
	Default ModelServerConfig
	// NewProvider builds a provider for a model server (app.NewLLM with
	// the configuration's timeouts).
	NewProvider func(ModelServerConfig) (llm.Provider, error)
	// WebSearchDefault is web search as the configuration file sets it.
	WebSearchDefault WebSearchConfig
	// Audit records an admin's change (the security log).
	Audit func(ctx context.Context, adminID int64, what string)
}

// ModelServerConfig is where chats go.
type ModelServerConfig struct {
	Provider string // ollama | openai | demo
	BaseURL  string
	APIKey   string
}

// Service reads and changes application settings.
type Service struct {
	d     Deps
	probe prober
}

// New builds the service; call Apply once at start.
func New(d Deps) *Service {
	if d.Audit == nil {
		d.Audit = func(context.Context, int64, string) {}
	}
	return &Service{d: d}
}

// ModelServer is the model server as an admin sees it. The API key never
// leaves the server: only whether one is set.
type ModelServer struct {
	Provider  string     `json:"provider"`
	BaseURL   string     `json:"base_url"`
	APIKeySet bool       `json:"api_key_set"`
	Source    string     `json:"source"` // "config" (the file or defaults) or "settings" (saved from the UI)
	UpdatedAt *time.Time `json:"updated_at,omitempty"`
	// Default is what the configuration file says, for a "reset" button.
	Default ModelServerDefault `json:"default"`
}

// ModelServerDefault is the configuration file's model server.
type ModelServerDefault struct {
	Provider string `json:"provider"`
	BaseURL  string `json:"base_url"`
}

// ModelServerUpdate changes the model server. APIKey nil keeps the saved
// key; "" removes it.
type ModelServerUpdate struct {
	Provider string  `json:"provider"`
	BaseURL  string  `json:"base_url"`
	APIKey   *string `json:"api_key"`
}

// saved is the settings row's JSON.
type saved struct {
	Provider     string `json:"provider"`
	BaseURL      string `json:"base_url"`
	SealedAPIKey string `json:"api_key,omitempty"`
}

// Apply routes the provider to the saved model server, if one was saved.
// A saved value that no longer works (a key sealed under other secrets)
// is logged and the configuration's server is used: start-up never fails
// on a setting the admin can fix from the UI.
func (s *Service) Apply(ctx context.Context) error {
	cur, _, err := s.current(ctx)
	if err != nil {
		s.d.Log.Error("saved model server setting unreadable; using the configuration's", "err", err)
		return nil
	}
	if cur == s.d.Default {
		return nil
	}
	p, err := s.d.NewProvider(cur)
	if err != nil {
		s.d.Log.Error("saved model server setting unusable; using the configuration's", "err", err)
		return nil
	}
	s.d.LLM.Set(p)
	return nil
}

// current is the model server in force and its settings row (nil when
// the configuration's is used).
func (s *Service) current(ctx context.Context) (ModelServerConfig, *store.Setting, error) {
	row, err := store.GetSetting(ctx, s.d.Store.DB, KeyModelServer)
	if errors.Is(err, store.ErrNotFound) {
		return s.d.Default, nil, nil
	}
	if err != nil {
		return s.d.Default, nil, err
	}
	var v saved
	if err := json.Unmarshal([]byte(row.Value), &v); err != nil {
		return s.d.Default, nil, fmt.Errorf("settings: %s: %w", KeyModelServer, err)
	}
	cfg := ModelServerConfig{Provider: v.Provider, BaseURL: v.BaseURL}
	if v.SealedAPIKey != "" {
		if cfg.APIKey, err = s.d.Box.Open(v.SealedAPIKey, KeyModelServer); err != nil {
			return s.d.Default, nil, fmt.Errorf("settings: %s: api key: %w", KeyModelServer, err)
		}
	}
	return cfg, row, nil
}

// ModelServer reports the model server in force.
func (s *Service) ModelServer(ctx context.Context) (*ModelServer, error) {
	cur, row, err := s.current(ctx)
	if err != nil {
		return nil, err
	}
	out := &ModelServer{Provider: cur.Provider, BaseURL: cur.BaseURL, APIKeySet: cur.APIKey != "", Source: "config",
		Default: ModelServerDefault{Provider: s.d.Default.Provider, BaseURL: s.d.Default.BaseURL}}
	if row != nil {
		t := row.UpdatedAt
		out.Source, out.UpdatedAt = "settings", &t
	}
	return out, nil
}

// SetModelServer validates and saves a model server, then routes chats to
// it at once. The server need not answer yet (Ollama may be installed
// next): the health check tells.
func (s *Service) SetModelServer(ctx context.Context, adminID int64, u ModelServerUpdate) (*ModelServer, error) {
	prev, _, err := s.current(ctx)
	if err != nil {
		// An unreadable row is replaced, not kept: the admin is fixing it.
		prev = s.d.Default
	}
	next := ModelServerConfig{Provider: strings.TrimSpace(u.Provider), BaseURL: strings.TrimRight(strings.TrimSpace(u.BaseURL), "/"), APIKey: prev.APIKey}
	if u.APIKey != nil {
		next.APIKey = strings.TrimSpace(*u.APIKey)
	}
	if err := validate(&next); err != nil {
		return nil, err
	}
	p, err := s.d.NewProvider(next)
	if err != nil {
		return nil, apperr.Invalid("base_url", err.Error())
	}
	v := saved{Provider: next.Provider, BaseURL: next.BaseURL}
	if next.APIKey != "" {
		if v.SealedAPIKey, err = s.d.Box.Seal(next.APIKey, KeyModelServer); err != nil {
			return nil, err
		}
	}
	raw, _ := json.Marshal(v)
	if err := store.PutSetting(ctx, s.d.Store.DB, &store.Setting{Key: KeyModelServer, Value: string(raw), UpdatedAt: s.d.Now()}); err != nil {
		return nil, err
	}
	s.d.LLM.Set(p)
	s.d.Log.Info("model server changed", "provider", next.Provider, "base_url", next.BaseURL, "by", adminID)
	s.d.Audit(ctx, adminID, "model server: "+describe(next))
	return s.ModelServer(ctx)
}

// ResetModelServer forgets the saved model server: the configuration's
// applies again.
func (s *Service) ResetModelServer(ctx context.Context, adminID int64) (*ModelServer, error) {
	p, err := s.d.NewProvider(s.d.Default)
	if err != nil {
		return nil, err
	}
	if err := store.DeleteSetting(ctx, s.d.Store.DB, KeyModelServer); err != nil {
		return nil, err
	}
	s.d.LLM.Set(p)
	s.d.Log.Info("model server reset to the configuration's", "provider", s.d.Default.Provider, "by", adminID)
	s.d.Audit(ctx, adminID, "model server reset to the configuration: "+describe(s.d.Default))
	return s.ModelServer(ctx)
}

func describe(c ModelServerConfig) string {
	if c.Provider == "demo" {
		return "the built-in demo model"
	}
	return c.Provider + " at " + c.BaseURL
}

func validate(c *ModelServerConfig) error {
	switch c.Provider {
	case "demo":
		c.BaseURL, c.APIKey = "", ""
		return nil
	case "ollama", "openai":
	default:
		return apperr.Invalid("provider", "provider must be ollama, openai or demo")
	}
	if c.BaseURL == "" {
		if c.Provider == "ollama" {
			c.BaseURL = llm.DefaultOllamaURL
		} else {
			return apperr.Invalid("base_url", "base_url is required for an OpenAI-compatible server")
		}
	}
	u, err := url.Parse(c.BaseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
		return apperr.Invalid("base_url", "base_url must be an http:// or https:// address such as http://127.0.0.1:11434")
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return apperr.Invalid("base_url", "base_url must not have a query or fragment")
	}
	if len(c.APIKey) > 1024 {
		return apperr.Invalid("api_key", "api_key is too long")
	}
	return nil
}
