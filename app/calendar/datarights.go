package calendar

import (
	"context"
	"database/sql"

	"github.com/aiwfe/aiwfe/store"
)

// DataPart is the calendar's share of a user's data (a datarights.Part):
// calendars with their feed subscriptions, and every event as its fields
// and its iCalendar text.
type DataPart struct{ s *Service }

// DataPart returns the part app.Open registers.
func (s *Service) DataPart() DataPart { return DataPart{s} }

// Tables is the calendar tables.
func (DataPart) Tables() map[string]string { return store.CalendarTables }

// exportCalendar is a calendar in the archive: never the private feed's
// token (only whether there is one).
type exportCalendar struct {
	Calendar
	Events []Event `json:"events"`
}

// Export puts "calendars", each with its events.
func (p DataPart) Export(ctx context.Context, tx *sql.Tx, userID int64, put func(string, any)) error {
	cals, err := store.UserCalendars(ctx, tx, userID)
	if err != nil {
		return err
	}
	events, err := store.UserCalendarEvents(ctx, tx, userID)
	if err != nil {
		return err
	}
	out := make([]exportCalendar, 0, len(cals))
	idx := map[int64]int{}
	for _, c := range cals {
		idx[c.ID] = len(out)
		out = append(out, exportCalendar{Calendar: p.s.calendarView(c), Events: []Event{}})
	}
	for _, e := range events {
		i := idx[e.CalendarID]
		v := eventView(e, cals[i])
		v.ICS = e.ICS
		out[i].Events = append(out[i].Events, v)
	}
	put("calendars", out)
	return nil
}

// Delete leaves the rows to the cascade.
func (DataPart) Delete(context.Context, *sql.Tx, int64) (func(), error) { return nil, nil }
