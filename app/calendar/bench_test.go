package calendar

import (
	"fmt"
	"sort"
	"syscall"
	"testing"
	"time"
)

// BenchmarkMonthView expands the month view (six weeks) of a user with
// 500 recurring series that began a year earlier: daily, weekday, weekly,
// fortnightly, monthly and yearly rules in three zones, with exceptions
// and moved instances, read from a real SQLite file. It reports the p50
// and p95 of one Instances call (target: p95 under 20 ms).
//
//	go test ./app/calendar -run '^$' -bench BenchmarkMonthView -benchtime 200x
func BenchmarkMonthView(b *testing.B) {
	f := newFixture(&testing.T{})
	b.Cleanup(func() { f.svc.Close(); f.st.Close() })
	u := f.user()
	cals := []int64{f.calendar(u, "Europe/Berlin"), f.calendar(u, "America/New_York"), f.calendar(u, "UTC")}
	zones := []string{"Europe/Berlin", "America/New_York", "UTC"}
	rules := []string{"FREQ=DAILY", "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR", "FREQ=WEEKLY", "FREQ=WEEKLY;INTERVAL=2;BYDAY=TU,TH",
		"FREQ=MONTHLY;BYMONTHDAY=15", "FREQ=MONTHLY;BYDAY=-1FR", "FREQ=YEARLY", "FREQ=DAILY;INTERVAL=3"}
	first := time.Date(2025, 11, 3, 0, 0, 0, 0, time.UTC)
	for i := 0; i < 500; i++ {
		start := first.AddDate(0, 0, i%28).Add(time.Duration(7+i%10) * time.Hour)
		in := EventInput{CalendarID: &cals[i%3], Title: ptr(fmt.Sprintf("Series %d", i)), Start: ptr(start.Format("2006-01-02T15:04")),
			Timezone: ptr(zones[i%3]), RRule: ptr(rules[i%len(rules)])}
		if i%5 == 0 {
			in.ExDates = &[]string{start.AddDate(0, 0, 14).Format("2006-01-02T15:04")}
		}
		ev, err := f.svc.CreateEvent(f.ctx, u, in)
		if err != nil {
			b.Fatal(err)
		}
		if i%7 == 0 { // move one instance in the viewed month
			is, err := f.svc.Instances(f.ctx, u, InstancesRequest{From: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), To: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC), CalendarIDs: []int64{ev.CalendarID}})
			if err != nil {
				b.Fatal(err)
			}
			for _, x := range is {
				if x.EventID == ev.ID {
					if _, err := f.svc.UpdateEvent(f.ctx, u, ev.ID, Change{Scope: ScopeThis, RecurrenceID: x.RecurrenceID}, EventInput{Title: ptr("moved")}); err != nil {
						b.Fatal(err)
					}
					break
				}
			}
		}
	}
	// The month view of November 2026: Monday 26 October to Monday 7 December.
	req := InstancesRequest{From: time.Date(2026, 10, 26, 0, 0, 0, 0, time.UTC), To: time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC)}
	var n int
	times := make([]time.Duration, 0, b.N)
	cpu0 := cpuTime()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		is, err := f.svc.Instances(f.ctx, u, req)
		if err != nil {
			b.Fatal(err)
		}
		times = append(times, time.Since(t0))
		n = len(is)
	}
	b.StopTimer()
	// CPU time per call (GC included) says what the machine spends when
	// other work competes for it and wall times stretch.
	b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/1000/float64(b.N), "cpu-ms/op")
	sort.Slice(times, func(i, j int) bool { return times[i] < times[j] })
	b.ReportMetric(float64(n), "instances")
	b.ReportMetric(float64(times[0].Microseconds())/1000, "min-ms")
	b.ReportMetric(float64(times[len(times)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(times[len(times)*95/100].Microseconds())/1000, "p95-ms")
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
