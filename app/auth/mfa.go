package auth

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"database/sql"
	"errors"
	"io"
	"strconv"
	"strings"
	"sync"

	"github.com/go-webauthn/webauthn/webauthn"

	"github.com/aiwfe/aiwfe/app/apperr"
	"github.com/aiwfe/aiwfe/app/config"
	"github.com/aiwfe/aiwfe/store"
)

// Second-factor methods, as the API names them.
const (
	MethodTOTP       = "totp"
	MethodBackupCode = "backup_code"
	MethodWebAuthn   = "webauthn"
)

// Events of the second factors (security_events.type).
const (
	EventTOTPEnable      = "2fa_totp_enable"
	EventTOTPDisable     = "2fa_totp_disable"
	EventBackupCodeUsed  = "2fa_backup_code_used"
	EventBackupCodesNew  = "2fa_backup_codes_regenerated"
	EventSecondFactor    = "2fa_challenge"
	EventMFATokenVoided  = "2fa_challenge_voided"
	EventPasskeyAdd      = "passkey_add"
	EventPasskeyRename   = "passkey_rename"
	EventPasskeyDelete   = "passkey_delete"
	EventPasskeyClone    = "passkey_clone_warning"
	EventSecondFactorRst = "2fa_reset"
)

// MaxMFAFailures wrong responses void an MFA token: the login starts over
// with the password.
const MaxMFAFailures = 5

// MFA is the second-factor provider: TOTP, backup codes and WebAuthn
// passkeys, the login's second step, and passwordless passkey sign-in.
// NewMFA installs it into the accounts service.
type MFA struct {
	s    *Service
	cfg  *config.Config
	rand io.Reader

	// inflight holds the MFA tokens being completed right now: one
	// completion per token at a time, so two requests racing with two
	// different backup codes cannot both turn one challenge into sessions.
	mu       sync.Mutex
	inflight map[string]bool
	// cacheMu makes a read and a write of the cache one step: taking a
	// WebAuthn ceremony (read, delete).
	cacheMu sync.Mutex

	// wa is the relying party for the configuration keyed by waKey.
	waMu  sync.Mutex
	waKey string
	wa    *webauthn.WebAuthn
}

var _ SecondFactors = (*MFA)(nil)

// NewMFA builds the provider and installs it with SetSecondFactors. rnd
// is the randomness for secrets and codes (nil: crypto/rand).
func NewMFA(s *Service, cfg *config.Config, rnd io.Reader) *MFA {
	if rnd == nil {
		rnd = rand.Reader
	}
	m := &MFA{s: s, cfg: cfg, rand: rnd, inflight: map[string]bool{}}
	s.SetSecondFactors(m)
	return m
}

// mfaCall is what the second step knows beyond the SecondFactors
// interface: the MFA token's id (a WebAuthn assertion must answer the
// ceremony begun with that token), the client, and whether the factor
// itself failed.
type mfaCall struct {
	jti    string
	client Client
	failed bool
}

type mfaCallKey struct{}

func callFrom(ctx context.Context) *mfaCall {
	c, _ := ctx.Value(mfaCallKey{}).(*mfaCall)
	return c
}

func clientFrom(ctx context.Context) Client {
	if c := callFrom(ctx); c != nil {
		return c.client
	}
	return Client{}
}

type factorState struct {
	totp     bool
	backup   int
	passkeys int
}

func (f factorState) methods() []string {
	var out []string
	if f.totp {
		out = append(out, MethodTOTP)
	}
	if f.backup > 0 {
		out = append(out, MethodBackupCode)
	}
	if f.passkeys > 0 {
		out = append(out, MethodWebAuthn)
	}
	return out
}

func (m *MFA) state(ctx context.Context, userID int64) (factorState, error) {
	var f factorState
	tf, err := store.TwoFactorByUser(ctx, m.s.store.DB, userID)
	if err != nil {
		return f, err
	}
	f.totp = tf.TOTPEnabled
	if f.backup, err = store.CountBackupCodes(ctx, m.s.store.DB, userID); err != nil {
		return f, err
	}
	f.passkeys, err = store.CountPasskeys(ctx, m.s.store.DB, userID)
	return f, err
}

