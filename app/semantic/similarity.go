package semantic

import (
	"context"
	"math"

	"github.com/aiwfe/aiwfe/app/documents"
)

// SimilarityRequest compares two inputs.
type SimilarityRequest struct {
	A Input `json:"a"`
	B Input `json:"b"`
}

// Similarity is how alike two texts are.
type Similarity struct {
	// Similarity is the cosine of their embeddings, -1–1 (1 the same
	// meaning; unrelated texts are near 0).
	Similarity float64 `json:"similarity"`
	// KeywordOverlap is the Jaccard overlap of their words (stop words
	// aside), 0–1.
	KeywordOverlap float64 `json:"keyword_overlap"`
	// Embedder is the embedding model used.
	Embedder string `json:"embedder"`
	Method
}

// Similarity compares two texts by the embedder that indexes the user's
// documents (their embedding model, else the built-in hashing embedder,
// whose similarity is lexical: "fallback"), and by word overlap.
func (s *Service) Similarity(ctx context.Context, userID int64, r SimilarityRequest) (*Similarity, error) {
	a, err := s.text(ctx, userID, r.A, "a")
	if err != nil {
		return nil, err
	}
	b, err := s.text(ctx, userID, r.B, "b")
	if err != nil {
		return nil, err
	}
	out := &Similarity{KeywordOverlap: jaccard(tokens(a), tokens(b))}
	// An embedding model sees a page or so; the heads of long texts
	// stand for them.
	ha, cutA := head(a)
	hb, cutB := head(b)
	name, vecs, err := s.d.Documents.Embed(ctx, userID, []string{ha, hb})
	switch {
	case err == nil && name != documents.BuiltinModel:
		out.Method = Method{Method: "model", Model: name}
	case err == nil:
		out.Method = Method{Method: "fallback", Note: "no embedding model is assigned (or the demo model answers), so the built-in hashing embedder compared the texts: its similarity is lexical (shared words and word pieces), not of meaning"}
	default:
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		out.Method = s.fallback("similarity", err)
		out.Note += " (the built-in hashing embedder: lexical similarity)"
		name = documents.BuiltinModel
		if vecs, err = (documents.Builtin{}).Embed(ctx, []string{ha, hb}); err != nil {
			return nil, err
		}
	}
	out.Embedder = name
	out.Similarity = math.Round(cosine(vecs[0], vecs[1])*1000) / 1000
	if cutA || cutB {
		out.Note = joinNote(out.Note, "the embedding compared the first 12,000 characters of each text")
	}
	return out, nil
}

func joinNote(a, b string) string {
	if a == "" {
		return b
	}
	return a + "; " + b
}

func cosine(a, b []float32) float64 {
	var dot, na, nb float64
	for i := range min(len(a), len(b)) {
		dot += float64(a[i]) * float64(b[i])
		na += float64(a[i]) * float64(a[i])
		nb += float64(b[i]) * float64(b[i])
	}
	if na == 0 || nb == 0 {
		return 0
	}
	return dot / math.Sqrt(na*nb)
}

func jaccard(a, b []string) float64 {
	sa, sb := map[string]bool{}, map[string]bool{}
	for _, w := range a {
		sa[w] = true
	}
	for _, w := range b {
		sb[w] = true
	}
	inter := 0
	for w := range sa {
		if sb[w] {
			inter++
		}
	}
	union := len(sa) + len(sb) - inter
	if union == 0 {
		return 0
	}
	return math.Round(float64(inter)/float64(union)*1000) / 1000
}
