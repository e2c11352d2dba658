package main

// End-to-end tests of mutual TLS (issue #6): the real binary serving the
// HTTPS and mTLS listeners, client certificates issued and revoked with
// `aiwfe cert` while it runs, checked with curl, openssl and Go clients.

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"io"
	"math/big"
	"net/http"
	"net/http/cookiejar"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

const testPassword = "correct horse battery staple"

// mtlsServer starts `aiwfe serve` with the HTTPS and mTLS listeners (plain
// HTTP off, so startServe's two URLs are https and mtls).
func mtlsServer(t *testing.T) (p *proc, data string, env []string) {
	t.Helper()
	for _, tool := range []string{"curl", "openssl"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is not installed", tool)
		}
	}
	data = filepath.Join(t.TempDir(), "data")
	env = baseEnv("AIWFE_SERVER_HTTP=", "AIWFE_SERVER_MTLS=127.0.0.1:0")
	p = startServe(t, data, env)
	if p.urls["mtls"] == "" || p.urls["https"] == "" {
		t.Fatalf("printed URLs: %v", p.urls)
	}
	return p, data, env
}

var (
	serialLine   = regexp.MustCompile(`(?m)^serial:\s+([0-9a-f]+)$`)
	passwordLine = regexp.MustCompile(`(?m)^password:\s+(\S+)$`)
)

// issue runs `aiwfe cert issue` and returns the serial and the PKCS#12
// password it printed.
func issue(t *testing.T, env []string, data, out, name string, extra ...string) (serial, password string) {
	t.Helper()
	args := append([]string{"cert", "issue", "--name", name, "--out", out, "--data", data}, extra...)
	code, stdout, stderr := run(t, env, args...)
	if code != 0 {
		t.Fatalf("cert issue: exit %d\n%s%s", code, stdout, stderr)
	}
	s, pw := serialLine.FindStringSubmatch(stdout), passwordLine.FindStringSubmatch(stdout)
	if s == nil || pw == nil {
		t.Fatalf("cert issue printed no serial or password:\n%s", stdout)
	}
	return s[1], pw[1]
}

type curlResult struct {
	code   int
	body   string
	header string
}

// curl requests url with the self-signed server certificate trusted.
func curl(t *testing.T, data, url string, args ...string) curlResult {
	t.Helper()
	dir := t.TempDir()
	bodyFile, headFile := filepath.Join(dir, "body"), filepath.Join(dir, "head")
	all := append([]string{"-sS", "--max-time", "10", "-o", bodyFile, "-D", headFile, "-w", "%{http_code}",
		"--cacert", filepath.Join(data, "tls", "selfsigned.crt")}, args...)
	out, err := exec.Command("curl", append(all, url)...).Output()
	if err != nil {
		var stderr []byte
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = ee.Stderr
		}
		t.Fatalf("curl %s: %v %s", url, err, stderr)
	}
	code, _ := strconv.Atoi(strings.TrimSpace(string(out)))
	body, _ := os.ReadFile(bodyFile)
	head, _ := os.ReadFile(headFile)
	return curlResult{code: code, body: string(body), header: string(head)}
}

func withCert(dir, name string) []string {
	return []string{"--cert", filepath.Join(dir, name+".crt"), "--key", filepath.Join(dir, name+".key")}
}

func errorCode(t *testing.T, body string) string {
	t.Helper()
	var e struct {
		Error struct{ Code, Message string } `json:"error"`
	}
	if err := json.Unmarshal([]byte(body), &e); err != nil || e.Error.Code == "" || e.Error.Message == "" {
		t.Fatalf("not the JSON error shape: %q", body)
	}
	return e.Error.Code
}

