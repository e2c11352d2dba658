package certs

import (
	"context"
	"database/sql"
	"time"

	"github.com/aiwfe/aiwfe/store"
)

// DataPart is the client certificates' share of a user's data (a
// datarights.Part).
type DataPart struct{}

// DataPart returns the part app.Open registers with the data-rights
// service.
func (s *Service) DataPart() DataPart { return DataPart{} }

// ExportClientCert is a client certificate issued to the user (no key:
// the appliance never keeps one).
type ExportClientCert struct {
	Serial    string     `json:"serial"`
	Name      string     `json:"name"`
	NotBefore time.Time  `json:"not_before"`
	NotAfter  time.Time  `json:"not_after"`
	CreatedAt time.Time  `json:"created_at"`
	RevokedAt *time.Time `json:"revoked_at"`
}

// Tables is client_certs.
func (DataPart) Tables() map[string]string { return store.ClientCertTables }

// Export puts "client_certificates".
func (DataPart) Export(ctx context.Context, tx *sql.Tx, userID int64, put func(string, any)) error {
	rows, err := store.UserClientCerts(ctx, tx, userID)
	return store.PutList(put, "client_certificates", rows, err, func(r store.ClientCert) ExportClientCert {
		return ExportClientCert{Serial: r.Serial, Name: r.Name, NotBefore: r.NotBefore, NotAfter: r.NotAfter,
			CreatedAt: r.CreatedAt, RevokedAt: r.RevokedAt}
	})
}

// Delete leaves the rows to the cascade: a deleted account's certificate
// is unknown to the registry from then on, so the mTLS listener refuses
// it.
func (DataPart) Delete(context.Context, *sql.Tx, int64) (func(), error) { return nil, nil }
