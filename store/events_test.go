package store

import (
	"context"
	"testing"
	"time"
)

func TestPruneEvents(t *testing.T) {
	now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name      string
		ages      []time.Duration // one row per age, oldest first
		maxAge    time.Duration
		keep      int
		wantKept  int
		wantFirst int // index into ages of the oldest row kept
	}{
		{"nothing to do", []time.Duration{3 * time.Hour, 2 * time.Hour, time.Hour}, 24 * time.Hour, 10, 3, 0},
		{"by age", []time.Duration{50 * time.Hour, 30 * time.Hour, 10 * time.Hour, time.Hour}, 24 * time.Hour, 10, 2, 2},
		{"by count", []time.Duration{4 * time.Hour, 3 * time.Hour, 2 * time.Hour, time.Hour}, 24 * time.Hour, 3, 3, 1},
		{"age and count, count stricter", []time.Duration{50 * time.Hour, 4 * time.Hour, 3 * time.Hour, 2 * time.Hour, time.Hour}, 24 * time.Hour, 2, 2, 3},
		{"age and count, age stricter", []time.Duration{50 * time.Hour, 40 * time.Hour, 3 * time.Hour}, 24 * time.Hour, 2, 1, 2},
		{"all old", []time.Duration{50 * time.Hour, 40 * time.Hour}, 24 * time.Hour, 10, 0, 0},
		{"empty table", nil, 24 * time.Hour, 10, 0, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := openTemp(t)
			ctx := context.Background()
			var ids []int64
			for _, age := range tc.ages {
				e := &SecurityEvent{Type: "login", CreatedAt: now.Add(-age)}
				if err := InsertEvent(ctx, s.DB, e); err != nil {
					t.Fatal(err)
				}
				ids = append(ids, e.ID)
			}
			n, err := PruneEvents(ctx, s.DB, now.Add(-tc.maxAge), tc.keep)
			if err != nil {
				t.Fatal(err)
			}
			_, total, err := ListEvents(ctx, s.DB, 0, 100, 0)
			if err != nil {
				t.Fatal(err)
			}
			if total != tc.wantKept || n != int64(len(tc.ages)-tc.wantKept) {
				t.Fatalf("kept %d (deleted %d), want %d", total, n, tc.wantKept)
			}
			if total > 0 {
				var oldest int64
				s.DB.QueryRow("SELECT MIN(id) FROM security_events").Scan(&oldest)
				if oldest != ids[tc.wantFirst] {
					t.Fatalf("oldest kept id %d, want %d", oldest, ids[tc.wantFirst])
				}
			}
		})
	}
}

// A backlog larger than one DELETE batch is cleared in one prune.
func TestPruneEventsBacklog(t *testing.T) {
	s := openTemp(t)
	ctx := context.Background()
	now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	tx, err := s.DB.Begin()
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < pruneBatch*2+500; i++ {
		if err := InsertEvent(ctx, tx, &SecurityEvent{Type: "login", CreatedAt: now}); err != nil {
			t.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	n, err := PruneEvents(ctx, s.DB, now.Add(-time.Hour), 100)
	if err != nil || n != pruneBatch*2+400 {
		t.Fatalf("deleted %d: %v", n, err)
	}
}
