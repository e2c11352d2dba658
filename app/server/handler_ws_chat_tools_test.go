package server_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aiwfe/aiwfe/app/config"
	"github.com/aiwfe/aiwfe/app/llm/llmtest"
	"github.com/aiwfe/aiwfe/app/server/servertest"
)

// Tool calls over the chat socket, against the built-in demo model (which
// calls create_task for "add a task to ...", list_tasks for "what are my
// tasks", update_task for "mark task N done") and the real tasks service.

// toolReply sends message with tools on and reads up to the first
// tool_call frame, which it returns with the start frame.
func toolProposal(t *testing.T, ws *wsClient, message string) (start, proposal frame) {
	t.Helper()
	ws.send(map[string]any{"type": "send", "message": message, "use_tools": true})
	start = ws.expect("start")
	if start["tools"] != true {
		t.Fatalf("start %v: tools not offered", start)
	}
	return start, ws.expect("tool_call")
}

type taskRow struct {
	ID        int64           `json:"id"`
	Title     string          `json:"title"`
	Status    string          `json:"status"`
	Priority  string          `json:"priority"`
	Due       *string         `json:"due"`
	Source    string          `json:"source"`
	SourceRef json.RawMessage `json:"source_ref"`
}

func listTasks(t *testing.T, c *servertest.Client) []taskRow {
	t.Helper()
	res := c.Get("/api/v1/tasks?per_page=100")
	if res.Status != 200 {
		t.Fatalf("tasks: %s", res)
	}
	var page struct{ Items []taskRow }
	if err := json.Unmarshal(res.Body, &page); err != nil {
		t.Fatal(err)
	}
	return page.Items
}

func storedToolCalls(t *testing.T, c *servertest.Client, convID int64) []map[string]any {
	t.Helper()
	res := c.Get(fmt.Sprintf("/api/v1/conversations/%d/messages", convID))
	var page struct {
		Items []struct {
			Role      string           `json:"role"`
			ToolCalls []map[string]any `json:"tool_calls"`
		}
	}
	if res.Status != 200 || json.Unmarshal(res.Body, &page) != nil || len(page.Items) == 0 {
		t.Fatalf("messages: %s", res)
	}
	return page.Items[len(page.Items)-1].ToolCalls
}

func TestWSChatToolConfirmation(t *testing.T) {
	srv := servertest.Start(t)
	c := srv.User(t, "user")
	tomorrow := srv.Now().UTC().AddDate(0, 0, 1).Format(time.DateOnly)
	cases := []struct {
		name    string
		answers []map[string]any // tool_confirm frames after the proposal, each but the last asked again
		want    *taskRow
		status  string
		reply   string
	}{
		{name: "approved", answers: []map[string]any{{"approve": true}},
			want: &taskRow{Title: "Buy milk", Status: "todo", Priority: "none", Due: &tomorrow}, status: "done", reply: "I created task #"},
		{name: "edited", answers: []map[string]any{{"approve": true, "arguments": map[string]any{"title": "Buy oat milk", "priority": "high"}}},
			want: &taskRow{Title: "Buy oat milk", Status: "todo", Priority: "high"}, status: "done", reply: "\u201cBuy oat milk\u201d"},
		{name: "edit refused, then fixed", answers: []map[string]any{
			{"approve": true, "arguments": map[string]any{"title": "Buy milk", "due": "someday"}},
			{"approve": true, "arguments": map[string]any{"title": "Buy milk", "due": "2027-01-04T09:30"}}},
			want: &taskRow{Title: "Buy milk", Status: "todo", Priority: "none"}, status: "done", reply: "due 2027-01-04T09:30"},
		{name: "declined", answers: []map[string]any{{"approve": false}}, status: "declined", reply: "I left your tasks as they are"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := len(listTasks(t, c))
			ws := dialWS(t, srv.URL, "/api/v1/ws/chat", accessTokenOf(t, c))
			start, p := toolProposal(t, ws, "add a task to buy milk tomorrow")
			args, _ := p["arguments"].(map[string]any)
			if p.str("name") != "create_task" || args["title"] != "Buy milk" || args["due"] != tomorrow ||
				!strings.HasPrefix(p.str("summary"), "Create task \u201cBuy milk\u201d due ") ||
				p.num("message_id") != start.num("message_id") || p.str("call_id") == "" {
				t.Fatalf("proposal %v", p)
			}
			for i, a := range tc.answers {
				a["type"], a["call_id"] = "tool_confirm", p.str("call_id")
				ws.send(a)
				if i < len(tc.answers)-1 {
					again := ws.expect("tool_call")
					if again.str("call_id") != p.str("call_id") || !strings.Contains(again.str("error"), "due must be a date") {
						t.Fatalf("asked again %v", again)
					}
				}
			}
			res := ws.expect("tool_result")
			if res.str("call_id") != p.str("call_id") || res.str("status") != tc.status {
				t.Fatalf("tool_result %v", res)
			}
			done, toks := ws.until("done")
			if !strings.Contains(strings.Join(toks, ""), tc.reply) || done.str("status") != "complete" {
				t.Fatalf("reply %q, done %v", strings.Join(toks, ""), done)
			}
			calls, _ := done["tool_calls"].([]any)
			if len(calls) != 1 || calls[0].(map[string]any)["status"] != tc.status {
				t.Fatalf("done's tool_calls %v", done["tool_calls"])
			}
			tasks := listTasks(t, c)
			if tc.want == nil {
				if len(tasks) != before {
					t.Fatalf("tasks %+v after a decline", tasks)
				}
				return
			}
			if len(tasks) != before+1 {
				t.Fatalf("%d tasks, want %d", len(tasks), before+1)
			}
			var got taskRow
			for _, tk := range tasks {
				if tk.ID == int64(res["result"].(map[string]any)["task"].(map[string]any)["id"].(float64)) {
					got = tk
				}
			}
			if got.Title != tc.want.Title || got.Priority != tc.want.Priority || got.Status != "todo" || got.Source != "chat" ||
				(tc.want.Due != nil && (got.Due == nil || *got.Due != *tc.want.Due)) {
				t.Fatalf("task %+v, want %+v", got, tc.want)
			}
			var ref map[string]int64
			json.Unmarshal(got.SourceRef, &ref)
			if ref["conversation_id"] != start.num("conversation_id") || ref["message_id"] != start.num("message_id") {
				t.Fatalf("source_ref %s", got.SourceRef)
			}
			// History shows the call.
			stored := storedToolCalls(t, c, start.num("conversation_id"))
			if len(stored) != 1 || stored[0]["status"] != tc.status || stored[0]["id"] != p.str("call_id") {
				t.Fatalf("stored calls %v", stored)
			}
		})
	}
}

