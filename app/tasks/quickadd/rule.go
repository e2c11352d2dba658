package quickadd

import (
	"sort"
	"strconv"
	"strings"
	"time"
)

// rule is a recurrence of the subset tasks support: daily, weekly on days,
// monthly on a day of the month, yearly, each every N.
type rule struct {
	freq       string // DAILY, WEEKLY, MONTHLY, YEARLY
	interval   int
	byDay      []time.Weekday
	byMonthDay int
	// nth, with one day in byDay, is a monthly rule on that weekday's
	// nth occurrence (1–5) or the last (-1): "every 2nd tuesday".
	nth    int
	yearly *date // the month and day a yearly rule falls on, when said
}

var rruleDay = [...]string{"SU", "MO", "TU", "WE", "TH", "FR", "SA"}

// String is the RRULE value ("FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,TH").
func (r rule) String() string {
	var b strings.Builder
	b.WriteString("FREQ=" + r.freq)
	if r.interval > 1 {
		b.WriteString(";INTERVAL=" + strconv.Itoa(r.interval))
	}
	if len(r.byDay) > 0 {
		days := append([]time.Weekday(nil), r.byDay...)
		// Monday first, as people read a week.
		sort.Slice(days, func(a, b int) bool { return (days[a]+6)%7 < (days[b]+6)%7 })
		b.WriteString(";BYDAY=")
		for k, d := range days {
			if k > 0 {
				b.WriteByte(',')
			}
			if r.nth != 0 {
				b.WriteString(strconv.Itoa(r.nth))
			}
			b.WriteString(rruleDay[d])
		}
	}
	if r.byMonthDay != 0 {
		b.WriteString(";BYMONTHDAY=" + strconv.Itoa(r.byMonthDay))
	}
	return b.String()
}

// nthWeekday is the nth wd of a month (-1: the last), if it has one.
func nthWeekday(y int, m time.Month, wd time.Weekday, nth int) (date, bool) {
	if nth < 0 {
		last := date{y, m, daysIn(y, m)}
		return last.add(-((int(last.weekday()) - int(wd) + 7) % 7)), true
	}
	first := date{y, m, 1}
	d := first.add((int(wd)-int(first.weekday())+7)%7 + 7*(nth-1))
	return d, d.m == m
}

// first is the rule's first occurrence on or after from.
func (r rule) first(from date) date {
	switch {
	case r.yearly != nil:
		for y := from.y; y <= from.y+8; y++ {
			d := date{y, r.yearly.m, r.yearly.d}
			if valid(y, d.m, d.d) && !d.before(from) {
				return d
			}
		}
	case r.nth != 0:
		for k := 0; k < 24; k++ {
			m := from.firstOfMonth().addMonths(k)
			if d, ok := nthWeekday(m.y, m.m, r.byDay[0], r.nth); ok && !d.before(from) {
				return d
			}
		}
	case len(r.byDay) > 0:
		for k := 0; k < 7; k++ {
			d := from.add(k)
			for _, wd := range r.byDay {
				if d.weekday() == wd {
					return d
				}
			}
		}
	case r.byMonthDay > 0:
		return nextMonthDayFrom(from, r.byMonthDay)
	}
	return from
}

// adverbs of recurrence are adjectives after a determiner.
var adverbs = map[string]bool{"daily": true, "everyday": true, "weekly": true, "biweekly": true, "fortnightly": true,
	"monthly": true, "quarterly": true, "yearly": true, "annually": true, "annual": true}

var determiners = map[string]bool{"the": true, "a": true, "an": true, "my": true, "our": true, "your": true,
	"his": true, "her": true, "their": true, "this": true, "that": true, "next": true, "last": true, "its": true}

var (
	workWeek = []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday}
	weekEnd  = []time.Weekday{time.Saturday, time.Sunday}
)

