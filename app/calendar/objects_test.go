package calendar

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

const objSeries = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//client//EN\r\n" +
	"BEGIN:VEVENT\r\nUID:obj-1\r\nDTSTAMP:20260101T000000Z\r\nSUMMARY:Piano\r\nDTSTART;TZID=Europe/Berlin:20260302T160000\r\nDTEND;TZID=Europe/Berlin:20260302T170000\r\n" +
	"RRULE:FREQ=WEEKLY;COUNT=3\r\nX-CLIENT-COLOUR:teal\r\nEND:VEVENT\r\n" +
	"BEGIN:VEVENT\r\nUID:obj-1\r\nDTSTAMP:20260101T000000Z\r\nSUMMARY:Piano (recital)\r\nRECURRENCE-ID;TZID=Europe/Berlin:20260309T160000\r\n" +
	"DTSTART;TZID=Europe/Berlin:20260309T180000\r\nDTEND;TZID=Europe/Berlin:20260309T200000\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"

// The CalDAV side: objects by UID with ETags, preconditions, and the
// change feed (changed and deleted since a seq).
func TestObjects(t *testing.T) {
	f := newFixture(t)
	u, other := f.user(), f.user()
	cal := f.calendar(u, "Europe/Berlin")
	ch0, err := f.svc.Changes(f.ctx, u, cal, 0)
	if err != nil || ch0.Seq != 0 || len(ch0.Changed) != 0 {
		t.Fatalf("changes of an empty calendar: %+v %v", ch0, err)
	}
	o, created, err := f.svc.PutObject(f.ctx, u, cal, "obj-1", []byte(objSeries), PutOptions{IfNoneMatch: true})
	if err != nil || !created || o.ETag == "" || o.Seq != 1 {
		t.Fatalf("put: %+v %v %v", o, created, err)
	}
	data := string(o.Data)
	for _, want := range []string{"X-CLIENT-COLOUR:teal", "RECURRENCE-ID;TZID=Europe/Berlin:20260309T160000", "BEGIN:VTIMEZONE", "SUMMARY:Piano (recital)"} {
		if !strings.Contains(data, want) {
			t.Fatalf("object lacks %q:\n%s", want, data)
		}
	}
	got := starts(f.instances(u, "2026-03-01T00:00:00Z", "2026-04-01T00:00:00Z"))
	if got != "2026-03-02T16:00:00+01:00 2026-03-09T18:00:00+01:00*Piano (recital) 2026-03-16T16:00:00+01:00" {
		t.Fatalf("instances %s", got)
	}
	// Preconditions.
	if _, _, err := f.svc.PutObject(f.ctx, u, cal, "obj-1", []byte(objSeries), PutOptions{IfNoneMatch: true}); err != ErrPrecondition {
		t.Fatalf("If-None-Match on an existing object: %v", err)
	}
	if _, _, err := f.svc.PutObject(f.ctx, u, cal, "obj-1", []byte(objSeries), PutOptions{IfMatch: "stale"}); err != ErrPrecondition {
		t.Fatalf("stale If-Match: %v", err)
	}
	changed := strings.Replace(objSeries, "SUMMARY:Piano\r\n", "SUMMARY:Piano lesson\r\n", 1)
	o2, created, err := f.svc.PutObject(f.ctx, u, cal, "obj-1", []byte(changed), PutOptions{IfMatch: o.ETag})
	if err != nil || created || o2.ETag == o.ETag || o2.Seq != 2 {
		t.Fatalf("put with If-Match: %+v %v %v", o2, created, err)
	}
	if got, _ := f.svc.Object(f.ctx, u, cal, "obj-1"); got.ETag != o2.ETag || !strings.Contains(string(got.Data), "SUMMARY:Piano lesson") {
		t.Fatalf("object after put: %+v", got)
	}
	// Bad objects.
	for name, bad := range map[string]string{
		"other uid":  strings.ReplaceAll(objSeries, "UID:obj-1", "UID:obj-2"),
		"todo":       "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\nBEGIN:VTODO\r\nUID:obj-1\r\nEND:VTODO\r\nEND:VCALENDAR\r\n",
		"two series": strings.Replace(objSeries, "RECURRENCE-ID;TZID=Europe/Berlin:20260309T160000\r\n", "", 1),
		"garbage":    "hello",
		"no start":   "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\nBEGIN:VEVENT\r\nUID:obj-1\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
	} {
		if _, _, err := f.svc.PutObject(f.ctx, u, cal, "obj-1", []byte(bad), PutOptions{}); err == nil {
			t.Errorf("%s: accepted", name)
		} else {
			wantCode(t, err, 400, "data")
		}
	}
	_, _, err = f.svc.PutObject(f.ctx, u, cal, "", []byte(objSeries), PutOptions{})
	wantCode(t, err, 400, "uid")
	// Another user: 404, nothing changed.
	if _, _, err := f.svc.PutObject(f.ctx, other, cal, "obj-1", []byte(objSeries), PutOptions{}); err == nil {
		t.Fatal("another user wrote the object")
	}
	wantCode(t, f.svc.DeleteObject(f.ctx, other, cal, "obj-1", ""), 404, "")
	if _, err := f.svc.Objects(f.ctx, other, cal); err == nil {
		t.Fatal("another user listed the objects")
	}
	// A second object, then changes since seq 2.
	if _, _, err := f.svc.PutObject(f.ctx, u, cal, "obj-2", []byte(strings.ReplaceAll(objSeries, "UID:obj-1", "UID:obj-2")), PutOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.DeleteObject(f.ctx, u, cal, "obj-1", "wrong"); err != ErrPrecondition {
		t.Fatalf("delete with a stale If-Match: %v", err)
	}
	if err := f.svc.DeleteObject(f.ctx, u, cal, "obj-1", o2.ETag); err != nil {
		t.Fatal(err)
	}
	ch, err := f.svc.Changes(f.ctx, u, cal, 2)
	if err != nil || ch.Seq != 4 || strings.Join(ch.Changed, ",") != "obj-2" || strings.Join(ch.Deleted, ",") != "obj-1" {
		t.Fatalf("changes since 2: %+v %v", ch, err)
	}
	objs, _ := f.svc.Objects(f.ctx, u, cal)
	if len(objs) != 1 || objs[0].UID != "obj-2" {
		t.Fatalf("objects %+v", objs)
	}
	// The uid comes back: no longer deleted.
	if _, _, err := f.svc.PutObject(f.ctx, u, cal, "obj-1", []byte(objSeries), PutOptions{IfNoneMatch: true}); err != nil {
		t.Fatal(err)
	}
	if ch, _ := f.svc.Changes(f.ctx, u, cal, 0); len(ch.Deleted) != 0 || len(ch.Changed) != 2 {
		t.Fatalf("changes since 0 (a first sync): %+v", ch)
	}
	if ch, _ := f.svc.Changes(f.ctx, u, cal, 2); len(ch.Deleted) != 0 || len(ch.Changed) != 2 {
		t.Fatalf("changes after the uid came back: %+v", ch)
	}
	wantCode(t, f.svc.DeleteObject(f.ctx, u, cal, "nope", ""), 404, "")
	if err := f.svc.DeleteObject(f.ctx, u, cal, "obj-2", ""); err != nil {
		t.Fatal(err)
	}
	if ch, _ := f.svc.Changes(f.ctx, u, cal, 0); len(ch.Deleted) != 0 || strings.Join(ch.Changed, ",") != "obj-1" {
		t.Fatalf("a first sync after a deletion: %+v", ch)
	}
	if ch, _ := f.svc.Changes(f.ctx, u, cal, 4); strings.Join(ch.Deleted, ",") != "obj-2" {
		t.Fatalf("since 4: %+v", ch)
	}
	// A REST edit changes the object's ETag and seq too.
	ev := f.instances(u, "2026-03-01T00:00:00Z", "2026-03-03T00:00:00Z")[0]
	before, _ := f.svc.Object(f.ctx, u, cal, ev.UID)
	if _, err := f.svc.UpdateEvent(f.ctx, u, ev.EventID, Change{}, EventInput{Location: ptr("Hall")}); err != nil {
		t.Fatal(err)
	}
	after, _ := f.svc.Object(f.ctx, u, cal, ev.UID)
	if after.ETag == before.ETag || after.Seq <= before.Seq || !strings.Contains(string(after.Data), "LOCATION:Hall") || !strings.Contains(string(after.Data), "X-CLIENT-COLOUR:teal") {
		t.Fatalf("after a REST edit: %s", after.Data)
	}
}

// Feed and Google calendars are read-only for every writer.
func TestReadOnlyCalendar(t *testing.T) {
	f := newFixture(t, func(d *Deps) {
		d.Fetch = func(ctx context.Context, r *http.Request) (*http.Response, error) { return nil, errors.New("offline") }
	})
	u := f.user()
	c, err := f.svc.CreateCalendar(f.ctx, u, CalendarInput{Name: ptr("Feed"), FeedURL: ptr("webcal://example.org/x.ics")})
	if err != nil {
		t.Fatal(err)
	}
	if c.Feed == nil || c.Feed.URL != "http://example.org/x.ics" || !c.ReadOnly {
		t.Fatalf("feed calendar %+v", c)
	}
	if _, _, err := f.svc.PutObject(f.ctx, u, c.ID, "obj-1", []byte(objSeries), PutOptions{}); err != ErrReadOnly {
		t.Fatalf("put into a feed: %v", err)
	}
	if _, err := f.svc.Import(f.ctx, u, c.ID, []byte(objSeries)); err != ErrReadOnly {
		t.Fatalf("import into a feed: %v", err)
	}
	if _, err := f.svc.CreateEvent(f.ctx, u, EventInput{CalendarID: &c.ID, Title: ptr("x"), Start: ptr("2026-01-01T10:00")}); err != ErrReadOnly {
		t.Fatalf("create in a feed: %v", err)
	}
	_, err = f.svc.RefreshFeed(f.ctx, u, c.ID)
	wantCode(t, err, 502, "")
	if got, _ := f.svc.Calendar(f.ctx, u, c.ID); !strings.Contains(got.Feed.Error, "offline") || got.Feed.NextAt == nil {
		t.Fatalf("feed state %+v", got.Feed)
	}
}

func TestImportLimit(t *testing.T) {
	f := newFixture(t, func(d *Deps) { d.ImportMaxEvents = 1 })
	u := f.user()
	cal := f.calendar(u, "UTC")
	two := strings.Replace(objSeries, "UID:obj-1\r\nDTSTAMP:20260101T000000Z\r\nSUMMARY:Piano (recital)", "UID:obj-2\r\nDTSTAMP:20260101T000000Z\r\nSUMMARY:Piano (recital)", 1)
	_, err := f.svc.Import(f.ctx, u, cal, []byte(two))
	wantCode(t, err, 400, "file")
	if objs, _ := f.svc.Objects(f.ctx, u, cal); len(objs) != 0 {
		t.Fatalf("a refused import stored %d objects", len(objs))
	}
}

// A rule that can never yield an instance (rrule-go would search until
// the year 9999 at every expansion) is refused when saved: 400 over REST
// and CalDAV, a per-event error in an import, which goes on.
func TestRuleWithoutInstancesRefused(t *testing.T) {
	f := newFixture(t)
	u := f.user()
	cal := f.calendar(u, "UTC")
	for _, rule := range []string{"FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30", "FREQ=HOURLY;BYMONTH=4;BYMONTHDAY=31", "FREQ=YEARLY;INTERVAL=2;BYMONTH=2;BYMONTHDAY=31;COUNT=3"} {
		_, err := f.svc.CreateEvent(f.ctx, u, EventInput{CalendarID: &cal, Title: ptr("Never"), Start: ptr("2026-01-01T09:00"), RRule: ptr(rule)})
		wantCode(t, err, 400, "rrule")
	}
	never := strings.Replace(objSeries, "RRULE:FREQ=WEEKLY;COUNT=3", "RRULE:FREQ=MONTHLY;BYMONTHDAY=30;BYMONTH=2", 1)
	_, _, err := f.svc.PutObject(f.ctx, u, cal, "obj-1", []byte(never), PutOptions{})
	wantCode(t, err, 400, "rrule")
	two := never + strings.ReplaceAll(strings.Replace(objSeries, "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//client//EN\r\n", "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\n", 1), "obj-1", "obj-2")
	res, err := f.svc.Import(f.ctx, u, cal, []byte(two))
	if err != nil || res.Created != 1 || len(res.Errors) != 1 || res.Errors[0].UID != "obj-1" || !strings.Contains(res.Errors[0].Message, "never yields") {
		t.Fatalf("import: %+v %v", res, err)
	}
	if objs, _ := f.svc.Objects(f.ctx, u, cal); len(objs) != 1 || objs[0].UID != "obj-2" {
		t.Fatalf("objects %+v", objs)
	}
}

// An import that runs out of time stops where it is, says so, and the
// same file again goes on from there.
func TestImportWorkBudget(t *testing.T) {
	f := newFixture(t)
	u := f.user()
	cal := f.calendar(u, "UTC")
	var b strings.Builder
	b.WriteString("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\n")
	for i := 0; i < 5; i++ {
		fmt.Fprintf(&b, "BEGIN:VEVENT\r\nUID:e%d\r\nDTSTART:2026010%dT100000Z\r\nSUMMARY:E%d\r\nEND:VEVENT\r\n", i, i+1, i)
	}
	b.WriteString("END:VCALENDAR\r\n")
	old := maxUpsertWork
	t.Cleanup(func() { maxUpsertWork = old })
	maxUpsertWork = 0
	res, err := f.svc.Import(f.ctx, u, cal, []byte(b.String()))
	if err != nil || res.Created != 0 || res.Skipped != 5 || len(res.Errors) != 1 || !strings.Contains(res.Errors[0].Message, "import it again") {
		t.Fatalf("out of time: %+v %v", res, err)
	}
	maxUpsertWork = old
	if res, err := f.svc.Import(f.ctx, u, cal, []byte(b.String())); err != nil || res.Created != 5 {
		t.Fatalf("again: %+v %v", res, err)
	}
}

// Deletions are remembered for a month; a sync from before the forgotten
// ones starts afresh (410), a later one still works.
func TestTombstonesPruned(t *testing.T) {
	clk := &clock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	f := newFixture(t, func(d *Deps) { d.Now = clk.now })
	u := f.user()
	cal := f.calendar(u, "UTC")
	for _, uid := range []string{"obj-1", "obj-2", "obj-3"} {
		if _, _, err := f.svc.PutObject(f.ctx, u, cal, uid, []byte(strings.ReplaceAll(objSeries, "obj-1", uid)), PutOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.svc.DeleteObject(f.ctx, u, cal, "obj-1", ""); err != nil { // seq 4
		t.Fatal(err)
	}
	clk.add(31 * 24 * time.Hour)
	if err := f.svc.DeleteObject(f.ctx, u, cal, "obj-2", ""); err != nil { // seq 5
		t.Fatal(err)
	}
	f.svc.pruneTombstones(f.ctx)
	_, err := f.svc.Changes(f.ctx, u, cal, 3)
	wantCode(t, err, 410, "")
	if ch, err := f.svc.Changes(f.ctx, u, cal, 4); err != nil || strings.Join(ch.Deleted, ",") != "obj-2" {
		t.Fatalf("since 4: %+v %v", ch, err)
	}
	if ch, err := f.svc.Changes(f.ctx, u, cal, 0); err != nil || strings.Join(ch.Changed, ",") != "obj-3" {
		t.Fatalf("a fresh sync: %+v %v", ch, err)
	}
}
