package calendar

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

// Instances read from the rows cached by change counter answer what a
// service that never saw the calendar answers, after every kind of change
// (REST, a CalDAV put and delete, an import), in every calendar.
func TestInstancesCacheFollowsChanges(t *testing.T) {
	f := newFixture(t)
	u := f.user()
	home, work := f.calendar(u, "Europe/Berlin"), f.calendar(u, "UTC")
	req := InstancesRequest{From: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), To: time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)}
	check := func(step string, want int) []Instance {
		t.Helper()
		got, err := f.svc.Instances(f.ctx, u, req)
		if err != nil {
			t.Fatal(err)
		}
		fresh, err := New(Deps{Store: f.st, NoRefresh: true}).Instances(f.ctx, u, req)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, fresh) || len(got) != want {
			t.Fatalf("%s: %d instances from the cache, want %d and the same as read afresh:\n%v\n%v", step, len(got), want, starts(got), starts(fresh))
		}
		return got
	}
	check("empty", 0)
	ev, err := f.svc.CreateEvent(f.ctx, u, EventInput{CalendarID: &home, Title: ptr("Run"), Start: ptr("2026-03-02T07:00"), RRule: ptr("FREQ=WEEKLY")})
	if err != nil {
		t.Fatal(err)
	}
	check("created", 5)
	if _, err := f.svc.UpdateEvent(f.ctx, u, ev.ID, Change{}, EventInput{Title: ptr("Long run")}); err != nil {
		t.Fatal(err)
	}
	if got := check("renamed", 5); got[0].Title != "Long run" {
		t.Fatalf("renamed: %q", got[0].Title)
	}
	if err := f.svc.DeleteEvent(f.ctx, u, ev.ID, Change{Scope: ScopeThis, RecurrenceID: "2026-03-09T06:00:00Z"}); err != nil {
		t.Fatal(err)
	}
	check("one instance deleted", 4)
	ics := "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\nBEGIN:VEVENT\r\nUID:dav-1\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:20260310T100000Z\r\nDURATION:PT1H\r\nSUMMARY:Call\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
	if _, _, err := f.svc.PutObject(f.ctx, u, work, "dav-1", []byte(ics), PutOptions{}); err != nil {
		t.Fatal(err)
	}
	check("put over CalDAV", 5)
	if _, _, err := f.svc.PutObject(f.ctx, u, work, "dav-1", []byte(strings.Replace(ics, "20260310", "20260410", 1)), PutOptions{}); err != nil {
		t.Fatal(err)
	}
	check("moved out of the range over CalDAV", 4)
	if _, err := f.svc.Import(f.ctx, u, work, []byte(strings.Replace(strings.Replace(ics, "dav-1", "imp-1", 1), "SUMMARY:Call", "SUMMARY:Imported", 1))); err != nil {
		t.Fatal(err)
	}
	check("imported", 5)
	if err := f.svc.DeleteObject(f.ctx, u, work, "imp-1", ""); err != nil {
		t.Fatal(err)
	}
	check("deleted over CalDAV", 4)
	if err := f.svc.DeleteCalendar(f.ctx, u, home); err != nil {
		t.Fatal(err)
	}
	check("calendar deleted", 0)
}
