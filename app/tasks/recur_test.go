package tasks_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aiwfe/aiwfe/app"
	"github.com/aiwfe/aiwfe/app/server/servertest"
	"github.com/aiwfe/aiwfe/app/tasks"
)

// fixture is the real app (SQLite file, services) with a user in a time
// zone and a clock the test sets.
type fixture struct {
	a    *app.App
	user int64
	now  time.Time
}

func newFixture(t testing.TB, zone string) *fixture {
	t.Helper()
	a := servertest.OpenApp(t)
	f := &fixture{a: a}
	a.Now = func() time.Time { return f.now }
	u, err := a.Auth.CreateUser(context.Background(), "tasks@example.com", servertest.Password, "user")
	if err != nil {
		t.Fatal(err)
	}
	f.user = u.ID
	f.setZone(t, zone)
	return f
}

func (f *fixture) setZone(t testing.TB, zone string) {
	t.Helper()
	if _, err := f.a.Store.DB.Exec("UPDATE users SET timezone = ? WHERE id = ?", zone, f.user); err != nil {
		t.Fatal(err)
	}
	f.a.Auth.ForgetUser(f.user)
}

func (f *fixture) at(t *testing.T, zone, local string) time.Time {
	t.Helper()
	loc, err := time.LoadLocation(zone)
	if err != nil {
		t.Fatal(err)
	}
	v, err := time.ParseInLocation("2006-01-02T15:04", local, loc)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func done() *string { s := tasks.StatusDone; return &s }

// Golden cases: a task is completed again and again; each completion's
// next occurrence must fall on these dues (in the user's zone, as the API
// shows them). The clock stands before the first due, so every
// completion is on time.
func TestRecurrenceGolden(t *testing.T) {
	for _, tc := range []struct {
		name, zone, rule, due string
		want                  []string
	}{
		{"Berlin weekly 09:00 across spring DST", "Europe/Berlin", "FREQ=WEEKLY;BYDAY=MO", "2026-03-23T09:00",
			[]string{"2026-03-30T09:00:00+02:00", "2026-04-06T09:00:00+02:00"}},
		{"Berlin daily 09:00 across autumn DST", "Europe/Berlin", "FREQ=DAILY", "2026-10-24T09:00",
			[]string{"2026-10-25T09:00:00+01:00", "2026-10-26T09:00:00+01:00"}},
		// 02:30 does not exist on 29 March in Berlin: that day's falls at
		// 03:30, and the series comes back to 02:30 after.
		{"Berlin daily 02:30 through the missing hour", "Europe/Berlin", "FREQ=DAILY", "2026-03-28T02:30",
			[]string{"2026-03-29T03:30:00+02:00", "2026-03-30T02:30:00+02:00"}},
		{"New York daily 08:30 across autumn DST", "America/New_York", "FREQ=DAILY", "2026-10-31T08:30",
			[]string{"2026-11-01T08:30:00-05:00", "2026-11-02T08:30:00-05:00"}},
		{"New York every other week Tue and Thu across spring DST", "America/New_York", "FREQ=WEEKLY;INTERVAL=2;BYDAY=TU,TH", "2026-03-05T18:00",
			[]string{"2026-03-17T18:00:00-04:00", "2026-03-19T18:00:00-04:00", "2026-03-31T18:00:00-04:00"}},
		{"New York monthly on the first Monday", "America/New_York", "FREQ=MONTHLY;BYDAY=1MO", "2026-12-07T10:00",
			[]string{"2027-01-04T10:00:00-05:00", "2027-02-01T10:00:00-05:00"}},
		// A date stays a date, whatever the zone's clock changes do.
		{"Berlin daily date across spring DST", "Europe/Berlin", "FREQ=DAILY", "2026-03-28",
			[]string{"2026-03-29", "2026-03-30"}},
		{"New York weekly date across autumn DST", "America/New_York", "FREQ=WEEKLY", "2026-10-29",
			[]string{"2026-11-05", "2026-11-12"}},
		// The 31st of a month that has none: the month's last day, then
		// back to the 31st.
		{"monthly on the 31st", "Europe/Berlin", "FREQ=MONTHLY", "2027-01-31",
			[]string{"2027-02-28", "2027-03-31", "2027-04-30", "2027-05-31"}},
		{"monthly on the 31st in a leap year, at a time", "America/New_York", "FREQ=MONTHLY", "2028-01-31T07:00",
			[]string{"2028-02-29T07:00:00-05:00", "2028-03-31T07:00:00-04:00"}},
		{"monthly on the 30th", "Europe/Berlin", "FREQ=MONTHLY", "2027-01-30",
			[]string{"2027-02-28", "2027-03-30"}},
		{"explicit BYMONTHDAY=31 skips (RFC 5545)", "Europe/Berlin", "FREQ=MONTHLY;BYMONTHDAY=31", "2027-01-31",
			[]string{"2027-03-31", "2027-05-31"}},
		{"last day of the month", "Europe/Berlin", "FREQ=MONTHLY;BYMONTHDAY=-1", "2027-01-31",
			[]string{"2027-02-28", "2027-03-31", "2027-04-30"}},
		{"yearly on 29 February", "Europe/Berlin", "FREQ=YEARLY", "2028-02-29",
			[]string{"2029-02-28", "2030-02-28", "2031-02-28", "2032-02-29"}},
		{"every 3 days", "UTC", "FREQ=DAILY;INTERVAL=3", "2027-01-01", []string{"2027-01-04", "2027-01-07"}},
		{"weekdays", "UTC", "FREQ=DAILY;BYDAY=MO,TU,WE,TH,FR", "2027-01-08", []string{"2027-01-11", "2027-01-12"}},
		{"until a date (inclusive)", "Europe/Berlin", "FREQ=DAILY;UNTIL=20270103", "2027-01-01",
			[]string{"2027-01-02", "2027-01-03", ""}},
		{"until an instant", "America/New_York", "FREQ=WEEKLY;UNTIL=20270115T000000Z", "2027-01-01T09:00",
			[]string{"2027-01-08T09:00:00-05:00", ""}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, tc.zone)
			ctx := context.Background()
			first := tc.due
			if len(first) == len("2006-01-02") {
				first += "T00:00"
			}
			f.now = f.at(t, tc.zone, first).AddDate(0, 0, -1)
			task, err := f.a.Tasks.Create(ctx, f.user, tasks.Input{Title: "recurring", Due: tc.due, Recurrence: tc.rule, Tags: []string{"x"}})
			if err != nil {
				t.Fatal(err)
			}
			for i, want := range tc.want {
				after, err := f.a.Tasks.Update(ctx, f.user, task.ID, tasks.Patch{Status: done()})
				if err != nil {
					t.Fatal(err)
				}
				if want == "" {
					if after.NextTaskID != nil {
						next, _ := f.a.Tasks.Get(ctx, f.user, *after.NextTaskID)
						t.Fatalf("completion %d: the series should have ended, got %s", i+1, *next.Due)
					}
					return
				}
				if after.NextTaskID == nil {
					t.Fatalf("completion %d: no next occurrence, want %s", i+1, want)
				}
				next, err := f.a.Tasks.Get(ctx, f.user, *after.NextTaskID)
				if err != nil {
					t.Fatal(err)
				}
				if next.Due == nil || *next.Due != want {
					t.Fatalf("completion %d: next due %v, want %s", i+1, strOr(next.Due), want)
				}
				if next.AllDay != !strings.Contains(want, "T") || next.Status != tasks.StatusTodo || next.CompletedAt != nil ||
					next.Recurrence != task.Recurrence || next.Title != "recurring" || len(next.Tags) != 1 {
					t.Fatalf("completion %d: next occurrence %+v", i+1, next)
				}
				task = next
			}
		})
	}
}

