package auth

import (
	"context"
	"database/sql"
	"errors"
	"net/mail"
	"strings"

	"github.com/aiwfe/aiwfe/app/apperr"
	"github.com/aiwfe/aiwfe/store"
)

// ErrRegistrationClosed answers a sign-up when registration is closed.
var ErrRegistrationClosed = apperr.New(403, "registration_closed", "registration is closed; ask the administrator for an account")

// NormalizeEmail trims and lower-cases an address and checks that it is a
// plain addr-spec (no display name, no angle brackets).
func NormalizeEmail(field, raw string) (string, error) {
	e := strings.ToLower(strings.TrimSpace(raw))
	if e == "" {
		return "", apperr.Invalid(field, "email is required")
	}
	if len(e) > 254 {
		return "", apperr.Invalid(field, "email is too long")
	}
	a, err := mail.ParseAddress(e)
	if err != nil || a.Address != e || a.Name != "" {
		return "", apperr.Invalid(field, "email is not a valid address")
	}
	local, domain, ok := strings.Cut(e, "@")
	if !ok || local == "" || domain == "" || strings.ContainsAny(e, " \t\r\n\"'<>()[]\\,;") {
		return "", apperr.Invalid(field, "email is not a valid address")
	}
	return e, nil
}

// Registration is a new account and whether it can sign in yet.
type Registration struct {
	User   *UserView `json:"user"`
	Status string    `json:"status"`
}

// Register creates an account. The first account is an active superuser;
// later ones follow auth.registration (open: active, approval: pending,
// closed: refused).
func (s *Service) Register(ctx context.Context, email, password string, c Client) (*Registration, error) {
	email, err := NormalizeEmail("email", email)
	if err != nil {
		return nil, err
	}
	if err := CheckPasswordPolicy("password", password); err != nil {
		return nil, err
	}
	if s.cfg.Registration == "closed" {
		// Cheap refusal before hashing; the transaction re-checks.
		if n, err := store.CountUsers(ctx, s.store.DB); err != nil {
			return nil, err
		} else if n > 0 {
			return nil, ErrRegistrationClosed
		}
	}
	hash, err := s.hash(ctx, password)
	if err != nil {
		return nil, err
	}
	var u *store.User
	err = s.store.WithTx(ctx, func(tx *sql.Tx) error {
		n, err := store.CountUsers(ctx, tx)
		if err != nil {
			return err
		}
		nu := store.NewUser{Email: email, PasswordHash: hash, Role: "user"}
		switch {
		case n == 0:
			nu.Role, nu.Status = "superuser", "active"
		case s.cfg.Registration == "open":
			nu.Status = "active"
		case s.cfg.Registration == "approval":
			nu.Status = "pending"
		default:
			return ErrRegistrationClosed
		}
		u, err = store.CreateUser(ctx, tx, nu, s.now())
		if errors.Is(err, store.ErrDuplicate) {
			return apperr.Conflict("an account with this email already exists")
		}
		if err != nil {
			return err
		}
		e := clientEvent(EventRegister, c)
		e.UserID, e.Email, e.Reason = u.ID, u.Email, u.Status
		s.audit(ctx, tx, e)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &Registration{User: ViewUser(u), Status: u.Status}, nil
}
