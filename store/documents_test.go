package store

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"
)

func TestDocFTSQuery(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", ""},
		{"the of and", ""},
		{"What is the BOILING point of water?", `"boiling" OR "point" OR "water"`},
		{`NEAR("a" b) OR -x:y* ^z`, `"near" OR "b" OR "x" OR "y" OR "z"`},
		{"water water Water", `"water"`},
		{"café\x00latte", `"café" OR "latte"`},
	} {
		if got := DocFTSQuery(tc.in); got != tc.want {
			t.Errorf("DocFTSQuery(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// The documents tables: the same bytes are one document per user, a
// replacement swaps chunks, index entries and vectors together, a search
// never reaches another user's chunks, and deleting a document leaves no
// chunk, index entry, vector or job behind.
func TestDocumentsStore(t *testing.T) {
	ctx := context.Background()
	s := openTemp(t)
	alice, bob := chatUser(t, s, "alice@example.test"), chatUser(t, s, "bob@example.test")
	now := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)

	d := &Document{UserID: alice, Name: "a.txt", SHA256: "aa", Size: 3, FilePath: "documents/1/aa"}
	if err := InsertDocument(ctx, s.DB, d, now); err != nil {
		t.Fatal(err)
	}
	if err := InsertDocument(ctx, s.DB, &Document{UserID: alice, Name: "b.txt", SHA256: "aa", FilePath: "x"}, now); !errors.Is(err, ErrDuplicate) {
		t.Fatalf("same bytes twice: %v", err)
	}
	if err := InsertDocument(ctx, s.DB, &Document{UserID: bob, Name: "a.txt", SHA256: "aa", FilePath: "y"}, now); err != nil {
		t.Fatalf("another user's same bytes: %v", err)
	}
	if err := EnqueueJob(ctx, s.DB, d.ID, "ingest", now); err != nil {
		t.Fatal(err)
	}
	model, err := EmbeddingModelID(ctx, s.DB, "m", 2)
	if err != nil {
		t.Fatal(err)
	}
	content := func(words ...string) *DocumentContent {
		c := &DocumentContent{Title: "T", Format: "txt", Pages: []Page{{1, "x"}}, ModelID: model}
		for _, w := range words {
			c.Chunks = append(c.Chunks, &Chunk{Page: 1, Text: w, Head: "T"})
			c.Vectors = append(c.Vectors, []float32{1, 0})
		}
		return c
	}
	if err := ReplaceDocumentContent(ctx, s.DB, d.ID, content("zebra stripes", "lion mane"), now); err != nil {
		t.Fatal(err)
	}
	hits, err := KeywordSearch(ctx, s.DB, alice, "zebras", "", true, 10)
	if err != nil || len(hits) != 1 {
		t.Fatalf("search: %v %v", hits, err)
	}
	if hits, _ := KeywordSearch(ctx, s.DB, bob, "zebra", "", true, 10); len(hits) != 0 {
		t.Fatalf("bob found alice's chunk: %v", hits)
	}
	if hits, _ := KeywordSearch(ctx, s.DB, alice, "zebra", "other", false, 10); len(hits) != 0 {
		t.Fatalf("collection filter: %v", hits)
	}
	if err := ReplaceDocumentContent(ctx, s.DB, d.ID, content("tiger"), now); err != nil {
		t.Fatal(err)
	}
	if hits, _ := KeywordSearch(ctx, s.DB, alice, "zebra", "", true, 10); len(hits) != 0 {
		t.Fatalf("replaced chunk still found: %v", hits)
	}
	count := func(q string) int {
		var n int
		if err := s.DB.QueryRow(q).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := count("SELECT COUNT(*) FROM chunk_vectors"); n != 1 {
		t.Fatalf("vectors after replacement: %d", n)
	}
	if err := DeleteDocument(ctx, s.DB, bob, d.ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("bob deleted alice's document: %v", err)
	}
	if err := DeleteDocument(ctx, s.DB, alice, d.ID); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{"SELECT COUNT(*) FROM document_chunks", "SELECT COUNT(*) FROM chunk_vectors",
		"SELECT COUNT(*) FROM document_jobs", "SELECT COUNT(*) FROM document_pages",
		`SELECT COUNT(*) FROM document_chunks_fts WHERE document_chunks_fts MATCH '"tiger"'`} {
		if n := count(q); n != 0 {
			t.Errorf("%s = %d after delete", q, n)
		}
	}
	if err := ReplaceDocumentContent(ctx, s.DB, d.ID, content("x"), now); !errors.Is(err, ErrNotFound) {
		t.Fatalf("content for a deleted document: %v", err)
	}
}

func TestJobQueueOrderAndRetry(t *testing.T) {
	ctx := context.Background()
	s := openTemp(t)
	u := chatUser(t, s, "a@example.test")
	now := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	var ids []int64
	for _, sha := range []string{"1", "2"} {
		d := &Document{UserID: u, Name: sha, SHA256: sha, FilePath: sha}
		if err := InsertDocument(ctx, s.DB, d, now); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, d.ID)
		EnqueueJob(ctx, s.DB, d.ID, "ingest", now)
	}
	j, _, err := NextJob(ctx, s.DB, now)
	if err != nil || j.DocumentID != ids[0] {
		t.Fatalf("first: %+v %v", j, err)
	}
	// The first fails: the second runs before its retry falls due.
	if err := RetryJob(ctx, s.DB, j.DocumentID, j.Attempts, now.Add(time.Minute), "boom"); err != nil {
		t.Fatal(err)
	}
	j2, _, err := NextJob(ctx, s.DB, now)
	if err != nil || j2.DocumentID != ids[1] {
		t.Fatalf("second: %+v %v", j2, err)
	}
	FinishJob(ctx, s.DB, j2)
	if _, due, err := NextJob(ctx, s.DB, now); !errors.Is(err, ErrNotFound) || !due.Equal(now.Add(time.Minute)) {
		t.Fatalf("nothing due until the retry: %v %v", due, err)
	}
	j, _, err = NextJob(ctx, s.DB, now.Add(time.Minute))
	if err != nil || j.Attempts != 1 || j.LastError != "boom" {
		t.Fatalf("retry: %+v %v", j, err)
	}
	// An embed queued over a pending ingest keeps the ingest.
	EnqueueJob(ctx, s.DB, ids[0], "embed", now)
	if j, _, _ := NextJob(ctx, s.DB, now); j.Kind != "ingest" || j.Attempts != 0 {
		t.Fatalf("embed over ingest: %+v", j)
	}
}

// At scale a keyword query leaves out words most chunks hold (ranking by
// them means scoring nearly every chunk), unless nothing rarer is left.
func TestKeywordSearchLeavesOutCommonWords(t *testing.T) {
	ctx := context.Background()
	s := openTemp(t)
	u := chatUser(t, s, "a@example.test")
	now := time.Now()
	d := &Document{UserID: u, Name: "a", SHA256: "a", FilePath: "a"}
	if err := InsertDocument(ctx, s.DB, d, now); err != nil {
		t.Fatal(err)
	}
	defer func(v int) { dfCap = v }(dfCap)
	dfCap = 5
	c := &DocumentContent{Pages: []Page{{1, ""}}}
	for i := 0; i < 10; i++ {
		text := fmt.Sprintf("common filler%d", i)
		if i == 3 {
			text += " rare"
		}
		c.Chunks = append(c.Chunks, &Chunk{Page: 1, Text: text})
	}
	if err := ReplaceDocumentContent(ctx, s.DB, d.ID, c, now); err != nil {
		t.Fatal(err)
	}
	defer func(v int) { pruneFrom = v }(pruneFrom)
	for _, tc := range []struct {
		from  int
		query string
		want  int
	}{
		{1 << 30, "common rare", 10}, // a small index: every word
		{0, "common rare", 1},        // "common" is in every chunk
		{0, "common filler3", 1},     // the rarer word stays
		{0, "common", 5},             // all common: the first dfCap matches ranked
	} {
		pruneFrom = tc.from
		hits, err := KeywordSearch(ctx, s.DB, u, tc.query, "", true, 100)
		if err != nil || len(hits) != tc.want {
			t.Errorf("from %d, %q: %d hits (%v), want %d", tc.from, tc.query, len(hits), err, tc.want)
		}
	}
}
