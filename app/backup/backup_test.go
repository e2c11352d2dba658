package backup

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aiwfe/aiwfe/store"
)

var ctx = context.Background()

// dataDir makes a data directory as a running appliance leaves it: a
// migrated database with a row that marks it, secrets.json and a client CA.
func dataDir(t *testing.T, mark string) (string, *store.Store) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "data")
	if err := os.MkdirAll(filepath.Join(dir, "tls", "client-ca"), 0o700); err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(filepath.Join(dir, dbName))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if _, err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := st.DB.Exec(`CREATE TABLE IF NOT EXISTS backup_mark(v TEXT)`); err != nil {
		t.Fatal(err)
	}
	if _, err := st.DB.Exec(`INSERT INTO backup_mark(v) VALUES(?)`, mark); err != nil {
		t.Fatal(err)
	}
	for name, body := range map[string]string{
		secretsName:            `{"jwt_secret":"` + mark + `"}`,
		"tls/client-ca/ca.crt": "cert of " + mark,
		"tls/client-ca/ca.key": "key of " + mark,
		storedDoc:              "document of " + mark,
		"documents/tmp/upload": "an upload still arriving",
	} {
		os.MkdirAll(filepath.Dir(filepath.Join(dir, filepath.FromSlash(name))), 0o700)
		if err := os.WriteFile(filepath.Join(dir, filepath.FromSlash(name)), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir, st
}

// storedDoc is a document's stored file as the documents service names
// it (documents/<user id>/<sha256>).
const storedDoc = "documents/7/0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

func markOf(t *testing.T, dir string) string {
	t.Helper()
	st, err := store.OpenReadOnly(filepath.Join(dir, dbName))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var v string
	if err := st.DB.QueryRow(`SELECT v FROM backup_mark`).Scan(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

func read(t *testing.T, dir, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(name)))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// snapshot hashes every file below dir, to prove a refused restore changed
// nothing (and left no staging directory behind).
func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			t.Fatal(err)
		}
		rel, _ := filepath.Rel(dir, p)
		if d.IsDir() {
			out[rel] = "dir"
			return nil
		}
		b, _ := os.ReadFile(p)
		sum := sha256.Sum256(b)
		out[rel] = hex.EncodeToString(sum[:])
		return nil
	})
	return out
}

func sameSnapshot(t *testing.T, a, b map[string]string) {
	t.Helper()
	for k, v := range a {
		if b[k] != v {
			t.Errorf("%s changed", k)
		}
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			t.Errorf("%s appeared", k)
		}
	}
}

func writeBackup(t *testing.T, st *store.Store, dir string) string {
	t.Helper()
	dest := filepath.Join(t.TempDir(), "aiwfe.backup")
	res, err := Write(ctx, st, dir, dest, "test")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range res.Manifest.Files {
		names = append(names, f.Name)
	}
	if got := strings.Join(names, ","); got != "aiwfe.db,secrets.json,tls/client-ca/ca.crt,tls/client-ca/ca.key,"+storedDoc {
		t.Fatalf("archived %s", got)
	}
	fi, err := os.Stat(dest)
	if err != nil || fi.Mode().Perm() != 0o600 || fi.Size() != res.Bytes {
		t.Fatalf("archive %v %v, result %d bytes", fi.Mode(), err, res.Bytes)
	}
	return dest
}

func TestRoundTripIntoAnEmptyDataDir(t *testing.T) {
	src, st := dataDir(t, "original")
	archive := writeBackup(t, st, src)

	dst := filepath.Join(t.TempDir(), "fresh")
	res, err := Restore(ctx, dst, archive)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Kept) != 0 || res.Manifest.SchemaVersion != store.LatestVersion() {
		t.Fatalf("result %+v", res)
	}
	if markOf(t, dst) != "original" {
		t.Fatal("database not restored")
	}
	for _, name := range []string{secretsName, "tls/client-ca/ca.crt", "tls/client-ca/ca.key", storedDoc} {
		if read(t, dst, name) != read(t, src, name) {
			t.Errorf("%s differs", name)
		}
		if fi, _ := os.Stat(filepath.Join(dst, name)); fi.Mode().Perm() != 0o600 {
			t.Errorf("%s mode %v", name, fi.Mode())
		}
	}
	if entries, _ := filepath.Glob(filepath.Join(dst, ".restore-*")); len(entries) != 0 {
		t.Fatalf("staging left behind: %v", entries)
	}
}

