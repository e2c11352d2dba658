// Package datarights is a user's rights over their data:
// they download everything of theirs as one JSON archive, and delete their
// own account with all its data.
//
// It knows no feature's tables. Each feature registers a Part: the tables
// holding its rows of a user, the archive sections it exports, and what it
// removes (or refuses) when an account goes. Adding a feature never edits
// this package.
package datarights

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aiwfe/aiwfe/app/apperr"
	"github.com/aiwfe/aiwfe/app/auth"
	"github.com/aiwfe/aiwfe/store"
)

// Event types of the data-rights flows.
const (
	EventDataExport    = "data_export"
	EventAccountDelete = "account_delete"
)

// ExportFormat and ExportVersion identify the archive's layout.
const (
	ExportFormat  = "aiwfe-export"
	ExportVersion = 1
)

// ExportEvery is how often one user may export (the archive reads every
// row of theirs).
const ExportEvery = time.Minute

// ConfirmDelete is what the user types to confirm deleting their account.
const ConfirmDelete = "DELETE"

// A Part is one feature's share of a user's data. Features implement it
// with store and standard types only, so they need not import this
// package; app.Open registers each.
type Part interface {
	// Tables names the tables holding the feature's rows of a user, each
	// with the SQL counting one user's rows (every ? is the user's id).
	// Deleting the account must leave each at zero; every table referring
	// to users must be claimed by one part (the tests check both).
	Tables() map[string]string
	// Export reads the feature's rows of the user in tx, one read-only
	// snapshot shared by every part, and puts each archive section (a
	// top-level key) in order. Secrets never go in (say whether one is
	// set instead); lists are empty, never null.
	Export(ctx context.Context, tx *sql.Tx, userID int64, put func(key string, value any)) error
	// Delete runs inside the account deletion's transaction before the
	// users row goes (ON DELETE CASCADE then takes every row referring
	// to it): it removes what the cascade cannot reach, or refuses the
	// deletion with an apperr. The returned func, if not nil, runs once
	// the transaction has committed (to drop caches).
	Delete(ctx context.Context, tx *sql.Tx, userID int64) (after func(), err error)
}

// Section is one top-level key of the archive.
type Section struct {
	Key   string
	Value any
}

// Deps are what the service needs; app.Open fills them in.
type Deps struct {
	Store *store.Store
	Cache store.Cache
	// Accounts checks the password, audits and drops cached user state.
	Accounts *auth.Service
	Log      *slog.Logger
	Now      func() time.Time
}

// Service collects the parts and runs the export and the deletion.
type Service struct {
	store    *store.Store
	cache    store.Cache
	accounts *auth.Service
	log      *slog.Logger
	now      func() time.Time

	parts  []Part
	tables map[string]string

	// exportMu makes the once-a-minute check and its mark one step.
	exportMu sync.Mutex
}

// New builds the service with no parts.
func New(d Deps) *Service {
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	return &Service{store: d.Store, cache: d.Cache, accounts: d.Accounts, log: d.Log, now: d.Now, tables: map[string]string{}}
}

// Register adds parts, in the order their sections appear in the archive
// and their Delete runs. Call it while building the app, before serving. A
// table claimed twice is a programming error: it panics, so the app fails
// at start-up rather than export a table twice.
func (s *Service) Register(parts ...Part) {
	for _, p := range parts {
		for t, q := range p.Tables() {
			if _, dup := s.tables[t]; dup {
				panic(fmt.Sprintf("datarights: table %s registered twice", t))
			}
			s.tables[t] = q
		}
		s.parts = append(s.parts, p)
	}
}

// Tables is every registered table with its counting SQL.
func (s *Service) Tables() map[string]string { return maps.Clone(s.tables) }

// CountUserRows counts the user's rows in each registered table.
func (s *Service) CountUserRows(ctx context.Context, q store.Querier, userID int64) (map[string]int, error) {
	out := make(map[string]int, len(s.tables))
	for table, query := range s.tables {
		args := make([]any, strings.Count(query, "?"))
		for i := range args {
			args[i] = userID
		}
		var n int
		if err := q.QueryRowContext(ctx, query, args...).Scan(&n); err != nil {
			return nil, fmt.Errorf("counting %s: %w", table, err)
		}
		out[table] = n
	}
	return out, nil
}

// Archive is the archive of GET /api/v1/profile/export: a header, then
// each part's sections in registration order.
type Archive struct {
	ExportedAt time.Time
	Sections   []Section
}

