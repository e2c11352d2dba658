package chat

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/aiwfe/aiwfe/app/apperr"
)

// Tasks is what the tasks tools need of the tasks service, in chat's
// terms; app adapts the tasks service to it (app/tasktools.go), so that
// neither package imports the other. Every method acts for userID only:
// another user's task is apperr.NotFound.
type Tasks interface {
	ListTasks(ctx context.Context, userID int64, q TaskQuery) ([]TaskItem, int, error)
	GetTask(ctx context.Context, userID, id int64) (TaskItem, error)
	CreateTask(ctx context.Context, userID int64, c TaskChange) (TaskItem, error)
	UpdateTask(ctx context.Context, userID, id int64, c TaskChange) (TaskItem, error)
}

// TaskItem is a task as the model sees it.
type TaskItem struct {
	ID       int64  `json:"id"`
	Title    string `json:"title"`
	Status   string `json:"status"`
	Priority string `json:"priority"`
	// Due is YYYY-MM-DD or YYYY-MM-DDTHH:MM in the user's timezone; ""
	// when the task has no due date.
	Due      string `json:"due,omitempty"`
	Category string `json:"category,omitempty"`
}

// TaskQuery filters list_tasks. Status "open" is todo and in progress;
// "" is every status.
type TaskQuery struct {
	Status    string
	Query     string
	DueBefore string // YYYY-MM-DD, inclusive
	DueAfter  string // YYYY-MM-DD, inclusive
	Overdue   bool
	Limit     int
}

// TaskChange is a new task or the fields of one to change; nil leaves a
// field as it is. Due "" clears the due date.
type TaskChange struct {
	Title    *string
	Notes    *string
	Status   *string
	Priority *string
	Due      *string
}

// The values the tasks tools accept (the tasks service's own).
var (
	TaskStatuses   = []string{"todo", "in_progress", "done", "cancelled"}
	TaskPriorities = []string{"none", "low", "medium", "high", "urgent"}
)

const (
	maxTaskTitle   = 500
	maxTaskNotes   = 20_000
	maxListedTasks = 50
)

