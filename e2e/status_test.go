package e2e

import (
	"strings"
	"testing"
)

// The Status page tells everyone whether the appliance is up, and shows
// the checks (internal addresses, errors, certificate names) to admins
// only. The browser here is on the server's own machine, which the server
// answers in full, so this is the page's own rule at work.
func TestStatusPageDetailsForAdminsOnly(t *testing.T) {
	srv := StartServer(t)
	srv.CreateUser(t, "root@example.com", "superuser")
	srv.CreateUser(t, "someone@example.com", "user")
	b := NewBrowser(t, srv)
	hidden := func(who string) {
		t.Helper()
		b.Navigate("/status")
		b.WaitVisible("[data-health-details-hidden]")
		if n := b.Count(`[aria-label=Checks]`); n != 0 {
			t.Errorf("%s sees the checks", who)
		}
		if txt := b.Text("main"); strings.Contains(txt, "Version") || strings.Contains(txt, "Database") {
			t.Errorf("%s sees details: %q", who, txt)
		}
	}
	hidden("a visitor")
	b.Login("someone@example.com", Password)
	hidden("a user")
	signOut(b)
	b.Login("root@example.com", Password)
	b.Navigate("/status")
	b.WaitVisible(`[aria-label=Checks]`)
	b.WaitText(`[aria-label=Checks]`, "database")
	if b.Count("[data-health-details-hidden]") != 0 {
		t.Error("the admin is told the details are hidden")
	}
}
