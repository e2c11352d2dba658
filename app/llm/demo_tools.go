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
//
// The calendar's tools likewise: "what's on my calendar tomorrow" (or
// "what's on Thursday", "show my calendar") calls list_events, and "add
// an event Dentist on friday at 3pm" (create, schedule, book; an event,
// meeting or appointment) calls create_event.

var (
	demoCreateRe  = regexp.MustCompile(`(?i)^(?:please\s+)?(?:can you\s+|could you\s+)?(?:add|create|make|put|new)\s+(?:a\s+|an\s+)?(?:new\s+)?(?:task|todo|to-do|to do|reminder)\s*(?:to|for|:|-|that)?\s+(.+)$`)
	demoRemindRe  = regexp.MustCompile(`(?i)^(?:please\s+)?remind me (?:to|about)\s+(.+)$`)
	demoListRe    = regexp.MustCompile(`(?i)\b(?:what are my (?:open )?tasks|what(?:'s| is) on my (?:list|plate|to-?do list)|(?:list|show)(?: me)? my (?:open )?tasks|what do i have to do)\b`)
	demoUpdateRe  = regexp.MustCompile(`(?i)^(?:please\s+)?(?:mark|set)\s+task\s+#?(\d+)\s+(?:as\s+)?(done|complete|completed|finished|in progress|todo|to do|cancelled|canceled)\b`)
	demoTodayRe   = regexp.MustCompile(`Today is \w+, (\d{4}-\d{2}-\d{2})`)
	demoCalListRe = regexp.MustCompile(`(?i)^(?:what(?:'s| is| do i have)\b.*\b(?:calendar|schedule|agenda)\b|what(?:'s| is| do i have)\s+(?:on\s+)?(?:today|tomorrow|this week|next week|monday|tuesday|wednesday|thursday|friday|saturday|sunday|\d{4}-\d{2}-\d{2})\b|(?:show|list)(?: me)? my (?:calendar|schedule|agenda|events)\b)`)
	demoCalAddRe  = regexp.MustCompile(`(?i)^(?:please\s+)?(?:can you\s+|could you\s+)?(?:add|create|schedule|put|book|make)\s+(?:an?\s+)?(?:new\s+)?(?:event|meeting|appointment)\b\s*(?:called|named|for|:|-)?\s*(.+)$`)
	demoDayRe     = regexp.MustCompile(`(?i)\b(today|tonight|tomorrow|this week|next week|monday|tuesday|wednesday|thursday|friday|saturday|sunday|\d{4}-\d{2}-\d{2})\b`)
	demoAtRe      = regexp.MustCompile(`(?i)(?:^|\s+)at\s+(\d{1,2})(?::(\d{2}))?\s*(am|pm)?\b`)
	demoDueRe     = regexp.MustCompile(`(?i)\s+(?:(?:on|by|due)\s+)?(today|tonight|tomorrow|next week|monday|tuesday|wednesday|thursday|friday|saturday|sunday|\d{4}-\d{2}-\d{2})[.!]?$`)
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
	case offered("list_events") && demoCalListRe.MatchString(msg):
		return call("list_events", demoEventDays(msg, demoToday(req.Messages)))
	case offered("create_event") && demoCalAddRe.MatchString(msg):
		args := demoEventArgs(demoCalAddRe.FindStringSubmatch(msg)[1], demoToday(req.Messages))
		if args == nil {
			return "", nil, false
		}
		return call("create_event", args)
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

// demoEventDays is list_events' range for the day phrase in msg: today,
// tomorrow, the next such weekday (today counts), this week (seven days
// from today) or next week (the seven after); today when it names none.
func demoEventDays(msg string, today time.Time) map[string]any {
	if today.IsZero() {
		return map[string]any{}
	}
	from, to := today, today
	if m := demoDayRe.FindStringSubmatch(msg); m != nil {
		switch w := strings.ToLower(m[1]); w {
		case "today", "tonight":
		case "tomorrow":
			from = today.AddDate(0, 0, 1)
			to = from
		case "this week":
			to = today.AddDate(0, 0, 6)
		case "next week":
			from, to = today.AddDate(0, 0, 7), today.AddDate(0, 0, 13)
		default:
			if t, err := time.Parse("2006-01-02", w); err == nil {
				from, to = t, t
				break
			}
			for d := 0; d < 7; d++ {
				if t := today.AddDate(0, 0, d); strings.EqualFold(t.Weekday().String(), w) {
					from, to = t, t
					break
				}
			}
		}
	}
	return map[string]any{"from": from.Format("2006-01-02"), "to": to.Format("2006-01-02")}
}

// demoEventArgs reads "Dentist on friday at 3pm": the time after "at",
// the day phrase (today when none), and the rest as the title. Without
// a time the event is all day; nil when no title is left.
func demoEventArgs(what string, today time.Time) map[string]any {
	what = strings.TrimSpace(strings.TrimRight(strings.TrimSpace(what), ".!?"))
	clock := ""
	if m := demoAtRe.FindStringSubmatchIndex(what); m != nil {
		var h, min int
		fmt.Sscan(what[m[2]:m[3]], &h)
		if m[4] >= 0 {
			fmt.Sscan(what[m[4]:m[5]], &min)
		}
		if m[6] >= 0 {
			switch ampm := strings.ToLower(what[m[6]:m[7]]); {
			case ampm == "pm" && h < 12:
				h += 12
			case ampm == "am" && h == 12:
				h = 0
			}
		}
		if h > 23 || min > 59 {
			return nil
		}
		clock = fmt.Sprintf("T%02d:%02d", h, min)
		what = what[:m[0]] + what[m[1]:]
	}
	title, day := demoTaskTitle(what, today)
	title = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(title), " on"))
	if title == "" {
		return nil
	}
	if day == "" {
		if today.IsZero() {
			return nil
		}
		day = today.Format("2006-01-02")
	}
	return map[string]any{"title": title, "start": day + clock}
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

