// Package servertest starts the real aiwfe server on loopback for
// integration tests: a migrated SQLite file in a temporary data directory,
// the whole fiber app on 127.0.0.1:0, and a cookie-keeping HTTP client that
// knows the CSRF and login dance. Scenario runs table-driven API checks in
// the style of PocketBase's ApiScenario.
//
//	srv := servertest.Start(t)
//	admin := srv.Superuser(t) // registered, logged in
//	servertest.Scenario{Name: "profile", Method: "GET", Path: "/api/v1/profile",
//		WantStatus: 200, WantContains: []string{`"email"`}}.Run(t, admin)
package servertest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"testing/fstest"
	"time"

	"github.com/aiwfe/aiwfe/app"
	"github.com/aiwfe/aiwfe/app/config"
	"github.com/aiwfe/aiwfe/app/server"
)

// Password is a password the policy accepts, for test accounts.
const Password = "correct horse battery staple"

// Server is a running test server.
type Server struct {
	URL    string
	App    *app.App
	Server *server.Server
	Config *config.Config

	seq    atomic.Int64
	offset atomic.Int64 // added to the wall clock, see Advance
}

// Advance moves the server's clock forward (token expiry, lockouts).
func (s *Server) Advance(d time.Duration) { s.offset.Add(int64(d)) }

// Now is the server's clock.
func (s *Server) Now() time.Time { return time.Now().Add(time.Duration(s.offset.Load())) }

// Start runs the server until the test ends. opts adjust the
// configuration (argon2 is made cheap and the HTTPS and mTLS listeners are
// off unless an option says otherwise).
func Start(t testing.TB, opts ...func(*config.Config)) *Server {
	t.Helper()
	return StartLogged(t, slog.New(slog.DiscardHandler), opts...)
}

// StartLogged is Start with the server's log going to log, for tests of
// what is logged.
func StartLogged(t testing.TB, log *slog.Logger, opts ...func(*config.Config)) *Server {
	t.Helper()
	cfg := Config(t, opts...)
	ctx, cancel := context.WithCancel(context.Background())
	a, err := app.Open(ctx, cfg, log, app.OpenOptions{})
	if err != nil {
		cancel()
		t.Fatalf("servertest: open app: %v", err)
	}
	ts := &Server{App: a, Config: cfg}
	a.Now = ts.Now
	ui := fstest.MapFS{"index.html": {Data: []byte("<!doctype html><title>aiwfe</title>")}}
	srv, err := server.New(a, server.Options{UI: ui})
	if err != nil {
		cancel()
		a.Close()
		t.Fatalf("servertest: new server: %v", err)
	}
	ls, err := srv.Bind(nil)
	if err != nil {
		cancel()
		a.Close()
		t.Fatalf("servertest: bind: %v", err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		srv.Serve(ctx, ls)
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(15 * time.Second):
			t.Errorf("servertest: server did not stop")
		}
		a.Close()
	})
	ts.URL, ts.Server = "http://"+ls[0].Addr.String(), srv
	return ts
}

// OpenApp opens the App alone, on Config's configuration, for service
// tests that need the real store and services but no HTTP; it closes
// when the test ends.
func OpenApp(t testing.TB, opts ...func(*config.Config)) *app.App {
	t.Helper()
	a, err := app.Open(context.Background(), Config(t, opts...), slog.New(slog.DiscardHandler), app.OpenOptions{})
	if err != nil {
		t.Fatalf("servertest: open app: %v", err)
	}
	t.Cleanup(a.Close)
	return a
}

// Config is the configuration test servers run with: a temporary data
// directory, HTTP only on 127.0.0.1:0, cheap argon2, the demo model; opts
// adjust it.
func Config(t testing.TB, opts ...func(*config.Config)) *config.Config {
	cfg := config.Default()
	cfg.Data.Dir = t.TempDir()
	cfg.Server.HTTP = "127.0.0.1:0"
	cfg.Server.HTTPS = ""
	cfg.Server.MTLS = ""
	cfg.Log.Requests = false
	cfg.Auth.Argon2MemoryKiB = 1024
	cfg.Auth.Argon2Iterations = 1
	cfg.Auth.Argon2Parallelism = 1
	cfg.LLM.Provider = "demo"
	for _, o := range opts {
		o(cfg)
	}
	return cfg
}

// Client is an HTTP client with its own cookie jar; it sends the CSRF token
// on unsafe requests once it has one.
type Client struct {
	T    testing.TB
	Base string
	HTTP *http.Client
	// UserAgent is sent with every request (devices are told apart by it).
	UserAgent string
	// Bearer, when set, is sent as Authorization: Bearer.
	Bearer string
	// NoCSRF stops the client from sending X-CSRF-TOKEN.
	NoCSRF bool
	// Email of the account the client logged in as.
	Email string
}

