// Package e2e drives the real web UI in a headless Chromium against the real
// server, started in-process with the committed UI build (ui/build).
//
// A test starts its own server and browser:
//
//	srv := StartServer(t)                        // or StartServer(t, Demo)
//	b := NewBrowser(t, srv)                      // a fresh profile, headless
//	b.Navigate("/register")
//	b.Fill("#email", "ada@example.com")
//	b.Click(`button[type=submit]`)
//	b.WaitText("h1", "Chat")
//
// Every helper fails the test (with a screenshot and the page's console in
// the log) when its condition is not met before a deadline; nothing sleeps.
// b.Ctx() is the chromedp context of the tab, for CDP calls of your own
// (e.g. chromedp.Call(b.Ctx(), webauthn.Enable, webauthn.EnableParams{})).
//
// The suite is skipped under -short, and when no Chromium is found unless
// AIWFE_REQUIRE_PEERS is set (then it fails). AIWFE_CHROMIUM names the
// browser binary; AIWFE_E2E_ARTIFACTS keeps failure screenshots in that
// folder instead of the test's temporary one.
package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/aiwfe/aiwfe/app"
	"github.com/aiwfe/aiwfe/app/config"
	"github.com/aiwfe/aiwfe/app/llm"
	"github.com/aiwfe/aiwfe/app/server"
	"github.com/aiwfe/aiwfe/app/server/servertest"
)

// Password is accepted by the password policy; use it for test accounts.
const Password = servertest.Password

// Timeout bounds each helper's wait (page loads, an element, a text).
var Timeout = 20 * time.Second

// --- the server ---

// Server is the aiwfe server under test, serving the committed UI build.
type Server struct {
	// URL is http://localhost:PORT: passkeys need the host name localhost.
	URL    string
	App    *app.App
	Server *server.Server
	Config *config.Config

	// Gate can hold a reply of the demo model mid-stream (see StreamGate);
	// it survives restarts.
	Gate StreamGate

	ui   fs.FS
	stop func() // shuts the running instance down (idempotent)
}

// Demo runs the server as `aiwfe serve --demo` does (the built-in demo
// model streams its deterministic replies word by word).
func Demo(c *config.Config) { c.Demo = true }

// StartServer runs the server on 127.0.0.1:0 with a temporary data
// directory until the test ends; opts adjust the configuration (argon2 is
// cheap, HTTPS and mTLS are off and the model is the demo one unless an
// option says otherwise).
func StartServer(t testing.TB, opts ...func(*config.Config)) *Server {
	t.Helper()
	cfg := servertest.Config(t, opts...)
	s := &Server{Config: cfg, ui: uiBuild(t)}
	s.start(t)
	t.Cleanup(func() { s.stop() })
	return s
}

