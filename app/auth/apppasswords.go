package auth

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"database/sql"
	"encoding/hex"
	"errors"
	"strings"
	"time"

	"github.com/aiwfe/aiwfe/app/apperr"
	"github.com/aiwfe/aiwfe/store"
)

// App passwords are the only credential a Basic-auth protocol (CalDAV)
// accepts: named, shown once, revocable, scoped. The account password is
// never checked there, so a phone's calendar account neither holds it nor
// gets around the second factor that guards it.
//
// A secret is 24 characters of a 32-letter alphabet (120 random bits),
// stored as HMAC-SHA256 under a key derived from the encryption key. The
// hash is keyed and fast on purpose: argon2 exists to slow down guesses of
// passwords people choose, and a value of 120 random bits cannot be
// guessed however fast each guess is; the key keeps a copy of the database
// alone from being checked against at all. A DAV client sends the secret
// with every request, and an argon2 run (19 MiB, tens of milliseconds on a
// Pi) for each would cost more than the request.

// ScopeDAV is the scope of app passwords for CalDAV.
const ScopeDAV = "dav"

// Events of app passwords (security_events.type).
const (
	EventAppPasswordCreate = "app_password_create"
	EventAppPasswordRevoke = "app_password_revoke"
	// EventDAVLogin is a refused Basic-auth sign-in on /dav. Accepted
	// ones are not written per request (a client syncing makes dozens);
	// the app password's last use says when and from where.
	EventDAVLogin = "dav_login"
)

const (
	// maxAppPasswords bounds a user's active app passwords: verification
	// compares against each of them.
	maxAppPasswords = 25
	// appPasswordTouch is how often a use is written to last_used_at.
	appPasswordTouch = time.Minute
	// appPasswordAlphabet has no 0/o or 1/l, so a secret typed into a
	// phone by hand comes out right.
	appPasswordAlphabet = "abcdefghijkmnpqrstuvwxyz23456789"
	appPasswordLen      = 24
	appPasswordGroup    = 4
)

// ErrDAVCredentials is the answer to any Basic-auth sign-in that fails:
// unknown email, wrong or revoked app password, the account password.
var ErrDAVCredentials = apperr.Unauthorized("incorrect email or app password (create one on the Security page; the account password is not accepted here)")

// AppPasswordView is an app password as the API shows it: never the
// secret or its hash.
type AppPasswordView struct {
	ID         int64      `json:"id"`
	Name       string     `json:"name"`
	Scope      string     `json:"scope"`
	CreatedAt  time.Time  `json:"created_at"`
	LastUsedAt *time.Time `json:"last_used_at"`
	LastUsedIP string     `json:"last_used_ip"`
	RevokedAt  *time.Time `json:"revoked_at"`
}

// NewAppPassword is a created app password with its secret, which is
// shown this once.
type NewAppPassword struct {
	AppPasswordView
	Password string `json:"password"`
}

func viewAppPassword(p *store.AppPassword) AppPasswordView {
	return AppPasswordView{ID: p.ID, Name: p.Name, Scope: p.Scope, CreatedAt: p.CreatedAt,
		LastUsedAt: p.LastUsedAt, LastUsedIP: p.LastUsedIP, RevokedAt: p.RevokedAt}
}

// appPasswordKey derives the key of the app passwords' hash from the
// encryption key, so no new secret has to be kept.
func appPasswordKey(encryptionKey []byte) []byte {
	m := hmac.New(sha256.New, encryptionKey)
	m.Write([]byte("aiwfe app-password hash v1"))
	return m.Sum(nil)
}

// hashAppPassword is the stored form of a normalised secret.
func (s *Service) hashAppPassword(secret string) string {
	m := hmac.New(sha256.New, s.appKey)
	m.Write([]byte(secret))
	return hex.EncodeToString(m.Sum(nil))
}

// newAppPasswordSecret makes a secret: grouped for reading
// ("abcd-efgh-..."), compared without the dashes.
func newAppPasswordSecret() string {
	var raw [appPasswordLen]byte
	rand.Read(raw[:])
	var b strings.Builder
	for i, r := range raw {
		if i > 0 && i%appPasswordGroup == 0 {
			b.WriteByte('-')
		}
		// 256 is a multiple of 32: the modulo is uniform.
		b.WriteByte(appPasswordAlphabet[int(r)%len(appPasswordAlphabet)])
	}
	return b.String()
}

