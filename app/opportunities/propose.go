package opportunities

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/aiwfe/aiwfe/app/apperr"
	"github.com/aiwfe/aiwfe/app/hub"
	"github.com/aiwfe/aiwfe/app/llm"
	"github.com/aiwfe/aiwfe/app/tasks/quickadd"
	"github.com/aiwfe/aiwfe/app/textutil"
	"github.com/aiwfe/aiwfe/store"
)

// Proposed is what one look for tasks found.
type Proposed struct {
	// Items are the new opportunities (open), in the order found.
	Items []*Opportunity `json:"items"`
	// ProposedBy is "model" when the model's answer was used, "rules"
	// when the rules made the proposals (demo model, model unreachable,
	// or its answer refused); Model names the model asked.
	ProposedBy string `json:"proposed_by"`
	Model      string `json:"model,omitempty"`
	// Reason says why the rules answered, or why there is nothing.
	Reason string `json:"reason,omitempty"`
	// Duplicates counts proposals left out as the same as an open task or
	// an earlier proposal (dismissed ones included); Rejected counts the
	// model's proposals refused (no evidence in the source, bad fields).
	Duplicates int `json:"duplicates"`
	Rejected   int `json:"rejected"`
}

// Caps on what one look proposes and reads.
const (
	maxProposals     = 10
	maxDocProposals  = 20
	maxPromptChars   = 24_000
	maxDocPages      = 200
	openTitlesForDup = 500
)

// source is where proposals come from.
type source struct {
	kind           string
	conversationID int64
	documentID     int64
	eventID        int64
	title          string
}

// FromConversation looks for tasks in one of the user's conversations ("find
// tasks in this chat"): the user's model proposes them with the message and
// sentence that justify each; the rules do when the model cannot.
func (s *Service) FromConversation(ctx context.Context, userID, convID int64) (*Proposed, error) {
	if s.d.Conversations == nil {
		return nil, errors.New("opportunities: no conversations")
	}
	title, msgs, err := s.d.Conversations.Conversation(ctx, userID, convID)
	if err != nil {
		return nil, err
	}
	parts := make([]part, 0, len(msgs))
	for _, m := range msgs {
		if m.Role != "user" && m.Role != "assistant" {
			continue // system prompts, tools' results: not what the person said
		}
		// The person's own words commit them, not the assistant's: the
		// rules read only theirs, the model reads both.
		parts = append(parts, part{ref: m.ID, label: m.Role, text: m.Content, rules: m.Role == "user"})
	}
	src := source{kind: "conversation", conversationID: convID, title: title}
	return s.fromParts(ctx, userID, src, "Conversation", parts, true, maxProposals,
		func(p *proposal, ref int64) { p.MessageID = ref })
}

// Event is a calendar event, for FromEvent.
type Event struct {
	ID     int64
	Title  string
	Start  time.Time
	AllDay bool
}

// FromEvent proposes the preparation task for a calendar event, due the
// day before it; the rules make the proposal. EventCreated calls it for
// the users who turned calendar events on.
func (s *Service) FromEvent(ctx context.Context, userID int64, ev Event) (*Proposed, error) {
	_, loc, err := s.userZone(ctx, userID)
	if err != nil {
		return nil, err
	}
	var props []proposal
	if p, ok := eventProposal(ev, s.now(), loc); ok {
		props = append(props, p)
	}
	src := source{kind: "event", eventID: ev.ID, title: strings.TrimSpace(ev.Title)}
	return s.keep(ctx, userID, src, props, &Proposed{ProposedBy: "rules"}, 1)
}

// EventCreated is the calendar's hook: the user made an event (one at a
// time: the web app, chat). For a user who turned calendar events on, its
// preparation task is proposed in the background (the dedup may ask the
// user's embedding model, which the person saving the event should not
// wait for). Which events deserve one is the caller's choice.
func (s *Service) EventCreated(ctx context.Context, userID int64, ev Event) {
	on, err := store.OpportunityEventsOn(ctx, s.store.DB, userID)
	if err != nil {
		s.log.Error("opportunities: reading the calendar events setting", "err", err)
		return
	}
	if on {
		s.enqueue(job{kind: "event", userID: userID, id: ev.ID, event: ev})
	}
}

