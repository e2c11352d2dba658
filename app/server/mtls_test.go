package server_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/aiwfe/aiwfe/app"
	"github.com/aiwfe/aiwfe/app/certs"
	"github.com/aiwfe/aiwfe/app/config"
	"github.com/aiwfe/aiwfe/app/server"
	"github.com/aiwfe/aiwfe/app/server/servertest"
	"github.com/aiwfe/aiwfe/store"
	"github.com/aiwfe/aiwfe/tlsmgr"
)

// mtlsEnv is an in-process server with the HTTPS and mTLS listeners.
type mtlsEnv struct {
	app          *app.App
	certs        *tlsmgr.Manager
	https, mtls  string
	serverCAPool *x509.CertPool
}

func startMTLS(t *testing.T) *mtlsEnv {
	t.Helper()
	cfg := servertest.Config(t, func(c *config.Config) {
		c.Server.HTTP, c.Server.HTTPS, c.Server.MTLS = "", "127.0.0.1:0", "127.0.0.1:0"
	})
	log := slog.New(slog.DiscardHandler)
	ctx, cancel := context.WithCancel(context.Background())
	a, err := app.Open(ctx, cfg, log, app.OpenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	mgr, err := tlsmgr.New(ctx, tlsmgr.Config{Dir: cfg.Path("tls"), Registry: certs.NewRegistry(a.Store), HTTPPort: -1}, log)
	if err != nil {
		t.Fatal(err)
	}
	ui := fstest.MapFS{
		"index.html":            {Data: []byte("<!doctype html><html><title>aiwfe</title></html>")},
		"_app/immutable/app.js": {Data: []byte("console.log(1)")},
	}
	srv, err := server.New(a, server.Options{UI: ui, Certs: mgr, TLS: mgr})
	if err != nil {
		t.Fatal(err)
	}
	ls, err := srv.Bind(mgr)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { defer close(done); srv.Serve(ctx, ls) }()
	t.Cleanup(func() {
		cancel()
		<-done
		mgr.Close()
		a.Close()
	})
	e := &mtlsEnv{app: a, certs: mgr, serverCAPool: x509.NewCertPool()}
	for _, l := range ls {
		switch l.Name {
		case "https":
			e.https = "https://" + l.Addr.String()
		case "mtls":
			e.mtls = "https://" + l.Addr.String()
		}
	}
	// the self-signed certificate verifies itself
	conn, err := tls.Dial("tcp", strings.TrimPrefix(e.https, "https://"), &tls.Config{InsecureSkipVerify: true})
	if err != nil {
		t.Fatal(err)
	}
	e.serverCAPool.AddCert(conn.ConnectionState().PeerCertificates[0])
	conn.Close()
	return e
}

// client trusts the server's certificate and presents ic (none when nil);
// it follows no redirect.
func (e *mtlsEnv) client(t *testing.T, ic *tlsmgr.IssuedCert) *http.Client {
	t.Helper()
	cfg := &tls.Config{RootCAs: e.serverCAPool, ServerName: "localhost"}
	if ic != nil {
		pair, err := tls.X509KeyPair(ic.CertPEM, ic.KeyPEM)
		if err != nil {
			t.Fatal(err)
		}
		cfg.Certificates = []tls.Certificate{pair}
	}
	return &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: cfg},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

func (e *mtlsEnv) get(t *testing.T, ic *tlsmgr.IssuedCert, url string, hdr ...string) (int, http.Header, string) {
	t.Helper()
	c := e.client(t, ic)
	defer c.CloseIdleConnections()
	req, _ := http.NewRequest("GET", url, nil)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	res, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, res.Header, string(b)
}

func TestMTLSGate(t *testing.T) {
	e := startMTLS(t)
	ctx := context.Background()
	u, err := e.app.Auth.CreateUser(ctx, "dana@example.com", "correct horse battery staple", "user")
	if err != nil {
		t.Fatal(err)
	}
	good, err := e.certs.ClientCA().Issue(ctx, "dana-laptop", 5, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	kiosk, err := e.certs.ClientCA().Issue(ctx, "kiosk", 5, 0)
	if err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		name   string
		ic     *tlsmgr.IssuedCert
		path   string
		accept string
		status int
		want   string
	}{
		{"whoami", good, "/native/v1/whoami", "", 200, `"email":"dana@example.com"`},
		{"whoami without user", kiosk, "/native/v1/whoami", "", 200, `"user":null`},
		{"native health", good, "/native/v1/health", "", 200, `"checks"`},
		{"unknown native path", good, "/native/v1/nope", "", 404, `"not_found"`},
		{"api health", good, "/api/v1/health", "", 200, `"checks"`},
		{"api needs a token", good, "/api/v1/profile", "", 401, `"unauthorized"`},
		{"unknown api path", good, "/api/v1/nope", "", 404, `"not_found"`},
		{"no cert", nil, "/native/v1/whoami", "", 496, `"client_certificate_required"`},
		{"no cert, api", nil, "/api/v1/health", "", 496, `"client_certificate_required"`},
		{"no cert, browser", nil, "/api/v1/health", "text/html", 303, ""},
		// Only /native and /api; look-alike prefixes are not them.
		{"root", good, "/", "", 404, `"not_found"`},
		{"health outside", good, "/health", "", 404, `"not_found"`},
		{"prefix look-alike", nil, "/apix", "", 404, `"not_found"`},
		{"native look-alike", nil, "/nativeX/v1/whoami", "", 404, `"not_found"`},
		{"upper case", nil, "/NATIVE/v1/whoami", "", 404, `"not_found"`},
		{"ui shell elsewhere", nil, "/security", "text/html", 404, ""},
		// The request-access page and the UI files it needs come without a certificate.
		{"request-access", nil, "/request-access", "text/html", 200, "<title>aiwfe</title>"},
		{"ui asset", nil, "/_app/immutable/app.js", "", 200, "console.log"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, hdr, body := e.get(t, tc.ic, e.mtls+tc.path, "Accept", tc.accept)
			if status != tc.status || !strings.Contains(body, tc.want) {
				t.Fatalf("%d %s, want %d %s", status, body, tc.status, tc.want)
			}
			if status == 303 && hdr.Get("Location") != "/request-access" {
				t.Fatalf("Location %q", hdr.Get("Location"))
			}
		})
	}

	// /native is not served on HTTPS, and nothing there asks for a certificate.
	if status, _, body := e.get(t, nil, e.https+"/native/v1/whoami", "Accept", "application/json"); status != 404 || !strings.Contains(body, "mutual-TLS listener") {
		t.Fatalf("/native on HTTPS: %d %s", status, body)
	}
	if status, _, _ := e.get(t, nil, e.https+"/api/v1/health"); status != 200 {
		t.Fatalf("HTTPS health without a certificate: %d", status)
	}

	// Suspending the account cuts its certificates off at once.
	if err := store.SetRoleStatus(ctx, e.app.Store.DB, u.ID, "user", "suspended", time.Now()); err != nil {
		t.Fatal(err)
	}
	if status, _, body := e.get(t, good, e.mtls+"/native/v1/whoami"); status != 495 || !strings.Contains(body, "suspended") {
		t.Fatalf("certificate of a suspended account: %d %s", status, body)
	}
	if status, _, _ := e.get(t, kiosk, e.mtls+"/native/v1/whoami"); status != 200 {
		t.Fatalf("kiosk: %d", status)
	}

	// The registry is unavailable: fail closed with 503, not as a bad certificate.
	e.app.Store.DB.Close()
	status, _, body := e.get(t, kiosk, e.mtls+"/native/v1/whoami")
	var eb struct{ Error struct{ Code string } }
	json.Unmarshal([]byte(body), &eb)
	if status != 503 || eb.Error.Code != "unavailable" {
		t.Fatalf("registry down: %d %s", status, body)
	}
}

