// Package calendar is the calendar service: a user's calendars (local
// ones, and read-only subscriptions to ICS feeds refreshed in the
// background), their events with recurrence expanded on the server, ICS
// import and export, and a private feed URL per calendar. It takes plain
// Go values and knows nothing of the HTTP server.
//
// # The API other features build on
//
// Calendars (every method takes the owner's user id; another user's
// calendar or event is apperr 404, never 403):
//
//	Calendars(ctx, userID) ([]Calendar, error)
//	Calendar(ctx, userID, calendarID) (*Calendar, error)
//	CreateCalendar(ctx, userID, CalendarInput) / UpdateCalendar / DeleteCalendar
//
// Calendar.ReadOnly is true for feed (and Google) calendars: every write
// to their events answers ErrReadOnly (409 "calendar_read_only").
// Calendar.Seq is a change counter: it grows with every change to the
// calendar's events (CalDAV getctag / sync-token).
//
// Calendar objects, for CalDAV: one object is every VEVENT of one UID in
// one calendar (the series and its RECURRENCE-ID overrides), as a
// VCALENDAR text with its VTIMEZONEs, and one ETag (no quotes):
//
//	Objects(ctx, userID, calendarID) ([]Object, error)            // every object, with Data
//	Object(ctx, userID, calendarID, uid) (*Object, error)          // 404 when absent
//	PutObject(ctx, userID, calendarID, uid, data, PutOptions{IfMatch, IfNoneMatch}) (*Object, created bool, error)
//	DeleteObject(ctx, userID, calendarID, uid, ifMatch) error
//	Changes(ctx, userID, calendarID, sinceSeq) (*Changes, error)   // uids changed and deleted after sinceSeq; ErrSyncTooOld (410) when its deletions were forgotten
//
// PutObject takes one VCALENDAR whose VEVENTs all carry uid; a failed
// If-Match / If-None-Match is ErrPrecondition (412); data that is not a
// readable object (another UID, a VTODO, no DTSTART, a rule that never
// yields an instance) is a 400 naming "data" or "rrule". PutObject
// rewrites what it stores (DTSTAMP, zone names normalised, VTIMEZONEs from
// the zone data): Object.Data is what a later GET gives. Object.Seq is the
// calendar's Seq at the object's last change; Changes lists deletions
// from tombstones kept for every deleted UID.
//
// Events for the REST API and the UI: Instances expands every series in
// a range (Event, Instance and EventInput are the JSON views); CreateEvent,
// Event, UpdateEvent and DeleteEvent take a Change (Scope "all", "this",
// "following" and the instance's recurrence id) for a series.
//
// Every committed change to a user's events is published on Deps.Hub
// (progress channel, Changed{Type: "calendar"}).
package calendar

import (
	"context"
	"database/sql"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/aiwfe/aiwfe/app/apperr"
	"github.com/aiwfe/aiwfe/app/hub"
	"github.com/aiwfe/aiwfe/store"
)

// Limits and defaults.
const (
	MaxNameChars        = 100
	MaxTitleChars       = 500
	MaxDescriptionChars = 20_000
	MaxLocationChars    = 500
	MaxCategoryChars    = 100
	MaxUIDBytes         = 512
	MaxReminders        = 10
	MaxAttendees        = 200
	MaxDates            = 1000
	DefaultWeight       = 1
	MaxWeight           = 10
	// MaxRange is the longest range Instances expands.
	MaxRange = 400 * 24 * time.Hour
	// MaxInstances bounds what one Instances call returns.
	MaxInstances = 20_000
	// lastLimit bounds the instances walked to find a COUNT series' end
	// (beyond it the series is treated as endless) and those counted when
	// a series is split.
	lastLimit = 10_000
	// zoneReach widens stored-instant queries for all-day and floating
	// events, which are stored as if in UTC.
	zoneReach = 15 * time.Hour
)

// Event statuses.
const (
	StatusConfirmed = "confirmed"
	StatusTentative = "tentative"
	StatusCancelled = "cancelled"
)

// Errors with a name.
var (
	ErrReadOnly     = apperr.New(409, "calendar_read_only", "this calendar is read-only (a subscribed feed): change it at its source")
	ErrPrecondition = apperr.New(412, "precondition_failed", "the calendar object changed since it was read (ETag mismatch)")
	// ErrSyncTooOld: Changes cannot answer for so old a seq (its
	// deletions were forgotten); the client syncs afresh (CalDAV:
	// DAV:valid-sync-token).
	ErrSyncTooOld = apperr.New(410, "sync_token_expired", "the changes since then are no longer known: sync the calendar afresh")
)

