package calendar

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/emersion/go-ical"

	"github.com/aiwfe/aiwfe/store"
)

// The iCalendar side: VEVENT components to rows and back, through
// github.com/emersion/go-ical. Each row keeps its own component as text
// (store.CalendarEvent.ICS), so what aiwfe has no column for survives.

const prodID = "-//aiwfe//calendar//EN"

// Formats of the stored local times and dates.
const (
	localLayout = "2006-01-02T15:04:05"
	dateLayout  = "2006-01-02"
	icsDateTime = "20060102T150405"
	icsDate     = "20060102"
)

// decodeICS reads every VCALENDAR in data (a file may hold several).
// A file that stops mid-calendar is refused rather than read in part.
func decodeICS(data []byte) (cals []*ical.Calendar, err error) {
	defer func() {
		if p := recover(); p != nil { // the decoder panics on some malformed input
			cals, err = nil, fmt.Errorf("malformed iCalendar data")
		}
	}()
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) == 0 {
		return nil, errors.New("the file is empty")
	}
	if !bytes.HasPrefix(bytes.ToUpper(trimmed[:min(len(trimmed), 15)]), []byte("BEGIN:VCALENDAR")) {
		return nil, errors.New("not iCalendar data (it must begin with BEGIN:VCALENDAR)")
	}
	if !bytes.HasSuffix(bytes.ToUpper(trimmed), []byte("END:VCALENDAR")) {
		return nil, errors.New("the iCalendar data is cut off (no END:VCALENDAR at the end)")
	}
	// Unfold here, leniently: old Mozilla files put blank lines between a
	// line and its continuation, which go-ical's decoder reads as a line
	// without a colon (python-icalendar unfolds the same way).
	data = dropBadLines(unfoldRe.ReplaceAll(data, nil))
	if err := checkNesting(data); err != nil {
		return nil, err
	}
	dec := ical.NewDecoder(bytes.NewReader(data))
	for {
		cal, err := dec.Decode()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("malformed iCalendar data: %v", err)
		}
		dedupeProps(cal.Component)
		cals = append(cals, cal)
	}
	if len(cals) == 0 {
		return nil, errors.New("no VCALENDAR in the data")
	}
	return cals, nil
}

var unfoldRe = regexp.MustCompile(`(\r?\n)+[ \t]`)

// dropBadLines drops the (unfolded) lines that cannot be content lines,
// having no colon ("SUMMARY=x" is seen in the wild), so one bad line does
// not cost the whole file.
func dropBadLines(data []byte) []byte {
	if !bytes.Contains(data, []byte("\n")) {
		return data
	}
	lines := bytes.SplitAfter(data, []byte("\n"))
	out := lines[:0]
	for _, l := range lines {
		if len(bytes.TrimSpace(l)) == 0 || bytes.IndexByte(l, ':') >= 0 {
			out = append(out, l)
		}
	}
	return bytes.Join(out, nil)
}

// maxNesting is the deepest component nesting read. Real files nest three
// deep (VCALENDAR, VEVENT, VALARM); go-ical's decoder recurses per level,
// so a file of nothing but BEGIN lines would grow its stack without end.
const maxNesting = 8

func checkNesting(data []byte) error {
	depth := 0
	for len(data) > 0 {
		line := data
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line, data = data[:i], data[i+1:]
		} else {
			data = nil
		}
		switch {
		case len(line) >= 6 && bytes.EqualFold(line[:6], []byte("BEGIN:")):
			if depth++; depth > maxNesting {
				return fmt.Errorf("components are nested more than %d deep", maxNesting)
			}
		case len(line) >= 4 && bytes.EqualFold(line[:4], []byte("END:")):
			depth--
		}
	}
	return nil
}

