package quickadd

import (
	"strconv"
	"strings"
	"time"
)

// datePrefixes introduce a date ("due friday", "by the 15th", "starting
// monday"); they are taken only together with the date after them.
var datePrefixes = map[string]bool{"on": true, "by": true, "due": true, "before": true, "until": true,
	"till": true, "starting": true, "from": true}

// matchDate reads a date at i, with an optional time of day after it. abs is
// set instead of a date for "in 2 hours", an instant rather than a day.
func (p *parser) matchDate(i int) (n int, d date, c *clock, abs *time.Time, ok bool) {
	pre := 0
	if datePrefixes[p.w(i)] {
		pre = 1
		if p.is(i, "due") && p.is(i+1, "on", "by") {
			pre = 2
		}
	}
	n, d, c, abs, ok = p.dateCore(i+pre, pre > 0)
	if !ok {
		return 0, date{}, nil, nil, false
	}
	n += pre
	if abs != nil {
		return n, d, nil, abs, true
	}
	if c == nil {
		if pc, ok := partOfDay[p.w(i+n)]; ok {
			c = &pc
			n++
		}
		if m, tc, ok := p.matchTime(i + n); ok {
			c = &tc
			n += m
		}
	}
	return n, d, c, nil, true
}

var partOfDay = map[string]clock{
	"morning": {9, 0}, "afternoon": {15, 0}, "evening": {18, 0}, "night": {20, 0}, "tonight": {20, 0},
}

// dateCore reads the date itself. prefixed says a word like "on" or "by"
// came first, which makes short forms ("sat", "the 3rd") safe to read.
func (p *parser) dateCore(i int, prefixed bool) (int, date, *clock, *time.Time, bool) {
	w := p.w(i)
	today := p.today
	switch w {
	case "today", "tod":
		return 1, today, nil, nil, true
	case "tonight":
		c := partOfDay["tonight"]
		return 1, today, &c, nil, true
	case "tomorrow", "tmrw", "tmr", "tomorow", "tommorow", "tommorrow":
		return 1, today.add(1), nil, nil, true
	case "day":
		if p.is(i+1, "after") && p.is(i+2, "tomorrow") {
			return 3, today.add(2), nil, nil, true
		}
	case "the":
		if p.is(i+1, "day") && p.is(i+2, "after") && p.is(i+3, "tomorrow") {
			return 4, today.add(2), nil, nil, true
		}
		if p.is(i+1, "weekend") {
			return 2, p.weekend(false), nil, nil, true
		}
		if n, d, ok := p.dayOfMonth(i + 1); ok { // the 24th (of december)
			return n + 1, d, nil, nil, true
		}
	case "this", "next", "coming":
		if wd, ok := weekday(p.w(i+1), true); ok {
			switch w {
			case "next":
				return 2, p.nextWeek(wd), nil, nil, true
			case "coming":
				return 2, p.onOrAfter(today.add(1), wd), nil, nil, true
			}
			return 2, p.onOrAfter(today, wd), nil, nil, true
		}
		switch p.w(i + 1) {
		case "week":
			if w == "next" {
				return 2, p.nextWeek(time.Monday), nil, nil, true
			}
		case "month":
			if w == "next" {
				return 2, today.addMonths(1).firstOfMonth(), nil, nil, true
			}
		case "year":
			if w == "next" {
				return 2, date{today.y + 1, time.January, 1}, nil, nil, true
			}
		case "weekend":
			return 2, p.weekend(w == "next"), nil, nil, true
		case "morning", "afternoon", "evening":
			if w == "this" {
				c := partOfDay[p.w(i+1)]
				return 2, today, &c, nil, true
			}
		}
	case "weekend":
		return 1, p.weekend(false), nil, nil, true
	case "in":
		return p.relative(i+1, 1)
	case "end", "eow", "eom", "eoy", "eod":
		unit, n := "", 1
		switch w {
		case "eow":
			unit = "week"
		case "eom":
			unit = "month"
		case "eoy":
			unit = "year"
		case "eod":
			unit = "day"
		default:
			if !p.is(i+1, "of") {
				break
			}
			n = 2
			if p.is(i+2, "the", "this") {
				n = 3
			}
			unit = p.w(i + n)
			n++
		}
		switch unit {
		case "day":
			return n, today, nil, nil, true
		case "week": // the working week's end
			return n, p.onOrAfter(today, time.Friday), nil, nil, true
		case "month":
			return n, date{today.y, today.m, daysIn(today.y, today.m)}, nil, nil, true
		case "year":
			return n, date{today.y, time.December, 31}, nil, nil, true
		}
	}
	if wd, ok := weekday(w, prefixed); ok {
		return 1, p.onOrAfter(today, wd), nil, nil, true
	}
	if n, d, c, ok := p.numericDate(w); ok {
		return n, d, c, nil, true
	}
	if n, d, ok := p.monthDay(i); ok {
		return n, d, nil, nil, true
	}
	if n, d, ok := p.dayOfMonth(i); ok && (prefixed || n > 1) {
		// "the 3rd" alone needs its "the" or "on"; "3 may" is clear.
		return n, d, nil, nil, true
	}
	// "3 days from now"
	if _, ok := count(w); ok && p.is(i+2, "from") && p.is(i+3, "now") {
		if n, d, c, abs, ok := p.relative(i, 0); ok && n == 2 {
			return 4, d, c, abs, true
		}
	}
	return 0, date{}, nil, nil, false
}

