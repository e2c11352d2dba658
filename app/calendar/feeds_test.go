package calendar

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aiwfe/aiwfe/app/hub"
	"github.com/aiwfe/aiwfe/store"
)

// clock is a test clock the service reads.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func pollFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

const feedBody = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//x//EN\r\nX-PUBLISHED-TTL:PT1H\r\n" +
	"BEGIN:VEVENT\r\nUID:f1\r\nDTSTAMP:20260101T000000Z\r\nSUMMARY:Match\r\nDTSTART:20260401T100000Z\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"

// The background refresher fetches a new feed at once and again when its
// interval (here the feed's X-PUBLISHED-TTL) has passed, with
// If-Modified-Since from the last good copy; Close stops it.
func TestFeedRefresher(t *testing.T) {
	var gets, notModified atomic.Int64
	var lastIMS atomic.Value
	const modified = "Wed, 01 Apr 2026 08:00:00 GMT"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gets.Add(1)
		lastIMS.Store(r.Header.Get("If-Modified-Since"))
		if r.Header.Get("If-Modified-Since") == modified {
			notModified.Add(1)
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("Last-Modified", modified) // no ETag: the date is the validator
		w.Write([]byte(feedBody))
	}))
	defer srv.Close()
	clk := &clock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	h := hub.New(0)
	defer h.Close()
	f := newFixture(t, func(d *Deps) {
		d.Hub = h
		d.Now = clk.now
		d.NoRefresh = false
		d.Fetch = func(ctx context.Context, r *http.Request) (*http.Response, error) {
			return http.DefaultClient.Do(r.WithContext(ctx))
		}
	})
	u := f.user()
	sub := h.Subscribe(u, hub.Progress)
	c, err := f.svc.CreateCalendar(f.ctx, u, CalendarInput{Name: ptr("Club"), FeedURL: ptr(srv.URL + "/club.ics")})
	if err != nil {
		t.Fatal(err)
	}
	select { // the open calendar page hears of the refresh
	case ev := <-sub.Events():
		if got, ok := ev.Data.(Changed); !ok || got.CalendarID != c.ID || got.What != "feed" {
			t.Fatalf("event %+v", ev)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no event for the refresh")
	}
	pollFor(t, "the first fetch", func() bool {
		v, _ := f.svc.Calendar(f.ctx, u, c.ID)
		return v.Feed.RefreshedAt != nil
	})
	v, _ := f.svc.Calendar(f.ctx, u, c.ID)
	if v.Feed.IntervalSeconds != 3600 || v.Feed.NextAt == nil || !v.Feed.NextAt.Equal(clk.now().Add(time.Hour)) {
		t.Fatalf("after the first fetch: %+v", v.Feed)
	}
	if n := len(f.instances(u, "2026-04-01T00:00:00Z", "2026-04-02T00:00:00Z")); n != 1 {
		t.Fatalf("%d instances", n)
	}
	// Not due before its interval has passed.
	clk.add(59 * time.Minute)
	if due, err := store.DueFeeds(f.ctx, f.st.DB, clk.now(), 10); err != nil || len(due) != 0 {
		t.Fatalf("due after 59 minutes: %v %v", due, err)
	}
	clk.add(2 * time.Minute)
	f.svc.poke()
	pollFor(t, "the second fetch", func() bool { return notModified.Load() == 1 })
	if lastIMS.Load() != modified {
		t.Fatalf("If-Modified-Since %v", lastIMS.Load())
	}
	// Close returns only once the loop has ended (a second Close, the
	// fixture's, is harmless).
	f.svc.Close()
	if gets.Load() != 2 {
		t.Fatalf("fetched %d times", gets.Load())
	}
}

// A feed fetched again unchanged (a server without validators answers 200
// every time, often with a new DTSTAMP) changes nothing: same ETags, same
// seq, so CalDAV clients re-read nothing.
func TestFeedUnchangedKeepsETags(t *testing.T) {
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		stamp := fmt.Sprintf("DTSTAMP:20260101T0000%02dZ", n.Add(1))
		w.Write([]byte(strings.Replace(feedBody, "DTSTAMP:20260101T000000Z", stamp, 1)))
	}))
	defer srv.Close()
	f := newFixture(t, func(d *Deps) {
		d.Fetch = func(ctx context.Context, r *http.Request) (*http.Response, error) {
			return http.DefaultClient.Do(r.WithContext(ctx))
		}
	})
	u := f.user()
	c, err := f.svc.CreateCalendar(f.ctx, u, CalendarInput{Name: ptr("Club"), FeedURL: ptr(srv.URL)})
	if err != nil {
		t.Fatal(err)
	}
	if res, err := f.svc.RefreshFeed(f.ctx, u, c.ID); err != nil || res.Created != 1 {
		t.Fatalf("first: %+v %v", res, err)
	}
	before, _ := f.svc.Object(f.ctx, u, c.ID, "f1")
	res, err := f.svc.RefreshFeed(f.ctx, u, c.ID)
	if err != nil || res.Skipped != 1 || res.Updated != 0 {
		t.Fatalf("again: %+v %v", res, err)
	}
	after, _ := f.svc.Object(f.ctx, u, c.ID, "f1")
	cal, _ := f.svc.Calendar(f.ctx, u, c.ID)
	if after.ETag != before.ETag || after.Seq != before.Seq || cal.Seq != before.Seq || n.Load() != 2 {
		t.Fatalf("changed: %+v → %+v (calendar seq %d)", before, after, cal.Seq)
	}
}
