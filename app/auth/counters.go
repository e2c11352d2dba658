package auth

import (
	"container/list"
	"sync"
	"time"
)

// maxCounters bounds each table of security counters. An entry costs a
// few hundred bytes, so a full table is some tens of MB: the worst case
// under a flood of distinct keys, not the usual size.
const maxCounters = 1 << 16

// counterMap holds security counters (login failures, API buckets, MFA
// wrong answers). Unlike the cache, it never drops a write: an entry stays
// until ttl has passed since it was last used, or until the table is full
// and it is the least recently used one. A counter that is being hammered
// is always recent, so a flood of new keys evicts idle entries first.
type counterMap[V any] struct {
	mu    sync.Mutex
	max   int
	ttl   time.Duration
	now   func() time.Time
	newV  func() V
	items map[string]*list.Element
	lru   list.List // of *counterEntry[V], least recently used at the front
}

type counterEntry[V any] struct {
	key     string
	v       V
	expires time.Time
}

func newCounterMap[V any](max int, ttl time.Duration, now func() time.Time, newV func() V) *counterMap[V] {
	return &counterMap[V]{max: max, ttl: ttl, now: now, newV: newV, items: map[string]*list.Element{}}
}

// get returns key's counter, making it when there is none (created says
// so), and marks it used.
func (m *counterMap[V]) get(key string) (v V, created bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	if el, ok := m.items[key]; ok {
		e := el.Value.(*counterEntry[V])
		if now.Before(e.expires) {
			e.expires = now.Add(m.ttl)
			m.lru.MoveToBack(el)
			return e.v, false
		}
		m.remove(el)
	}
	m.sweep(now)
	for len(m.items) >= m.max {
		m.remove(m.lru.Front())
	}
	e := &counterEntry[V]{key: key, v: m.newV(), expires: now.Add(m.ttl)}
	m.items[key] = m.lru.PushBack(e)
	return e.v, true
}

// peek returns key's counter without making or touching it.
func (m *counterMap[V]) peek(key string) (V, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if el, ok := m.items[key]; ok {
		if e := el.Value.(*counterEntry[V]); m.now().Before(e.expires) {
			return e.v, true
		}
	}
	var zero V
	return zero, false
}

func (m *counterMap[V]) len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.items)
}

// sweep drops expired entries. Every entry lives ttl after its last use,
// so the least recently used expire first: only the front is looked at.
func (m *counterMap[V]) sweep(now time.Time) {
	for el := m.lru.Front(); el != nil && !now.Before(el.Value.(*counterEntry[V]).expires); el = m.lru.Front() {
		m.remove(el)
	}
}

func (m *counterMap[V]) remove(el *list.Element) {
	delete(m.items, el.Value.(*counterEntry[V]).key)
	m.lru.Remove(el)
}
