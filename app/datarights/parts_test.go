package datarights_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/aiwfe/aiwfe/app"
	"github.com/aiwfe/aiwfe/app/apperr"
	"github.com/aiwfe/aiwfe/app/auth"
	"github.com/aiwfe/aiwfe/app/datarights"
	"github.com/aiwfe/aiwfe/app/server/servertest"
	"github.com/aiwfe/aiwfe/store"
)

// part is a feature registered the way a real one is: its table, one
// section, and a Delete that may refuse or leave work for after the commit.
type part struct {
	table   string
	key     string
	refuse  error
	log     *[]string
	tableDB *sql.DB // read in after: what the committed database holds
}

func (p part) Tables() map[string]string {
	return map[string]string{p.table: "SELECT COUNT(*) FROM users WHERE id = ? AND ? > 0"}
}

func (p part) Export(_ context.Context, _ *sql.Tx, userID int64, put func(string, any)) error {
	put(p.key, map[string]int64{"user": userID})
	return nil
}

func (p part) Delete(_ context.Context, _ *sql.Tx, userID int64) (func(), error) {
	*p.log = append(*p.log, "delete "+p.key)
	if p.refuse != nil {
		return nil, p.refuse
	}
	return func() {
		var n int
		p.tableDB.QueryRow("SELECT COUNT(*) FROM users WHERE id = ?", userID).Scan(&n)
		*p.log = append(*p.log, "after "+p.key+", users row present: "+map[bool]string{true: "yes", false: "no"}[n > 0])
	}, nil
}

// someone makes a superuser (so the user may leave) and a user, and
// returns the user.
func someone(t *testing.T, a *app.App) *auth.Principal {
	t.Helper()
	ctx := context.Background()
	if _, err := a.Auth.CreateUser(ctx, "root@example.com", servertest.Password, "superuser"); err != nil {
		t.Fatal(err)
	}
	u, err := a.Auth.CreateUser(ctx, "ann@example.com", servertest.Password, "user")
	if err != nil {
		t.Fatal(err)
	}
	return &auth.Principal{UserID: u.ID, Email: u.Email, Role: "user"}
}

// A table claimed by two features is refused at start-up.
func TestRegisterRefusesATableTwice(t *testing.T) {
	a := servertest.OpenApp(t)
	defer func() {
		if r := recover(); r == nil || !strings.Contains(r.(string), "conversations") {
			t.Fatalf("registering conversations again: %v", r)
		}
	}()
	a.DataRights.Register(part{table: "conversations", key: "x", log: new([]string)})
}

// Registered sections follow the built-in ones in registration order; the
// deletion runs every part's Delete in order, then its after-work once the
// users row is gone; a part that refuses keeps everything.
func TestPartsExportAndDelete(t *testing.T) {
	ctx := context.Background()
	a := servertest.OpenApp(t)
	var log []string
	refusal := apperr.Conflict("the documents are still being indexed")
	first := part{table: "first_table", key: "first", log: &log, tableDB: a.Store.DB}
	veto := part{table: "veto_table", key: "veto", log: &log, tableDB: a.Store.DB, refuse: refusal}
	a.DataRights.Register(first, veto)

	p := someone(t, a)

	ar, err := a.DataRights.Export(ctx, p, auth.Client{})
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, s := range ar.Sections {
		keys = append(keys, s.Key)
	}
	want := "user devices sessions security_events notifications conversations chat_modes passkeys client_certificates documents tasks task_categories calendars opportunities opportunity_settings app_passwords caldav_calendar_names first veto"
	if strings.Join(keys, " ") != want {
		t.Errorf("sections %v, want %s", keys, want)
	}
	b, err := ar.JSON()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(b), "{\n  \"format\": \"aiwfe-export\",\n  \"version\": 1,\n  \"exported_at\": ") ||
		strings.Index(string(b), `"first"`) > strings.Index(string(b), `"veto"`) {
		t.Errorf("archive layout:\n%s", b)
	}
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(b, &doc); err != nil || string(doc["first"]) == "" {
		t.Fatalf("archive: %v %s", err, doc["first"])
	}

	err = a.DataRights.DeleteAccount(ctx, p, servertest.Password, datarights.ConfirmDelete, auth.Client{})
	if !errors.Is(err, refusal) {
		t.Fatalf("refused deletion: %v", err)
	}
	if _, err := store.UserByID(ctx, a.Store.DB, p.UserID); err != nil {
		t.Fatalf("a refused deletion removed the account: %v", err)
	}
	if strings.Join(log, "; ") != "delete first; delete veto" {
		t.Errorf("refused: %q (no after-work may run)", log)
	}

	log = nil
	a2 := servertest.OpenApp(t)
	a2.DataRights.Register(part{table: "first_table", key: "first", log: &log, tableDB: a2.Store.DB},
		part{table: "veto_table", key: "veto", log: &log, tableDB: a2.Store.DB})
	p2 := someone(t, a2)
	if err := a2.DataRights.DeleteAccount(ctx, p2, servertest.Password, datarights.ConfirmDelete, auth.Client{}); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(log, "; "); got != "delete first; delete veto; after first, users row present: no; after veto, users row present: no" {
		t.Errorf("deletion: %q", got)
	}
	counts, err := a2.DataRights.CountUserRows(ctx, a2.Store.DB, p2.UserID)
	if err != nil {
		t.Fatal(err)
	}
	for table, n := range counts {
		if n != 0 {
			t.Errorf("%s: %d rows left", table, n)
		}
	}
}
