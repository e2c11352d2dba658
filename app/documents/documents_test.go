package documents

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aiwfe/aiwfe/app/hub"
	"github.com/aiwfe/aiwfe/app/llm"
	"github.com/aiwfe/aiwfe/store"
)

type fixture struct {
	t     testing.TB
	st    *store.Store
	dir   string
	hub   *hub.Hub
	svc   *Service
	deps  Deps
	users map[int64]*store.User
	mu    sync.Mutex
}

func newFixture(t testing.TB, tweak ...func(*Deps)) *fixture {
	t.Helper()
	dir := t.TempDir()
	st, err := store.Open(filepath.Join(dir, "aiwfe.db"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	f := &fixture{t: t, st: st, dir: dir, hub: hub.New(0), users: map[int64]*store.User{}}
	f.deps = Deps{Store: st, Hub: f.hub, DataDir: dir, MaxFileBytes: 1 << 20, RetryBase: 5 * time.Millisecond,
		User: func(_ context.Context, id int64) (*store.User, error) {
			f.mu.Lock()
			defer f.mu.Unlock()
			if u := f.users[id]; u != nil {
				return u, nil
			}
			return nil, store.ErrNotFound
		}}
	for _, fn := range tweak {
		fn(&f.deps)
	}
	f.svc = New(f.deps)
	t.Cleanup(func() {
		f.svc.Close()
		f.hub.Close()
		st.Close()
	})
	return f
}

// restart closes the service and opens a new one on the same store.
func (f *fixture) restart(tweak ...func(*Deps)) {
	f.svc.Close()
	d := f.deps
	for _, fn := range tweak {
		fn(&d)
	}
	f.svc = New(d)
}

func (f *fixture) user(email string) int64 {
	f.t.Helper()
	u, err := store.CreateUser(context.Background(), f.st.DB, store.NewUser{Email: email, PasswordHash: "x", Role: "user", Status: "active"}, time.Now())
	if err != nil {
		f.t.Fatal(err)
	}
	u.Models = map[string]string{}
	f.mu.Lock()
	f.users[u.ID] = u
	f.mu.Unlock()
	return u.ID
}

func (f *fixture) setModel(userID int64, model string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	u := *f.users[userID]
	u.Models = map[string]string{"embedding_model": model}
	f.users[userID] = &u
}

func (f *fixture) upload(userID int64, collection string, files ...string) []*store.Document {
	f.t.Helper()
	var ups []*Upload
	for i := 0; i < len(files); i += 2 {
		u, err := f.svc.Spool(files[i], "text/plain", strings.NewReader(files[i+1]))
		if err != nil {
			f.t.Fatal(err)
		}
		ups = append(ups, u)
	}
	docs, err := f.svc.Add(context.Background(), userID, collection, ups)
	if err != nil {
		f.t.Fatal(err)
	}
	return docs
}

// wait polls until the document reaches a final status.
func (f *fixture) wait(userID, id int64, want string) *store.Document {
	f.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		d, err := f.svc.Get(context.Background(), userID, id)
		if err != nil {
			f.t.Fatal(err)
		}
		if d.Status == want {
			return d
		}
		if time.Now().After(deadline) {
			f.t.Fatalf("document %d: status %s (%s), want %s", id, d.Status, d.Error, want)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func (f *fixture) search(userID int64, q, mode string) []Result {
	f.t.Helper()
	res, err := f.svc.Search(context.Background(), userID, SearchRequest{Query: q, Mode: mode})
	if err != nil {
		f.t.Fatal(err)
	}
	return res
}

const whales = "Humpback whales sing long songs in the breeding season.\n\nTheir songs travel for many kilometres under water."
const bread = "Sourdough bread rises slowly with wild yeast.\n\nBake it in a hot oven with steam."

func TestIngestAndSearch(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	alice, bob := f.user("alice@example.test"), f.user("bob@example.test")
	docs := f.upload(alice, "nature", "whales.txt", whales, "bread.txt", bread)
	for _, d := range docs {
		f.wait(alice, d.ID, store.DocReady)
	}
	d := f.wait(alice, docs[0].ID, store.DocReady)
	if d.Pages != 1 || d.Chunks != 1 || d.Title != "whales" || d.Format != "txt" || d.IndexedAt == nil {
		t.Fatalf("document: %+v", d)
	}
	for _, mode := range []string{ModeKeyword, ModeVector, ModeHybrid} {
		res := f.search(alice, "whale song", mode)
		if len(res) == 0 || res[0].DocumentID != docs[0].ID || res[0].DocumentName != "whales.txt" || res[0].Page != 1 {
			t.Errorf("%s: %+v", mode, res)
		}
		if res := f.search(bob, "whale song", mode); len(res) != 0 {
			t.Errorf("%s: bob finds alice's passages: %+v", mode, res)
		}
	}
	// A passage's offsets point into its page's text.
	res := f.search(alice, "sourdough", ModeKeyword)
	page, err := f.svc.Content(ctx, alice, res[0].DocumentID, res[0].Page)
	if err != nil || string([]rune(page.Text)[res[0].Start:res[0].End]) != res[0].Text {
		t.Fatalf("content: %+v %v", page, err)
	}
	if _, err := f.svc.Content(ctx, bob, res[0].DocumentID, 1); err == nil {
		t.Fatal("bob read alice's page")
	}
	other := "elsewhere"
	if res, _ := f.svc.Search(ctx, alice, SearchRequest{Query: "sourdough", Collection: &other}); len(res) != 0 {
		t.Fatalf("collection filter: %+v", res)
	}
	// The same bytes again, under another name: the same document.
	again := f.upload(alice, "", "copy.txt", whales)
	if again[0].ID != docs[0].ID {
		t.Fatalf("same bytes made document %d, not %d", again[0].ID, docs[0].ID)
	}
	// The original comes back byte for byte.
	_, file, err := f.svc.File(ctx, alice, docs[1].ID)
	if err != nil {
		t.Fatal(err)
	}
	b := new(bytes.Buffer)
	b.ReadFrom(file)
	file.Close()
	if b.String() != bread {
		t.Fatalf("file: %q", b)
	}
	// Delete takes rows and file; another user cannot.
	if err := f.svc.Delete(ctx, bob, docs[1].ID); err == nil {
		t.Fatal("bob deleted alice's document")
	}
	if err := f.svc.Delete(ctx, alice, docs[1].ID); err != nil {
		t.Fatal(err)
	}
	if res := f.search(alice, "sourdough", ModeHybrid); len(res) != 0 {
		t.Fatalf("deleted document found: %+v", res)
	}
	if _, err := os.Stat(filepath.Join(f.dir, docs[1].FilePath)); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("stored file left: %v", err)
	}
	if ents, _ := os.ReadDir(filepath.Join(f.dir, Dir, "tmp")); len(ents) != 0 {
		t.Fatalf("spooled files left: %d", len(ents))
	}
}

func TestSearchInput(t *testing.T) {
	f := newFixture(t)
	u := f.user("a@example.test")
	for _, tc := range []struct {
		name  string
		req   SearchRequest
		field string
	}{
		{"empty", SearchRequest{Query: " "}, "q"},
		{"long", SearchRequest{Query: strings.Repeat("a", MaxQueryChars+1)}, "q"},
		{"mode", SearchRequest{Query: "x", Mode: "fuzzy"}, "mode"},
		{"limit", SearchRequest{Query: "x", Limit: 101}, "limit"},
		{"negative limit", SearchRequest{Query: "x", Limit: -1}, "limit"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := f.svc.Search(context.Background(), u, tc.req)
			if err == nil || !strings.Contains(fmt.Sprintf("%+v", err), tc.field) {
				t.Fatalf("err %v, want one about %s", err, tc.field)
			}
		})
	}
	// FTS5 syntax typed by a person is only words.
	if res := f.search(u, `"NEAR( x* OR ^y -z:`, ModeHybrid); len(res) != 0 {
		t.Fatalf("%+v", res)
	}
}

func TestNewVersionReplacesOldAtomically(t *testing.T) {
	f := newFixture(t)
	u := f.user("a@example.test")
	v1 := f.upload(u, "", "notes.txt", "The meeting is on Monday about the harbour crane.")[0]
	f.wait(u, v1.ID, store.DocReady)
	v2 := f.upload(u, "", "notes.txt", "The meeting moved to Friday about the lighthouse.")[0]
	if v2.ID == v1.ID {
		t.Fatal("new bytes gave the old document")
	}
	f.wait(u, v2.ID, store.DocReady)
	if _, err := f.svc.Get(context.Background(), u, v1.ID); err == nil {
		t.Fatal("old version still there")
	}
	if res := f.search(u, "crane", ModeKeyword); len(res) != 0 {
		t.Fatalf("old version's chunks found: %+v", res)
	}
	if res := f.search(u, "lighthouse", ModeKeyword); len(res) != 1 || res[0].DocumentID != v2.ID {
		t.Fatalf("new version: %+v", res)
	}
	if _, err := os.Stat(filepath.Join(f.dir, v1.FilePath)); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("old file kept: %v", err)
	}
}

func TestBadFileFailsAloneWithItsReason(t *testing.T) {
	f := newFixture(t)
	u := f.user("a@example.test")
	docs := f.upload(u, "", "setup.exe.txt", "MZ\x90\x00\x03\x00\x00\x00binary", "good.txt", whales)
	bad := f.wait(u, docs[0].ID, store.DocFailed)
	if !strings.Contains(bad.Error, "not supported") || bad.Chunks != 0 {
		t.Fatalf("bad: %+v", bad)
	}
	f.wait(u, docs[1].ID, store.DocReady)
	if n, _ := store.PendingJobs(context.Background(), f.st.DB, u); n != 0 {
		t.Fatalf("%d jobs left", n)
	}
}

// flaky fails its first n calls as a model server that is down would.
type flaky struct {
	name  string
	fails atomic.Int32
	calls atomic.Int32
	gate  chan struct{} // when not nil, each call waits for it
}

func (e *flaky) Name() string { return e.name }
func (e *flaky) Embed(ctx context.Context, texts []string) ([][]float32, error) {
	e.calls.Add(1)
	if e.gate != nil {
		select {
		case <-e.gate:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	if e.fails.Add(-1) >= 0 {
		return nil, fmt.Errorf("%w: connection refused", llm.ErrUnavailable)
	}
	return Builtin{}.Embed(ctx, texts)
}

func TestRetriesWithBackoffThenFails(t *testing.T) {
	e := &flaky{name: BuiltinModel}
	e.fails.Store(2)
	f := newFixture(t, func(d *Deps) { d.NewEmbedder = func(string) Embedder { return e }; d.MaxAttempts = 3 })
	u := f.user("a@example.test")
	d := f.upload(u, "", "w.txt", whales)[0]
	f.wait(u, d.ID, store.DocReady)
	if e.calls.Load() != 3 {
		t.Fatalf("%d calls, want 3", e.calls.Load())
	}
	e.fails.Store(100)
	d2 := f.upload(u, "", "b.txt", bread)[0]
	failed := f.wait(u, d2.ID, store.DocFailed)
	if !strings.Contains(failed.Error, "3 times") || !strings.Contains(failed.Error, "not answering") {
		t.Fatalf("reason: %q", failed.Error)
	}
}

func TestQueueResumesAfterRestart(t *testing.T) {
	f := newFixture(t, func(d *Deps) { d.NoWorker = true })
	u := f.user("a@example.test")
	d := f.upload(u, "", "w.txt", whales)[0]
	f.restart(func(d *Deps) { d.NoWorker = false })
	f.wait(u, d.ID, store.DocReady)
}

func TestProgressEvents(t *testing.T) {
	f := newFixture(t, func(d *Deps) { d.NoWorker = true })
	u := f.user("a@example.test")
	sub := f.hub.Subscribe(u, hub.Progress)
	defer sub.Close()
	d := f.upload(u, "", "w.txt", whales)[0]
	f.svc.Start()
	var stages []string
	timeout := time.After(10 * time.Second)
	for len(stages) == 0 || stages[len(stages)-1] != StageReady {
		select {
		case ev := <-sub.Events():
			p := ev.Data.(Progress)
			if p.DocumentID != d.ID || p.Type != "document" {
				t.Fatalf("event %+v", p)
			}
			stages = append(stages, p.Stage)
			if p.Stage == StageReady && (p.ChunksDone != 1 || p.ChunksTotal != 1 || p.Pages != 1) {
				t.Fatalf("ready event %+v", p)
			}
		case <-timeout:
			t.Fatalf("stages so far %v", stages)
		}
	}
	if got := strings.Join(stages, ","); got != "queued,extracting,embedding,embedding,indexing,ready" {
		t.Fatalf("stages %s", got)
	}
}

// A change of embedding model makes new vectors in the background; until
// every document has them, search keeps using the old ones.
func TestModelChangeKeepsOldVectorsUntilDone(t *testing.T) {
	other := &flaky{name: "other-embed", gate: make(chan struct{})}
	f := newFixture(t, func(d *Deps) {
		d.NewEmbedder = func(name string) Embedder {
			if name == other.name {
				return other
			}
			return nil
		}
	})
	ctx := context.Background()
	u := f.user("a@example.test")
	docs := f.upload(u, "", "w.txt", whales, "b.txt", bread)
	for _, d := range docs {
		f.wait(u, d.ID, store.DocReady)
	}
	f.setModel(u, other.name)
	n, err := f.svc.ReindexAll(ctx, u)
	if err != nil || n != 2 {
		t.Fatalf("reindex: %d %v", n, err)
	}
	other.gate <- struct{}{} // the first document gets its new vectors
	deadline := time.Now().Add(10 * time.Second)
	for {
		counts, _ := store.VectorModels(ctx, f.st.DB, u)
		if len(counts) == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("counts %v", counts)
		}
		time.Sleep(5 * time.Millisecond)
	}
	m, err := f.svc.searchModel(ctx, u)
	if err != nil || m.Name != BuiltinModel {
		t.Fatalf("search model mid-change: %+v %v", m, err)
	}
	if res := f.search(u, "sourdough bread", ModeVector); len(res) == 0 || res[0].DocumentID != docs[1].ID {
		t.Fatalf("vector search mid-change: %+v", res)
	}
	close(other.gate)
	for {
		if m, _ := f.svc.searchModel(ctx, u); m != nil && m.Name == other.name {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("search never moved to the new model")
		}
		time.Sleep(5 * time.Millisecond)
	}
	var old int
	f.st.DB.QueryRow("SELECT COUNT(*) FROM chunk_vectors v JOIN embedding_models m ON m.id = v.model_id WHERE m.name = ?", BuiltinModel).Scan(&old)
	if old != 0 {
		t.Fatalf("%d old vectors left", old)
	}
	if res := f.search(u, "sourdough bread", ModeVector); len(res) == 0 || res[0].DocumentID != docs[1].ID {
		t.Fatalf("vector search after change: %+v", res)
	}
}

func TestVectorsDroppedWhenIdle(t *testing.T) {
	f := newFixture(t)
	u := f.user("a@example.test")
	d := f.upload(u, "", "w.txt", whales)[0]
	f.wait(u, d.ID, store.DocReady)
	if f.svc.vectors.resident() != 0 {
		t.Fatal("vectors resident before any search")
	}
	f.search(u, "whales", ModeVector)
	if f.svc.vectors.resident() != 1 {
		t.Fatal("vectors not cached by the search")
	}
	f.svc.vectors.sweep(time.Now().Add(f.svc.d.VectorIdle - time.Second))
	if f.svc.vectors.resident() != 1 {
		t.Fatal("dropped before the idle time")
	}
	f.svc.vectors.sweep(time.Now().Add(f.svc.d.VectorIdle + time.Second))
	if f.svc.vectors.resident() != 0 {
		t.Fatal("kept after the idle time")
	}
}

func TestUploadLimits(t *testing.T) {
	f := newFixture(t)
	u := f.user("a@example.test")
	if _, err := f.svc.Spool("big.txt", "", bytes.NewReader(make([]byte, f.deps.MaxFileBytes+1))); !errors.Is(err, ErrFileTooLarge) {
		t.Fatalf("too large: %v", err)
	}
	if _, err := f.svc.Spool("empty.txt", "", strings.NewReader("")); err == nil {
		t.Fatal("empty file accepted")
	}
	up, err := f.svc.Spool("../../etc/passwd", "", strings.NewReader("x y z"))
	if err != nil || up.Name != "passwd" {
		t.Fatalf("name: %+v %v", up, err)
	}
	if _, err := f.svc.Add(context.Background(), u, strings.Repeat("c", MaxCollectionChars+1), []*Upload{up}); err == nil {
		t.Fatal("long collection accepted")
	}
	if _, err := os.Stat(up.path); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("a refused upload's spool file is left")
	}
	if n, _, _ := f.svc.List(context.Background(), u, ListRequest{}); len(n) != 0 {
		t.Fatalf("half-written: %+v", n)
	}
}

// Retrieve, chat's seam: the best passages, and how many documents are
// still being indexed.
func TestRetrieve(t *testing.T) {
	f := newFixture(t, func(d *Deps) { d.NoWorker = true })
	ctx := context.Background()
	u := f.user("a@example.test")
	docs := f.upload(u, "", "w.txt", whales, "b.txt", bread)
	r, err := f.svc.Retrieve(ctx, u, "whale songs", 3)
	if err != nil || len(r.Passages) != 0 || r.Indexing != 2 {
		t.Fatalf("before indexing: %+v %v", r, err)
	}
	f.svc.Start()
	for _, d := range docs {
		f.wait(u, d.ID, store.DocReady)
	}
	r, err = f.svc.Retrieve(ctx, u, "whale songs", 3)
	if err != nil || r.Indexing != 0 || len(r.Passages) == 0 || r.Passages[0].DocumentID != docs[0].ID {
		t.Fatalf("after: %+v %v", r, err)
	}
}

// A Markdown file's headings become its passages' heading paths, and
// the indexed text carries "title › heading".
func TestMarkdownHeadings(t *testing.T) {
	f := newFixture(t)
	u := f.user("a@example.test")
	md := "# Garden guide\n\nIntro text.\n\n## Tomatoes\n\nWater the tomatoes every morning.\n\n## Roses\n\nPrune the roses in March.\n"
	d := f.upload(u, "", "garden.md", md)[0]
	f.wait(u, d.ID, store.DocReady)
	res := f.search(u, "prune roses", ModeKeyword)
	if len(res) == 0 || !strings.HasSuffix(res[0].Heading, "Roses") || strings.Contains(res[0].Text, "tomatoes") {
		t.Fatalf("%+v", res)
	}
	// The heading alone finds its section's passage.
	if res := f.search(u, "tomatoes", ModeKeyword); len(res) == 0 || !strings.HasSuffix(res[0].Heading, "Tomatoes") {
		t.Fatalf("%+v", res)
	}
}

// An ingestion burst gives its memory back once, a moment after the queue
// goes quiet, not after every document.
func TestIngestionBurstReleasesMemoryOnce(t *testing.T) {
	f := newFixture(t)
	released := make(chan struct{}, 10)
	f.svc.mem.After = 50 * time.Millisecond
	f.svc.mem.Release = func() { released <- struct{}{} }
	u := f.user("burst@example.com")
	var files []string
	for i := 0; i < 6; i++ {
		files = append(files, fmt.Sprintf("n%d.txt", i), fmt.Sprintf("note %d about the river and the harbour", i))
	}
	for _, d := range f.upload(u, "", files...) {
		f.wait(u, d.ID, "ready")
	}
	select {
	case <-released:
	case <-time.After(10 * time.Second):
		t.Fatal("the memory of an ingestion burst was not released")
	}
	if f.svc.mem.Pending() || len(released) != 0 {
		t.Fatal("more than one release for one burst")
	}
}
