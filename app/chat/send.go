package chat

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/aiwfe/aiwfe/app/apperr"
	"github.com/aiwfe/aiwfe/app/llm"
	"github.com/aiwfe/aiwfe/app/textutil"
	"github.com/aiwfe/aiwfe/store"
)

// Start is told to the caller once the reply's message exists, before the
// first chunk of the reply is relayed.
type Start struct {
	ConversationID int64  `json:"conversation_id"`
	MessageID      int64  `json:"message_id"`
	Model          string `json:"model"`
	Mode           string `json:"mode"`
	// Created is true when this send made the conversation.
	Created bool `json:"created"`
	// Tools is true when the model was offered tools for this reply.
	Tools bool `json:"tools"`
}

// Stream receives a reply as it happens. Every field may be nil.
type Stream struct {
	// OnStart is called once the reply's message exists, before the
	// model is asked. An error (the caller went away) stops the reply,
	// which is recorded as stopped.
	OnStart func(Start) error
	// OnToken is called with each upstream chunk as it arrives. Returning
	// an error (the client went away) stops the upstream request at once.
	OnToken func(content string) error
	// OnThinking is called with the reasoning of a model that thinks
	// before it answers, as it arrives; it is shown, not stored.
	OnThinking func(content string) error
	// OnProgress is told a research reply's stages (searching, reading N
	// pages) before the model is asked.
	OnProgress func(ResearchProgress)
	// OnTitle is called from a background goroutine when a new
	// conversation's title is known (generated, or the fallback).
	OnTitle func(conversationID int64, title string)
	// ReplySent, when set, is closed by the caller once the reply's final
	// frame is out: a new conversation's title is asked for only then, so
	// that it does not compete with the end of the reply.
	ReplySent <-chan struct{}
	// Confirm asks the user about a tool call that would create or change
	// data, and blocks until they decide or ctx ends (stop, closed
	// socket: return ctx's error, and the reply ends as stopped). A nil
	// Confirm means no one can be asked: such tools are not offered.
	Confirm func(ctx context.Context, p ToolProposal) (Decision, error)
	// OnToolResult is called when a tool call is settled (run, declined
	// or failed), before the model is asked to go on.
	OnToolResult func(ToolCall) error
}

// SendRequest is one user message.
type SendRequest struct {
	UserID         int64
	ConversationID int64 // 0 starts a new conversation
	Mode           string
	Model          string
	Message        string
	// Options are passed to the model (temperature, seed, num_predict...).
	Options map[string]any
	// UseDocuments answers from the user's documents, as the Documents
	// mode always does: passages are retrieved for the question, given to
	// the model as numbered sources and returned with the reply.
	UseDocuments bool
	// UseTools offers the model the service's tools (the user's tasks,
	// ...) when it can call tools. Without Stream.Confirm only the
	// read-only ones are offered.
	UseTools bool
	// UndoOnError removes the exchange when the model fails, so a caller
	// that only learns of the failure (REST) can simply try again; a
	// streaming caller keeps the failed reply on record instead.
	UndoOnError bool
	Stream
}

// RegenerateRequest replaces the last reply of a conversation.
type RegenerateRequest struct {
	UserID         int64
	ConversationID int64
	Model          string
	Options        map[string]any
	Stream
}

// Timing is the model's timing plus the time to the first chunk as this
// service saw it.
type Timing struct {
	llm.Timing
	FirstTokenMs float64 `json:"first_token_ms"`
}

// Reply is the outcome of a send or a regeneration.
type Reply struct {
	ConversationID int64          `json:"conversation_id"`
	Message        *store.Message `json:"message"`
	Usage          llm.Usage      `json:"usage"`
	Timing         Timing         `json:"timing"`
	// Stopped is true when the caller cancelled (stop, closed socket)
	// before the model finished; the message then holds what arrived.
	Stopped bool `json:"stopped"`
	Demo    bool `json:"demo"`
}

// errRelay marks an error returned by the caller's OnToken.
type errRelay struct{ err error }

func (e errRelay) Error() string { return "relay: " + e.err.Error() }
func (e errRelay) Unwrap() error { return e.err }