// start opens the app on s.Config and serves it.
func (s *Server) start(t testing.TB) {
	t.Helper()
	log := slog.New(slog.DiscardHandler)
	if os.Getenv("AIWFE_E2E_LOG") != "" {
		log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	ctx, cancel := context.WithCancel(context.Background())
	a, err := app.Open(ctx, s.Config, log, app.OpenOptions{})
	if err != nil {
		cancel()
		t.Fatalf("e2e: open app: %v", err)
	}
	if demo, ok := a.LLM.Current().(*llm.Demo); ok {
		// Only the demo model is gated: a wrapper would hide the optional
		// interfaces (Puller, RunningLister) of the real providers. The
		// switch is what chat holds, so the gate applies to every reply.
		a.LLM.Set(gated{Provider: demo, gate: &s.Gate})
	}
	srv, err := server.New(a, server.Options{UI: s.ui})
	if err != nil {
		cancel()
		a.Close()
		t.Fatalf("e2e: new server: %v", err)
	}
	ls, err := srv.Bind(nil)
	if err != nil {
		cancel()
		a.Close()
		t.Fatalf("e2e: bind %s: %v", s.Config.Server.HTTP, err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		srv.Serve(ctx, ls)
	}()
	var once sync.Once
	s.stop = func() {
		once.Do(func() {
			cancel()
			select {
			case <-done:
			case <-time.After(15 * time.Second):
				t.Errorf("e2e: server did not stop")
			}
			a.Close()
		})
	}
	addr := ls[0].Addr.String()
	_, port, _ := net.SplitHostPort(addr)
	s.Config.Server.HTTP = addr // a restart binds the same port
	s.URL, s.App, s.Server = "http://localhost:"+port, a, srv
}

// Restart shuts the server down as SIGTERM does (open sockets get 1001,
// streaming replies are kept as partial) and starts it again on the same
// port and data directory: sessions stay valid and browsers reconnect.
func (s *Server) Restart(t testing.TB) {
	t.Helper()
	s.stop()
	s.start(t)
}

// uiBuild is the committed web app; the tests run from e2e/.
func uiBuild(t testing.TB) fs.FS {
	t.Helper()
	dir, err := filepath.Abs(filepath.Join("..", "ui", "build"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "index.html")); err != nil {
		t.Fatalf("e2e: no UI build at %s (cd ui && npm ci && npm run build): %v", dir, err)
	}
	return os.DirFS(dir)
}

// Client is an API client (cookies, CSRF, login) for setting state up
// around the browser, e.g. srv.Client(t).Register(email, Password).
func (s *Server) Client(t testing.TB) *servertest.Client {
	jar, _ := cookiejar.New(nil)
	return &servertest.Client{
		T:         t,
		Base:      s.URL,
		HTTP:      &http.Client{Jar: jar, Timeout: 30 * time.Second},
		UserAgent: "aiwfe-e2e",
	}
}

// CreateUser makes an active account with the role given (user, admin,
// superuser) directly through the service.
func (s *Server) CreateUser(t testing.TB, email, role string) {
	t.Helper()
	if _, err := s.App.Auth.CreateUser(context.Background(), email, Password, role); err != nil {
		t.Fatalf("e2e: create %s: %v", email, err)
	}
}

// --- the browser ---

// chromiumPath finds the browser, or skips (fails with
// AIWFE_REQUIRE_PEERS) when there is none.
func chromiumPath(t testing.TB) string {
	t.Helper()
	if testing.Short() {
		t.Skip("e2e: browser tests do not run with -short")
	}
	candidates := []string{os.Getenv("AIWFE_CHROMIUM"), "/usr/bin/chromium", "chromium", "chromium-browser", "google-chrome", "google-chrome-stable"}
	for _, c := range candidates {
		if c == "" {
			continue
		}
		if p, err := exec.LookPath(c); err == nil {
			return p
		}
	}
	msg := "e2e: no Chromium found (apt-get install -y chromium, or set AIWFE_CHROMIUM)"
	if os.Getenv("AIWFE_REQUIRE_PEERS") != "" {
		t.Fatal(msg + "; AIWFE_REQUIRE_PEERS is set, so this is a failure")
	}
	t.Skip(msg)
	return ""
}

// Browser is one headless Chromium with a fresh profile and one tab,
// pointed at a Server.
type Browser struct {
	T    testing.TB
	Base string

	ctx      context.Context
	mu       sync.Mutex
	console  []string
	shotDir  string
	shotSeq  int
	deadline time.Duration
}

// BrowserOption adjusts the browser's command line.
type BrowserOption = chromedp.ExecAllocatorOption

// NewBrowser starts Chromium for the test (closed when it ends) and takes
// a screenshot into the test's temporary folder if the test failed.
func NewBrowser(t testing.TB, srv *Server, opts ...BrowserOption) *Browser {
	t.Helper()
	exe := chromiumPath(t)
	flags := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(exe),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("no-default-browser-check", true),
		chromedp.WindowSize(1280, 900),
	}
	flags = append(append(chromedp.DefaultExecAllocatorOptions[:], flags...), opts...)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), flags...)
	ctx, cancelTab := chromedp.NewContext(actx)
	b := &Browser{T: t, Base: srv.URL, ctx: ctx, deadline: Timeout}
	b.shotDir = os.Getenv("AIWFE_E2E_ARTIFACTS")
	if b.shotDir == "" {
		b.shotDir = t.TempDir()
	}
	// Cleanups run last-in first-out: the screenshot before the browser goes.
	t.Cleanup(func() {
		cancelTab()
		cancelAlloc()
	})
	start := time.Now()
	if err := chromedp.Do(ctx); err != nil { // starts the browser and the tab
		t.Fatalf("e2e: start %s: %v", exe, err)
	}
	go b.collectConsole()
	t.Logf("e2e: browser started in %s", time.Since(start).Round(time.Millisecond))
	t.Cleanup(func() {
		if t.Failed() {
			b.Screenshot("failure")
			b.dumpConsole()
		}
	})
	return b
}

// Ctx is the chromedp context of the tab.
func (b *Browser) Ctx() context.Context { return b.ctx }

func (b *Browser) collectConsole() {
	for m, err := range chromedp.Console(b.ctx) {
		if err != nil {
			return
		}
		b.mu.Lock()
		if len(b.console) < 500 {
			b.console = append(b.console, m.String())
		}
		b.mu.Unlock()
	}
}

// ConsoleLines is what the page wrote to its console so far (messages,
// uncaught exceptions, browser log entries such as CSP violations).
func (b *Browser) ConsoleLines() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.console...)
}

// CSPViolations are the console lines where the browser refused something
// under the Content-Security-Policy.
func (b *Browser) CSPViolations() []string {
	var out []string
	for _, l := range b.ConsoleLines() {
		if strings.Contains(l, "Content Security Policy") || strings.Contains(l, "Content-Security-Policy") {
			out = append(out, l)
		}
	}
	return out
}

