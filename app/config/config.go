// Package config loads aiwfe's configuration: built-in defaults, then an
// optional TOML file, then AIWFE_<SECTION>_<KEY> environment variables, then
// command-line flags. Validate names the offending key, so a bad setting stops
// start-up with a message a person can act on.
package config

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/BurntSushi/toml"

	"github.com/aiwfe/aiwfe/app/netguard"
)

// Config is the whole configuration. Every field carries a toml tag; the
// environment variable for a key is AIWFE_ + SECTION + _ + KEY in upper case.
type Config struct {
	Server   Server   `toml:"server"`
	Data     Data     `toml:"data"`
	Log      Log      `toml:"log"`
	TLS      TLS      `toml:"tls"`
	Auth     Auth     `toml:"auth"`
	WebAuthn WebAuthn `toml:"webauthn"`
	LLM      LLM      `toml:"llm"`
	Cache    Cache    `toml:"cache"`
	Outbound Outbound `toml:"outbound"`
	Calendar Calendar `toml:"calendar"`
	Search   Search   `toml:"search"`

	// Demo is set by `aiwfe serve --demo`; it has no file key.
	Demo bool `toml:"-"`
	// File is the config file that was read, if any.
	File string `toml:"-"`
}

// Server holds the listeners and HTTP behaviour.
type Server struct {
	HTTP            string   `toml:"http"`
	HTTPS           string   `toml:"https"`
	MTLS            string   `toml:"mtls"`
	RedirectHTTPS   bool     `toml:"redirect_https"`
	PublicURL       string   `toml:"public_url"`
	AllowedOrigins  []string `toml:"allowed_origins"`
	BodyLimitMB     int      `toml:"body_limit_mb"`
	UploadLimitMB   int      `toml:"upload_limit_mb"`
	ReadTimeout     Duration `toml:"read_timeout"`
	WriteTimeout    Duration `toml:"write_timeout"`
	IdleTimeout     Duration `toml:"idle_timeout"`
	ShutdownTimeout Duration `toml:"shutdown_timeout"`
	TrustedProxies  []string `toml:"trusted_proxies"`
}

// Data is where the appliance keeps its state.
type Data struct {
	Dir string `toml:"dir"`
	// Synchronous is SQLite's commit durability: "full" (every commit
	// survives a power cut) or "normal" (faster; the last commits may not).
	Synchronous string `toml:"synchronous"`
}

// Log controls structured logging.
type Log struct {
	Level    string `toml:"level"`
	Format   string `toml:"format"`
	Requests bool   `toml:"requests"`
}

// TLS selects how the HTTPS and mTLS listeners get their certificate.
type TLS struct {
	Mode               string   `toml:"mode"`
	Domains            []string `toml:"domains"`
	Email              string   `toml:"email"`
	CA                 string   `toml:"ca"`
	CARoot             string   `toml:"ca_root"`
	CertFile           string   `toml:"cert_file"`
	KeyFile            string   `toml:"key_file"`
	CloudflareAPIToken string   `toml:"cloudflare_api_token"`
}

// Auth holds account and session policy. Empty secrets are generated on
// first run and kept in the data directory.
type Auth struct {
	Registration        string   `toml:"registration"`
	JWTSecret           string   `toml:"jwt_secret"`
	CSRFSecret          string   `toml:"csrf_secret"`
	AccessTokenTTL      Duration `toml:"access_token_ttl"`
	RefreshTokenTTL     Duration `toml:"refresh_token_ttl"`
	MaxFailuresAccount  int      `toml:"max_failures_account"`
	MaxFailuresAcctAll  int      `toml:"max_failures_account_total"`
	MaxFailuresIP       int      `toml:"max_failures_ip"`
	FailureWindow       Duration `toml:"failure_window"`
	APIRequestsPerMin   int      `toml:"api_requests_per_minute"`
	Argon2MemoryKiB     int      `toml:"argon2_memory_kib"`
	Argon2Iterations    int      `toml:"argon2_iterations"`
	Argon2Parallelism   int      `toml:"argon2_parallelism"`
	WebSocketsPerUser   int      `toml:"websockets_per_user"`
	TrustedDeviceTTL    Duration `toml:"trusted_device_ttl"`
	SecureCookiesOnHTTP bool     `toml:"secure_cookies_on_http"`
	EventsMaxAge        Duration `toml:"events_max_age"`
	EventsMaxRows       int      `toml:"events_max_rows"`
}

