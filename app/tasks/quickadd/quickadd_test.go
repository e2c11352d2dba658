package quickadd

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

func mustZone(t testing.TB, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatalf("zone %s: %v", name, err)
	}
	return loc
}

// TestParse is the quick-add table: every phrase against a fixed "now",
// Wednesday 2 December 2026, 10:00 in Berlin (CET, +01:00), unless the case
// brings its own clock and zone.
func TestParse(t *testing.T) {
	berlin := mustZone(t, "Europe/Berlin")
	newYork := mustZone(t, "America/New_York")
	tokyo := mustZone(t, "Asia/Tokyo")
	now := time.Date(2026, 12, 2, 10, 0, 0, 0, berlin)

	type want struct {
		title, due, rrule, cat, prio string
		tags                         []string
	}
	cases := []struct {
		text string
		now  time.Time      // zero: now
		loc  *time.Location // nil: berlin
		want want
	}{
		{text: "pay rent every 1st of the month #home !high",
			want: want{title: "pay rent", due: "2027-01-01", rrule: "FREQ=MONTHLY;BYMONTHDAY=1", cat: "home", prio: "high"}},
		{text: "call mom tomorrow", want: want{title: "call mom", due: "2026-12-03"}},
		{text: "buy milk today", want: want{title: "buy milk", due: "2026-12-02"}},
		{text: "submit report on friday", want: want{title: "submit report", due: "2026-12-04"}},
		{text: "dentist next monday at 9am", want: want{title: "dentist", due: "2026-12-07T09:00:00+01:00"}},
		{text: "plan trip next friday", want: want{title: "plan trip", due: "2026-12-11"}},
		{text: "renew passport in 3 days", want: want{title: "renew passport", due: "2026-12-05"}},
		{text: "book flights in two weeks", want: want{title: "book flights", due: "2026-12-16"}},
		{text: "file taxes 2027-04-30", want: want{title: "file taxes", due: "2027-04-30"}},
		{text: "buy gifts dec 24", want: want{title: "buy gifts", due: "2026-12-24"}},
		{text: "party 24 december at 8pm", want: want{title: "party", due: "2026-12-24T20:00:00+01:00"}},
		{text: "call bob at 5pm", want: want{title: "call bob", due: "2026-12-02T17:00:00+01:00"}},
		{text: "standup 9:30", want: want{title: "standup", due: "2026-12-03T09:30:00+01:00"}}, // 9:30 has passed today
		{text: "send invoices end of month", want: want{title: "send invoices", due: "2026-12-31"}},
		{text: "water plants every day", want: want{title: "water plants", due: "2026-12-02", rrule: "FREQ=DAILY"}},
		{text: "take vitamins daily at 8am", want: want{title: "take vitamins", due: "2026-12-03T08:00:00+01:00", rrule: "FREQ=DAILY"}},
		{text: "check email every weekday", want: want{title: "check email", due: "2026-12-02", rrule: "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR"}},
		{text: "gym every monday and thursday", want: want{title: "gym", due: "2026-12-03", rrule: "FREQ=WEEKLY;BYDAY=MO,TH"}},
		{text: "stretch every mon, wed & fri", want: want{title: "stretch", due: "2026-12-02", rrule: "FREQ=WEEKLY;BYDAY=MO,WE,FR"}},
		{text: "review budget every 2 weeks", want: want{title: "review budget", due: "2026-12-02", rrule: "FREQ=WEEKLY;INTERVAL=2"}},
		{text: "backup laptop monthly", want: want{title: "backup laptop", due: "2026-12-02", rrule: "FREQ=MONTHLY"}},
		{text: "renew domain yearly", want: want{title: "renew domain", due: "2026-12-02", rrule: "FREQ=YEARLY"}},
		{text: "mum's birthday every year on mar 14", want: want{title: "mum's birthday", due: "2027-03-14", rrule: "FREQ=YEARLY"}},
		{text: "clean gutters every other month", want: want{title: "clean gutters", due: "2026-12-02", rrule: "FREQ=MONTHLY;INTERVAL=2"}},
		{text: "team lunch every other friday", want: want{title: "team lunch", due: "2026-12-04", rrule: "FREQ=WEEKLY;INTERVAL=2;BYDAY=FR"}},
		{text: "pay credit card every 15th", want: want{title: "pay credit card", due: "2026-12-15", rrule: "FREQ=MONTHLY;BYMONTHDAY=15"}},
		{text: "write report by the 20th", want: want{title: "write report", due: "2026-12-20"}},
		{text: "buy sun cream", want: want{title: "buy sun cream"}},
		{text: "march 3 dentist", want: want{title: "dentist", due: "2027-03-03"}},
		{text: "meeting 2026-12-10T14:30", want: want{title: "meeting", due: "2026-12-10T14:30:00+01:00"}},
		{text: "pick up parcel in 2 hours", want: want{title: "pick up parcel", due: "2026-12-02T12:00:00+01:00"}},
		{text: "read book #personal @kindle @evening", want: want{title: "read book", cat: "personal", tags: []string{"kindle", "evening"}}},
		{text: "fix bug !urgent #work #backend", want: want{title: "fix bug", cat: "work", prio: "urgent", tags: []string{"backend"}}},
		{text: "call plumber tonight", want: want{title: "call plumber", due: "2026-12-02T20:00:00+01:00"}},
		{text: "yoga tomorrow morning", want: want{title: "yoga", due: "2026-12-03T09:00:00+01:00"}},
		{text: "submit timesheet every friday at 4pm", want: want{title: "submit timesheet", due: "2026-12-04T16:00:00+01:00", rrule: "FREQ=WEEKLY;BYDAY=FR"}},
		{text: "team sync mondays and thursdays", want: want{title: "team sync", due: "2026-12-03", rrule: "FREQ=WEEKLY;BYDAY=MO,TH"}},
		{text: "invoice clients on the 1st of every month", want: want{title: "invoice clients", due: "2027-01-01", rrule: "FREQ=MONTHLY;BYMONTHDAY=1"}},
		{text: "reports due 31.01.2027", want: want{title: "reports", due: "2027-01-31"}},
		{text: "garden this weekend", want: want{title: "garden", due: "2026-12-05"}},
		{text: "look into insurance next week", want: want{title: "look into insurance", due: "2026-12-07"}},
		{text: "plan holidays next month", want: want{title: "plan holidays", due: "2027-01-01"}},
		{text: "finish slides by friday 17:00", want: want{title: "finish slides", due: "2026-12-04T17:00:00+01:00"}},
		{text: "lunch with anna at noon", want: want{title: "lunch with anna", due: "2026-12-02T12:00:00+01:00"}},
		{text: "feed cat every morning", want: want{title: "feed cat", due: "2026-12-03T09:00:00+01:00", rrule: "FREQ=DAILY"}},
		{text: "sprint review every 2 weeks on wednesday", want: want{title: "sprint review", due: "2026-12-02", rrule: "FREQ=WEEKLY;INTERVAL=2;BYDAY=WE"}},
		{text: "pay VAT quarterly", want: want{title: "pay VAT", due: "2026-12-02", rrule: "FREQ=MONTHLY;INTERVAL=3"}},
		{text: "order prints in a week !low", want: want{title: "order prints", due: "2026-12-09", prio: "low"}},
		{text: "the day after tomorrow call grandma", want: want{title: "call grandma", due: "2026-12-04"}},
		{text: "prepare talk dec 3 2027", want: want{title: "prepare talk", due: "2027-12-03"}},
		{text: "3 days from now ship package", want: want{title: "ship package", due: "2026-12-05"}},
		{text: "New Year's party on the 31st at 11pm", want: want{title: "New Year's party", due: "2026-12-31T23:00:00+01:00"}},
		{text: "email Sam eod", want: want{title: "email Sam", due: "2026-12-02"}},
		{text: "wrap up project end of the week", want: want{title: "wrap up project", due: "2026-12-04"}},
		{text: "Call the bank, tomorrow at 5:30 pm!", want: want{title: "Call the bank", due: "2026-12-03T17:30:00+01:00"}},
		{text: "sort receipts every weekend", want: want{title: "sort receipts", due: "2026-12-05", rrule: "FREQ=WEEKLY;BYDAY=SA,SU"}},
		{text: "read 3 chapters", want: want{title: "read 3 chapters"}},
		{text: "fix issue #42 #work", want: want{title: "fix issue #42", cat: "work"}},
		{text: "read every", want: want{title: "read every"}},
		{text: "deploy fix !!!", want: want{title: "deploy fix", prio: "urgent"}},
		{text: "answer Sam !! !low", want: want{title: "answer Sam !low", prio: "high"}},
		{text: "send the quarterly report to Anna", want: want{title: "send the quarterly report to Anna"}},
		{text: "review our weekly metrics monthly", want: want{title: "review our weekly metrics", due: "2026-12-02", rrule: "FREQ=MONTHLY"}},
		{text: "walk dog every 3 days", want: want{title: "walk dog", due: "2026-12-02", rrule: "FREQ=DAILY;INTERVAL=3"}},
		{text: "book club every 2nd tuesday", want: want{title: "book club", due: "2026-12-08", rrule: "FREQ=MONTHLY;BYDAY=2TU"}},
		{text: "pay team every last friday of the month", want: want{title: "pay team", due: "2026-12-25", rrule: "FREQ=MONTHLY;BYDAY=-1FR"}},
		{text: "board meeting on the first monday of every month at 10am", want: want{title: "board meeting", due: "2026-12-07T10:00:00+01:00", rrule: "FREQ=MONTHLY;BYDAY=1MO"}},
		{text: "anniversary every 24th of june", want: want{title: "anniversary", due: "2027-06-24", rrule: "FREQ=YEARLY"}},

		// Short months: the 31st skips February; a month later than Jan 31 is Feb 28.
		{text: "pay rent every 31st", now: time.Date(2027, 2, 10, 9, 0, 0, 0, berlin),
			want: want{title: "pay rent", due: "2027-03-31", rrule: "FREQ=MONTHLY;BYMONTHDAY=31"}},
		{text: "follow up in 1 month", now: time.Date(2027, 1, 31, 9, 0, 0, 0, berlin),
			want: want{title: "follow up", due: "2027-02-28"}},

		// DST, Berlin: clocks go forward on 28 March 2027 at 02:00.
		{text: "call dad tomorrow at 9am", now: time.Date(2027, 3, 27, 10, 0, 0, 0, berlin),
			want: want{title: "call dad", due: "2027-03-28T09:00:00+02:00"}},
		{text: "check heating in 2 hours", now: time.Date(2027, 3, 28, 1, 30, 0, 0, berlin),
			want: want{title: "check heating", due: "2027-03-28T04:30:00+02:00"}}, // 2 h elapsed, 3 h on the wall clock
		// DST, New York: clocks go back on 1 November 2026 at 02:00.
		{text: "pay bills tomorrow at 8am", now: time.Date(2026, 10, 31, 20, 0, 0, 0, newYork), loc: newYork,
			want: want{title: "pay bills", due: "2026-11-01T08:00:00-05:00"}},
		{text: "run every day at 7am", now: time.Date(2026, 10, 31, 20, 0, 0, 0, newYork), loc: newYork,
			want: want{title: "run", due: "2026-11-01T07:00:00-05:00", rrule: "FREQ=DAILY"}},
		// "Today" is the user's day: 20:00 UTC on the 2nd is the 3rd in Tokyo.
		{text: "call tokyo office today", now: time.Date(2026, 12, 2, 20, 0, 0, 0, time.UTC), loc: tokyo,
			want: want{title: "call tokyo office", due: "2026-12-03"}},
		{text: "ship order friday at 10:00", now: time.Date(2026, 12, 2, 20, 0, 0, 0, time.UTC), loc: tokyo,
			want: want{title: "ship order", due: "2026-12-04T10:00:00+09:00"}},
	}
	if len(cases) < 40 {
		t.Fatalf("the table needs at least 40 phrases, has %d", len(cases))
	}
	for _, tc := range cases {
		t.Run(tc.text, func(t *testing.T) {
			n, loc := tc.now, tc.loc
			if n.IsZero() {
				n = now
			}
			if loc == nil {
				loc = berlin
			}
			got := Parse(tc.text, n, loc)
			w := tc.want
			if w.prio == "" {
				w.prio = "none"
			}
			if w.tags == nil {
				w.tags = []string{}
			}
			if got.Title != w.title || got.Due != w.due || got.Recurrence != w.rrule || got.Category != w.cat ||
				got.Priority != w.prio || !reflect.DeepEqual(got.Tags, w.tags) {
				t.Errorf("Parse(%q)\n got title=%q due=%q rrule=%q cat=%q prio=%q tags=%q\nwant title=%q due=%q rrule=%q cat=%q prio=%q tags=%q",
					tc.text, got.Title, got.Due, got.Recurrence, got.Category, got.Priority, got.Tags,
					w.title, w.due, w.rrule, w.cat, w.prio, w.tags)
			}
			if got.DueHasTime != strings.Contains(got.Due, "T") {
				t.Errorf("DueHasTime %v for due %q", got.DueHasTime, got.Due)
			}
			for _, p := range got.Parts {
				if tc.text[p.Start:p.End] != p.Text {
					t.Errorf("part %+v does not point at its text", p)
				}
			}
		})
	}
}

