package chat

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aiwfe/aiwfe/app/apperr"
	"github.com/aiwfe/aiwfe/app/llm"
)

// memCalendar is an in-memory Calendar keeping each user's events apart,
// as the calendar service does. The tools over the real calendar service
// are tested through the server (app/server).
type memCalendar struct {
	mu     sync.Mutex
	events []memEvent
}

type memEvent struct {
	user int64
	EventItem
}

func (m *memCalendar) Zone(context.Context, int64) *time.Location {
	loc, _ := time.LoadLocation("Europe/Berlin")
	return loc
}

func (m *memCalendar) ListEvents(_ context.Context, userID int64, from, to time.Time) ([]EventItem, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []EventItem
	for _, e := range m.events {
		s, _ := time.ParseInLocation("2006-01-02T15:04", e.Start, from.Location())
		if e.user == userID && !s.Before(from) && s.Before(to) {
			out = append(out, e.EventItem)
		}
	}
	return out, nil
}

func (m *memCalendar) CreateEvent(_ context.Context, userID int64, c EventChange) (EventItem, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if c.Calendar != "" && c.Calendar != "Home" {
		return EventItem{}, apperr.NotFound("calendar " + c.Calendar)
	}
	e := memEvent{user: userID, EventItem: EventItem{ID: int64(len(m.events) + 1), Title: c.Title, Start: c.Start, End: c.End, Calendar: "Home"}}
	m.events = append(m.events, e)
	return e.EventItem, nil
}

func newCalendarToolsFixture(t *testing.T) (*toolsFixture, *memCalendar) {
	t.Helper()
	cal := &memCalendar{}
	rec := &recording{Provider: llm.NewDemo(0)}
	now := func() time.Time { return toolsNow }
	f := newFixtureDeps(t, Deps{LLM: rec, Now: now, Tools: append(TaskTools(newMemTasks(), now), CalendarTools(cal, now)...)})
	return &toolsFixture{fixture: f, llm: rec}, cal
}

func TestListEventsRunsAtOnceForTheCaller(t *testing.T) {
	f, cal := newCalendarToolsFixture(t)
	uid := f.user(t, "a@example.com", map[string]any{"timezone": "Europe/Berlin"})
	other := f.user(t, "b@example.com", nil)
	ctx := context.Background()
	cal.CreateEvent(ctx, uid, EventChange{Title: "Standup", Start: "2026-12-03T09:00", End: "2026-12-03T09:15"})
	cal.CreateEvent(ctx, uid, EventChange{Title: "Later", Start: "2026-12-04T09:00"})
	cal.CreateEvent(ctx, other, EventChange{Title: "Secret meeting", Start: "2026-12-03T10:00"})
	// No confirmation needed: list_events changes nothing.
	r, err := f.svc.Send(ctx, SendRequest{UserID: uid, Message: "what's on my calendar tomorrow?", UseTools: true})
	if err != nil {
		t.Fatal(err)
	}
	calls := storedCalls(t, r.Message)
	if len(calls) != 1 || calls[0].Name != "list_events" || calls[0].Status != ToolDone || calls[0].Confirm ||
		string(calls[0].Arguments) != `{"from":"2026-12-03","to":"2026-12-03"}` || calls[0].Summary != "Look up your calendar for Thu 3 Dec" {
		t.Fatalf("calls %+v", calls)
	}
	if res := string(calls[0].Result); strings.Contains(res, "Secret") || strings.Contains(res, "Later") || !strings.Contains(res, `"total":1`) {
		t.Fatalf("result %s", res)
	}
	if !strings.Contains(r.Message.Content, "On your calendar on 2026-12-03:\n\n- \u201cStandup\u201d 2026-12-03 09:00\u201309:15") {
		t.Fatalf("reply %q", r.Message.Content)
	}
}

