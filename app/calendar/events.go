package calendar

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"net/mail"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/aiwfe/aiwfe/app/apperr"
	"github.com/aiwfe/aiwfe/store"
)

// Scopes of a change to a recurring series.
const (
	ScopeAll       = "all"
	ScopeThis      = "this"
	ScopeFollowing = "following"
)

// Event is a stored event as the API shows it: a series (or single event)
// with its overrides, or one override.
type Event struct {
	ID           int64            `json:"id"`
	CalendarID   int64            `json:"calendar_id"`
	UID          string           `json:"uid"`
	RecurrenceID string           `json:"recurrence_id,omitempty"`
	Title        string           `json:"title"`
	Description  string           `json:"description"`
	Location     string           `json:"location"`
	Status       string           `json:"status"`
	AllDay       bool             `json:"all_day"`
	Start        string           `json:"start"`
	End          string           `json:"end"`
	Timezone     string           `json:"timezone"`
	RRule        string           `json:"rrule"`
	RDates       []string         `json:"rdates"`
	ExDates      []string         `json:"exdates"`
	Category     string           `json:"category"`
	Weight       int              `json:"weight"`
	Reminders    []int            `json:"reminders"`
	Attendees    []store.Attendee `json:"attendees"`
	Sequence     int              `json:"sequence"`
	ETag         string           `json:"etag"`
	ReadOnly     bool             `json:"read_only"`
	Overrides    []Event          `json:"overrides,omitempty"`
	// ICS is the VEVENT's iCalendar text (the data export only).
	ICS       string    `json:"ics,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

func eventView(r *store.CalendarEvent, cal *store.Calendar) Event {
	floating := calendarZone(cal)
	inst := Instance{}
	inst.startEnd(r, floating, time.Time{}, time.Time{}, time.Time{})
	return Event{ID: r.ID, CalendarID: r.CalendarID, UID: r.UID, RecurrenceID: r.RecurrenceID, Title: r.Title, Description: r.Description,
		Location: r.Location, Status: r.Status, AllDay: r.AllDay, Start: inst.Start, End: inst.End, Timezone: r.Timezone, RRule: r.RRule,
		RDates: nonNil(r.RDates), ExDates: nonNil(r.ExDates), Category: r.Category, Weight: r.Weight, Reminders: nonNil(r.Reminders),
		Attendees: nonNil(r.Attendees), Sequence: r.Sequence, ETag: r.ETag, ReadOnly: cal.Source != store.CalendarLocal,
		CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
}

// EventInput creates or changes an event; nil leaves a field be.
//
// Start and End are dates (YYYY-MM-DD, End exclusive) for all-day
// events, else wall times (YYYY-MM-DDTHH:MM[:SS]) in Timezone, or
// RFC 3339 instants (shown in Timezone). Timezone defaults to the
// calendar's; End to an hour (a day) after Start. In an update,
// CalendarID moves the whole object to another local calendar.
type EventInput struct {
	CalendarID  *int64            `json:"calendar_id"`
	Title       *string           `json:"title"`
	Description *string           `json:"description"`
	Location    *string           `json:"location"`
	Status      *string           `json:"status"`
	AllDay      *bool             `json:"all_day"`
	Start       *string           `json:"start"`
	End         *string           `json:"end"`
	Timezone    *string           `json:"timezone"`
	RRule       *string           `json:"rrule"`
	RDates      *[]string         `json:"rdates"`
	ExDates     *[]string         `json:"exdates"`
	Category    *string           `json:"category"`
	Weight      *int              `json:"weight"`
	Reminders   *[]int            `json:"reminders"`
	Attendees   *[]store.Attendee `json:"attendees"`
}

// Change is what UpdateEvent and DeleteEvent apply to: a series as a
// whole (ScopeAll, the default), one instance (ScopeThis) or an instance
// and every later one (ScopeFollowing), named by its recurrence id.
type Change struct {
	Scope        string
	RecurrenceID string
}

// CreateEvent adds an event (a series when RRule or RDates is given) to
// one of the user's local calendars.
func (s *Service) CreateEvent(ctx context.Context, userID int64, in EventInput) (*Event, error) {
	if in.CalendarID == nil {
		return nil, apperr.Invalid("calendar_id", "say which calendar the event goes in")
	}
	if in.Start == nil {
		return nil, apperr.Invalid("start", "an event needs a start")
	}
	var out Event
	err := s.store.WithTx(ctx, func(tx *sql.Tx) error {
		cal, err := s.writable(ctx, tx, userID, *in.CalendarID)
		if err != nil {
			return err
		}
		r := &store.CalendarEvent{UID: newUID(), Status: StatusConfirmed, Weight: DefaultWeight, Timezone: cal.Timezone}
		in.CalendarID = nil
		if err := applyInput(r, in, cal, false); err != nil {
			return err
		}
		if _, err := s.saveObject(ctx, tx, cal, r.UID, []*store.CalendarEvent{r}, ""); err != nil {
			return err
		}
		out = eventView(r, cal)
		return nil
	})
	if err != nil {
		return nil, err
	}
	s.changed(userID, out.CalendarID, "events")
	if s.d.EventCreated != nil {
		s.d.EventCreated(ctx, userID, out)
	}
	return &out, nil
}

func newUID() string {
	b := make([]byte, 16)
	rand.Read(b)
	return hex.EncodeToString(b) + "@aiwfe"
}

// Event shows one event of the user: a series with its overrides, or one
// override.
func (s *Service) Event(ctx context.Context, userID, id int64) (*Event, error) {
	r, cal, rows, err := s.eventRows(ctx, s.store.DB, userID, id)
	if err != nil {
		return nil, err
	}
	v := eventView(r, cal)
	if r.RecurrenceID == "" {
		for _, o := range rows {
			if o.RecurrenceID != "" {
				v.Overrides = append(v.Overrides, eventView(o, cal))
			}
		}
	}
	return &v, nil
}

// eventRows reads an event row of the user with its calendar and every
// row of its object.
func (s *Service) eventRows(ctx context.Context, q store.Querier, userID, id int64) (*store.CalendarEvent, *store.Calendar, []*store.CalendarEvent, error) {
	r, err := store.GetCalendarEvent(ctx, q, userID, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil, nil, apperr.NotFound("event")
	}
	if err != nil {
		return nil, nil, nil, err
	}
	cal, err := s.calendar(ctx, q, userID, r.CalendarID)
	if err != nil {
		return nil, nil, nil, err
	}
	rows, err := store.ObjectEvents(ctx, q, r.CalendarID, r.UID)
	if err != nil {
		return nil, nil, nil, err
	}
	return r, cal, rows, nil
}

// series is an object being changed: its calendar, series row (nil for
// lone overrides) and overrides by recurrence id.
type series struct {
	cal       *store.Calendar
	master    *store.CalendarEvent
	overrides map[string]*store.CalendarEvent
	floating  *time.Location
}

// rows is the object's rows as stored: the series, then its overrides by
// recurrence id.
func (x *series) rows() []*store.CalendarEvent {
	var out []*store.CalendarEvent
	if x.master != nil {
		out = append(out, x.master)
	}
	for _, k := range slices.Sorted(maps.Keys(x.overrides)) {
		out = append(out, x.overrides[k])
	}
	return out
}

func (x *series) recurring() bool {
	return x.master != nil && (x.master.RRule != "" || len(x.master.RDates) > 0)
}

// load reads the object of event id for a change, and settles the scope:
// an override row is always "this"; a single event always "all".
func (s *Service) load(ctx context.Context, tx *sql.Tx, userID, id int64, ch *Change) (*series, error) {
	r, cal, rows, err := s.eventRows(ctx, tx, userID, id)
	if err != nil {
		return nil, err
	}
	if cal.Source != store.CalendarLocal {
		return nil, ErrReadOnly
	}
	x := &series{cal: cal, overrides: map[string]*store.CalendarEvent{}, floating: calendarZone(cal)}
	for _, o := range rows {
		if o.RecurrenceID == "" {
			x.master = o
		} else {
			x.overrides[o.RecurrenceID] = o
		}
	}
	switch ch.Scope {
	case "":
		ch.Scope = ScopeAll
	case ScopeAll, ScopeThis, ScopeFollowing:
	default:
		return nil, apperr.Invalid("scope", `scope must be "all", "this" or "following"`)
	}
	if r.RecurrenceID != "" {
		ch.Scope, ch.RecurrenceID = ScopeThis, r.RecurrenceID
		return x, nil
	}
	if !x.recurring() {
		ch.Scope = ScopeAll
		return x, nil
	}
	if ch.Scope != ScopeAll {
		if ch.RecurrenceID == "" {
			return nil, apperr.Invalid("recurrence_id", "say which instance (its recurrence_id) the change is for")
		}
		t, _, err := parseKey(ch.RecurrenceID)
		if err != nil {
			return nil, apperr.Invalid("recurrence_id", "not a recurrence id of this series")
		}
		ch.RecurrenceID = keyOf(t, x.master.AllDay) // one spelling of the instant
		if x.overrides[ch.RecurrenceID] == nil && !s.isInstance(x, t) {
			return nil, apperr.Invalid("recurrence_id", "the series has no instance at "+ch.RecurrenceID)
		}
	}
	return x, nil
}

func (s *Service) isInstance(x *series, t time.Time) bool {
	rec, err := recurrenceOf(x.master, x.floating)
	if err != nil {
		return false
	}
	got, err := s.exp.Between(rec, t, t.Add(time.Second), 1)
	return err == nil && len(got) == 1
}

// UpdateEvent changes an event: a series as a whole, one instance of it
// (an override) or an instance and every later one (the series is split
// in two there; the answer is the new series).
func (s *Service) UpdateEvent(ctx context.Context, userID, id int64, ch Change, in EventInput) (*Event, error) {
	var out Event
	var movedFrom int64
	err := s.store.WithTx(ctx, func(tx *sql.Tx) error {
		x, err := s.load(ctx, tx, userID, id, &ch)
		if err != nil {
			return err
		}
		if in.CalendarID != nil && *in.CalendarID != x.cal.ID {
			if movedFrom, err = s.move(ctx, tx, userID, x, *in.CalendarID, ch); err != nil {
				return err
			}
		}
		in.CalendarID = nil
		var r *store.CalendarEvent
		switch ch.Scope {
		case ScopeAll:
			r = x.master
			oldStart := r.StartAt
			if err := applyInput(r, in, x.cal, false); err != nil {
				return err
			}
			r.Sequence++
			x.shift(r.StartAt.Sub(oldStart))
			if !x.recurring() {
				// No longer a series: its overrides have no instance.
				x.overrides = map[string]*store.CalendarEvent{}
			}
			if _, err := s.saveObject(ctx, tx, x.cal, r.UID, x.rows(), ""); err != nil {
				return err
			}
		case ScopeThis:
			r = x.overrides[ch.RecurrenceID]
			if r == nil {
				r = x.instanceRow(ch.RecurrenceID)
				x.overrides[ch.RecurrenceID] = r
			}
			if err := applyInput(r, in, x.cal, true); err != nil {
				return err
			}
			r.Sequence++
			if _, err := s.saveObject(ctx, tx, x.cal, r.UID, x.rows(), ""); err != nil {
				return err
			}
		case ScopeFollowing:
			if r, err = s.splitAt(ctx, tx, x, ch.RecurrenceID); err != nil {
				return err
			}
			if err := applyInput(r, in, x.cal, false); err != nil {
				return err
			}
			tail := &series{cal: x.cal, master: r, overrides: map[string]*store.CalendarEvent{}, floating: x.floating}
			for rid, o := range x.overrides {
				if o.UID == r.UID {
					tail.overrides[rid] = o
				}
			}
			if _, err := s.saveObject(ctx, tx, x.cal, r.UID, tail.rows(), ""); err != nil {
				return err
			}
		}
		out = eventView(r, x.cal)
		return nil
	})
	if err != nil {
		return nil, err
	}
	s.changed(userID, out.CalendarID, "events")
	if movedFrom != 0 {
		s.changed(userID, movedFrom, "events")
	}
	return &out, nil
}

// move takes a whole object to another of the user's local calendars
// (deleted from the first, with a tombstone for sync; the caller saves it
// in the second) and returns the calendar it left.
func (s *Service) move(ctx context.Context, tx *sql.Tx, userID int64, x *series, to int64, ch Change) (int64, error) {
	if ch.Scope != ScopeAll || x.master == nil {
		return 0, apperr.Invalid("calendar_id", `only a whole event or series moves to another calendar (scope "all")`)
	}
	target, err := s.writable(ctx, tx, userID, to)
	if err != nil {
		return 0, err
	}
	uid := x.master.UID
	if there, err := store.ObjectEvents(ctx, tx, target.ID, uid); err != nil {
		return 0, err
	} else if len(there) > 0 {
		return 0, apperr.Conflict("the other calendar already holds an event with this UID")
	}
	if err := s.deleteObject(ctx, tx, x.cal, uid); err != nil {
		return 0, err
	}
	from := x.cal.ID
	x.cal, x.floating = target, calendarZone(target)
	return from, nil
}

// DeleteEvent deletes an event: a whole series, one instance (EXDATE) or
// an instance and every later one (the series ends before it).
func (s *Service) DeleteEvent(ctx context.Context, userID, id int64, ch Change) error {
	var calID int64
	var gone []int64
	err := s.store.WithTx(ctx, func(tx *sql.Tx) error {
		x, err := s.load(ctx, tx, userID, id, &ch)
		if err != nil {
			return err
		}
		calID = x.cal.ID
		uid := x.rows()[0].UID
		switch {
		case ch.Scope == ScopeAll || ch.Scope == ScopeFollowing && x.isFirst(ch.RecurrenceID):
			gone = rowIDs(x.rows())
			return s.deleteObject(ctx, tx, x.cal, uid)
		case ch.Scope == ScopeThis:
			delete(x.overrides, ch.RecurrenceID)
			if x.master == nil {
				if len(x.overrides) == 0 {
					return s.deleteObject(ctx, tx, x.cal, uid)
				}
			} else {
				x.master.RDates = without(x.master.RDates, ch.RecurrenceID)
				if !contains(x.master.ExDates, ch.RecurrenceID) && s.isInstanceKey(x, ch.RecurrenceID) {
					x.master.ExDates = append(x.master.ExDates, ch.RecurrenceID)
				}
				x.master.Sequence++
			}
			_, err := s.saveObject(ctx, tx, x.cal, uid, x.rows(), "")
			return err
		default: // following
			if err := s.truncate(x, ch.RecurrenceID); err != nil {
				return err
			}
			_, err := s.saveObject(ctx, tx, x.cal, uid, x.rows(), "")
			return err
		}
	})
	if err == nil {
		s.changed(userID, calID, "events")
		s.deleted(ctx, userID, gone)
	}
	return err
}

func (s *Service) isInstanceKey(x *series, key string) bool {
	t, _, err := parseKey(key)
	return err == nil && s.isInstance(x, t)
}

func (x *series) isFirst(rid string) bool {
	return x.master != nil && keyOf(mustStart(x.master, x.floating), x.master.AllDay) == rid
}

func mustStart(r *store.CalendarEvent, floating *time.Location) time.Time {
	t, _ := rowStart(r, rowZone(r, floating))
	return t
}

// instanceRow is a new override for the instance rid, made from the
// series (its extra properties and alarms included).
func (x *series) instanceRow(rid string) *store.CalendarEvent {
	m := x.master
	o := *m
	o.ID, o.RecurrenceID, o.RRule, o.RDates, o.ExDates = 0, rid, "", nil, nil
	t, _, _ := parseKey(rid)
	loc := rowZone(m, x.floating)
	start := t.In(loc)
	setTimes(&o, start, start.Add(m.EndAt.Sub(m.StartAt)), x.floating)
	if m.AllDay {
		setTimes(&o, t, t.AddDate(0, 0, daysOf(m)), nil)
	}
	return &o
}

func daysOf(r *store.CalendarEvent) int {
	return max(int(r.EndAt.Sub(r.StartAt).Hours()/24+0.5), 1)
}

// shift moves the overrides' and exceptions' instance keys with a series
// whose start moved by d, so they stay on their instances.
func (x *series) shift(d time.Duration) {
	if d == 0 || x.master == nil {
		return
	}
	move := func(k string) string {
		t, allDay, err := parseKey(k)
		if err != nil {
			return k
		}
		return keyOf(t.Add(d), allDay)
	}
	for i, k := range x.master.ExDates {
		x.master.ExDates[i] = move(k)
	}
	moved := map[string]*store.CalendarEvent{}
	for k, o := range x.overrides {
		o.RecurrenceID = move(k)
		moved[o.RecurrenceID] = o
	}
	x.overrides = moved
}

// truncate ends the series before the instance rid: UNTIL just before
// it, later RDATEs, EXDATEs and overrides dropped.
func (s *Service) truncate(x *series, rid string) error {
	m := x.master
	t, _, err := parseKey(rid)
	if err != nil {
		return apperr.Invalid("recurrence_id", "not a recurrence id of this series")
	}
	if m.RRule != "" {
		rule, err := withUntil(m.RRule, t, m.AllDay)
		if err != nil {
			return apperr.Invalid("rrule", err.Error())
		}
		m.RRule = rule
	}
	keep := func(ks []string) []string {
		var out []string
		for _, k := range ks {
			if kt, _, err := parseKey(k); err == nil && kt.Before(t) {
				out = append(out, k)
			}
		}
		return out
	}
	m.RDates, m.ExDates = keep(m.RDates), keep(m.ExDates)
	for k := range x.overrides {
		if kt, _, err := parseKey(k); err == nil && !kt.Before(t) {
			delete(x.overrides, k)
		}
	}
	m.Sequence++
	return nil
}

// splitAt ends the series before the instance rid and returns a new
// series (new UID) from that instance on with the rest of the rule, the
// later RDATEs and EXDATEs and the overrides of its instances moved to it.
// The caller saves the new one.
func (s *Service) splitAt(ctx context.Context, tx *sql.Tx, x *series, rid string) (*store.CalendarEvent, error) {
	m := x.master
	if x.isFirst(rid) {
		return m, nil // "this and following" from the first is the whole series
	}
	t, _, _ := parseKey(rid)
	rec, err := recurrenceOf(m, x.floating)
	if err != nil {
		return nil, err
	}
	n := *m
	n.ID, n.UID, n.Sequence, n.ETag = 0, newUID(), 0, ""
	loc := rowZone(m, x.floating)
	if m.AllDay {
		setTimes(&n, t, t.AddDate(0, 0, daysOf(m)), nil)
	} else {
		start := t.In(loc)
		setTimes(&n, start, start.Add(m.EndAt.Sub(m.StartAt)), x.floating)
	}
	if m.RRule != "" {
		o, err := ParseRRule(m.RRule, loc)
		if err != nil {
			return nil, apperr.Invalid("rrule", err.Error())
		}
		if o.Count > 0 {
			// The instances the first part keeps come off the count.
			before, err := s.exp.Between(Recurrence{Start: rec.Start, RRule: m.RRule}, rec.Start, t, lastLimit)
			if err != nil {
				return nil, err
			}
			o.Count -= len(before)
			if o.Count <= 0 {
				n.RRule = ""
			} else {
				n.RRule = o.RRuleString()
			}
		}
	}
	later := func(ks []string) []string {
		var out []string
		for _, k := range ks {
			if kt, _, err := parseKey(k); err == nil && !kt.Before(t) {
				out = append(out, k)
			}
		}
		return out
	}
	n.RDates, n.ExDates = later(m.RDates), later(m.ExDates)
	tail := map[string]*store.CalendarEvent{}
	for k, o := range x.overrides {
		if kt, _, err := parseKey(k); err == nil && !kt.Before(t) {
			c := *o
			c.ID, c.UID = 0, n.UID
			tail[k] = &c
		}
	}
	if err := s.truncate(x, rid); err != nil {
		return nil, err
	}
	if _, err := s.saveObject(ctx, tx, x.cal, m.UID, x.rows(), ""); err != nil {
		return nil, err
	}
	for k, o := range tail {
		x.overrides[k] = o // the caller picks these up by the new UID
	}
	return &n, nil
}

// withUntil replaces a rule's COUNT or UNTIL with an UNTIL just before t
// (the day before, for an all-day series).
func withUntil(rule string, t time.Time, allDay bool) (string, error) {
	var parts []string
	for _, p := range strings.Split(strings.TrimPrefix(rule, "RRULE:"), ";") {
		k, _, _ := strings.Cut(p, "=")
		if k = strings.ToUpper(k); k == "COUNT" || k == "UNTIL" || p == "" {
			continue
		}
		parts = append(parts, p)
	}
	if allDay {
		parts = append(parts, "UNTIL="+t.AddDate(0, 0, -1).Format(icsDate))
	} else {
		parts = append(parts, "UNTIL="+t.Add(-time.Second).UTC().Format(icsDateTime)+"Z")
	}
	out := strings.Join(parts, ";")
	if _, err := ParseRRule(out, time.UTC); err != nil {
		return "", err
	}
	return out, nil
}

func contains(ks []string, k string) bool {
	for _, x := range ks {
		if x == k {
			return true
		}
	}
	return false
}

func without(ks []string, k string) []string {
	var out []string
	for _, x := range ks {
		if x != k {
			out = append(out, x)
		}
	}
	return out
}

// applyInput validates in and writes it into r (override: an instance,
// which has no recurrence of its own).
func applyInput(r *store.CalendarEvent, in EventInput, cal *store.Calendar, override bool) error {
	text := func(field string, v *string, limit int, dst *string) error {
		if v == nil {
			return nil
		}
		t := strings.TrimSpace(*v)
		if utf8.RuneCountInString(t) > limit {
			return apperr.Invalid(field, fmt.Sprintf("longer than %d characters", limit))
		}
		if !utf8.ValidString(t) || strings.ContainsRune(t, 0) {
			return apperr.Invalid(field, "not valid text")
		}
		*dst = t
		return nil
	}
	for _, f := range []struct {
		name  string
		v     *string
		limit int
		dst   *string
	}{{"title", in.Title, MaxTitleChars, &r.Title}, {"description", in.Description, MaxDescriptionChars, &r.Description},
		{"location", in.Location, MaxLocationChars, &r.Location}, {"category", in.Category, MaxCategoryChars, &r.Category}} {
		if err := text(f.name, f.v, f.limit, f.dst); err != nil {
			return err
		}
	}
	if in.Title != nil && r.Title == "" {
		return apperr.Invalid("title", "an event needs a title")
	}
	if in.Status != nil {
		switch *in.Status {
		case StatusConfirmed, StatusTentative, StatusCancelled:
			r.Status = *in.Status
		default:
			return apperr.Invalid("status", `status must be "confirmed", "tentative" or "cancelled"`)
		}
	}
	if in.Weight != nil {
		if *in.Weight < 0 || *in.Weight > MaxWeight {
			return apperr.Invalid("weight", "weight must be 0 to 10")
		}
		r.Weight = *in.Weight
	}
	if in.Reminders != nil {
		if len(*in.Reminders) > MaxReminders {
			return apperr.Invalid("reminders", "at most 10 reminders")
		}
		seen := map[int]bool{}
		r.Reminders = nil
		for _, m := range *in.Reminders {
			if m < 0 || m > 60*24*28 {
				return apperr.Invalid("reminders", "a reminder is 0 to 40320 minutes (four weeks) before the start")
			}
			if !seen[m] {
				seen[m] = true
				r.Reminders = append(r.Reminders, m)
			}
		}
	}
	if in.Attendees != nil {
		if len(*in.Attendees) > MaxAttendees {
			return apperr.Invalid("attendees", "at most 200 attendees")
		}
		r.Attendees = nil
		for _, a := range *in.Attendees {
			a.Email = strings.TrimSpace(a.Email)
			if _, err := mail.ParseAddress(a.Email); err != nil || strings.ContainsAny(a.Email, "<> ") {
				return apperr.Invalid("attendees", fmt.Sprintf("%q is not an email address", a.Email))
			}
			a.Role, a.Status = strings.ToLower(a.Role), strings.ToLower(a.Status)
			if utf8.RuneCountInString(a.Name) > MaxNameChars || strings.ContainsAny(a.Name+a.Role+a.Status, "\"\r\n") {
				return apperr.Invalid("attendees", "an attendee's name, role or status is not valid")
			}
			r.Attendees = append(r.Attendees, a)
		}
	}
	if override && (in.RRule != nil || in.RDates != nil || in.ExDates != nil) {
		return apperr.Invalid("rrule", `one instance has no recurrence of its own: change the series with scope "all"`)
	}
	if err := applyTimes(r, in, cal); err != nil {
		return err
	}
	if in.RRule != nil {
		rule := strings.TrimPrefix(strings.TrimSpace(*in.RRule), "RRULE:")
		if rule != "" {
			if _, err := ParseRRule(rule, rowZone(r, calendarZone(cal))); err != nil {
				return apperr.Invalid("rrule", err.Error())
			}
		}
		r.RRule = rule
	}
	for _, f := range []struct {
		name string
		v    *[]string
		dst  *[]string
	}{{"rdates", in.RDates, &r.RDates}, {"exdates", in.ExDates, &r.ExDates}} {
		if f.v == nil {
			continue
		}
		if len(*f.v) > MaxDates {
			return apperr.Invalid(f.name, "at most 1000 dates")
		}
		*f.dst = nil
		for _, v := range *f.v {
			t, err := parseInputTime(v, r.AllDay, rowZone(r, calendarZone(cal)))
			if err != nil {
				return apperr.Invalid(f.name, err.Error())
			}
			*f.dst = append(*f.dst, keyOf(t, r.AllDay))
		}
	}
	return nil
}

// applyTimes sets start, end, all-day and zone from the input, keeping
// the duration when only the start moves.
func applyTimes(r *store.CalendarEvent, in EventInput, cal *store.Calendar) error {
	fresh := r.StartLocal == ""
	if in.Timezone != nil {
		loc, err := LoadZone(*in.Timezone)
		if err != nil {
			return apperr.Invalid("timezone", "unknown time zone: use an IANA name such as Europe/Berlin")
		}
		r.Timezone = zoneName(loc)
	}
	if in.AllDay != nil && *in.AllDay != r.AllDay {
		if in.Start == nil {
			return apperr.Invalid("start", "give the start when an event becomes (or stops being) all-day")
		}
		r.AllDay = *in.AllDay
	}
	floating := calendarZone(cal)
	loc := rowZone(r, floating)
	var start, end time.Time
	var err error
	if in.Start != nil {
		if start, err = parseInputTime(*in.Start, r.AllDay, loc); err != nil {
			return apperr.Invalid("start", err.Error())
		}
	} else if start, err = rowStart(r, loc); err != nil {
		return apperr.Invalid("start", "the event has no valid start")
	}
	switch {
	case in.End != nil:
		if end, err = parseInputTime(*in.End, r.AllDay, loc); err != nil {
			return apperr.Invalid("end", err.Error())
		}
	case fresh || in.AllDay != nil:
		if r.AllDay {
			end = start.AddDate(0, 0, 1)
		} else {
			end = start.Add(time.Hour)
		}
	case r.AllDay:
		end = start.AddDate(0, 0, daysOf(r))
	default:
		end = start.Add(r.EndAt.Sub(r.StartAt))
	}
	if end.Before(start) || r.AllDay && !end.After(start) {
		return apperr.Invalid("end", "the event must end after it starts")
	}
	if start.Year() < 1900 || start.Year() > 2200 {
		return apperr.Invalid("start", "the start must be between the years 1900 and 2200")
	}
	if end.Sub(start) > 366*24*time.Hour {
		return apperr.Invalid("end", "an event lasts at most a year")
	}
	setTimes(r, start, end, floating)
	return nil
}

// parseInputTime reads a date (all-day) or a wall time in loc, or an
// RFC 3339 instant (shown in loc).
func parseInputTime(v string, allDay bool, loc *time.Location) (time.Time, error) {
	v = strings.TrimSpace(v)
	if allDay {
		t, err := time.ParseInLocation(dateLayout, v, time.UTC)
		if err != nil {
			return time.Time{}, fmt.Errorf("%q is not a date (YYYY-MM-DD)", v)
		}
		return t, nil
	}
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t.In(loc).Truncate(time.Second), nil
	}
	for _, layout := range []string{localLayout, "2006-01-02T15:04"} {
		if t, err := time.ParseInLocation(layout, v, loc); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not a date-time (YYYY-MM-DDTHH:MM[:SS], or RFC 3339 with an offset)", v)
}