// EventsDeleted is the calendar's hook: these events of the user are
// gone. Their open proposals go with them (nobody decided on them, and
// the same event made again may propose again); accepted ones keep their
// task and dismissed ones their memory. It runs after any proposal still
// waiting in the queue for one of them (the queue is first in, first out),
// or at once when the queue is full.
func (s *Service) EventsDeleted(ctx context.Context, userID int64, eventIDs []int64) {
	if len(eventIDs) == 0 || s.bg.Err() != nil {
		return
	}
	select {
	case s.queue <- job{kind: "events-gone", userID: userID, gone: eventIDs}:
	default:
		s.withdraw(ctx, userID, eventIDs)
	}
}

func (s *Service) withdraw(ctx context.Context, userID int64, eventIDs []int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := store.DeleteOpenEventOpportunities(ctx, s.store.DB, userID, eventIDs); err != nil && ctx.Err() == nil {
		s.log.Error("opportunities: withdrawing the proposals of deleted events", "err", err)
	}
}

// DocumentReady is the documents' hook: a document finished ingesting. When
// the user enabled its collection, it is read for opportunities in the
// background.
func (s *Service) DocumentReady(ctx context.Context, userID, docID int64, collection string) {
	on, err := store.OpportunityCollectionOn(ctx, s.store.DB, userID, collection)
	if err != nil {
		s.log.Error("opportunities: reading the collection setting", "err", err)
		return
	}
	if on {
		s.enqueue(job{kind: "document", userID: userID, id: docID})
	}
}

// ConversationReplied is chat's hook: a reply was recorded. For a user who
// turned it on, the conversation is read once it has had no reply for
// QuietAfter (each reply restarts the wait).
func (s *Service) ConversationReplied(userID, convID int64) {
	if s.bg.Err() != nil {
		return
	}
	on, err := store.OpportunityQuietOn(s.bg, s.store.DB, userID)
	if err != nil {
		s.log.Error("opportunities: reading the quiet setting", "err", err)
		return
	}
	if !on {
		return
	}
	s.qmu.Lock()
	defer s.qmu.Unlock()
	if t := s.quiet[convID]; t != nil {
		t.Stop()
	}
	s.quiet[convID] = time.AfterFunc(s.QuietAfter, func() {
		s.qmu.Lock()
		delete(s.quiet, convID)
		s.qmu.Unlock()
		s.enqueue(job{kind: "conversation", userID: userID, id: convID})
	})
}

func (s *Service) enqueue(j job) {
	if s.bg.Err() != nil {
		return
	}
	select {
	case s.queue <- j:
	default:
		s.log.Warn("opportunities: too many sources waiting; one skipped", "kind", j.kind, "id", j.id)
	}
}

// Found is published on the progress channel when a source read in the
// background gave new opportunities (docs/websocket.md).
type Found struct {
	Type           string `json:"type"`   // "opportunities"
	Source         string `json:"source"` // document | conversation | event
	DocumentID     int64  `json:"document_id,omitempty"`
	EventID        int64  `json:"event_id,omitempty"`
	ConversationID int64  `json:"conversation_id,omitempty"`
	Count          int    `json:"count"`
	ProposedBy     string `json:"proposed_by"`
}

