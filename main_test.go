package main

// End-to-end tests of the real binary: built once, run with temp data
// directories on loopback ports, driven over HTTP(S) and signals.

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "aiwfe-bin-")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "aiwfe")
	cmd := exec.Command("go", "build", "-o", binary, ".")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building aiwfe: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// proc is a running `aiwfe serve`.
type proc struct {
	cmd    *exec.Cmd
	urls   map[string]string // http, https -> base URL
	lines  []string          // stdout up to the URLs
	mu     sync.Mutex
	later  []string // stdout after the URLs
	stderr *bytes.Buffer
	done   chan error
}

func baseEnv(extra ...string) []string {
	env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.TempDir(),
		"AIWFE_SERVER_HTTP=127.0.0.1:0", "AIWFE_SERVER_HTTPS=127.0.0.1:0",
		"AIWFE_LLM_BASE_URL=http://127.0.0.1:9", // nothing listens: Ollama is down
	}
	return append(env, extra...)
}

var urlLine = regexp.MustCompile(`^\s+(\w+)\s+open (\S+)`)

func startServe(t *testing.T, dataDir string, env []string, args ...string) *proc {
	t.Helper()
	cmd := exec.Command(binary, append([]string{"serve", "--data", dataDir}, args...)...)
	cmd.Env = env
	stdout, _ := cmd.StdoutPipe()
	p := &proc{cmd: cmd, urls: map[string]string{}, stderr: &bytes.Buffer{}, done: make(chan error, 1)}
	cmd.Stderr = p.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan string)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	go func() { p.done <- cmd.Wait() }()
	t.Cleanup(func() {
		cmd.Process.Kill()
	})
	deadline := time.After(15 * time.Second)
	for len(p.urls) < 2 {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("aiwfe exited early:\n%s", p.stderr)
			}
			p.lines = append(p.lines, l)
			if m := urlLine.FindStringSubmatch(l); m != nil {
				p.urls[m[1]] = strings.TrimSuffix(m[2], "/")
			}
		case <-deadline:
			t.Fatalf("aiwfe printed no URLs:\n%s", p.stderr)
		}
	}
	go func() {
		for l := range lines {
			p.mu.Lock()
			p.later = append(p.later, l)
			p.mu.Unlock()
		}
	}()
	return p
}

// waitStdout waits for a line of stdout, printed after the URLs, that
// contains want.
func (p *proc) waitStdout(t *testing.T, want string) string {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		p.mu.Lock()
		for _, l := range p.later {
			if strings.Contains(l, want) {
				p.mu.Unlock()
				return l
			}
		}
		p.mu.Unlock()
		time.Sleep(20 * time.Millisecond)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	t.Fatalf("stdout has no line with %q after the URLs: %q", want, p.later)
	return ""
}

func (p *proc) stop(t *testing.T) int {
	t.Helper()
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(12 * time.Second):
		t.Fatal("aiwfe did not exit within 12 s of SIGTERM")
	}
	return p.cmd.ProcessState.ExitCode()
}

func run(t *testing.T, env []string, args ...string) (int, string, string) {
	t.Helper()
	return runIn(t, env, "", args...)
}

// runIn is run with stdin piped from the string given.
func runIn(t *testing.T, env []string, stdin string, args ...string) (int, string, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, args...)
	cmd.Env = env
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if err != nil {
		ee, ok := err.(*exec.ExitError)
		if !ok {
			t.Fatal(err)
		}
		code = ee.ExitCode()
	}
	return code, out.String(), errb.String()
}

func tlsClient(t *testing.T, dataDir string) *http.Client {
	t.Helper()
	pool := x509.NewCertPool()
	raw, err := os.ReadFile(filepath.Join(dataDir, "tls", "selfsigned.crt"))
	if err != nil {
		t.Fatalf("self-signed certificate not in the data dir: %v", err)
	}
	if !pool.AppendCertsFromPEM(raw) {
		t.Fatal("bad certificate PEM")
	}
	return &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
}

