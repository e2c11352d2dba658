package chat

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aiwfe/aiwfe/app/apperr"
	"github.com/aiwfe/aiwfe/app/llm"
	"github.com/aiwfe/aiwfe/app/llm/llmtest"
	"github.com/aiwfe/aiwfe/store"
)

// memTasks is an in-memory Tasks keeping each user's tasks apart, as the
// tasks service does (another user's task is not found). The tools over
// the real tasks service are tested through the server (app/server).
type memTasks struct {
	mu    sync.Mutex
	next  int64
	tasks map[int64]*memTask
}

type memTask struct {
	user int64
	TaskItem
}

func newMemTasks() *memTasks { return &memTasks{tasks: map[int64]*memTask{}} }

func (m *memTasks) ListTasks(_ context.Context, userID int64, q TaskQuery) ([]TaskItem, int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []TaskItem
	for id := int64(1); id <= m.next; id++ {
		t, ok := m.tasks[id]
		if !ok || t.user != userID {
			continue
		}
		if q.Status == "open" && t.Status != "todo" && t.Status != "in_progress" || q.Status != "open" && q.Status != "" && t.Status != q.Status {
			continue
		}
		out = append(out, t.TaskItem)
	}
	total := len(out)
	if len(out) > q.Limit {
		out = out[:q.Limit]
	}
	return out, total, nil
}

func (m *memTasks) GetTask(_ context.Context, userID, id int64) (TaskItem, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	t, ok := m.tasks[id]
	if !ok || t.user != userID {
		return TaskItem{}, apperr.NotFound("task")
	}
	return t.TaskItem, nil
}

func (m *memTasks) apply(t *TaskItem, c TaskChange) {
	for _, f := range []struct {
		from *string
		to   *string
	}{{c.Title, &t.Title}, {c.Status, &t.Status}, {c.Priority, &t.Priority}, {c.Due, &t.Due}} {
		if f.from != nil {
			*f.to = *f.from
		}
	}
}

func (m *memTasks) CreateTask(_ context.Context, userID int64, c TaskChange) (TaskItem, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.next++
	t := &memTask{user: userID, TaskItem: TaskItem{ID: m.next, Status: "todo", Priority: "none"}}
	m.apply(&t.TaskItem, c)
	m.tasks[t.ID] = t
	return t.TaskItem, nil
}

func (m *memTasks) UpdateTask(_ context.Context, userID, id int64, c TaskChange) (TaskItem, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	t, ok := m.tasks[id]
	if !ok || t.user != userID {
		return TaskItem{}, apperr.NotFound("task")
	}
	m.apply(&t.TaskItem, c)
	return t.TaskItem, nil
}

func (m *memTasks) all() []memTask {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []memTask
	for id := int64(1); id <= m.next; id++ {
		if t, ok := m.tasks[id]; ok {
			out = append(out, *t)
		}
	}
	return out
}

// recording wraps a provider and keeps every chat request it was given.
type recording struct {
	llm.Provider
	mu   sync.Mutex
	reqs []llm.ChatRequest
}

func (r *recording) Chat(ctx context.Context, req llm.ChatRequest, on func(llm.Chunk) error) (*llm.Result, error) {
	r.mu.Lock()
	r.reqs = append(r.reqs, req)
	r.mu.Unlock()
	return r.Provider.Chat(ctx, req, on)
}

// Show passes through, so that the service can ask the capabilities of
// the provider recorded.
func (r *recording) Show(ctx context.Context, model string) (*llm.ModelInfo, error) {
	sh, ok := r.Provider.(llm.Shower)
	if !ok {
		return nil, errors.ErrUnsupported
	}
	return sh.Show(ctx, model)
}

func (r *recording) requests() []llm.ChatRequest {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]llm.ChatRequest(nil), r.reqs...)
}

func toolNames(ts []llm.Tool) []string {
	var out []string
	for _, t := range ts {
		out = append(out, t.Name)
	}
	return out
}

