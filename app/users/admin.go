package users

import (
	"context"
	"database/sql"
	"errors"

	"github.com/aiwfe/aiwfe/app/apperr"
	"github.com/aiwfe/aiwfe/app/auth"
	"github.com/aiwfe/aiwfe/store"
)

// Audit event types of the administration of accounts.
const (
	EventRoleChange   = "role_change"
	EventStatusChange = "status_change"
	EventUserDelete   = "user_delete"
)

// Admin errors.
var (
	ErrLastSuperuser = apperr.New(409, "last_superuser", "the last active superuser cannot be demoted, suspended or deleted")
	ErrDeleteSelf    = apperr.New(409, "cannot_delete_self", "you cannot delete your own account here")
)

// ListUsers pages through accounts, filtered by status and role.
func (s *Service) ListUsers(ctx context.Context, status, role string, page, perPage int) (*auth.Page[*auth.UserView], error) {
	if status != "" && status != "pending" && status != "active" && status != "suspended" {
		return nil, apperr.Invalid("status", "status must be pending, active or suspended")
	}
	if role != "" && !auth.ValidRole(role) {
		return nil, apperr.Invalid("role", "role must be user, admin or superuser")
	}
	page, perPage = auth.Paging(page, perPage)
	us, total, err := store.ListUsers(ctx, s.store.DB, store.UserFilter{Status: status, Role: role}, perPage, (page-1)*perPage)
	if err != nil {
		return nil, err
	}
	out := &auth.Page[*auth.UserView]{Items: make([]*auth.UserView, 0, len(us)), Page: page, PerPage: perPage, Total: total}
	for _, u := range us {
		out.Items = append(out.Items, auth.ViewUser(u))
	}
	return out, nil
}

// UserPatch is an admin's change to an account; nil fields stay.
type UserPatch struct {
	Status *string
	Role   *string
}

// AdminUpdateUser approves, suspends, reactivates or changes the role of
// an account. Only a superuser grants or takes away admin and superuser,
// or touches an admin's or superuser's account; the last active superuser
// stays one; suspension ends the user's sessions at once.
func (s *Service) AdminUpdateUser(ctx context.Context, actor *auth.Principal, id int64, patch UserPatch, c auth.Client) (*auth.UserView, error) {
	if !actor.IsAdmin() {
		return nil, apperr.Forbidden("administrators only")
	}
	if patch.Status != nil && *patch.Status != "active" && *patch.Status != "suspended" {
		return nil, apperr.Invalid("status", "status must be active or suspended")
	}
	if patch.Role != nil && !auth.ValidRole(*patch.Role) {
		return nil, apperr.Invalid("role", "role must be user, admin or superuser")
	}
	var u *store.User
	var events []*store.SecurityEvent
	ended := func() {}
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
		if role != "superuser" || status != "active" {
			if err := keepLastSuperuser(ctx, tx, u); err != nil {
				return err
			}
		}
		if err := store.SetRoleStatus(ctx, tx, u.ID, role, status, s.now()); err != nil {
			return err
		}
		if status == "suspended" && u.Status != "suspended" {
			if ended, err = s.accounts.EndSessions(ctx, tx, u.ID, "", true); err != nil {
				return err
			}
		}
		if role != u.Role {
			e := auth.ClientEvent(EventRoleChange, c)
			e.UserID, e.ActorID, e.Email, e.Reason = u.ID, actor.UserID, u.Email, u.Role+" → "+role
			events = append(events, e)
		}
		if status != u.Status {
			e := auth.ClientEvent(EventStatusChange, c)
			e.UserID, e.ActorID, e.Email, e.Reason = u.ID, actor.UserID, u.Email, u.Status+" → "+status
			if u.Status == "pending" && status == "active" {
				e.Reason = "approved"
			}
			events = append(events, e)
		}
		for _, e := range events {
			s.accounts.Audit(ctx, tx, e)
		}
		u.Role, u.Status = role, status
		return nil
	})
	if err != nil {
		return nil, err
	}
	s.accounts.ForgetUser(id)
	ended()
	return auth.ViewUser(u), nil
}

// AdminDeleteUser deletes an account and all its data, as the owner's own
// deletion does.
func (s *Service) AdminDeleteUser(ctx context.Context, actor *auth.Principal, id int64, c auth.Client) error {
	if !actor.IsAdmin() {
		return apperr.Forbidden("administrators only")
	}
	if id == actor.UserID {
		return ErrDeleteSelf
	}
	var email string
	var erased func()
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
		email = u.Email
		// The data-rights service erases: every feature's part runs
		// (the last active superuser stays), then the cascade.
		erased, err = s.erase(ctx, tx, id)
		return err
	})
	if err != nil {
		return err
	}
	erased()
	e := auth.ClientEvent(EventUserDelete, c)
	e.UserID, e.ActorID, e.Email = actor.UserID, actor.UserID, email
	e.Reason = "deleted account " + email
	s.accounts.Audit(ctx, nil, e)
	return nil
}
