package auth

import (
	"bytes"
	"context"
	"crypto/subtle"
	"database/sql"
	"encoding/base64"
	"errors"
	"image/png"
	"strconv"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/aiwfe/aiwfe/app/apperr"
	"github.com/aiwfe/aiwfe/store"
)

// TOTP parameters (RFC 6238 as authenticator apps expect them).
const (
	totpPeriod = 30
	totpDigits = otp.DigitsSix
	// totpSkew accepts the step before and after the current one (clock
	// drift, a code typed as it turned over); two steps old is refused.
	totpSkew = 1
	// totpHistoryKeep bounds the used-step history; only the newest row
	// matters for refusing replays, the rest is for the audit of a day.
	totpHistoryKeep = 24 * time.Hour
	totpIssuer      = "aiwfe"
)

var (
	errWrongCode  = apperr.Invalid("code", "the code is not correct")
	errCodeReused = apperr.Invalid("code", "this code was already used; wait for the next one")
	errNoTOTP     = apperr.Conflict("two-factor authentication with an app is not turned on")
)

// TOTPSetup is what an authenticator app needs: the secret (base32,
// unpadded), the otpauth:// URI and the same as a QR code (PNG, base64).
type TOTPSetup struct {
	Secret     string `json:"secret"`
	OTPAuthURI string `json:"otpauth_uri"`
	QRPNG      string `json:"qr_png"`
}

func totpSealContext(userID int64, pending bool) string {
	if pending {
		return "totp-pending:" + strconv.FormatInt(userID, 10)
	}
	return "totp:" + strconv.FormatInt(userID, 10)
}

// TOTPSetup makes a new secret for the user and keeps it pending until
// TOTPVerify confirms a code from it. Calling it again replaces the
// pending secret. An active TOTP must be turned off first.
func (m *MFA) TOTPSetup(ctx context.Context, p *Principal) (*TOTPSetup, error) {
	tf, err := store.TwoFactorByUser(ctx, m.s.store.DB, p.UserID)
	if err != nil {
		return nil, err
	}
	if tf.TOTPEnabled {
		return nil, apperr.Conflict("two-factor authentication with an app is already on; turn it off first to set up a new one")
	}
	key, err := totp.Generate(totp.GenerateOpts{
		Issuer: totpIssuer, AccountName: p.Email, Period: totpPeriod, SecretSize: 20,
		Digits: totpDigits, Algorithm: otp.AlgorithmSHA1, Rand: m.rand,
	})
	if err != nil {
		return nil, err
	}
	img, err := key.Image(256, 256)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return nil, err
	}
	sealed, err := m.s.box.Seal(key.Secret(), totpSealContext(p.UserID, true))
	if err != nil {
		return nil, err
	}
	if err := store.SetTOTPPending(ctx, m.s.store.DB, p.UserID, sealed, m.s.now()); err != nil {
		return nil, err
	}
	return &TOTPSetup{Secret: key.Secret(), OTPAuthURI: key.URL(), QRPNG: base64.StdEncoding.EncodeToString(buf.Bytes())}, nil
}

// TOTPVerify confirms the pending secret with a code from the app, turns
// TOTP on and returns a fresh set of backup codes (shown once).
func (m *MFA) TOTPVerify(ctx context.Context, p *Principal, code string, c Client) ([]string, error) {
	s := m.s
	tf, err := store.TwoFactorByUser(ctx, s.store.DB, p.UserID)
	if err != nil {
		return nil, err
	}
	if tf.TOTPEnabled {
		return nil, apperr.Conflict("two-factor authentication with an app is already on")
	}
	if tf.TOTPPendingEnc == "" || tf.TOTPPendingAt == nil || s.now().Sub(*tf.TOTPPendingAt) > time.Hour {
		return nil, apperr.Conflict("start the set-up again: no pending authenticator secret")
	}
	secret, err := s.box.Open(tf.TOTPPendingEnc, totpSealContext(p.UserID, true))
	if err != nil {
		return nil, err
	}
	try, err := s.logins.begin(ctx, p.Email, c.IP)
	if err != nil {
		return nil, err
	}
	step, ok := matchTOTP(secret, code, s.now())
	try.done(!ok)
	if !ok {
		m.auditFactor(ctx, p.UserID, EventTOTPEnable, c, false, "wrong_code")
		return nil, errWrongCode
	}
	active, err := s.box.Seal(secret, totpSealContext(p.UserID, false))
	if err != nil {
		return nil, err
	}
	codes, hashes, salt, err := m.newBackupCodes()
	if err != nil {
		return nil, err
	}
	now := s.now()
	err = s.store.WithTx(ctx, func(tx *sql.Tx) error {
		if err := store.EnableTOTP(ctx, tx, p.UserID, tf.TOTPPendingEnc, active, now); err != nil {
			return err
		}
		// The code that turned TOTP on cannot also sign in.
		if err := store.UseTOTPStep(ctx, tx, p.UserID, step, now, totpHistoryKeep); err != nil && !errors.Is(err, store.ErrReplay) {
			return err
		}
		if err := store.SetBackupCodes(ctx, tx, p.UserID, salt, hashes, now); err != nil {
			return err
		}
		return store.SetTFAEnabled(ctx, tx, p.UserID, true, now)
	})
	if errors.Is(err, store.ErrNotFound) {
		return nil, apperr.Conflict("the set-up changed meanwhile; start it again")
	}
	if err != nil {
		return nil, err
	}
	s.forgetUser(p.UserID)
	m.auditFactor(ctx, p.UserID, EventTOTPEnable, c, true, "")
	return codes, nil
}