func TestServeWithNoConfig(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	p := startServe(t, data, baseEnv())
	if !strings.HasPrefix(p.urls["http"], "http://localhost:") || !strings.HasPrefix(p.urls["https"], "https://localhost:") {
		t.Fatalf("printed URLs: %v", p.urls)
	}
	client := &http.Client{Timeout: 5 * time.Second}

	// /health: 200, JSON, ollama down means degraded, not an error.
	res, err := client.Get(p.urls["http"] + "/health")
	if err != nil {
		t.Fatal(err)
	}
	var h struct {
		Status  string                     `json:"status"`
		Version string                     `json:"version"`
		Checks  map[string]json.RawMessage `json:"checks"`
	}
	json.NewDecoder(res.Body).Decode(&h)
	res.Body.Close()
	if res.StatusCode != 200 || h.Version == "" {
		t.Fatalf("health: %d %+v", res.StatusCode, h)
	}
	for _, k := range []string{"database", "cache", "ollama"} {
		if _, ok := h.Checks[k]; !ok {
			t.Errorf("health lacks check %q", k)
		}
	}
	if !pollHealth(t, client, p.urls["http"], "degraded") {
		t.Fatal("a dead Ollama should make /health degraded")
	}
	// The person who started it is told once, in words, that chat needs a
	// model server and how to get one; the log has the details once.
	line := p.waitStdout(t, "model")
	for _, want := range []string{"No model server answers at http://127.0.0.1:9.", "install Ollama", "[llm] base_url", "demo model"} {
		if !strings.Contains(line, want) {
			t.Errorf("model line %q lacks %q", line, want)
		}
	}

	// The UI at / and at deep links, with security headers.
	for _, path := range []string{"/", "/tasks", "/security/devices"} {
		res, err := client.Get(p.urls["http"] + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != 200 || !strings.Contains(string(body), "<html") {
			t.Fatalf("%s: %d, not the app's index.html", path, res.StatusCode)
		}
		if res.Header.Get("X-Frame-Options") != "DENY" || res.Header.Get("X-Content-Type-Options") != "nosniff" ||
			!strings.Contains(res.Header.Get("Content-Security-Policy"), "frame-ancestors 'none'") {
			t.Fatalf("%s: security headers missing: %v", path, res.Header)
		}
		if res.Header.Get("Strict-Transport-Security") != "" {
			t.Fatal("HSTS must not be sent over plain HTTP")
		}
	}

	// Unknown API paths answer the JSON error shape.
	res, err = client.Get(p.urls["http"] + "/api/v1/nope")
	if err != nil {
		t.Fatal(err)
	}
	var e struct {
		Error struct{ Code, Message string } `json:"error"`
	}
	json.NewDecoder(res.Body).Decode(&e)
	res.Body.Close()
	if res.StatusCode != 404 || e.Error.Code != "not_found" || e.Error.Message == "" {
		t.Fatalf("unknown API path: %d %+v", res.StatusCode, e)
	}

	// HTTPS with the self-signed certificate (SANs localhost and 127.0.0.1).
	tc := tlsClient(t, data)
	for _, u := range []string{p.urls["https"] + "/health", strings.Replace(p.urls["https"], "localhost", "127.0.0.1", 1) + "/health"} {
		res, err := tc.Get(u)
		if err != nil {
			t.Fatalf("%s: %v", u, err)
		}
		res.Body.Close()
		if res.StatusCode != 200 || !strings.Contains(res.Header.Get("Strict-Transport-Security"), "max-age=") {
			t.Fatalf("%s: %d, HSTS %q", u, res.StatusCode, res.Header.Get("Strict-Transport-Security"))
		}
		if v := res.TLS.Version; v < tls.VersionTLS12 {
			t.Fatalf("TLS version %x", v)
		}
	}

	// Secrets were generated and are private.
	fi, err := os.Stat(filepath.Join(data, "secrets.json"))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("secrets.json: %v %v", err, fi)
	}

	// A second server on the same data directory is refused.
	code, _, stderr := run(t, baseEnv(), "serve", "--data", data)
	if code == 0 || !strings.Contains(stderr, "another aiwfe server is running") {
		t.Fatalf("second serve: exit %d, %s", code, stderr)
	}

	if code := p.stop(t); code != 0 {
		t.Fatalf("exit code %d after SIGTERM:\n%s", code, p.stderr)
	}
}