// TestParseParts: the UI highlights what the rules took, so each part names
// its kind and the exact words.
func TestParseParts(t *testing.T) {
	now := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	got := Parse("pay rent every 1st of the month #home !high @bills", now, time.UTC)
	want := []Part{
		{Kind: "recurrence", Text: "every 1st of the month", Start: 9, End: 31},
		{Kind: "category", Text: "#home", Start: 32, End: 37},
		{Kind: "priority", Text: "!high", Start: 38, End: 43},
		{Kind: "tag", Text: "@bills", Start: 44, End: 50},
	}
	if !reflect.DeepEqual(got.Parts, want) {
		t.Fatalf("parts\n got %+v\nwant %+v", got.Parts, want)
	}
	// A second date stays in the title: only the first is the due date.
	got = Parse("move meeting from friday to monday", now, time.UTC)
	if got.Due != "2026-12-04" || got.Title != "move meeting to monday" {
		t.Fatalf("two dates: %+v", got)
	}
	// Nothing recognised: the whole text is the title, no parts.
	got = Parse("  think about   things ", now, time.UTC)
	if got.Title != "think about things" || len(got.Parts) != 0 || got.Due != "" {
		t.Fatalf("plain text: %+v", got)
	}
}

// TestParseInvalidDates: impossible dates are not dates.
func TestParseInvalidDates(t *testing.T) {
	now := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	for _, text := range []string{"x 2026-02-30", "x 31.04.2027", "x feb 30", "x at 25:00", "x 13pm", "x the 32nd"} {
		got := Parse(text, now, time.UTC)
		if got.Due != "" {
			t.Errorf("Parse(%q) due %q, want none", text, got.Due)
		}
	}
}