// tombstoneAge is how long deletions are remembered for sync.
const tombstoneAge = 30 * 24 * time.Hour

// Fetcher sends a feed's request through the outbound HTTP client: the
// SSRF-guarded one (app/netguard), which refuses private, loopback and
// metadata addresses at connect time, redirects included.
type Fetcher func(ctx context.Context, req *http.Request) (*http.Response, error)

// Deps are what the service needs.
type Deps struct {
	Store *store.Store
	Log   *slog.Logger
	Now   func() time.Time
	// Hub, when set, hears of every change to a user's events (a
	// "calendar" event on the progress channel), so an open calendar page
	// reloads what a phone, an import or a feed changed.
	Hub *hub.Hub
	// Fetch fetches feeds; nil disables feed subscriptions.
	Fetch Fetcher
	// FeedRefresh is how often a feed is fetched when it names no
	// REFRESH-INTERVAL (config calendar.feed_refresh; default 30 min).
	FeedRefresh time.Duration
	// FeedMinRefresh is the shortest interval a feed may ask for
	// (default 5 min).
	FeedMinRefresh time.Duration
	// FeedMaxBytes and FeedMaxEvents cap one feed (defaults 10 MiB, 5000).
	FeedMaxBytes  int64
	FeedMaxEvents int
	// ImportMaxEvents caps one import (default 10,000).
	ImportMaxEvents int
	// Expander expands recurrences (default: DefaultExpander).
	Expander Expander
	// NoRefresh leaves feeds alone (the CLI); Start runs the refresher.
	NoRefresh bool
	// EventCreated, when set, hears of an event a person made one at a
	// time (CreateEvent: the web app, chat), after the commit. Imports,
	// feed refreshes and CalDAV (where a phone's first sync uploads a
	// whole calendar as single PUTs) do not call it. App: opportunities.
	EventCreated func(ctx context.Context, userID int64, ev Event)
	// EventsDeleted, when set, hears of events deleted whole (their row
	// ids: an event, a series and its overrides), after the commit:
	// DeleteEvent, DeleteObject, DeleteCalendar.
	EventsDeleted func(ctx context.Context, userID int64, ids []int64)
}

// Service is the calendar service. Close stops the feed refresher.
type Service struct {
	d     Deps
	store *store.Store
	log   *slog.Logger
	now   func() time.Time
	exp   Expander

	wake    chan struct{}
	ctx     context.Context
	cancel  context.CancelFunc
	wg      sync.WaitGroup
	started sync.Once
	// refreshing serialises refreshes of one feed (the background loop
	// and a user's "refresh now").
	refreshing sync.Map // calendar id → *sync.Mutex
	// rows caches viewed calendars' event rows by change counter.
	rows rowCache
	// lastInstances is the size of the last Instances answer.
	lastInstances atomic.Int64
}

// New builds the service and starts the feed refresher (unless
// NoRefresh).
func New(d Deps) *Service {
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	if d.FeedRefresh <= 0 {
		d.FeedRefresh = 30 * time.Minute
	}
	if d.FeedMinRefresh <= 0 {
		d.FeedMinRefresh = 5 * time.Minute
	}
	if d.FeedMaxBytes <= 0 {
		d.FeedMaxBytes = 10 << 20
	}
	if d.FeedMaxEvents <= 0 {
		d.FeedMaxEvents = 5000
	}
	if d.ImportMaxEvents <= 0 {
		d.ImportMaxEvents = 10_000
	}
	if d.Expander == nil {
		d.Expander = DefaultExpander
	}
	s := &Service{d: d, store: d.Store, log: d.Log, now: d.Now, exp: d.Expander, wake: make(chan struct{}, 1)}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	if !d.NoRefresh {
		s.Start()
	}
	return s
}

// Start runs the feed refresher (once).
func (s *Service) Start() {
	if s.d.Fetch == nil {
		return
	}
	s.started.Do(func() {
		s.wg.Add(1)
		go func() { defer s.wg.Done(); s.refreshLoop(s.ctx) }()
	})
}

// Close stops the refresher and waits for it.
func (s *Service) Close() {
	s.cancel()
	s.wg.Wait()
}

