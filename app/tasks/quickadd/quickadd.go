// Package quickadd turns one line typed into the quick-add bar ("pay rent
// every 1st of the month #home !high") into a proposed task, with no model:
// dates and times in the user's timezone, recurrence as an RRULE of the
// subset tasks support, a #category, a !priority and @tags. What the rules
// recognise is reported word for word so the UI can show it, and a model may
// refine what they could not.
//
// It is pure: the caller passes "now" and the timezone, nothing is read from
// the clock, and the same input always gives the same proposal.
package quickadd

import (
	"strconv"
	"strings"
	"time"
)

// Part is one stretch of the input the rules recognised.
type Part struct {
	Kind  string `json:"kind"` // due, time, recurrence, category, priority, tag
	Text  string `json:"text"` // as typed
	Start int    `json:"start"`
	End   int    `json:"end"` // byte offsets into the input, End exclusive
}

// Result is the proposed task.
type Result struct {
	Title string `json:"title"`
	// Due is "2006-01-02" for a date, or RFC 3339 with the zone's offset
	// ("2026-12-24T17:00:00+01:00") when a time was given; "" for none.
	Due        string   `json:"due,omitempty"`
	DueHasTime bool     `json:"due_has_time"`
	Recurrence string   `json:"recurrence,omitempty"` // RRULE without the "RRULE:" prefix
	Category   string   `json:"category,omitempty"`
	Priority   string   `json:"priority"` // none, low, medium, high, urgent
	Tags       []string `json:"tags"`
	Parts      []Part   `json:"parts"`
}

// Priorities, lowest first.
var Priorities = []string{"none", "low", "medium", "high", "urgent"}

// Parse reads text relative to now in loc (nil is UTC).
func Parse(text string, now time.Time, loc *time.Location) Result {
	if loc == nil {
		loc = time.UTC
	}
	p := &parser{now: now.In(loc), loc: loc}
	p.today = dateOf(p.now)
	p.tokenize(text)
	used := make([]bool, len(p.toks))
	res := Result{Priority: "none", Tags: []string{}, Parts: []Part{}}
	for i := 0; i < len(p.toks); i++ {
		f, ok := p.match(i, &res)
		if !ok {
			continue
		}
		for k := i; k < i+f.n; k++ {
			used[k] = true
		}
		res.Parts = append(res.Parts, Part{Kind: f.kind, Text: text[p.toks[i].start:p.toks[i+f.n-1].end],
			Start: p.toks[i].start, End: p.toks[i+f.n-1].end})
		i += f.n - 1
	}
	p.finish(&res)
	res.Title = title(p.toks, used)
	return res
}

// --- tokens -----------------------------------------------------------------

type tok struct {
	raw        string
	norm       string // lower case, outer punctuation trimmed
	start, end int
}

type parser struct {
	now   time.Time
	loc   *time.Location
	today date
	toks  []tok

	// What was found; the first of each kind wins, later ones stay in the title.
	date  *date
	clock *clock
	abs   *time.Time // "in 2 hours": an instant, not a wall-clock date
	rule  *rule
}

func (p *parser) tokenize(s string) {
	start := -1
	for i, r := range s + " " {
		space := r == ' ' || r == '\t' || r == '\n' || r == '\r'
		if !space && start < 0 {
			start = i
		}
		if space && start >= 0 {
			raw := s[start:i]
			norm := strings.ToLower(strings.Trim(raw, ",.;:?!()\"'"))
			if strings.HasPrefix(raw, "!") { // keep the mark of a priority
				norm = strings.ToLower(strings.TrimRight(raw, ",.;:?()\"'"))
			}
			p.toks = append(p.toks, tok{raw: raw, norm: norm, start: start, end: i})
			start = -1
		}
	}
}

// w is the normalised word at i, "" past the end.
func (p *parser) w(i int) string {
	if i < 0 || i >= len(p.toks) {
		return ""
	}
	return p.toks[i].norm
}

// is reports whether the word at i is one of words.
func (p *parser) is(i int, words ...string) bool {
	w := p.w(i)
	for _, x := range words {
		if w == x {
			return true
		}
	}
	return false
}

// --- fragments --------------------------------------------------------------

type frag struct {
	n    int
	kind string
}

