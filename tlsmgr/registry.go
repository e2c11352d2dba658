package tlsmgr

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"time"
)

// ErrNotFound is returned by registries (and ClientCA.Revoke) for an
// unknown serial.
var ErrNotFound = errors.New("tlsmgr: client certificate not found")

// ClientCertRecord is one issued client certificate in the registry.
// Serial is lower-case hex without leading zeros or colons.
type ClientCertRecord struct {
	Serial    string     `json:"serial"`
	Name      string     `json:"name"`
	UserID    int64      `json:"user_id"`
	NotBefore time.Time  `json:"not_before"`
	NotAfter  time.Time  `json:"not_after"`
	CreatedAt time.Time  `json:"created_at"`
	RevokedAt *time.Time `json:"revoked_at,omitempty"`
}

// Revoked reports whether the certificate has been revoked.
func (r *ClientCertRecord) Revoked() bool { return r.RevokedAt != nil }

// CertRegistry stores issued client certificates. It must be shared by all
// processes using the client CA (the server and the CLI), so a revocation
// made by one is seen by the other on its next lookup.
type CertRegistry interface {
	AddClientCert(ctx context.Context, r ClientCertRecord) error
	ListClientCerts(ctx context.Context) ([]ClientCertRecord, error)
	GetClientCert(ctx context.Context, serial string) (*ClientCertRecord, error) // ErrNotFound when absent
	RevokeClientCert(ctx context.Context, serial string, at time.Time) error     // ErrNotFound when absent
}

// MemoryRegistry is an in-process CertRegistry (tests; fallback when no
// registry is configured).
type MemoryRegistry struct {
	mu   sync.Mutex
	recs map[string]ClientCertRecord
}

// NewMemoryRegistry returns an empty in-memory registry.
func NewMemoryRegistry() *MemoryRegistry {
	return &MemoryRegistry{recs: map[string]ClientCertRecord{}}
}

func (m *MemoryRegistry) AddClientCert(_ context.Context, r ClientCertRecord) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.recs[r.Serial]; ok {
		return errors.New("tlsmgr: duplicate client certificate serial " + r.Serial)
	}
	m.recs[r.Serial] = r
	return nil
}

func (m *MemoryRegistry) ListClientCerts(_ context.Context) ([]ClientCertRecord, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]ClientCertRecord, 0, len(m.recs))
	for _, r := range m.recs {
		out = append(out, r)
	}
	slices.SortFunc(out, func(a, b ClientCertRecord) int {
		if c := a.CreatedAt.Compare(b.CreatedAt); c != 0 {
			return c
		}
		return strings.Compare(a.Serial, b.Serial)
	})
	return out, nil
}

func (m *MemoryRegistry) GetClientCert(_ context.Context, serial string) (*ClientCertRecord, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	r, ok := m.recs[serial]
	if !ok {
		return nil, ErrNotFound
	}
	return &r, nil
}

func (m *MemoryRegistry) RevokeClientCert(_ context.Context, serial string, at time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	r, ok := m.recs[serial]
	if !ok {
		return ErrNotFound
	}
	if r.RevokedAt == nil {
		at := at.UTC()
		r.RevokedAt = &at
		m.recs[serial] = r
	}
	return nil
}
