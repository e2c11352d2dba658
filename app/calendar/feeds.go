package calendar

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-ical"

	"github.com/aiwfe/aiwfe/app/apperr"
	"github.com/aiwfe/aiwfe/store"
)

// Feed subscriptions: a feed calendar is a read-only copy of an ICS URL,
// fetched through Deps.Fetch (the SSRF-guarded client) when due, with a
// conditional GET (ETag, Last-Modified). A failed refresh keeps the last
// good copy and records the error for the calendar list.

// maxFeedInterval bounds a feed's own REFRESH-INTERVAL.
const maxFeedInterval = 7 * 24 * time.Hour

// checkFeedURL accepts an http(s) or webcal(s) URL (webcal is http by
// another name, as Apple and Google publish feeds) and returns the URL to
// fetch. Which addresses it may reach is the fetcher's decision, made at
// connect time.
func checkFeedURL(raw string) (string, error) {
	raw = strings.TrimSpace(raw)
	if len(raw) > 2048 {
		return "", errors.New("the URL is longer than 2048 characters")
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return "", errors.New("not a URL: give the feed's http or https address")
	}
	switch strings.ToLower(u.Scheme) {
	case "http", "https":
	case "webcal":
		u.Scheme = "http"
	case "webcals":
		u.Scheme = "https"
	default:
		return "", errors.New("a feed URL must be http, https or webcal")
	}
	if u.User != nil {
		return "", errors.New("a feed URL must not carry a user name or password")
	}
	u.Fragment = ""
	return u.String(), nil
}

func (s *Service) feedInterval(c *store.Calendar) time.Duration {
	if c.FeedInterval > 0 {
		return min(max(time.Duration(c.FeedInterval)*time.Second, s.d.FeedMinRefresh), maxFeedInterval)
	}
	return s.d.FeedRefresh
}

func (s *Service) poke() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// refreshLoop refreshes due feeds, one at a time, sleeping until the next
// is due (or a new subscription pokes it).
func (s *Service) refreshLoop(ctx context.Context) {
	for {
		s.pruneTombstones(ctx)
		due, err := store.DueFeeds(ctx, s.store.DB, s.now(), 20)
		if err != nil && ctx.Err() == nil {
			s.log.Error("calendar: due feeds", "err", err)
		}
		for _, id := range due {
			if ctx.Err() != nil {
				return
			}
			if _, err := s.refresh(ctx, id); err != nil && ctx.Err() == nil {
				s.log.Error("calendar: feed refresh", "calendar_id", id, "err", err)
			}
		}
		wait := time.Minute
		if next, err := store.NextFeedAt(ctx, s.store.DB); err == nil && next != nil {
			wait = min(max(next.Sub(s.now()), time.Second), time.Hour)
		}
		if len(due) == 20 {
			wait = 0
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-s.wake:
			t.Stop()
		case <-t.C:
		}
	}
}

// pruneTombstones forgets deletions older than tombstoneAge in every
// calendar (a feed whose producer makes new UIDs at every download would
// otherwise grow them without end); a sync from before then starts afresh.
func (s *Service) pruneTombstones(ctx context.Context) {
	ids, err := store.CalendarsWithTombstonesBefore(ctx, s.store.DB, s.now().Add(-tombstoneAge))
	for _, id := range ids {
		if err == nil {
			_, err = store.PruneTombstones(ctx, s.store.DB, id, s.now().Add(-tombstoneAge))
		}
	}
	if err != nil && ctx.Err() == nil {
		s.log.Error("calendar: pruning deletions", "err", err)
	}
}

// RefreshFeed fetches one of the user's feed calendars now and reports
// what changed; a failure is recorded on the calendar (and returned).
func (s *Service) RefreshFeed(ctx context.Context, userID, calendarID int64) (*ImportResult, error) {
	c, err := s.calendar(ctx, s.store.DB, userID, calendarID)
	if err != nil {
		return nil, err
	}
	if c.Source != store.CalendarFeed {
		return nil, apperr.Invalid("calendar", "only a feed calendar is refreshed")
	}
	res, err := s.refresh(ctx, calendarID)
	if err != nil {
		return nil, err
	}
	return res, nil
}

// errFeed is a refresh failure the calendar shows.
type errFeed struct{ msg string }

func (e *errFeed) Error() string { return e.msg }

