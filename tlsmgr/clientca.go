package tlsmgr

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"time"

	pkcs12 "software.sslmate.com/src/go-pkcs12"
)

const (
	clientCADir      = "client-ca"
	clientCACertFile = "ca.crt"
	clientCAKeyFile  = "ca.key"
	clientCAValidity = 10 * 365 * 24 * time.Hour
	// DefaultClientCertDays is used by Issue when days is 0.
	DefaultClientCertDays = 365
)

var (
	// ErrNoClientCert: the peer sent no certificate (HTTP 496).
	ErrNoClientCert = errors.New("tlsmgr: no client certificate")
	// ErrBadClientCert: the peer's certificate is not acceptable (HTTP 495).
	// The returned error wraps it together with the reason, one of the
	// errors below or an x509 verification error.
	ErrBadClientCert = errors.New("tlsmgr: bad client certificate")

	ErrClientCertRevoked = errors.New("certificate revoked")
	ErrClientCertUnknown = errors.New("certificate not in the registry")
	ErrClientCertExpired = errors.New("certificate expired or not yet valid")
)

// ClientCA is the appliance's certificate authority for client (mTLS)
// certificates.
type ClientCA struct {
	cert    *x509.Certificate
	certPEM []byte
	key     *ecdsa.PrivateKey
	pool    *x509.CertPool
	reg     CertRegistry
	now     func() time.Time // test hook
}

// IssuedCert is a freshly issued client certificate with its key, as PEM
// and as a password-protected PKCS#12 bundle (with the CA certificate) for
// import into browsers and phones. P12 uses modern algorithms (PBES2 with
// AES-256-CBC, PBKDF2/HMAC-SHA-256); P12Legacy holds the same bundle with
// 3DES/SHA-1 for older importers (older Apple and Android releases refuse
// the modern one), under the same password.
type IssuedCert struct {
	Serial      string
	Name        string
	UserID      int64
	NotBefore   time.Time
	NotAfter    time.Time
	CertPEM     []byte
	KeyPEM      []byte
	P12         []byte
	P12Legacy   []byte
	P12Password string
}

// LoadClientCA loads the client CA from tlsDir/client-ca, creating it on
// first use (ECDSA P-256, 10 years, key 0600). The CLI uses this directly;
// the server gets it from Manager.ClientCA.
func LoadClientCA(tlsDir string, reg CertRegistry) (*ClientCA, error) {
	if reg == nil {
		return nil, errors.New("tlsmgr: client CA needs a certificate registry")
	}
	if err := ensureDir(tlsDir); err != nil {
		return nil, err
	}
	dir := filepath.Join(tlsDir, clientCADir)
	ca, err := readClientCA(dir)
	if errors.Is(err, os.ErrNotExist) {
		if err := createClientCA(tlsDir, dir); err != nil {
			return nil, err
		}
		ca, err = readClientCA(dir)
	}
	if err != nil {
		return nil, err
	}
	ca.reg = reg
	ca.now = time.Now
	return ca, nil
}

func readClientCA(dir string) (*ClientCA, error) {
	certPath := filepath.Join(dir, clientCACertFile)
	keyPath := filepath.Join(dir, clientCAKeyFile)
	certPEM, err := os.ReadFile(certPath)
	if err != nil {
		return nil, err
	}
	keyPEM, err := os.ReadFile(keyPath)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("tlsmgr: client CA key %s is missing but %s exists", keyPath, certPath)
		}
		return nil, err
	}
	pair, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return nil, fmt.Errorf("tlsmgr: client CA in %s: %w", dir, err)
	}
	key, ok := pair.PrivateKey.(*ecdsa.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("tlsmgr: client CA key %s is not an ECDSA key", keyPath)
	}
	if !pair.Leaf.IsCA {
		return nil, fmt.Errorf("tlsmgr: %s is not a CA certificate", certPath)
	}
	pool := x509.NewCertPool()
	pool.AddCert(pair.Leaf)
	return &ClientCA{cert: pair.Leaf, certPEM: certPEM, key: key, pool: pool}, nil
}