// toolsNow is the fixed "now" of the tools tests: Wednesday 2 December
// 2026, 09:30 in Berlin.
var toolsNow = time.Date(2026, 12, 2, 8, 30, 0, 0, time.UTC)

type toolsFixture struct {
	*fixture
	tasks *memTasks
	llm   *recording
}

func newToolsFixture(t *testing.T, p llm.Provider) *toolsFixture {
	t.Helper()
	tasks := newMemTasks()
	rec := &recording{Provider: p}
	now := func() time.Time { return toolsNow }
	f := newFixtureDeps(t, Deps{LLM: rec, Now: now, Tools: TaskTools(tasks, now)})
	return &toolsFixture{fixture: f, tasks: tasks, llm: rec}
}

func storedCalls(t *testing.T, m *store.Message) []ToolCall {
	t.Helper()
	var calls []ToolCall
	if err := json.Unmarshal(m.ToolCalls, &calls); err != nil {
		t.Fatalf("tool_calls %s: %v", m.ToolCalls, err)
	}
	return calls
}

// confirmWith answers every proposal with the next decision and records
// the proposals it saw.
type confirmWith struct {
	mu        sync.Mutex
	decisions []Decision
	seen      []ToolProposal
}

func (c *confirmWith) confirm(_ context.Context, p ToolProposal) (Decision, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.seen = append(c.seen, p)
	if len(c.decisions) == 0 {
		return Decision{}, errors.New("test: no decision left")
	}
	d := c.decisions[0]
	c.decisions = c.decisions[1:]
	return d, nil
}

