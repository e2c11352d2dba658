// Package opportunities is the AI side of tasks: tasks a model proposes
// from a user's conversations, documents and calendar events (each with
// the sentence that justified it), which the user accepts — making a task
// — or dismisses, for good; and quick add's model path, which refines what
// the rules of app/tasks/quickadd could not read. When the model is the
// demo, unreachable, or answers outside its schema, deterministic rules
// give the answer instead, and every answer says which path made it.
//
// It knows the tasks service only through the Tasks interface, the chat
// history through Conversations and the documents through Documents, all
// adapted in package app.
package opportunities

import (
	"context"
	"database/sql"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/aiwfe/aiwfe/app/apperr"
	"github.com/aiwfe/aiwfe/app/hub"
	"github.com/aiwfe/aiwfe/app/llm"
	"github.com/aiwfe/aiwfe/store"
)

// Limits.
const (
	MaxTitleChars    = 200
	MaxNotesChars    = 10_000
	MaxCategoryChars = 100
	MaxEvidenceChars = 1000
	MaxPerPage       = 100
	// MaxCollections bounds the collections a user enables.
	MaxCollections = 100
)

// Tasks is what opportunities need of the tasks service.
type Tasks interface {
	// OpenTitles lists the titles of the user's open tasks (todo, in
	// progress), newest first, at most limit.
	OpenTitles(ctx context.Context, userID int64, limit int) ([]string, error)
	// Create makes a task and returns it (as the tasks API shows it)
	// with its id. Its errors are apperr values naming the field.
	Create(ctx context.Context, userID int64, t NewTask) (task any, id int64, err error)
	// CategoryID finds the user's category of that name, in any case
	// (ok false when there is none).
	CategoryID(ctx context.Context, userID int64, name string) (id int64, ok bool, err error)
}

// NewTask is the task accepting an opportunity makes.
type NewTask struct {
	Title    string
	Notes    string
	Due      string
	Priority string
	// Category is a category's name: the user's of that name, made when
	// there is none.
	Category string
	// SourceRef links the task back: opportunity_id and the source's ids.
	SourceRef map[string]any
}

// Conversations reads chat history.
type Conversations interface {
	// Conversation is one of the user's conversations: its title and
	// its most recent messages, oldest first (apperr 404 for another
	// user's).
	Conversation(ctx context.Context, userID, id int64) (title string, msgs []Message, err error)
}

// Message is one turn of a conversation.
type Message struct {
	ID      int64
	Role    string // user | assistant | system
	Content string
}

// Documents reads the user's documents.
type Documents interface {
	// Document is one of the user's ready documents with its pages' text.
	Document(ctx context.Context, userID, id int64) (*Document, error)
}

// Document is a document's text, by page.
type Document struct {
	ID         int64
	Name       string
	Collection string
	Pages      []string // Pages[0] is page 1
}

// Deps are what the service needs.
type Deps struct {
	Store *store.Store
	// LLM is the model server; the demo model (or nil) means the rules.
	LLM          llm.Provider
	Log          *slog.Logger
	Now          func() time.Time
	DefaultModel string
	// User reads a user's row (timezone, task_model).
	User          func(ctx context.Context, id int64) (*store.User, error)
	Tasks         Tasks
	Conversations Conversations
	Documents     Documents
	// Hub, when set, is told when a document read in the background gave
	// proposals (the progress channel).
	Hub *hub.Hub
	// Embed makes L2-normalised vectors of texts with the user's
	// embedder, and names it; nil compares titles only.
	Embed func(ctx context.Context, userID int64, texts []string) (model string, vecs [][]float32, err error)
}

// Service is the opportunities service. Close stops its background work.
type Service struct {
	// ModelTimeout bounds one model call for proposals (a big model may
	// load from disk first); ParseTimeout one for quick add, where a
	// person waits on the bar. Past them the rules answer.
	ModelTimeout time.Duration
	ParseTimeout time.Duration
	// QuietAfter is how long a conversation has no reply before it is
	// read, for users who turned that on.
	QuietAfter time.Duration
	// ProposeTokens and ParseTokens bound the model's answers (Ollama's
	// num_predict, OpenAI's max_tokens): a model that rambles past them
	// gives JSON cut short, which is refused like any other bad answer.
	ProposeTokens int
	ParseTokens   int

	d     Deps
	store *store.Store
	log   *slog.Logger
	now   func() time.Time

	bg    context.Context
	stop  context.CancelFunc
	wg    sync.WaitGroup
	queue chan job
	// quiet holds a timer per conversation waiting to go quiet.
	qmu   sync.Mutex
	quiet map[int64]*time.Timer
	// mu serialises a user's proposals, so two runs cannot both save one
	// proposal before either sees the other.
	mu sync.Mutex
}

