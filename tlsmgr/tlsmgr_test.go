package tlsmgr

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func servedLeaf(t *testing.T, m *Manager) *x509.Certificate {
	t.Helper()
	st := m.Status()
	if len(st) != 1 {
		t.Fatalf("Status: %+v", st)
	}
	c := m.cert.Load()
	if c == nil || c.Leaf == nil {
		t.Fatal("no certificate loaded")
	}
	return c.Leaf
}

func TestSelfSigned(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "tls")
	m := newManager(t, Config{Dir: dir, Domains: []string{"App.Example.test", "192.168.7.9", "app.example.test"}})

	st := m.Status()
	if len(st) != 1 || st[0].Mode != "self-signed" || st[0].Issuer != "self-signed" || st[0].Error != "" {
		t.Fatalf("Status = %+v", st)
	}
	if time.Until(st[0].NotAfter) < 300*24*time.Hour {
		t.Errorf("NotAfter %v too soon", st[0].NotAfter)
	}
	want := []string{"localhost", "app.example.test", "127.0.0.1", "::1", "192.168.7.9"}
	got := append([]string{}, st[0].Names...)
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("names = %v, want %v", got, want)
	}
	leaf := servedLeaf(t, m)
	if leaf.PublicKeyAlgorithm != x509.ECDSA {
		t.Errorf("key algorithm %v", leaf.PublicKeyAlgorithm)
	}

	// permissions
	for path, want := range map[string]os.FileMode{dir: 0o700, filepath.Join(dir, selfSignedKeyFile): 0o600} {
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != want {
			t.Errorf("%s: mode %v, want %v", path, fi.Mode().Perm(), want)
		}
	}

	// real handshakes by name and by IP, verified against the cert itself
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	addr, _ := serveTLS(t, "", m.TLSConfig())
	for _, sni := range []string{"localhost", "app.example.test", "127.0.0.1"} {
		cs, err := dialTLS(addr, &tls.Config{RootCAs: pool, ServerName: sni, NextProtos: []string{"h2", "http/1.1"}})
		if err != nil {
			t.Fatalf("handshake %s: %v", sni, err)
		}
		if cs.NegotiatedProtocol != "http/1.1" {
			t.Errorf("ALPN = %q, want http/1.1", cs.NegotiatedProtocol)
		}
		if cs.Version < tls.VersionTLS12 {
			t.Errorf("version %x", cs.Version)
		}
	}
	if _, err := dialTLS(addr, &tls.Config{RootCAs: pool, ServerName: "other.example.test"}); err == nil {
		t.Error("handshake for a name not in the certificate verified")
	}
	m.Close()

	t.Run("reused across restarts", func(t *testing.T) {
		m2 := newManager(t, Config{Dir: dir, Domains: []string{"app.example.test", "192.168.7.9"}})
		if got := servedLeaf(t, m2).SerialNumber; got.Cmp(leaf.SerialNumber) != 0 {
			t.Errorf("serial changed on restart: %x -> %x", leaf.SerialNumber, got)
		}
	})
	t.Run("regenerated when names change", func(t *testing.T) {
		m3 := newManager(t, Config{Dir: dir, Domains: []string{"app.example.test", "new.example.test"}})
		l3 := servedLeaf(t, m3)
		if l3.SerialNumber.Cmp(leaf.SerialNumber) == 0 {
			t.Fatal("certificate not regenerated")
		}
		if !slices.Contains(l3.DNSNames, "new.example.test") || slices.ContainsFunc(l3.IPAddresses, func(ip net.IP) bool { return ip.String() == "192.168.7.9" }) {
			t.Errorf("names = %v %v", l3.DNSNames, l3.IPAddresses)
		}
		// and the new one is what a restart reuses
		m4 := newManager(t, Config{Dir: dir, Domains: []string{"new.example.test", "app.example.test"}})
		if servedLeaf(t, m4).SerialNumber.Cmp(l3.SerialNumber) != 0 {
			t.Error("order of names must not matter")
		}
	})
	t.Run("regenerated when missing or expiring", func(t *testing.T) {
		for name, prep := range map[string]func(){
			"missing": func() { os.Remove(filepath.Join(dir, selfSignedCertFile)) },
			"expiring": func() {
				p := makeCert(t, nil, false, "localhost", []string{"localhost"}, []net.IP{net.ParseIP("127.0.0.1"), net.ParseIP("::1")}, time.Now().Add(24*time.Hour))
				os.WriteFile(filepath.Join(dir, selfSignedCertFile), p.certPEM, 0o644)
				os.WriteFile(filepath.Join(dir, selfSignedKeyFile), p.keyPEM, 0o600)
			},
			"garbage": func() { os.WriteFile(filepath.Join(dir, selfSignedCertFile), []byte("nope"), 0o644) },
		} {
			prep()
			before, _ := os.ReadFile(filepath.Join(dir, selfSignedCertFile))
			m := newManager(t, Config{Dir: dir})
			l := servedLeaf(t, m)
			if time.Until(l.NotAfter) < 300*24*time.Hour {
				t.Errorf("%s: not regenerated (NotAfter %v)", name, l.NotAfter)
			}
			after, _ := os.ReadFile(filepath.Join(dir, selfSignedCertFile))
			if string(before) == string(after) {
				t.Errorf("%s: file not rewritten", name)
			}
		}
	})
}

