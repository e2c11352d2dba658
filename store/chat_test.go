package store

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"
)

func chatUser(t *testing.T, s *Store, email string) int64 {
	t.Helper()
	u, err := CreateUser(context.Background(), s.DB, NewUser{Email: email, PasswordHash: "x", Role: "user", Status: "active"}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return u.ID
}

func TestConversationsAreScopedToTheirUser(t *testing.T) {
	ctx := context.Background()
	s := openTemp(t)
	alice, bob := chatUser(t, s, "alice@example.test"), chatUser(t, s, "bob@example.test")
	now := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)

	c := &Conversation{UserID: alice, Title: "Plans", Mode: "general", Model: "m"}
	if err := CreateConversation(ctx, s.DB, c, now); err != nil {
		t.Fatal(err)
	}
	m := &Message{ConversationID: c.ID, Role: "user", Content: "the quick brown fox jumps"}
	if err := InsertMessage(ctx, s.DB, alice, m, now.Add(time.Second)); err != nil {
		t.Fatal(err)
	}

	// Bob sees nothing of Alice's and can change nothing.
	if _, err := GetConversation(ctx, s.DB, bob, c.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("bob get: %v", err)
	}
	if err := InsertMessage(ctx, s.DB, bob, &Message{ConversationID: c.ID, Role: "user", Content: "x"}, now); !errors.Is(err, ErrNotFound) {
		t.Errorf("bob insert: %v", err)
	}
	title := "mine"
	if err := UpdateConversation(ctx, s.DB, bob, c.ID, ConversationUpdate{Title: &title}); !errors.Is(err, ErrNotFound) {
		t.Errorf("bob update: %v", err)
	}
	if err := DeleteConversation(ctx, s.DB, bob, c.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("bob delete: %v", err)
	}
	if err := DeleteMessage(ctx, s.DB, bob, m.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("bob delete message: %v", err)
	}
	if _, err := GetMessage(ctx, s.DB, bob, m.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("bob get message: %v", err)
	}
	if msgs, _, err := ListMessages(ctx, s.DB, bob, c.ID, 0, 10); err != nil || len(msgs) != 0 {
		t.Errorf("bob list messages: %v %v", msgs, err)
	}
	if hits, err := SearchMessages(ctx, s.DB, bob, "fox", 10, 0); err != nil || len(hits) != 0 {
		t.Errorf("bob search: %v %v", hits, err)
	}
	if list, total, err := ListConversations(ctx, s.DB, bob, ConversationFilter{Query: "fox"}); err != nil || total != 0 || len(list) != 0 {
		t.Errorf("bob list: %v %d %v", list, total, err)
	}

	// Alice sees hers.
	got, err := GetConversation(ctx, s.DB, alice, c.ID)
	if err != nil || got.Title != "Plans" || got.MessageCount != 1 || !got.UpdatedAt.Equal(now.Add(time.Second)) {
		t.Fatalf("alice get: %+v %v", got, err)
	}
	hits, err := SearchMessages(ctx, s.DB, alice, "quick fo", 10, 0)
	if err != nil || len(hits) != 1 || hits[0].ID != m.ID || hits[0].ConversationTitle != "Plans" {
		t.Fatalf("alice search: %+v %v", hits, err)
	}
	list, total, err := ListConversations(ctx, s.DB, alice, ConversationFilter{Query: "brown"})
	if err != nil || total != 1 || len(list) != 1 || list[0].Snippet == "" {
		t.Fatalf("alice list q: %+v %d %v", list, total, err)
	}

	// Deleting the conversation takes its messages and index entries along.
	if err := DeleteConversation(ctx, s.DB, alice, c.ID); err != nil {
		t.Fatal(err)
	}
	if hits, _ := SearchMessages(ctx, s.DB, alice, "fox", 10, 0); len(hits) != 0 {
		t.Errorf("index kept a deleted message: %+v", hits)
	}
	var n int
	s.DB.QueryRow("SELECT COUNT(*) FROM messages").Scan(&n)
	if n != 0 {
		t.Errorf("%d messages left", n)
	}
}

func TestFullTextIndexFollowsUpdates(t *testing.T) {
	ctx := context.Background()
	s := openTemp(t)
	u := chatUser(t, s, "a@example.test")
	c := &Conversation{UserID: u, Mode: "general"}
	now := time.Now()
	if err := CreateConversation(ctx, s.DB, c, now); err != nil {
		t.Fatal(err)
	}
	m := &Message{ConversationID: c.ID, Role: "assistant", Status: MessagePartial}
	if err := InsertMessage(ctx, s.DB, u, m, now); err != nil {
		t.Fatal(err)
	}
	m.Content, m.Status, m.Timing = "zebra crossing", MessageComplete, []byte(`{"total_ms":3}`)
	if err := FinishMessage(ctx, s.DB, u, m); err != nil {
		t.Fatal(err)
	}
	hits, err := SearchMessages(ctx, s.DB, u, "zebra", 10, 0)
	if err != nil || len(hits) != 1 || string(hits[0].Timing) != `{"total_ms":3}` || hits[0].Status != MessageComplete {
		t.Fatalf("search after finish: %+v %v", hits, err)
	}
	// Queries that would be FTS5 syntax errors are taken literally.
	for _, q := range []string{`"`, `AND`, `a OR`, `(x`, `NEAR(`, `*`, `-`, `.`, `'`, `col:zebra`} {
		if _, err := SearchMessages(ctx, s.DB, u, q, 10, 0); err != nil {
			t.Errorf("query %q: %v", q, err)
		}
		if _, _, err := ListConversations(ctx, s.DB, u, ConversationFilter{Query: q}); err != nil {
			t.Errorf("list query %q: %v", q, err)
		}
	}
}

