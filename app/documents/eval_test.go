package documents

import (
	"bufio"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"math"
	"math/rand"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aiwfe/aiwfe/app/llm"
	"github.com/aiwfe/aiwfe/store"
)

// The retrieval benchmarks. `make eval` runs them; the SciFact one needs
// ../shared/datasets/scifact-dev (BEIR format), read at run time and
// skipped when absent: the product never needs it.

func scifactDir() string {
	if d := os.Getenv("AIWFE_SCIFACT"); d != "" {
		return d
	}
	return filepath.Join("..", "..", "..", "shared", "datasets", "scifact-dev")
}

func readJSONLT(b testing.TB, path string, fn func(map[string]any)) { readJSONL(b, path, fn) }

func readJSONL(b testing.TB, path string, fn func(map[string]any)) {
	f, err := os.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			b.Fatal(err)
		}
		fn(m)
	}
	if err := sc.Err(); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkSciFact ingests BEIR SciFact's 5,183 abstracts through the
// real path (spool, queue, extract, chunk, embed with the built-in
// embedder, index), runs the 809 claims through Search in each mode and
// prints nDCG@10 and Recall@100 (BEIR's definitions: each abstract ranks
// where its best passage does).
func BenchmarkSciFact(b *testing.B) {
	dir := scifactDir()
	if _, err := os.Stat(filepath.Join(dir, "corpus.jsonl")); err != nil {
		b.Skipf("SciFact not found at %s (set AIWFE_SCIFACT): %v", dir, err)
	}
	for i := 0; i < b.N; i++ {
		runSciFact(b, dir, "", nil)
	}
	// With a model server and an embedding model named, the same claims
	// run again with that model's vectors (and its weight in the fusion),
	// through the real /api/embed path: e.g.
	//   AIWFE_EVAL_OLLAMA=http://127.0.0.1:11434 AIWFE_EVAL_EMBED_MODEL=nomic-embed-text make eval
	base, model := os.Getenv("AIWFE_EVAL_OLLAMA"), os.Getenv("AIWFE_EVAL_EMBED_MODEL")
	if base == "" || model == "" {
		fmt.Println("scifact: no embedding model configured (AIWFE_EVAL_OLLAMA, AIWFE_EVAL_EMBED_MODEL); built-in embedder only")
		return
	}
	p, err := llm.New(llm.Config{Provider: "ollama", BaseURL: base})
	if err != nil {
		b.Fatal(err)
	}
	for i := 0; i < b.N; i++ {
		runSciFact(b, dir, model, p)
	}
}

// runSciFact ingests and scores SciFact with the built-in embedder, or,
// with a provider, with the embedding model it names.
func runSciFact(b *testing.B, dir, model string, p llm.Provider) {
	ctx := context.Background()
	f := newFixture(b, func(d *Deps) { d.LLM = p })
	u := f.user("eval@example.test")
	label := "built-in"
	if model != "" {
		f.setModel(u, model)
		label = model
	}
	fmt.Printf("scifact: embeddings from %s\n", label)
	corpusOf, queries, qrels := ingestSciFact(b, f, u, dir)
	for _, mode := range []string{ModeKeyword, ModeVector, ModeHybrid} {
		var ndcg, recall float64
		var lat []time.Duration
		for _, q := range queries {
			t0 := time.Now()
			res, err := f.svc.Search(ctx, u, SearchRequest{Query: q.text, Limit: MaxLimit, Mode: mode})
			lat = append(lat, time.Since(t0))
			if err != nil {
				b.Fatal(err)
			}
			var ranked []string
			seen := map[string]bool{}
			for _, r := range res {
				if id := corpusOf[r.DocumentID]; !seen[id] {
					seen[id] = true
					ranked = append(ranked, id)
				}
			}
			n, r := ndcgRecall(ranked, qrels[q.id])
			ndcg += n
			recall += r
		}
		p50, p95 := percentiles(lat)
		fmt.Printf("scifact %-7s nDCG@10 %.3f  Recall@100 %.3f  (%d claims, %s; search p50 %.1f ms, p95 %.1f ms)\n",
			mode, ndcg/float64(len(queries)), recall/float64(len(queries)), len(queries), label, ms(p50), ms(p95))
		if model == "" {
			b.ReportMetric(ndcg/float64(len(queries)), "nDCG@10-"+mode)
		}
	}
}

type sciQuery struct{ id, text string }

