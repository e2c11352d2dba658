package hub

import (
	"sync"
	"testing"
	"time"
)

func TestPublishReachesOnlyThatUsersChannel(t *testing.T) {
	h := New(8)
	a := h.Subscribe(1, Progress)
	b := h.Subscribe(1, Notifications)
	c := h.Subscribe(2, Progress, Notifications)
	defer a.Close()
	defer b.Close()
	defer c.Close()

	if n := h.Publish(1, Progress, "p"); n != 1 {
		t.Fatalf("delivered to %d, want 1", n)
	}
	if ev := <-a.Events(); ev.Channel != Progress || ev.Data != "p" {
		t.Fatalf("got %+v", ev)
	}
	select {
	case ev := <-b.Events():
		t.Fatalf("notifications subscriber got %+v", ev)
	case ev := <-c.Events():
		t.Fatalf("other user got %+v", ev)
	default:
	}
	if h.Publish(3, Progress, "nobody") != 0 {
		t.Fatal("delivered to nobody")
	}
}

func TestSlowSubscriberIsDroppedWithoutBlocking(t *testing.T) {
	h := New(4)
	slow := h.Subscribe(1, Progress)
	fast := h.Subscribe(1, Progress)
	var got []any
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for ev := range fast.Events() {
			got = append(got, ev.Data)
			if len(got) == 100 {
				return
			}
		}
	}()
	done := make(chan struct{})
	go func() {
		for i := range 100 {
			h.Publish(1, Progress, i)
			// Let the fast reader keep up; the slow one never reads.
			for len(fast.events) > 2 {
				time.Sleep(time.Microsecond)
			}
		}
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("publisher blocked")
	}
	wg.Wait()
	if !slow.Dropped() {
		t.Fatal("slow subscriber not dropped")
	}
	n := 0
	for range slow.Events() { // closed after the buffered events
		n++
	}
	if n != 4 {
		t.Errorf("slow subscriber kept %d events, want its buffer of 4", n)
	}
	if len(got) != 100 || fast.Dropped() {
		t.Errorf("fast subscriber got %d events, dropped=%v", len(got), fast.Dropped())
	}
	fast.Close()
	if h.Subscribers(1) != 0 {
		t.Errorf("%d subscribers left", h.Subscribers(1))
	}
}

func TestCloseIsIdempotentAndHubCloseEndsAll(t *testing.T) {
	h := New(1)
	s := h.Subscribe(1, Progress)
	s.Close()
	s.Close()
	s2 := h.Subscribe(1, Progress)
	h.Close()
	if _, ok := <-s2.Events(); ok {
		t.Fatal("events open after hub close")
	}
	s3 := h.Subscribe(1, Progress)
	if _, ok := <-s3.Events(); ok {
		t.Fatal("subscription on a closed hub is open")
	}
	s2.Close()
	if h.Publish(1, Progress, 1) != 0 {
		t.Fatal("published on a closed hub")
	}
}

// Under concurrent subscribing, publishing and closing, a subscription
// gets its own user's events only, in publishing order, and either the
// event published right after it subscribed or a drop; closed ones leave
// nothing registered.
func TestConcurrentPublishSubscribe(t *testing.T) {
	type event struct{ user, seq int }
	h := New(16)
	var wg sync.WaitGroup
	for u := range 8 {
		wg.Add(2)
		go func() {
			defer wg.Done()
			for round := range 200 {
				s := h.Subscribe(int64(u), Progress)
				own := h.Publish(int64(u), Progress, event{u, -1})
				s.Close()
				gotOwn, last := false, -1
				for ev := range s.Events() { // closed: what was buffered
					e := ev.Data.(event)
					switch {
					case e.user != u:
						t.Errorf("user %d got user %d's event", u, e.user)
					case e.seq == -1:
						gotOwn = true
					case e.seq <= last:
						t.Errorf("user %d round %d: event %d after %d", u, round, e.seq, last)
					default:
						last = e.seq
					}
				}
				if gotOwn != (own == 1) || (own == 0 && !s.Dropped()) {
					t.Errorf("user %d round %d: own event delivered to %d, received %v, dropped %v", u, round, own, gotOwn, s.Dropped())
				}
			}
		}()
		go func() {
			defer wg.Done()
			for i := range 200 {
				h.Publish(int64(u), Progress, event{u, i})
			}
		}()
	}
	wg.Wait()
	for u := range 8 {
		if n := h.Subscribers(int64(u)); n != 0 {
			t.Errorf("user %d: %d subscriptions left registered", u, n)
		}
	}
}