// singleProps are the properties a VEVENT has at most once (RFC 5545
// 3.6.1); go-ical refuses to write a component with two.
var singleProps = []string{ical.PropDateTimeStart, ical.PropDateTimeEnd, ical.PropDuration, ical.PropUID, ical.PropDateTimeStamp,
	ical.PropSummary, ical.PropDescription, ical.PropLocation, ical.PropStatus, ical.PropSequence, ical.PropRecurrenceID,
	ical.PropRecurrenceRule, ical.PropClass, ical.PropCreated, ical.PropLastModified, ical.PropOrganizer, ical.PropPriority,
	ical.PropTransparency, ical.PropURL, ical.PropGeo, ical.PropColor}

// dedupeProps keeps the first of a repeated single property in every
// VEVENT (seen in the wild: two DTSTARTs where DTEND was meant), as most
// readers do, instead of refusing the event.
func dedupeProps(c *ical.Component) {
	for _, ch := range c.Children {
		if ch.Name != ical.CompEvent {
			continue
		}
		for _, name := range singleProps {
			if ps := ch.Props[name]; len(ps) > 1 {
				ch.Props[name] = ps[:1]
			}
		}
	}
}

// foldLines folds content lines longer than 75 octets (RFC 5545 3.1;
// go-ical writes them whole), never inside a UTF-8 sequence.
func foldLines(b []byte) []byte {
	var out bytes.Buffer
	out.Grow(len(b) + len(b)/64)
	for len(b) > 0 {
		i := bytes.Index(b, []byte("\r\n"))
		line := b
		if i >= 0 {
			line, b = b[:i], b[i+2:]
		} else {
			b = nil
		}
		limit := 75
		for len(line) > limit {
			cut := limit
			for cut > 0 && !utf8.RuneStart(line[cut]) {
				cut--
			}
			out.Write(line[:cut])
			out.WriteString("\r\n ")
			line = line[cut:]
			limit = 74 // the leading space counts
		}
		out.Write(line)
		out.WriteString("\r\n")
	}
	return out.Bytes()
}

// encodeComponent writes one component (VEVENT, VTIMEZONE) as folded text.
func encodeComponent(c *ical.Component) (string, error) {
	cal := ical.NewCalendar()
	cal.Props.SetText(ical.PropVersion, "2.0")
	cal.Props.SetText(ical.PropProductID, prodID)
	cal.Children = []*ical.Component{c}
	var buf bytes.Buffer
	if err := ical.NewEncoder(&buf).Encode(cal); err != nil {
		return "", err
	}
	s := string(foldLines(buf.Bytes()))
	begin := strings.Index(s, "BEGIN:"+c.Name+"\r\n")
	end := strings.LastIndex(s, "END:VCALENDAR\r\n")
	if begin < 0 || end < begin {
		return "", errors.New("ical: unexpected encoder output")
	}
	return s[begin:end], nil
}

// decodeComponent reads a component stored by encodeComponent.
func decodeComponent(text string) (*ical.Component, error) {
	cals, err := decodeICS([]byte("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:" + prodID + "\r\n" + text + "END:VCALENDAR\r\n"))
	if err != nil {
		return nil, err
	}
	if len(cals[0].Children) != 1 {
		return nil, errors.New("stored component is malformed")
	}
	return cals[0].Children[0], nil
}

// objectICS is a calendar object (all rows of one uid) as a VCALENDAR,
// with a VTIMEZONE for every zone it names.
func objectICS(rows []*store.CalendarEvent) []byte {
	var b strings.Builder
	writeCalendarHead(&b, "")
	writeTimezones(&b, rows)
	for _, r := range rows {
		b.WriteString(r.ICS)
	}
	b.WriteString("END:VCALENDAR\r\n")
	return []byte(b.String())
}

func writeCalendarHead(b *strings.Builder, name string) {
	b.WriteString("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:" + prodID + "\r\nCALSCALE:GREGORIAN\r\n")
	if name != "" {
		b.WriteString(string(foldLines([]byte("X-WR-CALNAME:" + escapeText(name) + "\r\n"))))
		b.WriteString(string(foldLines([]byte("NAME:" + escapeText(name) + "\r\n"))))
	}
}

