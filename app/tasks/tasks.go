// Package tasks is the tasks service: a user's tasks (one level of
// subtasks, tags, a category, a due date or date-time in the user's time
// zone, recurrence), their categories, and what is due. It takes plain Go
// values and knows nothing of HTTP.
//
// The methods other features call (quick add, opportunities, chat tools)
// are plain and stable:
//
//	Create(ctx, userID, tasks.Input) (*tasks.Task, error)      // the new task, with its ID
//	Get(ctx, userID, id) (*tasks.Task, error)                   // apperr 404 for another user's
//	Update(ctx, userID, id, tasks.Patch) (*tasks.Task, error)   // nil fields stay; completing a recurring task makes the next
//	List(ctx, userID, tasks.ListRequest) (*tasks.Page, error)   // filters, sort, page
//	Delete(ctx, userID, id) error                               // with its subtasks
//
// Errors are apperr values: validation names the field (title, due,
// status, priority, parent_id, category_id, recurrence, tags, ...).
package tasks

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"log/slog"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
	_ "time/tzdata" // users' time zones work on systems without zoneinfo
	"unicode"
	"unicode/utf8"

	"github.com/aiwfe/aiwfe/app/apperr"
	"github.com/aiwfe/aiwfe/store"
)

// Limits of what a task holds.
const (
	MaxTitleChars   = 500
	MaxNotesChars   = 100_000
	MaxTags         = 20
	MaxTagChars     = 50
	MaxMinutes      = 100_000
	MaxSourceRef    = 2048
	MaxPerPage      = 100
	MaxBulk         = 500
	MaxCategoryName = 100
)

// Statuses.
const (
	StatusTodo       = "todo"
	StatusInProgress = "in_progress"
	StatusDone       = "done"
	StatusCancelled  = "cancelled"
)

// Sources: where a task came from.
const (
	SourceManual      = "manual"
	SourceOpportunity = "opportunity"
	SourceAssessment  = "assessment"
	SourceChat        = "chat"
)

var statuses = []string{StatusTodo, StatusInProgress, StatusDone, StatusCancelled}

// Priorities, lowest first: the index is what the store keeps.
var Priorities = []string{"none", "low", "medium", "high", "urgent"}

var sources = []string{SourceManual, SourceOpportunity, SourceAssessment, SourceChat}

// Deps are what the service needs.
type Deps struct {
	Store *store.Store
	Log   *slog.Logger
	Now   func() time.Time
	// User reads a user's row (for users.timezone).
	User func(ctx context.Context, id int64) (*store.User, error)
}

// Service is the tasks service.
type Service struct {
	store *store.Store
	log   *slog.Logger
	now   func() time.Time
	user  func(ctx context.Context, id int64) (*store.User, error)
}

// New builds the service.
func New(d Deps) *Service {
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	if d.User == nil {
		d.User = func(ctx context.Context, id int64) (*store.User, error) { return store.UserByID(ctx, d.Store.DB, id) }
	}
	return &Service{store: d.Store, log: d.Log, now: d.Now, user: d.User}
}

// Task is a task as clients see it.
type Task struct {
	ID       int64  `json:"id"`
	Title    string `json:"title"`
	Notes    string `json:"notes"`
	Status   string `json:"status"`
	Priority string `json:"priority"`
	// Due is a date ("2026-12-31") or a date-time in the user's zone
	// ("2026-12-31T09:00:00+01:00"); null for none.
	Due *string `json:"due"`
	// DueAt is the instant due orders by: the date-time, or the start of
	// the day in the user's zone.
	DueAt *time.Time `json:"due_at"`
	// AllDay: due on a day, not at a time.
	AllDay bool `json:"all_day"`
	// Overdue: open and past its due date-time (or its day has ended).
	Overdue          bool     `json:"overdue"`
	EstimatedMinutes *int     `json:"estimated_minutes"`
	CategoryID       *int64   `json:"category_id"`
	Tags             []string `json:"tags"`
	ParentID         *int64   `json:"parent_id"`
	SubtaskCount     int      `json:"subtask_count"`
	Position         float64  `json:"position"`
	// Recurrence is the RRULE ("" for none).
	Recurrence string `json:"recurrence"`
	// NextTaskID is the occurrence made when this one was completed.
	NextTaskID  *int64     `json:"next_task_id"`
	CompletedAt *time.Time `json:"completed_at"`
	Source      string     `json:"source"`
	// SourceRef links back to where the task came from, e.g.
	// {"conversation_id":1,"message_id":2}, {"document_id":3,"page":4},
	// {"event_id":5}; {} for none.
	SourceRef json.RawMessage `json:"source_ref"`
	CreatedAt time.Time       `json:"created_at"`
	UpdatedAt time.Time       `json:"updated_at"`
}

