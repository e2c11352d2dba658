package chat

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aiwfe/aiwfe/app/apperr"
	"github.com/aiwfe/aiwfe/app/llm"
	"github.com/aiwfe/aiwfe/app/textutil"
)

// Tool is one action the model may take during a chat reply (list the
// user's tasks, create one, ...). The service offers its tools to models
// that can call them, runs the calls as the user (never as anyone the
// arguments name), and returns the results to the model. A tool that
// creates or changes data (ChangesData) runs only after the user approved
// the call — as proposed or as they edited it.
type Tool interface {
	// Name is the function name the model calls (a-z, 0-9, _).
	Name() string
	// Description tells the model what the tool does and when to use it.
	Description() string
	// Parameters is the JSON Schema (an object) of the arguments.
	Parameters() json.RawMessage
	// ChangesData is true when the tool creates or changes something:
	// the user confirms each call first, and callers that cannot ask
	// (REST chat) are not offered it.
	ChangesData() bool
	// Describe checks the arguments and says in one line what running
	// the call would do ("Create task “Pay rent” due Tue 1 Dec"). Its
	// error (an apperr validation error for bad arguments) goes back to
	// the model, and for a change the user is not asked.
	Describe(ctx context.Context, userID int64, args json.RawMessage) (string, error)
	// Run performs the call for userID and returns what the model is
	// told (marshalled to JSON): for a creation, the new object's id.
	Run(ctx context.Context, userID int64, args json.RawMessage) (any, error)
}

// FuncTool is a Tool made of functions, so that registering one is a
// single literal in Deps.Tools. Describe may be nil (the summary is then
// the tool's name).
type FuncTool struct {
	ToolName        string
	ToolDescription string
	Schema          json.RawMessage
	Changes         bool
	DescribeFunc    func(ctx context.Context, userID int64, args json.RawMessage) (string, error)
	RunFunc         func(ctx context.Context, userID int64, args json.RawMessage) (any, error)
}

func (t FuncTool) Name() string                { return t.ToolName }
func (t FuncTool) Description() string         { return t.ToolDescription }
func (t FuncTool) Parameters() json.RawMessage { return t.Schema }
func (t FuncTool) ChangesData() bool           { return t.Changes }

func (t FuncTool) Describe(ctx context.Context, userID int64, args json.RawMessage) (string, error) {
	if t.DescribeFunc == nil {
		return t.ToolName, nil
	}
	return t.DescribeFunc(ctx, userID, args)
}

func (t FuncTool) Run(ctx context.Context, userID int64, args json.RawMessage) (any, error) {
	return t.RunFunc(ctx, userID, args)
}

// MaxToolRounds bounds the model's tool calling in one reply: after this
// many rounds of calls the model is asked once more without tools, so it
// must answer in words.
const MaxToolRounds = 4

// maxCallsPerRound bounds the calls of one round; the model is told the
// rest were not run.
const maxCallsPerRound = 8

// Tool call statuses, as stored and sent to clients.
const (
	ToolDone      = "done"      // ran; Result holds what the model was told
	ToolDeclined  = "declined"  // the user said no
	ToolFailed    = "failed"    // bad arguments, an unknown tool, or the tool failed: Error says why
	ToolCancelled = "cancelled" // the reply was stopped (or the socket closed) while the user was asked
)

// ToolCall is one call of a tool in a reply, as stored with the message
// (messages.tool_calls) and sent to the client.
type ToolCall struct {
	// ID names the call for the client's confirmation: unique on the
	// server (the reply's message id and a sequence number).
	ID        string          `json:"id"`
	Name      string          `json:"name"`
	Arguments json.RawMessage `json:"arguments"`
	Summary   string          `json:"summary,omitempty"`
	// Confirm is true when the call needed the user's approval.
	Confirm bool `json:"confirm"`
	// Edited is true when the user changed the arguments before approving.
	Edited bool            `json:"edited,omitempty"`
	Status string          `json:"status"`
	Result json.RawMessage `json:"result,omitempty"`
	Error  string          `json:"error,omitempty"`
}