// createClientCA writes the CA into a temporary directory and renames it
// into place, so two processes starting at once cannot end up with
// different CAs: the loser of the rename discards its own.
func createClientCA(tlsDir, dir string) error {
	tmp, err := os.MkdirTemp(tlsDir, ".client-ca-*")
	if err != nil {
		return fmt.Errorf("tlsmgr: %w", err)
	}
	defer os.RemoveAll(tmp)
	if err := os.Chmod(tmp, 0o700); err != nil {
		return err
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	serial, err := randomSerial()
	if err != nil {
		return err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "aiwfe client CA", Organization: []string{"aiwfe"}},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(clientCAValidity),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return fmt.Errorf("tlsmgr: creating client CA: %w", err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(tmp, clientCAKeyFile), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(tmp, clientCACertFile), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		return err
	}
	if err := os.Rename(tmp, dir); err != nil {
		if _, serr := os.Stat(filepath.Join(dir, clientCACertFile)); serr == nil {
			return nil // another process created it first
		}
		return fmt.Errorf("tlsmgr: installing client CA in %s: %w", dir, err)
	}
	return nil
}

// CertPEM returns the CA certificate in PEM.
func (ca *ClientCA) CertPEM() []byte { return append([]byte(nil), ca.certPEM...) }

// Certificate returns the CA certificate.
func (ca *ClientCA) Certificate() *x509.Certificate { return ca.cert }

// Issue creates a client certificate for name (the CN) valid for days
// (DefaultClientCertDays when 0, never beyond the CA's own expiry) and
// records it in the registry.
func (ca *ClientCA) Issue(ctx context.Context, name string, days int, userID int64) (*IssuedCert, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		return nil, errors.New("tlsmgr: a client certificate needs a name")
	}
	if days < 0 {
		return nil, fmt.Errorf("tlsmgr: invalid validity of %d days", days)
	}
	if days == 0 {
		days = DefaultClientCertDays
	}
	now := ca.now()
	notBefore := now.Add(-5 * time.Minute).UTC().Truncate(time.Second)
	notAfter := now.Add(time.Duration(days) * 24 * time.Hour).UTC().Truncate(time.Second)
	if notAfter.After(ca.cert.NotAfter) {
		notAfter = ca.cert.NotAfter
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	serial, err := randomSerial()
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: name, Organization: []string{"aiwfe"}},
		NotBefore:             notBefore,
		NotAfter:              notAfter,
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		return nil, fmt.Errorf("tlsmgr: issuing client certificate: %w", err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, err
	}
	password, err := randomPassword(16)
	if err != nil {
		return nil, err
	}
	p12, err := pkcs12.Modern.Encode(key, leaf, []*x509.Certificate{ca.cert}, password)
	if err != nil {
		return nil, fmt.Errorf("tlsmgr: encoding PKCS#12: %w", err)
	}
	p12Legacy, err := pkcs12.LegacyDES.Encode(key, leaf, []*x509.Certificate{ca.cert}, password)
	if err != nil {
		return nil, fmt.Errorf("tlsmgr: encoding legacy PKCS#12: %w", err)
	}
	ic := &IssuedCert{
		Serial:      serialHex(serial),
		Name:        name,
		UserID:      userID,
		NotBefore:   leaf.NotBefore,
		NotAfter:    leaf.NotAfter,
		CertPEM:     pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		KeyPEM:      pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}),
		P12:         p12,
		P12Legacy:   p12Legacy,
		P12Password: password,
	}
	rec := ClientCertRecord{
		Serial:    ic.Serial,
		Name:      name,
		UserID:    userID,
		NotBefore: ic.NotBefore,
		NotAfter:  ic.NotAfter,
		CreatedAt: now.UTC(),
	}
	if err := ca.reg.AddClientCert(ctx, rec); err != nil {
		return nil, fmt.Errorf("tlsmgr: recording client certificate: %w", err)
	}
	return ic, nil
}

