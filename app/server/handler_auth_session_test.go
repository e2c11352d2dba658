package server_test

import (
	"testing"

	"github.com/aiwfe/aiwfe/app/server/servertest"
)

// The UI's one question on every page load: always 200, so a signed-out
// visit logs no failed request in the browser's console.
func TestSessionProbe(t *testing.T) {
	srv := servertest.Start(t)
	root := srv.Superuser(t)
	user := srv.User(t, "user")
	userRefresh := user.Cookie("/api/v1/auth", "refresh_token")
	if userRefresh == "" {
		t.Fatal("a signed-in client holds no refresh cookie")
	}

	anon := srv.Client(t)
	expired := srv.Client(t) // only the refresh cookie: the access cookie has expired
	expired.SetCookie("refresh_token", userRefresh, "/api/v1/auth")
	forged := srv.Client(t)
	forged.SetCookie("access_token", "not.a.jwt", "/")
	loggedOut := srv.User(t, "user")

	for _, sc := range []servertest.Scenario{
		{Name: "signed in", Client: root, Method: "GET", Path: "/api/v1/auth/session", WantStatus: 200,
			WantContains:    []string{`"authenticated":true`, `"email":"root@example.com"`, `"role":"superuser"`},
			WantNotContains: []string{"password_hash", "refresh"},
			WantHeaders:     map[string]string{"Cache-Control": "no-store"}},
		{Name: "no cookies", Client: anon, Method: "GET", Path: "/api/v1/auth/session", WantStatus: 200,
			WantContains:    []string{`"authenticated":false`, `"refreshable":false`},
			WantNotContains: []string{`"user"`, `"error"`},
			WantHeaders:     map[string]string{"Cache-Control": "no-store"}},
		{Name: "only a refresh cookie", Client: expired, Method: "GET", Path: "/api/v1/auth/session", WantStatus: 200,
			WantContains: []string{`"authenticated":false`, `"refreshable":true`}},
		{Name: "a forged access cookie", Client: forged, Method: "GET", Path: "/api/v1/auth/session", WantStatus: 200,
			WantContains: []string{`"authenticated":false`, `"refreshable":false`}},
		{Name: "after logout", Client: loggedOut, Method: "GET", Path: "/api/v1/auth/session", WantStatus: 200,
			Before: func(t *testing.T, c *servertest.Client) {
				if res := c.Delete("/api/v1/auth/logout"); res.Status != 204 {
					t.Fatalf("logout: %s", res)
				}
			},
			WantContains: []string{`"authenticated":false`, `"refreshable":false`}},
	} {
		sc.Run(t, root)
	}
}
