package documents

import (
	"container/heap"
	"context"
	"errors"
	"math"
	"sort"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/aiwfe/aiwfe/app/apperr"
	"github.com/aiwfe/aiwfe/store"
)

// Search modes.
const (
	ModeHybrid  = "hybrid"
	ModeKeyword = "keyword"
	ModeVector  = "vector"
)

// Search bounds.
const (
	DefaultLimit  = 10
	MaxLimit      = 100
	MaxQueryChars = 2000
	// candidates is how many hits each side gives the fusion (at least
	// the limit).
	candidates = 50
	// rrfK is reciprocal rank fusion's constant (Cormack et al.; Open
	// WebUI and most hybrid retrievers use 60).
	rrfK = 60
)

// SearchRequest is one search of a user's passages.
type SearchRequest struct {
	Query string
	Limit int
	Mode  string
	// Collection, when not nil, keeps to one collection.
	Collection *string
}

// Result is one passage found.
type Result struct {
	DocumentID   int64   `json:"document_id"`
	DocumentName string  `json:"document_name"`
	ChunkID      int64   `json:"chunk_id"`
	Page         int     `json:"page"`
	Heading      string  `json:"heading"`
	Text         string  `json:"text"`
	Score        float64 `json:"score"`
	// Start and End are the passage's code-point offsets in its page's
	// text (GET /documents/{id}/content?page=), for highlighting.
	Start int `json:"start"`
	End   int `json:"end"`
}

// Search finds the user's passages for a query: keyword (FTS5 bm25),
// vector (exact cosine over the user's vectors) or both fused by
// reciprocal rank (the default).
func (s *Service) Search(ctx context.Context, userID int64, r SearchRequest) ([]Result, error) {
	r.Query = strings.TrimSpace(r.Query)
	switch {
	case r.Query == "":
		return nil, apperr.Invalid("q", "q is required")
	case utf8.RuneCountInString(r.Query) > MaxQueryChars:
		return nil, apperr.Invalid("q", "q is at most 2000 characters")
	}
	if r.Mode == "" {
		r.Mode = ModeHybrid
	}
	if r.Mode != ModeHybrid && r.Mode != ModeKeyword && r.Mode != ModeVector {
		return nil, apperr.Invalid("mode", "mode is hybrid, keyword or vector")
	}
	if r.Limit == 0 {
		r.Limit = DefaultLimit
	}
	if r.Limit < 1 || r.Limit > MaxLimit {
		return nil, apperr.Invalid("limit", "limit is 1–100")
	}
	var coll string
	if r.Collection != nil {
		var err error
		if coll, err = cleanCollection(*r.Collection); err != nil {
			return nil, err
		}
	}
	n := max(candidates, r.Limit)
	var kw, vec []store.Ranked
	var kwErr, vecErr error
	vecWeight := 1.0
	var wg sync.WaitGroup
	if r.Mode != ModeVector {
		wg.Add(1)
		go func() {
			defer wg.Done()
			kw, kwErr = store.KeywordSearch(ctx, s.store.DB, userID, r.Query, coll, r.Collection == nil, n)
		}()
	}
	if r.Mode != ModeKeyword {
		vec, vecWeight, vecErr = s.vectorSearch(ctx, userID, r.Query, r.Collection, coll, n)
	}
	wg.Wait()
	if err := errors.Join(kwErr, vecErr); err != nil {
		return nil, err
	}
	var ranked []store.Ranked
	switch r.Mode {
	case ModeKeyword:
		ranked = kw
	case ModeVector:
		ranked = vec
	default:
		ranked = fuse(kw, 1, vec, vecWeight)
	}
	if len(ranked) > r.Limit {
		ranked = ranked[:r.Limit]
	}
	return s.results(ctx, userID, ranked)
}

// fuse is weighted reciprocal rank fusion: each list gives a hit
// weight/(k+rank).
func fuse(kw []store.Ranked, kwWeight float64, vec []store.Ranked, vecWeight float64) []store.Ranked {
	score := map[int64]*store.Ranked{}
	for li, l := range [][]store.Ranked{kw, vec} {
		w := kwWeight
		if li == 1 {
			w = vecWeight
		}
		for i, h := range l {
			r := score[h.ChunkID]
			if r == nil {
				r = &store.Ranked{ChunkID: h.ChunkID, DocumentID: h.DocumentID}
				score[h.ChunkID] = r
			}
			r.Score += w / float64(rrfK+i+1)
		}
	}
	out := make([]store.Ranked, 0, len(score))
	for _, r := range score {
		out = append(out, *r)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Score != out[j].Score {
			return out[i].Score > out[j].Score
		}
		return out[i].ChunkID < out[j].ChunkID
	})
	return out
}