// TaskTools are the tools over the user's tasks: list_tasks (read-only),
// create_task and update_task (confirmed by the user). now dates the
// summaries (a due date of another year shows its year).
func TaskTools(t Tasks, now func() time.Time) []Tool {
	return []Tool{
		FuncTool{
			ToolName: "list_tasks",
			ToolDescription: "List the user's tasks, soonest due first. By default only open tasks (to do or in progress). " +
				"Use it to answer questions about the user's tasks or to find a task's id before updating it.",
			Schema: json.RawMessage(`{"type":"object","properties":{` +
				`"status":{"type":"string","enum":["open","todo","in_progress","done","cancelled","all"],"description":"which tasks; default open"},` +
				`"query":{"type":"string","description":"words the task's title or notes contain"},` +
				`"due_before":{"type":"string","description":"YYYY-MM-DD: due on or before this day"},` +
				`"due_after":{"type":"string","description":"YYYY-MM-DD: due on or after this day"},` +
				`"overdue":{"type":"boolean","description":"only tasks past their due date"},` +
				`"limit":{"type":"integer","minimum":1,"maximum":50,"description":"at most this many; default 20"}}}`),
			DescribeFunc: func(_ context.Context, _ int64, args json.RawMessage) (string, error) {
				_, err := listArgs(args)
				return "List your tasks", err
			},
			RunFunc: func(ctx context.Context, userID int64, args json.RawMessage) (any, error) {
				q, err := listArgs(args)
				if err != nil {
					return nil, err
				}
				items, total, err := t.ListTasks(ctx, userID, q)
				if err != nil {
					return nil, err
				}
				if items == nil {
					items = []TaskItem{}
				}
				return map[string]any{"tasks": items, "total": total}, nil
			},
		},
		FuncTool{
			ToolName: "create_task",
			ToolDescription: "Create a task for the user (the user confirms it first). " +
				"Returns the new task with its id.",
			Schema: json.RawMessage(`{"type":"object","required":["title"],"properties":{` +
				`"title":{"type":"string","description":"short imperative title, e.g. Pay rent"},` +
				`"due":{"type":"string","description":"YYYY-MM-DD, or YYYY-MM-DDTHH:MM for a time of day"},` +
				`"priority":{"type":"string","enum":["none","low","medium","high","urgent"]},` +
				`"notes":{"type":"string","description":"details, Markdown"}}}`),
			Changes: true,
			DescribeFunc: func(_ context.Context, _ int64, args json.RawMessage) (string, error) {
				c, err := createArgs(args)
				if err != nil {
					return "", err
				}
				return "Create task " + curly(*c.Title) + changeTail(c, now()), nil
			},
			RunFunc: func(ctx context.Context, userID int64, args json.RawMessage) (any, error) {
				c, err := createArgs(args)
				if err != nil {
					return nil, err
				}
				item, err := t.CreateTask(ctx, userID, c)
				if err != nil {
					return nil, err
				}
				return map[string]any{"created": true, "task": item}, nil
			},
		},
		FuncTool{
			ToolName: "update_task",
			ToolDescription: "Change one of the user's tasks by id: its title, status (todo, in_progress, done, cancelled), " +
				"due date or priority (the user confirms it first). Find the id with list_tasks.",
			Schema: json.RawMessage(`{"type":"object","required":["id"],"properties":{` +
				`"id":{"type":"integer","description":"the task's id"},` +
				`"title":{"type":"string"},` +
				`"status":{"type":"string","enum":["todo","in_progress","done","cancelled"]},` +
				`"due":{"type":"string","description":"YYYY-MM-DD or YYYY-MM-DDTHH:MM; empty to remove the due date"},` +
				`"priority":{"type":"string","enum":["none","low","medium","high","urgent"]}}}`),
			Changes: true,
			DescribeFunc: func(ctx context.Context, userID int64, args json.RawMessage) (string, error) {
				id, c, err := updateArgs(args)
				if err != nil {
					return "", err
				}
				cur, err := t.GetTask(ctx, userID, id)
				if err != nil {
					return "", err
				}
				return describeUpdate(cur, c, now()), nil
			},
			RunFunc: func(ctx context.Context, userID int64, args json.RawMessage) (any, error) {
				id, c, err := updateArgs(args)
				if err != nil {
					return nil, err
				}
				item, err := t.UpdateTask(ctx, userID, id, c)
				if err != nil {
					return nil, err
				}
				return map[string]any{"updated": true, "task": item}, nil
			},
		},
	}
}

// toolArgs is the loose reading of a model's arguments: unknown keys are
// ignored (models add some), numbers may come as strings.
type toolArgs map[string]json.RawMessage

func decodeArgs(raw json.RawMessage) (toolArgs, error) {
	var a toolArgs
	d := json.NewDecoder(bytes.NewReader(raw))
	if err := d.Decode(&a); err != nil || a == nil {
		return nil, apperr.Invalid("arguments", "arguments must be a JSON object")
	}
	return a, nil
}

// str reads a string argument; ok is false when it is absent or null.
func (a toolArgs) str(key string) (string, bool, error) {
	v, ok := a[key]
	if !ok || string(v) == "null" {
		return "", false, nil
	}
	var s string
	if err := json.Unmarshal(v, &s); err != nil {
		return "", false, apperr.Invalid(key, key+" must be a string")
	}
	return strings.TrimSpace(s), true, nil
}

func (a toolArgs) enum(key string, values []string) (string, bool, error) {
	s, ok, err := a.str(key)
	if err != nil || !ok {
		return "", false, err
	}
	s = strings.ToLower(strings.ReplaceAll(s, " ", "_"))
	if !slices.Contains(values, s) {
		return "", false, apperr.Invalid(key, key+" must be one of "+strings.Join(values, ", "))
	}
	return s, true, nil
}

