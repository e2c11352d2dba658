package llm

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// The demo model calls tools deterministically, so that chat's tool flow
// (a proposal, the user's confirmation, the result) works offline and in
// browser tests: "add a task to buy milk tomorrow" and "remind me to ..."
// call create_task, "what are my tasks" calls list_tasks, "mark task 12
// done" calls update_task — each only when the request offers that tool.
// After the results come back it says in words what they were.

var (
	demoCreateRe = regexp.MustCompile(`(?i)^(?:please\s+)?(?:can you\s+|could you\s+)?(?:add|create|make|put|new)\s+(?:a\s+|an\s+)?(?:new\s+)?(?:task|todo|to-do|to do|reminder)\s*(?:to|for|:|-|that)?\s+(.+)$`)
	demoRemindRe = regexp.MustCompile(`(?i)^(?:please\s+)?remind me (?:to|about)\s+(.+)$`)
	demoListRe   = regexp.MustCompile(`(?i)\b(?:what are my (?:open )?tasks|what(?:'s| is) on my (?:list|plate|to-?do list)|(?:list|show)(?: me)? my (?:open )?tasks|what do i have to do)\b`)
	demoUpdateRe = regexp.MustCompile(`(?i)^(?:please\s+)?(?:mark|set)\s+task\s+#?(\d+)\s+(?:as\s+)?(done|complete|completed|finished|in progress|todo|to do|cancelled|canceled)\b`)
	demoTodayRe  = regexp.MustCompile(`Today is \w+, (\d{4}-\d{2}-\d{2})`)
	demoDueRe    = regexp.MustCompile(`(?i)\s+(?:(?:on|by|due)\s+)?(today|tonight|tomorrow|next week|monday|tuesday|wednesday|thursday|friday|saturday|sunday|\d{4}-\d{2}-\d{2})[.!]?$`)
)

// demoToolTurn is the demo model's turn when tools are offered: calls
// for a request it recognises, words about the results after calls, and
// ok false to answer as usual.
func demoToolTurn(req ChatRequest) (content string, calls []ToolCall, ok bool) {
	if len(req.Tools) == 0 || len(req.Messages) == 0 {
		return "", nil, false
	}
	last := req.Messages[len(req.Messages)-1]
	if last.Role == "tool" {
		return demoToolAnswer(req.Messages), nil, true
	}
	if last.Role != "user" {
		return "", nil, false
	}
	offered := func(name string) bool {
		return slices.ContainsFunc(req.Tools, func(t Tool) bool { return t.Name == name })
	}
	msg := strings.TrimSpace(last.Content)
	call := func(name string, args map[string]any) (string, []ToolCall, bool) {
		b, _ := json.Marshal(args)
		return "", []ToolCall{{ID: "call_1", Name: name, Arguments: b}}, true
	}
	switch {
	case offered("update_task") && demoUpdateRe.MatchString(msg):
		m := demoUpdateRe.FindStringSubmatch(msg)
		status := map[string]string{"done": "done", "complete": "done", "completed": "done", "finished": "done",
			"in progress": "in_progress", "todo": "todo", "to do": "todo", "cancelled": "cancelled", "canceled": "cancelled"}[strings.ToLower(m[2])]
		var id int64
		fmt.Sscan(m[1], &id)
		return call("update_task", map[string]any{"id": id, "status": status})
	case offered("list_tasks") && demoListRe.MatchString(msg):
		return call("list_tasks", map[string]any{})
	case offered("create_task"):
		m := demoCreateRe.FindStringSubmatch(msg)
		if m == nil {
			m = demoRemindRe.FindStringSubmatch(msg)
		}
		if m == nil {
			return "", nil, false
		}
		title, due := demoTaskTitle(m[1], demoToday(req.Messages))
		if title == "" {
			return "", nil, false
		}
		args := map[string]any{"title": title}
		if due != "" {
			args["due"] = due
		}
		return call("create_task", args)
	}
	return "", nil, false
}

