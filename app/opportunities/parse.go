package opportunities

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/aiwfe/aiwfe/app/apperr"
	"github.com/aiwfe/aiwfe/app/llm"
	"github.com/aiwfe/aiwfe/app/tasks/quickadd"
)

// MaxParseChars bounds a quick-add line.
const MaxParseChars = 1000

// Parsed is quick add's proposed task (not saved).
type Parsed struct {
	quickadd.Result
	// CategoryID is the user's category named Category (null when there
	// is none: accepting makes it, or the UI asks).
	CategoryID *int64 `json:"category_id"`
	// ParsedBy is "rules" or "model": which answer this is. The rules'
	// parts stand either way; the model only fills what they left out.
	ParsedBy string `json:"parsed_by"`
	Model    string `json:"model,omitempty"`
	// Refined names the fields the model supplied.
	Refined []string `json:"refined"`
	// ModelError says why the model's answer was not used.
	ModelError string `json:"model_error,omitempty"`
	Timezone   string `json:"timezone"`
}

// ParseRequest is one quick-add line. UseModel nil means yes.
type ParseRequest struct {
	Text     string `json:"text"`
	UseModel *bool  `json:"use_model"`
}

var parseSchema = json.RawMessage(`{
  "type": "object",
  "properties": {
    "title": {"type": "string", "minLength": 1, "maxLength": 500},
    "due": {"type": "string", "maxLength": 40},
    "recurrence": {"type": "string", "maxLength": 200},
    "category": {"type": "string", "maxLength": 100},
    "priority": {"type": "string", "enum": ["none", "low", "medium", "high", "urgent"]},
    "tags": {"type": "array", "maxItems": 20, "items": {"type": "string", "minLength": 1, "maxLength": 50}}
  },
  "required": ["title", "due", "recurrence", "category", "priority", "tags"],
  "additionalProperties": false
}`)

type parseAnswer struct {
	Title      string   `json:"title"`
	Due        string   `json:"due"`
	Recurrence string   `json:"recurrence"`
	Category   string   `json:"category"`
	Priority   string   `json:"priority"`
	Tags       []string `json:"tags"`
}

const parseSystem = `You read one line a person typed to add a task, and answer with JSON only, matching the schema.
"title": the task without its date, time, recurrence, category, priority or tags. "due": "" or YYYY-MM-DD, or
YYYY-MM-DDTHH:MM when a time is said, in the person's time zone. "recurrence": "" or an RRULE using only FREQ
(DAILY, WEEKLY, MONTHLY, YEARLY), INTERVAL, BYDAY (weekly) and BYMONTHDAY (monthly). "category", "priority"
(none, low, medium, high, urgent) and "tags" only when the line says them. A reading made by rules is given:
keep what it found and fill in what it missed.`

// ParseTask reads a quick-add line: the rules first, then the user's model
// for what they could not read. The model's answer is used only when it
// validates and fills a field the rules left empty; otherwise the rules'
// answer stands and ModelError says why.
func (s *Service) ParseTask(ctx context.Context, userID int64, r ParseRequest) (*Parsed, error) {
	text := strings.TrimSpace(r.Text)
	if text == "" {
		return nil, apperr.Invalid("text", "text must not be empty")
	}
	if utf8.RuneCountInString(text) > MaxParseChars {
		return nil, apperr.Invalid("text", "text must be at most 1000 characters")
	}
	u, loc, err := s.userZone(ctx, userID)
	if err != nil {
		return nil, err
	}
	now := s.now()
	out := &Parsed{Result: quickadd.Parse(text, now, loc), ParsedBy: "rules", Refined: []string{}, Timezone: loc.String()}
	if (r.UseModel == nil || *r.UseModel) && s.d.LLM != nil && llm.Current(s.d.LLM).Name() != llm.DemoModel {
		s.refine(ctx, out, text, modelFor(u, "task_model", s.d.DefaultModel), now, loc)
	}
	if err := s.matchCategory(ctx, userID, out); err != nil {
		return nil, err
	}
	return out, nil
}

