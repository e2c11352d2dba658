package e2e

import (
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"
)

// Issue #13 in a real browser: an app password is made on /security
// (the account password asked again), shown once with the server and
// user name to type into a phone, works for CalDAV, and is revoked from
// the same page, after which CalDAV refuses it.
func TestAppPasswordThroughTheUI(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test")
	}
	srv := StartServer(t)
	b := NewBrowser(t, srv)
	const email = "phone-owner@example.com"
	srv.CreateUser(t, email, "user")
	b.Login(email, Password)

	b.Navigate("/security")
	b.WaitText("[data-app-passwords]", "No app passwords yet")
	// A wrong account password is refused, and nothing is made.
	b.Fill("#app-password-name", "Pixel calendar")
	b.Fill("#app-password-account", "not my password")
	b.Click("[data-create-app-password]")
	b.WaitText("[data-app-passwords]", "password is incorrect")
	if b.Count("[data-new-app-password]") != 0 {
		t.Fatal("a secret was shown after a wrong password")
	}

	b.Fill("#app-password-account", Password)
	b.Click("[data-create-app-password]")
	b.WaitVisible("[data-new-app-password]")
	secret := b.Text("[data-app-password-secret]")
	if !regexp.MustCompile(`^[a-km-z2-9]{4}(-[a-km-z2-9]{4}){5}$`).MatchString(secret) {
		t.Fatalf("secret %q", secret)
	}
	shown := b.Text("[data-new-app-password]")
	for _, want := range []string{srv.URL + "/dav/", email} {
		if !strings.Contains(shown, want) {
			t.Errorf("the new app password's box lacks %q: %s", want, shown)
		}
	}
	if v := Eval[string](b, `document.querySelector('#app-password-account').value`); v != "" {
		t.Error("the account password stays in the form")
	}

	propfind := func() int {
		req, _ := http.NewRequest("PROPFIND", srv.URL+"/dav/", strings.NewReader(`<d:propfind xmlns:d="DAV:"><d:prop><d:current-user-principal/></d:prop></d:propfind>`))
		req.SetBasicAuth(email, secret)
		req.Header.Set("Content-Type", "application/xml")
		req.Header.Set("Depth", "0")
		res, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	if st := propfind(); st != 207 {
		t.Fatalf("CalDAV with the new app password: %d", st)
	}

	// Shown once: gone after Done and after a reload; the list shows its
	// use.
	b.Click("[data-app-password-done]")
	b.WaitGone("[data-new-app-password]")
	b.Reload()
	b.WaitText("[data-app-password='Pixel calendar']", "last used")
	if strings.Contains(b.Text("main"), secret) {
		t.Fatal("the secret is on the page after a reload")
	}

	// Revoke it; CalDAV refuses it at once.
	b.ClickText("[data-app-password='Pixel calendar'] button", "Revoke")
	b.ClickText("dialog[open] button", "Revoke")
	b.WaitText("[data-app-password='Pixel calendar']", "revoked")
	if st := propfind(); st != 401 {
		t.Fatalf("CalDAV with the revoked app password: %d", st)
	}
	b.WaitText("main", "app password revoke") // the security events (EventsTable)
}