// writeTimezones writes one VTIMEZONE per zone the rows use, sorted.
func writeTimezones(b *strings.Builder, rows []*store.CalendarEvent) {
	seen := map[string]int{}
	for _, r := range rows {
		if r.Timezone != "" && r.Timezone != "UTC" && !r.AllDay {
			if y := r.StartAt.Year(); seen[r.Timezone] == 0 || y < seen[r.Timezone] {
				seen[r.Timezone] = y
			}
		}
	}
	names := make([]string, 0, len(seen))
	for n := range seen {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		b.WriteString(vtimezoneText(n, seen[n]))
	}
}

// vtimezones caches VTIMEZONE texts by zone and year: every object of a
// CalDAV listing (thousands) writes the same few.
var vtimezones sync.Map // "zone|year" → string

func vtimezoneText(name string, year int) string {
	key := name + "|" + strconv.Itoa(year)
	if v, ok := vtimezones.Load(key); ok {
		return v.(string)
	}
	text := ""
	if loc, err := LoadZone(name); err == nil {
		if s, err := encodeComponent(vtimezone(name, loc, year)); err == nil {
			text = s
		}
	}
	vtimezones.Store(key, text)
	return text
}

// objectETag is the ETag of an object's text.
func objectETag(data []byte) string {
	h := sha256.Sum256(data)
	return hex.EncodeToString(h[:12])
}

// escapeText escapes a TEXT value (RFC 5545 3.3.11).
func escapeText(s string) string {
	p := ical.NewProp("X")
	p.SetText(s)
	return p.Value
}

// propText reads a TEXT property leniently: unlike go-ical's Text it
// keeps an unescaped comma (common in the wild) and a stray backslash.
func propText(c *ical.Component, name string) string {
	p := c.Props.Get(name)
	if p == nil {
		return ""
	}
	var sb strings.Builder
	v := p.Value
	for i := 0; i < len(v); i++ {
		if v[i] == '\\' && i+1 < len(v) {
			i++
			switch v[i] {
			case 'n', 'N':
				sb.WriteByte('\n')
			case '\\', ';', ',', ':', '"':
				sb.WriteByte(v[i])
			default:
				sb.WriteByte('\\')
				sb.WriteByte(v[i])
			}
			continue
		}
		sb.WriteByte(v[i])
	}
	return sb.String()
}

// when is a parsed DATE or DATE-TIME value.
type when struct {
	t      time.Time // in its zone; dates and floating times in UTC
	allDay bool
	tz     string // IANA name, "UTC", or "" (floating or date)
}

// parseWhen reads a DTSTART, DTEND, RECURRENCE-ID, RDATE or EXDATE value
// (one value; lists are split by the caller), its zone from TZID.
func parseWhen(value string, params ical.Params) (when, error) {
	value = strings.TrimSpace(value)
	if i := strings.IndexByte(value, '/'); i > 0 { // a PERIOD: its start
		value = value[:i]
	}
	isDate := strings.EqualFold(params.Get(ical.ParamValue), "DATE") || len(value) == len(icsDate)
	if isDate {
		t, err := time.ParseInLocation(icsDate, value, time.UTC)
		if err != nil {
			return when{}, fmt.Errorf("bad date %q", value)
		}
		return when{t: t, allDay: true}, nil
	}
	if strings.HasSuffix(value, "Z") {
		t, err := time.ParseInLocation(icsDateTime, strings.TrimSuffix(value, "Z"), time.UTC)
		if err != nil {
			return when{}, fmt.Errorf("bad date-time %q", value)
		}
		return when{t: t, tz: "UTC"}, nil
	}
	if tzid := params.Get(ical.ParamTimezoneID); tzid != "" {
		loc, err := LoadZone(tzid)
		if err != nil {
			return when{}, err
		}
		t, err := time.ParseInLocation(icsDateTime, value, loc)
		if err != nil {
			return when{}, fmt.Errorf("bad date-time %q", value)
		}
		return when{t: t, tz: zoneName(loc)}, nil
	}
	t, err := time.ParseInLocation(icsDateTime, value, time.UTC)
	if err != nil {
		return when{}, fmt.Errorf("bad date-time %q", value)
	}
	return when{t: t}, nil // floating
}

