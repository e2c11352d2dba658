// Package llmtest has stand-in LLM servers for tests: NewOllama speaks
// Ollama's native API, NewOpenAI the OpenAI chat-completions API, both on an
// httptest server, with faults switchable at run time (error statuses, slow
// or dropped streams, a stream held open until the test releases it). It also
// starts a real Ollama with a tiny model when one has been built
// (StartRealOllama).
package llmtest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Fault makes a stand-in misbehave. The zero Fault is a healthy server.
type Fault struct {
	// Status, when set, answers requests with this HTTP status and an
	// error body carrying Message, in the server's own error format.
	Status  int
	Message string
	// Paths limits the fault to these paths; empty means all.
	Paths []string
	// Times > 0 heals the server after that many requests met the fault
	// (e.g. Times: 1 with Hangup tests a retry); zero keeps it.
	Times int
	// Hangup closes the connection without any answer.
	Hangup bool

	// The remaining fields act on generation streams (chat, generate).

	// FirstTokenDelay is waited before the first token (and, as with the
	// real Ollama, before the response headers; the OpenAI stand-in sends
	// its opening role chunk at once).
	FirstTokenDelay time.Duration
	// DropAfter > 0 closes the connection after that many tokens, without
	// the final message.
	DropAfter int
	// ErrorAfter > 0 sends an in-stream error line carrying Message after
	// that many tokens, as a server does when the model fails mid-way.
	ErrorAfter int
	// HoldAfter > 0 blocks the stream after that many tokens until the test
	// calls Release or the client goes away.
	HoldAfter int
}

// Option configures a stand-in.
type Option func(*config)

type config struct {
	models     []string
	pullable   []string
	reply      []string
	thinking   []string
	tokenDelay time.Duration
	embedDim   int
	apiKey     string
	noUsage    bool
	fault      Fault
	replies    []string
	toolCalls  []ToolCall
	noTools    []string
}

// ToolCall is a call the stand-ins make the model ask for (see WithToolCalls).
type ToolCall struct {
	Name      string
	Arguments string // a JSON object
}

// WithModels sets the installed models (default "llama3.2:3b" and
// "nomic-embed-text"). Names without a tag get ":latest" (Ollama).
func WithModels(names ...string) Option { return func(c *config) { c.models = names } }

// WithPullable sets the names /api/pull can download besides the installed
// ones (default "llama3.2:1b"); others fail like an unknown model does.
func WithPullable(names ...string) Option { return func(c *config) { c.pullable = names } }

// WithTokens makes replies n tokens long: "tok0 ", "tok1 ", ... (default 5).
func WithTokens(n int) Option {
	return func(c *config) {
		c.reply = make([]string, n)
		for i := range c.reply {
			c.reply[i] = fmt.Sprintf("tok%d ", i)
		}
	}
}

// WithThinking streams these reasoning tokens before the reply, as
// thinking models do (Ollama "thinking", OpenAI "reasoning_content"). They
// count as tokens for the faults.
func WithThinking(tokens ...string) Option { return func(c *config) { c.thinking = tokens } }

// WithReply sets the reply's tokens exactly.
func WithReply(tokens ...string) Option { return func(c *config) { c.reply = tokens } }

// WithTokenDelay pauses between tokens (and between pull progress lines).
func WithTokenDelay(d time.Duration) Option { return func(c *config) { c.tokenDelay = d } }

// WithEmbedDim sets the length of embedding vectors (default 64).
func WithEmbedDim(n int) Option { return func(c *config) { c.embedDim = n } }

// WithAPIKey makes the server require "Authorization: Bearer key".
func WithAPIKey(key string) Option { return func(c *config) { c.apiKey = key } }

// WithoutUsage makes the OpenAI stand-in ignore stream_options.include_usage,
// as some compatible servers do.
func WithoutUsage() Option { return func(c *config) { c.noUsage = true } }

// WithReplies scripts whole replies: the n-th generation request is
// answered with replies[n] as one token, the last repeating (for tests of
// structured output that is wrong first and right on the retry).
func WithReplies(replies ...string) Option { return func(c *config) { c.replies = replies } }

// WithToolCalls makes the model call these tools whenever the conversation
// does not end with a tool's result; once it does, the model answers with
// its normal reply, as a model does after reading what its tools returned.
func WithToolCalls(calls ...ToolCall) Option { return func(c *config) { c.toolCalls = calls } }

// WithoutTools leaves "tools" out of these models' capabilities in
// /api/show (Ollama), as for a model whose template has no tool calling.
func WithoutTools(models ...string) Option { return func(c *config) { c.noTools = models } }

// WithFault starts the server with a fault (see SetFault).
func WithFault(f Fault) Option { return func(c *config) { c.fault = f } }

// Request is one request the stand-in received.
type Request struct {
	Method string
	Path   string
	Header http.Header
	Body   []byte
}

// JSON decodes the request body into a map (nil when it is not JSON).
func (r Request) JSON() map[string]any {
	var m map[string]any
	_ = json.Unmarshal(r.Body, &m)
	return m
}

