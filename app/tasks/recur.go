package tasks

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/teambition/rrule-go"
)

// Rule is a recurrence in the subset tasks accept: FREQ (DAILY, WEEKLY,
// MONTHLY, YEARLY), INTERVAL, BYDAY (weekdays; MONTHLY also takes
// ordinals such as 1MO or -1FR), BYMONTHDAY (MONTHLY, YEARLY), BYMONTH
// (YEARLY) and UNTIL. COUNT is refused: a task series lives one
// occurrence at a time and does not count its past.
//
// rrule-go does the expansion (it is wrapped here alone: its known traps,
// LIBRARIES.md §C, stay behind this type and the golden tests).
type Rule struct {
	Freq       string
	Interval   int
	ByDay      []string
	ByMonthDay []int
	ByMonth    []int
	// Until is 'YYYYMMDD' or 'YYYYMMDDTHHMMSSZ' ('' for none).
	Until string
}

var freqs = map[string]rrule.Frequency{"DAILY": rrule.DAILY, "WEEKLY": rrule.WEEKLY, "MONTHLY": rrule.MONTHLY, "YEARLY": rrule.YEARLY}

var weekdays = map[string]rrule.Weekday{"MO": rrule.MO, "TU": rrule.TU, "WE": rrule.WE, "TH": rrule.TH, "FR": rrule.FR, "SA": rrule.SA, "SU": rrule.SU}

// ParseRule reads an RRULE ("RRULE:" prefix optional, parts in any
// order, any case) and says what is wrong with one outside the subset.
func ParseRule(s string) (*Rule, error) {
	s = strings.TrimSpace(s)
	if len(s) > 200 {
		return nil, errors.New("the rule is longer than 200 characters")
	}
	s = strings.TrimPrefix(strings.ToUpper(s), "RRULE:")
	r := &Rule{Interval: 1}
	seen := map[string]bool{}
	for _, part := range strings.Split(s, ";") {
		if part == "" {
			continue
		}
		k, v, ok := strings.Cut(part, "=")
		if !ok || v == "" {
			return nil, fmt.Errorf("%q is not KEY=VALUE", part)
		}
		if seen[k] {
			return nil, fmt.Errorf("%s is given twice", k)
		}
		seen[k] = true
		switch k {
		case "FREQ":
			if _, ok := freqs[v]; !ok {
				return nil, errors.New("FREQ must be DAILY, WEEKLY, MONTHLY or YEARLY")
			}
			r.Freq = v
		case "INTERVAL":
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 || n > 999 {
				return nil, errors.New("INTERVAL must be a whole number from 1 to 999")
			}
			r.Interval = n
		case "BYDAY":
			for _, d := range strings.Split(v, ",") {
				if _, _, err := parseDay(d); err != nil {
					return nil, err
				}
				if !slices.Contains(r.ByDay, d) {
					r.ByDay = append(r.ByDay, d)
				}
			}
		case "BYMONTHDAY":
			days, err := ints(v, -31, 31, "BYMONTHDAY")
			if err != nil {
				return nil, err
			}
			r.ByMonthDay = days
		case "BYMONTH":
			months, err := ints(v, 1, 12, "BYMONTH")
			if err != nil {
				return nil, err
			}
			r.ByMonth = months
		case "UNTIL":
			if _, err := parseUntil(v, time.UTC); err != nil {
				return nil, err
			}
			r.Until = v
		case "COUNT":
			return nil, errors.New("COUNT is not supported; end a series with UNTIL")
		default:
			return nil, fmt.Errorf("%s is not supported (FREQ, INTERVAL, BYDAY, BYMONTHDAY, BYMONTH and UNTIL are)", k)
		}
	}
	if r.Freq == "" {
		return nil, errors.New("FREQ is required")
	}
	for _, d := range r.ByDay {
		if n, _, _ := parseDay(d); n != 0 && r.Freq != "MONTHLY" {
			return nil, fmt.Errorf("BYDAY=%s: a numbered weekday needs FREQ=MONTHLY", d)
		}
	}
	if len(r.ByMonthDay) > 0 && r.Freq != "MONTHLY" && r.Freq != "YEARLY" {
		return nil, errors.New("BYMONTHDAY needs FREQ=MONTHLY or YEARLY")
	}
	if len(r.ByMonth) > 0 && r.Freq != "YEARLY" {
		return nil, errors.New("BYMONTH needs FREQ=YEARLY")
	}
	if len(r.ByDay) > 0 && len(r.ByMonthDay) > 0 {
		return nil, errors.New("give BYDAY or BYMONTHDAY, not both")
	}
	return r, nil
}