func (b *Browser) dumpConsole() {
	lines := b.ConsoleLines()
	if len(lines) == 0 {
		return
	}
	b.T.Logf("e2e: browser console:\n  %s", strings.Join(lines, "\n  "))
}

// Screenshot saves a PNG of the viewport and logs where; it never fails
// the test.
func (b *Browser) Screenshot(name string) string {
	ctx, cancel := context.WithTimeout(b.ctx, 5*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		b.T.Logf("e2e: screenshot %s: %v", name, err)
		return ""
	}
	b.mu.Lock()
	b.shotSeq++
	seq := b.shotSeq
	b.mu.Unlock()
	safe := regexp.MustCompile(`[^A-Za-z0-9_.-]+`).ReplaceAllString(b.T.Name()+"-"+name, "_")
	path := filepath.Join(b.shotDir, fmt.Sprintf("%s-%02d.png", safe, seq))
	if err := os.WriteFile(path, png, 0o644); err != nil {
		b.T.Logf("e2e: screenshot %s: %v", name, err)
		return ""
	}
	if os.Getenv("AIWFE_E2E_ARTIFACTS") == "" {
		b.T.Logf("e2e: screenshot: %s (removed with the test's temporary folder; set AIWFE_E2E_ARTIFACTS=DIR to keep it)", path)
	} else {
		b.T.Logf("e2e: screenshot: %s", path)
	}
	return path
}

// Do runs chromedp steps with the helper deadline, failing the test with
// what on error, e.g. b.Do("phone", chromedp.EmulateViewport(390, 800, chromedp.EmulateMobile)).
func (b *Browser) Do(what string, steps ...chromedp.Action[chromedp.Void]) {
	b.T.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, b.deadline)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		b.T.Fatalf("e2e: %s: %v", what, err)
	}
}

// URL is the absolute URL of path on the server.
func (b *Browser) URL(path string) string {
	if strings.HasPrefix(path, "http://") || strings.HasPrefix(path, "https://") {
		return path
	}
	return b.Base + path
}

// Navigate loads path (relative to the server) and waits for the load event.
func (b *Browser) Navigate(path string) {
	b.T.Helper()
	b.Do("navigate to "+path, chromedp.Navigate(b.URL(path)))
}

// Reload reloads the page and waits for the load event.
func (b *Browser) Reload() {
	b.T.Helper()
	b.Do("reload", chromedp.Reload())
}

// Path is the current location's path and query.
func (b *Browser) Path() string {
	b.T.Helper()
	return Eval[string](b, `location.pathname + location.search`)
}

// Eval evaluates a JavaScript expression (promises are awaited) and decodes
// its value into T.
func Eval[T any](b *Browser, js string) T {
	b.T.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, b.deadline)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](js, chromedp.EvalAwaitPromise))
	if err != nil {
		b.T.Fatalf("e2e: eval %s: %v", short(js), err)
	}
	return v
}

// Exec evaluates JavaScript for its effect.
func (b *Browser) Exec(js string) {
	b.T.Helper()
	Eval[chromedp.Void](b, js)
}

// WaitFor polls a JavaScript expression until it is truthy, failing the
// test with what after the deadline. Exceptions count as false (the page
// may be between two renders).
func (b *Browser) WaitFor(what, js string) {
	b.T.Helper()
	b.waitFor(what, js, b.deadline)
}

// WaitForWithin is WaitFor with its own deadline.
func (b *Browser) WaitForWithin(d time.Duration, what, js string) {
	b.T.Helper()
	b.waitFor(what, js, d)
}

func (b *Browser) waitFor(what, js string, d time.Duration) {
	b.T.Helper()
	expr := `(() => { try { return !!(` + js + `); } catch (e) { return false; } })()`
	deadline := time.Now().Add(d)
	var lastErr error
	for {
		ctx, cancel := context.WithTimeout(b.ctx, time.Until(deadline)+time.Second)
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](expr))
		cancel()
		if err == nil && ok {
			return
		}
		if err != nil {
			lastErr = err
		}
		if time.Now().After(deadline) {
			path, _ := chromedp.Run(b.ctx, chromedp.Evaluate[string](`location.pathname + location.search`))
			b.T.Fatalf("e2e: waited %s for %s (at %s; last error: %v)", d, what, path, lastErr)
		}
		if err := pause(b.ctx, 25*time.Millisecond); err != nil {
			b.T.Fatalf("e2e: waiting for %s: %v", what, err)
		}
	}
}

