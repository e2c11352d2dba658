package backup

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

const passphrase = "correct horse battery staple"

func init() {
	// age's default (18) costs about a second per try; the format and the
	// checks are the same at a lower cost, and the binary's test in
	// main_test.go runs the real default.
	scryptWorkFactor = 10
}

// An encrypted archive shows none of what it holds — the keys in
// secrets.json, the client CA's key, the database — and restores whole
// with its passphrase.
func TestEncryptedRoundTrip(t *testing.T) {
	src, st := dataDir(t, "secret-mark")
	dest := filepath.Join(t.TempDir(), "aiwfe.backup.age")
	res, err := WriteWith(ctx, st, src, dest, "test", Options{Passphrase: passphrase})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Encrypted || len(res.Manifest.Files) != 4 {
		t.Fatalf("result %+v", res)
	}
	raw, err := os.ReadFile(dest)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(raw, ageMagic) {
		t.Fatalf("not an age file: %q", raw[:32])
	}
	for _, plain := range []string{"secret-mark", "jwt_secret", "key of", "manifest.json", "SQLite format 3"} {
		if bytes.Contains(raw, []byte(plain)) {
			t.Errorf("the archive shows %q in clear", plain)
		}
	}
	if enc, err := Encrypted(dest); err != nil || !enc {
		t.Fatalf("Encrypted = %v, %v", enc, err)
	}
	dst := filepath.Join(t.TempDir(), "fresh")
	got, err := RestoreWith(ctx, dst, dest, Options{Passphrase: passphrase})
	if err != nil {
		t.Fatal(err)
	}
	if !got.Encrypted || markOf(t, dst) != "secret-mark" {
		t.Fatalf("restore %+v", got)
	}
	for _, name := range []string{secretsName, "tls/client-ca/ca.crt", "tls/client-ca/ca.key"} {
		if read(t, dst, name) != read(t, src, name) {
			t.Errorf("%s differs", name)
		}
	}
}

// A wrong or missing passphrase, or a damaged encrypted file, is a clear
// error and the data directory stays exactly as it was.
func TestEncryptedRefusals(t *testing.T) {
	src, st := dataDir(t, "backed-up")
	dest := filepath.Join(t.TempDir(), "aiwfe.backup.age")
	if _, err := WriteWith(ctx, st, src, dest, "test", Options{Passphrase: passphrase}); err != nil {
		t.Fatal(err)
	}
	raw, _ := os.ReadFile(dest)
	truncated := filepath.Join(t.TempDir(), "truncated.age")
	os.WriteFile(truncated, raw[:len(raw)-100], 0o600)
	flipped := filepath.Join(t.TempDir(), "flipped.age")
	bad := bytes.Clone(raw)
	bad[len(bad)-50] ^= 1
	os.WriteFile(flipped, bad, 0o600)

	dst, cur := dataDir(t, "current")
	cur.Close()
	before := snapshot(t, dst)
	for _, tc := range []struct {
		name, file, pass string
		want             error
	}{
		{"wrong passphrase", dest, "not the passphrase at all", ErrWrongPassphrase},
		{"no passphrase", dest, "", ErrPassphraseNeeded},
		{"truncated", truncated, passphrase, ErrUnusable},
		{"altered", flipped, passphrase, ErrUnusable},
	} {
		_, err := RestoreWith(ctx, dst, tc.file, Options{Passphrase: tc.pass})
		if !errors.Is(err, tc.want) || !errors.Is(err, ErrUnusable) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
		sameSnapshot(t, before, snapshot(t, dst))
	}
	if markOf(t, dst) != "current" {
		t.Fatal("a refused restore changed the database")
	}
}

func TestWriteRefusesAShortPassphrase(t *testing.T) {
	src, st := dataDir(t, "x")
	dest := filepath.Join(t.TempDir(), "short.age")
	if _, err := WriteWith(ctx, st, src, dest, "test", Options{Passphrase: "short"}); err == nil {
		t.Fatal("a 5-character passphrase was accepted")
	}
	if _, err := os.Stat(dest); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("a refused backup left %s: %v", dest, err)
	}
}
