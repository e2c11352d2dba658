package server_test

import (
	"fmt"
	"net"
	"strconv"
	"strings"
	"testing"

	"github.com/aiwfe/aiwfe/app/auth/webauthntest"
	"github.com/aiwfe/aiwfe/app/config"
	"github.com/aiwfe/aiwfe/app/server/servertest"
)

// fillCache puts the cache under pressure the way a busy server does: many
// new entries, and hot entries read again and again (which the cache's
// admission policy prefers over newcomers).
func fillCache(srv *servertest.Server, round int) {
	c := srv.App.Cache
	for i := 0; i < 4000; i++ {
		k := fmt.Sprintf("pressure:%d:%d", round, i)
		c.Set(k, i, 0)
		for j := 0; j < 3; j++ {
			c.Get(k)
		}
	}
}

// Login lockouts, the API rate limit and the MFA wrong-answer counter hold
// while the cache is full and busy: they do not live in it.
func TestSecurityCountersSurviveCachePressure(t *testing.T) {
	srv := servertest.Start(t, func(c *config.Config) {
		c.Cache.MaxMB = 1
		c.Auth.APIRequestsPerMin = 20
	})
	srv.Superuser(t)

	t.Run("login lockout", func(t *testing.T) {
		c := srv.Client(t)
		c.Register("victim@example.com", servertest.Password)
		for i := 0; i < 5; i++ {
			fillCache(srv, i)
			if res := c.Login("victim@example.com", "wrong password!"); res.Status != 401 {
				t.Fatalf("failure %d: %s", i+1, res)
			}
		}
		fillCache(srv, 100)
		if res := c.Login("victim@example.com", servertest.Password); res.Status != 429 {
			t.Fatalf("the lockout did not hold under cache pressure: %s", res)
		}
	})

	t.Run("api limit", func(t *testing.T) {
		u := srv.User(t, "user")
		limited := false
		for i := 0; i < 40 && !limited; i++ {
			fillCache(srv, 200+i)
			limited = u.Get("/api/v1/auth/validate").Status == 429
		}
		if !limited {
			t.Fatal("40 requests within a minute passed a limit of 20 under cache pressure")
		}
	})

	t.Run("mfa wrong answers", func(t *testing.T) {
		u := srv.User(t, "user")
		secret, _ := enableTOTP(t, srv, u)
		c := srv.Client(t)
		ch := passwordStep(t, c, u.Email)
		for i := 1; i <= 5; i++ {
			fillCache(srv, 300+i)
			res := answer(c, ch.MFAToken, "totp", "000000", false)
			if i == 5 && (res.Status != 401 || !strings.Contains(string(res.Body), "too many wrong codes")) {
				t.Fatalf("fifth wrong code under cache pressure: %s", res)
			}
		}
		if res := answer(c, ch.MFAToken, "totp", servertest.OATHTool(t, secret, srv.Now()), false); res.Status != 401 {
			t.Fatalf("voided token accepted: %s", res)
		}
	})
}

// from is a client whose requests come from ip through the trusted proxy.
func from(srv *servertest.Server, t *testing.T, ip string) func(email, password string) *servertest.Response {
	c := srv.Client(t)
	return func(email, password string) *servertest.Response {
		return c.Do("POST", "/api/v1/auth/jwt/login", servertest.Request{
			JSON:    map[string]string{"email": email, "password": password},
			Headers: map[string]string{"X-Forwarded-For": ip},
		})
	}
}

// Wrong passwords from one IP lock the account for that IP only; the
// owner elsewhere still signs in. Only many failures from many IPs (the
// account-wide ceiling) lock the account for everyone.
func TestLoginLockoutPerAccountAndIP(t *testing.T) {
	srv := servertest.Start(t, func(c *config.Config) {
		c.Server.TrustedProxies = []string{"127.0.0.1"}
		c.Auth.MaxFailuresAcctAll = 12
	})
	srv.Client(t).Register("owner@example.com", servertest.Password)
	attacker, owner := from(srv, t, "203.0.113.7"), from(srv, t, "198.51.100.2")
	for i := 0; i < 5; i++ {
		if res := attacker("owner@example.com", "wrong password!"); res.Status != 401 {
			t.Fatalf("failure %d: %s", i+1, res)
		}
	}
	if res := attacker("owner@example.com", servertest.Password); res.Status != 429 {
		t.Fatalf("the attacker's IP is not locked out: %s", res)
	}
	if res := owner("owner@example.com", servertest.Password); res.Status != 200 {
		t.Fatalf("five wrong passwords from another IP locked the owner out: %s", res)
	}
	// The account-wide ceiling: 12 failures in all, from three more IPs
	// (each below its own limit), lock the account everywhere.
	for n := 5; n < 12; n++ {
		try := from(srv, t, "192.0.2."+strconv.Itoa(n/3))
		if res := try("owner@example.com", "wrong password!"); res.Status != 401 {
			t.Fatalf("failure %d: %s", n+1, res)
		}
	}
	if res := owner("owner@example.com", servertest.Password); res.Status != 429 {
		t.Fatalf("the account-wide ceiling did not lock the account: %s", res)
	}
}

// A passkey signs in through a password lockout: it cannot be guessed, and
// the lockout is something anyone knowing the email can cause.
func TestPasskeyThroughPasswordLockout(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
	ln.Close()
	srv := servertest.Start(t, func(c *config.Config) {
		c.Server.HTTP = "127.0.0.1:" + port
		c.Auth.MaxFailuresAcctAll = 5
	})
	u := srv.Superuser(t)
	a := webauthntest.New("http://localhost:" + port)
	kc := addPasskey(t, u, a, "laptop")
	c := srv.Client(t)
	for i := 0; i < 5; i++ {
		if res := c.Login(u.Email, "wrong password!"); res.Status != 401 {
			t.Fatalf("failure %d: %s", i+1, res)
		}
	}
	if res := c.Login(u.Email, servertest.Password); res.Status != 429 {
		t.Fatalf("not locked: %s", res)
	}
	if res := passkeyLogin(t, c, a, kc); res.Status != 200 {
		t.Fatalf("passkey sign-in during a password lockout: %s", res)
	}
}

// A locked-out client that keeps trying writes one rate_limited row per
// window, not one per request.
func TestRateLimitedAuditedOncePerWindow(t *testing.T) {
	srv := servertest.Start(t)
	root := srv.Superuser(t)
	c := srv.Client(t)
	for i := 0; i < 5; i++ {
		c.Login("nobody@example.com", "wrong password!")
	}
	for i := 0; i < 30; i++ {
		if res := c.Login("nobody@example.com", "wrong password!"); res.Status != 429 {
			t.Fatalf("attempt %d: %s", i+6, res)
		}
		c.Login("not an email", "wrong password!")
	}
	res := root.Get("/api/v1/admin/audit?per_page=100")
	if n := strings.Count(string(res.Body), `"reason":"rate_limited"`); n != 1 {
		t.Fatalf("%d rate_limited rows for one locked-out client, want 1", n)
	}
	if n := strings.Count(string(res.Body), `"reason":"invalid_email"`); n != 1 {
		t.Fatalf("%d invalid_email rows for one client, want 1", n)
	}
}
