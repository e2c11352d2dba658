package tlsmgr

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/caddyserver/certmagic"
	"github.com/libdns/cloudflare"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

type acmeState struct {
	cache  *certmagic.Cache
	cfg    *certmagic.Config
	issuer *certmagic.ACMEIssuer
}

// newCloudflareProvider is the libdns provider of mode acme-dns; httpClient
// nil means http.DefaultClient (tests point it at a stand-in).
func newCloudflareProvider(token string, httpClient cloudflare.HTTPClient) *cloudflare.Provider {
	return &cloudflare.Provider{APIToken: token, HTTPClient: httpClient}
}

func (m *Manager) startACME(ctx context.Context) error {
	c := m.cfg
	zl := zap.New(&slogCore{l: m.log.With("lib", "certmagic")})

	var roots *x509.CertPool
	if c.CARoot != "" {
		pemData, err := os.ReadFile(c.CARoot)
		if err != nil {
			return fmt.Errorf("tlsmgr: reading ACME CA root %s: %w", c.CARoot, err)
		}
		roots = x509.NewCertPool()
		if !roots.AppendCertsFromPEM(pemData) {
			return fmt.Errorf("tlsmgr: ACME CA root %s: no PEM certificate found", c.CARoot)
		}
	}
	storageDir := filepath.Join(c.Dir, "acme")
	if err := os.MkdirAll(storageDir, 0o700); err != nil {
		return fmt.Errorf("tlsmgr: %w", err)
	}

	var cmCfg *certmagic.Config
	cache := certmagic.NewCache(certmagic.CacheOptions{
		GetConfigForCert:   func(certmagic.Certificate) (*certmagic.Config, error) { return cmCfg, nil },
		RenewCheckInterval: c.renewCheckInterval,
		Logger:             zl,
	})
	defaultName := ""
	for _, d := range c.Domains {
		if !strings.HasPrefix(d, "*.") {
			defaultName = d
			break
		}
	}
	cmCfg = certmagic.New(cache, certmagic.Config{
		RenewalWindowRatio: c.renewalWindowRatio, // 0 -> certmagic default (1/3)
		OnEvent:            m.onACMEEvent,
		DefaultServerName:  defaultName,
		KeySource:          certmagic.StandardKeyGenerator{KeyType: certmagic.P256},
		Storage:            &certmagic.FileStorage{Path: storageDir},
		Logger:             zl,
		// an issuer is always set below; a non-nil placeholder keeps
		// certmagic.New from consulting the package-level defaults
		Issuers: []certmagic.Issuer{},
	})

	ca := c.CA
	if ca == "" {
		ca = certmagic.LetsEncryptProductionCA
	}
	tmpl := certmagic.ACMEIssuer{
		CA:           ca,
		Email:        c.Email,
		Agreed:       true,
		TrustedRoots: roots,
		Profile:      c.acmeProfile,
		Logger:       zl,
	}
	switch m.mode {
	case ModeACME:
		tmpl.DisableHTTPChallenge = c.disableHTTP01 || c.HTTPPort < 0
		tmpl.DisableTLSALPNChallenge = c.disableTLSALPN || c.TLSPort < 0
		if c.HTTPPort > 0 {
			tmpl.AltHTTPPort = c.HTTPPort
		}
		if c.TLSPort > 0 {
			tmpl.AltTLSALPNPort = c.TLSPort
		}
	case ModeACMEDNS:
		tmpl.DisableHTTPChallenge = true
		tmpl.DisableTLSALPNChallenge = true
		prov := c.DNSProvider
		if prov == nil {
			prov = newCloudflareProvider(c.CloudflareAPIToken, c.cloudflareHTTPClient)
		}
		tmpl.DNS01Solver = &certmagic.DNS01Solver{DNSManager: certmagic.DNSManager{
			DNSProvider:        prov,
			Resolvers:          c.dnsResolvers,
			PropagationTimeout: c.dnsPropagationTimeout,
			Logger:             zl,
		}}
	}
	issuer := certmagic.NewACMEIssuer(cmCfg, tmpl)
	cmCfg.Issuers = []certmagic.Issuer{issuer}
	m.acme = &acmeState{cache: cache, cfg: cmCfg, issuer: issuer}

	if err := cmCfg.ManageAsync(ctx, c.Domains); err != nil {
		cache.Stop()
		m.acme = nil
		return fmt.Errorf("tlsmgr: starting certificate management: %w", err)
	}
	m.log.Info("managing certificates with ACME", "mode", m.mode, "ca", ca, "domains", c.Domains)
	return nil
}

