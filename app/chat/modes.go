package chat

import (
	"context"
	"regexp"
	"slices"
	"strings"

	"github.com/aiwfe/aiwfe/app/apperr"
	"github.com/aiwfe/aiwfe/store"
)

// Mode is a way of chatting: which of the user's model assignments it uses
// and the system prompt it starts with.
type Mode struct {
	Key          string `json:"key"`
	Name         string `json:"name"`
	ModelKey     string `json:"model_key"`
	SystemPrompt string `json:"system_prompt"`
	BuiltIn      bool   `json:"built_in"`
	// Requires is the feature a built-in mode cannot work without; the
	// mode is hidden (not listed, not usable) until the feature is
	// available. Its key stays reserved meanwhile.
	Requires Feature `json:"-"`
}

// Feature is a capability of the appliance that a mode may depend on.
type Feature string

// The features built-in modes wait for.
const (
	// FeatureRetrieval finds passages of the user's documents for a
	// question (the Documents mode cites them).
	FeatureRetrieval Feature = "retrieval"
	// FeatureInterviewProfile keeps what an interview learns in the
	// user's profile (the Interview mode fills it).
	FeatureInterviewProfile Feature = "interview_profile"
)

// available says whether this build has each feature. A feature that
// lands adds itself here, which shows the modes that wait for it.
var available = map[Feature]bool{
	FeatureRetrieval:        false,
	FeatureInterviewProfile: false,
}

// usable reports whether a mode can be offered: it needs nothing, or what
// it needs is available.
func (m Mode) usable() bool { return m.Requires == "" || available[m.Requires] }

// DefaultMode is the mode of a message that names none.
const DefaultMode = "general"

// BuiltinModes are every user's modes, those whose feature is available.
var BuiltinModes = []Mode{
	{Key: "general", Name: "General", ModelKey: "chat_model", BuiltIn: true,
		SystemPrompt: "You are a helpful, honest assistant in the user's private AI workspace. Answer clearly and concisely; use Markdown where it helps."},
	{Key: "coding", Name: "Coding", ModelKey: "coding_model", BuiltIn: true,
		SystemPrompt: "You are an expert software engineer. Give correct, idiomatic code in fenced blocks with the language named, explain briefly why, and point out edge cases and risks."},
	{Key: "documents", Name: "Documents", ModelKey: "documents_model", BuiltIn: true, Requires: FeatureRetrieval,
		SystemPrompt: "You answer questions about the user's documents. Rely on the passages you are given, cite them, and say plainly when they do not contain the answer."},
	{Key: "research", Name: "Research", ModelKey: "research_model", BuiltIn: true,
		SystemPrompt: "You are a careful research assistant. Break questions down, weigh evidence, separate facts from assumptions, and end with a short summary of findings and open questions."},
	{Key: "interview", Name: "Interview", ModelKey: "interview_model", BuiltIn: true, Requires: FeatureInterviewProfile,
		SystemPrompt: "You are interviewing the user to understand their goals, work style and productivity patterns. Ask one thoughtful question at a time and build on their previous answers."},
}

// ModeModelKeys are the model assignments a user-defined mode may use.
var ModeModelKeys = []string{
	"chat_model", "selected_model", "coding_model", "documents_model", "research_model",
	"interview_model", "summary_model", "reasoning_model", "planning_model", "semantic_model",
	"reflection_model", "translation_model", "extraction_model", "tool_model", "task_model",
	"calendar_model", "assessment_model", "title_model", "vision_model",
}

var modeKeyRe = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,31}$`)

const maxSystemPrompt = 8000

// builtinMode is a built-in mode known to exist.
func builtinMode(key string) Mode {
	m, _ := builtin(key)
	return m
}

// builtin finds a usable built-in mode.
func builtin(key string) (Mode, bool) {
	m, ok := reserved(key)
	return m, ok && m.usable()
}

// reserved finds a built-in mode, usable or not: its key is not for a
// user's own mode.
func reserved(key string) (Mode, bool) {
	for _, m := range BuiltinModes {
		if m.Key == key {
			return m, true
		}
	}
	return Mode{}, false
}

// Modes lists the usable built-in modes, then the user's own.
func (s *Service) Modes(ctx context.Context, userID int64) ([]Mode, error) {
	own, err := store.ListChatModes(ctx, s.store.DB, userID)
	if err != nil {
		return nil, err
	}
	var out []Mode
	for _, m := range BuiltinModes {
		if m.usable() {
			out = append(out, m)
		}
	}
	for _, m := range own {
		out = append(out, Mode{Key: m.Key, Name: m.Name, ModelKey: m.ModelKey, SystemPrompt: m.SystemPrompt})
	}
	return out, nil
}

// Mode finds a mode by key ("" is the default mode).
func (s *Service) Mode(ctx context.Context, userID int64, key string) (Mode, error) {
	key = strings.TrimSpace(key)
	if key == "" {
		key = DefaultMode
	}
	if m, ok := builtin(key); ok {
		return m, nil
	}
	own, err := store.GetChatMode(ctx, s.store.DB, userID, key)
	if err != nil {
		if err == store.ErrNotFound {
			return Mode{}, apperr.Invalid("mode", "unknown chat mode "+quote(key))
		}
		return Mode{}, err
	}
	return Mode{Key: own.Key, Name: own.Name, ModelKey: own.ModelKey, SystemPrompt: own.SystemPrompt}, nil
}

// CreateMode adds a user-defined mode.
func (s *Service) CreateMode(ctx context.Context, userID int64, m Mode) (Mode, error) {
	m.Key = strings.TrimSpace(m.Key)
	m.Name = strings.TrimSpace(m.Name)
	m.ModelKey = strings.TrimSpace(m.ModelKey)
	if m.ModelKey == "" {
		m.ModelKey = "chat_model"
	}
	switch {
	case !modeKeyRe.MatchString(m.Key):
		return Mode{}, apperr.Invalid("key", "key must be 1-32 characters of a-z, 0-9, - and _, starting with a letter or digit")
	case m.Name == "" || len(m.Name) > 64:
		return Mode{}, apperr.Invalid("name", "name must be 1-64 characters")
	case !slices.Contains(ModeModelKeys, m.ModelKey):
		return Mode{}, apperr.Invalid("model_key", "model_key must be one of "+strings.Join(ModeModelKeys, ", "))
	case len(m.SystemPrompt) > maxSystemPrompt:
		return Mode{}, apperr.Invalid("system_prompt", "system_prompt must be at most 8000 characters")
	}
	if _, ok := reserved(m.Key); ok {
		return Mode{}, apperr.Conflict("chat mode " + quote(m.Key) + " is built in")
	}
	row := &store.ChatMode{UserID: userID, Key: m.Key, Name: m.Name, ModelKey: m.ModelKey, SystemPrompt: m.SystemPrompt}
	if err := store.CreateChatMode(ctx, s.store.DB, row, s.now()); err != nil {
		return Mode{}, storeErr(err, "chat mode "+quote(m.Key))
	}
	m.BuiltIn = false
	return m, nil
}

// DeleteMode removes a user-defined mode; built-in ones cannot go.
func (s *Service) DeleteMode(ctx context.Context, userID int64, key string) error {
	if _, ok := reserved(key); ok {
		return apperr.New(400, "bad_request", "built-in chat modes cannot be deleted")
	}
	return storeErr(store.DeleteChatMode(ctx, s.store.DB, userID, key), "chat mode")
}

func quote(s string) string { return `"` + s + `"` }
