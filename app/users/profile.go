package users

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"regexp"
	"sort"
	"strconv"
	"time"
	_ "time/tzdata" // time zones work on systems without zoneinfo
	"unicode/utf8"

	"github.com/aiwfe/aiwfe/app/apperr"
	"github.com/aiwfe/aiwfe/store"
)

// MaxProfileText caps each free-text profile field.
const MaxProfileText = 10000

// Profile is the user's own record as GET /api/v1/profile shows it.
type Profile struct {
	ID                   int64             `json:"id"`
	Email                string            `json:"email"`
	Role                 string            `json:"role"`
	Status               string            `json:"status"`
	TFAEnabled           bool              `json:"tfa_enabled"`
	CreatedAt            time.Time         `json:"created_at"`
	LastLoginAt          *time.Time        `json:"last_login_at"`
	Theme                string            `json:"theme"`
	NotificationsEnabled bool              `json:"notifications_enabled"`
	Timezone             string            `json:"timezone"`
	UseProfileInChat     bool              `json:"use_profile_in_chat"`
	Models               map[string]string `json:"models"`
	MissionStatement     string            `json:"mission_statement"`
	PersonalGoals        string            `json:"personal_goals"`
	WorkStylePreferences string            `json:"work_style_preferences"`
	ProductivityPatterns string            `json:"productivity_patterns"`
	InterviewInsights    json.RawMessage   `json:"interview_insights"`
	WebSearchProvider    string            `json:"web_search_provider"`
	WebSearchAPIKeySet   bool              `json:"web_search_api_key_set"`
	CalendarEventWeights json.RawMessage   `json:"calendar_event_weights"`
}

// Profile reads the user's profile; empty model assignments show the
// configured default model.
func (s *Service) Profile(ctx context.Context, userID int64) (*Profile, error) {
	u, err := s.accounts.User(ctx, userID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, apperr.NotFound("user")
	}
	if err != nil {
		return nil, err
	}
	return s.profileOf(u), nil
}

// profileOf is the profile of a users row.
func (s *Service) profileOf(u *store.User) *Profile {
	p := &Profile{
		ID: u.ID, Email: u.Email, Role: u.Role, Status: u.Status, TFAEnabled: u.TFAEnabled,
		CreatedAt: u.CreatedAt, LastLoginAt: u.LastLoginAt,
		Theme: u.Theme, NotificationsEnabled: u.NotificationsEnabled, Timezone: u.Timezone,
		UseProfileInChat: u.UseProfileInChat, Models: make(map[string]string, len(store.ModelKeys)),
		MissionStatement: u.MissionStatement, PersonalGoals: u.PersonalGoals,
		WorkStylePreferences: u.WorkStylePreferences, ProductivityPatterns: u.ProductivityPatterns,
		InterviewInsights: json.RawMessage(u.InterviewInsights), WebSearchProvider: u.WebSearchProvider,
		WebSearchAPIKeySet: u.WebSearchAPIKeyEnc != "", CalendarEventWeights: json.RawMessage(u.CalendarEventWeights),
	}
	for _, k := range store.ModelKeys {
		p.Models[k] = u.Models[k]
		if p.Models[k] == "" {
			p.Models[k] = s.defaultModel
		}
	}
	return p
}

func profileJSONKey(id int64) string { return "users:profile-json:" + strconv.FormatInt(id, 10) }

// profileTTL bounds how stale the cached profile can be should a writer of
// the users row forget auth's ForgetUser.
const profileTTL = 10 * time.Second

// ProfileJSON is Profile encoded as JSON, cached until the user changes:
// GET /api/v1/profile is the busiest authenticated read.
func (s *Service) ProfileJSON(ctx context.Context, userID int64) ([]byte, error) {
	if v, ok := s.cache.Get(profileJSONKey(userID)); ok {
		return v.([]byte), nil
	}
	p, err := s.Profile(ctx, userID)
	if err != nil {
		return nil, err
	}
	b, err := json.Marshal(p)
	if err != nil {
		return nil, err
	}
	s.cache.Set(profileJSONKey(userID), b, profileTTL)
	return b, nil
}

// WebSearchProviders are a user's choices of web search provider:
// "default" is the admin's default provider (Admin → Web search), "none"
// turns web search off for the user (the migration 0014 CHECK lists the
// same).
var WebSearchProviders = []string{"default", "none", "searxng", "brave", "tavily"}

// WebSearchAPIKey decrypts the user's web-search key for the search
// service ("" when none is set).
func (s *Service) WebSearchAPIKey(ctx context.Context, userID int64) (string, error) {
	u, err := store.UserByID(ctx, s.store.DB, userID)
	if err != nil || u.WebSearchAPIKeyEnc == "" {
		return "", err
	}
	return s.box.Open(u.WebSearchAPIKeyEnc, apiKeyContext(userID))
}

func apiKeyContext(userID int64) string {
	return "users.web_search_api_key:" + strconv.FormatInt(userID, 10)
}

