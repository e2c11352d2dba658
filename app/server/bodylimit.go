package server

import (
	"bytes"
	"context"
	"io"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"golang.org/x/sync/semaphore"

	"github.com/aiwfe/aiwfe/app/apperr"
)

// Request bodies are streamed (fasthttp's StreamRequestBody): the server
// reads at most 8 KiB of a body before the handlers run, and bodyGate, the
// first middleware after the headers are set, decides what happens to the
// rest before CSRF, authentication or any handler:
//
//   - a body whose Content-Length is over the limit is refused at once
//     (413) without reading it, and the connection is closed;
//   - any other body is read into memory, at most server.body_limit_mb of
//     it (chunked bodies, which announce no length, are cut off one byte
//     past the limit), so handlers see it whole through c.Body();
//   - a route registered with streamRoute reads its body itself, as a
//     stream, up to its own limit (uploads go to disk, not memory).
//
// Bodies larger than smallBody, and chunked ones, draw their size (a
// chunked one: the limit) from a byte budget while they are held: a crowd
// of big requests costs at most max(largeBodyBudget, body_limit_mb) of
// memory, however large the crowd and whatever the configured limit.
const (
	smallBody       = 64 << 10
	largeBodyBudget = 8 << 20
	maxUploads      = 4
	// bodySlotWait is how long a large body waits for the budget (or an
	// upload for a slot) before the client is told to come back.
	bodySlotWait = 5 * time.Second
	// drainMax is how much of a refused body is read and thrown away so
	// the client, still sending, reads the answer instead of a reset
	// connection (Go's net/http does the same with 256 KiB). Beyond it the
	// connection is closed.
	drainMax = 4 << 20
)

const localBodyStream = "body_stream"

var (
	errBodyTooLarge = apperr.New(fiber.StatusRequestEntityTooLarge, "payload_too_large", "request body is too large")
	errBodyEncoding = apperr.New(fiber.StatusUnsupportedMediaType, "unsupported_content_encoding", "request bodies must not be compressed (Content-Encoding)")
	errBodyRead     = apperr.BadRequest("the request body could not be read")
)

// bodyLimits is the gate's state, shared by the server's listeners.
type bodyLimits struct {
	max     int
	large   *semaphore.Weighted
	uploads chan struct{}
	// streamed maps "METHOD /path" (lower case, no trailing slash) of the
	// routes that read their body as a stream to their limit in bytes.
	streamed map[string]int64
}

func newBodyLimits(max int) *bodyLimits {
	return &bodyLimits{max: max, large: semaphore.NewWeighted(int64(bodyBudget(max))), uploads: make(chan struct{}, maxUploads), streamed: map[string]int64{}}
}

func bodyBudget(limit int) int { return max(largeBodyBudget, limit) }

var errBodyBusy = apperr.TooMany("too many large requests at once; try again shortly", time.Second)

// takeBytes draws n bytes from the large-body budget, waiting a while.
func (b *bodyLimits) takeBytes(n int) error {
	if b.large.TryAcquire(int64(n)) {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), bodySlotWait)
	defer cancel()
	if b.large.Acquire(ctx, int64(n)) != nil {
		return errBodyBusy
	}
	return nil
}

func routeKey(method, path string) string {
	return method + " " + strings.ToLower(strings.TrimSuffix(path, "/"))
}

// streamRoute registers a route whose handler reads the body with
// bodyStream instead of c.Body(): uploads, up to limit bytes (checked
// against Content-Length before anything is read, and counted while a
// chunked body streams in). Only exact paths (no :params) are supported.
//
//	s.streamRoute(v1, fiber.MethodPost, "/documents", 51<<20, s.requireAuth, s.documentsPOST)
func (s *Server) streamRoute(r fiber.Router, method, path string, limit int64, handlers ...fiber.Handler) {
	full := path
	if g, ok := r.(*fiber.Group); ok {
		full = g.Prefix + path
	}
	s.body.streamed[routeKey(method, full)] = limit
	r.Add(method, path, handlers...)
}

// bodyStream is the body of a streamRoute request. Reading past the
// route's limit fails with a 413 error the handler can return as it is.
func bodyStream(c *fiber.Ctx) io.Reader {
	if r, ok := c.Locals(localBodyStream).(*limitedBody); ok {
		return r
	}
	return bytes.NewReader(c.Body())
}

