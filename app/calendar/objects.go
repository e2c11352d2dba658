package calendar

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/emersion/go-ical"

	"github.com/aiwfe/aiwfe/app/apperr"
	"github.com/aiwfe/aiwfe/store"
)

// Object is one calendar object: every VEVENT of one UID in a calendar,
// as a VCALENDAR (CalDAV's calendar resource).
type Object struct {
	UID        string
	CalendarID int64
	// ETag identifies this version of Data (no quotes).
	ETag string
	// Seq is the calendar's Seq at the object's last change.
	Seq       int64
	UpdatedAt time.Time
	Data      []byte
}

// PutOptions are PutObject's preconditions (CalDAV's If-Match and
// If-None-Match: *).
type PutOptions struct {
	// IfMatch, when set, must equal the object's current ETag.
	IfMatch string
	// IfNoneMatch refuses to replace an existing object.
	IfNoneMatch bool
}

// Changes is what changed in a calendar after a Seq.
type Changes struct {
	// Seq is the calendar's Seq now: pass it next time.
	Seq     int64    `json:"seq"`
	Changed []string `json:"changed"`
	Deleted []string `json:"deleted"`
}

func objectOf(rows []*store.CalendarEvent) Object {
	o := Object{UID: rows[0].UID, CalendarID: rows[0].CalendarID, ETag: rows[0].ETag, Seq: rows[0].Seq, Data: objectICS(rows)}
	for _, r := range rows {
		if r.UpdatedAt.After(o.UpdatedAt) {
			o.UpdatedAt = r.UpdatedAt
		}
	}
	return o
}

// Objects lists every object of one of the user's calendars, by uid.
func (s *Service) Objects(ctx context.Context, userID, calendarID int64) ([]Object, error) {
	if _, err := s.calendar(ctx, s.store.DB, userID, calendarID); err != nil {
		return nil, err
	}
	rows, err := store.CalendarEvents(ctx, s.store.DB, calendarID)
	if err != nil {
		return nil, err
	}
	out := []Object{}
	for _, g := range groupByUID(rows) {
		out = append(out, objectOf(g))
	}
	return out, nil
}

// Object reads one object of one of the user's calendars.
func (s *Service) Object(ctx context.Context, userID, calendarID int64, uid string) (*Object, error) {
	if _, err := s.calendar(ctx, s.store.DB, userID, calendarID); err != nil {
		return nil, err
	}
	rows, err := store.ObjectEvents(ctx, s.store.DB, calendarID, uid)
	if err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		return nil, apperr.NotFound("event")
	}
	o := objectOf(rows)
	return &o, nil
}

// PutObject creates or replaces the object uid of a local calendar from
// one VCALENDAR whose VEVENTs all carry that UID.
func (s *Service) PutObject(ctx context.Context, userID, calendarID int64, uid string, data []byte, opt PutOptions) (*Object, bool, error) {
	if uid == "" || len(uid) > MaxUIDBytes {
		return nil, false, apperr.Invalid("uid", "a calendar object needs a UID of at most 512 bytes")
	}
	comps, err := objectComponents(data, uid)
	if err != nil {
		return nil, false, apperr.Invalid("data", err.Error())
	}
	var out *Object
	created := false
	err = s.store.WithTx(ctx, func(tx *sql.Tx) error {
		cal, old, err := s.writableObject(ctx, tx, userID, calendarID, uid)
		if err != nil {
			return err
		}
		switch {
		case opt.IfNoneMatch && len(old) > 0:
			return ErrPrecondition
		case opt.IfMatch != "" && (len(old) == 0 || old[0].ETag != opt.IfMatch):
			return ErrPrecondition
		}
		rows, err := rowsFromComponents(comps, calendarZone(cal))
		if err != nil {
			return apperr.Invalid("data", err.Error())
		}
		if _, err := s.saveObject(ctx, tx, cal, uid, rows, ""); err != nil {
			return err
		}
		created = len(old) == 0
		o := objectOf(rows)
		out = &o
		return nil
	})
	if err != nil {
		return nil, false, err
	}
	s.changed(userID, calendarID, "events")
	return out, created, nil
}

// DeleteObject deletes the object uid (if ifMatch is set, only at that
// ETag).
func (s *Service) DeleteObject(ctx context.Context, userID, calendarID int64, uid, ifMatch string) error {
	var gone []int64
	err := s.store.WithTx(ctx, func(tx *sql.Tx) error {
		cal, old, err := s.writableObject(ctx, tx, userID, calendarID, uid)
		if err != nil {
			return err
		}
		if len(old) == 0 {
			return apperr.NotFound("event")
		}
		if ifMatch != "" && old[0].ETag != ifMatch {
			return ErrPrecondition
		}
		gone = rowIDs(old)
		return s.deleteObject(ctx, tx, cal, uid)
	})
	if err == nil {
		s.changed(userID, calendarID, "events")
		s.deleted(ctx, userID, gone)
	}
	return err
}

