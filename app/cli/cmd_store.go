package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/aiwfe/aiwfe/app"
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
		summary: "write a consistent copy of the database (safe while the server runs)",
		usage:   "FILE",
		run:     runBackup,
	})
	register(&command{
		name:    "restore",
		summary: "replace the database with a backup (the server must be stopped)",
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
	start := time.Now()
	if err := st.Backup(context.Background(), dest); err != nil {
		return c.failf("%v", err)
	}
	fi, _ := os.Stat(dest)
	fmt.Fprintf(c.Stdout, "backup written to %s (%d bytes, %s)\n", dest, fi.Size(), time.Since(start).Round(time.Millisecond))
	return ExitOK
}

// runRestore refuses while a server holds the data directory, checks the
// backup (integrity, an aiwfe schema this binary knows) before touching
// anything, keeps the current database beside it, and swaps atomically.
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

	bk, err := store.OpenReadOnly(src)
	if err != nil {
		return c.failf("backup %s is unusable, nothing was changed: %v", src, err)
	}
	v, err := bk.Check(context.Background())
	bk.Close()
	if err != nil {
		return c.failf("backup %s is unusable, nothing was changed: %v", src, err)
	}

	dbPath := c.Config.Path("aiwfe.db")
	tmp := dbPath + ".restore"
	if err := copyFile(src, tmp); err != nil {
		os.Remove(tmp)
		return c.failf("copying backup: %v", err)
	}
	var kept string
	if _, err := os.Stat(dbPath); err == nil {
		// Fold the WAL into the current file so the kept copy is whole.
		if cur, err := store.Open(dbPath); err == nil {
			cur.DB.Exec("PRAGMA wal_checkpoint(TRUNCATE)")
			cur.Close()
		}
		kept = dbPath + ".before-restore-" + time.Now().UTC().Format("20060102T150405Z")
		if err := os.Rename(dbPath, kept); err != nil {
			os.Remove(tmp)
			return c.failf("%v", err)
		}
	}
	os.Remove(dbPath + "-wal")
	os.Remove(dbPath + "-shm")
	if err := os.Rename(tmp, dbPath); err != nil {
		return c.failf("%v", err)
	}
	fmt.Fprintf(c.Stdout, "restored %s (schema version %d) into %s\n", src, v, dbPath)
	if kept != "" {
		fmt.Fprintf(c.Stdout, "the previous database is kept as %s\n", kept)
	}
	return ExitOK
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	if err := out.Sync(); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
