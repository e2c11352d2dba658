package server_test

import (
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/aiwfe/aiwfe/app/server/servertest"
)

type appPasswordList struct {
	Items []struct {
		ID         int64   `json:"id"`
		Name       string  `json:"name"`
		Scope      string  `json:"scope"`
		CreatedAt  string  `json:"created_at"`
		LastUsedAt *string `json:"last_used_at"`
		LastUsedIP string  `json:"last_used_ip"`
		RevokedAt  *string `json:"revoked_at"`
	} `json:"items"`
}

var appPasswordShape = regexp.MustCompile(`^[a-km-z2-9]{4}(-[a-km-z2-9]{4}){5}$`)

// createAppPassword makes an app password through the API and returns its
// secret.
func createAppPassword(t testing.TB, c *servertest.Client, name string) string {
	t.Helper()
	_, secret := createAppPasswordID(t, c, name)
	return secret
}

func createAppPasswordID(t testing.TB, c *servertest.Client, name string) (int64, string) {
	t.Helper()
	res := c.Post("/api/v1/auth/app-passwords", map[string]string{"name": name, "password": servertest.Password})
	if res.Status != 201 {
		t.Fatalf("create app password: %s", res)
	}
	var ap struct {
		ID       int64  `json:"id"`
		Password string `json:"password"`
	}
	res.JSON(t, &ap)
	return ap.ID, ap.Password
}

func TestAppPasswordsAPI(t *testing.T) {
	srv := servertest.Start(t)
	u := srv.User(t, "user")
	other := srv.User(t, "user")
	anon := srv.Client(t)
	anon.FetchCSRF()

	res := u.Post("/api/v1/auth/app-passwords", map[string]string{"name": "  Phone calendar ", "password": servertest.Password})
	if res.Status != 201 || res.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("create: %s (Cache-Control %q)", res, res.Header.Get("Cache-Control"))
	}
	var created struct {
		ID        int64   `json:"id"`
		Name      string  `json:"name"`
		Scope     string  `json:"scope"`
		Password  string  `json:"password"`
		RevokedAt *string `json:"revoked_at"`
	}
	res.JSON(t, &created)
	if created.Name != "Phone calendar" || created.Scope != "dav" || created.RevokedAt != nil || !appPasswordShape.MatchString(created.Password) {
		t.Fatalf("created: %+v", created)
	}
	var hash string
	srv.App.Store.DB.QueryRow("SELECT hash FROM app_passwords WHERE id = ?", created.ID).Scan(&hash)
	if len(hash) != 64 || strings.Contains(hash, created.Password) {
		t.Fatalf("stored hash %q", hash)
	}
	otherID, _ := createAppPasswordID(t, other, "Other's phone")

	p := func(id int64) string { return fmt.Sprintf("/api/v1/auth/app-passwords/%d", id) }
	for _, sc := range []servertest.Scenario{
		{Name: "list without the secret", Method: "GET", Path: "/api/v1/auth/app-passwords", WantStatus: 200,
			WantContains:    []string{`"name":"Phone calendar"`, `"last_used_at":null`, `"revoked_at":null`},
			WantNotContains: []string{created.Password, hash, "Other's phone", `"password"`}},
		{Name: "no password", Method: "POST", Path: "/api/v1/auth/app-passwords", Request: put(map[string]any{"name": "x"}), WantStatus: 400, WantField: "password"},
		{Name: "wrong password", Method: "POST", Path: "/api/v1/auth/app-passwords", Request: put(map[string]any{"name": "x", "password": "not it at all"}), WantStatus: 400, WantField: "password"},
		{Name: "empty name", Method: "POST", Path: "/api/v1/auth/app-passwords", Request: put(map[string]any{"name": " ", "password": servertest.Password}), WantStatus: 400, WantField: "name"},
		{Name: "long name", Method: "POST", Path: "/api/v1/auth/app-passwords", Request: put(map[string]any{"name": strings.Repeat("n", 101), "password": servertest.Password}), WantStatus: 400, WantField: "name"},
		{Name: "two-line name", Method: "POST", Path: "/api/v1/auth/app-passwords", Request: put(map[string]any{"name": "a\nb", "password": servertest.Password}), WantStatus: 400, WantField: "name"},
		{Name: "unknown field", Method: "POST", Path: "/api/v1/auth/app-passwords", Request: put(map[string]any{"name": "x", "password": servertest.Password, "scope": "all"}), WantStatus: 400, WantField: "scope"},
		{Name: "unauthenticated list", Client: anon, Method: "GET", Path: "/api/v1/auth/app-passwords", WantStatus: 401},
		{Name: "unauthenticated create", Client: anon, Method: "POST", Path: "/api/v1/auth/app-passwords", Request: put(map[string]any{"name": "x", "password": servertest.Password}), WantStatus: 401},
		{Name: "unauthenticated revoke", Client: anon, Method: "DELETE", Path: p(created.ID), WantStatus: 401},
		{Name: "another user's", Client: other, Method: "DELETE", Path: p(created.ID), WantStatus: 404},
		{Name: "bad id", Method: "DELETE", Path: "/api/v1/auth/app-passwords/abc", WantStatus: 404},
		{Name: "no such id", Method: "DELETE", Path: p(created.ID + 1000), WantStatus: 404},
		{Name: "revoke", Method: "DELETE", Path: p(created.ID), WantStatus: 204},
		{Name: "revoke again changes nothing", Method: "DELETE", Path: p(created.ID), WantStatus: 204},
		{Name: "listed as revoked", Method: "GET", Path: "/api/v1/auth/app-passwords", WantStatus: 200, WantNotContains: []string{`"revoked_at":null`}},
		{Name: "audited", Method: "GET", Path: "/api/v1/security/events?per_page=50", WantStatus: 200,
			WantContains: []string{`"type":"app_password_create","success":true,"reason":"Phone calendar"`, `"type":"app_password_create","success":false,"reason":"wrong_password"`, `"type":"app_password_revoke"`}},
	} {
		sc.Run(t, u)
	}
	var revokes int
	srv.App.Store.DB.QueryRow("SELECT COUNT(*) FROM security_events WHERE type = 'app_password_revoke'").Scan(&revokes)
	if revokes != 1 {
		t.Errorf("%d revoke events, want 1 (revoking twice audits once)", revokes)
	}
	var otherRevoked *string
	srv.App.Store.DB.QueryRow("SELECT revoked_at FROM app_passwords WHERE id = ?", otherID).Scan(&otherRevoked)
	if otherRevoked != nil {
		t.Error("another user's app password was revoked")
	}
}

