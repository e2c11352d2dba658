package store

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestSecondFactorTables(t *testing.T) {
	s := openTemp(t)
	ctx := context.Background()
	now := time.Now()
	u, err := CreateUser(ctx, s.DB, NewUser{Email: "a@example.com", PasswordHash: "h", Role: "user", Status: "active"}, now)
	if err != nil {
		t.Fatal(err)
	}
	other, _ := CreateUser(ctx, s.DB, NewUser{Email: "b@example.com", PasswordHash: "h", Role: "user", Status: "active"}, now)

	// No row yet: an empty TwoFactor, not an error.
	if tf, err := TwoFactorByUser(ctx, s.DB, u.ID); err != nil || tf.TOTPEnabled || tf.WebAuthnUserID != nil {
		t.Fatalf("empty: %+v %v", tf, err)
	}
	// Pending → enabled only while the pending secret is the one verified.
	if err := SetTOTPPending(ctx, s.DB, u.ID, "sealed-1", now); err != nil {
		t.Fatal(err)
	}
	if err := EnableTOTP(ctx, s.DB, u.ID, "sealed-0", "active", now); !errors.Is(err, ErrNotFound) {
		t.Fatalf("enable with a stale pending secret: %v", err)
	}
	if err := EnableTOTP(ctx, s.DB, u.ID, "sealed-1", "active", now); err != nil {
		t.Fatal(err)
	}
	tf, _ := TwoFactorByUser(ctx, s.DB, u.ID)
	if !tf.TOTPEnabled || tf.TOTPSecretEnc != "active" || tf.TOTPPendingEnc != "" || tf.TOTPEnabledAt == nil {
		t.Fatalf("enabled: %+v", tf)
	}

	// Backup codes: single use, replaced as a set.
	if err := SetBackupCodes(ctx, s.DB, u.ID, "salt", []string{"h1", "h2"}, now); err != nil {
		t.Fatal(err)
	}
	if err := UseBackupCode(ctx, s.DB, u.ID, "h1", now); err != nil {
		t.Fatal(err)
	}
	if err := UseBackupCode(ctx, s.DB, u.ID, "h1", now); !errors.Is(err, ErrNotFound) {
		t.Fatalf("used twice: %v", err)
	}
	if err := UseBackupCode(ctx, s.DB, other.ID, "h2", now); !errors.Is(err, ErrNotFound) {
		t.Fatalf("another user's code: %v", err)
	}
	if n, _ := CountBackupCodes(ctx, s.DB, u.ID); n != 1 {
		t.Fatalf("left: %d", n)
	}

	// The WebAuthn handle is set once and finds its user.
	h, err := SetWebAuthnUserID(ctx, s.DB, u.ID, []byte("handle-1"), now)
	if err != nil || string(h) != "handle-1" {
		t.Fatal(string(h), err)
	}
	if h, _ := SetWebAuthnUserID(ctx, s.DB, u.ID, []byte("handle-2"), now); string(h) != "handle-1" {
		t.Fatalf("handle replaced: %s", h)
	}
	if id, err := UserIDByWebAuthnHandle(ctx, s.DB, []byte("handle-1")); err != nil || id != u.ID {
		t.Fatal(id, err)
	}
	if _, err := UserIDByWebAuthnHandle(ctx, s.DB, []byte("nope")); !errors.Is(err, ErrNotFound) {
		t.Fatal(err)
	}

	// Passkeys: a credential id is registered once, anywhere.
	pk, err := InsertPasskey(ctx, s.DB, &Passkey{UserID: u.ID, CredentialID: []byte{1, 2}, Name: "key", Credential: `{}`, SignCount: 5, CreatedAt: now})
	if err != nil || pk.ID == 0 || pk.SignCount != 5 {
		t.Fatal(pk, err)
	}
	if _, err := InsertPasskey(ctx, s.DB, &Passkey{UserID: other.ID, CredentialID: []byte{1, 2}, Name: "x", Credential: `{}`, CreatedAt: now}); !errors.Is(err, ErrDuplicate) {
		t.Fatalf("duplicate credential id: %v", err)
	}
	if _, err := InsertPasskey(ctx, s.DB, &Passkey{UserID: u.ID, CredentialID: []byte{3}, Name: "x", Credential: `not json`, CreatedAt: now}); err == nil {
		t.Fatal("credential JSON not checked")
	}
	if _, err := PasskeyByID(ctx, s.DB, other.ID, pk.ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("another user's passkey: %v", err)
	}
	// The counter moves only from the value the login checked against.
	if err := UsePasskey(ctx, s.DB, pk.ID, `{"a":1}`, 5, 6, now); err != nil {
		t.Fatal(err)
	}
	if err := UsePasskey(ctx, s.DB, pk.ID, `{"a":2}`, 5, 6, now); !errors.Is(err, ErrReplay) {
		t.Fatalf("racing use: %v", err)
	}
	if err := RenamePasskey(ctx, s.DB, other.ID, pk.ID, "mine"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("rename another's: %v", err)
	}

	// Reset removes every factor; deleting the user removes the rest.
	if err := ResetSecondFactors(ctx, s.DB, u.ID, now); err != nil {
		t.Fatal(err)
	}
	tf, _ = TwoFactorByUser(ctx, s.DB, u.ID)
	n, _ := CountPasskeys(ctx, s.DB, u.ID)
	b, _ := CountBackupCodes(ctx, s.DB, u.ID)
	if tf.TOTPEnabled || tf.TOTPSecretEnc != "" || n != 0 || b != 0 {
		t.Fatalf("after reset: %+v %d %d", tf, n, b)
	}
	UseTOTPStep(ctx, s.DB, u.ID, 1, now, time.Hour)
	if err := DeleteUser(ctx, s.DB, u.ID); err != nil {
		t.Fatal(err)
	}
	for _, table := range []string{"user_two_factor_auth", "totp_history", "backup_codes", "passkey_credentials"} {
		var c int
		s.DB.QueryRow("SELECT COUNT(*) FROM "+table+" WHERE user_id = ?", u.ID).Scan(&c)
		if c != 0 {
			t.Errorf("%s keeps %d rows of a deleted user", table, c)
		}
	}
}
