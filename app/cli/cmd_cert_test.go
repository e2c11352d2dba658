package cli

import (
	"crypto/tls"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

func TestCertIssueListRevoke(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(t.TempDir(), "certs")

	code, stdout, _ := runCLI(t, dir, nil, "cert", "list")
	if code != ExitOK || !strings.Contains(stdout, "no client certificates") {
		t.Fatalf("empty list: %d %q", code, stdout)
	}
	if code, _, errs := runCLI(t, dir, nil, "admin", "create", "--email", "eve@example.com", "--password", "a long enough passphrase", "--role", "user"); code != ExitOK {
		t.Fatal(errs)
	}
	code, stdout, errs := runCLI(t, dir, nil, "cert", "issue", "--name", "eve laptop", "--days", "3", "--user", "Eve@Example.com", "--out", out)
	m := regexp.MustCompile(`(?m)^serial:\s+([0-9a-f]+)\n`).FindStringSubmatch(stdout)
	if code != ExitOK || m == nil || !regexp.MustCompile(`(?m)^password:\s+\S{16}$`).MatchString(stdout) || !strings.Contains(stdout, "eve@example.com") {
		t.Fatalf("issue: %d %q %q", code, stdout, errs)
	}
	serial := m[1]
	// The name becomes a safe file name; the pair loads.
	if _, err := tls.LoadX509KeyPair(filepath.Join(out, "eve_laptop.crt"), filepath.Join(out, "eve_laptop.key")); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(filepath.Join(out, "eve_laptop-legacy.p12")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("legacy p12: %v", err)
	}

	for _, tc := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"no action", []string{"cert"}, ExitConfig, "usage"},
		{"unknown action", []string{"cert", "renew"}, ExitConfig, "usage"},
		{"revoke without serial", []string{"cert", "revoke"}, ExitConfig, "usage"},
		{"issue without name", []string{"cert", "issue", "--out", out}, ExitConfig, "--name"},
		{"issue without out", []string{"cert", "issue", "--name", "x"}, ExitConfig, "--out"},
		{"bad days", []string{"cert", "issue", "--name", "x", "--out", out, "--days", "0"}, ExitConfig, "--days"},
		{"unknown user", []string{"cert", "issue", "--name", "x", "--out", out, "--user", "nobody@example.com"}, ExitFail, "no account"},
		{"files exist", []string{"cert", "issue", "--name", "eve laptop", "--out", out}, ExitFail, "exists"},
		{"revoke unknown", []string{"cert", "revoke", "abc123"}, ExitFail, "no client certificate"},
		{"revoke junk", []string{"cert", "revoke", "zzz"}, ExitFail, "not a certificate serial"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, errs := runCLI(t, dir, nil, tc.args...)
			if code != tc.code || !strings.Contains(errs, tc.want) {
				t.Fatalf("exit %d, stderr %q; want %d with %q", code, errs, tc.code, tc.want)
			}
		})
	}

	code, stdout, _ = runCLI(t, dir, nil, "cert", "list")
	if code != ExitOK || !regexp.MustCompile(serial+`\s+eve laptop\s+eve@example.com\s+\d{4}-\d\d-\d\d\s+-\n`).MatchString(stdout) || strings.Count(stdout, "\n") != 2 {
		t.Fatalf("list: %q", stdout)
	}
	// Serials as openssl prints them (upper case, colons) are accepted.
	colons := strings.ToUpper(regexp.MustCompile(`..`).ReplaceAllStringFunc(serial, func(s string) string { return s + ":" }))
	code, stdout, errs = runCLI(t, dir, nil, "cert", "revoke", strings.TrimSuffix(colons, ":"))
	if code != ExitOK || !strings.Contains(stdout, "revoked certificate "+serial) {
		t.Fatalf("revoke: %d %q %q", code, stdout, errs)
	}
	if code, stdout, _ = runCLI(t, dir, nil, "cert", "revoke", serial); code != ExitOK || !strings.Contains(stdout, "already revoked") {
		t.Fatalf("revoke again: %d %q", code, stdout)
	}
	if _, stdout, _ = runCLI(t, dir, nil, "cert", "list"); regexp.MustCompile(serial + `.*\s-\n`).MatchString(stdout) {
		t.Fatalf("list after revoke: %q", stdout)
	}
	// Audited.
	var n int
	a := openApp(t, dir)
	defer a.Close()
	a.Store.DB.QueryRow("SELECT COUNT(*) FROM security_events WHERE type IN ('cert_issued','cert_revoked')").Scan(&n)
	if n != 2 {
		t.Fatalf("%d audit events, want 2", n)
	}
}
