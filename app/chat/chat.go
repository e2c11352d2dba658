// Package chat is the conversation service: chat modes bound to the user's
// model assignments, streamed replies relayed chunk by chunk and persisted
// when they end (whole, partial or failed), regeneration, titles written by
// the user's summary model, a fast single-turn call, full-text search, and
// model management (list, pull with progress on the hub). It takes plain Go
// values and knows nothing of HTTP or WebSockets.
package chat

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/aiwfe/aiwfe/app/apperr"
	"github.com/aiwfe/aiwfe/app/hub"
	"github.com/aiwfe/aiwfe/app/llm"
	"github.com/aiwfe/aiwfe/app/textutil"
	"github.com/aiwfe/aiwfe/store"
)

// MaxMessageChars bounds one user message.
const MaxMessageChars = 100_000

// historyBudgetChars bounds the earlier turns sent with a new message; the
// oldest go first when a conversation grows past it.
const historyBudgetChars = 48_000

// Deps are what the service needs.
type Deps struct {
	Store *store.Store
	LLM   llm.Provider
	Hub   *hub.Hub
	Log   *slog.Logger
	Now   func() time.Time
	// DefaultModel is used when neither the request nor the user's
	// assignments name a model.
	DefaultModel string
	// User reads a user's row; the server passes the account service's
	// cached reader, so a reply's first token does not wait on SQLite for
	// it. The row is shared: the service never modifies it. Defaults to
	// reading the store.
	User func(ctx context.Context, id int64) (*store.User, error)
	// Researcher searches the web for Research-mode replies; without it
	// (or with web search off for the user) they are made without the web.
	Researcher Researcher
	// Retriever finds passages of the user's documents for replies from
	// documents (the Documents mode, a send's use_documents). Without it
	// such a reply is refused (documents_unavailable).
	Retriever Retriever
	// Tools are what the model may do in a chat that uses tools (the
	// tasks tools, ...). Adding one is one more element here.
	Tools []Tool
	// Replied, when set, is told of each reply recorded complete (the
	// opportunities look at a conversation once it goes quiet). It runs
	// on the reply's path: it must return at once.
	Replied func(userID, conversationID int64)
}

// Service is the chat service. Close it to stop its background work
// (titles, pulls, full-text indexing).
type Service struct {
	store        *store.Store
	llm          llm.Provider
	hub          *hub.Hub
	log          *slog.Logger
	now          func() time.Time
	defaultModel string
	user         func(ctx context.Context, id int64) (*store.User, error)
	researcher   Researcher
	retriever    Retriever
	tools        *registry
	toolCaps     toolSupport
	replied      func(userID, conversationID int64)

	// TitleTimeout bounds the background title generation.
	TitleTimeout time.Duration

	bg     context.Context
	stop   context.CancelFunc
	wg     sync.WaitGroup
	pullMu sync.Mutex
	pulls  map[string]*PullState // by model
	// maxPulls and pullKeep cap the pulls remembered (tests shorten them).
	maxPulls int
	pullKeep time.Duration
	index    *indexer // nil without a store
}

// New builds the service.
func New(d Deps) *Service {
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Log == nil {
		d.Log = slog.Default()
	}
	if d.Hub == nil {
		d.Hub = hub.New(0)
	}
	if d.DefaultModel == "" {
		d.DefaultModel = "llama3.2:3b"
	}
	if d.User == nil && d.Store != nil {
		d.User = func(ctx context.Context, id int64) (*store.User, error) { return store.UserByID(ctx, d.Store.DB, id) }
	}
	tools, err := newRegistry(d.Tools)
	if err != nil {
		panic(err) // a programming error of app.Open
	}
	bg, stop := context.WithCancel(context.Background())
	s := &Service{tools: tools, replied: d.Replied,
		store: d.Store, llm: d.LLM, hub: d.Hub, log: d.Log, now: d.Now, defaultModel: d.DefaultModel, user: d.User, retriever: d.Retriever,
		TitleTimeout: 2 * time.Minute,
		bg:           bg, stop: stop, pulls: map[string]*PullState{}, maxPulls: maxPulls, pullKeep: pullKeep,
	}
	if d.Store != nil {
		s.startIndexer()
	}
	s.researcher = d.Researcher
	return s
}

// Hub is the hub the service publishes on.
func (s *Service) Hub() *hub.Hub { return s.hub }

// LLM is the model provider.
func (s *Service) LLM() llm.Provider { return s.llm }

// Close cancels background work and waits for it to end.
func (s *Service) Close() {
	s.stop()
	s.wg.Wait()
	s.index.end()
}

// Wait blocks until background work started so far has ended (tests):
// titles, pulls and the full-text indexing owed for the writes so far.
func (s *Service) Wait() {
	s.wg.Wait()
	s.index.wait()
}

func (s *Service) goBackground(fn func(ctx context.Context)) bool {
	if s.bg.Err() != nil {
		return false
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		fn(s.bg)
	}()
	return true
}

// What a person reads when the model server fails: what happened and the
// way on, never the error chain (that goes to the log, once).
const (
	ModelServerDown = "The model server is not answering, so there is no reply. " +
		"An admin can start it, point aiwfe at another one, or switch on the built-in demo model in Admin → Model server."
	ModelServerRefused = "The model server refused aiwfe's API key, so there is no reply. An admin can fix the key in Admin → Model server."
)

// LLMError turns a provider error into the error a client sees: a missing
// model is 404 model_not_found with the advice to pull it, a dead or failing
// model server 503 llm_unavailable.
func LLMError(err error, model string) error {
	if err == nil {
		return nil
	}
	var ae *apperr.Error
	if errors.As(err, &ae) {
		return err
	}
	e := func(status int, code, msg string) error {
		return &apperr.Error{Status: status, Code: code, Message: msg, Err: err}
	}
	switch {
	case errors.Is(err, llm.ErrModelNotFound):
		if model == "" {
			return e(http.StatusNotFound, "model_not_found", "That model is not installed on the model server. An admin can download it in Settings → Models.")
		}
		return e(http.StatusNotFound, "model_not_found",
			fmt.Sprintf("The model %s is not installed on the model server. Choose another in your profile, or an admin can download it in Settings → Models.", model))
	case errors.Is(err, llm.ErrUnauthorized):
		return e(http.StatusServiceUnavailable, "llm_unavailable", ModelServerRefused)
	case errors.Is(err, llm.ErrBadRequest):
		return e(http.StatusBadRequest, "llm_bad_request", "the model server rejected the request: "+upstreamMessage(err))
	case errors.Is(err, llm.ErrUnavailable), errors.Is(err, context.DeadlineExceeded):
		return e(http.StatusServiceUnavailable, "llm_unavailable", ModelServerDown)
	}
	return apperr.Internal(err)
}

func upstreamMessage(err error) string {
	var ae *llm.APIError
	if errors.As(err, &ae) {
		return ae.Message
	}
	return textutil.Ellipsize(err.Error(), 300)
}

// storeErr maps store errors for the caller.
func storeErr(err error, what string) error { return apperr.FromStore(err, what) }

// validMessage checks a user message.
func validMessage(msg string) error {
	if strings.TrimSpace(msg) == "" {
		return apperr.Invalid("message", "message must not be empty")
	}
	if utf8.RuneCountInString(msg) > MaxMessageChars {
		return apperr.Invalid("message", fmt.Sprintf("message is longer than %d characters", MaxMessageChars))
	}
	return nil
}
