package auth

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aiwfe/aiwfe/app/apperr"
	"github.com/aiwfe/aiwfe/store"
)

// Data rights: a user exports everything of theirs as one
// JSON archive, and deletes their own account with all its data.

// Event types of the data-rights flows.
const (
	EventDataExport    = "data_export"
	EventAccountDelete = "account_delete"
)

// ExportFormat and ExportVersion identify the archive's layout.
const (
	ExportFormat  = "aiwfe-export"
	ExportVersion = 1
)

// ExportEvery is how often one user may export (the archive reads every
// row of theirs).
const ExportEvery = time.Minute

// ConfirmDelete is what the user types to confirm deleting their account.
const ConfirmDelete = "DELETE"

// Export is the archive of GET /api/v1/profile/export. Secrets never
// appear in it: no password hash, no encrypted web-search key or TOTP
// secret, no backup-code hashes, no passkey key material, no token hashes;
// the archive says whether each is set.
type Export struct {
	Format             string               `json:"format"`
	Version            int                  `json:"version"`
	ExportedAt         time.Time            `json:"exported_at"`
	User               ExportUser           `json:"user"`
	Devices            []ExportDevice       `json:"devices"`
	Sessions           []ExportSession      `json:"sessions"`
	SecurityEvents     []ExportEvent        `json:"security_events"`
	Notifications      []ExportNotification `json:"notifications"`
	Conversations      []ExportConversation `json:"conversations"`
	ChatModes          []*store.ChatMode    `json:"chat_modes"`
	Passkeys           []PasskeyView        `json:"passkeys"`
	ClientCertificates []ExportClientCert   `json:"client_certificates"`
}

// ExportUser is the profile (preferences, model assignments, profile
// fields) with the account's state and which secrets are set.
type ExportUser struct {
	*Profile
	IsVerified           bool      `json:"is_verified"`
	UpdatedAt            time.Time `json:"updated_at"`
	TOTPEnabled          bool      `json:"totp_enabled"`
	BackupCodesRemaining int       `json:"backup_codes_remaining"`
}

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

// ExportConversation is a conversation with all its messages.
type ExportConversation struct {
	ID        int64            `json:"id"`
	Title     string           `json:"title"`
	Mode      string           `json:"mode"`
	Model     string           `json:"model"`
	Pinned    bool             `json:"pinned"`
	CreatedAt time.Time        `json:"created_at"`
	UpdatedAt time.Time        `json:"updated_at"`
	Messages  []*store.Message `json:"messages"`
}

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

// exportMu makes the once-a-minute check and its mark one step.
var exportMu sync.Mutex

func exportKey(userID int64) string { return "auth:export:" + strconv.FormatInt(userID, 10) }

// allowExport lets one export through per user per ExportEvery.
func (s *Service) allowExport(userID int64) error {
	exportMu.Lock()
	defer exportMu.Unlock()
	now := s.now()
	if v, ok := s.cache.Get(exportKey(userID)); ok {
		if wait := ExportEvery - now.Sub(v.(time.Time)); wait > 0 {
			return apperr.TooMany("you can download your data once a minute", wait)
		}
	}
	s.cache.Set(exportKey(userID), now, ExportEvery)
	return nil
}

