package auth

import (
	"context"
	"database/sql"

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
	try, err := s.logins.begin(ctx, u.Email, c.IP)
	if err != nil {
		return err
	}
	ok, _ := s.verify(ctx, current, u.PasswordHash)
	try.done(!ok)
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
	var revoked []string
	err = s.store.WithTx(ctx, func(tx *sql.Tx) error {
		if err := store.SetPassword(ctx, tx, u.ID, hash, s.now()); err != nil {
			return err
		}
		revoked, err = store.RevokeUserFamilies(ctx, tx, u.ID, p.SessionID, s.now())
		return err
	})
	if err != nil {
		return err
	}
	s.forgetUser(u.ID)
	s.dropSessions(revoked)
	e := clientEvent(EventPasswordChange, c)
	e.UserID, e.DeviceID = u.ID, p.DeviceID
	s.audit(ctx, nil, e)
	return nil
}

// dropSessions marks revoked families in the cache.
func (s *Service) dropSessions(families []string) {
	for _, f := range families {
		s.cache.Delete(sessKey(f))
		s.cache.Set(sessKey(f), true, s.cfg.AccessTokenTTL.D())
	}
}
