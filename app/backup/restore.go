package backup

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"time"

	"github.com/aiwfe/aiwfe/store"
)

// ErrUnusable wraps every reason a backup is refused before anything in the
// data directory changed.
var ErrUnusable = errors.New("backup is unusable, nothing was changed")

func unusable(format string, a ...any) error {
	return fmt.Errorf("%w: %s", ErrUnusable, fmt.Sprintf(format, a...))
}

var (
	gzipMagic   = []byte{0x1f, 0x8b}
	sqliteMagic = []byte("SQLite format 3\x00")
)

// Restore replaces the appliance's state in dataDir with the backup at src.
// The caller must hold the data directory's lock (no server running).
//
// src is either an archive written by Write, or a bare SQLite database (what
// `aiwfe backup` wrote before archives, or a copy made by hand), which
// replaces only the database. Everything is checked first — the archive's
// manifest and checksums, the database's integrity and schema version — in
// a staging directory; only then is each current file moved aside as
// NAME.before-restore-<time> and the restored one renamed into place.
func Restore(ctx context.Context, dataDir, src string) (*Result, error) {
	return RestoreWith(ctx, dataDir, src, Options{})
}

// RestoreWith is Restore with options: an encrypted archive needs its
// passphrase (ErrPassphraseNeeded without, ErrWrongPassphrase with another
// one), and is decrypted, checked and staged like a plain one before
// anything in the data directory changes.
func RestoreWith(ctx context.Context, dataDir, src string, opt Options) (*Result, error) {
	f, err := os.Open(src)
	if err != nil {
		return nil, unusable("%v", err)
	}
	defer f.Close()
	head := make([]byte, max(len(sqliteMagic), len(ageMagic)))
	n, _ := io.ReadFull(f, head)
	head = head[:n]
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, unusable("%v", err)
	}

	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, err
	}
	stage, err := os.MkdirTemp(dataDir, ".restore-*")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(stage)

	var m Manifest
	encrypted := bytes.HasPrefix(head, ageMagic)
	switch {
	case encrypted:
		var plain io.Reader
		if plain, err = decryptFrom(f, opt.Passphrase); err == nil {
			m, err = extract(plain, stage)
		}
	case bytes.HasPrefix(head, gzipMagic):
		m, err = extract(f, stage)
	case bytes.HasPrefix(head, sqliteMagic):
		m, err = stageDatabase(f, stage)
	default:
		err = unusable("%s is neither an aiwfe backup archive nor a SQLite database", src)
	}
	if err != nil {
		return nil, err
	}
	v, err := checkDatabase(ctx, filepath.Join(stage, dbName))
	if err != nil {
		return nil, err
	}
	if m.SchemaVersion == 0 {
		m.SchemaVersion = v
	}
	kept, err := swapIn(dataDir, stage, m)
	if err != nil {
		return nil, err
	}
	fi, _ := f.Stat()
	return &Result{Manifest: m, Bytes: fi.Size(), Kept: kept, Encrypted: encrypted}, nil
}

// extract reads the archive into stage, verifying it against its manifest.
func extract(r io.Reader, stage string) (Manifest, error) {
	var m Manifest
	gz, err := gzip.NewReader(bufio.NewReaderSize(r, 256<<10))
	if err != nil {
		return m, unusable("not a gzip archive: %v", err)
	}
	tr := tar.NewReader(gz)
	hdr, err := tr.Next()
	if err != nil || hdr.Name != manifestName {
		return m, unusable("the archive does not start with %s", manifestName)
	}
	raw, err := io.ReadAll(io.LimitReader(tr, 1<<20))
	if err != nil {
		return m, unusable("reading %s: %v", manifestName, err)
	}
	if err := json.Unmarshal(raw, &m); err != nil || m.Format != Format {
		return m, unusable("%s is not an aiwfe backup manifest", manifestName)
	}
	if m.FormatVersion < 1 || m.FormatVersion > FormatVersion {
		return m, unusable("backup format %d is newer than this binary knows (%d); upgrade aiwfe first", m.FormatVersion, FormatVersion)
	}
	want := map[string]File{}
	for _, f := range m.Files {
		if !allowedName(f.Name) {
			return m, unusable("the manifest names %q, which a backup never holds", f.Name)
		}
		want[f.Name] = f
	}
	if _, ok := want[dbName]; !ok {
		return m, unusable("the archive holds no database")
	}
	seen := map[string]bool{}
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return m, unusable("the archive is damaged or truncated: %v", err)
		}
		exp, ok := want[hdr.Name]
		if !ok || seen[hdr.Name] || hdr.Typeflag != tar.TypeReg {
			return m, unusable("unexpected entry %q in the archive", hdr.Name)
		}
		seen[hdr.Name] = true
		if err := stageFile(tr, filepath.Join(stage, filepath.FromSlash(hdr.Name)), exp); err != nil {
			return m, err
		}
	}
	for name := range want {
		if !seen[name] {
			return m, unusable("the archive lacks %s, which its manifest lists", name)
		}
	}
	return m, nil
}

