package auth

import (
	"bytes"
	"context"
	"regexp"
	"slices"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"github.com/aiwfe/aiwfe/app/config"
	"github.com/aiwfe/aiwfe/store"
)

// RFC 6238 appendix B (SHA1), truncated to six digits as apps show them.
func TestMatchTOTPVectors(t *testing.T) {
	const secret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ" // "12345678901234567890"
	for _, tc := range []struct {
		unix int64
		code string
	}{
		{59, "287082"}, {1111111109, "081804"}, {1111111111, "050471"},
		{1234567890, "005924"}, {2000000000, "279037"}, {20000000000, "353130"},
	} {
		step, ok := matchTOTP(secret, tc.code, time.Unix(tc.unix, 0))
		if !ok || step != tc.unix/30 {
			t.Errorf("%d: %s not matched (step %d, %v)", tc.unix, tc.code, step, ok)
		}
	}
	now := time.Unix(1234567890, 0)
	for _, tc := range []struct {
		name string
		at   time.Time
		ok   bool
	}{
		{"previous step", now.Add(-30 * time.Second), true},
		{"next step", now.Add(30 * time.Second), true},
		{"two steps old", now.Add(-60 * time.Second), false},
		{"two steps ahead", now.Add(60 * time.Second), false},
	} {
		code, _ := totp.GenerateCode(secret, tc.at)
		if _, ok := matchTOTP(secret, code, now); ok != tc.ok {
			t.Errorf("%s: matched %v, want %v", tc.name, ok, tc.ok)
		}
	}
	for _, bad := range []string{"", "12345", "1234567", "abcdef", "00592４"} {
		if _, ok := matchTOTP(secret, bad, now); ok {
			t.Errorf("%q matched", bad)
		}
	}
	if _, ok := matchTOTP(secret, " 005 924 ", now); !ok {
		t.Error("spaces are not ignored")
	}
}

func TestBackupCodes(t *testing.T) {
	m := &MFA{rand: bytes.NewReader(bytes.Repeat([]byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}, 20))}
	codes, hashes, salt, err := m.newBackupCodes()
	if err != nil || len(codes) != BackupCodeCount || len(hashes) != BackupCodeCount || len(salt) != 32 {
		t.Fatalf("%v %v %q %v", codes, hashes, salt, err)
	}
	seen := map[string]bool{}
	for i, c := range codes {
		if !regexp.MustCompile(`^[a-z2-7]{4}-[a-z2-7]{4}$`).MatchString(c) || seen[c] {
			t.Fatalf("code %q (repeated: %v)", c, seen[c])
		}
		seen[c] = true
		if hashBackupCode(salt, normalizeBackupCode(c)) != hashes[i] {
			t.Fatalf("hash of %q", c)
		}
	}
	if hashBackupCode("a", "abcdefgh") == hashBackupCode("b", "abcdefgh") {
		t.Fatal("salt ignored")
	}
	for in, want := range map[string]string{"ABCD-EFGH": "abcdefgh", " abcd efgh ": "abcdefgh", "abcdefgh": "abcdefgh"} {
		if got := normalizeBackupCode(in); got != want {
			t.Errorf("%q → %q", in, got)
		}
	}
}

func TestRelyingParty(t *testing.T) {
	for _, tc := range []struct {
		name    string
		set     func(*config.Config)
		id      string
		origins []string
	}{
		{"defaults: localhost and the listeners", func(*config.Config) {}, "localhost", []string{"http://localhost:8080", "https://localhost:8443"}},
		{"public URL", func(c *config.Config) { c.Server.PublicURL = "https://AI.Example.com/app" }, "ai.example.com", []string{"https://ai.example.com"}},
		{"public URL with a port", func(c *config.Config) { c.Server.PublicURL = "https://ai.example.com:8443" }, "ai.example.com", []string{"https://ai.example.com:8443"}},
		{"configured", func(c *config.Config) {
			c.Server.PublicURL = "https://other.example"
			c.WebAuthn.RPID, c.WebAuthn.RPOrigins = "example.com", []string{"https://a.example.com", "https://b.example.com"}
		}, "example.com", []string{"https://a.example.com", "https://b.example.com"}},
		{"rp id with listeners on default ports", func(c *config.Config) {
			c.WebAuthn.RPID, c.Server.HTTP, c.Server.HTTPS = "box.lan", ":80", "0.0.0.0:443"
		}, "box.lan", []string{"http://box.lan", "https://box.lan"}},
		{"ports not known yet", func(c *config.Config) { c.Server.HTTP, c.Server.HTTPS = "127.0.0.1:0", "" }, "localhost", []string{"http://localhost", "https://localhost"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := config.Default()
			tc.set(cfg)
			id, origins := (&MFA{cfg: cfg}).RelyingParty()
			if id != tc.id || !slices.Equal(origins, tc.origins) {
				t.Fatalf("got %q %v, want %q %v", id, origins, tc.id, tc.origins)
			}
		})
	}
}