// Server is what both stand-ins share: configuration, faults, the request
// log, held streams and the count of streams the client abandoned.
type Server struct {
	*httptest.Server
	URL string // the base URL to give the client

	mu        sync.Mutex
	cfg       config
	models    []string
	loaded    map[string]time.Time
	requests  []Request
	release   chan struct{}
	cancelled atomic.Int64
	completed atomic.Int64
	generated int // generation requests answered, for WithReplies
}

func newServer(t testing.TB, opts []Option, normalise func(string) string, routes func(*http.ServeMux)) *Server {
	t.Helper()
	cfg := config{
		models:   []string{"llama3.2:3b", "nomic-embed-text"},
		pullable: []string{"llama3.2:1b"},
		embedDim: 64,
	}
	WithTokens(5)(&cfg)
	for _, o := range opts {
		o(&cfg)
	}
	s := &Server{cfg: cfg, loaded: map[string]time.Time{}, release: make(chan struct{})}
	for _, m := range cfg.models {
		s.models = append(s.models, normalise(m))
	}
	for i, m := range s.cfg.pullable {
		s.cfg.pullable[i] = normalise(m)
	}
	mux := http.NewServeMux()
	routes(mux)
	s.Server = httptest.NewServer(s.middleware(mux))
	s.URL = s.Server.URL
	t.Cleanup(func() {
		s.Release()
		s.Server.CloseClientConnections()
		s.Server.Close()
	})
	return s
}

// middleware records every request, applies the Status and Hangup faults
// and hands the stream faults to the handler in the request's context.
func (s *Server) middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		s.mu.Lock()
		s.requests = append(s.requests, Request{Method: r.Method, Path: r.URL.Path, Header: r.Header.Clone(), Body: body})
		f := s.cfg.fault
		applies := len(f.Paths) == 0 || slices.Contains(f.Paths, r.URL.Path)
		if applies && f.Times > 0 {
			if s.cfg.fault.Times--; s.cfg.fault.Times == 0 {
				s.cfg.fault = Fault{}
			}
		}
		s.mu.Unlock()
		if !applies {
			f = Fault{}
		}
		if f.Hangup {
			panic(http.ErrAbortHandler)
		}
		if f.Status != 0 {
			s.writeError(w, r, f.Status, f.Message)
			return
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), faultKey{}, f)))
	})
}

// writeError answers with an error body in the format of the API the path
// belongs to: OpenAI's envelope under /v1/, Ollama's {"error": "..."} else.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, status int, msg string) {
	if strings.HasPrefix(r.URL.Path, "/v1/") {
		writeJSON(w, status, openAIError(status, msg, ""))
		return
	}
	writeJSON(w, status, map[string]string{"error": msg})
}

// readJSON decodes the request body into v, answering 400 when it is not
// JSON.
func (s *Server) readJSON(w http.ResponseWriter, r *http.Request, v any) bool {
	if err := json.NewDecoder(r.Body).Decode(v); err != nil {
		s.writeError(w, r, http.StatusBadRequest, err.Error())
		return false
	}
	return true
}

// SetFault switches the fault at run time; the zero Fault heals the server.
// Streams held by the previous fault stay held until Release; after a
// Release, a new HoldAfter holds again.
func (s *Server) SetFault(f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cfg.fault = f
	select {
	case <-s.release: // released: nobody waits on it any more
		s.release = make(chan struct{})
	default:
	}
}

type faultKey struct{}

// Release lets every held stream continue; later streams pass the hold
// until the next SetFault.
func (s *Server) Release() {
	s.mu.Lock()
	defer s.mu.Unlock()
	select {
	case <-s.release:
	default:
		close(s.release)
	}
}

func (s *Server) releaseCh() chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.release
}

// Requests returns every request received so far, oldest first.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.requests)
}

// RequestsTo returns the requests received for one path.
func (s *Server) RequestsTo(path string) []Request {
	var out []Request
	for _, r := range s.Requests() {
		if r.Path == path {
			out = append(out, r)
		}
	}
	return out
}

// Cancelled counts generation streams that ended because the client went
// away (cancelled its request or closed the connection) before the end.
func (s *Server) Cancelled() int { return int(s.cancelled.Load()) }

// Completed counts generation streams that sent their final message.
func (s *Server) Completed() int { return int(s.completed.Load()) }

// WaitCancelled polls until a stream has been cancelled by the client or
// the timeout passes, and reports whether one was.
func (s *Server) WaitCancelled(timeout time.Duration) bool {
	deadline := time.Now().Add(timeout)
	for s.Cancelled() == 0 {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(2 * time.Millisecond)
	}
	return true
}

func (s *Server) hasModel(name string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Contains(s.models, name)
}

func (s *Server) modelList() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.models)
}

func (s *Server) markLoaded(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.loaded[name] = time.Now()
}

// streamer writes one generation stream, applying the stream faults and
// noticing when the client goes away.
type streamer struct {
	s     *Server
	w     http.ResponseWriter
	r     *http.Request
	fault Fault
	sent  int // tokens sent
}

