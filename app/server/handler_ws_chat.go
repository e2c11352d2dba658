package server

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"unicode/utf8"

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
}

type wsStartFrame struct {
	Type           string `json:"type"` // start
	ConversationID int64  `json:"conversation_id"`
	MessageID      int64  `json:"message_id"`
	Model          string `json:"model"`
	Mode           string `json:"mode"`
	Created        bool   `json:"created"`
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
}

type wsErrorFrame struct {
	Type           string `json:"type"` // error
	Code           string `json:"code"`
	Message        string `json:"message"`
	ConversationID int64  `json:"conversation_id,omitempty"`
	MessageID      int64  `json:"message_id,omitempty"`
}

type wsTitleFrame struct {
	Type           string `json:"type"` // title
	ConversationID int64  `json:"conversation_id"`
	Title          string `json:"title"`
}

// tokenFrame encodes {"type":"token","content":...} by hand: it is the
// one frame sent per upstream chunk, so it avoids reflection and all but
// one allocation.
func tokenFrame(content string) []byte { return frameOf("token", content) }

// frameOf encodes {"type":typ,"content":content}; typ needs no escaping.
func frameOf(typ, content string) []byte {
	return appendContentFrame(make([]byte, 0, len(content)+len(typ)+24), typ, content)
}

// appendContentFrame appends {"type":typ,"content":content} to b.
func appendContentFrame(b []byte, typ, content string) []byte {
	b = append(b, `{"type":"`...)
	b = append(b, typ...)
	b = append(b, `","content":`...)
	b = appendJSONString(b, content)
	return append(b, '}')
}

// appendJSONString appends s as a JSON string, as encoding/json would
// (HTML characters aside, which need no escaping in a WebSocket frame).
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < utf8.RuneSelf {
			i++
			continue
		}
		if c < utf8.RuneSelf {
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
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
					final := s.wsReply(rctx, wc, userID, f, next)
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
				sendErr(apperr.BadRequest("unknown frame type " + strings.TrimSpace(f.Type) + "; want send, regenerate, stop or ping"))
			}
		}
	})
}

// wsReply streams one reply to the socket and returns its final frame
// (done or error). A title frame waits until sent is closed, so it always
// follows the final frame.
func (s *Server) wsReply(ctx context.Context, wc *wsConn, userID int64, f wsClientFrame, sent <-chan struct{}) any {
	svc := s.app.Chat
	var started chat.Start
	stream := chat.Stream{
		OnStart: func(st chat.Start) error {
			started = st
			return wc.writeJSON(wsStartFrame{Type: "start", ConversationID: st.ConversationID, MessageID: st.MessageID,
				Model: st.Model, Mode: st.Mode, Created: st.Created})
		},
		// Token frames are queued and go out on Flush, which the service
		// calls before it waits on the model: frames already at hand
		// share one write, none waits for the model.
		OnToken:    func(content string) error { return wc.queueContent("token", content) },
		OnThinking: func(content string) error { return wc.queueContent("thinking", content) },
		Flush:      wc.flush,
		ReplySent:  sent,
		OnTitle: func(convID int64, title string) {
			select {
			case <-sent:
			case <-wc.done:
				return
			}
			wc.writeJSON(wsTitleFrame{Type: "title", ConversationID: convID, Title: title})
		},
	}
	var r *chat.Reply
	var err error
	if f.Type == "regenerate" {
		r, err = svc.Regenerate(ctx, chat.RegenerateRequest{UserID: userID, ConversationID: f.ConversationID,
			Model: f.Model, Options: f.Options, Stream: stream})
	} else {
		r, err = svc.Send(ctx, chat.SendRequest{UserID: userID, ConversationID: f.ConversationID, Mode: f.Mode,
			Model: f.Model, Message: f.Message, Options: f.Options, Stream: stream})
	}
	if err != nil {
		e := apperr.From(err)
		if e.Code == "internal" {
			s.log.Error("ws chat: reply failed", "user", userID, "err", err)
		}
		return wsErrorFrame{Type: "error", Code: e.Code, Message: e.Message, ConversationID: started.ConversationID, MessageID: started.MessageID}
	}
	return wsDoneFrame{Type: "done", ConversationID: r.ConversationID, MessageID: r.Message.ID, Status: r.Message.Status,
		Usage: r.Usage, Timing: r.Timing, Stopped: r.Stopped, Demo: r.Demo}
}
