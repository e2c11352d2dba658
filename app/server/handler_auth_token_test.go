package server_test

import (
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/aiwfe/aiwfe/app/server/servertest"
)

// token signs claims like the server's access tokens, with any method.
func token(t *testing.T, srv *servertest.Server, method jwt.SigningMethod, key any, mutate func(jwt.MapClaims)) string {
	t.Helper()
	now := srv.Now()
	c := jwt.MapClaims{"sub": "1", "email": "root@example.com", "role": "superuser", "typ": "access",
		"sid": "x", "did": 1, "jti": "forged-jti", "iat": now.Unix(), "exp": now.Add(time.Hour).Unix()}
	if mutate != nil {
		mutate(c)
	}
	s, err := jwt.NewWithClaims(method, c).SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// claimsOf decodes a JWT's payload without verifying it.
func claimsOf(t *testing.T, tok string) map[string]any {
	t.Helper()
	parts := strings.Split(tok, ".")
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	res := &servertest.Response{Body: b}
	res.JSON(t, &m)
	return m
}

func TestAccessTokens(t *testing.T) {
	srv := servertest.Start(t)
	root := srv.Superuser(t)
	good := root.Cookie("/", "access_token")
	claims := claimsOf(t, good)
	for _, k := range []string{"sub", "email", "role", "permissions", "iat", "exp", "jti", "sid", "did"} {
		if _, ok := claims[k]; !ok {
			t.Errorf("access token lacks claim %q: %v", k, claims)
		}
	}
	if claims["sub"] != "1" {
		t.Errorf("sub = %v, want \"1\"", claims["sub"])
	}
	key := srv.App.Secrets.JWT
	sameSession := func(c jwt.MapClaims) { c["sid"] = claims["sid"]; c["did"] = claims["did"] }
	none := token(t, srv, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, sameSession)
	hs512 := token(t, srv, jwt.SigningMethodHS512, key, sameSession)
	otherKey := token(t, srv, jwt.SigningMethodHS256, []byte("not the server's secret at all"), sameSession)
	expired := token(t, srv, jwt.SigningMethodHS256, key, func(c jwt.MapClaims) {
		sameSession(c)
		c["iat"], c["exp"] = srv.Now().Add(-2*time.Hour).Unix(), srv.Now().Add(-time.Hour).Unix()
	})
	noExp := token(t, srv, jwt.SigningMethodHS256, key, func(c jwt.MapClaims) { sameSession(c); delete(c, "exp") })
	mfaTyp := token(t, srv, jwt.SigningMethodHS256, key, func(c jwt.MapClaims) { sameSession(c); c["typ"] = "mfa" })
	unknownSession := token(t, srv, jwt.SigningMethodHS256, key, nil)
	ghost := token(t, srv, jwt.SigningMethodHS256, key, func(c jwt.MapClaims) { sameSession(c); c["sub"] = "999" })
	// Tampering with the payload of a real token breaks its signature.
	parts := strings.Split(good, ".")
	payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
	tampered := parts[0] + "." + base64.RawURLEncoding.EncodeToString([]byte(strings.Replace(string(payload), `"superuser"`, `"superuserx"`, 1))) + "." + parts[2]
	// A correctly signed token with the right session still works.
	sameSecret := token(t, srv, jwt.SigningMethodHS256, key, sameSession)

	c := srv.Client(t)
	for _, tc := range []struct {
		name, tok string
		want      int
	}{
		{"real token", good, 200},
		{"signed with the secret, HS256, live session", sameSecret, 200},
		{"alg none", none, 401},
		{"HS512 with the right secret", hs512, 401},
		{"another secret", otherKey, 401},
		{"expired", expired, 401},
		{"no exp", noExp, 401},
		{"mfa token as access token", mfaTyp, 401},
		{"unknown session", unknownSession, 401},
		{"deleted user", ghost, 401},
		{"tampered payload", tampered, 401},
		{"garbage", "abc.def.ghi", 401},
		{"long garbage", strings.Repeat("a", 3000), 401},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, via := range []string{"bearer", "cookie"} {
				cl := srv.Client(t)
				if via == "bearer" {
					cl.Bearer = tc.tok
				} else {
					cl.SetCookie("access_token", tc.tok, "/")
				}
				if res := cl.Get("/api/v1/auth/validate"); res.Status != tc.want {
					t.Errorf("%s: %s, want %d", via, res, tc.want)
				}
			}
		})
	}
	if res := c.Get("/api/v1/auth/validate"); res.Status != 401 || res.ErrorCode() != "unauthorized" {
		t.Errorf("no token: %s", res)
	}
	// An expired real token is refused once the clock passes its exp.
	srv.Advance(61 * time.Minute)
	if res := root.Get("/api/v1/auth/validate"); res.Status != 401 {
		t.Errorf("real token after expiry: %s", res)
	}
}

