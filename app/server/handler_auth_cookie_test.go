package server_test

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aiwfe/aiwfe/app/server/servertest"
)

// sessionCookies parses the Set-Cookie headers of a response by name.
func sessionCookies(res *servertest.Response) map[string]*http.Cookie {
	out := map[string]*http.Cookie{}
	for _, ck := range (&http.Response{Header: res.Header}).Cookies() {
		out[ck.Name] = ck
	}
	return out
}

// The access token is a bearer credential: script on the page (an injected
// one included) must not read it. It travels HttpOnly; what the UI needs —
// when to refresh — comes as the access_expires cookie and the body's
// expires_at, both the token's exp claim.
func TestAccessCookieIsHttpOnlyAndExpiryIsReadable(t *testing.T) {
	srv := servertest.Start(t)
	u := srv.User(t, "user")
	check := func(t *testing.T, what string, res *servertest.Response) {
		t.Helper()
		if res.Status != 200 {
			t.Fatalf("%s: %s", what, res)
		}
		cks := sessionCookies(res)
		access, expires := cks["access_token"], cks["access_expires"]
		if access == nil || !access.HttpOnly || access.Path != "/" || access.SameSite != http.SameSiteLaxMode {
			t.Fatalf("%s: access cookie %+v, want HttpOnly, Path=/, SameSite=Lax", what, access)
		}
		exp := int64(claimsOf(t, access.Value)["exp"].(float64))
		if expires == nil || expires.HttpOnly || expires.Path != "/" || expires.Value != strconv.FormatInt(exp, 10) || expires.MaxAge != access.MaxAge {
			t.Fatalf("%s: access_expires cookie %+v, want readable, Path=/, value %d, Max-Age %d", what, expires, exp, access.MaxAge)
		}
		if got := int64(res.Map(t)["expires_at"].(float64)); got != exp {
			t.Fatalf("%s: expires_at %d, want the token's exp %d", what, got, exp)
		}
	}
	check(t, "login", u.Login(u.Email, servertest.Password))
	srv.Advance(2 * time.Second) // a later second, so the renewed token differs
	check(t, "refresh", u.Post("/api/v1/auth/refresh", nil))

	// The cookie alone still authenticates the API and the WebSocket
	// handshake, as the browser sends it.
	if res := u.Get("/api/v1/auth/validate"); res.Status != 200 {
		t.Fatalf("validate by cookie: %s", res)
	}
	hdr := http.Header{"Cookie": {"access_token=" + u.Cookie("/", "access_token")}}
	conn, res, err := tryDialWS(srv.URL, "/api/v1/ws/notifications", "", hdr)
	if err != nil {
		t.Fatalf("WebSocket by cookie: %v (%v)", err, res)
	}
	conn.Close()

	// Logout clears both.
	out := u.Delete("/api/v1/auth/logout")
	cks := sessionCookies(out)
	for _, name := range []string{"access_token", "access_expires"} {
		if ck := cks[name]; ck == nil || ck.Value != "" || (ck.MaxAge >= 0 && !ck.Expires.Before(time.Now())) {
			t.Errorf("logout: %s cookie %+v, want it cleared", name, ck)
		}
	}
	if strings.Contains(string(out.Body), "access") {
		t.Errorf("logout body: %s", out.Body)
	}
}