func (s *Server) newStreamer(w http.ResponseWriter, r *http.Request, contentType string) *streamer {
	w.Header().Set("Content-Type", contentType)
	f, _ := r.Context().Value(faultKey{}).(Fault)
	return &streamer{s: s, w: w, r: r, fault: f}
}

// errGone reports that the client went away mid-stream.
var errGone = errors.New("client went away")

// wait pauses for d, or returns errGone when the client leaves first.
func (st *streamer) wait(d time.Duration, until <-chan struct{}) error {
	var timer <-chan time.Time
	if d > 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		timer = t.C
	} else if until == nil {
		return st.r.Context().Err()
	}
	select {
	case <-st.r.Context().Done():
		return errGone
	case <-timer:
		return nil
	case <-until:
		return nil
	}
}

// token sends one token line built by line(), with the configured delays
// and faults in front of it.
func (st *streamer) token(line []byte) error {
	if st.sent == 0 {
		if err := st.wait(st.fault.FirstTokenDelay, nil); err != nil {
			return st.gone()
		}
	} else if err := st.wait(st.s.cfg.tokenDelay, nil); err != nil {
		return st.gone()
	}
	if err := st.write(line); err != nil {
		return err
	}
	st.sent++
	if st.fault.HoldAfter > 0 && st.sent == st.fault.HoldAfter {
		if err := st.wait(0, st.s.releaseCh()); err != nil {
			return st.gone()
		}
	}
	if st.fault.DropAfter > 0 && st.sent == st.fault.DropAfter {
		panic(http.ErrAbortHandler) // closes the connection mid-body
	}
	return nil
}

// errorAfter reports whether the stream must now send an error line.
func (st *streamer) errorAfter() bool {
	return st.fault.ErrorAfter > 0 && st.sent == st.fault.ErrorAfter
}

func (st *streamer) write(b []byte) error {
	if _, err := st.w.Write(b); err != nil {
		return st.gone()
	}
	if f, ok := st.w.(http.Flusher); ok {
		f.Flush()
	}
	if st.r.Context().Err() != nil {
		return st.gone()
	}
	return nil
}

func (st *streamer) gone() error {
	st.s.cancelled.Add(1)
	return errGone
}

// finish counts the stream as completed and then sends its final message.
// Counting first matters: the client returns as soon as it has read that
// message, and a test that asks Completed() right then must see it.
func (st *streamer) finish(last []byte) {
	st.s.completed.Add(1)
	_ = st.write(last)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

// reply returns the reply tokens, cut to limit when limit > 0, and whether
// it was cut.
func (s *Server) reply(limit int) ([]string, bool) {
	toks := s.cfg.reply
	s.mu.Lock()
	if n := len(s.cfg.replies); n > 0 {
		toks = []string{s.cfg.replies[min(s.generated, n-1)]}
	}
	s.generated++
	s.mu.Unlock()
	if limit > 0 && limit < len(toks) {
		return toks[:limit], true
	}
	return toks, false
}

// Vector is the stand-ins' embedding of text: a deterministic unit vector
// of length dim, so tests can compare what they got with what they expect.
func Vector(text string, dim int) []float32 {
	v := make([]float32, dim)
	var norm float64
	for i := range v {
		h := fnv.New64a()
		fmt.Fprintf(h, "%d:%s", i, text)
		x := float64(h.Sum64()%2001)/1000 - 1
		v[i] = float32(x)
		norm += x * x
	}
	norm = math.Sqrt(norm)
	for i := range v {
		v[i] = float32(float64(v[i]) / norm)
	}
	return v
}

// embedRequest reads an embedding request (the same shape for both APIs:
// a model and an input that is a string or a list of them) and embeds the
// input, counting its words.
func (s *Server) embedRequest(w http.ResponseWriter, r *http.Request) (model string, vecs [][]float32, words int, ok bool) {
	var req struct {
		Model string          `json:"model"`
		Input json.RawMessage `json:"input"`
	}
	if !s.readJSON(w, r, &req) {
		return "", nil, 0, false
	}
	var in []string
	var one string
	if json.Unmarshal(req.Input, &one) == nil {
		in = []string{one}
	} else if json.Unmarshal(req.Input, &in) != nil {
		s.writeError(w, r, http.StatusBadRequest, "input must be a string or a list of strings")
		return "", nil, 0, false
	}
	vecs = make([][]float32, len(in))
	for i, text := range in {
		vecs[i] = Vector(text, s.cfg.embedDim)
		words += len(strings.Fields(text))
	}
	return req.Model, vecs, words, true
}

// wireMessage is a conversation turn as both APIs send it, as far as the
// stand-ins look at it.
type wireMessage struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

// callsTools says whether to answer msgs with the scripted tool calls.
func (s *Server) callsTools(msgs []wireMessage) bool {
	return len(s.cfg.toolCalls) > 0 && (len(msgs) == 0 || msgs[len(msgs)-1].Role != "tool")
}

func countWords(msgs []wireMessage) int {
	n := 0
	for _, m := range msgs {
		n += len(strings.Fields(m.Content))
	}
	return n
}

func intOption(opts map[string]any, key string) int {
	if f, ok := opts[key].(float64); ok {
		return int(f)
	}
	return 0
}
