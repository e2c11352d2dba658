package settings_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aiwfe/aiwfe/app/apperr"
	"github.com/aiwfe/aiwfe/app/auth"
	"github.com/aiwfe/aiwfe/app/llm"
	"github.com/aiwfe/aiwfe/app/llm/llmtest"
	"github.com/aiwfe/aiwfe/app/settings"
	"github.com/aiwfe/aiwfe/store"
)

// deadURL is a loopback port nothing listens on.
const deadURL = "http://127.0.0.1:1"

type fixture struct {
	st     *store.Store
	sw     *llm.Switch
	svc    *settings.Service
	log    *bytes.Buffer
	audits []string
}

func newFixture(t *testing.T, st *store.Store) *fixture {
	t.Helper()
	if st == nil {
		var err error
		st, err = store.Open(filepath.Join(t.TempDir(), "aiwfe.db"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		if _, err := st.Migrate(context.Background()); err != nil {
			t.Fatal(err)
		}
		// The admin who makes the changes (id 1).
		if _, err := store.CreateUser(context.Background(), st.DB, store.NewUser{Email: "admin@example.org", PasswordHash: "x", Role: "superuser", Status: "active"}, time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	box, err := auth.NewSecretBox([]byte("0123456789abcdef0123456789abcdef"))
	if err != nil {
		t.Fatal(err)
	}
	def := settings.ModelServerConfig{Provider: "ollama", BaseURL: deadURL}
	build := func(c settings.ModelServerConfig) (llm.Provider, error) {
		return llm.New(llm.Config{Provider: c.Provider, BaseURL: c.BaseURL, APIKey: c.APIKey, RequestTimeout: 2 * time.Second})
	}
	first, err := build(def)
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{st: st, sw: llm.NewSwitch(first), log: &bytes.Buffer{}}
	f.svc = settings.New(settings.Deps{
		Store: st, Log: slog.New(slog.NewTextHandler(f.log, nil)), Now: time.Now, Box: box,
		LLM: f.sw, Default: def, NewProvider: build,
		Audit: func(_ context.Context, _ int64, what string) { f.audits = append(f.audits, what) },
	})
	if err := f.svc.Apply(context.Background()); err != nil {
		t.Fatal(err)
	}
	return f
}

func ptr(s string) *string { return &s }

func TestModelServerLifecycle(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, nil)

	ms, err := f.svc.ModelServer(ctx)
	if err != nil || ms.Source != "config" || ms.Provider != "ollama" || ms.BaseURL != deadURL {
		t.Fatalf("fresh install: %+v, %v", ms, err)
	}
	st := f.svc.Probe(ctx)
	if st.Reachable || st.Code != "unreachable" || st.Message != "No model server answers at "+deadURL+"." {
		t.Fatalf("dead server probe: %+v", st)
	}

	// The first-run panel's "use the demo model now".
	ms, err = f.svc.SetModelServer(ctx, 1, settings.ModelServerUpdate{Provider: "demo"})
	if err != nil || ms.Source != "settings" || ms.Provider != "demo" || ms.BaseURL != "" || ms.UpdatedAt == nil {
		t.Fatalf("switch to demo: %+v, %v", ms, err)
	}
	if f.sw.Name() != "demo" {
		t.Fatalf("chats go to %s, want demo", f.sw.Name())
	}
	if st := f.svc.Probe(ctx); !st.Reachable || !st.Demo || !strings.Contains(st.Message, "demo model") {
		t.Fatalf("demo probe: %+v", st)
	}

	// A restart applies the saved setting before any request.
	again := newFixture(t, f.st)
	if again.sw.Name() != "demo" {
		t.Fatalf("after restart chats go to %s, want demo", again.sw.Name())
	}

	// A real (stand-in) Ollama with a key: the key is sealed at rest.
	o := llmtest.NewOllama(t, llmtest.WithModels("llama3.2:3b", "qwen3:0.6b"))
	ms, err = f.svc.SetModelServer(ctx, 1, settings.ModelServerUpdate{Provider: "ollama", BaseURL: o.URL + "/", APIKey: ptr("sk-secret-123")})
	if err != nil || !ms.APIKeySet || ms.BaseURL != o.URL {
		t.Fatalf("set ollama: %+v, %v", ms, err)
	}
	row, err := store.GetSetting(ctx, f.st.DB, settings.KeyModelServer)
	if err != nil || strings.Contains(row.Value, "sk-secret-123") {
		t.Fatalf("api key stored in clear: %q (%v)", row.Value, err)
	}
	if st := f.svc.Probe(ctx); !st.Reachable || st.Models != 2 || st.Code != "ok" {
		t.Fatalf("stand-in probe: %+v", st)
	}
	// nil keeps the key, "" removes it.
	if ms, _ = f.svc.SetModelServer(ctx, 1, settings.ModelServerUpdate{Provider: "ollama", BaseURL: o.URL}); !ms.APIKeySet {
		t.Fatal("a change without api_key dropped the saved key")
	}
	if ms, _ = f.svc.SetModelServer(ctx, 1, settings.ModelServerUpdate{Provider: "ollama", BaseURL: o.URL, APIKey: ptr("")}); ms.APIKeySet {
		t.Fatal(`api_key "" kept the key`)
	}

	ms, err = f.svc.ResetModelServer(ctx, 1)
	if err != nil || ms.Source != "config" || f.sw.Name() != "ollama" || ms.BaseURL != deadURL {
		t.Fatalf("reset: %+v, %v (chats go to %s)", ms, err, f.sw.Name())
	}
	if len(f.audits) != 5 || !strings.Contains(f.audits[0], "demo model") {
		t.Fatalf("audits: %q", f.audits)
	}
}

func TestModelServerRefusesBadInput(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, nil)
	cases := []struct {
		name  string
		u     settings.ModelServerUpdate
		field string
	}{
		{"unknown provider", settings.ModelServerUpdate{Provider: "skynet"}, "provider"},
		{"no provider", settings.ModelServerUpdate{}, "provider"},
		{"ftp", settings.ModelServerUpdate{Provider: "ollama", BaseURL: "ftp://127.0.0.1:11434"}, "base_url"},
		{"no scheme", settings.ModelServerUpdate{Provider: "ollama", BaseURL: "127.0.0.1:11434"}, "base_url"},
		{"credentials in url", settings.ModelServerUpdate{Provider: "ollama", BaseURL: "http://u:p@127.0.0.1:11434"}, "base_url"},
		{"query", settings.ModelServerUpdate{Provider: "ollama", BaseURL: "http://127.0.0.1:11434/?x=1"}, "base_url"},
		{"openai needs a url", settings.ModelServerUpdate{Provider: "openai"}, "base_url"},
		{"huge key", settings.ModelServerUpdate{Provider: "openai", BaseURL: "https://x.example", APIKey: ptr(strings.Repeat("k", 2000))}, "api_key"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := f.svc.SetModelServer(ctx, 1, tc.u)
			var ae *apperr.Error
			if !errors.As(err, &ae) || ae.Code != "validation_failed" || ae.Field != tc.field {
				t.Fatalf("want validation_failed on %s, got %v", tc.field, err)
			}
			if ms, _ := f.svc.ModelServer(ctx); ms.Source != "config" || f.sw.Name() != "ollama" {
				t.Fatalf("a refused change took effect: %+v, chats to %s", ms, f.sw.Name())
			}
		})
	}
	// An Ollama address that is well-formed but dead is accepted: Ollama
	// may be installed next, and the probe says it does not answer yet.
	if _, err := f.svc.SetModelServer(ctx, 1, settings.ModelServerUpdate{Provider: "ollama", BaseURL: "http://127.0.0.1:2"}); err != nil {
		t.Fatal(err)
	}
}

// A dead model server is logged once, not on every probe (every page view
// of the first-run panel probes).
func TestProbeLogsOncePerChange(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, nil)
	for i := 0; i < 3; i++ {
		f.svc.Probe(ctx)
	}
	if n := strings.Count(f.log.String(), "model server not answering"); n != 1 {
		t.Fatalf("logged %d times, want once:\n%s", n, f.log)
	}
	f.svc.SetModelServer(ctx, 1, settings.ModelServerUpdate{Provider: "demo"})
	f.svc.Probe(ctx)
	f.svc.ResetModelServer(ctx, 1)
	f.svc.Probe(ctx)
	if n := strings.Count(f.log.String(), "model server not answering"); n != 2 {
		t.Fatalf("a new outage after recovery logged %d times in all, want 2:\n%s", n, f.log)
	}
}

// A saved key that cannot be opened (secrets replaced) does not stop
// start-up: the configuration's server is used and the admin can re-save.
func TestUnreadableSettingFallsBackToConfig(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, nil)
	if err := store.PutSetting(ctx, f.st.DB, &store.Setting{Key: settings.KeyModelServer,
		Value: `{"provider":"openai","base_url":"https://x.example","api_key":"AAAA"}`, UpdatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	again := newFixture(t, f.st)
	if again.sw.Name() != "ollama" || !strings.Contains(again.log.String(), "unreadable") {
		t.Fatalf("chats go to %s; log:\n%s", again.sw.Name(), again.log)
	}
	if _, err := again.svc.SetModelServer(ctx, 1, settings.ModelServerUpdate{Provider: "demo"}); err != nil {
		t.Fatalf("re-saving over an unreadable setting: %v", err)
	}
}