// stageFile writes one entry, checking its size and checksum.
func stageFile(r io.Reader, dst string, exp File) error {
	if err := os.MkdirAll(filepath.Dir(dst), 0o700); err != nil {
		return err
	}
	n, sum, err := copyNew(dst, r)
	if err != nil {
		if errors.Is(err, gzip.ErrChecksum) || errors.Is(err, io.ErrUnexpectedEOF) {
			return unusable("the archive is damaged or truncated: %v", err)
		}
		return err
	}
	if n != exp.Size || sum != exp.SHA256 {
		return unusable("%s does not match its checksum in the manifest", exp.Name)
	}
	return nil
}

// stageDatabase copies a bare database file into stage.
func stageDatabase(r io.Reader, stage string) (Manifest, error) {
	_, _, err := copyNew(filepath.Join(stage, dbName), r)
	return Manifest{Files: []File{{Name: dbName}}}, err
}

// copyNew writes r into the new file dst (0600, synced) and returns its
// size and SHA-256.
func copyNew(dst string, r io.Reader) (int64, string, error) {
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return 0, "", err
	}
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(out, h), r)
	if err == nil {
		err = out.Sync()
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	return n, hex.EncodeToString(h.Sum(nil)), err
}

func checkDatabase(ctx context.Context, p string) (int, error) {
	db, err := store.OpenReadOnly(p)
	if err != nil {
		return 0, unusable("%v", err)
	}
	defer db.Close()
	v, err := db.Check(ctx)
	if err != nil {
		return 0, unusable("%v", err)
	}
	return v, nil
}

// swapIn moves each current file aside and the staged one into place. If a
// step fails, the steps already taken are undone, so the data directory is
// either wholly restored or as it was.
func swapIn(dataDir, stage string, m Manifest) (kept []string, err error) {
	stamp := ".before-restore-" + time.Now().UTC().Format("20060102T150405Z")
	var undo []func()
	defer func() {
		if err != nil {
			for i := len(undo) - 1; i >= 0; i-- {
				undo[i]()
			}
			kept = nil
		}
	}()
	// replace swaps one data-dir path (a file or a directory).
	replace := func(rel string) error {
		cur := filepath.Join(dataDir, filepath.FromSlash(rel))
		staged := filepath.Join(stage, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(cur), 0o700); err != nil {
			return err
		}
		aside := ""
		if _, err := os.Lstat(cur); err == nil {
			aside = cur + stamp
			if err := os.Rename(cur, aside); err != nil {
				return err
			}
			kept = append(kept, rel+stamp)
		}
		if err := os.Rename(staged, cur); err != nil {
			if aside != "" {
				os.Rename(aside, cur)
			}
			return err
		}
		undo = append(undo, func() {
			os.Rename(cur, staged)
			if aside != "" {
				os.Rename(aside, cur)
			}
		})
		return nil
	}

	has := map[string]bool{}
	for _, f := range m.Files {
		has[f.Name] = true
		if path.Dir(f.Name) == clientCADir {
			has[clientCADir] = true
		}
	}
	dbPath := filepath.Join(dataDir, dbName)
	if _, err := os.Stat(dbPath); err == nil {
		// Fold the WAL into the current file so the copy kept aside is whole.
		if cur, err := store.Open(dbPath); err == nil {
			cur.DB.Exec("PRAGMA wal_checkpoint(TRUNCATE)")
			cur.Close()
		}
	}
	if err := replace(dbName); err != nil {
		return nil, err
	}
	// A WAL left beside the old file must not be replayed into the new one.
	for _, suffix := range []string{"-wal", "-shm"} {
		os.Remove(dbPath + suffix)
	}
	for _, rel := range []string{secretsName, clientCADir} {
		if has[rel] {
			if err := replace(rel); err != nil {
				return nil, err
			}
		}
	}
	return kept, nil
}
