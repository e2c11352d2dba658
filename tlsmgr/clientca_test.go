package tlsmgr

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	pkcs12 "software.sslmate.com/src/go-pkcs12"
)

func parseIssued(t *testing.T, ic *IssuedCert) *x509.Certificate {
	t.Helper()
	b, _ := pem.Decode(ic.CertPEM)
	if b == nil {
		t.Fatal("no PEM in CertPEM")
	}
	c, err := x509.ParseCertificate(b.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestClientCA(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	reg := NewMemoryRegistry()
	ca, err := LoadClientCA(dir, reg)
	if err != nil {
		t.Fatal(err)
	}

	// files and CA properties
	fi, err := os.Stat(filepath.Join(dir, "client-ca", "ca.key"))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("ca.key: %v %v", fi.Mode(), err)
	}
	caCert := ca.Certificate()
	if !caCert.IsCA || caCert.PublicKeyAlgorithm != x509.ECDSA || caCert.NotAfter.Sub(caCert.NotBefore) < 9*365*24*time.Hour {
		t.Errorf("CA: IsCA=%v alg=%v validity=%v", caCert.IsCA, caCert.PublicKeyAlgorithm, caCert.NotAfter.Sub(caCert.NotBefore))
	}
	if b, _ := pem.Decode(ca.CertPEM()); b == nil || b.Type != "CERTIFICATE" {
		t.Error("CertPEM is not a PEM certificate")
	}
	// a second process (the CLI) loads the same CA
	ca2, err := LoadClientCA(dir, reg)
	if err != nil {
		t.Fatal(err)
	}
	if !ca2.Certificate().Equal(caCert) {
		t.Fatal("second load created a different CA")
	}

	ic, err := ca.Issue(ctx, "alice laptop", 30, 42)
	if err != nil {
		t.Fatal(err)
	}
	leaf := parseIssued(t, ic)
	if leaf.Subject.CommonName != "alice laptop" || leaf.SerialNumber.Text(16) != ic.Serial || len(ic.Serial) < 24 {
		t.Errorf("leaf CN=%q serial=%x issued serial=%s", leaf.Subject.CommonName, leaf.SerialNumber, ic.Serial)
	}
	if len(leaf.ExtKeyUsage) != 1 || leaf.ExtKeyUsage[0] != x509.ExtKeyUsageClientAuth {
		t.Errorf("EKU = %v", leaf.ExtKeyUsage)
	}
	if d := leaf.NotAfter.Sub(time.Now()); d < 29*24*time.Hour || d > 31*24*time.Hour {
		t.Errorf("validity %v", d)
	}
	if _, err := tls.X509KeyPair(ic.CertPEM, ic.KeyPEM); err != nil {
		t.Errorf("PEM pair: %v", err)
	}

	t.Run("verify ok", func(t *testing.T) {
		rec, err := ca.Verify(ctx, []*x509.Certificate{leaf})
		if err != nil {
			t.Fatal(err)
		}
		if rec.Name != "alice laptop" || rec.UserID != 42 || rec.Serial != ic.Serial || rec.Revoked() {
			t.Errorf("record = %+v", rec)
		}
		// with the CA certificate appended by the client
		if _, err := ca.Verify(ctx, []*x509.Certificate{leaf, caCert}); err != nil {
			t.Error(err)
		}
	})

	t.Run("list", func(t *testing.T) {
		recs, err := ca.List(ctx)
		if err != nil || len(recs) != 1 || recs[0].Serial != ic.Serial || !recs[0].NotAfter.Equal(leaf.NotAfter) {
			t.Fatalf("List = %+v, %v", recs, err)
		}
	})

	otherCA, err := LoadClientCA(t.TempDir(), NewMemoryRegistry())
	if err != nil {
		t.Fatal(err)
	}
	foreign, err := otherCA.Issue(ctx, "mallory", 30, 7)
	if err != nil {
		t.Fatal(err)
	}
	selfSigned := makeCert(t, nil, false, "self", nil, nil, time.Now().Add(time.Hour))

	// expired: issued "10 days ago" for 1 day through the clock hook
	ca.now = func() time.Time { return time.Now().Add(-10 * 24 * time.Hour) }
	expired, err := ca.Issue(ctx, "old phone", 1, 42)
	ca.now = time.Now
	if err != nil {
		t.Fatal(err)
	}
	revoked, err := ca.Issue(ctx, "lost phone", 30, 43)
	if err != nil {
		t.Fatal(err)
	}
	// revoked through the other instance (the CLI) sharing the registry,
	// with openssl's formatting of the serial
	colon := strings.ToUpper(revoked.Serial)
	var parts []string
	for len(colon) > 2 {
		parts = append(parts, colon[:2])
		colon = colon[2:]
	}
	parts = append(parts, colon)
	if err := ca2.Revoke(ctx, "00:"+strings.Join(parts, ":")); err != nil {
		t.Fatal(err)
	}
	if err := ca2.Revoke(ctx, revoked.Serial); err != nil {
		t.Errorf("second revoke: %v", err)
	}

	// a certificate signed by our CA but unknown to the registry (e.g. the
	// registry was reset)
	unknownCA, _ := LoadClientCA(dir, NewMemoryRegistry())
	unknown, err := unknownCA.Issue(ctx, "ghost", 30, 1)
	if err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		name   string
		chain  []*x509.Certificate
		reason error // nil: only ErrBadClientCert is checked
	}{
		{"other CA", []*x509.Certificate{parseIssued(t, foreign)}, nil},
		{"other CA with its CA cert", []*x509.Certificate{parseIssued(t, foreign), otherCA.Certificate()}, nil},
		{"self-signed", []*x509.Certificate{selfSigned.cert}, nil},
		{"expired", []*x509.Certificate{parseIssued(t, expired)}, ErrClientCertExpired},
		{"revoked", []*x509.Certificate{parseIssued(t, revoked)}, ErrClientCertRevoked},
		{"unknown serial", []*x509.Certificate{parseIssued(t, unknown)}, ErrClientCertUnknown},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec, err := ca.Verify(ctx, tc.chain)
			if !errors.Is(err, ErrBadClientCert) {
				t.Fatalf("Verify = %+v, %v; want ErrBadClientCert", rec, err)
			}
			if tc.reason != nil && !errors.Is(err, tc.reason) {
				t.Errorf("error %v does not wrap %v", err, tc.reason)
			}
		})
	}
	if _, err := ca.Verify(ctx, nil); !errors.Is(err, ErrNoClientCert) {
		t.Errorf("nil chain: %v", err)
	}
	if err := ca.Revoke(ctx, "abcdef"); !errors.Is(err, ErrNotFound) {
		t.Errorf("revoke unknown: %v", err)
	}
	if err := ca.Revoke(ctx, "not-hex"); !errors.Is(err, ErrNotFound) {
		t.Errorf("revoke garbage: %v", err)
	}
	if _, err := ca.Issue(ctx, "  ", 1, 1); err == nil {
		t.Error("issued a certificate without a name")
	}
}

