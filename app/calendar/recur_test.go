package calendar

import (
	"fmt"
	"testing"
	"time"
)

// The Expander starts long DAILY and WEEKLY series near the range instead
// of at their first start; the instances must be exactly those of a walk
// from the first start.
func TestBetweenSkipsAheadExactly(t *testing.T) {
	berlin, _ := LoadZone("Europe/Berlin")
	ny, _ := LoadZone("America/New_York")
	rules := []string{"FREQ=DAILY", "FREQ=DAILY;INTERVAL=3", "FREQ=WEEKLY", "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,TH",
		"FREQ=WEEKLY;BYDAY=SU;WKST=SU", "FREQ=WEEKLY;INTERVAL=3;BYDAY=TU,SA;WKST=WE", "FREQ=DAILY;BYDAY=MO,WE,FR", "FREQ=DAILY;INTERVAL=2;BYHOUR=9,17",
		"FREQ=MONTHLY", "FREQ=MONTHLY;BYDAY=-1FR", "FREQ=MONTHLY;INTERVAL=5;BYMONTHDAY=31,-1", "FREQ=MONTHLY;BYDAY=2TU,4TH;BYSETPOS=1",
		"FREQ=MONTHLY;INTERVAL=2;BYMONTH=1,3,8", "FREQ=YEARLY", "FREQ=YEARLY;BYWEEKNO=20;BYDAY=MO;WKST=SU", "FREQ=YEARLY;INTERVAL=4;BYMONTH=2;BYMONTHDAY=29",
		"FREQ=YEARLY;BYYEARDAY=1,-1", "FREQ=YEARLY;INTERVAL=3;BYMONTH=3;BYDAY=-1SU", "FREQ=WEEKLY;UNTIL=20290101T000000Z"}
	starts := []time.Time{
		time.Date(2019, 3, 31, 2, 30, 0, 0, berlin), // on a DST gap day
		time.Date(2021, 11, 7, 1, 30, 0, 0, ny),     // in the repeated hour
		time.Date(2024, 2, 29, 23, 59, 0, 0, time.UTC),
		time.Date(2020, 1, 31, 8, 0, 0, 0, berlin),
	}
	total := 0
	for _, rule := range rules {
		for _, st := range starts {
			rec := Recurrence{Start: st, RRule: rule, ExDates: []time.Time{st.AddDate(0, 0, 700)}}
			for _, from := range []time.Time{st.AddDate(0, 0, 3), st.AddDate(2, 1, 5), st.AddDate(6, 6, 6).In(time.UTC), st.AddDate(8, 0, 0).Add(-time.Hour)} {
				to := from.AddDate(1, 1, 7)
				got, err := DefaultExpander.Between(rec, from, to, 10_000)
				if err != nil {
					t.Fatal(err)
				}
				all, err := DefaultExpander.Between(rec, st, to, 100_000)
				total += len(all)
				if err != nil {
					t.Fatal(err)
				}
				want := []time.Time{}
				for _, x := range all {
					if !x.Before(from) {
						want = append(want, x)
					}
				}
				if fmt.Sprint(got) != fmt.Sprint(want) {
					t.Fatalf("%s from %v, range %v: got %d instances, want %d\n%v\n%v", rule, st, from, len(got), len(want), got, want)
				}
			}
		}
	}
	if total < 20_000 {
		t.Fatalf("only %d instances compared", total)
	}
}

func TestLoadZone(t *testing.T) {
	for name, iana := range windowsZones {
		if _, err := LoadZone(name); err != nil {
			t.Errorf("Windows zone %q (%s): %v", name, iana, err)
		}
	}
	for in, want := range map[string]string{
		"Europe/Berlin": "Europe/Berlin", "W. Europe Standard Time": "Europe/Berlin", `"Tokyo Standard Time"`: "Asia/Tokyo",
		"/mozilla.org/20050126_1/Europe/Berlin": "Europe/Berlin", "posix/Europe/Vaduz": "Europe/Vaduz",
		"custom_Pacific/Fiji": "Pacific/Fiji", "UTC": "UTC", "Z": "UTC",
	} {
		loc, err := LoadZone(in)
		if err != nil || zoneName(loc) != want {
			t.Errorf("LoadZone(%q) = %v, %v; want %s", in, loc, err, want)
		}
	}
	for _, bad := range []string{"", "Mars/Olympus", "../../etc/passwd", "Local"} {
		if _, err := LoadZone(bad); err == nil {
			t.Errorf("LoadZone(%q) accepted", bad)
		}
	}
}

func TestParseRRuleRefuses(t *testing.T) {
	for _, r := range []string{"", "FREQ=SECONDLY", "FREQ=MINUTELY;COUNT=3", "FREQ=DAILY;COUNT=2;UNTIL=20260101T000000Z", "BYDAY=MO", "FREQ=WEEKLY;BYDAY=XX", "FREQ=DAILY\nX"} {
		if _, err := ParseRRule(r, time.UTC); err == nil {
			t.Errorf("ParseRRule(%q) accepted", r)
		}
	}
}
