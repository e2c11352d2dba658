package e2e

import (
	"testing"
)

// Admin → Certificates: issuing shows the PKCS#12 password and the
// download buttons once; revoking (after confirming) marks it revoked; an
// ordinary user cannot open the page.
func TestAdminCertificates(t *testing.T) {
	srv := StartServer(t)
	b := NewBrowser(t, srv)
	srv.CreateUser(t, "root@example.com", "superuser")
	srv.CreateUser(t, "anna@example.com", "user")
	b.Login("root@example.com", Password)

	b.Navigate("/admin?tab=certificates")
	b.WaitText("[data-certificates]", "No certificates issued yet")
	b.WaitFor("the account choices", `[...document.querySelectorAll('#cert-user option')].some(o => o.textContent === 'anna@example.com')`)
	b.Fill("#cert-name", "anna-phone")
	b.Fill("#cert-days", "30")
	b.Exec(`(() => { const s = document.querySelector('#cert-user'); s.value = [...s.options].find(o => o.textContent === 'anna@example.com').value; s.dispatchEvent(new Event('change', { bubbles: true })); })()`)
	b.Click("[data-issue]")
	b.WaitVisible("[data-issued]")
	if pw := b.Text("[data-p12-password]"); len(pw) < 8 {
		t.Errorf("PKCS#12 password %q", pw)
	}
	for _, f := range []string{"anna-phone.p12", "anna-phone.crt", "anna-phone.key"} {
		b.WaitText("[data-issued] button", f)
	}
	b.WaitFor("the new certificate listed", `document.querySelector('[data-certificates] tr[data-state=active]')?.textContent.includes('anna@example.com')`)

	// The secrets are shown once: gone after leaving the page.
	b.Reload()
	b.WaitVisible("[data-certificates] tr[data-state]")
	if b.Count("[data-issued]") != 0 {
		t.Error("the one-time secrets are shown again after a reload")
	}

	b.ClickText("[data-certificates] button", "Revoke")
	b.WaitVisible("dialog[open]")
	b.ClickText("dialog[open] button", "Revoke")
	b.WaitFor("the certificate revoked", `!!document.querySelector('[data-certificates] tr[data-state=revoked]')`)

	// Not for ordinary users.
	b.ClickText("aside button[aria-haspopup=menu]", "root@example.com")
	b.ClickText("[role=menuitem]", "Sign out")
	b.WaitPath("/login")
	b.Login("anna@example.com", Password)
	b.Navigate("/admin?tab=certificates")
	b.WaitText("main", "Not available to your account")
	if b.Count("[data-certificates]") != 0 {
		t.Error("a user sees the certificates")
	}
}