// match tries every grammar at token i, recurrence first (so "every monday"
// is not read as a plain "monday"), and records what it finds.
func (p *parser) match(i int, res *Result) (frag, bool) {
	t := p.toks[i]
	switch {
	case strings.HasPrefix(t.norm, "#") && len(t.norm) > 1:
		name := strings.TrimLeft(strings.TrimRight(t.raw, ",.;:?)\"'"), "#")
		if name == "" || strings.Trim(name, "0123456789") == "" {
			return frag{}, false // "#42" is an issue's number
		}
		if res.Category == "" {
			res.Category = name
			return frag{1, "category"}, true
		}
		res.Tags = appendTag(res.Tags, name)
		return frag{1, "tag"}, true
	case strings.HasPrefix(t.norm, "@") && len(t.norm) > 1:
		res.Tags = appendTag(res.Tags, strings.TrimRight(t.raw[1:], ",.;:?)\"'"))
		return frag{1, "tag"}, true
	case strings.HasPrefix(t.norm, "!") && res.Priority == "none":
		if pr, ok := priorityWords[t.norm[1:]]; ok {
			res.Priority = pr
			return frag{1, "priority"}, true
		}
		return frag{}, false
	}
	if p.rule == nil {
		if n, r, ok := p.matchRule(i); ok {
			p.rule = &r
			return frag{n, "recurrence"}, true
		}
	}
	if p.date == nil && p.abs == nil {
		if n, d, c, abs, ok := p.matchDate(i); ok {
			if abs != nil {
				p.abs = abs
			} else {
				p.date = &d
				if c != nil && p.clock == nil {
					p.clock = c
				}
			}
			return frag{n, "due"}, true
		}
	}
	if p.clock == nil && p.abs == nil {
		if n, c, ok := p.matchTime(i); ok {
			p.clock = &c
			return frag{n, "time"}, true
		}
	}
	return frag{}, false
}

var priorityWords = map[string]string{
	"none": "none", "low": "low", "medium": "medium", "med": "medium", "normal": "medium",
	"high": "high", "urgent": "urgent", "asap": "urgent",
	"1": "urgent", "2": "high", "3": "medium", "4": "low",
	"!": "high", "!!": "urgent",
}

func appendTag(tags []string, t string) []string {
	if t == "" {
		return tags
	}
	for _, x := range tags {
		if strings.EqualFold(x, t) {
			return tags
		}
	}
	return append(tags, t)
}

// finish turns what was found into the due date and the RRULE.
func (p *parser) finish(res *Result) {
	if p.rule != nil {
		res.Recurrence = p.rule.String()
	}
	switch {
	case p.abs != nil:
		res.Due = p.abs.Format(time.RFC3339)
		res.DueHasTime = true
		return
	case p.date == nil && p.rule == nil && p.clock == nil:
		return
	}
	var d date
	switch {
	case p.date != nil:
		d = *p.date
	case p.rule != nil:
		d = p.rule.first(p.today)
		if p.clock != nil && d == p.today && !p.clock.after(p.now) {
			d = p.rule.first(p.today.add(1))
		}
	default: // a time alone: today if it is still ahead, else tomorrow
		d = p.today
		if !p.clock.after(p.now) {
			d = d.add(1)
		}
	}
	if p.clock == nil {
		res.Due = d.String()
		return
	}
	t := time.Date(d.y, d.m, d.d, p.clock.h, p.clock.min, 0, 0, p.loc)
	res.Due = t.Format(time.RFC3339)
	res.DueHasTime = true
}

// title is what no rule took, with the connecting words a removed phrase
// leaves dangling ("pay rent on" → "pay rent"); a word that ends the line
// as typed ("every") stays.
func title(toks []tok, used []bool) string {
	var kept []int
	for i := range toks {
		if !used[i] {
			kept = append(kept, i)
		}
	}
	for len(kept) > 0 {
		last := kept[len(kept)-1]
		w := strings.ToLower(strings.TrimRight(toks[last].raw, ",;:"))
		if dangling[w] && last+1 < len(toks) && used[last+1] {
			kept = kept[:len(kept)-1]
			continue
		}
		break
	}
	words := make([]string, 0, len(kept))
	for _, i := range kept {
		words = append(words, toks[i].raw)
	}
	for len(words) > 0 && (words[0] == "-" || words[0] == "–" || words[0] == ":") {
		words = words[1:]
	}
	s := strings.Join(words, " ")
	return strings.TrimSpace(strings.TrimRight(s, ",;:-– "))
}

var dangling = map[string]bool{"on": true, "at": true, "by": true, "due": true, "every": true, "from": true,
	"starting": true, "-": true, "–": true, "and": true, "in": true, "for": true, "the": true}

// --- calendar values --------------------------------------------------------

type date struct {
	y int
	m time.Month
	d int
}

func dateOf(t time.Time) date { y, m, d := t.Date(); return date{y, m, d} }

// add moves by days on the calendar (no clock involved, so DST cannot shift it).
func (d date) add(days int) date {
	return dateOf(time.Date(d.y, d.m, d.d+days, 12, 0, 0, 0, time.UTC))
}

