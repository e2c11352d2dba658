package cli

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"github.com/aiwfe/aiwfe/app"
	"github.com/aiwfe/aiwfe/app/apperr"
	"github.com/aiwfe/aiwfe/app/auth"
)

// adminCommand is one `aiwfe admin <name>` action. Other files add theirs
// with registerAdmin in an init function (reset-2fa lives with the 2FA
// work). Every action gets the opened App and the shared admin flags.
type adminCommand struct {
	name    string
	summary string
	run     func(c *Ctx, a *app.App) int
}

var adminCommands = map[string]*adminCommand{}

func registerAdmin(a *adminCommand) { adminCommands[a.name] = a }

func init() {
	register(&command{
		name:    "admin",
		summary: "manage accounts: create, reset-password, reset-2fa (run beside or without the server)",
		usage:   "<action> --email E [--password P | password on stdin] [--role user|admin|superuser]",
		flags: func(fs *flag.FlagSet) {
			fs.String("email", "", "the account's email")
			fs.String("password", "", "the password (prefer stdin: a flag shows in the process list)")
			fs.String("role", "", "create: user, admin or superuser (default: superuser for the first account, admin otherwise)")
		},
		run: runAdmin,
	})
	registerAdmin(&adminCommand{name: "create", summary: "create an active account (password from --password or stdin)", run: adminCreate})
	registerAdmin(&adminCommand{name: "reset-password", summary: "set a new password (from stdin, else generated and printed) and end every session", run: adminResetPassword})
}

func runAdmin(c *Ctx) int {
	if len(c.Args) != 1 || adminCommands[c.Args[0]] == nil {
		names := make([]string, 0, len(adminCommands))
		for n := range adminCommands {
			names = append(names, n)
		}
		sort.Strings(names)
		fmt.Fprintf(c.Stderr, "usage: aiwfe admin <action> [flags]\n\nactions:\n")
		for _, n := range names {
			fmt.Fprintf(c.Stderr, "  %-15s %s\n", n, adminCommands[n].summary)
		}
		c.Flags.Usage()
		return ExitConfig
	}
	if !c.validate() {
		return ExitConfig
	}
	if c.flag("email") == "" {
		fmt.Fprintln(c.Stderr, "aiwfe: --email is required")
		return ExitConfig
	}
	a, err := app.Open(context.Background(), c.Config, c.Log, app.OpenOptions{})
	if err != nil {
		return c.failf("%v", err)
	}
	defer a.Close()
	return adminCommands[c.Args[0]].run(c, a)
}

func (c *Ctx) flag(name string) string {
	if f := c.Flags.Lookup(name); f != nil {
		return f.Value.String()
	}
	return ""
}

// emailFlag is an email flag as accounts store it: trimmed, lower case.
func (c *Ctx) emailFlag(name string) string {
	return strings.ToLower(strings.TrimSpace(c.flag(name)))
}

// stdinSecret reads one line from stdin, or "" when stdin is a terminal
// (nothing is piped) or empty.
func (c *Ctx) stdinSecret() (string, error) {
	if c.Stdin == nil {
		return "", nil
	}
	if f, ok := c.Stdin.(*os.File); ok {
		if fi, err := f.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
			return "", nil
		}
	}
	line, err := bufio.NewReader(io.LimitReader(c.Stdin, auth.MaxPasswordLen+2)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", err
	}
	return strings.TrimRight(line, "\r\n"), nil
}

// userError prints a service error as a person reads it.
func (c *Ctx) userError(err error) int {
	var e *apperr.Error
	if errors.As(err, &e) && e.Status < 500 {
		if e.Field != "" {
			return c.failf("%s: %s", e.Field, e.Message)
		}
		return c.failf("%s", e.Message)
	}
	return c.failf("%v", err)
}

func adminCreate(c *Ctx, a *app.App) int {
	pw := c.flag("password")
	if pw == "" {
		var err error
		if pw, err = c.stdinSecret(); err != nil {
			return c.failf("reading the password: %v", err)
		}
	}
	if pw == "" {
		fmt.Fprintln(c.Stderr, "aiwfe: give the password on stdin (echo ... | aiwfe admin create ...) or with --password")
		return ExitConfig
	}
	u, err := a.Auth.CreateUser(context.Background(), c.flag("email"), pw, c.flag("role"))
	if err != nil {
		return c.userError(err)
	}
	fmt.Fprintf(c.Stdout, "created %s (id %d, role %s, active)\n", u.Email, u.ID, u.Role)
	return ExitOK
}

func adminResetPassword(c *Ctx, a *app.App) int {
	pw := c.flag("password")
	if pw == "" {
		var err error
		if pw, err = c.stdinSecret(); err != nil {
			return c.failf("reading the password: %v", err)
		}
	}
	generated := pw == ""
	if generated {
		pw = auth.GeneratePassword()
	}
	if err := a.Auth.ResetPassword(context.Background(), c.flag("email"), pw); err != nil {
		return c.userError(err)
	}
	if generated {
		fmt.Fprintf(c.Stdout, "new password for %s: %s\n", c.emailFlag("email"), pw)
	} else {
		fmt.Fprintf(c.Stdout, "password of %s changed\n", c.emailFlag("email"))
	}
	fmt.Fprintln(c.Stdout, "every session of the account was ended")
	return ExitOK
}