// WebAuthn configures passkeys; empty values derive from the server's names.
type WebAuthn struct {
	RPID          string   `toml:"rp_id"`
	RPDisplayName string   `toml:"rp_display_name"`
	RPOrigins     []string `toml:"rp_origins"`
}

// LLM selects the model server.
type LLM struct {
	Provider          string   `toml:"provider"`
	BaseURL           string   `toml:"base_url"`
	APIKey            string   `toml:"api_key"`
	DefaultModel      string   `toml:"default_model"`
	FirstTokenTimeout Duration `toml:"first_token_timeout"`
	IdleTimeout       Duration `toml:"idle_timeout"`
	RequestTimeout    Duration `toml:"request_timeout"`
	// AllowUserPulls lets every user, not only administrators, download
	// models onto the host (they can fill its disk).
	AllowUserPulls bool `toml:"allow_user_pulls"`
}

// Outbound governs fetches of addresses users supply (calendar feeds,
// pages to import, web search results): see app/netguard.
type Outbound struct {
	// Allow admits LAN addresses the guard refuses by default: prefixes,
	// addresses, or address:port pairs.
	Allow   []string `toml:"allow"`
	Timeout Duration `toml:"timeout"`
	MaxMB   int      `toml:"max_mb"`
}

// Calendar governs calendar feed subscriptions (ICS URLs fetched through
// the outbound guard).
type Calendar struct {
	// FeedRefresh is how often a subscribed feed is fetched when it names
	// no REFRESH-INTERVAL of its own.
	FeedRefresh Duration `toml:"feed_refresh"`
	// FeedMaxMB and FeedMaxEvents cap one feed; a larger one keeps its
	// last good copy and shows the error.
	FeedMaxMB     int `toml:"feed_max_mb"`
	FeedMaxEvents int `toml:"feed_max_events"`
}

// Search is web search and the pages read from it (app/research). Off by
// default: an appliance talks to the internet only when its owner says so.
// An admin's saved setting (Admin → Web search) overrides enabled,
// provider, base_url and api_key.
type Search struct {
	// Enabled is the admin switch: off forbids web search for everyone.
	Enabled bool `toml:"enabled"`
	// Provider is the default provider: searxng, brave or tavily.
	Provider string `toml:"provider"`
	// BaseURL is the SearXNG instance (the searxng provider only).
	BaseURL string `toml:"base_url"`
	// APIKey is the default provider's key (brave, tavily), used by
	// accounts that keep the default provider.
	APIKey string `toml:"api_key"`
	// BraveURL and TavilyURL are the providers' endpoints (a proxy, or a
	// stand-in in tests).
	BraveURL  string `toml:"brave_url"`
	TavilyURL string `toml:"tavily_url"`
	// PerMinute is each user's budget of searches a minute (a research
	// reply spends one).
	PerMinute int `toml:"per_minute"`
	// Timeout bounds one search.
	Timeout Duration `toml:"timeout"`
	// ResearchPages is how many result pages a research reply reads, in
	// parallel, within ResearchTimeout.
	ResearchPages   int      `toml:"research_pages"`
	ResearchTimeout Duration `toml:"research_timeout"`
	// PageCacheTTL is how long a page read is kept for the next reply.
	PageCacheTTL Duration `toml:"page_cache_ttl"`
}

// Cache sizes the in-process cache that replaces Redis.
type Cache struct {
	MaxMB int `toml:"max_mb"`
}

