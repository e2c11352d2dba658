package llmtest

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// RequireOllamaEnv names the environment variable that turns a missing real
// Ollama from a skip into a failure (CI sets it after building one).
const RequireOllamaEnv = "AIWFE_REQUIRE_OLLAMA"

// RealModel is the name of the tiny model StartRealOllama installs.
const RealModel = "tiny"

// real is the one real Ollama a test binary shares.
var real struct {
	once sync.Once
	mu   sync.Mutex
	url  string
	skip string // why there is no real Ollama to use
	err  error
	cmd  *exec.Cmd
	dir  string
	done chan struct{} // closed when the server process exits
}

// StartRealOllama returns the base URL of a real Ollama (v0.17.4) serving
// the tiny synthetic model RealModel, started once per test binary from
// .cache/ollama (built by scripts/ollama-testenv.sh). Without that build the
// test is skipped, or fails when AIWFE_REQUIRE_OLLAMA is set. Call
// StopRealOllama from TestMain after m.Run to stop it; otherwise it dies with
// the test binary.
func StartRealOllama(t testing.TB) string {
	t.Helper()
	real.once.Do(startReal)
	real.mu.Lock()
	defer real.mu.Unlock()
	switch {
	case real.skip != "" && os.Getenv(RequireOllamaEnv) != "":
		t.Fatalf("real Ollama required (%s is set) but %s", RequireOllamaEnv, real.skip)
	case real.skip != "":
		t.Skipf("skipping: %s (set %s=1 to fail instead)", real.skip, RequireOllamaEnv)
	case real.err != nil:
		t.Fatalf("real Ollama: %v", real.err)
	case real.cmd == nil:
		t.Fatalf("real Ollama was stopped (StopRealOllama) before this test")
	}
	select {
	case <-real.done:
		t.Fatalf("real Ollama exited early; log: %s", logTail(real.dir))
	default:
	}
	return real.url
}

// StopRealOllama stops the shared real Ollama (and its model runners) and
// removes its temporary directory. Safe to call when none was started.
func StopRealOllama() {
	real.mu.Lock()
	defer real.mu.Unlock()
	if real.cmd != nil {
		killGroup(real.cmd.Process.Pid)
		<-real.done
		real.cmd = nil
	}
	if real.dir != "" {
		_ = os.RemoveAll(real.dir)
		real.dir = ""
	}
}

// OllamaCache returns the repository's .cache/ollama directory, found by
// walking up from the working directory to the module's go.mod.
func OllamaCache() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if b, err := os.ReadFile(filepath.Join(dir, "go.mod")); err == nil &&
			strings.HasPrefix(strings.TrimSpace(string(b)), "module github.com/aiwfe/aiwfe") {
			return filepath.Join(dir, ".cache", "ollama"), nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("repository root (go.mod of github.com/aiwfe/aiwfe) not found above the working directory")
		}
		dir = parent
	}
}

func startReal() {
	cache, err := OllamaCache()
	if err != nil {
		real.skip = err.Error()
		return
	}
	bin := filepath.Join(cache, "bin", "ollama")
	for _, f := range []string{bin, filepath.Join(cache, "tiny.gguf"), filepath.Join(cache, "Modelfile")} {
		if _, err := os.Stat(f); err != nil {
			real.skip = fmt.Sprintf("%s is missing: run scripts/ollama-testenv.sh to build Ollama and the tiny model", f)
			return
		}
	}
	real.err = launch(bin, cache)
	if real.err != nil && real.cmd != nil {
		killGroup(real.cmd.Process.Pid)
		<-real.done
		real.cmd = nil
	}
}

func launch(bin, cache string) error {
	dir, err := os.MkdirTemp("", "aiwfe-ollama-")
	if err != nil {
		return err
	}
	real.dir = dir
	port, err := freePort()
	if err != nil {
		return err
	}
	host := fmt.Sprintf("127.0.0.1:%d", port)
	env := []string{
		"OLLAMA_HOST=" + host,
		"OLLAMA_MODELS=" + filepath.Join(dir, "models"),
		"HOME=" + filepath.Join(dir, "home"),
		"OLLAMA_NO_CLOUD=1",
		"OLLAMA_NUM_PARALLEL=1",
	}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "OLLAMA_") && !strings.HasPrefix(kv, "HOME=") {
			env = append(env, kv)
		}
	}
	logf, err := os.Create(filepath.Join(dir, "serve.log"))
	if err != nil {
		return err
	}
	cmd := exec.Command(bin, "serve")
	cmd.Env = env
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = sysProcAttr()
	if err := cmd.Start(); err != nil {
		logf.Close()
		return fmt.Errorf("start %s serve: %w", bin, err)
	}
	real.cmd = cmd
	real.done = make(chan struct{})
	go func() {
		_ = cmd.Wait()
		logf.Close()
		close(real.done)
	}()
	real.url = "http://" + host

	if err := waitReady(real.url+"/api/version", 60*time.Second); err != nil {
		return fmt.Errorf("%w; log: %s", err, logTail(dir))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	create := exec.CommandContext(ctx, bin, "create", RealModel, "-f", filepath.Join(cache, "Modelfile"))
	create.Dir = cache
	create.Env = env
	if out, err := create.CombinedOutput(); err != nil {
		return fmt.Errorf("ollama create %s: %w: %s; log: %s", RealModel, err, lastLines(string(out), 5), logTail(dir))
	}
	return nil
}

// waitReady polls url until it answers 200, the server exits, or the
// timeout passes.
func waitReady(url string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	client := &http.Client{Timeout: 2 * time.Second}
	for {
		resp, err := client.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-real.done:
			return errors.New("ollama serve exited before answering")
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("ollama serve did not answer %s within %s", url, timeout)
		}
	}
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func logTail(dir string) string {
	f, err := os.Open(filepath.Join(dir, "serve.log"))
	if err != nil {
		return "(no log)"
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	return lastLines(strings.Join(lines, "\n"), 15)
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