// exchange is a reply about to be generated.
type exchange struct {
	user    *store.User
	conv    *store.Conversation
	mode    Mode
	model   string
	userMsg *store.Message // nil when regenerating
	reply   *store.Message
	history []llm.Message
	created bool
	prompt  string // the user message, for the title
	// docs is what a reply from documents was given; nil when the reply
	// does not use documents.
	docs *retrieval
	// tools are offered to the model; nil when none are. calls are the
	// ones it made, in order.
	tools []llm.Tool
	calls []*ToolCall
}

// Send adds a user message to a conversation (creating it when
// ConversationID is 0), streams the model's reply through req.OnToken and
// persists it. When the caller cancels ctx (stop, closed socket) — at any
// moment, even before the model was asked — the exchange is kept with what
// arrived, the reply marked partial (or error when nothing did), and Send
// returns it with Stopped set and no error. When the model fails, what
// arrived is kept (partial, or error when nothing did) and Send returns
// the Reply together with the error.
func (s *Service) Send(ctx context.Context, req SendRequest) (*Reply, error) {
	if err := validMessage(req.Message); err != nil {
		return nil, err
	}
	// A stop does not undo the exchange: what comes before the model is
	// asked (reads, the exchange's rows) runs to its end regardless, and
	// the reply is recorded as stopped.
	prep := context.WithoutCancel(ctx)
	u, err := s.user(prep, req.UserID)
	if err != nil {
		return nil, storeErr(err, "user")
	}
	var conv *store.Conversation
	if req.ConversationID != 0 {
		if conv, err = store.GetConversation(prep, s.store.DB, req.UserID, req.ConversationID); err != nil {
			return nil, storeErr(err, "conversation")
		}
	}
	mode, model, opts, err := s.resolve(prep, u, conv, req.Mode, req.Model, req.Options)
	if err != nil {
		return nil, err
	}
	ex := &exchange{user: u, conv: conv, mode: mode, model: model, prompt: req.Message}
	ex.tools = s.offerTools(prep, req.UseTools, model, req.Stream)
	turns := []*store.Message{}
	if conv != nil {
		if turns, _, err = store.ListMessages(prep, s.store.DB, u.ID, conv.ID, 0, historyMessages-1); err != nil {
			return nil, err
		}
	}
	ex.history = s.historyFrom(append(turns, &store.Message{Role: "user", Content: req.Message}), u, mode, ex.tools != nil)
	if usesDocuments(mode, req.UseDocuments) {
		if ex.docs, err = s.retrieve(prep, u.ID, req.Message, turns); err != nil {
			return nil, err
		}
	}
	if err := s.store.WithTx(prep, func(tx *sql.Tx) error { return s.writeSend(prep, tx, ex) }); err != nil {
		return nil, storeErr(err, "conversation")
	}
	r, err := s.generate(ctx, ex, opts, req.Stream)
	if err != nil && req.UndoOnError {
		s.undo(ex)
	}
	return r, err
}

// writeSend makes a send's rows: the conversation when there is none yet
// (or its new mode and model), the user message and the reply to come.
func (s *Service) writeSend(ctx context.Context, tx *sql.Tx, ex *exchange) error {
	now := s.now()
	switch conv := ex.conv; {
	case conv == nil:
		ex.conv = &store.Conversation{UserID: ex.user.ID, Title: FallbackTitle(ex.prompt), Mode: ex.mode.Key, Model: ex.model}
		if err := store.CreateConversation(ctx, tx, ex.conv, now); err != nil {
			return err
		}
		ex.created = true
	case conv.Mode != ex.mode.Key || conv.Model != ex.model:
		if err := store.UpdateConversation(ctx, tx, ex.user.ID, conv.ID, store.ConversationUpdate{Mode: &ex.mode.Key, Model: &ex.model}); err != nil {
			return err
		}
		conv.Mode, conv.Model = ex.mode.Key, ex.model
	}
	ex.userMsg = &store.Message{ConversationID: ex.conv.ID, Role: "user", Content: ex.prompt}
	ex.reply = &store.Message{ConversationID: ex.conv.ID, Role: "assistant", Model: ex.model, Status: store.MessagePartial}
	return store.InsertMessages(ctx, tx, ex.user.ID, now, ex.userMsg, ex.reply)
}