func TestWSChatToolAwkwardMoments(t *testing.T) {
	srv := servertest.Start(t)
	c := srv.User(t, "user")
	token := accessTokenOf(t, c)

	t.Run("stop while a confirmation is pending", func(t *testing.T) {
		ws := dialWS(t, srv.URL, "/api/v1/ws/chat", token)
		start, p := toolProposal(t, ws, "remind me to call mum")
		ws.send(map[string]any{"type": "stop"})
		done := ws.expect("done")
		calls, _ := done["tool_calls"].([]any)
		if done["stopped"] != true || len(calls) != 1 || calls[0].(map[string]any)["status"] != "cancelled" {
			t.Fatalf("done %v", done)
		}
		// The proposal is over: answering it now is refused, and nothing is made.
		ws.send(map[string]any{"type": "tool_confirm", "call_id": p.str("call_id"), "approve": true})
		if e := ws.expect("error"); e.str("code") != "not_found" || e.str("call_id") != p.str("call_id") {
			t.Fatalf("late answer: %v", e)
		}
		if tasks := listTasks(t, c); len(tasks) != 0 {
			t.Fatalf("tasks %+v", tasks)
		}
		if stored := storedToolCalls(t, c, start.num("conversation_id")); len(stored) != 1 || stored[0]["status"] != "cancelled" {
			t.Fatalf("stored %v", stored)
		}
		// The socket goes on.
		ws.send(map[string]any{"type": "send", "message": "hello", "conversation_id": start.num("conversation_id")})
		ws.expect("start")
		ws.until("done")
	})

	t.Run("disconnect while a confirmation is pending", func(t *testing.T) {
		ws := dialWS(t, srv.URL, "/api/v1/ws/chat", token)
		start, _ := toolProposal(t, ws, "add a task to water the plants")
		ws.conn.Close()
		var stored []map[string]any
		poll(t, 10*time.Second, "the stopped reply recorded", func() bool {
			stored = storedToolCalls(t, c, start.num("conversation_id"))
			return len(stored) == 1
		})
		if stored[0]["status"] != "cancelled" || len(listTasks(t, c)) != 0 {
			t.Fatalf("stored %v, tasks %v", stored, listTasks(t, c))
		}
	})

	t.Run("unknown call, second answer, bad frames", func(t *testing.T) {
		ws := dialWS(t, srv.URL, "/api/v1/ws/chat", token)
		ws.send(map[string]any{"type": "tool_confirm", "call_id": "12345-1", "approve": true})
		if e := ws.expect("error"); e.str("code") != "not_found" || e.str("call_id") != "12345-1" {
			t.Fatalf("unknown call: %v", e)
		}
		for _, bad := range []map[string]any{
			{"type": "tool_confirm", "approve": true},
			{"type": "tool_confirm", "call_id": "x"},
		} {
			ws.send(bad)
			if e := ws.expect("error"); e.str("code") != "validation_failed" {
				t.Fatalf("%v: %v", bad, e)
			}
		}
		_, p := toolProposal(t, ws, "add a task to pay rent")
		// Another user's socket cannot answer it.
		other := dialWS(t, srv.URL, "/api/v1/ws/chat", accessTokenOf(t, srv.User(t, "user")))
		other.send(map[string]any{"type": "tool_confirm", "call_id": p.str("call_id"), "approve": true})
		if e := other.expect("error"); e.str("code") != "not_found" {
			t.Fatalf("another socket's answer: %v", e)
		}
		ws.send(map[string]any{"type": "tool_confirm", "call_id": p.str("call_id"), "approve": false})
		ws.send(map[string]any{"type": "tool_confirm", "call_id": p.str("call_id"), "approve": true})
		var sawConflict, sawResult bool
		for !(sawConflict && sawResult) {
			f := ws.read(10 * time.Second)
			switch f.str("type") {
			case "error":
				if f.str("code") != "conflict" || f.str("call_id") != p.str("call_id") {
					t.Fatalf("second answer: %v", f)
				}
				sawConflict = true
			case "tool_result":
				if f.str("status") != "declined" {
					t.Fatalf("the first answer did not count: %v", f)
				}
				sawResult = true
			}
		}
		ws.until("done")
		if len(listTasks(t, c)) != 0 {
			t.Fatal("a task was made after a decline")
		}
	})

	t.Run("a send while a confirmation is pending is refused", func(t *testing.T) {
		ws := dialWS(t, srv.URL, "/api/v1/ws/chat", token)
		_, p := toolProposal(t, ws, "add a task to fix the bike")
		ws.send(map[string]any{"type": "send", "message": "something else"})
		if e := ws.expect("error"); e.str("code") != "conflict" {
			t.Fatalf("send while asked: %v", e)
		}
		ws.send(map[string]any{"type": "tool_confirm", "call_id": p.str("call_id"), "approve": true})
		if r := ws.expect("tool_result"); r.str("status") != "done" {
			t.Fatalf("result %v", r)
		}
		ws.until("done")
	})
}