// TOTPDisable turns TOTP off (and drops the backup codes) after checking
// the password and a current code (or a backup code).
func (m *MFA) TOTPDisable(ctx context.Context, p *Principal, password, code string, c Client) error {
	s := m.s
	if err := m.checkPasswordAndCode(ctx, p, password, true, code, c, EventTOTPDisable); err != nil {
		return err
	}
	now := s.now()
	err := s.store.WithTx(ctx, func(tx *sql.Tx) error {
		if err := store.DisableTOTP(ctx, tx, p.UserID, now); err != nil {
			return err
		}
		if err := store.DeleteBackupCodes(ctx, tx, p.UserID); err != nil {
			return err
		}
		n, err := store.CountPasskeys(ctx, tx, p.UserID)
		if err != nil {
			return err
		}
		return store.SetTFAEnabled(ctx, tx, p.UserID, n > 0, now)
	})
	if err != nil {
		return err
	}
	s.forgetUser(p.UserID)
	m.auditFactor(ctx, p.UserID, EventTOTPDisable, c, true, "")
	return nil
}

// checkPasswordAndCode verifies the password (when given, or required)
// and a current TOTP code or a backup code, rate limited like a sign-in.
// It is the gate of changes to the factors themselves.
func (m *MFA) checkPasswordAndCode(ctx context.Context, p *Principal, password string, needPassword bool, code string, c Client, event string) error {
	s := m.s
	tf, err := store.TwoFactorByUser(ctx, s.store.DB, p.UserID)
	if err != nil {
		return err
	}
	if !tf.TOTPEnabled {
		return errNoTOTP
	}
	if password == "" && needPassword {
		return apperr.Invalid("password", "enter your password")
	}
	if code == "" {
		return apperr.Invalid("code", "enter a code from your authenticator app")
	}
	if len(password) > MaxPasswordLen {
		return apperr.Invalid("password", "password is too long")
	}
	u, err := store.UserByID(ctx, s.store.DB, p.UserID)
	if err != nil {
		return err
	}
	try, err := s.logins.begin(ctx, p.Email, c.IP)
	if err != nil {
		return err
	}
	ok := true
	if password != "" {
		if ok, err = s.verify(ctx, password, u.PasswordHash); err != nil && !errors.Is(err, errBadHash) {
			try.done(false)
			return err
		}
	}
	if !ok {
		try.done(true)
		m.auditFactor(ctx, p.UserID, event, c, false, "bad_password")
		return apperr.Invalid("password", "the password is not correct")
	}
	ferr := m.verifyCodeOrBackup(ctx, u, code)
	try.done(ferr != nil)
	if ferr != nil {
		m.auditFactor(ctx, p.UserID, event, c, false, "wrong_code")
		return ferr
	}
	return nil
}

// verifyCodeOrBackup accepts a TOTP code (6 digits) or a backup code.
func (m *MFA) verifyCodeOrBackup(ctx context.Context, u *store.User, code string) error {
	if len(normalizeTOTP(code)) == int(totpDigits) {
		return m.verifyTOTP(ctx, u.ID, code)
	}
	return m.useBackupCode(ctx, u, code)
}

// verifyTOTP checks a code against the user's active secret and records
// its time step, so the same code (or an older one) never works again.
func (m *MFA) verifyTOTP(ctx context.Context, userID int64, code string) error {
	s := m.s
	tf, err := store.TwoFactorByUser(ctx, s.store.DB, userID)
	if err != nil {
		return err
	}
	if !tf.TOTPEnabled || tf.TOTPSecretEnc == "" {
		return errNoTOTP
	}
	secret, err := s.box.Open(tf.TOTPSecretEnc, totpSealContext(userID, false))
	if err != nil {
		return err
	}
	now := s.now()
	step, ok := matchTOTP(secret, code, now)
	if !ok {
		return errWrongCode
	}
	err = store.UseTOTPStep(ctx, s.store.DB, userID, step, now, totpHistoryKeep)
	if errors.Is(err, store.ErrReplay) {
		return errCodeReused
	}
	return err
}

func normalizeTOTP(code string) string {
	return strings.Map(func(r rune) rune {
		if r == ' ' || r == '-' || r == '\t' {
			return -1
		}
		return r
	}, strings.TrimSpace(code))
}

// matchTOTP finds the time step (now ±totpSkew) whose code is the one
// given, comparing in constant time.
func matchTOTP(secret, code string, now time.Time) (int64, bool) {
	code = normalizeTOTP(code)
	if len(code) != int(totpDigits) {
		return 0, false
	}
	for _, r := range code {
		if r < '0' || r > '9' {
			return 0, false
		}
	}
	opts := totp.ValidateOpts{Period: totpPeriod, Digits: totpDigits, Algorithm: otp.AlgorithmSHA1}
	cur := now.Unix() / totpPeriod
	found, match := int64(0), false
	for d := int64(-totpSkew); d <= totpSkew; d++ {
		step := cur + d
		want, err := totp.GenerateCodeCustom(secret, time.Unix(step*totpPeriod, 0), opts)
		if err != nil {
			return 0, false
		}
		if subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 && !match {
			found, match = step, true
		}
	}
	return found, match
}
