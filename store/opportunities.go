package store

import (
	"context"
	"database/sql"
	"errors"
	"time"
)

// Opportunity is one proposed task (a row of opportunities).
type Opportunity struct {
	ID             int64
	UserID         int64
	Title          string
	TitleKey       string
	Notes          string
	Due            string
	Priority       string
	Category       string
	SourceKind     string // conversation | document | event
	ConversationID *int64
	MessageID      *int64
	DocumentID     *int64
	Page           *int
	EventID        *int64
	SourceTitle    string
	Evidence       string
	ProposedBy     string // model | rules
	Model          string
	Status         string // open | accepted | dismissed
	TaskID         *int64
	Vec            []float32
	VecModel       string
	CreatedAt      time.Time
	DecidedAt      *time.Time
}

// Opportunity statuses.
const (
	OpportunityOpen      = "open"
	OpportunityAccepted  = "accepted"
	OpportunityDismissed = "dismissed"
)

// OpportunityTables counts one user's rows in the opportunities tables.
var OpportunityTables = map[string]string{
	"opportunities":           "SELECT COUNT(*) FROM opportunities WHERE user_id = ?",
	"opportunity_collections": "SELECT COUNT(*) FROM opportunity_collections WHERE user_id = ?",
	"opportunity_settings":    "SELECT COUNT(*) FROM opportunity_settings WHERE user_id = ?",
}

const opportunityCols = `id, user_id, title, title_key, notes, due, priority, category, source_kind,
	conversation_id, message_id, document_id, page, event_id, source_title, evidence, proposed_by, model,
	status, task_id, vec, vec_model, created_at, decided_at`

func scanOpportunity(r interface{ Scan(...any) error }) (*Opportunity, error) {
	o := &Opportunity{}
	var conv, msg, doc, event, task sql.NullInt64
	var page sql.NullInt64
	var vec []byte
	var created string
	var decided sql.NullString
	err := r.Scan(&o.ID, &o.UserID, &o.Title, &o.TitleKey, &o.Notes, &o.Due, &o.Priority, &o.Category, &o.SourceKind,
		&conv, &msg, &doc, &page, &event, &o.SourceTitle, &o.Evidence, &o.ProposedBy, &o.Model,
		&o.Status, &task, &vec, &o.VecModel, &created, &decided)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	o.ConversationID, o.MessageID, o.DocumentID = ptrID(conv), ptrID(msg), ptrID(doc)
	o.EventID, o.TaskID = ptrID(event), ptrID(task)
	if page.Valid {
		p := int(page.Int64)
		o.Page = &p
	}
	if len(vec) > 0 {
		o.Vec = DecodeVector(nil, vec)
	}
	o.CreatedAt = tsParse(created)
	if decided.Valid {
		t := tsParse(decided.String)
		o.DecidedAt = &t
	}
	return o, nil
}

func ptrID(n sql.NullInt64) *int64 {
	if !n.Valid {
		return nil
	}
	v := n.Int64
	return &v
}