func (s *Service) readInBackground() {
	for {
		select {
		case <-s.bg.Done():
			return
		case j := <-s.queue:
			var res *Proposed
			var err error
			ev := Found{Type: "opportunities", Source: j.kind}
			switch j.kind {
			case "events-gone":
				s.withdraw(s.bg, j.userID, j.gone)
				continue
			case "event":
				res, err = s.FromEvent(s.bg, j.userID, j.event)
				ev.EventID = j.id
			case "document":
				res, err = s.FromDocument(s.bg, j.userID, j.id)
				ev.DocumentID = j.id
			default:
				res, err = s.FromConversation(s.bg, j.userID, j.id)
				ev.ConversationID = j.id
			}
			if err != nil {
				if s.bg.Err() == nil && !errors.Is(err, apperr.ErrNotFound) {
					s.log.Warn("opportunities: reading in the background", "kind", j.kind, "id", j.id, "err", err)
				}
				continue
			}
			if s.d.Hub != nil && len(res.Items) > 0 {
				ev.Count, ev.ProposedBy = len(res.Items), res.ProposedBy
				s.d.Hub.Publish(j.userID, hub.Progress, ev)
			}
		}
	}
}

// FromDocument looks for tasks in one of the user's documents, by page.
func (s *Service) FromDocument(ctx context.Context, userID, docID int64) (*Proposed, error) {
	if s.d.Documents == nil {
		return nil, errors.New("opportunities: no documents")
	}
	doc, err := s.d.Documents.Document(ctx, userID, docID)
	if err != nil {
		return nil, err
	}
	pages := doc.Pages[:min(len(doc.Pages), maxDocPages)]
	parts := make([]part, len(pages))
	for i, text := range pages {
		parts[i] = part{ref: int64(i + 1), label: "page " + strconv.Itoa(i+1), text: text, rules: true}
	}
	src := source{kind: "document", documentID: docID, title: doc.Name}
	return s.fromParts(ctx, userID, src, "Document "+strconv.Quote(doc.Name), parts, false, maxDocProposals,
		func(p *proposal, ref int64) { p.Page = int(ref) })
}

// part is one message or page proposals may come from.
type part struct {
	ref   int64  // the message's id, the page's number
	label string // "user", "assistant", "page 3"
	text  string
	rules bool // the rules read it
}

// fromParts proposes from a source's parts: the model's answer, else the
// rules'; then keeps what is new. recent says the model reads the last
// parts that fit (a conversation), else the first (a document).
func (s *Service) fromParts(ctx context.Context, userID int64, src source, what string, parts []part, recent bool, limit int,
	setRef func(*proposal, int64)) (*Proposed, error) {
	u, loc, err := s.userZone(ctx, userID)
	if err != nil {
		return nil, err
	}
	now := s.now()
	rules := func() []proposal {
		var out []proposal
		for _, pt := range parts {
			if !pt.rules {
				continue
			}
			for _, p := range ruleProposals(pt.text, now, loc) {
				setRef(&p, pt.ref)
				out = append(out, p)
			}
		}
		return out
	}
	props, res := s.ask(ctx, u, rules, func(model string) ([]proposal, int, error) {
		return s.modelProposals(ctx, model, what, promptParts(parts, recent), now, loc, setRef)
	})
	return s.keep(ctx, userID, src, props, res, limit)
}

// promptParts are the non-empty parts that fit in maxPromptChars, in
// order: the last ones when recent, else the first (the last cut short;
// when recent, only the newest is ever cut, when it alone is too long).
func promptParts(parts []part, recent bool) []part {
	var out []part
	size := 0
	take := func(pt part) bool {
		if strings.TrimSpace(pt.text) == "" {
			return true
		}
		room := maxPromptChars - size
		if room <= 0 {
			return false
		}
		if n := utf8.RuneCountInString(pt.text); n > room {
			if recent && len(out) > 0 {
				return false // older messages are read whole or not at all
			}
			pt.text = textutil.Truncate(pt.text, room)
		}
		size += utf8.RuneCountInString(pt.text) + 32
		out = append(out, pt)
		return true
	}
	if recent {
		for i := len(parts) - 1; i >= 0 && take(parts[i]); i-- {
		}
		slices.Reverse(out)
		return out
	}
	for _, pt := range parts {
		if !take(pt) {
			break
		}
	}
	return out
}