// The service-level flow with the test clock: setup, verify, the login's
// second step, replay refused, trust, admin reset.
func TestMFAFlow(t *testing.T) {
	s, clk := newService(t)
	cfg := config.Default()
	m := NewMFA(s, cfg, nil)
	ctx := context.Background()
	c := Client{IP: "10.0.0.9", UserAgent: "test browser"}
	const pw = "correct horse battery"
	s.Register(ctx, "root@example.com", pw, c)
	uv, err := s.CreateUser(ctx, "ada@example.com", pw, "user")
	if err != nil {
		t.Fatal(err)
	}
	p := &Principal{UserID: uv.ID, Email: uv.Email, Role: "user"}

	setup, err := m.TOTPSetup(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	first, _ := totp.GenerateCode(setup.Secret, clk.Now())
	codes, err := m.TOTPVerify(ctx, p, first, c)
	if err != nil || len(codes) != 10 {
		t.Fatalf("verify: %v %v", codes, err)
	}
	st, _ := m.Status(ctx, uv.ID)
	if !st.TOTPEnabled || st.BackupCodesRemaining != 10 || !slices.Equal(st.Methods, []string{"totp", "backup_code"}) {
		t.Fatalf("status %+v", st)
	}
	if u, _ := store.UserByID(ctx, s.store.DB, uv.ID); !u.TFAEnabled {
		t.Fatal("users.tfa_enabled not set")
	}

	r, err := s.Login(ctx, "ada@example.com", pw, c)
	if err != nil || r.Challenge == nil {
		t.Fatalf("login: %+v %v", r, err)
	}
	in := SecondFactorInput{MFAToken: r.Challenge.MFAToken, Method: "totp", Response: first, Client: c}
	if _, err := m.CompleteLogin(ctx, in); code(err) != "validation_failed" {
		t.Fatalf("the enabling code again: %v", err)
	}
	clk.Advance(30 * time.Second)
	in.Response, _ = totp.GenerateCode(setup.Secret, clk.Now())
	in.TrustDevice = true
	sess, err := m.CompleteLogin(ctx, in)
	if err != nil || sess.AccessToken == "" {
		t.Fatalf("complete: %v", err)
	}
	// Trusted now: the next login needs no second step.
	if r, err := s.Login(ctx, "ada@example.com", pw, c); err != nil || r.Session == nil {
		t.Fatalf("trusted login: %+v %v", r, err)
	}
	// Another client is challenged; a backup code works once.
	other := Client{IP: "10.0.0.9", UserAgent: "another browser"}
	r, _ = s.Login(ctx, "ada@example.com", pw, other)
	if _, err := m.CompleteLogin(ctx, SecondFactorInput{MFAToken: r.Challenge.MFAToken, Method: "backup_code", Response: codes[0], Client: other}); err != nil {
		t.Fatalf("backup code: %v", err)
	}
	r, _ = s.Login(ctx, "ada@example.com", pw, other)
	if _, err := m.CompleteLogin(ctx, SecondFactorInput{MFAToken: r.Challenge.MFAToken, Method: "backup_code", Response: codes[0], Client: other}); code(err) != "validation_failed" {
		t.Fatalf("backup code twice: %v", err)
	}

	// An admin may not strip their own factors without the password and a code.
	admin := &Principal{UserID: uv.ID, Email: uv.Email, Role: "admin"}
	if err := m.AdminReset(ctx, admin, uv.ID, c); code(err) != "forbidden" {
		t.Fatalf("self reset: %v", err)
	}
	if err := m.AdminResetByEmail(ctx, "ADA@example.com"); err != nil {
		t.Fatal(err)
	}
	if r, err := s.Login(ctx, "ada@example.com", pw, other); err != nil || r.Session == nil {
		t.Fatalf("login after reset: %+v %v", r, err)
	}
	d, _ := store.ListDevices(ctx, s.store.DB, uv.ID)
	for _, dv := range d {
		if s.DeviceTrusted(dv) {
			t.Fatal("device still trusted after reset")
		}
	}
	if err := m.AdminResetByEmail(ctx, "nobody@example.com"); code(err) != "not_found" {
		t.Fatalf("unknown email: %v", err)
	}
}

func TestUseTOTPStep(t *testing.T) {
	s, clk := newService(t)
	ctx := context.Background()
	u, _ := s.CreateUser(ctx, "h@example.com", "correct horse battery", "user")
	db := s.store.DB
	if err := store.UseTOTPStep(ctx, db, u.ID, 100, clk.Now(), time.Hour); err != nil {
		t.Fatal(err)
	}
	for _, step := range []int64{100, 99} {
		if err := store.UseTOTPStep(ctx, db, u.ID, step, clk.Now(), time.Hour); err != store.ErrReplay {
			t.Fatalf("step %d: %v", step, err)
		}
	}
	clk.Advance(2 * time.Hour)
	if err := store.UseTOTPStep(ctx, db, u.ID, 101, clk.Now(), time.Hour); err != nil {
		t.Fatal(err)
	}
	// Pruning keeps the floor: an old step stays refused.
	clk.Advance(2 * time.Hour)
	if err := store.UseTOTPStep(ctx, db, u.ID, 101, clk.Now(), time.Hour); err != store.ErrReplay {
		t.Fatalf("after pruning: %v", err)
	}
}
