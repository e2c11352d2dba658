package calendar

import (
	"cmp"
	"context"
	"errors"
	"maps"
	"slices"
	"time"

	"github.com/aiwfe/aiwfe/app/apperr"
	"github.com/aiwfe/aiwfe/store"
)

// Instance is one occurrence of an event in a range: a single event, an
// instance of a series, or an instance's override. The event's fields are
// shared by all its instances (and flattened into the JSON).
type Instance struct {
	*InstanceEvent
	// EventID is the series' (or single event's) id: the {id} of
	// /calendar/events/{id}. With RecurrenceID it names this instance.
	EventID int64 `json:"event_id"`
	// RecurrenceID is the instance's original start ("" for a single
	// event): pass it back with scope "this" or "following".
	RecurrenceID string `json:"recurrence_id"`
	Start        string `json:"start"`
	End          string `json:"end"`
	Recurring    bool   `json:"recurring"`
	// Override: this instance was changed on its own.
	Override bool `json:"override"`

	start time.Time
}

// InstanceEvent is what the instances of one event row share.
type InstanceEvent struct {
	CalendarID  int64            `json:"calendar_id"`
	UID         string           `json:"uid"`
	Title       string           `json:"title"`
	Description string           `json:"description"`
	Location    string           `json:"location"`
	Status      string           `json:"status"`
	AllDay      bool             `json:"all_day"`
	Timezone    string           `json:"timezone"`
	Category    string           `json:"category"`
	Weight      int              `json:"weight"`
	Reminders   []int            `json:"reminders"`
	Attendees   []store.Attendee `json:"attendees"`
	ReadOnly    bool             `json:"read_only"`
}

// InstancesRequest is a range query; CalendarIDs empty means every
// calendar of the user.
type InstancesRequest struct {
	From, To    time.Time
	CalendarIDs []int64
}

// Instances expands the user's events in [From, To): every instance that
// overlaps the range, series expanded on the server, overrides merged and
// cancelled instances left out, ordered by start.
func (s *Service) Instances(ctx context.Context, userID int64, req InstancesRequest) ([]Instance, error) {
	if req.From.IsZero() || req.To.IsZero() {
		return nil, apperr.Invalid("from", "give the range as from and to")
	}
	if !req.To.After(req.From) {
		return nil, apperr.Invalid("to", "to must be after from")
	}
	if req.To.Sub(req.From) > MaxRange {
		return nil, apperr.Invalid("to", "the range is longer than 400 days")
	}
	cals, err := store.UserCalendars(ctx, s.store.DB, userID)
	if err != nil {
		return nil, err
	}
	byID := map[int64]*store.Calendar{}
	for _, c := range cals {
		byID[c.ID] = c
	}
	ids := req.CalendarIDs
	if len(ids) == 0 {
		for _, c := range cals {
			ids = append(ids, c.ID)
		}
	}
	for _, id := range ids {
		if byID[id] == nil {
			return nil, apperr.NotFound("calendar")
		}
	}
	// In calendar order, as EventsInRange answers: instances that start
	// together keep that order.
	ids = slices.Clone(ids)
	slices.Sort(ids)
	ids = slices.Compact(ids)
	var rows []*store.CalendarEvent
	for _, id := range ids {
		all, err := s.calendarRows(ctx, byID[id])
		if err != nil {
			return nil, err
		}
		rows = append(rows, inRange(all, req.From.Add(-zoneReach), req.To.Add(zoneReach))...)
	}
	// Sized as the last answer was: a month view holds thousands of
	// instances, and growing the slice copied them again and again.
	out := make([]Instance, 0, min(max(256, int(s.lastInstances.Load())), 8192))
	defer func() { s.lastInstances.Store(int64(min(len(out), MaxInstances))) }()
	for _, g := range groupByUID(rows) {
		cal := byID[g[0].CalendarID]
		n := len(out)
		err := s.expandObject(&out, g, cal, req.From, req.To)
		if errors.Is(err, ErrTooMany) {
			return nil, apperr.Invalid("to", "the range holds too many instances; ask for a shorter one")
		}
		if err != nil {
			// A series stored with a rule this build cannot expand must
			// not hide the rest of the calendar.
			out = out[:n]
			s.log.Warn("calendar: series not expanded", "calendar_id", cal.ID, "uid", g[0].UID, "err", err)
			continue
		}
	}
	return sortInstances(out), nil
}

// sortInstances orders by start, then as expanded (calendar, UID, then
// each series' own order). An Instance is large: sort small keys and place
// each once, instead of swapping the structs (which was a fifth of a month
// view's time).
func sortInstances(in []Instance) []Instance {
	type key struct {
		start int64
		i     int
	}
	keys := make([]key, len(in))
	for i := range in {
		keys[i] = key{in[i].start.UnixNano(), i}
	}
	slices.SortFunc(keys, func(a, b key) int {
		if c := cmp.Compare(a.start, b.start); c != 0 {
			return c
		}
		return cmp.Compare(a.i, b.i)
	})
	out := make([]Instance, len(in))
	for j, k := range keys {
		out[j] = in[k.i]
	}
	return out
}