func TestRestoreOverExistingKeepsThePrevious(t *testing.T) {
	src, st := dataDir(t, "backed-up")
	archive := writeBackup(t, st, src)
	dst, cur := dataDir(t, "current")
	cur.Close()

	res, err := Restore(ctx, dst, archive)
	if err != nil {
		t.Fatal(err)
	}
	if markOf(t, dst) != "backed-up" || read(t, dst, "tls/client-ca/ca.key") != "key of backed-up" {
		t.Fatal("not restored")
	}
	if len(res.Kept) != 4 || read(t, dst, storedDoc) != "document of backed-up" {
		t.Fatalf("kept %v", res.Kept)
	}
	for _, k := range res.Kept {
		base := strings.SplitN(k, ".before-restore-", 2)[0]
		switch base {
		case dbName:
			// The kept database must be whole: the WAL of the replaced
			// database was folded into it before it was moved aside.
			kept := filepath.Join(t.TempDir(), dbName)
			os.Rename(filepath.Join(dst, k), kept)
			if markOf(t, filepath.Dir(kept)) != "current" {
				t.Fatal("the kept database lost its rows")
			}
		case secretsName:
			if !strings.Contains(read(t, dst, k), "current") {
				t.Errorf("kept %s holds %q", k, read(t, dst, k))
			}
		case "tls/client-ca":
			if read(t, dst, k+"/ca.key") != "key of current" {
				t.Errorf("kept CA %s", k)
			}
		case "documents":
			if read(t, dst, k+strings.TrimPrefix(storedDoc, "documents")) != "document of current" {
				t.Errorf("kept documents %s", k)
			}
		default:
			t.Errorf("kept %s", k)
		}
	}
}

func TestRestoreABareDatabase(t *testing.T) {
	src, st := dataDir(t, "bare")
	bare := filepath.Join(t.TempDir(), "copy.db")
	if err := st.Backup(ctx, bare); err != nil {
		t.Fatal(err)
	}
	dst, cur := dataDir(t, "current")
	cur.Close()
	res, err := Restore(ctx, dst, bare)
	if err != nil {
		t.Fatal(err)
	}
	if markOf(t, dst) != "bare" || len(res.Kept) != 1 {
		t.Fatalf("kept %v", res.Kept)
	}
	// Only the database was replaced.
	if read(t, dst, secretsName) == read(t, src, secretsName) || read(t, dst, "tls/client-ca/ca.key") != "key of current" {
		t.Fatal("a database-only restore touched the secrets or the CA")
	}
}

func TestWriteRefusesAnExistingFile(t *testing.T) {
	src, st := dataDir(t, "x")
	dest := filepath.Join(t.TempDir(), "exists")
	os.WriteFile(dest, []byte("precious"), 0o600)
	if _, err := Write(ctx, st, src, dest, "test"); err == nil {
		t.Fatal("overwrote an existing file")
	}
	if b, _ := os.ReadFile(dest); string(b) != "precious" {
		t.Fatal("existing file changed")
	}
	if left, _ := filepath.Glob(filepath.Join(filepath.Dir(dest), ".aiwfe-backup-*")); len(left) != 0 {
		t.Fatalf("work dir left: %v", left)
	}
}

// entry is one file of a hand-made archive.
type entry struct {
	name string
	body []byte
	typ  byte
}

