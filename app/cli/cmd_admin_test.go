package cli

import (
	"bytes"
	"context"
	"io"
	"regexp"
	"strings"
	"testing"

	"github.com/aiwfe/aiwfe/app"
	"github.com/aiwfe/aiwfe/app/auth"
	"github.com/aiwfe/aiwfe/app/config"
	"github.com/aiwfe/aiwfe/store"
)

func runCLI(t *testing.T, dir string, stdin io.Reader, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	env := []string{"AIWFE_AUTH_ARGON2_MEMORY_KIB=8192", "AIWFE_AUTH_ARGON2_ITERATIONS=1", "AIWFE_LOG_LEVEL=error"}
	code := Run(Env{Args: append(args, "--data", dir), Environ: env, Stdout: &out, Stderr: &errb, Stdin: stdin})
	return code, out.String(), errb.String()
}

func TestAdminCreateAndResetPassword(t *testing.T) {
	dir := t.TempDir()
	const pw = "a long enough passphrase"
	code, out, errs := runCLI(t, dir, strings.NewReader(pw+"\n"), "admin", "create", "--email", "Boss@Example.com")
	if code != ExitOK || !strings.Contains(out, "boss@example.com") || !strings.Contains(out, "role superuser") {
		t.Fatalf("create: %d %q %q", code, out, errs)
	}
	code, out, errs = runCLI(t, dir, nil, "admin", "create", "--email", "helper@example.com", "--password", pw, "--role", "user")
	if code != ExitOK || !strings.Contains(out, "role user") {
		t.Fatalf("create with --password: %d %q %q", code, out, errs)
	}
	for _, tc := range []struct {
		name  string
		stdin string
		args  []string
		want  string
	}{
		{"duplicate", pw, []string{"admin", "create", "--email", "boss@example.com"}, "already exists"},
		{"weak password", "password123", []string{"admin", "create", "--email", "x@example.com"}, "password"},
		{"no password", "", []string{"admin", "create", "--email", "x@example.com"}, "stdin"},
		{"bad role", pw, []string{"admin", "create", "--email", "x@example.com", "--role", "king"}, "role"},
		{"unknown account", "", []string{"admin", "reset-password", "--email", "nobody@example.com"}, "not found"},
		{"no email", "", []string{"admin", "create"}, "--email"},
		{"unknown action", "", []string{"admin", "promote", "--email", "x@example.com"}, "reset-password"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errs := runCLI(t, dir, strings.NewReader(tc.stdin), tc.args...)
			if code == ExitOK || !strings.Contains(out+errs, tc.want) {
				t.Fatalf("%d %q %q, want failure mentioning %q", code, out, errs, tc.want)
			}
		})
	}

	// Reset with a generated password.
	code, out, errs = runCLI(t, dir, strings.NewReader(""), "admin", "reset-password", "--email", "boss@example.com")
	m := regexp.MustCompile(`new password for boss@example.com: (\S+)`).FindStringSubmatch(out)
	if code != ExitOK || m == nil {
		t.Fatalf("reset: %d %q %q", code, out, errs)
	}
	a := openApp(t, dir)
	if r, err := a.Auth.Login(context.Background(), "boss@example.com", m[1], clientCLI()); err != nil || r.Session == nil {
		t.Fatalf("generated password does not work: %v", err)
	}
	a.Close()
	// Reset from stdin.
	const next = "another fine passphrase"
	code, out, errs = runCLI(t, dir, strings.NewReader(next+"\n"), "admin", "reset-password", "--email", "boss@example.com")
	if code != ExitOK || !strings.Contains(out, "changed") {
		t.Fatalf("reset from stdin: %d %q %q", code, out, errs)
	}
	a = openApp(t, dir)
	defer a.Close()
	if _, err := a.Auth.Login(context.Background(), "boss@example.com", next, clientCLI()); err != nil {
		t.Fatalf("stdin password does not work: %v", err)
	}
	evs, _, err := store.ListEvents(context.Background(), a.Store.DB, 0, 100, 0)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	for _, e := range evs {
		seen[e.Type]++
	}
	if seen["user_create"] != 2 || seen["password_reset"] != 2 {
		t.Fatalf("audit: %v", seen)
	}
}

func openApp(t *testing.T, dir string) *app.App {
	t.Helper()
	cfg := config.Default()
	cfg.Data.Dir = dir
	cfg.Auth.Argon2MemoryKiB, cfg.Auth.Argon2Iterations = 8192, 1
	a, err := app.Open(context.Background(), cfg, newLogger(cfg, io.Discard), app.OpenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func clientCLI() auth.Client { return auth.Client{IP: "127.0.0.1", UserAgent: "test"} }
