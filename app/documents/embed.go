package documents

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/aiwfe/aiwfe/app/llm"
	"github.com/aiwfe/aiwfe/store"
)

// Embedder turns texts into L2-normalised vectors, one per text, in
// order.
type Embedder interface {
	// Name identifies the model; with the dimension it keys the stored
	// vectors.
	Name() string
	Embed(ctx context.Context, texts []string) ([][]float32, error)
}

// BuiltinModel is the name of the built-in embedder's vectors.
const BuiltinModel = "aiwfe-hash-v1"

// BuiltinDim is the built-in embedder's dimension: hashed features
// collide less as it grows (on SciFact, vector nDCG@10 0.47 at 384, 0.53
// at 768, 0.57 at 4096), and 768 floats a chunk is what a real model of
// nomic-embed-text's size costs too.
const BuiltinDim = 768

// Builtin is the deterministic embedder used when no model server makes
// embeddings (--demo, offline installs, the tests): feature hashing of
// words, word pairs and the character 3- and 4-grams of words into
// BuiltinDim signed buckets, with sublinear term counts. Its similarity
// is lexical (shared words and word parts), which is what lets hybrid
// search work with no model at all.
type Builtin struct{}

// Name is BuiltinModel.
func (Builtin) Name() string { return BuiltinModel }

// Embed never fails but for a cancelled context.
func (Builtin) Embed(ctx context.Context, texts []string) ([][]float32, error) {
	out := make([][]float32, len(texts))
	for i, t := range texts {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		out[i] = HashVector(t)
	}
	return out, nil
}

// Feature weights of the built-in embedder: whole words count most, a
// word's parts let "vaccines" meet "vaccination".
const (
	wordWeight  = 1.0
	pairWeight  = 0.5
	gramWeight  = 1.0
	maxGramWord = 24 // longer "words" (hashes, URLs) give no n-grams
)

// HashVector is the built-in embedding of text.
func HashVector(text string) []float32 { return HashVectorWeighted(text, nil) }

// HashVectorWeighted is HashVector with every feature of a (stemmed) word
// weighted by weight(word) (nil: 1).
func HashVectorWeighted(text string, weight func(string) float64) []float32 {
	return hashVector(text, BuiltinDim, weight)
}

