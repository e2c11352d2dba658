// Package backup writes and restores whole-appliance backups: one gzipped
// tar archive holding a consistent copy of the database together with the
// keys that give it meaning. The database alone is not enough: TOTP secrets
// and web-search keys are encrypted with the key in secrets.json, sessions
// are signed with it, and the client certificates on people's phones were
// issued by the client CA in tls/client-ca. An archive carries all three, so
// restoring it into an empty data directory brings the appliance back whole.
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
	"sort"
	"strings"
	"time"

	"github.com/aiwfe/aiwfe/store"
)

// Format names the archive kind in its manifest; FormatVersion is bumped
// when the layout changes incompatibly.
const (
	Format        = "aiwfe-backup"
	FormatVersion = 1
	manifestName  = "manifest.json"
	dbName        = "aiwfe.db"
	secretsName   = "secrets.json"
)

// clientCADir is where the client CA lives below the data directory; every
// regular file in it travels with the backup.
var clientCADir = path.Join("tls", "client-ca")

// Manifest is the archive's first entry. It lists every other entry with
// its size and SHA-256, so a truncated or altered archive is refused before
// anything in the data directory is touched.
type Manifest struct {
	Format        string    `json:"format"`
	FormatVersion int       `json:"format_version"`
	Created       time.Time `json:"created"`
	AppVersion    string    `json:"app_version"`
	SchemaVersion int       `json:"schema_version"`
	Files         []File    `json:"files"`
}