func TestMTLSListener(t *testing.T) {
	p, data, env := mtlsServer(t)
	mtls := p.urls["mtls"]
	out := t.TempDir()

	// An account, and a certificate tied to it, issued while the server runs.
	if code, o, e := run(t, env, "admin", "create", "--email", "anna@example.com", "--password", testPassword, "--role", "user", "--data", data); code != 0 {
		t.Fatalf("admin create: %d %s %s", code, o, e)
	}
	serial, password := issue(t, env, data, out, "anna-phone", "--days", "30", "--user", "ANNA@example.com")
	for name, perm := range map[string]os.FileMode{"anna-phone.key": 0o600, "anna-phone.p12": 0o600, "anna-phone-legacy.p12": 0o600, "anna-phone.crt": 0o644} {
		fi, err := os.Stat(filepath.Join(out, name))
		if err != nil || fi.Mode().Perm() != perm {
			t.Fatalf("%s: %v %v, want mode %o", name, err, fi, perm)
		}
	}

	t.Run("certificate accepted", func(t *testing.T) {
		r := curl(t, data, mtls+"/native/v1/whoami", withCert(out, "anna-phone")...)
		var who struct {
			Serial, Name string
			UserID       *int64    `json:"user_id"`
			NotAfter     time.Time `json:"not_after"`
			Device       struct{ Name, IP string }
			User         *struct{ Email string }
		}
		if err := json.Unmarshal([]byte(r.body), &who); err != nil || r.code != 200 {
			t.Fatalf("whoami: %d %s", r.code, r.body)
		}
		if who.Name != "anna-phone" || who.Serial != serial || who.UserID == nil || who.User == nil || who.User.Email != "anna@example.com" ||
			who.Device.Name != "anna-phone" || who.Device.IP != "127.0.0.1" {
			t.Fatalf("whoami: %s", r.body)
		}
		if d := time.Until(who.NotAfter); d < 29*24*time.Hour || d > 31*24*time.Hour {
			t.Fatalf("not_after %s is not 30 days away", who.NotAfter)
		}
		r = curl(t, data, mtls+"/native/v1/health", withCert(out, "anna-phone")...)
		if r.code != 200 || !strings.Contains(r.body, `"checks"`) || !strings.Contains(r.body, `"certificates"`) {
			t.Fatalf("native health: %d %s", r.code, r.body)
		}
	})

	t.Run("no certificate", func(t *testing.T) {
		for _, path := range []string{"/native/v1/whoami", "/native/v1/health", "/api/v1/health", "/api/v1/profile"} {
			r := curl(t, data, mtls+path)
			if r.code != 496 || errorCode(t, r.body) != "client_certificate_required" {
				t.Fatalf("%s without a certificate: %d %s", path, r.code, r.body)
			}
		}
		// Only /native and /api are served here.
		r := curl(t, data, mtls+"/", withCert(out, "anna-phone")...)
		if r.code != 404 || errorCode(t, r.body) != "not_found" {
			t.Fatalf("/ on the mTLS listener: %d %s", r.code, r.body)
		}
	})

	t.Run("browser without a certificate", func(t *testing.T) {
		r := curl(t, data, mtls+"/native/v1/whoami", "-H", "Accept: text/html,application/xhtml+xml,*/*;q=0.8")
		if r.code != 303 || !regexp.MustCompile(`(?im)^location: /request-access\r?$`).MatchString(r.header) {
			t.Fatalf("browser: %d\n%s", r.code, r.header)
		}
		// The page itself is served on this listener without a certificate.
		r = curl(t, data, mtls+"/request-access", "-H", "Accept: text/html")
		if r.code != 200 || !strings.Contains(r.body, "<html") {
			t.Fatalf("/request-access: %d", r.code)
		}
	})

	t.Run("certificate of another CA", func(t *testing.T) {
		dir := t.TempDir()
		sh := func(args ...string) {
			t.Helper()
			cmd := exec.Command("openssl", args...)
			cmd.Dir = dir
			if o, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("openssl %v: %v\n%s", args, err, o)
			}
		}
		sh("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "ca.key", "-out", "ca.crt", "-days", "30", "-subj", "/CN=aiwfe client CA")
		sh("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "mallory.key", "-out", "mallory.csr", "-subj", "/CN=mallory")
		os.WriteFile(filepath.Join(dir, "ext.cnf"), []byte("extendedKeyUsage=clientAuth\n"), 0o600)
		sh("x509", "-req", "-in", "mallory.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-out", "mallory.crt", "-days", "30", "-extfile", "ext.cnf")
		r := curl(t, data, mtls+"/native/v1/whoami", withCert(dir, "mallory")...)
		if r.code != 495 || errorCode(t, r.body) != "client_certificate_invalid" {
			t.Fatalf("foreign certificate: %d %s", r.code, r.body)
		}
		r = curl(t, data, mtls+"/native/v1/whoami", append(withCert(dir, "mallory"), "-H", "Accept: text/html")...)
		if r.code != 303 {
			t.Fatalf("browser with a foreign certificate: %d", r.code)
		}
	})

	t.Run("expired and unrecorded certificates of our CA", func(t *testing.T) {
		dir := t.TempDir()
		now := time.Now()
		signWithDataCA(t, data, dir, "old", now.Add(-60*24*time.Hour), now.Add(-24*time.Hour))
		r := curl(t, data, mtls+"/native/v1/whoami", withCert(dir, "old")...)
		if r.code != 495 || errorCode(t, r.body) != "client_certificate_invalid" || !strings.Contains(r.body, "expired") {
			t.Fatalf("expired certificate: %d %s", r.code, r.body)
		}
		// Signed by the CA's key but never issued through the registry.
		signWithDataCA(t, data, dir, "forged", now.Add(-time.Hour), now.Add(24*time.Hour))
		r = curl(t, data, mtls+"/native/v1/whoami", withCert(dir, "forged")...)
		if r.code != 495 || !strings.Contains(r.body, "no record") {
			t.Fatalf("unrecorded certificate: %d %s", r.code, r.body)
		}
	})

	t.Run("PKCS#12 bundles open with the printed password", func(t *testing.T) {
		for _, f := range []string{"anna-phone.p12", "anna-phone-legacy.p12"} {
			o, err := exec.Command("openssl", "pkcs12", "-in", filepath.Join(out, f), "-passin", "pass:"+password, "-nokeys").CombinedOutput()
			if err != nil || !strings.Contains(string(o), "BEGIN CERTIFICATE") || !strings.Contains(string(o), "anna-phone") {
				t.Fatalf("openssl pkcs12 %s: %v\n%s", f, err, o)
			}
			if _, err := exec.Command("openssl", "pkcs12", "-in", filepath.Join(out, f), "-passin", "pass:wrong", "-nokeys").CombinedOutput(); err == nil {
				t.Fatalf("%s opens with a wrong password", f)
			}
		}
	})

	t.Run("handshake completes without a certificate", func(t *testing.T) {
		addr := strings.TrimPrefix(mtls, "https://")
		cmd := exec.Command("openssl", "s_client", "-connect", strings.Replace(addr, "localhost", "127.0.0.1", 1), "-servername", "localhost",
			"-CAfile", filepath.Join(data, "tls", "selfsigned.crt"), "-verify_return_error", "-ign_eof")
		cmd.Stdin = strings.NewReader("GET /native/v1/whoami HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
		o, err := cmd.CombinedOutput()
		s := string(o)
		if err != nil || !strings.Contains(s, "Verify return code: 0 (ok)") || !strings.Contains(s, "HTTP/1.1 496") {
			t.Fatalf("s_client: %v\n%s", err, s)
		}
		// The certificate request names our client CA, so browsers offer
		// only matching certificates.
		if !strings.Contains(s, "Acceptable client certificate CA names") || !strings.Contains(s, "aiwfe client CA") {
			t.Fatalf("the client CA is not named in the certificate request:\n%s", s)
		}
	})

	t.Run("HTTPS never asks for a client certificate", func(t *testing.T) {
		if asked := certificateRequested(t, data, p.urls["https"]); asked {
			t.Fatal("the HTTPS listener requested a client certificate")
		}
		if asked := certificateRequested(t, data, mtls); !asked {
			t.Fatal("the mTLS listener did not request a client certificate")
		}
		// OAuth callbacks, Google and search endpoints are on HTTPS too.
		for _, path := range []string{"/health", "/api/v1/health", "/api/v1/google/oauth/callback", "/api/v1/search/web"} {
			r := curl(t, data, p.urls["https"]+path)
			if r.code == 495 || r.code == 496 || r.code == 0 {
				t.Fatalf("HTTPS %s: %d", path, r.code)
			}
		}
	})

	t.Run("the API on the mTLS listener still needs a token", func(t *testing.T) {
		r := curl(t, data, mtls+"/api/v1/auth/validate", withCert(out, "anna-phone")...)
		if r.code != 401 || errorCode(t, r.body) != "unauthorized" {
			t.Fatalf("no token: %d %s", r.code, r.body)
		}
		c := certClient(t, data, filepath.Join(out, "anna-phone.crt"), filepath.Join(out, "anna-phone.key"))
		tok := login(t, c, mtls, "anna@example.com", testPassword)
		req, _ := http.NewRequest("GET", mtls+"/api/v1/auth/validate", nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		res, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != 200 {
			t.Fatalf("validate with a token over mTLS: %d", res.StatusCode)
		}
	})

	// Last: revocation from the CLI applies to the running server's next
	// request, without a restart.
	t.Run("revoked while the server runs", func(t *testing.T) {
		code, o, e := run(t, env, "cert", "list", "--data", data)
		if code != 0 || !regexp.MustCompile(`(?m)^`+serial+`\s+anna-phone\s+anna@example.com\s+\S+\s+-$`).MatchString(o) {
			t.Fatalf("cert list: %d\n%s%s", code, o, e)
		}
		if code, o, e := run(t, env, "cert", "revoke", strings.ToUpper(serial), "--data", data); code != 0 || !strings.Contains(o, "revoked") {
			t.Fatalf("cert revoke: %d %s %s", code, o, e)
		}
		r := curl(t, data, mtls+"/native/v1/whoami", withCert(out, "anna-phone")...)
		if r.code != 495 || errorCode(t, r.body) != "client_certificate_invalid" || !strings.Contains(r.body, "revoked") {
			t.Fatalf("revoked certificate: %d %s", r.code, r.body)
		}
		if code, o, _ := run(t, env, "cert", "list", "--data", data); code != 0 || regexp.MustCompile(`(?m)^`+serial+`.*\s-$`).MatchString(o) {
			t.Fatalf("cert list after revoke:\n%s", o)
		}
		if code, _, e := run(t, env, "cert", "revoke", "abcdef", "--data", data); code != 1 || !strings.Contains(e, "no client certificate") {
			t.Fatalf("revoke unknown: %d %s", code, e)
		}
	})

	if code := p.stop(t); code != 0 {
		t.Fatalf("exit %d:\n%s", code, p.stderr)
	}
}

// Admins issue, list and revoke certificates through the API; the issued
// PEMs work on the mTLS listener at once and stop working when revoked.
func TestMTLSAdminAPI(t *testing.T) {
	p, data, env := mtlsServer(t)
	mtls, https := p.urls["mtls"], p.urls["https"]
	if code, o, e := run(t, env, "admin", "create", "--email", "root@example.com", "--password", testPassword, "--data", data); code != 0 {
		t.Fatalf("admin create: %d %s %s", code, o, e)
	}
	c := tlsClient(t, data)
	tok := login(t, c, https, "root@example.com", testPassword)
	call := func(method, path string, body any) (int, []byte) {
		t.Helper()
		var rd io.Reader
		if body != nil {
			b, _ := json.Marshal(body)
			rd = bytes.NewReader(b)
		}
		req, _ := http.NewRequest(method, https+path, rd)
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("Content-Type", "application/json")
		res, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, b
	}
	code, body := call("POST", "/api/v1/admin/certificates", map[string]any{"name": "kitchen-tablet", "days": 7})
	var issued struct {
		Serial, Name   string
		CertificatePEM string `json:"certificate_pem"`
		PrivateKeyPEM  string `json:"private_key_pem"`
		PKCS12         []byte `json:"pkcs12"`
		PKCS12Password string `json:"pkcs12_password"`
		CAPEM          string `json:"ca_certificate_pem"`
	}
	if err := json.Unmarshal(body, &issued); err != nil || code != 201 || issued.PKCS12Password == "" || len(issued.PKCS12) == 0 || issued.CAPEM == "" {
		t.Fatalf("issue: %d %s", code, body)
	}
	dir := t.TempDir()
	crt, key := filepath.Join(dir, "t.crt"), filepath.Join(dir, "t.key")
	os.WriteFile(crt, []byte(issued.CertificatePEM), 0o600)
	os.WriteFile(key, []byte(issued.PrivateKeyPEM), 0o600)
	p12 := filepath.Join(dir, "t.p12")
	os.WriteFile(p12, issued.PKCS12, 0o600)
	if o, err := exec.Command("openssl", "pkcs12", "-in", p12, "-passin", "pass:"+issued.PKCS12Password, "-nokeys").CombinedOutput(); err != nil || !strings.Contains(string(o), "kitchen-tablet") {
		t.Fatalf("API PKCS#12: %v %s", err, o)
	}
	r := curl(t, data, mtls+"/native/v1/whoami", "--cert", crt, "--key", key)
	if r.code != 200 || !strings.Contains(r.body, `"name":"kitchen-tablet"`) || !strings.Contains(r.body, `"user_id":null`) {
		t.Fatalf("whoami with an API-issued certificate: %d %s", r.code, r.body)
	}
	code, body = call("GET", "/api/v1/admin/certificates", nil)
	if code != 200 || !strings.Contains(string(body), `"serial":"`+issued.Serial+`"`) || strings.Contains(string(body), "PRIVATE KEY") {
		t.Fatalf("list: %d %s", code, body)
	}
	if code, body = call("DELETE", "/api/v1/admin/certificates/"+issued.Serial, nil); code != 204 {
		t.Fatalf("revoke: %d %s", code, body)
	}
	r = curl(t, data, mtls+"/native/v1/whoami", "--cert", crt, "--key", key)
	if r.code != 495 {
		t.Fatalf("after revocation through the API: %d %s", r.code, r.body)
	}
	code, body = call("GET", "/api/v1/admin/audit?per_page=100", nil)
	if code != 200 || !strings.Contains(string(body), `"type":"cert_issued"`) || !strings.Contains(string(body), `"type":"cert_revoked"`) {
		t.Fatalf("audit: %d %s", code, body)
	}
	p.stop(t)
}

// certificateRequested handshakes with base and reports whether the server
// sent a CertificateRequest.
func certificateRequested(t *testing.T, data, base string) bool {
	t.Helper()
	pool := x509.NewCertPool()
	raw, _ := os.ReadFile(filepath.Join(data, "tls", "selfsigned.crt"))
	pool.AppendCertsFromPEM(raw)
	asked := false
	for _, v := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
		conn, err := tls.Dial("tcp", strings.TrimPrefix(base, "https://"), &tls.Config{
			RootCAs: pool, ServerName: "localhost", MinVersion: v, MaxVersion: v,
			GetClientCertificate: func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
				asked = true
				return &tls.Certificate{}, nil
			},
		})
		if err != nil {
			t.Fatalf("handshake with %s (TLS %x): %v", base, v, err)
		}
		// TLS 1.3 sends the request after the server's Finished; a round
		// trip makes sure the client has read it.
		conn.Write([]byte("GET /api/v1/health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"))
		io.Copy(io.Discard, conn)
		conn.Close()
	}
	return asked
}

// signWithDataCA writes dir/name.crt and .key: a client certificate signed
// with the appliance's client CA key, with the given validity, not recorded
// in the registry.
func signWithDataCA(t *testing.T, data, dir, name string, notBefore, notAfter time.Time) {
	t.Helper()
	caDir := filepath.Join(data, "tls", "client-ca")
	pair, err := tls.LoadX509KeyPair(filepath.Join(caDir, "ca.crt"), filepath.Join(caDir, "ca.key"))
	if err != nil {
		t.Fatal(err)
	}
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	serial, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 120))
	tmpl := &x509.Certificate{
		SerialNumber: serial, Subject: pkix.Name{CommonName: name},
		NotBefore: notBefore, NotAfter: notAfter,
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, pair.Leaf, &key.PublicKey, pair.PrivateKey)
	if err != nil {
		t.Fatal(err)
	}
	kder, _ := x509.MarshalPKCS8PrivateKey(key)
	os.WriteFile(filepath.Join(dir, name+".crt"), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	os.WriteFile(filepath.Join(dir, name+".key"), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder}), 0o600)
}

