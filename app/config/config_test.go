package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func writeFile(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "aiwfe.toml")
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestDefaultsAreValid(t *testing.T) {
	cfg, err := Load("", nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatalf("defaults invalid: %v", err)
	}
	if cfg.Server.HTTP != "127.0.0.1:8080" || cfg.Server.HTTPS != "127.0.0.1:8443" || cfg.Data.Dir != "./data" {
		t.Fatalf("unexpected defaults: %+v", cfg.Server)
	}
}

func TestFileAndEnv(t *testing.T) {
	p := writeFile(t, `
[server]
http = "127.0.0.1:9000"
allowed_origins = ["https://a.example"]
[auth]
access_token_ttl = "30m"
registration = "open"
`)
	cfg, err := Load(p, []string{
		"AIWFE_SERVER_HTTPS=",
		"AIWFE_AUTH_MAX_FAILURES_IP=7",
		"AIWFE_TLS_DOMAINS=a.example, b.example",
		"AIWFE_LOG_REQUESTS=false",
		"OTHER=1",
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	if cfg.Server.HTTP != "127.0.0.1:9000" {
		t.Errorf("http = %q", cfg.Server.HTTP)
	}
	if cfg.Server.HTTPS != "" {
		t.Errorf("env should turn https off, got %q", cfg.Server.HTTPS)
	}
	if cfg.Auth.AccessTokenTTL.D() != 30*time.Minute || cfg.Auth.Registration != "open" {
		t.Errorf("auth = %+v", cfg.Auth)
	}
	if cfg.Auth.MaxFailuresIP != 7 {
		t.Errorf("max_failures_ip = %d", cfg.Auth.MaxFailuresIP)
	}
	if got := strings.Join(cfg.TLS.Domains, "|"); got != "a.example|b.example" {
		t.Errorf("domains = %q", got)
	}
	if cfg.Log.Requests {
		t.Error("log.requests should be false")
	}
}

func TestErrorsNameTheKey(t *testing.T) {
	cases := []struct {
		name    string
		file    string
		env     []string
		wantKey string
	}{
		{"unknown key", "[server]\nhtttp = \"x\"\n", nil, "server.htttp"},
		{"unknown section", "[nope]\na = 1\n", nil, "nope"},
		{"wrong type", "[server]\nhttp = 8080\n", nil, "server.http"},
		{"bad address", "[server]\nhttp = \"localhost\"\n", nil, "server.http"},
		{"bad port", "[server]\nhttps = \"127.0.0.1:99999\"\n", nil, "server.https"},
		{"bad host", "[server]\nmtls = \"bad host!:1\"\n", nil, "server.mtls"},
		{"bad duration", "[auth]\naccess_token_ttl = \"soon\"\n", nil, "auth.access_token_ttl"},
		{"bad enum", "[auth]\nregistration = \"maybe\"\n", nil, "auth.registration"},
		{"bad tls mode", "[tls]\nmode = \"magic\"\n", nil, "tls.mode"},
		{"acme needs domains", "[tls]\nmode = \"acme\"\n", nil, "tls.domains"},
		{"env int", "", []string{"AIWFE_AUTH_MAX_FAILURES_IP=many"}, "AIWFE_AUTH_MAX_FAILURES_IP"},
		{"env bool", "", []string{"AIWFE_SERVER_REDIRECT_HTTPS=perhaps"}, "AIWFE_SERVER_REDIRECT_HTTPS"},
		{"env addr", "", []string{"AIWFE_SERVER_HTTP=nonsense"}, "server.http"},
		{"all off", "[server]\nhttp=\"\"\nhttps=\"\"\n", nil, "server.http"},
		{"bad origin", "[server]\nallowed_origins=[\"example.com\"]\n", nil, "server.allowed_origins"},
		{"body limit", "[server]\nbody_limit_mb = 0\n", nil, "server.body_limit_mb"},
		{"synchronous", "[data]\nsynchronous = \"off\"\n", nil, "data.synchronous"},
		{"env synchronous", "", []string{"AIWFE_DATA_SYNCHRONOUS=FULL"}, "data.synchronous"},
		{"upload limit", "[server]\nupload_limit_mb = 0\n", nil, "server.upload_limit_mb"},
		{"account ceiling", "[auth]\nmax_failures_account_total = 0\n", nil, "auth.max_failures_account_total"},
		{"events rows", "[auth]\nevents_max_rows = 0\n", nil, "auth.events_max_rows"},
		{"events age", "[auth]\nevents_max_age = \"0s\"\n", nil, "auth.events_max_age"},
		{"rp id is an IP", "[webauthn]\nrp_id = \"127.0.0.1\"\n", nil, "webauthn.rp_id"},
		{"rp id not a name", "[webauthn]\nrp_id = \"bad name\"\n", nil, "webauthn.rp_id"},
		{"rp origin", "[webauthn]\nrp_origins = [\"localhost\"]\n", nil, "webauthn.rp_origins"},
		{"llm url", "[llm]\nbase_url = \"localhost:11434\"\n", nil, "llm.base_url"},
		{"feed refresh", "[calendar]\nfeed_refresh = \"10s\"\n", nil, "calendar.feed_refresh"},
		{"env feed refresh", "", []string{"AIWFE_CALENDAR_FEED_REFRESH=soon"}, "AIWFE_CALENDAR_FEED_REFRESH"},
		{"feed size", "[calendar]\nfeed_max_mb = 0\n", nil, "calendar.feed_max_mb"},
		{"feed events", "[calendar]\nfeed_max_events = 0\n", nil, "calendar.feed_max_events"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			path := ""
			if tc.file != "" {
				path = writeFile(t, tc.file)
			}
			cfg, err := Load(path, tc.env)
			if err == nil {
				err = cfg.Validate()
			}
			var ce *Error
			if !errors.As(err, &ce) {
				t.Fatalf("want a config error naming %s, got %v", tc.wantKey, err)
			}
			if ce.Key != tc.wantKey {
				t.Fatalf("error names %q (%v), want %q", ce.Key, err, tc.wantKey)
			}
		})
	}
}

func TestUnknownNamesSuggestTheNearestKey(t *testing.T) {
	cases := []struct {
		name       string
		file       string
		env        []string
		wantKey    string
		wantReason string
	}{
		{"env typo", "", []string{"AIWFE_LLM_PROVIDR=demo"}, "AIWFE_LLM_PROVIDR",
			"unknown environment variable; did you mean AIWFE_LLM_PROVIDER?"},
		{"env far from any key", "", []string{"AIWFE_COFFEE=strong"}, "AIWFE_COFFEE",
			"unknown environment variable"},
		{"env first of several, sorted", "", []string{"AIWFE_ZZZ=1", "AIWFE_SERVER_HTTTP=x"}, "AIWFE_SERVER_HTTTP",
			"unknown environment variable; did you mean AIWFE_SERVER_HTTP?"},
		{"file typo", "[llm]\nprovidr = \"demo\"\n", nil, "llm.providr",
			"unknown key; did you mean llm.provider?"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			path := ""
			if tc.file != "" {
				path = writeFile(t, tc.file)
			}
			_, err := Load(path, tc.env)
			var ce *Error
			if !errors.As(err, &ce) {
				t.Fatalf("want a config error, got %v", err)
			}
			if ce.Key != tc.wantKey || ce.Reason != tc.wantReason {
				t.Fatalf("got %q: %q, want %q: %q", ce.Key, ce.Reason, tc.wantKey, tc.wantReason)
			}
		})
	}
}