func TestWSChatToolsTouchOnlyTheCallersTasks(t *testing.T) {
	srv := servertest.Start(t)
	owner, intruder := srv.User(t, "user"), srv.User(t, "user")
	res := owner.Post("/api/v1/tasks", map[string]any{"title": "Owner's secret task"})
	if res.Status != 201 && res.Status != 200 {
		t.Fatalf("create: %s", res)
	}
	var task taskRow
	json.Unmarshal(res.Body, &task)

	ws := dialWS(t, srv.URL, "/api/v1/ws/chat", accessTokenOf(t, intruder))
	ws.send(map[string]any{"type": "send", "message": fmt.Sprintf("mark task %d done", task.ID), "use_tools": true})
	ws.expect("start")
	// No proposal: the call fails before the intruder is asked anything.
	r := ws.expect("tool_result")
	if r.str("status") != "failed" || r.str("error") != "task not found" {
		t.Fatalf("result %v", r)
	}
	ws.until("done")
	ws.send(map[string]any{"type": "send", "message": "what are my tasks?", "use_tools": true})
	ws.expect("start")
	if r := ws.expect("tool_result"); r.str("name") != "list_tasks" || strings.Contains(fmt.Sprint(r["result"]), "secret") {
		t.Fatalf("intruder's list %v", r)
	}
	ws.until("done")
	if got := listTasks(t, owner); len(got) != 1 || got[0].Status != "todo" {
		t.Fatalf("owner's tasks %+v", got)
	}

	// The owner can.
	ows := dialWS(t, srv.URL, "/api/v1/ws/chat", accessTokenOf(t, owner))
	_, p := toolProposal(t, ows, fmt.Sprintf("mark task %d done", task.ID))
	if p.str("summary") != fmt.Sprintf("Task #%d \u201cOwner's secret task\u201d: mark done", task.ID) {
		t.Fatalf("proposal %v", p)
	}
	ows.send(map[string]any{"type": "tool_confirm", "call_id": p.str("call_id"), "approve": true})
	ows.expect("tool_result")
	ows.until("done")
	if got := listTasks(t, owner); got[0].Status != "done" {
		t.Fatalf("owner's task %+v", got[0])
	}
}