// certClient is an HTTP client presenting a client certificate, with a
// cookie jar for the CSRF dance.
func certClient(t *testing.T, data, crt, key string) *http.Client {
	t.Helper()
	c := tlsClient(t, data)
	pair, err := tls.LoadX509KeyPair(crt, key)
	if err != nil {
		t.Fatal(err)
	}
	c.Transport.(*http.Transport).TLSClientConfig.Certificates = []tls.Certificate{pair}
	return c
}

// login signs in with JSON (CSRF token first) and returns the access token.
func login(t *testing.T, c *http.Client, base, email, password string) string {
	t.Helper()
	if c.Jar == nil {
		c.Jar, _ = cookiejar.New(nil)
	}
	res, err := c.Get(base + "/api/v1/auth/csrf-token")
	if err != nil {
		t.Fatal(err)
	}
	var csrf struct {
		Token string `json:"csrf_token"`
	}
	json.NewDecoder(res.Body).Decode(&csrf)
	res.Body.Close()
	b, _ := json.Marshal(map[string]string{"email": email, "password": password})
	req, _ := http.NewRequest("POST", base+"/api/v1/auth/jwt/login", bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-CSRF-TOKEN", csrf.Token)
	res, err = c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	body, _ := io.ReadAll(res.Body)
	json.Unmarshal(body, &tok)
	if res.StatusCode != 200 || tok.AccessToken == "" {
		t.Fatalf("login %s: %d %s", email, res.StatusCode, body)
	}
	return tok.AccessToken
}

// A backup archive carries everything the appliance needs: restored into an
// empty data directory, a session token issued before the backup still
// validates (secrets.json came back) and a client certificate issued before
// it still opens the mTLS listener (the client CA came back).
func TestBackupRestoresWholeAppliance(t *testing.T) {
	p, data, env := mtlsServer(t)
	if code, o, e := run(t, env, "admin", "create", "--email", "root@example.com", "--password", testPassword, "--data", data); code != 0 {
		t.Fatalf("admin create: %d %s %s", code, o, e)
	}
	tok := login(t, tlsClient(t, data), p.urls["https"], "root@example.com", testPassword)
	certs := t.TempDir()
	issue(t, env, data, certs, "phone")
	archive := filepath.Join(t.TempDir(), "aiwfe.backup")
	if code, o, e := run(t, env, "backup", archive, "--data", data); code != 0 || !strings.Contains(o, "tls/client-ca/ca.key") {
		t.Fatalf("backup: %d %s %s", code, o, e)
	}
	p.stop(t)

	fresh := filepath.Join(t.TempDir(), "restored")
	code, o, e := run(t, env, "restore", archive, "--data", fresh)
	if code != 0 || !strings.Contains(o, "restored") {
		t.Fatalf("restore: %d %s %s", code, o, e)
	}
	p2 := startServe(t, fresh, env)
	r := curl(t, fresh, p2.urls["mtls"]+"/native/v1/whoami", withCert(certs, "phone")...)
	if r.code != 200 || !strings.Contains(r.body, `"name":"phone"`) {
		t.Fatalf("certificate issued before the backup: %d %s", r.code, r.body)
	}
	r = curl(t, fresh, p2.urls["https"]+"/api/v1/auth/validate", "-H", "Authorization: Bearer "+tok)
	if r.code != 200 || !strings.Contains(r.body, "root@example.com") {
		t.Fatalf("token issued before the backup: %d %s", r.code, r.body)
	}
	p2.stop(t)
}
