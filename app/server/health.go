package server

import (
	"context"
	"strings"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/aiwfe/aiwfe/app"
)

// Check is one dependency's state in /health.
type Check struct {
	Status    string  `json:"status"` // ok | degraded | down | disabled
	LatencyMs float64 `json:"latency_ms,omitempty"`
	Error     string  `json:"error,omitempty"`
	Detail    any     `json:"detail,omitempty"`
}

// Checker reports one dependency; slow ones are cached by the probe.
type Checker func(ctx context.Context) Check

// healthProbe answers /health. The database is checked on every request
// (it decides 200 vs 503 and costs microseconds); slower dependencies such as
// Ollama are checked in the background and their last answer served, so
// /health stays cheap under load and never waits on a dead peer.
type healthProbe struct {
	app *app.App

	mu     sync.RWMutex
	slow   map[string]Checker
	cached map[string]Check

	// The database answer is reused for dbFresh: a load balancer polling
	// /health thousands of times a second then costs one query per window,
	// and at ordinary rates every request still checks afresh.
	dbMu      sync.Mutex
	dbChecked time.Time
	dbLast    Check
}

const dbFresh = 250 * time.Millisecond

func (h *healthProbe) database(ctx context.Context) Check {
	h.dbMu.Lock()
	defer h.dbMu.Unlock()
	if time.Since(h.dbChecked) < dbFresh {
		return h.dbLast
	}
	start := time.Now()
	dctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	err := h.app.Store.Ping(dctx)
	cancel()
	c := Check{Status: "ok", LatencyMs: ms(time.Since(start))}
	if err != nil {
		c = Check{Status: "down", Error: err.Error()}
	}
	h.dbLast, h.dbChecked = c, time.Now()
	return c
}

func newHealthProbe(a *app.App) *healthProbe {
	return &healthProbe{app: a, slow: map[string]Checker{}, cached: map[string]Check{}}
}

// AddBackground registers a dependency checked every interval.
func (h *healthProbe) AddBackground(ctx context.Context, name string, every time.Duration, fn Checker) {
	h.mu.Lock()
	h.slow[name] = fn
	h.cached[name] = Check{Status: "unknown"}
	h.mu.Unlock()
	run := func() {
		cctx, cancel := context.WithTimeout(ctx, 3*time.Second)
		c := fn(cctx)
		cancel()
		h.mu.Lock()
		h.cached[name] = c
		h.mu.Unlock()
	}
	go func() {
		run()
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				run()
			}
		}
	}()
}

type healthBody struct {
	Status  string           `json:"status"`
	Version string           `json:"version"`
	Uptime  float64          `json:"uptime_seconds"`
	Checks  map[string]Check `json:"checks"`
	Demo    bool             `json:"demo,omitempty"`
}

func (h *healthProbe) report(ctx context.Context, since time.Time) (int, healthBody) {
	body := healthBody{Status: "ok", Version: app.Version, Demo: h.app.Config.Demo, Checks: map[string]Check{}}
	body.Uptime = time.Since(since).Seconds()

	db := h.database(ctx)
	body.Checks["database"] = db

	stats := h.app.Cache.Stats()
	body.Checks["cache"] = Check{Status: "ok", Detail: stats}

	h.mu.RLock()
	for name, c := range h.cached {
		body.Checks[name] = c
		if c.Status != "ok" && c.Status != "disabled" {
			body.Status = "degraded"
		}
	}
	h.mu.RUnlock()

	if db.Status != "ok" {
		body.Status = "down"
		return fiber.StatusServiceUnavailable, body
	}
	return fiber.StatusOK, body
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// healthStatus is all a public caller learns: the version, certificate
// names, cache counts and the model server's internal URL and last error
// would help an attacker and nobody else.
type healthStatus struct {
	Status string `json:"status"`
}

// healthGET is public: load balancers, the UI's connectivity probe, the
// status page and `make bench` use it. Everyone gets the status (and 503
// when the database is down); admins and callers on the machine itself
// get every check.
func (s *Server) healthGET(c *fiber.Ctx) error {
	status, body := s.health.report(c.UserContext(), s.start)
	c.Set(fiber.HeaderCacheControl, "no-store")
	c.Vary(fiber.HeaderAuthorization, fiber.HeaderCookie)
	if !s.healthDetailsAllowed(c) {
		return c.Status(status).JSON(healthStatus{Status: body.Status})
	}
	return c.Status(status).JSON(body)
}

// healthDetailsAllowed admits a direct loopback caller (the operator's curl,
// a local monitor) and an admin's access token. It does not count toward
// the API rate limit: monitors poll /health.
func (s *Server) healthDetailsAllowed(c *fiber.Ctx) bool {
	if localCaller(c) {
		return true
	}
	tok := accessToken(c)
	if tok == "" {
		return false
	}
	p, err := s.app.Auth.ValidateAccess(c.UserContext(), tok)
	return err == nil && p.IsAdmin()
}

// localCaller: the connection comes from loopback and no proxy forwarded
// it. A reverse proxy on the same machine connects from loopback too, on
// behalf of anyone; the headers it adds give it away, whether or not it is
// in server.trusted_proxies.
func localCaller(c *fiber.Ctx) bool {
	if !c.Context().RemoteIP().IsLoopback() {
		return false
	}
	for _, h := range []string{fiber.HeaderXForwardedFor, fiber.HeaderForwarded, "X-Real-Ip", fiber.HeaderXForwardedHost, fiber.HeaderXForwardedProto} {
		if c.Get(h) != "" {
			return false
		}
	}
	return true
}

// certificateCheck reports the served certificates: names, expiry, and the
// last renewal error (which makes the appliance degraded, not down).
func certificateCheck(certs CertStatuser) Checker {
	return func(ctx context.Context) Check {
		st := certs.Status()
		c := Check{Status: "ok", Detail: st}
		for _, s := range st {
			if s.Error != "" {
				c.Status = "degraded"
				c.Error = s.Error
			} else if !s.NotAfter.IsZero() && time.Until(s.NotAfter) < 7*24*time.Hour {
				c.Status = "degraded"
				c.Error = "certificate for " + strings.Join(s.Names, ", ") + " expires " + s.NotAfter.Format(time.RFC3339)
			}
		}
		return c
	}
}

// llmCheck reports whether the model server answers. A dead Ollama makes
// the appliance degraded, never down: accounts, documents and tasks work on.
func llmCheck(a *app.App) Checker {
	return func(ctx context.Context) Check {
		start := time.Now()
		err := a.LLM.Health(ctx)
		c := Check{Status: "ok", LatencyMs: ms(time.Since(start)), Detail: map[string]string{"provider": a.LLM.Name()}}
		if err != nil {
			c.Status = "down"
			c.Error = err.Error()
		}
		return c
	}
}
