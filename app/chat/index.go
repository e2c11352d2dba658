package chat

import (
	"context"
	"sync"

	"github.com/aiwfe/aiwfe/store"
)

// indexer keeps the messages' full-text index current off the request
// path: a write that saves message text kicks it (never waiting), and one
// goroutine per service runs store.IndexPendingMessages, kicks arriving
// meanwhile coalescing into one more run. It also runs once when the
// service starts, for rows a crash left unindexed. Searches do not depend
// on it: they index whatever is still pending first (see store).
type indexer struct {
	store *store.Store
	kicks chan struct{} // capacity 1: one run owed at most
	done  chan struct{} // closed when the goroutine has ended

	mu      sync.Mutex
	idle    *sync.Cond
	pending bool // kicked since the last run began
	running bool
	stopped bool
}

func (s *Service) startIndexer() {
	x := &indexer{store: s.store, kicks: make(chan struct{}, 1), done: make(chan struct{})}
	x.idle = sync.NewCond(&x.mu)
	s.index = x
	x.kick()
	go x.loop(s.bg, s)
}

func (x *indexer) loop(ctx context.Context, s *Service) {
	defer close(x.done)
	for {
		select {
		case <-ctx.Done():
			x.mu.Lock()
			x.stopped, x.pending = true, false
			x.idle.Broadcast()
			x.mu.Unlock()
			return
		case <-x.kicks:
		}
		x.mu.Lock()
		x.pending, x.running = false, true
		x.mu.Unlock()
		n, err := store.IndexPendingMessages(ctx, x.store.DB)
		if err != nil && ctx.Err() == nil {
			s.log.Warn("chat: full-text indexing (searches index what is left)", "indexed", n, "err", err)
		}
		x.mu.Lock()
		x.running = false
		if !x.pending {
			x.idle.Broadcast()
		}
		x.mu.Unlock()
	}
}

// kick asks for a run without waiting for it.
func (x *indexer) kick() {
	if x == nil {
		return
	}
	x.mu.Lock()
	x.pending = true
	x.mu.Unlock()
	select {
	case x.kicks <- struct{}{}:
	default: // a run is owed already
	}
}

// wait blocks until no run is owed or running (or the indexer stopped).
func (x *indexer) wait() {
	if x == nil {
		return
	}
	x.mu.Lock()
	for (x.pending || x.running) && !x.stopped {
		x.idle.Wait()
	}
	x.mu.Unlock()
}

// end waits for the goroutine to end once the service's context is done.
func (x *indexer) end() {
	if x != nil {
		<-x.done
	}
}
