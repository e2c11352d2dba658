package app

import (
	"context"
	"time"

	"github.com/aiwfe/aiwfe/app/chat"
	"github.com/aiwfe/aiwfe/app/tasks"
)

// chatTasks is the chat tools' seam onto the tasks service: chat knows
// TaskItem and TaskChange, not the tasks package. Every call acts for the
// user the chat service names — the caller of the chat — so a tool can
// only ever reach that user's tasks.
type chatTasks struct{ t *tasks.Service }

func (c chatTasks) ListTasks(ctx context.Context, userID int64, q chat.TaskQuery) ([]chat.TaskItem, int, error) {
	r := tasks.ListRequest{Query: q.Query, DueAfter: q.DueAfter, Overdue: q.Overdue, PerPage: q.Limit, Sort: "due"}
	switch q.Status {
	case "open":
		r.Status = []string{tasks.StatusTodo, tasks.StatusInProgress}
	case "":
	default:
		r.Status = []string{q.Status}
	}
	if q.DueBefore != "" {
		// The tool's day is inclusive, the service's bound is not: up to
		// the start of the next day.
		if d, err := time.Parse(time.DateOnly, q.DueBefore); err == nil {
			r.DueBefore = d.AddDate(0, 0, 1).Format(time.DateOnly)
		}
	}
	page, err := c.t.List(ctx, userID, r)
	if err != nil {
		return nil, 0, err
	}
	out := make([]chat.TaskItem, len(page.Items))
	for i, t := range page.Items {
		out[i] = taskItem(t)
	}
	return out, page.Total, nil
}

func (c chatTasks) GetTask(ctx context.Context, userID, id int64) (chat.TaskItem, error) {
	t, err := c.t.Get(ctx, userID, id)
	if err != nil {
		return chat.TaskItem{}, err
	}
	return taskItem(t), nil
}

// CreateTask makes the task with source "chat", linked to the message
// whose tool call made it.
func (c chatTasks) CreateTask(ctx context.Context, userID int64, ch chat.TaskChange) (chat.TaskItem, error) {
	in := tasks.Input{Source: tasks.SourceChat}
	if ch.Title != nil {
		in.Title = *ch.Title
	}
	if ch.Notes != nil {
		in.Notes = *ch.Notes
	}
	if ch.Priority != nil {
		in.Priority = *ch.Priority
	}
	if ch.Due != nil {
		in.Due = *ch.Due
	}
	if ch.Status != nil {
		in.Status = *ch.Status
	}
	if o, ok := chat.OriginOf(ctx); ok {
		in.SourceRef = map[string]any{"conversation_id": o.ConversationID, "message_id": o.MessageID}
	}
	t, err := c.t.Create(ctx, userID, in)
	if err != nil {
		return chat.TaskItem{}, err
	}
	return taskItem(t), nil
}

func (c chatTasks) UpdateTask(ctx context.Context, userID, id int64, ch chat.TaskChange) (chat.TaskItem, error) {
	t, err := c.t.Update(ctx, userID, id, tasks.Patch{Title: ch.Title, Notes: ch.Notes, Status: ch.Status,
		Priority: ch.Priority, Due: ch.Due})
	if err != nil {
		return chat.TaskItem{}, err
	}
	return taskItem(t), nil
}

// taskItem is a task as the model sees it: the due in the user's zone
// without seconds or offset, as the tools take it.
func taskItem(t *tasks.Task) chat.TaskItem {
	it := chat.TaskItem{ID: t.ID, Title: t.Title, Status: t.Status, Priority: t.Priority}
	if t.Due != nil {
		it.Due = *t.Due
		if ts, err := time.Parse(time.RFC3339, it.Due); err == nil {
			it.Due = ts.Format("2006-01-02T15:04")
		}
	}
	return it
}