// Input is a new task. Zero values are the defaults: status todo,
// priority none, no due, source manual, appended at the end of its list.
type Input struct {
	Title    string `json:"title"`
	Notes    string `json:"notes"`
	Status   string `json:"status"`
	Priority string `json:"priority"`
	// Due is a date (2026-12-31), a date-time in the user's zone
	// (2026-12-31T09:00) or one with an offset (RFC 3339).
	Due string `json:"due"`
	// EstimatedMinutes: nil or 0 for none.
	EstimatedMinutes *int     `json:"estimated_minutes"`
	CategoryID       *int64   `json:"category_id"`
	Tags             []string `json:"tags"`
	ParentID         *int64   `json:"parent_id"`
	Position         *float64 `json:"position"`
	// Recurrence is an RRULE in the subset ParseRule accepts; it needs a
	// due.
	Recurrence string         `json:"recurrence"`
	Source     string         `json:"source"`
	SourceRef  map[string]any `json:"source_ref"`
}

// Patch changes a task: a nil field stays as it is. To clear: Due "",
// EstimatedMinutes 0, CategoryID 0, ParentID 0, Recurrence "".
type Patch struct {
	Title            *string   `json:"title"`
	Notes            *string   `json:"notes"`
	Status           *string   `json:"status"`
	Priority         *string   `json:"priority"`
	Due              *string   `json:"due"`
	EstimatedMinutes *int      `json:"estimated_minutes"`
	CategoryID       *int64    `json:"category_id"`
	Tags             *[]string `json:"tags"`
	ParentID         *int64    `json:"parent_id"`
	Position         *float64  `json:"position"`
	Recurrence       *string   `json:"recurrence"`
}

// zone is the user's time zone (UTC when unset or unknown).
func (s *Service) zone(ctx context.Context, userID int64) (*time.Location, error) {
	u, err := s.user(ctx, userID)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return nil, apperr.NotFound("user")
		}
		return nil, err
	}
	return location(u.Timezone), nil
}

// location is the zone named (UTC when empty or unknown).
func location(name string) *time.Location {
	if loc, err := time.LoadLocation(name); err == nil && name != "" {
		return loc
	}
	return time.UTC
}

// Create adds a task for the user and returns it with its id.
func (s *Service) Create(ctx context.Context, userID int64, in Input) (*Task, error) {
	loc, err := s.zone(ctx, userID)
	if err != nil {
		return nil, err
	}
	now := s.now()
	t := &store.Task{UserID: userID, Status: StatusTodo, Source: SourceManual, SourceRef: "{}", Tags: []string{}}
	if in.Source != "" {
		if !slices.Contains(sources, in.Source) {
			return nil, apperr.Invalid("source", "source must be one of "+strings.Join(sources, ", "))
		}
		t.Source = in.Source
	}
	if in.SourceRef != nil {
		if t.SourceRef, err = sourceRef(in.SourceRef); err != nil {
			return nil, err
		}
	}
	// The zero values of Input are "not given": a Patch of the rest.
	p := Patch{Title: &in.Title, Notes: &in.Notes, Due: &in.Due, Recurrence: &in.Recurrence, EstimatedMinutes: in.EstimatedMinutes,
		CategoryID: in.CategoryID, ParentID: in.ParentID, Position: in.Position}
	if in.Status != "" {
		p.Status = &in.Status
	}
	if in.Priority != "" {
		p.Priority = &in.Priority
	}
	if in.Tags != nil {
		p.Tags = &in.Tags
	}
	err = s.store.WithTx(ctx, func(tx *sql.Tx) error {
		if err := apply(ctx, tx, t, p, loc, now); err != nil {
			return err
		}
		if in.Position == nil {
			last, err := store.MaxTaskPosition(ctx, tx, userID, t.ParentID)
			if err != nil {
				return err
			}
			t.Position = math.Floor(last) + 1
		}
		return store.InsertTask(ctx, tx, t, now)
	})
	if err != nil {
		return nil, err
	}
	return s.Get(ctx, userID, t.ID)
}

