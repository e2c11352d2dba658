// Package tlsmgr provides the appliance's server certificates (self-signed,
// user-supplied files, ACME HTTP-01/TLS-ALPN-01 and ACME DNS-01 through
// Cloudflare) and its client certificate authority for mutual TLS.
//
// All state lives in Config.Dir (<datadir>/tls):
//
//	selfsigned.crt / selfsigned.key   self-signed pair (also the fallback while ACME has no certificate yet)
//	acme/                             certmagic storage (account, certificates, locks)
//	client-ca/ca.crt, ca.key          the client CA
//
// Wiring (fiber v2 / fasthttp):
//
//	m, err := tlsmgr.New(ctx, tlsmgr.Config{..., Registry: st, HTTPPort: 80, TLSPort: 443}, log)
//	defer m.Close()
//
//	// HTTP listener: answer ACME HTTP-01 before anything else
//	app.Get("/.well-known/acme-challenge/*", adaptor.HTTPHandlerFunc(func(w http.ResponseWriter, r *http.Request) {
//		if !m.HandleHTTPChallenge(w, r) {
//			http.NotFound(w, r)
//		}
//	}))
//
//	// HTTPS and mTLS listeners
//	go httpsApp.Listener(tls.NewListener(ln443, m.TLSConfig()))
//	go mtlsApp.Listener(tls.NewListener(ln8443, m.MTLSConfig()))
//
//	// mTLS: check the client certificate on each request
//	var chain []*x509.Certificate
//	if st := c.Context().TLSConnectionState(); st != nil {
//		chain = st.PeerCertificates
//	}
//	rec, err := m.VerifyClient(c.UserContext(), chain)
//	switch {
//	case errors.Is(err, tlsmgr.ErrNoClientCert):  // 496
//	case errors.Is(err, tlsmgr.ErrBadClientCert): // 495
//	case err != nil:                              // registry unavailable: 503
//	}
package tlsmgr

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/caddyserver/certmagic"
	"github.com/libdns/cloudflare"
)

// Certificate modes.
const (
	ModeSelfSigned = "self-signed"
	ModeFiles      = "files"
	ModeACME       = "acme"
	ModeACMEDNS    = "acme-dns"
)

// Config configures a Manager.
type Config struct {
	Mode               string   // "self-signed" (default) | "files" | "acme" | "acme-dns"
	Domains            []string // extra SANs for self-signed; certificate names for acme*
	Email              string
	CA                 string // ACME directory URL; default Let's Encrypt production
	CARoot             string // PEM file trusted for the ACME server's own TLS (Pebble in tests)
	CertFile, KeyFile  string // mode files
	CloudflareAPIToken string
	Dir                string // <datadir>/tls, created 0700
	// DNSProvider overrides the Cloudflare provider of acme-dns (tests, other providers).
	DNSProvider certmagic.DNSProvider
	// HTTPPort and TLSPort are the ports our own HTTP and HTTPS listeners
	// use; certmagic's ACME issuer gets them as AltHTTPPort/AltTLSALPNPort
	// so it does not try to bind its own challenge listeners. 0 means the
	// standard port (80/443); a negative value means that listener is off,
	// which disables the matching challenge type (HTTP-01 / TLS-ALPN-01).
	HTTPPort, TLSPort int
	// Registry stores issued client certificates; it must be shared by the
	// server and the CLI (the SQLite store). When nil an in-memory registry
	// is used and a warning is logged (revocations would not survive a
	// restart nor reach other processes).
	Registry CertRegistry

	// Test hooks (unexported; set from tests in this package).
	dnsResolvers          []string
	dnsPropagationTimeout time.Duration
	acmeProfile           string
	renewCheckInterval    time.Duration
	renewalWindowRatio    float64
	disableHTTP01         bool
	disableTLSALPN        bool
	cloudflareHTTPClient  cloudflare.HTTPClient
	checkInterval         time.Duration // files reload / self-signed expiry check; default 1 min
}

