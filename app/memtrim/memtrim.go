// Package memtrim gives memory back to the operating system after a burst
// of work. The Go runtime keeps freed pages for reuse and returns them only
// slowly, so a burst (a few sign-ins hashing with argon2id, a folder of
// documents indexed) would leave an idle appliance at twice its resting
// size for minutes. On a small board that memory matters more than the
// millisecond a forced collection costs, once per burst.
package memtrim

import (
	"runtime/debug"
	"sync"
	"time"
)

// Burst tracks work in progress and, once none has run for After, calls
// Release once (debug.FreeOSMemory when nil). The zero Burst is not usable:
// set After.
type Burst struct {
	// After is the quiet time after the last piece of work.
	After time.Duration
	// Release gives the memory back; nil means debug.FreeOSMemory. Tests
	// count the calls.
	Release func()

	mu     sync.Mutex
	active int
	timer  *time.Timer
}

// Start marks a piece of work begun; a pending release waits for it.
func (b *Burst) Start() {
	b.mu.Lock()
	b.active++
	if b.timer != nil {
		b.timer.Stop()
		b.timer = nil
	}
	b.mu.Unlock()
}

// Done marks a piece of work finished; the last one arms the release.
func (b *Burst) Done() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.active--
	if b.active > 0 {
		return
	}
	if b.timer != nil {
		b.timer.Stop()
	}
	b.timer = time.AfterFunc(b.After, b.idle)
}

// Pending reports whether a release is armed (for tests).
func (b *Burst) Pending() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.timer != nil
}

// idle runs when no work has started for After.
func (b *Burst) idle() {
	b.mu.Lock()
	busy := b.active > 0
	b.timer = nil
	release := b.Release
	b.mu.Unlock()
	if busy {
		return
	}
	if release == nil {
		release = debug.FreeOSMemory
	}
	release()
}