func TestDemoCreatesTaskAfterApproval(t *testing.T) {
	cases := []struct {
		name      string
		decisions []Decision
		wantTask  *TaskItem
		status    string
		edited    bool
		reply     string
		asked     int
	}{
		{name: "approved as proposed", decisions: []Decision{{Approve: true}},
			wantTask: &TaskItem{ID: 1, Title: "Buy milk", Due: "2026-12-03", Status: "todo", Priority: "none"},
			status:   ToolDone, reply: "Done \u2014 I created task #1 \u201cBuy milk\u201d, due 2026-12-03.", asked: 1},
		{name: "edited then approved", decisions: []Decision{{Approve: true, Arguments: json.RawMessage(`{"title":"Buy oat milk","due":"2026-12-05T18:00","priority":"high"}`)}},
			wantTask: &TaskItem{ID: 1, Title: "Buy oat milk", Due: "2026-12-05T18:00", Status: "todo", Priority: "high"},
			status:   ToolDone, edited: true, reply: "created task #1 \u201cBuy oat milk\u201d", asked: 1},
		{name: "bad edit asked again, then approved", decisions: []Decision{
			{Approve: true, Arguments: json.RawMessage(`{"title":"Buy milk","due":"next tuesday"}`)},
			{Approve: true, Arguments: json.RawMessage(`{"title":"Buy milk","due":"2026-12-08"}`)}},
			wantTask: &TaskItem{ID: 1, Title: "Buy milk", Due: "2026-12-08", Status: "todo", Priority: "none"},
			status:   ToolDone, edited: true, reply: "due 2026-12-08", asked: 2},
		{name: "declined", decisions: []Decision{{Approve: false}},
			status: ToolDeclined, reply: "I left your tasks as they are", asked: 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newToolsFixture(t, llm.NewDemo(0))
			uid := f.user(t, "a@example.com", map[string]any{"timezone": "Europe/Berlin"})
			c := &confirmWith{decisions: tc.decisions}
			var results []ToolCall
			r, err := f.svc.Send(context.Background(), SendRequest{UserID: uid, Message: "add a task to buy milk tomorrow", UseTools: true,
				Stream: Stream{Confirm: c.confirm, OnToolResult: func(tc ToolCall) error { results = append(results, tc); return nil }}})
			if err != nil {
				t.Fatal(err)
			}
			if len(c.seen) != tc.asked {
				t.Fatalf("asked %d times, want %d: %+v", len(c.seen), tc.asked, c.seen)
			}
			p := c.seen[0]
			if p.Name != "create_task" || string(p.Arguments) != `{"due":"2026-12-03","title":"Buy milk"}` ||
				p.Summary != "Create task \u201cBuy milk\u201d due Thu 3 Dec" || p.MessageID != r.Message.ID || p.CallID == "" {
				t.Fatalf("proposal %+v", p)
			}
			if tc.asked > 1 && !strings.Contains(c.seen[1].Error, "due must be a date") {
				t.Fatalf("second proposal does not say why: %+v", c.seen[1])
			}
			tasks := f.tasks.all()
			switch {
			case tc.wantTask == nil && len(tasks) != 0:
				t.Fatalf("tasks %+v, want none", tasks)
			case tc.wantTask != nil && (len(tasks) != 1 || tasks[0].TaskItem != *tc.wantTask || tasks[0].user != uid):
				t.Fatalf("tasks %+v, want %+v", tasks, *tc.wantTask)
			}
			calls := storedCalls(t, r.Message)
			if len(calls) != 1 || calls[0].Status != tc.status || calls[0].Edited != tc.edited || !calls[0].Confirm || calls[0].ID != p.CallID {
				t.Fatalf("stored calls %+v", calls)
			}
			if len(results) != 1 || results[0].Status != tc.status {
				t.Fatalf("results told %+v", results)
			}
			if tc.status == ToolDone && !strings.Contains(string(calls[0].Result), `"id":1`) {
				t.Fatalf("result %s lacks the new id", calls[0].Result)
			}
			if !strings.Contains(r.Message.Content, tc.reply) || r.Message.Status != store.MessageComplete || r.Stopped {
				t.Fatalf("reply %q (%s), want it to contain %q", r.Message.Content, r.Message.Status, tc.reply)
			}
			// The model was told the result: a second request with the call
			// and its result, and the tools still offered.
			reqs := f.llm.requests()
			if len(reqs) != 2 {
				t.Fatalf("%d model requests, want 2", len(reqs))
			}
			h := reqs[1].Messages
			if n := len(h); n < 3 || h[n-2].Role != "assistant" || len(h[n-2].ToolCalls) != 1 || h[n-1].Role != "tool" ||
				h[n-1].ToolCallID != h[n-2].ToolCalls[0].ID || h[n-1].ToolName != "create_task" {
				t.Fatalf("second request's turns %+v", h)
			}
			if !strings.Contains(h[0].Content, "Today is Wednesday, 2026-12-02; the time is 09:30 in the user's timezone (Europe/Berlin)") {
				t.Fatalf("system prompt %q lacks the date", h[0].Content)
			}
			// Stored: reading the conversation back shows the calls.
			msgs, _, err := store.ListMessages(context.Background(), f.st.DB, uid, r.ConversationID, 0, 10)
			if err != nil || len(msgs) != 2 || string(msgs[1].ToolCalls) != string(r.Message.ToolCalls) {
				t.Fatalf("stored messages %+v, %v", msgs, err)
			}
		})
	}
}

func TestToolsOffered(t *testing.T) {
	f := newToolsFixture(t, llm.NewDemo(0))
	uid := f.user(t, "a@example.com", nil)
	confirm := func(context.Context, ToolProposal) (Decision, error) {
		t.Error("asked to confirm")
		return Decision{}, nil
	}
	cases := []struct {
		name     string
		useTools bool
		confirm  func(context.Context, ToolProposal) (Decision, error)
		want     string // tool names offered
		stored   string
	}{
		{"not asked for", false, confirm, "", ""},
		{"socket", true, confirm, "list_tasks,create_task,update_task", "[]"},
		// REST cannot ask the user: tools that change data are not offered.
		{"no confirmation", true, nil, "list_tasks", "[]"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := len(f.llm.requests())
			r, err := f.svc.Send(context.Background(), SendRequest{UserID: uid, Message: "hello there", UseTools: tc.useTools,
				Stream: Stream{Confirm: tc.confirm}})
			if err != nil {
				t.Fatal(err)
			}
			reqs := f.llm.requests()[before:]
			if len(reqs) != 1 || strings.Join(toolNames(reqs[0].Tools), ",") != tc.want {
				t.Fatalf("tools offered %v, want %q", toolNames(reqs[0].Tools), tc.want)
			}
			if string(r.Message.ToolCalls) != tc.stored {
				t.Fatalf("stored tool_calls %q, want %q", r.Message.ToolCalls, tc.stored)
			}
		})
	}
	// Without confirmation, asking to add a task changes nothing: the
	// model never saw create_task.
	r, err := f.svc.Send(context.Background(), SendRequest{UserID: uid, Message: "add a task to buy milk", UseTools: true})
	if err != nil || len(f.tasks.all()) != 0 || string(r.Message.ToolCalls) != "[]" {
		t.Fatalf("REST-like send: %v, tasks %+v, calls %s", err, f.tasks.all(), r.Message.ToolCalls)
	}
}

