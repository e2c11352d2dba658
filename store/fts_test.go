package store

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"testing"
	"time"
)

// ftsCheck runs FTS5's integrity check on the index and, when no message
// is pending, the one that also compares it with the messages' content
// (rank 1), which catches an entry left for a deleted row, a stale text,
// or a 'delete' given text that was never indexed.
func ftsCheck(t *testing.T, q Querier) {
	t.Helper()
	if _, err := q.ExecContext(context.Background(), "INSERT INTO messages_fts(messages_fts) VALUES('integrity-check')"); err != nil {
		t.Fatalf("messages_fts integrity-check: %v", err)
	}
	if pendingCount(t, q) > 0 {
		return
	}
	if _, err := q.ExecContext(context.Background(), "INSERT INTO messages_fts(messages_fts, rank) VALUES('integrity-check', 1)"); err != nil {
		t.Fatalf("messages_fts integrity-check against the content: %v", err)
	}
}

func pendingCount(t *testing.T, q Querier) int {
	t.Helper()
	var n int
	if err := q.QueryRowContext(context.Background(), "SELECT COUNT(*) FROM messages WHERE fts_indexed = 0").Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// rawMatches counts the index's matches for an FTS5 query, without
// indexing what is pending first (as the search functions do).
func rawMatches(t *testing.T, q Querier, match string) int {
	t.Helper()
	var n int
	if err := q.QueryRowContext(context.Background(), "SELECT COUNT(*) FROM messages_fts WHERE messages_fts MATCH ?", match).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func ftsFixture(t *testing.T) (*Store, int64, *Conversation) {
	t.Helper()
	s := openTemp(t)
	u := chatUser(t, s, "fts@example.test")
	c := &Conversation{UserID: u, Mode: "general"}
	if err := CreateConversation(context.Background(), s.DB, c, time.Now()); err != nil {
		t.Fatal(err)
	}
	return s, u, c
}

func TestWritesLeaveIndexingToIndexPendingMessages(t *testing.T) {
	ctx := context.Background()
	s, u, c := ftsFixture(t)
	m := &Message{ConversationID: c.ID, Role: "user", Content: "platypus venom"}
	if err := InsertMessage(ctx, s.DB, u, m, time.Now()); err != nil {
		t.Fatal(err)
	}
	if n := rawMatches(t, s.DB, "platypus"); n != 0 || pendingCount(t, s.DB) != 1 {
		t.Fatalf("the insert indexed the message (%d matches)", n)
	}
	if n, err := IndexPendingMessages(ctx, s.DB); err != nil || n != 1 {
		t.Fatalf("IndexPendingMessages = %d, %v", n, err)
	}
	if n := rawMatches(t, s.DB, "platypus"); n != 1 || pendingCount(t, s.DB) != 0 {
		t.Fatalf("after indexing: %d matches, %d pending", n, pendingCount(t, s.DB))
	}
	if n, err := IndexPendingMessages(ctx, s.DB); err != nil || n != 0 {
		t.Fatalf("nothing pending: IndexPendingMessages = %d, %v", n, err)
	}
	ftsCheck(t, s.DB)
}

func TestMessageDeletedBeforeIndexingKeepsIndexConsistent(t *testing.T) {
	ctx := context.Background()
	s, u, c := ftsFixture(t)
	kept := &Message{ConversationID: c.ID, Role: "user", Content: "kept wombat"}
	gone := &Message{ConversationID: c.ID, Role: "assistant", Content: "vanished wombat"}
	for _, m := range []*Message{kept, gone} {
		if err := InsertMessage(ctx, s.DB, u, m, time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	if err := DeleteMessage(ctx, s.DB, u, gone.ID); err != nil {
		t.Fatal(err)
	}
	ftsCheck(t, s.DB)
	hits, err := SearchMessages(ctx, s.DB, u, "wombat", 10, 0)
	if err != nil || len(hits) != 1 || hits[0].ID != kept.ID {
		t.Fatalf("search: %+v %v", hits, err)
	}
	ftsCheck(t, s.DB)
	// Deleting the indexed one removes its entry; deleting a conversation
	// with indexed and unindexed messages does too.
	if err := DeleteMessage(ctx, s.DB, u, kept.ID); err != nil {
		t.Fatal(err)
	}
	ftsCheck(t, s.DB)
	if n := rawMatches(t, s.DB, "wombat"); n != 0 {
		t.Fatalf("%d matches left after deleting", n)
	}
	for i, content := range []string{"indexed quokka", "unindexed quokka"} {
		if err := InsertMessage(ctx, s.DB, u, &Message{ConversationID: c.ID, Role: "user", Content: content}, time.Now()); err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			if _, err := IndexPendingMessages(ctx, s.DB); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := DeleteConversation(ctx, s.DB, u, c.ID); err != nil {
		t.Fatal(err)
	}
	ftsCheck(t, s.DB)
	if n := rawMatches(t, s.DB, "quokka"); n != 0 {
		t.Fatalf("%d matches left after deleting the conversation", n)
	}
}

func TestUpdatedMessageIsReindexedWithTheNewTextOnly(t *testing.T) {
	ctx := context.Background()
	s, u, c := ftsFixture(t)
	m := &Message{ConversationID: c.ID, Role: "assistant", Content: "original aardvark", Status: MessagePartial}
	if err := InsertMessage(ctx, s.DB, u, m, time.Now()); err != nil {
		t.Fatal(err)
	}
	if _, err := IndexPendingMessages(ctx, s.DB); err != nil {
		t.Fatal(err)
	}
	m.Content, m.Status = "replacement pangolin", MessageComplete
	if err := FinishMessage(ctx, s.DB, u, m); err != nil {
		t.Fatal(err)
	}
	// The old entry went with the update; the new text waits for indexing.
	ftsCheck(t, s.DB)
	if a, p := rawMatches(t, s.DB, "aardvark"), pendingCount(t, s.DB); a != 0 || p != 1 {
		t.Fatalf("after the update: %d old matches, %d pending", a, p)
	}
	if hits, err := SearchMessages(ctx, s.DB, u, "pangolin", 10, 0); err != nil || len(hits) != 1 || hits[0].ID != m.ID {
		t.Fatalf("search new text: %+v %v", hits, err)
	}
	if hits, err := SearchMessages(ctx, s.DB, u, "aardvark", 10, 0); err != nil || len(hits) != 0 {
		t.Fatalf("search old text: %+v %v", hits, err)
	}
	// Updating a row not indexed yet leaves it pending, with no entry.
	m.Content = "third okapi"
	if err := FinishMessage(ctx, s.DB, u, m); err != nil {
		t.Fatal(err)
	}
	m.Content = "fourth tapir"
	if err := FinishMessage(ctx, s.DB, u, m); err != nil {
		t.Fatal(err)
	}
	ftsCheck(t, s.DB)
	list, total, err := ListConversations(ctx, s.DB, u, ConversationFilter{Query: "tapir"})
	if err != nil || total != 1 || len(list) != 1 || list[0].Snippet == "" {
		t.Fatalf("list by new text: %+v %d %v", list, total, err)
	}
	for _, old := range []string{"pangolin", "okapi", "aardvark"} {
		if n := rawMatches(t, s.DB, old); n != 0 {
			t.Fatalf("%q still matches %d", old, n)
		}
	}
	// Other columns change without touching the index.
	if _, err := s.DB.ExecContext(ctx, "UPDATE messages SET status = 'partial' WHERE id = ?", m.ID); err != nil {
		t.Fatal(err)
	}
	if p := pendingCount(t, s.DB); p != 0 {
		t.Fatalf("a status change made the row pending")
	}
	ftsCheck(t, s.DB)
}

// A crash between a write and its indexing leaves rows with fts_indexed =
// 0; the next run indexes them, in batches.
func TestPendingRowsAreIndexedAfterARestart(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "aiwfe.db")
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	u := chatUser(t, s, "crash@example.test")
	c := &Conversation{UserID: u, Mode: "general"}
	if err := CreateConversation(ctx, s.DB, c, time.Now()); err != nil {
		t.Fatal(err)
	}
	const rows = ftsBatch*2 + 7
	err = s.WithTx(ctx, func(tx *sql.Tx) error {
		for i := range rows {
			if err := InsertMessage(ctx, tx, u, &Message{ConversationID: c.ID, Role: "user", Content: fmt.Sprintf("row%d capybara", i)}, time.Now()); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	s.Close() // the process ends before any indexing

	s, err = Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if p := pendingCount(t, s.DB); p != rows {
		t.Fatalf("%d pending after the restart, want %d", p, rows)
	}
	if n, err := IndexPendingMessages(ctx, s.DB); err != nil || n != rows {
		t.Fatalf("IndexPendingMessages = %d, %v; want %d", n, err, rows)
	}
	if n := rawMatches(t, s.DB, "capybara"); n != rows || pendingCount(t, s.DB) != 0 {
		t.Fatalf("%d matches, %d pending", n, pendingCount(t, s.DB))
	}
	if n := rawMatches(t, s.DB, fmt.Sprint("row", rows-1)); n != 1 {
		t.Fatalf("last row: %d matches", n)
	}
	ftsCheck(t, s.DB)
}

// Searching inside a transaction indexes what is pending in it first,
// including the transaction's own writes.
func TestSearchInsideATransactionIndexesFirst(t *testing.T) {
	ctx := context.Background()
	s, u, c := ftsFixture(t)
	err := s.WithTx(ctx, func(tx *sql.Tx) error {
		if err := InsertMessage(ctx, tx, u, &Message{ConversationID: c.ID, Role: "user", Content: "narwhal tusk"}, time.Now()); err != nil {
			return err
		}
		hits, err := SearchMessages(ctx, tx, u, "narwhal", 10, 0)
		if err != nil || len(hits) != 1 {
			return fmt.Errorf("search in tx: %+v %v", hits, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if p := pendingCount(t, s.DB); p != 0 {
		t.Fatalf("%d pending", p)
	}
	ftsCheck(t, s.DB)
}

// Upgrading a database whose messages the old triggers indexed marks them
// indexed and keeps them searchable, with no second entry.
func TestMigrationKeepsExistingMessagesIndexed(t *testing.T) {
	ctx := context.Background()
	s, err := Open(filepath.Join(t.TempDir(), "aiwfe.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ms, err := Migrations()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.DB.ExecContext(ctx, `CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	for _, m := range ms {
		if m.Version >= 6 {
			break
		}
		if _, err := s.DB.ExecContext(ctx, m.SQL); err != nil {
			t.Fatalf("%d: %v", m.Version, err)
		}
		if _, err := s.DB.ExecContext(ctx, "INSERT INTO schema_migrations VALUES(?, ?, 'x')", m.Version, m.Name); err != nil {
			t.Fatal(err)
		}
	}
	u := chatUser(t, s, "old@example.test")
	if _, err := s.DB.ExecContext(ctx, `INSERT INTO conversations(id, user_id, created_at, updated_at) VALUES (1, ?, 'x', 'x');
		INSERT INTO messages(conversation_id, role, content, created_at) VALUES (1, 'user', 'legacy ibex', 'x'), (1, 'assistant', 'legacy yak', 'x')`, u); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if p := pendingCount(t, s.DB); p != 0 {
		t.Fatalf("%d pending after the migration", p)
	}
	ftsCheck(t, s.DB)
	if hits, err := SearchMessages(ctx, s.DB, u, "legacy", 10, 0); err != nil || len(hits) != 2 {
		t.Fatalf("search: %+v %v", hits, err)
	}
	if _, err := s.DB.ExecContext(ctx, "DELETE FROM messages WHERE content = 'legacy yak'"); err != nil {
		t.Fatal(err)
	}
	ftsCheck(t, s.DB)
	if n := rawMatches(t, s.DB, "legacy"); n != 1 {
		t.Fatalf("%d matches after deleting one", n)
	}
}

// What a person types is never FTS5 syntax: quotes, operators and control
// characters — a NUL, which ends an FTS5 query string early — search as
// text or separate words, and never make the query fail.
func TestSearchTakesAnyTypedText(t *testing.T) {
	ctx := context.Background()
	s, u, c := ftsFixture(t)
	if err := InsertMessage(ctx, s.DB, u, &Message{ConversationID: c.ID, Role: "user", Content: "echidna spines"}, time.Now()); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		q    string
		hits int
	}{
		{"echidna", 1},
		{"\x00", 0},
		{"echidna\x00", 1},
		{"echi\x00spines", 0}, // two words: "echi" and the prefix "spines"
		{"echidna\x00spi", 1},
		{`"unbalanced`, 0},
		{"NEAR( AND OR", 0},
		{"\x01\x7f", 0},
	} {
		hits, err := SearchMessages(ctx, s.DB, u, tc.q, 10, 0)
		if err != nil || len(hits) != tc.hits {
			t.Errorf("SearchMessages(%q) = %d hits, %v; want %d", tc.q, len(hits), err, tc.hits)
		}
		list, total, err := ListConversations(ctx, s.DB, u, ConversationFilter{Query: tc.q})
		if err != nil || total != len(list) {
			t.Errorf("ListConversations(%q) = %d of %d, %v", tc.q, len(list), total, err)
		}
	}
}
