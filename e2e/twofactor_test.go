package e2e

import (
	"context"
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/chromedp/cdproto/webauthn"
	"github.com/chromedp/chromedp"

	"github.com/aiwfe/aiwfe/app/auth"
	"github.com/aiwfe/aiwfe/app/config"
	"github.com/aiwfe/aiwfe/app/server/servertest"
	"github.com/aiwfe/aiwfe/store"
)

// Issue #4 in a real browser: a passkey made by Chromium's virtual
// authenticator (CTAP2, internal, resident key, user verification) is
// added on /security and signs in without a password; then TOTP is set up
// through the UI and a sign-in takes the password and an oathtool code.
func TestPasskeyAndTOTPThroughTheUI(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test")
	}
	// The relying party's origin is http://localhost:PORT, derived from
	// server.http, so the port is chosen before the server starts.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
	ln.Close()
	srv := StartServer(t, func(c *config.Config) { c.Server.HTTP = "127.0.0.1:" + port })
	b := NewBrowser(t, srv)

	// The virtual authenticator lives on the tab; its options have no
	// omitempty, so every field that must be true is set.
	b.Navigate("/login")
	if _, err := chromedp.Call(b.Ctx(), webauthn.Enable, webauthn.EnableParams{}); err != nil {
		t.Fatalf("WebAuthn.enable: %v", err)
	}
	va, err := chromedp.Call(b.Ctx(), webauthn.AddVirtualAuthenticator, webauthn.AddVirtualAuthenticatorParams{
		Options: &webauthn.VirtualAuthenticatorOptions{
			Protocol: webauthn.AuthenticatorProtocolCtap2, Ctap2version: webauthn.Ctap2versionCtap21,
			Transport: webauthn.AuthenticatorTransportInternal, HasResidentKey: true, HasUserVerification: true,
			IsUserVerified: true, AutomaticPresenceSimulation: true,
		},
	})
	if err != nil {
		t.Fatalf("WebAuthn.addVirtualAuthenticator: %v", err)
	}

	// Register through the UI (the first account is the superuser), sign in.
	const email = "passkey@example.com"
	b.Register(email, Password)
	b.WaitText("main, body", "Account created")
	b.Login(email, Password)

	// Add a passkey on /security.
	b.Navigate("/security")
	b.WaitVisible("[data-passkeys]")
	b.WaitText("[data-passkeys]", "No passkeys yet")
	b.Fill("#passkey-name", "Virtual key")
	b.Click("[data-add-passkey]")
	b.WaitText("[data-passkey-name]", "Virtual key")
	creds, err := chromedp.Call(b.Ctx(), webauthn.GetCredentials, webauthn.GetCredentialsParams{AuthenticatorID: va.AuthenticatorID})
	if err != nil || len(creds.Credentials) != 1 || !creds.Credentials[0].IsResidentCredential {
		t.Fatalf("virtual authenticator credentials: %+v %v", creds, err)
	}

	// Sign out, then in with the passkey and no password.
	signOut(b)
	b.WaitVisible("[data-passkey-login]")
	b.Click("[data-passkey-login]")
	b.WaitFor("leaving /login", `location.pathname !== '/login'`)
	b.Navigate("/security")
	b.WaitText("[data-passkey-name]", "Virtual key")
	b.WaitText("main", "last used")

	// Set up TOTP through the UI with a code from oathtool.
	b.Click("#totp-setup")
	b.WaitVisible("img[alt^='QR code']")
	secret := Eval[string](b, `document.querySelector('[data-totp-secret]').dataset.totpSecret`)
	if len(secret) != 32 {
		t.Fatalf("secret %q", secret)
	}
	b.Fill("#totp-code", servertest.OATHTool(t, secret, time.Now()))
	b.ClickText("button", "Verify")
	b.WaitVisible("[data-backup-codes]")
	if n := b.Count("[data-backup-code]"); n != 10 {
		t.Fatalf("%d backup codes shown", n)
	}
	b.Click("[data-backup-done]")
	b.WaitGone("[data-backup-codes]")
	b.WaitText("[data-backup-remaining]", "10 backup codes left")

	// Sign out; password, then the second step with the next code (the
	// one that turned TOTP on is spent; the step after it is accepted).
	signOut(b)
	b.Fill("#email", email)
	b.Fill("#password", Password)
	b.Click(`form button[type=submit]`)
	b.WaitVisible("#code")
	if b.Count("[data-mfa-passkey]") != 1 {
		t.Fatal("the second step offers no passkey")
	}
	b.Fill("#code", servertest.OATHTool(t, secret, time.Now().Add(30*time.Second)))
	b.ClickText("button", "Verify")
	b.WaitFor("leaving /login", `location.pathname !== '/login'`)
	if b.Cookie("access_expires") == "" {
		t.Fatal("no session after the code")
	}

	// The passkey still signs in on its own.
	signOut(b)
	b.Click("[data-passkey-login]")
	b.WaitFor("leaving /login", `location.pathname !== '/login'`)
}