// CertStatus describes one served certificate, for /health.
type CertStatus struct {
	Names    []string  `json:"names"`
	NotAfter time.Time `json:"not_after"`
	Issuer   string    `json:"issuer"`
	Mode     string    `json:"mode"`
	Error    string    `json:"error,omitempty"`
}

// Manager serves the server certificate and owns the client CA.
type Manager struct {
	cfg  Config
	mode string
	log  *slog.Logger

	// cert is the certificate served in self-signed and files modes, and
	// the self-signed fallback served in acme modes while certmagic has no
	// certificate for the requested name.
	cert atomic.Pointer[tls.Certificate]

	mu      sync.Mutex
	lastErr map[string]string // acme: identifier -> last error; files: "" -> reload error
	files   fileStamp

	acme *acmeState
	ca   *ClientCA

	cancel    context.CancelFunc
	wg        sync.WaitGroup
	closeOnce sync.Once
}

// New validates cfg and prepares the certificates. For acme modes it starts
// obtaining/renewing in the background and returns without waiting for the
// CA; until a certificate is obtained the self-signed one is served, and
// errors are reported through Status and the log.
func New(ctx context.Context, cfg Config, log *slog.Logger) (*Manager, error) {
	if log == nil {
		log = slog.Default()
	}
	log = log.With("component", "tlsmgr")
	mode := strings.ToLower(strings.TrimSpace(cfg.Mode))
	if mode == "" {
		mode = ModeSelfSigned
	}
	cfg.Mode = mode
	if cfg.Dir == "" {
		return nil, errors.New("tlsmgr: Config.Dir is required")
	}
	doms, err := normalizeDomains(cfg.Domains)
	if err != nil {
		return nil, err
	}
	cfg.Domains = doms

	switch mode {
	case ModeSelfSigned:
	case ModeFiles:
		if cfg.CertFile == "" || cfg.KeyFile == "" {
			return nil, errors.New("tlsmgr: mode files needs both a certificate file and a key file")
		}
	case ModeACME:
		if len(cfg.Domains) == 0 {
			return nil, errors.New("tlsmgr: mode acme needs at least one domain name")
		}
		for _, d := range cfg.Domains {
			if strings.HasPrefix(d, "*.") {
				return nil, fmt.Errorf("tlsmgr: wildcard %q needs mode acme-dns (DNS-01); HTTP-01/TLS-ALPN-01 cannot validate wildcards", d)
			}
		}
		if cfg.HTTPPort < 0 && cfg.TLSPort < 0 {
			return nil, errors.New("tlsmgr: mode acme needs the HTTP or the HTTPS listener to answer challenges")
		}
	case ModeACMEDNS:
		if len(cfg.Domains) == 0 {
			return nil, errors.New("tlsmgr: mode acme-dns needs at least one domain name")
		}
		if cfg.DNSProvider == nil && cfg.CloudflareAPIToken == "" {
			return nil, errors.New("tlsmgr: mode acme-dns needs a Cloudflare API token")
		}
	default:
		return nil, fmt.Errorf("tlsmgr: unknown certificate mode %q (want self-signed, files, acme or acme-dns)", cfg.Mode)
	}

	if err := ensureDir(cfg.Dir); err != nil {
		return nil, err
	}

	m := &Manager{cfg: cfg, mode: mode, log: log, lastErr: map[string]string{}}

	reg := cfg.Registry
	if reg == nil {
		log.Warn("no client certificate registry configured; using an in-memory one (revocations are not persisted)")
		reg = NewMemoryRegistry()
	}
	m.ca, err = LoadClientCA(cfg.Dir, reg)
	if err != nil {
		return nil, err
	}

	switch mode {
	case ModeFiles:
		if err := m.loadFiles(); err != nil {
			return nil, err
		}
	default:
		// self-signed, and the fallback of the acme modes (served until
		// the CA delivers, and for names certmagic does not manage)
		c, err := ensureSelfSigned(cfg.Dir, cfg.Domains, log)
		if err != nil {
			return nil, err
		}
		m.cert.Store(c)
	}

	bg, cancel := context.WithCancel(context.WithoutCancel(ctx))
	m.cancel = cancel

	if mode == ModeACME || mode == ModeACMEDNS {
		if err := m.startACME(bg); err != nil {
			cancel()
			return nil, err
		}
	}
	m.wg.Add(1)
	go m.maintain(bg)
	return m, nil
}