// refresh fetches a feed and brings its copy up to date. The failure of
// the fetch or of the data is recorded on the calendar and returned as a
// 502 apperr; the copy stays as it was.
func (s *Service) refresh(ctx context.Context, id int64) (*ImportResult, error) {
	mu, _ := s.refreshing.LoadOrStore(id, &sync.Mutex{})
	mu.(*sync.Mutex).Lock()
	defer mu.(*sync.Mutex).Unlock()
	cal, err := store.CalendarByID(ctx, s.store.DB, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, apperr.NotFound("calendar")
	}
	if err != nil {
		return nil, err
	}
	now := s.now()
	state := store.FeedState{ETag: cal.FeedETag, LastModified: cal.FeedLastModified, CheckedAt: now, Interval: cal.FeedInterval}
	res, err := s.fetchInto(ctx, cal, &state)
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	if err != nil {
		var fe *errFeed
		if !errors.As(err, &fe) {
			return nil, err
		}
		state.Error = fe.msg
	} else {
		state.RefreshedAt = &now
	}
	cal.FeedInterval = state.Interval
	state.NextAt = now.Add(s.feedInterval(cal))
	if serr := store.SetFeedState(ctx, s.store.DB, id, state); serr != nil {
		if errors.Is(serr, store.ErrNotFound) {
			return nil, apperr.NotFound("calendar") // deleted meanwhile
		}
		return nil, serr
	}
	s.changed(cal.UserID, id, "feed")
	if state.Error != "" {
		return nil, apperr.New(502, "feed_failed", "the feed could not be refreshed: "+state.Error)
	}
	return res, nil
}

// fetchInto fetches cal's feed and writes it; errFeed is a failure to
// show on the calendar.
func (s *Service) fetchInto(ctx context.Context, cal *store.Calendar, state *store.FeedState) (*ImportResult, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, cal.FeedURL, nil)
	if err != nil {
		return nil, &errFeed{"the URL is not valid: " + err.Error()}
	}
	req.Header.Set("Accept", "text/calendar, */*;q=0.5")
	if cal.FeedETag != "" {
		req.Header.Set("If-None-Match", cal.FeedETag)
	}
	if cal.FeedLastModified != "" {
		req.Header.Set("If-Modified-Since", cal.FeedLastModified)
	}
	resp, err := s.d.Fetch(ctx, req)
	if err != nil {
		return nil, &errFeed{err.Error()}
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusNotModified {
		return &ImportResult{Errors: []ImportError{}}, nil
	}
	if resp.StatusCode != http.StatusOK {
		return nil, &errFeed{fmt.Sprintf("the server answered %s", resp.Status)}
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, s.d.FeedMaxBytes+1))
	if err != nil {
		return nil, &errFeed{"reading the feed: " + err.Error()}
	}
	if int64(len(data)) > s.d.FeedMaxBytes {
		return nil, &errFeed{fmt.Sprintf("the feed is larger than %d MiB", s.d.FeedMaxBytes>>20)}
	}
	cals, err := decodeICS(data)
	if err != nil {
		return nil, &errFeed{err.Error()}
	}
	groups, _ := groupEvents(cals)
	if len(groups) > s.d.FeedMaxEvents {
		return nil, &errFeed{fmt.Sprintf("the feed holds %d events; at most %d are kept", len(groups), s.d.FeedMaxEvents)}
	}
	var res *ImportResult
	err = s.store.WithTx(ctx, func(tx *sql.Tx) error {
		c, err := store.CalendarByID(ctx, tx, cal.ID)
		if err != nil {
			return err
		}
		res, err = s.upsert(ctx, tx, c, groups, true)
		return err
	})
	if err != nil {
		return nil, err
	}
	state.ETag, state.LastModified = resp.Header.Get("ETag"), resp.Header.Get("Last-Modified")
	state.Interval = feedTTL(cals)
	return res, nil
}

// feedTTL is the refresh interval a feed asks for, in seconds
// (REFRESH-INTERVAL, RFC 7986, or Microsoft's X-PUBLISHED-TTL); 0: none.
func feedTTL(cals []*ical.Calendar) int {
	for _, c := range cals {
		for _, name := range []string{ical.PropRefreshInterval, "X-PUBLISHED-TTL"} {
			if p := c.Props.Get(name); p != nil {
				p.Params.Del(ical.ParamValue)
				if d, err := p.Duration(); err == nil && d > 0 {
					return int(d / time.Second)
				}
			}
		}
	}
	return 0
}
