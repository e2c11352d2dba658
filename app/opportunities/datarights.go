package opportunities

import (
	"context"
	"database/sql"

	"github.com/aiwfe/aiwfe/store"
)

// DataPart is the opportunities' share of a user's data (a
// datarights.Part): every proposal, decided ones included (they are what
// remembers a dismissal), and the collections enabled for them.
type DataPart struct{}

// DataPart returns the part app.Open registers.
func (s *Service) DataPart() DataPart { return DataPart{} }

// Tables is the opportunities tables.
func (DataPart) Tables() map[string]string { return store.OpportunityTables }

// Export puts "opportunities" (without the title vectors, which are made
// again) and "opportunity_settings" (collections, the quiet and calendar events switches).
func (DataPart) Export(ctx context.Context, tx *sql.Tx, userID int64, put func(string, any)) error {
	rows, err := store.UserOpportunities(ctx, tx, userID)
	if err != nil {
		return err
	}
	out := make([]*Opportunity, len(rows))
	for i, o := range rows {
		out[i] = view(o)
	}
	set, err := readSettings(ctx, tx, userID)
	if err != nil {
		return err
	}
	put("opportunities", out)
	put("opportunity_settings", set)
	return nil
}

// Delete leaves the rows to the cascade.
func (DataPart) Delete(context.Context, *sql.Tx, int64) (func(), error) { return nil, nil }