func TestRefresh(t *testing.T) {
	srv := servertest.Start(t)
	u := srv.Superuser(t)
	first := u.Cookie("/api/v1/auth", "refresh_token")
	if first == "" {
		t.Fatal("no refresh cookie")
	}
	oldAccess := u.Cookie("/", "access_token")
	res := u.Post("/api/v1/auth/refresh", nil)
	if res.Status != 200 || !strings.Contains(string(res.Body), `"access_token"`) {
		t.Fatalf("refresh: %s", res)
	}
	second := u.Cookie("/api/v1/auth", "refresh_token")
	if second == first || second == "" {
		t.Fatal("refresh token not rotated")
	}
	newAccess := u.Cookie("/", "access_token")
	if newAccess == oldAccess {
		t.Fatal("access token not renewed")
	}
	if claimsOf(t, newAccess)["sid"] != claimsOf(t, oldAccess)["sid"] {
		t.Fatal("refresh changed the session id")
	}
	// A native client refreshes with JSON.
	n := srv.Client(t)
	res = n.Post("/api/v1/auth/refresh", map[string]string{"refresh_token": second})
	if res.Status != 200 {
		t.Fatalf("JSON refresh: %s", res)
	}
	third := n.Cookie("/api/v1/auth", "refresh_token")

	// Presenting the retired first token again revokes the whole family:
	// the newest refresh token and the access tokens die with it.
	thief := srv.Client(t)
	res = thief.Post("/api/v1/auth/refresh", map[string]string{"refresh_token": first})
	if res.Status != 401 {
		t.Fatalf("reuse: %s", res)
	}
	if res := n.Post("/api/v1/auth/refresh", map[string]string{"refresh_token": third}); res.Status != 401 {
		t.Fatalf("family survived reuse: %s", res)
	}
	if res := n.Get("/api/v1/auth/validate"); res.Status != 401 {
		t.Fatalf("access token of a revoked family still works: %s", res)
	}
	// The reuse is audited.
	root := srv.Superuser2(t)
	res = root.Get("/api/v1/admin/audit?per_page=100")
	if !strings.Contains(string(res.Body), `"refresh_reuse"`) {
		t.Fatalf("refresh_reuse not audited: %s", res)
	}
	for _, sc := range []servertest.Scenario{
		{Name: "no token", Method: "POST", Path: "/api/v1/auth/refresh", WantStatus: 401},
		{Name: "unknown token", Method: "POST", Path: "/api/v1/auth/refresh", Request: servertest.Request{JSON: map[string]string{"refresh_token": "nope"}}, WantStatus: 401},
		{Name: "wrong type", Method: "POST", Path: "/api/v1/auth/refresh", Request: servertest.Request{JSON: map[string]int{"refresh_token": 1}}, WantStatus: 400},
	} {
		sc.Run(t, srv.Client(t))
	}
}

func TestRefreshExpired(t *testing.T) {
	srv := servertest.Start(t)
	u := srv.Superuser(t)
	srv.Advance(7*24*time.Hour + time.Minute)
	u.FetchCSRF() // the old one expired too
	if res := u.Post("/api/v1/auth/refresh", nil); res.Status != 401 {
		t.Fatalf("expired refresh token: %s", res)
	}
}

func TestLogout(t *testing.T) {
	srv := servertest.Start(t)
	u := srv.Superuser(t)
	access := u.Cookie("/", "access_token")
	refresh := u.Cookie("/api/v1/auth", "refresh_token")
	other := srv.Client(t)
	other.MustLogin("root@example.com", servertest.Password)

	res := u.Delete("/api/v1/auth/logout")
	if res.Status != 204 {
		t.Fatalf("logout: %s", res)
	}
	if u.Cookie("/", "access_token") != "" || u.Cookie("/api/v1/auth", "refresh_token") != "" {
		t.Fatal("cookies not cleared")
	}
	b := srv.Client(t)
	b.Bearer = access
	if res := b.Get("/api/v1/auth/validate"); res.Status != 401 {
		t.Fatalf("access token after logout: %s", res)
	}
	if res := b.Get("/api/v1/profile"); res.Status != 401 {
		t.Fatalf("access token after logout (profile): %s", res)
	}
	if res := srv.Client(t).Post("/api/v1/auth/refresh", map[string]string{"refresh_token": refresh}); res.Status != 401 {
		t.Fatalf("refresh after logout: %s", res)
	}
	// Other sessions are untouched.
	if res := other.Get("/api/v1/auth/validate"); res.Status != 200 {
		t.Fatalf("other session: %s", res)
	}
	// Logging out with nothing is harmless.
	if res := srv.Client(t).Delete("/api/v1/auth/logout"); res.Status != 204 {
		t.Fatalf("anonymous logout: %s", res)
	}
	// The revocation survives the cache: it is in SQLite.
	var n int
	srv.App.Store.DB.QueryRow("SELECT COUNT(*) FROM revoked_tokens").Scan(&n)
	if n != 1 {
		t.Fatalf("revoked_tokens has %d rows", n)
	}
}

func TestValidate(t *testing.T) {
	srv := servertest.Start(t)
	u := srv.Superuser(t)
	servertest.Scenario{Name: "ok", Method: "GET", Path: "/api/v1/auth/validate", WantStatus: 200,
		WantContains: []string{`"user":{`, `"email":"root@example.com"`, `"role":"superuser"`}}.Run(t, u)
	servertest.Scenario{Name: "anonymous", Method: "GET", Path: "/api/v1/auth/validate", WantStatus: 401}.Run(t, srv.Client(t))
}