type demoEvent struct {
	Title string `json:"title"`
	Start string `json:"start"`
	End   string `json:"end"`
}

func (e demoEvent) line() string {
	s := "\u201c" + e.Title + "\u201d " + strings.Replace(e.Start, "T", " ", 1)
	if i := strings.IndexByte(e.End, 'T'); i > 0 && strings.HasPrefix(e.Start, e.End[:i]) {
		s += "\u2013" + e.End[i+1:]
	}
	return s
}

func demoDescribeResult(content string) string {
	var r struct {
		Created  bool        `json:"created"`
		Updated  bool        `json:"updated"`
		Declined bool        `json:"declined"`
		Error    string      `json:"error"`
		Task     *demoTask   `json:"task"`
		Tasks    []demoTask  `json:"tasks"`
		Total    *int        `json:"total"`
		Event    *demoEvent  `json:"event"`
		Events   []demoEvent `json:"events"`
		From     string      `json:"from"`
		To       string      `json:"to"`
	}
	if json.Unmarshal([]byte(content), &r) != nil {
		return "The tool answered: " + content
	}
	switch {
	case r.Error != "":
		return "That did not work: " + r.Error + "."
	case r.Declined:
		return "All right \u2014 I left your tasks as they are."
	case r.Created && r.Event != nil:
		return "Done \u2014 I added " + r.Event.line() + " to your calendar."
	case r.Events != nil:
		when := "on " + r.From
		if r.To != r.From {
			when = "from " + r.From + " to " + r.To
		}
		if len(r.Events) == 0 {
			return "Nothing is on your calendar " + when + "."
		}
		var b strings.Builder
		b.WriteString("On your calendar " + when + ":\n")
		for _, e := range r.Events {
			b.WriteString("\n- " + e.line())
		}
		return b.String()
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
