package store

import "time"

// Every table stores an instant as text in one format: RFC 3339 in UTC
// with fixed-width microseconds, so that text order is time order and
// SQLite compares and sorts them as strings. These three are the only
// place that format is written or read.

const timeLayout = "2006-01-02T15:04:05.000000Z"

// tsText formats an instant for a column.
func tsText(t time.Time) string { return t.UTC().Format(timeLayout) }

// tsParse reads a column written by tsText (the zero time for anything
// else).
func tsParse(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}
	}
	return t
}

// tsNull is tsText for a nullable column.
func tsNull(t *time.Time) any {
	if t == nil {
		return nil
	}
	return tsText(*t)
}
