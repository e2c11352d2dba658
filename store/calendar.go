package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"strings"
	"time"
)

// Calendar sources.
const (
	CalendarLocal  = "local"
	CalendarFeed   = "feed"
	CalendarGoogle = "google"
)

// Calendar is one calendar of one user.
type Calendar struct {
	ID       int64
	UserID   int64
	Name     string
	Colour   string
	Timezone string
	Source   string
	// The feed subscription (Source == CalendarFeed).
	FeedURL          string
	FeedETag         string
	FeedLastModified string
	FeedError        string
	FeedRefreshedAt  *time.Time
	FeedCheckedAt    *time.Time
	FeedNextAt       *time.Time
	FeedInterval     int // seconds; 0: the configured default
	// TokenHash is the sha256 (hex) of the private feed's token, '' when
	// the calendar has none.
	TokenHash      string
	TokenCreatedAt *time.Time
	// Seq counts changes to the calendar's events.
	Seq       int64
	CreatedAt time.Time
	UpdatedAt time.Time
}

const calendarCols = `id, user_id, name, colour, timezone, source, feed_url, feed_etag, feed_last_modified, feed_error,
	feed_refreshed_at, feed_checked_at, feed_next_at, feed_interval, COALESCE(token_hash, ''), token_created_at, seq, created_at, updated_at`

func scanCalendar(r interface{ Scan(...any) error }) (*Calendar, error) {
	c := &Calendar{}
	var refreshed, checked, next, tokenAt sql.NullString
	var created, updated string
	if err := r.Scan(&c.ID, &c.UserID, &c.Name, &c.Colour, &c.Timezone, &c.Source, &c.FeedURL, &c.FeedETag, &c.FeedLastModified, &c.FeedError,
		&refreshed, &checked, &next, &c.FeedInterval, &c.TokenHash, &tokenAt, &c.Seq, &created, &updated); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, ErrNotFound
		}
		return nil, err
	}
	c.FeedRefreshedAt, c.FeedCheckedAt, c.FeedNextAt, c.TokenCreatedAt = tsPtr(refreshed), tsPtr(checked), tsPtr(next), tsPtr(tokenAt)
	c.CreatedAt, c.UpdatedAt = tsParse(created), tsParse(updated)
	return c, nil
}

func tsPtr(s sql.NullString) *time.Time {
	if !s.Valid {
		return nil
	}
	t := tsParse(s.String)
	return &t
}

func queryCalendars(ctx context.Context, q Querier, query string, args ...any) ([]*Calendar, error) {
	return queryAll(ctx, q, scanCalendar, query, args...)
}

