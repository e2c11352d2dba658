package llm

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aiwfe/aiwfe/app/textutil"
)

// retryBackoff is the pause before each retry of an idempotent call that
// failed to connect; its length is the number of retries.
var retryBackoff = []time.Duration{100 * time.Millisecond, 400 * time.Millisecond}

// httpClient is the transport shared by the HTTP providers: a pooled
// keep-alive client, JSON calls with retries for idempotent requests, and
// line-oriented streams guarded by a first-chunk and an idle timeout.
type httpClient struct {
	provider string
	base     *url.URL
	apiKey   string
	client   *http.Client
}

func newHTTPClient(provider, baseURL string, cfg Config) (*httpClient, error) {
	u, err := url.Parse(strings.TrimRight(strings.TrimSpace(baseURL), "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("%w: %s base URL %q must be http(s)://host[:port]", ErrBadRequest, provider, baseURL)
	}
	client := cfg.HTTPClient
	if client == nil {
		dialer := &net.Dialer{Timeout: cfg.ConnectTimeout, KeepAlive: 30 * time.Second}
		client = &http.Client{Transport: &http.Transport{
			Proxy:                 http.ProxyFromEnvironment,
			DialContext:           dialer.DialContext,
			TLSHandshakeTimeout:   cfg.ConnectTimeout,
			ForceAttemptHTTP2:     true,
			MaxIdleConns:          32,
			MaxIdleConnsPerHost:   8,
			IdleConnTimeout:       90 * time.Second,
			ExpectContinueTimeout: time.Second,
			// No ResponseHeaderTimeout: Ollama sends its headers only with
			// the first token, after loading the model; the stream's own
			// first-chunk timer bounds that wait instead.
		}}
	}
	return &httpClient{provider: provider, base: u, apiKey: cfg.APIKey, client: client}, nil
}

func (c *httpClient) newRequest(ctx context.Context, method, path string, body any) (*http.Request, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, fmt.Errorf("%w: %s %s: %w", ErrBadRequest, c.provider, path, err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base.String()+path, rd)
	if err != nil {
		return nil, fmt.Errorf("%w: %s %s: %w", ErrBadRequest, c.provider, path, err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.apiKey != "" {
		req.Header.Set("Authorization", "Bearer "+c.apiKey)
	}
	return req, nil
}

// callOpts tunes one non-streaming call.
type callOpts struct {
	timeout   time.Duration
	retry     bool // idempotent: retry when the connection fails
	modelCall bool // the request names a model: 404 means ErrModelNotFound
}

// doJSON sends one request and decodes its JSON answer into out.
func (c *httpClient) doJSON(ctx context.Context, method, path string, in, out any, o callOpts) error {
	cctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()
	for attempt := 0; ; attempt++ {
		req, err := c.newRequest(cctx, method, path, in)
		if err != nil {
			return err
		}
		resp, err := c.client.Do(req)
		if err != nil {
			if cctx.Err() != nil {
				return c.ctxErr(ctx, cctx, path, o.timeout)
			}
			if o.retry && attempt < len(retryBackoff) {
				select {
				case <-time.After(retryBackoff[attempt]):
					continue
				case <-cctx.Done():
					return c.ctxErr(ctx, cctx, path, o.timeout)
				}
			}
			return unavailable(c.provider, path, err)
		}
		err = c.decode(resp, out, o.modelCall)
		if err != nil && cctx.Err() != nil {
			return c.ctxErr(ctx, cctx, path, o.timeout)
		}
		return err
	}
}

func (c *httpClient) decode(resp *http.Response, out any, modelCall bool) error {
	defer resp.Body.Close()
	if resp.StatusCode >= 400 {
		return c.errorFrom(resp, modelCall)
	}
	if out == nil {
		_, _ = io.Copy(io.Discard, resp.Body)
		return nil
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return unavailable(c.provider, "decoding "+resp.Request.URL.Path, err)
	}
	return nil
}

// errorFrom reads an error answer: Ollama's {"error":"..."}, OpenAI's
// {"error":{"message":"..."}}, or plain text.
func (c *httpClient) errorFrom(resp *http.Response, modelCall bool) error {
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	return newAPIError(c.provider, resp.StatusCode, errorMessage(body), modelCall)
}

func errorMessage(body []byte) string {
	var e struct {
		Error json.RawMessage `json:"error"`
	}
	if json.Unmarshal(body, &e) == nil && len(e.Error) > 0 {
		var s string
		if json.Unmarshal(e.Error, &s) == nil {
			return s
		}
		var o struct {
			Message string `json:"message"`
		}
		if json.Unmarshal(e.Error, &o) == nil && o.Message != "" {
			return o.Message
		}
	}
	// Not JSON: a proxy's error page, say. Keep the start of it.
	return textutil.Ellipsize(strings.TrimSpace(string(body)), 300)
}

// ctxErr explains why a call's context ended: the caller's cancellation is
// passed through (errors.Is(err, context.Canceled) holds); our own timeout
// becomes ErrUnavailable that also matches context.DeadlineExceeded.
func (c *httpClient) ctxErr(parent, ctx context.Context, what string, timeout time.Duration) error {
	if err := parent.Err(); err != nil {
		if cause := context.Cause(parent); cause != err {
			return fmt.Errorf("%s %s: %w (%w)", c.provider, what, err, cause)
		}
		return fmt.Errorf("%s %s: %w", c.provider, what, err)
	}
	if cause := context.Cause(ctx); cause != nil && cause != ctx.Err() {
		return cause // a stream's watchdog: a *stallError
	}
	return fmt.Errorf("%w: %s %s: no answer within %s: %w", ErrUnavailable, c.provider, what, timeout, context.DeadlineExceeded)
}

// stallError is the cause a stream's watchdog cancels it with.
type stallError struct {
	provider, what string
	wait           time.Duration
	first          bool
}

func (e *stallError) Error() string {
	if e.first {
		return fmt.Sprintf("%s %s: no first chunk within %s", e.provider, e.what, e.wait)
	}
	return fmt.Sprintf("%s %s: stream idle for %s", e.provider, e.what, e.wait)
}

func (e *stallError) Is(target error) bool {
	return target == ErrUnavailable || target == context.DeadlineExceeded
}

// stream POSTs body to path and calls onLine for every non-empty line of the
// answer as it arrives. It never retries: a stream may have had effects.
// onLine reports whether the line showed progress (a token, a progress
// report; not a keep-alive comment or OpenAI's opening role chunk): the
// first progress must come within first, later lines within idle of the
// previous one. It returns nil at a clean end of the body; onLine's error is
// returned as is (the deferred cancel aborts the upstream request). The
// line passed to onLine is valid only until it returns.
func (c *httpClient) stream(ctx context.Context, path string, body any, first, idle time.Duration, modelCall bool, onLine func([]byte) (bool, error)) error {
	sctx, cancel := context.WithCancelCause(ctx)
	handedOff := false // the body is being drained in the background
	defer func() {
		if !handedOff {
			cancel(nil)
		}
	}()
	// The watchdog measures upstream silence only: it is paused while
	// onLine runs, so a slow consumer is not taken for a stalled upstream.
	wd := newWatchdog(first, idle, func(wait time.Duration, isFirst bool) {
		cancel(&stallError{provider: c.provider, what: path, wait: wait, first: isFirst})
	})
	defer wd.stop()

	req, err := c.newRequest(sctx, http.MethodPost, path, body)
	if err != nil {
		return err
	}
	req.Header.Set("Accept", "application/x-ndjson, text/event-stream")
	resp, err := c.client.Do(req)
	if err != nil {
		if sctx.Err() != nil {
			return c.ctxErr(ctx, sctx, path, first)
		}
		return unavailable(c.provider, path, err)
	}
	r := bufio.NewReaderSize(resp.Body, 64<<10)
	defer func() {
		if !handedOff {
			resp.Body.Close()
		}
	}()
	if resp.StatusCode >= 400 {
		return c.errorFrom(resp, modelCall)
	}

	var long []byte // a line longer than the buffer, assembled
	for {
		line, readErr := r.ReadSlice('\n')
		if readErr == bufio.ErrBufferFull {
			long = append(long, line...)
			continue
		}
		if long != nil {
			line, long = append(long, line...), nil
		}
		wd.pause()
		if sctx.Err() != nil {
			// Cancelled or stalled, maybe with lines still buffered:
			// deliver no more.
			return c.ctxErr(ctx, sctx, path, first)
		}
		if line = bytes.TrimSpace(line); len(line) > 0 {
			progress, err := onLine(line)
			if err == errStop {
				handedOff = true
				go drain(r, resp.Body, cancel)
			}
			if err != nil {
				return err
			}
			if progress {
				wd.progressed()
			}
		}
		if readErr == io.EOF {
			return nil
		}
		if readErr != nil {
			return unavailable(c.provider, "reading "+path, readErr)
		}
		wd.resume()
	}
}

// drain reads what follows a stream's final message — normally just the
// end of the body, there already or a moment later — so that the
// connection goes back to the pool instead of being closed (a new one
// would cost the next request a dial). An upstream that keeps sending is
// cut after drainWait.
func drain(r io.Reader, body io.Closer, cancel context.CancelCauseFunc) {
	t := time.AfterFunc(drainWait, func() { cancel(nil) })
	_, _ = io.Copy(io.Discard, io.LimitReader(r, 64<<10))
	t.Stop()
	body.Close()
	cancel(nil)
}

const drainWait = time.Second

// watchdog cancels a stream whose upstream stays silent: for first until
// the first progress, then for idle after each line. Rather than re-arming
// a timer per line, it records when the silence began; its one timer, when
// it fires early, sleeps again for what is left.
type watchdog struct {
	first, idle time.Duration
	base        time.Time
	since       atomic.Int64 // when the silence began, ns after base
	paused      atomic.Bool  // onLine is running
	gotFirst    atomic.Bool
	expire      func(wait time.Duration, isFirst bool)

	mu      sync.Mutex
	t       *time.Timer
	stopped bool
}

func newWatchdog(first, idle time.Duration, expire func(time.Duration, bool)) *watchdog {
	w := &watchdog{first: first, idle: idle, base: time.Now(), expire: expire}
	w.mu.Lock()
	w.t = time.AfterFunc(first, w.fire)
	w.mu.Unlock()
	return w
}

func (w *watchdog) wait() (time.Duration, bool) {
	if w.gotFirst.Load() {
		return w.idle, false
	}
	return w.first, true
}

func (w *watchdog) fire() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.stopped {
		return
	}
	wait, isFirst := w.wait()
	if w.paused.Load() {
		w.t.Reset(wait)
		return
	}
	if left := wait - (time.Since(w.base) - time.Duration(w.since.Load())); left > 0 {
		w.t.Reset(left)
		return
	}
	w.stopped = true
	w.expire(wait, isFirst)
}

// pause stops the clock while a line is handled; resume restarts it.
func (w *watchdog) pause() { w.paused.Store(true) }

func (w *watchdog) resume() {
	w.since.Store(int64(time.Since(w.base)))
	w.paused.Store(false)
}

// progressed switches from the first-chunk to the idle limit.
func (w *watchdog) progressed() {
	if w.gotFirst.Load() {
		return
	}
	w.gotFirst.Store(true)
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.stopped {
		w.t.Reset(w.idle) // the timer may be set for the longer first wait
	}
}

func (w *watchdog) stop() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.stopped = true
	w.t.Stop()
}

// errStreamEnded is wrapped when a stream closes before its final message.
var errStreamEnded = fmt.Errorf("stream ended before the final message: %w", io.ErrUnexpectedEOF)

// collector assembles a Result from streamed chunks.
type collector struct {
	onChunk    func(Chunk) error
	start      time.Time
	firstChunk time.Time
	content    strings.Builder
	chunks     int
	res        Result
}

func newCollector(model string, onChunk func(Chunk) error) *collector {
	if onChunk == nil {
		onChunk = func(Chunk) error { return nil }
	}
	return &collector{onChunk: onChunk, start: time.Now(), res: Result{Model: model}}
}

// add passes a chunk on to the caller; empty ones are dropped.
func (c *collector) add(ch Chunk) error {
	if ch.Content == "" && ch.Thinking == "" {
		return nil
	}
	if c.chunks == 0 {
		c.firstChunk = time.Now()
	}
	c.chunks++
	c.content.WriteString(ch.Content)
	return c.onChunk(ch)
}

// result finishes the Result, filling what the upstream did not report
// from the client's own clock and chunk count.
func (c *collector) result() *Result {
	r := c.res
	r.Content = c.content.String()
	if r.Timing.TotalMs == 0 {
		r.Timing.TotalMs = ms(time.Since(c.start))
	}
	if r.Usage.CompletionTokens == 0 {
		r.Usage.CompletionTokens = c.chunks
	}
	if r.Timing.EvalMs == 0 && c.chunks > 0 {
		r.Timing.EvalMs = ms(time.Since(c.firstChunk))
	}
	if r.Timing.TokensPerSecond == 0 && r.Timing.EvalMs > 0 {
		r.Timing.TokensPerSecond = float64(r.Usage.CompletionTokens) / (r.Timing.EvalMs / 1000)
	}
	return &r
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
