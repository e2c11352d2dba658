package server_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/aiwfe/aiwfe/app/server/servertest"
)

// eventOpportunities lists the user's opportunities from events (every
// status).
func eventOpportunities(t *testing.T, c *servertest.Client) []opportunityView {
	t.Helper()
	return listOpportunities(t, c, "?status=all&source=event")
}

// waitEventOpportunity waits for the proposal of event id (the hook reads
// events in the background) and returns it.
func waitEventOpportunity(t *testing.T, c *servertest.Client, eventID int64) opportunityView {
	t.Helper()
	var got opportunityView
	poll(t, 10*time.Second, fmt.Sprintf("the opportunity of event %d", eventID), func() bool {
		for _, o := range eventOpportunities(t, c) {
			if o.Source.EventID == eventID {
				got = o
				return true
			}
		}
		return false
	})
	return got
}

// Calendar → opportunities: an event made in the web app (or chat)
// proposes "Prepare for …" when the user turned calendar events on; not
// when off, not for imports or CalDAV, not for all-day, past, recurring
// or cancelled events; deleting the event withdraws the open proposal and
// keeps an accepted one.
func TestCalendarEventOpportunities(t *testing.T) {
	e := startDAV(t) // a user with a calendar and an app password
	u := e.user
	ahead := time.Now().UTC().Add(72 * time.Hour).Truncate(time.Hour)
	create := func(title string, extra map[string]any) int64 {
		t.Helper()
		body := map[string]any{"calendar_id": e.calID, "title": title, "start": ahead.Format(time.RFC3339)}
		for k, v := range extra {
			body[k] = v
		}
		res := u.Post("/api/v1/calendar/events", body)
		if res.Status != 201 {
			t.Fatalf("create %s: %s", title, res)
		}
		var ev struct {
			ID int64 `json:"id"`
		}
		res.JSON(t, &ev)
		return ev.ID
	}
	importICS := func(uid, title string) {
		t.Helper()
		ics := "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\nUID:" + uid + "\r\nDTSTAMP:20260101T000000Z\r\nSUMMARY:" + title +
			"\r\nDTSTART:" + ahead.Format("20060102T150405Z") + "\r\nDURATION:PT1H\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
		if res := u.Do("POST", "/api/v1/calendar/import", icsUpload(t, e.calID, "a.ics", ics, nil)); res.Status != 200 {
			t.Fatalf("import: %s", res)
		}
	}
	settings := func(on bool) {
		t.Helper()
		res := u.Put("/api/v1/tasks/opportunities/settings", map[string]any{"calendar_events": on})
		var s struct {
			CalendarEvents bool `json:"calendar_events"`
		}
		if res.Status != 200 {
			t.Fatalf("settings: %s", res)
		}
		if res.JSON(t, &s); s.CalendarEvents != on {
			t.Fatalf("settings: %s", res)
		}
	}

	// Off by default.
	res := u.Get("/api/v1/tasks/opportunities/settings")
	var s struct {
		CalendarEvents *bool `json:"calendar_events"`
	}
	if res.JSON(t, &s); res.Status != 200 || s.CalendarEvents == nil || *s.CalendarEvents {
		t.Fatalf("default settings: %s", res)
	}
	offID := create("Board meeting", nil)
	importICS("imported-off@test", "Imported while off")

	settings(true)
	importICS("imported-on@test", "Gala dinner")
	if r := e.do(t, "PUT", e.calPath+"phone.ics", eventICS("phone", "Made on the phone", ahead.Format("20060102T150405Z")),
		"Content-Type", "text/calendar"); r.Status != 201 {
		t.Fatalf("CalDAV PUT: %d %s", r.Status, r.Body)
	}
	create("Company holiday", map[string]any{"all_day": true, "start": ahead.Format("2006-01-02")})
	create("Last week's review", map[string]any{"start": time.Now().Add(-7 * 24 * time.Hour).UTC().Format(time.RFC3339)})
	create("Standup", map[string]any{"rrule": "FREQ=WEEKLY"})
	create("Called off", map[string]any{"status": "cancelled"})
	create("Lunch", map[string]any{"weight": 0})

	onID := create("Quarterly review", map[string]any{"location": "Room 4"})
	o := waitEventOpportunity(t, u, onID)
	if o.Title != "Prepare for Quarterly review" || o.Status != "open" || o.Source.Kind != "event" || o.Source.Title != "Quarterly review" ||
		o.Due != ahead.AddDate(0, 0, -1).Format("2006-01-02") || o.ProposedBy != "rules" {
		t.Fatalf("proposal: %+v", o)
	}
	// The queue is first in, first out: whatever the earlier events
	// could have proposed is in by now, and none did.
	if all := eventOpportunities(t, u); len(all) != 1 {
		t.Fatalf("only the event made with the switch on proposes: %+v (the first event was %d)", all, offID)
	}
	// Another user sees none of it.
	if other := eventOpportunities(t, e.srv.User(t, "user")); len(other) != 0 {
		t.Fatalf("another user's inbox: %+v", other)
	}

	// Deleting the event withdraws the open proposal; an accepted one
	// keeps its task.
	keptID := create("Client visit", nil)
	kept := waitEventOpportunity(t, u, keptID)
	if res := u.Post(fmt.Sprintf("/api/v1/tasks/opportunities/%d/accept", kept.ID), map[string]any{}); res.Status != 201 {
		t.Fatalf("accept: %s", res)
	}
	for _, id := range []int64{keptID, onID} {
		if res := u.Delete(fmt.Sprintf("/api/v1/calendar/events/%d", id)); res.Status != 204 {
			t.Fatalf("delete event: %s", res)
		}
	}
	poll(t, 10*time.Second, "the deleted event's proposal to go", func() bool {
		for _, x := range eventOpportunities(t, u) {
			if x.ID == o.ID {
				return false
			}
		}
		return true
	})
	if all := eventOpportunities(t, u); len(all) != 1 || all[0].ID != kept.ID || all[0].Status != "accepted" {
		t.Fatalf("after deleting the events: %+v", all)
	}

	// The same event made again proposes again (the withdrawn proposal is
	// no memory of a dismissal); switched off, nothing more comes.
	againID := create("Quarterly review", nil)
	waitEventOpportunity(t, u, againID)
	settings(false)
	create("Offsite", nil)
	// Deleting it over CalDAV withdraws too: find its object by UID.
	res = u.Get(fmt.Sprintf("/api/v1/calendar/events/%d", againID))
	var ev struct {
		UID string `json:"uid"`
	}
	res.JSON(t, &ev)
	if r := e.do(t, "DELETE", e.calPath+ev.UID+".ics", ""); r.Status != 204 {
		t.Fatalf("CalDAV DELETE %s: %d %s", ev.UID, r.Status, r.Body)
	}
	poll(t, 10*time.Second, "the proposal of the event deleted over CalDAV to go", func() bool {
		return len(eventOpportunities(t, u)) == 1
	})
}