// Methods lists the user's factors; a device trusted until later skips
// the second step.
func (m *MFA) Methods(ctx context.Context, u *store.User, d *store.Device) ([]string, error) {
	if m.s.DeviceTrusted(d) {
		return nil, nil
	}
	f, err := m.state(ctx, u.ID)
	if err != nil {
		return nil, err
	}
	return f.methods(), nil
}

// Verify checks one response of the login's second step.
func (m *MFA) Verify(ctx context.Context, u *store.User, method, response string) error {
	var err error
	switch method {
	case MethodTOTP:
		err = m.verifyTOTP(ctx, u.ID, response)
	case MethodBackupCode:
		err = m.useBackupCode(ctx, u, response)
	case MethodWebAuthn:
		_, err = m.verifyAssertion(ctx, u, []byte(response))
	default:
		return apperr.Invalid("method", "method must be totp, backup_code or webauthn")
	}
	if err != nil {
		if c := callFrom(ctx); c != nil {
			c.failed = true
		}
	}
	return err
}

var (
	errChallengeInvalid = apperr.Unauthorized("the sign-in challenge is invalid or has expired; sign in again")
	errChallengeDevice  = apperr.Unauthorized("the sign-in challenge was issued to another device; sign in again")
	errChallengeVoided  = apperr.Unauthorized("too many wrong codes; sign in again")
	errChallengeBusy    = apperr.Conflict("this sign-in is already being completed")
)

// challengeClaims checks an MFA token before any factor is looked at: it
// is ours, unexpired, unused, not voided, and presented by the device it
// was issued to.
func (m *MFA) challengeClaims(ctx context.Context, token string, c Client) (*Claims, int64, error) {
	s := m.s
	claims, err := s.parseToken(token, typMFA)
	if err != nil {
		return nil, 0, errChallengeInvalid
	}
	if s.jtiRevoked(ctx, claims.ID) {
		return nil, 0, apperr.Unauthorized("the sign-in challenge was already used; sign in again")
	}
	uid, _ := claims.UserID()
	d, err := store.DeviceByID(ctx, s.store.DB, uid, claims.DeviceID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, 0, errChallengeDevice
	}
	if err != nil {
		return nil, 0, err
	}
	if subtle.ConstantTimeCompare([]byte(d.Fingerprint), []byte(c.Fingerprint())) != 1 {
		e := clientEvent(EventSecondFactor, c)
		e.UserID, e.Success, e.Reason = uid, false, "challenge_from_other_device"
		s.audit(ctx, nil, e)
		return nil, 0, errChallengeDevice
	}
	if s.logins.mfaFailures(claims.ID) >= MaxMFAFailures {
		return nil, 0, errChallengeVoided
	}
	return claims, uid, nil
}

// CompleteLogin is the login's second step as the API serves it: the
// token checks above, one completion per token at a time, wrong answers
// counted against the token (MaxMFAFailures voids it), then the accounts
// service's CompleteSecondFactor (rate limit, factor, trust, session).
func (m *MFA) CompleteLogin(ctx context.Context, in SecondFactorInput) (*Session, error) {
	s := m.s
	claims, uid, err := m.challengeClaims(ctx, in.MFAToken, in.Client)
	if err != nil {
		return nil, err
	}
	m.mu.Lock()
	if m.inflight[claims.ID] {
		m.mu.Unlock()
		return nil, errChallengeBusy
	}
	m.inflight[claims.ID] = true
	m.mu.Unlock()
	defer func() {
		m.mu.Lock()
		delete(m.inflight, claims.ID)
		m.mu.Unlock()
	}()
	// Re-check under the lock: a completion that just finished revoked it.
	if s.jtiRevoked(ctx, claims.ID) {
		return nil, apperr.Unauthorized("the sign-in challenge was already used; sign in again")
	}
	call := &mfaCall{jti: claims.ID, client: in.Client}
	sess, err := s.CompleteSecondFactor(context.WithValue(ctx, mfaCallKey{}, call), in)
	if err == nil {
		return sess, nil
	}
	if call.failed {
		n := s.logins.mfaFailed(claims.ID)
		if n >= MaxMFAFailures {
			if rerr := s.revokeJTI(ctx, claims.ID, uid, claims.ExpiresAt.Time); rerr != nil {
				return nil, rerr
			}
			e := clientEvent(EventMFATokenVoided, in.Client)
			e.UserID, e.Success, e.Reason = uid, false, strconv.Itoa(n)+" wrong answers"
			s.audit(ctx, nil, e)
			return nil, errChallengeVoided
		}
	}
	return nil, err
}