// demoToday finds the date chat's tools prompt gives ("Today is Monday,
// 2026-11-30"), so "tomorrow" means the same for the same conversation.
func demoToday(msgs []Message) time.Time {
	for _, m := range msgs {
		if m.Role != "system" {
			continue
		}
		if d := demoTodayRe.FindStringSubmatch(m.Content); d != nil {
			if t, err := time.Parse("2006-01-02", d[1]); err == nil {
				return t
			}
		}
	}
	return time.Time{}
}

// demoTaskTitle cuts a date phrase off the end of what to do and turns
// it into a due date (when today is known).
func demoTaskTitle(what string, today time.Time) (title, due string) {
	what = strings.TrimSpace(strings.TrimRight(strings.TrimSpace(what), ".!?"))
	if m := demoDueRe.FindStringSubmatchIndex(what); m != nil {
		word := strings.ToLower(what[m[2]:m[3]])
		what = strings.TrimSpace(what[:m[0]])
		if t, err := time.Parse("2006-01-02", word); err == nil {
			due = t.Format("2006-01-02")
		} else if !today.IsZero() {
			switch word {
			case "today", "tonight":
				due = today.Format("2006-01-02")
			case "tomorrow":
				due = today.AddDate(0, 0, 1).Format("2006-01-02")
			case "next week":
				due = today.AddDate(0, 0, 7).Format("2006-01-02")
			default:
				for d := 1; d <= 7; d++ {
					if t := today.AddDate(0, 0, d); strings.EqualFold(t.Weekday().String(), word) {
						due = t.Format("2006-01-02")
						break
					}
				}
			}
		}
	}
	if what == "" {
		return "", ""
	}
	r, n := utf8.DecodeRuneInString(what)
	return string(unicode.ToUpper(r)) + what[n:], due
}

// demoToolAnswer says what the tool results of the last round were.
func demoToolAnswer(msgs []Message) string {
	var results []Message
	for i := len(msgs) - 1; i >= 0 && msgs[i].Role == "tool"; i-- {
		results = append([]Message{msgs[i]}, results...)
	}
	var parts []string
	for _, r := range results {
		parts = append(parts, demoDescribeResult(r.Content))
	}
	return strings.Join(parts, "\n\n") + demoFooter
}

type demoTask struct {
	ID       int64  `json:"id"`
	Title    string `json:"title"`
	Status   string `json:"status"`
	Due      string `json:"due"`
	Priority string `json:"priority"`
}

func (t demoTask) line() string {
	s := fmt.Sprintf("#%d \u201c%s\u201d", t.ID, t.Title)
	if t.Due != "" {
		s += ", due " + t.Due
	}
	return s
}

func demoDescribeResult(content string) string {
	var r struct {
		Created  bool       `json:"created"`
		Updated  bool       `json:"updated"`
		Declined bool       `json:"declined"`
		Error    string     `json:"error"`
		Task     *demoTask  `json:"task"`
		Tasks    []demoTask `json:"tasks"`
		Total    *int       `json:"total"`
	}
	if json.Unmarshal([]byte(content), &r) != nil {
		return "The tool answered: " + content
	}
	switch {
	case r.Error != "":
		return "That did not work: " + r.Error + "."
	case r.Declined:
		return "All right \u2014 I left your tasks as they are."
	case r.Created && r.Task != nil:
		return "Done \u2014 I created task " + r.Task.line() + "."
	case r.Updated && r.Task != nil:
		return fmt.Sprintf("Done \u2014 task %s is now %s.", r.Task.line(), strings.ReplaceAll(r.Task.Status, "_", " "))
	case r.Total != nil:
		if len(r.Tasks) == 0 {
			return "I found no tasks like that."
		}
		var b strings.Builder
		fmt.Fprintf(&b, "I found %d task", *r.Total)
		if *r.Total != 1 {
			b.WriteString("s")
		}
		b.WriteString(":\n")
		for _, t := range r.Tasks {
			b.WriteString("\n- " + t.line())
		}
		return b.String()
	}
	return "The tool answered: " + content
}
