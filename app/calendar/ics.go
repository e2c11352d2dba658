package calendar

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/emersion/go-ical"

	"github.com/aiwfe/aiwfe/app/apperr"
	"github.com/aiwfe/aiwfe/store"
)

// ImportResult says what an import (or a feed refresh) did.
type ImportResult struct {
	Created int           `json:"created"`
	Updated int           `json:"updated"`
	Skipped int           `json:"skipped"`
	Deleted int           `json:"deleted"`
	Errors  []ImportError `json:"errors"`
}

// ImportError is one event that could not be read.
type ImportError struct {
	UID     string `json:"uid"`
	Summary string `json:"summary"`
	Message string `json:"message"`
}

// maxImportErrors bounds the per-event errors reported.
const maxImportErrors = 100

// maxUpsertWork bounds the time one import or feed refresh spends on its
// events (a file can hold thousands of rules that are slow to check).
var maxUpsertWork = 30 * time.Second

// group is the VEVENTs of one UID, in file order.
type group struct {
	uid   string
	comps []*ical.Component
}

// groupEvents collects the VEVENTs of the calendars by UID. An event
// without a UID gets one made from its text, so importing it again finds
// it. Other components (VTODO, VJOURNAL) count as skipped.
func groupEvents(cals []*ical.Calendar) (groups []*group, other int) {
	byUID := map[string]*group{}
	for _, cal := range cals {
		for _, c := range cal.Children {
			switch c.Name {
			case ical.CompEvent:
			case ical.CompTimezone:
				continue
			default:
				other++
				continue
			}
			uid := strings.TrimSpace(propText(c, ical.PropUID))
			if uid == "" {
				h := sha256.Sum256([]byte(componentDigest(c)))
				uid = hex.EncodeToString(h[:16]) + "@import.aiwfe"
				c.Props.SetText(ical.PropUID, uid)
			}
			g := byUID[uid]
			if g == nil {
				g = &group{uid: uid}
				byUID[uid] = g
				groups = append(groups, g)
			}
			g.comps = append(g.comps, c)
		}
	}
	return groups, other
}

// componentDigest is a component's properties in a fixed order, for a
// UID made from its content (the encoder refuses a VEVENT without UID).
func componentDigest(c *ical.Component) string {
	names := make([]string, 0, len(c.Props))
	for n := range c.Props {
		names = append(names, n)
	}
	sort.Strings(names)
	var b strings.Builder
	for _, n := range names {
		if n == ical.PropDateTimeStamp {
			continue
		}
		for _, p := range c.Props[n] {
			fmt.Fprintf(&b, "%s;%v:%s\n", n, p.Params, p.Value)
		}
	}
	for _, ch := range c.Children {
		b.WriteString(componentDigest(ch))
	}
	return b.String()
}

// upsert writes the groups into cal: new objects created, changed ones
// replaced, unchanged ones (same source ETag) left; with prune, objects
// not in groups are deleted (a feed's copy follows its source).
func (s *Service) upsert(ctx context.Context, tx *sql.Tx, cal *store.Calendar, groups []*group, prune bool) (*ImportResult, error) {
	res := &ImportResult{Errors: []ImportError{}}
	etags, err := store.CalendarETags(ctx, tx, cal.ID)
	if err != nil {
		return nil, err
	}
	// Objects holding only overrides have no series row: find them too.
	uids, err := store.CalendarEvents(ctx, tx, cal.ID)
	if err != nil {
		return nil, err
	}
	present := map[string]bool{}
	for _, r := range uids {
		present[r.UID] = true
		if _, ok := etags[r.UID]; !ok {
			etags[r.UID] = r.ETag
		}
	}
	floating := calendarZone(cal)
	seen := map[string]bool{}
	began := time.Now()
	for gi, g := range groups {
		seen[g.uid] = true
		if time.Since(began) > maxUpsertWork {
			// Stop here (and delete nothing): the same file again goes on
			// where this one stopped, as the finished objects are skipped.
			res.Skipped += len(groups) - gi
			res.Errors = append(res.Errors, ImportError{UID: g.uid, Message: "reading the file took too long; import it again to go on"})
			return res, nil
		}
		rows, err := rowsFromComponents(g.comps, floating)
		if err != nil {
			res.Skipped++
			if len(res.Errors) < maxImportErrors {
				res.Errors = append(res.Errors, ImportError{UID: g.uid, Summary: propText(g.comps[0], ical.PropSummary), Message: err.Error()})
			}
			continue
		}
		etag := sourceETag(rows)
		if present[g.uid] && etags[g.uid] == etag {
			res.Skipped++
			continue
		}
		if _, err := s.saveObject(ctx, tx, cal, g.uid, rows, etag); err != nil {
			var ae *apperr.Error
			if errors.As(err, &ae) && ae.Status < 500 {
				res.Skipped++
				res.Errors = append(res.Errors, ImportError{UID: g.uid, Summary: rows[0].Title, Message: ae.Message})
				continue
			}
			return nil, err
		}
		if present[g.uid] {
			res.Updated++
		} else {
			res.Created++
		}
	}
	if prune {
		for uid := range present {
			if !seen[uid] {
				if err := s.deleteObject(ctx, tx, cal, uid); err != nil {
					return nil, err
				}
				res.Deleted++
			}
		}
	}
	return res, nil
}

