package certs_test

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/aiwfe/aiwfe/app"
	"github.com/aiwfe/aiwfe/app/apperr"
	"github.com/aiwfe/aiwfe/app/auth"
	"github.com/aiwfe/aiwfe/app/certs"
	"github.com/aiwfe/aiwfe/app/server/servertest"
)

// events lists the audit entries of the client CA: type, user, actor,
// device name and reason.
func events(t *testing.T, a *app.App) [][5]string {
	t.Helper()
	rows, err := a.Store.DB.Query(`SELECT type, COALESCE(user_id, 0), COALESCE(actor_id, 0), device_name, reason
		FROM security_events WHERE type LIKE 'cert_%' ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out [][5]string
	for rows.Next() {
		var e [5]string
		rows.Scan(&e[0], &e[1], &e[2], &e[3], &e[4])
		out = append(out, e)
	}
	return out
}

// The service the admin endpoints and the CLI share: the same checks, the
// same audit, told apart by the actor.
func TestIssueRevokeAudit(t *testing.T) {
	ctx := context.Background()
	a := servertest.OpenApp(t)
	owner, err := a.Auth.CreateUser(ctx, "owner@example.com", "a long enough passphrase", "user")
	if err != nil {
		t.Fatal(err)
	}
	boss, err := a.Auth.CreateUser(ctx, "boss@example.com", "a long enough passphrase", "admin")
	if err != nil {
		t.Fatal(err)
	}
	admin := &auth.Principal{UserID: boss.ID, Role: "admin"}
	web := auth.Client{IP: "192.0.2.7", UserAgent: "Mozilla/5.0 (X11; Linux x86_64) Firefox/130.0"}

	for _, tc := range []struct {
		name  string
		req   certs.IssueRequest
		field string
	}{
		{"no name", certs.IssueRequest{Name: "  "}, "name"},
		{"control character", certs.IssueRequest{Name: "a\x07b"}, "name"},
		{"long name", certs.IssueRequest{Name: strings.Repeat("n", certs.MaxNameLen+1)}, "name"},
		{"negative days", certs.IssueRequest{Name: "x", Days: -1}, "days"},
		{"too many days", certs.IssueRequest{Name: "x", Days: certs.MaxDays + 1}, "days"},
		{"negative user", certs.IssueRequest{Name: "x", UserID: -1}, "user_id"},
		{"unknown user", certs.IssueRequest{Name: "x", UserID: 12345}, "user_id"},
	} {
		_, err := a.Certs.Issue(ctx, admin, web, tc.req)
		if e := apperr.From(err); e.Status != 400 || e.Field != tc.field {
			t.Errorf("%s: %v, want 400 naming %s", tc.name, err, tc.field)
		}
	}

	web1, err := a.Certs.Issue(ctx, admin, web, certs.IssueRequest{Name: "anna phone", Days: 5, UserID: owner.ID})
	if err != nil {
		t.Fatal(err)
	}
	if web1.UserID == nil || *web1.UserID != owner.ID || web1.UserEmail != "owner@example.com" || web1.FileBase != "anna_phone" ||
		len(web1.KeyPEM) == 0 || len(web1.P12) == 0 || web1.P12Password == "" || len(web1.CACertPEM) == 0 {
		t.Fatalf("issued: %+v", web1.Cert)
	}
	cli1, err := a.Certs.Issue(ctx, nil, certs.CommandLine, certs.IssueRequest{Name: "kiosk"})
	if err != nil {
		t.Fatal(err)
	}
	if _, was, err := a.Certs.Revoke(ctx, nil, certs.CommandLine, strings.ToUpper(web1.Serial)); err != nil || was {
		t.Fatalf("revoke: was %v, %v", was, err)
	}
	c, was, err := a.Certs.Revoke(ctx, admin, web, web1.Serial)
	if err != nil || !was || !c.Revoked || c.RevokedAt == nil {
		t.Fatalf("revoke again: %+v was %v, %v", c, was, err)
	}
	for _, serial := range []string{"zz", "abc123"} {
		if _, _, err := a.Certs.Revoke(ctx, admin, web, serial); !errors.Is(err, apperr.ErrNotFound) {
			t.Errorf("revoke %q: %v", serial, err)
		}
	}
	list, err := a.Certs.List(ctx)
	if err != nil || len(list) != 2 || !list[0].Revoked || list[1].Revoked || list[1].UserID != nil || list[1].Serial != cli1.Serial {
		t.Fatalf("list: %+v, %v", list, err)
	}

	// One event per change; the owner's certificate is on the owner's
	// record, the admin as actor; the command line names no actor.
	uid, aid := strconv.FormatInt(owner.ID, 10), strconv.FormatInt(admin.UserID, 10)
	want := [][5]string{
		{certs.EventCertIssued, uid, aid, "Firefox on Linux", "serial " + web1.Serial + `, name "anna phone", expires ` + web1.NotAfter.Format("2006-01-02")},
		{certs.EventCertIssued, "0", "0", "command line", "serial " + cli1.Serial + `, name "kiosk", expires ` + cli1.NotAfter.Format("2006-01-02") + " (cli)"},
		{certs.EventCertRevoked, uid, "0", "command line", "serial " + web1.Serial + `, name "anna phone" (cli)`},
	}
	got := events(t, a)
	if len(got) != len(want) {
		t.Fatalf("events %q, want %q", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("event %d = %q, want %q", i, got[i], want[i])
		}
	}
}
