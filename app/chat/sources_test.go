package chat

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"

	"github.com/aiwfe/aiwfe/app/llm"
	"github.com/aiwfe/aiwfe/app/llm/llmtest"
	"github.com/aiwfe/aiwfe/store"
)

// passages is a Retriever answering the same passages to every query,
// and recording the queries (the documents service itself is exercised
// through app.Open in the server's tests).
type passages struct {
	mu       sync.Mutex
	found    []Passage
	indexing int
	queries  []string
}

func (p *passages) Retrieve(_ context.Context, _ int64, q string, k int) ([]Passage, int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.queries = append(p.queries, q)
	return p.found[:min(k, len(p.found))], p.indexing, nil
}

var twoPassages = []Passage{
	{DocumentID: 7, DocumentName: "atlas.md", ChunkID: 70, Page: 3, Heading: "Europe › France", Text: "Paris is the capital of France. It lies on the Seine.", Start: 120, End: 173},
	{DocumentID: 8, DocumentName: "rivers.txt", ChunkID: 81, Page: 1, Text: "The Seine flows through Paris into the English Channel.", Start: 0, End: 55},
}

func sources(t *testing.T, m *store.Message) []Source {
	t.Helper()
	var out []Source
	if err := json.Unmarshal(m.Sources, &out); err != nil {
		t.Fatalf("sources %q: %v", m.Sources, err)
	}
	return out
}