func TestCreateEventAfterApproval(t *testing.T) {
	cases := []struct {
		name      string
		decisions []Decision
		want      *EventItem
		status    string
		reply     string
	}{
		{name: "approved", decisions: []Decision{{Approve: true}}, status: ToolDone,
			want: &EventItem{ID: 1, Title: "Dentist", Start: "2026-12-04T15:00", Calendar: "Home"}, reply: "I added \u201cDentist\u201d 2026-12-04 15:00"},
		{name: "edited", decisions: []Decision{{Approve: true, Arguments: json.RawMessage(`{"title":"Dentist (Dr Who)","start":"2026-12-04T16:00","end":"2026-12-04T16:30"}`)}},
			status: ToolDone, want: &EventItem{ID: 1, Title: "Dentist (Dr Who)", Start: "2026-12-04T16:00", End: "2026-12-04T16:30", Calendar: "Home"}, reply: "16:00\u201316:30"},
		{name: "edit ending before the start, then fixed", decisions: []Decision{
			{Approve: true, Arguments: json.RawMessage(`{"title":"Dentist","start":"2026-12-04T16:00","end":"2026-12-04T15:00"}`)},
			{Approve: true, Arguments: json.RawMessage(`{"title":"Dentist","start":"2026-12-04T16:00"}`)}},
			status: ToolDone, want: &EventItem{ID: 1, Title: "Dentist", Start: "2026-12-04T16:00", Calendar: "Home"}, reply: "I added"},
		{name: "declined", decisions: []Decision{{Approve: false}}, status: ToolDeclined, reply: "All right"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f, cal := newCalendarToolsFixture(t)
			uid := f.user(t, "a@example.com", map[string]any{"timezone": "Europe/Berlin"})
			c := &confirmWith{decisions: tc.decisions}
			r, err := f.svc.Send(context.Background(), SendRequest{UserID: uid, Message: "add an event Dentist on friday at 3pm", UseTools: true,
				Stream: Stream{Confirm: c.confirm}})
			if err != nil {
				t.Fatal(err)
			}
			p := c.seen[0]
			if p.Name != "create_event" || string(p.Arguments) != `{"start":"2026-12-04T15:00","title":"Dentist"}` || p.Summary != "Add event \u201cDentist\u201d on Fri 4 Dec 15:00" {
				t.Fatalf("proposal %+v", p)
			}
			if len(tc.decisions) > 1 && !strings.Contains(c.seen[1].Error, "end must be after start") {
				t.Fatalf("asked again without the reason: %+v", c.seen[1])
			}
			switch {
			case tc.want == nil && len(cal.events) != 0:
				t.Fatalf("events %+v after a decline", cal.events)
			case tc.want != nil && (len(cal.events) != 1 || cal.events[0].EventItem != *tc.want || cal.events[0].user != uid):
				t.Fatalf("events %+v, want %+v", cal.events, *tc.want)
			}
			calls := storedCalls(t, r.Message)
			if len(calls) != 1 || calls[0].Status != tc.status || !calls[0].Confirm {
				t.Fatalf("calls %+v", calls)
			}
			if !strings.Contains(r.Message.Content, tc.reply) {
				t.Fatalf("reply %q, want %q", r.Message.Content, tc.reply)
			}
		})
	}
}

func TestCalendarToolArguments(t *testing.T) {
	today := time.Date(2026, 12, 2, 9, 30, 0, 0, time.UTC)
	ranges := []struct{ args, from, to, err string }{
		{`{}`, "2026-12-02", "2026-12-03", ""},
		{`{"from":"2026-12-24"}`, "2026-12-24", "2026-12-25", ""},
		{`{"from":"2026-12-01","to":"2026-12-07"}`, "2026-12-01", "2026-12-08", ""},
		{`{"from":"2026-12-01T10:00","to":null}`, "2026-12-01", "2026-12-02", ""},
		{`{"from":"tomorrow"}`, "", "", "from must be a date"},
		{`{"from":"2026-12-07","to":"2026-12-01"}`, "", "", "to must not be before from"},
		{`{"from":"2026-01-01","to":"2026-12-31"}`, "", "", "at most 62 days"},
		{`[]`, "", "", "arguments must be a JSON object"},
	}
	for _, tc := range ranges {
		from, to, err := eventRange(json.RawMessage(tc.args), today)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%s: %v, want %q", tc.args, err, tc.err)
			}
			continue
		}
		if err != nil || from.Format(time.DateOnly) != tc.from || to.Format(time.DateOnly) != tc.to {
			t.Errorf("%s: %s..%s %v, want %s..%s", tc.args, from, to, err, tc.from, tc.to)
		}
	}
	events := []struct{ args, summary, err string }{
		{`{"title":"Dentist","start":"2026-12-04T15:00"}`, "Add event \u201cDentist\u201d on Fri 4 Dec 15:00", ""},
		{`{"title":"Dentist","start":"2026-12-04 15:00","end":"2026-12-04T16:30","location":"Main St","calendar":"Work"}`, "Add event \u201cDentist\u201d on Fri 4 Dec 15:00\u201316:30 at Main St (Work)", ""},
		{`{"title":"Trip","start":"2027-01-04","end":"2027-01-08"}`, "Add event \u201cTrip\u201d on Mon 4 Jan 2027 to Fri 8 Jan 2027, all day", ""},
		{`{"title":"Holiday","start":"2026-12-24"}`, "Add event \u201cHoliday\u201d on Thu 24 Dec, all day", ""},
		{`{"start":"2026-12-04T15:00"}`, "", "title is required"},
		{`{"title":"  ","start":"2026-12-04T15:00"}`, "", "title is required"},
		{`{"title":"x"}`, "", "start is required"},
		{`{"title":"x","start":"friday"}`, "", "start must be a date"},
		{`{"title":"x","start":"2026-12-04T15:00","end":"2026-12-04"}`, "", "end must have a time"},
		{`{"title":"x","start":"2026-12-04T15:00","end":"2026-12-04T15:00"}`, "", "end must be after start"},
		{`{"title":"x","start":"2026-12-05","end":"2026-12-04"}`, "", "end must be after start"},
		{`{"title":"` + strings.Repeat("x", 501) + `","start":"2026-12-04"}`, "", "at most 500"},
		{`{"title":"x","start":"2026-12-04","calendar":7}`, "", "calendar must be a string"},
	}
	for _, tc := range events {
		e, err := eventArgs(json.RawMessage(tc.args))
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%.60s: %v, want %q", tc.args, err, tc.err)
			}
			continue
		}
		if err != nil || describeEvent(e, today) != tc.summary {
			t.Errorf("%s: %q %v, want %q", tc.args, describeEvent(e, today), err, tc.summary)
		}
	}
}