// writableObject reads one of the user's local calendars and the rows of
// its object uid (none: empty) for a change.
func (s *Service) writableObject(ctx context.Context, tx *sql.Tx, userID, calendarID int64, uid string) (*store.Calendar, []*store.CalendarEvent, error) {
	cal, err := s.writable(ctx, tx, userID, calendarID)
	if err != nil {
		return nil, nil, err
	}
	old, err := store.ObjectEvents(ctx, tx, calendarID, uid)
	return cal, old, err
}

func (s *Service) deleteObject(ctx context.Context, tx *sql.Tx, cal *store.Calendar, uid string) error {
	seq, err := store.NextCalendarSeq(ctx, tx, cal.ID, s.now())
	if err != nil {
		return err
	}
	err = store.DeleteObject(ctx, tx, cal.ID, uid, seq, s.now())
	if errors.Is(err, store.ErrNotFound) {
		return apperr.NotFound("event")
	}
	return err
}

// Changes lists the objects changed and deleted after since (0: every
// object there is, and no deletions).
func (s *Service) Changes(ctx context.Context, userID, calendarID, since int64) (*Changes, error) {
	var out *Changes
	err := s.store.WithTx(ctx, func(tx *sql.Tx) error {
		cal, err := s.calendar(ctx, tx, userID, calendarID)
		if err != nil {
			return err
		}
		floor, err := store.TombstoneFloor(ctx, tx, calendarID)
		if err != nil {
			return err
		}
		if since > 0 && since < floor {
			return ErrSyncTooOld
		}
		changed, deleted, err := store.CalendarChanges(ctx, tx, calendarID, since)
		if err != nil {
			return err
		}
		if since <= 0 {
			deleted = []string{} // a first sync has nothing to forget
		}
		out = &Changes{Seq: cal.Seq, Changed: changed, Deleted: deleted}
		return nil
	})
	return out, err
}

// objectComponents decodes one object's VCALENDAR: its VEVENTs, which
// must all carry uid (any UID when uid is "").
func objectComponents(data []byte, uid string) ([]*ical.Component, error) {
	cals, err := decodeICS(data)
	if err != nil {
		return nil, err
	}
	if len(cals) != 1 {
		return nil, errors.New("a calendar object is one VCALENDAR")
	}
	var comps []*ical.Component
	for _, c := range cals[0].Children {
		switch c.Name {
		case ical.CompEvent:
			if got := strings.TrimSpace(propText(c, ical.PropUID)); uid != "" && got != uid {
				return nil, fmt.Errorf("every VEVENT of the object must have UID %q", uid)
			}
			comps = append(comps, c)
		case ical.CompTimezone:
		default:
			return nil, fmt.Errorf("only VEVENT components are supported, not %s", c.Name)
		}
	}
	if len(comps) == 0 {
		return nil, errors.New("the calendar object has no VEVENT")
	}
	return comps, nil
}

// rowsFromComponents reads an object's VEVENTs into rows, series first;
// two VEVENTs for one instance are refused.
func rowsFromComponents(comps []*ical.Component, floating *time.Location) ([]*store.CalendarEvent, error) {
	var rows []*store.CalendarEvent
	seen := map[string]bool{}
	for _, c := range comps {
		r, err := rowFromComponent(c, floating)
		if err != nil {
			return nil, err
		}
		if seen[r.RecurrenceID] {
			if r.RecurrenceID == "" {
				return nil, errors.New("the object has two VEVENTs without RECURRENCE-ID")
			}
			return nil, fmt.Errorf("the object has two VEVENTs for the instance %s", r.RecurrenceID)
		}
		seen[r.RecurrenceID] = true
		// DTSTAMP is when the producer wrote the file (Google: every
		// download); a fixed one keeps the text, and sourceETag, the same
		// for the same event. syncComponent stamps the stored copy.
		stamp := ical.NewProp(ical.PropDateTimeStamp)
		stamp.Value = "19700101T000000Z"
		c.Props.Set(stamp)
		if r.ICS, err = encodeComponent(c); err != nil {
			return nil, err
		}
		if r.RecurrenceID == "" {
			rows = append([]*store.CalendarEvent{r}, rows...)
		} else {
			rows = append(rows, r)
		}
	}
	if rows[0].UID != "" {
		for _, r := range rows[1:] {
			if r.UID != rows[0].UID {
				return nil, errors.New("the VEVENTs of one object must share a UID")
			}
		}
	}
	return rows, nil
}

// sourceETag is the ETag an imported or fetched object gets: the hash of
// its components as read, so the same object read again is recognised as
// unchanged.
func sourceETag(rows []*store.CalendarEvent) string {
	var b strings.Builder
	for _, r := range rows {
		b.WriteString(r.ICS)
	}
	return objectETag([]byte(b.String()))
}