func TestRESTChatOffersOnlyReadOnlyTools(t *testing.T) {
	srv := servertest.Start(t)
	c := srv.User(t, "user")
	res := c.Post("/api/v1/chat", map[string]any{"message": "add a task to buy milk", "use_tools": true})
	if res.Status != 200 || !strings.Contains(res.String(), `"tool_calls":[]`) || len(listTasks(t, c)) != 0 {
		t.Fatalf("REST add: %s", res)
	}
	c.Post("/api/v1/tasks", map[string]any{"title": "Pay rent"})
	res = c.Post("/api/v1/chat", map[string]any{"message": "what are my tasks", "use_tools": true})
	if res.Status != 200 || !strings.Contains(res.String(), `"name":"list_tasks"`) || !strings.Contains(res.String(), "Pay rent") {
		t.Fatalf("REST list: %s", res)
	}

	// The calls are in the data export, with their message.
	ex := c.Get("/api/v1/profile/export")
	var archive struct {
		Conversations []struct {
			Messages []struct {
				Role      string            `json:"role"`
				ToolCalls []json.RawMessage `json:"tool_calls"`
			} `json:"messages"`
		} `json:"conversations"`
	}
	if ex.Status != 200 || json.Unmarshal(ex.Body, &archive) != nil {
		t.Fatalf("export: %s", ex)
	}
	found := false
	for _, cv := range archive.Conversations {
		for _, m := range cv.Messages {
			for _, tc := range m.ToolCalls {
				var compact bytes.Buffer
				json.Compact(&compact, tc) // the archive is indented
				found = found || (m.Role == "assistant" && strings.Contains(compact.String(), `"name":"list_tasks"`) && strings.Contains(compact.String(), "Pay rent"))
			}
		}
	}
	if !found {
		t.Fatalf("export without the tool call: %s", ex)
	}
}

// TestWSChatToolsOverTheWire runs a confirmed call through the appliance
// against the Ollama and OpenAI stand-ins speaking their tool-call wire
// formats.
func TestWSChatToolsOverTheWire(t *testing.T) {
	call := llmtest.ToolCall{Name: "create_task", Arguments: `{"title":"Renew passport","due":"2027-02-01","priority":"urgent"}`}
	for _, provider := range []string{"ollama", "openai"} {
		t.Run(provider, func(t *testing.T) {
			var up *llmtest.Server
			path := "/api/chat"
			if provider == "ollama" {
				up = llmtest.NewOllama(t, llmtest.WithTokens(3), llmtest.WithToolCalls(call)).Server
			} else {
				up = llmtest.NewOpenAI(t, llmtest.WithTokens(3), llmtest.WithToolCalls(call)).Server
				path = "/v1/chat/completions"
			}
			srv := servertest.Start(t, func(c *config.Config) {
				c.LLM.Provider = provider
				c.LLM.BaseURL = up.URL
			})
			c := srv.User(t, "user")
			ws := dialWS(t, srv.URL, "/api/v1/ws/chat", accessTokenOf(t, c))
			_, p := toolProposal(t, ws, "my passport runs out")
			if p.str("summary") != "Create task \u201cRenew passport\u201d due Mon 1 Feb 2027, urgent priority" {
				t.Fatalf("proposal %v", p)
			}
			ws.send(map[string]any{"type": "tool_confirm", "call_id": p.str("call_id"), "approve": true})
			ws.expect("tool_result")
			done, toks := ws.until("done")
			if strings.Join(toks, "") != "tok0 tok1 tok2 " || done.str("status") != "complete" {
				t.Fatalf("reply %q, done %v", toks, done)
			}
			if tasks := listTasks(t, c); len(tasks) != 1 || tasks[0].Title != "Renew passport" || tasks[0].Priority != "urgent" {
				t.Fatalf("tasks %+v", tasks)
			}
			// The second request of the reply (the title's comes after)
			// carries the call and its result, in the API's own form.
			reqs := up.RequestsTo(path)
			if len(reqs) < 2 {
				t.Fatalf("%d requests", len(reqs))
			}
			if _, ok := reqs[0].JSON()["tools"]; !ok {
				t.Fatalf("first request without tools: %s", reqs[0].Body)
			}
			msgs := reqs[1].JSON()["messages"].([]any)
			asked, tool := msgs[len(msgs)-2].(map[string]any), msgs[len(msgs)-1].(map[string]any)
			if tool["role"] != "tool" || !strings.Contains(tool["content"].(string), `"title":"Renew passport"`) || asked["tool_calls"] == nil {
				t.Fatalf("last turns %v / %v", asked, tool)
			}
			if provider == "ollama" && tool["tool_name"] != "create_task" {
				t.Fatalf("ollama tool turn %v", tool)
			}
			if provider == "openai" && tool["tool_call_id"] != asked["tool_calls"].([]any)[0].(map[string]any)["id"] {
				t.Fatalf("openai tool turn %v / %v", tool, asked)
			}
		})
	}
}