// ask runs the model path unless the model is the demo (or absent), and
// falls back to the rules when it fails, its answer is refused, or it
// found nothing.
func (s *Service) ask(ctx context.Context, u *store.User, rules func() []proposal,
	model func(name string) ([]proposal, int, error)) ([]proposal, *Proposed) {
	res := &Proposed{ProposedBy: "rules"}
	if s.d.LLM == nil || llm.Current(s.d.LLM).Name() == llm.DemoModel {
		res.Reason = "the demo model: proposals come from the rules"
		return rules(), res
	}
	name := modelFor(u, "task_model", s.d.DefaultModel)
	res.Model = name
	props, rejected, err := model(name)
	res.Rejected = rejected
	switch {
	case err != nil:
		res.Reason = modelFailure(err)
		s.log.Info("opportunities: the model's proposals not used", "model", name, "err", err)
		return rules(), res
	case len(props) == 0 && rejected > 0:
		res.Reason = "the model's proposals did not quote the source, so the rules answered"
		return rules(), res
	case len(props) == 0:
		// Small models under-read; the rules only take what is said
		// outright ("I need to ..."), so they are worth a second look.
		res.Reason = "the model found nothing, so the rules answered"
		return rules(), res
	}
	res.ProposedBy = "model"
	return props, res
}

// modelFailure is what the person reads when the model's answer is not used.
func modelFailure(err error) string {
	switch {
	case errors.Is(err, llm.ErrInvalidOutput):
		return "the model's answer did not match the schema, so the rules answered"
	case errors.Is(err, llm.ErrModelNotFound):
		return "the task model is not installed on the model server, so the rules answered"
	case errors.Is(err, context.DeadlineExceeded):
		return "the model took too long, so the rules answered"
	case errors.Is(err, llm.ErrUnavailable), errors.Is(err, llm.ErrUnauthorized), errors.Is(err, llm.ErrBadRequest):
		return "the model server did not answer, so the rules answered"
	}
	return "the model could not be asked, so the rules answered"
}

// modelFor is the user's model for one kind of work: the assignment, else
// their selected model, else the appliance's default.
func modelFor(u *store.User, key, def string) string {
	if u != nil {
		if m := strings.TrimSpace(u.Models[key]); m != "" {
			return m
		}
		if m := strings.TrimSpace(u.Models["selected_model"]); m != "" {
			return m
		}
	}
	return def
}

func (s *Service) userZone(ctx context.Context, userID int64) (*store.User, *time.Location, error) {
	u, err := s.d.User(ctx, userID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil, apperr.NotFound("user")
	}
	if err != nil {
		return nil, nil, err
	}
	loc := time.UTC
	if u.Timezone != "" {
		if l, err := time.LoadLocation(u.Timezone); err == nil {
			loc = l
		}
	}
	return u, loc, nil
}

// --- the model path ------------------------------------------------------------

// proposalSchema is what the model must answer: tasks, each with where it
// came from (ref: the message id or the page) and the sentence, quoted.
var proposalSchema = json.RawMessage(`{
  "type": "object",
  "properties": {
    "tasks": {
      "type": "array",
      "maxItems": 20,
      "items": {
        "type": "object",
        "properties": {
          "title": {"type": "string", "minLength": 3, "maxLength": 200},
          "ref": {"type": "integer", "minimum": 1},
          "evidence": {"type": "string", "minLength": 8, "maxLength": 1000},
          "due": {"type": "string", "maxLength": 40},
          "priority": {"type": "string", "enum": ["none", "low", "medium", "high", "urgent"]},
          "notes": {"type": "string", "maxLength": 2000}
        },
        "required": ["title", "ref", "evidence", "due", "priority"],
        "additionalProperties": false
      }
    }
  },
  "required": ["tasks"],
  "additionalProperties": false
}`)

type modelAnswer struct {
	Tasks []struct {
		Title    string `json:"title"`
		Ref      int64  `json:"ref"`
		Evidence string `json:"evidence"`
		Due      string `json:"due"`
		Priority string `json:"priority"`
		Notes    string `json:"notes"`
	} `json:"tasks"`
}

