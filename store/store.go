// Package store is aiwfe's persistence: one SQLite file (modernc.org/sqlite,
// pure Go) opened with the pragmas the appliance relies on, versioned
// migrations embedded in the binary, and the in-process cache.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// ErrNotFound is returned by queries that find no row.
var ErrNotFound = errors.New("store: not found")

// Store wraps the database handle.
type Store struct {
	DB   *sql.DB
	Path string
}

// Synchronous modes: how hard SQLite pushes each commit to the disk.
const (
	// SyncFull syncs the WAL at every commit: a write that was
	// acknowledged survives a power cut. The default, because the
	// appliance runs on Raspberry Pis whose SD cards lose power often.
	SyncFull = "full"
	// SyncNormal syncs only at checkpoints: faster commits, but the last
	// acknowledged writes can vanish when the power goes (never a corrupt
	// database).
	SyncNormal = "normal"
)

// Options tune Open.
type Options struct {
	// Synchronous is SyncFull (also when empty) or SyncNormal.
	Synchronous string
}

// Open opens (creating if needed) the SQLite database at path with the
// default options (synchronous=FULL).
func Open(path string) (*Store, error) { return OpenWith(path, Options{}) }

// OpenWith opens (creating if needed) the SQLite database at path. The
// pragmas are set per connection through the DSN so every pooled connection
// has them: WAL for concurrent readers during writes, the synchronous mode,
// foreign keys for cascades, and a busy timeout so a second writer waits
// instead of failing.
func OpenWith(path string, o Options) (*Store, error) {
	sync := o.Synchronous
	switch sync {
	case "":
		sync = SyncFull
	case SyncFull, SyncNormal:
	default:
		return nil, fmt.Errorf("store: synchronous must be %q or %q, not %q", SyncFull, SyncNormal, sync)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	db, err := sql.Open("sqlite", dsn(path, false, sync))
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	db.SetMaxOpenConns(maxConns)
	db.SetMaxIdleConns(maxConns)
	db.SetConnMaxIdleTime(5 * time.Minute)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	return &Store{DB: db, Path: path}, nil
}

// maxConns bounds the pool: SQLite serialises writers anyway, and each
// connection keeps a page cache of its own.
const maxConns = 8

// ReleaseIdle closes the idle connections, and with them their page
// caches (up to 2 MiB each). A service calls it after a burst of work
// (an ingestion run) so an idle appliance is back at its resting size;
// the next request opens a connection again, which takes well under a
// millisecond.
func (s *Store) ReleaseIdle() {
	s.DB.SetMaxIdleConns(0)
	s.DB.SetMaxIdleConns(maxConns)
}

// OpenReadOnly opens an existing database file without creating or changing
// it; used to inspect a backup before restoring it.
func OpenReadOnly(path string) (*Store, error) {
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	db, err := sql.Open("sqlite", dsn(path, true, ""))
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	if err := db.Ping(); err != nil {
		db.Close()
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	return &Store{DB: db, Path: path}, nil
}

func dsn(path string, readOnly bool, sync string) string {
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "foreign_keys(1)")
	if readOnly {
		q.Add("mode", "ro")
	} else {
		q.Add("_pragma", "journal_mode(WAL)")
		q.Add("_pragma", "synchronous("+sync+")")
		q.Add("_txlock", "immediate")
	}
	return "file:" + path + "?" + q.Encode()
}

// Close closes the database.
func (s *Store) Close() error { return s.DB.Close() }

// Ping checks that the database answers a query.
func (s *Store) Ping(ctx context.Context) error {
	var one int
	return s.DB.QueryRowContext(ctx, "SELECT 1").Scan(&one)
}

// WithTx runs fn in a transaction, committing when it returns nil and rolling
// back otherwise, so a failed request never leaves half its writes behind.
func (s *Store) WithTx(ctx context.Context, fn func(tx *sql.Tx) error) (err error) {
	tx, err := s.DB.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer func() {
		if p := recover(); p != nil {
			tx.Rollback()
			panic(p)
		}
		if err != nil {
			tx.Rollback()
		}
	}()
	if err = fn(tx); err != nil {
		return err
	}
	return tx.Commit()
}

// Backup writes a consistent copy of the live database to dest with
// VACUUM INTO, which reads one snapshot while the server keeps writing.
func (s *Store) Backup(ctx context.Context, dest string) error {
	if _, err := os.Stat(dest); err == nil {
		return fmt.Errorf("store: backup: %s already exists", dest)
	}
	if _, err := s.DB.ExecContext(ctx, "VACUUM INTO ?", dest); err != nil {
		return fmt.Errorf("store: backup: %w", err)
	}
	return nil
}

// Check verifies a database file: integrity, and that it is an aiwfe
// database whose schema this binary knows.
func (s *Store) Check(ctx context.Context) (version int, err error) {
	var res string
	if err := s.DB.QueryRowContext(ctx, "PRAGMA integrity_check").Scan(&res); err != nil {
		return 0, fmt.Errorf("not a readable SQLite database: %w", err)
	}
	if res != "ok" {
		return 0, fmt.Errorf("integrity check failed: %s", res)
	}
	v, err := s.SchemaVersion(ctx)
	if err != nil {
		return 0, fmt.Errorf("not an aiwfe database: %w", err)
	}
	if latest := LatestVersion(); v > latest {
		return v, fmt.Errorf("schema version %d is newer than this binary knows (%d); upgrade aiwfe first", v, latest)
	}
	return v, nil
}
