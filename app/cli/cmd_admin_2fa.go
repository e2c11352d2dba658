package cli

import (
	"context"
	"fmt"

	"github.com/aiwfe/aiwfe/app"
)

func init() {
	registerAdmin(&adminCommand{name: "reset-2fa", summary: "remove every second factor (authenticator app, backup codes, passkeys) and device trust", run: adminReset2FA})
}

// adminReset2FA is for a user who lost their phone: the next sign-in is
// by password alone, and they set up their factors again.
func adminReset2FA(c *Ctx, a *app.App) int {
	if err := a.MFA.AdminResetByEmail(context.Background(), c.flag("email")); err != nil {
		return c.userError(err)
	}
	fmt.Fprintf(c.Stdout, "second factors of %s removed; the next sign-in needs only the password\n", c.emailFlag("email"))
	return ExitOK
}