// File is one archived file, named by its slash path below the data dir.
type File struct {
	Name   string `json:"name"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

// Result summarises a written or restored archive.
type Result struct {
	Manifest Manifest
	Bytes    int64 // size of the archive
	// Kept lists what a restore moved aside (data-dir relative paths).
	Kept []string
	// Encrypted says the archive is (was written) encrypted.
	Encrypted bool
}

// Write takes a consistent online copy of st (VACUUM INTO, safe while the
// server writes) and archives it with secrets.json and the client CA from
// dataDir into dest, which must not exist. dest is written 0600 next to its
// final name and renamed into place only when complete.
func Write(ctx context.Context, st *store.Store, dataDir, dest, appVersion string) (*Result, error) {
	return WriteWith(ctx, st, dataDir, dest, appVersion, Options{})
}

// WriteWith is Write with options: with a passphrase the archive is
// encrypted (see encrypt.go).
func WriteWith(ctx context.Context, st *store.Store, dataDir, dest, appVersion string, opt Options) (res *Result, err error) {
	if opt.Passphrase != "" {
		// Refuse a too-short passphrase before any work.
		if err := checkPassphrase(opt.Passphrase); err != nil {
			return nil, err
		}
	}
	// Claim dest first, exclusively, so an existing file is never
	// overwritten; the finished archive is renamed over the claim (rename,
	// not link, so it works on file systems without hard links, such as a
	// FAT-formatted USB disk).
	claim, err := os.OpenFile(dest, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if errors.Is(err, os.ErrExist) {
		return nil, fmt.Errorf("%s already exists", dest)
	}
	if err != nil {
		return nil, err
	}
	claim.Close()
	defer func() {
		if err != nil {
			os.Remove(dest)
		}
	}()
	work, err := os.MkdirTemp(filepath.Dir(dest), ".aiwfe-backup-*")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(work)

	dbCopy := filepath.Join(work, dbName)
	if err := st.Backup(ctx, dbCopy); err != nil {
		return nil, err
	}
	v, err := st.SchemaVersion(ctx)
	if err != nil {
		return nil, err
	}
	m := Manifest{Format: Format, FormatVersion: FormatVersion, Created: time.Now().UTC(),
		AppVersion: appVersion, SchemaVersion: v}

	// sources maps archive names to files on disk, in archive order.
	type source struct{ name, path string }
	sources := []source{{dbName, dbCopy}}
	if _, err := os.Stat(filepath.Join(dataDir, secretsName)); err == nil {
		sources = append(sources, source{secretsName, filepath.Join(dataDir, secretsName)})
	}
	caFiles, err := regularFiles(filepath.Join(dataDir, filepath.FromSlash(clientCADir)))
	if err != nil {
		return nil, err
	}
	for _, f := range caFiles {
		sources = append(sources, source{path.Join(clientCADir, f), filepath.Join(dataDir, filepath.FromSlash(clientCADir), f)})
	}
	for _, s := range sources {
		size, sum, err := hashFile(s.path)
		if err != nil {
			return nil, err
		}
		m.Files = append(m.Files, File{Name: s.name, Size: size, SHA256: sum})
	}

	part := filepath.Join(work, "archive")
	out, err := os.OpenFile(part, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return nil, err
	}
	defer out.Close()
	bw := bufio.NewWriterSize(out, 256<<10)
	// closers finish the layers innermost first: tar, gzip, then age.
	var sink io.Writer = bw
	var enc io.WriteCloser
	if opt.Passphrase != "" {
		if enc, err = encryptTo(bw, opt.Passphrase); err != nil {
			return nil, err
		}
		sink = enc
	}
	gz := gzip.NewWriter(sink)
	tw := tar.NewWriter(gz)
	manifest, _ := json.MarshalIndent(m, "", "  ")
	if err := writeEntry(tw, manifestName, int64(len(manifest)), bytes.NewReader(manifest)); err != nil {
		return nil, err
	}
	for i, s := range sources {
		// Copy exactly the bytes that were hashed: a file that changed in
		// between fails here rather than leaving a manifest that lies.
		f, err := os.Open(s.path)
		if err != nil {
			return nil, err
		}
		err = writeEntry(tw, s.name, m.Files[i].Size, f)
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("archiving %s: %w", s.name, err)
		}
	}
	closers := []io.Closer{tw, gz}
	if enc != nil {
		closers = append(closers, enc)
	}
	for _, c := range closers {
		if err := c.Close(); err != nil {
			return nil, err
		}
	}
	if err := bw.Flush(); err != nil {
		return nil, err
	}
	if err := out.Sync(); err != nil {
		return nil, err
	}
	fi, err := out.Stat()
	if err != nil {
		return nil, err
	}
	if err := out.Close(); err != nil {
		return nil, err
	}
	if err := os.Rename(part, dest); err != nil {
		return nil, err
	}
	return &Result{Manifest: m, Bytes: fi.Size(), Encrypted: enc != nil}, nil
}

func writeEntry(tw *tar.Writer, name string, size int64, r io.Reader) error {
	hdr := &tar.Header{Name: name, Mode: 0o600, Size: size, ModTime: time.Now().UTC(), Typeflag: tar.TypeReg, Format: tar.FormatPAX}
	if err := tw.WriteHeader(hdr); err != nil {
		return err
	}
	n, err := io.Copy(tw, io.LimitReader(r, size))
	if err != nil {
		return err
	}
	if n != size {
		return fmt.Errorf("file shrank from %d to %d bytes while being archived", size, n)
	}
	return nil
}

// regularFiles lists the regular files directly in dir, sorted; a missing
// dir has none.
func regularFiles(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var names []string
	for _, e := range entries {
		if e.Type().IsRegular() {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	return names, nil
}

func hashFile(p string) (int64, string, error) {
	f, err := os.Open(p)
	if err != nil {
		return 0, "", err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return 0, "", err
	}
	return n, hex.EncodeToString(h.Sum(nil)), nil
}

// allowedName reports whether an archive entry may be restored: the
// database, the secrets file, or a plain file directly in the client CA
// directory. Anything else (absolute paths, "..", other directories) is
// refused, so an archive cannot write outside what a backup contains.
func allowedName(name string) bool {
	if name == dbName || name == secretsName {
		return true
	}
	dir, file := path.Split(name)
	return dir == clientCADir+"/" && file != "" && file != "." && file != ".." &&
		!strings.ContainsAny(file, `/\`) && path.Clean(name) == name
}
