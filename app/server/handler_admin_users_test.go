package server_test

import (
	"strings"
	"testing"

	"github.com/aiwfe/aiwfe/app/server/servertest"
)

func TestAdminUsers(t *testing.T) {
	srv := servertest.Start(t)
	root := srv.Superuser(t)
	c := srv.Client(t)
	c.Register("pending@example.com", servertest.Password) // approval is the default
	admin := srv.User(t, "admin")
	user := srv.User(t, "user")
	victim := srv.User(t, "user")
	const pendingID = "2"
	rootID, adminID, userID, victimID := "1", userID(t, admin), userID(t, user), userID(t, victim)
	base := "/api/v1/admin/users/"
	patch := func(body map[string]string) servertest.Request { return servertest.Request{JSON: body} }

	for _, sc := range []servertest.Scenario{
		// Who may come in.
		{Name: "user gets 403 (list)", Client: user, Method: "GET", Path: "/api/v1/admin/users", WantStatus: 403, WantCode: "forbidden"},
		{Name: "user gets 403 (patch)", Client: user, Method: "PATCH", Path: base + userID, Request: patch(map[string]string{"role": "superuser"}), WantStatus: 403},
		{Name: "user gets 403 (delete)", Client: user, Method: "DELETE", Path: base + victimID, WantStatus: 403},
		{Name: "user gets 403 (audit)", Client: user, Method: "GET", Path: "/api/v1/admin/audit", WantStatus: 403},
		{Name: "anonymous gets 401", Client: srv.Client(t), Method: "GET", Path: "/api/v1/admin/users", WantStatus: 401},
		// Listing.
		{Name: "list", Client: admin, Method: "GET", Path: "/api/v1/admin/users", WantStatus: 200,
			WantContains: []string{`"total":5`, `"email":"pending@example.com"`, `"last_login_at"`, `"page":1`, `"per_page":20`}, WantNotContains: []string{"password"}},
		{Name: "filter status", Client: admin, Method: "GET", Path: "/api/v1/admin/users?status=pending", WantStatus: 200, WantContains: []string{`"total":1`}},
		{Name: "filter role", Client: admin, Method: "GET", Path: "/api/v1/admin/users?role=superuser", WantStatus: 200, WantContains: []string{`"total":1`}},
		{Name: "bad filter", Client: admin, Method: "GET", Path: "/api/v1/admin/users?status=' OR 1=1 --", WantStatus: 400, WantField: "status"},
		{Name: "paging", Client: admin, Method: "GET", Path: "/api/v1/admin/users?page=2&per_page=2", WantStatus: 200, WantContains: []string{`"page":2`, `"per_page":2`, `"total":5`}},
		// Approval.
		{Name: "admin approves", Client: admin, Method: "PATCH", Path: base + pendingID, Request: patch(map[string]string{"status": "active"}), WantStatus: 200, WantContains: []string{`"status":"active"`}},
		{Name: "approved user logs in", Client: srv.Client(t), Method: "POST", Path: "/api/v1/auth/jwt/login", Request: login("pending@example.com", servertest.Password), WantStatus: 200},
		// Role rules.
		{Name: "admin cannot grant admin", Client: admin, Method: "PATCH", Path: base + userID, Request: patch(map[string]string{"role": "admin"}), WantStatus: 403},
		{Name: "admin cannot touch the superuser", Client: admin, Method: "PATCH", Path: base + rootID, Request: patch(map[string]string{"status": "suspended"}), WantStatus: 403},
		{Name: "bad role", Client: root, Method: "PATCH", Path: base + userID, Request: patch(map[string]string{"role": "god"}), WantStatus: 400, WantField: "role"},
		{Name: "bad status", Client: root, Method: "PATCH", Path: base + userID, Request: patch(map[string]string{"status": "pending"}), WantStatus: 400, WantField: "status"},
		{Name: "unknown field", Client: root, Method: "PATCH", Path: base + userID, Request: patch(map[string]string{"email": "x@example.com"}), WantStatus: 400, WantField: "email"},
		{Name: "missing user", Client: root, Method: "PATCH", Path: base + "999", Request: patch(map[string]string{"status": "active"}), WantStatus: 404},
		{Name: "last superuser cannot be demoted", Client: root, Method: "PATCH", Path: base + rootID, Request: patch(map[string]string{"role": "admin"}), WantStatus: 409, WantCode: "last_superuser"},
		{Name: "last superuser cannot be suspended", Client: root, Method: "PATCH", Path: base + rootID, Request: patch(map[string]string{"status": "suspended"}), WantStatus: 409, WantCode: "last_superuser"},
		{Name: "last superuser cannot be deleted", Client: root, Method: "DELETE", Path: base + rootID, WantStatus: 409},
		{Name: "nobody deletes themselves", Client: admin, Method: "DELETE", Path: base + adminID, WantStatus: 409, WantCode: "cannot_delete_self"},
		{Name: "superuser grants admin", Client: root, Method: "PATCH", Path: base + userID, Request: patch(map[string]string{"role": "admin"}), WantStatus: 200, WantContains: []string{`"role":"admin"`}},
		{Name: "new role applies at once", Client: user, Method: "GET", Path: "/api/v1/admin/users", WantStatus: 200},
		{Name: "superuser demotes again", Client: root, Method: "PATCH", Path: base + userID, Request: patch(map[string]string{"role": "user"}), WantStatus: 200},
		{Name: "demotion applies at once", Client: user, Method: "GET", Path: "/api/v1/admin/users", WantStatus: 403},
		// Suspension ends sessions at once.
		{Name: "victim is signed in", Client: victim, Method: "GET", Path: "/api/v1/auth/validate", WantStatus: 200},
		{Name: "admin suspends", Client: admin, Method: "PATCH", Path: base + victimID, Request: patch(map[string]string{"status": "suspended"}), WantStatus: 200, WantContains: []string{`"status":"suspended"`}},
		{Name: "victim's token refused", Client: victim, Method: "GET", Path: "/api/v1/auth/validate", WantStatus: 401},
		{Name: "victim cannot refresh", Client: victim, Method: "POST", Path: "/api/v1/auth/refresh", WantStatus: 401},
		{Name: "victim cannot log in", Client: srv.Client(t), Method: "POST", Path: "/api/v1/auth/jwt/login", Request: login(victim.Email, servertest.Password), WantStatus: 403, WantCode: "account_suspended"},
		// Deletion cascades.
		{Name: "admin deletes a user", Client: admin, Method: "DELETE", Path: base + victimID, WantStatus: 204},
		{Name: "gone", Client: admin, Method: "DELETE", Path: base + victimID, WantStatus: 404},
		{Name: "admin cannot delete a superuser", Client: admin, Method: "DELETE", Path: base + rootID, WantStatus: 403},
		// Audit.
		{Name: "audit lists everyone's events", Client: admin, Method: "GET", Path: "/api/v1/admin/audit?per_page=100", WantStatus: 200,
			WantContains: []string{`"type":"status_change"`, `"reason":"approved"`, `"type":"role_change"`, `"type":"user_delete"`, `"email":"pending@example.com"`, `"type":"register"`}},
	} {
		sc.Run(t, root)
	}
	for _, table := range []string{"refresh_tokens", "registered_devices", "notifications", "security_events", "revoked_tokens"} {
		var n int
		srv.App.Store.DB.QueryRow("SELECT COUNT(*) FROM "+table+" WHERE user_id = ?", victimID).Scan(&n)
		if n != 0 {
			t.Errorf("%s keeps %d rows of the deleted user", table, n)
		}
	}
}

// With two superusers one may be demoted; then the other is the last.
func TestLastSuperuser(t *testing.T) {
	srv := servertest.Start(t)
	root := srv.Superuser(t)
	second := srv.User(t, "superuser")
	sid := userID(t, second)
	if res := root.Patch("/api/v1/admin/users/"+sid, map[string]string{"role": "admin"}); res.Status != 200 {
		t.Fatal(res)
	}
	if res := second.Patch("/api/v1/admin/users/1", map[string]string{"role": "user"}); res.Status != 403 {
		t.Fatalf("an admin demoted the superuser: %s", res)
	}
	if res := root.Patch("/api/v1/admin/users/1", map[string]string{"role": "admin"}); res.Status != 409 || !strings.Contains(string(res.Body), "last_superuser") {
		t.Fatalf("last superuser demoted: %s", res)
	}
}