// Get reads one of the user's tasks.
func (s *Service) Get(ctx context.Context, userID, id int64) (*Task, error) {
	loc, err := s.zone(ctx, userID)
	if err != nil {
		return nil, err
	}
	t, err := store.GetTask(ctx, s.store.DB, userID, id)
	if err != nil {
		return nil, apperr.FromStore(err, "task")
	}
	return view(t, loc, s.now()), nil
}

// Update changes one of the user's tasks. Completing a recurring task
// (status done) creates its next occurrence, in the same transaction;
// the result's NextTaskID names it.
func (s *Service) Update(ctx context.Context, userID, id int64, p Patch) (*Task, error) {
	loc, err := s.zone(ctx, userID)
	if err != nil {
		return nil, err
	}
	err = s.store.WithTx(ctx, func(tx *sql.Tx) error { return s.update(ctx, tx, userID, id, p, loc) })
	if err != nil {
		return nil, err
	}
	return s.Get(ctx, userID, id)
}

func (s *Service) update(ctx context.Context, tx *sql.Tx, userID, id int64, p Patch, loc *time.Location) error {
	now := s.now()
	t, err := store.GetTask(ctx, tx, userID, id)
	if err != nil {
		return apperr.FromStore(err, "task")
	}
	wasDone := t.Status == StatusDone
	if err := apply(ctx, tx, t, p, loc, now); err != nil {
		return err
	}
	if t.Status == StatusDone && !wasDone && t.Recurrence != "" && t.NextTaskID == nil {
		if err := s.nextOccurrence(ctx, tx, t, loc, now); err != nil {
			return err
		}
	}
	return store.UpdateTask(ctx, tx, t, now)
}

// apply checks p and sets what it gives on t (the user's category and
// parent looked up in q). A new rule or a new due restarts the series
// from the due.
func apply(ctx context.Context, q store.Querier, t *store.Task, p Patch, loc *time.Location, now time.Time) error {
	oldDue := t.DueDate + dueAtText(t.DueAt)
	for _, set := range []func() error{
		func() error { return ifSet(p.Title, func(v string) error { return setTitle(t, v) }) },
		func() error { return ifSet(p.Notes, func(v string) error { return setNotes(t, v) }) },
		func() error { return ifSet(p.Status, func(v string) error { return setStatus(t, v, now) }) },
		func() error { return ifSet(p.Priority, func(v string) error { return setPriority(t, v) }) },
		func() error { return ifSet(p.Due, func(v string) error { return setDue(t, v, loc) }) },
		func() error { return ifSet(p.EstimatedMinutes, func(v int) error { return setMinutes(t, v) }) },
		func() error { return ifSet(p.Tags, func(v []string) error { return setTags(t, v) }) },
		func() error { return ifSet(p.Position, func(v float64) error { return setPosition(t, v) }) },
		func() error { return ifSet(p.CategoryID, func(v int64) error { return setCategory(ctx, q, t, v) }) },
		func() error { return ifSet(p.ParentID, func(v int64) error { return setParent(ctx, q, t, v) }) },
	} {
		if err := set(); err != nil {
			return err
		}
	}
	if p.Recurrence != nil || t.DueDate+dueAtText(t.DueAt) != oldDue {
		rule := t.Recurrence
		if p.Recurrence != nil {
			rule = *p.Recurrence
		}
		return setRecurrence(t, rule, loc, p.Recurrence != nil)
	}
	return nil
}

// ifSet runs set with *v unless v is nil.
func ifSet[T any](v *T, set func(T) error) error {
	if v == nil {
		return nil
	}
	return set(*v)
}

// nextOccurrence adds the task that follows t in its series (unless the
// series has ended) and links t to it.
func (s *Service) nextOccurrence(ctx context.Context, tx *sql.Tx, t *store.Task, loc *time.Location, now time.Time) error {
	due, ok := nextDue(t, loc, now)
	if !ok {
		return nil
	}
	n := *t
	n.ID, n.Status, n.CompletedAt, n.NextTaskID = 0, StatusTodo, nil, nil
	n.DueAt = &due
	n.DueDate = ""
	if t.DueDate != "" {
		n.DueDate = due.In(loc).Format(time.DateOnly)
	}
	n.Tags = append([]string(nil), t.Tags...)
	if err := store.InsertTask(ctx, tx, &n, now); err != nil {
		return err
	}
	t.NextTaskID = &n.ID
	return nil
}