func (s *Service) results(ctx context.Context, userID int64, ranked []store.Ranked) ([]Result, error) {
	ids := make([]int64, len(ranked))
	for i, r := range ranked {
		ids[i] = r.ChunkID
	}
	hits, err := store.UserChunks(ctx, s.store.DB, userID, ids)
	if err != nil {
		return nil, err
	}
	out := []Result{}
	for _, r := range ranked {
		h := hits[r.ChunkID]
		if h == nil {
			continue // deleted since it was ranked
		}
		out = append(out, Result{DocumentID: h.DocumentID, DocumentName: h.DocumentName, ChunkID: h.ID, Page: h.Page,
			Heading: strings.Join(h.Heading, HeadSep), Text: h.Text, Score: r.Score, Start: h.Start, End: h.End})
	}
	return out, nil
}

// searchModel is the model whose vectors search uses: the user's
// embedding model once every document with content has its vectors,
// until then the model most of them have (a model change reindexes in
// the background, and search keeps the old vectors meanwhile). 0: none.
func (s *Service) searchModel(ctx context.Context, userID int64) (*store.EmbeddingModel, error) {
	counts, err := store.VectorModels(ctx, s.store.DB, userID)
	if err != nil || len(counts) == 0 {
		return nil, err
	}
	want, err := s.modelFor(ctx, userID)
	if err != nil {
		return nil, err
	}
	total := sumCounts(counts)
	var best *store.EmbeddingModel
	bestN := 0
	for id, n := range counts {
		if id == 0 {
			continue
		}
		m, err := store.GetEmbeddingModel(ctx, s.store.DB, id)
		if err != nil {
			return nil, err
		}
		if m.Name == want && n == total {
			return m, nil // complete: the new model takes over
		}
		// Otherwise the model most documents have; the wanted one only
		// when nothing else has vectors.
		better := best == nil || (m.Name != want && best.Name == want) ||
			(m.Name == want) == (best.Name == want) && (n > bestN || n == bestN && id > best.ID)
		if better {
			best, bestN = m, n
		}
	}
	return best, nil
}

