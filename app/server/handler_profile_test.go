package server_test

import (
	"strings"
	"testing"

	"github.com/aiwfe/aiwfe/app/server/servertest"
)

func put(body any) servertest.Request { return servertest.Request{JSON: body} }

func TestProfile(t *testing.T) {
	srv := servertest.Start(t)
	u := srv.Superuser(t)
	long := strings.Repeat("é", 10001)
	for _, sc := range []servertest.Scenario{
		{Name: "defaults", Method: "GET", Path: "/api/v1/profile", WantStatus: 200,
			WantContains: []string{`"email":"root@example.com"`, `"role":"superuser"`, `"status":"active"`, `"created_at"`,
				`"theme":"system"`, `"notifications_enabled":true`, `"timezone":"UTC"`, `"use_profile_in_chat":true`,
				`"chat_model":"llama3.2:3b"`, `"tool_model":"llama3.2:3b"`, `"web_search_provider":"default"`, `"web_search_api_key_set":false`,
				`"interview_insights":{}`, `"calendar_event_weights":{}`},
			After: func(t *testing.T, c *servertest.Client, res *servertest.Response) {
				models := res.Map(t)["models"].(map[string]any)
				if len(models) != 20 {
					t.Errorf("%d model assignments, want 20", len(models))
				}
			}},
		{Name: "partial update", Method: "PUT", Path: "/api/v1/profile", Request: put(map[string]any{
			"theme": "dark", "timezone": "Europe/Berlin", "notifications_enabled": false, "use_profile_in_chat": false,
			"models":            map[string]string{"coding_model": "qwen2.5-coder:7b", "embedding_model": "nomic-embed-text"},
			"mission_statement": "Build calm software.", "calendar_event_weights": map[string]int{"meeting": 3},
			"web_search_provider": "brave", "web_search_api_key": "sk-very-secret-key",
		}), WantStatus: 200,
			WantContains:    []string{`"theme":"dark"`, `"timezone":"Europe/Berlin"`, `"notifications_enabled":false`, `"coding_model":"qwen2.5-coder:7b"`, `"chat_model":"llama3.2:3b"`, `"mission_statement":"Build calm software."`, `"meeting":3`, `"web_search_api_key_set":true`, `"web_search_provider":"brave"`},
			WantNotContains: []string{"sk-very-secret-key"}},
		{Name: "stays updated", Method: "GET", Path: "/api/v1/profile", WantStatus: 200,
			WantContains: []string{`"theme":"dark"`, `"web_search_api_key_set":true`}, WantNotContains: []string{"sk-very-secret-key"}},
		{Name: "bad timezone", Method: "PUT", Path: "/api/v1/profile", Request: put(map[string]any{"timezone": "Mars/Olympus"}), WantStatus: 400, WantField: "timezone"},
		{Name: "Local is not a zone", Method: "PUT", Path: "/api/v1/profile", Request: put(map[string]any{"timezone": "Local"}), WantStatus: 400, WantField: "timezone"},
		{Name: "path-like timezone", Method: "PUT", Path: "/api/v1/profile", Request: put(map[string]any{"timezone": "../../etc/passwd"}), WantStatus: 400, WantField: "timezone"},
		{Name: "unknown field", Method: "PUT", Path: "/api/v1/profile", Request: put(map[string]any{"favourite_colour": "blue"}), WantStatus: 400, WantField: "favourite_colour"},
		{Name: "read-only field", Method: "PUT", Path: "/api/v1/profile", Request: put(map[string]any{"role": "superuser"}), WantStatus: 400, WantField: "role"},
		{Name: "email is read-only", Method: "PUT", Path: "/api/v1/profile", Request: put(map[string]any{"email": "x@example.com"}), WantStatus: 400, WantField: "email"},
		{Name: "interview insights read-only", Method: "PUT", Path: "/api/v1/profile", Request: put(map[string]any{"interview_insights": map[string]any{}}), WantStatus: 400, WantField: "interview_insights"},
		{Name: "wrong type", Method: "PUT", Path: "/api/v1/profile", Request: put(map[string]any{"notifications_enabled": "yes"}), WantStatus: 400, WantField: "notifications_enabled"},
		{Name: "null for a bool", Method: "PUT", Path: "/api/v1/profile", Request: put(map[string]any{"use_profile_in_chat": nil}), WantStatus: 400, WantField: "use_profile_in_chat"},
		{Name: "bad theme", Method: "PUT", Path: "/api/v1/profile", Request: put(map[string]any{"theme": "neon"}), WantStatus: 400, WantField: "theme"},
		{Name: "bad provider", Method: "PUT", Path: "/api/v1/profile", Request: put(map[string]any{"web_search_provider": "google"}), WantStatus: 400, WantField: "web_search_provider"},
		{Name: "text too long", Method: "PUT", Path: "/api/v1/profile", Request: put(map[string]any{"personal_goals": long}), WantStatus: 400, WantField: "personal_goals"},
		{Name: "text at the limit", Method: "PUT", Path: "/api/v1/profile", Request: put(map[string]any{"personal_goals": long[:len(long)-2]}), WantStatus: 200},
		{Name: "unknown model key", Method: "PUT", Path: "/api/v1/profile", Request: put(map[string]any{"models": map[string]string{"dream_model": "x"}}), WantStatus: 400, WantField: "models.dream_model"},
		{Name: "bad model name", Method: "PUT", Path: "/api/v1/profile", Request: put(map[string]any{"models": map[string]string{"chat_model": "' OR 1=1 --"}}), WantStatus: 400, WantField: "models.chat_model"},
		{Name: "weights not an object", Method: "PUT", Path: "/api/v1/profile", Request: put(map[string]any{"calendar_event_weights": []int{1}}), WantStatus: 400, WantField: "calendar_event_weights"},
		{Name: "body not an object", Method: "PUT", Path: "/api/v1/profile", Request: put([]int{1}), WantStatus: 400},
		{Name: "nothing written on a bad field", Method: "PUT", Path: "/api/v1/profile", Request: put(map[string]any{"theme": "light", "timezone": "Nowhere/Land"}), WantStatus: 400,
			After: func(t *testing.T, c *servertest.Client, _ *servertest.Response) {
				if res := c.Get("/api/v1/profile"); !strings.Contains(string(res.Body), `"theme":"dark"`) {
					t.Errorf("half-applied update: %s", res)
				}
			}},
		{Name: "clear the API key", Method: "PUT", Path: "/api/v1/profile", Request: put(map[string]any{"web_search_api_key": nil}), WantStatus: 200, WantContains: []string{`"web_search_api_key_set":false`}},
		{Name: "anonymous", Method: "GET", Path: "/api/v1/profile", Client: srv.Client(t), WantStatus: 401},
	} {
		sc.Run(t, u)
	}
}