func (d date) weekday() time.Weekday {
	return time.Date(d.y, d.m, d.d, 12, 0, 0, 0, time.UTC).Weekday()
}

func (d date) before(e date) bool {
	if d.y != e.y {
		return d.y < e.y
	}
	if d.m != e.m {
		return d.m < e.m
	}
	return d.d < e.d
}

func (d date) String() string {
	return time.Date(d.y, d.m, d.d, 0, 0, 0, 0, time.UTC).Format("2006-01-02")
}

// addMonths keeps the day, or the month's last day when it is shorter
// (Jan 31 + 1 month = Feb 28).
func (d date) addMonths(n int) date {
	first := time.Date(d.y, d.m+time.Month(n), 1, 12, 0, 0, 0, time.UTC)
	day := min(d.d, daysIn(first.Year(), first.Month()))
	return date{first.Year(), first.Month(), day}
}

func daysIn(y int, m time.Month) int {
	return time.Date(y, m+1, 0, 12, 0, 0, 0, time.UTC).Day()
}

func valid(y int, m time.Month, d int) bool {
	return m >= 1 && m <= 12 && d >= 1 && d <= daysIn(y, m)
}

type clock struct{ h, min int }

// after reports whether the clock is still ahead of now's wall-clock time.
func (c clock) after(now time.Time) bool {
	return c.h*60+c.min > now.Hour()*60+now.Minute()
}

// --- words ------------------------------------------------------------------

var weekdays = map[string]time.Weekday{
	"sunday": time.Sunday, "monday": time.Monday, "tuesday": time.Tuesday, "wednesday": time.Wednesday,
	"thursday": time.Thursday, "friday": time.Friday, "saturday": time.Saturday,
}

var weekdayAbbr = map[string]time.Weekday{
	"sun": time.Sunday, "mon": time.Monday, "tue": time.Tuesday, "tues": time.Tuesday, "wed": time.Wednesday,
	"thu": time.Thursday, "thur": time.Thursday, "thurs": time.Thursday, "fri": time.Friday, "sat": time.Saturday,
}

// weekday reads a day name; abbreviations ("sun", "sat") only when the
// context says a day is meant, so "buy sun cream" keeps its sun.
func weekday(w string, abbr bool) (time.Weekday, bool) {
	if d, ok := weekdays[w]; ok {
		return d, true
	}
	if abbr {
		d, ok := weekdayAbbr[w]
		return d, ok
	}
	return 0, false
}

// pluralWeekday reads "mondays", which means every Monday.
func pluralWeekday(w string) (time.Weekday, bool) {
	if strings.HasSuffix(w, "s") {
		return weekday(w[:len(w)-1], false)
	}
	return 0, false
}

var months = map[string]time.Month{
	"january": 1, "jan": 1, "february": 2, "feb": 2, "march": 3, "mar": 3, "april": 4, "apr": 4,
	"may": 5, "june": 6, "jun": 6, "july": 7, "jul": 7, "august": 8, "aug": 8,
	"september": 9, "sep": 9, "sept": 9, "october": 10, "oct": 10, "november": 11, "nov": 11,
	"december": 12, "dec": 12,
}

var numberWords = map[string]int{
	"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
	"nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "a": 1, "an": 1,
}

// count reads "3" or "three" (1..999).
func count(w string) (int, bool) {
	if n, ok := numberWords[w]; ok {
		return n, true
	}
	n, err := strconv.Atoi(w)
	if err != nil || n < 1 || n > 999 {
		return 0, false
	}
	return n, true
}

var ordinalWords = map[string]int{
	"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7,
	"eighth": 8, "ninth": 9, "tenth": 10,
}

// ordinal reads "1st", "22nd", "3rd", "15th" or "first"; with bare, a plain
// "15" too (after a month name).
func ordinal(w string, bare bool) (int, bool) {
	if n, ok := ordinalWords[w]; ok {
		return n, true
	}
	digits := w
	for _, suf := range []string{"st", "nd", "rd", "th"} {
		if strings.HasSuffix(w, suf) {
			digits = w[:len(w)-2]
			break
		}
	}
	if digits == w && !bare {
		return 0, false
	}
	n, err := strconv.Atoi(digits)
	if err != nil || n < 1 || n > 31 {
		return 0, false
	}
	return n, true
}

// year reads a four-digit year.
func year(w string) (int, bool) {
	if len(w) != 4 {
		return 0, false
	}
	n, err := strconv.Atoi(w)
	return n, err == nil && n >= 1970 && n <= 9999
}