func (s *Service) refine(ctx context.Context, out *Parsed, text, model string, now time.Time, loc *time.Location) {
	out.Model = model
	ctx, cancel := context.WithTimeout(ctx, s.ParseTimeout)
	defer cancel()
	rules, _ := json.Marshal(parseAnswer{Title: out.Title, Due: out.Due, Recurrence: out.Recurrence, Category: out.Category,
		Priority: out.Priority, Tags: out.Tags})
	req := structuredRequest(model, parseSystem, fmt.Sprintf("Rules' reading: %s\nLine: %s", rules, text), s.ParseTokens, now, loc)
	var ans parseAnswer
	if err := llm.Structured(ctx, s.d.LLM, req, parseSchema, &ans); err != nil {
		out.ModelError = strings.Replace(modelFailure(err), "rules answered", "rules' answer stands", 1)
		s.log.Info("quick add: the model's answer not used", "model", model, "err", err)
		return
	}
	// Check every field before taking any: a half-used answer would mix
	// a wrong reading into a right one.
	due := ""
	if strings.TrimSpace(ans.Due) != "" {
		if due = normaliseDue(ans.Due, now, loc); due == "" {
			out.ModelError = "the model's due date is not a date, so the rules' answer stands"
			return
		}
	}
	if ans.Recurrence != "" && !quickadd.CheckRule(ans.Recurrence) {
		out.ModelError = "the model's recurrence is not a rule tasks take, so the rules' answer stands"
		return
	}
	title := strings.TrimSpace(ans.Title)
	var refined []string
	if out.Due == "" && due != "" {
		out.Due, out.DueHasTime = due, strings.Contains(due, "T")
		refined = append(refined, "due")
	}
	if out.Recurrence == "" && ans.Recurrence != "" {
		out.Recurrence = strings.TrimPrefix(strings.ToUpper(ans.Recurrence), "RRULE:")
		refined = append(refined, "recurrence")
		if out.Due == "" { // a series needs its first date
			out.Due = now.In(loc).Format("2006-01-02")
		}
	}
	if out.Category == "" && strings.TrimSpace(ans.Category) != "" {
		out.Category = strings.TrimSpace(ans.Category)
		refined = append(refined, "category")
	}
	if out.Priority == "none" && ans.Priority != "none" && ans.Priority != "" {
		out.Priority = ans.Priority
		refined = append(refined, "priority")
	}
	if len(out.Tags) == 0 && len(ans.Tags) > 0 {
		for _, t := range ans.Tags {
			if t = strings.TrimSpace(strings.TrimLeft(t, "#@")); t != "" && !containsFold(out.Tags, t) {
				out.Tags = append(out.Tags, t)
			}
		}
		refined = append(refined, "tags")
	}
	// The title changes only with a field the model read (otherwise
	// there is nothing its title took out that the rules' left in), and
	// only to words of the line: a model does not get to reword the task.
	if len(refined) > 0 && title != "" && title != out.Title && wordsWithin(title, text) {
		out.Title = title
		refined = append(refined, "title")
	}
	if len(refined) == 0 {
		out.ModelError = "the model found nothing the rules had not"
		return
	}
	out.ParsedBy = "model"
	out.Refined = refined
}

// wordsWithin reports whether every word of a is a word of b, in any case.
func wordsWithin(a, b string) bool {
	have := map[string]bool{}
	for _, w := range words(b) {
		have[w] = true
	}
	for _, w := range words(a) {
		if !have[w] {
			return false
		}
	}
	return true
}

func words(s string) []string {
	return strings.FieldsFunc(strings.ToLower(s), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
}

func containsFold(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}

// matchCategory fills CategoryID when the user has the named category.
func (s *Service) matchCategory(ctx context.Context, userID int64, out *Parsed) error {
	if out.Category == "" || s.d.Tasks == nil {
		return nil
	}
	id, ok, err := s.d.Tasks.CategoryID(ctx, userID, out.Category)
	if err != nil {
		return err
	}
	if ok {
		out.CategoryID = &id
	}
	return nil
}