var modelNameRe = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._:/@+-]{0,199}$`)

var readOnlyProfileFields = map[string]bool{
	"id": true, "email": true, "role": true, "status": true, "tfa_enabled": true, "created_at": true,
	"last_login_at": true, "interview_insights": true, "web_search_api_key_set": true,
}

// UpdateProfile applies a partial update given as the request's JSON
// fields. Unknown or read-only fields and wrong types are refused naming
// the field; nothing is written unless every field is valid.
func (s *Service) UpdateProfile(ctx context.Context, userID int64, patch map[string]json.RawMessage) (*Profile, error) {
	set := map[string]any{}
	keys := make([]string, 0, len(patch))
	for k := range patch {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, field := range keys {
		raw := patch[field]
		switch field {
		case "theme":
			v, err := enumField(field, raw, "light", "dark", "system")
			if err != nil {
				return nil, err
			}
			set[field] = v
		case "web_search_provider":
			v, err := enumField(field, raw, WebSearchProviders...)
			if err != nil {
				return nil, err
			}
			set[field] = v
		case "notifications_enabled", "use_profile_in_chat":
			var b bool
			if err := strictJSON(raw, &b); err != nil {
				return nil, apperr.Invalid(field, field+" must be true or false")
			}
			set[field] = b
		case "timezone":
			var tz string
			if err := strictJSON(raw, &tz); err != nil {
				return nil, apperr.Invalid(field, "timezone must be a string")
			}
			if tz == "" || len(tz) > 64 || tz == "Local" {
				return nil, apperr.Invalid(field, "timezone must be an IANA name such as Europe/Berlin")
			}
			if _, err := time.LoadLocation(tz); err != nil {
				return nil, apperr.Invalid(field, "unknown time zone "+strconv.Quote(tz))
			}
			set[field] = tz
		case "mission_statement", "personal_goals", "work_style_preferences", "productivity_patterns":
			var v string
			if err := strictJSON(raw, &v); err != nil {
				return nil, apperr.Invalid(field, field+" must be a string")
			}
			if utf8.RuneCountInString(v) > MaxProfileText {
				return nil, apperr.Invalid(field, field+" must be at most 10000 characters")
			}
			set[field] = v
		case "models":
			var m map[string]json.RawMessage
			if err := strictJSON(raw, &m); err != nil || m == nil {
				return nil, apperr.Invalid(field, "models must be an object of model assignments")
			}
			for k, rv := range m {
				if !isModelKey(k) {
					return nil, apperr.Invalid("models."+k, "unknown model assignment "+strconv.Quote(k))
				}
				var name string
				if err := strictJSON(rv, &name); err != nil {
					return nil, apperr.Invalid("models."+k, "a model name must be a string")
				}
				if name != "" && !modelNameRe.MatchString(name) {
					return nil, apperr.Invalid("models."+k, "not a valid model name")
				}
				set[k] = name
			}
		case "web_search_api_key":
			var key *string
			if err := strictJSON(raw, &key); err != nil {
				return nil, apperr.Invalid(field, "web_search_api_key must be a string or null")
			}
			if key == nil || *key == "" {
				set["web_search_api_key_enc"] = ""
				continue
			}
			if len(*key) > 1024 {
				return nil, apperr.Invalid(field, "web_search_api_key is too long")
			}
			sealed, err := s.box.Seal(*key, apiKeyContext(userID))
			if err != nil {
				return nil, err
			}
			set["web_search_api_key_enc"] = sealed
		case "calendar_event_weights":
			var m map[string]any
			if err := strictJSON(raw, &m); err != nil || m == nil {
				return nil, apperr.Invalid(field, "calendar_event_weights must be a JSON object")
			}
			if len(raw) > 64<<10 {
				return nil, apperr.Invalid(field, "calendar_event_weights is too large")
			}
			compact := &bytes.Buffer{}
			json.Compact(compact, raw)
			set[field] = compact.String()
		default:
			if readOnlyProfileFields[field] {
				return nil, apperr.Invalid(field, field+" cannot be changed here")
			}
			return nil, apperr.Invalid(field, "unknown field "+strconv.Quote(field))
		}
	}
	if len(set) > 0 {
		embeddingChanged := false
		err := s.store.WithTx(ctx, func(tx *sql.Tx) error {
			before, err := store.UserByID(ctx, tx, userID)
			if err != nil {
				return err
			}
			if m, ok := set["embedding_model"]; ok {
				embeddingChanged = before.Models["embedding_model"] != m
			}
			if err := store.UpdateUser(ctx, tx, userID, set, s.now()); err != nil {
				return err
			}
			if tz, ok := set["timezone"].(string); ok && tz != before.Timezone && s.timezoneChanged != nil {
				return s.timezoneChanged(ctx, tx, userID, tz)
			}
			return nil
		})
		if errors.Is(err, store.ErrNotFound) {
			return nil, apperr.NotFound("user")
		}
		if err != nil {
			return nil, err
		}
		s.accounts.ForgetUser(userID)
		if embeddingChanged && s.embeddingChanged != nil {
			s.embeddingChanged(context.WithoutCancel(ctx), userID)
		}
	}
	return s.Profile(ctx, userID)
}

func isModelKey(k string) bool {
	for _, m := range store.ModelKeys {
		if m == k {
			return true
		}
	}
	return false
}

func enumField(field string, raw json.RawMessage, allowed ...string) (string, error) {
	var v string
	if err := strictJSON(raw, &v); err == nil {
		for _, a := range allowed {
			if v == a {
				return v, nil
			}
		}
	}
	msg := field + " must be one of"
	for i, a := range allowed {
		if i > 0 {
			msg += ","
		}
		msg += " " + a
	}
	return "", apperr.Invalid(field, msg)
}

// strictJSON decodes one value, refusing null for non-pointers and any
// type mismatch.
func strictJSON(raw json.RawMessage, dst any) error {
	if bytes.Equal(bytes.TrimSpace(raw), []byte("null")) {
		if _, ok := dst.(**string); ok {
			return nil
		}
		return errors.New("null")
	}
	return json.Unmarshal(raw, dst)
}