func zoneName(loc *time.Location) string {
	if loc == time.UTC {
		return "UTC"
	}
	return loc.String()
}

// propWhens reads every value of a list property (EXDATE, RDATE: several
// lines, each possibly a comma-separated list).
func propWhens(c *ical.Component, name string) ([]when, error) {
	var out []when
	for _, p := range c.Props.Values(name) {
		for _, v := range strings.Split(p.Value, ",") {
			if strings.TrimSpace(v) == "" {
				continue
			}
			w, err := parseWhen(v, p.Params)
			if err != nil {
				return nil, fmt.Errorf("%s: %v", name, err)
			}
			out = append(out, w)
		}
	}
	return out, nil
}

// keyOf is the stored form of an instance's identity (recurrence ids,
// RDATE and EXDATE lists): the instant in UTC to the second (RFC 3339,
// which Go formats on a fast path: a month view makes thousands), or the
// date.
func keyOf(t time.Time, allDay bool) string {
	if allDay {
		return t.Format(dateLayout)
	}
	return t.UTC().Format(time.RFC3339)
}

// parseKey reads keyOf's output (all-day: the date at UTC midnight).
func parseKey(s string) (time.Time, bool, error) {
	if len(s) == len(dateLayout) {
		t, err := time.Parse(dateLayout, s)
		return t, true, err
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	return t, false, err
}

// rowFromComponent reads a VEVENT into a row (calendar, etag, seq and
// times of the row left to the caller). floating is the zone a floating
// time is read in for its instants.
func rowFromComponent(c *ical.Component, floating *time.Location) (*store.CalendarEvent, error) {
	uid := strings.TrimSpace(propText(c, ical.PropUID))
	if uid == "" {
		return nil, errors.New("the event has no UID")
	}
	if len(uid) > MaxUIDBytes {
		return nil, fmt.Errorf("the UID is longer than %d bytes", MaxUIDBytes)
	}
	e := &store.CalendarEvent{UID: uid, Weight: DefaultWeight, Status: StatusConfirmed}
	e.Title = propText(c, ical.PropSummary)
	e.Description = propText(c, ical.PropDescription)
	e.Location = propText(c, ical.PropLocation)
	if cats := propText(c, ical.PropCategories); cats != "" {
		e.Category = strings.TrimSpace(strings.Split(cats, ",")[0])
	}
	switch strings.ToUpper(propText(c, ical.PropStatus)) {
	case "TENTATIVE":
		e.Status = StatusTentative
	case "CANCELLED":
		e.Status = StatusCancelled
	}
	if p := c.Props.Get(ical.PropSequence); p != nil {
		e.Sequence, _ = strconv.Atoi(strings.TrimSpace(p.Value))
	}
	if p := c.Props.Get("X-AIWFE-WEIGHT"); p != nil {
		if w, err := strconv.Atoi(strings.TrimSpace(p.Value)); err == nil && w >= 0 && w <= MaxWeight {
			e.Weight = w
		}
	}
	sp := c.Props.Get(ical.PropDateTimeStart)
	if sp == nil {
		return nil, errors.New("the event has no DTSTART")
	}
	start, err := parseWhen(sp.Value, sp.Params)
	if err != nil {
		return nil, fmt.Errorf("DTSTART: %v", err)
	}
	var end when
	if ep := c.Props.Get(ical.PropDateTimeEnd); ep != nil {
		if end, err = parseWhen(ep.Value, ep.Params); err != nil {
			return nil, fmt.Errorf("DTEND: %v", err)
		}
		if end.allDay != start.allDay {
			return nil, errors.New("DTSTART and DTEND must both be dates or both date-times")
		}
	} else if dp := c.Props.Get(ical.PropDuration); dp != nil {
		d, err := dp.Duration()
		if err != nil {
			return nil, fmt.Errorf("DURATION: %v", err)
		}
		end = start
		if start.allDay {
			end.t = start.t.AddDate(0, 0, int(d/(24*time.Hour)))
		} else {
			end.t = start.t.Add(d)
		}
	} else {
		end = start
		if start.allDay {
			end.t = start.t.AddDate(0, 0, 1)
		}
	}
	if end.t.Before(start.t) {
		return nil, errors.New("the event ends before it starts")
	}
	if start.allDay && !end.t.After(start.t) {
		end.t = start.t.AddDate(0, 0, 1)
	}
	e.AllDay = start.allDay
	e.Timezone = start.tz
	setTimes(e, start.t, end.t.In(start.t.Location()), floating)
	if rp := c.Props.Get(ical.PropRecurrenceID); rp != nil {
		rid, err := parseWhen(rp.Value, rp.Params)
		if err != nil {
			return nil, fmt.Errorf("RECURRENCE-ID: %v", err)
		}
		e.RecurrenceID = keyOf(instantOf(rid, floating), rid.allDay)
	}
	if rp := c.Props.Get(ical.PropRecurrenceRule); rp != nil && e.RecurrenceID == "" {
		e.RRule = strings.TrimSpace(rp.Value)
		if _, err := ParseRRule(e.RRule, time.UTC); err != nil {
			return nil, err
		}
	}
	if e.RecurrenceID == "" {
		for _, x := range []struct {
			name string
			dst  *[]string
		}{{ical.PropRecurrenceDates, &e.RDates}, {ical.PropExceptionDates, &e.ExDates}} {
			ws, err := propWhens(c, x.name)
			if err != nil {
				return nil, err
			}
			for _, w := range ws {
				*x.dst = append(*x.dst, keyOf(instantOf(w, floating), e.AllDay))
			}
		}
	}
	for _, a := range c.Props.Values(ical.PropAttendee) {
		email := strings.TrimSpace(a.Value)
		if len(email) > 7 && strings.EqualFold(email[:7], "mailto:") {
			email = email[7:]
		}
		e.Attendees = append(e.Attendees, store.Attendee{Email: email, Name: a.Params.Get(ical.ParamCommonName),
			Role: strings.ToLower(a.Params.Get(ical.ParamRole)), Status: strings.ToLower(a.Params.Get(ical.ParamParticipationStatus))})
	}
	for _, al := range c.Children {
		if al.Name != ical.CompAlarm {
			continue
		}
		tp := al.Props.Get(ical.PropTrigger)
		if tp == nil || strings.EqualFold(tp.Params.Get(ical.ParamValue), "DATE-TIME") || strings.EqualFold(tp.Params.Get(ical.ParamRelated), "END") {
			continue
		}
		if d, err := tp.Duration(); err == nil && d <= 0 {
			e.Reminders = append(e.Reminders, int(-d/time.Minute))
		}
	}
	return e, nil
}

// instantOf is a parsed value as an instant: floating times in floating,
// dates at UTC midnight.
func instantOf(w when, floating *time.Location) time.Time {
	if w.allDay || w.tz != "" || floating == nil {
		return w.t
	}
	return rezone(w.t, floating)
}

// rezone keeps t's wall time in loc.
func rezone(t time.Time, loc *time.Location) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, t.Hour(), t.Minute(), t.Second(), 0, loc)
}