// matchRule reads a recurrence at i.
func (p *parser) matchRule(i int) (int, rule, bool) {
	w := p.w(i)
	if adverbs[w] && determiners[p.w(i-1)] {
		return 0, rule{}, false // "the weekly report" names a report
	}
	switch w {
	case "daily", "everyday":
		return 1, rule{freq: "DAILY"}, true
	case "weekly", "biweekly", "fortnightly":
		r := rule{freq: "WEEKLY"}
		if w != "weekly" {
			r.interval = 2
		}
		return 1 + p.onDays(i+1, &r), r, true
	case "monthly", "quarterly":
		r := rule{freq: "MONTHLY"}
		if w == "quarterly" {
			r.interval = 3
		}
		n := 1 + p.monthDayTail(i+1, &r)
		return n, r, true
	case "yearly", "annually":
		r := rule{freq: "YEARLY"}
		return 1 + p.onYearDay(i+1, &r), r, true
	case "weekdays", "workdays":
		return 1, rule{freq: "WEEKLY", byDay: workWeek}, true
	case "weekends":
		return 1, rule{freq: "WEEKLY", byDay: weekEnd}, true
	case "every", "each":
		n, r, ok := p.afterEvery(i + 1)
		return n + 1, r, ok
	case "on":
		if p.is(i+1, "weekdays", "workdays") {
			return 2, rule{freq: "WEEKLY", byDay: workWeek}, true
		}
		if p.is(i+1, "weekends") {
			return 2, rule{freq: "WEEKLY", byDay: weekEnd}, true
		}
		if m, days, ok := p.dayList(i+1, false, true); ok {
			return 1 + m, rule{freq: "WEEKLY", byDay: days}, true
		}
		if n, r, ok := p.monthDayOfEvery(i + 1); ok {
			return n + 1, r, true
		}
	}
	if m, days, ok := p.dayList(i, false, true); ok { // "mondays and thursdays"
		return m, rule{freq: "WEEKLY", byDay: days}, true
	}
	return p.monthDayOfEvery(i)
}

// monthDayOfEvery reads "the 1st of every month", "15th of each month" and
// "the first monday of every month".
func (p *parser) monthDayOfEvery(i int) (int, rule, bool) {
	j := i
	if p.is(j, "the") {
		j++
	}
	if n, r, ok := p.nthOfMonth(j, true); ok {
		return j + n - i, r, true
	}
	day, ok := ordinal(p.w(j), false)
	if !ok || !p.is(j+1, "of") || !p.is(j+2, "every", "each") || !p.is(j+3, "month") {
		return 0, rule{}, false
	}
	return j + 4 - i, rule{freq: "MONTHLY", byMonthDay: day}, true
}