// job is a source to read in the background.
type job struct {
	kind       string // document | conversation | event | events-gone
	userID, id int64
	event      Event   // kind event
	gone       []int64 // kind events-gone: the events deleted
}

// queueSize bounds the sources waiting to be read in the background; one
// that comes while it is full is skipped (and logged).
const queueSize = 64

// New builds the service and starts its background reader.
func New(d Deps) *Service {
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	if d.DefaultModel == "" {
		d.DefaultModel = "llama3.2:3b"
	}
	if d.User == nil && d.Store != nil {
		d.User = func(ctx context.Context, id int64) (*store.User, error) { return store.UserByID(ctx, d.Store.DB, id) }
	}
	s := &Service{d: d, store: d.Store, log: d.Log, now: d.Now, queue: make(chan job, queueSize),
		quiet: map[int64]*time.Timer{}, ModelTimeout: 3 * time.Minute, ParseTimeout: 30 * time.Second, QuietAfter: 10 * time.Minute,
		ProposeTokens: 2048, ParseTokens: 512}
	s.bg, s.stop = context.WithCancel(context.Background())
	s.wg.Add(1)
	go func() { defer s.wg.Done(); s.readInBackground() }()
	return s
}

// Close stops the background reader and the quiet timers, and waits.
func (s *Service) Close() {
	s.stop()
	s.qmu.Lock()
	for id, t := range s.quiet {
		t.Stop()
		delete(s.quiet, id)
	}
	s.qmu.Unlock()
	s.wg.Wait()
}

// Source says where an opportunity came from; the UI links back with it.
type Source struct {
	Kind           string `json:"kind"` // conversation | document | event
	ConversationID *int64 `json:"conversation_id,omitempty"`
	MessageID      *int64 `json:"message_id,omitempty"`
	DocumentID     *int64 `json:"document_id,omitempty"`
	Page           *int   `json:"page,omitempty"`
	EventID        *int64 `json:"event_id,omitempty"`
	// Title is the conversation's title, the document's name or the
	// event's title when it was proposed.
	Title string `json:"title"`
}

// Opportunity is a proposal as clients see it.
type Opportunity struct {
	ID       int64  `json:"id"`
	Title    string `json:"title"`
	Notes    string `json:"notes"`
	Due      string `json:"due"`
	Priority string `json:"priority"`
	Category string `json:"category"`
	Source   Source `json:"source"`
	// Evidence is the sentence that justified the proposal, as written.
	Evidence string `json:"evidence"`
	// ProposedBy is "model" or "rules"; Model names the model.
	ProposedBy string     `json:"proposed_by"`
	Model      string     `json:"model,omitempty"`
	Status     string     `json:"status"`
	TaskID     *int64     `json:"task_id"`
	CreatedAt  time.Time  `json:"created_at"`
	DecidedAt  *time.Time `json:"decided_at"`
}

func view(o *store.Opportunity) *Opportunity {
	return &Opportunity{ID: o.ID, Title: o.Title, Notes: o.Notes, Due: o.Due, Priority: o.Priority, Category: o.Category,
		Source: Source{Kind: o.SourceKind, ConversationID: o.ConversationID, MessageID: o.MessageID, DocumentID: o.DocumentID,
			Page: o.Page, EventID: o.EventID, Title: o.SourceTitle},
		Evidence: o.Evidence, ProposedBy: o.ProposedBy, Model: o.Model, Status: o.Status, TaskID: o.TaskID,
		CreatedAt: o.CreatedAt, DecidedAt: o.DecidedAt}
}

// ListRequest filters List; zero fields do not filter, but Status "" is
// "open" (the inbox) and "all" every status.
type ListRequest struct {
	Status         string
	SourceKind     string
	ConversationID int64
	DocumentID     int64
	Page, PerPage  int
}

// Page is one page of opportunities.
type Page struct {
	Items   []*Opportunity `json:"items"`
	Total   int            `json:"total"`
	Page    int            `json:"page"`
	PerPage int            `json:"per_page"`
}