// normalizeAppPassword drops the dashes and spaces a person may type and
// lower-cases; anything that is not a secret's shape comes back "".
func normalizeAppPassword(in string) string {
	if len(in) > 64 {
		return ""
	}
	out := make([]byte, 0, appPasswordLen)
	for i := 0; i < len(in); i++ {
		c := in[i]
		switch {
		case c == '-' || c == ' ':
			continue
		case c >= 'A' && c <= 'Z':
			c += 'a' - 'A'
		}
		if strings.IndexByte(appPasswordAlphabet, c) < 0 {
			return ""
		}
		out = append(out, c)
	}
	if len(out) != appPasswordLen {
		return ""
	}
	return string(out)
}

// CreateAppPassword makes a named DAV app password for the caller. The
// account password is asked again (checked under the login limiter): an
// access token alone, which lives an hour, must not be turned into a
// credential that lives until revoked.
func (s *Service) CreateAppPassword(ctx context.Context, p *Principal, name, password string, c Client) (*NewAppPassword, error) {
	name, err := validName("name", name)
	if err != nil {
		return nil, err
	}
	if password == "" {
		return nil, apperr.Invalid("password", "your account password is required to create an app password")
	}
	if len(password) > MaxPasswordLen {
		return nil, apperr.Invalid("password", "password is incorrect")
	}
	u, err := store.UserByID(ctx, s.store.DB, p.UserID)
	if err != nil {
		return nil, err
	}
	ok, err := s.CheckPassword(ctx, u, password, c)
	if err != nil {
		return nil, err
	}
	if !ok {
		s.auditAppPassword(ctx, u.ID, EventAppPasswordCreate, c, false, "wrong_password")
		return nil, apperr.Invalid("password", "password is incorrect")
	}
	secret := newAppPasswordSecret()
	var row *store.AppPassword
	err = s.store.WithTx(ctx, func(tx *sql.Tx) error {
		n, err := store.CountActiveAppPasswords(ctx, tx, u.ID)
		if err != nil {
			return err
		}
		if n >= maxAppPasswords {
			return apperr.New(409, "too_many_app_passwords", "you have 25 app passwords; revoke one you no longer use first")
		}
		row, err = store.InsertAppPassword(ctx, tx, &store.AppPassword{UserID: u.ID, Name: name,
			Hash: s.hashAppPassword(normalizeAppPassword(secret)), Scope: ScopeDAV, CreatedAt: s.now()})
		return err
	})
	if err != nil {
		return nil, err
	}
	s.auditAppPassword(ctx, u.ID, EventAppPasswordCreate, c, true, name)
	return &NewAppPassword{AppPasswordView: viewAppPassword(row), Password: secret}, nil
}

// AppPasswords lists the user's app passwords, revoked ones included.
func (s *Service) AppPasswords(ctx context.Context, userID int64) ([]AppPasswordView, error) {
	rows, err := store.ListAppPasswords(ctx, s.store.DB, userID)
	if err != nil {
		return nil, err
	}
	out := make([]AppPasswordView, 0, len(rows))
	for _, r := range rows {
		out = append(out, viewAppPassword(r))
	}
	return out, nil
}

// RevokeAppPassword revokes one of the caller's app passwords; the next
// request made with it is refused (nothing caches a verification).
// Revoking one already revoked changes nothing.
func (s *Service) RevokeAppPassword(ctx context.Context, p *Principal, id int64, c Client) error {
	db := s.store.DB
	row, err := store.AppPasswordByID(ctx, db, p.UserID, id)
	if errors.Is(err, store.ErrNotFound) {
		return apperr.NotFound("app password")
	}
	if err != nil {
		return err
	}
	if row.RevokedAt != nil {
		return nil
	}
	if err := store.RevokeAppPassword(ctx, db, p.UserID, id, s.now()); err != nil {
		return err
	}
	s.auditAppPassword(ctx, p.UserID, EventAppPasswordRevoke, c, true, row.Name)
	return nil
}

func (s *Service) auditAppPassword(ctx context.Context, userID int64, typ string, c Client, ok bool, reason string) {
	e := clientEvent(typ, c)
	e.UserID, e.Success, e.Reason = userID, ok, reason
	s.audit(ctx, nil, e)
}