func TestTLSVersions(t *testing.T) {
	m := newManager(t, Config{Dir: t.TempDir()})
	for name, cfg := range map[string]*tls.Config{"tls": m.TLSConfig(), "mtls": m.MTLSConfig()} {
		addr, _ := serveTLS(t, "", cfg)
		for _, tc := range []struct {
			min, max uint16
			ok       bool
		}{
			{tls.VersionTLS10, tls.VersionTLS10, false},
			{tls.VersionTLS11, tls.VersionTLS11, false},
			{tls.VersionTLS12, tls.VersionTLS12, true},
			{tls.VersionTLS13, tls.VersionTLS13, true},
		} {
			cs, err := dialTLS(addr, &tls.Config{InsecureSkipVerify: true, MinVersion: tc.min, MaxVersion: tc.max})
			if tc.ok && (err != nil || cs.Version != tc.max) {
				t.Errorf("%s: TLS %x: err=%v version=%x", name, tc.max, err, cs.Version)
			}
			if !tc.ok && err == nil {
				t.Errorf("%s: TLS %x handshake accepted", name, tc.max)
			}
		}
	}
}

func TestFilesMode(t *testing.T) {
	dir := t.TempDir()
	good := makeCert(t, nil, false, "files.example.test", []string{"files.example.test"}, nil, time.Now().Add(90*24*time.Hour))
	other := makeCert(t, nil, false, "other.example.test", []string{"other.example.test"}, nil, time.Now().Add(90*24*time.Hour))
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	goodCert, goodKey := write("good.crt", good.certPEM), write("good.key", good.keyPEM)
	garbage := write("garbage.pem", []byte("this is not PEM\n"))
	otherKey := write("other.key", other.keyPEM)
	missing := filepath.Join(dir, "missing.pem")

	for _, tc := range []struct {
		name, cert, key string
		wantErr         []string // substrings of the error
	}{
		{"good", goodCert, goodKey, nil},
		{"missing cert", missing, goodKey, []string{"certificate file", missing}},
		{"missing key", goodCert, missing, []string{"key file", missing}},
		{"bad cert", garbage, goodKey, []string{"certificate file", garbage, "no PEM"}},
		{"bad key", goodCert, garbage, []string{"key file", garbage, "no PEM"}},
		{"key swapped for cert", goodKey, goodCert, []string{"certificate file", goodKey}},
		{"mismatched key", goodCert, otherKey, []string{goodCert, otherKey, "match"}},
		{"no key given", goodCert, "", []string{"key file"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, err := New(context.Background(), Config{Mode: "files", CertFile: tc.cert, KeyFile: tc.key, Dir: filepath.Join(dir, "tls-"+strings.ReplaceAll(tc.name, " ", "-"))}, testLogger(t))
			if tc.wantErr == nil {
				if err != nil {
					t.Fatal(err)
				}
				defer m.Close()
				st := m.Status()
				if st[0].Mode != "files" || !slices.Equal(st[0].Names, []string{"files.example.test"}) || st[0].Error != "" || st[0].Issuer != "files.example.test" {
					t.Errorf("Status = %+v", st)
				}
				pool := x509.NewCertPool()
				pool.AddCert(good.cert)
				addr, _ := serveTLS(t, "", m.TLSConfig())
				if _, err := dialTLS(addr, &tls.Config{RootCAs: pool, ServerName: "files.example.test"}); err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil {
				m.Close()
				t.Fatal("New succeeded")
			}
			for _, s := range tc.wantErr {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not mention %q", err, s)
				}
			}
		})
	}
}