// relative reads "3 days", "a week", "2 hours" at i (after "in"); extra is
// the words already read before i, added to the count it returns.
func (p *parser) relative(i, extra int) (int, date, *clock, *time.Time, bool) {
	k, ok := count(p.w(i))
	unit := p.w(i + 1)
	if !ok {
		if p.w(i) != "half" || !p.is(i+1, "an") || !p.is(i+2, "hour") {
			return 0, date{}, nil, nil, false
		}
		t := p.now.Add(30 * time.Minute).Truncate(time.Minute)
		return extra + 3, date{}, nil, &t, true
	}
	n := extra + 2
	switch unit {
	case "day", "days", "d":
		return n, p.today.add(k), nil, nil, true
	case "week", "weeks", "wk", "wks":
		return n, p.today.add(7 * k), nil, nil, true
	case "fortnight", "fortnights":
		return n, p.today.add(14 * k), nil, nil, true
	case "month", "months":
		return n, p.today.addMonths(k), nil, nil, true
	case "year", "years":
		return n, p.today.addMonths(12 * k), nil, nil, true
	case "hour", "hours", "hr", "hrs", "h":
		// An elapsed time: across a DST change the wall clock moves by more
		// or less than k hours, and that is right.
		t := p.now.Add(time.Duration(k) * time.Hour).Truncate(time.Minute)
		return n, date{}, nil, &t, true
	case "minute", "minutes", "min", "mins":
		t := p.now.Add(time.Duration(k) * time.Minute).Truncate(time.Minute)
		return n, date{}, nil, &t, true
	}
	return 0, date{}, nil, nil, false
}

// numericDate reads 2026-12-24, 2026-12-24T17:00 and 24.12.2026.
func (p *parser) numericDate(w string) (int, date, *clock, bool) {
	if len(w) >= 10 && w[4] == '-' && w[7] == '-' {
		y, e1 := strconv.Atoi(w[:4])
		m, e2 := strconv.Atoi(w[5:7])
		d, e3 := strconv.Atoi(w[8:10])
		if e1 != nil || e2 != nil || e3 != nil || !valid(y, time.Month(m), d) {
			return 0, date{}, nil, false
		}
		rest := w[10:]
		if rest == "" {
			return 1, date{y, time.Month(m), d}, nil, true
		}
		if rest[0] != 't' {
			return 0, date{}, nil, false
		}
		c, ok := clockDigits(rest[1:])
		if !ok {
			return 0, date{}, nil, false
		}
		return 1, date{y, time.Month(m), d}, &c, true
	}
	if parts := strings.Split(w, "."); len(parts) == 3 && len(parts[2]) == 4 {
		d, e1 := strconv.Atoi(parts[0])
		m, e2 := strconv.Atoi(parts[1])
		y, e3 := strconv.Atoi(parts[2])
		if e1 == nil && e2 == nil && e3 == nil && valid(y, time.Month(m), d) {
			return 1, date{y, time.Month(m), d}, nil, true
		}
	}
	return 0, date{}, nil, false
}

// monthDay reads "dec 24", "december 24th" and "dec 24 2027" at i.
func (p *parser) monthDay(i int) (int, date, bool) {
	m, ok := months[p.w(i)]
	if !ok {
		return 0, date{}, false
	}
	day, ok := ordinal(p.w(i+1), true)
	if !ok {
		return 0, date{}, false
	}
	if y, ok := year(p.w(i + 2)); ok {
		if !valid(y, m, day) {
			return 0, date{}, false
		}
		return 3, date{y, m, day}, true
	}
	d, ok := p.nextMonthDay(m, day)
	return 2, d, ok
}

// dayOfMonth reads "24 december", "24th of dec 2027", or, with no month,
// "15th" (the next 15th).
func (p *parser) dayOfMonth(i int) (int, date, bool) {
	w := p.w(i)
	j := i + 1
	if p.is(j, "of") {
		j++
	}
	if m, ok := months[p.w(j)]; ok {
		day, ok := ordinal(w, true)
		if !ok {
			return 0, date{}, false
		}
		if y, ok := year(p.w(j + 1)); ok {
			if !valid(y, m, day) {
				return 0, date{}, false
			}
			return j + 2 - i, date{y, m, day}, true
		}
		d, ok := p.nextMonthDay(m, day)
		return j + 1 - i, d, ok
	}
	day, ok := ordinal(w, false)
	if !ok {
		return 0, date{}, false
	}
	n := 1
	if p.is(i+1, "of") && p.is(i+2, "the", "this") && p.is(i+3, "month") {
		n = 4
	}
	return n, p.nextDayOfMonth(day), true
}