// nextDue is when the occurrence after t falls: the first after t's due
// that is not overdue already (a date not before today, a date-time not
// before now), so completing a task late makes no overdue ones.
func nextDue(t *store.Task, loc *time.Location, now time.Time) (time.Time, bool) {
	rule, err := ParseRule(t.Recurrence)
	if err != nil || t.DueAt == nil {
		return time.Time{}, false
	}
	today := now.In(loc)
	if t.DueDate != "" {
		// A date recurs as a date: expanded at UTC midnight, so no zone
		// moves it to another day.
		anchor, err1 := time.Parse(time.DateOnly, t.RecurrenceAnchor)
		prev, err2 := time.Parse(time.DateOnly, t.DueDate)
		if err1 != nil || err2 != nil {
			return time.Time{}, false
		}
		floor := time.Date(today.Year(), today.Month(), today.Day(), 0, 0, 0, 0, time.UTC)
		next, ok := rule.Next(anchor, prev, floor)
		if !ok {
			return time.Time{}, false
		}
		return time.Date(next.Year(), next.Month(), next.Day(), 0, 0, 0, 0, loc), true
	}
	anchor, err := time.Parse(time.RFC3339Nano, t.RecurrenceAnchor)
	if err != nil {
		return time.Time{}, false
	}
	return rule.Next(anchor.In(loc), t.DueAt.In(loc), now.In(loc))
}

// Rezone moves the order key (due_at) of the user's tasks due on a date
// to the start of that day in zone, the user's new time zone, inside the
// transaction that changes it (users.Deps.TimezoneChanged).
func (s *Service) Rezone(ctx context.Context, tx *sql.Tx, userID int64, zone string) error {
	loc := location(zone)
	dates, err := store.TaskDueDates(ctx, tx, userID)
	if err != nil {
		return err
	}
	for _, d := range dates {
		_, at, err := ParseDue(d, loc)
		if err != nil || at == nil {
			continue // not a date this binary wrote; leave it
		}
		if err := store.SetTaskDateDueAt(ctx, tx, userID, d, *at); err != nil {
			return err
		}
	}
	return nil
}

// Delete removes one of the user's tasks with its subtasks.
func (s *Service) Delete(ctx context.Context, userID, id int64) error {
	return apperr.FromStore(store.DeleteTask(ctx, s.store.DB, userID, id), "task")
}

func dueAtText(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}

// view turns a row into what clients see, the due in the user's zone.
func view(t *store.Task, loc *time.Location, now time.Time) *Task {
	v := &Task{
		ID: t.ID, Title: t.Title, Notes: t.Notes, Status: t.Status, Priority: priorityName(t.Priority),
		EstimatedMinutes: t.EstimatedMinutes, CategoryID: t.CategoryID, Tags: t.Tags, ParentID: t.ParentID,
		SubtaskCount: t.SubtaskCount, Position: t.Position, Recurrence: t.Recurrence, NextTaskID: t.NextTaskID,
		CompletedAt: t.CompletedAt, Source: t.Source, SourceRef: json.RawMessage(t.SourceRef),
		CreatedAt: t.CreatedAt, UpdatedAt: t.UpdatedAt, DueAt: t.DueAt,
	}
	if v.Tags == nil {
		v.Tags = []string{}
	}
	if t.DueAt != nil {
		var due string
		if t.DueDate != "" {
			due, v.AllDay = t.DueDate, true
		} else {
			due = t.DueAt.In(loc).Format(time.RFC3339)
		}
		v.Due = &due
		v.Overdue = overdue(t, loc, now)
	}
	return v
}

// overdue: open, and its date-time has passed or its day has ended in
// the user's zone.
func overdue(t *store.Task, loc *time.Location, now time.Time) bool {
	if t.DueAt == nil || (t.Status != StatusTodo && t.Status != StatusInProgress) {
		return false
	}
	if t.DueDate != "" {
		return t.DueDate < now.In(loc).Format(time.DateOnly)
	}
	return t.DueAt.Before(now)
}