// String is the rule in its one written form: parts in a fixed order,
// INTERVAL only when above 1.
func (r *Rule) String() string {
	parts := []string{"FREQ=" + r.Freq}
	if r.Interval > 1 {
		parts = append(parts, "INTERVAL="+strconv.Itoa(r.Interval))
	}
	if len(r.ByMonth) > 0 {
		parts = append(parts, "BYMONTH="+joinInts(r.ByMonth))
	}
	if len(r.ByMonthDay) > 0 {
		parts = append(parts, "BYMONTHDAY="+joinInts(r.ByMonthDay))
	}
	if len(r.ByDay) > 0 {
		parts = append(parts, "BYDAY="+strings.Join(r.ByDay, ","))
	}
	if r.Until != "" {
		parts = append(parts, "UNTIL="+r.Until)
	}
	return strings.Join(parts, ";")
}

// Next is the first occurrence of the series that starts at anchor (a
// wall time in its location: the user's zone, or UTC midnight for a task
// due on a day) strictly after prev and not before floor; false when the
// series has ended (UNTIL).
//
// A monthly (or yearly) series on a day some months lack (29–31, or the
// 29th of February) falls on the last day of those months and comes back
// to its day afterwards: a task "every month on the 31st" is due on 28
// February, then 31 March. An explicit BYMONTHDAY=31 follows RFC 5545
// instead and skips the months without one; BYMONTHDAY=-1 is the last day.
func (r *Rule) Next(anchor, prev, floor time.Time) (time.Time, bool) {
	opt := rrule.ROption{Freq: freqs[r.Freq], Dtstart: anchor, Interval: r.Interval, Bymonth: r.ByMonth, Bymonthday: r.ByMonthDay}
	for _, d := range r.ByDay {
		n, wd, _ := parseDay(d)
		if n != 0 {
			wd = wd.Nth(n)
		}
		opt.Byweekday = append(opt.Byweekday, wd)
	}
	if r.Until != "" {
		opt.Until, _ = parseUntil(r.Until, anchor.Location())
	}
	if day := anchor.Day(); day > 28 && len(r.ByDay) == 0 && len(r.ByMonthDay) == 0 && len(r.ByMonth) <= 1 &&
		(r.Freq == "MONTHLY" || r.Freq == "YEARLY") {
		// The anchor's day, or the month's last day when it has fewer:
		// the last of 28..day that the month has.
		for d := 28; d <= day; d++ {
			opt.Bymonthday = append(opt.Bymonthday, d)
		}
		opt.Bysetpos = []int{-1}
		if r.Freq == "YEARLY" && len(r.ByMonth) == 0 {
			opt.Bymonth = []int{int(anchor.Month())}
		}
	}
	rr, err := rrule.NewRRule(opt)
	if err != nil {
		return time.Time{}, false
	}
	after := prev
	if f := floor.Add(-time.Nanosecond); f.After(after) {
		after = f
	}
	next := rr.After(after, false)
	return next, !next.IsZero()
}

func parseDay(d string) (int, rrule.Weekday, error) {
	name := d
	n := 0
	if len(d) > 2 {
		name = d[len(d)-2:]
		v, err := strconv.Atoi(d[:len(d)-2])
		if err != nil || v == 0 || v < -5 || v > 5 {
			return 0, rrule.Weekday{}, fmt.Errorf("BYDAY %q: want MO..SU, optionally numbered 1..5 or -1..-5 (1MO, -1FR)", d)
		}
		n = v
	}
	wd, ok := weekdays[name]
	if !ok {
		return 0, rrule.Weekday{}, fmt.Errorf("BYDAY %q: want MO, TU, WE, TH, FR, SA or SU", d)
	}
	return n, wd, nil
}

func ints(v string, lo, hi int, key string) ([]int, error) {
	var out []int
	for _, s := range strings.Split(v, ",") {
		n, err := strconv.Atoi(s)
		if err != nil || n < lo || n > hi || n == 0 {
			return nil, fmt.Errorf("%s must be numbers from %d to %d (not 0)", key, lo, hi)
		}
		if !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return out, nil
}

func joinInts(v []int) string {
	s := make([]string, len(v))
	for i, n := range v {
		s[i] = strconv.Itoa(n)
	}
	return strings.Join(s, ",")
}

// parseUntil reads UNTIL: a date (the whole day, in loc) or a UTC
// date-time.
func parseUntil(v string, loc *time.Location) (time.Time, error) {
	if t, err := time.ParseInLocation("20060102", v, loc); err == nil {
		return t.AddDate(0, 0, 1).Add(-time.Second), nil
	}
	if t, err := time.Parse("20060102T150405Z", v); err == nil {
		return t, nil
	}
	return time.Time{}, errors.New("UNTIL must be YYYYMMDD or YYYYMMDDTHHMMSSZ")
}
