package store

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

func openTemp(t *testing.T) *Store {
	t.Helper()
	s, err := Open(filepath.Join(t.TempDir(), "aiwfe.db"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestPragmas(t *testing.T) {
	s := openTemp(t)
	for _, tc := range []struct{ pragma, want string }{
		{"journal_mode", "wal"},
		{"foreign_keys", "1"},
		{"busy_timeout", "10000"},
	} {
		var got string
		if err := s.DB.QueryRow("PRAGMA " + tc.pragma).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got != tc.want {
			t.Errorf("%s = %s, want %s", tc.pragma, got, tc.want)
		}
	}
}

func TestMigrationsOrderedAndUnique(t *testing.T) {
	ms, err := Migrations()
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) == 0 {
		t.Fatal("no migrations embedded")
	}
	for i := 1; i < len(ms); i++ {
		if ms[i].Version <= ms[i-1].Version {
			t.Fatalf("migration %d after %d", ms[i].Version, ms[i-1].Version)
		}
	}
}

func TestMigrateIsIdempotent(t *testing.T) {
	s := openTemp(t)
	again, err := s.Migrate(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(again) != 0 {
		t.Fatalf("second Migrate applied %d migrations", len(again))
	}
	v, err := s.SchemaVersion(context.Background())
	if err != nil || v != LatestVersion() {
		t.Fatalf("schema version %d (%v), want %d", v, err, LatestVersion())
	}
}

func TestWithTxRollsBack(t *testing.T) {
	s := openTemp(t)
	ctx := context.Background()
	boom := errors.New("boom")
	err := s.WithTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.Exec("INSERT INTO settings(key, value, updated_at) VALUES('a', '1', 'now')"); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v", err)
	}
	var n int
	s.DB.QueryRow("SELECT COUNT(*) FROM settings").Scan(&n)
	if n != 0 {
		t.Fatalf("rolled-back insert is visible (%d rows)", n)
	}
}

// A backup taken while writers are busy is a consistent, checkable database.
func TestBackupWhileWriting(t *testing.T) {
	s := openTemp(t)
	ctx := context.Background()
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			s.DB.Exec("INSERT OR REPLACE INTO settings(key, value, updated_at) VALUES(?, 'v', ?)", i%500, time.Now().String())
		}
	}()
	time.Sleep(20 * time.Millisecond)
	dest := filepath.Join(t.TempDir(), "backup.db")
	if err := s.Backup(ctx, dest); err != nil {
		t.Fatal(err)
	}
	close(stop)
	wg.Wait()
	if err := s.Backup(ctx, dest); err == nil {
		t.Fatal("backup over an existing file should fail")
	}
	b, err := OpenReadOnly(dest)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	v, err := b.Check(ctx)
	if err != nil || v != LatestVersion() {
		t.Fatalf("backup check: v=%d err=%v", v, err)
	}
}

func TestCheckRejectsForeignFiles(t *testing.T) {
	dir := t.TempDir()
	junk := filepath.Join(dir, "junk.db")
	os.WriteFile(junk, []byte("this is not sqlite at all, just some text that is long enough"), 0o600)
	if s, err := OpenReadOnly(junk); err == nil {
		_, err = s.Check(context.Background())
		s.Close()
		if err == nil {
			t.Fatal("junk file passed the check")
		}
	}
	other := filepath.Join(dir, "other.db")
	o, err := Open(other)
	if err != nil {
		t.Fatal(err)
	}
	o.DB.Exec("CREATE TABLE t(x)")
	o.Close()
	r, err := OpenReadOnly(other)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if _, err := r.Check(context.Background()); err == nil {
		t.Fatal("a non-aiwfe database passed the check")
	}
}

func TestCacheSetIsVisible(t *testing.T) {
	c, err := NewCache(4)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.Set("k", 42, time.Minute)
	if v, ok := c.Get("k"); !ok || v.(int) != 42 {
		t.Fatalf("Get after Set = %v, %v", v, ok)
	}
	c.Delete("k")
	if _, ok := c.Get("k"); ok {
		t.Fatal("deleted key still present")
	}
	c.Set("short", 1, 20*time.Millisecond)
	deadline := time.Now().Add(3 * time.Second)
	for {
		if _, ok := c.Get("short"); !ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("TTL never expired")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if st := c.Stats(); st.Hits == 0 || st.Misses == 0 {
		t.Fatalf("stats not counted: %+v", st)
	}
}

// ReleaseIdle closes the idle connections (and their page caches); the
// store keeps working, opening connections again as needed.
func TestReleaseIdle(t *testing.T) {
	st := openTemp(t)
	ctx := context.Background()
	// Hold four connections at once, so the pool has four idle after.
	var wg, inside sync.WaitGroup
	inside.Add(4)
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := st.WithReadTx(ctx, func(tx *sql.Tx) error {
				inside.Done()
				inside.Wait()
				return tx.QueryRowContext(ctx, "SELECT 1").Err()
			}); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if n := st.DB.Stats().Idle; n != 4 {
		t.Fatalf("%d idle connections, want 4", n)
	}
	st.ReleaseIdle()
	if n := st.DB.Stats().Idle; n != 0 {
		t.Fatalf("%d idle connections after ReleaseIdle", n)
	}
	if err := st.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	if s := st.DB.Stats(); s.Idle != 1 || s.MaxOpenConnections != 8 {
		t.Fatalf("pool after use = %+v", s)
	}
}