// expandObject appends the instances of one object (series first when
// there is one) to out.
func (s *Service) expandObject(out *[]Instance, g []*store.CalendarEvent, cal *store.Calendar, from, to time.Time) error {
	floating := calendarZone(cal)
	readOnly := cal.Source != store.CalendarLocal
	var master *store.CalendarEvent
	overrides := map[string]*store.CalendarEvent{}
	for _, r := range g {
		if r.RecurrenceID == "" {
			master = r
		} else {
			overrides[r.RecurrenceID] = r
		}
	}
	shared := map[*store.CalendarEvent]*InstanceEvent{}
	emit := func(r *store.CalendarEvent, eventID int64, rid string, start time.Time, recurring, override bool) error {
		if r.Status == StatusCancelled && override {
			return nil
		}
		inst := Instance{EventID: eventID, RecurrenceID: rid, Recurring: recurring, Override: override}
		if !inst.startEnd(r, floating, start, from, to) {
			return nil
		}
		if len(*out) >= MaxInstances {
			return ErrTooMany
		}
		if inst.InstanceEvent = shared[r]; inst.InstanceEvent == nil {
			inst.InstanceEvent = instanceEvent(r, readOnly)
			shared[r] = inst.InstanceEvent
		}
		*out = append(*out, inst)
		return nil
	}
	if master == nil {
		// Overrides without their series (an invitation to one instance):
		// each stands alone.
		for _, r := range g {
			if err := emit(r, r.ID, r.RecurrenceID, time.Time{}, false, false); err != nil {
				return err
			}
		}
		return nil
	}
	if master.RRule == "" && len(master.RDates) == 0 {
		return emit(master, master.ID, "", time.Time{}, false, false)
	}
	rec, err := recurrenceOf(master, floating)
	if err != nil {
		return err
	}
	dur := master.EndAt.Sub(master.StartAt)
	starts, err := s.exp.Between(rec, from.Add(-dur).Add(-time.Second), to, MaxInstances)
	if err != nil {
		return err
	}
	for _, st := range starts {
		rid := keyOf(st, master.AllDay)
		if o := overrides[rid]; o != nil {
			delete(overrides, rid)
			err = emit(o, master.ID, rid, time.Time{}, true, true)
		} else {
			err = emit(master, master.ID, rid, st, true, false)
		}
		if err != nil {
			return err
		}
	}
	// Overrides whose original instance lies outside the range but which
	// were moved into it.
	excluded := exSet(rec.ExDates)
	for _, rid := range slices.Sorted(maps.Keys(overrides)) {
		o := overrides[rid]
		t, _, err := parseKey(rid)
		if err != nil || excluded[t.Unix()] {
			continue
		}
		if err := emit(o, master.ID, rid, time.Time{}, true, true); err != nil {
			return err
		}
	}
	return nil
}

// instanceEvent is the fields a row's instances share.
func instanceEvent(r *store.CalendarEvent, readOnly bool) *InstanceEvent {
	return &InstanceEvent{CalendarID: r.CalendarID, UID: r.UID, Title: r.Title, Description: r.Description, Location: r.Location,
		Status: r.Status, AllDay: r.AllDay, Timezone: r.Timezone, Category: r.Category, Weight: r.Weight,
		Reminders: nonNil(r.Reminders), Attendees: nonNil(r.Attendees), ReadOnly: readOnly}
}

// startEnd sets the instance's times (the row's own when start is zero)
// and reports whether it overlaps [from, to).
func (inst *Instance) startEnd(r *store.CalendarEvent, floating *time.Location, start, from, to time.Time) bool {
	loc := rowZone(r, floating)
	if start.IsZero() {
		var err error
		if start, err = rowStart(r, loc); err != nil {
			return false
		}
	}
	var end time.Time
	if r.AllDay {
		end = start.AddDate(0, 0, daysOf(r))
		inst.Start, inst.End = start.Format(dateLayout), end.Format(dateLayout)
		// A date is a day wherever the viewer is: compare it as the
		// viewer's day, which the range's own offset stands for.
		off := from.Location()
		s, e := rezone(start, off), rezone(end, off)
		inst.start = s
		return s.Before(to) && e.After(from)
	}
	end = start.Add(r.EndAt.Sub(r.StartAt))
	inst.Start, inst.End = start.Format(time.RFC3339), end.Format(time.RFC3339)
	inst.start = start
	if end.Equal(start) { // a point in time counts where it is
		return !start.Before(from) && start.Before(to)
	}
	return start.Before(to) && end.After(from)
}

func nonNil[T any](v []T) []T {
	if v == nil {
		return []T{}
	}
	return v
}