func TestToolingVariablesAreNotConfiguration(t *testing.T) {
	// The test harness and the backup command pass these through the
	// binary's environment; they must never stop start-up.
	env := []string{"AIWFE_REQUIRE_OLLAMA=1", "AIWFE_REQUIRE_PEERS=1", "AIWFE_BACKUP_PASSPHRASE=x", "AIWFE_E2E_ARTIFACTS=/tmp"}
	if _, err := Load("", env); err != nil {
		t.Fatal(err)
	}
}

func TestMissingFile(t *testing.T) {
	_, err := Load(filepath.Join(t.TempDir(), "nope.toml"), nil)
	if err == nil || !strings.Contains(err.Error(), "nope.toml") {
		t.Fatalf("want error naming the file, got %v", err)
	}
}

// The example file documents every key with its default value.
func TestExampleDocumentsEveryKey(t *testing.T) {
	p := filepath.Join("..", "..", "config.example.toml")
	raw, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := Load(p, nil)
	if err != nil {
		t.Fatalf("the example does not load: %v", err)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatalf("the example is not valid: %v", err)
	}
	// Every key appears, commented or not.
	text := string(raw)
	section := ""
	present := map[string]bool{}
	for _, line := range strings.Split(text, "\n") {
		l := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(line), "#"))
		if strings.HasPrefix(l, "[") && strings.HasSuffix(l, "]") {
			section = strings.Trim(l, "[]")
			continue
		}
		if k, _, ok := strings.Cut(l, "="); ok {
			present[section+"."+strings.TrimSpace(k)] = true
		}
	}
	for _, k := range Keys() {
		if !present[k] {
			t.Errorf("config.example.toml does not document %s", k)
		}
	}
	// And the uncommented values equal the defaults.
	def := Default()
	if !equalServer(cfg.Server, def.Server) {
		t.Errorf("example [server] differs from defaults:\n%+v\n%+v", cfg.Server, def.Server)
	}
	if cfg.Auth != def.Auth || cfg.LLM != def.LLM || cfg.Cache != def.Cache || cfg.Log != def.Log || cfg.Data != def.Data {
		t.Errorf("example values differ from defaults")
	}
}

func equalServer(a, b Server) bool {
	return a.HTTP == b.HTTP && a.HTTPS == b.HTTPS && a.MTLS == b.MTLS && a.RedirectHTTPS == b.RedirectHTTPS &&
		a.BodyLimitMB == b.BodyLimitMB && a.UploadLimitMB == b.UploadLimitMB && a.ReadTimeout == b.ReadTimeout && a.ShutdownTimeout == b.ShutdownTimeout &&
		a.IdleTimeout == b.IdleTimeout && a.WriteTimeout == b.WriteTimeout && a.PublicURL == b.PublicURL &&
		len(a.AllowedOrigins) == len(b.AllowedOrigins) && len(a.TrustedProxies) == len(b.TrustedProxies)
}
