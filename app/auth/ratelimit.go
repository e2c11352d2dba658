package auth

import (
	"context"
	"net/netip"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aiwfe/aiwfe/app/apperr"
	"github.com/aiwfe/aiwfe/app/config"
)

// maxLockout caps the login backoff.
const maxLockout = time.Hour

// loginLimiter counts failed sign-ins per client IP, per account from one
// IP, and per account from everywhere (a much higher ceiling, so that
// someone who knows an email cannot lock its owner out from their own
// IP). The counters live in bounded tables that never drop a write: the
// cache may refuse or evict an entry at any time, and a lockout that
// vanishes under cache pressure fails open.
//
// Each counter has its own lock, so concurrent logins see one consistent
// count; attempts in flight count against the limit, so twenty parallel
// guesses cannot all slip past a limit of five (the extra ones wait for
// the first to finish, then see the lockout).
type loginLimiter struct {
	now     func() time.Time
	window  time.Duration
	maxIP   int
	maxPair int
	maxAcc  int

	ips      *counterMap[*failCounter]
	pairs    *counterMap[*failCounter] // account and IP
	accounts *counterMap[*failCounter]
	// mfaFails counts wrong second-factor answers per MFA token.
	mfaFails *counterMap[*atomic.Int64]
	// begins counts unauthenticated passkey ceremonies per IP.
	begins *counterMap[*beginCounter]
	// noted remembers which refusals were recorded in the audit this
	// window: a locked-out client hammering away writes one row, not one
	// per request.
	noted *counterMap[*noteMark]
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

func newFailCounter() *failCounter { return &failCounter{changed: make(chan struct{})} }

type beginCounter struct {
	mu    sync.Mutex
	n     int
	start time.Time
}

type noteMark struct {
	mu sync.Mutex
	at time.Time
}

func newLoginLimiter(cfg config.Auth, now func() time.Time) *loginLimiter {
	window := cfg.FailureWindow.D()
	fails := func() *counterMap[*failCounter] {
		// A counter must outlive the longest lockout plus the window in
		// which its failures are remembered.
		return newCounterMap(maxCounters, window+maxLockout, now, newFailCounter)
	}
	return &loginLimiter{
		now: now, window: window,
		maxIP: cfg.MaxFailuresIP, maxPair: cfg.MaxFailuresAccount, maxAcc: cfg.MaxFailuresAcctAll,
		ips: fails(), pairs: fails(), accounts: fails(),
		mfaFails: newCounterMap(maxCounters, MFATokenTTL+time.Minute, now, func() *atomic.Int64 { return new(atomic.Int64) }),
		begins:   newCounterMap(maxCounters, 2*time.Minute, now, func() *beginCounter { return &beginCounter{} }),
		noted:    newCounterMap(maxCounters, window, now, func() *noteMark { return &noteMark{} }),
	}
}

// ipKey is the part of a client address that counts as one client: the
// address for IPv4, the /64 network for IPv6 (one host usually holds a
// whole /64, and would otherwise have 2^64 fresh counters).
func ipKey(ip string) string {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return ip
	}
	a = a.Unmap()
	if a.Is4() {
		return a.String()
	}
	p, _ := a.WithZone("").Prefix(64)
	return p.String()
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
	maxes    []int
	// clears is the counter a success resets: the account's failures from
	// this IP (the account-wide count runs out with its window, so a
	// distributed guesser gains nothing from the owner signing in).
	clears *failCounter
}

// begin reserves a slot for an attempt on email from ip, or answers 429
// with how long to wait.
func (l *loginLimiter) begin(ctx context.Context, email, ip string) (*attempt, error) {
	a, _, err := l.beginKeyed(ctx, email, ip)
	return a, err
}

// beginKeyed is begin that also names the counter that refused, so the
// audit can record one refusal per counter and window.
//
// The IP's counter is checked first, and the account's counters are made
// only once it passes: a client that is already locked out cannot fill the
// tables with counters for made-up accounts.
func (l *loginLimiter) beginKeyed(ctx context.Context, email, ip string) (*attempt, string, error) {
	a := &attempt{l: l}
	ik := ipKey(ip)
	if ip != "" {
		if err := a.reserve(ctx, l.ips, "ip:"+ik, l.maxIP); err != nil {
			return nil, "ip:" + ik, err
		}
	}
	pairKey := "pair:" + email + "\x00" + ik
	if err := a.reserve(ctx, l.pairs, pairKey, l.maxPair); err != nil {
		return nil, pairKey, err
	}
	a.clears = a.counters[len(a.counters)-1]
	if err := a.reserve(ctx, l.accounts, "acct:"+email, l.maxAcc); err != nil {
		return nil, "acct:" + email, err
	}
	return a, "", nil
}

// beginIP reserves a slot in the IP's counter only: for sign-ins that
// cannot be guessed (a passkey), which a password lockout of the account
// must not block.
func (l *loginLimiter) beginIP(ctx context.Context, ip string) (*attempt, string, error) {
	a := &attempt{l: l}
	if ip == "" {
		return a, "", nil
	}
	ik := ipKey(ip)
	if err := a.reserve(ctx, l.ips, "ip:"+ik, l.maxIP); err != nil {
		return nil, "ip:" + ik, err
	}
	return a, "", nil
}

