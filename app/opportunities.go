package app

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/aiwfe/aiwfe/app/apperr"
	"github.com/aiwfe/aiwfe/app/calendar"
	"github.com/aiwfe/aiwfe/app/chat"
	"github.com/aiwfe/aiwfe/app/documents"
	"github.com/aiwfe/aiwfe/app/opportunities"
	"github.com/aiwfe/aiwfe/app/tasks"
)

// opportunityTasks is the opportunities' seam onto the tasks service.
type opportunityTasks struct{ t *tasks.Service }

func (o opportunityTasks) OpenTitles(ctx context.Context, userID int64, limit int) ([]string, error) {
	var out []string
	for page := 1; len(out) < limit; page++ {
		p, err := o.t.List(ctx, userID, tasks.ListRequest{Status: []string{tasks.StatusTodo, tasks.StatusInProgress},
			Sort: "created", Page: page, PerPage: tasks.MaxPerPage})
		if err != nil {
			return nil, err
		}
		for _, t := range p.Items {
			out = append(out, t.Title)
		}
		if len(p.Items) < p.PerPage {
			break
		}
	}
	return out[:min(len(out), limit)], nil
}

func (o opportunityTasks) CategoryID(ctx context.Context, userID int64, name string) (int64, bool, error) {
	cats, err := o.t.Categories(ctx, userID)
	if err != nil {
		return 0, false, err
	}
	for _, c := range cats {
		if strings.EqualFold(c.Name, name) {
			return c.ID, true, nil
		}
	}
	return 0, false, nil
}

// Create files the task under the category of that name, making it when
// the user has none (a race with another making it finds the winner's).
func (o opportunityTasks) Create(ctx context.Context, userID int64, nt opportunities.NewTask) (any, int64, error) {
	in := tasks.Input{Title: nt.Title, Notes: nt.Notes, Due: nt.Due, Priority: nt.Priority,
		Source: tasks.SourceOpportunity, SourceRef: nt.SourceRef}
	if name := strings.TrimSpace(nt.Category); name != "" {
		id, ok, err := o.CategoryID(ctx, userID, name)
		if err != nil {
			return nil, 0, err
		}
		if !ok {
			c, err := o.t.CreateCategory(ctx, userID, tasks.CategoryInput{Name: name})
			switch {
			case err == nil:
				id = c.ID
			case errors.Is(err, apperr.ErrConflict):
				if id, _, err = o.CategoryID(ctx, userID, name); err != nil {
					return nil, 0, err
				}
			default:
				var ae *apperr.Error
				if errors.As(err, &ae) && ae.Field != "" {
					ae.Field = "category"
				}
				return nil, 0, err
			}
		}
		in.CategoryID = &id
	}
	t, err := o.t.Create(ctx, userID, in)
	if err != nil {
		return nil, 0, err
	}
	return t, t.ID, nil
}

// opportunityChat is the opportunities' seam onto the chat history.
type opportunityChat struct{ c *chat.Service }

// opportunityMessages is how much of a conversation is read: its most
// recent messages (the prompt keeps what fits).
const opportunityMessages = 200

func (o opportunityChat) Conversation(ctx context.Context, userID, id int64) (string, []opportunities.Message, error) {
	conv, err := o.c.Conversation(ctx, userID, id)
	if err != nil {
		return "", nil, err
	}
	page, err := o.c.Messages(ctx, userID, id, 0, opportunityMessages)
	if err != nil {
		return "", nil, err
	}
	out := make([]opportunities.Message, 0, len(page.Items))
	for _, m := range page.Items {
		out = append(out, opportunities.Message{ID: m.ID, Role: m.Role, Content: m.Content})
	}
	return conv.Title, out, nil
}

// opportunityDocuments is the opportunities' seam onto the documents.
type opportunityDocuments struct{ d *documents.Service }

func (o opportunityDocuments) Document(ctx context.Context, userID, id int64) (*opportunities.Document, error) {
	d, err := o.d.Get(ctx, userID, id)
	if err != nil {
		return nil, err
	}
	out := &opportunities.Document{ID: d.ID, Name: d.Name, Collection: d.Collection}
	for p := 1; p <= d.Pages; p++ {
		c, err := o.d.Content(ctx, userID, id, p)
		if err != nil {
			return nil, err
		}
		out.Pages = append(out.Pages, c.Text)
	}
	return out, nil
}

// eventCreated is the calendar's hook onto opportunities: an event the
// person just made may propose "Prepare for <title>" (when they turned
// calendar events on in the opportunities settings). Only a single timed
// event still ahead qualifies: an all-day one is mostly a holiday, a
// birthday or an absence, a series (a weekly meeting) would get one
// proposal for its first instance and none for the rest, a cancelled one
// needs nothing, and weight 0 says the event does not count in planning.
func (a *App) eventCreated(ctx context.Context, userID int64, ev calendar.Event) {
	if a.Opportunities == nil || ev.AllDay || ev.RRule != "" || len(ev.RDates) > 0 ||
		ev.Status == calendar.StatusCancelled || ev.Weight == 0 {
		return
	}
	start, err := time.Parse(time.RFC3339, ev.Start)
	if err != nil || !start.After(a.now()) {
		return
	}
	a.Opportunities.EventCreated(ctx, userID, opportunities.Event{ID: ev.ID, Title: ev.Title, Start: start})
}

// eventsDeleted withdraws the open proposals of deleted events.
func (a *App) eventsDeleted(ctx context.Context, userID int64, ids []int64) {
	if a.Opportunities != nil {
		a.Opportunities.EventsDeleted(ctx, userID, ids)
	}
}
