package auth

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aiwfe/aiwfe/app/apperr"
	"github.com/aiwfe/aiwfe/app/config"
	"github.com/aiwfe/aiwfe/store"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time          { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Advance(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

func newService(t *testing.T, mut ...func(*config.Config)) (*Service, *clock) {
	t.Helper()
	cfg := config.Default()
	cfg.Auth.Argon2MemoryKiB, cfg.Auth.Argon2Iterations = 1024, 1
	for _, m := range mut {
		m(cfg)
	}
	st, err := store.Open(filepath.Join(t.TempDir(), "aiwfe.db"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	cache, _ := store.NewCache(4)
	t.Cleanup(func() { cache.Close(); st.Close() })
	clk := &clock{t: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	s, err := New(Deps{Config: cfg, Store: st, Cache: cache, JWTSecret: []byte("jwt secret for tests, 32 bytes.."),
		CSRFSecret: []byte("csrf secret for tests"), EncryptionKey: []byte("encryption key for tests"), Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	return s, clk
}

func code(err error) string {
	var e *apperr.Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

func TestPasswordHashing(t *testing.T) {
	prm := Argon2Params{MemoryKiB: 1024, Iterations: 1, Parallelism: 1}
	h, err := HashPassword("correct horse battery", prm)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=1024,t=1,p=1$") || strings.Count(h, "$") != 5 {
		t.Fatalf("not a PHC argon2id string: %s", h)
	}
	h2, _ := HashPassword("correct horse battery", prm)
	if h == h2 {
		t.Fatal("salt is not random")
	}
	if ok, err := VerifyPassword("correct horse battery", h); !ok || err != nil {
		t.Fatalf("verify: %v %v", ok, err)
	}
	if ok, _ := VerifyPassword("correct horse batterY", h); ok {
		t.Fatal("wrong password verified")
	}
	for _, bad := range []string{"", "$argon2i$v=19$m=1,t=1,p=1$AA$AA", "$argon2id$v=19$m=99999999,t=1,p=1$AA$AA", "plain", "$argon2id$v=19$m=1024,t=1,p=1$!!$AA"} {
		if ok, err := VerifyPassword("x", bad); ok || err == nil {
			t.Errorf("malformed hash %q accepted", bad)
		}
	}
}

func TestPasswordPolicy(t *testing.T) {
	for _, tc := range []struct {
		pw string
		ok bool
	}{
		{"short", false},
		{"password123", false},
		{"PASSWORD123", false},
		{"qwertyuiop", false},
		{"1234567890", false},
		{"iloveyou123", false},
		{strings.Repeat("x", 1025), false},
		{"\xff\xfe invalid utf8 bytes", false},
		{"ten chars!", true},
		{"correct horse battery staple", true},
		{strings.Repeat("x", 1024), true},
	} {
		err := CheckPasswordPolicy("password", tc.pw)
		if (err == nil) != tc.ok {
			t.Errorf("%.20q: err=%v, want ok=%v", tc.pw, err, tc.ok)
		}
	}
	if n := len(commonPasswords); n < 1000 {
		t.Fatalf("only %d common passwords", n)
	}
}

func TestGeneratePassword(t *testing.T) {
	a, b := GeneratePassword(), GeneratePassword()
	if a == b || len(a) != 20 || CheckPasswordPolicy("p", a) != nil {
		t.Fatalf("generated %q %q", a, b)
	}
}

func TestCSRFTokens(t *testing.T) {
	s, clk := newService(t)
	tok := s.NewCSRFToken()
	if !s.CheckCSRF(tok, tok) {
		t.Fatal("fresh token refused")
	}
	other := s.NewCSRFToken()
	parts := strings.Split(tok, ":")
	for name, tc := range map[string][2]string{
		"empty":            {"", ""},
		"mismatch":         {tok, other},
		"forged signature": {parts[0] + ":" + parts[1] + ":" + strings.Repeat("a", 64), parts[0] + ":" + parts[1] + ":" + strings.Repeat("a", 64)},
		"moved timestamp":  {"9" + tok[1:], "9" + tok[1:]},
		"no signature":     {parts[0] + ":" + parts[1], parts[0] + ":" + parts[1]},
	} {
		if s.CheckCSRF(tc[0], tc[1]) {
			t.Errorf("%s accepted", name)
		}
	}
	clk.Advance(59 * time.Minute)
	if !s.CheckCSRF(tok, tok) {
		t.Fatal("59-minute-old token refused")
	}
	clk.Advance(2 * time.Minute)
	if s.CheckCSRF(tok, tok) {
		t.Fatal("expired token accepted")
	}
	// Another secret's tokens are refused.
	s2, _ := newService(t)
	s2.csrf = []byte("another csrf secret")
	if s2.CheckCSRF(other, other) {
		t.Fatal("token of another key accepted")
	}
}

func TestSecretBox(t *testing.T) {
	b, err := NewSecretBox([]byte("0123456789abcdef0123"))
	if err != nil {
		t.Fatal(err)
	}
	sealed, _ := b.Seal("sk-secret", "users.web_search_api_key:1")
	again, _ := b.Seal("sk-secret", "users.web_search_api_key:1")
	if sealed == again || strings.Contains(sealed, "sk-secret") {
		t.Fatal("sealing is deterministic or plain")
	}
	if got, err := b.Open(sealed, "users.web_search_api_key:1"); err != nil || got != "sk-secret" {
		t.Fatalf("open: %q %v", got, err)
	}
	if _, err := b.Open(sealed, "users.web_search_api_key:2"); err == nil {
		t.Fatal("ciphertext moved to another row opened")
	}
	mid := len(sealed) / 2
	flipped := sealed[:mid] + string("AB"[map[bool]int{true: 1, false: 0}[sealed[mid] == 'A']]) + sealed[mid+1:]
	if _, err := b.Open(flipped, "users.web_search_api_key:1"); err == nil {
		t.Fatal("tampered ciphertext opened")
	}
	other, _ := NewSecretBox([]byte("another key entirely!"))
	if _, err := other.Open(sealed, "users.web_search_api_key:1"); err == nil {
		t.Fatal("opened with another key")
	}
	if _, err := NewSecretBox([]byte("short")); err == nil {
		t.Fatal("short key accepted")
	}
}

func TestDeviceNames(t *testing.T) {
	for _, tc := range []struct {
		c    Client
		want string
	}{
		{Client{UserAgent: "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36"}, "Chrome on Linux"},
		{Client{UserAgent: "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36 Edg/131.0"}, "Edge on Windows"},
		{Client{UserAgent: "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_0; rv:128.0) Gecko/20100101 Firefox/128.0"}, "Firefox on macOS"},
		{Client{UserAgent: "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1"}, "Safari on iOS"},
		{Client{UserAgent: "Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Mobile Safari/537.36"}, "Chrome on Android"},
		{Client{UserAgent: "Mozilla/5.0 (X11; Linux x86_64) Chrome/131.0", HintPlatform: `"Windows"`}, "Chrome on Windows"},
		{Client{UserAgent: "curl/8.5.0"}, "curl"},
		{Client{UserAgent: ""}, "Unknown device"},
	} {
		if got := tc.c.DeviceName(); got != tc.want {
			t.Errorf("%q: %q, want %q", tc.c.UserAgent, got, tc.want)
		}
	}
	a := Client{UserAgent: "x", HintMobile: "?0"}
	b := Client{UserAgent: "x", HintMobile: "?1"}
	if a.Fingerprint() == b.Fingerprint() || len(a.Fingerprint()) != 64 {
		t.Fatal("client hints do not change the fingerprint")
	}
}

func TestNormalizeEmail(t *testing.T) {
	for in, want := range map[string]string{" A@B.example ": "a@b.example", "x.y+z@example.com": "x.y+z@example.com"} {
		if got, err := NormalizeEmail("email", in); err != nil || got != want {
			t.Errorf("%q: %q %v", in, got, err)
		}
	}
	for _, bad := range []string{"", "a", "@b", "a@", "A <a@b.c>", "a b@c.d", "' OR 1=1 --", "a@b.c,d@e.f", strings.Repeat("a", 250) + "@b.cc"} {
		if _, err := NormalizeEmail("email", bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestLoginBackoffGrows(t *testing.T) {
	s, clk := newService(t)
	ctx := context.Background()
	if _, err := s.Register(ctx, "a@example.com", "correct horse battery", Client{}); err != nil {
		t.Fatal(err)
	}
	var retries []time.Duration
	for i := 0; i < 14; i++ {
		_, err := s.Login(ctx, "a@example.com", "wrong password!", Client{IP: "10.0.0.1"})
		var e *apperr.Error
		if errors.As(err, &e) && e.Code == "rate_limited" {
			retries = append(retries, e.RetryAfter)
			clk.Advance(e.RetryAfter)
		}
	}
	if len(retries) < 3 {
		t.Fatalf("lockouts: %v", retries)
	}
	for i := 1; i < len(retries); i++ {
		if retries[i] <= retries[i-1] && retries[i] < time.Hour {
			t.Fatalf("backoff does not grow: %v", retries)
		}
	}
	// It is capped at an hour.
	for i := 0; i < 20; i++ {
		s.logins.backoff(i)
	}
	if d := s.logins.backoff(30); d != time.Hour {
		t.Fatalf("cap: %v", d)
	}
}

func TestPruneSessions(t *testing.T) {
	s, clk := newService(t)
	ctx := context.Background()
	s.Register(ctx, "a@example.com", "correct horse battery", Client{})
	r, err := s.Login(ctx, "a@example.com", "correct horse battery", Client{})
	if err != nil {
		t.Fatal(err)
	}
	p, _ := s.ValidateAccess(ctx, r.Session.AccessToken)
	if err := s.Logout(ctx, p, r.Session.RefreshToken, Client{}); err != nil {
		t.Fatal(err)
	}
	count := func(table string) (n int) {
		s.store.DB.QueryRow("SELECT COUNT(*) FROM " + table).Scan(&n)
		return n
	}
	if count("revoked_tokens") != 1 || count("refresh_tokens") != 1 {
		t.Fatal("nothing to prune")
	}
	s.Prune(ctx)
	if count("revoked_tokens") != 1 || count("refresh_tokens") != 1 {
		t.Fatal("pruned live rows")
	}
	clk.Advance(8 * 24 * time.Hour)
	s.Prune(ctx)
	if count("revoked_tokens") != 0 || count("refresh_tokens") != 0 {
		t.Fatal("expired rows kept")
	}
}