func priorityName(p int) string {
	if p < 0 || p >= len(Priorities) {
		return Priorities[0]
	}
	return Priorities[p]
}

func setTitle(t *store.Task, title string) error {
	title = strings.TrimSpace(title)
	switch {
	case title == "":
		return apperr.Invalid("title", "title must not be empty")
	case utf8.RuneCountInString(title) > MaxTitleChars:
		return apperr.Invalid("title", "title must be at most "+strconv.Itoa(MaxTitleChars)+" characters")
	case strings.ContainsFunc(title, func(r rune) bool { return unicode.IsControl(r) }):
		return apperr.Invalid("title", "title must be one line without control characters")
	}
	t.Title = title
	return nil
}

func setNotes(t *store.Task, notes string) error {
	if utf8.RuneCountInString(notes) > MaxNotesChars {
		return apperr.Invalid("notes", "notes must be at most "+strconv.Itoa(MaxNotesChars)+" characters")
	}
	if strings.ContainsRune(notes, 0) {
		return apperr.Invalid("notes", "notes must not contain NUL characters")
	}
	t.Notes = notes
	return nil
}

func setStatus(t *store.Task, status string, now time.Time) error {
	if !slices.Contains(statuses, status) {
		return apperr.Invalid("status", "status must be one of "+strings.Join(statuses, ", "))
	}
	switch {
	case status == StatusDone && t.Status != StatusDone:
		done := now.UTC()
		t.CompletedAt = &done
	case status != StatusDone:
		t.CompletedAt = nil
	}
	t.Status = status
	return nil
}

func setPriority(t *store.Task, p string) error {
	for i, name := range Priorities {
		if name == p {
			t.Priority = i
			return nil
		}
	}
	return apperr.Invalid("priority", "priority must be one of "+strings.Join(Priorities, ", "))
}

// Accepted forms of due without an offset: read in the user's zone.
var localLayouts = []string{"2006-01-02T15:04", "2006-01-02T15:04:05", "2006-01-02 15:04", "2006-01-02 15:04:05"}

// ParseDue reads a due: "" (none), a date (2026-12-31), a date-time in
// loc (2026-12-31T09:00) or one with an offset (RFC 3339). It returns the
// date (empty for a date-time) and the instant due orders by.
func ParseDue(s string, loc *time.Location) (date string, at *time.Time, err error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", nil, nil
	}
	bad := apperr.Invalid("due", "due must be a date (2026-12-31) or a date-time (2026-12-31T09:00, optionally with an offset)")
	var t time.Time
	switch {
	case len(s) == len(time.DateOnly):
		d, e := time.Parse(time.DateOnly, s)
		if e != nil {
			return "", nil, bad
		}
		date = s
		t = time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, loc)
	default:
		var e error
		if t, e = time.Parse(time.RFC3339, s); e != nil {
			for _, l := range localLayouts {
				if t, e = time.ParseInLocation(l, s, loc); e == nil {
					break
				}
			}
		}
		if e != nil {
			return "", nil, bad
		}
	}
	if y := t.Year(); y < 1900 || y > 2200 {
		return "", nil, apperr.Invalid("due", "due must be between the years 1900 and 2200")
	}
	t = t.UTC()
	return date, &t, nil
}

func setDue(t *store.Task, due string, loc *time.Location) error {
	date, at, err := ParseDue(due, loc)
	if err != nil {
		return err
	}
	t.DueDate, t.DueAt = date, at
	return nil
}

func setMinutes(t *store.Task, m int) error {
	if m < 0 || m > MaxMinutes {
		return apperr.Invalid("estimated_minutes", "estimated_minutes must be from 0 to "+strconv.Itoa(MaxMinutes))
	}
	t.EstimatedMinutes = nil
	if m > 0 {
		t.EstimatedMinutes = &m
	}
	return nil
}