// List returns the issued certificates.
func (ca *ClientCA) List(ctx context.Context) ([]ClientCertRecord, error) {
	return ca.reg.ListClientCerts(ctx)
}

// Revoke marks a certificate as revoked (ErrNotFound when unknown). The
// serial may be given in any case, with colons or leading zeros (as openssl
// prints it). Revoking twice is not an error.
func (ca *ClientCA) Revoke(ctx context.Context, serial string) error {
	s, err := NormalizeSerial(serial)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrNotFound, err)
	}
	rec, err := ca.reg.GetClientCert(ctx, s)
	if err != nil {
		return err
	}
	if rec.Revoked() {
		return nil
	}
	return ca.reg.RevokeClientCert(ctx, s, ca.now().UTC())
}

// Verify checks a client's certificate chain (as in
// tls.ConnectionState.PeerCertificates, leaf first): no chain gives
// ErrNoClientCert; a certificate not signed by this CA, expired, not for
// client auth, unknown to the registry or revoked gives an error wrapping
// ErrBadClientCert and the reason. The registry is consulted on every call,
// so a revocation by another process takes effect immediately.
func (ca *ClientCA) Verify(ctx context.Context, chain []*x509.Certificate) (*ClientCertRecord, error) {
	if len(chain) == 0 || chain[0] == nil {
		return nil, ErrNoClientCert
	}
	leaf := chain[0]
	inter := x509.NewCertPool()
	for _, c := range chain[1:] {
		if c != nil && !c.Equal(ca.cert) {
			inter.AddCert(c)
		}
	}
	_, err := leaf.Verify(x509.VerifyOptions{
		Roots:         ca.pool,
		Intermediates: inter,
		CurrentTime:   ca.now(),
		KeyUsages:     []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	})
	if err != nil {
		var inv x509.CertificateInvalidError
		if errors.As(err, &inv) && inv.Reason == x509.Expired {
			return nil, fmt.Errorf("%w: %w: %v", ErrBadClientCert, ErrClientCertExpired, err)
		}
		return nil, fmt.Errorf("%w: %w", ErrBadClientCert, err)
	}
	serial := serialHex(leaf.SerialNumber)
	rec, err := ca.reg.GetClientCert(ctx, serial)
	if errors.Is(err, ErrNotFound) {
		return nil, fmt.Errorf("%w: %w (serial %s)", ErrBadClientCert, ErrClientCertUnknown, serial)
	}
	if err != nil {
		// the registry is unavailable: fail closed, but not as a bad cert
		return nil, fmt.Errorf("tlsmgr: looking up client certificate %s: %w", serial, err)
	}
	if rec.Revoked() {
		return nil, fmt.Errorf("%w: %w (serial %s, at %s)", ErrBadClientCert, ErrClientCertRevoked, serial, rec.RevokedAt.UTC().Format(time.RFC3339))
	}
	return rec, nil
}

// serialHex formats a serial as lower-case hex without leading zeros.
func serialHex(n *big.Int) string { return n.Text(16) }

// NormalizeSerial turns "0A:1B:..", "0a1b.." or "A1B.." into the registry's
// form (lower-case hex, no colons or leading zeros).
func NormalizeSerial(s string) (string, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	s = strings.TrimPrefix(s, "0x")
	s = strings.ReplaceAll(s, ":", "")
	n, ok := new(big.Int).SetString(s, 16)
	if !ok || n.Sign() <= 0 {
		return "", fmt.Errorf("invalid serial %q", s)
	}
	return serialHex(n), nil
}

// readable alphabet without 0/O, 1/l/I
const passwordAlphabet = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"

func randomPassword(n int) (string, error) {
	b := make([]byte, n)
	max := big.NewInt(int64(len(passwordAlphabet)))
	for i := range b {
		k, err := rand.Int(rand.Reader, max)
		if err != nil {
			return "", err
		}
		b[i] = passwordAlphabet[k.Int64()]
	}
	return string(b), nil
}