// pause waits between two polls (a poll interval, not a sleep standing in
// for a condition).
func pause(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// js quotes a Go string as a JavaScript string literal.
func js(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func short(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 120 {
		return s[:117] + "..."
	}
	return s
}

// WaitVisible waits until an element matching the CSS selector is shown
// (in the layout, not hidden).
func (b *Browser) WaitVisible(sel string) {
	b.T.Helper()
	b.WaitFor("visible "+sel, `(() => { const e = document.querySelector(`+js(sel)+`); return e && e.getClientRects().length > 0 && getComputedStyle(e).visibility !== 'hidden'; })()`)
}

// WaitGone waits until no element matches the CSS selector.
func (b *Browser) WaitGone(sel string) {
	b.T.Helper()
	b.WaitFor("no "+sel, `!document.querySelector(`+js(sel)+`)`)
}

// WaitText waits until an element matching the CSS selector contains text
// (its textContent, whitespace collapsed).
func (b *Browser) WaitText(sel, text string) {
	b.T.Helper()
	b.WaitFor(fmt.Sprintf("%s containing %q", sel, text),
		`[...document.querySelectorAll(`+js(sel)+`)].some(e => e.textContent.replace(/\s+/g, ' ').includes(`+js(text)+`))`)
}

// WaitPath waits until location.pathname is path.
func (b *Browser) WaitPath(path string) {
	b.T.Helper()
	b.WaitFor("location "+path, `location.pathname === `+js(path))
}

// Text is the textContent of the first element matching sel ("" if none).
func (b *Browser) Text(sel string) string {
	b.T.Helper()
	return Eval[string](b, `(document.querySelector(`+js(sel)+`)?.textContent ?? '').replace(/\s+/g, ' ').trim()`)
}

// Count is the number of elements matching sel.
func (b *Browser) Count(sel string) int {
	b.T.Helper()
	return Eval[int](b, `document.querySelectorAll(`+js(sel)+`).length`)
}

// Fill sets an input, textarea or select to value as the person would
// (input and change events fire, so bound state follows). It waits for the
// element first.
func (b *Browser) Fill(sel, value string) {
	b.T.Helper()
	b.WaitVisible(sel)
	b.Exec(`(() => {
		const e = document.querySelector(` + js(sel) + `);
		e.focus();
		const proto = e instanceof HTMLTextAreaElement ? HTMLTextAreaElement.prototype
			: e instanceof HTMLSelectElement ? HTMLSelectElement.prototype : HTMLInputElement.prototype;
		Object.getOwnPropertyDescriptor(proto, 'value').set.call(e, ` + js(value) + `);
		e.dispatchEvent(new Event('input', { bubbles: true }));
		e.dispatchEvent(new Event('change', { bubbles: true }));
	})()`)
}

// Type sends real key events to the element (slower than Fill; use it when
// key handling matters). "\r" presses Enter.
func (b *Browser) Type(sel, text string) {
	b.T.Helper()
	b.Do("type into "+sel, chromedp.SendKeys(chromedp.CSS(sel), text, chromedp.NodeVisible))
}

// Click clicks the first visible element matching the CSS selector with
// a real mouse event, once it is visible and enabled.
func (b *Browser) Click(sel string) {
	b.T.Helper()
	b.WaitFor("enabled "+sel, `(() => { const e = document.querySelector(`+js(sel)+`); return e && !e.disabled && e.getClientRects().length > 0; })()`)
	b.Do("click "+sel, chromedp.Click(chromedp.CSS(sel), chromedp.NodeVisible))
}

// ClickText clicks the first visible button or link whose text contains
// text (e.g. b.ClickText("button", "Sign out")).
func (b *Browser) ClickText(sel, text string) {
	b.T.Helper()
	find := `[...document.querySelectorAll(` + js(sel) + `)].find(e => e.textContent.replace(/\s+/g, ' ').includes(` + js(text) + `) && e.getClientRects().length > 0 && !e.disabled)`
	b.WaitFor(fmt.Sprintf("%s with text %q", sel, text), find)
	b.Exec(`(() => { const e = ` + find + `; e.scrollIntoView({ block: 'center' }); e.click(); })()`)
}

// --- accounts through the UI ---

// Register signs up through /register.
func (b *Browser) Register(email, password string) {
	b.T.Helper()
	b.Navigate("/register")
	b.Fill("#email", email)
	b.Fill("#password", password)
	b.Click(`form button[type=submit]`)
}

// Login signs in through /login and waits until the app left the page.
func (b *Browser) Login(email, password string) {
	b.T.Helper()
	b.Navigate("/login")
	b.Fill("#email", email)
	b.Fill("#password", password)
	b.Click(`form button[type=submit]`)
	b.WaitFor("leaving /login", `location.pathname !== '/login'`)
}

// Cookie is the value of a cookie of the server's origin the page can read.
func (b *Browser) Cookie(name string) string {
	b.T.Helper()
	return Eval[string](b, `(document.cookie.split('; ').find(c => c.startsWith(`+js(name+"=")+`)) ?? '').slice(`+fmt.Sprint(len(name)+1)+`)`)
}