// afterEvery reads what follows "every".
func (p *parser) afterEvery(i int) (int, rule, bool) {
	interval, j := 1, i
	if p.is(j, "other") {
		interval, j = 2, j+1
	} else if k, ok := count(p.w(j)); ok && p.w(j) != "a" && p.w(j) != "an" {
		interval, j = k, j+1
	} else if k, ok := ordinal(p.w(j), false); ok && p.is(j+1, "day", "week", "month", "year") {
		interval, j = k, j+1 // "every 2nd week"
	}
	unit := p.w(j)
	r := rule{interval: interval}
	switch unit {
	case "day", "days":
		r.freq = "DAILY"
		return j + 1 - i, r, true
	case "week", "weeks":
		r.freq = "WEEKLY"
		return j + 1 - i + p.onDays(j+1, &r), r, true
	case "month", "months":
		r.freq = "MONTHLY"
		return j + 1 - i + p.monthDayTail(j+1, &r), r, true
	case "year", "years":
		r.freq = "YEARLY"
		return j + 1 - i + p.onYearDay(j+1, &r), r, true
	case "weekday", "workday", "weekdays", "workdays":
		if interval == 1 {
			return j + 1 - i, rule{freq: "WEEKLY", byDay: workWeek}, true
		}
	case "business", "working":
		if interval == 1 && p.is(j+1, "day") {
			return j + 2 - i, rule{freq: "WEEKLY", byDay: workWeek}, true
		}
	case "weekend":
		r.freq, r.byDay = "WEEKLY", weekEnd
		return j + 1 - i, r, true
	case "morning", "afternoon", "evening", "night":
		if interval == 1 && p.clock == nil {
			c := partOfDay[unit]
			p.clock = &c
			return j + 1 - i, rule{freq: "DAILY"}, true
		}
	}
	if m, days, ok := p.dayList(j, true, false); ok {
		r.freq, r.byDay = "WEEKLY", days
		return j + m - i, r, true
	}
	if interval == 1 {
		if n, r, ok := p.nthOfMonth(j, false); ok { // "every 2nd tuesday (of the month)"
			return j + n - i, r, true
		}
		// "every 1st of the month", "every 15th", "every dec 24"
		if m, d, ok := p.yearDay(j); ok {
			return j + m - i, rule{freq: "YEARLY", yearly: &d}, true
		}
		if day, ok := ordinal(unit, false); ok {
			n := j + 1 - i
			if p.is(j+1, "day") {
				n++
			}
			if p.is(i+n, "of") {
				k := i + n + 1
				if p.is(k, "the", "each", "every") {
					k++
				}
				if p.is(k, "month") {
					n = k + 1 - i
				}
			}
			return n, rule{freq: "MONTHLY", byMonthDay: day}, true
		}
	}
	return 0, rule{}, false
}

var nthWords = map[string]int{"first": 1, "1st": 1, "second": 2, "2nd": 2, "third": 3, "3rd": 3,
	"fourth": 4, "4th": 4, "fifth": 5, "5th": 5, "last": -1}

// nthOfMonth reads "2nd tuesday" and "last friday", then an optional "of
// the month" ("of every month" / "of each month" when every is set, as
// nothing before said it recurs).
func (p *parser) nthOfMonth(i int, every bool) (int, rule, bool) {
	nth, ok := nthWords[p.w(i)]
	if !ok {
		return 0, rule{}, false
	}
	wd, ok := weekday(p.w(i+1), true)
	if !ok {
		return 0, rule{}, false
	}
	n := 2
	if p.is(i+2, "of") {
		k := i + 3
		if p.is(k, "the", "each", "every") {
			k++
		}
		if p.is(k, "month") && (!every || p.is(k-1, "each", "every")) {
			n = k + 1 - i
		}
	}
	if every && n == 2 {
		return 0, rule{}, false
	}
	return n, rule{freq: "MONTHLY", byDay: []time.Weekday{wd}, nth: nth}, true
}

// onDays reads an optional "on monday and thursday" after a weekly rule
// and returns the words it took.
func (p *parser) onDays(i int, r *rule) int {
	if !p.is(i, "on") {
		return 0
	}
	m, days, ok := p.dayList(i+1, true, false)
	if !ok {
		return 0
	}
	r.byDay = days
	return 1 + m
}

// onYearDay reads an optional "on mar 14" after a yearly rule.
func (p *parser) onYearDay(i int, r *rule) int {
	if !p.is(i, "on") {
		return 0
	}
	m, d, ok := p.yearDay(i + 1)
	if !ok {
		return 0
	}
	r.yearly = &d
	return 1 + m
}

// monthDayTail reads an optional "on the 15th" after a monthly rule and
// returns the words it took.
func (p *parser) monthDayTail(i int, r *rule) int {
	j := i
	if !p.is(j, "on") {
		return 0
	}
	j++
	if p.is(j, "the") {
		j++
	}
	day, ok := ordinal(p.w(j), false)
	if !ok {
		return 0
	}
	r.byMonthDay = day
	n := j + 1 - i
	if p.is(j+1, "day") {
		n++
	}
	return n
}

