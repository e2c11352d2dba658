package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"strings"
	"time"
)

// Task is one row of tasks with its tags and how many subtasks it has.
// The service (app/tasks) turns it into what clients see.
type Task struct {
	ID       int64
	UserID   int64
	Title    string
	Notes    string
	Status   string
	Priority int
	// DueDate is 'YYYY-MM-DD' for a task due on a day (DueAt is then
	// that day's start in the user's zone), '' otherwise.
	DueDate          string
	DueAt            *time.Time
	EstimatedMinutes *int
	CategoryID       *int64
	ParentID         *int64
	Position         float64
	Recurrence       string
	RecurrenceAnchor string
	NextTaskID       *int64
	CompletedAt      *time.Time
	Source           string
	// SourceRef is a JSON object.
	SourceRef    string
	Tags         []string
	SubtaskCount int
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// Task statuses that count as open (due, overdue).
const openTaskStatuses = "('todo', 'in_progress')"

const taskCols = `t.id, t.user_id, t.title, t.notes, t.status, t.priority, t.due_date, t.due_at, t.estimated_minutes,
	t.category_id, t.parent_id, t.position, t.recurrence, t.recurrence_anchor, t.next_task_id, t.completed_at,
	t.source, t.source_ref, t.created_at, t.updated_at,
	(SELECT json_group_array(tag) FROM (SELECT tag FROM task_tags WHERE task_id = t.id ORDER BY tag)),
	(SELECT COUNT(*) FROM tasks s WHERE s.parent_id = t.id)`

func scanTask(r interface{ Scan(...any) error }) (*Task, error) {
	t := &Task{}
	var dueAt, completed sql.NullString
	var est, cat, parent, next sql.NullInt64
	var created, updated, tags string
	if err := r.Scan(&t.ID, &t.UserID, &t.Title, &t.Notes, &t.Status, &t.Priority, &t.DueDate, &dueAt, &est,
		&cat, &parent, &t.Position, &t.Recurrence, &t.RecurrenceAnchor, &next, &completed,
		&t.Source, &t.SourceRef, &created, &updated, &tags, &t.SubtaskCount); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, ErrNotFound
		}
		return nil, err
	}
	t.DueAt, t.CompletedAt = nullTime(dueAt), nullTime(completed)
	if est.Valid {
		n := int(est.Int64)
		t.EstimatedMinutes = &n
	}
	t.CategoryID, t.ParentID, t.NextTaskID = idPtr(cat), idPtr(parent), idPtr(next)
	t.CreatedAt, t.UpdatedAt = tsParse(created), tsParse(updated)
	t.Tags = []string{}
	if err := json.Unmarshal([]byte(tags), &t.Tags); err != nil {
		return nil, err
	}
	return t, nil
}

func nullTime(s sql.NullString) *time.Time {
	if !s.Valid {
		return nil
	}
	t := tsParse(s.String)
	return &t
}

func idPtr(n sql.NullInt64) *int64 {
	if !n.Valid {
		return nil
	}
	v := n.Int64
	return &v
}

func nullable[T any](p *T) any {
	if p == nil {
		return nil
	}
	return *p
}