func pollHealth(t *testing.T, c *http.Client, base, want string) bool {
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		res, err := c.Get(base + "/health")
		if err == nil {
			var h struct{ Status string }
			json.NewDecoder(res.Body).Decode(&h)
			res.Body.Close()
			if h.Status == want {
				return true
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	return false
}

// SIGTERM while a request is in flight: the request completes, the
// process exits 0.
func TestShutdownDrainsInFlight(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	p := startServe(t, data, baseEnv())
	addr := strings.TrimPrefix(p.urls["http"], "http://")
	conn, err := net.Dial("tcp", strings.Replace(addr, "localhost", "127.0.0.1", 1))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	// Send the headers, then hold the rest of the request while the
	// server is told to stop.
	fmt.Fprintf(conn, "GET /health HTTP/1.1\r\nHost: localhost\r\n")
	time.Sleep(100 * time.Millisecond)
	p.cmd.Process.Signal(syscall.SIGTERM)
	time.Sleep(200 * time.Millisecond)
	fmt.Fprintf(conn, "Connection: close\r\n\r\n")
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("in-flight request was dropped: %v", err)
	}
	res.Body.Close()
	if res.StatusCode != 200 {
		t.Fatalf("in-flight request: %d", res.StatusCode)
	}
	select {
	case <-p.done:
	case <-time.After(12 * time.Second):
		t.Fatal("no exit after SIGTERM")
	}
	if code := p.cmd.ProcessState.ExitCode(); code != 0 {
		t.Fatalf("exit %d", code)
	}
}

func TestBadConfigStopsStartup(t *testing.T) {
	dir := t.TempDir()
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	cases := []struct {
		name, file string
		env        []string
		want       string
	}{
		{"unknown key", "[server]\nhtp = \"127.0.0.1:0\"\n", nil, "server.htp"},
		{"wrong type", "[server]\nhttp = 80\n", nil, "server.http"},
		{"bad address", "[server]\nhttp = \"not-an-address\"\n", nil, "server.http"},
		{"port in use", "", []string{"AIWFE_SERVER_HTTP=" + busy.Addr().String()}, "server.http"},
		{"bad env", "", []string{"AIWFE_AUTH_MAX_FAILURES_IP=lots"}, "AIWFE_AUTH_MAX_FAILURES_IP"},
		{"misspelled env", "", []string{"AIWFE_LLM_PROVIDR=demo"}, "AIWFE_LLM_PROVIDR: unknown environment variable; did you mean AIWFE_LLM_PROVIDER?"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			args := []string{"serve", "--data", filepath.Join(dir, tc.name)}
			if tc.file != "" {
				f := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "_")+".toml")
				os.WriteFile(f, []byte(tc.file), 0o600)
				args = append(args, "--config", f)
			}
			env := baseEnv(tc.env...)
			if tc.file != "" {
				// The environment wins over the file: keep the file's value.
				env = withoutEnv(env, "AIWFE_SERVER_HTTP")
			}
			code, _, stderr := run(t, env, args...)
			if code != 2 || !strings.Contains(stderr, tc.want) {
				t.Fatalf("exit %d, stderr %q; want exit 2 naming %s", code, stderr, tc.want)
			}
		})
	}
}

func withoutEnv(env []string, key string) []string {
	var out []string
	for _, kv := range env {
		if !strings.HasPrefix(kv, key+"=") {
			out = append(out, kv)
		}
	}
	return out
}

func TestVersion(t *testing.T) {
	code, out, _ := run(t, baseEnv(), "version")
	if code != 0 || !regexp.MustCompile(`^aiwfe \S+ \(commit \S+, go1\.\d+`).MatchString(out) {
		t.Fatalf("version: %d %q", code, out)
	}
}