// Import reads an ICS file into one of the user's local calendars, by
// UID: new events created, changed ones replaced, the same ones skipped,
// unreadable ones reported (the others are still imported).
func (s *Service) Import(ctx context.Context, userID, calendarID int64, data []byte) (*ImportResult, error) {
	cals, err := decodeICS(data)
	if err != nil {
		return nil, apperr.Invalid("file", err.Error())
	}
	groups, other := groupEvents(cals)
	if len(groups) > s.d.ImportMaxEvents {
		return nil, apperr.Invalid("file", fmt.Sprintf("the file holds %d events; at most %d are imported at once", len(groups), s.d.ImportMaxEvents))
	}
	var res *ImportResult
	err = s.store.WithTx(ctx, func(tx *sql.Tx) error {
		cal, err := s.writable(ctx, tx, userID, calendarID)
		if err != nil {
			return err
		}
		res, err = s.upsert(ctx, tx, cal, groups, false)
		return err
	})
	if err != nil {
		return nil, err
	}
	res.Skipped += other
	if res.Created+res.Updated > 0 {
		s.changed(userID, calendarID, "events")
	}
	return res, nil
}

// Export writes one of the user's calendars as an ICS file; with a range,
// only the objects with an instance in it.
func (s *Service) Export(ctx context.Context, userID, calendarID int64, from, to *time.Time) ([]byte, *Calendar, error) {
	cal, err := s.calendar(ctx, s.store.DB, userID, calendarID)
	if err != nil {
		return nil, nil, err
	}
	return s.exportWithView(ctx, cal, from, to)
}

func (s *Service) exportWithView(ctx context.Context, cal *store.Calendar, from, to *time.Time) ([]byte, *Calendar, error) {
	data, err := s.export(ctx, cal, from, to)
	if err != nil {
		return nil, nil, err
	}
	v := s.calendarView(cal)
	return data, &v, nil
}

func (s *Service) export(ctx context.Context, cal *store.Calendar, from, to *time.Time) ([]byte, error) {
	var rows []*store.CalendarEvent
	var err error
	if from != nil && to != nil {
		if !to.After(*from) {
			return nil, apperr.Invalid("to", "to must be after from")
		}
		var inRange []*store.CalendarEvent
		if inRange, err = store.EventsInRange(ctx, s.store.DB, []int64{cal.ID}, from.Add(-zoneReach), to.Add(zoneReach)); err != nil {
			return nil, err
		}
		// Whole objects: a series' overrides come with it.
		for _, g := range groupByUID(inRange) {
			obj, err := store.ObjectEvents(ctx, s.store.DB, cal.ID, g[0].UID)
			if err != nil {
				return nil, err
			}
			rows = append(rows, obj...)
		}
	} else if rows, err = store.CalendarEvents(ctx, s.store.DB, cal.ID); err != nil {
		return nil, err
	}
	var b strings.Builder
	writeCalendarHead(&b, cal.Name)
	writeTimezones(&b, rows)
	for _, r := range rows {
		b.WriteString(r.ICS)
	}
	b.WriteString("END:VCALENDAR\r\n")
	return []byte(b.String()), nil
}

// PrivateFeed is a calendar's private feed token, shown once.
type PrivateFeed struct {
	Token string `json:"token"`
}

// CreatePrivateFeed makes (or replaces: the old URL stops working) the
// secret token of a calendar's private ICS feed. Only its hash is kept.
func (s *Service) CreatePrivateFeed(ctx context.Context, userID, calendarID int64) (*PrivateFeed, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return nil, err
	}
	token := base64.RawURLEncoding.EncodeToString(b)
	err := store.SetCalendarToken(ctx, s.store.DB, userID, calendarID, tokenHash(token), s.now())
	if errors.Is(err, store.ErrNotFound) {
		return nil, apperr.NotFound("calendar")
	}
	if err != nil {
		return nil, err
	}
	return &PrivateFeed{Token: token}, nil
}

// RevokePrivateFeed removes a calendar's private feed token.
func (s *Service) RevokePrivateFeed(ctx context.Context, userID, calendarID int64) error {
	err := store.SetCalendarToken(ctx, s.store.DB, userID, calendarID, "", s.now())
	if errors.Is(err, store.ErrNotFound) {
		return apperr.NotFound("calendar")
	}
	return err
}

func tokenHash(token string) string {
	h := sha256.Sum256([]byte(token))
	return hex.EncodeToString(h[:])
}

// errNoFeed is the one answer to any token that opens nothing.
var errNoFeed = apperr.NotFound("feed")

// PrivateFeedICS is the calendar a private feed token opens, as ICS.
func (s *Service) PrivateFeedICS(ctx context.Context, token string) ([]byte, *Calendar, error) {
	if len(token) != 43 { // 32 bytes, base64url
		return nil, nil, errNoFeed
	}
	want := tokenHash(token)
	cal, err := store.CalendarByTokenHash(ctx, s.store.DB, want)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil, errNoFeed
	}
	if err != nil {
		return nil, nil, err
	}
	// The lookup was by hash (no timing of the secret itself); compare
	// once more in constant time so a match never rests on the index alone.
	if subtle.ConstantTimeCompare([]byte(cal.TokenHash), []byte(want)) != 1 {
		return nil, nil, errNoFeed
	}
	return s.exportWithView(ctx, cal, nil, nil)
}
