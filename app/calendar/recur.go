package calendar

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"
	_ "time/tzdata" // a minimal Pi or container image may lack /usr/share/zoneinfo

	"github.com/teambition/rrule-go"
)

// Recurrence is what expands into instances: the first start and the
// series' rule and extra dates. Timed series carry their zone in Start
// (instances keep its wall time across DST changes); all-day and floating
// series are given as UTC and read back as dates or wall times.
type Recurrence struct {
	Start   time.Time
	RRule   string // the RRULE value without "RRULE:", "" for none
	RDates  []time.Time
	ExDates []time.Time
}

// Expander turns a Recurrence into instance starts. It is the one door to
// the RRULE library (github.com/teambition/rrule-go), so its known gaps are
// handled, and tested against golden cases (testdata/expand.golden), in
// one place.
type Expander interface {
	// Between returns the starts in [from, to), in order, at most limit
	// (more: ErrTooMany).
	Between(r Recurrence, from, to time.Time, limit int) ([]time.Time, error)
	// Last returns the last start, or ok false when the series never ends.
	Last(r Recurrence, limit int) (last time.Time, ok bool, err error)
}

// ErrTooMany means a range holds more instances than the caller allows.
var ErrTooMany = errors.New("too many instances")

// rruleExpander is the Expander over rrule-go.
type rruleExpander struct{}

// DefaultExpander is the Expander the service uses.
var DefaultExpander Expander = rruleExpander{}

// ParseRRule checks an RRULE value and returns its options (Dtstart
// unset). UNTIL without "Z" is read in loc. Sub-hourly frequencies are
// refused: a calendar has no use for them and they expand without end.
func ParseRRule(rule string, loc *time.Location) (*rrule.ROption, error) {
	key := rule + "\x00" + loc.String()
	rulesMu.Lock()
	c, ok := rules[key]
	rulesMu.Unlock()
	if !ok {
		c.opt, c.err = parseRRule(rule, loc)
		rulesMu.Lock()
		if len(rules) >= maxCachedRules {
			clear(rules)
		}
		rules[key] = c
		rulesMu.Unlock()
	}
	if c.err != nil {
		return nil, c.err
	}
	o := *c.opt // rrule-go assigns the options' slices but never writes into them, nor does rule
	return &o, nil
}

// rules caches parsed RRULEs: a month view parses every series' rule, and
// the same few rules recur across series.
var (
	rulesMu sync.Mutex
	rules   = map[string]parsedRule{}
)

const maxCachedRules = 4096

type parsedRule struct {
	opt *rrule.ROption
	err error
}

func parseRRule(rule string, loc *time.Location) (*rrule.ROption, error) {
	rule = strings.TrimPrefix(strings.TrimSpace(rule), "RRULE:")
	if rule == "" {
		return nil, errors.New("empty RRULE")
	}
	if strings.ContainsAny(rule, "\r\n") {
		return nil, errors.New("an RRULE is one line")
	}
	o, err := rrule.StrToROptionInLocation(rule, loc)
	if err != nil {
		return nil, fmt.Errorf("RRULE: %v", err)
	}
	if o.Freq == rrule.MINUTELY || o.Freq == rrule.SECONDLY {
		return nil, errors.New("RRULE: FREQ must be HOURLY, DAILY, WEEKLY, MONTHLY or YEARLY")
	}
	if o.Count < 0 || o.Interval < 0 {
		return nil, errors.New("RRULE: COUNT and INTERVAL must be positive")
	}
	if o.Count > 0 && !o.Until.IsZero() {
		return nil, errors.New("RRULE: COUNT and UNTIL must not both be given")
	}
	return o, nil
}

// rule builds the rrule for r; from (when not zero and the rule allows it)
// lets a long DAILY or WEEKLY series start iterating near the range
// instead of at its first start (the month view of a series begun years
// ago).
func (x rruleExpander) rule(r Recurrence, from time.Time) (*rrule.RRule, error) {
	o, err := ParseRRule(r.RRule, r.Start.Location())
	if err != nil {
		return nil, err
	}
	return x.ruleWith(o, r.Start, from)
}

