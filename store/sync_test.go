package store

import (
	"context"
	"path/filepath"
	"testing"
	"time"
)

// synchronousOf reads PRAGMA synchronous on n connections held at once, so
// every connection of the pool is seen, not one reused n times.
func synchronousOf(t *testing.T, s *Store, n int) []int {
	t.Helper()
	ctx := context.Background()
	var out []int
	for range n {
		conn, err := s.DB.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		var v int
		if err := conn.QueryRowContext(ctx, "PRAGMA synchronous").Scan(&v); err != nil {
			t.Fatal(err)
		}
		out = append(out, v)
	}
	return out
}

// A Raspberry Pi's SD card loses power often: by default every commit is
// synced (FULL = 2), so an acknowledged write survives the cut.
func TestDefaultSynchronousIsFull(t *testing.T) {
	s, err := Open(filepath.Join(t.TempDir(), "aiwfe.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for i, v := range synchronousOf(t, s, 4) {
		if v != 2 {
			t.Errorf("connection %d: synchronous = %d, want 2 (FULL)", i, v)
		}
	}
}

func TestSynchronousOption(t *testing.T) {
	for _, tc := range []struct {
		opt  string
		want int
		bad  bool
	}{
		{"", 2, false},
		{SyncFull, 2, false},
		{SyncNormal, 1, false},
		{"off", 0, true},
		{"FULL); DROP TABLE users; --", 0, true},
	} {
		s, err := OpenWith(filepath.Join(t.TempDir(), "aiwfe.db"), Options{Synchronous: tc.opt})
		if tc.bad {
			if err == nil {
				s.Close()
				t.Errorf("%q: opened, want an error", tc.opt)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%q: %v", tc.opt, err)
		}
		for i, v := range synchronousOf(t, s, 3) {
			if v != tc.want {
				t.Errorf("%q: connection %d: synchronous = %d, want %d", tc.opt, i, v, tc.want)
			}
		}
		s.Close()
	}
}

// BenchmarkMessageInsert is the write-throughput cost of synchronous=FULL:
// one message insert, in its own transaction, as a chat exchange commits
// it, on a real database file in each mode. `make bench` prints it.
func BenchmarkMessageInsert(b *testing.B) {
	for _, mode := range []string{SyncFull, SyncNormal} {
		b.Run(mode, func(b *testing.B) {
			ctx := context.Background()
			s, err := OpenWith(filepath.Join(b.TempDir(), "aiwfe.db"), Options{Synchronous: mode})
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			if _, err := s.Migrate(ctx); err != nil {
				b.Fatal(err)
			}
			u, err := CreateUser(ctx, s.DB, NewUser{Email: "bench@example.test", PasswordHash: "x", Role: "user", Status: "active"}, time.Now())
			if err != nil {
				b.Fatal(err)
			}
			c := &Conversation{UserID: u.ID, Mode: "general"}
			if err := CreateConversation(ctx, s.DB, c, time.Now()); err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			start := time.Now()
			for range b.N {
				m := &Message{ConversationID: c.ID, Role: "user", Content: "a message of about the length people type into a chat"}
				if err := InsertMessage(ctx, s.DB, u.ID, m, time.Now()); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "writes/s")
		})
	}
}