func TestListTasksRunsAtOnce(t *testing.T) {
	f := newToolsFixture(t, llm.NewDemo(0))
	uid := f.user(t, "a@example.com", nil)
	other := f.user(t, "b@example.com", nil)
	ctx := context.Background()
	title := func(s string) *string { return &s }
	f.tasks.CreateTask(ctx, uid, TaskChange{Title: title("Pay rent"), Due: title("2026-12-01")})
	f.tasks.CreateTask(ctx, other, TaskChange{Title: title("Secret plan")})
	r, err := f.svc.Send(ctx, SendRequest{UserID: uid, Message: "What are my tasks?", UseTools: true})
	if err != nil {
		t.Fatal(err)
	}
	calls := storedCalls(t, r.Message)
	if len(calls) != 1 || calls[0].Name != "list_tasks" || calls[0].Status != ToolDone || calls[0].Confirm {
		t.Fatalf("calls %+v", calls)
	}
	if strings.Contains(string(calls[0].Result), "Secret") || !strings.Contains(r.Message.Content, "#1 \u201cPay rent\u201d, due 2026-12-01") {
		t.Fatalf("result %s, reply %q", calls[0].Result, r.Message.Content)
	}
}

func TestToolsTouchOnlyTheCallersTasks(t *testing.T) {
	f := newToolsFixture(t, llm.NewDemo(0))
	owner := f.user(t, "owner@example.com", nil)
	intruder := f.user(t, "intruder@example.com", nil)
	ctx := context.Background()
	title := "Owner's task"
	task, _ := f.tasks.CreateTask(ctx, owner, TaskChange{Title: &title})
	c := &confirmWith{decisions: []Decision{{Approve: true}}}
	r, err := f.svc.Send(ctx, SendRequest{UserID: intruder, Message: "mark task 1 done", UseTools: true,
		Stream: Stream{Confirm: c.confirm}})
	if err != nil {
		t.Fatal(err)
	}
	calls := storedCalls(t, r.Message)
	if len(calls) != 1 || calls[0].Status != ToolFailed || calls[0].Error != "task not found" || len(c.seen) != 0 {
		t.Fatalf("calls %+v, proposals %+v", calls, c.seen)
	}
	if got, _ := f.tasks.GetTask(ctx, owner, task.ID); got.Status != "todo" {
		t.Fatalf("owner's task changed: %+v", got)
	}
	// The owner can.
	r, err = f.svc.Send(ctx, SendRequest{UserID: owner, Message: "mark task 1 done", UseTools: true,
		Stream: Stream{Confirm: (&confirmWith{decisions: []Decision{{Approve: true}}}).confirm}})
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := f.tasks.GetTask(ctx, owner, task.ID); got.Status != "done" || !strings.Contains(r.Message.Content, "is now done") {
		t.Fatalf("task %+v, reply %q", got, r.Message.Content)
	}
}