func (rruleExpander) ruleWith(o *rrule.ROption, start, from time.Time) (*rrule.RRule, error) {
	start = start.Truncate(time.Second)
	// rrule-go derives the BYxxx it is not given from DTSTART; pin them to
	// the first start so that moving DTSTART below does not change them.
	if o.Freq < rrule.HOURLY {
		if len(o.Byhour) == 0 {
			o.Byhour = []int{start.Hour()}
		}
		if len(o.Byminute) == 0 {
			o.Byminute = []int{start.Minute()}
		}
		if len(o.Bysecond) == 0 {
			o.Bysecond = []int{start.Second()}
		}
	}
	if noByDay := len(o.Byweekday) == 0 && len(o.Bymonthday) == 0 && len(o.Byyearday) == 0 && len(o.Byweekno) == 0 && len(o.Byeaster) == 0; noByDay {
		switch o.Freq {
		case rrule.WEEKLY:
			o.Byweekday = []rrule.Weekday{weekdays[start.Weekday()]}
		case rrule.MONTHLY:
			o.Bymonthday = []int{start.Day()}
		case rrule.YEARLY:
			o.Bymonthday = []int{start.Day()}
			if len(o.Bymonth) == 0 {
				o.Bymonth = []int{int(start.Month())}
			}
		}
	}
	o.Dtstart = start
	if !from.IsZero() && o.Count == 0 {
		o.Dtstart = skipAhead(o, start, from.In(start.Location()))
	}
	return rrule.NewRRule(*o)
}

// skipAhead moves a series' start forward by whole periods (INTERVAL
// days, weeks, months or years) to just before from, so a series begun
// years ago is not walked from its first start. Every rule repeats its
// instance set exactly after a whole number of periods once the BYxxx that
// rrule-go would derive from DTSTART are pinned (rule does that); a moved
// month or year start is its first day, which exists in every month. One
// or two periods of slack keep week starts (WKST) and zones out of play.
// Not for COUNT, which counts from the first start.
func skipAhead(o *rrule.ROption, start, from time.Time) time.Time {
	n := max(o.Interval, 1)
	y, m, d := start.Date()
	at := func(y int, m time.Month, d int) time.Time {
		return time.Date(y, m, d, start.Hour(), start.Minute(), start.Second(), 0, start.Location())
	}
	switch o.Freq {
	case rrule.DAILY, rrule.WEEKLY:
		period := n
		if o.Freq == rrule.WEEKLY {
			period *= 7
		}
		if k := (civilDays(from)-civilDays(start))/period - 2; k > 0 {
			return at(y, m, d+k*period)
		}
	case rrule.MONTHLY:
		months := (from.Year()-y)*12 + int(from.Month()-m)
		if k := months/n - 1; k > 0 {
			return at(y, m+time.Month(k*n), 1)
		}
	case rrule.YEARLY:
		if k := (from.Year()-y)/n - 1; k > 0 {
			return at(y+k*n, 1, 1)
		}
	}
	return start
}

var weekdays = [7]rrule.Weekday{rrule.SU, rrule.MO, rrule.TU, rrule.WE, rrule.TH, rrule.FR, rrule.SA}

func civilDays(t time.Time) int {
	y, m, d := t.Date()
	return int(time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / 86400)
}

func (x rruleExpander) Between(r Recurrence, from, to time.Time, limit int) ([]time.Time, error) {
	ex := exSet(r.ExDates)
	out := []time.Time{}
	add := func(t time.Time) error {
		if t.Before(from) || !t.Before(to) || ex[t.Unix()] {
			return nil
		}
		if len(out) >= limit {
			return ErrTooMany
		}
		out = append(out, t)
		return nil
	}
	// The first start is always an instance (RFC 5545 3.8.5.3: DTSTART
	// counts as the first instance), even when the rule would not yield it.
	if err := add(r.Start); err != nil {
		return nil, err
	}
	for _, t := range r.RDates {
		if err := add(t); err != nil {
			return nil, err
		}
	}
	if r.RRule != "" {
		rule, err := x.rule(r, from)
		if err != nil {
			return nil, err
		}
		next := rule.Iterator()
		for {
			t, ok := next()
			if !ok || !t.Before(to) {
				break
			}
			if t.Equal(r.Start) {
				continue
			}
			if err := add(t); err != nil {
				return nil, err
			}
		}
	}
	return sortUnique(out), nil
}

