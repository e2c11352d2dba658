package auth

import (
	"context"
	"database/sql"
	"time"

	"github.com/aiwfe/aiwfe/store"
)

// The account service's and the second factors' shares of a user's data
// (datarights.Part): sign-ins and what they leave, and passkeys. Token
// hashes, session ids, TOTP secrets, backup-code hashes and passkey key
// material never go into the archive.

// SessionsPart is devices, sessions, the security audit and notifications.
type SessionsPart struct{ s *Service }

// DataPart returns the part app.Open registers with the data-rights
// service.
func (s *Service) DataPart() SessionsPart { return SessionsPart{s} }

// ExportDevice is a device the user signed in from.
type ExportDevice struct {
	ID           int64      `json:"id"`
	Name         string     `json:"name"`
	UserAgent    string     `json:"user_agent"`
	Trusted      bool       `json:"trusted"`
	TrustedUntil *time.Time `json:"trusted_until"`
	FirstSeen    time.Time  `json:"first_seen"`
	LastSeen     time.Time  `json:"last_seen"`
	LastIP       string     `json:"last_ip"`
}

// ExportSession is one sign-in session (no token, no session id).
type ExportSession struct {
	StartedAt    time.Time  `json:"started_at"`
	LastActiveAt time.Time  `json:"last_active_at"`
	ExpiresAt    time.Time  `json:"expires_at"`
	EndedAt      *time.Time `json:"ended_at"`
	IP           string     `json:"ip"`
	DeviceID     int64      `json:"device_id,omitempty"`
}

// ExportEvent is one security event about the user.
type ExportEvent struct {
	ID         int64     `json:"id"`
	Type       string    `json:"type"`
	Success    bool      `json:"success"`
	Reason     string    `json:"reason"`
	IP         string    `json:"ip"`
	DeviceName string    `json:"device_name"`
	UserAgent  string    `json:"user_agent"`
	CreatedAt  time.Time `json:"created_at"`
}

// ExportNotification is one notification.
type ExportNotification struct {
	ID        int64      `json:"id"`
	Kind      string     `json:"kind"`
	Title     string     `json:"title"`
	Body      string     `json:"body"`
	CreatedAt time.Time  `json:"created_at"`
	ReadAt    *time.Time `json:"read_at"`
}

// Tables is the tables of sign-in.
func (SessionsPart) Tables() map[string]string { return store.SessionTables }

// Export puts "devices", "sessions", "security_events" and
// "notifications".
func (SessionsPart) Export(ctx context.Context, tx *sql.Tx, userID int64, put func(string, any)) error {
	devices, err := store.ListDevices(ctx, tx, userID)
	if err := store.PutList(put, "devices", devices, err, func(d *store.Device) ExportDevice {
		return ExportDevice{ID: d.ID, Name: d.Name, UserAgent: d.UserAgent, Trusted: d.Trusted,
			TrustedUntil: d.TrustedUntil, FirstSeen: d.FirstSeen, LastSeen: d.LastSeen, LastIP: d.LastIP}
	}); err != nil {
		return err
	}
	sessions, err := store.UserSessions(ctx, tx, userID)
	if err := store.PutList(put, "sessions", sessions, err, func(ss *store.Session) ExportSession {
		return ExportSession{StartedAt: ss.StartedAt, LastActiveAt: ss.LastActiveAt,
			ExpiresAt: ss.ExpiresAt, EndedAt: ss.EndedAt, IP: ss.IP, DeviceID: ss.DeviceID}
	}); err != nil {
		return err
	}
	events, err := store.UserEvents(ctx, tx, userID)
	if err := store.PutList(put, "security_events", events, err, func(e *store.SecurityEvent) ExportEvent {
		return ExportEvent{ID: e.ID, Type: e.Type, Success: e.Success, Reason: e.Reason,
			IP: e.IP, DeviceName: e.DeviceName, UserAgent: e.UserAgent, CreatedAt: e.CreatedAt}
	}); err != nil {
		return err
	}
	notes, err := store.UserNotifications(ctx, tx, userID)
	return store.PutList(put, "notifications", notes, err, func(n *store.Notification) ExportNotification {
		return ExportNotification{ID: n.ID, Kind: n.Kind, Title: n.Title, Body: n.Body, CreatedAt: n.CreatedAt, ReadAt: n.ReadAt}
	})
}

// Delete ends every session of the user, so the cache refuses their
// tokens at once rather than when the cached state expires.
func (p SessionsPart) Delete(ctx context.Context, tx *sql.Tx, userID int64) (func(), error) {
	return p.s.EndSessions(ctx, tx, userID, "", false)
}

// FactorsPart is the second factors: TOTP, backup codes and passkeys (the
// archive's "user" section says whether TOTP is on and how many backup
// codes remain).
type FactorsPart struct{}

// DataPart returns the part app.Open registers with the data-rights
// service.
func (m *MFA) DataPart() FactorsPart { return FactorsPart{} }

// Tables is the second factors' tables.
func (FactorsPart) Tables() map[string]string { return store.SecondFactorTables }

// Export puts "passkeys": names and dates, no key material.
func (FactorsPart) Export(ctx context.Context, tx *sql.Tx, userID int64, put func(string, any)) error {
	keys, err := store.ListPasskeys(ctx, tx, userID)
	if err != nil {
		return err
	}
	out := make([]PasskeyView, 0, len(keys))
	for _, k := range keys {
		out = append(out, viewPasskey(k))
	}
	put("passkeys", out)
	return nil
}

// Delete leaves the second factors to the cascade.
func (FactorsPart) Delete(context.Context, *sql.Tx, int64) (func(), error) { return nil, nil }