const proposeSystem = `You find tasks a person has committed to or must do, in the text they give you.
Answer with JSON only, matching the schema. For each task: a short imperative title (at most 12 words),
"ref" (the number in brackets of the message or page it comes from), "evidence" (the sentence that shows it,
copied exactly from that message or page), "due" ("" when none is said; else YYYY-MM-DD or YYYY-MM-DDTHH:MM
in the person's time zone), "priority" (none unless urgency is said). Propose only what the text says
needs doing; no advice of your own. An empty list is a good answer when nothing needs doing.`

// modelProposals asks the model and keeps the proposals whose evidence is
// really in the message or page they name; the rest count as rejected.
func (s *Service) modelProposals(ctx context.Context, model, what string, parts []part, now time.Time, loc *time.Location,
	setRef func(*proposal, int64)) ([]proposal, int, error) {
	if len(parts) == 0 {
		return nil, 0, nil
	}
	var b strings.Builder
	texts := map[int64]string{}
	for _, pt := range parts {
		texts[pt.ref] = pt.text
		fmt.Fprintf(&b, "[%d] %s:\n%s\n\n", pt.ref, pt.label, pt.text)
	}
	ctx, cancel := context.WithTimeout(ctx, s.ModelTimeout)
	defer cancel()
	req := structuredRequest(model, proposeSystem, what+":\n\n"+b.String(), s.ProposeTokens, now, loc)
	var ans modelAnswer
	if err := llm.Structured(ctx, s.d.LLM, req, proposalSchema, &ans); err != nil {
		return nil, 0, err
	}
	var out []proposal
	rejected := 0
	for _, t := range ans.Tasks {
		src, ok := texts[t.Ref]
		title := cleanTitle(t.Title)
		if !ok || !quotes(src, t.Evidence) || utf8.RuneCountInString(title) < 3 {
			rejected++
			continue
		}
		p := proposal{Title: title, Notes: strings.TrimSpace(t.Notes), Priority: t.Priority,
			Evidence: strings.TrimSpace(t.Evidence), Due: normaliseDue(t.Due, now, loc)}
		setRef(&p, t.Ref)
		out = append(out, p)
	}
	return out, rejected, nil
}

// structuredRequest asks model for a JSON answer: the instructions, then
// the user's "now" in their zone (dates are read against it) and the text.
// Temperature 0: the same text gets the same answer.
func structuredRequest(model, system, text string, numPredict int, now time.Time, loc *time.Location) llm.ChatRequest {
	local := now.In(loc)
	return llm.ChatRequest{Model: model, Options: map[string]any{"temperature": 0, "num_predict": numPredict},
		Messages: []llm.Message{
			{Role: "system", Content: system},
			{Role: "user", Content: fmt.Sprintf("Now: %s (%s, time zone %s).\n\n%s",
				local.Format("2006-01-02 15:04"), local.Weekday(), loc, text)},
		}}
}

// quotes reports whether evidence is in src, ignoring case and spacing.
func quotes(src, evidence string) bool {
	e := squash(evidence)
	return len(e) >= 8 && strings.Contains(squash(src), e)
}

func squash(s string) string {
	return strings.ToLower(strings.Join(strings.Fields(s), " "))
}

// normaliseDue keeps a due tasks will take: a date, a date-time (read in the
// user's zone) or a phrase the quick-add rules read ("next friday"); else none.
func normaliseDue(due string, now time.Time, loc *time.Location) string {
	due = strings.TrimSpace(due)
	if due == "" {
		return ""
	}
	if t, err := time.ParseInLocation("2006-01-02", due, loc); err == nil {
		return t.Format("2006-01-02")
	}
	for _, layout := range []string{"2006-01-02T15:04", "2006-01-02T15:04:05", "2006-01-02 15:04"} {
		if t, err := time.ParseInLocation(layout, due, loc); err == nil {
			return t.Format(time.RFC3339)
		}
	}
	if t, err := time.Parse(time.RFC3339, due); err == nil {
		return t.In(loc).Format(time.RFC3339)
	}
	if r := quickadd.Parse(due, now, loc); r.Due != "" && r.Title == "" {
		return r.Due
	}
	return ""
}