// InsertTask adds t for t.UserID with its tags and fills its id and times.
func InsertTask(ctx context.Context, q Querier, t *Task, now time.Time) error {
	res, err := q.ExecContext(ctx, `INSERT INTO tasks (user_id, title, notes, status, priority, due_date, due_at, estimated_minutes,
		category_id, parent_id, position, recurrence, recurrence_anchor, next_task_id, completed_at, source, source_ref, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		t.UserID, t.Title, t.Notes, t.Status, t.Priority, t.DueDate, tsNull(t.DueAt), nullable(t.EstimatedMinutes),
		nullable(t.CategoryID), nullable(t.ParentID), t.Position, t.Recurrence, t.RecurrenceAnchor, nullable(t.NextTaskID),
		tsNull(t.CompletedAt), t.Source, t.SourceRef, tsText(now), tsText(now))
	if err != nil {
		return err
	}
	if t.ID, err = res.LastInsertId(); err != nil {
		return err
	}
	t.CreatedAt, t.UpdatedAt = now.UTC(), now.UTC()
	return setTaskTags(ctx, q, t.ID, t.Tags)
}

// UpdateTask writes every field of the user's task t (read, changed and
// written back inside one transaction by the service) and its tags.
func UpdateTask(ctx context.Context, q Querier, t *Task, now time.Time) error {
	res, err := q.ExecContext(ctx, `UPDATE tasks SET title = ?, notes = ?, status = ?, priority = ?, due_date = ?, due_at = ?,
		estimated_minutes = ?, category_id = ?, parent_id = ?, position = ?, recurrence = ?, recurrence_anchor = ?, next_task_id = ?,
		completed_at = ?, source = ?, source_ref = ?, updated_at = ? WHERE id = ? AND user_id = ?`,
		t.Title, t.Notes, t.Status, t.Priority, t.DueDate, tsNull(t.DueAt), nullable(t.EstimatedMinutes),
		nullable(t.CategoryID), nullable(t.ParentID), t.Position, t.Recurrence, t.RecurrenceAnchor, nullable(t.NextTaskID),
		tsNull(t.CompletedAt), t.Source, t.SourceRef, tsText(now), t.ID, t.UserID)
	if err := exactlyOne(res, err); err != nil {
		return err
	}
	t.UpdatedAt = now.UTC()
	return setTaskTags(ctx, q, t.ID, t.Tags)
}

func setTaskTags(ctx context.Context, q Querier, id int64, tags []string) error {
	if _, err := q.ExecContext(ctx, "DELETE FROM task_tags WHERE task_id = ?", id); err != nil {
		return err
	}
	for _, tag := range tags {
		if _, err := q.ExecContext(ctx, "INSERT OR IGNORE INTO task_tags (task_id, tag) VALUES (?, ?)", id, tag); err != nil {
			return err
		}
	}
	return nil
}

// GetTask reads one of the user's tasks; another user's answers
// ErrNotFound, exactly like a missing one.
func GetTask(ctx context.Context, q Querier, userID, id int64) (*Task, error) {
	return scanTask(q.QueryRowContext(ctx, "SELECT "+taskCols+" FROM tasks t WHERE t.id = ? AND t.user_id = ?", id, userID))
}

// DeleteTask removes the user's task and, by cascade, its subtasks.
func DeleteTask(ctx context.Context, q Querier, userID, id int64) error {
	res, err := q.ExecContext(ctx, "DELETE FROM tasks WHERE id = ? AND user_id = ?", id, userID)
	return exactlyOne(res, err)
}

// MaxTaskPosition is the highest position among the user's tasks with
// this parent (nil: top level), 0 when there are none.
func MaxTaskPosition(ctx context.Context, q Querier, userID int64, parentID *int64) (float64, error) {
	var p sql.NullFloat64
	err := q.QueryRowContext(ctx, "SELECT MAX(position) FROM tasks WHERE user_id = ? AND parent_id IS ?", userID, nullable(parentID)).Scan(&p)
	return p.Float64, err
}

// Sort orders of ListTasks.
const (
	TaskSortDue      = "due"
	TaskSortPriority = "priority"
	TaskSortPosition = "position"
	TaskSortCreated  = "created"
	TaskSortUpdated  = "updated"
)

// TaskFilter narrows ListTasks. Zero fields do not filter.
type TaskFilter struct {
	Statuses []string
	// CategoryID: a category, or 0 for tasks in none.
	CategoryID *int64
	Tag        string
	// DueFrom and DueBefore bound due_at: from ≤ due_at < before.
	DueFrom, DueBefore *time.Time
	// Overdue keeps open tasks due before Now (a date-time) or before
	// Today (a date, 'YYYY-MM-DD' in the user's zone).
	Overdue bool
	Now     time.Time
	Today   string
	// ParentID: a task's subtasks, or 0 for top-level tasks only.
	ParentID *int64
	// Query is what the person typed; FTSQuery makes it safe.
	Query  string
	Sort   string
	Desc   bool
	Limit  int
	Offset int
}

func (f *TaskFilter) where(userID int64) (string, []any) {
	w, args := []string{"t.user_id = ?"}, []any{userID}
	if len(f.Statuses) > 0 {
		w = append(w, "t.status IN (?"+strings.Repeat(", ?", len(f.Statuses)-1)+")")
		for _, s := range f.Statuses {
			args = append(args, s)
		}
	}
	if f.CategoryID != nil {
		if *f.CategoryID == 0 {
			w = append(w, "t.category_id IS NULL")
		} else {
			w, args = append(w, "t.category_id = ?"), append(args, *f.CategoryID)
		}
	}
	if f.Tag != "" {
		w, args = append(w, "t.id IN (SELECT task_id FROM task_tags WHERE tag = ?)"), append(args, f.Tag)
	}
	if f.DueFrom != nil {
		w, args = append(w, "t.due_at >= ?"), append(args, tsText(*f.DueFrom))
	}
	if f.DueBefore != nil {
		w, args = append(w, "t.due_at < ?"), append(args, tsText(*f.DueBefore))
	}
	if f.Overdue {
		// due_at < now + 27 hours holds for every overdue task (a date's
		// due_at is its day's start in the user's zone, no zone is more
		// than 26 hours from another) and lets the index narrow the rows
		// the exact test reads.
		w = append(w, "t.status IN "+openTaskStatuses+" AND t.due_at < ? AND ((t.due_date != '' AND t.due_date < ?) OR (t.due_date = '' AND t.due_at < ?))")
		args = append(args, tsText(f.Now.Add(27*time.Hour)), f.Today, tsText(f.Now))
	}
	if f.ParentID != nil {
		if *f.ParentID == 0 {
			w = append(w, "t.parent_id IS NULL")
		} else {
			w, args = append(w, "t.parent_id = ?"), append(args, *f.ParentID)
		}
	}
	if match := FTSQuery(f.Query); match != "" {
		// +t.id: test the matches against the user's rows as they are
		// scanned; looking each match up instead costs three times as
		// much when a common word matches thousands.
		w, args = append(w, "+t.id IN (SELECT rowid FROM tasks_fts WHERE tasks_fts MATCH ?)"), append(args, match)
	}
	return strings.Join(w, " AND "), args
}

// orderBy is the ORDER BY of f's sort and the index that reads rows in
// that order ("" when none does: the direction with mixed terms).
func (f *TaskFilter) orderBy() (string, string) {
	dir := " ASC"
	if f.Desc {
		dir = " DESC"
	}
	switch f.Sort {
	case TaskSortPriority:
		order := "t.priority" + dir + ", t.due_at IS NULL, t.due_at, t.position, t.id"
		if f.Desc {
			return order, "tasks_order_priority"
		}
		return order, ""
	case TaskSortPosition:
		return "t.position" + dir + ", t.id" + dir, "tasks_order_position"
	case TaskSortCreated:
		// Ids grow with creation (AUTOINCREMENT).
		return "t.id" + dir, "tasks_user"
	case TaskSortUpdated:
		return "t.updated_at" + dir + ", t.id" + dir, "tasks_order_updated"
	}
	// Tasks without a due date come last whichever the direction.
	order := "t.due_at IS NULL, t.due_at" + dir + ", t.priority DESC, t.position, t.id"
	if f.Desc {
		return order, ""
	}
	return order, "tasks_order_due"
}

// ListTasks lists one page of the user's tasks matching f, with the
// total that match.
//
// The page is read through its sort's index (every filter column trails
// it, so the scan needs no table row and stops at the page's end) rather
// than by sorting every match; the total is counted only when the page
// does not tell it (a full page, or one past the end).
func ListTasks(ctx context.Context, q Querier, userID int64, f TaskFilter) ([]*Task, int, error) {
	if f.Limit <= 0 {
		f.Limit = 50
	}
	where, args := f.where(userID)
	order, index := f.orderBy()
	from := "tasks t"
	if index != "" {
		from += " INDEXED BY " + index
	}
	// The page's ids first, then their rows: the tags and subtask counts
	// are computed for the page only, not for every match the sort sees.
	ids, err := int64s(q.QueryContext(ctx, "SELECT t.id FROM "+from+" WHERE "+where+" ORDER BY "+order+" LIMIT ? OFFSET ?",
		append(args, f.Limit, f.Offset)...))
	if err != nil {
		return nil, 0, err
	}
	total := f.Offset + len(ids)
	if len(ids) == f.Limit || (len(ids) == 0 && f.Offset > 0) {
		if err := q.QueryRowContext(ctx, "SELECT COUNT(*) FROM tasks t WHERE "+where, args...).Scan(&total); err != nil {
			return nil, 0, err
		}
	}
	out, err := TasksByID(ctx, q, userID, ids)
	return out, total, err
}

// TasksByID reads the user's tasks with these ids, in the order given
// (ids that are not the user's are left out).
func TasksByID(ctx context.Context, q Querier, userID int64, ids []int64) ([]*Task, error) {
	out := make([]*Task, 0, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	args := []any{userID}
	for _, id := range ids {
		args = append(args, id)
	}
	found, err := queryTasks(ctx, q, "SELECT "+taskCols+" FROM tasks t WHERE t.user_id = ? AND t.id IN (?"+strings.Repeat(", ?", len(ids)-1)+")", args...)
	if err != nil {
		return nil, err
	}
	byID := make(map[int64]*Task, len(found))
	for _, t := range found {
		byID[t.ID] = t
	}
	for _, id := range ids {
		if t := byID[id]; t != nil {
			out = append(out, t)
		}
	}
	return out, nil
}

func queryTasks(ctx context.Context, q Querier, query string, args ...any) ([]*Task, error) {
	return queryAll(ctx, q, scanTask, query, args...)
}

// queryAll runs query and scans every row it gives ([] for none).
func queryAll[T any](ctx context.Context, q Querier, scan func(interface{ Scan(...any) error }) (T, error), query string, args ...any) ([]T, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []T{}
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// UserTasks lists every task of the user, oldest first (the export).
func UserTasks(ctx context.Context, q Querier, userID int64) ([]*Task, error) {
	return queryTasks(ctx, q, "SELECT "+taskCols+" FROM tasks t WHERE t.user_id = ? ORDER BY t.id", userID)
}

// OpenTasksDueBefore lists the user's open tasks (todo, in progress) due
// before the instant, earliest first, at most limit.
func OpenTasksDueBefore(ctx context.Context, q Querier, userID int64, before time.Time, limit int) ([]*Task, error) {
	return queryTasks(ctx, q, "SELECT "+taskCols+" FROM tasks t WHERE t.user_id = ? AND t.status IN "+openTaskStatuses+
		" AND t.due_at < ? ORDER BY t.due_at, t.priority DESC, t.position, t.id LIMIT ?", userID, tsText(before), limit)
}

// TaskDueDates lists the distinct dates the user's tasks are due on
// (those due on a day, not at a time).
func TaskDueDates(ctx context.Context, q Querier, userID int64) ([]string, error) {
	return queryAll(ctx, q, func(r interface{ Scan(...any) error }) (string, error) {
		var d string
		return d, r.Scan(&d)
	}, "SELECT DISTINCT due_date FROM tasks WHERE user_id = ? AND due_date != ''", userID)
}

// SetTaskDateDueAt sets due_at of the user's tasks due on date (their
// order key: the day's start in the user's zone).
func SetTaskDateDueAt(ctx context.Context, q Querier, userID int64, date string, at time.Time) error {
	_, err := q.ExecContext(ctx, "UPDATE tasks SET due_at = ? WHERE user_id = ? AND due_date = ?", tsText(at), userID, date)
	return err
}

// TaskCategory is one of a user's categories.
type TaskCategory struct {
	ID     int64   `json:"id"`
	UserID int64   `json:"-"`
	Name   string  `json:"name"`
	Colour string  `json:"colour"`
	Weight float64 `json:"weight"`
	// TaskCount and OpenCount are filled by the reads: the tasks filed
	// under the category, and those of them still open.
	TaskCount int       `json:"task_count"`
	OpenCount int       `json:"open_count"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

const categoryCols = `c.id, c.user_id, c.name, c.colour, c.weight, c.created_at, c.updated_at,
	(SELECT COUNT(*) FROM tasks t WHERE t.category_id = c.id),
	(SELECT COUNT(*) FROM tasks t WHERE t.category_id = c.id AND t.status IN ` + openTaskStatuses + `)`

func scanCategory(r interface{ Scan(...any) error }) (*TaskCategory, error) {
	c := &TaskCategory{}
	var created, updated string
	if err := r.Scan(&c.ID, &c.UserID, &c.Name, &c.Colour, &c.Weight, &created, &updated, &c.TaskCount, &c.OpenCount); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, ErrNotFound
		}
		return nil, err
	}
	c.CreatedAt, c.UpdatedAt = tsParse(created), tsParse(updated)
	return c, nil
}