func TestStopWhileConfirmationPending(t *testing.T) {
	f := newToolsFixture(t, llm.NewDemo(0))
	uid := f.user(t, "a@example.com", nil)
	ctx, cancel := context.WithCancel(context.Background())
	asked := make(chan ToolProposal, 1)
	done := make(chan *Reply, 1)
	go func() {
		r, err := f.svc.Send(ctx, SendRequest{UserID: uid, Message: "remind me to call mum", UseTools: true,
			Stream: Stream{Confirm: func(ctx context.Context, p ToolProposal) (Decision, error) {
				asked <- p
				<-ctx.Done()
				return Decision{}, ctx.Err()
			}}})
		if err != nil {
			t.Error(err)
		}
		done <- r
	}()
	p := <-asked
	if p.Summary != "Create task \u201cCall mum\u201d" {
		t.Fatalf("proposal %+v", p)
	}
	cancel()
	r := <-done
	calls := storedCalls(t, r.Message)
	if !r.Stopped || len(calls) != 1 || calls[0].Status != ToolCancelled || len(f.tasks.all()) != 0 {
		t.Fatalf("reply %+v, calls %+v, tasks %+v", r, calls, f.tasks.all())
	}
	if len(f.llm.requests()) != 1 {
		t.Fatalf("the model was asked again after the stop")
	}
	stored, err := store.GetMessage(context.Background(), f.st.DB, uid, r.Message.ID)
	if err != nil || stored.Status != store.MessageError || string(stored.ToolCalls) != string(r.Message.ToolCalls) {
		t.Fatalf("stored %+v, %v", stored, err)
	}
}

// looping is a model that calls list_tasks whenever it may.
type looping struct{ llm.Provider }

func (l looping) Chat(ctx context.Context, req llm.ChatRequest, on func(llm.Chunk) error) (*llm.Result, error) {
	if len(req.Tools) > 0 {
		return &llm.Result{Model: req.Model, DoneReason: "tool_calls", ToolCalls: []llm.ToolCall{
			{ID: "x", Name: "list_tasks", Arguments: json.RawMessage(`{"status":"all"}`)},
			{ID: "y", Name: "no_such_tool", Arguments: json.RawMessage(`{}`)},
		}}, nil
	}
	on(llm.Chunk{Content: "enough"})
	return &llm.Result{Model: req.Model, Content: "enough", DoneReason: "stop"}, nil
}

func TestToolRoundsAreBounded(t *testing.T) {
	f := newToolsFixture(t, looping{llm.NewDemo(0)})
	uid := f.user(t, "a@example.com", nil)
	r, err := f.svc.Send(context.Background(), SendRequest{UserID: uid, Message: "loop", UseTools: true})
	if err != nil {
		t.Fatal(err)
	}
	reqs := f.llm.requests()
	if len(reqs) != MaxToolRounds+1 || len(reqs[MaxToolRounds].Tools) != 0 || len(reqs[MaxToolRounds-1].Tools) == 0 {
		t.Fatalf("%d requests (want %d, the last without tools)", len(reqs), MaxToolRounds+1)
	}
	calls := storedCalls(t, r.Message)
	if len(calls) != 2*MaxToolRounds || calls[1].Status != ToolFailed || calls[1].Error != `there is no tool named "no_such_tool"` {
		t.Fatalf("calls %+v", calls)
	}
	if r.Message.Content != "enough" || r.Message.Status != store.MessageComplete {
		t.Fatalf("reply %+v", r.Message)
	}
}

func TestHistoryReplaysToolCalls(t *testing.T) {
	f := newToolsFixture(t, llm.NewDemo(0))
	uid := f.user(t, "a@example.com", nil)
	ctx := context.Background()
	c := &confirmWith{decisions: []Decision{{Approve: true}}}
	r, err := f.svc.Send(ctx, SendRequest{UserID: uid, Message: "add a task to water the plants", UseTools: true, Stream: Stream{Confirm: c.confirm}})
	if err != nil {
		t.Fatal(err)
	}
	for _, useTools := range []bool{true, false} {
		before := len(f.llm.requests())
		if _, err := f.svc.Send(ctx, SendRequest{UserID: uid, ConversationID: r.ConversationID, Message: "thanks", UseTools: useTools,
			Stream: Stream{Confirm: c.confirm}}); err != nil {
			t.Fatal(err)
		}
		h := f.llm.requests()[before].Messages
		var roles []string
		for _, m := range h {
			roles = append(roles, m.Role)
		}
		want := "system,user,assistant,tool,assistant,user"
		if !useTools {
			// Without tools, the earlier replies are their words alone
			// (and the first "thanks" exchange has come since).
			want = "system,user,assistant,user,assistant,user"
		}
		if strings.Join(roles, ",") != want {
			t.Fatalf("use tools %v: roles %v, want %s", useTools, roles, want)
		}
		if useTools && !strings.Contains(h[3].Content, `"id":1`) {
			t.Fatalf("replayed result %q", h[3].Content)
		}
	}
}

