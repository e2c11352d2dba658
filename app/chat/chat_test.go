package chat

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aiwfe/aiwfe/app/apperr"
	"github.com/aiwfe/aiwfe/app/hub"
	"github.com/aiwfe/aiwfe/app/llm"
	"github.com/aiwfe/aiwfe/app/llm/llmtest"
	"github.com/aiwfe/aiwfe/store"
)

type fixture struct {
	svc *Service
	st  *store.Store
	up  *llmtest.OllamaServer
}

func newFixture(t *testing.T, opts ...llmtest.Option) *fixture {
	t.Helper()
	up := llmtest.NewOllama(t, opts...)
	p, err := llm.New(llm.Config{Provider: "ollama", BaseURL: up.URL})
	if err != nil {
		t.Fatal(err)
	}
	f := newFixtureWith(t, p)
	f.up = up
	return f
}

func newFixtureWith(t *testing.T, p llm.Provider) *fixture {
	t.Helper()
	return newFixtureDeps(t, Deps{LLM: p})
}

// newFixtureDeps builds the service on a fresh database from d (its
// Store, Hub and Log are filled in).
func newFixtureDeps(t *testing.T, d Deps) *fixture {
	t.Helper()
	st, err := store.Open(filepath.Join(t.TempDir(), "aiwfe.db"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	d.Store, d.Hub, d.Log = st, hub.New(0), slog.New(slog.NewTextHandler(io.Discard, nil))
	svc := New(d)
	t.Cleanup(func() {
		svc.Close()
		st.Close()
	})
	return &fixture{svc: svc, st: st}
}

func (f *fixture) user(t *testing.T, email string, set map[string]any) int64 {
	t.Helper()
	ctx := context.Background()
	u, err := store.CreateUser(ctx, f.st.DB, store.NewUser{Email: email, PasswordHash: "x", Role: "user", Status: "active"}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if len(set) > 0 {
		if err := store.UpdateUser(ctx, f.st.DB, u.ID, set, time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	return u.ID
}

func code(err error) string {
	if err == nil {
		return ""
	}
	return apperr.From(err).Code
}

func TestSendStreamsPersistsAndTitles(t *testing.T) {
	f := newFixture(t, llmtest.WithTokens(4))
	u := f.user(t, "a@example.test", nil)
	var toks []string
	var start Start
	titled := make(chan string, 1)
	r, err := f.svc.Send(context.Background(), SendRequest{
		UserID: u, Message: "How do I plan a week?",
		Stream: Stream{
			OnStart: func(s Start) error { start = s; return nil },
			OnToken: func(c string) error { toks = append(toks, c); return nil },
			OnTitle: func(id int64, title string) { titled <- title },
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(toks, "") != "tok0 tok1 tok2 tok3 " || len(toks) != 4 {
		t.Fatalf("tokens %q", toks)
	}
	if !start.Created || start.MessageID != r.Message.ID || start.Model != "llama3.2:3b" || start.Mode != "general" {
		t.Fatalf("start %+v", start)
	}
	m := r.Message
	if m.Status != store.MessageComplete || m.Content != "tok0 tok1 tok2 tok3 " || m.CompletionTokens != 4 || r.Stopped || m.Demo {
		t.Fatalf("reply %+v", m)
	}
	got, _ := f.svc.Messages(context.Background(), u, r.ConversationID, 0, 10)
	if len(got.Items) != 2 || got.Items[0].Role != "user" || got.Items[1].Content != m.Content || len(got.Items[1].Timing) == 0 {
		t.Fatalf("stored %+v", got.Items)
	}
	select {
	case title := <-titled:
		if title != "tok0 tok1 tok2 tok3" {
			t.Fatalf("title %q", title)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no title")
	}
	c, _ := f.svc.Conversation(context.Background(), u, r.ConversationID)
	if c.Title != "tok0 tok1 tok2 tok3" {
		t.Fatalf("stored title %q", c.Title)
	}
	// The reply went to the chat model with the mode's system prompt and
	// the message; the title request went to the summary model.
	reqs := f.up.RequestsTo("/api/chat")
	if len(reqs) != 2 {
		t.Fatalf("%d chat requests", len(reqs))
	}
	body := reqs[0].JSON()
	msgs := body["messages"].([]any)
	if len(msgs) != 2 || msgs[0].(map[string]any)["role"] != "system" || msgs[1].(map[string]any)["content"] != "How do I plan a week?" {
		t.Fatalf("sent %v", msgs)
	}

	// A second message carries the history.
	r2, err := f.svc.Send(context.Background(), SendRequest{UserID: u, ConversationID: r.ConversationID, Message: "And next?"})
	if err != nil || r2.ConversationID != r.ConversationID {
		t.Fatal(err)
	}
	msgs = f.up.RequestsTo("/api/chat")[2].JSON()["messages"].([]any)
	if len(msgs) != 4 || msgs[2].(map[string]any)["content"] != "tok0 tok1 tok2 tok3 " {
		t.Fatalf("history %v", msgs)
	}
}

func TestTitleFallsBackWhenSummaryModelFails(t *testing.T) {
	f := newFixture(t)
	u := f.user(t, "a@example.test", map[string]any{"summary_model": "missing-model"})
	titled := make(chan string, 1)
	msg := "Please help me write a thoughtful letter to my landlord about the heating which has been broken for weeks"
	r, err := f.svc.Send(context.Background(), SendRequest{UserID: u, Message: msg, Stream: Stream{OnTitle: func(_ int64, t string) { titled <- t }}})
	if err != nil {
		t.Fatal(err)
	}
	want := "Please help me write a thoughtful letter to my landlord…"
	if got := <-titled; got != want {
		t.Fatalf("title %q, want %q", got, want)
	}
	c, _ := f.svc.Conversation(context.Background(), u, r.ConversationID)
	if c.Title != want {
		t.Fatalf("stored %q", c.Title)
	}
	last := f.up.RequestsTo("/api/chat")
	if last[len(last)-1].JSON()["model"] != "missing-model" {
		t.Fatal("title not asked of the summary model")
	}
}

func TestStopKeepsPartialAndCancelsUpstream(t *testing.T) {
	f := newFixture(t, llmtest.WithTokens(10), llmtest.WithFault(llmtest.Fault{HoldAfter: 2}))
	u := f.user(t, "a@example.test", nil)
	ctx, cancel := context.WithCancel(context.Background())
	n := 0
	r, err := f.svc.Send(ctx, SendRequest{UserID: u, Message: "hi", Stream: Stream{OnToken: func(string) error {
		if n++; n == 2 {
			cancel() // "stop" while the upstream holds the stream open
		}
		return nil
	}}})
	if err != nil {
		t.Fatal(err)
	}
	if !r.Stopped || r.Message.Status != store.MessagePartial || r.Message.Content != "tok0 tok1 " {
		t.Fatalf("reply %+v", r.Message)
	}
	if !f.up.WaitCancelled(5 * time.Second) {
		t.Fatal("upstream request not cancelled")
	}
	m, _ := store.GetMessage(context.Background(), f.st.DB, u, r.Message.ID)
	if m.Status != store.MessagePartial || m.Content != "tok0 tok1 " {
		t.Fatalf("stored %+v", m)
	}
}

func TestRelayFailureStopsUpstream(t *testing.T) {
	f := newFixture(t, llmtest.WithTokens(10), llmtest.WithFault(llmtest.Fault{HoldAfter: 1}))
	u := f.user(t, "a@example.test", nil)
	r, err := f.svc.Send(context.Background(), SendRequest{UserID: u, Message: "hi", Stream: Stream{OnToken: func(string) error {
		return errors.New("socket closed")
	}}})
	if err != nil || !r.Stopped || r.Message.Status != store.MessagePartial {
		t.Fatalf("%v %+v", err, r)
	}
	if !f.up.WaitCancelled(5 * time.Second) {
		t.Fatal("upstream request not cancelled")
	}
}

func TestUpstreamFailures(t *testing.T) {
	for _, tc := range []struct {
		name    string
		fault   llmtest.Fault
		model   string
		code    string
		status  string
		content string
	}{
		{"dropped mid-stream", llmtest.Fault{DropAfter: 2}, "", "llm_unavailable", store.MessagePartial, "tok0 tok1 "},
		{"error mid-stream", llmtest.Fault{ErrorAfter: 3, Message: "out of memory"}, "", "llm_unavailable", store.MessagePartial, "tok0 tok1 tok2 "},
		{"500", llmtest.Fault{Status: 500, Message: "boom"}, "", "llm_unavailable", store.MessageError, ""},
		{"model not found", llmtest.Fault{}, "nope:1b", "model_not_found", store.MessageError, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, llmtest.WithFault(tc.fault))
			u := f.user(t, "a@example.test", nil)
			r, err := f.svc.Send(context.Background(), SendRequest{UserID: u, Model: tc.model, Message: "hi"})
			if code(err) != tc.code {
				t.Fatalf("err %v, want %s", err, tc.code)
			}
			if r == nil || r.Message.Status != tc.status || r.Message.Content != tc.content || r.Message.Error == "" {
				t.Fatalf("reply %+v", r)
			}
			if msg := apperr.From(err).Message; tc.code == "model_not_found" && !strings.Contains(msg, "Settings → Models") {
				t.Errorf("message %q does not say where the model is installed", msg)
			}
			m, _ := store.GetMessage(context.Background(), f.st.DB, u, r.Message.ID)
			if m.Status != tc.status || m.Content != tc.content {
				t.Fatalf("stored %+v", m)
			}
		})
	}
}

func TestUnreachableUpstream(t *testing.T) {
	p, _ := llm.New(llm.Config{Provider: "ollama", BaseURL: "http://127.0.0.1:1", ConnectTimeout: time.Second})
	f := newFixtureWith(t, p)
	u := f.user(t, "a@example.test", nil)
	_, err := f.svc.Send(context.Background(), SendRequest{UserID: u, Message: "hi"})
	if e := apperr.From(err); e.Code != "llm_unavailable" || e.Status != 503 {
		t.Fatalf("%v", err)
	}
}

func TestOtherUsersConversationIsNotFound(t *testing.T) {
	f := newFixture(t)
	a, b := f.user(t, "a@example.test", nil), f.user(t, "b@example.test", nil)
	r, err := f.svc.Send(context.Background(), SendRequest{UserID: a, Message: "secret"})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	_, err = f.svc.Send(ctx, SendRequest{UserID: b, ConversationID: r.ConversationID, Message: "mine now"})
	if !errors.Is(err, apperr.ErrNotFound) {
		t.Errorf("send: %v", err)
	}
	if _, err := f.svc.Regenerate(ctx, RegenerateRequest{UserID: b, ConversationID: r.ConversationID}); !errors.Is(err, apperr.ErrNotFound) {
		t.Errorf("regenerate: %v", err)
	}
	if _, err := f.svc.Messages(ctx, b, r.ConversationID, 0, 10); !errors.Is(err, apperr.ErrNotFound) {
		t.Errorf("messages: %v", err)
	}
	if err := f.svc.DeleteConversation(ctx, b, r.ConversationID); !errors.Is(err, apperr.ErrNotFound) {
		t.Errorf("delete: %v", err)
	}
	if hits, _ := f.svc.Search(ctx, b, "secret", 10, 0); len(hits) != 0 {
		t.Errorf("search found %d", len(hits))
	}
	if hits, _ := f.svc.Search(ctx, a, "secret", 10, 0); len(hits) != 1 {
		t.Errorf("owner search found %d", len(hits))
	}
}

func TestRegenerateReplacesLastReply(t *testing.T) {
	f := newFixture(t, llmtest.WithTokens(2))
	u := f.user(t, "a@example.test", nil)
	ctx := context.Background()
	r, err := f.svc.Send(ctx, SendRequest{UserID: u, Message: "hi"})
	if err != nil {
		t.Fatal(err)
	}
	f.svc.Wait() // the title request
	var toks int
	r2, err := f.svc.Regenerate(ctx, RegenerateRequest{UserID: u, ConversationID: r.ConversationID, Stream: Stream{OnToken: func(string) error { toks++; return nil }}})
	if err != nil || toks != 2 || r2.Message.ID == r.Message.ID {
		t.Fatalf("%v %d", err, toks)
	}
	page, _ := f.svc.Messages(ctx, u, r.ConversationID, 0, 10)
	if len(page.Items) != 2 || page.Items[1].ID != r2.Message.ID {
		t.Fatalf("messages after regenerate: %d", len(page.Items))
	}
	// The model saw the user message only, not the dropped reply.
	reqs := f.up.RequestsTo("/api/chat")
	msgs := reqs[len(reqs)-1].JSON()["messages"].([]any)
	if msgs[len(msgs)-1].(map[string]any)["content"] != "hi" {
		t.Fatalf("regenerate sent %v", msgs)
	}
	// An empty conversation has nothing to regenerate.
	c, _ := f.svc.CreateConversation(ctx, u, NewConversation{})
	if _, err := f.svc.Regenerate(ctx, RegenerateRequest{UserID: u, ConversationID: c.ID}); code(err) != "bad_request" {
		t.Fatalf("empty regenerate: %v", err)
	}
}

func TestModesChooseModelAndPrompt(t *testing.T) {
	f := newFixture(t, llmtest.WithModels("llama3.2:3b", "coder:7b", "poet:1b"))
	u := f.user(t, "a@example.test", map[string]any{
		"coding_model": "coder:7b", "summary_model": "poet:1b",
		"mission_statement": "Build calm software", "personal_goals": "Ship weekly",
	})
	ctx := context.Background()
	last := func() map[string]any { r := f.up.RequestsTo("/api/chat"); return r[len(r)-1].JSON() }

	if _, err := f.svc.Converse(ctx, ConverseRequest{UserID: u, Mode: "coding", Message: "sort a slice"}); err != nil {
		t.Fatal(err)
	}
	body := last()
	sys := body["messages"].([]any)[0].(map[string]any)["content"].(string)
	if body["model"] != "coder:7b" || !strings.Contains(sys, "software engineer") || !strings.Contains(sys, "Build calm software") || !strings.Contains(sys, "Ship weekly") {
		t.Fatalf("coding: model %v, system %q", body["model"], sys)
	}

	// With the profile switched off, it stays out of the prompt.
	store.UpdateUser(ctx, f.st.DB, u, map[string]any{"use_profile_in_chat": false}, time.Now())
	f.svc.Converse(ctx, ConverseRequest{UserID: u, Message: "hello"})
	body = last()
	sys = body["messages"].([]any)[0].(map[string]any)["content"].(string)
	if strings.Contains(sys, "calm") || body["model"] != "llama3.2:3b" {
		t.Fatalf("general without profile: %v %q", body["model"], sys)
	}

	// A user mode uses its assignment and prompt; others cannot use it.
	if _, err := f.svc.CreateMode(ctx, u, Mode{Key: "poet", Name: "Poet", ModelKey: "summary_model", SystemPrompt: "Answer in verse."}); err != nil {
		t.Fatal(err)
	}
	f.svc.Converse(ctx, ConverseRequest{UserID: u, Mode: "poet", Message: "the sea"})
	body = last()
	if body["model"] != "poet:1b" || body["messages"].([]any)[0].(map[string]any)["content"] != "Answer in verse." {
		t.Fatalf("poet: %v", body)
	}
	other := f.user(t, "b@example.test", nil)
	if _, err := f.svc.Converse(ctx, ConverseRequest{UserID: other, Mode: "poet", Message: "x"}); code(err) != "validation_failed" {
		t.Fatalf("other user's mode: %v", err)
	}
	modes, _ := f.svc.Modes(ctx, u)
	if len(modes) != 4+1 { // general, coding, documents, research; the one made here
		t.Fatalf("%d modes", len(modes))
	}
	for _, bad := range []Mode{
		{Key: "general", Name: "x"},
		{Key: "Bad Key", Name: "x"},
		{Key: "ok", Name: ""},
		{Key: "ok", Name: "x", ModelKey: "password_hash"},
		{Key: "poet", Name: "again"},
	} {
		if _, err := f.svc.CreateMode(ctx, u, bad); err == nil {
			t.Errorf("mode %+v accepted", bad)
		}
	}
	if err := f.svc.DeleteMode(ctx, u, "general"); err == nil {
		t.Error("deleted a built-in mode")
	}
	if err := f.svc.DeleteMode(ctx, other, "poet"); !errors.Is(err, apperr.ErrNotFound) {
		t.Errorf("other deletes: %v", err)
	}
	if err := f.svc.DeleteMode(ctx, u, "poet"); err != nil {
		t.Error(err)
	}
	// Converse wrote nothing.
	if n, _ := store.CountConversations(ctx, f.st.DB, u); n != 0 {
		t.Fatalf("converse persisted %d conversations", n)
	}
}

func TestValidation(t *testing.T) {
	f := newFixture(t)
	u := f.user(t, "a@example.test", nil)
	ctx := context.Background()
	for _, msg := range []string{"", "   \n", strings.Repeat("x", MaxMessageChars+1)} {
		if _, err := f.svc.Send(ctx, SendRequest{UserID: u, Message: msg}); code(err) != "validation_failed" {
			t.Errorf("message of %d chars: %v", len(msg), err)
		}
	}
	if _, err := f.svc.Send(ctx, SendRequest{UserID: u, Message: "x", Mode: "nope"}); code(err) != "validation_failed" {
		t.Errorf("unknown mode: %v", err)
	}
	if len(f.up.Requests()) != 0 {
		t.Error("invalid input reached the model")
	}
}

func TestDemoRepliesAreMarked(t *testing.T) {
	f := newFixtureWith(t, llm.NewDemo(0))
	u := f.user(t, "a@example.test", nil)
	titled := make(chan string, 1)
	r, err := f.svc.Send(context.Background(), SendRequest{UserID: u, Message: "Hello there", Stream: Stream{OnTitle: func(_ int64, t string) { titled <- t }}})
	if err != nil {
		t.Fatal(err)
	}
	if !r.Demo || !r.Message.Demo || r.Message.Model != llm.DemoModel || r.Message.Content == "" {
		t.Fatalf("%+v", r.Message)
	}
	if got := <-titled; got != "Hello there" {
		t.Fatalf("demo title %q", got)
	}
}

func TestPullPublishesProgress(t *testing.T) {
	f := newFixture(t, llmtest.WithTokenDelay(time.Millisecond))
	u := f.user(t, "a@example.test", nil)
	sub := f.svc.Hub().Subscribe(u, hub.Progress)
	defer sub.Close()
	if _, err := f.svc.Pull(u, "llama3.2:1b"); err != nil {
		t.Fatal(err)
	}
	var last PullState
	deadline := time.After(10 * time.Second)
	for !last.Done {
		select {
		case ev := <-sub.Events():
			last = ev.Data.(PullState)
		case <-deadline:
			t.Fatal("pull did not finish")
		}
	}
	if last.Status != "success" || last.Error != nil || last.Model != "llama3.2:1b" {
		t.Fatalf("final %+v", last)
	}

	// Unknown model: a clear error on the channel.
	if _, err := f.svc.Pull(u, "no-such-model"); err != nil {
		t.Fatal(err)
	}
	for last = (PullState{}); !last.Done; {
		last = (<-sub.Events()).Data.(PullState)
	}
	if last.Status != "error" || last.Error == nil || last.Error.Code != "model_not_found" || !strings.Contains(last.Error.Message, "registry") {
		t.Fatalf("unknown pull %+v", last)
	}
	if _, err := f.svc.Pull(u, "bad name"); code(err) != "validation_failed" {
		t.Fatalf("bad name: %v", err)
	}
}

func TestOnePullPerModel(t *testing.T) {
	f := newFixture(t, llmtest.WithFault(llmtest.Fault{HoldAfter: 1}))
	u := f.user(t, "a@example.test", nil)
	if _, err := f.svc.Pull(u, "llama3.2:1b"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Pull(u, "llama3.2:1b"); code(err) != "conflict" {
		t.Fatalf("second pull: %v", err)
	}
	f.up.Release()
	f.svc.Wait()
	if _, err := f.svc.Pull(u, "llama3.2:1b"); err != nil {
		t.Fatalf("pull after the first ended: %v", err)
	}
}

func TestPullNotSupported(t *testing.T) {
	f := newFixtureWith(t, llm.NewDemo(0))
	if _, err := f.svc.Pull(1, "x"); code(err) != "not_supported" {
		t.Fatalf("%v", err)
	}
}

func TestFallbackAndCleanTitle(t *testing.T) {
	for in, want := range map[string]string{
		"":            "New conversation",
		"  short\n q": "short q",
	} {
		if got := FallbackTitle(in); got != want {
			t.Errorf("FallbackTitle(%q) = %q", in, got)
		}
	}
	for in, want := range map[string]string{
		"\"Weekly Plan.\"":        "Weekly Plan",
		"Title: **Sea Poems**\nx": "Sea Poems",
		"\n\n# Heading":           "Heading",
	} {
		if got := cleanTitle(in); got != want {
			t.Errorf("cleanTitle(%q) = %q", in, got)
		}
	}
}

func TestConcurrentSends(t *testing.T) {
	f := newFixture(t, llmtest.WithTokens(20))
	u := f.user(t, "a@example.test", nil)
	var wg sync.WaitGroup
	errs := make(chan error, 20)
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := f.svc.Send(context.Background(), SendRequest{UserID: u, Message: "parallel"})
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
}

func TestOptionsAreChecked(t *testing.T) {
	f := newFixture(t)
	u := f.user(t, "a@example.test", nil)
	ctx := context.Background()
	for _, bad := range []map[string]any{
		{"num_ctx": 10_000_000.0},
		{"temperature": "hot"},
		{"use_mmap": true},
		{"stop": []any{1}},
	} {
		if _, err := f.svc.Send(ctx, SendRequest{UserID: u, Message: "x", Options: bad}); code(err) != "validation_failed" {
			t.Errorf("options %v: %v", bad, err)
		}
	}
	if len(f.up.Requests()) != 0 {
		t.Fatal("bad options reached the model")
	}
	good := map[string]any{"temperature": 0.0, "seed": 1.0, "num_predict": 2.0, "stop": []any{"\n"}}
	if _, err := f.svc.Send(ctx, SendRequest{UserID: u, Message: "x", Options: good}); err != nil {
		t.Fatal(err)
	}
	sent := f.up.RequestsTo("/api/chat")[0].JSON()["options"].(map[string]any)
	if sent["seed"] != 1.0 || sent["num_predict"] != 2.0 {
		t.Fatalf("options sent %v", sent)
	}
}

func TestDeletedModeFallsBackToGeneral(t *testing.T) {
	f := newFixture(t)
	u := f.user(t, "a@example.test", nil)
	ctx := context.Background()
	f.svc.CreateMode(ctx, u, Mode{Key: "temp", Name: "Temp"})
	r, err := f.svc.Send(ctx, SendRequest{UserID: u, Mode: "temp", Message: "x"})
	if err != nil {
		t.Fatal(err)
	}
	f.svc.DeleteMode(ctx, u, "temp")
	if _, err := f.svc.Send(ctx, SendRequest{UserID: u, ConversationID: r.ConversationID, Message: "y"}); err != nil {
		t.Fatalf("send after the mode went: %v", err)
	}
	if _, err := f.svc.Regenerate(ctx, RegenerateRequest{UserID: u, ConversationID: r.ConversationID}); err != nil {
		t.Fatalf("regenerate after the mode went: %v", err)
	}
}

func TestUndoOnErrorLeavesNothing(t *testing.T) {
	f := newFixture(t, llmtest.WithTokens(5))
	u := f.user(t, "a@example.test", nil)
	ctx := context.Background()
	r, err := f.svc.Send(ctx, SendRequest{UserID: u, Message: "first"})
	if err != nil {
		t.Fatal(err)
	}
	f.svc.Wait()
	f.up.SetFault(llmtest.Fault{DropAfter: 2})
	if _, err := f.svc.Send(ctx, SendRequest{UserID: u, ConversationID: r.ConversationID, Message: "second", UndoOnError: true}); code(err) != "llm_unavailable" {
		t.Fatalf("%v", err)
	}
	if _, err := f.svc.Send(ctx, SendRequest{UserID: u, Message: "new one", UndoOnError: true}); code(err) != "llm_unavailable" {
		t.Fatalf("%v", err)
	}
	f.svc.Wait()
	if n, _ := store.CountConversations(ctx, f.st.DB, u); n != 1 {
		t.Fatalf("%d conversations", n)
	}
	page, _ := f.svc.Messages(ctx, u, r.ConversationID, 0, 10)
	if len(page.Items) != 2 || page.Items[0].Content != "first" {
		t.Fatalf("messages %+v", page.Items)
	}
}

// The remembered pulls are capped: a pull past the cap waits until one
// finishes, finished ones make room for new ones and are forgotten a
// while after they ended; a user's list holds only their own.
func TestPullsAreCappedAndForgotten(t *testing.T) {
	f := newFixture(t, llmtest.WithPullable("m0", "m1", "m2", "m3"),
		llmtest.WithFault(llmtest.Fault{HoldAfter: 1, Paths: []string{"/api/pull"}}))
	var mu sync.Mutex
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	f.svc.now = func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); defer mu.Unlock(); now = now.Add(d) }
	f.svc.maxPulls, f.svc.pullKeep = 3, time.Hour
	alice, bob := f.user(t, "alice@example.test", nil), f.user(t, "bob@example.test", nil)
	models := func(ps []PullState) []string {
		var out []string
		for _, p := range ps {
			out = append(out, p.Model)
		}
		slices.Sort(out)
		return out
	}

	for _, m := range []string{"m0", "m1", "m2"} {
		advance(time.Second)
		if _, err := f.svc.Pull(alice, m); err != nil {
			t.Fatalf("pull %s: %v", m, err)
		}
	}
	if _, err := f.svc.Pull(bob, "m3"); code(err) != "rate_limited" {
		t.Fatalf("a pull past the cap: %v", err)
	}
	if got := models(f.svc.Pulls(alice)); !slices.Equal(got, []string{"m0", "m1", "m2"}) {
		t.Fatalf("alice's pulls %v", got)
	}
	if got := f.svc.Pulls(bob); len(got) != 0 {
		t.Fatalf("bob sees %v", got)
	}
	if got := models(f.svc.AllPulls()); len(got) != 3 {
		t.Fatalf("all pulls %v", got)
	}

	// Finished, they are kept a while, but make room for a new pull.
	f.up.Release()
	f.svc.Wait()
	if got := f.svc.Pulls(alice); len(got) != 3 || !got[0].Done || got[0].FinishedAt.IsZero() {
		t.Fatalf("finished pulls %+v", got)
	}
	advance(time.Minute)
	if _, err := f.svc.Pull(bob, "m3"); err != nil {
		t.Fatalf("a pull once others finished: %v", err)
	}
	f.svc.Wait()
	if got := models(f.svc.AllPulls()); len(got) != 3 || !slices.Contains(got, "m3") {
		t.Fatalf("all pulls after the fourth %v", got)
	}
	if got := models(f.svc.Pulls(bob)); !slices.Equal(got, []string{"m3"}) {
		t.Fatalf("bob's pulls %v", got)
	}

	// An hour after they ended they are forgotten.
	advance(time.Hour)
	if got := f.svc.AllPulls(); len(got) != 0 {
		t.Fatalf("pulls an hour later %+v", got)
	}
}

// A built-in mode whose feature does not exist yet is hidden: not listed,
// not usable, its key reserved; once the feature is available it is back.
func TestModesWaitForTheirFeature(t *testing.T) {
	f := newFixture(t)
	u := f.user(t, "a@example.test", nil)
	ctx := context.Background()
	keys := func() []string {
		modes, err := f.svc.Modes(ctx, u)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, m := range modes {
			out = append(out, m.Key)
		}
		return out
	}
	// Documents came with retrieval; the interview waits for its profile.
	if got := keys(); !slices.Equal(got, []string{"general", "coding", "documents", "research"}) {
		t.Fatalf("modes %v", got)
	}
	for _, tc := range []struct {
		key     string
		feature Feature
		prompt  string
	}{
		{"interview", FeatureInterviewProfile, "interviewing"},
	} {
		t.Run(tc.key, func(t *testing.T) {
			if _, err := f.svc.Converse(ctx, ConverseRequest{UserID: u, Mode: tc.key, Message: "x"}); code(err) != "validation_failed" {
				t.Fatalf("chat in the hidden mode: %v", err)
			}
			if _, err := f.svc.CreateMode(ctx, u, Mode{Key: tc.key, Name: "Mine"}); code(err) != "conflict" {
				t.Fatalf("own mode under the hidden key: %v", err)
			}
			if err := f.svc.DeleteMode(ctx, u, tc.key); code(err) != "bad_request" {
				t.Fatalf("delete the hidden mode: %v", err)
			}

			available[tc.feature] = true
			defer func() { available[tc.feature] = false }()
			if !slices.Contains(keys(), tc.key) {
				t.Fatalf("%s not listed once %s is available", tc.key, tc.feature)
			}
			if _, err := f.svc.Converse(ctx, ConverseRequest{UserID: u, Mode: tc.key, Message: "x"}); err != nil {
				t.Fatal(err)
			}
			r := f.up.RequestsTo("/api/chat")
			sys := r[len(r)-1].JSON()["messages"].([]any)[0].(map[string]any)["content"].(string)
			if !strings.Contains(sys, tc.prompt) {
				t.Fatalf("system prompt %q", sys)
			}
		})
	}
}