// InsertTaskCategory adds c; a name the user already has (in any case)
// answers ErrDuplicate.
func InsertTaskCategory(ctx context.Context, q Querier, c *TaskCategory, now time.Time) error {
	res, err := q.ExecContext(ctx, `INSERT INTO task_categories (user_id, name, colour, weight, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?)`, c.UserID, c.Name, c.Colour, c.Weight, tsText(now), tsText(now))
	if err != nil {
		if isUniqueViolation(err) {
			return ErrDuplicate
		}
		return err
	}
	c.ID, err = res.LastInsertId()
	c.CreatedAt, c.UpdatedAt = now.UTC(), now.UTC()
	return err
}

// GetTaskCategory reads one of the user's categories.
func GetTaskCategory(ctx context.Context, q Querier, userID, id int64) (*TaskCategory, error) {
	return scanCategory(q.QueryRowContext(ctx, "SELECT "+categoryCols+" FROM task_categories c WHERE c.id = ? AND c.user_id = ?", id, userID))
}

// ListTaskCategories lists the user's categories by name.
func ListTaskCategories(ctx context.Context, q Querier, userID int64) ([]*TaskCategory, error) {
	return queryAll(ctx, q, scanCategory, "SELECT "+categoryCols+" FROM task_categories c WHERE c.user_id = ? ORDER BY c.name COLLATE NOCASE, c.id", userID)
}