// setTimes fills the start/end columns from wall times in the row's zone
// (dates, floating: UTC).
func setTimes(e *store.CalendarEvent, start, end time.Time, floating *time.Location) {
	if e.AllDay {
		e.StartLocal, e.EndLocal = start.Format(dateLayout), end.Format(dateLayout)
		e.StartAt, e.EndAt = start.UTC(), end.UTC()
		return
	}
	e.StartLocal, e.EndLocal = start.Format(localLayout), end.Format(localLayout)
	if e.Timezone == "" && floating != nil {
		start, end = rezone(start, floating), rezone(end, floating)
	}
	e.StartAt, e.EndAt = start.UTC(), end.UTC()
}

// syncComponent writes the row's columns into its component (the stored
// one, or a new VEVENT), keeping every property it has no column for,
// and stores the result in e.ICS.
func syncComponent(e *store.CalendarEvent, now time.Time) error {
	var c *ical.Component
	if e.ICS != "" {
		var err error
		if c, err = decodeComponent(e.ICS); err != nil {
			return err
		}
	} else {
		c = ical.NewComponent(ical.CompEvent)
		c.Props.SetDateTime(ical.PropCreated, now.UTC().Truncate(time.Second))
	}
	setText := func(name, v string) {
		if v == "" {
			c.Props.Del(name)
			return
		}
		c.Props.SetText(name, v)
	}
	c.Props.SetText(ical.PropUID, e.UID)
	c.Props.SetDateTime(ical.PropDateTimeStamp, now.UTC().Truncate(time.Second))
	if c.Props.Get(ical.PropLastModified) != nil || e.ICS == "" {
		c.Props.SetDateTime(ical.PropLastModified, now.UTC().Truncate(time.Second))
	}
	setText(ical.PropSummary, e.Title)
	setText(ical.PropDescription, e.Description)
	setText(ical.PropLocation, e.Location)
	setText(ical.PropCategories, e.Category)
	switch e.Status {
	case StatusTentative:
		c.Props.SetText(ical.PropStatus, "TENTATIVE")
	case StatusCancelled:
		c.Props.SetText(ical.PropStatus, "CANCELLED")
	default:
		if c.Props.Get(ical.PropStatus) != nil {
			c.Props.SetText(ical.PropStatus, "CONFIRMED")
		}
	}
	if e.Sequence > 0 {
		p := ical.NewProp(ical.PropSequence)
		p.Value = strconv.Itoa(e.Sequence)
		c.Props.Set(p)
	} else {
		c.Props.Del(ical.PropSequence)
	}
	if e.Weight != DefaultWeight {
		p := ical.NewProp("X-AIWFE-WEIGHT")
		p.Value = strconv.Itoa(e.Weight)
		c.Props.Set(p)
	} else {
		c.Props.Del("X-AIWFE-WEIGHT")
	}
	c.Props.Set(whenProp(ical.PropDateTimeStart, e.StartLocal, e.Timezone, e.AllDay))
	c.Props.Set(whenProp(ical.PropDateTimeEnd, e.EndLocal, e.Timezone, e.AllDay))
	c.Props.Del(ical.PropDuration)
	c.Props.Del(ical.PropRecurrenceRule)
	c.Props.Del(ical.PropRecurrenceDates)
	c.Props.Del(ical.PropExceptionDates)
	c.Props.Del(ical.PropRecurrenceID)
	if e.RecurrenceID != "" {
		c.Props.Set(keyProp(ical.PropRecurrenceID, e.RecurrenceID, e.Timezone))
	} else {
		if e.RRule != "" {
			p := ical.NewProp(ical.PropRecurrenceRule)
			p.Value = e.RRule
			c.Props.Set(p)
		}
		for _, k := range e.RDates {
			c.Props.Add(keyProp(ical.PropRecurrenceDates, k, e.Timezone))
		}
		for _, k := range e.ExDates {
			c.Props.Add(keyProp(ical.PropExceptionDates, k, e.Timezone))
		}
	}
	syncAttendees(c, e.Attendees)
	syncAlarms(c, e.Reminders)
	s, err := encodeComponent(c)
	if err != nil {
		return err
	}
	e.ICS = s
	return nil
}