// ExportData builds the caller's archive from one consistent snapshot;
// every query is limited to the caller's rows. At most one export per
// user per minute (429). Audited as data_export.
func (s *Service) ExportData(ctx context.Context, p *Principal, c Client) (*Export, error) {
	if err := s.allowExport(p.UserID); err != nil {
		return nil, err
	}
	prof, err := s.Profile(ctx, p.UserID)
	if err != nil {
		return nil, err
	}
	ex := &Export{Format: ExportFormat, Version: ExportVersion, ExportedAt: s.now().UTC(), User: ExportUser{Profile: prof}}
	err = s.store.WithReadTx(ctx, func(tx *sql.Tx) error {
		u, err := store.UserByID(ctx, tx, p.UserID)
		if err != nil {
			return err
		}
		ex.User.IsVerified, ex.User.UpdatedAt = u.IsVerified, u.UpdatedAt
		tf, err := store.TwoFactorByUser(ctx, tx, u.ID)
		if err != nil {
			return err
		}
		ex.User.TOTPEnabled = tf.TOTPEnabled && tf.TOTPSecretEnc != ""
		if ex.User.BackupCodesRemaining, err = store.CountBackupCodes(ctx, tx, u.ID); err != nil {
			return err
		}

		devices, err := store.ListDevices(ctx, tx, u.ID)
		if err != nil {
			return err
		}
		ex.Devices = make([]ExportDevice, 0, len(devices))
		for _, d := range devices {
			ex.Devices = append(ex.Devices, ExportDevice{ID: d.ID, Name: d.Name, UserAgent: d.UserAgent, Trusted: d.Trusted,
				TrustedUntil: d.TrustedUntil, FirstSeen: d.FirstSeen, LastSeen: d.LastSeen, LastIP: d.LastIP})
		}

		sessions, err := store.UserSessions(ctx, tx, u.ID)
		if err != nil {
			return err
		}
		ex.Sessions = make([]ExportSession, 0, len(sessions))
		for _, ss := range sessions {
			ex.Sessions = append(ex.Sessions, ExportSession{StartedAt: ss.StartedAt, LastActiveAt: ss.LastActiveAt,
				ExpiresAt: ss.ExpiresAt, EndedAt: ss.EndedAt, IP: ss.IP, DeviceID: ss.DeviceID})
		}

		events, err := store.UserEvents(ctx, tx, u.ID)
		if err != nil {
			return err
		}
		ex.SecurityEvents = make([]ExportEvent, 0, len(events))
		for _, e := range events {
			ex.SecurityEvents = append(ex.SecurityEvents, ExportEvent{ID: e.ID, Type: e.Type, Success: e.Success, Reason: e.Reason,
				IP: e.IP, DeviceName: e.DeviceName, UserAgent: e.UserAgent, CreatedAt: e.CreatedAt})
		}

		notes, err := store.UserNotifications(ctx, tx, u.ID)
		if err != nil {
			return err
		}
		ex.Notifications = make([]ExportNotification, 0, len(notes))
		for _, n := range notes {
			ex.Notifications = append(ex.Notifications, ExportNotification{ID: n.ID, Kind: n.Kind, Title: n.Title, Body: n.Body, CreatedAt: n.CreatedAt, ReadAt: n.ReadAt})
		}

		convs, err := store.UserConversations(ctx, tx, u.ID)
		if err != nil {
			return err
		}
		ex.Conversations = make([]ExportConversation, 0, len(convs))
		for _, cv := range convs {
			ex.Conversations = append(ex.Conversations, ExportConversation{ID: cv.ID, Title: cv.Title, Mode: cv.Mode, Model: cv.Model,
				Pinned: cv.Pinned, CreatedAt: cv.CreatedAt, UpdatedAt: cv.UpdatedAt, Messages: cv.Messages})
		}

		if ex.ChatModes, err = store.ListChatModes(ctx, tx, u.ID); err != nil {
			return err
		}

		keys, err := store.ListPasskeys(ctx, tx, u.ID)
		if err != nil {
			return err
		}
		ex.Passkeys = make([]PasskeyView, 0, len(keys))
		for _, k := range keys {
			ex.Passkeys = append(ex.Passkeys, viewPasskey(k))
		}

		certs, err := store.UserClientCerts(ctx, tx, u.ID)
		if err != nil {
			return err
		}
		ex.ClientCertificates = make([]ExportClientCert, 0, len(certs))
		for _, r := range certs {
			ex.ClientCertificates = append(ex.ClientCertificates, ExportClientCert{Serial: r.Serial, Name: r.Name,
				NotBefore: r.NotBefore, NotAfter: r.NotAfter, CreatedAt: r.CreatedAt, RevokedAt: r.RevokedAt})
		}
		return nil
	})
	if errors.Is(err, store.ErrNotFound) {
		return nil, apperr.NotFound("user")
	}
	if err != nil {
		return nil, err
	}
	if ex.ChatModes == nil {
		ex.ChatModes = []*store.ChatMode{}
	}
	e := clientEvent(EventDataExport, c)
	e.UserID, e.DeviceID = p.UserID, p.DeviceID
	s.audit(ctx, nil, e)
	return ex, nil
}