// BenchmarkParse is quick-add without a model (target < 1 ms per phrase).
func BenchmarkParse(b *testing.B) {
	loc := mustZone(b, "Europe/Berlin")
	now := time.Date(2026, 12, 2, 10, 0, 0, 0, loc)
	phrases := []string{
		"pay rent every 1st of the month #home !high",
		"dentist next monday at 9am",
		"submit timesheet every friday at 4pm #work @admin",
		"Call the bank, tomorrow at 5:30 pm!",
		"buy sun cream and read 3 chapters of the book before the holidays",
	}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		Parse(phrases[i%len(phrases)], now, loc)
	}
}

// FuzzParse: any text parses without panicking, parts point into it, and
// a due date, when given, is one the tasks API accepts.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"pay rent every 1st of the month #home !high", "every", "in", "at", "the", "#", "!",
		"every 0 days", "on the 0th", "2026-13-01", "every other", "dec", "next", "end of", "3 days from", "at 5 p.m"} {
		f.Add(s)
	}
	now := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, s string) {
		got := Parse(s, now, time.UTC)
		for _, p := range got.Parts {
			if p.Start < 0 || p.End > len(s) || s[p.Start:p.End] != p.Text {
				t.Fatalf("part %+v outside %q", p, s)
			}
		}
		if got.Due != "" {
			layout := "2006-01-02"
			if got.DueHasTime {
				layout = time.RFC3339
			}
			if _, err := time.Parse(layout, got.Due); err != nil {
				t.Fatalf("due %q: %v", got.Due, err)
			}
		}
	})
}