// Default returns the configuration used when nothing is given: an
// unprivileged appliance on localhost with its data in ./data.
func Default() *Config {
	return &Config{
		Server: Server{
			HTTP:            "127.0.0.1:8080",
			HTTPS:           "127.0.0.1:8443",
			MTLS:            "",
			BodyLimitMB:     1,
			UploadLimitMB:   50,
			ReadTimeout:     Duration(60 * time.Second),
			WriteTimeout:    Duration(0),
			IdleTimeout:     Duration(120 * time.Second),
			ShutdownTimeout: Duration(10 * time.Second),
		},
		Data: Data{Dir: "./data", Synchronous: "full"},
		Log:  Log{Level: "info", Format: "text", Requests: true},
		TLS: TLS{
			Mode: "self-signed",
			CA:   "https://acme-v02.api.letsencrypt.org/directory",
		},
		Auth: Auth{
			Registration:       "approval",
			AccessTokenTTL:     Duration(60 * time.Minute),
			RefreshTokenTTL:    Duration(7 * 24 * time.Hour),
			MaxFailuresAccount: 5,
			MaxFailuresAcctAll: 100,
			MaxFailuresIP:      20,
			FailureWindow:      Duration(15 * time.Minute),
			APIRequestsPerMin:  1200,
			Argon2MemoryKiB:    19 * 1024,
			Argon2Iterations:   2,
			Argon2Parallelism:  1,
			WebSocketsPerUser:  8,
			TrustedDeviceTTL:   Duration(30 * 24 * time.Hour),
			EventsMaxAge:       Duration(90 * 24 * time.Hour),
			EventsMaxRows:      100_000,
		},
		WebAuthn: WebAuthn{RPDisplayName: "aiwfe"},
		LLM: LLM{
			Provider:          "ollama",
			BaseURL:           "http://127.0.0.1:11434",
			DefaultModel:      "llama3.2:3b",
			FirstTokenTimeout: Duration(5 * time.Minute),
			IdleTimeout:       Duration(2 * time.Minute),
			RequestTimeout:    Duration(30 * time.Second),
		},
		Cache:    Cache{MaxMB: 32},
		Outbound: Outbound{Timeout: Duration(30 * time.Second), MaxMB: 20},
		Calendar: Calendar{FeedRefresh: Duration(30 * time.Minute), FeedMaxMB: 10, FeedMaxEvents: 5000},
		Search: Search{BraveURL: "https://api.search.brave.com/res/v1/web/search", TavilyURL: "https://api.tavily.com/search",
			PerMinute: 20, Timeout: Duration(10 * time.Second), ResearchPages: 4, ResearchTimeout: Duration(20 * time.Second),
			PageCacheTTL: Duration(time.Hour)},
	}
}

// Error is a configuration problem tied to one key.
type Error struct {
	Key    string // e.g. "server.http" or "AIWFE_SERVER_HTTP"
	Reason string
}

func (e *Error) Error() string { return fmt.Sprintf("config: %s: %s", e.Key, e.Reason) }

// Load builds the configuration from defaults, the file (if path is not
// empty) and the environment. It does not validate; call Validate.
func Load(path string, environ []string) (*Config, error) {
	cfg := Default()
	if path != "" {
		if err := cfg.loadFile(path); err != nil {
			return nil, err
		}
		cfg.File = path
	}
	if err := cfg.applyEnv(environ); err != nil {
		return nil, err
	}
	return cfg, nil
}

func (c *Config) loadFile(path string) error {
	raw, err := os.ReadFile(path)
	if err != nil {
		return &Error{Key: path, Reason: err.Error()}
	}
	md, err := toml.Decode(string(raw), c)
	if err != nil {
		var perr toml.ParseError
		if errors.As(err, &perr) {
			key := perr.LastKey
			if key == "" {
				key = fmt.Sprintf("%s line %d", path, perr.Position.Line)
			}
			return &Error{Key: key, Reason: perr.Message}
		}
		// Type errors are plain errors that name the key in their text.
		if m := lastKeyRe.FindStringSubmatch(err.Error()); m != nil {
			return &Error{Key: m[1], Reason: m[2]}
		}
		return &Error{Key: path, Reason: err.Error()}
	}
	if und := md.Undecoded(); len(und) > 0 {
		key := und[0].String()
		return &Error{Key: key, Reason: "unknown key" + suggest(key, Keys())}
	}
	return nil
}

