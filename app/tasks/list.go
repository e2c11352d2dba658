package tasks

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aiwfe/aiwfe/app/apperr"
	"github.com/aiwfe/aiwfe/store"
)

// Sorts List accepts; each has its natural direction (Order "").
var sorts = map[string]bool{ // true: newest / highest first
	store.TaskSortDue: false, store.TaskSortPriority: true, store.TaskSortPosition: false,
	store.TaskSortCreated: true, store.TaskSortUpdated: true,
}

// ListRequest filters, sorts and pages List. Zero fields do not filter.
type ListRequest struct {
	// Status: any of these.
	Status []string
	// CategoryID: a category's tasks, or 0 for those in none.
	CategoryID *int64
	Tag        string
	// DueAfter and DueBefore bound the due: a date (the start of that day
	// in the user's zone) or a date-time; after is inclusive, before not.
	DueAfter, DueBefore string
	// Overdue keeps open tasks past their due.
	Overdue bool
	// ParentID: a task's subtasks, or 0 for top-level tasks only.
	ParentID *int64
	// Query is a full-text search over titles and notes.
	Query string
	// Sort is due (default), priority, position, created or updated;
	// Order asc or desc ("" for the sort's natural one: due and position
	// ascending, the others descending).
	Sort, Order   string
	Page, PerPage int
}

// Page is one page of a user's tasks.
type Page struct {
	Items   []*Task `json:"items"`
	Total   int     `json:"total"`
	Page    int     `json:"page"`
	PerPage int     `json:"per_page"`
}

// List lists the user's tasks.
func (s *Service) List(ctx context.Context, userID int64, r ListRequest) (*Page, error) {
	loc, err := s.zone(ctx, userID)
	if err != nil {
		return nil, err
	}
	now := s.now()
	f, err := filter(r, loc, now)
	if err != nil {
		return nil, err
	}
	page, per := max(r.Page, 1), r.PerPage
	if per < 1 {
		per = 50
	}
	per = min(per, MaxPerPage)
	f.Limit, f.Offset = per, (page-1)*per
	rows, total, err := store.ListTasks(ctx, s.store.DB, userID, f)
	if err != nil {
		return nil, err
	}
	out := &Page{Items: make([]*Task, 0, len(rows)), Total: total, Page: page, PerPage: per}
	for _, t := range rows {
		out.Items = append(out.Items, view(t, loc, now))
	}
	return out, nil
}

func filter(r ListRequest, loc *time.Location, now time.Time) (store.TaskFilter, error) {
	f := store.TaskFilter{CategoryID: r.CategoryID, ParentID: r.ParentID, Overdue: r.Overdue, Now: now,
		Today: now.In(loc).Format(time.DateOnly), Sort: r.Sort}
	for _, st := range r.Status {
		if !slices.Contains(statuses, st) {
			return f, apperr.Invalid("status", "status must be one of "+strings.Join(statuses, ", "))
		}
		f.Statuses = append(f.Statuses, st)
	}
	if r.Tag != "" {
		f.Tag = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(r.Tag), "#")))
	}
	for _, b := range []struct {
		field, v string
		dst      **time.Time
	}{{"due_after", r.DueAfter, &f.DueFrom}, {"due_before", r.DueBefore, &f.DueBefore}} {
		if _, at, err := ParseDue(b.v, loc); err != nil {
			return f, apperr.Invalid(b.field, b.field+" must be a date (2026-12-31) or a date-time (2026-12-31T09:00, optionally with an offset)")
		} else {
			*b.dst = at
		}
	}
	if len(r.Query) > 500 {
		return f, apperr.Invalid("q", "the search is longer than 500 characters")
	}
	f.Query = r.Query
	if f.Sort == "" {
		f.Sort = store.TaskSortDue
	}
	desc, ok := sorts[f.Sort]
	if !ok {
		return f, apperr.Invalid("sort", "sort must be due, priority, position, created or updated")
	}
	switch r.Order {
	case "":
		f.Desc = desc
	case "asc":
		f.Desc = false
	case "desc":
		f.Desc = true
	default:
		return f, apperr.Invalid("order", "order must be asc or desc")
	}
	return f, nil
}

// Due is what is due for a user, in their time zone: open tasks past
// their due, due today, and due in the next days.
type Due struct {
	Timezone string  `json:"timezone"`
	Today    string  `json:"today"`
	Days     int     `json:"days"`
	Overdue  []*Task `json:"overdue"`
	DueToday []*Task `json:"due_today"`
	Upcoming []*Task `json:"upcoming"`
}

