package dav

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/emersion/go-ical"
	"github.com/emersion/go-webdav"
	"github.com/emersion/go-webdav/caldav"

	"github.com/aiwfe/aiwfe/app/apperr"
	"github.com/aiwfe/aiwfe/app/calendar"
	"github.com/aiwfe/aiwfe/store"
)

// backend is caldav.Backend over the calendar service. Every path is
// checked against the caller: another user's calendars answer 404, as in
// the REST API.
type backend struct {
	cal     *calendar.Service
	store   *store.Store
	log     *slog.Logger
	maxSize int64
}

var _ caldav.Backend = (*backend)(nil)

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func uidHash(uid string) string {
	sum := sha256.Sum256([]byte(uid))
	return hex.EncodeToString(sum[:20])
}

var errNotFound = webdav.NewHTTPError(http.StatusNotFound, errors.New("not found"))

// davError turns a calendar service error into the HTTP error go-webdav writes:
// the apperr status and message, a read-only calendar as 403, and an
// internal failure as a bare 500 whose cause is logged, never sent.
func (b *backend) davError(err error) error {
	if err == nil {
		return nil
	}
	e := apperr.From(err)
	switch {
	case errors.Is(err, calendar.ErrReadOnly):
		return webdav.NewHTTPError(http.StatusForbidden, errors.New(e.Message))
	case e.Status >= 500:
		b.log.Error("caldav request failed", "err", err)
		return webdav.NewHTTPError(e.Status, errors.New("internal error"))
	}
	return webdav.NewHTTPError(e.Status, errors.New(e.Message))
}

func (b *backend) user(ctx context.Context) (User, error) {
	u, ok := userFrom(ctx)
	if !ok {
		return User{}, webdav.NewHTTPError(http.StatusUnauthorized, errors.New("not authenticated"))
	}
	return u, nil
}

// ref is a calendar as a request names it: by id, or by the name a
// client made it under (MKCALENDAR). Paths in answers use the same
// segment, so a client finds its objects where it looks for them.
type ref struct {
	u   User
	id  int64
	seg string
}

func (r ref) path() string { return homePath(r.u.ID) + r.seg + "/" }

func (r ref) object(uid string) string { return r.path() + objectName(uid) }

// split parses a path below the caller's home: the calendar and the
// object name ("" for the calendar itself). Anything else, another
// user's paths included, is 404.
func (b *backend) split(ctx context.Context, p string) (ref, string, error) {
	u, err := b.user(ctx)
	if err != nil {
		return ref{}, "", err
	}
	rest, ok := strings.CutPrefix(cleanPath(p), homePath(u.ID))
	if !ok {
		return ref{}, "", errNotFound
	}
	seg, name, _ := strings.Cut(rest, "/")
	if seg == "" || strings.Contains(name, "/") {
		return ref{}, "", errNotFound
	}
	r := ref{u: u, seg: seg}
	if numeric(seg) {
		r.id, err = strconv.ParseInt(seg, 10, 64)
		if err != nil || r.id <= 0 {
			return ref{}, "", errNotFound
		}
		return r, name, nil
	}
	r.id, err = store.DAVCalendarByName(ctx, b.store.DB, u.ID, seg)
	if errors.Is(err, store.ErrNotFound) {
		return ref{}, "", errNotFound
	}
	if err != nil {
		return ref{}, "", b.davError(err)
	}
	return r, name, nil
}

