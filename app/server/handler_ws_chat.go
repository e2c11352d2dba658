package server

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"sync"

	"github.com/gofiber/contrib/websocket"

	"github.com/aiwfe/aiwfe/app/apperr"
	"github.com/aiwfe/aiwfe/app/chat"
	"github.com/aiwfe/aiwfe/app/llm"
)

// wsClientFrame is any frame a chat client sends (docs/websocket.md).
type wsClientFrame struct {
	Type           string         `json:"type"`
	ConversationID int64          `json:"conversation_id"`
	Mode           string         `json:"mode"`
	Model          string         `json:"model"`
	Message        string         `json:"message"`
	Options        map[string]any `json:"options"`
	UseDocuments   bool           `json:"use_documents"`
	UseTools       bool           `json:"use_tools"`
	// tool_confirm: the call answered, the decision, edited arguments.
	CallID    string          `json:"call_id"`
	Approve   *bool           `json:"approve"`
	Arguments json.RawMessage `json:"arguments"`
}

type wsStartFrame struct {
	Type           string `json:"type"` // start
	ConversationID int64  `json:"conversation_id"`
	MessageID      int64  `json:"message_id"`
	Model          string `json:"model"`
	Mode           string `json:"mode"`
	Created        bool   `json:"created"`
	Tools          bool   `json:"tools"`
}

type wsDoneFrame struct {
	Type           string      `json:"type"` // done
	ConversationID int64       `json:"conversation_id"`
	MessageID      int64       `json:"message_id"`
	Status         string      `json:"status"`
	Usage          llm.Usage   `json:"usage"`
	Timing         chat.Timing `json:"timing"`
	Stopped        bool        `json:"stopped"`
	Demo           bool        `json:"demo"`
	// A reply from documents: its passages, whether none matched, how
	// many documents were still being indexed, and its final text (the
	// tokens without the markers that pointed at no source).
	Sources   json.RawMessage `json:"sources,omitempty"`
	NoSources bool            `json:"no_sources,omitempty"`
	Indexing  int             `json:"indexing,omitempty"`
	Content   *string         `json:"content,omitempty"`
	// ToolCalls are the reply's tool calls when it was offered tools.
	ToolCalls json.RawMessage `json:"tool_calls,omitempty"`
}

type wsErrorFrame struct {
	Type           string `json:"type"` // error
	Code           string `json:"code"`
	Message        string `json:"message"`
	ConversationID int64  `json:"conversation_id,omitempty"`
	MessageID      int64  `json:"message_id,omitempty"`
	CallID         string `json:"call_id,omitempty"`
}

// wsToolCallFrame proposes a tool call that creates or changes data; the
// client answers with tool_confirm.
type wsToolCallFrame struct {
	Type string `json:"type"` // tool_call
	chat.ToolProposal
}

// wsToolResultFrame tells how a tool call was settled.
type wsToolResultFrame struct {
	Type           string `json:"type"` // tool_result
	ConversationID int64  `json:"conversation_id"`
	MessageID      int64  `json:"message_id"`
	CallID         string `json:"call_id"`
	chat.ToolCall
}

// wsProgressFrame is a research reply's stage.
type wsProgressFrame struct {
	Type string `json:"type"` // progress
	chat.ResearchProgress
}

type wsTitleFrame struct {
	Type           string `json:"type"` // title
	ConversationID int64  `json:"conversation_id"`
	Title          string `json:"title"`
}

// wsContentFrame is a token or thinking frame: one per chunk of the
// model's reply.
type wsContentFrame struct {
	Type    string `json:"type"` // token | thinking
	Content string `json:"content"`
}

