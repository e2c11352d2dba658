package tasks

import (
	"context"
	"database/sql"

	"github.com/aiwfe/aiwfe/store"
)

// DataPart is the tasks' share of a user's data (a datarights.Part):
// tasks and categories. The cascade from users deletes them.
type DataPart struct{ s *Service }

// DataPart returns the part app.Open registers.
func (s *Service) DataPart() DataPart { return DataPart{s} }

// Tables is the tasks tables.
func (DataPart) Tables() map[string]string { return store.TaskTables }

// Export puts "tasks" (as the API shows them, due in the user's zone)
// and "task_categories".
func (p DataPart) Export(ctx context.Context, tx *sql.Tx, userID int64, put func(string, any)) error {
	u, err := store.UserByID(ctx, tx, userID)
	if err != nil {
		return err
	}
	loc := location(u.Timezone)
	rows, err := store.UserTasks(ctx, tx, userID)
	if err != nil {
		return err
	}
	now := p.s.now()
	out := make([]*Task, 0, len(rows))
	for _, t := range rows {
		out = append(out, view(t, loc, now))
	}
	cats, err := store.ListTaskCategories(ctx, tx, userID)
	if err != nil {
		return err
	}
	put("tasks", out)
	put("task_categories", cats)
	return nil
}

// Delete leaves the rows to the cascade (the index follows by trigger).
func (DataPart) Delete(context.Context, *sql.Tx, int64) (func(), error) { return nil, nil }