func TestCheckRule(t *testing.T) {
	for s, want := range map[string]bool{
		"FREQ=DAILY": true, "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,TH": true, "RRULE:FREQ=MONTHLY;BYMONTHDAY=31": true,
		"FREQ=YEARLY": true, "freq=weekly;byday=fr": true, "FREQ=MONTHLY;BYDAY=2TU": true, "FREQ=MONTHLY;BYDAY=-1FR": true,
		"FREQ=WEEKLY;BYDAY=2TU": false, "FREQ=MONTHLY;BYDAY=MO": false, "FREQ=MONTHLY;BYDAY=6MO": false, "FREQ=MONTHLY;BYDAY=1MO,2TU": false,
		"FREQ=MONTHLY;BYDAY=1MO;BYMONTHDAY=3": false, "": false, "FREQ=HOURLY": false, "FREQ=DAILY;COUNT=3": false, "FREQ=DAILY;BYDAY=MO": false,
		"FREQ=WEEKLY;BYDAY=XX": false, "FREQ=MONTHLY;BYMONTHDAY=0": false, "FREQ=DAILY;INTERVAL=0": false,
		"FREQ=DAILY;FREQ=DAILY": false, "INTERVAL=2": false, "FREQ=WEEKLY;BYDAY=1MO": false,
	} {
		if got := CheckRule(s); got != want {
			t.Errorf("CheckRule(%q) = %v, want %v", s, got, want)
		}
	}
	// Everything the rules write passes.
	now := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	for _, text := range []string{"every day", "every other friday", "every 1st of the month", "yearly", "every mon and thu", "every 3 weeks", "every last sunday"} {
		if r := Parse(text, now, time.UTC); !CheckRule(r.Recurrence) {
			t.Errorf("%q gave %q, which CheckRule refuses", text, r.Recurrence)
		}
	}
}
