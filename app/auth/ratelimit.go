package auth

import (
	"context"
	"strconv"
	"sync"
	"time"

	"github.com/aiwfe/aiwfe/app/apperr"
	"github.com/aiwfe/aiwfe/app/config"
	"github.com/aiwfe/aiwfe/store"
)

// maxLockout caps the login backoff.
const maxLockout = time.Hour

// loginLimiter counts failed logins per account and per IP in the cache.
// Each counter is a small struct with its own lock, so concurrent logins
// see one consistent count; attempts in flight count against the limit, so
// twenty parallel guesses cannot all slip past a limit of five (the extra
// ones wait for the first to finish, then see the lockout).
type loginLimiter struct {
	cache  store.Cache
	now    func() time.Time
	window time.Duration
	maxAcc int
	maxIP  int

	mu sync.Mutex // serialises get-or-create of counters
}

type failCounter struct {
	mu          sync.Mutex
	fails       int
	pending     int
	first       time.Time
	lockedUntil time.Time
	// changed is closed and replaced whenever an attempt finishes, waking
	// attempts that wait for a slot.
	changed chan struct{}
}

func newLoginLimiter(c store.Cache, cfg config.Auth, now func() time.Time) *loginLimiter {
	return &loginLimiter{cache: c, now: now, window: cfg.FailureWindow.D(), maxAcc: cfg.MaxFailuresAccount, maxIP: cfg.MaxFailuresIP}
}

func (l *loginLimiter) counter(key string) *failCounter {
	l.mu.Lock()
	defer l.mu.Unlock()
	if v, ok := l.cache.Get(key); ok {
		return v.(*failCounter)
	}
	fc := &failCounter{changed: make(chan struct{})}
	l.cache.Set(key, fc, l.window+maxLockout)
	return fc
}

// backoff is the lockout after the n-th failure beyond the limit (n >= 0):
// one minute (or the window, if shorter), doubling, at most an hour.
func (l *loginLimiter) backoff(n int) time.Duration {
	d := min(time.Minute, l.window)
	for i := 0; i < n && d < maxLockout; i++ {
		d *= 2
	}
	return min(d, maxLockout)
}

// attempt is one login attempt holding a slot in its counters.
type attempt struct {
	l        *loginLimiter
	counters []*failCounter
	account  *failCounter
	maxes    []int
}

// begin reserves a slot for an attempt on email from ip, or answers 429
// with how long to wait.
func (l *loginLimiter) begin(ctx context.Context, email, ip string) (*attempt, error) {
	acc := l.counter("auth:fail:acct:" + email)
	a := &attempt{l: l, account: acc, counters: []*failCounter{acc}, maxes: []int{l.maxAcc}}
	if ip != "" {
		a.counters = append(a.counters, l.counter("auth:fail:ip:"+ip))
		a.maxes = append(a.maxes, l.maxIP)
	}
	for i, fc := range a.counters {
		if err := fc.reserve(ctx, l, a.maxes[i]); err != nil {
			for _, done := range a.counters[:i] {
				done.finish(l, false, false, 0)
			}
			return nil, err
		}
	}
	return a, nil
}

func (fc *failCounter) reserve(ctx context.Context, l *loginLimiter, max int) error {
	for {
		fc.mu.Lock()
		now := l.now()
		if !fc.lockedUntil.IsZero() && now.Before(fc.lockedUntil) {
			retry := fc.lockedUntil.Sub(now)
			fc.mu.Unlock()
			return apperr.TooMany("too many failed sign-in attempts; try again in "+retryText(retry), retry)
		}
		// Failures older than the window (and a lockout that ended more
		// than a window ago) are forgotten.
		if fc.fails > 0 && now.Sub(fc.first) > l.window && (fc.lockedUntil.IsZero() || now.Sub(fc.lockedUntil) > l.window) {
			fc.fails, fc.first, fc.lockedUntil = 0, time.Time{}, time.Time{}
		}
		if (fc.fails < max && fc.fails+fc.pending < max) || (fc.fails >= max && fc.pending == 0) {
			// Below the limit; or one attempt after a lockout ran out
			// (whose failure doubles the lockout).
			fc.pending++
			fc.mu.Unlock()
			return nil
		}
		wait := fc.changed
		fc.mu.Unlock()
		select {
		case <-wait:
		case <-ctx.Done():
			return apperr.TooMany("too many sign-in attempts at once", time.Second)
		}
	}
}

// finish releases the slot and records the outcome; clear resets the
// counter (a successful login clears its account's failures).
func (fc *failCounter) finish(l *loginLimiter, failed, clear bool, max int) {
	fc.mu.Lock()
	defer fc.mu.Unlock()
	fc.pending--
	now := l.now()
	switch {
	case clear:
		fc.fails, fc.first, fc.lockedUntil = 0, time.Time{}, time.Time{}
	case failed:
		if fc.fails == 0 {
			fc.first = now
		}
		fc.fails++
		if fc.fails >= max {
			fc.lockedUntil = now.Add(l.backoff(fc.fails - max))
		}
	}
	close(fc.changed)
	fc.changed = make(chan struct{})
}

// done ends the attempt: failed counts a wrong password everywhere; a
// success clears the account's counter (not the IP's).
func (a *attempt) done(failed bool) {
	for i, fc := range a.counters {
		fc.finish(a.l, failed, !failed && fc == a.account, a.maxes[i])
	}
}

func retryText(d time.Duration) string {
	s := int(d.Seconds() + 0.999)
	if s < 120 {
		return strconv.Itoa(s) + " seconds"
	}
	return strconv.Itoa((s+59)/60) + " minutes"
}

// apiLimiter is a token bucket per user: api_requests_per_minute, with
// bursts up to that many.
type apiLimiter struct {
	cache store.Cache
	now   func() time.Time
	rate  float64 // tokens per second
	burst float64
	mu    sync.Mutex
}

type bucket struct {
	mu     sync.Mutex
	tokens float64
	last   time.Time
}

func newAPILimiter(c store.Cache, perMinute int, now func() time.Time) *apiLimiter {
	return &apiLimiter{cache: c, now: now, rate: float64(perMinute) / 60, burst: float64(perMinute)}
}

func (l *apiLimiter) bucket(userID int64) *bucket {
	key := "auth:api:" + strconv.FormatInt(userID, 10)
	if v, ok := l.cache.Get(key); ok {
		return v.(*bucket)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if v, ok := l.cache.Get(key); ok {
		return v.(*bucket)
	}
	b := &bucket{tokens: l.burst, last: l.now()}
	l.cache.Set(key, b, 10*time.Minute)
	return b
}

// AllowAPI takes one request from the user's budget or answers 429 with
// Retry-After.
func (s *Service) AllowAPI(userID int64) error {
	l := s.api
	b := l.bucket(userID)
	b.mu.Lock()
	defer b.mu.Unlock()
	now := l.now()
	b.tokens = min(l.burst, b.tokens+now.Sub(b.last).Seconds()*l.rate)
	b.last = now
	if b.tokens < 1 {
		wait := time.Duration((1 - b.tokens) / l.rate * float64(time.Second))
		return apperr.TooMany("too many requests; slow down", max(wait, time.Second))
	}
	b.tokens--
	return nil
}