// nextMonthDay is the next m/day on or after today (Feb 29 waits for a leap year).
func (p *parser) nextMonthDay(m time.Month, day int) (date, bool) {
	if day > 31 {
		return date{}, false
	}
	for y := p.today.y; y <= p.today.y+8; y++ {
		d := date{y, m, day}
		if valid(y, m, day) && !d.before(p.today) {
			return d, true
		}
	}
	return date{}, false
}

// nextDayOfMonth is the next date with that day of the month, on or after
// today (the 31st skips the months without one).
func (p *parser) nextDayOfMonth(day int) date {
	return nextMonthDayFrom(p.today, day)
}

func nextMonthDayFrom(from date, day int) date {
	for k := 0; k < 24; k++ {
		first := from.firstOfMonth().addMonths(k)
		if day <= daysIn(first.y, first.m) {
			d := date{first.y, first.m, day}
			if !d.before(from) {
				return d
			}
		}
	}
	return from
}

func (d date) firstOfMonth() date { return date{d.y, d.m, 1} }

// onOrAfter is the first wd on or after from.
func (p *parser) onOrAfter(from date, wd time.Weekday) date {
	return from.add((int(wd) - int(from.weekday()) + 7) % 7)
}

// nextWeek is wd in the week after this one (weeks start on Monday):
// on a Wednesday, "next friday" is nine days away and "next monday" five.
func (p *parser) nextWeek(wd time.Weekday) date {
	sinceMonday := (int(p.today.weekday()) + 6) % 7
	monday := p.today.add(7 - sinceMonday)
	return monday.add((int(wd) + 6) % 7)
}

// weekend is the coming Saturday (today on a weekend), or the one after
// when next is set.
func (p *parser) weekend(next bool) date {
	if !next {
		if p.today.weekday() == time.Sunday {
			return p.today
		}
		return p.onOrAfter(p.today, time.Saturday)
	}
	return p.nextWeek(time.Saturday)
}

// matchTime reads "at 5pm", "17:00", "at 5:30 pm", "noon", "in the evening".
func (p *parser) matchTime(i int) (int, clock, bool) {
	if p.is(i, "in") && p.is(i+1, "the") {
		if c, ok := partOfDay[p.w(i+2)]; ok && p.w(i+2) != "tonight" {
			return 3, c, true
		}
	}
	loose := p.is(i, "at", "around", "by")
	j := i
	if loose {
		j++
	}
	n, c, ok := p.timeCore(j, p.is(i, "at", "around"))
	if !ok {
		return 0, clock{}, false
	}
	return n + (j - i), c, true
}

// timeCore reads the time itself; bare allows a lone hour ("at 5", which
// means 17:00: hours 1–7 are read as afternoon, as people say them).
func (p *parser) timeCore(i int, bare bool) (int, clock, bool) {
	w := p.w(i)
	switch w {
	case "noon", "midday":
		return 1, clock{12, 0}, true
	case "midnight": // the end of the day the task is due
		return 1, clock{23, 59}, true
	}
	if w == "" {
		return 0, clock{}, false
	}
	mer := ""
	n := 1
	for _, suf := range []string{"am", "pm", "a.m", "p.m"} {
		if strings.HasSuffix(w, suf) && len(w) > len(suf) {
			mer, w = suf[:1], w[:len(w)-len(suf)]
			break
		}
	}
	if mer == "" {
		switch p.w(i + 1) {
		case "am", "a.m":
			mer, n = "a", 2
		case "pm", "p.m":
			mer, n = "p", 2
		}
	}
	var c clock
	if strings.ContainsAny(w, ":") {
		cc, ok := clockDigits(w)
		if !ok {
			return 0, clock{}, false
		}
		c = cc
	} else {
		h, err := strconv.Atoi(w)
		if err != nil || h < 0 || h > 23 || len(w) > 2 || (mer == "" && !bare) {
			return 0, clock{}, false
		}
		c = clock{h, 0}
		if mer == "" && h >= 1 && h <= 7 {
			c.h += 12
		}
	}
	switch mer {
	case "a":
		if c.h > 12 || c.h == 0 {
			return 0, clock{}, false
		}
		if c.h == 12 {
			c.h = 0
		}
	case "p":
		if c.h > 12 || c.h == 0 {
			return 0, clock{}, false
		}
		if c.h < 12 {
			c.h += 12
		}
	}
	if p.is(i+n, "o'clock", "oclock") {
		n++
	}
	return n, c, true
}

// clockDigits reads "17:00", "9:30" and "17:00:00".
func clockDigits(s string) (clock, bool) {
	parts := strings.Split(s, ":")
	if len(parts) < 2 || len(parts) > 3 || len(parts[0]) == 0 || len(parts[0]) > 2 || len(parts[1]) != 2 {
		return clock{}, false
	}
	h, e1 := strconv.Atoi(parts[0])
	m, e2 := strconv.Atoi(parts[1])
	if e1 != nil || e2 != nil || h > 23 || m > 59 || h < 0 || m < 0 {
		return clock{}, false
	}
	return clock{h, m}, true
}