// "Trust this device" skips the code until the trust is withdrawn on
// /security; an admin's "Reset 2FA" removes a user's factors.
func TestTrustedDeviceAndAdminResetThroughTheUI(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test")
	}
	srv := StartServer(t)
	srv.CreateUser(t, "boss@example.com", "superuser")
	srv.CreateUser(t, "ada@example.com", "user")
	ctx := context.Background()
	u, err := store.UserByEmail(ctx, srv.App.Store.DB, "ada@example.com")
	if err != nil {
		t.Fatal(err)
	}
	p := &auth.Principal{UserID: u.ID, Email: u.Email, Role: u.Role}
	setup, err := srv.App.MFA.TOTPSetup(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := srv.App.MFA.TOTPVerify(ctx, p, servertest.OATHTool(t, setup.Secret, time.Now()), auth.Client{}); err != nil {
		t.Fatal(err)
	}
	b := NewBrowser(t, srv)

	// Password, then the code with "Trust this device".
	b.Navigate("/login")
	b.Fill("#email", u.Email)
	b.Fill("#password", Password)
	b.Click(`form button[type=submit]`)
	b.WaitVisible("#code")
	b.Fill("#code", servertest.OATHTool(t, setup.Secret, time.Now().Add(30*time.Second)))
	b.Click("[data-trust-device]")
	b.ClickText("button", "Verify")
	b.WaitFor("leaving /login", `location.pathname !== '/login'`)

	// The trusted browser signs in with the password alone ...
	signOut(b)
	b.Login(u.Email, Password)
	// ... until the trust is withdrawn on /security.
	b.Navigate("/security")
	b.WaitText("#devices", "trusted")
	b.ClickText("#devices button", "Untrust")
	b.WaitFor("the trust withdrawn", `![...document.querySelectorAll('#devices button')].some(e => e.textContent.includes('Untrust'))`)
	signOut(b)
	b.Fill("#email", u.Email)
	b.Fill("#password", Password)
	b.Click(`form button[type=submit]`)
	b.WaitVisible("#code")

	// The admin resets ada's factors; her next sign-in needs no code.
	b.ClickText("button", "Back")
	b.Login("boss@example.com", Password)
	b.Navigate("/admin")
	b.ClickText("button", "Reset 2FA")
	b.ClickText("dialog[open] button", "Reset 2FA")
	b.WaitFor("the reset done", `![...document.querySelectorAll('table button')].some(e => e.textContent.includes('Reset 2FA'))`)
	if st, err := srv.App.MFA.Status(ctx, u.ID); err != nil || st.TOTPEnabled || len(st.Methods) != 0 {
		t.Fatalf("after the reset: %+v %v", st, err)
	}
	signOut(b)
	b.Login(u.Email, Password)
}

// signOut uses the account menu and waits for /login.
func signOut(b *Browser) {
	b.T.Helper()
	b.Click("button[aria-haspopup=menu]")
	b.ClickText("button", "Sign out")
	b.WaitPath("/login")
}