// MarshalJSON writes the header and the sections as one object, keeping
// their order (people read the file top to bottom).
func (a *Archive) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteString(`{"format":` + strconv.Quote(ExportFormat) + `,"version":` + strconv.Itoa(ExportVersion) + `,"exported_at":`)
	at, err := json.Marshal(a.ExportedAt)
	if err != nil {
		return nil, err
	}
	b.Write(at)
	seen := map[string]bool{"format": true, "version": true, "exported_at": true}
	for _, sec := range a.Sections {
		if seen[sec.Key] {
			return nil, fmt.Errorf("datarights: archive section %q twice", sec.Key)
		}
		seen[sec.Key] = true
		v, err := json.Marshal(sec.Value)
		if err != nil {
			return nil, fmt.Errorf("datarights: section %s: %w", sec.Key, err)
		}
		b.WriteString("," + strconv.Quote(sec.Key) + ":")
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// JSON is the archive encoded (indented: people open it).
func (a *Archive) JSON() ([]byte, error) {
	return json.MarshalIndent(a, "", "  ")
}

func exportKey(userID int64) string { return "datarights:export:" + strconv.FormatInt(userID, 10) }

// allowExport lets one export through per user per ExportEvery.
func (s *Service) allowExport(userID int64) error {
	s.exportMu.Lock()
	defer s.exportMu.Unlock()
	now := s.now()
	if v, ok := s.cache.Get(exportKey(userID)); ok {
		if wait := ExportEvery - now.Sub(v.(time.Time)); wait > 0 {
			return apperr.TooMany("you can download your data once a minute", wait)
		}
	}
	s.cache.Set(exportKey(userID), now, ExportEvery)
	return nil
}

// Export builds the caller's archive from one consistent snapshot; every
// part reads only the caller's rows. At most one export per user per
// minute (429). Audited as data_export.
func (s *Service) Export(ctx context.Context, p *auth.Principal, c auth.Client) (*Archive, error) {
	if err := s.allowExport(p.UserID); err != nil {
		return nil, err
	}
	ar := &Archive{ExportedAt: s.now().UTC()}
	err := s.store.WithReadTx(ctx, func(tx *sql.Tx) error {
		if _, err := store.UserByID(ctx, tx, p.UserID); err != nil {
			return err
		}
		put := func(key string, v any) { ar.Sections = append(ar.Sections, Section{Key: key, Value: v}) }
		for _, part := range s.parts {
			if err := part.Export(ctx, tx, p.UserID, put); err != nil {
				return err
			}
		}
		return nil
	})
	if errors.Is(err, store.ErrNotFound) {
		return nil, apperr.NotFound("user")
	}
	if err != nil {
		return nil, err
	}
	e := auth.ClientEvent(EventDataExport, c)
	e.UserID, e.DeviceID = p.UserID, p.DeviceID
	s.accounts.Audit(ctx, nil, e)
	return ar, nil
}

// ExportFilename is the archive's download name:
// aiwfe-export-<email>-<yyyy-mm-dd>.json, with anything unusual in the
// email replaced so the name is safe in a Content-Disposition header.
func ExportFilename(email string, at time.Time) string {
	var b strings.Builder
	for _, r := range email {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', strings.ContainsRune("@._+-", r):
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	return "aiwfe-export-" + b.String() + "-" + at.UTC().Format("2006-01-02") + ".json"
}

// DeleteAccount deletes the caller's own account and everything of
// theirs. The password is checked under the login limiter (a wrong one
// counts as a failed sign-in); confirm must be "DELETE"; a part may refuse
// (the last active superuser cannot leave: 409 last_superuser). Every
// session ends at once. The audit entry names the account by email with no
// user id, so it outlives the cascade.
func (s *Service) DeleteAccount(ctx context.Context, p *auth.Principal, password, confirm string, c auth.Client) error {
	if password == "" {
		return apperr.Invalid("password", "password is required")
	}
	if confirm != ConfirmDelete {
		return apperr.Invalid("confirm", `type DELETE to confirm`)
	}
	u, err := store.UserByID(ctx, s.store.DB, p.UserID)
	if errors.Is(err, store.ErrNotFound) {
		return apperr.Unauthorized("account no longer exists")
	}
	if err != nil {
		return err
	}
	if len(password) > auth.MaxPasswordLen {
		return apperr.Invalid("password", "password is incorrect")
	}
	ok, err := s.accounts.CheckPassword(ctx, u, password, c)
	if err != nil {
		return err
	}
	if !ok {
		e := auth.ClientEvent(EventAccountDelete, c)
		e.UserID, e.DeviceID, e.Success, e.Reason = u.ID, p.DeviceID, false, "wrong_password"
		s.accounts.Audit(ctx, nil, e)
		return apperr.Invalid("password", "password is incorrect")
	}
	var after func()
	err = s.store.WithTx(ctx, func(tx *sql.Tx) error {
		u, err := store.UserByID(ctx, tx, p.UserID)
		if errors.Is(err, store.ErrNotFound) {
			return apperr.Unauthorized("account no longer exists")
		}
		if err != nil {
			return err
		}
		if after, err = s.Erase(ctx, tx, u.ID); err != nil {
			return err
		}
		e := auth.ClientEvent(EventAccountDelete, c)
		e.Email, e.Reason, e.CreatedAt = u.Email, "account and all its data deleted by its owner", s.now()
		return store.InsertEvent(ctx, tx, e)
	})
	if err != nil {
		return err
	}
	after()
	s.cache.Delete(exportKey(p.UserID))
	return nil
}

// Erase deletes an account inside tx: every part's Delete in registration
// order, then the users row (ON DELETE CASCADE takes the rest). Account
// deletion by its owner and by an admin both come here. The returned func
// runs the parts' after-commit work and drops the user's cached state:
// call it once tx has committed.
func (s *Service) Erase(ctx context.Context, tx *sql.Tx, userID int64) (func(), error) {
	var afters []func()
	for _, part := range s.parts {
		after, err := part.Delete(ctx, tx, userID)
		if err != nil {
			return nil, err
		}
		if after != nil {
			afters = append(afters, after)
		}
	}
	if err := store.DeleteUser(ctx, tx, userID); err != nil {
		return nil, err
	}
	return func() {
		for _, f := range afters {
			f()
		}
		s.accounts.ForgetUser(userID)
	}, nil
}