func TestProfileAPIKeyEncrypted(t *testing.T) {
	srv := servertest.Start(t)
	u := srv.Superuser(t)
	if res := u.Put("/api/v1/profile", map[string]any{"web_search_api_key": "sk-plain-text-key"}); res.Status != 200 {
		t.Fatal(res)
	}
	var enc string
	srv.App.Store.DB.QueryRow("SELECT web_search_api_key_enc FROM users WHERE id = 1").Scan(&enc)
	if enc == "" || strings.Contains(enc, "sk-plain") {
		t.Fatalf("stored key %q is not encrypted", enc)
	}
	got, err := srv.App.Users.WebSearchAPIKey(t.Context(), 1)
	if err != nil || got != "sk-plain-text-key" {
		t.Fatalf("decrypt: %q, %v", got, err)
	}
}

func TestChangePassword(t *testing.T) {
	srv := servertest.Start(t)
	u := srv.Superuser(t)
	other := srv.Client(t)
	other.MustLogin("root@example.com", servertest.Password)
	const next = "a much better passphrase 2026"
	for _, sc := range []servertest.Scenario{
		{Name: "wrong current", Method: "POST", Path: "/api/v1/profile/password", Request: put(map[string]string{"current_password": "not it at all", "new_password": next}), WantStatus: 400, WantField: "current_password"},
		{Name: "weak new", Method: "POST", Path: "/api/v1/profile/password", Request: put(map[string]string{"current_password": servertest.Password, "new_password": "password123"}), WantStatus: 400, WantField: "new_password"},
		{Name: "missing current", Method: "POST", Path: "/api/v1/profile/password", Request: put(map[string]string{"new_password": next}), WantStatus: 400, WantField: "current_password"},
		{Name: "ok", Method: "POST", Path: "/api/v1/profile/password", Request: put(map[string]string{"current_password": servertest.Password, "new_password": next}), WantStatus: 204},
		{Name: "this session continues", Method: "GET", Path: "/api/v1/auth/validate", WantStatus: 200},
		{Name: "other sessions end", Method: "GET", Path: "/api/v1/auth/validate", Client: other, WantStatus: 401},
		{Name: "old password refused", Method: "POST", Path: "/api/v1/auth/jwt/login", Client: srv.Client(t), Request: login("root@example.com", servertest.Password), WantStatus: 401},
		{Name: "new password works", Method: "POST", Path: "/api/v1/auth/jwt/login", Client: srv.Client(t), Request: login("root@example.com", next), WantStatus: 200},
		{Name: "audited", Method: "GET", Path: "/api/v1/security/events", WantStatus: 200, WantContains: []string{`"type":"password_change"`}},
	} {
		sc.Run(t, u)
	}
}
