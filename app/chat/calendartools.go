package chat

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/aiwfe/aiwfe/app/apperr"
)

// Calendar is what the calendar tools need of the calendar service, in
// chat's terms; app adapts the calendar service to it
// (app/calendartools.go). Every method acts for userID only: another
// user's calendar is apperr.NotFound.
type Calendar interface {
	// Zone is the user's timezone, in which the tools' dates are read.
	Zone(ctx context.Context, userID int64) *time.Location
	// ListEvents is every instance overlapping [from, to), ordered by
	// start, series expanded.
	ListEvents(ctx context.Context, userID int64, from, to time.Time) ([]EventItem, error)
	// CreateEvent adds an event to the calendar named (the user's first
	// local calendar when "").
	CreateEvent(ctx context.Context, userID int64, e EventChange) (EventItem, error)
}

// EventItem is an event instance as the model sees it: times in the
// user's timezone, without seconds or offset, as the tools take them.
type EventItem struct {
	ID        int64  `json:"id"`
	Title     string `json:"title"`
	Start     string `json:"start"`
	End       string `json:"end"`
	AllDay    bool   `json:"all_day,omitempty"`
	Location  string `json:"location,omitempty"`
	Calendar  string `json:"calendar"`
	Recurring bool   `json:"recurring,omitempty"`
}

// EventChange is a new event: Start and End are YYYY-MM-DD (all day; End
// inclusive) or YYYY-MM-DDTHH:MM in the user's timezone; End "" is an
// hour (a day) after Start.
type EventChange struct {
	Title       string
	Start       string
	End         string
	Location    string
	Description string
	Calendar    string
}

const (
	maxListedEvents = 100
	// maxEventDays bounds list_events' range (a model asking for a year
	// would flood its context).
	maxEventDays = 62
)

// CalendarTools are the tools over the user's calendar: list_events
// (read-only, so chat can answer "what's on Thursday?") and create_event
// (confirmed by the user).
func CalendarTools(c Calendar, now func() time.Time) []Tool {
	return []Tool{
		FuncTool{
			ToolName: "list_events",
			ToolDescription: "List the events on the user's calendars between two days, earliest first (recurring events expanded). " +
				"Use it to answer questions such as what is on a day or when the user is free.",
			Schema: json.RawMessage(`{"type":"object","properties":{` +
				`"from":{"type":"string","description":"YYYY-MM-DD, the first day; default today"},` +
				`"to":{"type":"string","description":"YYYY-MM-DD, the last day (inclusive); default the same as from"}}}`),
			DescribeFunc: func(ctx context.Context, userID int64, args json.RawMessage) (string, error) {
				from, to, err := eventRange(args, now().In(c.Zone(ctx, userID)))
				if err != nil {
					return "", err
				}
				if to.Sub(from) <= 24*time.Hour+time.Hour {
					return "Look up your calendar for " + from.Format("Mon 2 Jan"), nil
				}
				return "Look up your calendar from " + from.Format("Mon 2 Jan") + " to " + to.Add(-time.Hour).Format("Mon 2 Jan"), nil
			},
			RunFunc: func(ctx context.Context, userID int64, args json.RawMessage) (any, error) {
				from, to, err := eventRange(args, now().In(c.Zone(ctx, userID)))
				if err != nil {
					return nil, err
				}
				items, err := c.ListEvents(ctx, userID, from, to)
				if err != nil {
					return nil, err
				}
				out := map[string]any{"from": from.Format(time.DateOnly), "to": to.AddDate(0, 0, -1).Format(time.DateOnly), "total": len(items)}
				if len(items) > maxListedEvents {
					items = items[:maxListedEvents]
					out["truncated"] = true
				}
				if items == nil {
					items = []EventItem{}
				}
				out["events"] = items
				return out, nil
			},
		},
		FuncTool{
			ToolName: "create_event",
			ToolDescription: "Add an event to the user's calendar (the user confirms it first). " +
				"start and end are YYYY-MM-DDTHH:MM for a time of day, or YYYY-MM-DD for an all-day event. Returns the new event with its id.",
			Schema: json.RawMessage(`{"type":"object","required":["title","start"],"properties":{` +
				`"title":{"type":"string","description":"what it is, e.g. Dentist"},` +
				`"start":{"type":"string","description":"YYYY-MM-DDTHH:MM, or YYYY-MM-DD for all day"},` +
				`"end":{"type":"string","description":"same form as start; default an hour (a day) later"},` +
				`"location":{"type":"string"},` +
				`"description":{"type":"string"},` +
				`"calendar":{"type":"string","description":"the calendar's name; default the user's first calendar"}}}`),
			Changes: true,
			DescribeFunc: func(_ context.Context, _ int64, args json.RawMessage) (string, error) {
				e, err := eventArgs(args)
				if err != nil {
					return "", err
				}
				return describeEvent(e, now()), nil
			},
			RunFunc: func(ctx context.Context, userID int64, args json.RawMessage) (any, error) {
				e, err := eventArgs(args)
				if err != nil {
					return nil, err
				}
				item, err := c.CreateEvent(ctx, userID, e)
				if err != nil {
					return nil, err
				}
				return map[string]any{"created": true, "event": item}, nil
			},
		},
	}
}