// ExportJSON is the archive encoded (indented: people open it).
func (ex *Export) ExportJSON() ([]byte, error) {
	return json.MarshalIndent(ex, "", "  ")
}

// ExportFilename is the archive's download name:
// aiwfe-export-<email>-<yyyy-mm-dd>.json, with anything unusual in the
// email replaced so the name is safe in a Content-Disposition header.
func ExportFilename(email string, at time.Time) string {
	var b strings.Builder
	for _, r := range email {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', strings.ContainsRune("@._+-", r):
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	return "aiwfe-export-" + b.String() + "-" + at.UTC().Format("2006-01-02") + ".json"
}

// DeleteAccount deletes the caller's own account and, by ON DELETE
// CASCADE, everything of theirs. The password is checked under the login
// limiter (a wrong one counts as a failed sign-in); confirm must be
// "DELETE"; the last active superuser cannot leave (409 last_superuser).
// Every session ends at once. The audit entry names the account by email
// with no user id, so it outlives the cascade.
func (s *Service) DeleteAccount(ctx context.Context, p *Principal, password, confirm string, c Client) error {
	if password == "" {
		return apperr.Invalid("password", "password is required")
	}
	if confirm != ConfirmDelete {
		return apperr.Invalid("confirm", `type DELETE to confirm`)
	}
	u, err := store.UserByID(ctx, s.store.DB, p.UserID)
	if errors.Is(err, store.ErrNotFound) {
		return apperr.Unauthorized("account no longer exists")
	}
	if err != nil {
		return err
	}
	if len(password) > MaxPasswordLen {
		return apperr.Invalid("password", "password is incorrect")
	}
	try, err := s.logins.begin(ctx, u.Email, c.IP)
	if err != nil {
		return err
	}
	ok, _ := s.verify(ctx, password, u.PasswordHash)
	try.done(!ok)
	if !ok {
		e := clientEvent(EventAccountDelete, c)
		e.UserID, e.DeviceID, e.Success, e.Reason = u.ID, p.DeviceID, false, "wrong_password"
		s.audit(ctx, nil, e)
		return apperr.Invalid("password", "password is incorrect")
	}
	var families []string
	err = s.store.WithTx(ctx, func(tx *sql.Tx) error {
		u, err := store.UserByID(ctx, tx, p.UserID)
		if errors.Is(err, store.ErrNotFound) {
			return apperr.Unauthorized("account no longer exists")
		}
		if err != nil {
			return err
		}
		if u.Role == "superuser" && u.Status == "active" {
			n, err := store.CountActiveSuperusers(ctx, tx)
			if err != nil {
				return err
			}
			if n <= 1 {
				return ErrLastSuperuser
			}
		}
		if families, err = store.RevokeUserFamilies(ctx, tx, u.ID, "", s.now()); err != nil {
			return err
		}
		if err := store.DeleteUser(ctx, tx, u.ID); err != nil {
			return err
		}
		e := clientEvent(EventAccountDelete, c)
		e.Email, e.Reason = u.Email, "account and all its data deleted by its owner"
		return store.InsertEvent(ctx, tx, withTime(e, s.now()))
	})
	if err != nil {
		return err
	}
	s.forgetUser(p.UserID)
	s.dropSessions(families)
	s.cache.Delete(exportKey(p.UserID))
	return nil
}

func withTime(e *store.SecurityEvent, t time.Time) *store.SecurityEvent {
	e.CreatedAt = t
	return e
}
