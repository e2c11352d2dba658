package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"
)

// ModelKeys are the users table's model-assignment columns;
// each names the model one kind of work uses.
var ModelKeys = []string{
	"selected_model", "chat_model", "coding_model", "embedding_model",
	"summary_model", "research_model", "documents_model", "interview_model",
	"assessment_model", "planning_model", "task_model", "calendar_model",
	"semantic_model", "vision_model", "reasoning_model", "title_model",
	"reflection_model", "translation_model", "extraction_model", "tool_model",
}

// User is one row of users.
type User struct {
	ID               int64
	Email            string
	PasswordHash     string
	IsActive         bool
	IsSuperuser      bool
	IsVerified       bool
	Role             string // user | admin | superuser
	Status           string // pending | active | suspended
	TFAEnabled       bool
	TokensValidAfter int64 // unix seconds; access tokens issued before are void
	CreatedAt        time.Time
	UpdatedAt        time.Time
	LastLoginAt      *time.Time

	Theme                string
	NotificationsEnabled bool
	Timezone             string
	UseProfileInChat     bool
	// Models maps each of ModelKeys to its assignment ("" = the default).
	Models map[string]string

	MissionStatement     string
	PersonalGoals        string
	WorkStylePreferences string
	ProductivityPatterns string
	InterviewInsights    string // JSON
	WebSearchProvider    string
	WebSearchAPIKeyEnc   string
	CalendarEventWeights string // JSON
}

// NewUser is what CreateUser needs.
type NewUser struct {
	Email        string
	PasswordHash string
	Role         string
	Status       string
}

const userBaseCols = `id, email, password_hash, is_active, is_superuser, is_verified, role, status,
	tfa_enabled, tokens_valid_after, created_at, updated_at, last_login_at,
	theme, notifications_enabled, timezone, use_profile_in_chat,
	mission_statement, personal_goals, work_style_preferences, productivity_patterns,
	interview_insights, web_search_provider, web_search_api_key_enc, calendar_event_weights`

var userCols = userBaseCols + ", " + strings.Join(ModelKeys, ", ")

// UserColumns are the columns UpdateUser may set, with nothing else
// reaching SQL text: values are always parameters.
var userUpdatable = func() map[string]bool {
	m := map[string]bool{
		"theme": true, "notifications_enabled": true, "timezone": true, "use_profile_in_chat": true,
		"mission_statement": true, "personal_goals": true, "work_style_preferences": true,
		"productivity_patterns": true, "interview_insights": true, "web_search_provider": true,
		"web_search_api_key_enc": true, "calendar_event_weights": true,
	}
	for _, k := range ModelKeys {
		m[k] = true
	}
	return m
}()

type rowScanner interface{ Scan(dest ...any) error }

func scanUser(r rowScanner) (*User, error) {
	u := &User{Models: make(map[string]string, len(ModelKeys))}
	var created, updated string
	var last sql.NullString
	models := make([]string, len(ModelKeys))
	dest := []any{&u.ID, &u.Email, &u.PasswordHash, &u.IsActive, &u.IsSuperuser, &u.IsVerified, &u.Role, &u.Status,
		&u.TFAEnabled, &u.TokensValidAfter, &created, &updated, &last,
		&u.Theme, &u.NotificationsEnabled, &u.Timezone, &u.UseProfileInChat,
		&u.MissionStatement, &u.PersonalGoals, &u.WorkStylePreferences, &u.ProductivityPatterns,
		&u.InterviewInsights, &u.WebSearchProvider, &u.WebSearchAPIKeyEnc, &u.CalendarEventWeights}
	for i := range models {
		dest = append(dest, &models[i])
	}
	if err := r.Scan(dest...); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, ErrNotFound
		}
		return nil, err
	}
	for i, k := range ModelKeys {
		u.Models[k] = models[i]
	}
	u.CreatedAt = tsParse(created)
	u.UpdatedAt = tsParse(updated)
	if last.Valid {
		t := tsParse(last.String)
		u.LastLoginAt = &t
	}
	return u, nil
}

// CreateUser inserts a user; the first user ever can be made superuser in
// the same transaction by the caller (see CountUsers). A duplicate email
// (any case) answers ErrDuplicate.
func CreateUser(ctx context.Context, q Querier, nu NewUser, now time.Time) (*User, error) {
	active := nu.Status == "active"
	res, err := q.ExecContext(ctx, `INSERT INTO users(email, password_hash, is_active, is_superuser, role, status, created_at, updated_at)
		VALUES(?, ?, ?, ?, ?, ?, ?, ?)`,
		nu.Email, nu.PasswordHash, active, nu.Role == "superuser", nu.Role, nu.Status, tsText(now), tsText(now))
	if err != nil {
		if isUniqueViolation(err) {
			return nil, ErrDuplicate
		}
		return nil, err
	}
	id, err := res.LastInsertId()
	if err != nil {
		return nil, err
	}
	return UserByID(ctx, q, id)
}

// ErrDuplicate is a unique constraint refusing a row.
var ErrDuplicate = errors.New("store: duplicate")

