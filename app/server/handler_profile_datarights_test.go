package server_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aiwfe/aiwfe/app/datarights"
	"github.com/aiwfe/aiwfe/app/server/servertest"
	"github.com/aiwfe/aiwfe/store"
)

// seeded is what seedUser put into the database for one user.
type seeded struct {
	ID       int64
	Email    string
	Secrets  []string // strings that must never appear in an export
	ConvIDs  []int64
	Messages []int64
}

func profileID(t *testing.T, c *servertest.Client) int64 {
	t.Helper()
	res := c.Get("/api/v1/profile")
	if res.Status != 200 {
		t.Fatalf("profile: %s", res)
	}
	var p struct {
		ID int64 `json:"id"`
	}
	res.JSON(t, &p)
	return p.ID
}

// seedUser gives the user a row in every table that holds user data:
// through the API where there is one (conversations, messages, chat modes,
// profile, devices, events, revoked tokens), directly in the store for the
// rest (notification, second factors, passkey, client certificate).
func seedUser(t *testing.T, srv *servertest.Server, c *servertest.Client, tag string) *seeded {
	t.Helper()
	ctx := context.Background()
	db := srv.App.Store.DB
	s := &seeded{ID: profileID(t, c), Email: c.Email}

	if res := c.Put("/api/v1/profile", map[string]any{"mission_statement": "mission of " + tag, "web_search_api_key": "sk-" + tag + "-plain-key",
		"models": map[string]string{"coding_model": "qwen2.5-coder:7b"}}); res.Status != 200 {
		t.Fatalf("profile: %s", res)
	}
	for i := range 2 {
		res := c.Post("/api/v1/chat", map[string]any{"message": fmt.Sprintf("hello from %s #%d", tag, i)})
		if res.Status != 200 {
			t.Fatalf("chat: %s", res)
		}
		var reply struct {
			ConversationID int64 `json:"conversation_id"`
		}
		res.JSON(t, &reply)
		s.ConvIDs = append(s.ConvIDs, reply.ConversationID)
	}
	if res := c.Post("/api/v1/chat-modes", map[string]any{"key": "mode-" + tag, "name": "Mode " + tag, "model_key": "chat_model", "system_prompt": "prompt of " + tag}); res.Status != 201 {
		t.Fatalf("chat mode: %s", res)
	}
	// A second session, signed out: a revoked access token.
	other := srv.Client(t)
	other.UserAgent = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Safari/604.1 " + tag
	other.MustLogin(c.Email, servertest.Password)
	if res := other.Delete("/api/v1/auth/logout"); res.Status != 204 {
		t.Fatalf("logout: %s", res)
	}
	if err := store.InsertNotification(ctx, db, s.ID, "info", "note for "+tag, "body of "+tag, time.Now()); err != nil {
		t.Fatal(err)
	}

	// Second factors, straight into the store (the login flow with a
	// factor is the 2FA tests' business).
	box := srv.App.Auth.SecretBox()
	pending, _ := box.Seal("JBSWY3DPEHPK3PXP"+strings.ToUpper(tag), fmt.Sprintf("totp-pending:%d", s.ID))
	active, _ := box.Seal("JBSWY3DPEHPK3PXP"+strings.ToUpper(tag), fmt.Sprintf("totp:%d", s.ID))
	now := time.Now()
	if err := store.SetTOTPPending(ctx, db, s.ID, pending, now); err != nil {
		t.Fatal(err)
	}
	if err := store.EnableTOTP(ctx, db, s.ID, pending, active, now); err != nil {
		t.Fatal(err)
	}
	if err := store.UseTOTPStep(ctx, db, s.ID, now.Unix()/30, now, time.Hour); err != nil {
		t.Fatal(err)
	}
	hash := "backuphash" + tag + "0123456789abcdef"
	if err := store.SetBackupCodes(ctx, db, s.ID, "salt"+tag, []string{hash}, now); err != nil {
		t.Fatal(err)
	}
	handle := make([]byte, 32)
	rand.Read(handle)
	if _, err := store.SetWebAuthnUserID(ctx, db, s.ID, handle, now); err != nil {
		t.Fatal(err)
	}
	credID := make([]byte, 16)
	rand.Read(credID)
	keyMaterial := "PUBLICKEYMATERIAL" + tag
	if _, err := store.InsertPasskey(ctx, db, &store.Passkey{UserID: s.ID, CredentialID: credID, Name: "Key of " + tag,
		Credential: `{"publicKey":"` + keyMaterial + `"}`, CreatedAt: now}); err != nil {
		t.Fatal(err)
	}
	serial := fmt.Sprintf("%x", now.UnixNano()) + fmt.Sprint(s.ID)
	if err := srv.App.Store.AddClientCert(ctx, store.ClientCert{Serial: serial, Name: "cert of " + tag, UserID: s.ID,
		NotBefore: now, NotAfter: now.Add(24 * time.Hour), CreatedAt: now}); err != nil {
		t.Fatal(err)
	}
	srv.App.Auth.ForgetUser(s.ID)
	// An app password, through the API: neither its secret nor its hash
	// may reach the export.
	appPW := createAppPassword(t, c, "phone of "+tag)
	s.Secrets = append(s.Secrets, appPW, strings.ReplaceAll(appPW, "-", ""))
	s.Secrets = append(s.Secrets, queryStrings(t, db, "SELECT hash FROM app_passwords WHERE user_id = ?", s.ID)...)

	// A document, indexed (pages, chunks, vectors), with a job queued far
	// ahead so the queue has a row of the user's too.
	doc := uploadDocs(t, c, "", "notes of "+tag+".txt", "Field notes of "+tag+" about the river.")[0]
	waitDoc(t, c, doc.ID, "ready")
	if _, err := db.Exec("INSERT INTO document_jobs (document_id, kind, run_after, created_at) VALUES (?, 'embed', '2100-01-01T00:00:00.000000Z', ?)",
		doc.ID, now.UTC().Format(time.RFC3339)); err != nil {
		t.Fatal(err)
	}

	// A calendar with a series, an override of one instance, a deleted
	// one (a tombstone) and a private feed, whose token and its hash must
	// not be exported.
	cal := newCalendar(t, c, map[string]any{"name": "Calendar of " + tag, "timezone": "Europe/Berlin"})
	var ev struct{ ID int64 }
	c.Post("/api/v1/calendar/events", map[string]any{"calendar_id": cal.ID, "title": "Swim of " + tag, "start": "2026-06-01T07:00", "rrule": "FREQ=DAILY;COUNT=3"}).JSON(t, &ev)
	if res := c.Patch(fmt.Sprintf("/api/v1/calendar/events/%d", ev.ID), map[string]any{"scope": "this", "recurrence_id": "2026-06-02T05:00:00Z", "title": "Late swim of " + tag}); res.Status != 200 {
		t.Fatalf("override: %s", res)
	}
	var gone struct{ ID int64 }
	c.Post("/api/v1/calendar/events", map[string]any{"calendar_id": cal.ID, "title": "Cancelled", "start": "2026-06-01T09:00"}).JSON(t, &gone)
	c.Delete(fmt.Sprintf("/api/v1/calendar/events/%d", gone.ID))
	var pf struct{ Token string }
	c.Post(fmt.Sprintf("/api/v1/calendar/calendars/%d/private-feed", cal.ID), nil).JSON(t, &pf)
	var feedHash string
	db.QueryRow("SELECT token_hash FROM calendars WHERE id = ?", cal.ID).Scan(&feedHash)
	if pf.Token == "" || feedHash == "" {
		t.Fatal("no private feed")
	}
	s.Secrets = append(s.Secrets, pf.Token, feedHash)
	// The name a CalDAV client gave a calendar it made (MKCALENDAR; the
	// protocol is handler_dav_test.go's): kept for the calendar above.
	if err := store.InsertDAVCalendarName(ctx, db, s.ID, cal.ID, "phone-"+tag); err != nil {
		t.Fatal(err)
	}
	// A category and a tagged task in it (tasks, task_tags, task_categories).
	cat := mkCategory(t, c, "category of "+tag)
	mkTask(t, c, map[string]any{"title": "task of " + tag, "category_id": cat, "tags": []string{"tag-" + tag}, "due": "2030-01-02"})

	// An opportunity from the first conversation, and a collection enabled
	// for them (opportunities, opportunity_collections).
	if err := store.InsertOpportunity(ctx, db, &store.Opportunity{UserID: s.ID, Title: "opportunity of " + tag, TitleKey: "opportunity " + tag,
		Priority: "none", SourceKind: "conversation", ConversationID: &s.ConvIDs[0], Evidence: "evidence of " + tag, ProposedBy: "rules"}, now); err != nil {
		t.Fatal(err)
	}
	if res := c.Put("/api/v1/tasks/opportunities/settings", map[string]any{"document_collections": []string{"collection of " + tag},
		"conversations_when_quiet": true}); res.Status != 200 {
		t.Fatalf("opportunity settings: %s", res)
	}

	var pwHash, keyEnc string
	db.QueryRow("SELECT password_hash, web_search_api_key_enc FROM users WHERE id = ?", s.ID).Scan(&pwHash, &keyEnc)
	s.Secrets = append(s.Secrets, pwHash, keyEnc, "sk-"+tag+"-plain-key", pending, active, hash, "salt"+tag, keyMaterial, "JBSWY3DPEHPK3PXP")
	for _, q := range []string{
		"SELECT token_hash FROM refresh_tokens WHERE user_id = ?",
		"SELECT DISTINCT family_id FROM refresh_tokens WHERE user_id = ?",
		"SELECT jti FROM revoked_tokens WHERE user_id = ?",
	} {
		s.Secrets = append(s.Secrets, queryStrings(t, db, q, s.ID)...)
	}
	mrows, err := db.Query("SELECT m.id FROM messages m JOIN conversations c ON c.id = m.conversation_id WHERE c.user_id = ?", s.ID)
	if err != nil {
		t.Fatal(err)
	}
	for mrows.Next() {
		var id int64
		mrows.Scan(&id)
		s.Messages = append(s.Messages, id)
	}
	mrows.Close()

	counts, err := srv.App.DataRights.CountUserRows(ctx, db, s.ID)
	if err != nil {
		t.Fatal(err)
	}
	for table, n := range counts {
		if n == 0 {
			t.Fatalf("seed left %s empty for %s", table, tag)
		}
	}
	return s
}