// List lists the user's opportunities, newest first.
func (s *Service) List(ctx context.Context, userID int64, r ListRequest) (*Page, error) {
	f := store.OpportunityFilter{Status: r.Status, SourceKind: r.SourceKind, ConversationID: r.ConversationID, DocumentID: r.DocumentID}
	switch r.Status {
	case "":
		f.Status = store.OpportunityOpen
	case "all":
		f.Status = ""
	case store.OpportunityOpen, store.OpportunityAccepted, store.OpportunityDismissed:
	default:
		return nil, apperr.Invalid("status", "status must be open, accepted, dismissed or all")
	}
	switch r.SourceKind {
	case "", "conversation", "document", "event":
	default:
		return nil, apperr.Invalid("source", "source must be conversation, document or event")
	}
	if r.Page < 1 {
		r.Page = 1
	}
	if r.PerPage < 1 {
		r.PerPage = 50
	}
	if r.PerPage > MaxPerPage {
		return nil, apperr.Invalid("per_page", "per_page must be at most 100")
	}
	f.Limit, f.Offset = r.PerPage, (r.Page-1)*r.PerPage
	rows, total, err := store.ListOpportunities(ctx, s.store.DB, userID, f)
	if err != nil {
		return nil, err
	}
	out := &Page{Items: make([]*Opportunity, len(rows)), Total: total, Page: r.Page, PerPage: r.PerPage}
	for i, o := range rows {
		out.Items[i] = view(o)
	}
	return out, nil
}

// Get reads one of the user's opportunities.
func (s *Service) Get(ctx context.Context, userID, id int64) (*Opportunity, error) {
	o, err := store.GetOpportunity(ctx, s.store.DB, userID, id)
	if err != nil {
		return nil, apperr.FromStore(err, "opportunity")
	}
	return view(o), nil
}

// Edit changes a proposal as it is accepted; nil fields stay.
type Edit struct {
	Title    *string `json:"title"`
	Notes    *string `json:"notes"`
	Due      *string `json:"due"`
	Priority *string `json:"priority"`
	Category *string `json:"category"`
}

// Accepted is what accepting gives: the task made and the opportunity.
type Accepted struct {
	Task        any          `json:"task"`
	Opportunity *Opportunity `json:"opportunity"`
}

// ErrDecided: the opportunity was accepted or dismissed already.
var ErrDecided = apperr.New(409, "already_decided", "this opportunity was already accepted or dismissed")

// Accept makes a task of an open opportunity (with the user's edits),
// source "opportunity", linked back to it and its source. The opportunity
// is claimed first, so two accepts at once make one task; when the task
// is refused (a bad edit), it is open again and nothing is written.
func (s *Service) Accept(ctx context.Context, userID, id int64, e Edit) (*Accepted, error) {
	o, err := store.GetOpportunity(ctx, s.store.DB, userID, id)
	if err != nil {
		return nil, apperr.FromStore(err, "opportunity")
	}
	if o.Status != store.OpportunityOpen {
		return nil, ErrDecided
	}
	nt := NewTask{Title: o.Title, Notes: o.Notes, Due: o.Due, Priority: o.Priority, Category: o.Category}
	if err := applyEdit(&nt, e); err != nil {
		return nil, err
	}
	if nt.Notes == "" && o.Evidence != "" {
		nt.Notes = "> " + o.Evidence
	}
	nt.SourceRef = sourceRef(o)
	if err := store.SetOpportunityStatus(ctx, s.store.DB, userID, id, store.OpportunityOpen, store.OpportunityAccepted, s.now()); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return nil, ErrDecided
		}
		return nil, err
	}
	task, taskID, err := s.d.Tasks.Create(ctx, userID, nt)
	if err != nil {
		// Open again: the user fixes the edit and accepts once more. The
		// request's own context may be the cause, so not that one.
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		if rerr := store.SetOpportunityStatus(rctx, s.store.DB, userID, id, store.OpportunityAccepted, store.OpportunityOpen, s.now()); rerr != nil {
			s.log.Error("opportunities: reopening after a refused task", "id", id, "err", rerr)
		}
		return nil, err
	}
	if err := store.SetOpportunityTask(ctx, s.store.DB, userID, id, taskID); err != nil {
		return nil, err
	}
	after, err := s.Get(ctx, userID, id)
	if err != nil {
		return nil, err
	}
	return &Accepted{Task: task, Opportunity: after}, nil
}

func applyEdit(nt *NewTask, e Edit) error {
	if e.Title != nil {
		t := strings.TrimSpace(*e.Title)
		if t == "" {
			return apperr.Invalid("title", "title must not be empty")
		}
		nt.Title = t
	}
	if e.Notes != nil {
		if utf8.RuneCountInString(*e.Notes) > MaxNotesChars {
			return apperr.Invalid("notes", "notes must be at most 10000 characters")
		}
		nt.Notes = *e.Notes
	}
	if e.Due != nil {
		nt.Due = strings.TrimSpace(*e.Due)
	}
	if e.Priority != nil {
		if !validPriority(*e.Priority) {
			return apperr.Invalid("priority", "priority must be none, low, medium, high or urgent")
		}
		nt.Priority = *e.Priority
	}
	if e.Category != nil {
		c := strings.TrimSpace(*e.Category)
		if utf8.RuneCountInString(c) > MaxCategoryChars {
			return apperr.Invalid("category", "category must be at most 100 characters")
		}
		nt.Category = c
	}
	return nil
}

