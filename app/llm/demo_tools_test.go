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
		got := callOf(res)
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

var demoAllTools = append([]llm.Tool{{Name: "list_events"}, {Name: "create_event"}}, demoTaskTools...)

// The calendar's phrases call the calendar's tools, offered beside the
// tasks' ones: days from the system prompt's date (Wednesday
// 2026-12-02), a time after "at", the rest the title.
func TestDemoCallsCalendarTools(t *testing.T) {
	const sys = "You can use tools. Today is Wednesday, 2026-12-02; the time is 09:30."
	cases := []struct{ msg, call string }{
		{"what's on my calendar tomorrow", `list_events {"from":"2026-12-03","to":"2026-12-03"}`},
		{"What's on Thursday?", `list_events {"from":"2026-12-03","to":"2026-12-03"}`},
		{"what is on wednesday", `list_events {"from":"2026-12-02","to":"2026-12-02"}`},
		{"what do I have on my calendar this week", `list_events {"from":"2026-12-02","to":"2026-12-08"}`},
		{"show my calendar", `list_events {"from":"2026-12-02","to":"2026-12-02"}`},
		{"what's on my schedule on 2026-12-24", `list_events {"from":"2026-12-24","to":"2026-12-24"}`},
		{"add an event Dentist on friday at 3pm", `create_event {"start":"2026-12-04T15:00","title":"Dentist"}`},
		{"Schedule a meeting with Ada tomorrow at 9:30", `create_event {"start":"2026-12-03T09:30","title":"With Ada"}`},
		{"create an event: Team lunch on 2026-12-10 at 12pm.", `create_event {"start":"2026-12-10T12:00","title":"Team lunch"}`},
		{"add an appointment for the car service on monday", `create_event {"start":"2026-12-07","title":"The car service"}`},
		{"book a meeting at 16:00", ""}, // no title: nothing to propose
		// The tasks' phrases still go to the tasks' tools.
		{"add a task to buy milk tomorrow", `create_task {"due":"2026-12-03","title":"Buy milk"}`},
		{"what are my tasks", `list_tasks {}`},
		// Not offered: a plain reply.
		{"what's on my calendar tomorrow", ""},
	}
	p := demo(t)
	for i, tc := range cases {
		tools := demoAllTools
		if i == len(cases)-1 {
			tools = demoTaskTools
		}
		req := llm.ChatRequest{Model: "demo", Tools: tools, Messages: []llm.Message{{Role: "system", Content: sys}, {Role: "user", Content: tc.msg}}}
		res, err := p.Chat(context.Background(), req, nil)
		if err != nil {
			t.Fatal(err)
		}
		if got := callOf(res); got != tc.call {
			t.Errorf("%q: %q, want %q", tc.msg, got, tc.call)
		}
	}
}

func TestDemoAnswersCalendarResults(t *testing.T) {
	cases := []struct{ result, want string }{
		{`{"created":true,"event":{"id":4,"title":"Dentist","start":"2026-12-04T15:00","end":"2026-12-04T16:00"}}`, "Done \u2014 I added \u201cDentist\u201d 2026-12-04 15:00\u201316:00 to your calendar."},
		{`{"events":[{"id":1,"title":"Standup","start":"2026-12-03T09:00","end":"2026-12-03T09:15"},{"id":2,"title":"Holiday","start":"2026-12-03","end":"2026-12-04","all_day":true}],"total":2,"from":"2026-12-03","to":"2026-12-03"}`,
			"On your calendar on 2026-12-03:\n\n- \u201cStandup\u201d 2026-12-03 09:00\u201309:15\n- \u201cHoliday\u201d 2026-12-03"},
		{`{"events":[],"total":0,"from":"2026-12-03","to":"2026-12-09"}`, "Nothing is on your calendar from 2026-12-03 to 2026-12-09."},
	}
	p := demo(t)
	for _, tc := range cases {
		req := llm.ChatRequest{Model: "demo", Tools: demoAllTools, Messages: []llm.Message{{Role: "user", Content: "x"}, {Role: "assistant"}, {Role: "tool", Content: tc.result}}}
		res, err := p.Chat(context.Background(), req, nil)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(res.Content, tc.want) {
			t.Errorf("%s:\n%q\nwant %q", tc.result, res.Content, tc.want)
		}
	}
}

// callOf is a reply's one tool call as "name arguments", "" for none.
func callOf(res *llm.Result) string {
	if len(res.ToolCalls) != 1 {
		return ""
	}
	return res.ToolCalls[0].Name + " " + string(res.ToolCalls[0].Arguments)
}