// A reply from documents: the passages go to the model as numbered
// sources with a num_ctx large enough, the stored reply keeps the markers
// naming a source and loses the others, and its sources (all passages
// given, in rank order, cited or not) come back with the history.
func TestReplyFromDocumentsCarriesSources(t *testing.T) {
	f := newFixture(t, llmtest.WithReply("Paris is the capital [1]", " and [7] the Seine runs there [2][9].", " See [1, 4]."))
	ret := &passages{found: twoPassages}
	f.svc.retriever = ret
	u := f.user(t, "a@example.test", nil)
	ctx := context.Background()

	var streamed strings.Builder
	r, err := f.svc.Send(ctx, SendRequest{UserID: u, Message: "What is the capital of France?", UseDocuments: true,
		Stream: Stream{OnToken: func(s string) error { streamed.WriteString(s); return nil }}})
	if err != nil {
		t.Fatal(err)
	}
	const want = "Paris is the capital [1] and the Seine runs there [2]. See [1]."
	if r.Message.Content != want {
		t.Fatalf("stored %q, want %q", r.Message.Content, want)
	}
	if !strings.Contains(streamed.String(), "[7]") {
		t.Fatalf("the tokens are relayed as they come: %q", streamed.String())
	}
	got := sources(t, r.Message)
	if len(got) != 2 || got[0].N != 1 || got[0].DocumentID != 7 || got[0].Page != 3 || got[0].Start != 120 || got[0].End != 173 ||
		got[0].ChunkID != 70 || got[0].Heading != "Europe › France" || !got[0].Cited || got[1].DocumentName != "rivers.txt" || !got[1].Cited {
		t.Fatalf("sources %+v", got)
	}
	if r.Message.NoSources || r.Message.Indexing != 0 {
		t.Fatalf("%+v", r.Message)
	}

	req := f.up.RequestsTo("/api/chat")[0].JSON()
	msgs := req["messages"].([]any)
	last := msgs[len(msgs)-1].(map[string]any)["content"].(string)
	for _, s := range []string{"[1] atlas.md, page 3 — Europe › France\nParis is the capital", "[2] rivers.txt, page 1\n", "Question: What is the capital of France?"} {
		if !strings.Contains(last, s) {
			t.Fatalf("prompt lacks %q:\n%s", s, last)
		}
	}
	if n := req["options"].(map[string]any)["num_ctx"].(float64); n < 8192 {
		t.Fatalf("num_ctx %v", n)
	}

	// The history has the user's own words and the reply's sources.
	hist, _, err := store.ListMessages(ctx, f.st.DB, u, r.ConversationID, 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(hist) != 2 || hist[0].Content != "What is the capital of France?" || hist[0].Sources != nil {
		t.Fatalf("user message %+v", hist[0])
	}
	if string(hist[1].Sources) != string(r.Message.Sources) {
		t.Fatalf("stored sources %s, sent %s", hist[1].Sources, r.Message.Sources)
	}

	// The same question over the same passages: the same list.
	r2, err := f.svc.Send(ctx, SendRequest{UserID: u, Message: "What is the capital of France?", UseDocuments: true})
	if err != nil {
		t.Fatal(err)
	}
	if string(r2.Message.Sources) != string(r.Message.Sources) {
		t.Fatalf("not deterministic:\n%s\n%s", r2.Message.Sources, r.Message.Sources)
	}
}

// A model that writes no markers still gets the sources listed, none
// cited; a plain chat stores no sources at all.
func TestSourcesWithoutMarkers(t *testing.T) {
	f := newFixture(t, llmtest.WithReply("Paris."))
	f.svc.retriever = &passages{found: twoPassages}
	u := f.user(t, "a@example.test", nil)
	r, err := f.svc.Send(context.Background(), SendRequest{UserID: u, Message: "capital of France?", Mode: "documents"})
	if err != nil {
		t.Fatal(err)
	}
	got := sources(t, r.Message)
	if r.Message.Content != "Paris." || len(got) != 2 || got[0].Cited || got[1].Cited {
		t.Fatalf("%q %+v", r.Message.Content, got)
	}
	plain, err := f.svc.Send(context.Background(), SendRequest{UserID: u, ConversationID: r.ConversationID, Mode: "general", Message: "thanks [3]"})
	if err != nil {
		t.Fatal(err)
	}
	if plain.Message.Sources != nil || plain.Message.NoSources {
		t.Fatalf("plain reply %+v", plain.Message)
	}
}

// Nothing matched: the model is not asked, the reply says so plainly, and
// documents still being indexed are counted.
func TestNoMatchingPassages(t *testing.T) {
	for _, tc := range []struct {
		name     string
		indexing int
		want     []string
	}{
		{"nothing", 0, []string{"No matching passages"}},
		{"still indexing", 2, []string{"No matching passages", "2 documents are still being indexed"}},
		{"one indexing", 1, []string{"1 document is still being indexed"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			f.svc.retriever = &passages{indexing: tc.indexing}
			u := f.user(t, "a@example.test", nil)
			var streamed string
			r, err := f.svc.Send(context.Background(), SendRequest{UserID: u, Message: "What about the moon?", Mode: "documents",
				Stream: Stream{OnToken: func(s string) error { streamed += s; return nil }}})
			if err != nil {
				t.Fatal(err)
			}
			m := r.Message
			for _, w := range tc.want {
				if !strings.Contains(m.Content, w) {
					t.Fatalf("reply %q lacks %q", m.Content, w)
				}
			}
			if streamed != m.Content || !m.NoSources || string(m.Sources) != "[]" || m.Indexing != tc.indexing || m.Status != store.MessageComplete {
				t.Fatalf("%+v (streamed %q)", m, streamed)
			}
			if n := len(f.up.RequestsTo("/api/chat")); n != 0 {
				t.Fatalf("the model was asked %d times", n)
			}
			hist, _, err := store.ListMessages(context.Background(), f.st.DB, u, r.ConversationID, 0, 10)
			if err != nil {
				t.Fatal(err)
			}
			if !hist[1].NoSources || hist[1].Indexing != tc.indexing {
				t.Fatalf("history %+v", hist[1])
			}
		})
	}
}

// Passages found while other documents are still being indexed: the
// answer comes, and says how many were not searched yet.
func TestIndexingCountWithPassages(t *testing.T) {
	f := newFixture(t, llmtest.WithReply("Paris [1]."))
	f.svc.retriever = &passages{found: twoPassages[:1], indexing: 3}
	u := f.user(t, "a@example.test", nil)
	r, err := f.svc.Send(context.Background(), SendRequest{UserID: u, Message: "capital?", UseDocuments: true})
	if err != nil {
		t.Fatal(err)
	}
	if r.Message.Indexing != 3 || r.Message.NoSources || len(sources(t, r.Message)) != 1 {
		t.Fatalf("%+v", r.Message)
	}
}

// A short follow-up is searched with the previous question; a reply from
// documents is regenerated from documents.
func TestFollowUpAndRegenerate(t *testing.T) {
	f := newFixture(t, llmtest.WithReply("Yes [1]."))
	ret := &passages{found: twoPassages}
	f.svc.retriever = ret
	u := f.user(t, "a@example.test", nil)
	ctx := context.Background()
	r, err := f.svc.Send(ctx, SendRequest{UserID: u, Message: "Which river runs through the capital of France?", UseDocuments: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Send(ctx, SendRequest{UserID: u, ConversationID: r.ConversationID, Message: "and its length?", UseDocuments: true}); err != nil {
		t.Fatal(err)
	}
	if q := ret.queries[1]; q != "Which river runs through the capital of France?\nand its length?" {
		t.Fatalf("follow-up query %q", q)
	}
	re, err := f.svc.Regenerate(ctx, RegenerateRequest{UserID: u, ConversationID: r.ConversationID})
	if err != nil {
		t.Fatal(err)
	}
	if len(ret.queries) != 3 || len(sources(t, re.Message)) != 2 {
		t.Fatalf("regenerated %+v after %q", re.Message, ret.queries)
	}
}

// The demo model answers from the passages it is given: it quotes source
// [1] with its marker, so --demo shows a cited answer.
func TestDemoCitesFirstSource(t *testing.T) {
	f := newFixtureWith(t, llm.NewDemo(0))
	f.svc.retriever = &passages{found: twoPassages}
	u := f.user(t, "a@example.test", nil)
	r, err := f.svc.Send(context.Background(), SendRequest{UserID: u, Message: "What is the capital of France?", Mode: "documents"})
	if err != nil {
		t.Fatal(err)
	}
	got := sources(t, r.Message)
	if !strings.Contains(r.Message.Content, "atlas.md, page 3") || !strings.Contains(r.Message.Content, "\u201cParis is the capital of France.\u201d [1]") ||
		!strings.Contains(r.Message.Content, "[2]") || !got[0].Cited || !got[1].Cited {
		t.Fatalf("%q %+v", r.Message.Content, got)
	}
}

// Without a retriever a reply from documents is refused, not answered as
// a plain chat.
func TestDocumentsUnavailable(t *testing.T) {
	f := newFixture(t)
	u := f.user(t, "a@example.test", nil)
	if _, err := f.svc.Send(context.Background(), SendRequest{UserID: u, Message: "x", UseDocuments: true}); code(err) != "documents_unavailable" {
		t.Fatalf("%v", err)
	}
	if _, err := f.svc.Converse(context.Background(), ConverseRequest{UserID: u, Message: "x", Mode: "documents"}); code(err) != "documents_unavailable" {
		t.Fatalf("%v", err)
	}
}

// The single turn in the documents mode answers from passages too.
func TestConverseFromDocuments(t *testing.T) {
	f := newFixture(t, llmtest.WithReply("Paris [1] [5]."))
	f.svc.retriever = &passages{found: twoPassages}
	u := f.user(t, "a@example.test", nil)
	r, err := f.svc.Converse(context.Background(), ConverseRequest{UserID: u, Message: "capital?", Mode: "documents"})
	if err != nil {
		t.Fatal(err)
	}
	if r.Content != "Paris [1]." || len(r.Sources) != 2 || !r.Sources[0].Cited || r.Sources[1].Cited {
		t.Fatalf("%+v", r)
	}
	f.svc.retriever = &passages{}
	r, err = f.svc.Converse(context.Background(), ConverseRequest{UserID: u, Message: "capital?", Mode: "documents"})
	if err != nil || !r.NoSources || !strings.Contains(r.Content, "No matching passages") {
		t.Fatalf("%+v %v", r, err)
	}
}

func TestCiteMarkers(t *testing.T) {
	for _, tc := range []struct {
		in, want string
		cited    []bool // of three sources
	}{
		{"Paris [1].", "Paris [1].", []bool{true, false, false}},
		{"Paris [4].", "Paris.", []bool{false, false, false}},
		{"Paris [0] and Lyon [3]", "Paris and Lyon [3]", []bool{false, false, true}},
		{"both [1, 2] and [2,9] and [8, 9]!", "both [1, 2] and [2] and!", []bool{true, true, false}},
		{"[9] starts", "starts", []bool{false, false, false}},
		{"adjacent [1][7][2]", "adjacent [1][2]", []bool{true, true, false}},
		{"code a[7] and f(x)[9] stay", "code a[7] and f(x)[9] stay", []bool{false, false, false}},
		{"not markers [x] [] [1a] [", "not markers [x] [] [1a] [", []bool{false, false, false}},
		{"links [text](url) and [3](x)", "links [text](url) and [3](x)", []bool{false, false, true}},
		{"é [12] ü", "é ü", []bool{false, false, false}},
	} {
		src := make([]Source, 3)
		got := citeMarkers(tc.in, src)
		if got != tc.want {
			t.Errorf("%q → %q, want %q", tc.in, got, tc.want)
		}
		for i, c := range tc.cited {
			if src[i].Cited != c {
				t.Errorf("%q: source %d cited %v", tc.in, i+1, src[i].Cited)
			}
		}
	}
}

func TestNumCtx(t *testing.T) {
	big := strings.Repeat("x", 60_000)
	for _, tc := range []struct {
		name string
		msgs []llm.Message
		opts map[string]any
		want any
	}{
		{"small prompt gets the floor", []llm.Message{{Content: "hi"}}, nil, 8192},
		{"a big prompt more", []llm.Message{{Content: big}}, nil, 22528},
		{"a smaller num_ctx is raised", []llm.Message{{Content: "hi"}}, map[string]any{"num_ctx": float64(2048)}, 8192},
		{"a larger one is kept", []llm.Message{{Content: "hi"}}, map[string]any{"num_ctx": float64(32768)}, float64(32768)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := numCtx(tc.msgs, tc.opts)
			if got["num_ctx"] != tc.want {
				t.Fatalf("num_ctx %v (%T), want %v", got["num_ctx"], got["num_ctx"], tc.want)
			}
		})
	}
}

// Regenerating a reply searches the documents again only if the reply was
// answered from them: a research reply's sources are web pages.
func TestFromDocuments(t *testing.T) {
	general, research := Mode{Key: "general"}, Mode{Key: ResearchMode}
	cases := []struct {
		name    string
		sources string // "" = none stored
		mode    Mode
		want    bool
	}{
		{"no sources", "", general, false},
		{"a document passage", `[{"n":1,"document_id":7,"page":2,"text":"x"}]`, general, true},
		{"nothing found in the documents", `[]`, general, true},
		{"web pages", `[{"n":1,"url":"https://example.com/a","title":"A","text":"x"}]`, research, false},
		{"research found nothing", `[]`, research, false},
		{"research with a document too", `[{"n":1,"url":"https://example.com/a","text":"x"},{"n":2,"document_id":3,"text":"y"}]`, research, true},
	}
	for _, tc := range cases {
		m := &store.Message{}
		if tc.sources != "" {
			m.Sources = json.RawMessage(tc.sources)
		}
		if got := fromDocuments(m, tc.mode); got != tc.want {
			t.Errorf("%s: fromDocuments = %v, want %v", tc.name, got, tc.want)
		}
	}
}
