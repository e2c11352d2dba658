package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"text/tabwriter"
	"time"

	"github.com/aiwfe/aiwfe/app"
	"github.com/aiwfe/aiwfe/app/apperr"
	"github.com/aiwfe/aiwfe/app/certs"
	"github.com/aiwfe/aiwfe/store"
	"github.com/aiwfe/aiwfe/tlsmgr"
)

// `aiwfe cert` manages the client CA of the mutual-TLS listener. It opens
// the store without the data directory's lock, so it runs beside a live
// server: both read the same registry (client_certs), and the server
// checks it on every request, so a revocation applies at once.

func init() {
	register(&command{
		name:    "cert",
		summary: "client certificates for mutual TLS: issue, list, revoke (run beside or without the server)",
		usage:   "issue --name NAME [--days N] [--user EMAIL] --out DIR | list | revoke SERIAL",
		flags: func(fs *flag.FlagSet) {
			fs.String("name", "", "issue: the certificate's name (its CN; name the device, e.g. anna-phone)")
			fs.Int("days", tlsmgr.DefaultClientCertDays, "issue: validity in days")
			fs.String("user", "", "issue: the email of the account the certificate is for (optional)")
			fs.String("out", "", "issue: directory to write NAME.crt, NAME.key, NAME.p12 and NAME-legacy.p12 into")
		},
		run: runCert,
	})
}

func runCert(c *Ctx) int {
	if len(c.Args) == 0 {
		c.Flags.Usage()
		return ExitConfig
	}
	action := c.Args[0]
	switch {
	case action == "issue" && len(c.Args) == 1,
		action == "list" && len(c.Args) == 1,
		action == "revoke" && len(c.Args) == 2:
	default:
		c.Flags.Usage()
		return ExitConfig
	}
	if action == "issue" {
		if c.flag("name") == "" || c.flag("out") == "" {
			fmt.Fprintln(c.Stderr, "aiwfe: cert issue needs --name and --out")
			return ExitConfig
		}
		if _, err := certs.ValidName(c.flag("name")); err != nil {
			fmt.Fprintf(c.Stderr, "aiwfe: --name: %v\n", err)
			return ExitConfig
		}
	}
	if !c.validate() {
		return ExitConfig
	}
	ctx := context.Background()
	a, err := app.Open(ctx, c.Config, c.Log, app.OpenOptions{})
	if err != nil {
		return c.failf("%v", err)
	}
	defer a.Close()
	switch action {
	case "issue":
		return certIssue(ctx, c, a)
	case "list":
		return certList(ctx, c, a)
	default:
		return certRevoke(ctx, c, a, c.Args[1])
	}
}