// craft builds an archive from a manifest and entries, for the refusals.
func craft(t *testing.T, m *Manifest, entries ...entry) []byte {
	t.Helper()
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	add := func(e entry) {
		typ := e.typ
		if typ == 0 {
			typ = tar.TypeReg
		}
		hdr := &tar.Header{Name: e.name, Mode: 0o600, Size: int64(len(e.body)), Typeflag: typ}
		if typ != tar.TypeReg {
			hdr.Size = 0
		}
		if err := tw.WriteHeader(hdr); err != nil {
			t.Fatal(err)
		}
		tw.Write(e.body)
	}
	if m != nil {
		raw, _ := json.Marshal(m)
		add(entry{name: manifestName, body: raw})
	}
	for _, e := range entries {
		add(e)
	}
	tw.Close()
	gz.Close()
	return buf.Bytes()
}

func fileOf(name string, body []byte) File {
	sum := sha256.Sum256(body)
	return File{Name: name, Size: int64(len(body)), SHA256: hex.EncodeToString(sum[:])}
}

func manifestFor(files ...File) *Manifest {
	return &Manifest{Format: Format, FormatVersion: FormatVersion, Files: files}
}

func TestRefusals(t *testing.T) {
	src, st := dataDir(t, "good")
	good, err := os.ReadFile(writeBackup(t, st, src))
	if err != nil {
		t.Fatal(err)
	}
	bare := filepath.Join(t.TempDir(), "bare.db")
	if err := st.Backup(ctx, bare); err != nil {
		t.Fatal(err)
	}
	db, _ := os.ReadFile(bare)
	// A database from a newer aiwfe: a schema version this binary lacks.
	newer := filepath.Join(t.TempDir(), "newer.db")
	st.Backup(ctx, newer)
	ns, _ := store.Open(newer)
	ns.DB.Exec(`INSERT INTO schema_migrations(version, name, applied_at) VALUES(9999, 'future', ?)`, time.Now().Unix())
	ns.DB.Exec(`PRAGMA wal_checkpoint(TRUNCATE)`)
	ns.Close()
	newerDB, _ := os.ReadFile(newer)
	notAiwfe := append([]byte(nil), db[:100]...) // a SQLite header over nothing
	notAiwfe = append(notAiwfe, bytes.Repeat([]byte{0}, 4096)...)

	cases := []struct {
		name string
		file []byte
		want string
	}{
		{"junk", bytes.Repeat([]byte("not a backup "), 100), "neither an aiwfe backup archive nor a SQLite database"},
		{"empty", nil, "neither"},
		{"gzip of junk", gz(t, []byte("hello")), "does not start with manifest.json"},
		{"no manifest first", craft(t, nil, entry{name: dbName, body: db}), "does not start with manifest.json"},
		{"foreign manifest", craft(t, &Manifest{Format: "other", FormatVersion: 1}), "not an aiwfe backup manifest"},
		{"newer format", craft(t, &Manifest{Format: Format, FormatVersion: FormatVersion + 1}), "upgrade aiwfe first"},
		{"no database", craft(t, manifestFor(fileOf(secretsName, []byte("{}"))), entry{name: secretsName, body: []byte("{}")}), "holds no database"},
		{"traversal in manifest", craft(t, manifestFor(fileOf(dbName, db), fileOf("../evil", []byte("x"))), entry{name: dbName, body: db}), `"../evil"`},
		{"traversal in CA dir", craft(t, manifestFor(fileOf(dbName, db), fileOf("tls/client-ca/../../evil", []byte("x"))), entry{name: dbName, body: db}), "never holds"},
		{"absolute name", craft(t, manifestFor(fileOf(dbName, db), fileOf("/etc/passwd", []byte("x"))), entry{name: dbName, body: db}), "never holds"},
		{"entry not in manifest", craft(t, manifestFor(fileOf(dbName, db)), entry{name: dbName, body: db}, entry{name: secretsName, body: []byte("{}")}), "unexpected entry"},
		{"duplicate entry", craft(t, manifestFor(fileOf(dbName, db)), entry{name: dbName, body: db}, entry{name: dbName, body: db}), "unexpected entry"},
		{"symlink entry", craft(t, manifestFor(fileOf(dbName, db), fileOf(secretsName, nil)), entry{name: dbName, body: db}, entry{name: secretsName, typ: tar.TypeSymlink}), "unexpected entry"},
		{"missing entry", craft(t, manifestFor(fileOf(dbName, db), fileOf(secretsName, []byte("{}"))), entry{name: dbName, body: db}), "lacks secrets.json"},
		{"checksum mismatch", craft(t, manifestFor(fileOf(dbName, db), fileOf(secretsName, []byte("{}"))), entry{name: dbName, body: db}, entry{name: secretsName, body: []byte("[]")}), "does not match its checksum"},
		{"truncated", good[:len(good)*2/3], "damaged or truncated"},
		{"damaged database", craft(t, manifestFor(fileOf(dbName, notAiwfe)), entry{name: dbName, body: notAiwfe}), "unusable"},
		{"bare damaged database", notAiwfe, "unusable"},
		{"newer schema", craft(t, manifestFor(fileOf(dbName, newerDB)), entry{name: dbName, body: newerDB}), "newer than this binary knows"},
		{"bare newer schema", newerDB, "newer than this binary knows"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dst, cur := dataDir(t, "current")
			cur.Close()
			before := snapshot(t, dst)
			file := filepath.Join(t.TempDir(), "backup")
			os.WriteFile(file, tc.file, 0o600)
			_, err := Restore(ctx, dst, file)
			if !errors.Is(err, ErrUnusable) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want ErrUnusable mentioning %q", err, tc.want)
			}
			sameSnapshot(t, before, snapshot(t, dst))
		})
	}
}

