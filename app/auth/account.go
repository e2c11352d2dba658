package auth

import (
	"context"
	"database/sql"
	"errors"

	"github.com/aiwfe/aiwfe/app/apperr"
	"github.com/aiwfe/aiwfe/store"
)

// ChangePassword replaces the caller's password after checking the current
// one; every other session is revoked (the caller's stays).
func (s *Service) ChangePassword(ctx context.Context, p *Principal, current, next string, c Client) error {
	if current == "" {
		return apperr.Invalid("current_password", "current password is required")
	}
	if len(current) > MaxPasswordLen {
		return apperr.Invalid("current_password", "current password is incorrect")
	}
	if err := CheckPasswordPolicy("new_password", next); err != nil {
		return err
	}
	u, err := store.UserByID(ctx, s.store.DB, p.UserID)
	if err != nil {
		return err
	}
	ok, err := s.CheckPassword(ctx, u, current, c)
	if err != nil {
		return err
	}
	if !ok {
		e := clientEvent(EventPasswordChange, c)
		e.UserID, e.Success, e.Reason = u.ID, false, "wrong_current_password"
		s.audit(ctx, nil, e)
		return apperr.Invalid("current_password", "current password is incorrect")
	}
	if current == next {
		return apperr.Invalid("new_password", "the new password must differ from the current one")
	}
	hash, err := s.hash(ctx, next)
	if err != nil {
		return err
	}
	var ended func()
	err = s.store.WithTx(ctx, func(tx *sql.Tx) error {
		if err := store.SetPassword(ctx, tx, u.ID, hash, s.now()); err != nil {
			return err
		}
		ended, err = s.EndSessions(ctx, tx, u.ID, p.SessionID, false)
		return err
	})
	if err != nil {
		return err
	}
	s.forgetUser(u.ID)
	ended()
	e := clientEvent(EventPasswordChange, c)
	e.UserID, e.DeviceID = u.ID, p.DeviceID
	s.audit(ctx, nil, e)
	return nil
}

// CheckPassword verifies the account's password under the login limiter,
// for flows that confirm it again (change it, delete the account): a wrong
// one counts as a failed sign-in, and a locked account answers 429 with
// any password.
func (s *Service) CheckPassword(ctx context.Context, u *store.User, password string, c Client) (bool, error) {
	try, err := s.logins.begin(ctx, u.Email, c.IP)
	if err != nil {
		return false, err
	}
	ok, _ := s.verify(ctx, password, u.PasswordHash)
	try.done(!ok)
	return ok, nil
}

// EndSessions ends every session of the user inside tx except keep (a
// session id; "" keeps none) and, with void, every access token issued so
// far. The returned func marks the ended sessions in the cache: run it once
// tx has committed.
func (s *Service) EndSessions(ctx context.Context, tx *sql.Tx, userID int64, keep string, void bool) (func(), error) {
	families, err := store.RevokeUserFamilies(ctx, tx, userID, keep, s.now())
	if err != nil {
		return nil, err
	}
	if void {
		if err := store.VoidTokensBefore(ctx, tx, userID, s.now().Add(1)); err != nil {
			return nil, err
		}
	}
	return func() { s.dropSessions(families) }, nil
}

// CreateUser makes an account directly (the CLI's `admin create`),
// bypassing the registration policy. An empty role means superuser when
// there are no accounts yet, admin otherwise.
func (s *Service) CreateUser(ctx context.Context, email, password, role string) (*UserView, error) {
	email, err := NormalizeEmail("email", email)
	if err != nil {
		return nil, err
	}
	if role != "" && !ValidRole(role) {
		return nil, apperr.Invalid("role", "role must be user, admin or superuser")
	}
	if err := CheckPasswordPolicy("password", password); err != nil {
		return nil, err
	}
	hash, err := s.hash(ctx, password)
	if err != nil {
		return nil, err
	}
	var u *store.User
	err = s.store.WithTx(ctx, func(tx *sql.Tx) error {
		if role == "" {
			n, err := store.CountUsers(ctx, tx)
			if err != nil {
				return err
			}
			role = "admin"
			if n == 0 {
				role = "superuser"
			}
		}
		u, err = store.CreateUser(ctx, tx, store.NewUser{Email: email, PasswordHash: hash, Role: role, Status: "active"}, s.now())
		if errors.Is(err, store.ErrDuplicate) {
			return apperr.Conflict("an account with this email already exists")
		}
		if err != nil {
			return err
		}
		s.audit(ctx, tx, &store.SecurityEvent{Type: EventUserCreate, Success: true, UserID: u.ID, Email: email, Reason: "created from the command line as " + role, DeviceName: "command line"})
		return nil
	})
	if err != nil {
		return nil, err
	}
	return ViewUser(u), nil
}

// ValidRole reports whether r is a role: user, admin or superuser.
func ValidRole(r string) bool { return r == "user" || r == "admin" || r == "superuser" }

// ResetPassword sets a new password from the command line and ends every
// session of the account.
func (s *Service) ResetPassword(ctx context.Context, email, password string) error {
	email, err := NormalizeEmail("email", email)
	if err != nil {
		return err
	}
	if err := CheckPasswordPolicy("password", password); err != nil {
		return err
	}
	hash, err := s.hash(ctx, password)
	if err != nil {
		return err
	}
	var id int64
	var ended func()
	err = s.store.WithTx(ctx, func(tx *sql.Tx) error {
		u, err := store.UserByEmail(ctx, tx, email)
		if errors.Is(err, store.ErrNotFound) {
			return apperr.NotFound("account " + email)
		}
		if err != nil {
			return err
		}
		id = u.ID
		if err := store.SetPassword(ctx, tx, u.ID, hash, s.now()); err != nil {
			return err
		}
		if ended, err = s.EndSessions(ctx, tx, u.ID, "", true); err != nil {
			return err
		}
		s.audit(ctx, tx, &store.SecurityEvent{Type: EventPasswordReset, Success: true, UserID: u.ID, Email: email, Reason: "reset from the command line", DeviceName: "command line"})
		return nil
	})
	if err != nil {
		return err
	}
	s.forgetUser(id)
	ended()
	return nil
}

// dropSessions marks revoked families in the cache.
func (s *Service) dropSessions(families []string) {
	for _, f := range families {
		s.cache.Delete(sessKey(f))
		s.cache.Set(sessKey(f), true, s.cfg.AccessTokenTTL.D())
	}
}