func (a toolArgs) int(key string) (int64, bool, error) {
	v, ok := a[key]
	if !ok || string(v) == "null" {
		return 0, false, nil
	}
	var n json.Number
	if err := json.Unmarshal(v, &n); err != nil {
		var s string
		if json.Unmarshal(v, &s) != nil {
			return 0, false, apperr.Invalid(key, key+" must be a whole number")
		}
		n = json.Number(strings.TrimPrefix(strings.TrimSpace(s), "#"))
	}
	i, err := strconv.ParseInt(n.String(), 10, 64)
	if err != nil {
		return 0, false, apperr.Invalid(key, key+" must be a whole number")
	}
	return i, true, nil
}

func (a toolArgs) bool(key string) (bool, error) {
	v, ok := a[key]
	if !ok || string(v) == "null" {
		return false, nil
	}
	var b bool
	if err := json.Unmarshal(v, &b); err != nil {
		return false, apperr.Invalid(key, key+" must be true or false")
	}
	return b, nil
}

// dueLayouts are the due dates the tools take: a day, or a day and time.
var dueLayouts = []string{"2006-01-02", "2006-01-02T15:04", "2006-01-02T15:04:05", "2006-01-02 15:04"}

// parseDue checks a due date and returns it as YYYY-MM-DD or
// YYYY-MM-DDTHH:MM.
func parseDue(key, s string) (string, time.Time, error) {
	for i, l := range dueLayouts {
		if t, err := time.Parse(l, s); err == nil {
			if i == 0 {
				return t.Format("2006-01-02"), t, nil
			}
			return t.Format("2006-01-02T15:04"), t, nil
		}
	}
	return "", time.Time{}, apperr.Invalid(key, key+" must be a date YYYY-MM-DD or YYYY-MM-DDTHH:MM, not "+strconv.Quote(s))
}

func listArgs(raw json.RawMessage) (TaskQuery, error) {
	q := TaskQuery{Status: "open", Limit: 20}
	a, err := decodeArgs(raw)
	if err != nil {
		return q, err
	}
	if s, ok, err := a.enum("status", []string{"open", "todo", "in_progress", "done", "cancelled", "all"}); err != nil {
		return q, err
	} else if ok {
		q.Status = s
	}
	if q.Status == "all" {
		q.Status = ""
	}
	if q.Query, _, err = a.str("query"); err != nil {
		return q, err
	}
	for _, f := range []struct {
		key string
		to  *string
	}{{"due_before", &q.DueBefore}, {"due_after", &q.DueAfter}} {
		s, ok, err := a.str(f.key)
		if err != nil {
			return q, err
		}
		if ok && s != "" {
			_, t, err := parseDue(f.key, s)
			if err != nil {
				return q, err
			}
			*f.to = t.Format("2006-01-02")
		}
	}
	if q.Overdue, err = a.bool("overdue"); err != nil {
		return q, err
	}
	if n, ok, err := a.int("limit"); err != nil {
		return q, err
	} else if ok {
		q.Limit = int(max(1, min(n, maxListedTasks)))
	}
	return q, nil
}

// changeArgs reads the fields create_task and update_task share.
func changeArgs(a toolArgs, c *TaskChange) error {
	if s, ok, err := a.str("title"); err != nil {
		return err
	} else if ok {
		if s == "" {
			return apperr.Invalid("title", "title must not be empty")
		}
		if utf8.RuneCountInString(s) > maxTaskTitle {
			return apperr.Invalid("title", fmt.Sprintf("title must be at most %d characters", maxTaskTitle))
		}
		c.Title = &s
	}
	if s, ok, err := a.str("notes"); err != nil {
		return err
	} else if ok {
		if utf8.RuneCountInString(s) > maxTaskNotes {
			return apperr.Invalid("notes", fmt.Sprintf("notes must be at most %d characters", maxTaskNotes))
		}
		c.Notes = &s
	}
	if s, ok, err := a.enum("priority", TaskPriorities); err != nil {
		return err
	} else if ok {
		c.Priority = &s
	}
	if s, ok, err := a.str("due"); err != nil {
		return err
	} else if ok {
		if s != "" {
			if s, _, err = parseDue("due", s); err != nil {
				return err
			}
		}
		c.Due = &s
	}
	return nil
}

