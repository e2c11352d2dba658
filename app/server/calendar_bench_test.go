package server_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"sort"
	"testing"
	"time"

	"github.com/aiwfe/aiwfe/app/calendar"
	"github.com/aiwfe/aiwfe/app/config"
	"github.com/aiwfe/aiwfe/app/server/servertest"
)

// BenchmarkCalendarMonthViewHTTP is the month view as the browser gets
// it: GET /api/v1/calendar/events for six weeks of 500 recurring series
// begun a year before (expansion, JSON, the real server on loopback), one
// request at a time. Reports p50 and p95 and the size of the answer.
//
//	go test ./app/server -run '^$' -bench BenchmarkCalendarMonthViewHTTP -benchtime 100x
func BenchmarkCalendarMonthViewHTTP(b *testing.B) {
	srv := servertest.Start(b, func(c *config.Config) { c.Auth.APIRequestsPerMin = 1 << 30 })
	u := srv.User(b, "user")
	token := u.Cookie("/", "access_token")
	var me struct{ ID int64 }
	u.Get("/api/v1/profile").JSON(b, &me)
	uid := me.ID
	ctx := context.Background()
	svc := srv.App.Calendar
	rules := []string{"FREQ=DAILY", "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR", "FREQ=WEEKLY", "FREQ=WEEKLY;INTERVAL=2;BYDAY=TU,TH",
		"FREQ=MONTHLY;BYMONTHDAY=15", "FREQ=MONTHLY;BYDAY=-1FR", "FREQ=YEARLY", "FREQ=DAILY;INTERVAL=3"}
	var cals []int64
	for _, tz := range []string{"Europe/Berlin", "America/New_York", "UTC"} {
		c, err := svc.CreateCalendar(ctx, uid, calendar.CalendarInput{Name: ptrTo("Cal " + tz), Timezone: ptrTo(tz)})
		if err != nil {
			b.Fatal(err)
		}
		cals = append(cals, c.ID)
	}
	first := time.Date(2025, 11, 3, 0, 0, 0, 0, time.UTC)
	for i := 0; i < 500; i++ {
		start := first.AddDate(0, 0, i%28).Add(time.Duration(7+i%10) * time.Hour)
		if _, err := svc.CreateEvent(ctx, uid, calendar.EventInput{CalendarID: &cals[i%3], Title: ptrTo(fmt.Sprintf("Series %d", i)),
			Start: ptrTo(start.Format("2006-01-02T15:04")), RRule: ptrTo(rules[i%len(rules)])}); err != nil {
			b.Fatal(err)
		}
	}
	hc := &http.Client{}
	url := srv.URL + "/api/v1/calendar/events?from=2026-10-26T00:00:00Z&to=2026-12-07T00:00:00Z"
	get := func() int {
		r, _ := http.NewRequest("GET", url, nil)
		r.Header.Set("Authorization", "Bearer "+token)
		res, err := hc.Do(r)
		if err != nil {
			b.Fatal(err)
		}
		n, _ := io.Copy(io.Discard, res.Body)
		res.Body.Close()
		if res.StatusCode != 200 {
			b.Fatalf("status %d", res.StatusCode)
		}
		return int(n)
	}
	size := get()
	times := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		get()
		times = append(times, time.Since(t0))
	}
	b.StopTimer()
	sort.Slice(times, func(i, j int) bool { return times[i] < times[j] })
	b.ReportMetric(float64(size)/1024, "KiB")
	b.ReportMetric(float64(times[len(times)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(times[len(times)*95/100].Microseconds())/1000, "p95-ms")
}

func ptrTo[T any](v T) *T { return &v }