func TestDataExport(t *testing.T) {
	srv := servertest.Start(t)
	root := srv.Superuser(t)
	alice, bob := srv.User(t, "user"), srv.User(t, "user")
	a := seedUser(t, srv, alice, "alice")
	b := seedUser(t, srv, bob, "bob")
	_ = root

	res := alice.Get("/api/v1/profile/export")
	if res.Status != 200 {
		t.Fatalf("export: %s", res)
	}
	wantName := fmt.Sprintf(`attachment; filename="aiwfe-export-%s-%s.json"`, a.Email, srv.Now().UTC().Format("2006-01-02"))
	if got := res.Header.Get("Content-Disposition"); got != wantName {
		t.Errorf("Content-Disposition %q, want %q", got, wantName)
	}
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("Content-Type %q", ct)
	}
	if cc := res.Header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control %q", cc)
	}
	body := string(res.Body)
	for _, secret := range a.Secrets {
		if secret != "" && strings.Contains(body, secret) {
			t.Errorf("the export holds a secret %q", secret)
		}
	}
	for _, leak := range []string{"argon2id", "password_hash", "_enc", "token_hash", "code_hash", "credential_id", "fingerprint"} {
		if strings.Contains(body, leak) {
			t.Errorf("the export mentions %q", leak)
		}
	}
	// Nothing of Bob's.
	for _, s := range append([]string{b.Email, "bob"}, b.Secrets...) {
		if s != "" && strings.Contains(body, s) {
			t.Errorf("Alice's export holds Bob's %q", s)
		}
	}

	var ex struct {
		Format     string    `json:"format"`
		Version    int       `json:"version"`
		ExportedAt time.Time `json:"exported_at"`
		User       struct {
			ID                   int64             `json:"id"`
			Email                string            `json:"email"`
			MissionStatement     string            `json:"mission_statement"`
			Models               map[string]string `json:"models"`
			Theme                string            `json:"theme"`
			WebSearchAPIKeySet   bool              `json:"web_search_api_key_set"`
			TOTPEnabled          bool              `json:"totp_enabled"`
			BackupCodesRemaining int               `json:"backup_codes_remaining"`
		} `json:"user"`
		Devices []struct {
			Name      string `json:"name"`
			UserAgent string `json:"user_agent"`
		} `json:"devices"`
		Sessions []struct {
			StartedAt time.Time  `json:"started_at"`
			EndedAt   *time.Time `json:"ended_at"`
			IP        string     `json:"ip"`
		} `json:"sessions"`
		SecurityEvents []struct {
			Type string `json:"type"`
		} `json:"security_events"`
		Notifications []struct {
			Title string `json:"title"`
		} `json:"notifications"`
		Conversations []struct {
			ID       int64 `json:"id"`
			Messages []struct {
				Role    string `json:"role"`
				Content string `json:"content"`
			} `json:"messages"`
		} `json:"conversations"`
		ChatModes []struct {
			Key          string `json:"key"`
			SystemPrompt string `json:"system_prompt"`
		} `json:"chat_modes"`
		Passkeys []struct {
			Name string `json:"name"`
		} `json:"passkeys"`
		Documents []struct {
			Name   string `json:"name"`
			SHA256 string `json:"sha256"`
			File   []byte `json:"file_base64"`
		} `json:"documents"`
		Calendars []struct {
			Name        string `json:"name"`
			PrivateFeed bool   `json:"private_feed"`
			Events      []struct {
				Title        string `json:"title"`
				RRule        string `json:"rrule"`
				RecurrenceID string `json:"recurrence_id"`
				ICS          string `json:"ics"`
			} `json:"events"`
		} `json:"calendars"`
		Tasks []struct {
			Title string   `json:"title"`
			Due   string   `json:"due"`
			Tags  []string `json:"tags"`
		} `json:"tasks"`
		TaskCategories []struct {
			Name string `json:"name"`
		} `json:"task_categories"`
		Opportunities []struct {
			Title    string `json:"title"`
			Evidence string `json:"evidence"`
			Status   string `json:"status"`
		} `json:"opportunities"`
		OpportunitySettings struct {
			DocumentCollections    []string `json:"document_collections"`
			ConversationsWhenQuiet bool     `json:"conversations_when_quiet"`
		} `json:"opportunity_settings"`
		ClientCertificates []struct {
			Serial   string    `json:"serial"`
			Name     string    `json:"name"`
			NotAfter time.Time `json:"not_after"`
		} `json:"client_certificates"`
	}
	res.JSON(t, &ex)
	if ex.Format != "aiwfe-export" || ex.Version != 1 || ex.ExportedAt.IsZero() {
		t.Errorf("header: %q %d %v", ex.Format, ex.Version, ex.ExportedAt)
	}
	u := ex.User
	if u.ID != a.ID || u.Email != a.Email || u.MissionStatement != "mission of alice" || u.Models["coding_model"] != "qwen2.5-coder:7b" ||
		u.Theme != "system" || !u.WebSearchAPIKeySet || !u.TOTPEnabled || u.BackupCodesRemaining != 1 {
		t.Errorf("user: %+v", u)
	}
	if len(ex.Devices) != 2 {
		t.Errorf("%d devices, want 2: %+v", len(ex.Devices), ex.Devices)
	}
	// Two sign-ins: this one, live, and the one signed out.
	if len(ex.Sessions) != 2 || ex.Sessions[0].EndedAt != nil || ex.Sessions[1].EndedAt == nil || ex.Sessions[0].IP == "" || ex.Sessions[0].StartedAt.IsZero() {
		t.Errorf("sessions: %+v", ex.Sessions)
	}
	types := map[string]int{}
	for _, e := range ex.SecurityEvents {
		types[e.Type]++
	}
	if types["login"] < 2 || types["logout"] != 1 {
		t.Errorf("events: %v", types)
	}
	if len(ex.Notifications) == 0 || ex.Notifications[len(ex.Notifications)-1].Title != "note for alice" {
		t.Errorf("notifications: %+v", ex.Notifications)
	}
	if len(ex.Conversations) != 2 {
		t.Fatalf("%d conversations, want 2", len(ex.Conversations))
	}
	for i, c := range ex.Conversations {
		if c.ID != a.ConvIDs[i] || len(c.Messages) != 2 || c.Messages[0].Role != "user" || c.Messages[0].Content != fmt.Sprintf("hello from alice #%d", i) ||
			c.Messages[1].Role != "assistant" || c.Messages[1].Content == "" {
			t.Errorf("conversation %d: %+v", i, c)
		}
	}
	if len(ex.ChatModes) != 1 || ex.ChatModes[0].Key != "mode-alice" || ex.ChatModes[0].SystemPrompt != "prompt of alice" {
		t.Errorf("chat modes: %+v", ex.ChatModes)
	}
	if len(ex.Passkeys) != 1 || ex.Passkeys[0].Name != "Key of alice" {
		t.Errorf("passkeys: %+v", ex.Passkeys)
	}
	if len(ex.Calendars) != 1 || ex.Calendars[0].Name != "Calendar of alice" || !ex.Calendars[0].PrivateFeed || len(ex.Calendars[0].Events) != 2 ||
		ex.Calendars[0].Events[0].RRule != "FREQ=DAILY;COUNT=3" || ex.Calendars[0].Events[1].Title != "Late swim of alice" ||
		ex.Calendars[0].Events[1].RecurrenceID == "" || !strings.Contains(ex.Calendars[0].Events[0].ICS, "SUMMARY:Swim of alice") {
		t.Errorf("calendars: %+v", ex.Calendars)
	}
	if len(ex.Documents) != 1 || ex.Documents[0].Name != "notes of alice.txt" || string(ex.Documents[0].File) != "Field notes of alice about the river." {
		t.Errorf("documents: %+v", ex.Documents)
	}
	if len(ex.Tasks) != 1 || ex.Tasks[0].Title != "task of alice" || ex.Tasks[0].Due != "2030-01-02" || len(ex.Tasks[0].Tags) != 1 {
		t.Errorf("tasks: %+v", ex.Tasks)
	}
	if len(ex.TaskCategories) != 1 || ex.TaskCategories[0].Name != "category of alice" {
		t.Errorf("task categories: %+v", ex.TaskCategories)
	}
	if len(ex.Opportunities) != 1 || ex.Opportunities[0].Title != "opportunity of alice" || ex.Opportunities[0].Evidence != "evidence of alice" ||
		ex.Opportunities[0].Status != "open" || len(ex.OpportunitySettings.DocumentCollections) != 1 || !ex.OpportunitySettings.ConversationsWhenQuiet {
		t.Errorf("opportunities: %+v %+v", ex.Opportunities, ex.OpportunitySettings)
	}
	if len(ex.ClientCertificates) != 1 || ex.ClientCertificates[0].Name != "cert of alice" || ex.ClientCertificates[0].NotAfter.IsZero() {
		t.Errorf("certificates: %+v", ex.ClientCertificates)
	}
	// Every key the brief promises is there, arrays never null.
	var raw map[string]json.RawMessage
	res.JSON(t, &raw)
	for _, k := range []string{"devices", "sessions", "security_events", "notifications", "conversations", "chat_modes", "passkeys", "client_certificates", "tasks", "task_categories", "app_passwords", "caldav_calendar_names", "opportunities"} {
		if !strings.HasPrefix(string(raw[k]), "[") {
			t.Errorf("%s is %s, want an array", k, raw[k])
		}
	}

	if !strings.Contains(string(raw["app_passwords"]), `"name": "phone of alice"`) {
		t.Errorf("app passwords: %s", raw["app_passwords"])
	}

	// Audited.
	var n int
	srv.App.Store.DB.QueryRow("SELECT COUNT(*) FROM security_events WHERE user_id = ? AND type = 'data_export'", a.ID).Scan(&n)
	if n != 1 {
		t.Errorf("%d data_export events, want 1", n)
	}

	// Once a minute: a second export waits, Bob's is his own budget.
	res = alice.Get("/api/v1/profile/export")
	if res.Status != http.StatusTooManyRequests || res.Header.Get("Retry-After") == "" {
		t.Fatalf("second export: %s (Retry-After %q)", res, res.Header.Get("Retry-After"))
	}
	if res := bob.Get("/api/v1/profile/export"); res.Status != 200 || strings.Contains(string(res.Body), a.Email) {
		t.Fatalf("Bob's export: %d", res.Status)
	}
	srv.Advance(datarights.ExportEvery + time.Second)
	alice.FetchCSRF() // a fresh token after the clock jump
	if res := alice.Get("/api/v1/profile/export"); res.Status != 200 {
		t.Fatalf("export a minute later: %s", res)
	}

	// Signed out: 401.
	servertest.Scenario{Name: "anonymous", Method: "GET", Path: "/api/v1/profile/export", Client: srv.Client(t), WantStatus: 401}.Run(t, alice)
}

