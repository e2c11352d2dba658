package calendar

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aiwfe/aiwfe/app/apperr"
	"github.com/aiwfe/aiwfe/store"
)

// fixture is the service over a real, migrated SQLite file.
type fixture struct {
	t   *testing.T
	st  *store.Store
	svc *Service
	ctx context.Context
	n   atomic.Int64
}

func newFixture(t *testing.T, mod ...func(*Deps)) *fixture {
	t.Helper()
	st, err := store.Open(filepath.Join(t.TempDir(), "aiwfe.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if _, err := st.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	d := Deps{Store: st, NoRefresh: true}
	for _, m := range mod {
		m(&d)
	}
	svc := New(d)
	t.Cleanup(svc.Close)
	return &fixture{t: t, st: st, svc: svc, ctx: context.Background()}
}

func (f *fixture) user() int64 {
	f.t.Helper()
	u, err := store.CreateUser(f.ctx, f.st.DB, store.NewUser{Email: fmt.Sprintf("u%d@example.test", f.n.Add(1)), PasswordHash: "x", Role: "user", Status: "active"}, time.Now())
	if err != nil {
		f.t.Fatal(err)
	}
	return u.ID
}

func (f *fixture) calendar(user int64, tz string) int64 {
	f.t.Helper()
	c, err := f.svc.CreateCalendar(f.ctx, user, CalendarInput{Name: ptr("Home"), Timezone: ptr(tz)})
	if err != nil {
		f.t.Fatal(err)
	}
	return c.ID
}

func ptr[T any](v T) *T { return &v }

func (f *fixture) instances(user int64, from, to string) []Instance {
	f.t.Helper()
	a, _ := time.Parse(time.RFC3339, from)
	b, _ := time.Parse(time.RFC3339, to)
	got, err := f.svc.Instances(f.ctx, user, InstancesRequest{From: a, To: b})
	if err != nil {
		f.t.Fatal(err)
	}
	return got
}

func starts(is []Instance) string {
	var out []string
	for _, i := range is {
		s := i.Start
		if i.Override {
			s += "*" + i.Title
		}
		out = append(out, s)
	}
	return strings.Join(out, " ")
}

func wantCode(t *testing.T, err error, status int, field string) {
	t.Helper()
	var e *apperr.Error
	if !errors.As(err, &e) || e.Status != status || field != "" && e.Field != field {
		t.Fatalf("want %d %s, got %v", status, field, err)
	}
}

func TestSeriesEditScopes(t *testing.T) {
	f := newFixture(t)
	u := f.user()
	cal := f.calendar(u, "Europe/Berlin")
	ev, err := f.svc.CreateEvent(f.ctx, u, EventInput{CalendarID: &cal, Title: ptr("Standup"), Start: ptr("2026-03-23T09:00"), End: ptr("2026-03-23T09:15"),
		RRule: ptr("FREQ=WEEKLY;BYDAY=MO;COUNT=5")})
	if err != nil {
		t.Fatal(err)
	}
	if ev.Start != "2026-03-23T09:00:00+01:00" || ev.Timezone != "Europe/Berlin" || ev.ETag == "" {
		t.Fatalf("created %+v", ev)
	}
	all := f.instances(u, "2026-03-01T00:00:00Z", "2026-05-01T00:00:00Z")
	if got := starts(all); got != "2026-03-23T09:00:00+01:00 2026-03-30T09:00:00+02:00 2026-04-06T09:00:00+02:00 2026-04-13T09:00:00+02:00 2026-04-20T09:00:00+02:00" {
		t.Fatalf("instances %s", got)
	}
	// This event: the second instance moves to 10:00 and is renamed.
	rid := all[1].RecurrenceID
	if _, err := f.svc.UpdateEvent(f.ctx, u, ev.ID, Change{Scope: ScopeThis, RecurrenceID: rid}, EventInput{Title: ptr("Moved"), Start: ptr("2026-03-30T10:00")}); err != nil {
		t.Fatal(err)
	}
	// Delete this: the third.
	if err := f.svc.DeleteEvent(f.ctx, u, ev.ID, Change{Scope: ScopeThis, RecurrenceID: all[2].RecurrenceID}); err != nil {
		t.Fatal(err)
	}
	got := starts(f.instances(u, "2026-03-01T00:00:00Z", "2026-05-01T00:00:00Z"))
	if got != "2026-03-23T09:00:00+01:00 2026-03-30T10:00:00+02:00*Moved 2026-04-13T09:00:00+02:00 2026-04-20T09:00:00+02:00" {
		t.Fatalf("after this-edits: %s", got)
	}
	// This and following from the fourth: a new series at 11:00 for the
	// remaining two instances of the COUNT.
	nev, err := f.svc.UpdateEvent(f.ctx, u, ev.ID, Change{Scope: ScopeFollowing, RecurrenceID: all[3].RecurrenceID}, EventInput{Start: ptr("2026-04-13T11:00")})
	if err != nil {
		t.Fatal(err)
	}
	if nev.UID == ev.UID || nev.ID == ev.ID || !strings.Contains(nev.RRule, "COUNT=2") {
		t.Fatalf("split %+v", nev)
	}
	got = starts(f.instances(u, "2026-03-01T00:00:00Z", "2026-05-01T00:00:00Z"))
	if got != "2026-03-23T09:00:00+01:00 2026-03-30T10:00:00+02:00*Moved 2026-04-13T11:00:00+02:00 2026-04-20T11:00:00+02:00" {
		t.Fatalf("after split: %s", got)
	}
	// Delete following from the second of the first part: only the first stays.
	if err := f.svc.DeleteEvent(f.ctx, u, ev.ID, Change{Scope: ScopeFollowing, RecurrenceID: rid}); err != nil {
		t.Fatal(err)
	}
	got = starts(f.instances(u, "2026-03-01T00:00:00Z", "2026-05-01T00:00:00Z"))
	if got != "2026-03-23T09:00:00+01:00 2026-04-13T11:00:00+02:00 2026-04-20T11:00:00+02:00" {
		t.Fatalf("after delete following: %s", got)
	}
	// The CalDAV view: two objects, each a VCALENDAR with a VTIMEZONE.
	objs, err := f.svc.Objects(f.ctx, u, cal)
	if err != nil || len(objs) != 2 {
		t.Fatalf("objects %v %v", len(objs), err)
	}
	for _, o := range objs {
		if !strings.Contains(string(o.Data), "BEGIN:VTIMEZONE\r\nTZID:Europe/Berlin") || o.ETag == "" {
			t.Fatalf("object %s", o.Data)
		}
	}
	// Another user sees nothing and changes nothing.
	other := f.user()
	if _, err := f.svc.Event(f.ctx, other, ev.ID); err == nil {
		t.Fatal("another user read the event")
	}
	wantCode(t, f.svc.DeleteEvent(f.ctx, other, ev.ID, Change{}), 404, "")
	if got := f.instances(other, "2026-03-01T00:00:00Z", "2026-05-01T00:00:00Z"); len(got) != 0 {
		t.Fatalf("other sees %v", got)
	}
}

// A series made a single event drops its overrides (they name instances
// that no longer exist).
func TestSeriesToSingleDropsOverrides(t *testing.T) {
	f := newFixture(t)
	u := f.user()
	cal := f.calendar(u, "UTC")
	ev, err := f.svc.CreateEvent(f.ctx, u, EventInput{CalendarID: &cal, Title: ptr("Daily"), Start: ptr("2026-05-01T08:00"), RRule: ptr("FREQ=DAILY;COUNT=3")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.UpdateEvent(f.ctx, u, ev.ID, Change{Scope: ScopeThis, RecurrenceID: "2026-05-02T08:00:00Z"}, EventInput{Title: ptr("Moved")}); err != nil {
		t.Fatal(err)
	}
	got, err := f.svc.UpdateEvent(f.ctx, u, ev.ID, Change{}, EventInput{RRule: ptr("")})
	if err != nil || got.RRule != "" {
		t.Fatalf("%+v %v", got, err)
	}
	full, _ := f.svc.Event(f.ctx, u, ev.ID)
	obj, _ := f.svc.Object(f.ctx, u, cal, ev.UID)
	if len(full.Overrides) != 0 || strings.Count(string(obj.Data), "BEGIN:VEVENT") != 1 {
		t.Fatalf("overrides left: %+v\n%s", full.Overrides, obj.Data)
	}
}

// Every field of an event survives export and import.
func TestFieldsRoundTrip(t *testing.T) {
	f := newFixture(t)
	u := f.user()
	a, b := f.calendar(u, "Europe/Berlin"), f.calendar(u, "UTC")
	in := EventInput{CalendarID: &a, Title: ptr("Review; with, punctuation\\"), Description: ptr("Line one\nLine two, with a comma"),
		Location: ptr("Room 4"), Status: ptr(StatusTentative), Start: ptr("2026-07-01T14:00"), End: ptr("2026-07-01T15:30"),
		RRule: ptr("FREQ=WEEKLY;INTERVAL=2;BYDAY=WE;UNTIL=20261231T000000Z"), ExDates: &[]string{"2026-07-15T14:00"},
		RDates: &[]string{"2026-07-03T09:00"}, Category: ptr("work"), Weight: ptr(7), Reminders: &[]int{90, 1440, 0},
		Attendees: &[]store.Attendee{{Email: "ann@example.org", Name: "Ann Example", Role: "chair", Status: "accepted"}, {Email: "bob@example.org"}}}
	ev, err := f.svc.CreateEvent(f.ctx, u, in)
	if err != nil {
		t.Fatal(err)
	}
	data, _, err := f.svc.Export(f.ctx, u, a, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res, err := f.svc.Import(f.ctx, u, b, data); err != nil || res.Created != 1 {
		t.Fatalf("import: %+v %v", res, err)
	}
	objs, _ := f.svc.Objects(f.ctx, u, b)
	is := f.instances(u, "2026-07-01T00:00:00Z", "2026-07-04T00:00:00Z")
	var got *Event
	for _, i := range is {
		if i.CalendarID == b {
			got, _ = f.svc.Event(f.ctx, u, i.EventID)
			break
		}
	}
	if got == nil || len(objs) != 1 {
		t.Fatalf("imported: %+v %+v", is, objs)
	}
	strip := func(e *Event) Event {
		c := *e
		c.ID, c.CalendarID, c.ETag, c.CreatedAt, c.UpdatedAt, c.Sequence = 0, 0, "", time.Time{}, time.Time{}, 0
		return c
	}
	if g, w := fmt.Sprintf("%+v", strip(got)), fmt.Sprintf("%+v", strip(ev)); g != w {
		t.Fatalf("after the round trip\n%s\nwant\n%s", g, w)
	}
}

// A whole event or series moves between the user's local calendars with
// its overrides; the calendar it left reports it deleted (sync).
func TestMoveEvent(t *testing.T) {
	f := newFixture(t, func(d *Deps) {
		d.Fetch = func(context.Context, *http.Request) (*http.Response, error) { return nil, errors.New("offline") }
	})
	u, other := f.user(), f.user()
	a, b := f.calendar(u, "Europe/Berlin"), f.calendar(u, "Europe/Berlin")
	feed, err := f.svc.CreateCalendar(f.ctx, u, CalendarInput{Name: ptr("Feed"), FeedURL: ptr("https://example.org/f.ics")})
	if err != nil {
		t.Fatal(err)
	}
	ev, err := f.svc.CreateEvent(f.ctx, u, EventInput{CalendarID: &a, Title: ptr("Choir"), Start: ptr("2026-09-01T19:00"), RRule: ptr("FREQ=WEEKLY;COUNT=3")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.UpdateEvent(f.ctx, u, ev.ID, Change{Scope: ScopeThis, RecurrenceID: "2026-09-08T17:00:00Z"}, EventInput{Title: ptr("Choir (concert)")}); err != nil {
		t.Fatal(err)
	}
	seq, _ := f.svc.Changes(f.ctx, u, a, 0)
	for _, c := range []struct {
		name string
		to   int64
		ch   Change
		code int
	}{
		{"another user's calendar", f.calendar(other, "UTC"), Change{}, 404},
		{"a feed", feed.ID, Change{}, 409},
		{"one instance", b, Change{Scope: ScopeThis, RecurrenceID: "2026-09-15T17:00:00Z"}, 400},
	} {
		_, err := f.svc.UpdateEvent(f.ctx, u, ev.ID, c.ch, EventInput{CalendarID: &c.to})
		wantCode(t, err, c.code, "")
	}
	moved, err := f.svc.UpdateEvent(f.ctx, u, ev.ID, Change{}, EventInput{CalendarID: &b, Location: ptr("Church")})
	if err != nil || moved.CalendarID != b || moved.UID != ev.UID || moved.Location != "Church" {
		t.Fatalf("moved %+v %v", moved, err)
	}
	got := f.instances(u, "2026-09-01T00:00:00Z", "2026-10-01T00:00:00Z")
	if len(got) != 3 || got[1].Title != "Choir (concert)" || got[0].CalendarID != b || got[1].CalendarID != b {
		t.Fatalf("after the move: %+v", got)
	}
	if ch, _ := f.svc.Changes(f.ctx, u, a, seq.Seq); strings.Join(ch.Deleted, ",") != ev.UID {
		t.Fatalf("the calendar left does not report the deletion: %+v", ch)
	}
	// Back into a calendar that holds the UID already: refused.
	if _, _, err := f.svc.PutObject(f.ctx, u, a, ev.UID, []byte(objSeries), PutOptions{}); err == nil {
		t.Fatal("an object with another UID was stored")
	}
	if _, err := f.svc.Import(f.ctx, u, a, []byte(strings.ReplaceAll(objSeries, "obj-1", ev.UID))); err != nil {
		t.Fatal(err)
	}
	_, err = f.svc.UpdateEvent(f.ctx, u, moved.ID, Change{}, EventInput{CalendarID: &a})
	wantCode(t, err, 409, "")
}