// ToolProposal is a call that waits for the user's decision.
type ToolProposal struct {
	CallID         string          `json:"call_id"`
	ConversationID int64           `json:"conversation_id"`
	MessageID      int64           `json:"message_id"`
	Name           string          `json:"name"`
	Arguments      json.RawMessage `json:"arguments"`
	Summary        string          `json:"summary"`
	// Error is set when the user's edited arguments were refused: the
	// proposal is asked again, with the reason.
	Error string `json:"error,omitempty"`
}

// Decision is the user's answer to a proposal. Arguments, when set,
// replace the proposed ones (the user edited them).
type Decision struct {
	Approve   bool
	Arguments json.RawMessage
}

// validToolName: what every provider accepts as a function name.
func validToolName(n string) bool {
	if n == "" || len(n) > 64 {
		return false
	}
	for _, r := range n {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_') {
			return false
		}
	}
	return true
}

// registry holds the service's tools by name.
type registry struct {
	tools []Tool
}

func newRegistry(tools []Tool) (*registry, error) {
	r := &registry{}
	for _, t := range tools {
		if err := r.add(t); err != nil {
			return nil, err
		}
	}
	return r, nil
}

func (r *registry) add(t Tool) error {
	switch {
	case !validToolName(t.Name()):
		return fmt.Errorf("chat: tool name %q: want 1-64 characters of a-z, 0-9 and _", t.Name())
	case r.find(t.Name()) != nil:
		return fmt.Errorf("chat: tool %q registered twice", t.Name())
	case !json.Valid(t.Parameters()):
		return fmt.Errorf("chat: tool %q: parameters are not JSON", t.Name())
	}
	r.tools = append(r.tools, t)
	return nil
}

func (r *registry) find(name string) Tool {
	for _, t := range r.tools {
		if t.Name() == name {
			return t
		}
	}
	return nil
}

// offer lists the tools for a model request: all of them when the caller
// can confirm changes, else the read-only ones.
func (r *registry) offer(canConfirm bool) []llm.Tool {
	var out []llm.Tool
	for _, t := range r.tools {
		if t.ChangesData() && !canConfirm {
			continue
		}
		out = append(out, llm.Tool{Name: t.Name(), Description: t.Description(), Parameters: t.Parameters()})
	}
	return out
}

// Tools lists the registered tools' names (the documentation and tests).
func (s *Service) Tools() []string {
	out := make([]string, len(s.tools.tools))
	for i, t := range s.tools.tools {
		out[i] = t.Name()
	}
	return out
}

// toolSupport caches whether a model can call tools (Ollama's /api/show
// capabilities), so a reply does not ask the model server each time.
type toolSupport struct {
	mu   sync.Mutex
	seen map[string]toolSupportEntry
}

type toolSupportEntry struct {
	ok bool
	at time.Time
}

// toolSupportTTL is how long a model's capability is remembered: a model
// pulled again under the same name may have changed.
const toolSupportTTL = 10 * time.Minute

// modelCallsTools reports whether the provider in force can give the model
// tools: the demo model and OpenAI-compatible servers always; an Ollama
// model when its capabilities list "tools". A model that cannot be asked
// (not installed, server down) gets no tools; the reply itself then says
// what is wrong.
func (s *Service) modelCallsTools(ctx context.Context, model string) bool {
	p := llm.Current(s.llm)
	switch p.Name() {
	case "demo", "openai":
		return true
	}
	sh, ok := p.(llm.Shower)
	if !ok {
		return false
	}
	key := p.Name() + "\x00" + model
	now := time.Now()
	s.toolCaps.mu.Lock()
	e, hit := s.toolCaps.seen[key]
	s.toolCaps.mu.Unlock()
	if hit && now.Sub(e.at) < toolSupportTTL {
		return e.ok
	}
	info, err := sh.Show(ctx, model)
	if err != nil {
		s.log.Info("chat: cannot tell whether the model calls tools; offering none", "model", model, "err", err)
		return false
	}
	e = toolSupportEntry{ok: slices.Contains(info.Capabilities, "tools"), at: now}
	s.toolCaps.mu.Lock()
	if s.toolCaps.seen == nil {
		s.toolCaps.seen = map[string]toolSupportEntry{}
	}
	s.toolCaps.seen[key] = e
	s.toolCaps.mu.Unlock()
	return e.ok
}