// VerifyAppPassword checks a Basic-auth sign-in (the email and an app
// password of scope) and answers the account's principal. Only app
// passwords are compared, in constant time and against every active one
// of the account; an unknown email costs the same. Failures count in the
// DAV sign-in limiter, which has the login limiter's rules and limits but
// its own counters: a phone retrying a revoked app password must not lock
// its owner out of the web sign-in from the same network, nor a web
// lockout stop the calendar.
func (s *Service) VerifyAppPassword(ctx context.Context, email, secret, scope string, c Client) (*Principal, error) {
	st := &loginState{client: c}
	addr, err := NormalizeEmail("username", email)
	if err != nil {
		if s.davLogins.firstInWindow("invalid_email:" + ipKey(c.IP)) {
			s.recordDAVFailure(ctx, st, "invalid_email", strings64(email))
		}
		return nil, ErrDAVCredentials
	}
	st.email = addr
	try, refused, err := s.davLogins.beginKeyed(ctx, addr, c.IP)
	if err != nil {
		if s.davLogins.firstInWindow("rate_limited:" + refused) {
			s.recordDAVFailure(ctx, st, "rate_limited", addr)
		}
		return nil, err
	}
	u, err := store.UserByEmail(ctx, s.store.DB, addr)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		try.done(false)
		return nil, err
	}
	// Asked for an unknown email too (id 0 has none), so that both take
	// the same queries.
	active, err := store.ActiveAppPasswords(ctx, s.store.DB, idOf(u), scope)
	if err != nil {
		try.done(false)
		return nil, err
	}
	norm := normalizeAppPassword(secret)
	got := []byte(s.hashAppPassword(norm))
	var match *store.AppPassword
	if len(active) == 0 {
		// The same work as one comparison, so that an unknown email or an
		// account without app passwords answers in the same time.
		subtle.ConstantTimeCompare(got, []byte(s.hashAppPassword("")))
	}
	for _, ap := range active {
		if subtle.ConstantTimeCompare(got, []byte(ap.Hash)) == 1 && norm != "" {
			match = ap
		}
	}
	if match == nil {
		try.done(true)
		st.user = u
		reason := "bad_app_password"
		if u == nil {
			reason = "unknown_email"
		}
		s.recordDAVFailure(ctx, st, reason, addr)
		return nil, ErrDAVCredentials
	}
	try.done(false)
	st.user = u
	switch u.Status {
	case "active":
	case "pending":
		s.recordDAVFailure(ctx, st, "account_pending", addr)
		return nil, ErrAccountPending
	default:
		s.recordDAVFailure(ctx, st, "account_suspended", addr)
		return nil, ErrAccountSuspended
	}
	if err := store.TouchAppPassword(context.WithoutCancel(ctx), s.store.DB, match.ID, c.IP, s.now(), appPasswordTouch); err != nil {
		s.log.Warn("app password use not recorded", "app_password_id", match.ID, "err", err)
	}
	return &Principal{UserID: u.ID, Email: u.Email, Role: u.Role}, nil
}

func (s *Service) recordDAVFailure(ctx context.Context, st *loginState, reason, email string) {
	e := s.loginEvent(st, false, reason)
	e.Type = EventDAVLogin
	e.Email = truncate(email, 254)
	s.audit(ctx, nil, e)
}

// AppPasswordsPart is the app passwords' share of a user's data: names
// and dates, never a hash.
type AppPasswordsPart struct{}

// AppPasswordsPart returns the part app.Open registers with the
// data-rights service.
func (s *Service) AppPasswordsPart() AppPasswordsPart { return AppPasswordsPart{} }

// Tables is the app passwords' table.
func (AppPasswordsPart) Tables() map[string]string { return store.AppPasswordTables }

// Export puts "app_passwords".
func (AppPasswordsPart) Export(ctx context.Context, tx *sql.Tx, userID int64, put func(string, any)) error {
	rows, err := store.ListAppPasswords(ctx, tx, userID)
	return store.PutList(put, "app_passwords", rows, err, func(p *store.AppPassword) AppPasswordView { return viewAppPassword(p) })
}

// Delete leaves the app passwords to the cascade.
func (AppPasswordsPart) Delete(context.Context, *sql.Tx, int64) (func(), error) { return nil, nil }