var lastKeyRe = regexp.MustCompile(`last key "([^"]+)"\): (.*)$`)

// EnvName is the environment variable that overrides section.key.
func EnvName(section, key string) string {
	return "AIWFE_" + strings.ToUpper(section) + "_" + strings.ToUpper(key)
}

func (c *Config) applyEnv(environ []string) error {
	env := map[string]string{}
	for _, kv := range environ {
		if k, v, ok := strings.Cut(kv, "="); ok && strings.HasPrefix(k, "AIWFE_") {
			env[k] = v
		}
	}
	if len(env) == 0 {
		return nil
	}
	used := map[string]bool{}
	err := c.eachKey(func(section, key string, f reflect.Value) error {
		name := EnvName(section, key)
		v, ok := env[name]
		if !ok {
			return nil
		}
		used[name] = true
		if err := setFromString(f, v); err != nil {
			return &Error{Key: name, Reason: err.Error()}
		}
		return nil
	})
	if err != nil {
		return err
	}
	// A misspelled variable would otherwise be ignored without a word and
	// the appliance would start with a setting the person believes is off.
	var unknown []string
	for name := range env {
		if !used[name] && !toolingEnv[name] {
			unknown = append(unknown, name)
		}
	}
	if len(unknown) == 0 {
		return nil
	}
	sort.Strings(unknown)
	var names []string
	for _, k := range Keys() {
		section, key, _ := strings.Cut(k, ".")
		names = append(names, EnvName(section, key))
	}
	return &Error{Key: unknown[0], Reason: "unknown environment variable" + suggest(unknown[0], names)}
}

// toolingEnv are AIWFE_ variables that are not configuration keys: read by
// the CLI itself (backup passphrase) or by the project's tests and UI dev
// server, which start the binary with their environment.
var toolingEnv = map[string]bool{
	"AIWFE_BACKUP_PASSPHRASE": true,
	"AIWFE_REQUIRE_OLLAMA":    true,
	"AIWFE_REQUIRE_PEERS":     true,
	"AIWFE_SCIFACT":           true,
	"AIWFE_EVAL_OLLAMA":       true,
	"AIWFE_EVAL_EMBED_MODEL":  true,
	"AIWFE_EVAL_DOCS":         true,
	"AIWFE_E2E_ARTIFACTS":     true,
	"AIWFE_E2E_LOG":           true,
	"AIWFE_CHROMIUM":          true,
	"AIWFE_PEBBLE_BIN":        true,
	"AIWFE_API":               true,
}

// suggest names the closest of names to got, when one is close enough to
// be a likely typo: "; did you mean X?" or "".
func suggest(got string, names []string) string {
	best, bestD := "", -1
	for _, n := range names {
		if d := editDistance(strings.ToLower(got), strings.ToLower(n)); bestD < 0 || d < bestD {
			best, bestD = n, d
		}
	}
	// Allow about one edit in four characters, and always at least two.
	if best == "" || bestD > max(2, len(got)/4) {
		return ""
	}
	return "; did you mean " + best + "?"
}

// editDistance is the Levenshtein distance between a and b (bytes: keys
// are ASCII).
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// eachKey visits every section.key field of the configuration.
func (c *Config) eachKey(fn func(section, key string, f reflect.Value) error) error {
	root := reflect.ValueOf(c).Elem()
	rt := root.Type()
	for i := 0; i < rt.NumField(); i++ {
		section := rt.Field(i).Tag.Get("toml")
		if section == "" || section == "-" || rt.Field(i).Type.Kind() != reflect.Struct {
			continue
		}
		sv := root.Field(i)
		st := sv.Type()
		for j := 0; j < st.NumField(); j++ {
			key := st.Field(j).Tag.Get("toml")
			if key == "" || key == "-" {
				continue
			}
			if err := fn(section, key, sv.Field(j)); err != nil {
				return err
			}
		}
	}
	return nil
}