func TestTaskToolArguments(t *testing.T) {
	tools := TaskTools(newMemTasks(), func() time.Time { return toolsNow })
	byName := map[string]Tool{}
	for _, tl := range tools {
		byName[tl.Name()] = tl
	}
	cases := []struct {
		tool, args, summary, err string
	}{
		{"create_task", `{"title":"Pay rent","due":"2026-12-01","priority":"high"}`, "Create task \u201cPay rent\u201d due Tue 1 Dec, high priority", ""},
		{"create_task", `{"title":"Dentist","due":"2027-01-04 14:30"}`, "Create task \u201cDentist\u201d due Mon 4 Jan 2027 14:30", ""},
		{"create_task", `{"title":"  "}`, "", "title must not be empty"},
		{"create_task", `{"due":"2026-12-01"}`, "", "title is required"},
		{"create_task", `{"title":"x","due":"tomorrow"}`, "", "due must be a date"},
		{"create_task", `{"title":"x","priority":"critical"}`, "", "priority must be one of"},
		{"create_task", `{"title":` + `"` + strings.Repeat("a", 501) + `"}`, "", "at most 500"},
		{"create_task", `[1]`, "", "arguments must be a JSON object"},
		{"create_task", `{"title":7}`, "", "title must be a string"},
		{"update_task", `{"status":"done"}`, "", "id of the task is required"},
		{"update_task", `{"id":"abc","status":"done"}`, "", "id must be a whole number"},
		{"update_task", `{"id":3}`, "", "nothing to change"},
		{"update_task", `{"id":99,"status":"done"}`, "", "task not found"},
		{"update_task", `{"id":1,"status":"finished"}`, "", "status must be one of"},
		{"list_tasks", `{"status":"all","limit":500,"due_before":"2026-12-31"}`, "List your tasks", ""},
		{"list_tasks", `{"due_after":"soon"}`, "", "due_after must be a date"},
	}
	for _, tc := range cases {
		sum, err := byName[tc.tool].Describe(context.Background(), 1, normArgs(json.RawMessage(tc.args)))
		got := ""
		if err != nil {
			got = toolError(err)
		}
		if tc.err == "" && (err != nil || sum != tc.summary) || tc.err != "" && !strings.Contains(got, tc.err) {
			t.Errorf("%s %s: %q, %q; want %q, %q", tc.tool, tc.args, sum, got, tc.summary, tc.err)
		}
	}
	q, _ := listArgs(json.RawMessage(`{"status":"all","limit":500,"due_before":"2026-12-31"}`))
	if q.Status != "" || q.Limit != maxListedTasks || q.DueBefore != "2026-12-31" {
		t.Fatalf("list args %+v", q)
	}
	cur := TaskItem{ID: 12, Title: "Pay rent", Status: "todo", Due: "2026-11-30", Priority: "none"}
	done, due, prio := "done", "2026-12-01", "urgent"
	if s := describeUpdate(cur, TaskChange{Status: &done, Due: &due, Priority: &prio}, toolsNow); s != "Task #12 \u201cPay rent\u201d: mark done, due Tue 1 Dec (was Mon 30 Nov), urgent priority" {
		t.Fatalf("update summary %q", s)
	}
}