// eventRange reads list_events' days as [from midnight, the day after
// to) in the user's zone (today's location).
func eventRange(raw json.RawMessage, today time.Time) (time.Time, time.Time, error) {
	a, err := decodeArgs(raw)
	if err != nil {
		return time.Time{}, time.Time{}, err
	}
	loc := today.Location()
	day := func(key string, def time.Time) (time.Time, error) {
		s, ok, err := a.str(key)
		if err != nil || !ok || s == "" {
			return def, err
		}
		if len(s) > 10 {
			s = s[:10] // a date-time: its day
		}
		t, err := time.ParseInLocation(time.DateOnly, s, loc)
		if err != nil {
			return time.Time{}, apperr.Invalid(key, key+" must be a date YYYY-MM-DD, not "+fmt.Sprintf("%q", s))
		}
		return t, nil
	}
	from, err := day("from", time.Date(today.Year(), today.Month(), today.Day(), 0, 0, 0, 0, loc))
	if err != nil {
		return from, from, err
	}
	last, err := day("to", from)
	if err != nil {
		return from, from, err
	}
	if last.Before(from) {
		return from, from, apperr.Invalid("to", "to must not be before from")
	}
	to := time.Date(last.Year(), last.Month(), last.Day()+1, 0, 0, 0, 0, loc)
	if to.Sub(from) > maxEventDays*24*time.Hour+time.Hour {
		return from, from, apperr.Invalid("to", fmt.Sprintf("ask for at most %d days at a time", maxEventDays))
	}
	return from, to, nil
}

func eventArgs(raw json.RawMessage) (EventChange, error) {
	var e EventChange
	a, err := decodeArgs(raw)
	if err != nil {
		return e, err
	}
	title, ok, err := a.str("title")
	if err != nil {
		return e, err
	}
	if !ok || title == "" {
		return e, apperr.Invalid("title", "title is required")
	}
	if utf8.RuneCountInString(title) > maxTaskTitle {
		return e, apperr.Invalid("title", fmt.Sprintf("title must be at most %d characters", maxTaskTitle))
	}
	e.Title = title
	start, ok, err := a.str("start")
	if err != nil {
		return e, err
	}
	if !ok || start == "" {
		return e, apperr.Invalid("start", "start is required (YYYY-MM-DDTHH:MM, or YYYY-MM-DD for all day)")
	}
	var st time.Time
	if e.Start, st, err = parseDue("start", start); err != nil {
		return e, err
	}
	if end, ok, err := a.str("end"); err != nil {
		return e, err
	} else if ok && end != "" {
		var et time.Time
		if e.End, et, err = parseDue("end", end); err != nil {
			return e, err
		}
		if strings.Contains(e.Start, "T") != strings.Contains(e.End, "T") {
			return e, apperr.Invalid("end", "end must have a time when start has one, and none when start is a day")
		}
		if et.Before(st) || (et.Equal(st) && strings.Contains(e.End, "T")) {
			return e, apperr.Invalid("end", "end must be after start")
		}
	}
	for _, f := range []struct {
		key string
		to  *string
		max int
	}{{"location", &e.Location, 500}, {"description", &e.Description, maxTaskNotes}, {"calendar", &e.Calendar, 100}} {
		s, _, err := a.str(f.key)
		if err != nil {
			return e, err
		}
		if utf8.RuneCountInString(s) > f.max {
			return e, apperr.Invalid(f.key, fmt.Sprintf("%s must be at most %d characters", f.key, f.max))
		}
		*f.to = s
	}
	return e, nil
}

// describeEvent is create_event's summary: "Add event “Dentist” on Fri 4
// Dec 15:00–16:00 at Main St (Work)".
func describeEvent(e EventChange, now time.Time) string {
	var b strings.Builder
	b.WriteString("Add event " + curly(e.Title) + " on " + humanDue(e.Start, now))
	if !strings.Contains(e.Start, "T") {
		if e.End != "" && e.End != e.Start {
			b.WriteString(" to " + humanDue(e.End, now))
		}
		b.WriteString(", all day")
	} else if e.End != "" {
		if e.End[:10] == e.Start[:10] {
			b.WriteString("\u2013" + e.End[11:16])
		} else {
			b.WriteString(" to " + humanDue(e.End, now))
		}
	}
	if e.Location != "" {
		b.WriteString(" at " + e.Location)
	}
	if e.Calendar != "" {
		b.WriteString(" (" + e.Calendar + ")")
	}
	return b.String()
}