// wsChat serves /api/v1/ws/chat: the client sends send / regenerate /
// stop / ping frames; replies stream back as start, token..., done (or
// error). One reply streams at a time per socket; stop, or closing the
// socket, cancels the model request at once and keeps what arrived.
func (s *Server) wsChat(conn *websocket.Conn) {
	p := wsPrincipal(conn)
	wc := s.newWSConnFor(conn)
	wc.run(func() {
		ctx, cancel := context.WithCancel(context.Background())
		var (
			mu     sync.Mutex
			stop   context.CancelFunc // the running reply's, nil when idle
			wg     sync.WaitGroup
			userID = p.UserID
			// sent is closed once the last reply's final frame is out; a
			// next reply waits for it, so frames never cross.
			sent = make(chan struct{})
			// confirms are the tool calls waiting for the user's decision.
			confirms = newWSConfirms()
		)
		close(sent)
		defer func() {
			cancel()
			wg.Wait() // the reply is recorded before the socket is released
		}()
		sendErr := func(err error) {
			e := apperr.From(err)
			wc.writeJSON(wsErrorFrame{Type: "error", Code: e.Code, Message: e.Message})
		}
		for {
			_, data, err := conn.ReadMessage()
			if err != nil {
				if !isCloseErr(err) {
					s.log.Debug("ws chat: read", "user", userID, "err", err)
				}
				return
			}
			wc.alive()
			var f wsClientFrame
			if err := json.Unmarshal(data, &f); err != nil {
				sendErr(apperr.BadRequest("frames must be JSON objects with a type"))
				continue
			}
			switch f.Type {
			case "ping":
				wc.writeRaw([]byte(`{"type":"pong"}`))
			case "stop":
				mu.Lock()
				if stop != nil {
					stop()
				}
				mu.Unlock()
			case "tool_confirm":
				if err := confirms.answer(f); err != nil {
					e := apperr.From(err)
					wc.writeJSON(wsErrorFrame{Type: "error", Code: e.Code, Message: e.Message, CallID: f.CallID})
				}
			case "send", "regenerate":
				if f.Type == "regenerate" && f.ConversationID <= 0 {
					sendErr(apperr.Invalid("conversation_id", "conversation_id is required"))
					continue
				}
				rctx, rcancel := context.WithCancel(ctx)
				mu.Lock()
				busy := stop != nil
				if !busy {
					stop = rcancel
				}
				mu.Unlock()
				if busy {
					rcancel()
					sendErr(apperr.Conflict("a reply is still streaming; send stop first or wait for done"))
					continue
				}
				prev, next := sent, make(chan struct{})
				sent = next
				wg.Add(1)
				go func(f wsClientFrame) {
					defer wg.Done()
					<-prev
					final := s.wsReply(rctx, wc, userID, f, next, confirms)
					// Free the slot before the final frame goes out, so a
					// client that sends on "done" is never told it is busy.
					mu.Lock()
					stop = nil
					mu.Unlock()
					rcancel()
					wc.writeJSON(final)
					close(next)
				}(f)
			default:
				sendErr(apperr.BadRequest("unknown frame type " + strings.TrimSpace(f.Type) + "; want send, regenerate, stop, tool_confirm or ping"))
			}
		}
	})
}

// wsReply streams one reply to the socket and returns its final frame
// (done or error). A title frame waits until sent is closed, so it always
// follows the final frame.
func (s *Server) wsReply(ctx context.Context, wc *wsConn, userID int64, f wsClientFrame, sent <-chan struct{}, confirms *wsConfirms) any {
	svc := s.app.Chat
	var started chat.Start
	stream := chat.Stream{
		OnStart: func(st chat.Start) error {
			started = st
			return wc.writeJSON(wsStartFrame{Type: "start", ConversationID: st.ConversationID, MessageID: st.MessageID,
				Model: st.Model, Mode: st.Mode, Created: st.Created, Tools: st.Tools})
		},
		OnToken:    func(content string) error { return wc.writeJSON(wsContentFrame{Type: "token", Content: content}) },
		OnThinking: func(content string) error { return wc.writeJSON(wsContentFrame{Type: "thinking", Content: content}) },
		ReplySent:  sent,
		OnTitle: func(convID int64, title string) {
			select {
			case <-sent:
			case <-wc.done:
				return
			}
			wc.writeJSON(wsTitleFrame{Type: "title", ConversationID: convID, Title: title})
		},
		Confirm: func(ctx context.Context, p chat.ToolProposal) (chat.Decision, error) {
			return confirms.ask(ctx, wc, p)
		},
		OnToolResult: func(c chat.ToolCall) error {
			return wc.writeJSON(wsToolResultFrame{Type: "tool_result", ConversationID: started.ConversationID,
				MessageID: started.MessageID, CallID: c.ID, ToolCall: c})
		},
	}
	// A research reply's stages (searching, reading N pages) while it
	// works, before its first token.
	stream.OnProgress = func(p chat.ResearchProgress) { wc.writeJSON(wsProgressFrame{Type: "progress", ResearchProgress: p}) }
	var r *chat.Reply
	var err error
	if f.Type == "regenerate" {
		r, err = svc.Regenerate(ctx, chat.RegenerateRequest{UserID: userID, ConversationID: f.ConversationID,
			Model: f.Model, Options: f.Options, Stream: stream})
	} else {
		r, err = svc.Send(ctx, chat.SendRequest{UserID: userID, ConversationID: f.ConversationID, Mode: f.Mode,
			Model: f.Model, Message: f.Message, Options: f.Options, UseDocuments: f.UseDocuments, UseTools: f.UseTools, Stream: stream})
	}
	if err != nil {
		e := apperr.From(err)
		if e.Code == "internal" {
			s.log.Error("ws chat: reply failed", "user", userID, "err", err)
		}
		return wsErrorFrame{Type: "error", Code: e.Code, Message: e.Message, ConversationID: started.ConversationID, MessageID: started.MessageID}
	}
	done := wsDoneFrame{Type: "done", ConversationID: r.ConversationID, MessageID: r.Message.ID, Status: r.Message.Status,
		Usage: r.Usage, Timing: r.Timing, Stopped: r.Stopped, Demo: r.Demo}
	if m := r.Message; m.Sources != nil {
		done.Sources, done.NoSources, done.Indexing, done.Content = m.Sources, m.NoSources, m.Indexing, &m.Content
	}
	done.ToolCalls = r.Message.ToolCalls
	return done
}

