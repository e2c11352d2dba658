package calendar

import (
	"fmt"
	"time"

	"github.com/emersion/go-ical"
)

// vtimezone describes an IANA zone as a VTIMEZONE (RFC 5545 requires one
// for every TZID an object names, and some clients insist). Go exposes no
// rules, only instants, so the transitions of the year the object starts in
// are found with ZoneBounds and written as yearly rules (the nth or last
// weekday of the month), which is how every zone with DST is defined today;
// a zone without transitions that year gets one fixed STANDARD observance.
func vtimezone(name string, loc *time.Location, year int) *ical.Component {
	tz := ical.NewComponent(ical.CompTimezone)
	tz.Props.SetText(ical.PropTimezoneID, name)
	begin := time.Date(year, 1, 1, 0, 0, 0, 0, loc)
	end := time.Date(year+1, 1, 1, 0, 0, 0, 0, loc)
	t := begin
	for {
		_, next := t.ZoneBounds()
		if next.IsZero() || !next.Before(end) {
			break
		}
		before := next.Add(-time.Second)
		tz.Children = append(tz.Children, observance(before, next, true))
		t = next
	}
	if len(tz.Children) == 0 {
		tz.Children = append(tz.Children, observance(begin, begin, false))
	}
	return tz
}

// observance is the STANDARD or DAYLIGHT part that begins at the
// transition to "at" from "before" (yearly when rule is set).
func observance(before, at time.Time, rule bool) *ical.Component {
	name := ical.CompTimezoneStandard
	if at.IsDST() {
		name = ical.CompTimezoneDaylight
	}
	c := ical.NewComponent(name)
	abbr, to := at.Zone()
	_, from := before.Zone()
	local := at.UTC().Add(time.Duration(from) * time.Second) // the onset in the old offset's wall time
	start := ical.NewProp(ical.PropDateTimeStart)
	start.Value = local.Format(icsDateTime)
	c.Props.Set(start)
	for _, o := range []struct {
		name string
		secs int
	}{{ical.PropTimezoneOffsetFrom, from}, {ical.PropTimezoneOffsetTo, to}} {
		p := ical.NewProp(o.name)
		p.Value = utcOffset(o.secs)
		c.Props.Set(p)
	}
	c.Props.SetText(ical.PropTimezoneName, abbr)
	if rule {
		d := local.Day()
		n := (d-1)/7 + 1
		if d+7 > time.Date(local.Year(), local.Month()+1, 0, 0, 0, 0, 0, time.UTC).Day() {
			n = -1
		}
		p := ical.NewProp(ical.PropRecurrenceRule)
		p.Value = fmt.Sprintf("FREQ=YEARLY;BYMONTH=%d;BYDAY=%d%s", int(local.Month()), n, weekdays[local.Weekday()].String())
		c.Props.Set(p)
	}
	return c
}

func utcOffset(secs int) string {
	sign := '+'
	if secs < 0 {
		sign, secs = '-', -secs
	}
	s := fmt.Sprintf("%c%02d%02d", sign, secs/3600, secs/60%60)
	if secs%60 != 0 {
		s += fmt.Sprintf("%02d", secs%60)
	}
	return s
}
