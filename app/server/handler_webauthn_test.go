package server_test

import (
	"encoding/json"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aiwfe/aiwfe/app/auth/webauthntest"
	"github.com/aiwfe/aiwfe/app/config"
	"github.com/aiwfe/aiwfe/app/server/servertest"
)

// startPasskeys starts the server on a port chosen first, so the relying
// party's origin (derived from server.http: http://localhost:PORT) is
// known before the server starts.
func startPasskeys(t *testing.T) (*servertest.Server, string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
	ln.Close()
	srv := servertest.Start(t, func(c *config.Config) { c.Server.HTTP = "127.0.0.1:" + port })
	return srv, "http://localhost:" + port
}

// addPasskey registers a passkey for the client with the software
// authenticator and returns it.
func addPasskey(t *testing.T, c *servertest.Client, a *webauthntest.Authenticator, name string) *webauthntest.Credential {
	t.Helper()
	res := c.Post("/api/v1/auth/webauthn/register/begin", nil)
	if res.Status != 200 {
		t.Fatalf("register/begin: %s", res)
	}
	cred, kc, err := a.Create(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	res = c.Post("/api/v1/auth/webauthn/register/finish", map[string]any{"name": name, "credential": json.RawMessage(cred)})
	if res.Status != 201 {
		t.Fatalf("register/finish: %s", res)
	}
	return kc
}

func passkeyLogin(t *testing.T, c *servertest.Client, a *webauthntest.Authenticator, kc *webauthntest.Credential) *servertest.Response {
	t.Helper()
	res := c.Post("/api/v1/auth/webauthn/login/begin", nil)
	if res.Status != 200 {
		t.Fatalf("login/begin: %s", res)
	}
	assertion, err := a.Get(res.Body, kc)
	if err != nil {
		t.Fatal(err)
	}
	return c.Post("/api/v1/auth/webauthn/login/finish", json.RawMessage(assertion))
}

func TestPasskeys(t *testing.T) {
	srv, origin := startPasskeys(t)
	srv.Superuser(t)
	u := srv.User(t, "user")
	a := webauthntest.New(origin)

	// begin answers go-webauthn's options: {"publicKey": ...}, base64url.
	res := u.Post("/api/v1/auth/webauthn/register/begin", nil)
	var opts struct {
		PublicKey struct {
			Challenge string `json:"challenge"`
			RP        struct {
				ID   string `json:"id"`
				Name string `json:"name"`
			} `json:"rp"`
			User struct {
				ID   string `json:"id"`
				Name string `json:"name"`
			} `json:"user"`
			AuthenticatorSelection struct {
				ResidentKey string `json:"residentKey"`
			} `json:"authenticatorSelection"`
		} `json:"publicKey"`
	}
	res.JSON(t, &opts)
	if res.Status != 200 || opts.PublicKey.RP.ID != "localhost" || opts.PublicKey.User.Name != u.Email || len(opts.PublicKey.Challenge) < 22 ||
		strings.ContainsAny(opts.PublicKey.Challenge+opts.PublicKey.User.ID, "+/=") || opts.PublicKey.AuthenticatorSelection.ResidentKey != "required" {
		t.Fatalf("register/begin: %s", res)
	}
	// A credential made at another origin is refused.
	evil := webauthntest.New("http://evil.example")
	bad, _, _ := evil.Create(res.Body)
	if res := u.Post("/api/v1/auth/webauthn/register/finish", map[string]any{"credential": json.RawMessage(bad)}); res.Status != 400 {
		t.Fatalf("registration from another origin: %s", res)
	}

	// Add (the credential itself with ?name=), list, rename.
	res = u.Post("/api/v1/auth/webauthn/register/begin", nil)
	credJSON, kc, err := a.Create(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	res = u.Do("POST", "/api/v1/auth/webauthn/register/finish?name=Laptop", servertest.Request{JSON: credJSON})
	if res.Status != 201 || !strings.Contains(string(res.Body), `"name":"Laptop"`) {
		t.Fatalf("register/finish: %s", res)
	}
	// The same ceremony cannot be finished twice.
	if res := u.Post("/api/v1/auth/webauthn/register/finish", map[string]any{"credential": json.RawMessage(credJSON)}); res.Status != 401 {
		t.Fatalf("ceremony finished twice: %s", res)
	}
	var list struct {
		Items []struct {
			ID   int64  `json:"id"`
			Name string `json:"name"`
		} `json:"items"`
	}
	u.Get("/api/v1/auth/webauthn/credentials").JSON(t, &list)
	if len(list.Items) != 1 || list.Items[0].Name != "Laptop" {
		t.Fatalf("list: %+v", list)
	}
	pid := strconv.FormatInt(list.Items[0].ID, 10)
	other := srv.User(t, "user")
	for _, sc := range []servertest.Scenario{
		{Name: "rename", Method: "PATCH", Path: "/api/v1/auth/webauthn/credentials/" + pid, Request: servertest.Request{JSON: map[string]string{"name": "Work laptop"}}, WantStatus: 200, WantContains: []string{`"name":"Work laptop"`}},
		{Name: "empty name", Method: "PATCH", Path: "/api/v1/auth/webauthn/credentials/" + pid, Request: servertest.Request{JSON: map[string]string{"name": " "}}, WantStatus: 400, WantField: "name"},
		{Name: "another user's passkey", Client: other, Method: "PATCH", Path: "/api/v1/auth/webauthn/credentials/" + pid, Request: servertest.Request{JSON: map[string]string{"name": "mine"}}, WantStatus: 404},
		{Name: "another user cannot delete", Client: other, Method: "DELETE", Path: "/api/v1/auth/webauthn/credentials/" + pid, WantStatus: 404},
		{Name: "anonymous begin", Client: srv.Client(t), Method: "POST", Path: "/api/v1/auth/webauthn/register/begin", WantStatus: 401},
		{Name: "status", Method: "GET", Path: "/api/v1/auth/2fa/status", WantStatus: 200, WantContains: []string{`"passkeys":1`, `"methods":["webauthn"]`, `"totp_enabled":false`}},
	} {
		sc.Run(t, u)
	}

	// As a second factor: the password alone gets a challenge ...
	c := srv.Client(t)
	ch := passwordStep(t, c, u.Email)
	if strings.Join(ch.Methods, ",") != "webauthn" {
		t.Fatalf("methods %v", ch.Methods)
	}
	res = c.Post("/api/v1/auth/2fa/challenge/webauthn/begin", map[string]string{"mfa_token": ch.MFAToken})
	if res.Status != 200 || !strings.Contains(string(res.Body), `"allowCredentials"`) {
		t.Fatalf("challenge begin: %s", res)
	}
	assertion, err := a.Get(res.Body, nil)
	if err != nil {
		t.Fatal(err)
	}
	res = c.Post("/api/v1/auth/2fa/challenge", map[string]any{"mfa_token": ch.MFAToken, "method": "webauthn", "credential": json.RawMessage(assertion)})
	if res.Status != 200 || res.Map(t)["access_token"] == nil || c.Cookie("/", "access_token") == "" {
		t.Fatalf("passkey as second factor: %s", res)
	}

	// ... and passwordless, which answers like a login.
	p := srv.Client(t)
	res = p.Post("/api/v1/auth/webauthn/login/begin", nil)
	if res.Status != 200 || strings.Contains(string(res.Body), `"allowCredentials"`) || !strings.Contains(string(res.Body), `"userVerification":"required"`) {
		t.Fatalf("login/begin: %s", res)
	}
	assertion, _ = a.Get(res.Body, kc)
	res = p.Post("/api/v1/auth/webauthn/login/finish", json.RawMessage(assertion))
	if res.Status != 200 {
		t.Fatalf("passwordless: %s", res)
	}
	m := res.Map(t)
	if m["access_token"] == nil || m["token_type"] != "bearer" || p.Cookie("/api/v1/auth", "refresh_token") == "" {
		t.Fatalf("passwordless answer: %s", res.Body)
	}
	if v := p.Get("/api/v1/auth/validate"); v.Status != 200 || !strings.Contains(string(v.Body), u.Email) {
		t.Fatalf("validate after passkey login: %s", v)
	}
	// The assertion cannot be replayed.
	if res := srv.Client(t).Post("/api/v1/auth/webauthn/login/finish", json.RawMessage(assertion)); res.Status != 401 {
		t.Fatalf("assertion replayed: %s", res)
	}
	// {"credential": ...} works too.
	res = p.Post("/api/v1/auth/webauthn/login/begin", nil)
	assertion, _ = a.Get(res.Body, kc)
	if res := p.Post("/api/v1/auth/webauthn/login/finish", map[string]any{"credential": json.RawMessage(assertion)}); res.Status != 200 {
		t.Fatalf("wrapped credential: %s", res)
	}
	ev := u.Get("/api/v1/security/events?per_page=100")
	if !strings.Contains(string(ev.Body), `"reason":"passkey"`) || !strings.Contains(string(ev.Body), `"type":"passkey_add"`) {
		t.Fatalf("audit: %s", ev.Body)
	}

	// Delete: the login needs no second step any more.
	if res := u.Delete("/api/v1/auth/webauthn/credentials/" + pid); res.Status != 204 {
		t.Fatalf("delete: %s", res)
	}
	if res := srv.Client(t).Login(u.Email, servertest.Password); res.Map(t)["access_token"] == nil {
		t.Fatalf("login after deleting the only passkey: %s", res)
	}
	if res := passkeyLogin(t, srv.Client(t), a, kc); res.Status != 401 {
		t.Fatalf("deleted passkey signs in: %s", res)
	}
}

func TestPasskeyUnhappyPaths(t *testing.T) {
	srv, origin := startPasskeys(t)
	srv.Superuser(t)
	alice, bob := srv.User(t, "user"), srv.User(t, "user")
	a, b := webauthntest.New(origin), webauthntest.New(origin)
	akc := addPasskey(t, alice, a, "alice key")
	bkc := addPasskey(t, bob, b, "bob key")

	// Wrong origin: the same key, a page elsewhere.
	c := srv.Client(t)
	res := c.Post("/api/v1/auth/webauthn/login/begin", nil)
	var opts struct {
		PublicKey struct {
			Challenge string `json:"challenge"`
		} `json:"publicKey"`
	}
	res.JSON(t, &opts)
	assertion, _ := a.Sign(akc, opts.PublicKey.Challenge, "http://localhost:1")
	if res := c.Post("/api/v1/auth/webauthn/login/finish", json.RawMessage(assertion)); res.Status != 401 {
		t.Fatalf("wrong origin: %s", res)
	}

	// Another user's credential answering alice's second-factor challenge.
	ch := passwordStep(t, c, alice.Email)
	res = c.Post("/api/v1/auth/2fa/challenge/webauthn/begin", map[string]string{"mfa_token": ch.MFAToken})
	res.JSON(t, &opts)
	assertion, _ = b.Sign(bkc, opts.PublicKey.Challenge, origin)
	if res := c.Post("/api/v1/auth/2fa/challenge", map[string]any{"mfa_token": ch.MFAToken, "method": "webauthn", "credential": json.RawMessage(assertion)}); res.Status != 401 {
		t.Fatalf("bob's passkey for alice: %s", res)
	}
	// Bob's key claiming to be alice's (her user handle) in a passwordless login.
	forged := &webauthntest.Credential{ID: bkc.ID, Key: bkc.Key, RPID: bkc.RPID, UserHandle: akc.UserHandle, Counter: 10}
	res = c.Post("/api/v1/auth/webauthn/login/begin", nil)
	res.JSON(t, &opts)
	assertion, _ = b.Sign(forged, opts.PublicKey.Challenge, origin)
	if res := c.Post("/api/v1/auth/webauthn/login/finish", json.RawMessage(assertion)); res.Status != 401 {
		t.Fatalf("bob's key with alice's handle: %s", res)
	}
	// Alice's key signing bob's challenge begun with bob's MFA token.
	cb := srv.Client(t)
	chb := passwordStep(t, cb, bob.Email)
	res = cb.Post("/api/v1/auth/2fa/challenge/webauthn/begin", map[string]string{"mfa_token": chb.MFAToken})
	res.JSON(t, &opts)
	// ... answered with alice's MFA token: the ceremony belongs to bob's.
	ch = passwordStep(t, c, alice.Email)
	assertion, _ = a.Sign(akc, opts.PublicKey.Challenge, origin)
	if res := c.Post("/api/v1/auth/2fa/challenge", map[string]any{"mfa_token": ch.MFAToken, "method": "webauthn", "credential": json.RawMessage(assertion)}); res.Status != 401 {
		t.Fatalf("ceremony of another login: %s", res)
	}

	// Counter regression: a copy of the key with an older counter.
	if res := passkeyLogin(t, srv.Client(t), a, akc); res.Status != 200 {
		t.Fatalf("good login: %s", res)
	}
	if res := passkeyLogin(t, srv.Client(t), a, akc); res.Status != 200 {
		t.Fatalf("good login: %s", res)
	}
	akc.Counter = 0 // the clone signs with counter 1, the server has seen 2+
	res = passkeyLogin(t, srv.Client(t), a, akc)
	if res.Status != 401 || !strings.Contains(string(res.Body), "counter") {
		t.Fatalf("counter regression: %s", res)
	}
	ev := alice.Get("/api/v1/security/events?per_page=100")
	if !strings.Contains(string(ev.Body), `"type":"passkey_clone_warning"`) || !strings.Contains(string(ev.Body), `"reason":"bad_passkey"`) {
		t.Fatalf("audit: %s", ev.Body)
	}
	// The genuine key, ahead again, still works.
	akc.Counter = 100
	if res := passkeyLogin(t, srv.Client(t), a, akc); res.Status != 200 {
		t.Fatalf("genuine key after the clone: %s", res)
	}

	// Without user verification a passwordless login is refused.
	a.UserVerified = false
	if res := passkeyLogin(t, srv.Client(t), a, akc); res.Status != 401 {
		t.Fatalf("passwordless without UV: %s", res)
	}
	a.UserVerified = true

	// Garbage.
	for _, sc := range []servertest.Scenario{
		{Name: "not a credential", Method: "POST", Path: "/api/v1/auth/webauthn/login/finish", Request: servertest.Request{JSON: map[string]string{"id": "x"}}, WantStatus: 401},
		{Name: "no body", Method: "POST", Path: "/api/v1/auth/webauthn/login/finish", WantStatus: 400},
		{Name: "unknown challenge", Method: "POST", Path: "/api/v1/auth/webauthn/login/finish", Request: servertest.Request{JSON: `{"id":"AA","rawId":"AA","type":"public-key","response":{"clientDataJSON":"eyJjaGFsbGVuZ2UiOiJ4eXoifQ","authenticatorData":"AA","signature":"AA"}}`}, WantStatus: 401},
		{Name: "huge", Method: "POST", Path: "/api/v1/auth/webauthn/login/finish", Request: servertest.Request{JSON: strings.Repeat("a", 70<<10)}, WantStatus: 413},
	} {
		sc.Run(t, srv.Client(t))
	}
}

// Passwordless ceremonies are begun without an account: a flood from one
// address is cut off.
func TestPasskeyBeginLimit(t *testing.T) {
	srv, _ := startPasskeys(t)
	c := srv.Client(t)
	for i := 1; i <= 31; i++ {
		res := c.Post("/api/v1/auth/webauthn/login/begin", nil)
		if i <= 30 && res.Status != 200 {
			t.Fatalf("begin %d: %s", i, res)
		}
		if i == 31 && (res.Status != 429 || res.Header.Get("Retry-After") == "") {
			t.Fatalf("begin %d: %s", i, res)
		}
	}
	srv.Advance(time.Minute)
	if res := c.Post("/api/v1/auth/webauthn/login/begin", nil); res.Status != 200 {
		t.Fatalf("after a minute: %s", res)
	}
}

// With [webauthn] rp_origins set, only those origins are accepted.
func TestPasskeyConfiguredOrigins(t *testing.T) {
	srv := servertest.Start(t, func(c *config.Config) {
		c.WebAuthn.RPID = "app.example.test"
		c.WebAuthn.RPOrigins = []string{"https://app.example.test"}
	})
	srv.Superuser(t)
	u := srv.User(t, "user")
	res := u.Post("/api/v1/auth/webauthn/register/begin", nil)
	if !strings.Contains(string(res.Body), `"id":"app.example.test"`) {
		t.Fatalf("rp id: %s", res)
	}
	cred, _, _ := webauthntest.New("https://app.example.test").Create(res.Body)
	if res := u.Post("/api/v1/auth/webauthn/register/finish", map[string]any{"credential": json.RawMessage(cred)}); res.Status != 201 {
		t.Fatalf("configured origin: %s", res)
	}
}