func TestNormArgs(t *testing.T) {
	for in, want := range map[string]string{
		``: `{}`, `null`: `{}`, `""`: `{}`, `{"b":1, "a":2}`: `{"a":2,"b":1}`, `"{\"a\":1}"`: `{"a":1}`, `[1]`: `[1]`,
	} {
		if got := string(normArgs(json.RawMessage(in))); got != want {
			t.Errorf("normArgs(%s) = %s, want %s", in, got, want)
		}
	}
}

// TestToolCallsOverTheWire runs a confirmed create_task against stand-ins
// speaking Ollama's and OpenAI's tool-calling formats: the tools go out in
// the request, the call comes back, and the result goes to the model in
// each API's own form.
func TestToolCallsOverTheWire(t *testing.T) {
	call := llmtest.ToolCall{Name: "create_task", Arguments: `{"title":"Pay rent","due":"2026-12-01","priority":"high"}`}
	for _, provider := range []string{"ollama", "openai"} {
		t.Run(provider, func(t *testing.T) {
			var up *llmtest.Server
			path := "/api/chat"
			if provider == "ollama" {
				up = llmtest.NewOllama(t, llmtest.WithToolCalls(call), llmtest.WithTokens(2)).Server
			} else {
				up = llmtest.NewOpenAI(t, llmtest.WithToolCalls(call), llmtest.WithTokens(2)).Server
				path = "/v1/chat/completions"
			}
			p, err := llm.New(llm.Config{Provider: provider, BaseURL: up.URL})
			if err != nil {
				t.Fatal(err)
			}
			f := newToolsFixture(t, p)
			uid := f.user(t, "a@example.com", nil)
			c := &confirmWith{decisions: []Decision{{Approve: true}}}
			r, err := f.svc.Send(context.Background(), SendRequest{UserID: uid, Message: "I must pay the rent", UseTools: true,
				Model: "llama3.2:3b", Stream: Stream{Confirm: c.confirm}})
			if err != nil {
				t.Fatal(err)
			}
			if len(c.seen) != 1 || c.seen[0].Summary != "Create task \u201cPay rent\u201d due Tue 1 Dec, high priority" {
				t.Fatalf("proposals %+v", c.seen)
			}
			tasks := f.tasks.all()
			if len(tasks) != 1 || tasks[0].Title != "Pay rent" || tasks[0].Priority != "high" {
				t.Fatalf("tasks %+v", tasks)
			}
			if r.Message.Content != "tok0 tok1 " || r.Message.Status != store.MessageComplete {
				t.Fatalf("reply %+v", r.Message)
			}
			reqs := up.RequestsTo(path)
			if len(reqs) != 2 {
				t.Fatalf("%d requests to %s, want 2", len(reqs), path)
			}
			first, second := reqs[0].JSON(), reqs[1].JSON()
			tools, _ := first["tools"].([]any)
			if len(tools) != 3 || !strings.Contains(string(reqs[0].Body), `"name":"create_task"`) {
				t.Fatalf("tools sent: %s", reqs[0].Body)
			}
			msgs := second["messages"].([]any)
			asked := msgs[len(msgs)-2].(map[string]any)
			result := msgs[len(msgs)-1].(map[string]any)
			calls := asked["tool_calls"].([]any)
			if result["role"] != "tool" || len(calls) != 1 || !strings.Contains(result["content"].(string), `"created":true`) {
				t.Fatalf("second request's last turns: %v / %v", asked, result)
			}
			if provider == "ollama" && result["tool_name"] != "create_task" {
				t.Fatalf("ollama tool turn without tool_name: %v", result)
			}
			if provider == "openai" && result["tool_call_id"] != calls[0].(map[string]any)["id"] {
				t.Fatalf("openai tool turn does not name its call: %v / %v", result, calls[0])
			}
		})
	}
}

