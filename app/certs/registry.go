package certs

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aiwfe/aiwfe/store"
	"github.com/aiwfe/aiwfe/tlsmgr"
)

// Registry is the client CA's certificate registry (tlsmgr.CertRegistry)
// over the store's client_certs table. The server and the CLI each build
// one on the same database file, so a revocation made by one applies to
// the other's next lookup. It lives here, not in store, so that the store
// holds rows and knows nothing of tlsmgr.
type Registry struct{ st *store.Store }

var _ tlsmgr.CertRegistry = (*Registry)(nil)

// NewRegistry adapts st.
func NewRegistry(st *store.Store) *Registry { return &Registry{st: st} }

// notFound makes the store's miss tlsmgr's (the client CA tells an unknown
// certificate from a broken registry by it), keeping store.ErrNotFound.
func notFound(err error) error {
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("%w: %w", tlsmgr.ErrNotFound, err)
	}
	return err
}

func record(r *store.ClientCert) tlsmgr.ClientCertRecord {
	return tlsmgr.ClientCertRecord{Serial: r.Serial, Name: r.Name, UserID: r.UserID, NotBefore: r.NotBefore,
		NotAfter: r.NotAfter, CreatedAt: r.CreatedAt, RevokedAt: r.RevokedAt}
}

// AddClientCert records an issued certificate.
func (g *Registry) AddClientCert(ctx context.Context, r tlsmgr.ClientCertRecord) error {
	return g.st.AddClientCert(ctx, store.ClientCert{Serial: r.Serial, Name: r.Name, UserID: r.UserID, NotBefore: r.NotBefore,
		NotAfter: r.NotAfter, CreatedAt: r.CreatedAt, RevokedAt: r.RevokedAt})
}

// ListClientCerts lists every certificate, oldest first.
func (g *Registry) ListClientCerts(ctx context.Context) ([]tlsmgr.ClientCertRecord, error) {
	rows, err := g.st.ListClientCerts(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]tlsmgr.ClientCertRecord, 0, len(rows))
	for i := range rows {
		out = append(out, record(&rows[i]))
	}
	return out, nil
}

// GetClientCert finds a certificate by serial (tlsmgr.ErrNotFound when
// absent).
func (g *Registry) GetClientCert(ctx context.Context, serial string) (*tlsmgr.ClientCertRecord, error) {
	r, err := g.st.GetClientCert(ctx, serial)
	if err != nil {
		return nil, notFound(err)
	}
	rec := record(r)
	return &rec, nil
}

// RevokeClientCert marks a certificate revoked (tlsmgr.ErrNotFound when
// absent); revoking again keeps the first time.
func (g *Registry) RevokeClientCert(ctx context.Context, serial string, at time.Time) error {
	return notFound(g.st.RevokeClientCert(ctx, serial, at))
}