// FactorStatus is GET /auth/2fa/status.
type FactorStatus struct {
	TOTPEnabled          bool     `json:"totp_enabled"`
	TOTPPending          bool     `json:"totp_pending"`
	BackupCodesRemaining int      `json:"backup_codes_remaining"`
	Passkeys             int      `json:"passkeys"`
	Methods              []string `json:"methods"`
}

// Status reports the user's factors.
func (m *MFA) Status(ctx context.Context, userID int64) (*FactorStatus, error) {
	f, err := m.state(ctx, userID)
	if err != nil {
		return nil, err
	}
	tf, err := store.TwoFactorByUser(ctx, m.s.store.DB, userID)
	if err != nil {
		return nil, err
	}
	methods := f.methods()
	if methods == nil {
		methods = []string{}
	}
	return &FactorStatus{TOTPEnabled: f.totp, TOTPPending: !f.totp && tf.TOTPPendingEnc != "", BackupCodesRemaining: f.backup, Passkeys: f.passkeys, Methods: methods}, nil
}

// AdminReset removes every second factor of a user (lost phone) and ends
// device trust, so the next sign-in is by password alone. Audited with the
// admin as actor; actor nil is the CLI.
func (m *MFA) AdminReset(ctx context.Context, actor *Principal, userID int64, c Client) error {
	s := m.s
	if actor != nil && !actor.IsAdmin() {
		return apperr.Forbidden("administrators only")
	}
	u, err := store.UserByID(ctx, s.store.DB, userID)
	if errors.Is(err, store.ErrNotFound) {
		return apperr.NotFound("user")
	}
	if err != nil {
		return err
	}
	if actor != nil && actor.UserID == u.ID {
		// Turning one's own factors off needs the password and a code
		// (/security); a session alone must not be enough.
		return apperr.Forbidden("turn your own second factors off on the Security page")
	}
	if actor != nil && u.Role != "user" && actor.Role != "superuser" {
		return apperr.Forbidden("only a superuser can reset an administrator's second factors")
	}
	now := s.now()
	err = s.store.WithTx(ctx, func(tx *sql.Tx) error {
		if err := store.ResetSecondFactors(ctx, tx, userID, now); err != nil {
			return err
		}
		return store.UntrustDevices(ctx, tx, userID)
	})
	if err != nil {
		return err
	}
	s.forgetUser(userID)
	e := clientEvent(EventSecondFactorRst, c)
	e.UserID, e.Email = userID, u.Email
	e.Reason = "second factors removed by an administrator"
	if actor != nil {
		e.ActorID = actor.UserID
	} else {
		e.Reason = "second factors removed with aiwfe admin reset-2fa"
	}
	s.audit(ctx, nil, e)
	return nil
}

// AdminResetByEmail is AdminReset for the CLI.
func (m *MFA) AdminResetByEmail(ctx context.Context, email string) error {
	email, err := NormalizeEmail("email", email)
	if err != nil {
		return err
	}
	u, err := store.UserByEmail(ctx, m.s.store.DB, email)
	if errors.Is(err, store.ErrNotFound) {
		return apperr.NotFound("user " + email)
	}
	if err != nil {
		return err
	}
	return m.AdminReset(ctx, nil, u.ID, Client{UserAgent: "aiwfe admin"})
}

func (m *MFA) auditFactor(ctx context.Context, userID int64, typ string, c Client, ok bool, reason string) {
	e := clientEvent(typ, c)
	e.UserID, e.Success, e.Reason = userID, ok, reason
	m.s.audit(ctx, nil, e)
}

// validName checks a user-given name (passkeys).
func validName(field, name string) (string, error) {
	name = strings.TrimSpace(name)
	if name == "" || len([]rune(name)) > 100 || strings.ContainsAny(name, "\r\n\x00") {
		return "", apperr.Invalid(field, field+" must be 1 to 100 characters on one line")
	}
	return name, nil
}