func TestFilesReload(t *testing.T) {
	dir := t.TempDir()
	certPath, keyPath := filepath.Join(dir, "c.pem"), filepath.Join(dir, "k.pem")
	p1 := makeCert(t, nil, false, "one.example.test", []string{"one.example.test"}, nil, time.Now().Add(time.Hour*24))
	os.WriteFile(certPath, p1.certPEM, 0o600)
	os.WriteFile(keyPath, p1.keyPEM, 0o600)
	m := newManager(t, Config{Mode: "files", CertFile: certPath, KeyFile: keyPath, Dir: filepath.Join(dir, "tls"), checkInterval: 20 * time.Millisecond})
	addr, _ := serveTLS(t, "", m.TLSConfig())
	served := func() string {
		cs, err := dialTLS(addr, &tls.Config{InsecureSkipVerify: true})
		if err != nil {
			t.Fatal(err)
		}
		return cs.PeerCertificates[0].Subject.CommonName
	}
	if got := served(); got != "one.example.test" {
		t.Fatalf("served %s", got)
	}

	// replace both files (new mtime/size)
	p2 := makeCert(t, nil, false, "two.example.test", []string{"two.example.test"}, nil, time.Now().Add(time.Hour*24))
	os.WriteFile(keyPath, p2.keyPEM, 0o600)
	os.WriteFile(certPath, p2.certPEM, 0o600)
	waitFor(t, 5*time.Second, "reload", func() bool { return served() == "two.example.test" })
	if st := m.Status(); st[0].Error != "" || st[0].Names[0] != "two.example.test" {
		t.Errorf("Status = %+v", st)
	}

	// a broken replacement keeps the current certificate and reports the error
	os.WriteFile(certPath, []byte("broken"), 0o600)
	waitFor(t, 5*time.Second, "error in Status", func() bool { return m.Status()[0].Error != "" })
	if got := served(); got != "two.example.test" {
		t.Errorf("served %s after a bad reload", got)
	}
	if e := m.Status()[0].Error; !strings.Contains(e, certPath) {
		t.Errorf("Status error %q does not name the file", e)
	}
	// fixed again
	p3 := makeCert(t, nil, false, "three.example.test", []string{"three.example.test"}, nil, time.Now().Add(time.Hour*24))
	os.WriteFile(keyPath, p3.keyPEM, 0o600)
	os.WriteFile(certPath, p3.certPEM, 0o600)
	waitFor(t, 5*time.Second, "recovery", func() bool { return served() == "three.example.test" && m.Status()[0].Error == "" })
}

func TestConfigValidation(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name string
		cfg  Config
		want string
	}{
		{"no dir", Config{}, "Dir"},
		{"unknown mode", Config{Mode: "letsencrypt", Dir: dir}, "unknown certificate mode"},
		{"acme without domains", Config{Mode: "acme", Dir: dir}, "domain"},
		{"acme wildcard", Config{Mode: "acme", Dir: dir, Domains: []string{"*.example.test"}}, "acme-dns"},
		{"acme-dns without token", Config{Mode: "acme-dns", Dir: dir, Domains: []string{"example.test"}}, "token"},
		{"bad wildcard", Config{Mode: "acme-dns", Dir: dir, CloudflareAPIToken: "x", Domains: []string{"a.*.example.test"}}, "wildcard"},
		{"bad CA root", Config{Mode: "acme", Dir: dir, Domains: []string{"a.example.test"}, CARoot: filepath.Join(dir, "nope.pem")}, "nope.pem"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, err := New(context.Background(), tc.cfg, testLogger(t))
			if err == nil {
				m.Close()
				t.Fatal("New succeeded")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not mention %q", err, tc.want)
			}
		})
	}
}

// TestSelfSignedRenewedWhileRunning: a self-signed certificate close to
// expiry is replaced by the background check without a restart.
func TestSelfSignedRenewedWhileRunning(t *testing.T) {
	m := newManager(t, Config{Dir: t.TempDir(), Domains: []string{"run.example.test"}, checkInterval: 20 * time.Millisecond})
	old := makeCert(t, nil, false, "localhost", []string{"localhost"}, nil, time.Now().Add(time.Hour))
	pair, err := tls.X509KeyPair(old.certPEM, old.keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	m.cert.Store(&pair)
	addr, _ := serveTLS(t, "", m.TLSConfig())
	waitFor(t, 5*time.Second, "renewed self-signed certificate", func() bool {
		cs, err := dialTLS(addr, &tls.Config{InsecureSkipVerify: true})
		return err == nil && time.Until(cs.PeerCertificates[0].NotAfter) > 300*24*time.Hour &&
			slices.Contains(cs.PeerCertificates[0].DNSNames, "run.example.test")
	})
}