// Mode returns the effective certificate mode.
func (m *Manager) Mode() string { return m.mode }

// TLSConfig is the configuration for the HTTPS listener: TLS 1.2+, the
// managed certificate, ALPN http/1.1 (fasthttp speaks no h2) and, in acme
// mode, acme-tls/1 for TLS-ALPN-01 challenges.
func (m *Manager) TLSConfig() *tls.Config {
	protos := []string{"http/1.1"}
	if m.mode == ModeACME && !m.cfg.disableTLSALPN && m.cfg.TLSPort >= 0 {
		protos = append(protos, "acme-tls/1")
	}
	return &tls.Config{
		MinVersion:     tls.VersionTLS12,
		GetCertificate: m.getCertificate,
		NextProtos:     protos,
	}
}

// MTLSConfig is the configuration for the mutual-TLS listener: the same
// server certificate, and the client certificate is requested but not
// required nor verified by crypto/tls. Verify it after the handshake with
// VerifyClient / ClientCA().Verify so the HTTP layer can answer 496 (no
// certificate) or 495 (bad certificate) itself. The client CA is named in
// the certificate request (ClientCAs; with RequestClientCert crypto/tls
// does not verify against it) so browsers offer only matching certificates.
func (m *Manager) MTLSConfig() *tls.Config {
	return &tls.Config{
		MinVersion:     tls.VersionTLS12,
		GetCertificate: m.getCertificate,
		NextProtos:     []string{"http/1.1"},
		ClientAuth:     tls.RequestClientCert,
		ClientCAs:      m.ca.pool,
	}
}

// VerifyClient checks the peer certificates of an mTLS connection
// (tls.ConnectionState.PeerCertificates) against the client CA and the
// registry; see ClientCA.Verify.
func (m *Manager) VerifyClient(ctx context.Context, chain []*x509.Certificate) (*ClientCertRecord, error) {
	return m.ca.Verify(ctx, chain)
}

// IsHTTPChallengePath reports whether an HTTP request path is an ACME
// HTTP-01 challenge (so a fasthttp/fiber handler converts only those
// requests to net/http for HandleHTTPChallenge).
func IsHTTPChallengePath(p string) bool {
	return strings.HasPrefix(p, "/.well-known/acme-challenge/")
}

// HandleHTTPChallenge answers an ACME HTTP-01 challenge request. It returns
// true if it handled the request (the response is written).
func (m *Manager) HandleHTTPChallenge(w http.ResponseWriter, r *http.Request) bool {
	if m.acme == nil || m.acme.issuer == nil || r == nil || !IsHTTPChallengePath(r.URL.Path) {
		return false
	}
	return m.acme.issuer.HandleHTTPChallenge(w, r)
}

// ClientCA returns the client certificate authority.
func (m *Manager) ClientCA() *ClientCA { return m.ca }

// Status reports the served certificates for /health.
func (m *Manager) Status() []CertStatus {
	switch m.mode {
	case ModeACME, ModeACMEDNS:
		return m.acmeStatus()
	}
	st := CertStatus{Mode: m.mode}
	if c := m.cert.Load(); c != nil && c.Leaf != nil {
		st.Names = certNames(c.Leaf)
		st.NotAfter = c.Leaf.NotAfter
		if m.mode == ModeSelfSigned {
			st.Issuer = "self-signed"
		} else {
			st.Issuer = issuerName(c.Leaf)
		}
		if time.Now().After(c.Leaf.NotAfter) {
			st.Error = "certificate expired " + c.Leaf.NotAfter.UTC().Format(time.RFC3339)
		}
	}
	m.mu.Lock()
	if e := m.lastErr[""]; e != "" {
		st.Error = e
	}
	m.mu.Unlock()
	return []CertStatus{st}
}