// reserve takes a slot in key's counter; on refusal the slots already
// taken are given back.
func (a *attempt) reserve(ctx context.Context, m *counterMap[*failCounter], key string, max int) error {
	fc, _ := m.get(key)
	if err := fc.reserve(ctx, a.l, max); err != nil {
		for i, done := range a.counters {
			done.finish(a.l, false, false, a.maxes[i])
		}
		return err
	}
	a.counters = append(a.counters, fc)
	a.maxes = append(a.maxes, max)
	return nil
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
// counter.
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

// done ends the attempt: failed counts a failure in every counter; a
// success clears the account's counter for this IP.
func (a *attempt) done(failed bool) {
	for i, fc := range a.counters {
		fc.finish(a.l, failed, !failed && fc == a.clears, a.maxes[i])
	}
}

// firstInWindow reports whether a refusal under key is the first this
// window, and so worth a row in the audit.
func (l *loginLimiter) firstInWindow(key string) bool {
	mk, _ := l.noted.get(key)
	mk.mu.Lock()
	defer mk.mu.Unlock()
	now := l.now()
	if mk.at.IsZero() || now.Sub(mk.at) >= l.window {
		mk.at = now
		return true
	}
	return false
}

func retryText(d time.Duration) string {
	s := int(d.Seconds() + 0.999)
	if s < 120 {
		return strconv.Itoa(s) + " seconds"
	}
	return strconv.Itoa((s+59)/60) + " minutes"
}

// mfaFailures is the number of wrong answers given to an MFA token.
func (l *loginLimiter) mfaFailures(jti string) int {
	if n, ok := l.mfaFails.peek(jti); ok {
		return int(n.Load())
	}
	return 0
}

// mfaFailed counts one more wrong answer to an MFA token and returns the
// total.
func (l *loginLimiter) mfaFailed(jti string) int {
	n, _ := l.mfaFails.get(jti)
	return int(n.Add(1))
}

// beginsPerMinute bounds unauthenticated passkey ceremonies per IP: each
// holds a cache entry for CeremonyTTL.
const beginsPerMinute = 30

// allowBegin takes one unauthenticated passkey ceremony from the IP's
// budget.
func (l *loginLimiter) allowBegin(ip string) error {
	bc, _ := l.begins.get(ipKey(ip))
	bc.mu.Lock()
	defer bc.mu.Unlock()
	now := l.now()
	if bc.start.IsZero() || now.Sub(bc.start) >= time.Minute {
		bc.n, bc.start = 0, now
	}
	if bc.n >= beginsPerMinute {
		return apperr.TooMany("too many passkey sign-in attempts; wait a minute", bc.start.Add(time.Minute).Sub(now))
	}
	bc.n++
	return nil
}

// apiLimiter is a token bucket per user: api_requests_per_minute, with
// bursts up to that many. Buckets live in a table that never drops them
// (see counterMap): a bucket lost to cache pressure would be a full one.
type apiLimiter struct {
	now     func() time.Time
	rate    float64 // tokens per second
	burst   float64
	buckets *counterMap[*bucket]
}

type bucket struct {
	mu     sync.Mutex
	tokens float64
	last   time.Time
}

func newAPILimiter(perMinute int, now func() time.Time) *apiLimiter {
	l := &apiLimiter{now: now, rate: float64(perMinute) / 60, burst: float64(perMinute)}
	// A bucket idle for ten minutes is full again anyway, whatever the rate.
	l.buckets = newCounterMap(maxCounters, 10*time.Minute, now, func() *bucket { return &bucket{tokens: l.burst, last: now()} })
	return l
}

// AllowAPI takes one request from the user's budget or answers 429 with
// Retry-After.
func (s *Service) AllowAPI(userID int64) error {
	return s.api.allow(strconv.FormatInt(userID, 10), "too many requests; slow down")
}

func (l *apiLimiter) allow(key, msg string) error {
	b, _ := l.buckets.get(key)
	b.mu.Lock()
	defer b.mu.Unlock()
	now := l.now()
	b.tokens = min(l.burst, b.tokens+now.Sub(b.last).Seconds()*l.rate)
	b.last = now
	if b.tokens < 1 {
		wait := time.Duration((1 - b.tokens) / l.rate * float64(time.Second))
		return apperr.TooMany(msg, max(wait, time.Second))
	}
	b.tokens--
	return nil
}

// Limiter is the per-user API limit's token bucket for a feature's own
// budget (web searches): perMinute a minute, in bursts up to as many.
type Limiter struct {
	l   *apiLimiter
	msg string
}

// NewLimiter builds a limiter; msg is the 429's message.
func NewLimiter(perMinute int, now func() time.Time, msg string) *Limiter {
	return &Limiter{l: newAPILimiter(perMinute, now), msg: msg}
}

// Allow takes one from key's budget, or answers 429 with Retry-After.
func (l *Limiter) Allow(key string) error { return l.l.allow(key, l.msg) }
