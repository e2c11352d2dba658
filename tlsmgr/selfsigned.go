package tlsmgr

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

const (
	selfSignedCertFile    = "selfsigned.crt"
	selfSignedKeyFile     = "selfsigned.key"
	selfSignedValidity    = 365 * 24 * time.Hour
	selfSignedRenewBefore = 30 * 24 * time.Hour
)

// selfSignedNames returns the SANs of the self-signed certificate:
// localhost, 127.0.0.1, ::1 and the configured names.
func selfSignedNames(extra []string) (dns []string, ips []net.IP) {
	dns = []string{"localhost"}
	ips = []net.IP{net.ParseIP("127.0.0.1"), net.ParseIP("::1")}
	for _, n := range extra {
		n = strings.Trim(n, "[]")
		if ip := net.ParseIP(n); ip != nil {
			if !slices.ContainsFunc(ips, ip.Equal) {
				ips = append(ips, ip)
			}
			continue
		}
		if !slices.Contains(dns, n) {
			dns = append(dns, n)
		}
	}
	return dns, ips
}

func sanKey(dns []string, ips []net.IP) string {
	var all []string
	for _, d := range dns {
		all = append(all, "dns:"+strings.ToLower(d))
	}
	for _, ip := range ips {
		all = append(all, "ip:"+ip.String())
	}
	slices.Sort(all)
	return strings.Join(slices.Compact(all), ",")
}

// ensureSelfSigned loads the self-signed pair from dir and returns it if it
// is valid for more than selfSignedRenewBefore and carries exactly the
// wanted names; otherwise it generates and persists a new one.
func ensureSelfSigned(dir string, extra []string, log *slog.Logger) (*tls.Certificate, error) {
	dns, ips := selfSignedNames(extra)
	want := sanKey(dns, ips)
	certPath := filepath.Join(dir, selfSignedCertFile)
	keyPath := filepath.Join(dir, selfSignedKeyFile)

	reason := "missing"
	if certPEM, err := os.ReadFile(certPath); err == nil {
		keyPEM, kerr := os.ReadFile(keyPath)
		if kerr != nil {
			reason = "key unreadable"
		} else if c, perr := tls.X509KeyPair(certPEM, keyPEM); perr != nil {
			reason = "unreadable: " + perr.Error()
		} else {
			leaf := c.Leaf
			switch {
			case time.Until(leaf.NotAfter) < selfSignedRenewBefore:
				reason = "expiring " + leaf.NotAfter.UTC().Format(time.RFC3339)
			case sanKey(leaf.DNSNames, leaf.IPAddresses) != want:
				reason = "names changed"
			default:
				return &c, nil
			}
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("tlsmgr: reading %s: %w", certPath, err)
	}

	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	serial, err := randomSerial()
	if err != nil {
		return nil, err
	}
	now := time.Now()
	cn := dns[0]
	if len(extra) > 0 && net.ParseIP(strings.Trim(extra[0], "[]")) == nil {
		cn = extra[0]
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: cn, Organization: []string{"aiwfe self-signed"}},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(selfSignedValidity),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		DNSNames:              dns,
		IPAddresses:           ips,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, fmt.Errorf("tlsmgr: creating self-signed certificate: %w", err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, err
	}
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})
	if err := writeFileAtomic(keyPath, keyPEM, 0o600); err != nil {
		return nil, fmt.Errorf("tlsmgr: writing %s: %w", keyPath, err)
	}
	if err := writeFileAtomic(certPath, certPEM, 0o644); err != nil {
		return nil, fmt.Errorf("tlsmgr: writing %s: %w", certPath, err)
	}
	c, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return nil, err
	}
	if log != nil {
		log.Info("generated self-signed certificate", "reason", reason, "names", certNames(c.Leaf), "not_after", c.Leaf.NotAfter)
	}
	return &c, nil
}

// randomSerial returns a random positive 128-bit serial number.
func randomSerial() (*big.Int, error) {
	for {
		n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 128))
		if err != nil {
			return nil, err
		}
		if n.Sign() > 0 {
			return n, nil
		}
	}
}
