package e2e

import (
	"strings"
	"testing"
)

// Issue #3: the first account becomes the superuser; a session survives a
// reload; preferences are saved; after signing out a protected page sends
// the person to /login.
func TestAccountLifecycle(t *testing.T) {
	srv := StartServer(t)
	b := NewBrowser(t, srv)
	const email = "first@example.com"

	// Register: the first account is the superuser.
	b.Register(email, Password)
	b.WaitText("main, body", "Account created")
	b.ClickText("a", "Sign in")
	b.WaitPath("/login")

	// Log in: the app shell shows who is signed in, with the superuser's nav.
	b.Fill("#email", email)
	b.Fill("#password", Password)
	b.Click(`form button[type=submit]`)
	b.WaitPath("/")
	b.WaitText("aside", email)
	b.WaitText("aside", "superuser") // shown capitalised by CSS
	b.WaitText("aside nav", "Admin")
	// The token is HttpOnly: the page's script (an injected one too) sees
	// only when it expires, which is all it needs to refresh in time.
	if b.Cookie("access_token") != "" {
		t.Error("the page's script can read the access token")
	}
	if b.Cookie("access_expires") == "" {
		t.Error("no access_expires cookie after login")
	}

	// A reload keeps the session.
	b.Reload()
	b.WaitText("aside", email)
	if p := b.Path(); p != "/" {
		t.Fatalf("after reload at %s, want /", p)
	}

	// Profile: save a preference and see it again after a reload.
	b.Navigate("/profile")
	b.WaitVisible("#theme")
	// No switch for notifications: nothing delivers them yet, so it would
	// control nothing.
	if strings.Contains(b.Text("section#preferences"), "Notifications") {
		t.Error("the preferences offer a notifications switch that controls nothing")
	}
	b.Fill("#theme", "dark")
	b.Click("section#preferences button[type=submit]")
	b.WaitText("section#preferences", "Saved")
	b.Reload()
	b.WaitVisible("#theme")
	b.WaitFor("the saved theme", `document.querySelector('#theme').value === 'dark'`)
	b.WaitFor("the dark theme applied", `document.documentElement.classList.contains('dark')`)

	// Sign out through the user menu.
	b.Click(`aside button[aria-haspopup=menu]`)
	b.ClickText(`[role=menuitem]`, "Sign out")
	b.WaitPath("/login")
	b.WaitFor("the session cookie gone", `!document.cookie.includes('access_expires=')`)

	// A protected page now sends the person to /login, and back after.
	b.Navigate("/profile")
	b.WaitPath("/login")
	if p := b.Path(); p != "/login?next=%2Fprofile" {
		t.Errorf("redirected to %s, want /login?next=%%2Fprofile", p)
	}
	b.Fill("#email", email)
	b.Fill("#password", Password)
	b.Click(`form button[type=submit]`)
	b.WaitPath("/profile")
	if v := b.CSPViolations(); len(v) > 0 {
		t.Errorf("CSP violations: %v", v)
	}
}
