// Package hub is the in-process, per-user publish/subscribe hub behind the
// WebSockets /ws/progress and /ws/notifications: a feature publishes an
// event for one user on one channel, and every live subscription of that
// user to that channel gets it. Modelled on PocketBase's
// tools/subscriptions/broker.go: a registry of clients and nothing more.
//
// Publishing never blocks. Each subscription has a bounded buffer; a
// subscriber that lets it fill up is dropped (its Events channel is closed
// and Dropped reports true), so one slow browser cannot hold up a model pull
// or the scheduler.
package hub

import (
	"slices"
	"sync"
)

// The channels features publish on.
const (
	// Progress carries job progress: model pulls, document ingestion, syncs.
	Progress = "progress"
	// Notifications carries things the user should be told about.
	Notifications = "notifications"
)

// DefaultBuffer is the number of events a subscription holds before it is
// considered too slow and dropped.
const DefaultBuffer = 256

// Event is one published event.
type Event struct {
	Channel string `json:"channel"`
	Data    any    `json:"data"`
}

// Hub routes events to subscriptions. The zero value is not usable; call New.
type Hub struct {
	mu     sync.RWMutex
	subs   map[int64]map[*Subscription]struct{}
	buffer int
	closed bool
}

// New returns a hub whose subscriptions buffer up to buffer events
// (DefaultBuffer when buffer <= 0).
func New(buffer int) *Hub {
	if buffer <= 0 {
		buffer = DefaultBuffer
	}
	return &Hub{subs: map[int64]map[*Subscription]struct{}{}, buffer: buffer}
}

// Subscription receives one user's events on some channels.
type Subscription struct {
	hub      *Hub
	userID   int64
	channels []string
	events   chan Event
	dropped  bool // guarded by hub.mu
	closed   bool // guarded by hub.mu
}

// Subscribe registers a subscription of userID to channels. Close it when
// done. On a closed hub the subscription starts closed.
func (h *Hub) Subscribe(userID int64, channels ...string) *Subscription {
	s := &Subscription{hub: h, userID: userID, channels: slices.Clone(channels), events: make(chan Event, h.buffer)}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		s.closed = true
		close(s.events)
		return s
	}
	m := h.subs[userID]
	if m == nil {
		m = map[*Subscription]struct{}{}
		h.subs[userID] = m
	}
	m[s] = struct{}{}
	return s
}

// Events delivers the events in publishing order; it is closed when the
// subscription is closed, dropped, or the hub shuts down.
func (s *Subscription) Events() <-chan Event { return s.events }

// Dropped reports whether the hub dropped this subscription for falling
// behind.
func (s *Subscription) Dropped() bool {
	s.hub.mu.RLock()
	defer s.hub.mu.RUnlock()
	return s.dropped
}

// Close unregisters the subscription. It is safe to call more than once.
func (s *Subscription) Close() {
	s.hub.mu.Lock()
	defer s.hub.mu.Unlock()
	s.hub.remove(s)
}

// remove must be called with h.mu held for writing.
func (h *Hub) remove(s *Subscription) {
	if s.closed {
		return
	}
	s.closed = true
	close(s.events)
	if m := h.subs[s.userID]; m != nil {
		delete(m, s)
		if len(m) == 0 {
			delete(h.subs, s.userID)
		}
	}
}

// Publish sends data on channel to every subscription of userID to it and
// reports how many got it. It never blocks: subscriptions whose buffer is
// full are dropped.
func (h *Hub) Publish(userID int64, channel string, data any) int {
	ev := Event{Channel: channel, Data: data}
	var slow []*Subscription
	delivered := 0
	h.mu.RLock()
	for s := range h.subs[userID] {
		if !slices.Contains(s.channels, channel) {
			continue
		}
		select {
		case s.events <- ev:
			delivered++
		default:
			slow = append(slow, s)
		}
	}
	h.mu.RUnlock()
	if len(slow) > 0 {
		h.mu.Lock()
		for _, s := range slow {
			if !s.closed {
				s.dropped = true
				h.remove(s)
			}
		}
		h.mu.Unlock()
	}
	return delivered
}

// Subscribers counts the live subscriptions of userID.
func (h *Hub) Subscribers(userID int64) int {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return len(h.subs[userID])
}

// Close ends every subscription; later subscriptions start closed and
// publishing delivers nothing.
func (h *Hub) Close() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.closed = true
	for _, m := range h.subs {
		for s := range m {
			h.remove(s)
		}
	}
}
