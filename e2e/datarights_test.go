package e2e

import (
	"encoding/json"
	"strings"
	"testing"
)

// Data rights on /profile: "Download my data" saves the JSON archive (and
// a second one within the minute is refused on the page); "Delete my
// account" needs the password and the word DELETE, then lands on /login
// with a notice, signed out for good.
func TestProfileDataRights(t *testing.T) {
	srv := StartServer(t)
	srv.CreateUser(t, "root@example.com", "superuser")
	const email = "ann@example.com"
	srv.CreateUser(t, email, "user")
	b := NewBrowser(t, srv)
	b.Login(email, Password)

	b.Navigate("/profile")
	b.WaitVisible("[data-export-data]")
	// Catch the download: the blob behind the saved link is read back (the
	// page's CSP forbids fetching blob: URLs).
	b.Exec(`window.__download = null;
		const create = URL.createObjectURL.bind(URL);
		URL.createObjectURL = (blob) => { window.__blob = blob; return create(blob); };
		HTMLAnchorElement.prototype.click = function () {
			const name = this.download;
			window.__blob.text().then((text) => { window.__download = { name, text }; });
		};`)
	b.Click("[data-export-data]")
	b.WaitFor("the archive saved", `window.__download !== null`)
	name := Eval[string](b, `window.__download.name`)
	if !strings.HasPrefix(name, "aiwfe-export-"+email+"-") || !strings.HasSuffix(name, ".json") {
		t.Errorf("saved as %q", name)
	}
	var archive struct {
		Format string `json:"format"`
		User   struct {
			Email string `json:"email"`
		} `json:"user"`
		Devices []any `json:"devices"`
	}
	if err := json.Unmarshal([]byte(Eval[string](b, `window.__download.text`)), &archive); err != nil {
		t.Fatalf("the saved file is not JSON: %v", err)
	}
	if archive.Format != "aiwfe-export" || archive.User.Email != email || len(archive.Devices) != 1 {
		t.Errorf("archive: %+v", archive)
	}
	b.WaitText("section#your-data", "Downloaded")
	b.Click("[data-export-data]")
	b.WaitText("section#your-data", "once a minute")

	// Delete: the button waits for the password and the word.
	if !Eval[bool](b, `document.querySelector('[data-delete-account] button[type=submit]').disabled`) {
		t.Error("delete enabled before anything was typed")
	}
	b.Fill("#delete-password", "not my password at all")
	b.Fill("#delete-confirm", "delete")
	if !Eval[bool](b, `document.querySelector('[data-delete-account] button[type=submit]').disabled`) {
		t.Error("delete enabled with a lower-case confirmation")
	}
	b.Fill("#delete-confirm", "DELETE")
	b.Click("[data-delete-account] button[type=submit]")
	b.WaitText("[data-delete-account]", "incorrect")
	b.WaitFor("the password marked", `document.querySelector('#delete-password').getAttribute('aria-invalid') === 'true'`)

	b.Fill("#delete-password", Password)
	b.Click("[data-delete-account] button[type=submit]")
	b.WaitPath("/login")
	if p := b.Path(); p != "/login" {
		t.Errorf("after deletion at %s, want /login", p)
	}
	b.WaitText("main", "were deleted")
	b.WaitFor("the session cookie gone", `!document.cookie.includes('access_expires=')`)

	// The account is gone: signing in fails, a protected page wants a login.
	b.Fill("#email", email)
	b.Fill("#password", Password)
	b.Click(`form button[type=submit]`)
	b.WaitFor("an error on the login form", `!!document.querySelector('[role=alert]')`)
	if p := b.Path(); p != "/login" {
		t.Errorf("signed in to a deleted account (at %s)", p)
	}
	b.Navigate("/profile")
	b.WaitPath("/login")
}