// wsConfirms routes a socket's tool_confirm frames to the tool calls
// waiting for them. A call waits until it is answered or its reply ends
// (stop, closed socket); an answer for a call that is not waiting is
// refused: not_found when the socket never proposed it (or its reply
// ended), conflict when it was answered already.
type wsConfirms struct {
	mu       sync.Mutex
	pending  map[string]chan chat.Decision
	answered map[string]bool
}

// maxAnswered bounds the answered ids a socket remembers (for the
// conflict answer); past it they are forgotten and a late second answer
// gets not_found instead.
const maxAnswered = 256

func newWSConfirms() *wsConfirms {
	return &wsConfirms{pending: map[string]chan chat.Decision{}, answered: map[string]bool{}}
}

// ask sends the proposal and waits for the user's decision.
func (w *wsConfirms) ask(ctx context.Context, wc *wsConn, p chat.ToolProposal) (chat.Decision, error) {
	ch := make(chan chat.Decision, 1)
	w.mu.Lock()
	w.pending[p.CallID] = ch
	delete(w.answered, p.CallID) // asked again after a refused edit
	w.mu.Unlock()
	defer func() {
		w.mu.Lock()
		delete(w.pending, p.CallID)
		w.mu.Unlock()
	}()
	if err := wc.writeJSON(wsToolCallFrame{Type: "tool_call", ToolProposal: p}); err != nil {
		return chat.Decision{}, err
	}
	select {
	case d := <-ch:
		return d, nil
	case <-ctx.Done():
		return chat.Decision{}, ctx.Err()
	}
}

// answer hands a tool_confirm frame to its waiting call.
func (w *wsConfirms) answer(f wsClientFrame) error {
	if strings.TrimSpace(f.CallID) == "" {
		return apperr.Invalid("call_id", "call_id is required")
	}
	if f.Approve == nil {
		return apperr.Invalid("approve", "approve must be true or false")
	}
	if len(f.Arguments) > 0 && string(f.Arguments) != "null" && !json.Valid(f.Arguments) {
		return apperr.Invalid("arguments", "arguments must be a JSON object")
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	ch, ok := w.pending[f.CallID]
	switch {
	case !ok && w.answered[f.CallID]:
		return apperr.Conflict("tool call " + f.CallID + " was answered already")
	case !ok:
		return apperr.New(http.StatusNotFound, "not_found", "no tool call "+f.CallID+" is waiting for confirmation")
	}
	delete(w.pending, f.CallID)
	if len(w.answered) >= maxAnswered {
		clear(w.answered)
	}
	w.answered[f.CallID] = true
	d := chat.Decision{Approve: *f.Approve}
	if string(f.Arguments) != "null" {
		d.Arguments = f.Arguments
	}
	ch <- d // buffered: never blocks the read loop
	return nil
}