func (m *Manager) onACMEEvent(_ context.Context, event string, data map[string]any) error {
	switch event {
	case "cert_failed":
		id, _ := data["identifier"].(string)
		err, _ := data["error"].(error)
		if err == nil {
			err = errors.New("unknown error")
		}
		renewal, _ := data["renewal"].(bool)
		what := "obtaining"
		if renewal {
			what = "renewing"
		}
		msg := fmt.Sprintf("%s certificate failed at %s: %v", what, time.Now().UTC().Format(time.RFC3339), err)
		m.mu.Lock()
		m.lastErr[id] = msg
		m.mu.Unlock()
		if renewal {
			m.log.Error("certificate renewal failed; still serving the current certificate", "identifier", id, "err", err)
		} else {
			m.log.Error("obtaining certificate failed; will retry", "identifier", id, "err", err)
		}
	case "cert_obtained":
		id, _ := data["identifier"].(string)
		renewal, _ := data["renewal"].(bool)
		m.mu.Lock()
		delete(m.lastErr, id)
		m.mu.Unlock()
		m.log.Info("certificate obtained", "identifier", id, "renewal", renewal, "issuer", data["issuer"])
	}
	return nil
}

func (m *Manager) acmeStatus() []CertStatus {
	var out []CertStatus
	m.mu.Lock()
	errs := make(map[string]string, len(m.lastErr))
	for k, v := range m.lastErr {
		errs[k] = v
	}
	m.mu.Unlock()
	for _, d := range m.cfg.Domains {
		st := CertStatus{Names: []string{d}, Mode: m.mode}
		var best *certmagic.Certificate
		for _, c := range m.acme.cache.AllMatchingCertificates(d) {
			if c.Leaf == nil || !slices.Contains(c.Names, d) {
				continue
			}
			if best == nil || c.Leaf.NotAfter.After(best.Leaf.NotAfter) {
				cc := c
				best = &cc
			}
		}
		if best != nil {
			st.Names = append([]string{}, best.Names...)
			st.NotAfter = best.Leaf.NotAfter
			st.Issuer = issuerName(best.Leaf)
			if time.Now().After(best.Leaf.NotAfter) && errs[d] == "" {
				st.Error = "certificate expired " + best.Leaf.NotAfter.UTC().Format(time.RFC3339)
			}
		} else if errs[d] == "" {
			st.Error = "no certificate yet (obtaining from the CA); serving the self-signed fallback"
		}
		if e := errs[d]; e != "" {
			st.Error = e
		}
		out = append(out, st)
	}
	return out
}

// slogCore is a zapcore.Core writing to slog, so certmagic's logs end up in
// the appliance's log. certmagic's Info chatter is demoted to Debug; the
// events that matter are logged by onACMEEvent.
type slogCore struct {
	l      *slog.Logger
	fields []zapcore.Field
}

func zapToSlogLevel(l zapcore.Level) slog.Level {
	switch {
	case l <= zapcore.InfoLevel:
		return slog.LevelDebug
	case l == zapcore.WarnLevel:
		return slog.LevelWarn
	default:
		return slog.LevelError
	}
}

func (c *slogCore) Enabled(l zapcore.Level) bool {
	return c.l.Enabled(context.Background(), zapToSlogLevel(l))
}

func (c *slogCore) With(f []zapcore.Field) zapcore.Core {
	return &slogCore{l: c.l, fields: append(slices.Clip(c.fields), f...)}
}

func (c *slogCore) Check(e zapcore.Entry, ce *zapcore.CheckedEntry) *zapcore.CheckedEntry {
	if c.Enabled(e.Level) {
		return ce.AddCore(e, c)
	}
	return ce
}

func (c *slogCore) Write(e zapcore.Entry, fields []zapcore.Field) error {
	enc := zapcore.NewMapObjectEncoder()
	for _, f := range c.fields {
		f.AddTo(enc)
	}
	for _, f := range fields {
		f.AddTo(enc)
	}
	keys := make([]string, 0, len(enc.Fields))
	for k := range enc.Fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	attrs := make([]slog.Attr, 0, len(keys)+1)
	if e.LoggerName != "" {
		attrs = append(attrs, slog.String("logger", e.LoggerName))
	}
	for _, k := range keys {
		attrs = append(attrs, slog.Any(k, enc.Fields[k]))
	}
	c.l.LogAttrs(context.Background(), zapToSlogLevel(e.Level), e.Message, attrs...)
	return nil
}

func (c *slogCore) Sync() error { return nil }