func TestDeleteAccount(t *testing.T) {
	srv := servertest.Start(t)
	root := srv.Superuser(t)
	alice, bob := srv.User(t, "user"), srv.User(t, "user")
	a := seedUser(t, srv, alice, "alice")
	b := seedUser(t, srv, bob, "bob")
	db := srv.App.Store.DB
	ctx := context.Background()
	bobBefore, err := srv.App.DataRights.CountUserRows(ctx, db, b.ID)
	if err != nil {
		t.Fatal(err)
	}
	aliceToken := alice.Cookie("/", "access_token")
	if aliceToken == "" {
		t.Fatal("no access token cookie")
	}
	del := func(c *servertest.Client, body any) *servertest.Response {
		return c.Do(http.MethodDelete, "/api/v1/profile", servertest.Request{JSON: body})
	}

	for _, sc := range []servertest.Scenario{
		{Name: "anonymous", Method: "DELETE", Path: "/api/v1/profile", Client: srv.Client(t),
			Request: servertest.Request{JSON: map[string]string{"password": servertest.Password, "confirm": "DELETE"}}, WantStatus: 401},
		{Name: "no body", Method: "DELETE", Path: "/api/v1/profile", WantStatus: 400},
		{Name: "unknown field", Method: "DELETE", Path: "/api/v1/profile",
			Request: servertest.Request{JSON: map[string]string{"password": servertest.Password, "confirm": "DELETE", "force": "yes"}}, WantStatus: 400, WantField: "force"},
		{Name: "without confirm", Method: "DELETE", Path: "/api/v1/profile",
			Request: servertest.Request{JSON: map[string]string{"password": servertest.Password}}, WantStatus: 400, WantField: "confirm"},
		{Name: "confirm not DELETE", Method: "DELETE", Path: "/api/v1/profile",
			Request: servertest.Request{JSON: map[string]string{"password": servertest.Password, "confirm": "delete"}}, WantStatus: 400, WantField: "confirm"},
		{Name: "no password", Method: "DELETE", Path: "/api/v1/profile",
			Request: servertest.Request{JSON: map[string]string{"confirm": "DELETE"}}, WantStatus: 400, WantField: "password"},
		// Like POST /profile/password: a wrong password is 400 naming the field.
		{Name: "wrong password", Method: "DELETE", Path: "/api/v1/profile",
			Request: servertest.Request{JSON: map[string]string{"password": "not the password at all", "confirm": "DELETE"}}, WantStatus: 400, WantField: "password"},
		{Name: "no CSRF token", Method: "DELETE", Path: "/api/v1/profile", Before: func(t *testing.T, c *servertest.Client) { c.NoCSRF = true },
			Request: servertest.Request{JSON: map[string]string{"password": servertest.Password, "confirm": "DELETE"}}, WantStatus: 403,
			After: func(t *testing.T, c *servertest.Client, _ *servertest.Response) { c.NoCSRF = false }},
		{Name: "last superuser", Method: "DELETE", Path: "/api/v1/profile", Client: root,
			Request: servertest.Request{JSON: map[string]string{"password": servertest.Password, "confirm": "DELETE"}}, WantStatus: 409, WantCode: "last_superuser"},
	} {
		sc.Run(t, alice)
	}
	if n, _ := srv.App.DataRights.CountUserRows(ctx, db, a.ID); n["users"] != 1 {
		t.Fatal("a refused deletion deleted the account")
	}

	res := del(alice, map[string]string{"password": servertest.Password, "confirm": "DELETE"})
	if res.Status != http.StatusNoContent {
		t.Fatalf("delete: %s", res)
	}
	cleared := map[string]bool{}
	for _, ck := range res.Header.Values("Set-Cookie") {
		name, rest, _ := strings.Cut(ck, "=")
		if strings.HasPrefix(rest, ";") && strings.Contains(rest, "expires=Thu, 01 Jan 1970") {
			cleared[name] = true
		}
	}
	if !cleared["access_token"] || !cleared["refresh_token"] {
		t.Errorf("cookies not cleared: %q", res.Header.Values("Set-Cookie"))
	}

	// Every row of Alice's is gone ...
	after, err := srv.App.DataRights.CountUserRows(ctx, db, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	for table, n := range after {
		if n != 0 {
			t.Errorf("%s still holds %d rows of the deleted user", table, n)
		}
	}
	countIDs := func(query string, ids []int64) int {
		var total int
		for _, id := range ids {
			var n int
			db.QueryRow(query, id).Scan(&n)
			total += n
		}
		return total
	}
	if n := countIDs("SELECT COUNT(*) FROM messages WHERE id = ?", a.Messages); n != 0 {
		t.Errorf("%d messages of the deleted user remain", n)
	}
	if n := countIDs("SELECT COUNT(*) FROM messages_fts WHERE rowid = ?", a.Messages); n != 0 {
		t.Errorf("%d full-text rows of the deleted user remain", n)
	}
	if n := countIDs("SELECT COUNT(*) FROM conversations WHERE id = ?", a.ConvIDs); n != 0 {
		t.Errorf("%d conversations of the deleted user remain", n)
	}
	var hits int
	db.QueryRow("SELECT COUNT(*) FROM messages_fts WHERE messages_fts MATCH 'alice'").Scan(&hits)
	if hits != 0 {
		t.Errorf("the full-text index still finds the deleted user's words (%d hits)", hits)
	}
	db.QueryRow(`SELECT COUNT(*) FROM document_chunks_fts WHERE document_chunks_fts MATCH '"alice"'`).Scan(&hits)
	if hits != 0 {
		t.Errorf("the documents' index still finds the deleted user's words (%d hits)", hits)
	}
	db.QueryRow(`SELECT COUNT(*) FROM tasks_fts WHERE tasks_fts MATCH '"alice"'`).Scan(&hits)
	if hits != 0 {
		t.Errorf("the tasks' index still finds the deleted user's words (%d hits)", hits)
	}
	docDir := func(id int64) string { return filepath.Join(srv.Config.Data.Dir, "documents", fmt.Sprint(id)) }
	if _, err := os.Stat(docDir(a.ID)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the deleted user's stored files remain: %v", err)
	}
	if files, _ := os.ReadDir(docDir(b.ID)); len(files) != 1 {
		t.Errorf("Bob has %d stored files, want 1", len(files))
	}
	// ... Bob's are all there ...
	bobAfter, _ := srv.App.DataRights.CountUserRows(ctx, db, b.ID)
	for table, n := range bobBefore {
		if bobAfter[table] != n {
			t.Errorf("%s: Bob's rows went from %d to %d", table, n, bobAfter[table])
		}
	}
	if n := countIDs("SELECT COUNT(*) FROM messages WHERE id = ?", b.Messages); n != len(b.Messages) {
		t.Errorf("Bob has %d of his %d messages", n, len(b.Messages))
	}
	if res := bob.Get("/api/v1/conversations"); res.Status != 200 || !strings.Contains(res.String(), "hello from bob") && !strings.Contains(res.String(), `"id":`) {
		t.Errorf("Bob's conversations: %s", res)
	}
	// ... and the audit keeps the deletion, without a user id.
	var userID, actorID *int64
	var email string
	if err := db.QueryRow("SELECT user_id, actor_id, email FROM security_events WHERE type = 'account_delete' AND success = 1").Scan(&userID, &actorID, &email); err != nil {
		t.Fatalf("deletion not audited: %v", err)
	}
	if userID != nil || actorID != nil || email != a.Email {
		t.Errorf("audit: user_id %v actor_id %v email %q", userID, actorID, email)
	}
	if res := root.Get("/api/v1/admin/audit?per_page=100"); !strings.Contains(res.String(), `"account_delete"`) || !strings.Contains(res.String(), a.Email) {
		t.Errorf("admin audit lacks the deletion: %s", res)
	}

	// The old session is dead: the cookie-less token, the refresh cookie,
	// and a new sign-in.
	stale := srv.Client(t)
	stale.Bearer = aliceToken
	if res := stale.Get("/api/v1/profile"); res.Status != 401 {
		t.Errorf("the deleted user's access token: %s", res)
	}
	if res := alice.Get("/api/v1/profile"); res.Status != 401 {
		t.Errorf("the deleted user's client: %s", res)
	}
	if res := srv.Client(t).Login(a.Email, servertest.Password); res.Status != 401 {
		t.Errorf("login after deletion: %s", res)
	}
	// The email is free again.
	srv.Client(t).Register(a.Email, servertest.Password)
}

// The superuser can leave once another active superuser exists.
func TestDeleteAccountSuperuser(t *testing.T) {
	srv := servertest.Start(t)
	root := srv.Superuser(t)
	body := servertest.Request{JSON: map[string]string{"password": servertest.Password, "confirm": "DELETE"}}
	if res := root.Do(http.MethodDelete, "/api/v1/profile", body); res.Status != 409 || res.ErrorCode() != "last_superuser" {
		t.Fatalf("last superuser: %s", res)
	}
	srv.Superuser2(t)
	if res := root.Do(http.MethodDelete, "/api/v1/profile", body); res.Status != 204 {
		t.Fatalf("with a second superuser: %s", res)
	}
}

// Wrong passwords count like failed sign-ins: the account locks.
func TestDeleteAccountRateLimited(t *testing.T) {
	srv := servertest.Start(t)
	srv.Superuser(t)
	c := srv.User(t, "user")
	body := servertest.Request{JSON: map[string]string{"password": "wrong wrong wrong wrong", "confirm": "DELETE"}}
	var res *servertest.Response
	for i := 0; i < srv.Config.Auth.MaxFailuresAccount+1; i++ {
		res = c.Do(http.MethodDelete, "/api/v1/profile", body)
		if res.Status == http.StatusTooManyRequests {
			break
		}
	}
	if res.Status != http.StatusTooManyRequests || res.Header.Get("Retry-After") == "" {
		t.Fatalf("after %d wrong passwords: %s", srv.Config.Auth.MaxFailuresAccount, res)
	}
	// Even the right password waits out the lockout.
	good := servertest.Request{JSON: map[string]string{"password": servertest.Password, "confirm": "DELETE"}}
	if res := c.Do(http.MethodDelete, "/api/v1/profile", good); res.Status != http.StatusTooManyRequests {
		t.Fatalf("right password during the lockout: %s", res)
	}
}

// Every table with a foreign key to users is claimed by a feature's
// registered data-rights part, so the export and cascade tests above cover
// tables added later.
func TestUserOwnedTablesComplete(t *testing.T) {
	srv := servertest.Start(t)
	rows, err := srv.App.Store.DB.Query(`SELECT DISTINCT m.name FROM sqlite_master m, pragma_foreign_key_list(m.name) f
		WHERE m.type = 'table' AND f."table" = 'users'`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	owned := srv.App.DataRights.Tables()
	var n int
	for rows.Next() {
		var name string
		rows.Scan(&name)
		n++
		if _, ok := owned[name]; !ok {
			t.Errorf("table %s refers to users but no registered data-rights part claims it (export and deletion miss it)", name)
		}
	}
	if n < 10 {
		t.Errorf("only %d tables refer to users", n)
	}
}

// queryStrings returns the first column of every row q finds.
func queryStrings(t *testing.T, db *sql.DB, q string, args ...any) []string {
	t.Helper()
	rows, err := db.Query(q, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			t.Fatal(err)
		}
		out = append(out, v)
	}
	return out
}

// An admin's deletion is the owner's: every registered part's rows go,
// and the user's sessions end at once.
func TestAdminDeleteErasesEveryPart(t *testing.T) {
	srv := servertest.Start(t)
	root := srv.Superuser(t)
	alice := srv.User(t, "user")
	a := seedUser(t, srv, alice, "alice")
	if res := root.Delete(fmt.Sprintf("/api/v1/admin/users/%d", a.ID)); res.Status != http.StatusNoContent {
		t.Fatalf("admin delete: %s", res)
	}
	after, err := srv.App.DataRights.CountUserRows(context.Background(), srv.App.Store.DB, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	for table, n := range after {
		if n != 0 {
			t.Errorf("%s still holds %d rows of the deleted user", table, n)
		}
	}
	if res := alice.Get("/api/v1/profile"); res.Status != 401 {
		t.Errorf("the deleted user's session: %s", res)
	}
}