func splitWords(text string) []string {
	return strings.FieldsFunc(strings.ToLower(text), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
}

// feature is one hashed feature's accumulated count and its word's weight.
type feature struct{ count, scale float64 }

// hashVector sums the features of text into dim signed buckets. A feature
// is the FNV-1a hash of its name ("w:word", "p:word word", "g:<gram"), taken
// as the bytes are produced rather than of a built string: indexing hashes
// every chunk, and building each name allocated most of ingestion's memory.
func hashVector(text string, dim int, weight func(string) float64) []float32 {
	feats := make(map[uint64]feature, 64)
	add := func(h uint64, c, wt float64) {
		f := feats[h]
		f.count += c
		if weight != nil {
			f.scale = max(f.scale, wt)
		}
		feats[h] = f
	}
	prev, prevW := "", 0.0
	var runes []rune
	for _, w := range splitWords(text) {
		if store.StopWord(w) {
			prev = ""
			continue
		}
		w = stem(w)
		wt := 1.0
		if weight != nil {
			wt = weight(w)
		}
		add(fnvString(fnvString(fnvOffset, "w:"), w), wordWeight, wt)
		if prev != "" {
			h := fnvString(fnvString(fnvOffset, "p:"), prev)
			add(fnvString(fnvByte(h, ' '), w), pairWeight, math.Sqrt(wt*prevW))
		}
		prev, prevW = w, wt
		runes = append(append(append(runes[:0], '<'), []rune(w)...), '>')
		if len(runes) <= maxGramWord+2 {
			for n := 3; n <= 4; n++ {
				for i := 0; i+n <= len(runes); i++ {
					h := fnvString(fnvOffset, "g:")
					for _, r := range runes[i : i+n] {
						h = fnvRune(h, r)
					}
					add(h, gramWeight/float64(len(runes)-n+1), wt)
				}
			}
		}
	}
	v := make([]float64, dim)
	for x, f := range feats {
		w := math.Log1p(f.count)
		if weight != nil {
			w *= f.scale
		}
		if x>>63 == 1 {
			w = -w
		}
		v[x%uint64(dim)] += w
	}
	return normalise(v)
}

// FNV-1a, 64 bits (as hash/fnv's New64a), fed piece by piece.
const (
	fnvOffset uint64 = 14695981039346656037
	fnvPrime  uint64 = 1099511628211
)

func fnvByte(h uint64, b byte) uint64 { return (h ^ uint64(b)) * fnvPrime }

func fnvString(h uint64, s string) uint64 {
	for i := 0; i < len(s); i++ {
		h = fnvByte(h, s[i])
	}
	return h
}

func fnvRune(h uint64, r rune) uint64 {
	var buf [utf8.UTFMax]byte
	n := utf8.EncodeRune(buf[:], r)
	for _, b := range buf[:n] {
		h = fnvByte(h, b)
	}
	return h
}

func normalise(v []float64) []float32 {
	var sum float64
	for _, x := range v {
		sum += x * x
	}
	out := make([]float32, len(v))
	if sum == 0 {
		return out
	}
	n := math.Sqrt(sum)
	for i, x := range v {
		out[i] = float32(x / n)
	}
	return out
}

// embedBatch is how many texts go to the model server in one call.
const embedBatch = 32

// maxSplits bounds how often one text is halved when the model server
// finds it too long.
const maxSplits = 6

// Remote embeds through a model server's embedding model (Ollama's
// /api/embed, or an OpenAI-compatible /v1/embeddings) in batches.
type Remote struct {
	LLM   llm.Provider
	Model string
}

// Name is the model's name.
func (r Remote) Name() string { return r.Model }

// Embed sends the texts in batches. When the server refuses a batch as
// too long (Ollama ≥ 0.13.5 answers 400 instead of truncating), the batch
// is split, and a single text too long is halved at a word boundary and
// its halves' vectors averaged.
func (r Remote) Embed(ctx context.Context, texts []string) ([][]float32, error) {
	out := make([][]float32, 0, len(texts))
	for i := 0; i < len(texts); i += embedBatch {
		vs, err := r.embed(ctx, texts[i:min(i+embedBatch, len(texts))], 0)
		if err != nil {
			return nil, err
		}
		out = append(out, vs...)
	}
	return out, nil
}

func (r Remote) embed(ctx context.Context, texts []string, depth int) ([][]float32, error) {
	vs, err := r.LLM.Embed(ctx, r.Model, texts)
	if err == nil {
		for i, v := range vs {
			vs[i] = normalise32(v)
		}
		return vs, nil
	}
	if !tooLong(err) || depth >= maxSplits {
		return nil, err
	}
	if len(texts) > 1 {
		half := len(texts) / 2
		a, err := r.embed(ctx, texts[:half], depth)
		if err != nil {
			return nil, err
		}
		b, err := r.embed(ctx, texts[half:], depth)
		if err != nil {
			return nil, err
		}
		return append(a, b...), nil
	}
	left, right := halve(texts[0])
	if right == "" {
		return nil, err
	}
	vs, err = r.embed(ctx, []string{left, right}, depth+1)
	if err != nil {
		return nil, err
	}
	sum := make([]float64, len(vs[0]))
	for _, v := range vs {
		if len(v) != len(sum) {
			return nil, fmt.Errorf("documents: embedding model %s gave vectors of %d and %d dimensions", r.Model, len(sum), len(v))
		}
		for i, x := range v {
			sum[i] += float64(x)
		}
	}
	return [][]float32{normalise(sum)}, nil
}

// tooLong: the model server refused the input as longer than the
// model's context.
func tooLong(err error) bool {
	if !errors.Is(err, llm.ErrBadRequest) {
		return false
	}
	m := strings.ToLower(err.Error())
	return strings.Contains(m, "context length") || strings.Contains(m, "too long") || strings.Contains(m, "maximum context") ||
		strings.Contains(m, "input length")
}

// halve cuts s into two near the middle, at white space when there is
// some.
func halve(s string) (string, string) {
	r := []rune(s)
	if len(r) < 2 {
		return s, ""
	}
	mid := len(r) / 2
	for d := 0; d < mid; d++ {
		for _, i := range []int{mid - d, mid + d} {
			if i > 0 && i < len(r) && unicode.IsSpace(r[i]) {
				return strings.TrimSpace(string(r[:i])), strings.TrimSpace(string(r[i:]))
			}
		}
	}
	return string(r[:mid]), string(r[mid:])
}

func normalise32(v []float32) []float32 {
	f := make([]float64, len(v))
	for i, x := range v {
		f[i] = float64(x)
	}
	return normalise(f)
}

// stem is a light English suffix stripper (Harman's S-stemmer with -ing
// and -ed), so that "whales" meets "whale" and "binding" meets "bind";
// the character n-grams cover what it misses.
func stem(w string) string {
	n := len(w)
	switch {
	case n > 4 && strings.HasSuffix(w, "ies") && !strings.HasSuffix(w, "eies") && !strings.HasSuffix(w, "aies"):
		return w[:n-3] + "y"
	case n > 4 && strings.HasSuffix(w, "es") && !strings.HasSuffix(w, "aes") && !strings.HasSuffix(w, "ees") && !strings.HasSuffix(w, "oes") &&
		(strings.HasSuffix(w, "sses") || strings.HasSuffix(w, "shes") || strings.HasSuffix(w, "ches") || strings.HasSuffix(w, "xes")):
		return w[:n-2]
	case n > 3 && strings.HasSuffix(w, "s") && !strings.HasSuffix(w, "ss") && !strings.HasSuffix(w, "us") && !strings.HasSuffix(w, "is"):
		return w[:n-1]
	case n > 5 && strings.HasSuffix(w, "ing"):
		return w[:n-3]
	case n > 4 && strings.HasSuffix(w, "ed") && !strings.HasSuffix(w, "eed"):
		return w[:n-2]
	}
	return w
}