// MaxDueDays bounds how far ahead Due looks; maxDueTasks how many tasks
// it returns at most.
const (
	MaxDueDays  = 90
	maxDueTasks = 1000
)

// Due lists the user's open tasks that are overdue, due today, or due in
// the days after today (days: 0 for today only), earliest first.
func (s *Service) Due(ctx context.Context, userID int64, days int) (*Due, error) {
	if days < 0 || days > MaxDueDays {
		return nil, apperr.Invalid("days", "days must be from 0 to "+strconv.Itoa(MaxDueDays))
	}
	loc, err := s.zone(ctx, userID)
	if err != nil {
		return nil, err
	}
	now := s.now()
	local := now.In(loc)
	today := local.Format(time.DateOnly)
	end := time.Date(local.Year(), local.Month(), local.Day()+days+1, 0, 0, 0, 0, loc)
	tomorrow := time.Date(local.Year(), local.Month(), local.Day()+1, 0, 0, 0, 0, loc).Format(time.DateOnly)
	rows, err := store.OpenTasksDueBefore(ctx, s.store.DB, userID, end, maxDueTasks)
	if err != nil {
		return nil, err
	}
	out := &Due{Timezone: loc.String(), Today: today, Days: days, Overdue: []*Task{}, DueToday: []*Task{}, Upcoming: []*Task{}}
	for _, t := range rows {
		v := view(t, loc, now)
		// A date is due today all day; a date-time today until it passes.
		day := t.DueDate
		if day == "" {
			day = t.DueAt.In(loc).Format(time.DateOnly)
		}
		switch {
		case v.Overdue:
			out.Overdue = append(out.Overdue, v)
		case day < tomorrow:
			out.DueToday = append(out.DueToday, v)
		default:
			out.Upcoming = append(out.Upcoming, v)
		}
	}
	return out, nil
}

// BulkRequest changes many of the user's tasks at once: set Status
// and/or CategoryID (0 moves them to none), or Delete them.
type BulkRequest struct {
	IDs        []int64
	Status     *string
	CategoryID *int64
	Delete     bool
}

// BulkResult says what a bulk change did.
type BulkResult struct {
	Updated int `json:"updated"`
	Deleted int `json:"deleted"`
	// Created counts the next occurrences of recurring tasks completed.
	Created int `json:"created"`
}

// Bulk applies one change to many tasks in one transaction: every task
// changes, or (one id not the user's, one bad value) none does.
func (s *Service) Bulk(ctx context.Context, userID int64, r BulkRequest) (*BulkResult, error) {
	if len(r.IDs) == 0 {
		return nil, apperr.Invalid("ids", "ids must name at least one task")
	}
	if len(r.IDs) > MaxBulk {
		return nil, apperr.Invalid("ids", "at most "+strconv.Itoa(MaxBulk)+" tasks at once")
	}
	if r.Delete == (r.Status != nil || r.CategoryID != nil) {
		return nil, apperr.BadRequest("give status and/or category_id, or delete: true (not both)")
	}
	loc, err := s.zone(ctx, userID)
	if err != nil {
		return nil, err
	}
	ids := slices.Clone(r.IDs)
	slices.Sort(ids)
	ids = slices.Compact(ids)
	res := &BulkResult{}
	err = s.store.WithTx(ctx, func(tx *sql.Tx) error {
		for _, id := range ids {
			if _, err := store.GetTask(ctx, tx, userID, id); err != nil {
				return apperr.FromStore(err, "task "+strconv.FormatInt(id, 10))
			}
		}
		for _, id := range ids {
			if r.Delete {
				// A subtask whose parent went first went with it.
				err := store.DeleteTask(ctx, tx, userID, id)
				if errors.Is(err, store.ErrNotFound) {
					continue
				}
				if err != nil {
					return err
				}
				res.Deleted++
				continue
			}
			before, err := store.GetTask(ctx, tx, userID, id)
			if err != nil {
				return err
			}
			if err := s.update(ctx, tx, userID, id, Patch{Status: r.Status, CategoryID: r.CategoryID}, loc); err != nil {
				return err
			}
			after, err := store.GetTask(ctx, tx, userID, id)
			if err != nil {
				return err
			}
			res.Updated++
			if before.NextTaskID == nil && after.NextTaskID != nil {
				res.Created++
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}
