// Package semantic is the text tools: summary, keywords, entities,
// sentiment, similarity and language of a text, a document or a
// conversation. Each asks the user's model for structured output
// (llm.Structured: a JSON Schema, validated) and, when there is no model
// to ask (the demo model, an offline install) or its answer does not
// validate, answers by deterministic rules instead, saying so
// ("method":"fallback" and a note why).
package semantic

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/aiwfe/aiwfe/app/apperr"
	"github.com/aiwfe/aiwfe/app/documents"
	"github.com/aiwfe/aiwfe/app/llm"
	"github.com/aiwfe/aiwfe/store"
)

// Deps is what the service needs.
type Deps struct {
	Store *store.Store
	LLM   llm.Provider
	User  func(ctx context.Context, id int64) (*store.User, error)
	// Documents reads a document's text and embeds for similarity.
	Documents    *documents.Service
	DefaultModel string
	Log          *slog.Logger
}

// Service runs the text tools.
type Service struct{ d Deps }

// New builds the service.
func New(d Deps) *Service {
	if d.Log == nil {
		d.Log = slog.Default()
	}
	if d.DefaultModel == "" {
		d.DefaultModel = "llama3.2:3b"
	}
	return &Service{d: d}
}

// Limits on what is analysed.
const (
	// MaxChars bounds a text (or a document's, or a conversation's), in
	// characters: past it the answer is 413 text_too_large.
	MaxChars = 200_000
	// modelChars is how much of a text one model call is given (the
	// summary cuts longer texts into parts of this size and combines).
	modelChars = 12_000
)

// Input is what a tool analyses: exactly one of a text, a document of the
// user's, or a conversation of the user's.
type Input struct {
	Text           string `json:"text,omitempty"`
	DocumentID     int64  `json:"document_id,omitempty"`
	ConversationID int64  `json:"conversation_id,omitempty"`
}

// Method says how an answer was made.
type Method struct {
	// Method is "model" (the user's model, structured output validated)
	// or "fallback" (rules, no model).
	Method string `json:"method"`
	Model  string `json:"model,omitempty"`
	// Note says why a fallback was used, or that the model saw only the
	// beginning of a long text.
	Note string `json:"note,omitempty"`
}

var (
	errTooLarge = apperr.New(http.StatusRequestEntityTooLarge, "text_too_large",
		fmt.Sprintf("the text is longer than %d characters; analyse a part of it", MaxChars))
	errEmpty = apperr.New(http.StatusUnprocessableEntity, "empty_text", "there is no text to analyse")
)

// text resolves an input to its text, checking ownership (another user's
// document or conversation is not found) and size.
func (s *Service) text(ctx context.Context, userID int64, in Input, field string) (string, error) {
	n := 0
	for _, set := range []bool{in.Text != "", in.DocumentID != 0, in.ConversationID != 0} {
		if set {
			n++
		}
	}
	if n != 1 {
		return "", apperr.Invalid(field, "give exactly one of text, document_id or conversation_id")
	}
	var text string
	switch {
	case in.Text != "":
		text = in.Text
	case in.DocumentID != 0:
		var err error
		if text, err = s.documentText(ctx, userID, in.DocumentID); err != nil {
			return "", err
		}
	default:
		var err error
		if text, err = s.conversationText(ctx, userID, in.ConversationID); err != nil {
			return "", err
		}
	}
	if utf8.RuneCountInString(text) > MaxChars {
		return "", errTooLarge
	}
	if strings.TrimSpace(text) == "" {
		return "", errEmpty
	}
	return text, nil
}

func (s *Service) documentText(ctx context.Context, userID, id int64) (string, error) {
	d, err := s.d.Documents.Get(ctx, userID, id)
	if err != nil {
		return "", err
	}
	if d.Pages == 0 {
		return "", apperr.New(http.StatusUnprocessableEntity, "document_not_ready",
			"the document has no extracted text yet (status "+d.Status+"); try again when it is ready")
	}
	var b strings.Builder
	for p := 1; p <= d.Pages; p++ {
		c, err := s.d.Documents.Content(ctx, userID, id, p)
		if err != nil {
			return "", err
		}
		if b.Len() > 0 && c.Text != "" {
			b.WriteString("\n\n")
		}
		b.WriteString(c.Text)
		if b.Len() > MaxChars*4 { // surely over the limit in characters too
			return "", errTooLarge
		}
	}
	return b.String(), nil
}