// whenProp writes a stored wall time or date as DTSTART/DTEND.
func whenProp(name, local, tz string, allDay bool) *ical.Prop {
	p := ical.NewProp(name)
	if allDay {
		t, _ := time.Parse(dateLayout, local)
		p.SetDate(t)
		return p
	}
	t, _ := time.Parse(localLayout, local)
	p.Value = t.Format(icsDateTime)
	switch tz {
	case "":
	case "UTC":
		p.Value += "Z"
	default:
		p.Params.Set(ical.ParamTimezoneID, tz)
	}
	return p
}

// keyProp writes a stored instance key (RECURRENCE-ID, RDATE, EXDATE) in
// the series' zone.
func keyProp(name, key, tz string) *ical.Prop {
	p := ical.NewProp(name)
	t, allDay, _ := parseKey(key)
	if allDay {
		p.SetDate(t)
		return p
	}
	if tz != "" && tz != "UTC" {
		if loc, err := LoadZone(tz); err == nil {
			p.Params.Set(ical.ParamTimezoneID, tz)
			p.Value = t.In(loc).Format(icsDateTime)
			return p
		}
	}
	p.Value = t.UTC().Format(icsDateTime) + "Z"
	return p
}

// syncAttendees rewrites ATTENDEE lines from the list, keeping the
// parameters of an attendee that stays (RSVP, CUTYPE...).
func syncAttendees(c *ical.Component, list []store.Attendee) {
	old := map[string]ical.Prop{}
	for _, p := range c.Props.Values(ical.PropAttendee) {
		old[strings.ToLower(strings.TrimPrefix(strings.TrimPrefix(p.Value, "mailto:"), "MAILTO:"))] = p
	}
	c.Props.Del(ical.PropAttendee)
	for _, a := range list {
		p, ok := old[strings.ToLower(a.Email)]
		if !ok {
			p = *ical.NewProp(ical.PropAttendee)
		}
		p.Value = "mailto:" + a.Email
		for _, kv := range [][2]string{{ical.ParamCommonName, a.Name}, {ical.ParamRole, strings.ToUpper(a.Role)}, {ical.ParamParticipationStatus, strings.ToUpper(a.Status)}} {
			if kv[1] == "" || strings.ContainsRune(kv[1], '"') {
				p.Params.Del(kv[0])
			} else {
				p.Params.Set(kv[0], kv[1])
			}
		}
		c.Props.Add(&p)
	}
}

