package calendar

import (
	"context"
	"sync"
	"time"

	"github.com/aiwfe/aiwfe/store"
)

// rowCache keeps the event rows of recently viewed calendars in memory,
// keyed by the calendar's change counter (Seq), so that paging through
// months re-reads nothing from SQLite while nothing changed: reading and
// scanning the rows was about a third of a month view's time. Every
// change to a calendar's events moves its Seq (saveObject, deleteObject),
// so a stale entry is never used: it is replaced at the next read. The
// Seq is read before the rows, so rows stored under a Seq are at least
// that new. Bounded: calendars of more than cacheMaxCalendarRows rows are
// not kept, and past cacheMaxRows in all the least recently used go.
//
// The cached rows are shared by every reader: expansion only reads them.
type rowCache struct {
	mu      sync.Mutex
	entries map[int64]*rowEntry
	rows    int
}

type rowEntry struct {
	seq  int64
	rows []*store.CalendarEvent
	used time.Time
}

const (
	cacheMaxCalendarRows = 20_000
	cacheMaxRows         = 100_000
)

// calendarRows is every row of cal (without component text), ordered by
// uid and recurrence id, from the cache when cal.Seq has not moved.
func (s *Service) calendarRows(ctx context.Context, cal *store.Calendar) ([]*store.CalendarEvent, error) {
	c := &s.rows
	c.mu.Lock()
	if e := c.entries[cal.ID]; e != nil && e.seq == cal.Seq {
		e.used = time.Now()
		c.mu.Unlock()
		return e.rows, nil
	}
	c.mu.Unlock()
	rows, err := store.CalendarEventsForExpansion(ctx, s.store.DB, cal.ID)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.entries == nil {
		c.entries = map[int64]*rowEntry{}
	}
	if old := c.entries[cal.ID]; old != nil {
		if old.seq > cal.Seq {
			return rows, nil // a newer reader got there first
		}
		c.rows -= len(old.rows)
		delete(c.entries, cal.ID)
	}
	if len(rows) > cacheMaxCalendarRows {
		return rows, nil
	}
	for c.rows+len(rows) > cacheMaxRows && len(c.entries) > 0 {
		var oldest int64
		var at time.Time
		for id, e := range c.entries {
			if at.IsZero() || e.used.Before(at) {
				oldest, at = id, e.used
			}
		}
		c.rows -= len(c.entries[oldest].rows)
		delete(c.entries, oldest)
	}
	c.entries[cal.ID] = &rowEntry{seq: cal.Seq, rows: rows, used: time.Now()}
	c.rows += len(rows)
	return rows, nil
}

// inRange keeps the rows EventsInRange would answer for [from, to): rows
// whose span (to the series' last end) overlaps it, and the overrides of
// such series.
func inRange(rows []*store.CalendarEvent, from, to time.Time) []*store.CalendarEvent {
	hit := func(r *store.CalendarEvent) bool {
		return r.StartAt.Before(to) && (r.LastEndAt == nil || r.LastEndAt.After(from))
	}
	var out []*store.CalendarEvent
	for i := 0; i < len(rows); {
		j := i + 1
		for j < len(rows) && rows[j].UID == rows[i].UID {
			j++
		}
		// A group is one object: its series (recurrence id "") sorts
		// first when there is one.
		masterHit := rows[i].RecurrenceID == "" && hit(rows[i])
		for _, r := range rows[i:j] {
			if hit(r) || r.RecurrenceID != "" && masterHit {
				out = append(out, r)
			}
		}
		i = j
	}
	return out
}
