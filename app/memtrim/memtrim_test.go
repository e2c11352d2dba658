package memtrim

import (
	"sync"
	"testing"
	"time"
)

func counting(after time.Duration) (*Burst, chan struct{}) {
	released := make(chan struct{}, 10)
	return &Burst{After: after, Release: func() { released <- struct{}{} }}, released
}

func waitRelease(t *testing.T, released chan struct{}) {
	t.Helper()
	select {
	case <-released:
	case <-time.After(10 * time.Second):
		t.Fatal("no release")
	}
}

// Overlapping work is one burst: one release, after the last piece.
func TestOneReleasePerBurst(t *testing.T) {
	b, released := counting(20 * time.Millisecond)
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		b.Start()
		wg.Add(1)
		go func() {
			defer wg.Done()
			time.Sleep(time.Millisecond)
			b.Done()
		}()
	}
	wg.Wait()
	waitRelease(t, released)
	if b.Pending() || len(released) != 0 {
		t.Fatal("more than one release for one burst")
	}
}

// Work that starts in the quiet time cancels the armed release; the
// release comes after that work instead, never while it runs.
func TestWorkInQuietTimePostponesRelease(t *testing.T) {
	b, released := counting(time.Hour)
	b.Start()
	b.Done()
	if !b.Pending() {
		t.Fatal("no release armed after the work")
	}
	b.Start()
	if b.Pending() {
		t.Fatal("the release stayed armed while work runs")
	}
	b.After = 10 * time.Millisecond
	b.Done()
	waitRelease(t, released)
	if len(released) != 0 {
		t.Fatal("released twice")
	}
}