// InsertCalendar adds c and fills its id and times.
func InsertCalendar(ctx context.Context, q Querier, c *Calendar, now time.Time) error {
	res, err := q.ExecContext(ctx, `INSERT INTO calendars (user_id, name, colour, timezone, source, feed_url, feed_next_at, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, c.UserID, c.Name, c.Colour, c.Timezone, c.Source, c.FeedURL, tsNull(c.FeedNextAt), tsText(now), tsText(now))
	if err != nil {
		return err
	}
	c.ID, _ = res.LastInsertId()
	c.CreatedAt, c.UpdatedAt = now.UTC(), now.UTC()
	return nil
}

// GetCalendar reads the user's calendar.
func GetCalendar(ctx context.Context, q Querier, userID, id int64) (*Calendar, error) {
	return scanCalendar(q.QueryRowContext(ctx, "SELECT "+calendarCols+" FROM calendars WHERE id = ? AND user_id = ?", id, userID))
}

// CalendarByID reads a calendar whoever owns it (the feed refresher).
func CalendarByID(ctx context.Context, q Querier, id int64) (*Calendar, error) {
	return scanCalendar(q.QueryRowContext(ctx, "SELECT "+calendarCols+" FROM calendars WHERE id = ?", id))
}

// CalendarByTokenHash finds the calendar whose private feed has this
// token hash.
func CalendarByTokenHash(ctx context.Context, q Querier, hash string) (*Calendar, error) {
	return scanCalendar(q.QueryRowContext(ctx, "SELECT "+calendarCols+" FROM calendars WHERE token_hash = ?", hash))
}

// UserCalendars lists the user's calendars, oldest first.
func UserCalendars(ctx context.Context, q Querier, userID int64) ([]*Calendar, error) {
	return queryCalendars(ctx, q, "SELECT "+calendarCols+" FROM calendars WHERE user_id = ? ORDER BY id", userID)
}

// UpdateCalendar writes what a user may change: name, colour, timezone
// and the feed's URL.
func UpdateCalendar(ctx context.Context, q Querier, c *Calendar, now time.Time) error {
	res, err := q.ExecContext(ctx, "UPDATE calendars SET name = ?, colour = ?, timezone = ?, feed_url = ?, feed_next_at = ?, updated_at = ? WHERE id = ? AND user_id = ?",
		c.Name, c.Colour, c.Timezone, c.FeedURL, tsNull(c.FeedNextAt), tsText(now), c.ID, c.UserID)
	if err := exactlyOne(res, err); err != nil {
		return err
	}
	c.UpdatedAt = now.UTC()
	return nil
}

// DeleteCalendar removes the user's calendar and, by cascade, its events.
func DeleteCalendar(ctx context.Context, q Querier, userID, id int64) error {
	res, err := q.ExecContext(ctx, "DELETE FROM calendars WHERE id = ? AND user_id = ?", id, userID)
	return exactlyOne(res, err)
}

// SetCalendarToken sets (hash != "") or removes the private feed's token.
func SetCalendarToken(ctx context.Context, q Querier, userID, id int64, hash string, now time.Time) error {
	var h, at any
	if hash != "" {
		h, at = hash, tsText(now)
	}
	res, err := q.ExecContext(ctx, "UPDATE calendars SET token_hash = ?, token_created_at = ?, updated_at = ? WHERE id = ? AND user_id = ?",
		h, at, tsText(now), id, userID)
	return exactlyOne(res, err)
}

// FeedState is what a feed refresh records.
type FeedState struct {
	ETag, LastModified, Error string
	// RefreshedAt is set when the copy was confirmed or replaced (nil
	// keeps the last success's time).
	RefreshedAt *time.Time
	CheckedAt   time.Time
	NextAt      time.Time
	Interval    int
}

// SetFeedState records a refresh of a feed calendar.
func SetFeedState(ctx context.Context, q Querier, id int64, f FeedState) error {
	res, err := q.ExecContext(ctx, `UPDATE calendars SET feed_etag = ?, feed_last_modified = ?, feed_error = ?,
		feed_refreshed_at = COALESCE(?, feed_refreshed_at), feed_checked_at = ?, feed_next_at = ?, feed_interval = ? WHERE id = ? AND source = 'feed'`,
		f.ETag, f.LastModified, f.Error, tsNull(f.RefreshedAt), tsText(f.CheckedAt), tsText(f.NextAt), f.Interval, id)
	return exactlyOne(res, err)
}

// DueFeeds lists the ids of feed calendars due for a refresh at now,
// longest overdue first.
func DueFeeds(ctx context.Context, q Querier, now time.Time, limit int) ([]int64, error) {
	return int64s(q.QueryContext(ctx, `SELECT id FROM calendars WHERE source = 'feed' AND (feed_next_at IS NULL OR feed_next_at <= ?)
		ORDER BY COALESCE(feed_next_at, '') LIMIT ?`, tsText(now), limit))
}

// NextFeedAt is when the next feed is due (nil: no feeds).
func NextFeedAt(ctx context.Context, q Querier) (*time.Time, error) {
	var s sql.NullString
	if err := q.QueryRowContext(ctx, "SELECT MIN(COALESCE(feed_next_at, '')) FROM calendars WHERE source = 'feed'").Scan(&s); err != nil {
		return nil, err
	}
	if !s.Valid {
		return nil, nil
	}
	t := tsParse(s.String) // '' (never refreshed) parses as the zero time: due now
	return &t, nil
}

// NextCalendarSeq counts one change to the calendar and returns the new
// value, which the change's rows carry.
func NextCalendarSeq(ctx context.Context, q Querier, calendarID int64, now time.Time) (int64, error) {
	var seq int64
	err := q.QueryRowContext(ctx, "UPDATE calendars SET seq = seq + 1, updated_at = ? WHERE id = ? RETURNING seq", tsText(now), calendarID).Scan(&seq)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, ErrNotFound
	}
	return seq, err
}

// Attendee is a participant of an event, as plain data.
type Attendee struct {
	Email  string `json:"email"`
	Name   string `json:"name,omitempty"`
	Role   string `json:"role,omitempty"`
	Status string `json:"status,omitempty"`
}

// CalendarEvent is one VEVENT: a series or single event
// (RecurrenceID == "") or one instance's override.
type CalendarEvent struct {
	ID           int64
	CalendarID   int64
	UID          string
	RecurrenceID string
	Title        string
	Description  string
	Location     string
	Status       string
	AllDay       bool
	StartLocal   string
	EndLocal     string
	Timezone     string
	StartAt      time.Time
	EndAt        time.Time
	LastEndAt    *time.Time
	RRule        string
	RDates       []string
	ExDates      []string
	Category     string
	Weight       int
	Reminders    []int
	Attendees    []Attendee
	Sequence     int
	ICS          string
	ETag         string
	Seq          int64
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

const eventCols = `e.id, e.calendar_id, e.uid, e.recurrence_id, e.title, e.description, e.location, e.status, e.all_day,
	e.start_local, e.end_local, e.timezone, e.start_at, e.end_at, e.last_end_at, e.rrule, e.rdates, e.exdates, e.category, e.weight,
	e.reminders, e.attendees, e.sequence, e.ics, e.etag, e.seq, e.created_at, e.updated_at`

func scanEvent(r interface{ Scan(...any) error }) (*CalendarEvent, error) {
	e := &CalendarEvent{}
	var startAt, endAt, created, updated, rdates, exdates, reminders, attendees string
	var last sql.NullString
	if err := r.Scan(&e.ID, &e.CalendarID, &e.UID, &e.RecurrenceID, &e.Title, &e.Description, &e.Location, &e.Status, &e.AllDay,
		&e.StartLocal, &e.EndLocal, &e.Timezone, &startAt, &endAt, &last, &e.RRule, &rdates, &exdates, &e.Category, &e.Weight,
		&reminders, &attendees, &e.Sequence, &e.ICS, &e.ETag, &e.Seq, &created, &updated); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, ErrNotFound
		}
		return nil, err
	}
	e.StartAt, e.EndAt, e.LastEndAt = tsParse(startAt), tsParse(endAt), tsPtr(last)
	e.CreatedAt, e.UpdatedAt = tsParse(created), tsParse(updated)
	// Columns only this file writes, always valid JSON; most are empty.
	jsonCol(rdates, &e.RDates)
	jsonCol(exdates, &e.ExDates)
	jsonCol(reminders, &e.Reminders)
	jsonCol(attendees, &e.Attendees)
	return e, nil
}

func jsonCol[T any](s string, dst *[]T) {
	if s != "[]" && s != "" {
		json.Unmarshal([]byte(s), dst)
	}
}

func jsonList[T any](v []T) string {
	if v == nil {
		return "[]"
	}
	b, _ := json.Marshal(v)
	return string(b)
}

func queryEvents(ctx context.Context, q Querier, query string, args ...any) ([]*CalendarEvent, error) {
	return queryAll(ctx, q, scanEvent, query, args...)
}

// InsertCalendarEvent adds e and fills its id and times; a second row for the
// same calendar, uid and recurrence id answers ErrDuplicate.
func InsertCalendarEvent(ctx context.Context, q Querier, e *CalendarEvent, now time.Time) error {
	res, err := q.ExecContext(ctx, `INSERT INTO calendar_events (calendar_id, uid, recurrence_id, title, description, location, status, all_day,
		start_local, end_local, timezone, start_at, end_at, last_end_at, rrule, rdates, exdates, category, weight, reminders, attendees,
		sequence, ics, etag, seq, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		e.CalendarID, e.UID, e.RecurrenceID, e.Title, e.Description, e.Location, e.Status, e.AllDay,
		e.StartLocal, e.EndLocal, e.Timezone, tsText(e.StartAt), tsText(e.EndAt), tsNull(e.LastEndAt), e.RRule, jsonList(e.RDates), jsonList(e.ExDates),
		e.Category, e.Weight, jsonList(e.Reminders), jsonList(e.Attendees), e.Sequence, e.ICS, e.ETag, e.Seq, tsText(now), tsText(now))
	if err != nil {
		if strings.Contains(err.Error(), "UNIQUE constraint failed") {
			return ErrDuplicate
		}
		return err
	}
	e.ID, _ = res.LastInsertId()
	e.CreatedAt, e.UpdatedAt = now.UTC(), now.UTC()
	return nil
}

// UpdateCalendarEvent writes every field of e (by id) but its calendar, uid and
// creation time.
func UpdateCalendarEvent(ctx context.Context, q Querier, e *CalendarEvent, now time.Time) error {
	res, err := q.ExecContext(ctx, `UPDATE calendar_events SET recurrence_id = ?, title = ?, description = ?, location = ?, status = ?, all_day = ?,
		start_local = ?, end_local = ?, timezone = ?, start_at = ?, end_at = ?, last_end_at = ?, rrule = ?, rdates = ?, exdates = ?,
		category = ?, weight = ?, reminders = ?, attendees = ?, sequence = ?, ics = ?, etag = ?, seq = ?, updated_at = ? WHERE id = ?`,
		e.RecurrenceID, e.Title, e.Description, e.Location, e.Status, e.AllDay,
		e.StartLocal, e.EndLocal, e.Timezone, tsText(e.StartAt), tsText(e.EndAt), tsNull(e.LastEndAt), e.RRule, jsonList(e.RDates), jsonList(e.ExDates),
		e.Category, e.Weight, jsonList(e.Reminders), jsonList(e.Attendees), e.Sequence, e.ICS, e.ETag, e.Seq, tsText(now), e.ID)
	if err := exactlyOne(res, err); err != nil {
		return err
	}
	e.UpdatedAt = now.UTC()
	return nil
}

// GetCalendarEvent reads an event row of one of the user's calendars.
func GetCalendarEvent(ctx context.Context, q Querier, userID, id int64) (*CalendarEvent, error) {
	return scanEvent(q.QueryRowContext(ctx, "SELECT "+eventCols+` FROM calendar_events e JOIN calendars c ON c.id = e.calendar_id
		WHERE e.id = ? AND c.user_id = ?`, id, userID))
}

// ObjectEvents reads the rows of one calendar object: the series first,
// then its overrides by recurrence id. None: an empty list.
func ObjectEvents(ctx context.Context, q Querier, calendarID int64, uid string) ([]*CalendarEvent, error) {
	return queryEvents(ctx, q, "SELECT "+eventCols+" FROM calendar_events e WHERE e.calendar_id = ? AND e.uid = ? ORDER BY e.recurrence_id", calendarID, uid)
}

// CalendarEvents reads every row of a calendar, grouped by uid (series
// first in each group).
func CalendarEvents(ctx context.Context, q Querier, calendarID int64) ([]*CalendarEvent, error) {
	return queryEvents(ctx, q, "SELECT "+eventCols+" FROM calendar_events e WHERE e.calendar_id = ? ORDER BY e.uid, e.recurrence_id", calendarID)
}

// CalendarETags maps each object's uid to its etag.
func CalendarETags(ctx context.Context, q Querier, calendarID int64) (map[string]string, error) {
	rows, err := q.QueryContext(ctx, "SELECT uid, etag FROM calendar_events WHERE calendar_id = ? AND recurrence_id = ''", calendarID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var uid, etag string
		if err := rows.Scan(&uid, &etag); err != nil {
			return nil, err
		}
		out[uid] = etag
	}
	return out, rows.Err()
}

// EventsInRange reads the rows (their ICS left empty) of the calendars that can have an instance
// in [from, to): the series whose span meets it, every override of those
// series (an override moved away still hides its original instance), and
// overrides that were moved into it. Times are compared as stored (all-day
// and floating as UTC): callers widen the range by the zones' reach.
func EventsInRange(ctx context.Context, q Querier, calendarIDs []int64, from, to time.Time) ([]*CalendarEvent, error) {
	if len(calendarIDs) == 0 {
		return []*CalendarEvent{}, nil
	}
	in := strings.Repeat("?, ", len(calendarIDs)-1) + "?"
	args := make([]any, 0, len(calendarIDs)+4)
	for _, id := range calendarIDs {
		args = append(args, id)
	}
	f, t := tsText(from), tsText(to)
	args = append(args, t, f, t, f)
	// Without the component text, which expansion does not need (it is
	// most of a row's bytes).
	cols := strings.Replace(eventCols, "e.ics,", "'',", 1)
	return queryEvents(ctx, q, "SELECT "+cols+" FROM calendar_events e WHERE e.calendar_id IN ("+in+`) AND (
		(e.start_at < ? AND (e.last_end_at IS NULL OR e.last_end_at > ?))
		OR (e.recurrence_id != '' AND EXISTS (SELECT 1 FROM calendar_events m WHERE m.calendar_id = e.calendar_id AND m.uid = e.uid
			AND m.recurrence_id = '' AND m.start_at < ? AND (m.last_end_at IS NULL OR m.last_end_at > ?))))
		ORDER BY e.calendar_id, e.uid, e.recurrence_id`, args...)
}

// CalendarEventsForExpansion reads every event row of one calendar
// without its component text (what expansion needs; the text is most of
// a row's bytes), ordered like EventsInRange.
func CalendarEventsForExpansion(ctx context.Context, q Querier, calendarID int64) ([]*CalendarEvent, error) {
	cols := strings.Replace(eventCols, "e.ics,", "'',", 1)
	return queryEvents(ctx, q, "SELECT "+cols+" FROM calendar_events e WHERE e.calendar_id = ? ORDER BY e.uid, e.recurrence_id", calendarID)
}

// SetObjectVersion stamps every row of a calendar object with its new
// etag and the calendar's seq.
func SetObjectVersion(ctx context.Context, q Querier, calendarID int64, uid, etag string, seq int64) error {
	_, err := q.ExecContext(ctx, "UPDATE calendar_events SET etag = ?, seq = ? WHERE calendar_id = ? AND uid = ?", etag, seq, calendarID, uid)
	if err != nil {
		return err
	}
	_, err = q.ExecContext(ctx, "DELETE FROM calendar_tombstones WHERE calendar_id = ? AND uid = ?", calendarID, uid)
	return err
}

// DeleteEventRow removes one row (an override, or a series' row before
// it is written again).
func DeleteEventRow(ctx context.Context, q Querier, id int64) error {
	res, err := q.ExecContext(ctx, "DELETE FROM calendar_events WHERE id = ?", id)
	return exactlyOne(res, err)
}

// DeleteObject removes every row of a calendar object and leaves a
// tombstone at seq. No rows: ErrNotFound.
func DeleteObject(ctx context.Context, q Querier, calendarID int64, uid string, seq int64, now time.Time) error {
	res, err := q.ExecContext(ctx, "DELETE FROM calendar_events WHERE calendar_id = ? AND uid = ?", calendarID, uid)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	_, err = q.ExecContext(ctx, `INSERT INTO calendar_tombstones (calendar_id, uid, seq, deleted_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (calendar_id, uid) DO UPDATE SET seq = excluded.seq, deleted_at = excluded.deleted_at`, calendarID, uid, seq, tsText(now))
	return err
}

// CalendarsWithTombstonesBefore lists the calendars holding deletions
// older than before.
func CalendarsWithTombstonesBefore(ctx context.Context, q Querier, before time.Time) ([]int64, error) {
	return int64s(q.QueryContext(ctx, "SELECT DISTINCT calendar_id FROM calendar_tombstones WHERE uid != '' AND deleted_at < ?", tsText(before)))
}

// PruneTombstones forgets the calendar's deletions older than before
// (a feed whose producer makes new UIDs at every download would otherwise
// grow them without end). What was forgotten is remembered as one row with
// the empty UID (no object has it) holding the newest seq pruned: changes
// since an older seq cannot be answered (TombstoneFloor).
func PruneTombstones(ctx context.Context, q Querier, calendarID int64, before time.Time) (int64, error) {
	var seq sql.NullInt64
	if err := q.QueryRowContext(ctx, "SELECT MAX(seq) FROM calendar_tombstones WHERE calendar_id = ? AND uid != '' AND deleted_at < ?",
		calendarID, tsText(before)).Scan(&seq); err != nil || !seq.Valid {
		return 0, err
	}
	res, err := q.ExecContext(ctx, "DELETE FROM calendar_tombstones WHERE calendar_id = ? AND uid != '' AND seq <= ?", calendarID, seq.Int64)
	if err != nil {
		return 0, err
	}
	if _, err := q.ExecContext(ctx, `INSERT INTO calendar_tombstones (calendar_id, uid, seq, deleted_at) VALUES (?, '', ?, ?)
		ON CONFLICT (calendar_id, uid) DO UPDATE SET seq = MAX(seq, excluded.seq), deleted_at = excluded.deleted_at`,
		calendarID, seq.Int64, tsText(before)); err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// TombstoneFloor is the newest seq whose deletions were forgotten (0:
// none).
func TombstoneFloor(ctx context.Context, q Querier, calendarID int64) (int64, error) {
	var seq int64
	err := q.QueryRowContext(ctx, "SELECT seq FROM calendar_tombstones WHERE calendar_id = ? AND uid = ''", calendarID).Scan(&seq)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	return seq, err
}

// CalendarChanges lists the uids of the objects changed and deleted after
// seq.
func CalendarChanges(ctx context.Context, q Querier, calendarID, seq int64) (changed, deleted []string, err error) {
	if changed, err = strs(q.QueryContext(ctx, "SELECT DISTINCT uid FROM calendar_events WHERE calendar_id = ? AND seq > ? ORDER BY uid", calendarID, seq)); err != nil {
		return nil, nil, err
	}
	deleted, err = strs(q.QueryContext(ctx, "SELECT uid FROM calendar_tombstones WHERE calendar_id = ? AND uid != '' AND seq > ? ORDER BY uid", calendarID, seq))
	return changed, deleted, err
}

func strs(rows *sql.Rows, err error) ([]string, error) { return column[string](rows, err) }

// column reads a one-column query's values ([] for none).
func column[T any](rows *sql.Rows, err error) ([]T, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []T{}
	for rows.Next() {
		var v T
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// UserCalendarEvents reads every event row of the user (the data export).
func UserCalendarEvents(ctx context.Context, q Querier, userID int64) ([]*CalendarEvent, error) {
	return queryEvents(ctx, q, "SELECT "+eventCols+` FROM calendar_events e JOIN calendars c ON c.id = e.calendar_id
		WHERE c.user_id = ? ORDER BY e.calendar_id, e.uid, e.recurrence_id`, userID)
}

// CalendarTables counts one user's rows in the calendar tables.
var CalendarTables = map[string]string{
	"calendars":           "SELECT COUNT(*) FROM calendars WHERE user_id = ?",
	"calendar_events":     "SELECT COUNT(*) FROM calendar_events WHERE calendar_id IN (SELECT id FROM calendars WHERE user_id = ?)",
	"calendar_tombstones": "SELECT COUNT(*) FROM calendar_tombstones WHERE calendar_id IN (SELECT id FROM calendars WHERE user_id = ?)",
}