// yearDay reads "dec 24" or "24 december" as a month and day (the year is 0).
func (p *parser) yearDay(i int) (int, date, bool) {
	if m, ok := months[p.w(i)]; ok {
		if day, ok := ordinal(p.w(i+1), true); ok && day <= daysIn(2024, m) {
			return 2, date{0, m, day}, true
		}
		return 0, date{}, false
	}
	day, ok := ordinal(p.w(i), true)
	if !ok {
		return 0, date{}, false
	}
	j := i + 1
	if p.is(j, "of") {
		j++
	}
	if m, ok := months[p.w(j)]; ok && day <= daysIn(2024, m) {
		return j + 1 - i, date{0, m, day}, true
	}
	return 0, date{}, false
}

// dayList reads "monday", "mon and thu", "monday, wednesday & friday";
// plural reads "mondays" too, and with abbr unset, only plurals count (a
// lone "monday" is a date, "mondays" a recurrence).
func (p *parser) dayList(i int, abbr, plural bool) (int, []time.Weekday, bool) {
	day := func(w string) (time.Weekday, bool) {
		if plural {
			if wd, ok := pluralWeekday(w); ok {
				return wd, true
			}
			if !abbr {
				return 0, false
			}
		}
		return weekday(w, abbr)
	}
	var days []time.Weekday
	j := i
	for {
		wd, ok := day(p.w(j))
		if !ok {
			break
		}
		days = append(days, wd)
		j++
		if p.is(j, "and", "&", "/", "or") {
			if _, ok := day(p.w(j + 1)); !ok {
				break
			}
			j++
		}
	}
	if len(days) == 0 {
		return 0, nil, false
	}
	return j - i, dedupDays(days), true
}

func dedupDays(days []time.Weekday) []time.Weekday {
	seen := map[time.Weekday]bool{}
	out := days[:0]
	for _, d := range days {
		if !seen[d] {
			seen[d] = true
			out = append(out, d)
		}
	}
	return out
}

// CheckRule reports whether s is an RRULE of the subset quick add writes:
// FREQ (DAILY, WEEKLY, MONTHLY, YEARLY), INTERVAL 1–999, BYDAY (weekdays
// on WEEKLY; one nth weekday such as 2TU or -1FR on MONTHLY) and
// BYMONTHDAY 1–31 (MONTHLY). A model's rule is
// checked with it before it is proposed.
func CheckRule(s string) bool {
	seen := map[string]bool{}
	freq := ""
	nthDay := false // BYDAY=2TU: monthly only
	for _, part := range strings.Split(strings.TrimPrefix(strings.ToUpper(strings.TrimSpace(s)), "RRULE:"), ";") {
		k, v, ok := strings.Cut(part, "=")
		if !ok || v == "" || seen[k] {
			return false
		}
		seen[k] = true
		switch k {
		case "FREQ":
			switch v {
			case "DAILY", "WEEKLY", "MONTHLY", "YEARLY":
				freq = v
			default:
				return false
			}
		case "INTERVAL":
			if n, err := strconv.Atoi(v); err != nil || n < 1 || n > 999 {
				return false
			}
		case "BYDAY":
			for _, d := range strings.Split(v, ",") {
				if len(d) < 2 {
					return false
				}
				found := false
				for _, name := range rruleDay {
					found = found || d[len(d)-2:] == name
				}
				switch prefix := d[:len(d)-2]; prefix {
				case "":
				case "-1", "1", "2", "3", "4", "5":
					nthDay = true
				default:
					return false
				}
				if !found {
					return false
				}
			}
		case "BYMONTHDAY":
			if n, err := strconv.Atoi(v); err != nil || n < 1 || n > 31 {
				return false
			}
		default:
			return false
		}
	}
	switch {
	case freq == "":
		return false
	case seen["BYDAY"] && !nthDay && freq != "WEEKLY", nthDay && (freq != "MONTHLY" || strings.Contains(s, ",")),
		seen["BYMONTHDAY"] && freq != "MONTHLY", seen["BYDAY"] && seen["BYMONTHDAY"]:
		return false
	}
	return true
}