func TestBackupAndRestore(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	env := baseEnv()
	p := startServe(t, data, env)
	backup := filepath.Join(t.TempDir(), "aiwfe-backup.tar.gz")

	// Online backup while the server runs.
	code, out, stderr := run(t, env, "backup", backup, "--data", data)
	if code != 0 || !strings.Contains(out, "backup written") || !strings.Contains(out, "secrets.json") {
		t.Fatalf("backup: %d %s %s", code, out, stderr)
	}
	// A second backup to the same file is refused; the first is kept.
	if code, _, _ = run(t, env, "backup", backup, "--data", data); code == 0 {
		t.Fatal("backup overwrote an existing file")
	}
	// Restore refuses while the server holds the data dir.
	code, _, stderr = run(t, env, "restore", backup, "--data", data)
	if code == 0 || !strings.Contains(stderr, "stop it first") {
		t.Fatalf("restore while running: %d %s", code, stderr)
	}
	if p.stop(t) != 0 {
		t.Fatal("bad exit")
	}
	before, _ := os.ReadFile(filepath.Join(data, "aiwfe.db"))

	// A damaged file is refused and nothing changes.
	junk := filepath.Join(t.TempDir(), "junk.db")
	os.WriteFile(junk, bytes.Repeat([]byte("not a database "), 500), 0o600)
	code, _, stderr = run(t, env, "restore", junk, "--data", data)
	if code == 0 || !strings.Contains(stderr, "nothing was changed") {
		t.Fatalf("restore junk: %d %s", code, stderr)
	}
	after, _ := os.ReadFile(filepath.Join(data, "aiwfe.db"))
	if !bytes.Equal(before, after) {
		t.Fatal("a refused restore changed the database")
	}

	code, out, stderr = run(t, env, "restore", backup, "--data", data)
	if code != 0 || !strings.Contains(out, "restored") {
		t.Fatalf("restore: %d %s %s", code, out, stderr)
	}
	code, out, _ = run(t, env, "migrate", "--data", data)
	if code != 0 || !strings.Contains(out, "schema version") {
		t.Fatalf("migrate after restore: %d %s", code, out)
	}
	// And the restored data dir serves again.
	p2 := startServe(t, data, env)
	if !pollHealth(t, &http.Client{Timeout: 2 * time.Second}, p2.urls["http"], "degraded") {
		t.Fatal("no health after restore")
	}
	p2.stop(t)
}

// `backup --encrypt` writes an archive that shows nothing in clear — not
// the JWT, CSRF and at-rest keys, not the client CA's key — and `restore`
// recognises it and asks for the passphrase: a wrong one, or none, is a
// clear error and changes nothing; the right one (from the environment or
// piped on stdin) restores it.
func TestEncryptedBackupAndRestore(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	env := baseEnv()
	if code, out, stderr := run(t, env, "migrate", "--data", data); code != 0 {
		t.Fatalf("migrate: %d %s %s", code, out, stderr)
	}
	secrets, err := os.ReadFile(filepath.Join(data, "secrets.json"))
	if err != nil {
		t.Fatal(err)
	}
	var keys map[string]any
	if err := json.Unmarshal(secrets, &keys); err != nil || len(keys) == 0 {
		t.Fatalf("secrets.json: %v %s", err, secrets)
	}
	const pass = "a long and private passphrase"
	archive := filepath.Join(t.TempDir(), "aiwfe.backup.age")
	if code, out, stderr := run(t, env, "backup", "--encrypt", archive, "--data", data); code == 0 || !strings.Contains(stderr, "AIWFE_BACKUP_PASSPHRASE") {
		t.Fatalf("--encrypt with no passphrase: %d %s %s", code, out, stderr)
	}
	code, out, stderr := run(t, append(env, "AIWFE_BACKUP_PASSPHRASE="+pass), "backup", "--encrypt", archive, "--data", data)
	if code != 0 || !strings.Contains(out, "encrypted backup written") {
		t.Fatalf("backup --encrypt: %d %s %s", code, out, stderr)
	}
	raw, _ := os.ReadFile(archive)
	if !bytes.HasPrefix(raw, []byte("age-encryption.org/v1\n")) {
		t.Fatalf("not an age file: %q", raw[:min(len(raw), 40)])
	}
	for _, v := range keys {
		if s, ok := v.(string); ok && len(s) >= 16 && bytes.Contains(raw, []byte(s)) {
			t.Fatal("a key from secrets.json is in the archive in clear")
		}
	}
	if bytes.Contains(raw, []byte("PRIVATE KEY")) || bytes.Contains(raw, []byte("secrets.json")) {
		t.Fatal("the archive shows its contents in clear")
	}

	before, _ := os.ReadFile(filepath.Join(data, "aiwfe.db"))
	for _, tc := range []struct {
		name  string
		env   []string
		stdin string
		want  string
	}{
		{"wrong passphrase in the environment", append(env, "AIWFE_BACKUP_PASSPHRASE=not the passphrase"), "", "wrong passphrase"},
		{"wrong passphrase on stdin", env, "not the passphrase\n", "wrong passphrase"},
		{"no passphrase", env, "", "needs its passphrase"},
	} {
		code, _, stderr := runIn(t, tc.env, tc.stdin, "restore", archive, "--data", data)
		if code == 0 || !strings.Contains(stderr, tc.want) || !strings.Contains(stderr, "nothing was changed") {
			t.Errorf("%s: %d %s", tc.name, code, stderr)
		}
		after, _ := os.ReadFile(filepath.Join(data, "aiwfe.db"))
		if !bytes.Equal(before, after) {
			t.Fatalf("%s: the database changed", tc.name)
		}
		if kept, _ := filepath.Glob(filepath.Join(data, "*.before-restore-*")); len(kept) != 0 {
			t.Fatalf("%s: files moved aside: %v", tc.name, kept)
		}
	}
	code, out, stderr = runIn(t, env, pass+"\n", "restore", archive, "--data", data)
	if code != 0 || !strings.Contains(out, "restored") {
		t.Fatalf("restore with the passphrase on stdin: %d %s %s", code, out, stderr)
	}
	got, _ := os.ReadFile(filepath.Join(data, "secrets.json"))
	if !bytes.Equal(got, secrets) {
		t.Fatal("secrets.json not restored as it was")
	}
}

