package auth

import (
	"context"
	"database/sql"
	"errors"

	"github.com/aiwfe/aiwfe/app/apperr"
	"github.com/aiwfe/aiwfe/store"
)

// Admin errors.
var (
	ErrLastSuperuser = apperr.New(409, "last_superuser", "the last active superuser cannot be demoted, suspended or deleted")
	ErrDeleteSelf    = apperr.New(409, "cannot_delete_self", "you cannot delete your own account here")
)

// ListUsers pages through accounts, filtered by status and role.
func (s *Service) ListUsers(ctx context.Context, status, role string, page, perPage int) (*Page[*UserView], error) {
	if status != "" && status != "pending" && status != "active" && status != "suspended" {
		return nil, apperr.Invalid("status", "status must be pending, active or suspended")
	}
	if role != "" && !validRole(role) {
		return nil, apperr.Invalid("role", "role must be user, admin or superuser")
	}
	page, perPage = Paging(page, perPage)
	us, total, err := store.ListUsers(ctx, s.store.DB, store.UserFilter{Status: status, Role: role}, perPage, (page-1)*perPage)
	if err != nil {
		return nil, err
	}
	out := &Page[*UserView]{Items: make([]*UserView, 0, len(us)), Page: page, PerPage: perPage, Total: total}
	for _, u := range us {
		out.Items = append(out.Items, ViewUser(u))
	}
	return out, nil
}

func validRole(r string) bool { return r == "user" || r == "admin" || r == "superuser" }

// UserPatch is an admin's change to an account; nil fields stay.
type UserPatch struct {
	Status *string
	Role   *string
}

// AdminUpdateUser approves, suspends, reactivates or changes the role of
// an account. Only a superuser grants or takes away admin and superuser,
// or touches an admin's or superuser's account; the last active superuser
// stays one; suspension ends the user's sessions at once.
func (s *Service) AdminUpdateUser(ctx context.Context, actor *Principal, id int64, patch UserPatch, c Client) (*UserView, error) {
	if !actor.IsAdmin() {
		return nil, apperr.Forbidden("administrators only")
	}
	if patch.Status != nil && *patch.Status != "active" && *patch.Status != "suspended" {
		return nil, apperr.Invalid("status", "status must be active or suspended")
	}
	if patch.Role != nil && !validRole(*patch.Role) {
		return nil, apperr.Invalid("role", "role must be user, admin or superuser")
	}
	var u *store.User
	var events []*store.SecurityEvent
	var revoked []string
	err := s.store.WithTx(ctx, func(tx *sql.Tx) error {
		var err error
		u, err = store.UserByID(ctx, tx, id)
		if errors.Is(err, store.ErrNotFound) {
			return apperr.NotFound("user")
		}
		if err != nil {
			return err
		}
		role, status := u.Role, u.Status
		if patch.Role != nil {
			role = *patch.Role
		}
		if patch.Status != nil {
			status = *patch.Status
		}
		if role == u.Role && status == u.Status {
			return nil
		}
		superOnly := u.Role != "user" || (role != u.Role && role != "user")
		if superOnly && actor.Role != "superuser" {
			return apperr.Forbidden("only a superuser can change administrators' accounts or grant administrator roles")
		}
		if u.Role == "superuser" && u.Status == "active" && (role != "superuser" || status != "active") {
			n, err := store.CountActiveSuperusers(ctx, tx)
			if err != nil {
				return err
			}
			if n <= 1 {
				return ErrLastSuperuser
			}
		}
		if err := store.SetRoleStatus(ctx, tx, u.ID, role, status, s.now()); err != nil {
			return err
		}
		if status == "suspended" && u.Status != "suspended" {
			if revoked, err = store.RevokeUserFamilies(ctx, tx, u.ID, "", s.now()); err != nil {
				return err
			}
			if err := store.VoidTokensBefore(ctx, tx, u.ID, s.now().Add(1)); err != nil {
				return err
			}
		}
		if role != u.Role {
			e := clientEvent(EventRoleChange, c)
			e.UserID, e.ActorID, e.Email, e.Reason = u.ID, actor.UserID, u.Email, u.Role+" → "+role
			events = append(events, e)
		}
		if status != u.Status {
			e := clientEvent(EventStatusChange, c)
			e.UserID, e.ActorID, e.Email, e.Reason = u.ID, actor.UserID, u.Email, u.Status+" → "+status
			if u.Status == "pending" && status == "active" {
				e.Reason = "approved"
			}
			events = append(events, e)
		}
		for _, e := range events {
			s.audit(ctx, tx, e)
		}
		u.Role, u.Status = role, status
		return nil
	})
	if err != nil {
		return nil, err
	}
	s.forgetUser(id)
	s.dropSessions(revoked)
	return ViewUser(u), nil
}

// AdminDeleteUser deletes an account and, by cascade, all its data.
func (s *Service) AdminDeleteUser(ctx context.Context, actor *Principal, id int64, c Client) error {
	if !actor.IsAdmin() {
		return apperr.Forbidden("administrators only")
	}
	if id == actor.UserID {
		return ErrDeleteSelf
	}
	var email string
	err := s.store.WithTx(ctx, func(tx *sql.Tx) error {
		u, err := store.UserByID(ctx, tx, id)
		if errors.Is(err, store.ErrNotFound) {
			return apperr.NotFound("user")
		}
		if err != nil {
			return err
		}
		if u.Role != "user" && actor.Role != "superuser" {
			return apperr.Forbidden("only a superuser can delete administrators")
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
		email = u.Email
		return store.DeleteUser(ctx, tx, id)
	})
	if err != nil {
		return err
	}
	s.forgetUser(id)
	e := clientEvent(EventUserDelete, c)
	e.UserID, e.ActorID, e.Email = actor.UserID, actor.UserID, email
	e.Reason = "deleted account " + email
	s.audit(ctx, nil, e)
	return nil
}

// CreateUser makes an account directly (the CLI's `admin create`),
// bypassing the registration policy. An empty role means superuser when
// there are no accounts yet, admin otherwise.
func (s *Service) CreateUser(ctx context.Context, email, password, role string) (*UserView, error) {
	email, err := NormalizeEmail("email", email)
	if err != nil {
		return nil, err
	}
	if role != "" && !validRole(role) {
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
	var revoked []string
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
		if revoked, err = store.RevokeUserFamilies(ctx, tx, u.ID, "", s.now()); err != nil {
			return err
		}
		if err := store.VoidTokensBefore(ctx, tx, u.ID, s.now().Add(1)); err != nil {
			return err
		}
		s.audit(ctx, tx, &store.SecurityEvent{Type: EventPasswordReset, Success: true, UserID: u.ID, Email: email, Reason: "reset from the command line", DeviceName: "command line"})
		return nil
	})
	if err != nil {
		return err
	}
	s.forgetUser(id)
	s.dropSessions(revoked)
	return nil
}
