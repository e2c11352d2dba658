package app_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/aiwfe/aiwfe/app/chat"
	"github.com/aiwfe/aiwfe/app/config"
	"github.com/aiwfe/aiwfe/app/documents"
	"github.com/aiwfe/aiwfe/app/llm/llmtest"
	"github.com/aiwfe/aiwfe/app/server/servertest"
	"github.com/aiwfe/aiwfe/store"
)

// Chat reaches the documents service through the seam app.Open wires: a
// question asked while the user's document is still queued says so (and
// finds nothing), the same question once it is indexed gets its passage.
// The app is opened as a CLI command would be, so the ingestion worker
// runs only once the test starts it.
func TestChatRetrievesThroughTheDocumentsService(t *testing.T) {
	a := servertest.OpenApp(t)
	ctx := context.Background()
	u, err := store.CreateUser(ctx, a.Store.DB, store.NewUser{Email: "r@example.test", PasswordHash: "x", Role: "user", Status: "active"}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	up, err := a.Documents.Spool("whales.txt", "text/plain", strings.NewReader("Humpback whales sing long songs in the breeding season."))
	if err != nil {
		t.Fatal(err)
	}
	docs, err := a.Documents.Add(ctx, u.ID, "", []*documents.Upload{up})
	if err != nil {
		t.Fatal(err)
	}
	ask := func() *store.Message {
		t.Helper()
		r, err := a.Chat.Send(ctx, chat.SendRequest{UserID: u.ID, Message: "What do humpback whales sing?", UseDocuments: true})
		if err != nil {
			t.Fatal(err)
		}
		return r.Message
	}

	m := ask()
	if !m.NoSources || m.Indexing != 1 || !strings.Contains(m.Content, "1 document is still being indexed") {
		t.Fatalf("while queued: %+v", m)
	}

	a.Documents.Start()
	deadline := time.Now().Add(10 * time.Second)
	for {
		d, err := a.Documents.Get(ctx, u.ID, docs[0].ID)
		if err != nil {
			t.Fatal(err)
		}
		if d.Status == "ready" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("document %s after 10s", d.Status)
		}
		time.Sleep(5 * time.Millisecond)
	}
	m = ask()
	var src []chat.Source
	if err := json.Unmarshal(m.Sources, &src); err != nil {
		t.Fatal(err)
	}
	if m.NoSources || m.Indexing != 0 || len(src) != 1 || src[0].DocumentID != docs[0].ID || src[0].DocumentName != "whales.txt" ||
		src[0].Page != 1 || src[0].ChunkID == 0 || src[0].End <= src[0].Start || !src[0].Cited {
		t.Fatalf("once indexed: %q %+v", m.Content, src)
	}
}

// Choosing another embedding model in the profile re-embeds the user's
// documents in the background: the document gets vectors of the new model
// without the person pressing "reindex".
func TestEmbeddingModelChangeReembeds(t *testing.T) {
	ollama := llmtest.NewOllama(t, llmtest.WithModels("llama3.2:3b", "nomic-embed-text"), llmtest.WithEmbedDim(16))
	a := servertest.OpenApp(t, func(c *config.Config) {
		c.LLM.Provider = "ollama"
		c.LLM.BaseURL = ollama.URL
	})
	ctx := context.Background()
	u, err := store.CreateUser(ctx, a.Store.DB, store.NewUser{Email: "m@example.test", PasswordHash: "x", Role: "user", Status: "active"}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	up, err := a.Documents.Spool("notes.txt", "text/plain", strings.NewReader("Sourdough needs a lively starter and a long, cool rise."))
	if err != nil {
		t.Fatal(err)
	}
	docs, err := a.Documents.Add(ctx, u.ID, "", []*documents.Upload{up})
	if err != nil {
		t.Fatal(err)
	}
	a.Documents.Start()
	vectorModel := func() string {
		var name string
		a.Store.DB.QueryRow(`SELECT m.name FROM documents d JOIN embedding_models m ON m.id = d.vec_model_id WHERE d.id = ?`, docs[0].ID).Scan(&name)
		return name
	}
	waitFor := func(what string, ok func() bool) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for !ok() {
			if time.Now().After(deadline) {
				t.Fatalf("%s: not within 10 s (vectors of %q)", what, vectorModel())
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	waitFor("the built-in embedder's vectors", func() bool { return vectorModel() == documents.BuiltinModel })

	if _, err := a.Users.UpdateProfile(ctx, u.ID, map[string]json.RawMessage{"models": json.RawMessage(`{"embedding_model": "nomic-embed-text"}`)}); err != nil {
		t.Fatal(err)
	}
	waitFor("the new model's vectors", func() bool { return vectorModel() == "nomic-embed-text" })
	if len(ollama.RequestsTo("/api/embed")) == 0 {
		t.Fatal("the model server was never asked for embeddings")
	}
}
