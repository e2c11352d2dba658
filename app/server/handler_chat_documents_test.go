package server_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/aiwfe/aiwfe/app/server/servertest"
)

// docNotes is a plain-text document of several passages: the whales
// passage comes after a page's worth of other text, so its offsets are
// not the page's start.
var docNotes = strings.Repeat("Tomatoes need sun for most of the day and water at the roots. "+
	"Basil grows well beside them and keeps some insects away. ", 12) +
	"\n\nHumpback whales sing long songs in the breeding season. Their songs travel for many kilometres under water.\n"

type source struct {
	N            int    `json:"n"`
	DocumentID   int64  `json:"document_id"`
	DocumentName string `json:"document_name"`
	ChunkID      int64  `json:"chunk_id"`
	Page         int    `json:"page"`
	Heading      string `json:"heading"`
	Text         string `json:"text"`
	Start        int    `json:"start"`
	End          int    `json:"end"`
	Cited        bool   `json:"cited"`
}

type docReply struct {
	ConversationID int64 `json:"conversation_id"`
	Message        struct {
		ID        int64    `json:"id"`
		Content   string   `json:"content"`
		Sources   []source `json:"sources"`
		NoSources bool     `json:"no_sources"`
		Indexing  int      `json:"indexing"`
		Demo      bool     `json:"demo"`
	} `json:"message"`
}

// readyDocs uploads files for c and waits until every one is indexed.
func readyDocs(t *testing.T, c *servertest.Client, files ...string) []docView {
	t.Helper()
	docs := uploadDocs(t, c, "", files...)
	for i, d := range docs {
		docs[i] = waitDoc(t, c, d.ID, "ready")
	}
	return docs
}

// checkPassage fails unless s is a passage of document id, and its
// start/end select its text in the page the content endpoint serves (what
// the citation viewer highlights).
func checkPassage(t *testing.T, c *servertest.Client, s source, id int64, name, want string) {
	t.Helper()
	if s.DocumentID != id || s.DocumentName != name || s.Page != 1 || s.ChunkID == 0 || !strings.Contains(s.Text, want) {
		t.Fatalf("source %+v, want %s's passage with %q", s, name, want)
	}
	var page struct{ Text string }
	c.Get(fmt.Sprintf("/api/v1/documents/%d/content?page=%d", s.DocumentID, s.Page)).JSON(t, &page)
	r := []rune(page.Text)
	if s.Start < 0 || s.End > len(r) || s.Start >= s.End || !strings.Contains(string(r[s.Start:s.End]), want) {
		t.Fatalf("start %d end %d select %q of page %q", s.Start, s.End, string(r[max(0, min(s.Start, len(r))):max(0, min(s.End, len(r)))]), page.Text)
	}
}