// syncAlarms keeps the VALARMs aiwfe cannot express (absolute, relative
// to the end) and writes one DISPLAY alarm per reminder.
func syncAlarms(c *ical.Component, minutes []int) {
	kept := c.Children[:0]
	have := map[int]*ical.Component{}
	for _, al := range c.Children {
		if al.Name == ical.CompAlarm {
			if tp := al.Props.Get(ical.PropTrigger); tp != nil && !strings.EqualFold(tp.Params.Get(ical.ParamValue), "DATE-TIME") &&
				!strings.EqualFold(tp.Params.Get(ical.ParamRelated), "END") {
				if d, err := tp.Duration(); err == nil && d <= 0 {
					have[int(-d/time.Minute)] = al
					continue
				}
			}
		}
		kept = append(kept, al)
	}
	c.Children = kept
	for _, m := range minutes {
		al := have[m]
		if al == nil {
			al = ical.NewComponent(ical.CompAlarm)
			al.Props.SetText(ical.PropAction, "DISPLAY")
			al.Props.SetText(ical.PropDescription, "Reminder")
			p := ical.NewProp(ical.PropTrigger)
			p.Value = triggerBefore(m)
			al.Props.Set(p)
		}
		delete(have, m)
		c.Children = append(c.Children, al)
	}
}

// triggerBefore is a TRIGGER m minutes before the start, in the units a
// person would write (-PT10M, -PT1H, -P1D; go-ical writes -PT600S).
func triggerBefore(m int) string {
	switch {
	case m == 0:
		return "PT0S"
	case m%1440 == 0:
		return fmt.Sprintf("-P%dD", m/1440)
	case m%60 == 0:
		return fmt.Sprintf("-PT%dH", m/60)
	}
	return fmt.Sprintf("-PT%dM", m)
}