// Calendar is a calendar as the API shows it.
type Calendar struct {
	ID       int64  `json:"id"`
	Name     string `json:"name"`
	Colour   string `json:"colour"`
	Timezone string `json:"timezone"`
	Source   string `json:"source"`
	ReadOnly bool   `json:"read_only"`
	// Feed is the subscription of a feed calendar.
	Feed *FeedStatus `json:"feed,omitempty"`
	// PrivateFeed says whether the calendar has a private feed URL (the
	// token itself is shown once, when made).
	PrivateFeed          bool       `json:"private_feed"`
	PrivateFeedCreatedAt *time.Time `json:"private_feed_created_at,omitempty"`
	// Seq grows with every change to the calendar's events.
	Seq       int64     `json:"seq"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// FeedStatus is a feed subscription's state.
type FeedStatus struct {
	URL         string     `json:"url"`
	Error       string     `json:"error"`
	RefreshedAt *time.Time `json:"refreshed_at"`
	CheckedAt   *time.Time `json:"checked_at"`
	NextAt      *time.Time `json:"next_at"`
	// IntervalSeconds is the refresh interval in force.
	IntervalSeconds int `json:"interval_seconds"`
}

func (s *Service) calendarView(c *store.Calendar) Calendar {
	v := Calendar{ID: c.ID, Name: c.Name, Colour: c.Colour, Timezone: c.Timezone, Source: c.Source, ReadOnly: c.Source != store.CalendarLocal,
		PrivateFeed: c.TokenHash != "", PrivateFeedCreatedAt: c.TokenCreatedAt, Seq: c.Seq, CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt}
	if c.Source == store.CalendarFeed {
		v.Feed = &FeedStatus{URL: c.FeedURL, Error: c.FeedError, RefreshedAt: c.FeedRefreshedAt, CheckedAt: c.FeedCheckedAt, NextAt: c.FeedNextAt,
			IntervalSeconds: int(s.feedInterval(c) / time.Second)}
	}
	return v
}

// CalendarInput creates or changes a calendar; nil leaves a field be.
// FeedURL makes a new calendar a read-only subscription of that ICS URL.
type CalendarInput struct {
	Name     *string `json:"name"`
	Colour   *string `json:"colour"`
	Timezone *string `json:"timezone"`
	FeedURL  *string `json:"feed_url"`
}

// Calendars lists the user's calendars, oldest first.
func (s *Service) Calendars(ctx context.Context, userID int64) ([]Calendar, error) {
	cals, err := store.UserCalendars(ctx, s.store.DB, userID)
	if err != nil {
		return nil, err
	}
	out := make([]Calendar, 0, len(cals))
	for _, c := range cals {
		out = append(out, s.calendarView(c))
	}
	return out, nil
}

// Calendar shows one of the user's calendars.
func (s *Service) Calendar(ctx context.Context, userID, id int64) (*Calendar, error) {
	c, err := s.calendar(ctx, s.store.DB, userID, id)
	if err != nil {
		return nil, err
	}
	v := s.calendarView(c)
	return &v, nil
}

func (s *Service) calendar(ctx context.Context, q store.Querier, userID, id int64) (*store.Calendar, error) {
	c, err := store.GetCalendar(ctx, q, userID, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, apperr.NotFound("calendar")
	}
	return c, err
}

// writable reads one of the user's calendars for a change to its events.
func (s *Service) writable(ctx context.Context, q store.Querier, userID, id int64) (*store.Calendar, error) {
	c, err := s.calendar(ctx, q, userID, id)
	if err != nil {
		return nil, err
	}
	if c.Source != store.CalendarLocal {
		return nil, ErrReadOnly
	}
	return c, nil
}

// CreateCalendar adds a calendar: a local one, or with FeedURL a feed
// subscription, fetched for the first time in the background.
func (s *Service) CreateCalendar(ctx context.Context, userID int64, in CalendarInput) (*Calendar, error) {
	c := &store.Calendar{UserID: userID, Source: store.CalendarLocal, Timezone: "UTC"}
	if in.Name == nil {
		return nil, apperr.Invalid("name", "a calendar needs a name")
	}
	if err := applyCalendarInput(c, in); err != nil {
		return nil, err
	}
	if in.FeedURL != nil {
		if s.d.Fetch == nil {
			return nil, apperr.Invalid("feed_url", "feed subscriptions are not available on this server")
		}
		c.Source = store.CalendarFeed
		now := s.now()
		c.FeedNextAt = &now
	}
	if err := store.InsertCalendar(ctx, s.store.DB, c, s.now()); err != nil {
		return nil, err
	}
	if c.Source == store.CalendarFeed {
		s.poke()
	}
	v := s.calendarView(c)
	return &v, nil
}

func applyCalendarInput(c *store.Calendar, in CalendarInput) error {
	if in.Name != nil {
		n := strings.TrimSpace(*in.Name)
		if n == "" {
			return apperr.Invalid("name", "a calendar needs a name")
		}
		if utf8.RuneCountInString(n) > MaxNameChars {
			return apperr.Invalid("name", "the name is longer than 100 characters")
		}
		c.Name = n
	}
	if in.Colour != nil {
		col := strings.TrimSpace(*in.Colour)
		if col != "" && !validColour(col) {
			return apperr.Invalid("colour", "the colour must be #rgb or #rrggbb")
		}
		c.Colour = strings.ToLower(col)
	}
	if in.Timezone != nil {
		tz := strings.TrimSpace(*in.Timezone)
		loc, err := LoadZone(tz)
		if err != nil {
			return apperr.Invalid("timezone", "unknown time zone: use an IANA name such as Europe/Berlin")
		}
		c.Timezone = zoneName(loc)
	}
	if in.FeedURL != nil {
		u, err := checkFeedURL(*in.FeedURL)
		if err != nil {
			return apperr.Invalid("feed_url", err.Error())
		}
		c.FeedURL = u
	}
	return nil
}

func validColour(s string) bool {
	if len(s) != 4 && len(s) != 7 || s[0] != '#' {
		return false
	}
	for _, r := range s[1:] {
		if !strings.ContainsRune("0123456789abcdefABCDEF", r) {
			return false
		}
	}
	return true
}

// UpdateCalendar changes a calendar's name, colour or timezone, or a feed
// calendar's URL (fetched again at once).
func (s *Service) UpdateCalendar(ctx context.Context, userID, id int64, in CalendarInput) (*Calendar, error) {
	var out *store.Calendar
	err := s.store.WithTx(ctx, func(tx *sql.Tx) error {
		c, err := s.calendar(ctx, tx, userID, id)
		if err != nil {
			return err
		}
		if in.FeedURL != nil && c.Source != store.CalendarFeed {
			return apperr.Invalid("feed_url", "only a feed calendar has a URL")
		}
		oldURL := c.FeedURL
		if err := applyCalendarInput(c, in); err != nil {
			return err
		}
		if c.FeedURL != oldURL {
			now := s.now()
			c.FeedNextAt = &now
		}
		out = c
		return store.UpdateCalendar(ctx, tx, c, s.now())
	})
	if err != nil {
		return nil, err
	}
	if in.FeedURL != nil {
		s.poke()
	}
	v := s.calendarView(out)
	return &v, nil
}

// DeleteCalendar deletes a calendar with its events.
func (s *Service) DeleteCalendar(ctx context.Context, userID, id int64) error {
	var ids []int64
	err := s.store.WithTx(ctx, func(tx *sql.Tx) error {
		if s.d.EventsDeleted != nil {
			rows, err := store.CalendarEvents(ctx, tx, id)
			if err != nil {
				return err
			}
			ids = rowIDs(rows)
		}
		return store.DeleteCalendar(ctx, tx, userID, id)
	})
	if errors.Is(err, store.ErrNotFound) {
		return apperr.NotFound("calendar")
	}
	if err == nil {
		s.deleted(ctx, userID, ids)
	}
	return err
}

// deleted tells EventsDeleted of events gone.
func (s *Service) deleted(ctx context.Context, userID int64, ids []int64) {
	if s.d.EventsDeleted != nil && len(ids) > 0 {
		s.d.EventsDeleted(ctx, userID, ids)
	}
}

func rowIDs(rows []*store.CalendarEvent) []int64 {
	ids := make([]int64, len(rows))
	for i, r := range rows {
		ids[i] = r.ID
	}
	return ids
}

// Changed is the "calendar" event published on the hub's progress
// channel after a change to a calendar's events has committed.
type Changed struct {
	Type       string `json:"type"` // "calendar"
	CalendarID int64  `json:"calendar_id"`
	// What: "events" (created, changed or deleted), "feed" (a feed
	// refresh, which may have changed events or failed: read the calendar).
	What string `json:"what"`
}

// changed tells the user's open pages that a calendar changed.
func (s *Service) changed(userID, calendarID int64, what string) {
	if s.d.Hub != nil {
		s.d.Hub.Publish(userID, hub.Progress, Changed{Type: "calendar", CalendarID: calendarID, What: what})
	}
}

// calendarZone is the zone a calendar's floating times are read in.
func calendarZone(c *store.Calendar) *time.Location {
	if loc, err := LoadZone(c.Timezone); err == nil {
		return loc
	}
	return time.UTC
}