// The HTTPS listener's TLS configuration never requests a client
// certificate (OAuth callbacks, /api/v1/google/*, /api/v1/search/* are
// served there to clients that have none); the mTLS one does.
func TestHTTPSRequestsNoClientCertificate(t *testing.T) {
	e := startMTLS(t)
	if ca := e.certs.TLSConfig().ClientAuth; ca != tls.NoClientCert {
		t.Fatalf("HTTPS ClientAuth = %v", ca)
	}
	requested := func(base string, version uint16) bool {
		asked := false
		conn, err := tls.Dial("tcp", strings.TrimPrefix(base, "https://"), &tls.Config{
			RootCAs: e.serverCAPool, ServerName: "localhost", MinVersion: version, MaxVersion: version,
			GetClientCertificate: func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
				asked = true
				return &tls.Certificate{}, nil
			},
		})
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		conn.Write([]byte("GET /api/v1/health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"))
		io.Copy(io.Discard, conn)
		return asked
	}
	for _, v := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
		if requested(e.https, v) {
			t.Errorf("HTTPS (TLS %x) requested a client certificate", v)
		}
		if !requested(e.mtls, v) {
			t.Errorf("mTLS (TLS %x) did not request a client certificate", v)
		}
	}
	// Web search on HTTPS without a certificate: the session decides (401
	// here, signed out), never a certificate (495/496).
	if status, _, body := e.get(t, nil, e.https+"/api/v1/search?q=whales"); status != 401 || !strings.Contains(body, "unauthorized") {
		t.Errorf("/api/v1/search on HTTPS without a certificate: %d %s", status, body)
	}
}