// undo removes a failed exchange: the conversation when the send made it,
// else the user message and the reply.
func (s *Service) undo(ex *exchange) {
	ctx := context.Background()
	var err error
	if ex.created {
		err = store.DeleteConversation(ctx, s.store.DB, ex.user.ID, ex.conv.ID)
	} else {
		err = s.store.WithTx(ctx, func(tx *sql.Tx) error {
			for _, m := range []*store.Message{ex.reply, ex.userMsg} {
				if err := store.DeleteMessage(ctx, tx, ex.user.ID, m.ID); err != nil && !errors.Is(err, store.ErrNotFound) {
					return err
				}
			}
			return nil
		})
	}
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		s.log.Error("chat: undoing a failed exchange", "conversation", ex.conv.ID, "err", err)
	}
}

// Regenerate drops the conversation's last reply (if the last message is
// one) and streams a new reply to the last user message.
func (s *Service) Regenerate(ctx context.Context, req RegenerateRequest) (*Reply, error) {
	// As for Send: a stop from here on is recorded, not failed.
	prep := context.WithoutCancel(ctx)
	u, err := s.user(prep, req.UserID)
	if err != nil {
		return nil, storeErr(err, "user")
	}
	conv, err := store.GetConversation(prep, s.store.DB, req.UserID, req.ConversationID)
	if err != nil {
		return nil, storeErr(err, "conversation")
	}
	mode, model, opts, err := s.resolve(prep, u, conv, "", req.Model, req.Options)
	if err != nil {
		return nil, err
	}
	ex := &exchange{user: u, conv: conv, mode: mode, model: model}
	usedDocs, usedTools := false, false
	err = s.store.WithTx(prep, func(tx *sql.Tx) error {
		last, _, err := store.ListMessages(prep, tx, u.ID, conv.ID, 0, 2)
		if err != nil {
			return err
		}
		if n := len(last); n > 0 && last[n-1].Role == "assistant" {
			if err := store.DeleteMessage(prep, tx, u.ID, last[n-1].ID); err != nil {
				return err
			}
			// A reply from documents is made again from documents.
			usedDocs = fromDocuments(last[n-1], mode)
			// So is one that was offered tools.
			usedTools = last[n-1].ToolCalls != nil
			last = last[:n-1]
		}
		if len(last) == 0 || last[len(last)-1].Role != "user" {
			return apperr.BadRequest("the conversation has no message to answer again")
		}
		ex.prompt = last[len(last)-1].Content
		if model != conv.Model {
			if err := store.UpdateConversation(prep, tx, u.ID, conv.ID, store.ConversationUpdate{Model: &model}); err != nil {
				return err
			}
		}
		ex.reply = &store.Message{ConversationID: conv.ID, Role: "assistant", Model: model, Status: store.MessagePartial}
		return store.InsertMessage(prep, tx, u.ID, ex.reply, s.now())
	})
	if err != nil {
		return nil, storeErr(err, "conversation")
	}
	turns, _, err := store.ListMessages(prep, s.store.DB, u.ID, conv.ID, ex.reply.ID, historyMessages)
	if err != nil {
		return nil, err
	}
	ex.tools = s.offerTools(prep, usedTools, model, req.Stream)
	ex.history = s.historyFrom(turns, u, mode, ex.tools != nil)
	if usesDocuments(mode, usedDocs) {
		if ex.docs, err = s.retrieve(prep, u.ID, ex.prompt, turns[:len(turns)-1]); err != nil {
			// The old reply is gone already; leave no empty one behind.
			if derr := store.DeleteMessage(context.WithoutCancel(ctx), s.store.DB, u.ID, ex.reply.ID); derr != nil {
				s.log.Error("chat: removing a reply whose passages could not be found", "conversation", conv.ID, "err", derr)
			}
			return nil, err
		}
	}
	return s.generate(ctx, ex, opts, req.Stream)
}