func certIssue(ctx context.Context, c *Ctx, a *app.App) int {
	name, _ := certs.ValidName(c.flag("name"))
	days := c.Flags.Lookup("days").Value.(flag.Getter).Get().(int)
	if days < 1 || days > certs.MaxDays {
		fmt.Fprintf(c.Stderr, "aiwfe: --days must be between 1 and %d\n", certs.MaxDays)
		return ExitConfig
	}
	var user *store.User
	if email := c.emailFlag("user"); email != "" {
		u, err := store.UserByEmail(ctx, a.Store.DB, email)
		if errors.Is(err, store.ErrNotFound) {
			return c.failf("--user: no account with the email %s", email)
		}
		if err != nil {
			return c.failf("%v", err)
		}
		user = u
	}

	out := c.flag("out")
	base := certs.FileBase(name)
	files := map[string]string{
		"crt": filepath.Join(out, base+".crt"), "key": filepath.Join(out, base+".key"),
		"p12": filepath.Join(out, base+".p12"), "legacy": filepath.Join(out, base+"-legacy.p12"),
	}
	// Refuse before issuing: never overwrite someone's key.
	for _, f := range files {
		if _, err := os.Lstat(f); err == nil {
			return c.failf("%s exists; choose another --name or --out", f)
		}
	}
	if err := os.MkdirAll(out, 0o700); err != nil {
		return c.failf("--out: %v", err)
	}

	var userID int64
	if user != nil {
		userID = user.ID
	}
	ic, err := a.Certs.Issue(ctx, nil, certs.CommandLine, certs.IssueRequest{Name: name, Days: days, UserID: userID})
	if err != nil {
		return c.failf("%v", err)
	}
	for _, w := range []struct {
		path string
		data []byte
		perm os.FileMode
	}{
		{files["crt"], ic.CertPEM, 0o644},
		{files["key"], ic.KeyPEM, 0o600},
		{files["p12"], ic.P12, 0o600},
		{files["legacy"], ic.P12Legacy, 0o600},
	} {
		if err := writeNew(w.path, w.data, w.perm); err != nil {
			// an issued certificate whose key is lost is useless: revoke it
			_, _, _ = a.Certs.Revoke(ctx, nil, certs.CommandLine, ic.Serial)
			return c.failf("writing %s: %v (certificate %s revoked)", w.path, err, ic.Serial)
		}
	}

	w := c.Stdout
	fmt.Fprintf(w, "issued client certificate %q\n", ic.Name)
	fmt.Fprintf(w, "serial:   %s\n", ic.Serial)
	if user != nil {
		fmt.Fprintf(w, "user:     %s (id %d)\n", user.Email, user.ID)
	}
	fmt.Fprintf(w, "expires:  %s\n", ic.NotAfter.UTC().Format(time.RFC3339))
	fmt.Fprintf(w, "files:    %s\n          %s (private key, 0600)\n          %s (PKCS#12: key + certificate + CA, for browsers and phones)\n          %s (the same for older iOS/Android importers)\n",
		files["crt"], files["key"], files["p12"], files["legacy"])
	fmt.Fprintf(w, "password: %s\n", ic.P12Password)
	fmt.Fprintln(w, "The PKCS#12 password is shown only now; hand it to the device's owner apart from the file.")
	return ExitOK
}

// writeNew creates path with perm, failing if it exists.
func writeNew(path string, data []byte, perm os.FileMode) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func certList(ctx context.Context, c *Ctx, a *app.App) int {
	list, err := a.Certs.List(ctx)
	if err != nil {
		return c.failf("%v", err)
	}
	if len(list) == 0 {
		fmt.Fprintln(c.Stdout, "no client certificates issued yet (aiwfe cert issue --name NAME --out DIR)")
		return ExitOK
	}
	tw := tabwriter.NewWriter(c.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "SERIAL\tNAME\tUSER\tEXPIRES\tREVOKED")
	for _, r := range list {
		user := "-"
		if r.UserID != nil {
			user = r.UserEmail
			if user == "" {
				user = fmt.Sprintf("id %d", *r.UserID)
			}
		}
		expires := r.NotAfter.Format(time.DateOnly)
		if r.Expired {
			expires += " (expired)"
		}
		revoked := "-"
		if r.RevokedAt != nil {
			revoked = r.RevokedAt.UTC().Format(time.DateOnly)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", r.Serial, r.Name, user, expires, revoked)
	}
	tw.Flush()
	return ExitOK
}

func certRevoke(ctx context.Context, c *Ctx, a *app.App, arg string) int {
	serial, err := tlsmgr.NormalizeSerial(arg)
	if err != nil {
		return c.failf("%q is not a certificate serial (see aiwfe cert list)", arg)
	}
	cert, was, err := a.Certs.Revoke(ctx, nil, certs.CommandLine, serial)
	if errors.Is(err, apperr.ErrNotFound) {
		return c.failf("no client certificate with serial %s (see aiwfe cert list)", serial)
	}
	if err != nil {
		return c.failf("%v", err)
	}
	if was {
		fmt.Fprintf(c.Stdout, "certificate %s (%s) was already revoked on %s\n", cert.Serial, cert.Name, cert.RevokedAt.UTC().Format(time.RFC3339))
		return ExitOK
	}
	fmt.Fprintf(c.Stdout, "revoked certificate %s (%s); the server refuses it from the next request on\n", cert.Serial, cert.Name)
	return ExitOK
}