func strOr(s *string) string {
	if s == nil {
		return "<nil>"
	}
	return *s
}

// A date's due_at is the start of that day in the user's zone, on each
// side of a DST change.
func TestDateDueAtStartOfDay(t *testing.T) {
	f := newFixture(t, "Europe/Berlin")
	f.now = time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	for due, want := range map[string]string{"2026-03-28": "2026-03-27T23:00:00Z", "2026-03-30": "2026-03-29T22:00:00Z"} {
		task, err := f.a.Tasks.Create(context.Background(), f.user, tasks.Input{Title: "day", Due: due})
		if err != nil {
			t.Fatal(err)
		}
		if got := task.DueAt.UTC().Format(time.RFC3339); got != want || *task.Due != due || !task.AllDay {
			t.Errorf("%s: due_at %s (due %s), want %s", due, got, *task.Due, want)
		}
	}
}

// Completing late makes no occurrence that is overdue already; completing
// again (after reopening) makes no second one.
func TestRecurrenceLateAndTwice(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name, due, now, want string
	}{
		// A date: the first not before today (today's is not overdue).
		{"date five days late", "2026-11-20", "2026-11-25T10:00", "2026-11-25"},
		// A date-time: the first not before now.
		{"date-time five days late, after today's hour", "2026-11-20T09:00", "2026-11-25T10:00", "2026-11-26T09:00:00+01:00"},
		{"date-time late, before today's hour", "2026-11-20T09:00", "2026-11-25T08:00", "2026-11-25T09:00:00+01:00"},
		{"date-time completed early", "2026-11-20T09:00", "2026-11-10T08:00", "2026-11-21T09:00:00+01:00"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, "Europe/Berlin")
			f.now = f.at(t, "Europe/Berlin", "2026-11-01T00:00")
			task, err := f.a.Tasks.Create(ctx, f.user, tasks.Input{Title: "daily", Due: tc.due, Recurrence: "FREQ=DAILY"})
			if err != nil {
				t.Fatal(err)
			}
			f.now = f.at(t, "Europe/Berlin", tc.now)
			after, err := f.a.Tasks.Update(ctx, f.user, task.ID, tasks.Patch{Status: done()})
			if err != nil || after.NextTaskID == nil {
				t.Fatalf("complete: %v %+v", err, after)
			}
			next, _ := f.a.Tasks.Get(ctx, f.user, *after.NextTaskID)
			if *next.Due != tc.want || next.Overdue {
				t.Fatalf("next due %s (overdue %v), want %s", *next.Due, next.Overdue, tc.want)
			}
			todo := tasks.StatusTodo
			if _, err := f.a.Tasks.Update(ctx, f.user, task.ID, tasks.Patch{Status: &todo}); err != nil {
				t.Fatal(err)
			}
			again, err := f.a.Tasks.Update(ctx, f.user, task.ID, tasks.Patch{Status: done()})
			if err != nil || again.NextTaskID == nil || *again.NextTaskID != next.ID {
				t.Fatalf("completed again: %v %+v", err, again)
			}
			page, err := f.a.Tasks.List(ctx, f.user, tasks.ListRequest{})
			if err != nil || page.Total != 2 {
				t.Fatalf("after completing twice: %d tasks, want 2 (%v)", page.Total, err)
			}
		})
	}
}