// resolve settles a turn's mode, model and options. The mode is the one
// asked for, else the conversation's (general when that one was deleted
// since), else general. The model is the one asked for, else the
// conversation's while its mode is kept, else the user's assignment for the
// mode (see modelFor).
func (s *Service) resolve(ctx context.Context, u *store.User, conv *store.Conversation, modeKey, model string, options map[string]any) (Mode, string, map[string]any, error) {
	asked := strings.TrimSpace(modeKey) != ""
	if !asked && conv != nil {
		modeKey = conv.Mode
	}
	mode, err := s.Mode(ctx, u.ID, modeKey)
	if err != nil && !asked && conv != nil {
		mode, err = builtinMode(DefaultMode), nil
	}
	if err != nil {
		return Mode{}, "", nil, err
	}
	opts, err := CheckOptions(options)
	if err != nil {
		return Mode{}, "", nil, err
	}
	model = strings.TrimSpace(model)
	if model == "" && conv != nil && conv.Mode == mode.Key {
		model = conv.Model
	}
	if model == "" {
		model = s.modelFor(u, mode.ModelKey)
	}
	if llm.Current(s.llm).Name() == llm.DemoModel {
		// Only the demo model can answer: label the reply with what
		// really answers, not the assignment it stands in for.
		model = llm.DemoModel
	}
	return mode, model, opts, nil
}

// modelFor picks the model for one of the user's assignments: the
// assignment, else the user's selected model, else the appliance default.
func (s *Service) modelFor(u *store.User, key string) string {
	if m := strings.TrimSpace(u.Models[key]); m != "" {
		return m
	}
	if m := strings.TrimSpace(u.Models["selected_model"]); m != "" {
		return m
	}
	return s.defaultModel
}

// historyMessages bounds the turns read for a prompt.
const historyMessages = 200

// historyFrom builds the prompt from a conversation's turns, oldest first.
// With tools, earlier replies that called tools are given with their calls
// and results, so the model knows what it did (the ids it created).
func (s *Service) historyFrom(msgs []*store.Message, u *store.User, mode Mode, tools bool) []llm.Message {
	var turns []llm.Message
	budget := historyBudgetChars
	for i := len(msgs) - 1; i >= 0; i-- {
		m := msgs[i]
		if m.Role == "system" {
			continue
		}
		if tools && len(m.ToolCalls) > 2 {
			if replay := replayToolTurns(m.ToolCalls, m.Content); replay != nil {
				if budget -= len(m.Content) + len(m.ToolCalls); budget < 0 && len(turns) > 0 {
					break
				}
				for j := len(replay) - 1; j >= 0; j-- {
					turns = append(turns, replay[j])
				}
				continue
			}
		}
		if m.Content == "" {
			continue
		}
		if budget -= len(m.Content); budget < 0 && len(turns) > 0 {
			break
		}
		turns = append(turns, llm.Message{Role: m.Role, Content: m.Content})
	}
	out := make([]llm.Message, 0, len(turns)+1)
	sys := SystemPrompt(mode, u)
	if tools {
		sys = strings.TrimSpace(sys + "\n\n" + toolsPrompt(s.now(), u.Timezone))
	}
	if sys != "" {
		out = append(out, llm.Message{Role: "system", Content: sys})
	}
	for i := len(turns) - 1; i >= 0; i-- {
		out = append(out, turns[i])
	}
	return out
}

// SystemPrompt is the mode's prompt, followed by the user's profile when
// they allow it to be used in chat.
func SystemPrompt(mode Mode, u *store.User) string {
	var b strings.Builder
	b.WriteString(strings.TrimSpace(mode.SystemPrompt))
	if u != nil && u.UseProfileInChat {
		var lines []string
		for _, f := range []struct{ label, v string }{
			{"Mission statement", u.MissionStatement},
			{"Personal goals", u.PersonalGoals},
			{"Work style preferences", u.WorkStylePreferences},
		} {
			if v := strings.TrimSpace(f.v); v != "" {
				lines = append(lines, "- "+f.label+": "+v)
			}
		}
		if len(lines) > 0 {
			if b.Len() > 0 {
				b.WriteString("\n\n")
			}
			b.WriteString("What the user has shared about themselves (use it to tailor your answers; do not repeat it back unprompted):\n")
			b.WriteString(strings.Join(lines, "\n"))
		}
	}
	return b.String()
}

