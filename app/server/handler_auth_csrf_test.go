package server_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/aiwfe/aiwfe/app/config"
	"github.com/aiwfe/aiwfe/app/server/servertest"
)

func TestCSRFToken(t *testing.T) {
	srv := servertest.Start(t)
	c := srv.Client(t)
	res := c.Get("/api/v1/auth/csrf-token")
	if res.Status != 200 {
		t.Fatal(res)
	}
	tok := res.Map(t)["csrf_token"].(string)
	if parts := strings.Split(tok, ":"); len(parts) != 3 || len(parts[2]) != 64 {
		t.Fatalf("token %q is not ts:nonce:hmac", tok)
	}
	if c.Cookie("/", "csrf_token") != tok {
		t.Fatal("csrf_token cookie does not match the body")
	}
	sc := res.Header.Get("Set-Cookie")
	if strings.Contains(strings.ToLower(sc), "httponly") || !strings.Contains(strings.ToLower(sc), "samesite=lax") || !strings.Contains(strings.ToLower(sc), "path=/") {
		t.Errorf("csrf cookie attributes: %s", sc)
	}
}

func TestCSRFAndOrigin(t *testing.T) {
	srv := servertest.Start(t, func(c *config.Config) {
		c.Server.AllowedOrigins = []string{"https://app.example.com"}
		c.Server.PublicURL = "https://aiwfe.example.org/"
	})
	u := srv.Superuser(t)
	valid := u.FetchCSRF()
	body := servertest.Request{JSON: map[string]any{"theme": "dark"}}
	withHeaders := func(h map[string]string) servertest.Request {
		r := body
		r.Headers = h
		return r
	}
	forged := func(tok string) servertest.Request {
		return withHeaders(map[string]string{"X-CSRF-TOKEN": tok})
	}
	parts := strings.Split(valid, ":")
	for _, sc := range []servertest.Scenario{
		{Name: "valid token", Method: "PUT", Path: "/api/v1/profile", Request: body, WantStatus: 200},
		{Name: "missing header", Method: "PUT", Path: "/api/v1/profile", Request: forged(""), Before: noCSRF, WantStatus: 403, WantCode: "csrf_failed"},
		{Name: "header differs from cookie", Method: "PUT", Path: "/api/v1/profile", Request: forged(srv.App.Auth.NewCSRFToken()), WantStatus: 403, WantCode: "csrf_failed"},
		{Name: "forged signature", Method: "PUT", Path: "/api/v1/profile", Before: setCSRF(parts[0] + ":" + parts[1] + ":" + strings.Repeat("0", 64)), Request: forged(parts[0] + ":" + parts[1] + ":" + strings.Repeat("0", 64)), WantStatus: 403, WantCode: "csrf_failed"},
		{Name: "expired token", Method: "PUT", Path: "/api/v1/profile", Before: func(t *testing.T, c *servertest.Client) {
			srv.Advance(-2 * 3600e9)
			old := srv.App.Auth.NewCSRFToken()
			srv.Advance(2 * 3600e9)
			c.SetCookie("csrf_token", old, "/")
		}, Request: forged(""), WantStatus: 403, WantCode: "csrf_failed"},
		{Name: "bad origin", Method: "PUT", Path: "/api/v1/profile", Request: withHeaders(map[string]string{"Origin": "https://evil.example"}), WantStatus: 403, WantCode: "origin_not_allowed"},
		{Name: "null origin", Method: "PUT", Path: "/api/v1/profile", Request: withHeaders(map[string]string{"Origin": "null"}), WantStatus: 403, WantCode: "origin_not_allowed"},
		{Name: "bad referer", Method: "PUT", Path: "/api/v1/profile", Request: withHeaders(map[string]string{"Referer": "https://evil.example/page"}), WantStatus: 403, WantCode: "origin_not_allowed"},
		{Name: "own origin", Method: "PUT", Path: "/api/v1/profile", Request: withHeaders(map[string]string{"Origin": srv.URL}), WantStatus: 200},
		{Name: "allowed origin", Method: "PUT", Path: "/api/v1/profile", Request: withHeaders(map[string]string{"Origin": "https://app.example.com"}), WantStatus: 200},
		{Name: "public url origin", Method: "PUT", Path: "/api/v1/profile", Request: withHeaders(map[string]string{"Referer": "https://aiwfe.example.org/settings"}), WantStatus: 200},
		{Name: "GET needs no token", Method: "GET", Path: "/api/v1/profile", WantStatus: 200},
		{Name: "login needs the token too", Method: "POST", Path: "/api/v1/auth/jwt/login", Before: noCSRF,
			Request: servertest.Request{JSON: map[string]string{"email": "root@example.com", "password": servertest.Password}}, WantStatus: 403, WantCode: "csrf_failed"},
	} {
		sc.Run(t, u)
		u.NoCSRF = false
		u.SetCookie("csrf_token", valid, "/")
	}

	// A native client with a Bearer token needs no CSRF token, but a bad
	// Origin is still refused.
	n := srv.Client(t)
	n.Bearer = u.Cookie("/", "access_token")
	n.NoCSRF = true
	servertest.Scenario{Name: "bearer exempt", Method: "PUT", Path: "/api/v1/profile", Request: body, WantStatus: 200}.Run(t, n)
	servertest.Scenario{Name: "bearer bad origin", Method: "PUT", Path: "/api/v1/profile", Request: withHeaders(map[string]string{"Origin": "https://evil.example"}), WantStatus: 403, WantCode: "origin_not_allowed"}.Run(t, n)
}

func noCSRF(t *testing.T, c *servertest.Client) { c.NoCSRF = true }

func setCSRF(tok string) func(*testing.T, *servertest.Client) {
	return func(t *testing.T, c *servertest.Client) { c.SetCookie("csrf_token", tok, "/") }
}

var _ = fmt.Sprint
var _ = http.MethodGet