// Client makes a new client with an empty cookie jar.
func (s *Server) Client(t testing.TB) *Client {
	jar, _ := cookiejar.New(nil)
	return &Client{
		T:         t,
		Base:      s.URL,
		HTTP:      &http.Client{Jar: jar, Timeout: 30 * time.Second},
		UserAgent: "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36",
	}
}

// Response is a finished request.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// JSON decodes the body into v, failing the test when it cannot.
func (r *Response) JSON(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("response is not JSON (%v): %s", err, r.Body)
	}
}

// Map decodes the body as a JSON object.
func (r *Response) Map(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	r.JSON(t, &m)
	return m
}

// ErrorCode is error.code of an error body ("" otherwise).
func (r *Response) ErrorCode() string {
	var e struct {
		Error struct {
			Code  string `json:"code"`
			Field string `json:"field"`
		} `json:"error"`
	}
	json.Unmarshal(r.Body, &e)
	return e.Error.Code
}

// ErrorField is error.field of an error body.
func (r *Response) ErrorField() string {
	var e struct {
		Error struct {
			Field string `json:"field"`
		} `json:"error"`
	}
	json.Unmarshal(r.Body, &e)
	return e.Error.Field
}

func (r *Response) String() string { return fmt.Sprintf("%d %s", r.Status, r.Body) }

// Cookie returns the value of a cookie the jar holds for path.
func (c *Client) Cookie(path, name string) string {
	u, _ := url.Parse(c.Base + path)
	for _, ck := range c.HTTP.Jar.Cookies(u) {
		if ck.Name == name {
			return ck.Value
		}
	}
	return ""
}

// SetCookie puts a cookie into the jar for the whole site.
func (c *Client) SetCookie(name, value, path string) {
	u, _ := url.Parse(c.Base + "/")
	c.HTTP.Jar.SetCookies(u, []*http.Cookie{{Name: name, Value: value, Path: path}})
}

// Request describes one request beyond method and path.
type Request struct {
	// JSON is marshalled as the body unless it is a string or []byte,
	// which are sent as they are.
	JSON    any
	Form    url.Values
	Headers map[string]string
}

