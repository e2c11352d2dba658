package chat

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/aiwfe/aiwfe/app/hub"
	"github.com/aiwfe/aiwfe/app/llm"
	"github.com/aiwfe/aiwfe/app/llm/llmtest"
	"github.com/aiwfe/aiwfe/store"
)

func ftsState(t *testing.T, st *store.Store, match string) (pending, matches int) {
	t.Helper()
	ctx := context.Background()
	if err := st.DB.QueryRowContext(ctx, "SELECT COUNT(*) FROM messages WHERE fts_indexed = 0").Scan(&pending); err != nil {
		t.Fatal(err)
	}
	if err := st.DB.QueryRowContext(ctx, "SELECT COUNT(*) FROM messages_fts WHERE messages_fts MATCH ?", match).Scan(&matches); err != nil {
		t.Fatal(err)
	}
	return pending, matches
}

// A search right after a reply finds it, whether or not the background
// indexer got to it yet.
func TestSearchFindsAReplyRightAfterItEnds(t *testing.T) {
	f := newFixture(t, llmtest.WithTokens(2000))
	u := f.user(t, "a@example.test", nil)
	ctx := context.Background()
	for i := range 5 {
		r, err := f.svc.Send(ctx, SendRequest{UserID: u, Message: "the anteater question"})
		if err != nil {
			t.Fatal(err)
		}
		hits, err := f.svc.Search(ctx, u, "tok1999", 100, 0)
		if err != nil || len(hits) != i+1 {
			t.Fatalf("send %d: search found %d (%v)", i, len(hits), err)
		}
		found := false
		for _, h := range hits {
			found = found || h.ID == r.Message.ID
		}
		if !found {
			t.Fatalf("send %d: the reply %d is not among the hits", i, r.Message.ID)
		}
		page, err := f.svc.Conversations(ctx, u, "anteater", 1, 100)
		if err != nil || page.Total != i+1 {
			t.Fatalf("send %d: conversations by text: %+v %v", i, page, err)
		}
	}
}

// Sends leave indexing to the service's indexer, which catches up in the
// background.
func TestIndexerIndexesInTheBackground(t *testing.T) {
	f := newFixture(t, llmtest.WithTokens(30))
	u := f.user(t, "a@example.test", nil)
	r, err := f.svc.Send(context.Background(), SendRequest{UserID: u, Message: "echidna spines"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Regenerate(context.Background(), RegenerateRequest{UserID: u, ConversationID: r.ConversationID}); err != nil {
		t.Fatal(err)
	}
	f.svc.Wait()
	if pending, n := ftsState(t, f.st, "tok29"); pending != 0 || n != 1 {
		t.Fatalf("after Wait: %d pending, %d replies indexed", pending, n)
	}
	if pending, n := ftsState(t, f.st, "echidna"); pending != 0 || n != 1 {
		t.Fatalf("after Wait: %d pending, %d user messages indexed", pending, n)
	}
}

// Rows a crash left unindexed are indexed when the next service starts,
// and closing the service ends its indexer.
func TestIndexerCatchesUpAtStartAndStopsOnClose(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(filepath.Join(t.TempDir(), "aiwfe.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	u, err := store.CreateUser(ctx, st.DB, store.NewUser{Email: "a@example.test", PasswordHash: "x", Role: "user", Status: "active"}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	c := &store.Conversation{UserID: u.ID, Mode: "general"}
	if err := store.CreateConversation(ctx, st.DB, c, time.Now()); err != nil {
		t.Fatal(err)
	}
	for _, text := range []string{"left behind by a crash", "also left behind"} {
		if err := store.InsertMessage(ctx, st.DB, u.ID, &store.Message{ConversationID: c.ID, Role: "user", Content: text}, time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	if pending, _ := ftsState(t, st, "behind"); pending != 2 {
		t.Fatalf("%d pending before the start", pending)
	}
	before := runtime.NumGoroutine()
	svc := New(Deps{Store: st, LLM: llm.NewDemo(0), Hub: hub.New(0), Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	svc.Wait()
	if pending, n := ftsState(t, st, "behind"); pending != 0 || n != 2 {
		t.Fatalf("after the start: %d pending, %d indexed", pending, n)
	}
	svc.Close()
	svc.Wait() // returns at once after Close
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if now := runtime.NumGoroutine(); now > before {
		t.Fatalf("goroutines: %d before the service, %d after Close", before, now)
	}
}