// InsertOpportunity adds o for o.UserID and fills its id and time.
func InsertOpportunity(ctx context.Context, q Querier, o *Opportunity, now time.Time) error {
	var vec any
	if len(o.Vec) > 0 {
		vec = VectorBlob(o.Vec)
	}
	var page any
	if o.Page != nil {
		page = *o.Page
	}
	if o.Status == "" {
		o.Status = OpportunityOpen
	}
	res, err := q.ExecContext(ctx, `INSERT INTO opportunities(user_id, title, title_key, notes, due, priority, category,
		source_kind, conversation_id, message_id, document_id, page, event_id, source_title, evidence, proposed_by, model,
		status, vec, vec_model, created_at) VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		o.UserID, o.Title, o.TitleKey, o.Notes, o.Due, o.Priority, o.Category, o.SourceKind,
		o.ConversationID, o.MessageID, o.DocumentID, page, o.EventID, o.SourceTitle, o.Evidence, o.ProposedBy, o.Model,
		o.Status, vec, o.VecModel, tsText(now))
	if err != nil {
		return err
	}
	o.ID, err = res.LastInsertId()
	o.CreatedAt = now.UTC()
	return err
}

// GetOpportunity reads one of the user's opportunities.
func GetOpportunity(ctx context.Context, q Querier, userID, id int64) (*Opportunity, error) {
	return scanOpportunity(q.QueryRowContext(ctx, "SELECT "+opportunityCols+" FROM opportunities WHERE id = ? AND user_id = ?", id, userID))
}

// OpportunityFilter narrows ListOpportunities; zero fields do not filter.
type OpportunityFilter struct {
	Status         string
	SourceKind     string
	ConversationID int64
	DocumentID     int64
	Limit          int
	Offset         int
}

// ListOpportunities lists the user's opportunities, newest first, with the
// total matching count.
func ListOpportunities(ctx context.Context, q Querier, userID int64, f OpportunityFilter) ([]*Opportunity, int, error) {
	if f.Limit <= 0 {
		f.Limit = 50
	}
	where, args := "user_id = ?", []any{userID}
	if f.Status != "" {
		where, args = where+" AND status = ?", append(args, f.Status)
	}
	if f.SourceKind != "" {
		where, args = where+" AND source_kind = ?", append(args, f.SourceKind)
	}
	if f.ConversationID != 0 {
		where, args = where+" AND conversation_id = ?", append(args, f.ConversationID)
	}
	if f.DocumentID != 0 {
		where, args = where+" AND document_id = ?", append(args, f.DocumentID)
	}
	var total int
	if err := q.QueryRowContext(ctx, "SELECT COUNT(*) FROM opportunities WHERE "+where, args...).Scan(&total); err != nil {
		return nil, 0, err
	}
	out, err := queryOpportunities(ctx, q, "SELECT "+opportunityCols+" FROM opportunities WHERE "+where+
		" ORDER BY id DESC LIMIT ? OFFSET ?", append(args, f.Limit, f.Offset)...)
	return out, total, err
}

// UserOpportunities lists every opportunity of the user, oldest first (the
// export, and the memory duplicates are checked against).
func UserOpportunities(ctx context.Context, q Querier, userID int64) ([]*Opportunity, error) {
	return queryOpportunities(ctx, q, "SELECT "+opportunityCols+" FROM opportunities WHERE user_id = ? ORDER BY id", userID)
}

func queryOpportunities(ctx context.Context, q Querier, query string, args ...any) ([]*Opportunity, error) {
	return queryAll(ctx, q, scanOpportunity, query, args...)
}

// SetOpportunityStatus moves one of the user's opportunities from status
// from to status to; ErrNotFound when it is not the user's or not in from.
func SetOpportunityStatus(ctx context.Context, q Querier, userID, id int64, from, to string, now time.Time) error {
	var decided any
	if to != OpportunityOpen {
		decided = tsText(now)
	}
	res, err := q.ExecContext(ctx, `UPDATE opportunities SET status = ?, decided_at = ?
		WHERE id = ? AND user_id = ? AND status = ?`, to, decided, id, userID, from)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	return nil
}

// SetOpportunityTask records the task accepting made.
func SetOpportunityTask(ctx context.Context, q Querier, userID, id, taskID int64) error {
	_, err := q.ExecContext(ctx, "UPDATE opportunities SET task_id = ? WHERE id = ? AND user_id = ?", taskID, id, userID)
	return err
}

// OpportunityCollections lists the collections the user lets the model
// read for opportunities.
func OpportunityCollections(ctx context.Context, q Querier, userID int64) ([]string, error) {
	return queryAll(ctx, q, func(r interface{ Scan(...any) error }) (string, error) {
		var c string
		return c, r.Scan(&c)
	}, "SELECT collection FROM opportunity_collections WHERE user_id = ? ORDER BY collection", userID)
}

// SetOpportunityCollections replaces the user's list.
func SetOpportunityCollections(ctx context.Context, q Querier, userID int64, collections []string) error {
	if _, err := q.ExecContext(ctx, "DELETE FROM opportunity_collections WHERE user_id = ?", userID); err != nil {
		return err
	}
	for _, c := range collections {
		if _, err := q.ExecContext(ctx, "INSERT OR IGNORE INTO opportunity_collections(user_id, collection) VALUES(?, ?)", userID, c); err != nil {
			return err
		}
	}
	return nil
}

// OpportunityCollectionOn reports whether the user enabled a collection.
func OpportunityCollectionOn(ctx context.Context, q Querier, userID int64, collection string) (bool, error) {
	var n int
	err := q.QueryRowContext(ctx, "SELECT COUNT(*) FROM opportunity_collections WHERE user_id = ? AND collection = ?",
		userID, collection).Scan(&n)
	return n > 0, err
}

// OpportunityQuietOn reports whether the user has conversations read for
// opportunities once they go quiet.
func OpportunityQuietOn(ctx context.Context, q Querier, userID int64) (bool, error) {
	var on bool
	err := q.QueryRowContext(ctx, "SELECT conversations_when_quiet FROM opportunity_settings WHERE user_id = ?", userID).Scan(&on)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return on, err
}

// SetOpportunityQuiet sets the switch.
func SetOpportunityQuiet(ctx context.Context, q Querier, userID int64, on bool) error {
	_, err := q.ExecContext(ctx, `INSERT INTO opportunity_settings(user_id, conversations_when_quiet) VALUES(?, ?)
		ON CONFLICT(user_id) DO UPDATE SET conversations_when_quiet = excluded.conversations_when_quiet`, userID, on)
	return err
}

// OpportunityEventsOn reports whether the user has calendar events they
// make proposing their preparation task.
func OpportunityEventsOn(ctx context.Context, q Querier, userID int64) (bool, error) {
	var on bool
	err := q.QueryRowContext(ctx, "SELECT calendar_events FROM opportunity_settings WHERE user_id = ?", userID).Scan(&on)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return on, err
}

// SetOpportunityEvents sets the switch.
func SetOpportunityEvents(ctx context.Context, q Querier, userID int64, on bool) error {
	_, err := q.ExecContext(ctx, `INSERT INTO opportunity_settings(user_id, calendar_events) VALUES(?, ?)
		ON CONFLICT(user_id) DO UPDATE SET calendar_events = excluded.calendar_events`, userID, on)
	return err
}

// DeleteOpenEventOpportunities deletes the user's open proposals made from
// these events (decided ones stay: a task was made, or a dismissal is
// remembered) and says how many went.
func DeleteOpenEventOpportunities(ctx context.Context, q Querier, userID int64, eventIDs []int64) (int64, error) {
	var n int64
	for _, id := range eventIDs {
		res, err := q.ExecContext(ctx, `DELETE FROM opportunities WHERE user_id = ? AND source_kind = 'event' AND event_id = ? AND status = ?`,
			userID, id, OpportunityOpen)
		if err != nil {
			return n, err
		}
		k, _ := res.RowsAffected()
		n += k
	}
	return n, nil
}