func createArgs(raw json.RawMessage) (TaskChange, error) {
	var c TaskChange
	a, err := decodeArgs(raw)
	if err != nil {
		return c, err
	}
	if err := changeArgs(a, &c); err != nil {
		return c, err
	}
	if c.Title == nil {
		return c, apperr.Invalid("title", "title is required")
	}
	if c.Due != nil && *c.Due == "" {
		c.Due = nil
	}
	return c, nil
}

func updateArgs(raw json.RawMessage) (int64, TaskChange, error) {
	var c TaskChange
	a, err := decodeArgs(raw)
	if err != nil {
		return 0, c, err
	}
	id, ok, err := a.int("id")
	if err != nil {
		return 0, c, err
	}
	if !ok || id <= 0 {
		return 0, c, apperr.Invalid("id", "id of the task is required")
	}
	if err := changeArgs(a, &c); err != nil {
		return 0, c, err
	}
	if s, ok, err := a.enum("status", TaskStatuses); err != nil {
		return 0, c, err
	} else if ok {
		c.Status = &s
	}
	if c.Notes != nil {
		c.Notes = nil // update_task does not offer notes: leave them as they are
	}
	if c == (TaskChange{}) {
		return 0, c, apperr.Invalid("arguments", "nothing to change: give title, status, due or priority")
	}
	return id, c, nil
}

// curly quotes a title for a summary.
func curly(s string) string { return "\u201c" + s + "\u201d" }

// humanDue writes a due date for a summary: "Tue 1 Dec", "Tue 1 Dec
// 14:00", with the year when it is not now's.
func humanDue(due string, now time.Time) string {
	_, t, err := parseDue("due", due)
	if err != nil {
		return due
	}
	layout := "Mon 2 Jan"
	if t.Year() != now.Year() {
		layout += " 2006"
	}
	if strings.Contains(due, "T") {
		layout += " 15:04"
	}
	return t.Format(layout)
}

// changeTail is the part of a summary after the title: due, priority.
func changeTail(c TaskChange, now time.Time) string {
	var b strings.Builder
	if c.Due != nil && *c.Due != "" {
		b.WriteString(" due " + humanDue(*c.Due, now))
	}
	if c.Priority != nil && *c.Priority != "none" {
		b.WriteString(", " + *c.Priority + " priority")
	}
	return b.String()
}

var statusWords = map[string]string{"todo": "to do", "in_progress": "in progress", "done": "done", "cancelled": "cancelled"}

// describeUpdate says what update_task will change: "Task #12 “Pay
// rent”: mark done, due Tue 1 Dec (was Mon 30 Nov)".
func describeUpdate(cur TaskItem, c TaskChange, now time.Time) string {
	var parts []string
	if c.Title != nil && *c.Title != cur.Title {
		parts = append(parts, "rename to "+curly(*c.Title))
	}
	if c.Status != nil && *c.Status != cur.Status {
		parts = append(parts, "mark "+statusWords[*c.Status])
	}
	if c.Due != nil && *c.Due != cur.Due {
		switch {
		case *c.Due == "":
			parts = append(parts, "remove the due date")
		case cur.Due == "":
			parts = append(parts, "due "+humanDue(*c.Due, now))
		default:
			parts = append(parts, "due "+humanDue(*c.Due, now)+" (was "+humanDue(cur.Due, now)+")")
		}
	}
	if c.Priority != nil && *c.Priority != cur.Priority {
		parts = append(parts, *c.Priority+" priority")
	}
	if len(parts) == 0 {
		parts = []string{"no change"}
	}
	return fmt.Sprintf("Task #%d %s: %s", cur.ID, curly(cur.Title), strings.Join(parts, ", "))
}
