package auth

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/aiwfe/aiwfe/app/apperr"
	"github.com/aiwfe/aiwfe/store"
)

// Login failures a client can tell apart. Wrong email and wrong password
// share one message on purpose.
var (
	ErrBadCredentials   = apperr.Unauthorized("incorrect email or password")
	ErrAccountPending   = apperr.New(403, "account_pending", "this account is waiting for an administrator's approval")
	ErrAccountSuspended = apperr.New(403, "account_suspended", "this account is suspended")
)

// SecondFactors decides whether a login needs a second step, and checks
// it. The two-factor work implements this (TOTP, backup codes, passkeys)
// and installs it with Service.SetSecondFactors.
type SecondFactors interface {
	// Methods lists the factors the user can complete the login with on
	// this device; none means no second step is required.
	Methods(ctx context.Context, u *store.User, d *store.Device) ([]string, error)
	// Verify checks a response for one method.
	Verify(ctx context.Context, u *store.User, method, response string) error
}

// noSecondFactors is the provider until 2FA exists: nobody has a factor.
type noSecondFactors struct{}

func (noSecondFactors) Methods(context.Context, *store.User, *store.Device) ([]string, error) {
	return nil, nil
}

func (noSecondFactors) Verify(context.Context, *store.User, string, string) error {
	return apperr.BadRequest("no second factor is configured")
}

var _ SecondFactors = noSecondFactors{}

// MFATokenTTL is how long a login may wait for its second factor.
const MFATokenTTL = 5 * time.Minute

// LoginResult is either a session (tokens) or a second-factor challenge.
type LoginResult struct {
	Session   *Session
	Challenge *Challenge
}

// Challenge asks the client for a second factor.
type Challenge struct {
	MFARequired bool     `json:"mfa_required"`
	MFAToken    string   `json:"mfa_token"`
	Methods     []string `json:"methods"`
	ExpiresIn   int      `json:"expires_in"`
}

// loginState is what the steps of a login pass along.
type loginState struct {
	email  string
	client Client
	user   *store.User
	device *store.Device
	try    *attempt
}

// Login runs the password login as a sequence of steps:
//
//	limit → password → status → device → second factor? → session
//
// The second-factor step either finishes with a session or stops with a
// challenge that CompleteSecondFactor resumes from.
func (s *Service) Login(ctx context.Context, email, password string, c Client) (*LoginResult, error) {
	st := &loginState{client: c}
	var err error
	if strings.TrimSpace(email) == "" {
		return nil, apperr.Invalid("email", "email is required")
	}
	if password == "" {
		return nil, apperr.Invalid("password", "password is required")
	}
	if st.email, err = NormalizeEmail("email", email); err != nil {
		// No password is checked, so nothing slows a flood of these:
		// one row per client and window is enough for the audit.
		if s.logins.firstInWindow("invalid_email:" + ipKey(c.IP)) {
			s.recordLoginFailure(ctx, st, "invalid_email", strings64(email))
		}
		return nil, ErrBadCredentials
	}
	if len(password) > MaxPasswordLen {
		return nil, apperr.Invalid("password", "password is too long")
	}
	var refused string
	if st.try, refused, err = s.logins.beginKeyed(ctx, st.email, c.IP); err != nil {
		s.recordRateLimited(ctx, st, refused)
		return nil, err
	}
	if err := s.stepPassword(ctx, st, password); err != nil {
		return nil, err
	}
	if err := s.stepStatus(ctx, st); err != nil {
		return nil, err
	}
	if err := s.stepDevice(ctx, st); err != nil {
		return nil, err
	}
	methods, err := s.secondFactorRequired(ctx, st.user, st.device)
	if err != nil {
		return nil, err
	}
	if len(methods) > 0 {
		ch, err := s.issueChallenge(ctx, st, methods)
		if err != nil {
			return nil, err
		}
		return &LoginResult{Challenge: ch}, nil
	}
	sess, err := s.finishLogin(ctx, st, "password")
	if err != nil {
		return nil, err
	}
	return &LoginResult{Session: sess}, nil
}

func strings64(s string) string { return truncate(s, 64) }