func sumCounts(m map[int64]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

// builtinWeight is the built-in embedder's weight in the fusion. Its
// similarity is lexical, mostly what bm25 already says, and less sharp:
// on SciFact equal weights give hybrid nDCG@10 0.665 (keyword alone
// 0.702, vector 0.597); 0.3 gives 0.685. A real model's list counts
// fully.
const builtinWeight = 0.3

// vectorSearch ranks the user's chunks by cosine with the query, and
// says the list's weight in the fusion.
func (s *Service) vectorSearch(ctx context.Context, userID int64, query string, collection *string, coll string, n int) ([]store.Ranked, float64, error) {
	m, err := s.searchModel(ctx, userID)
	if err != nil || m == nil {
		return nil, 1, err
	}
	hits, err := s.vectorHits(ctx, userID, m, query, collection, coll, n)
	if m.Name == BuiltinModel {
		return hits, builtinWeight, err
	}
	return hits, 1, err
}

func (s *Service) vectorHits(ctx context.Context, userID int64, m *store.EmbeddingModel, query string, collection *string, coll string, n int) ([]store.Ranked, error) {
	qv, err := s.queryVector(ctx, m, query)
	if err != nil {
		return nil, err
	}
	if len(qv) != 1 || len(qv[0]) != m.Dim {
		return nil, errors.New("documents: the query's vector does not match the stored ones")
	}
	set, err := s.vectors.get(ctx, s.store, userID, m)
	if err != nil {
		return nil, err
	}
	var allow map[int64]bool
	if collection != nil {
		ids, err := store.DocumentIDsInCollection(ctx, s.store.DB, userID, coll)
		if err != nil {
			return nil, err
		}
		allow = make(map[int64]bool, len(ids))
		for _, id := range ids {
			allow[id] = true
		}
	}
	hits := set.top(qv[0], n, allow)
	if m.Name == BuiltinModel {
		// The hashing embedder's unrelated texts meet only by bucket
		// collisions, well under this; a real model's cosine has no such
		// floor, so its hits are all kept.
		for i, h := range hits {
			if h.Score < builtinFloor {
				hits = hits[:i]
				break
			}
		}
	}
	return hits, nil
}

// builtinFloor is the built-in embedder's least cosine that means
// shared words.
const builtinFloor = 0.1

// queryVector embeds a query with the model m. The built-in embedder's
// query weights each word by its inverse document frequency in the
// keyword index: the documents' vectors count every word alike (they
// must not change as the collection grows), so the query says which
// words matter — "ergocalciferol" more than "patients".
func (s *Service) queryVector(ctx context.Context, m *store.EmbeddingModel, query string) ([][]float32, error) {
	if m.Name != BuiltinModel {
		return s.embedder(m.Name).Embed(ctx, []string{query})
	}
	words := store.QueryWords(query)
	df, n, err := store.TermDocFreqs(ctx, s.store.DB, words)
	if err != nil {
		return nil, err
	}
	idf := make(map[string]float64, len(df))
	for _, w := range words {
		idf[stem(w)] = max(idf[stem(w)], math.Log(1+float64(n)/float64(1+df[w])))
	}
	return [][]float32{HashVectorWeighted(query, func(w string) float64 { return idf[w] })}, nil
}

// vectorSet is one user's vectors of one model, contiguous.
type vectorSet struct {
	model    int64
	dim      int
	chunkIDs []int64
	docIDs   []int64
	vecs     []float32
	used     time.Time
}

// top is the n vectors most similar to q (dot product of unit vectors:
// cosine), exactly, best first; allow (when not nil) keeps to those
// documents.
func (v *vectorSet) top(q []float32, n int, allow map[int64]bool) []store.Ranked {
	h := make(minHeap, 0, n+1)
	for i := range v.chunkIDs {
		if allow != nil && !allow[v.docIDs[i]] {
			continue
		}
		sc := float64(dot(q, v.vecs[i*v.dim:(i+1)*v.dim]))
		if len(h) < n {
			heap.Push(&h, store.Ranked{ChunkID: v.chunkIDs[i], DocumentID: v.docIDs[i], Score: sc})
		} else if sc > h[0].Score {
			h[0] = store.Ranked{ChunkID: v.chunkIDs[i], DocumentID: v.docIDs[i], Score: sc}
			heap.Fix(&h, 0)
		}
	}
	out := make([]store.Ranked, len(h))
	for i := len(h) - 1; i >= 0; i-- {
		out[i] = heap.Pop(&h).(store.Ranked)
	}
	return out
}

// dot is an unrolled dot product (the compiler keeps the four sums in
// registers; about twice the speed of the plain loop).
func dot(a, b []float32) float32 {
	b = b[:len(a)]
	var s0, s1, s2, s3 float32
	i := 0
	for ; i+8 <= len(a); i += 8 {
		s0 += a[i]*b[i] + a[i+4]*b[i+4]
		s1 += a[i+1]*b[i+1] + a[i+5]*b[i+5]
		s2 += a[i+2]*b[i+2] + a[i+6]*b[i+6]
		s3 += a[i+3]*b[i+3] + a[i+7]*b[i+7]
	}
	for ; i < len(a); i++ {
		s0 += a[i] * b[i]
	}
	return s0 + s1 + s2 + s3
}

type minHeap []store.Ranked

func (h minHeap) Len() int { return len(h) }
func (h minHeap) Less(i, j int) bool {
	if h[i].Score != h[j].Score {
		return h[i].Score < h[j].Score
	}
	return h[i].ChunkID > h[j].ChunkID
}
func (h minHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *minHeap) Push(x any)   { *h = append(*h, x.(store.Ranked)) }
func (h *minHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// vectorCache holds users' vectors between searches: loaded on a user's
// first search, dropped when their vectors change and after idle minutes
// without a search, so an idle server holds none.
type vectorCache struct {
	idle time.Duration
	mu   sync.Mutex
	sets map[int64]*vectorSet
	// gen counts each user's invalidations: a load that raced one is not
	// kept.
	gen map[int64]uint64
}

func newVectorCache(idle time.Duration) *vectorCache {
	return &vectorCache{idle: idle, sets: map[int64]*vectorSet{}, gen: map[int64]uint64{}}
}

func (c *vectorCache) drop(userID int64) {
	c.mu.Lock()
	delete(c.sets, userID)
	c.gen[userID]++
	c.mu.Unlock()
}

// resident counts the users whose vectors are in memory.
func (c *vectorCache) resident() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.sets)
}

func (c *vectorCache) get(ctx context.Context, st *store.Store, userID int64, m *store.EmbeddingModel) (*vectorSet, error) {
	c.mu.Lock()
	set := c.sets[userID]
	gen := c.gen[userID]
	if set != nil && set.model == m.ID {
		set.used = time.Now()
		c.mu.Unlock()
		return set, nil
	}
	c.mu.Unlock()
	set = &vectorSet{model: m.ID, dim: m.Dim}
	err := store.ScanUserVectors(ctx, st.DB, userID, m.ID, func(cid, did int64, blob []byte) error {
		if len(blob) != 4*m.Dim {
			return nil // not this model's size: never matched
		}
		set.chunkIDs = append(set.chunkIDs, cid)
		set.docIDs = append(set.docIDs, did)
		set.vecs = store.DecodeVector(set.vecs, blob)
		return nil
	})
	if err != nil {
		return nil, err
	}
	set.used = time.Now()
	c.mu.Lock()
	if c.gen[userID] == gen {
		c.sets[userID] = set
	}
	c.mu.Unlock()
	return set, nil
}

// sweep drops the sets unused for the idle time.
func (c *vectorCache) sweep(now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for u, s := range c.sets {
		if now.Sub(s.used) >= c.idle {
			delete(c.sets, u)
		}
	}
}

func (c *vectorCache) janitor(ctx context.Context) {
	t := time.NewTicker(max(c.idle/4, time.Second))
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			c.sweep(now)
		}
	}
}