// `serve --demo` seeds a demo account, prints its credentials, and the
// account can sign in and chat with the built-in demo model.
func TestServeDemo(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	p := startServe(t, data, baseEnv(), "--demo")
	var email, password string
	for _, l := range p.lines {
		if m := regexp.MustCompile(`sign in as (\S+) with password (\S+)`).FindStringSubmatch(l); m != nil {
			email, password = m[1], m[2]
		}
	}
	if email == "" {
		t.Fatalf("no demo credentials printed: %q", p.lines)
	}
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Timeout: 10 * time.Second}
	base := p.urls["http"]
	res, err := c.Get(base + "/api/v1/auth/csrf-token")
	if err != nil {
		t.Fatal(err)
	}
	var tok struct {
		CSRF string `json:"csrf_token"`
	}
	json.NewDecoder(res.Body).Decode(&tok)
	res.Body.Close()
	post := func(path, body string) *http.Response {
		req, _ := http.NewRequest("POST", base+path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-CSRF-TOKEN", tok.CSRF)
		res, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	res = post("/api/v1/auth/jwt/login", fmt.Sprintf(`{"email":%q,"password":%q}`, email, password))
	res.Body.Close()
	if res.StatusCode != 200 {
		t.Fatalf("demo login: %d", res.StatusCode)
	}
	res, err = c.Get(base + "/api/v1/conversations")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || !strings.Contains(string(body), `"title"`) {
		t.Fatalf("demo conversations: %d %s", res.StatusCode, body)
	}
	res = post("/api/v1/chat", `{"message":"What can you do?"}`)
	body, _ = io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || !strings.Contains(string(body), `"demo":true`) {
		t.Fatalf("demo chat: %d %s", res.StatusCode, body)
	}
	if p.stop(t) != 0 {
		t.Fatal("bad exit")
	}
	// A restart keeps the same account and does not seed twice.
	p2 := startServe(t, data, baseEnv(), "--demo")
	defer p2.stop(t)
	for _, l := range p2.lines {
		if strings.Contains(l, "sign in as") && !strings.Contains(l, email) {
			t.Fatalf("restart changed the demo account: %s", l)
		}
	}
}