func numeric(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

func (b *backend) CurrentUserPrincipal(ctx context.Context) (string, error) {
	u, err := b.user(ctx)
	if err != nil {
		return "", err
	}
	return principalPath(u.ID), nil
}

func (b *backend) CalendarHomeSetPath(ctx context.Context) (string, error) {
	u, err := b.user(ctx)
	if err != nil {
		return "", err
	}
	return homePath(u.ID), nil
}

// CreateCalendar is go-webdav's MKCOL, which Handler answers itself
// (mkcalendar.go); nothing else calls it.
func (b *backend) CreateCalendar(context.Context, *caldav.Calendar) error {
	return webdav.NewHTTPError(http.StatusForbidden, errors.New("make calendars with MKCALENDAR"))
}

func (b *backend) collection(r ref, c *calendar.Calendar) caldav.Calendar {
	desc := ""
	if c.ReadOnly {
		desc = "Read-only: a subscribed feed, changed at its source"
	}
	return caldav.Calendar{Path: r.path(), Name: c.Name, Description: desc,
		MaxResourceSize: b.maxSize, SupportedComponentSet: []string{ical.CompEvent}}
}

func (b *backend) ListCalendars(ctx context.Context) ([]caldav.Calendar, error) {
	u, err := b.user(ctx)
	if err != nil {
		return nil, err
	}
	cals, err := b.cal.Calendars(ctx, u.ID)
	if err != nil {
		return nil, b.davError(err)
	}
	names, err := store.DAVCalendarNames(ctx, b.store.DB, u.ID)
	if err != nil {
		return nil, b.davError(err)
	}
	out := make([]caldav.Calendar, 0, len(cals))
	for i := range cals {
		seg := names[cals[i].ID]
		if seg == "" {
			seg = itoa(cals[i].ID)
		}
		out = append(out, b.collection(ref{u: u, id: cals[i].ID, seg: seg}, &cals[i]))
	}
	return out, nil
}

// splitCalendar is split for a path that must name a calendar.
func (b *backend) splitCalendar(ctx context.Context, p string) (ref, error) {
	r, name, err := b.split(ctx, p)
	if err == nil && name != "" {
		err = errNotFound
	}
	return r, err
}

func (b *backend) GetCalendar(ctx context.Context, p string) (*caldav.Calendar, error) {
	r, err := b.splitCalendar(ctx, p)
	if err != nil {
		return nil, err
	}
	c, err := b.cal.Calendar(ctx, r.u.ID, r.id)
	if err != nil {
		return nil, b.davError(err)
	}
	out := b.collection(r, c)
	return &out, nil
}

// object converts a calendar object for go-webdav, which wants it parsed.
func (b *backend) object(r ref, o *calendar.Object) (*caldav.CalendarObject, error) {
	data, err := ical.NewDecoder(bytes.NewReader(o.Data)).Decode()
	if err != nil {
		return nil, b.davError(fmt.Errorf("calendar object %d/%q does not parse: %w", o.CalendarID, o.UID, err))
	}
	return &caldav.CalendarObject{Path: r.object(o.UID), ModTime: o.UpdatedAt,
		ContentLength: int64(len(o.Data)), ETag: o.ETag, Data: data}, nil
}

// uidOf finds the UID a resource name stands for: the name without
// ".ics", or, for a hashed name, the object whose UID hashes to it.
func (b *backend) uidOf(ctx context.Context, r ref, name string) (string, error) {
	uid := strings.TrimSuffix(name, ".ics")
	if uid == "" {
		return "", errNotFound
	}
	if h, hashed := strings.CutPrefix(uid, hashedPrefix); hashed && len(h) == 40 {
		objs, err := b.cal.Objects(ctx, r.u.ID, r.id)
		if err != nil {
			return "", b.davError(err)
		}
		for _, o := range objs {
			if uidHash(o.UID) == h {
				return o.UID, nil
			}
		}
	}
	return uid, nil
}

func (b *backend) GetCalendarObject(ctx context.Context, p string, _ *caldav.CalendarCompRequest) (*caldav.CalendarObject, error) {
	r, name, err := b.split(ctx, p)
	if err != nil {
		return nil, err
	}
	uid, err := b.uidOf(ctx, r, name)
	if err != nil {
		return nil, err
	}
	o, err := b.cal.Object(ctx, r.u.ID, r.id, uid)
	if err != nil {
		return nil, b.davError(err)
	}
	return b.object(r, o)
}

// calendarObjects reads every object of the calendar at p.
func (b *backend) calendarObjects(ctx context.Context, p string) (ref, []calendar.Object, error) {
	r, err := b.splitCalendar(ctx, p)
	if err != nil {
		return r, nil, err
	}
	objs, err := b.cal.Objects(ctx, r.u.ID, r.id)
	return r, objs, b.davError(err)
}

func (b *backend) ListCalendarObjects(ctx context.Context, p string, _ *caldav.CalendarCompRequest) ([]caldav.CalendarObject, error) {
	r, objs, err := b.calendarObjects(ctx, p)
	if err != nil {
		return nil, err
	}
	return b.objects(r, objs, nil)
}

// objects converts the objects whose UID is in keep (all when keep is
// nil).
func (b *backend) objects(r ref, objs []calendar.Object, keep map[string]bool) ([]caldav.CalendarObject, error) {
	out := make([]caldav.CalendarObject, 0, len(objs))
	for i := range objs {
		if keep != nil && !keep[objs[i].UID] {
			continue
		}
		co, err := b.object(r, &objs[i])
		if err != nil {
			return nil, err
		}
		out = append(out, *co)
	}
	return out, nil
}

// maxQuerySpan is the longest time range a calendar-query is answered
// exactly for: the calendar service expands at most calendar.MaxRange at
// a time, so a longer range takes several calls. Beyond it (and for a
// range open at one end) every object is returned, a superset the client
// filters itself.
const maxQuerySpan = 5 * 366 * 24 * time.Hour

func (b *backend) QueryCalendarObjects(ctx context.Context, p string, q *caldav.CalendarQuery) ([]caldav.CalendarObject, error) {
	r, objs, err := b.calendarObjects(ctx, p)
	if err != nil {
		return nil, err
	}
	filter := q.CompFilter
	if filter.Name != "" && filter.Name != ical.CompCalendar {
		return []caldav.CalendarObject{}, nil
	}
	var keep map[string]bool
	var rest []caldav.CompFilter
	for _, cf := range filter.Comps {
		switch {
		case cf.Name != ical.CompEvent:
			// Only VEVENTs are stored: a filter on VTODO matches nothing,
			// unless it asks for its absence.
			if !cf.IsNotDefined {
				return []caldav.CalendarObject{}, nil
			}
		case cf.IsNotDefined:
			return []caldav.CalendarObject{}, nil
		default:
			if !cf.Start.IsZero() && !cf.End.IsZero() && cf.End.Sub(cf.Start) <= maxQuerySpan {
				if keep, err = b.inRange(ctx, r, cf.Start, cf.End); err != nil {
					return nil, err
				}
			}
			cf.Start, cf.End = time.Time{}, time.Time{}
			if len(cf.Props) > 0 || len(cf.Comps) > 0 {
				rest = append(rest, cf)
			}
		}
	}
	out, err := b.objects(r, objs, keep)
	if err != nil || len(rest) == 0 {
		return out, err
	}
	// Property and text filters (rare) go to go-webdav's matcher; the
	// time range was answered above from the expanded instances, which
	// know recurrence, overrides and time zones.
	return caldav.Filter(&caldav.CalendarQuery{CompFilter: caldav.CompFilter{Name: ical.CompCalendar, Comps: rest}}, out)
}

// inRange is the set of UIDs with an instance in [from, to).
func (b *backend) inRange(ctx context.Context, r ref, from, to time.Time) (map[string]bool, error) {
	keep := map[string]bool{}
	for start := from; start.Before(to); start = start.Add(calendar.MaxRange) {
		end := start.Add(calendar.MaxRange)
		if end.After(to) {
			end = to
		}
		insts, err := b.cal.Instances(ctx, r.u.ID, calendar.InstancesRequest{From: start, To: end, CalendarIDs: []int64{r.id}})
		if err != nil {
			return nil, b.davError(err)
		}
		for _, in := range insts {
			keep[in.UID] = true
		}
	}
	return keep, nil
}

func (b *backend) PutCalendarObject(ctx context.Context, p string, data *ical.Calendar, opts *caldav.PutCalendarObjectOptions) (*caldav.CalendarObject, error) {
	r, name, err := b.split(ctx, p)
	if err != nil {
		return nil, err
	}
	if name == "" {
		return nil, webdav.NewHTTPError(http.StatusMethodNotAllowed, errors.New("PUT a calendar object into a calendar"))
	}
	if _, uid, err := caldav.ValidateCalendarObject(data); err != nil {
		return nil, webdav.NewHTTPError(http.StatusBadRequest, err)
	} else if uid == "" {
		return nil, webdav.NewHTTPError(http.StatusBadRequest, errors.New("the VEVENT has no UID"))
	} else {
		return b.put(ctx, r, uid, data, opts)
	}
}

func (b *backend) put(ctx context.Context, r ref, uid string, data *ical.Calendar, opts *caldav.PutCalendarObjectOptions) (*caldav.CalendarObject, error) {
	var po calendar.PutOptions
	switch {
	case opts.IfMatch.IsWildcard():
		// "*": the object must exist; its ETag then is whatever it is.
		o, err := b.cal.Object(ctx, r.u.ID, r.id, uid)
		if err != nil {
			if apperr.From(err).Status == http.StatusNotFound {
				return nil, webdav.NewHTTPError(http.StatusPreconditionFailed, errors.New("the object does not exist"))
			}
			return nil, b.davError(err)
		}
		po.IfMatch = o.ETag
	case opts.IfMatch.IsSet():
		etag, err := opts.IfMatch.ETag()
		if err != nil {
			return nil, webdav.NewHTTPError(http.StatusBadRequest, fmt.Errorf("If-Match: %w", err))
		}
		po.IfMatch = etag
	}
	po.IfNoneMatch = opts.IfNoneMatch.IsWildcard()
	var buf bytes.Buffer
	if err := ical.NewEncoder(&buf).Encode(data); err != nil {
		return nil, webdav.NewHTTPError(http.StatusBadRequest, err)
	}
	o, _, err := b.cal.PutObject(ctx, r.u.ID, r.id, uid, buf.Bytes(), po)
	if err != nil {
		return nil, b.davError(err)
	}
	return &caldav.CalendarObject{Path: r.object(uid), ModTime: o.UpdatedAt, ETag: o.ETag, ContentLength: int64(len(o.Data))}, nil
}

func (b *backend) DeleteCalendarObject(ctx context.Context, p string) error {
	r, name, err := b.split(ctx, p)
	if err != nil {
		return err
	}
	if name == "" {
		return webdav.NewHTTPError(http.StatusForbidden, errors.New("calendars are deleted in the aiwfe web app"))
	}
	uid, err := b.uidOf(ctx, r, name)
	if err != nil {
		return err
	}
	ifMatch := ""
	if m, _ := ctx.Value(ifMatchKey{}).(webdav.ConditionalMatch); m.IsSet() && !m.IsWildcard() {
		if ifMatch, err = m.ETag(); err != nil {
			return webdav.NewHTTPError(http.StatusBadRequest, fmt.Errorf("If-Match: %w", err))
		}
	}
	return b.davError(b.cal.DeleteObject(ctx, r.u.ID, r.id, uid, ifMatch))
}

// cleanPath is path.Clean keeping a trailing slash.
func cleanPath(p string) string {
	c := path.Clean(p)
	if strings.HasSuffix(p, "/") && c != "/" {
		c += "/"
	}
	return c
}
