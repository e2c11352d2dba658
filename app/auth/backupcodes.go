package auth

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base32"
	"encoding/hex"
	"errors"
	"io"
	"strconv"
	"strings"

	"github.com/aiwfe/aiwfe/app/apperr"
	"github.com/aiwfe/aiwfe/store"
)

// BackupCodeCount is how many backup codes a user gets at a time.
const BackupCodeCount = 10

var errWrongBackupCode = apperr.Invalid("code", "the backup code is not correct or was already used")

// backupAlphabet is base32 in lower case: 8 characters carry 40 random
// bits, plenty behind the sign-in rate limit.
var backupEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// newBackupCodes makes BackupCodeCount codes (xxxx-xxxx), a fresh salt and
// the hashes to store.
func (m *MFA) newBackupCodes() (codes, hashes []string, salt string, err error) {
	var sb [16]byte
	if _, err = io.ReadFull(m.rand, sb[:]); err != nil {
		return nil, nil, "", err
	}
	salt = hex.EncodeToString(sb[:])
	seen := map[string]bool{}
	for len(codes) < BackupCodeCount {
		var b [5]byte
		if _, err = io.ReadFull(m.rand, b[:]); err != nil {
			return nil, nil, "", err
		}
		raw := backupEncoding.EncodeToString(b[:])
		if seen[raw] {
			continue
		}
		seen[raw] = true
		codes = append(codes, raw[:4]+"-"+raw[4:])
		hashes = append(hashes, hashBackupCode(salt, raw))
	}
	return codes, hashes, salt, nil
}

// hashBackupCode is HMAC-SHA256 keyed with the user's salt. The codes are
// random, so a fast keyed hash is enough (no dictionary to slow down).
func hashBackupCode(salt, normalized string) string {
	mac := hmac.New(sha256.New, []byte(salt))
	mac.Write([]byte(normalized))
	return hex.EncodeToString(mac.Sum(nil))
}

// normalizeBackupCode accepts what a person types: any case, with or
// without the dash and spaces.
func normalizeBackupCode(code string) string {
	code = strings.ToLower(strings.TrimSpace(code))
	return strings.Map(func(r rune) rune {
		if r == '-' || r == ' ' || r == '\t' {
			return -1
		}
		return r
	}, code)
}

// useBackupCode spends one of the user's backup codes; the use is audited
// with the count that remains.
func (m *MFA) useBackupCode(ctx context.Context, u *store.User, code string) error {
	s := m.s
	norm := normalizeBackupCode(code)
	if len(norm) != 8 {
		return errWrongBackupCode
	}
	tf, err := store.TwoFactorByUser(ctx, s.store.DB, u.ID)
	if err != nil {
		return err
	}
	if tf.BackupSalt == "" {
		return errWrongBackupCode
	}
	err = store.UseBackupCode(ctx, s.store.DB, u.ID, hashBackupCode(tf.BackupSalt, norm), s.now())
	if errors.Is(err, store.ErrNotFound) {
		return errWrongBackupCode
	}
	if err != nil {
		return err
	}
	left, err := store.CountBackupCodes(ctx, s.store.DB, u.ID)
	if err != nil {
		return err
	}
	c := clientFrom(ctx)
	m.auditFactor(ctx, u.ID, EventBackupCodeUsed, c, true, strconv.Itoa(left)+" remaining")
	return nil
}

// RegenerateBackupCodes replaces the user's backup codes after checking a
// current code (and the password, when given); the new codes are shown
// once.
func (m *MFA) RegenerateBackupCodes(ctx context.Context, p *Principal, password, code string, c Client) ([]string, error) {
	s := m.s
	if err := m.checkPasswordAndCode(ctx, p, password, false, code, c, EventBackupCodesNew); err != nil {
		return nil, err
	}
	codes, hashes, salt, err := m.newBackupCodes()
	if err != nil {
		return nil, err
	}
	if err := store.SetBackupCodes(ctx, s.store.DB, p.UserID, salt, hashes, s.now()); err != nil {
		return nil, err
	}
	m.auditFactor(ctx, p.UserID, EventBackupCodesNew, c, true, "")
	return codes, nil
}
