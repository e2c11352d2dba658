package llm_test

import (
	"context"
	"strings"
	"testing"

	"github.com/aiwfe/aiwfe/app/llm"
)

var demoTaskTools = []llm.Tool{{Name: "list_tasks"}, {Name: "create_task"}, {Name: "update_task"}}

// The demo model's tool calls: deterministic for the same messages, only
// tools it was offered, dates from the "Today is" of the system prompt.
func TestDemoCallsTools(t *testing.T) {
	const sys = "You can use tools. Today is Wednesday, 2026-12-02; the time is 09:30."
	cases := []struct {
		msg   string
		tools []llm.Tool
		call  string // name + arguments, "" for a plain reply
	}{
		{"add a task to buy milk tomorrow", demoTaskTools, `create_task {"due":"2026-12-03","title":"Buy milk"}`},
		{"Please add a new task: renew the passport by 2027-02-01.", demoTaskTools, `create_task {"due":"2027-02-01","title":"Renew the passport"}`},
		{"Remind me to call mum on Friday", demoTaskTools, `create_task {"due":"2026-12-04","title":"Call mum"}`},
		{"remind me to water the plants next week", demoTaskTools, `create_task {"due":"2026-12-09","title":"Water the plants"}`},
		{"create a task to fix the bike today", demoTaskTools, `create_task {"due":"2026-12-02","title":"Fix the bike"}`},
		{"remind me about the dentist on Wednesday", demoTaskTools, `create_task {"due":"2026-12-09","title":"The dentist"}`},
		{"add a task to buy milk", demoTaskTools, `create_task {"title":"Buy milk"}`},
		{"What are my tasks?", demoTaskTools, `list_tasks {}`},
		{"show me my open tasks", demoTaskTools, `list_tasks {}`},
		{"mark task #12 as done", demoTaskTools, `update_task {"id":12,"status":"done"}`},
		{"set task 3 in progress", demoTaskTools, `update_task {"id":3,"status":"in_progress"}`},
		// Not offered, or not asked: a plain reply.
		{"add a task to buy milk", []llm.Tool{{Name: "list_tasks"}}, ""},
		{"what are my tasks", nil, ""},
		{"tell me about tasks in general", demoTaskTools, ""},
	}
	p := demo(t)
	for _, tc := range cases {
		req := llm.ChatRequest{Model: "demo", Tools: tc.tools, Messages: []llm.Message{{Role: "system", Content: sys}, {Role: "user", Content: tc.msg}}}
		res, err := p.Chat(context.Background(), req, nil)
		if err != nil {
			t.Fatal(err)
		}
		got := ""
		if len(res.ToolCalls) == 1 {
			got = res.ToolCalls[0].Name + " " + string(res.ToolCalls[0].Arguments)
		}
		if got != tc.call || len(res.ToolCalls) > 1 || (got != "" && (res.Content != "" || res.DoneReason != "tool_calls")) {
			t.Errorf("%q: %q (content %q, %s), want %q", tc.msg, got, res.Content, res.DoneReason, tc.call)
		}
	}
}

func TestDemoAnswersToolResults(t *testing.T) {
	cases := []struct{ result, want string }{
		{`{"created":true,"task":{"id":12,"title":"Buy milk","due":"2026-12-03"}}`, "Done \u2014 I created task #12 \u201cBuy milk\u201d, due 2026-12-03."},
		{`{"updated":true,"task":{"id":3,"title":"Fix bike","status":"in_progress"}}`, "Done \u2014 task #3 \u201cFix bike\u201d is now in progress."},
		{`{"tasks":[{"id":1,"title":"Pay rent","due":"2026-12-01"},{"id":2,"title":"Call mum"}],"total":2}`, "I found 2 tasks:\n\n- #1 \u201cPay rent\u201d, due 2026-12-01\n- #2 \u201cCall mum\u201d"},
		{`{"tasks":[],"total":0}`, "I found no tasks like that."},
		{`{"declined":true,"message":"The user declined"}`, "I left your tasks as they are."},
		{`{"error":"task not found"}`, "That did not work: task not found."},
	}
	p := demo(t)
	for _, tc := range cases {
		req := llm.ChatRequest{Model: "demo", Tools: demoTaskTools, Messages: []llm.Message{
			{Role: "user", Content: "do it"},
			{Role: "assistant", ToolCalls: []llm.ToolCall{{ID: "c1", Name: "create_task"}}},
			{Role: "tool", ToolCallID: "c1", ToolName: "create_task", Content: tc.result},
		}}
		var chunks []string
		res, err := p.Chat(context.Background(), req, collect(&chunks))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(res.Content, tc.want) || strings.Join(chunks, "") != res.Content || len(res.ToolCalls) != 0 {
			t.Errorf("result %s: reply %q, want it to contain %q", tc.result, res.Content, tc.want)
		}
	}
}