func TestListMessagesPagesBackwards(t *testing.T) {
	ctx := context.Background()
	s := openTemp(t)
	u := chatUser(t, s, "a@example.test")
	c := &Conversation{UserID: u, Mode: "general"}
	now := time.Now()
	CreateConversation(ctx, s.DB, c, now)
	var ids []int64
	for i := range 7 {
		m := &Message{ConversationID: c.ID, Role: "user", Content: fmt.Sprint("m", i)}
		if err := InsertMessage(ctx, s.DB, u, m, now); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, m.ID)
	}
	page, more, err := ListMessages(ctx, s.DB, u, c.ID, 0, 3)
	if err != nil || !more || len(page) != 3 || page[0].ID != ids[4] || page[2].ID != ids[6] {
		t.Fatalf("page 1: %v %v", more, err)
	}
	page, more, _ = ListMessages(ctx, s.DB, u, c.ID, page[0].ID, 3)
	if more != true || page[0].ID != ids[1] {
		t.Fatalf("page 2 wrong")
	}
	page, more, _ = ListMessages(ctx, s.DB, u, c.ID, page[0].ID, 3)
	if more || len(page) != 1 || page[0].ID != ids[0] {
		t.Fatalf("page 3 wrong: %d %v", len(page), more)
	}
}

func TestConversationOrderAndPaging(t *testing.T) {
	ctx := context.Background()
	s := openTemp(t)
	u := chatUser(t, s, "a@example.test")
	base := time.Now()
	var cs []*Conversation
	for i := range 5 {
		c := &Conversation{UserID: u, Title: fmt.Sprint("c", i), Mode: "general"}
		CreateConversation(ctx, s.DB, c, base.Add(time.Duration(i)*time.Second))
		cs = append(cs, c)
	}
	pin := true
	if err := UpdateConversation(ctx, s.DB, u, cs[1].ID, ConversationUpdate{Pinned: &pin}); err != nil {
		t.Fatal(err)
	}
	list, total, err := ListConversations(ctx, s.DB, u, ConversationFilter{Limit: 2})
	if err != nil || total != 5 || len(list) != 2 || list[0].ID != cs[1].ID || list[1].ID != cs[4].ID {
		t.Fatalf("order: %v %d", err, total)
	}
	list, _, _ = ListConversations(ctx, s.DB, u, ConversationFilter{Limit: 2, Offset: 4})
	if len(list) != 1 || list[0].ID != cs[0].ID {
		t.Fatalf("last page wrong")
	}
	list, total, _ = ListConversations(ctx, s.DB, u, ConversationFilter{Query: "c3"})
	if total != 1 || list[0].ID != cs[3].ID {
		t.Fatalf("title match: %d", total)
	}
}

func TestChatModes(t *testing.T) {
	ctx := context.Background()
	s := openTemp(t)
	a, b := chatUser(t, s, "a@example.test"), chatUser(t, s, "b@example.test")
	m := &ChatMode{UserID: a, Key: "poet", Name: "Poet", ModelKey: "chat_model", SystemPrompt: "rhyme"}
	if err := CreateChatMode(ctx, s.DB, m, time.Now()); err != nil {
		t.Fatal(err)
	}
	if err := CreateChatMode(ctx, s.DB, &ChatMode{UserID: a, Key: "poet", Name: "x", ModelKey: "chat_model"}, time.Now()); !errors.Is(err, ErrDuplicate) {
		t.Errorf("duplicate: %v", err)
	}
	// The same key for another user is fine.
	if err := CreateChatMode(ctx, s.DB, &ChatMode{UserID: b, Key: "poet", Name: "x", ModelKey: "chat_model"}, time.Now()); err != nil {
		t.Error(err)
	}
	if _, err := GetChatMode(ctx, s.DB, b, "nope"); !errors.Is(err, ErrNotFound) {
		t.Errorf("missing: %v", err)
	}
	if err := DeleteChatMode(ctx, s.DB, b, "poet"); err != nil {
		t.Fatal(err)
	}
	list, err := ListChatModes(ctx, s.DB, a)
	if err != nil || len(list) != 1 || list[0].SystemPrompt != "rhyme" {
		t.Fatalf("a's modes: %+v %v", list, err)
	}
}
