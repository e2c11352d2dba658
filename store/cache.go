package store

import (
	"sync/atomic"
	"time"

	"github.com/dgraph-io/ristretto/v2"
)

// Cache is the in-process cache that stands where other stacks run Redis:
// token revocations (backed by SQLite), WebAuthn ceremonies, hot rows.
type Cache interface {
	Get(key string) (any, bool)
	// Set stores value for ttl (0 = until evicted). It is visible to Get
	// when Set returns, unless the cache refused it (full, and its
	// admission policy preferred what it holds; or too busy): then Get
	// misses. So keep here only what a miss merely reads again; security
	// counters live in app/auth's bounded tables (counters.go).
	Set(key string, value any, ttl time.Duration)
	Delete(key string)
	Stats() CacheStats
	Close()
}

// CacheStats is what /health reports of the cache.
type CacheStats struct {
	Hits   uint64 `json:"hits"`
	Misses uint64 `json:"misses"`
	MaxMB  int    `json:"max_mb"`
}

type ristrettoCache struct {
	c      *ristretto.Cache[string, any]
	maxMB  int
	hits   atomic.Uint64
	misses atomic.Uint64
}

// NewCache builds a ristretto cache holding at most maxMB of entries (each
// entry costs 1 KiB in the accounting, which keeps sizing simple and safe).
func NewCache(maxMB int) (Cache, error) {
	items := int64(maxMB) * 1024
	c, err := ristretto.NewCache(&ristretto.Config[string, any]{
		NumCounters: items * 10,
		MaxCost:     items,
		BufferItems: 64,
	})
	if err != nil {
		return nil, err
	}
	return &ristrettoCache{c: c, maxMB: maxMB}, nil
}

func (r *ristrettoCache) Get(key string) (any, bool) {
	v, ok := r.c.Get(key)
	if ok {
		r.hits.Add(1)
	} else {
		r.misses.Add(1)
	}
	return v, ok
}

func (r *ristrettoCache) Set(key string, value any, ttl time.Duration) {
	// ristretto applies writes asynchronously; Wait makes them visible so
	// a revocation takes effect on the very next request.
	r.c.SetWithTTL(key, value, 1, ttl)
	r.c.Wait()
}

func (r *ristrettoCache) Delete(key string) {
	r.c.Del(key)
	r.c.Wait()
}

func (r *ristrettoCache) Stats() CacheStats {
	return CacheStats{Hits: r.hits.Load(), Misses: r.misses.Load(), MaxMB: r.maxMB}
}

func (r *ristrettoCache) Close() { r.c.Close() }