func TestClientCAPKCS12(t *testing.T) {
	ctx := context.Background()
	ca, err := LoadClientCA(t.TempDir(), NewMemoryRegistry())
	if err != nil {
		t.Fatal(err)
	}
	ic, err := ca.Issue(ctx, "bob's phone", 0, 5)
	if err != nil {
		t.Fatal(err)
	}
	if len(ic.P12Password) < 16 || strings.ContainsAny(ic.P12Password, "0O1lI") {
		t.Errorf("password %q", ic.P12Password)
	}
	if d := ic.NotAfter.Sub(time.Now()); d < 364*24*time.Hour {
		t.Errorf("default validity %v", d)
	}
	openssl, _ := exec.LookPath("openssl")
	for _, tc := range []struct {
		name string
		data []byte
	}{{"modern", ic.P12}, {"legacy", ic.P12Legacy}} {
		t.Run(tc.name, func(t *testing.T) {
			key, cert, cas, err := pkcs12.DecodeChain(tc.data, ic.P12Password)
			if err != nil {
				t.Fatal(err)
			}
			if cert.SerialNumber.Text(16) != ic.Serial || len(cas) != 1 || !cas[0].Equal(ca.Certificate()) {
				t.Errorf("p12: serial %x, %d CA certs", cert.SerialNumber, len(cas))
			}
			if !key.(*ecdsa.PrivateKey).PublicKey.Equal(cert.PublicKey) {
				t.Error("p12 key does not match the certificate")
			}
			if _, _, _, err := pkcs12.DecodeChain(tc.data, "wrong"); err == nil {
				t.Error("p12 opened with a wrong password")
			}

			if openssl == "" {
				t.Skip("openssl not installed")
			}
			p := filepath.Join(t.TempDir(), "c.p12")
			os.WriteFile(p, tc.data, 0o600)
			out, err := exec.Command(openssl, "pkcs12", "-in", p, "-passin", "pass:"+ic.P12Password, "-nokeys").CombinedOutput()
			if err != nil {
				t.Fatalf("openssl -nokeys: %v\n%s", err, out)
			}
			if !strings.Contains(string(out), "bob's phone") || strings.Count(string(out), "BEGIN CERTIFICATE") != 2 {
				t.Errorf("openssl output:\n%s", out)
			}
			out, err = exec.Command(openssl, "pkcs12", "-in", p, "-passin", "pass:"+ic.P12Password, "-nocerts", "-nodes").CombinedOutput()
			if err != nil || !strings.Contains(string(out), "BEGIN PRIVATE KEY") {
				t.Fatalf("openssl -nocerts: %v\n%s", err, out)
			}
			if out, err := exec.Command(openssl, "pkcs12", "-in", p, "-passin", "pass:wrong", "-nokeys").CombinedOutput(); err == nil {
				t.Errorf("openssl accepted a wrong password:\n%s", out)
			}
		})
	}
}