// The account password, asked again at creation, is checked under the
// sign-in limiter: guessing it here locks like guessing it at login.
func TestAppPasswordCreateRateLimited(t *testing.T) {
	srv := servertest.Start(t)
	u := srv.User(t, "user")
	for i := range 5 {
		if res := u.Post("/api/v1/auth/app-passwords", map[string]string{"name": "x", "password": fmt.Sprintf("wrong guess %d", i)}); res.Status != 400 {
			t.Fatalf("guess %d: %s", i, res)
		}
	}
	res := u.Post("/api/v1/auth/app-passwords", map[string]string{"name": "x", "password": servertest.Password})
	if res.Status != 429 || res.Header.Get("Retry-After") == "" {
		t.Fatalf("after five wrong passwords: %s", res)
	}
}

func TestAppPasswordLimit(t *testing.T) {
	srv := servertest.Start(t)
	u := srv.User(t, "user")
	var first int64
	for i := range 25 {
		id, _ := createAppPasswordID(t, u, fmt.Sprintf("device %d", i))
		if i == 0 {
			first = id
		}
	}
	res := u.Post("/api/v1/auth/app-passwords", map[string]string{"name": "one too many", "password": servertest.Password})
	if res.Status != 409 || res.ErrorCode() != "too_many_app_passwords" {
		t.Fatalf("26th: %s", res)
	}
	if res := u.Delete(fmt.Sprintf("/api/v1/auth/app-passwords/%d", first)); res.Status != 204 {
		t.Fatal(res)
	}
	createAppPassword(t, u, "room again") // a revoked one frees its place
}
