package dav

import (
	"cmp"
	"context"
	"database/sql"
	"slices"

	"github.com/aiwfe/aiwfe/store"
)

// DataPart is CalDAV's share of a user's data (datarights.Part): the
// names calendar apps made calendars under. App passwords are app/auth's
// part; the calendars and events the calendar's.
type DataPart struct{}

// ExportCalendarName is one calendar a client made, and the name in its
// URL.
type ExportCalendarName struct {
	CalendarID int64  `json:"calendar_id"`
	Name       string `json:"name"`
}

// Tables is CalDAV's table.
func (DataPart) Tables() map[string]string { return store.DAVTables }

// Export puts "caldav_calendar_names".
func (DataPart) Export(ctx context.Context, tx *sql.Tx, userID int64, put func(string, any)) error {
	names, err := store.DAVCalendarNames(ctx, tx, userID)
	if err != nil {
		return err
	}
	out := make([]ExportCalendarName, 0, len(names))
	for id, n := range names {
		out = append(out, ExportCalendarName{CalendarID: id, Name: n})
	}
	slices.SortFunc(out, func(a, b ExportCalendarName) int { return cmp.Compare(a.CalendarID, b.CalendarID) })
	put("caldav_calendar_names", out)
	return nil
}

// Delete leaves the names to the cascade.
func (DataPart) Delete(context.Context, *sql.Tx, int64) (func(), error) { return nil, nil }