// stepPassword finds the user and checks the password. An unknown email
// verifies against a dummy hash so both failures take the same time.
func (s *Service) stepPassword(ctx context.Context, st *loginState, password string) error {
	u, err := store.UserByEmail(ctx, s.store.DB, st.email)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		st.try.done(false)
		return err
	}
	var hash string
	if u == nil {
		hash = s.dummy()
	} else {
		hash = u.PasswordHash
	}
	ok, verr := s.verify(ctx, password, hash)
	if verr != nil && !errors.Is(verr, errBadHash) {
		st.try.done(false)
		return verr
	}
	if verr != nil {
		s.log.Error("stored password hash is malformed", "user_id", idOf(u), "err", verr)
	}
	if u == nil || !ok {
		st.try.done(true)
		st.user = u
		reason := "bad_password"
		if u == nil {
			reason = "unknown_email"
		}
		s.recordLoginFailure(ctx, st, reason, st.email)
		return ErrBadCredentials
	}
	st.try.done(false)
	st.user = u
	return nil
}

func idOf(u *store.User) int64 {
	if u == nil {
		return 0
	}
	return u.ID
}

// stepStatus refuses accounts that may not sign in. It runs after the
// password check so it tells nothing to someone without the password.
func (s *Service) stepStatus(ctx context.Context, st *loginState) error {
	switch st.user.Status {
	case "active":
		return nil
	case "pending":
		s.recordLoginFailure(ctx, st, "account_pending", st.email)
		return ErrAccountPending
	default:
		s.recordLoginFailure(ctx, st, "account_suspended", st.email)
		return ErrAccountSuspended
	}
}

// stepDevice registers or matches the device; a new one is audited, and
// the user sees it among their security events (/security). It is not
// written as a notification: nothing reads notifications until the
// notification centre is built, so rows would only pile up unseen.
func (s *Service) stepDevice(ctx context.Context, st *loginState) error {
	now := s.now()
	d, created, err := store.SeeDevice(ctx, s.store.DB, st.user.ID, st.client.Fingerprint(), st.client.DeviceName(),
		truncate(st.client.UserAgent, 512), st.client.IP, now)
	if err != nil {
		return err
	}
	st.device = d
	if created {
		e := clientEvent(EventNewDevice, st.client)
		e.UserID, e.Email, e.DeviceID, e.DeviceName = st.user.ID, st.user.Email, d.ID, d.Name
		s.audit(ctx, nil, e)
	}
	return nil
}

// secondFactorRequired asks the installed provider which factors this
// user must complete on this device; none means the password is enough.
func (s *Service) secondFactorRequired(ctx context.Context, u *store.User, d *store.Device) ([]string, error) {
	return s.factors.Methods(ctx, u, d)
}

// issueChallenge makes the short-lived MFA token that carries the login
// from the password step to the second-factor step.
func (s *Service) issueChallenge(ctx context.Context, st *loginState, methods []string) (*Challenge, error) {
	now := s.now()
	tok, err := s.signToken(&Claims{
		Type:     typMFA,
		DeviceID: st.device.ID,
		RegisteredClaims: jwt.RegisteredClaims{
			Subject:   strconv.FormatInt(st.user.ID, 10),
			IssuedAt:  jwt.NewNumericDate(now),
			ExpiresAt: jwt.NewNumericDate(now.Add(MFATokenTTL)),
			ID:        newID(),
		},
	})
	if err != nil {
		return nil, err
	}
	e := s.loginEvent(st, false, "mfa_required")
	s.audit(ctx, nil, e)
	return &Challenge{MFARequired: true, MFAToken: tok, Methods: methods, ExpiresIn: int(MFATokenTTL.Seconds())}, nil
}

// SecondFactorInput is the second step of a login: the MFA token from the
// challenge, the method chosen, the user's response (a TOTP code, a backup
// code, a WebAuthn assertion) and whether to trust this device from now on.
type SecondFactorInput struct {
	MFAToken    string
	Method      string
	Response    string
	TrustDevice bool
	Client      Client
}