func gz(t *testing.T, b []byte) []byte {
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	w.Write(b)
	w.Close()
	return buf.Bytes()
}

// A failure half way through the swap undoes what was done: the data
// directory is either wholly restored or as it was.
func TestFailedSwapIsUndone(t *testing.T) {
	src, st := dataDir(t, "backed-up")
	archive := writeBackup(t, st, src)
	dst, cur := dataDir(t, "current")
	cur.Close()
	// The client CA cannot be put in place: "tls" is a file, not a directory.
	os.RemoveAll(filepath.Join(dst, "tls"))
	os.WriteFile(filepath.Join(dst, "tls"), []byte("in the way"), 0o600)
	secrets := read(t, dst, secretsName)
	if _, err := Restore(ctx, dst, archive); err == nil {
		t.Fatal("restore succeeded with tls in the way")
	}
	if markOf(t, dst) != "current" || read(t, dst, secretsName) != secrets || read(t, dst, "tls") != "in the way" {
		t.Fatal("the swap was not undone")
	}
	for k := range snapshot(t, dst) {
		if strings.Contains(k, ".before-restore-") || strings.HasPrefix(k, ".restore-") {
			t.Errorf("left behind: %s", k)
		}
	}
}

// A backup that fails leaves neither a partial archive nor its claim on
// the name behind.
func TestFailedWriteLeavesNothing(t *testing.T) {
	src, st := dataDir(t, "x")
	st.Close() // the database copy fails
	dir := t.TempDir()
	dest := filepath.Join(dir, "aiwfe.backup")
	if _, err := Write(ctx, st, src, dest, "test"); err == nil {
		t.Fatal("backup of a closed store succeeded")
	}
	if left, _ := os.ReadDir(dir); len(left) != 0 {
		t.Fatalf("left behind: %v", left)
	}
}

func TestAllowedNames(t *testing.T) {
	for name, want := range map[string]bool{
		dbName: true, secretsName: true, "tls/client-ca/ca.key": true, storedDoc: true,
		"documents/7/../../../etc/passwd":        false,
		"documents/x/" + storedDoc[12:]:          false,
		"documents/7/" + strings.Repeat("g", 64): false,
		"documents/7/abc":                        false,
		"documents/tmp/upload":                   false,
		"documents/7/sub/" + storedDoc[12:]:      false,
		"/" + storedDoc:                          false,
	} {
		if got := allowedName(name); got != want {
			t.Errorf("allowedName(%q) = %v, want %v", name, got, want)
		}
	}
}