func sourceRef(o *store.Opportunity) map[string]any {
	ref := map[string]any{"opportunity_id": o.ID, "kind": o.SourceKind}
	if o.ConversationID != nil {
		ref["conversation_id"] = *o.ConversationID
	}
	if o.MessageID != nil {
		ref["message_id"] = *o.MessageID
	}
	if o.DocumentID != nil {
		ref["document_id"] = *o.DocumentID
	}
	if o.Page != nil {
		ref["page"] = *o.Page
	}
	if o.EventID != nil {
		ref["event_id"] = *o.EventID
	}
	return ref
}

// Dismiss closes an open opportunity for good: the proposal is kept, so it
// is never proposed again. Dismissing a dismissed one changes nothing.
func (s *Service) Dismiss(ctx context.Context, userID, id int64) (*Opportunity, error) {
	o, err := store.GetOpportunity(ctx, s.store.DB, userID, id)
	if err != nil {
		return nil, apperr.FromStore(err, "opportunity")
	}
	switch o.Status {
	case store.OpportunityDismissed:
		return view(o), nil
	case store.OpportunityAccepted:
		return nil, ErrDecided
	}
	if err := store.SetOpportunityStatus(ctx, s.store.DB, userID, id, store.OpportunityOpen, store.OpportunityDismissed, s.now()); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return nil, ErrDecided
		}
		return nil, err
	}
	return s.Get(ctx, userID, id)
}

// Settings are the user's choices for opportunities.
type Settings struct {
	// DocumentCollections are the collections whose new documents the
	// model reads for opportunities ("" is the unnamed collection).
	DocumentCollections []string `json:"document_collections"`
	// ConversationsWhenQuiet reads a conversation for opportunities once
	// it has had no reply for QuietAfter.
	ConversationsWhenQuiet bool `json:"conversations_when_quiet"`
	// CalendarEvents proposes the preparation task of each event the
	// user makes in the web app or through chat (EventCreated).
	CalendarEvents bool `json:"calendar_events"`
}

// SettingsPatch changes the settings; nil fields stay.
type SettingsPatch struct {
	DocumentCollections    *[]string `json:"document_collections"`
	ConversationsWhenQuiet *bool     `json:"conversations_when_quiet"`
	CalendarEvents         *bool     `json:"calendar_events"`
}

// Settings reads the user's settings.
func (s *Service) Settings(ctx context.Context, userID int64) (*Settings, error) {
	return readSettings(ctx, s.store.DB, userID)
}

func readSettings(ctx context.Context, q store.Querier, userID int64) (*Settings, error) {
	cs, err := store.OpportunityCollections(ctx, q, userID)
	if err != nil {
		return nil, err
	}
	quiet, err := store.OpportunityQuietOn(ctx, q, userID)
	if err != nil {
		return nil, err
	}
	events, err := store.OpportunityEventsOn(ctx, q, userID)
	if err != nil {
		return nil, err
	}
	return &Settings{DocumentCollections: cs, ConversationsWhenQuiet: quiet, CalendarEvents: events}, nil
}

// SetSettings changes the user's settings.
func (s *Service) SetSettings(ctx context.Context, userID int64, p SettingsPatch) (*Settings, error) {
	var cs []string
	if p.DocumentCollections != nil {
		if len(*p.DocumentCollections) > MaxCollections {
			return nil, apperr.Invalid("document_collections", "at most 100 collections")
		}
		cs = make([]string, 0, len(*p.DocumentCollections))
		for _, c := range *p.DocumentCollections {
			c = strings.TrimSpace(c)
			if utf8.RuneCountInString(c) > 100 {
				return nil, apperr.Invalid("document_collections", "a collection name is at most 100 characters")
			}
			cs = append(cs, c)
		}
	}
	if err := s.store.WithTx(ctx, func(tx *sql.Tx) error {
		if p.DocumentCollections != nil {
			if err := store.SetOpportunityCollections(ctx, tx, userID, cs); err != nil {
				return err
			}
		}
		if p.ConversationsWhenQuiet != nil {
			if err := store.SetOpportunityQuiet(ctx, tx, userID, *p.ConversationsWhenQuiet); err != nil {
				return err
			}
		}
		if p.CalendarEvents != nil {
			return store.SetOpportunityEvents(ctx, tx, userID, *p.CalendarEvents)
		}
		return nil
	}); err != nil {
		return nil, err
	}
	return s.Settings(ctx, userID)
}

func validPriority(p string) bool {
	switch p {
	case "none", "low", "medium", "high", "urgent":
		return true
	}
	return false
}
