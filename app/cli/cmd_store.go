package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/aiwfe/aiwfe/app"
	"github.com/aiwfe/aiwfe/app/backup"
	"github.com/aiwfe/aiwfe/store"
)

func init() {
	register(&command{
		name:    "migrate",
		summary: "apply pending database migrations and print the schema version",
		run:     runMigrate,
	})
	register(&command{
		name:    "backup",
		summary: "write one archive of the database, secrets and client CA (safe while the server runs)",
		usage:   "[--encrypt] FILE",
		flags: func(fs *flag.FlagSet) {
			fs.Bool("encrypt", false, "encrypt the archive with a passphrase (age, scrypt): asked for, or from "+passphraseEnv)
		},
		run: runBackup,
	})
	register(&command{
		name:    "restore",
		summary: "restore a backup archive (or a bare database) into the data directory (the server must be stopped)",
		usage:   "FILE",
		run:     runRestore,
	})
}

func runMigrate(c *Ctx) int {
	if !c.validate() {
		return ExitConfig
	}
	a, err := app.Open(context.Background(), c.Config, c.Log, app.OpenOptions{})
	if err != nil {
		return c.failf("%v", err)
	}
	defer a.Close()
	v, err := a.Store.SchemaVersion(context.Background())
	if err != nil {
		return c.failf("%v", err)
	}
	fmt.Fprintf(c.Stdout, "database %s is at schema version %d\n", a.Store.Path, v)
	return ExitOK
}

func runBackup(c *Ctx) int {
	if !c.needArgs(1) || !c.validate() {
		return ExitConfig
	}
	dest, err := filepath.Abs(c.Args[0])
	if err != nil {
		return c.failf("%v", err)
	}
	if _, err := os.Stat(c.Config.Path("aiwfe.db")); err != nil {
		return c.failf("no database in %s: %v", c.Config.Data.Dir, err)
	}
	st, err := store.Open(c.Config.Path("aiwfe.db"))
	if err != nil {
		return c.failf("%v", err)
	}
	defer st.Close()
	var opt backup.Options
	if c.flag("encrypt") == "true" {
		if opt.Passphrase, err = c.backupPassphrase(true); err != nil {
			return c.failf("backup: %v", err)
		}
		if opt.Passphrase == "" {
			return c.failf("backup: --encrypt needs a passphrase: type it when asked, or set %s", passphraseEnv)
		}
	}
	start := time.Now()
	res, err := backup.WriteWith(context.Background(), st, c.Config.Data.Dir, dest, app.Build().Version, opt)
	if err != nil {
		return c.failf("backup: %v", err)
	}
	kind := "backup"
	if res.Encrypted {
		kind = "encrypted backup"
	}
	fmt.Fprintf(c.Stdout, "%s written to %s (%d bytes, schema version %d, %s)\n",
		kind, dest, res.Bytes, res.Manifest.SchemaVersion, time.Since(start).Round(time.Millisecond))
	for _, f := range res.Manifest.Files {
		fmt.Fprintf(c.Stdout, "  %s (%d bytes)\n", f.Name, f.Size)
	}
	if res.Encrypted {
		fmt.Fprintln(c.Stdout, "without the passphrase nobody can read it, you included: keep the passphrase apart from the archive")
	} else {
		fmt.Fprintln(c.Stdout, "it holds the keys that decrypt the data in clear: keep it as private as the data directory, or use --encrypt")
	}
	return ExitOK
}

// runRestore refuses while a server holds the data directory; the backup
// package checks everything before it touches anything.
func runRestore(c *Ctx) int {
	if !c.needArgs(1) || !c.validate() {
		return ExitConfig
	}
	src := c.Args[0]
	if err := os.MkdirAll(c.Config.Data.Dir, 0o700); err != nil {
		return c.failf("%v", err)
	}
	lock, err := app.LockDataDir(c.Config.Data.Dir)
	if errors.Is(err, app.ErrLocked) {
		return c.failf("refusing to restore: %v; stop it first", err)
	}
	if err != nil {
		return c.failf("%v", err)
	}
	defer lock.Close()

	var opt backup.Options
	if enc, err := backup.Encrypted(src); err == nil && enc {
		if opt.Passphrase, err = c.backupPassphrase(false); err != nil {
			return c.failf("restore %s: %v", src, err)
		}
	}
	res, err := backup.RestoreWith(context.Background(), c.Config.Data.Dir, src, opt)
	if errors.Is(err, backup.ErrPassphraseNeeded) {
		return c.failf("restore %s: %v: type it when asked, or set %s", src, err, passphraseEnv)
	}
	if err != nil {
		return c.failf("restore %s: %v", src, err)
	}
	fmt.Fprintf(c.Stdout, "restored %s (schema version %d) into %s\n", src, res.Manifest.SchemaVersion, c.Config.Data.Dir)
	for _, f := range res.Manifest.Files {
		fmt.Fprintf(c.Stdout, "  %s\n", f.Name)
	}
	for _, k := range res.Kept {
		fmt.Fprintf(c.Stdout, "the previous %s is kept as %s\n", strings.SplitN(k, ".before-restore-", 2)[0], c.Config.Path(k))
	}
	return ExitOK
}