// CompleteSecondFactor resumes a login that stopped at a challenge: it
// checks the MFA token, rate-limits like a password attempt, verifies the
// factor with the provider and finishes with a session. Each MFA token
// is good for one successful use.
func (s *Service) CompleteSecondFactor(ctx context.Context, in SecondFactorInput) (*Session, error) {
	c := in.Client
	claims, err := s.parseToken(in.MFAToken, typMFA)
	if err != nil {
		return nil, apperr.Unauthorized("the sign-in challenge is invalid or has expired; sign in again")
	}
	if s.jtiRevoked(ctx, claims.ID) {
		return nil, apperr.Unauthorized("the sign-in challenge was already used; sign in again")
	}
	uid, _ := claims.UserID()
	u, err := store.UserByID(ctx, s.store.DB, uid)
	if err != nil {
		return nil, apperr.Unauthorized("the sign-in challenge is invalid or has expired; sign in again")
	}
	st := &loginState{email: u.Email, client: c, user: u}
	if st.try, err = s.logins.begin(ctx, u.Email, c.IP); err != nil {
		return nil, err
	}
	if err := s.factors.Verify(ctx, u, in.Method, in.Response); err != nil {
		st.try.done(true)
		s.recordLoginFailure(ctx, st, "bad_second_factor", u.Email)
		return nil, err
	}
	st.try.done(false)
	if err := s.stepStatus(ctx, st); err != nil {
		return nil, err
	}
	if st.device, err = store.DeviceByID(ctx, s.store.DB, u.ID, claims.DeviceID); err != nil {
		if err := s.stepDevice(ctx, st); err != nil {
			return nil, err
		}
	}
	if err := s.revokeJTI(ctx, claims.ID, u.ID, claims.ExpiresAt.Time); err != nil {
		return nil, err
	}
	if in.TrustDevice {
		until := s.now().Add(s.cfg.TrustedDeviceTTL.D())
		if err := store.TrustDevice(ctx, s.store.DB, u.ID, st.device.ID, &until); err != nil {
			return nil, err
		}
		e := clientEvent(EventDeviceTrust, c)
		e.UserID, e.DeviceID, e.DeviceName, e.Reason = u.ID, st.device.ID, st.device.Name, "trusted at sign-in"
		s.audit(ctx, nil, e)
	}
	return s.finishLogin(ctx, st, in.Method)
}

// DeviceTrusted reports whether a device is trusted now; a SecondFactors
// provider may skip the second step on trusted devices.
func (s *Service) DeviceTrusted(d *store.Device) bool {
	return d != nil && d.Trusted && d.TrustedUntil != nil && s.now().Before(*d.TrustedUntil)
}

// finishLogin opens the session and records the successful login.
func (s *Service) finishLogin(ctx context.Context, st *loginState, method string) (*Session, error) {
	sess, err := s.openSession(ctx, st.user, st.device.ID, newID(), st.client.IP)
	if err != nil {
		return nil, err
	}
	if err := store.TouchLogin(ctx, s.store.DB, st.user.ID, s.now()); err != nil {
		return nil, err
	}
	s.forgetUser(st.user.ID)
	now := s.now()
	st.user.LastLoginAt = &now
	sess.User = ViewUser(st.user)
	reason := ""
	if method != "password" {
		reason = method
	}
	s.audit(ctx, nil, s.loginEvent(st, true, reason))
	return sess, nil
}

func (s *Service) loginEvent(st *loginState, ok bool, reason string) *store.SecurityEvent {
	e := clientEvent(EventLogin, st.client)
	e.Success, e.Reason, e.Email = ok, reason, st.email
	if st.user != nil {
		e.UserID = st.user.ID
	}
	if st.device != nil {
		e.DeviceID, e.DeviceName = st.device.ID, st.device.Name
	}
	return e
}

// recordRateLimited audits a sign-in refused by the limiter, once per
// refusing counter and window: each refusal costs the client nothing, and
// one row per request would let anyone grow the table without bound.
func (s *Service) recordRateLimited(ctx context.Context, st *loginState, counter string) {
	if s.logins.firstInWindow("rate_limited:" + counter) {
		s.recordLoginFailure(ctx, st, "rate_limited", st.email)
	}
}

func (s *Service) recordLoginFailure(ctx context.Context, st *loginState, reason, email string) {
	e := s.loginEvent(st, false, reason)
	e.Email = truncate(email, 254)
	s.audit(ctx, nil, e)
}

// hashRefresh is how refresh tokens are stored: SHA-256, hex. They are
// 256-bit random values, so a fast hash is enough.
func hashRefresh(tok string) string {
	sum := sha256.Sum256([]byte(tok))
	return hex.EncodeToString(sum[:])
}
