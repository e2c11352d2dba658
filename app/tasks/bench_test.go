package tasks_test

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aiwfe/aiwfe/app/tasks"
	"github.com/aiwfe/aiwfe/store"
)

// BenchmarkList10k: List latency over 10,000 tasks of one user (a tenth
// of them subtasks, most with a due, tags and a category) with the
// filters, sorts and searches the tasks page uses; p50 and p95 of 200
// calls each, through the service (the user's zone, the views).
func BenchmarkList10k(b *testing.B) {
	ctx := context.Background()
	f := newFixture(b, "Europe/Berlin")
	start := time.Now()
	cats := build10k(b, f)
	fmt.Printf("tasks list at 10k: built in %.1f s\n", time.Since(start).Seconds())
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		var all []time.Duration
		for _, q := range benchQueries(cats) {
			var lat []time.Duration
			for k := 0; k < 200; k++ {
				t0 := time.Now()
				page, err := f.a.Tasks.List(ctx, f.user, q.req)
				if err != nil {
					b.Fatal(err)
				}
				lat = append(lat, time.Since(t0))
				if k == 0 && page.Total == 0 {
					b.Fatalf("%s: no tasks match", q.name)
				}
			}
			all = append(all, lat...)
			p50, p95 := percentiles(lat)
			// min: the cost without other processes' interference, which a
			// shared machine's p95 mostly measures.
			fmt.Printf("tasks list at 10k, %-26s min %.2f ms  p50 %.2f ms  p95 %.2f ms\n", q.name, ms(slices.Min(lat)), ms(p50), ms(p95))
		}
		_, p95 := percentiles(all)
		fmt.Printf("tasks list at 10k, all filters together      p95 %.2f ms (target < 10 ms)\n", ms(p95))
		b.ReportMetric(ms(p95), "p95-ms")
	}
}

type benchQuery struct {
	name string
	req  tasks.ListRequest
}

func benchQueries(cats []int64) []benchQuery {
	cat := cats[2]
	open := []string{"todo", "in_progress"}
	none := int64(0)
	return []benchQuery{
		{"all by due", tasks.ListRequest{}},
		{"open by priority", tasks.ListRequest{Status: open, Sort: "priority"}},
		{"open top-level by position", tasks.ListRequest{Status: open, ParentID: &none, Sort: "position"}},
		{"category, open", tasks.ListRequest{CategoryID: &cat, Status: open}},
		{"tag", tasks.ListRequest{Tag: "tag7"}},
		{"overdue", tasks.ListRequest{Overdue: true}},
		{"due this week", tasks.ListRequest{DueAfter: "2026-12-02", DueBefore: "2026-12-09", Status: open}},
		{"search a common word", tasks.ListRequest{Query: "call"}},
		{"search a rarer word", tasks.ListRequest{Query: "passport"}},
		{"search two words, prefix", tasks.ListRequest{Query: "invoice rep"}},
		{"updated, page 20", tasks.ListRequest{Sort: "updated", Page: 20}},
	}
}

// build10k gives f's user 10,000 tasks in six categories; it returns the
// categories' ids.
func build10k(tb testing.TB, f *fixture) []int64 {
	const n = 10_000
	ctx := context.Background()
	now := time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC)
	f.now = now
	loc, _ := time.LoadLocation("Europe/Berlin")
	rng := rand.New(rand.NewSource(1))
	// Words with a Zipf-like spread, as in real titles and notes: a few
	// common ones ("call" is in about a third of the tasks) and a long
	// tail.
	words := strings.Fields(`call report invoice email plan review book pay renew clean fix write read order send prepare
		meeting garden car doctor dentist tax insurance passport flight hotel train budget project release draft slides`)
	for i := 0; len(words) < 3000; i++ {
		words = append(words, "w"+strconv.FormatInt(int64(i), 36)+string(rune('a'+i%26)))
	}
	zipf := rand.NewZipf(rng, 1.1, 2, uint64(len(words)-1))
	phrase := func(k int) string {
		w := make([]string, k)
		for i := range w {
			w[i] = words[zipf.Uint64()]
		}
		return strings.Join(w, " ")
	}
	var cats []int64
	err := f.a.Store.WithTx(ctx, func(tx *sql.Tx) error {
		for i := 0; i < 6; i++ {
			c := &store.TaskCategory{UserID: f.user, Name: "category " + strconv.Itoa(i), Weight: 1}
			if err := store.InsertTaskCategory(ctx, tx, c, now); err != nil {
				return err
			}
			cats = append(cats, c.ID)
		}
		var parents []int64
		statuses := []string{"todo", "todo", "todo", "in_progress", "done", "done", "cancelled"}
		for i := 0; i < n; i++ {
			t := &store.Task{UserID: f.user, Title: phrase(3 + rng.Intn(4)), Notes: phrase(rng.Intn(30)),
				Status: statuses[rng.Intn(len(statuses))], Priority: rng.Intn(5), Position: float64(i), Source: "manual", SourceRef: "{}"}
			if rng.Intn(10) < 7 {
				d := now.Add(time.Duration(rng.Intn(120*24)-60*24) * time.Hour).In(loc)
				if rng.Intn(2) == 0 {
					day := time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, loc)
					t.DueDate, d = day.Format(time.DateOnly), day
				}
				u := d.UTC()
				t.DueAt = &u
			}
			if rng.Intn(10) < 8 {
				t.CategoryID = &cats[rng.Intn(len(cats))]
			}
			for k := rng.Intn(3); k > 0; k-- {
				t.Tags = append(t.Tags, "tag"+strconv.Itoa(rng.Intn(20)))
			}
			if len(parents) > 0 && rng.Intn(10) == 0 {
				t.ParentID = &parents[rng.Intn(len(parents))]
			}
			if err := store.InsertTask(ctx, tx, t, now.Add(time.Duration(i)*time.Second)); err != nil {
				return err
			}
			if t.ParentID == nil && len(parents) < 2000 {
				parents = append(parents, t.ID)
			}
		}
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	return cats
}

func percentiles(d []time.Duration) (p50, p95 time.Duration) {
	s := append([]time.Duration(nil), d...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[len(s)/2], s[len(s)*95/100]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