// setTags keeps tags trimmed, lower case, once each, in the order given.
func setTags(t *store.Task, tags []string) error {
	out := []string{}
	for _, tag := range tags {
		tag = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(tag), "#")))
		switch {
		case tag == "":
			return apperr.Invalid("tags", "a tag must not be empty")
		case utf8.RuneCountInString(tag) > MaxTagChars:
			return apperr.Invalid("tags", "a tag must be at most "+strconv.Itoa(MaxTagChars)+" characters")
		case strings.ContainsFunc(tag, func(r rune) bool { return unicode.IsControl(r) || r == ',' }):
			return apperr.Invalid("tags", "a tag must not contain commas or control characters")
		}
		if !slices.Contains(out, tag) {
			out = append(out, tag)
		}
	}
	if len(out) > MaxTags {
		return apperr.Invalid("tags", "a task has at most "+strconv.Itoa(MaxTags)+" tags")
	}
	t.Tags = out
	return nil
}

func setPosition(t *store.Task, p float64) error {
	if math.IsNaN(p) || math.IsInf(p, 0) || math.Abs(p) > 1e12 {
		return apperr.Invalid("position", "position must be a number between -1e12 and 1e12")
	}
	t.Position = p
	return nil
}

// setRecurrence sets the rule (normalised) and anchors the series at the
// task's due; a rule needs a due, and a rule given (checkNext) a date
// after it.
func setRecurrence(t *store.Task, rule string, loc *time.Location, checkNext bool) error {
	if strings.TrimSpace(rule) == "" {
		t.Recurrence, t.RecurrenceAnchor = "", ""
		return nil
	}
	r, err := ParseRule(rule)
	if err != nil {
		return apperr.Invalid("recurrence", "recurrence: "+err.Error())
	}
	if t.DueAt == nil {
		return apperr.Invalid("recurrence", "a recurring task needs a due date")
	}
	t.Recurrence = r.String()
	t.RecurrenceAnchor = t.DueDate
	if t.DueDate == "" {
		t.RecurrenceAnchor = dueAtText(t.DueAt)
	}
	// A rule given with no date after the due (30 February, an UNTIL
	// already past) would never make a next task. (A new due under the
	// same rule may well be the series' last.)
	if checkNext {
		if _, ok := nextDue(t, loc, time.Time{}); !ok {
			return apperr.Invalid("recurrence", "recurrence: the rule has no date after the due")
		}
	}
	return nil
}

// sourceRef checks the link back (an object of scalar values) and
// writes it as JSON.
func sourceRef(ref map[string]any) (string, error) {
	for k, v := range ref {
		if k == "" || len(k) > 64 {
			return "", apperr.Invalid("source_ref", "source_ref keys must be 1 to 64 characters")
		}
		switch v.(type) {
		case string, float64, int, int64, json.Number, bool, nil:
		default:
			return "", apperr.Invalid("source_ref", "source_ref values must be strings, numbers or booleans")
		}
	}
	b, err := json.Marshal(ref)
	if err != nil {
		return "", apperr.Invalid("source_ref", "source_ref must be a JSON object")
	}
	if len(b) > MaxSourceRef {
		return "", apperr.Invalid("source_ref", "source_ref must be at most "+strconv.Itoa(MaxSourceRef)+" bytes")
	}
	return string(b), nil
}

// setCategory files t under one of its user's categories (0: none).
func setCategory(ctx context.Context, q store.Querier, t *store.Task, id int64) error {
	t.CategoryID = nil
	if id == 0 {
		return nil
	}
	if _, err := store.GetTaskCategory(ctx, q, t.UserID, id); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return apperr.Invalid("category_id", "no such category")
		}
		return err
	}
	t.CategoryID = &id
	return nil
}

// setParent makes t a subtask of parentID (0: top level). One level of
// subtasks: the parent is the user's, not t itself, not a subtask, and t
// has no subtasks of its own.
func setParent(ctx context.Context, q store.Querier, t *store.Task, parentID int64) error {
	t.ParentID = nil
	if parentID == 0 {
		return nil
	}
	if parentID == t.ID {
		return apperr.Invalid("parent_id", "a task cannot be its own parent")
	}
	parent, err := store.GetTask(ctx, q, t.UserID, parentID)
	if errors.Is(err, store.ErrNotFound) {
		return apperr.Invalid("parent_id", "no such task")
	}
	if err != nil {
		return err
	}
	if parent.ParentID != nil {
		return apperr.Invalid("parent_id", "the parent is itself a subtask: subtasks go one level deep")
	}
	if t.SubtaskCount > 0 {
		return apperr.Invalid("parent_id", "this task has subtasks, so it cannot become one")
	}
	t.ParentID = &parentID
	return nil
}