// generate runs a reply whose rows exist: start (tell the caller), relay
// (ask the model and pass its chunks on), record (store the outcome).
func (s *Service) generate(ctx context.Context, ex *exchange, opts map[string]any, st Stream) (*Reply, error) {
	out := relayed{}
	if err := s.start(ctx, ex, st); err != nil {
		out.err = err // the caller is gone, or stopped already: the model is not asked
	} else if err := s.research(ctx, ex, st); err != nil {
		out.err = err // the search failed, or the caller stopped while pages were read
	} else if d := ex.docs; d != nil && len(d.sources) == 0 {
		out = s.relayText(d.noSources(), st)
	} else {
		if d != nil {
			ex.history = withSources(ex.history, d.sources)
			opts = numCtx(ex.history, opts)
		}
		out = s.relay(ctx, ex, opts, st)
	}
	return s.record(ctx, ex, st, out)
}

// start tells the caller that the reply's message exists. It answers
// why the model must not be asked: the caller went away, or stopped.
func (s *Service) start(ctx context.Context, ex *exchange, st Stream) error {
	if st.OnStart != nil {
		err := st.OnStart(Start{ConversationID: ex.conv.ID, MessageID: ex.reply.ID, Model: ex.model, Mode: ex.mode.Key,
			Created: ex.created, Tools: ex.tools != nil})
		if err != nil {
			return errRelay{err}
		}
	}
	return ctx.Err()
}

// relayed is what the model did.
type relayed struct {
	res     *llm.Result // nil when the model was not asked
	err     error       // the model's, or the relay's (errRelay)
	content string
	began   time.Time
	first   time.Duration // to the first chunk; 0 when none came
}

// relay asks the model and passes its chunks to the caller as they come.
// An error of the caller's stops the model at once. When the model calls
// tools, they are run (see runTools), their results added to the prompt
// and the model asked to go on: at most MaxToolRounds rounds of calls,
// then once more without tools. The reply's text is every round's text,
// rounds apart by a blank line.
func (s *Service) relay(ctx context.Context, ex *exchange, opts map[string]any, st Stream) relayed {
	out := relayed{began: time.Now()}
	var content strings.Builder
	history := ex.history
	for round := 0; ; round++ {
		req := llm.ChatRequest{Model: ex.model, Messages: history, Options: opts}
		if ex.tools != nil && round < MaxToolRounds {
			req.Tools = ex.tools
		}
		roundStart, sep := content.Len(), content.Len() > 0
		res, err := s.llm.Chat(ctx, req, func(c llm.Chunk) error {
			if out.first == 0 {
				out.first = time.Since(out.began)
			}
			if c.Thinking != "" && st.OnThinking != nil {
				if err := st.OnThinking(c.Thinking); err != nil {
					return errRelay{err}
				}
			}
			if c.Content != "" {
				if sep {
					sep = false
					c.Content = "\n\n" + c.Content
				}
				content.WriteString(c.Content)
				if st.OnToken != nil {
					if err := st.OnToken(c.Content); err != nil {
						return errRelay{err}
					}
				}
			}
			return nil
		})
		out.res, out.err = addRound(out.res, res), err
		if err != nil || res == nil || len(res.ToolCalls) == 0 || req.Tools == nil {
			break
		}
		first := len(ex.calls)
		if err := s.runTools(ctx, ex, res.ToolCalls, st); err != nil {
			out.err = err
			break
		}
		// The model's turn is given back with the calls as they ran (the
		// user may have edited the arguments), each followed by its result.
		asked := llm.Message{Role: "assistant", Content: strings.TrimPrefix(content.String()[roundStart:], "\n\n")}
		var results []llm.Message
		for _, c := range ex.calls[first:] {
			asked.ToolCalls = append(asked.ToolCalls, llm.ToolCall{ID: c.ID, Name: c.Name, Arguments: c.Arguments})
			results = append(results, llm.Message{Role: "tool", ToolCallID: c.ID, ToolName: c.Name, Content: toolResultText(c)})
		}
		history = append(append(slices.Clip(history), asked), results...)
	}
	out.content = content.String()
	return out
}

