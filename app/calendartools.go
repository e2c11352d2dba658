package app

import (
	"context"
	"strings"
	"time"

	"github.com/aiwfe/aiwfe/app/apperr"
	"github.com/aiwfe/aiwfe/app/calendar"
	"github.com/aiwfe/aiwfe/app/chat"
	"github.com/aiwfe/aiwfe/store"
)

// chatCalendar is the chat tools' seam onto the calendar service: chat
// knows EventItem and EventChange, not the calendar package. Every call
// acts for the user the chat service names — the caller of the chat — so
// a tool can only ever reach that user's calendars. The service is
// late-bound: the calendar is built after chat in app.Open.
type chatCalendar struct {
	cal  func() *calendar.Service
	user func(ctx context.Context, id int64) (*store.User, error)
}

// Zone is the user's profile timezone (UTC when unset or unknown), the
// one chat's tools prompt gives the model.
func (c chatCalendar) Zone(ctx context.Context, userID int64) *time.Location {
	if u, err := c.user(ctx, userID); err == nil && u.Timezone != "" {
		if loc, err := calendar.LoadZone(u.Timezone); err == nil {
			return loc
		}
	}
	return time.UTC
}

func (c chatCalendar) ListEvents(ctx context.Context, userID int64, from, to time.Time) ([]chat.EventItem, error) {
	s := c.cal()
	cals, err := s.Calendars(ctx, userID)
	if err != nil {
		return nil, err
	}
	names := make(map[int64]string, len(cals))
	for _, k := range cals {
		names[k.ID] = k.Name
	}
	insts, err := s.Instances(ctx, userID, calendar.InstancesRequest{From: from, To: to})
	if err != nil {
		return nil, err
	}
	loc := from.Location()
	out := make([]chat.EventItem, 0, len(insts))
	for _, in := range insts {
		it := chat.EventItem{ID: in.EventID, Title: in.Title, AllDay: in.AllDay, Location: in.Location,
			Calendar: names[in.CalendarID], Recurring: in.Recurring, Start: in.Start, End: in.End}
		if !in.AllDay {
			it.Start, it.End = userWall(in.Start, loc), userWall(in.End, loc)
		}
		out = append(out, it)
	}
	return out, nil
}

// userWall is an RFC 3339 time as the tools write it: YYYY-MM-DDTHH:MM
// in the user's zone.
func userWall(s string, loc *time.Location) string {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return s
	}
	return t.In(loc).Format("2006-01-02T15:04")
}

// CreateEvent puts the event in the calendar named, or the user's first
// local calendar; a user with none gets a "Personal" one (as the web
// page makes on a first visit). Times are wall times in the user's zone.
func (c chatCalendar) CreateEvent(ctx context.Context, userID int64, e chat.EventChange) (chat.EventItem, error) {
	s := c.cal()
	cals, err := s.Calendars(ctx, userID)
	if err != nil {
		return chat.EventItem{}, err
	}
	var target *calendar.Calendar
	for i := range cals {
		k := &cals[i]
		if e.Calendar != "" && !strings.EqualFold(k.Name, e.Calendar) {
			continue
		}
		if k.ReadOnly {
			if e.Calendar != "" {
				return chat.EventItem{}, calendar.ErrReadOnly
			}
			continue
		}
		target = k
		break
	}
	loc := c.Zone(ctx, userID)
	if target == nil {
		if e.Calendar != "" {
			return chat.EventItem{}, apperr.NotFound("calendar " + e.Calendar)
		}
		name, tz := "Personal", loc.String()
		if target, err = s.CreateCalendar(ctx, userID, calendar.CalendarInput{Name: &name, Timezone: &tz}); err != nil {
			return chat.EventItem{}, err
		}
	}
	allDay := !strings.Contains(e.Start, "T")
	tz := loc.String()
	in := calendar.EventInput{CalendarID: &target.ID, Title: &e.Title, AllDay: &allDay, Start: &e.Start, Timezone: &tz}
	if e.End != "" {
		end := e.End
		if allDay {
			// The tool's last day is inclusive, the service's end is not.
			if d, err := time.Parse(time.DateOnly, end); err == nil {
				end = d.AddDate(0, 0, 1).Format(time.DateOnly)
			}
		}
		in.End = &end
	}
	if e.Location != "" {
		in.Location = &e.Location
	}
	if e.Description != "" {
		in.Description = &e.Description
	}
	ev, err := s.CreateEvent(ctx, userID, in)
	if err != nil {
		return chat.EventItem{}, err
	}
	it := chat.EventItem{ID: ev.ID, Title: ev.Title, AllDay: ev.AllDay, Location: ev.Location, Calendar: target.Name, Start: ev.Start, End: ev.End}
	if !ev.AllDay {
		it.Start, it.End = userWall(ev.Start, loc), userWall(ev.End, loc)
	}
	return it, nil
}
