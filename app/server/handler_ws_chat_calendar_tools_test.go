package server_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aiwfe/aiwfe/app/server/servertest"
)

// The calendar's chat tools over the chat socket, against the built-in
// demo model ("what's on my calendar tomorrow" calls list_events, "add an
// event Dentist on friday at 3pm" create_event) and the real calendar
// service, in the user's profile timezone.

type calInstance struct {
	EventID    int64  `json:"event_id"`
	CalendarID int64  `json:"calendar_id"`
	Title      string `json:"title"`
	Start      string `json:"start"`
	End        string `json:"end"`
}

func dayEvents(t *testing.T, c *servertest.Client, day string) []calInstance {
	t.Helper()
	d, _ := time.Parse(time.DateOnly, day)
	res := c.Get("/api/v1/calendar/events?from=" + day + "&to=" + d.AddDate(0, 0, 1).Format(time.DateOnly))
	var page struct{ Items []calInstance }
	if res.Status != 200 || json.Unmarshal(res.Body, &page) != nil {
		t.Fatalf("events: %s", res)
	}
	// Tomorrow's meeting is left out: tomorrow may be the Friday.
	var out []calInstance
	for _, e := range page.Items {
		if e.Title != "Board meeting" {
			out = append(out, e)
		}
	}
	return out
}

func TestWSChatCalendarTools(t *testing.T) {
	srv := servertest.Start(t)
	owner, intruder := srv.User(t, "user"), srv.User(t, "user")
	if res := owner.Put("/api/v1/profile", map[string]any{"timezone": "America/New_York"}); res.Status != 200 {
		t.Fatalf("profile: %s", res)
	}
	ny, _ := time.LoadLocation("America/New_York")
	today := srv.Now().In(ny)
	tomorrow := today.AddDate(0, 0, 1).Format(time.DateOnly)
	friday := ""
	for d := 1; d <= 7; d++ {
		if t := today.AddDate(0, 0, d); t.Weekday() == time.Friday {
			friday = t.Format(time.DateOnly)
		}
	}
	res := owner.Post("/api/v1/calendar/calendars", map[string]any{"name": "Work", "timezone": "Europe/Berlin"})
	if res.Status != 201 {
		t.Fatalf("calendar: %s", res)
	}
	var work struct{ ID int64 }
	json.Unmarshal(res.Body, &work)
	if res := owner.Post("/api/v1/calendar/events", map[string]any{"calendar_id": work.ID, "title": "Board meeting",
		"start": tomorrow + "T09:00", "end": tomorrow + "T10:30", "timezone": "America/New_York"}); res.Status != 201 {
		t.Fatalf("event: %s", res)
	}

	// Listing runs at once, in the owner's zone.
	ws := dialWS(t, srv.URL, "/api/v1/ws/chat", accessTokenOf(t, owner))
	ws.send(map[string]any{"type": "send", "message": "what's on my calendar tomorrow?", "use_tools": true})
	ws.expect("start")
	r := ws.expect("tool_result")
	if r.str("name") != "list_events" || r.str("status") != "done" {
		t.Fatalf("list result %v", r)
	}
	events, _ := r["result"].(map[string]any)["events"].([]any)
	if len(events) != 1 || events[0].(map[string]any)["start"] != tomorrow+"T09:00" || events[0].(map[string]any)["calendar"] != "Work" {
		t.Fatalf("listed %v", r["result"])
	}
	if _, toks := ws.until("done"); !strings.Contains(strings.Join(toks, ""), "\u201cBoard meeting\u201d "+tomorrow+" 09:00\u201310:30") {
		t.Fatalf("reply %q", strings.Join(toks, ""))
	}

	// Creating asks first; the edited times are what is made.
	_, p := toolProposal(t, ws, "add an event Dentist on friday at 3pm")
	if p.str("name") != "create_event" || p.str("summary") != "Add event \u201cDentist\u201d on "+mustDay(friday).Format("Mon 2 Jan")+" 15:00" {
		t.Fatalf("proposal %v", p)
	}
	if got := dayEvents(t, owner, friday); len(got) != 0 && got[0].Title == "Dentist" {
		t.Fatal("the event was made before the approval")
	}
	ws.send(map[string]any{"type": "tool_confirm", "call_id": p.str("call_id"), "approve": true,
		"arguments": map[string]any{"title": "Dentist", "start": friday + "T15:00", "end": friday + "T15:45"}})
	if r := ws.expect("tool_result"); r.str("status") != "done" {
		t.Fatalf("create result %v", r)
	}
	ws.until("done")
	got := dayEvents(t, owner, friday)
	if len(got) != 1 || got[0].Title != "Dentist" || got[0].CalendarID != work.ID ||
		!strings.HasPrefix(got[0].Start, friday+"T15:00:00-05:00") || !strings.HasPrefix(got[0].End, friday+"T15:45:00-05:00") {
		t.Fatalf("friday %+v", got)
	}

	// Another user sees none of it and cannot write into it.
	iws := dialWS(t, srv.URL, "/api/v1/ws/chat", accessTokenOf(t, intruder))
	iws.send(map[string]any{"type": "send", "message": "what's on my calendar tomorrow", "use_tools": true})
	iws.expect("start")
	if r := iws.expect("tool_result"); r.str("status") != "done" || strings.Contains(fmt.Sprint(r["result"]), "Board") {
		t.Fatalf("intruder's list %v", r)
	}
	iws.until("done")
	_, ip := toolProposal(t, iws, "add an event Party on friday at 8pm")
	iws.send(map[string]any{"type": "tool_confirm", "call_id": ip.str("call_id"), "approve": true,
		"arguments": map[string]any{"title": "Party", "start": friday + "T20:00", "calendar": "Work"}})
	r = iws.expect("tool_result")
	if r.str("status") != "failed" || !strings.Contains(r.str("error"), "not found") {
		t.Fatalf("intruder writing into Work: %v", r)
	}
	iws.until("done")
	if got := dayEvents(t, owner, friday); len(got) != 1 {
		t.Fatalf("owner's friday after the intruder %+v", got)
	}
	// Without a calendar named, the intruder's event goes into a calendar of their own.
	_, ip = toolProposal(t, iws, "add an event Party on friday at 8pm")
	iws.send(map[string]any{"type": "tool_confirm", "call_id": ip.str("call_id"), "approve": true})
	if r := iws.expect("tool_result"); r.str("status") != "done" {
		t.Fatalf("intruder's own event %v", r)
	}
	iws.until("done")
	if got := dayEvents(t, owner, friday); len(got) != 1 {
		t.Fatalf("owner's friday %+v", got)
	}
	if got := dayEvents(t, intruder, friday); len(got) != 1 || got[0].Title != "Party" || got[0].CalendarID == work.ID {
		t.Fatalf("intruder's friday %+v", got)
	}

	// REST cannot confirm: create_event is not offered there, list_events is.
	res = owner.Post("/api/v1/chat", map[string]any{"message": "add an event Lunch on friday at 1pm", "use_tools": true})
	if res.Status != 200 || !strings.Contains(res.String(), `"tool_calls":[]`) || len(dayEvents(t, owner, friday)) != 1 {
		t.Fatalf("REST add: %s", res)
	}
	res = owner.Post("/api/v1/chat", map[string]any{"message": "what's on my calendar tomorrow", "use_tools": true})
	if res.Status != 200 || !strings.Contains(res.String(), `"name":"list_events"`) || !strings.Contains(res.String(), "Board meeting") {
		t.Fatalf("REST list: %s", res)
	}
}

func mustDay(s string) time.Time {
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return d
}