// toolsPrompt is added to the system prompt when tools are offered: the
// date and time in the user's timezone (a model cannot know what
// "tomorrow" is otherwise), the format of dates, and the confirmation rule.
func toolsPrompt(now time.Time, tz string) string {
	loc, err := time.LoadLocation(tz)
	if tz == "" || err != nil {
		loc, tz = time.UTC, "UTC"
	}
	t := now.In(loc)
	return fmt.Sprintf("You can use tools to read and change the user's tasks and calendar. Use them only when the user asks for something they do. "+
		"Today is %s, %s; the time is %s in the user's timezone (%s). "+
		"Give dates to tools as YYYY-MM-DD, or YYYY-MM-DDTHH:MM for a time of day, in that timezone. "+
		"Calls that create or change something are shown to the user, who approves, edits or declines them; "+
		"when a call is declined, do not make it again unless asked. Refer to tasks and events by the ids the tools return.",
		t.Format("Monday"), t.Format("2006-01-02"), t.Format("15:04"), tz)
}

// toolResultText is what the model is told of a finished call.
func toolResultText(c *ToolCall) string {
	switch c.Status {
	case ToolDone:
		return string(c.Result)
	case ToolDeclined:
		return `{"declined":true,"message":"The user declined this call; nothing was changed."}`
	default:
		b, _ := json.Marshal(map[string]string{"error": c.Error})
		return string(b)
	}
}

// runTools runs one round of the model's calls in order: read-only tools
// at once, changes after the user's decision. Its error means the reply
// must end (the caller stopped or went away while asked).
func (s *Service) runTools(ctx context.Context, ex *exchange, calls []llm.ToolCall, st Stream) error {
	for i, c := range calls {
		call := &ToolCall{ID: fmt.Sprintf("%d-%d", ex.reply.ID, len(ex.calls)+1), Name: c.Name, Arguments: normArgs(c.Arguments)}
		ex.calls = append(ex.calls, call)
		if i >= maxCallsPerRound {
			call.Status, call.Error = ToolFailed, fmt.Sprintf("not run: at most %d calls are run at a time", maxCallsPerRound)
			continue
		}
		if err := s.runTool(ctx, ex, call, st); err != nil {
			call.Status, call.Error = ToolCancelled, "the reply was stopped before the user decided"
			// The calls after it were never looked at.
			return err
		}
		if st.OnToolResult != nil {
			if err := st.OnToolResult(*call); err != nil {
				return errRelay{err}
			}
		}
	}
	return nil
}

// ToolOrigin is the chat message a tool call comes from, for tools that
// link what they make back to it (a task's source).
type ToolOrigin struct {
	ConversationID int64
	MessageID      int64
}

type originKey struct{}

// OriginOf is the origin of the tool call ctx was given to; ok is false
// outside a chat tool call.
func OriginOf(ctx context.Context) (ToolOrigin, bool) {
	o, ok := ctx.Value(originKey{}).(ToolOrigin)
	return o, ok
}