// Keys lists every section.key, for documentation checks.
func Keys() []string {
	var out []string
	_ = Default().eachKey(func(section, key string, _ reflect.Value) error {
		out = append(out, section+"."+key)
		return nil
	})
	return out
}

func setFromString(f reflect.Value, s string) error {
	switch f.Interface().(type) {
	case Duration:
		var d Duration
		if err := d.UnmarshalText([]byte(s)); err != nil {
			return err
		}
		f.Set(reflect.ValueOf(d))
		return nil
	}
	switch f.Kind() {
	case reflect.String:
		f.SetString(s)
	case reflect.Bool:
		b, err := strconv.ParseBool(s)
		if err != nil {
			return fmt.Errorf("want true or false, got %q", s)
		}
		f.SetBool(b)
	case reflect.Int, reflect.Int64:
		n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
		if err != nil {
			return fmt.Errorf("want a whole number, got %q", s)
		}
		f.SetInt(n)
	case reflect.Slice:
		var items []string
		for _, p := range strings.Split(s, ",") {
			if p = strings.TrimSpace(p); p != "" {
				items = append(items, p)
			}
		}
		f.Set(reflect.ValueOf(items))
	default:
		return fmt.Errorf("unsupported type %s", f.Type())
	}
	return nil
}

// Validate checks every value and names the first bad key.
func (c *Config) Validate() error {
	for _, l := range []struct{ key, addr string }{
		{"server.http", c.Server.HTTP},
		{"server.https", c.Server.HTTPS},
		{"server.mtls", c.Server.MTLS},
	} {
		if l.addr == "" {
			continue
		}
		if err := checkAddr(l.addr); err != nil {
			return &Error{Key: l.key, Reason: err.Error()}
		}
	}
	if c.Server.HTTP == "" && c.Server.HTTPS == "" && c.Server.MTLS == "" {
		return &Error{Key: "server.http", Reason: "every listener is off; turn on at least one of http, https, mtls"}
	}
	if c.Server.BodyLimitMB < 1 || c.Server.BodyLimitMB > 4096 {
		return &Error{Key: "server.body_limit_mb", Reason: "must be between 1 and 4096"}
	}
	if c.Server.UploadLimitMB < 1 || c.Server.UploadLimitMB > 4096 {
		return &Error{Key: "server.upload_limit_mb", Reason: "must be between 1 and 4096"}
	}
	if c.Server.ShutdownTimeout <= 0 {
		return &Error{Key: "server.shutdown_timeout", Reason: "must be positive"}
	}
	if err := netguard.ParseAllow(c.Outbound.Allow); err != nil {
		return &Error{Key: "outbound.allow", Reason: err.Error()}
	}
	if c.Outbound.Timeout <= 0 {
		return &Error{Key: "outbound.timeout", Reason: "must be positive"}
	}
	if c.Outbound.MaxMB < 1 || c.Outbound.MaxMB > 1024 {
		return &Error{Key: "outbound.max_mb", Reason: "must be between 1 and 1024"}
	}
	if c.Calendar.FeedRefresh < Duration(time.Minute) || c.Calendar.FeedRefresh > Duration(7*24*time.Hour) {
		return &Error{Key: "calendar.feed_refresh", Reason: "must be between 1m and 168h"}
	}
	if c.Calendar.FeedMaxMB < 1 || c.Calendar.FeedMaxMB > 100 {
		return &Error{Key: "calendar.feed_max_mb", Reason: "must be between 1 and 100"}
	}
	if c.Calendar.FeedMaxEvents < 1 || c.Calendar.FeedMaxEvents > 100_000 {
		return &Error{Key: "calendar.feed_max_events", Reason: "must be between 1 and 100000"}
	}
	if err := c.Search.check(); err != nil {
		return err
	}
	if c.Data.Dir == "" {
		return &Error{Key: "data.dir", Reason: "must not be empty"}
	}
	if !oneOf(c.Data.Synchronous, "full", "normal") {
		return &Error{Key: "data.synchronous", Reason: "must be full or normal"}
	}
	if !oneOf(c.Log.Level, "debug", "info", "warn", "error") {
		return &Error{Key: "log.level", Reason: "must be debug, info, warn or error"}
	}
	if !oneOf(c.Log.Format, "text", "json") {
		return &Error{Key: "log.format", Reason: "must be text or json"}
	}
	switch c.TLS.Mode {
	case "self-signed":
	case "files":
		if c.TLS.CertFile == "" || c.TLS.KeyFile == "" {
			return &Error{Key: "tls.cert_file", Reason: "mode files needs cert_file and key_file"}
		}
	case "acme", "acme-dns":
		if len(c.TLS.Domains) == 0 {
			return &Error{Key: "tls.domains", Reason: "mode " + c.TLS.Mode + " needs at least one domain"}
		}
		if c.TLS.CA == "" {
			return &Error{Key: "tls.ca", Reason: "must name an ACME directory URL"}
		}
		if c.TLS.Mode == "acme-dns" && c.TLS.CloudflareAPIToken == "" {
			return &Error{Key: "tls.cloudflare_api_token", Reason: "mode acme-dns needs a Cloudflare API token"}
		}
	default:
		return &Error{Key: "tls.mode", Reason: "must be self-signed, files, acme or acme-dns"}
	}
	if !oneOf(c.Auth.Registration, "open", "approval", "closed") {
		return &Error{Key: "auth.registration", Reason: "must be open, approval or closed"}
	}
	for _, d := range []struct {
		key string
		v   Duration
	}{
		{"auth.access_token_ttl", c.Auth.AccessTokenTTL},
		{"auth.refresh_token_ttl", c.Auth.RefreshTokenTTL},
		{"auth.failure_window", c.Auth.FailureWindow},
		{"auth.events_max_age", c.Auth.EventsMaxAge},
	} {
		if d.v <= 0 {
			return &Error{Key: d.key, Reason: "must be positive"}
		}
	}
	for _, n := range []struct {
		key string
		v   int
	}{
		{"auth.max_failures_account", c.Auth.MaxFailuresAccount},
		{"auth.max_failures_ip", c.Auth.MaxFailuresIP},
		{"auth.max_failures_account_total", c.Auth.MaxFailuresAcctAll},
		{"auth.events_max_rows", c.Auth.EventsMaxRows},
		{"auth.api_requests_per_minute", c.Auth.APIRequestsPerMin},
		{"auth.argon2_memory_kib", c.Auth.Argon2MemoryKiB},
		{"auth.argon2_iterations", c.Auth.Argon2Iterations},
		{"auth.argon2_parallelism", c.Auth.Argon2Parallelism},
		{"auth.websockets_per_user", c.Auth.WebSocketsPerUser},
		{"cache.max_mb", c.Cache.MaxMB},
	} {
		if n.v < 1 {
			return &Error{Key: n.key, Reason: "must be at least 1"}
		}
	}
	if c.Auth.Argon2MemoryKiB < 8*1024 {
		return &Error{Key: "auth.argon2_memory_kib", Reason: "must be at least 8192 (8 MiB)"}
	}
	if !oneOf(c.LLM.Provider, "ollama", "openai", "demo") {
		return &Error{Key: "llm.provider", Reason: "must be ollama, openai or demo"}
	}
	if c.LLM.Provider != "demo" && !strings.HasPrefix(c.LLM.BaseURL, "http://") && !strings.HasPrefix(c.LLM.BaseURL, "https://") {
		return &Error{Key: "llm.base_url", Reason: "must be an http:// or https:// URL"}
	}
	// Browsers accept only a domain name as a passkey relying party.
	if id := c.WebAuthn.RPID; id != "" && (net.ParseIP(id) != nil || !validHostname(id)) {
		return &Error{Key: "webauthn.rp_id", Reason: fmt.Sprintf("%q is not a domain name (passkeys cannot use an IP address)", id)}
	}
	for _, o := range c.WebAuthn.RPOrigins {
		if !strings.HasPrefix(o, "http://") && !strings.HasPrefix(o, "https://") {
			return &Error{Key: "webauthn.rp_origins", Reason: fmt.Sprintf("%q is not an origin like https://example.com", o)}
		}
	}
	for _, o := range c.Server.AllowedOrigins {
		if !strings.HasPrefix(o, "http://") && !strings.HasPrefix(o, "https://") {
			return &Error{Key: "server.allowed_origins", Reason: fmt.Sprintf("%q is not an origin like https://example.com", o)}
		}
	}
	return nil
}

