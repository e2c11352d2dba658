// Package users is what a person sets about themselves and what admins do
// to accounts: the profile, preferences and model assignments, the
// web-search key, and the administration of users (list, approve, suspend,
// change roles, delete). Credentials, sessions and second factors are
// app/auth's; this package asks it to end sessions, audit and drop its
// cached rows. It takes plain Go values and knows nothing of HTTP.
package users

import (
	"context"
	"database/sql"
	"log/slog"
	"time"

	"github.com/aiwfe/aiwfe/app/auth"
	"github.com/aiwfe/aiwfe/store"
)

// Deps are what the service needs; app.Open fills them in.
type Deps struct {
	Store *store.Store
	Cache store.Cache
	// Accounts is the auth service: the cached users row, sessions, the
	// audit and the at-rest encryption.
	Accounts *auth.Service
	// Erase deletes an account's data and row inside a transaction (the
	// data-rights service's Erase, so an admin's deletion runs every
	// feature's part); its func runs after the commit.
	Erase func(ctx context.Context, tx *sql.Tx, userID int64) (func(), error)
	// DefaultModel stands in for a model assignment the user left empty.
	DefaultModel string
	// EmbeddingModelChanged is told, after the change is saved, that a
	// user chose another embedding model (documents re-embed in the
	// background). May be nil.
	EmbeddingModelChanged func(ctx context.Context, userID int64)
	// TimezoneChanged runs inside the transaction that saves a user's new
	// time zone (tasks due on a date move to that day's start there); its
	// error undoes the change. May be nil.
	TimezoneChanged func(ctx context.Context, tx *sql.Tx, userID int64, zone string) error
	Log             *slog.Logger
	Now             func() time.Time
}

// Service is the profile and account administration service.
type Service struct {
	store        *store.Store
	cache        store.Cache
	accounts     *auth.Service
	erase        func(ctx context.Context, tx *sql.Tx, userID int64) (func(), error)
	box          *auth.SecretBox
	defaultModel string
	log          *slog.Logger
	now          func() time.Time
	// embeddingChanged: see Deps.EmbeddingModelChanged.
	embeddingChanged func(ctx context.Context, userID int64)
	timezoneChanged  func(ctx context.Context, tx *sql.Tx, userID int64, zone string) error
}

// New builds the service and hooks its profile cache to the account
// service's ForgetUser, so a change of the users row made anywhere
// (second factors, a role) drops the cached profile too.
func New(d Deps) *Service {
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	s := &Service{store: d.Store, cache: d.Cache, accounts: d.Accounts, erase: d.Erase, box: d.Accounts.SecretBox(),
		defaultModel: d.DefaultModel, log: d.Log, now: d.Now, embeddingChanged: d.EmbeddingModelChanged,
		timezoneChanged: d.TimezoneChanged}
	d.Accounts.OnForgetUser(func(id int64) { s.cache.Delete(profileJSONKey(id)) })
	return s
}