func (x rruleExpander) Last(r Recurrence, limit int) (time.Time, bool, error) {
	last := r.Start
	for _, t := range r.RDates {
		if t.After(last) {
			last = t
		}
	}
	if r.RRule == "" {
		return last, true, nil
	}
	o, err := ParseRRule(r.RRule, r.Start.Location())
	if err != nil {
		return time.Time{}, false, err
	}
	if empty, err := x.empty(o, r.Start); err != nil || empty {
		if err == nil {
			err = ErrNoInstances
		}
		return time.Time{}, false, err
	}
	switch {
	case o.Count == 0 && o.Until.IsZero():
		return time.Time{}, false, nil
	case o.Count == 0:
		// No instance comes after UNTIL: an upper bound is all a range
		// query needs, and walking to it could be long.
		if o.Until.After(last) {
			last = o.Until.In(r.Start.Location())
		}
		return last, true, nil
	case o.Count > limit:
		return time.Time{}, false, ErrTooMany
	}
	rule, err := x.ruleWith(o, r.Start, time.Time{})
	if err != nil {
		return time.Time{}, false, err
	}
	next := rule.Iterator()
	for {
		t, ok := next()
		if !ok {
			break
		}
		if t.After(last) {
			last = t
		}
	}
	return last, true, nil
}

// ErrNoInstances: the rule can never produce an instance.
var ErrNoInstances = errors.New("the rule never yields an instance (such as the 30th of February)")

// empty reports whether the rule (COUNT and UNTIL aside) can never yield
// an instance. rrule-go would look for one until the year 9999 at every
// expansion (a second or more), so such rules are refused when saved.
// The Gregorian calendar repeats exactly every 400 years, weekdays
// included, so the probe starts a whole cycle (times the interval) before
// 9999 and costs tens of milliseconds at worst, nothing for a real rule.
func (x rruleExpander) empty(o *rrule.ROption, start time.Time) (bool, error) {
	p := *o
	p.Count, p.Until = 0, time.Time{}
	from := time.Time{}
	if span := 400*max(p.Interval, 1) + 2; rrule.MAXYEAR-span > start.Year() {
		from = time.Date(rrule.MAXYEAR-span, 1, 1, 0, 0, 0, 0, start.Location())
	}
	rule, err := x.ruleWith(&p, start, from)
	if err != nil {
		return false, err
	}
	_, ok := rule.Iterator()()
	return !ok, nil
}

func exSet(ts []time.Time) map[int64]bool {
	m := make(map[int64]bool, len(ts))
	for _, t := range ts {
		m[t.Unix()] = true
	}
	return m
}

func sortUnique(ts []time.Time) []time.Time {
	sort.Slice(ts, func(i, j int) bool { return ts[i].Before(ts[j]) })
	out := ts[:0]
	for i, t := range ts {
		if i == 0 || !t.Equal(out[len(out)-1]) {
			out = append(out, t)
		}
	}
	return out
}

// zones caches LoadZone's answers (time.LoadLocation reads and parses the
// zone every time).
var zones sync.Map // string → *time.Location or error

// LoadZone resolves a TZID as calendars write it: an IANA name, "UTC", a
// Windows name (Outlook and Exchange: "W. Europe Standard Time", mapped
// through CLDR's windowsZones), or an IANA name behind a producer's prefix
// ("/mozilla.org/20050126_1/Europe/Berlin", "posix/Europe/Vaduz",
// "custom_Pacific/Fiji").
func LoadZone(tzid string) (*time.Location, error) {
	tzid = strings.Trim(strings.TrimSpace(tzid), `"`)
	if v, ok := zones.Load(tzid); ok {
		if loc, ok := v.(*time.Location); ok {
			return loc, nil
		}
		return nil, v.(error)
	}
	loc, err := loadZone(tzid)
	if err != nil {
		zones.Store(tzid, err)
		return nil, err
	}
	zones.Store(tzid, loc)
	return loc, nil
}

func loadZone(tzid string) (*time.Location, error) {
	switch strings.ToUpper(tzid) {
	case "", "LOCAL":
		return nil, fmt.Errorf("unknown time zone %q", tzid)
	case "UTC", "Z", "GMT", "ETC/UTC":
		return time.UTC, nil
	}
	if iana, ok := windowsZones[tzid]; ok {
		tzid = iana
	}
	// Debian's zoneinfo has posix/ and right/ copies of every zone; the
	// embedded tzdata has not, so store the plain name.
	for _, p := range []string{"posix/", "right/"} {
		if rest, ok := strings.CutPrefix(tzid, p); ok && strings.Contains(rest, "/") {
			tzid = rest
		}
	}
	if loc, err := time.LoadLocation(tzid); err == nil {
		return loc, nil
	}
	for i := 1; i < len(tzid); i++ {
		if c := tzid[i-1]; (c == '/' || c == '_' || c == '-') && strings.Contains(tzid[i:], "/") {
			if loc, err := time.LoadLocation(tzid[i:]); err == nil {
				return loc, nil
			}
		}
	}
	return nil, fmt.Errorf("unknown time zone %q", tzid)
}
