package calendar

import (
	"strconv"
	"testing"
	"time"

	"github.com/emersion/go-ical"
)

// The VTIMEZONEs written for exports and CalDAV objects must give the
// offsets Go's zone data gives, through the year the object starts in and
// the years after (their rules repeat yearly): evaluated here the way a
// client does, from the observances alone.
func TestVTimezoneMatchesZoneData(t *testing.T) {
	for _, name := range []string{"Europe/Berlin", "America/New_York", "Australia/Sydney", "America/Sao_Paulo", "Asia/Kolkata",
		"Pacific/Chatham", "Europe/Dublin", "America/St_Johns", "Asia/Tokyo"} {
		loc, err := LoadZone(name)
		if err != nil {
			t.Fatal(err)
		}
		text, err := encodeComponent(vtimezone(name, loc, 2026))
		if err != nil {
			t.Fatal(err)
		}
		tz, err := decodeComponent(text)
		if err != nil {
			t.Fatal(err)
		}
		// Every onset of every observance, as an instant, with its offset.
		type onset struct {
			at     time.Time
			offset int
		}
		var onsets []onset
		for _, ob := range tz.Children {
			from, to := parseOffset(t, ob.Props.Get(ical.PropTimezoneOffsetFrom).Value), parseOffset(t, ob.Props.Get(ical.PropTimezoneOffsetTo).Value)
			local, err := time.ParseInLocation(icsDateTime, ob.Props.Get(ical.PropDateTimeStart).Value, time.UTC)
			if err != nil {
				t.Fatal(err)
			}
			rec := Recurrence{Start: local}
			if p := ob.Props.Get(ical.PropRecurrenceRule); p != nil {
				rec.RRule = p.Value
			}
			locals, err := DefaultExpander.Between(rec, local, time.Date(2031, 1, 1, 0, 0, 0, 0, time.UTC), 100)
			if err != nil {
				t.Fatal(err)
			}
			for _, l := range locals {
				onsets = append(onsets, onset{l.Add(-time.Duration(from) * time.Second), to})
			}
		}
		for at := time.Date(2026, 1, 1, 0, 30, 0, 0, time.UTC); at.Year() < 2031; at = at.Add(7*time.Hour + 13*time.Minute) {
			best := onset{}
			for _, o := range onsets {
				if !o.at.After(at) && o.at.After(best.at) {
					best = o
				}
			}
			if best.at.IsZero() {
				// Before the first onset of the year: the zone's offset
				// then is the last observance's (the year wraps).
				for _, o := range onsets {
					if o.at.Year() == 2026 && o.at.After(best.at) {
						best = o
					}
				}
			}
			if _, want := at.In(loc).Zone(); best.offset != want {
				t.Fatalf("%s at %v: VTIMEZONE gives %+d s, the zone data %+d s\n%s", name, at, best.offset, want, text)
			}
		}
	}
}

func parseOffset(t *testing.T, v string) int {
	t.Helper()
	sign := 1
	if v[0] == '-' {
		sign = -1
	}
	h, _ := strconv.Atoi(v[1:3])
	m, _ := strconv.Atoi(v[3:5])
	s := 0
	if len(v) == 7 {
		s, _ = strconv.Atoi(v[5:7])
	}
	return sign * (h*3600 + m*60 + s)
}