// Close stops the background work (renewal, file watching).
func (m *Manager) Close() error {
	m.closeOnce.Do(func() {
		if m.cancel != nil {
			m.cancel()
		}
		m.wg.Wait()
		if m.acme != nil && m.acme.cache != nil {
			m.acme.cache.Stop()
		}
	})
	return nil
}

func (m *Manager) getCertificate(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
	if m.acme != nil {
		c, err := m.acme.cfg.GetCertificate(hello)
		if err == nil && c != nil && len(c.Certificate) > 0 {
			return c, nil
		}
		if isACMETLSHello(hello) {
			return nil, err // a TLS-ALPN challenge we do not know: never answer with the fallback
		}
	}
	c := m.cert.Load()
	if c == nil {
		return nil, errors.New("tlsmgr: no certificate available")
	}
	return c, nil
}

func isACMETLSHello(h *tls.ClientHelloInfo) bool {
	return len(h.SupportedProtos) == 1 && h.SupportedProtos[0] == "acme-tls/1"
}

// maintain reloads changed files (files mode) and renews the self-signed
// certificate before it expires.
func (m *Manager) maintain(ctx context.Context) {
	defer m.wg.Done()
	iv := m.cfg.checkInterval
	if iv <= 0 {
		iv = time.Minute
	}
	t := time.NewTicker(iv)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if m.mode == ModeFiles {
			m.reloadFilesIfChanged()
			continue
		}
		// the self-signed certificate, or the fallback of the acme modes
		if c := m.cert.Load(); c != nil && c.Leaf != nil && time.Until(c.Leaf.NotAfter) < selfSignedRenewBefore {
			nc, err := ensureSelfSigned(m.cfg.Dir, m.cfg.Domains, m.log)
			if err != nil {
				m.log.Error("renewing self-signed certificate", "err", err)
				continue
			}
			m.cert.Store(nc)
		}
	}
}

func ensureDir(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("tlsmgr: creating %s: %w", dir, err)
	}
	fi, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("tlsmgr: %w", err)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		if err := os.Chmod(dir, 0o700); err != nil {
			return fmt.Errorf("tlsmgr: restricting %s to 0700: %w", dir, err)
		}
	}
	return nil
}

func normalizeDomains(in []string) ([]string, error) {
	var out []string
	seen := map[string]bool{}
	for _, d := range in {
		d = strings.TrimSuffix(strings.ToLower(strings.TrimSpace(d)), ".")
		if d == "" || seen[d] {
			continue
		}
		if strings.ContainsAny(d, " \t/@?#") {
			return nil, fmt.Errorf("tlsmgr: invalid domain name %q", d)
		}
		if strings.Contains(d, "*") && (!strings.HasPrefix(d, "*.") || strings.Count(d, "*") > 1) {
			return nil, fmt.Errorf("tlsmgr: invalid wildcard %q (only a leading \"*.\" is allowed)", d)
		}
		seen[d] = true
		out = append(out, d)
	}
	return out, nil
}

func certNames(c *x509.Certificate) []string {
	names := append([]string{}, c.DNSNames...)
	for _, ip := range c.IPAddresses {
		names = append(names, ip.String())
	}
	if len(names) == 0 && c.Subject.CommonName != "" {
		names = append(names, c.Subject.CommonName)
	}
	return names
}

func issuerName(c *x509.Certificate) string {
	if c.Issuer.CommonName != "" {
		return c.Issuer.CommonName
	}
	return c.Issuer.String()
}

// writeFileAtomic writes data to path via a temporary file and rename.
func writeFileAtomic(path string, data []byte, perm os.FileMode) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	ok := false
	defer func() {
		if !ok {
			os.Remove(tmp)
		}
	}()
	if err := f.Chmod(perm); err != nil {
		f.Close()
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	ok = true
	return nil
}