// runTool settles one call. Its error means the reply must end.
func (s *Service) runTool(ctx context.Context, ex *exchange, call *ToolCall, st Stream) error {
	ctx = context.WithValue(ctx, originKey{}, ToolOrigin{ConversationID: ex.conv.ID, MessageID: ex.reply.ID})
	t := s.tools.find(call.Name)
	if t == nil || (t.ChangesData() && st.Confirm == nil) {
		call.Status, call.Error = ToolFailed, "there is no tool named "+quote(call.Name)
		return nil
	}
	uid := ex.user.ID
	summary, err := t.Describe(ctx, uid, call.Arguments)
	if err != nil {
		call.Status, call.Error = ToolFailed, toolError(err)
		return nil
	}
	call.Summary = summary
	if t.ChangesData() {
		call.Confirm = true
		p := ToolProposal{CallID: call.ID, ConversationID: ex.conv.ID, MessageID: ex.reply.ID, Name: call.Name,
			Arguments: call.Arguments, Summary: summary}
		for {
			d, err := st.Confirm(ctx, p)
			if err != nil {
				// The caller stopped, or went away (its frame could not be
				// written): the reply is recorded as stopped, not failed.
				return errRelay{err}
			}
			if !d.Approve {
				call.Status = ToolDeclined
				return nil
			}
			if len(d.Arguments) == 0 || string(normArgs(d.Arguments)) == string(call.Arguments) {
				break
			}
			// The user edited the call: it is checked again, and asked
			// again with the reason when it does not pass.
			args := normArgs(d.Arguments)
			sum, err := t.Describe(ctx, uid, args)
			if err != nil {
				p.Arguments, p.Error = args, toolError(err)
				continue
			}
			call.Arguments, call.Summary, call.Edited = args, sum, true
			break
		}
	}
	// A stop after the user approved does not undo the approval: the
	// change runs to its end and is recorded.
	res, err := t.Run(context.WithoutCancel(ctx), uid, call.Arguments)
	if err != nil {
		call.Status, call.Error = ToolFailed, toolError(err)
		if apperr.From(err).Code == "internal" {
			s.log.Error("chat: tool failed", "tool", call.Name, "user", uid, "err", err)
		}
		return nil
	}
	b, err := json.Marshal(res)
	if err != nil {
		call.Status, call.Error = ToolFailed, "the tool's result could not be encoded"
		return nil
	}
	call.Status, call.Result = ToolDone, b
	return nil
}

// toolError is what the model (and the user) reads of a failed call: a
// client error's message, never an internal error chain.
func toolError(err error) string {
	e := apperr.From(err)
	if e.Code == "internal" {
		return "the tool failed"
	}
	msg := e.Message
	if e.Field != "" && !strings.Contains(msg, e.Field) {
		msg = e.Field + ": " + msg
	}
	return textutil.Ellipsize(msg, 500)
}

// normArgs makes arguments a compact JSON object: models send "" or null
// for none, some send the object as a JSON string.
func normArgs(a json.RawMessage) json.RawMessage {
	a = json.RawMessage(strings.TrimSpace(string(a)))
	if len(a) == 0 || string(a) == "null" || string(a) == `""` {
		return json.RawMessage("{}")
	}
	var s string
	if json.Unmarshal(a, &s) == nil {
		a = json.RawMessage(s)
	}
	var obj map[string]any
	if json.Unmarshal(a, &obj) != nil {
		return a // the tool refuses it in Describe
	}
	b, _ := json.Marshal(obj)
	return b
}

// toolCallsJSON is the stored form of a reply's calls: [] when tools were
// offered and none called.
func toolCallsJSON(calls []*ToolCall) json.RawMessage {
	if calls == nil {
		calls = []*ToolCall{}
	}
	b, _ := json.Marshal(calls)
	return b
}

// replayToolTurns rebuilds, for a stored reply that called tools, the
// turns the model saw: its calls, their results, then its answer.
func replayToolTurns(raw json.RawMessage, content string) []llm.Message {
	var calls []ToolCall
	if json.Unmarshal(raw, &calls) != nil || len(calls) == 0 {
		return nil
	}
	asked := llm.Message{Role: "assistant"}
	var results []llm.Message
	for i := range calls {
		c := &calls[i]
		asked.ToolCalls = append(asked.ToolCalls, llm.ToolCall{ID: c.ID, Name: c.Name, Arguments: c.Arguments})
		if c.Status == ToolCancelled {
			c.Error = "not run: the user stopped the reply"
		}
		results = append(results, llm.Message{Role: "tool", ToolCallID: c.ID, ToolName: c.Name, Content: toolResultText(c)})
	}
	out := append([]llm.Message{asked}, results...)
	if content != "" {
		out = append(out, llm.Message{Role: "assistant", Content: content})
	}
	return out
}

// offerTools decides a reply's tools: none unless asked for (use tools),
// registered, and the model can call them; without a way to confirm
// (REST), only the read-only ones.
func (s *Service) offerTools(ctx context.Context, asked bool, model string, st Stream) []llm.Tool {
	if !asked || len(s.tools.tools) == 0 {
		return nil
	}
	offer := s.tools.offer(st.Confirm != nil)
	if len(offer) == 0 || !s.modelCallsTools(ctx, model) {
		return nil
	}
	return offer
}