// addRound adds a round's result to the reply's: tokens and times summed,
// the last round's model, reason and calls.
func addRound(sum, r *llm.Result) *llm.Result {
	if sum == nil || r == nil {
		if r == nil {
			return sum
		}
		return r
	}
	out := *r
	out.Usage.PromptTokens += sum.Usage.PromptTokens
	out.Usage.CompletionTokens += sum.Usage.CompletionTokens
	out.Timing.TotalMs += sum.Timing.TotalMs
	out.Timing.LoadMs += sum.Timing.LoadMs
	out.Timing.PromptEvalMs += sum.Timing.PromptEvalMs
	out.Timing.EvalMs += sum.Timing.EvalMs
	if out.Timing.EvalMs > 0 {
		out.Timing.TokensPerSecond = float64(out.Usage.CompletionTokens) / (out.Timing.EvalMs / 1000)
	}
	out.Demo = out.Demo || sum.Demo
	return &out
}

// relayText passes a reply the service wrote itself (the model is not
// asked) to the caller as one chunk.
func (s *Service) relayText(text string, st Stream) relayed {
	out := relayed{began: time.Now(), content: text}
	if st.OnToken != nil {
		if err := st.OnToken(text); err != nil {
			out.err = errRelay{err}
		}
	}
	out.first = time.Since(out.began)
	return out
}

// record stores the reply as it ended — complete, stopped (by the caller,
// whose context may be gone: it is recorded regardless) or failed — and
// names a new conversation in the background.
func (s *Service) record(ctx context.Context, ex *exchange, st Stream, out relayed) (*Reply, error) {
	reply := &Reply{ConversationID: ex.conv.ID, Message: ex.reply}
	m := ex.reply
	m.Content = out.content
	if d := ex.docs; d != nil {
		if len(d.sources) > 0 {
			m.Content = citeMarkers(m.Content, d.sources)
		}
		m.Sources, m.NoSources, m.Indexing = sourcesJSON(d.sources), len(d.sources) == 0, d.indexing
	}
	if ex.tools != nil {
		m.ToolCalls = toolCallsJSON(ex.calls)
	}
	if res := out.res; res != nil {
		if res.Model != "" && res.Model != ex.model && res.Demo {
			m.Model = res.Model
		}
		m.PromptTokens, m.CompletionTokens, m.Demo = res.Usage.PromptTokens, res.Usage.CompletionTokens, res.Demo
		reply.Usage, reply.Demo = res.Usage, res.Demo
		reply.Timing.Timing = res.Timing
	}
	if reply.Timing.TotalMs == 0 && !out.began.IsZero() {
		reply.Timing.TotalMs = msSince(out.began)
	}
	reply.Timing.FirstTokenMs = float64(out.first.Microseconds()) / 1000
	m.Timing, _ = json.Marshal(reply.Timing)

	var relay errRelay
	stopped := out.err != nil && (ctx.Err() != nil || errors.As(out.err, &relay))
	var failed error
	switch {
	case out.err == nil:
		m.Status = store.MessageComplete
	case stopped:
		reply.Stopped = true
		m.Error = "stopped"
		if m.Content == "" {
			m.Error = "stopped before the reply began"
		}
	default:
		failed = LLMError(out.err, ex.model)
		m.Error = apperr.From(failed).Message
		s.log.Warn("chat: model failed", "conversation", ex.conv.ID, "model", ex.model, "chars", len(m.Content), "err", out.err)
	}
	if out.err != nil {
		m.Status = store.MessagePartial
		if m.Content == "" {
			m.Status = store.MessageError
		}
	}
	err := store.FinishMessage(context.WithoutCancel(ctx), s.store.DB, ex.user.ID, m)
	// The exchange's text (the user message written when it began, the
	// reply) is indexed in the background. Not kicked at the start: that
	// would index the empty reply row while the first tokens are relayed,
	// only to drop the entry again here.
	s.index.kick()
	// A conversation deleted meanwhile leaves nothing to record.
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		s.log.Error("chat: recording a reply", "conversation", ex.conv.ID, "err", err)
		if failed == nil {
			failed = err
		}
	}
	if ex.created {
		s.titleLater(ex, m, st.ReplySent, st.OnTitle)
	}
	if failed == nil && m.Status == store.MessageComplete && s.replied != nil {
		s.replied(ex.user.ID, ex.conv.ID)
	}
	return reply, failed
}

