package cli

import (
	"context"
	"strings"
	"testing"

	"github.com/pquerna/otp/totp"

	"github.com/aiwfe/aiwfe/app/auth"
	"github.com/aiwfe/aiwfe/store"
)

// aiwfe admin reset-2fa removes the factors of a user who lost their phone.
func TestAdminReset2FA(t *testing.T) {
	dir := t.TempDir()
	const pw = "a long enough passphrase"
	if code, out, errs := runCLI(t, dir, strings.NewReader(pw+"\n"), "admin", "create", "--email", "lost@example.com"); code != ExitOK {
		t.Fatalf("create: %d %q %q", code, out, errs)
	}
	ctx := context.Background()
	a := openApp(t, dir)
	u, err := store.UserByEmail(ctx, a.Store.DB, "lost@example.com")
	if err != nil {
		t.Fatal(err)
	}
	p := &auth.Principal{UserID: u.ID, Email: u.Email, Role: u.Role}
	setup, err := a.MFA.TOTPSetup(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := totp.GenerateCode(setup.Secret, a.Now())
	if _, err := a.MFA.TOTPVerify(ctx, p, c, clientCLI()); err != nil {
		t.Fatal(err)
	}
	if r, err := a.Auth.Login(ctx, "lost@example.com", pw, clientCLI()); err != nil || r.Challenge == nil {
		t.Fatalf("login with TOTP on: %+v %v", r, err)
	}
	a.Close()

	code, out, errs := runCLI(t, dir, nil, "admin", "reset-2fa", "--email", "Lost@Example.com")
	if code != ExitOK || !strings.Contains(out, "second factors of lost@example.com removed") {
		t.Fatalf("reset-2fa: %d %q %q", code, out, errs)
	}
	a = openApp(t, dir)
	defer a.Close()
	if r, err := a.Auth.Login(ctx, "lost@example.com", pw, clientCLI()); err != nil || r.Session == nil {
		t.Fatalf("login after reset-2fa: %+v %v", r, err)
	}
	evs, _, _ := store.ListEvents(ctx, a.Store.DB, 0, 100, 0)
	found := false
	for _, e := range evs {
		found = found || (e.Type == auth.EventSecondFactorRst && strings.Contains(e.Reason, "reset-2fa"))
	}
	if !found {
		t.Fatal("reset-2fa not audited")
	}
	if code, out, errs := runCLI(t, dir, nil, "admin", "reset-2fa", "--email", "nobody@example.com"); code == ExitOK || !strings.Contains(out+errs, "not found") {
		t.Fatalf("unknown account: %d %q %q", code, out, errs)
	}
}