func isUniqueViolation(err error) bool {
	return err != nil && strings.Contains(err.Error(), "UNIQUE constraint failed")
}

// Querier is *sql.DB or *sql.Tx.
type Querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// UserByID finds a user.
func UserByID(ctx context.Context, q Querier, id int64) (*User, error) {
	return scanUser(q.QueryRowContext(ctx, "SELECT "+userCols+" FROM users WHERE id = ?", id))
}

// UserByEmail finds a user by email, ignoring case.
func UserByEmail(ctx context.Context, q Querier, email string) (*User, error) {
	return scanUser(q.QueryRowContext(ctx, "SELECT "+userCols+" FROM users WHERE email = ?", email))
}

// CountUsers counts every account.
func CountUsers(ctx context.Context, q Querier) (int, error) {
	var n int
	err := q.QueryRowContext(ctx, "SELECT COUNT(*) FROM users").Scan(&n)
	return n, err
}

// CountActiveSuperusers counts superusers who can still sign in.
func CountActiveSuperusers(ctx context.Context, q Querier) (int, error) {
	var n int
	err := q.QueryRowContext(ctx, "SELECT COUNT(*) FROM users WHERE role = 'superuser' AND status = 'active'").Scan(&n)
	return n, err
}

// UpdateUser sets the named profile columns. Column names must be among
// the updatable ones; anything else is a programming error.
func UpdateUser(ctx context.Context, q Querier, id int64, set map[string]any, now time.Time) error {
	if len(set) == 0 {
		return nil
	}
	cols := make([]string, 0, len(set))
	for c := range set {
		if !userUpdatable[c] {
			return fmt.Errorf("store: users.%s is not updatable", c)
		}
		cols = append(cols, c)
	}
	sort.Strings(cols)
	var b strings.Builder
	args := make([]any, 0, len(cols)+2)
	b.WriteString("UPDATE users SET ")
	for _, c := range cols {
		b.WriteString(c + " = ?, ")
		args = append(args, set[c])
	}
	b.WriteString("updated_at = ? WHERE id = ?")
	args = append(args, tsText(now), id)
	res, err := q.ExecContext(ctx, b.String(), args...)
	return exactlyOne(res, err)
}

func exactlyOne(res sql.Result, err error) error {
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return ErrNotFound
	}
	return nil
}

// SetPassword replaces the password hash.
func SetPassword(ctx context.Context, q Querier, id int64, hash string, now time.Time) error {
	res, err := q.ExecContext(ctx, "UPDATE users SET password_hash = ?, updated_at = ? WHERE id = ?", hash, tsText(now), id)
	return exactlyOne(res, err)
}

// SetRoleStatus sets role and status, keeping is_active and is_superuser in
// step with them.
func SetRoleStatus(ctx context.Context, q Querier, id int64, role, status string, now time.Time) error {
	res, err := q.ExecContext(ctx, `UPDATE users SET role = ?, status = ?, is_superuser = ?, is_active = ?, updated_at = ? WHERE id = ?`,
		role, status, role == "superuser", status == "active", tsText(now), id)
	return exactlyOne(res, err)
}

// VoidTokensBefore makes access tokens issued before t invalid.
func VoidTokensBefore(ctx context.Context, q Querier, id int64, t time.Time) error {
	res, err := q.ExecContext(ctx, "UPDATE users SET tokens_valid_after = MAX(tokens_valid_after, ?) WHERE id = ?", t.Unix(), id)
	return exactlyOne(res, err)
}

// TouchLogin records a successful sign-in.
func TouchLogin(ctx context.Context, q Querier, id int64, now time.Time) error {
	_, err := q.ExecContext(ctx, "UPDATE users SET last_login_at = ? WHERE id = ?", tsText(now), id)
	return err
}

// DeleteUser removes the user; their rows go with them by ON DELETE CASCADE.
func DeleteUser(ctx context.Context, q Querier, id int64) error {
	res, err := q.ExecContext(ctx, "DELETE FROM users WHERE id = ?", id)
	return exactlyOne(res, err)
}

// UserFilter narrows ListUsers; empty fields match everything.
type UserFilter struct {
	Status string
	Role   string
}

// ListUsers pages through users, oldest first, and counts the matches.
func ListUsers(ctx context.Context, q Querier, f UserFilter, limit, offset int) ([]*User, int, error) {
	where := " WHERE (? = '' OR status = ?) AND (? = '' OR role = ?)"
	args := []any{f.Status, f.Status, f.Role, f.Role}
	var total int
	if err := q.QueryRowContext(ctx, "SELECT COUNT(*) FROM users"+where, args...).Scan(&total); err != nil {
		return nil, 0, err
	}
	rows, err := q.QueryContext(ctx, "SELECT "+userCols+" FROM users"+where+" ORDER BY id LIMIT ? OFFSET ?", append(args, limit, offset)...)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	var out []*User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, u)
	}
	return out, total, rows.Err()
}

// UserTables counts one user's rows in the users feature's tables (the
// data-rights service's deletion test checks each ends at zero).
var UserTables = map[string]string{
	"users": "SELECT COUNT(*) FROM users WHERE id = ?",
}