func checkAddr(addr string) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("%q is not host:port (%v)", addr, err)
	}
	p, err := strconv.Atoi(port)
	if err != nil || p < 0 || p > 65535 {
		return fmt.Errorf("%q has no usable port", addr)
	}
	if host != "" && net.ParseIP(host) == nil && !validHostname(host) {
		return fmt.Errorf("%q has no usable host", addr)
	}
	return nil
}

func validHostname(h string) bool {
	if len(h) > 253 {
		return false
	}
	for _, label := range strings.Split(h, ".") {
		if label == "" || len(label) > 63 {
			return false
		}
		for _, r := range label {
			if !(r == '-' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
				return false
			}
		}
	}
	return true
}

func oneOf(v string, opts ...string) bool {
	for _, o := range opts {
		if v == o {
			return true
		}
	}
	return false
}

// Path resolves p relative to the data directory unless it is absolute.
func (c *Config) Path(p ...string) string {
	return filepath.Join(append([]string{c.Data.Dir}, p...)...)
}

// Duration is a time.Duration written as "90s", "15m" or "168h" in TOML.
type Duration time.Duration

// D returns the standard library value.
func (d Duration) D() time.Duration { return time.Duration(d) }

// UnmarshalText parses Go duration syntax.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(strings.TrimSpace(string(b)))
	if err != nil {
		return fmt.Errorf("want a duration like 90s or 15m, got %q", string(b))
	}
	*d = Duration(v)
	return nil
}