// saveObject makes the rows (series first, if any) the whole object uid
// of cal: existing rows are updated in place, missing ones deleted, the
// derived columns and each row's component text brought up to date, and
// the object stamped with a new ETag (etag, or the hash of its text) and
// the calendar's next seq.
func (s *Service) saveObject(ctx context.Context, tx *sql.Tx, cal *store.Calendar, uid string, rows []*store.CalendarEvent, etag string) (string, error) {
	now := s.now()
	old, err := store.ObjectEvents(ctx, tx, cal.ID, uid)
	if err != nil {
		return "", err
	}
	byRID := map[string]*store.CalendarEvent{}
	for _, o := range old {
		byRID[o.RecurrenceID] = o
	}
	floating := calendarZone(cal)
	// Everything that can refuse the object runs before the first write,
	// so a refused object (an import goes on past it) leaves nothing.
	for _, r := range rows {
		r.CalendarID, r.UID = cal.ID, uid
		if r.RecurrenceID == "" {
			last, err := s.lastEnd(r, floating)
			if err != nil {
				return "", apperr.Invalid("rrule", err.Error())
			}
			r.LastEndAt = last
		} else {
			end := r.EndAt
			r.LastEndAt = &end
		}
		if err := syncComponent(r, now); err != nil {
			return "", apperr.Invalid("data", err.Error())
		}
	}
	for _, r := range rows {
		if o := byRID[r.RecurrenceID]; o != nil {
			r.ID, r.CreatedAt = o.ID, o.CreatedAt
			delete(byRID, r.RecurrenceID)
			if err := store.UpdateCalendarEvent(ctx, tx, r, now); err != nil {
				return "", err
			}
			continue
		}
		if err := store.InsertCalendarEvent(ctx, tx, r, now); err != nil {
			return "", err
		}
	}
	for _, o := range byRID {
		if err := store.DeleteEventRow(ctx, tx, o.ID); err != nil {
			return "", err
		}
	}
	seq, err := store.NextCalendarSeq(ctx, tx, cal.ID, now)
	if err != nil {
		return "", err
	}
	if etag == "" {
		etag = objectETag(objectICS(rows))
	}
	if err := store.SetObjectVersion(ctx, tx, cal.ID, uid, etag, seq); err != nil {
		return "", err
	}
	for _, r := range rows {
		r.ETag, r.Seq, r.UpdatedAt = etag, seq, now.UTC()
	}
	return etag, nil
}

// lastEnd is the end of a series' last instance (nil: it never ends).
func (s *Service) lastEnd(r *store.CalendarEvent, floating *time.Location) (*time.Time, error) {
	rec, err := recurrenceOf(r, floating)
	if err != nil {
		return nil, err
	}
	last, ok, err := s.exp.Last(rec, lastLimit)
	if errors.Is(err, ErrTooMany) {
		return nil, nil // bounded, but too long to walk: treat as endless
	}
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, nil
	}
	end := last.Add(r.EndAt.Sub(r.StartAt)).UTC()
	return &end, nil
}

// recurrenceOf is a series row as a Recurrence.
func recurrenceOf(r *store.CalendarEvent, floating *time.Location) (Recurrence, error) {
	loc := rowZone(r, floating)
	start, err := rowStart(r, loc)
	if err != nil {
		return Recurrence{}, err
	}
	rec := Recurrence{Start: start, RRule: r.RRule}
	for _, k := range r.RDates {
		t, _, err := parseKey(k)
		if err != nil {
			return Recurrence{}, fmt.Errorf("bad RDATE %q", k)
		}
		rec.RDates = append(rec.RDates, t.In(loc))
	}
	for _, k := range r.ExDates {
		t, _, err := parseKey(k)
		if err != nil {
			return Recurrence{}, fmt.Errorf("bad EXDATE %q", k)
		}
		rec.ExDates = append(rec.ExDates, t.In(loc))
	}
	return rec, nil
}

// rowZone is the zone a row's wall times are in: its own, the calendar's
// for floating times, UTC for dates.
func rowZone(r *store.CalendarEvent, floating *time.Location) *time.Location {
	if r.AllDay {
		return time.UTC
	}
	if r.Timezone == "" {
		if floating == nil {
			return time.UTC
		}
		return floating
	}
	loc, err := LoadZone(r.Timezone)
	if err != nil {
		return time.UTC
	}
	return loc
}

func rowStart(r *store.CalendarEvent, loc *time.Location) (time.Time, error) {
	if r.AllDay {
		return time.ParseInLocation(dateLayout, r.StartLocal, time.UTC)
	}
	return time.ParseInLocation(localLayout, r.StartLocal, loc)
}

func groupByUID(rows []*store.CalendarEvent) [][]*store.CalendarEvent {
	var out [][]*store.CalendarEvent
	for i := 0; i < len(rows); {
		j := i + 1
		for j < len(rows) && rows[j].UID == rows[i].UID && rows[j].CalendarID == rows[i].CalendarID {
			j++
		}
		out = append(out, rows[i:j])
		i = j
	}
	return out
}
