package server_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aiwfe/aiwfe/app/calendar"
	"github.com/aiwfe/aiwfe/app/config"
	"github.com/aiwfe/aiwfe/app/server/servertest"
)

// BenchmarkCalDAVReport times the request a phone makes to sync a
// calendar: a CalDAV REPORT calendar-query over a year, answered with the
// ETag and calendar data of all 2,000 events in it (400 of them weekly
// series), through the real server on loopback with an app password.
//
//	go test ./app/server -run '^$' -bench BenchmarkCalDAVReport -benchtime 20x
func BenchmarkCalDAVReport(b *testing.B) {
	const events = 2000
	srv := servertest.Start(b, func(c *config.Config) { c.Auth.APIRequestsPerMin = 1 << 30 })
	u := srv.User(b, "user")
	secret := createAppPassword(b, u, "bench")
	var userID int64
	srv.App.Store.DB.QueryRow("SELECT id FROM users WHERE email = ?", u.Email).Scan(&userID)
	calID := davCalendar(b, srv, userID, "Busy")
	ctx := context.Background()
	seed := time.Now()
	for i := range events {
		start := time.Date(2026, 1, 1, 8, 0, 0, 0, time.UTC).Add(time.Duration(i) * 4 * time.Hour)
		extra := []string{"LOCATION:Room " + fmt.Sprint(i%17) + "\r\n", "DESCRIPTION:Agenda item " + fmt.Sprint(i) + "\r\n"}
		if i%5 == 0 {
			extra = append(extra, "RRULE:FREQ=WEEKLY;COUNT=10\r\n")
		}
		uid := fmt.Sprintf("bench-%04d", i)
		ics := eventICS(uid, fmt.Sprintf("Meeting %d", i), start.Format("20060102T150405Z"), extra...)
		if _, _, err := srv.App.Calendar.PutObject(ctx, userID, calID, uid, []byte(ics), calendar.PutOptions{}); err != nil {
			b.Fatal(err)
		}
	}
	seeded := time.Since(seed)
	path := fmt.Sprintf("/dav/%d/calendars/%d/", userID, calID)
	body := calendarQuery("20260101T000000Z", "20270101T000000Z")
	tr := &http.Transport{DisableCompression: true}
	defer tr.CloseIdleConnections()
	hc := &http.Client{Transport: tr, Timeout: time.Minute}
	report := func() (time.Duration, int) { return davReport(b, hc, srv.URL+path, u.Email, secret, body, events) }
	syncBody := syncCollection("", `<d:getetag/>`)
	initialSync := func() time.Duration {
		d, _ := davReport(b, hc, srv.URL+path, u.Email, secret, syncBody, events)
		return d
	}
	report() // warm
	times := make([]time.Duration, 0, b.N)
	size := 0
	b.ResetTimer()
	for range b.N {
		d, n := report()
		times = append(times, d)
		size = n
	}
	b.StopTimer()
	p50, p95 := percentiles(times)
	b.ReportMetric(p50, "p50-ms")
	b.ReportMetric(p95, "p95-ms")
	if b.N < 5 { // the framework's calibration round: too short to report
		return
	}
	// A phone's first WebDAV sync of the same calendar: every href and
	// ETag (the data follows by multiget).
	syncs := make([]time.Duration, 0, b.N)
	for range b.N {
		syncs = append(syncs, initialSync())
	}
	s50, s95 := percentiles(syncs)
	fmt.Fprintf(os.Stdout, "BENCH CalDAV REPORT calendar-query over a year, %d events (400 weekly series): %d requests, p50 %.1f ms, p95 %.1f ms, %.0f KiB answered | initial sync-collection (ETags): p50 %.1f ms, p95 %.1f ms | seeding %d events through the calendar service: %.1f s\n",
		events, b.N, p50, p95, float64(size)/1024, s50, s95, events, seeded.Seconds())
}

func percentiles(times []time.Duration) (p50, p95 float64) {
	sort.Slice(times, func(i, j int) bool { return times[i] < times[j] })
	p := func(q float64) float64 { return float64(times[int(q*float64(len(times)-1))].Microseconds()) / 1000 }
	return p(0.5), p(0.95)
}

// davReport sends one REPORT and checks it answered at least want
// objects.
func davReport(b *testing.B, hc *http.Client, url, user, pass, body string, want int) (time.Duration, int) {
	req, _ := http.NewRequest("REPORT", url, strings.NewReader(body))
	req.SetBasicAuth(user, pass)
	req.Header.Set("Content-Type", "application/xml")
	req.Header.Set("Depth", "1")
	t0 := time.Now()
	res, err := hc.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	out, _ := io.ReadAll(res.Body)
	res.Body.Close()
	d := time.Since(t0)
	if res.StatusCode != 207 {
		b.Fatalf("REPORT: %d %s", res.StatusCode, out)
	}
	if n := strings.Count(string(out), "<href"); n < want {
		b.Fatalf("REPORT answered %d objects, want %d", n, want)
	}
	return d, len(out)
}