func msSince(t time.Time) float64 { return float64(time.Since(t).Microseconds()) / 1000 }

// FallbackTitle is a conversation's title until (or when) the model gives
// none: the first line of the first message, cut at a word near 60
// characters.
func FallbackTitle(msg string) string {
	line := strings.Join(strings.Fields(msg), " ")
	r := []rune(line)
	if len(r) <= 60 {
		if line == "" {
			return "New conversation"
		}
		return line
	}
	cut := 60
	for i := 60; i > 30; i-- {
		if unicode.IsSpace(r[i]) {
			cut = i
			break
		}
	}
	return strings.TrimRightFunc(string(r[:cut]), unicode.IsPunct) + "…"
}

// cleanTitle keeps the first line of what the model wrote, without quotes,
// Markdown markers or a "Title:" prefix, at most 80 characters.
func cleanTitle(s string) string {
	for _, line := range strings.Split(s, "\n") {
		line = strings.TrimSpace(line)
		line = strings.TrimLeft(line, "#*-_> ")
		if l := strings.ToLower(line); strings.HasPrefix(l, "title:") {
			line = strings.TrimSpace(line[len("title:"):])
		}
		line = strings.Trim(line, "\"'`*_ ")
		line = strings.TrimRight(line, ".")
		line = strings.Join(strings.Fields(line), " ")
		if line == "" {
			continue
		}
		return textutil.Ellipsize(line, 80)
	}
	return ""
}

// titleLater names a new conversation in the background, after its first
// reply: the user's summary model writes a title from the exchange; when
// it fails (or the reply did not complete, or it is the demo model) the
// fallback title made from the first message stays.
func (s *Service) titleLater(ex *exchange, reply *store.Message, after <-chan struct{}, onTitle func(int64, string)) {
	fallback := ex.conv.Title
	ok := reply.Status == store.MessageComplete && !reply.Demo
	userID, convID := ex.user.ID, ex.conv.ID
	model := s.modelFor(ex.user, "summary_model")
	prompt, answer := textutil.Ellipsize(ex.prompt, 2000), textutil.Ellipsize(reply.Content, 2000)
	s.goBackground(func(bg context.Context) {
		if after != nil {
			select {
			case <-after:
			case <-bg.Done():
			}
		}
		title := fallback
		if ok {
			ctx, cancel := context.WithTimeout(bg, s.TitleTimeout)
			res, err := s.llm.Chat(ctx, llm.ChatRequest{
				Model: model,
				Messages: []llm.Message{
					{Role: "system", Content: "You name conversations. Reply with a title of at most six words for the conversation you are shown, and nothing else: no quotes, no final punctuation."},
					{Role: "user", Content: "User: " + prompt + "\n\nAssistant: " + answer},
				},
				Options: map[string]any{"temperature": 0.2, "num_predict": 24},
			}, func(llm.Chunk) error { return nil })
			cancel()
			switch {
			case err != nil:
				s.log.Info("chat: title generation failed; keeping the first message", "conversation", convID, "model", model, "err", err)
			case res.Demo:
			default:
				if t := cleanTitle(res.Content); t != "" {
					title = t
				}
			}
		}
		if title != fallback {
			changed, err := store.ReplaceConversationTitle(bg, s.store.DB, userID, convID, fallback, title)
			if err != nil || !changed {
				return // renamed or deleted meanwhile
			}
		}
		if onTitle != nil {
			onTitle(convID, title)
		}
	})
}