// TestMTLSHandshake runs the mTLS listener for real: a client with an issued
// certificate is verified after the handshake, a client without one gets
// through the handshake with no peer certificates (496), and a revocation
// from another ClientCA instance (the CLI) applies to the next connection.
func TestMTLSHandshake(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	reg := NewMemoryRegistry()
	m := newManager(t, Config{Dir: dir, Registry: reg})
	ic, err := m.ClientCA().Issue(ctx, "carol", 10, 9)
	if err != nil {
		t.Fatal(err)
	}
	pair, err := tls.X509KeyPair(ic.CertPEM, ic.KeyPEM)
	if err != nil {
		t.Fatal(err)
	}
	addr, states := serveTLS(t, "", m.MTLSConfig())
	var offeredCA atomic.Bool
	connect := func(certs []tls.Certificate) tls.ConnectionState {
		t.Helper()
		cfg := &tls.Config{InsecureSkipVerify: true, GetClientCertificate: func(cri *tls.CertificateRequestInfo) (*tls.Certificate, error) {
			for _, dn := range cri.AcceptableCAs {
				if bytes.Equal(dn, m.ClientCA().Certificate().RawSubject) {
					offeredCA.Store(true)
				}
			}
			if len(certs) == 0 {
				return &tls.Certificate{}, nil
			}
			return &certs[0], nil
		}}
		if _, err := dialTLS(addr, cfg); err != nil {
			t.Fatal(err)
		}
		select {
		case st := <-states:
			return st
		case <-time.After(5 * time.Second):
			t.Fatal("no server-side state")
		}
		return tls.ConnectionState{}
	}

	st := connect([]tls.Certificate{pair})
	rec, err := m.VerifyClient(ctx, st.PeerCertificates)
	if err != nil || rec.Name != "carol" || rec.UserID != 9 {
		t.Fatalf("VerifyClient = %+v, %v", rec, err)
	}

	if !offeredCA.Load() {
		t.Error("the certificate request does not name the client CA")
	}
	st = connect(nil)
	if _, err := m.VerifyClient(ctx, st.PeerCertificates); !errors.Is(err, ErrNoClientCert) {
		t.Errorf("no certificate: %v", err)
	}

	cli, err := LoadClientCA(dir, reg)
	if err != nil {
		t.Fatal(err)
	}
	if err := cli.Revoke(ctx, ic.Serial); err != nil {
		t.Fatal(err)
	}
	st = connect([]tls.Certificate{pair})
	if _, err := m.VerifyClient(ctx, st.PeerCertificates); !errors.Is(err, ErrClientCertRevoked) || !errors.Is(err, ErrBadClientCert) {
		t.Errorf("after revoke: %v", err)
	}
}