// MarshalText writes Go duration syntax.
func (d Duration) MarshalText() ([]byte, error) { return []byte(time.Duration(d).String()), nil }

func (s Search) check() error {
	if !oneOf(s.Provider, "", "searxng", "brave", "tavily") {
		return &Error{Key: "search.provider", Reason: "must be searxng, brave or tavily"}
	}
	for _, u := range []struct{ key, v string }{{"search.base_url", s.BaseURL}, {"search.brave_url", s.BraveURL}, {"search.tavily_url", s.TavilyURL}} {
		if u.v == "" && u.key == "search.base_url" {
			continue
		}
		if p, err := url.Parse(u.v); err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
			return &Error{Key: u.key, Reason: "must be an http:// or https:// address"}
		}
	}
	if s.PerMinute < 1 || s.PerMinute > 10000 {
		return &Error{Key: "search.per_minute", Reason: "must be between 1 and 10000"}
	}
	if s.ResearchPages < 1 || s.ResearchPages > 10 {
		return &Error{Key: "search.research_pages", Reason: "must be between 1 and 10"}
	}
	for _, d := range []struct {
		key string
		v   Duration
	}{{"search.timeout", s.Timeout}, {"search.research_timeout", s.ResearchTimeout}, {"search.page_cache_ttl", s.PageCacheTTL}} {
		if d.v <= 0 {
			return &Error{Key: d.key, Reason: "must be positive"}
		}
	}
	return nil
}
