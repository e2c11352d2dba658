package auth

import (
	"runtime/debug"
	"sync"
	"time"
)

// argonReleaseAfter is how long the service waits after the last argon2
// run of a burst before handing its memory back to the operating system.
const argonReleaseAfter = time.Second

// argonMemory gives back the memory a burst of password hashes took. Each
// argon2id run allocates argon2_memory_kib (19 MiB by default); once they
// are done the Go runtime keeps those pages for reuse and returns them to
// the OS only slowly, so two sign-ins could leave an idle appliance at
// three times its resting size. On a small board that memory matters
// more than the millisecond a forced collection costs, once per burst.
type argonMemory struct {
	mu     sync.Mutex
	active int
	timer  *time.Timer
	// release is debug.FreeOSMemory; tests count the calls.
	release func()
}

func (m *argonMemory) start() {
	m.mu.Lock()
	m.active++
	if m.timer != nil {
		m.timer.Stop()
		m.timer = nil
	}
	m.mu.Unlock()
}

func (m *argonMemory) done() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.active--
	if m.active > 0 {
		return
	}
	if m.timer != nil {
		m.timer.Stop()
	}
	m.timer = time.AfterFunc(argonReleaseAfter, m.idle)
}

// idle runs when no hash has started for argonReleaseAfter.
func (m *argonMemory) idle() {
	m.mu.Lock()
	busy := m.active > 0
	m.timer = nil
	release := m.release
	m.mu.Unlock()
	if busy {
		return
	}
	if release == nil {
		release = debug.FreeOSMemory
	}
	release()
}