// ingestSciFact uploads the corpus through the service and waits for the
// queue to drain; it returns the corpus id of each document, the claims
// and their relevant abstracts.
func ingestSciFact(b testing.TB, f *fixture, u int64, dir string) (map[int64]string, []sciQuery, map[string]map[string]bool) {
	ctx := context.Background()
	type doc struct{ id, title, text string }
	var corpus []doc
	readJSONL(b, filepath.Join(dir, "corpus.jsonl"), func(m map[string]any) {
		corpus = append(corpus, doc{m["_id"].(string), m["title"].(string), m["text"].(string)})
	})
	// AIWFE_EVAL_DOCS=n keeps the first n abstracts (and the claims with a
	// relevant one among them): a slow embedding model can then be checked
	// end to end in minutes. The figures are not comparable with BEIR's.
	inCorpus := map[string]bool{}
	if n, err := strconv.Atoi(os.Getenv("AIWFE_EVAL_DOCS")); err == nil && n > 0 && n < len(corpus) {
		corpus = corpus[:n]
		fmt.Printf("scifact: the first %d abstracts only (AIWFE_EVAL_DOCS)\n", n)
	}
	for _, d := range corpus {
		inCorpus[d.id] = true
	}
	corpusOf := map[int64]string{}
	start := time.Now()
	const batch = 100
	var last int64
	for i := 0; i < len(corpus); i += batch {
		var ups []*Upload
		for _, d := range corpus[i:min(i+batch, len(corpus))] {
			// The title names the file (its "title › heading" prefix),
			// the id keeps names apart.
			name := strings.NewReplacer("/", "-", `\`, "-").Replace(strings.TrimSpace(d.title)) + " [" + d.id + "].txt"
			up, err := f.svc.Spool(name, "text/plain", strings.NewReader(d.text))
			if err != nil {
				b.Fatal(err)
			}
			ups = append(ups, up)
		}
		docs, err := f.svc.Add(ctx, u, "", ups)
		if err != nil {
			b.Fatal(err)
		}
		for k, d := range docs {
			corpusOf[d.ID] = corpus[i+k].id
			last = d.ID
		}
	}
	for {
		n, err := store.PendingJobs(ctx, f.st.DB, u)
		if err != nil {
			b.Fatal(err)
		}
		if n == 0 {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	took := time.Since(start)
	_ = last
	var chunks, failed int
	f.st.DB.QueryRow("SELECT COUNT(*) FROM document_chunks").Scan(&chunks)
	f.st.DB.QueryRow("SELECT COUNT(*) FROM documents WHERE status != 'ready'").Scan(&failed)
	fmt.Printf("scifact: ingested %d abstracts (%d chunks, %d not ready) in %.1f s: %.0f documents/s\n",
		len(corpus), chunks, failed, took.Seconds(), float64(len(corpus))/took.Seconds())
	if bb, ok := b.(*testing.B); ok {
		bb.ReportMetric(float64(len(corpus))/took.Seconds(), "docs/s")
	}

	qrels := map[string]map[string]bool{}
	qf, err := os.ReadFile(filepath.Join(dir, "qrels", "train.tsv"))
	if err != nil {
		b.Fatal(err)
	}
	for i, line := range strings.Split(strings.TrimSpace(string(qf)), "\n") {
		p := strings.Split(line, "\t")
		if i == 0 || len(p) != 3 || p[2] == "0" {
			continue
		}
		if qrels[p[0]] == nil {
			qrels[p[0]] = map[string]bool{}
		}
		qrels[p[0]][p[1]] = true
	}
	var queries []sciQuery
	readJSONL(b, filepath.Join(dir, "queries.jsonl"), func(m map[string]any) {
		for id := range qrels[m["_id"].(string)] {
			if inCorpus[id] {
				queries = append(queries, sciQuery{m["_id"].(string), m["text"].(string)})
				break
			}
		}
	})
	return corpusOf, queries, qrels
}

// ndcgRecall scores a ranking of abstracts: nDCG@10 with binary gains and
// Recall@100.
func ndcgRecall(ranked []string, rel map[string]bool) (float64, float64) {
	var dcg, idcg float64
	found := 0
	for i, id := range ranked {
		if !rel[id] {
			continue
		}
		if i < 10 {
			dcg += 1 / math.Log2(float64(i+2))
		}
		if i < 100 {
			found++
		}
	}
	for i := 0; i < min(len(rel), 10); i++ {
		idcg += 1 / math.Log2(float64(i+2))
	}
	return dcg / idcg, float64(found) / float64(len(rel))
}

func percentiles(d []time.Duration) (time.Duration, time.Duration) {
	s := append([]time.Duration(nil), d...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[len(s)/2], s[len(s)*95/100]
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// BenchmarkSearchLatency100k: hybrid, keyword and vector search latency
// over 100,000 synthetic chunks of about 1,000 characters with
// 384-dimensional vectors (the size of all-minilm), one user.
func BenchmarkSearchLatency100k(b *testing.B) {
	const nChunks, perDoc, dim, name = 100_000, 1000, 384, "hash-384"
	ctx := context.Background()
	f := newFixture(b, func(d *Deps) {
		d.NewEmbedder = func(n string) Embedder {
			if n == name {
				return hashEmbedder{name: name, dim: dim}
			}
			return nil
		}
	})
	u := f.user("bench@example.test")
	f.setModel(u, name)
	rng := rand.New(rand.NewSource(1))
	// Words with a Zipf-like spread: common ones and a long tail, so the
	// keyword index has long and short posting lists as real text does.
	vocab := make([]string, 30_000)
	for i := range vocab {
		vocab[i] = "w" + strconv.FormatInt(int64(i), 36) + string(rune('a'+i%26))
	}
	zipf := rand.NewZipf(rng, 1.1, 2, uint64(len(vocab)-1))
	text := func(n int) string {
		var sb strings.Builder
		for sb.Len() < n {
			sb.WriteString(vocab[zipf.Uint64()])
			sb.WriteByte(' ')
		}
		return sb.String()
	}
	start := time.Now()
	model, err := store.EmbeddingModelID(ctx, f.st.DB, name, dim)
	if err != nil {
		b.Fatal(err)
	}
	for d := 0; d < nChunks/perDoc; d++ {
		doc := &store.Document{UserID: u, Name: fmt.Sprintf("doc%d.txt", d), SHA256: strconv.Itoa(d), FilePath: "x"}
		if err := store.InsertDocument(ctx, f.st.DB, doc, time.Now()); err != nil {
			b.Fatal(err)
		}
		c := &store.DocumentContent{Title: doc.Name, Format: "txt", Pages: []store.Page{{Page: 1}}, ModelID: model}
		for i := 0; i < perDoc; i++ {
			c.Chunks = append(c.Chunks, &store.Chunk{Page: 1, Text: text(1000), Head: doc.Name})
			v := make([]float64, dim)
			for k := range v {
				v[k] = rng.NormFloat64()
			}
			c.Vectors = append(c.Vectors, normalise(v))
		}
		if err := f.st.WithTx(ctx, func(tx *sql.Tx) error { return store.ReplaceDocumentContent(ctx, tx, doc.ID, c, time.Now()) }); err != nil {
			b.Fatal(err)
		}
	}
	fmt.Printf("search at 100k chunks: built in %.0f s\n", time.Since(start).Seconds())
	queries := make([]string, 200)
	for i := range queries {
		queries[i] = text(25 + rng.Intn(30)) // 4–8 words
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		f.svc.vectors.drop(u)
		t0 := time.Now()
		if _, err := f.svc.Search(ctx, u, SearchRequest{Query: queries[0], Mode: ModeVector}); err != nil {
			b.Fatal(err)
		}
		fmt.Printf("search at 100k chunks: first vector search (loads %d vectors) %.0f ms\n", nChunks, ms(time.Since(t0)))
		for _, mode := range []string{ModeHybrid, ModeKeyword, ModeVector} {
			var lat []time.Duration
			for _, q := range queries {
				t0 := time.Now()
				if _, err := f.svc.Search(ctx, u, SearchRequest{Query: q, Mode: mode}); err != nil {
					b.Fatal(err)
				}
				lat = append(lat, time.Since(t0))
			}
			p50, p95 := percentiles(lat)
			fmt.Printf("search at 100k chunks, %-7s p50 %.1f ms  p95 %.1f ms\n", mode, ms(p50), ms(p95))
			b.ReportMetric(ms(p95), "p95-ms-"+mode)
		}
	}
}

// hashEmbedder is the built-in embedder at another size, standing in for
// a real model's vectors in the latency benchmark.
type hashEmbedder struct {
	name string
	dim  int
}

func (h hashEmbedder) Name() string { return h.name }
func (h hashEmbedder) Embed(_ context.Context, texts []string) ([][]float32, error) {
	out := make([][]float32, len(texts))
	for i, t := range texts {
		out[i] = hashVector(t, h.dim, nil)
	}
	return out, nil
}