// bodyGate applies the limits above to every request.
func (s *Server) bodyGate(c *fiber.Ctx) error {
	b := s.body
	req := c.Request()
	n := req.Header.ContentLength() // -1: chunked; 0 or -2: none
	stream := c.Context().RequestBodyStream()
	if n == 0 || n < -1 {
		return c.Next()
	}
	if stream == nil {
		// fasthttp reads no body for GET and HEAD: what the client sent
		// as one would be parsed as its next request.
		c.Context().SetConnectionClose()
		return c.Next()
	}
	if enc := c.Get(fiber.HeaderContentEncoding); enc != "" && !strings.EqualFold(enc, "identity") {
		// A compressed body is expanded by c.Body() with no limit: a
		// kilobyte can become gigabytes. No client of ours compresses.
		return refuseBody(c, stream, n, errBodyEncoding)
	}
	if limit, ok := b.streamed[routeKey(c.Method(), c.Path())]; ok {
		return b.stream(c, stream, n, limit)
	}
	if n > b.max {
		return refuseBody(c, stream, n, errBodyTooLarge)
	}
	if n < 0 || n > smallBody {
		held := n
		if n < 0 {
			held = b.max
		}
		if err := b.takeBytes(held); err != nil {
			return refuseBody(c, stream, n, err)
		}
		defer b.large.Release(int64(held))
	}
	body, err := readBody(stream, n, b.max)
	if err == errBodyTooLarge {
		return refuseBody(c, stream, -1, err)
	}
	if err != nil {
		c.Context().SetConnectionClose()
		return err
	}
	req.SetBodyRaw(body)
	if n < 0 {
		req.Header.SetContentLength(len(body))
	}
	return c.Next()
}

// stream hands a streamRoute's body to its handler through a counting
// reader. What the handler leaves unread (it failed, or the body was too
// large) is dropped like a refused body's: the rest would otherwise be
// parsed as the next request.
func (b *bodyLimits) stream(c *fiber.Ctx, stream io.Reader, n int, limit int64) error {
	if int64(n) > limit {
		return refuseBody(c, stream, n, errBodyTooLarge)
	}
	if err := takeSlot(b.uploads); err != nil {
		return refuseBody(c, stream, n, err)
	}
	defer func() { <-b.uploads }()
	lb := &limitedBody{r: stream, left: limit}
	c.Locals(localBodyStream, lb)
	err := c.Next()
	if !lb.done {
		rest := -1
		if n >= 0 {
			rest = n - int(limit-lb.left)
		}
		refuseBody(c, stream, rest, nil)
	}
	return err
}

// readBody reads a body of n bytes, or a chunked one (n < 0) of at most
// max bytes. The buffer grows with the bytes that arrive, not with what
// the client announced: a slow client claiming a big body holds little.
func readBody(r io.Reader, n, max int) ([]byte, error) {
	want := int64(n)
	if n < 0 {
		want = int64(max) + 1
	}
	var buf bytes.Buffer
	buf.Grow(int(min(want, 8<<10)))
	if _, err := buf.ReadFrom(io.LimitReader(r, want)); err != nil {
		return nil, errBodyRead
	}
	switch {
	case n < 0 && buf.Len() > max:
		return nil, errBodyTooLarge
	case n >= 0 && buf.Len() != n:
		return nil, errBodyRead // the client went away mid-body
	}
	return buf.Bytes(), nil
}

func takeSlot(slots chan struct{}) error {
	select {
	case slots <- struct{}{}:
		return nil
	default:
	}
	t := time.NewTimer(bodySlotWait)
	defer t.Stop()
	select {
	case slots <- struct{}{}:
		return nil
	case <-t.C:
		return errBodyBusy
	}
}

// refuseBody answers err to a request whose body (n bytes, or -1 for
// chunked) is still on the wire: a small rest is read and dropped so the
// client gets the answer and the connection stays usable; a large one
// closes the connection, unread.
func refuseBody(c *fiber.Ctx, stream io.Reader, n int, err error) error {
	if n > drainMax {
		c.Context().SetConnectionClose()
		return err
	}
	got, rerr := io.Copy(io.Discard, io.LimitReader(stream, drainMax+1))
	if rerr != nil || got > drainMax {
		c.Context().SetConnectionClose()
	}
	return err
}

// limitedBody counts a streamed body against its route's limit.
type limitedBody struct {
	r    io.Reader
	left int64
	done bool // read to the end
}

func (l *limitedBody) Read(p []byte) (int, error) {
	if int64(len(p)) > l.left+1 {
		p = p[:l.left+1]
	}
	n, err := l.r.Read(p)
	l.left -= int64(n)
	if l.left < 0 {
		return 0, errBodyTooLarge
	}
	if err == io.EOF {
		l.done = true
	}
	return n, err
}