// POST /api/v1/chat from documents with the demo model and the real
// ingestion path: the reply cites the right passage, its sources come back
// with the history and the export, and no user is given another's passages.
func TestChatFromDocumentsREST(t *testing.T) {
	srv := servertest.Start(t)
	c, other := srv.User(t, "user"), srv.User(t, "user")
	docs := readyDocs(t, c, "notes.txt", docNotes, "bread.txt", docBread)
	readyDocs(t, other, "vault.txt", "The vault code is pelican seventeen, kept in the cellar.")

	ask := func(cl *servertest.Client, body map[string]any) docReply {
		t.Helper()
		res := cl.Post("/api/v1/chat", body)
		if res.Status != 200 {
			t.Fatalf("chat: %s", res)
		}
		var r docReply
		res.JSON(t, &r)
		return r
	}

	r := ask(c, map[string]any{"message": "What do humpback whales sing?", "use_documents": true})
	m := r.Message
	if len(m.Sources) == 0 || m.NoSources || !m.Demo {
		t.Fatalf("reply %+v", m)
	}
	top := m.Sources[0]
	checkPassage(t, c, top, docs[0].ID, "notes.txt", "Humpback whales sing")
	if top.N != 1 || !top.Cited || !strings.Contains(m.Content, "Humpback whales sing long songs in the breeding season.\u201d [1]") {
		t.Fatalf("cited reply %q, source %+v", m.Content, top)
	}
	for _, s := range m.Sources {
		if s.DocumentID != docs[0].ID && s.DocumentID != docs[1].ID {
			t.Fatalf("a passage of another user's document: %+v", s)
		}
	}

	// The history brings the same sources back.
	var hist struct {
		Items []struct {
			ID      int64    `json:"id"`
			Role    string   `json:"role"`
			Sources []source `json:"sources"`
		} `json:"items"`
	}
	srvRes := c.Get(fmt.Sprintf("/api/v1/conversations/%d/messages", r.ConversationID))
	srvRes.JSON(t, &hist)
	if len(hist.Items) != 2 || hist.Items[0].Sources != nil || len(hist.Items[1].Sources) != len(m.Sources) || hist.Items[1].Sources[0] != top {
		t.Fatalf("history %s", srvRes.Body)
	}

	// The documents mode implies it.
	if r := ask(c, map[string]any{"message": "How does sourdough bread rise?", "mode": "documents"}); len(r.Message.Sources) == 0 ||
		r.Message.Sources[0].DocumentID != docs[1].ID {
		t.Fatalf("documents mode %+v", r.Message)
	}

	// Another user's document is never found: nothing matches for c, and
	// the other user, asking about c's whales, finds nothing either.
	for _, tc := range []struct {
		who *servertest.Client
		q   string
	}{{c, "What is the vault code kept in the cellar?"}, {other, "What do humpback whales sing?"}} {
		nr := ask(tc.who, map[string]any{"message": tc.q, "use_documents": true})
		if !nr.Message.NoSources || len(nr.Message.Sources) != 0 || !strings.Contains(nr.Message.Content, "No matching passages") ||
			strings.Contains(nr.Message.Content, "pelican") || strings.Contains(nr.Message.Content, "Humpback") {
			t.Fatalf("%q: %+v", tc.q, nr.Message)
		}
	}

	// A plain chat has no sources.
	if p := ask(c, map[string]any{"message": "Hello there"}); p.Message.Sources != nil || p.Message.NoSources {
		t.Fatalf("plain %+v", p.Message)
	}

	// The export carries them with the message.
	ex := c.Get("/api/v1/profile/export")
	if ex.Status != 200 {
		t.Fatalf("export %s", ex)
	}
	var archive struct {
		Conversations []struct {
			Messages []struct {
				ID        int64    `json:"id"`
				Sources   []source `json:"sources"`
				NoSources bool     `json:"no_sources"`
			} `json:"messages"`
		} `json:"conversations"`
	}
	if err := json.Unmarshal(ex.Body, &archive); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, cv := range archive.Conversations {
		for _, em := range cv.Messages {
			if em.ID == m.ID {
				found = len(em.Sources) == len(m.Sources) && em.Sources[0] == top
			}
		}
	}
	if !found {
		t.Fatalf("the export lacks the reply's sources")
	}
}

// The WebSocket: done carries the sources, the final text and, when
// nothing matched, no_sources; a use_documents send in any mode works.
func TestWSChatFromDocuments(t *testing.T) {
	srv := servertest.Start(t)
	c := srv.User(t, "user")
	docs := readyDocs(t, c, "notes.txt", docNotes)
	ws := dialWS(t, srv.URL, "/api/v1/ws/chat", accessTokenOf(t, c))

	ws.send(map[string]any{"type": "send", "message": "When do humpback whales sing their songs?", "mode": "general", "use_documents": true})
	start := ws.expect("start")
	done, toks := ws.until("done")
	var d struct {
		Content   string   `json:"content"`
		Sources   []source `json:"sources"`
		NoSources bool     `json:"no_sources"`
		Status    string   `json:"status"`
	}
	b, _ := json.Marshal(done)
	json.Unmarshal(b, &d)
	if d.Status != "complete" || len(d.Sources) == 0 || d.NoSources || d.Content != strings.Join(toks, "") || !strings.Contains(d.Content, "[1]") {
		t.Fatalf("done %s (tokens %q)", b, strings.Join(toks, ""))
	}
	checkPassage(t, c, d.Sources[0], docs[0].ID, "notes.txt", "Humpback whales sing")
	if start.str("mode") != "general" {
		t.Fatalf("start %v", start)
	}

	ws.send(map[string]any{"type": "send", "conversation_id": start.num("conversation_id"), "message": "Which volcano erupted near Reykjavik last winter?", "mode": "documents"})
	ws.expect("start")
	done, _ = ws.until("done")
	if done["no_sources"] != true || !strings.Contains(done.str("content"), "No matching passages") {
		t.Fatalf("no sources: %v", done)
	}
	if src, ok := done["sources"].([]any); !ok || len(src) != 0 {
		t.Fatalf("sources of nothing found: %v", done["sources"])
	}

	// A plain send's done has none of it.
	ws.send(map[string]any{"type": "send", "message": "Hello", "mode": "general"})
	ws.expect("start")
	done, _ = ws.until("done")
	for _, k := range []string{"sources", "no_sources", "indexing", "content"} {
		if _, ok := done[k]; ok {
			t.Fatalf("plain done has %s: %v", k, done)
		}
	}
}
