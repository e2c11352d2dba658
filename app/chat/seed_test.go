package chat

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aiwfe/aiwfe/app/auth"
	"github.com/aiwfe/aiwfe/app/llm"
	"github.com/aiwfe/aiwfe/store"
)

// fakeAccounts creates users straight in the store.
type fakeAccounts struct {
	st     *store.Store
	resets int
}

func (f *fakeAccounts) CreateUser(ctx context.Context, email, password, role string) (*auth.UserView, error) {
	u, err := store.CreateUser(ctx, f.st.DB, store.NewUser{Email: email, PasswordHash: "hash:" + password, Role: role, Status: "active"}, time.Now())
	if err != nil {
		return nil, err
	}
	return &auth.UserView{ID: u.ID, Email: u.Email, Role: u.Role}, nil
}

func (f *fakeAccounts) ResetPassword(ctx context.Context, email, password string) error {
	f.resets++
	u, err := store.UserByEmail(ctx, f.st.DB, email)
	if err != nil {
		return err
	}
	_, err = f.st.DB.Exec("UPDATE users SET password_hash = ? WHERE id = ?", "hash:"+password, u.ID)
	return err
}

func TestSeedDemoIsIdempotent(t *testing.T) {
	f := newFixtureWith(t, llm.NewDemo(time.Millisecond))
	acc := &fakeAccounts{st: f.st}
	dir := t.TempDir()
	ctx := context.Background()

	c1, err := SeedDemo(ctx, f.svc, acc, dir)
	if err != nil {
		t.Fatal(err)
	}
	if !c1.Created || c1.Email != DemoEmail || len(c1.Password) < 16 {
		t.Fatalf("first start: %+v", c1)
	}
	u, _ := store.UserByEmail(ctx, f.st.DB, DemoEmail)
	if u.Role != "admin" || u.PasswordHash != "hash:"+c1.Password {
		t.Fatalf("account %+v", u)
	}
	page, _ := f.svc.Conversations(ctx, u.ID, "", 1, 20)
	if page.Total != len(demoPrompts) {
		t.Fatalf("%d conversations", page.Total)
	}
	// Seeded at full speed: the replies carry no timing (it would read as
	// hundreds of thousands of tokens a second) and name the demo model.
	var timed, misnamed int
	f.st.DB.QueryRow(`SELECT COUNT(*) FROM messages WHERE role = 'assistant' AND timing NOT IN ('', '{}')`).Scan(&timed)
	f.st.DB.QueryRow(`SELECT COUNT(*) FROM messages WHERE role = 'assistant' AND model != ?`, llm.DemoModel).Scan(&misnamed)
	if timed != 0 || misnamed != 0 {
		t.Fatalf("%d seeded replies with timings, %d not labelled %s", timed, misnamed, llm.DemoModel)
	}
	for _, c := range page.Items {
		msgs, _ := f.svc.Messages(ctx, u.ID, c.ID, 0, 10)
		if len(msgs.Items) != 2 || !msgs.Items[1].Demo || msgs.Items[1].Status != store.MessageComplete || !strings.Contains(msgs.Items[1].Content, "demo model") {
			t.Fatalf("conversation %q: %+v", c.Title, msgs.Items)
		}
	}

	// A restart prints the same password and seeds nothing new, even
	// after the user deleted a conversation.
	f.svc.DeleteConversation(ctx, u.ID, page.Items[0].ID)
	c2, err := SeedDemo(ctx, f.svc, acc, dir)
	if err != nil || c2.Created || c2.Password != c1.Password || acc.resets != 0 {
		t.Fatalf("restart: %+v %v", c2, err)
	}
	if n, _ := store.CountConversations(ctx, f.st.DB, u.ID); n != len(demoPrompts)-1 {
		t.Fatalf("%d conversations after restart", n)
	}

	// Without the credentials file a new password is set and kept.
	os.Remove(filepath.Join(dir, demoCredentialsFile))
	c3, err := SeedDemo(ctx, f.svc, acc, dir)
	if err != nil || c3.Password == c1.Password || acc.resets != 1 {
		t.Fatalf("lost file: %+v %v", c3, err)
	}
	raw, _ := os.ReadFile(filepath.Join(dir, demoCredentialsFile))
	if strings.TrimSpace(string(raw)) != c3.Password {
		t.Fatal("new password not kept")
	}
}
