package server

import (
	"errors"
	"strconv"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/valyala/fasthttp"

	"github.com/aiwfe/aiwfe/app/apperr"
	"github.com/aiwfe/aiwfe/app/llm"
)

// errorBody is the one JSON error shape: {"error":{"code","message"}}.
type errorBody struct {
	Error *apperr.Error `json:"error"`
}

// errorHandler turns every error a handler or fiber returns into the JSON
// shape. Causes of internal errors are logged with the request id and never
// sent to the client.
func (s *Server) errorHandler(c *fiber.Ctx, err error) error {
	if requestID(c) == "" {
		// fasthttp refused the request before the middleware ran.
		setRequestID(c)
		setSecurityHeaders(c)
	}
	var e *apperr.Error
	var fe *fiber.Error
	switch {
	case errors.As(err, &fe):
		e = apperr.New(fe.Code, apperr.CodeForStatus(fe.Code), fe.Message)
		if fe.Code == fiber.StatusNotFound {
			e.Message = "no such endpoint: " + c.Method() + " " + c.Path()
		}
	default:
		e = apperr.From(err)
	}
	switch {
	case e.Status < 500:
	case modelServerDown(err):
		// An expected state until someone starts it, not a fault of this
		// request: every chat and model list fails the same way, and the
		// log gets the cause once, not a line per page view.
		if s.upstreamLog.first(e.Code+" "+err.Error(), s.app.Now()) {
			s.log.Warn("model server failing (logged once per cause every 10 min)", "request_id", requestID(c),
				"method", c.Method(), "path", c.Path(), "err", err)
		}
	default:
		s.log.Error("request failed", "request_id", requestID(c), "method", c.Method(), "path", c.Path(), "err", err)
	}
	return writeError(c, e)
}

func modelServerDown(err error) bool {
	return errors.Is(err, llm.ErrUnavailable) || errors.Is(err, llm.ErrUnauthorized)
}

// onceEvery lets one log line per key through in each period.
type onceEvery struct {
	period time.Duration
	mu     sync.Mutex
	seen   map[string]time.Time
}

func (o *onceEvery) first(key string, now time.Time) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	if last, ok := o.seen[key]; ok && now.Sub(last) < o.period {
		return false
	}
	if o.seen == nil || len(o.seen) >= 256 {
		// Causes are few (one per server and failure); a flood of
		// distinct ones starts afresh rather than growing.
		o.seen = map[string]time.Time{}
	}
	o.seen[key] = now
	return true
}

func writeError(c *fiber.Ctx, e *apperr.Error) error {
	if e.RetryAfter > 0 {
		secs := int(e.RetryAfter.Seconds() + 0.999)
		c.Set(fiber.HeaderRetryAfter, strconv.Itoa(secs))
	}
	return c.Status(e.Status).JSON(errorBody{Error: e})
}

// knownMethods are the methods the route table can answer; fiber answers
// any other with a plain-text 400 before its router (and so before the
// error handler and middleware) runs.
var knownMethods = map[string]bool{
	fiber.MethodGet: true, fiber.MethodHead: true, fiber.MethodPost: true, fiber.MethodPut: true,
	fiber.MethodPatch: true, fiber.MethodDelete: true, fiber.MethodOptions: true,
	fiber.MethodConnect: true, fiber.MethodTrace: true,
}

const allowedMethods = "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS"

// refuseUnknownMethods wraps f's fasthttp handler so that a method fiber
// does not know (BREW), or a WebDAV method outside /dav (handler_dav.go),
// gets the JSON 405 every other refusal gets, with the usual headers.
func (s *Server) refuseUnknownMethods(f *fiber.App) {
	srv := f.Server()
	next := srv.Handler
	srv.Handler = func(fc *fasthttp.RequestCtx) {
		m := string(fc.Method())
		if knownMethods[m] || davMethods[m] && davPath(string(fc.Path())) {
			next(fc)
			return
		}
		c := f.AcquireCtx(fc)
		defer f.ReleaseCtx(c)
		c.Set(fiber.HeaderAllow, allowedMethods)
		s.errorHandler(c, apperr.New(fiber.StatusMethodNotAllowed, "method_not_allowed", "method "+strconv.Quote(string(fc.Method()))+" is not supported"))
	}
}