// UpdateTaskCategory writes the name, colour and weight of the user's
// category c.
func UpdateTaskCategory(ctx context.Context, q Querier, c *TaskCategory, now time.Time) error {
	res, err := q.ExecContext(ctx, "UPDATE task_categories SET name = ?, colour = ?, weight = ?, updated_at = ? WHERE id = ? AND user_id = ?",
		c.Name, c.Colour, c.Weight, tsText(now), c.ID, c.UserID)
	if isUniqueViolation(err) {
		return ErrDuplicate
	}
	return exactlyOne(res, err)
}

// DeleteTaskCategory removes the user's category after moving its tasks
// to none; it returns how many tasks it moved.
func DeleteTaskCategory(ctx context.Context, q Querier, userID, id int64, now time.Time) (int, error) {
	if _, err := GetTaskCategory(ctx, q, userID, id); err != nil {
		return 0, err
	}
	res, err := q.ExecContext(ctx, "UPDATE tasks SET category_id = NULL, updated_at = ? WHERE category_id = ? AND user_id = ?", tsText(now), id, userID)
	if err != nil {
		return 0, err
	}
	moved, err := res.RowsAffected()
	if err != nil {
		return 0, err
	}
	res, err = q.ExecContext(ctx, "DELETE FROM task_categories WHERE id = ? AND user_id = ?", id, userID)
	return int(moved), exactlyOne(res, err)
}

// TaskTables counts one user's rows in the tasks tables.
var TaskTables = map[string]string{
	"tasks":           "SELECT COUNT(*) FROM tasks WHERE user_id = ?",
	"task_tags":       "SELECT COUNT(*) FROM task_tags WHERE task_id IN (SELECT id FROM tasks WHERE user_id = ?)",
	"task_categories": "SELECT COUNT(*) FROM task_categories WHERE user_id = ?",
}