// conversationText is a conversation as "User: …" / "Assistant: …"
// paragraphs, oldest first.
func (s *Service) conversationText(ctx context.Context, userID, id int64) (string, error) {
	if _, err := store.GetConversation(ctx, s.d.Store.DB, userID, id); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return "", apperr.NotFound("conversation")
		}
		return "", err
	}
	msgs, _, err := store.ListMessages(ctx, s.d.Store.DB, userID, id, 0, 1000)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	for _, m := range msgs {
		if strings.TrimSpace(m.Content) == "" || (m.Role != "user" && m.Role != "assistant") {
			continue
		}
		who := "User"
		if m.Role == "assistant" {
			who = "Assistant"
		}
		if b.Len() > 0 {
			b.WriteString("\n\n")
		}
		b.WriteString(who + ": " + m.Content)
	}
	return b.String(), nil
}

// begin resolves a tool's input to its text, and the user's model for
// the assignment key.
func (s *Service) begin(ctx context.Context, userID int64, in Input, key string) (text, model string, err error) {
	if text, err = s.text(ctx, userID, in, "text"); err != nil {
		return "", "", err
	}
	model, err = s.model(ctx, userID, key)
	return text, model, err
}

// errNoModel: the model in force is the demo model, which cannot do this.
var errNoModel = errors.New("the demo model answers canned text, not analyses")

// model is the user's model for an assignment (semantic_model,
// summary_model), else their selected model, else the default.
func (s *Service) model(ctx context.Context, userID int64, key string) (string, error) {
	u, err := s.d.User(ctx, userID)
	if err != nil {
		return "", err
	}
	for _, k := range []string{key, "selected_model"} {
		if m := strings.TrimSpace(u.Models[k]); m != "" {
			return m, nil
		}
	}
	return s.d.DefaultModel, nil
}

// ask asks the user's model for a reply matching schema, decoded into
// out; errNoModel in demo mode, llm.ErrInvalidOutput when it does not
// validate, a provider error when the model server fails.
//
// maxTokens bounds the answer: a runaway model (a small one looping
// inside a string the grammar keeps open) must not hold the request for
// minutes.
func (s *Service) ask(ctx context.Context, model string, maxTokens int, system, user string, schema json.RawMessage, out any) error {
	if s.d.LLM == nil || llm.Current(s.d.LLM).Name() == llm.DemoModel {
		return errNoModel
	}
	req := llm.ChatRequest{Model: model, Messages: []llm.Message{{Role: "system", Content: system}, {Role: "user", Content: user}},
		Options: map[string]any{"temperature": 0, "num_predict": maxTokens}}
	return llm.Structured(ctx, s.d.LLM, req, schema, out)
}

// fallback is the Method of an answer made by rules after err.
func (s *Service) fallback(op string, err error) Method {
	note := "no model answered: "
	switch {
	case errors.Is(err, errNoModel):
		note = "the demo model cannot analyse text, so rules answered"
	case errors.Is(err, llm.ErrInvalidOutput):
		note = "the model's answer did not match the expected structure (twice), so rules answered"
	case errors.Is(err, llm.ErrModelNotFound):
		note = "the model is not installed on the model server, so rules answered"
	default:
		note = "the model server did not answer, so rules answered"
	}
	if !errors.Is(err, errNoModel) {
		s.d.Log.Info("semantic: falling back to rules", "op", op, "err", err)
	}
	return Method{Method: "fallback", Note: note}
}

// head is the part of a text one model call sees, and whether it was cut.
func head(text string) (string, bool) {
	r := []rune(text)
	if len(r) <= modelChars {
		return text, false
	}
	return string(r[:modelChars]), true
}

const cutNote = "the model saw the first 12,000 characters of the text"
