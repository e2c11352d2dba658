package auth

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/aiwfe/aiwfe/app/config"
)

// An unknown email costs what a known one costs: one argon2id run, with
// the account's parameters, inside the concurrency gate. (Counting the
// work cannot flake the way a stopwatch does on a loaded machine; the
// stopwatch check is TestLoginTimingUnknownEmail in app/server.)
func TestUnknownEmailCostsOneArgon2Run(t *testing.T) {
	s, _ := newService(t)
	ctx := context.Background()
	if _, err := s.Register(ctx, "known@example.com", "correct horse battery", Client{}); err != nil {
		t.Fatal(err)
	}
	type run struct {
		time, memory uint32
		threads      uint8
		gated        bool
	}
	var mu sync.Mutex
	var runs []run
	orig := argon2IDKey
	t.Cleanup(func() { argon2IDKey = orig })
	argon2IDKey = func(pw, salt []byte, time, memory uint32, threads uint8, keyLen uint32) []byte {
		mu.Lock()
		runs = append(runs, run{time, memory, threads, len(s.argonSlots) > 0})
		mu.Unlock()
		return orig(pw, salt, time, memory, threads, keyLen)
	}
	attempt := func(email string) []run {
		mu.Lock()
		runs = nil
		mu.Unlock()
		if _, err := s.Login(ctx, email, "wrong password!", Client{IP: "10.0.0.1"}); err != ErrBadCredentials {
			t.Fatalf("%s: %v", email, err)
		}
		mu.Lock()
		defer mu.Unlock()
		return runs
	}
	// The first unknown email is the one that used to pay for making the
	// dummy hash too.
	unknown, known := attempt("first-unknown@example.com"), attempt("known@example.com")
	if len(known) != 1 || !known[0].gated {
		t.Fatalf("known email: %+v", known)
	}
	if fmt.Sprint(unknown) != fmt.Sprint(known) {
		t.Fatalf("unknown email ran argon2 %+v, known %+v", unknown, known)
	}
}

func TestCounterMap(t *testing.T) {
	clk := &clock{t: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	made := 0
	m := newCounterMap(3, time.Minute, clk.Now, func() *int { made++; v := made; return &v })

	a, created := m.get("a")
	if !created || *a != 1 {
		t.Fatalf("a: %d %v", *a, created)
	}
	if again, created := m.get("a"); created || again != a {
		t.Fatal("a second get made a new counter")
	}
	m.get("b")
	m.get("c")
	m.get("a") // a is now the most recently used
	m.get("d") // full: b, the least recently used, goes
	if _, ok := m.peek("b"); ok {
		t.Fatal("b should have been evicted")
	}
	for _, k := range []string{"a", "c", "d"} {
		if _, ok := m.peek(k); !ok {
			t.Fatalf("%s was evicted", k)
		}
	}
	if m.len() != 3 {
		t.Fatalf("len %d", m.len())
	}
	// Expiry: a minute after last use.
	clk.Advance(59 * time.Second)
	m.get("a")
	clk.Advance(2 * time.Second)
	if _, ok := m.peek("c"); ok {
		t.Fatal("c outlived its ttl")
	}
	if _, ok := m.peek("a"); !ok {
		t.Fatal("a expired although used 2 s ago")
	}
	if n, created := m.get("c"); !created || *n == 3 {
		t.Fatal("an expired counter came back")
	}
}

// The IP's counter is checked before any account counter is made: a
// locked-out client cannot fill the tables with made-up accounts.
func TestLockedIPMakesNoAccountCounters(t *testing.T) {
	s, _ := newService(t, func(c *config.Config) { c.Auth.MaxFailuresIP = 3 })
	ctx := context.Background()
	for i := 0; i < 50; i++ {
		s.Login(ctx, fmt.Sprintf("u%d@example.com", i), "wrong password!", Client{IP: "10.0.0.9"})
	}
	if n := s.logins.accounts.len(); n != 3 {
		t.Fatalf("%d account counters after a locked-out client tried 50 accounts, want 3", n)
	}
	if n := s.logins.pairs.len(); n != 3 {
		t.Fatalf("%d account+IP counters, want 3", n)
	}
}

func TestIPKey(t *testing.T) {
	for in, want := range map[string]string{
		"192.0.2.7":            "192.0.2.7",
		"::ffff:192.0.2.7":     "192.0.2.7",
		"2001:db8:1:2:3:4:5:6": "2001:db8:1:2::/64",
		"2001:db8:1:2:ffff::1": "2001:db8:1:2::/64",
		"fe80::1%eth0":         "fe80::/64",
		"not an address":       "not an address",
		"2001:db8:1:3:3:4:5:6": "2001:db8:1:3::/64",
	} {
		if got := ipKey(in); got != want {
			t.Errorf("ipKey(%q) = %q, want %q", in, got, want)
		}
	}
}

// A burst of hashes gives its memory back once, after the last one.
func TestArgonMemoryReleasedAfterBurst(t *testing.T) {
	s, _ := newService(t)
	released := make(chan struct{}, 10)
	s.argonMem.Release = func() { released <- struct{}{} }
	var wg sync.WaitGroup
	for i := 0; i < 6; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.verify(context.Background(), "a password", s.dummy())
		}()
	}
	wg.Wait()
	select {
	case <-released:
	case <-time.After(10 * time.Second):
		t.Fatal("the memory of a burst of hashes was not released")
	}
	if s.argonMem.Pending() || len(released) != 0 {
		t.Fatal("more than one release for one burst")
	}
}
