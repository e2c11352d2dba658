package store

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestAccountsSchema(t *testing.T) {
	s := openTemp(t)
	ctx := context.Background()
	now := time.Now()
	u, err := CreateUser(ctx, s.DB, NewUser{Email: "a@example.com", PasswordHash: "h", Role: "superuser", Status: "active"}, now)
	if err != nil {
		t.Fatal(err)
	}
	if !u.IsSuperuser || !u.IsActive || u.Theme != "system" || !u.UseProfileInChat || len(u.Models) != len(ModelKeys) {
		t.Fatalf("defaults: %+v", u)
	}
	if _, err := CreateUser(ctx, s.DB, NewUser{Email: "A@EXAMPLE.com", PasswordHash: "h", Role: "user", Status: "pending"}, now); !errors.Is(err, ErrDuplicate) {
		t.Fatalf("email uniqueness ignores case? %v", err)
	}
	if err := UpdateUser(ctx, s.DB, u.ID, map[string]any{"email": "x"}, now); err == nil {
		t.Fatal("email updatable through UpdateUser")
	}
	if err := UpdateUser(ctx, s.DB, u.ID, map[string]any{"theme": "neon"}, now); err == nil {
		t.Fatal("CHECK constraint on theme missing")
	}
	d, created, err := SeeDevice(ctx, s.DB, u.ID, "fp", "Chrome on Linux", "ua", "10.0.0.1", now)
	if err != nil || !created {
		t.Fatal(err, created)
	}
	d2, created, err := SeeDevice(ctx, s.DB, u.ID, "fp", "ignored", "ua", "10.0.0.2", now.Add(time.Minute))
	if err != nil || created || d2.ID != d.ID || d2.LastIP != "10.0.0.2" || d2.Name != "Chrome on Linux" {
		t.Fatalf("second sighting: %+v %v %v", d2, created, err)
	}
	rt := &RefreshToken{UserID: u.ID, FamilyID: "fam", DeviceID: d.ID, TokenHash: "h1", CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
	if err := InsertRefreshToken(ctx, s.DB, rt, ""); err != nil {
		t.Fatal(err)
	}
	if ok, _ := RetireRefreshToken(ctx, s.DB, rt.ID, now); !ok {
		t.Fatal("first retire failed")
	}
	if ok, _ := RetireRefreshToken(ctx, s.DB, rt.ID, now); ok {
		t.Fatal("a token retired twice")
	}
	if rev, _ := FamilyRevoked(ctx, s.DB, "fam"); rev {
		t.Fatal("family revoked too early")
	}
	if rev, _ := FamilyRevoked(ctx, s.DB, "unknown"); !rev {
		t.Fatal("an unknown family counts as live")
	}
	InsertEvent(ctx, s.DB, &SecurityEvent{UserID: u.ID, Type: "login", CreatedAt: now})
	InsertNotification(ctx, s.DB, u.ID, "new_device", "t", "b", now)
	RevokeAccessToken(ctx, s.DB, "jti", u.ID, now.Add(time.Hour), now)
	if err := DeleteUser(ctx, s.DB, u.ID); err != nil {
		t.Fatal(err)
	}
	for _, table := range []string{"registered_devices", "refresh_tokens", "revoked_tokens", "security_events", "notifications"} {
		var n int
		s.DB.QueryRow("SELECT COUNT(*) FROM " + table).Scan(&n)
		if n != 0 {
			t.Errorf("%s kept %d rows after the user was deleted", table, n)
		}
	}
}