// Do sends a request. Unsafe methods carry the CSRF token (fetched once)
// unless NoCSRF is set or a header overrides it.
func (c *Client) Do(method, path string, req Request) *Response {
	c.T.Helper()
	var body io.Reader
	ct := ""
	switch {
	case req.Form != nil:
		body, ct = strings.NewReader(req.Form.Encode()), "application/x-www-form-urlencoded"
	case req.JSON != nil:
		switch v := req.JSON.(type) {
		case string:
			body = strings.NewReader(v)
		case []byte:
			body = bytes.NewReader(v)
		default:
			b, err := json.Marshal(v)
			if err != nil {
				c.T.Fatalf("servertest: marshal: %v", err)
			}
			body = bytes.NewReader(b)
		}
		ct = "application/json"
	}
	r, err := http.NewRequest(method, c.Base+path, body)
	if err != nil {
		c.T.Fatalf("servertest: %v", err)
	}
	if ct != "" {
		r.Header.Set("Content-Type", ct)
	}
	r.Header.Set("User-Agent", c.UserAgent)
	if c.Bearer != "" {
		r.Header.Set("Authorization", "Bearer "+c.Bearer)
	}
	if method != http.MethodGet && method != http.MethodHead && !c.NoCSRF {
		tok := c.Cookie("/", "csrf_token")
		if tok == "" {
			tok = c.FetchCSRF()
		}
		r.Header.Set("X-CSRF-TOKEN", tok)
	}
	for k, v := range req.Headers {
		r.Header.Set(k, v)
	}
	res, err := c.HTTP.Do(r)
	if err != nil {
		c.T.Fatalf("servertest: %s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return &Response{Status: res.StatusCode, Header: res.Header, Body: b}
}

// Get, Post, Put, Patch and Delete are Do for one method with a JSON body.
func (c *Client) Get(path string) *Response { return c.Do(http.MethodGet, path, Request{}) }
func (c *Client) Post(path string, body any) *Response {
	return c.Do(http.MethodPost, path, Request{JSON: body})
}
func (c *Client) Put(path string, body any) *Response {
	return c.Do(http.MethodPut, path, Request{JSON: body})
}
func (c *Client) Patch(path string, body any) *Response {
	return c.Do(http.MethodPatch, path, Request{JSON: body})
}
func (c *Client) Delete(path string) *Response { return c.Do(http.MethodDelete, path, Request{}) }

// FetchCSRF gets a CSRF token (the cookie lands in the jar) and returns it.
func (c *Client) FetchCSRF() string {
	c.T.Helper()
	res := c.Get("/api/v1/auth/csrf-token")
	if res.Status != http.StatusOK {
		c.T.Fatalf("servertest: csrf-token: %s", res)
	}
	var b struct {
		Token string `json:"csrf_token"`
	}
	res.JSON(c.T, &b)
	return b.Token
}

// Register signs up and fails the test unless it answers 201.
func (c *Client) Register(email, password string) *Response {
	c.T.Helper()
	res := c.Post("/api/v1/auth/register", map[string]string{"email": email, "password": password})
	if res.Status != http.StatusCreated {
		c.T.Fatalf("servertest: register %s: %s", email, res)
	}
	return res
}

// Login signs in (JSON) and returns the response whatever it is.
func (c *Client) Login(email, password string) *Response {
	c.T.Helper()
	res := c.Post("/api/v1/auth/jwt/login", map[string]string{"email": email, "password": password})
	if res.Status == http.StatusOK {
		c.Email = email
	}
	return res
}

// MustLogin signs in and fails the test unless it succeeds; it returns the
// access token.
func (c *Client) MustLogin(email, password string) string {
	c.T.Helper()
	res := c.Login(email, password)
	if res.Status != http.StatusOK {
		c.T.Fatalf("servertest: login %s: %s", email, res)
	}
	var b struct {
		AccessToken string `json:"access_token"`
	}
	res.JSON(c.T, &b)
	return b.AccessToken
}

// Superuser registers the first account (which becomes superuser) and
// returns a client logged in as it. Call it before any other sign-up.
func (s *Server) Superuser(t testing.TB) *Client {
	t.Helper()
	c := s.Client(t)
	email := "root@example.com"
	c.Register(email, Password)
	c.MustLogin(email, Password)
	return c
}

// Superuser2 creates another superuser directly (for checks after the
// first one's sessions were revoked) and returns a client logged in as it.
func (s *Server) Superuser2(t testing.TB) *Client { return s.User(t, "superuser") }

// User creates an active account with the role given (user, admin,
// superuser) directly through the service and returns a client logged in
// as it.
func (s *Server) User(t testing.TB, role string) *Client {
	t.Helper()
	email := fmt.Sprintf("%s%d@example.com", role, s.seq.Add(1))
	if _, err := s.App.Auth.CreateUser(context.Background(), email, Password, role); err != nil {
		t.Fatalf("servertest: create %s: %v", email, err)
	}
	c := s.Client(t)
	c.MustLogin(email, Password)
	return c
}

// Scenario is one API check: a request and what the response must be.
type Scenario struct {
	Name    string
	Method  string
	Path    string
	Request Request
	// Client, when set, sends the request instead of the client Run gets.
	Client *Client
	// Before runs first (set state up, swap the client's token ...).
	Before func(t *testing.T, c *Client)

	WantStatus      int
	WantCode        string // error.code
	WantField       string // error.field
	WantContains    []string
	WantNotContains []string
	WantHeaders     map[string]string // header: substring
	// After checks more, with the response.
	After func(t *testing.T, c *Client, res *Response)
}

// Run executes the scenario as a subtest.
func (sc Scenario) Run(t *testing.T, c *Client) {
	t.Helper()
	t.Run(sc.Name, func(t *testing.T) {
		cl := c
		if sc.Client != nil {
			cl = sc.Client
		}
		prevT := cl.T
		cl.T = t
		defer func() { cl.T = prevT }()
		if sc.Before != nil {
			sc.Before(t, cl)
		}
		res := cl.Do(sc.Method, sc.Path, sc.Request)
		if sc.WantStatus != 0 && res.Status != sc.WantStatus {
			t.Fatalf("%s %s: status %d, want %d: %s", sc.Method, sc.Path, res.Status, sc.WantStatus, res.Body)
		}
		if sc.WantCode != "" && res.ErrorCode() != sc.WantCode {
			t.Errorf("error code %q, want %q: %s", res.ErrorCode(), sc.WantCode, res.Body)
		}
		if sc.WantField != "" && res.ErrorField() != sc.WantField {
			t.Errorf("error field %q, want %q: %s", res.ErrorField(), sc.WantField, res.Body)
		}
		for _, s := range sc.WantContains {
			if !bytes.Contains(res.Body, []byte(s)) {
				t.Errorf("body lacks %q: %s", s, res.Body)
			}
		}
		for _, s := range sc.WantNotContains {
			if bytes.Contains(res.Body, []byte(s)) {
				t.Errorf("body contains %q: %s", s, res.Body)
			}
		}
		for h, want := range sc.WantHeaders {
			if got := res.Header.Get(h); !strings.Contains(got, want) {
				t.Errorf("header %s = %q, want it to contain %q", h, got, want)
			}
		}
		if sc.After != nil {
			sc.After(t, cl, res)
		}
	})
}