func TestParseRule(t *testing.T) {
	for _, tc := range []struct{ in, want, err string }{
		{"FREQ=DAILY", "FREQ=DAILY", ""},
		{"rrule:freq=weekly;byday=mo,we;interval=2", "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,WE", ""},
		{"FREQ=MONTHLY;BYMONTHDAY=1,15", "FREQ=MONTHLY;BYMONTHDAY=1,15", ""},
		{"FREQ=MONTHLY;BYDAY=-1FR", "FREQ=MONTHLY;BYDAY=-1FR", ""},
		{"FREQ=YEARLY;BYMONTH=12;BYMONTHDAY=24", "FREQ=YEARLY;BYMONTH=12;BYMONTHDAY=24", ""},
		{"FREQ=DAILY;INTERVAL=1;UNTIL=20271231", "FREQ=DAILY;UNTIL=20271231", ""},
		{"", "", "FREQ is required"},
		{"INTERVAL=2", "", "FREQ is required"},
		{"FREQ=HOURLY", "", "FREQ must be"},
		{"FREQ=DAILY;COUNT=5", "", "COUNT is not supported"},
		{"FREQ=DAILY;INTERVAL=0", "", "INTERVAL"},
		{"FREQ=DAILY;INTERVAL=x", "", "INTERVAL"},
		{"FREQ=WEEKLY;BYDAY=XX", "", "BYDAY"},
		{"FREQ=WEEKLY;BYDAY=1MO", "", "numbered weekday needs FREQ=MONTHLY"},
		{"FREQ=MONTHLY;BYDAY=6MO", "", "BYDAY"},
		{"FREQ=MONTHLY;BYMONTHDAY=0", "", "BYMONTHDAY"},
		{"FREQ=MONTHLY;BYMONTHDAY=32", "", "BYMONTHDAY"},
		{"FREQ=WEEKLY;BYMONTHDAY=3", "", "BYMONTHDAY needs"},
		{"FREQ=MONTHLY;BYMONTH=3", "", "BYMONTH needs"},
		{"FREQ=MONTHLY;BYDAY=1MO;BYMONTHDAY=3", "", "not both"},
		{"FREQ=DAILY;UNTIL=tomorrow", "", "UNTIL"},
		{"FREQ=DAILY;FREQ=WEEKLY", "", "twice"},
		{"FREQ=DAILY;BYHOUR=9", "", "BYHOUR is not supported"},
		{"FREQ=DAILY;X", "", "KEY=VALUE"},
		{strings.Repeat("FREQ=DAILY;", 30), "", "longer than 200"},
	} {
		r, err := tasks.ParseRule(tc.in)
		switch {
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("%q: error %v, want %q", tc.in, err, tc.err)
		case tc.err == "" && err != nil:
			t.Errorf("%q: %v", tc.in, err)
		case tc.err == "" && r.String() != tc.want:
			t.Errorf("%q: %q, want %q", tc.in, r.String(), tc.want)
		}
	}
}

// Completions of one recurring task racing each other make one next
// occurrence: the transaction reads the task again before it decides.
func TestRecurrenceConcurrentCompletions(t *testing.T) {
	f := newFixture(t, "Europe/Berlin")
	f.now = f.at(t, "Europe/Berlin", "2026-11-01T00:00")
	ctx := context.Background()
	task, err := f.a.Tasks.Create(ctx, f.user, tasks.Input{Title: "daily", Due: "2026-11-20", Recurrence: "FREQ=DAILY"})
	if err != nil {
		t.Fatal(err)
	}
	errs := make(chan error, 8)
	for range 8 {
		go func() {
			_, err := f.a.Tasks.Update(ctx, f.user, task.ID, tasks.Patch{Status: done()})
			errs <- err
		}()
	}
	for range 8 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
	page, err := f.a.Tasks.List(ctx, f.user, tasks.ListRequest{})
	if err != nil || page.Total != 2 {
		t.Fatalf("%d tasks after 8 racing completions, want 2 (%v)", page.Total, err)
	}
}