func TestToolsOnlyForModelsThatCallThem(t *testing.T) {
	up := llmtest.NewOllama(t, llmtest.WithModels("llama3.2:3b", "plain:1b"), llmtest.WithoutTools("plain:1b"))
	p, err := llm.New(llm.Config{Provider: "ollama", BaseURL: up.URL})
	if err != nil {
		t.Fatal(err)
	}
	f := newToolsFixture(t, p)
	uid := f.user(t, "a@example.com", nil)
	for i, tc := range []struct {
		model string
		tools bool
	}{{"plain:1b", false}, {"llama3.2:3b", true}, {"plain:1b", false}, {"llama3.2:3b", true}} {
		var started Start
		if _, err := f.svc.Send(context.Background(), SendRequest{UserID: uid, Model: tc.model, Message: "hi", UseTools: true,
			Stream: Stream{OnStart: func(s Start) error { started = s; return nil }}}); err != nil {
			t.Fatal(err)
		}
		reqs := up.RequestsTo("/api/chat")
		_, sent := reqs[len(reqs)-1].JSON()["tools"]
		if sent != tc.tools || started.Tools != tc.tools {
			t.Fatalf("send %d (%s): tools sent %v, start says %v; want %v", i, tc.model, sent, started.Tools, tc.tools)
		}
	}
	// Each model's capabilities were asked once.
	if n := len(up.RequestsTo("/api/show")); n != 2 {
		t.Fatalf("%d /api/show requests, want 2 (cached)", n)
	}
}

func TestRegenerateKeepsTools(t *testing.T) {
	f := newToolsFixture(t, llm.NewDemo(0))
	uid := f.user(t, "a@example.com", nil)
	ctx := context.Background()
	c := &confirmWith{decisions: []Decision{{Approve: false}, {Approve: true}}}
	r, err := f.svc.Send(ctx, SendRequest{UserID: uid, Message: "add a task to pay rent", UseTools: true, Stream: Stream{Confirm: c.confirm}})
	if err != nil {
		t.Fatal(err)
	}
	var started Start
	r2, err := f.svc.Regenerate(ctx, RegenerateRequest{UserID: uid, ConversationID: r.ConversationID,
		Stream: Stream{Confirm: c.confirm, OnStart: func(s Start) error { started = s; return nil }}})
	if err != nil {
		t.Fatal(err)
	}
	calls := storedCalls(t, r2.Message)
	if !started.Tools || len(c.seen) != 2 || len(calls) != 1 || calls[0].Status != ToolDone || len(f.tasks.all()) != 1 {
		t.Fatalf("regenerated: start %+v, proposals %d, calls %+v, tasks %+v", started, len(c.seen), calls, f.tasks.all())
	}
	// A reply that was not offered tools is regenerated without them.
	r3, err := f.svc.Send(ctx, SendRequest{UserID: uid, ConversationID: r.ConversationID, Message: "add a task to nap"})
	if err != nil || r3.Message.ToolCalls != nil {
		t.Fatalf("plain send: %v, %s", err, r3.Message.ToolCalls)
	}
	r4, err := f.svc.Regenerate(ctx, RegenerateRequest{UserID: uid, ConversationID: r.ConversationID, Stream: Stream{Confirm: c.confirm}})
	if err != nil || r4.Message.ToolCalls != nil {
		t.Fatalf("plain regenerate: %v, %s", err, r4.Message.ToolCalls)
	}
}

// A proposal that cannot reach the user (the socket's write failed) ends
// the reply as stopped, as a closed socket does — not as a failure.
func TestConfirmThatCannotBeDeliveredStops(t *testing.T) {
	f := newToolsFixture(t, llm.NewDemo(0))
	uid := f.user(t, "a@example.com", nil)
	r, err := f.svc.Send(context.Background(), SendRequest{UserID: uid, Message: "add a task to pay rent", UseTools: true,
		Stream: Stream{Confirm: func(context.Context, ToolProposal) (Decision, error) {
			return Decision{}, errors.New("write: broken pipe")
		}}})
	if err != nil {
		t.Fatalf("a lost socket is not a failure: %v", err)
	}
	calls := storedCalls(t, r.Message)
	if !r.Stopped || len(calls) != 1 || calls[0].Status != ToolCancelled || len(f.tasks.all()) != 0 {
		t.Fatalf("reply %+v, calls %+v", r, calls)
	}
}
