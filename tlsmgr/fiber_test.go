package tlsmgr

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
)

// TestFiberMTLS runs the mTLS listener the way the appliance does: fiber on
// tls.NewListener(ln, m.MTLSConfig()), the peer certificates read from
// fasthttp's TLSConnectionState and checked by VerifyClient, answering 496
// without a certificate and 495 with a bad one.
func TestFiberMTLS(t *testing.T) {
	ctx := context.Background()
	m := newManager(t, Config{Dir: t.TempDir()})
	good, err := m.ClientCA().Issue(ctx, "erin", 10, 3)
	if err != nil {
		t.Fatal(err)
	}
	revoked, err := m.ClientCA().Issue(ctx, "frank", 10, 4)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.ClientCA().Revoke(ctx, revoked.Serial); err != nil {
		t.Fatal(err)
	}
	foreignCA, err := LoadClientCA(t.TempDir(), NewMemoryRegistry())
	if err != nil {
		t.Fatal(err)
	}
	foreign, err := foreignCA.Issue(ctx, "mallory", 10, 5)
	if err != nil {
		t.Fatal(err)
	}

	app := fiber.New(fiber.Config{DisableStartupMessage: true})
	app.Use(func(c *fiber.Ctx) error {
		var chain []*x509.Certificate
		if st := c.Context().TLSConnectionState(); st != nil {
			chain = st.PeerCertificates
		}
		rec, err := m.VerifyClient(c.UserContext(), chain)
		switch {
		case errors.Is(err, ErrNoClientCert):
			return c.Status(496).SendString("no client certificate")
		case errors.Is(err, ErrBadClientCert):
			return c.Status(495).SendString("bad client certificate")
		case err != nil:
			return c.SendStatus(fiber.StatusServiceUnavailable)
		}
		return c.SendString("hello " + rec.Name)
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go app.Listener(tls.NewListener(ln, m.MTLSConfig()))
	t.Cleanup(func() { app.Shutdown() })

	pool := x509.NewCertPool()
	pool.AddCert(m.cert.Load().Leaf)
	get := func(ic *IssuedCert) (int, string) {
		t.Helper()
		cfg := &tls.Config{RootCAs: pool, ServerName: "localhost"}
		if ic != nil {
			pair, err := tls.X509KeyPair(ic.CertPEM, ic.KeyPEM)
			if err != nil {
				t.Fatal(err)
			}
			cfg.Certificates = []tls.Certificate{pair}
		}
		client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: cfg}}
		defer client.CloseIdleConnections()
		resp, err := client.Get("https://" + ln.Addr().String() + "/native/x")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	for _, tc := range []struct {
		name string
		ic   *IssuedCert
		code int
		body string
	}{
		{"good", good, 200, "hello erin"},
		{"none", nil, 496, "no client certificate"},
		{"revoked", revoked, 495, "bad client certificate"},
		{"other CA", foreign, 495, "bad client certificate"},
	} {
		if code, body := get(tc.ic); code != tc.code || body != tc.body {
			t.Errorf("%s: %d %q, want %d %q", tc.name, code, body, tc.code, tc.body)
		}
	}
}
