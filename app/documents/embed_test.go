package documents

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"math"
	"os"
	"strings"
	"testing"

	"github.com/aiwfe/aiwfe/app/llm"
	"github.com/aiwfe/aiwfe/app/llm/llmtest"
	"github.com/aiwfe/aiwfe/store"
)

func TestMain(m *testing.M) {
	code := m.Run()
	llmtest.StopRealOllama()
	os.Exit(code)
}

func norm2(v []float32) float64 {
	var s float64
	for _, x := range v {
		s += float64(x) * float64(x)
	}
	return s
}

func TestBuiltinEmbedder(t *testing.T) {
	a, b := HashVector("Humpback whales sing songs"), HashVector("Humpback whales sing songs")
	if len(a) != BuiltinDim || math.Abs(norm2(a)-1) > 1e-5 {
		t.Fatalf("dim %d, norm² %f", len(a), norm2(a))
	}
	for i := range a {
		if a[i] != b[i] {
			t.Fatal("not deterministic")
		}
	}
	q := HashVector("whale song")
	if near, far := dot(q, HashVector(whales)), dot(q, HashVector(bread)); near < 0.3 || far > builtinFloor {
		t.Fatalf("related %f, unrelated %f", near, far)
	}
	if v := HashVector("the of and"); norm2(v) != 0 {
		t.Fatal("stop words alone give a vector")
	}
	for w, want := range map[string]string{"whales": "whale", "studies": "study", "binding": "bind", "treated": "treat", "glass": "glass", "virus": "virus", "boxes": "box"} {
		if got := stem(w); got != want {
			t.Errorf("stem(%q) = %q, want %q", w, got, want)
		}
	}
}

// shortContext is a model server whose model takes at most max
// characters an input, answering as Ollama ≥ 0.13.5 does beyond it.
type shortContext struct {
	llm.Provider
	max   int
	msg   string
	calls int
}

func (s *shortContext) Embed(ctx context.Context, model string, in []string) ([][]float32, error) {
	s.calls++
	for _, t := range in {
		if len(t) > s.max {
			return nil, fmt.Errorf("%w: ollama: HTTP 400: %s", llm.ErrBadRequest, s.msg)
		}
	}
	return Builtin{}.Embed(ctx, in)
}

func TestRemoteSplitsTooLongInput(t *testing.T) {
	long := strings.Repeat("whales sing long songs ", 40) // 920 characters
	p := &shortContext{max: 300, msg: "the input length exceeds the context length"}
	vs, err := Remote{LLM: p, Model: "m"}.Embed(context.Background(), []string{"short one", long, "another"})
	if err != nil {
		t.Fatal(err)
	}
	if len(vs) != 3 || math.Abs(norm2(vs[1])-1) > 1e-5 {
		t.Fatalf("%d vectors", len(vs))
	}
	if d := dot(vs[1], HashVector("whales sing long songs")); d < 0.9 {
		t.Fatalf("the halves' mean is off: %f", d)
	}
	// Another 400 is not a length problem: no splitting.
	other := &shortContext{max: 300, msg: "invalid input type"}
	_, err = Remote{LLM: other, Model: "m"}.Embed(context.Background(), []string{long})
	if !errors.Is(err, llm.ErrBadRequest) || other.calls != 1 {
		t.Fatalf("err %v after %d calls", err, other.calls)
	}
}

// Against the real Ollama: /api/embed in batches, and its 400 for an
// input longer than the model's context split and retried.
func TestRealOllamaEmbedSplitsTooLong(t *testing.T) {
	if testing.Short() {
		t.Skip("real Ollama: skipped with -short")
	}
	p, err := llm.New(llm.Config{Provider: "ollama", BaseURL: llmtest.StartRealOllama(t)})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	long := strings.Repeat("whales sing long songs under the water ", 300)
	if _, err := p.Embed(ctx, llmtest.RealModel, []string{long}); !tooLong(err) {
		t.Fatalf("the real server took the long input, or said something else: %v", err)
	}
	texts := []string{long}
	for i := 0; i < embedBatch+3; i++ {
		texts = append(texts, fmt.Sprintf("passage %d about whales", i))
	}
	vs, err := Remote{LLM: p, Model: llmtest.RealModel}.Embed(ctx, texts)
	if err != nil {
		t.Fatal(err)
	}
	if len(vs) != len(texts) {
		t.Fatalf("%d vectors for %d texts", len(vs), len(texts))
	}
	for _, v := range vs {
		if math.Abs(norm2(v)-1) > 1e-3 || len(v) != len(vs[0]) {
			t.Fatalf("vector of %d dims, norm² %f", len(v), norm2(v))
		}
	}
}

// referenceHashVector is the built-in embedder as first written: every
// feature's name built as a string, then hashed. The allocation-free
// version must give the same vectors, or stored vectors would stop
// matching the queries embedded after an upgrade.
func referenceHashVector(text string, dim int, weight func(string) float64) []float32 {
	counts := map[string]float64{}
	scale := map[string]float64{}
	add := func(f string, c, wt float64) {
		counts[f] += c
		if weight != nil {
			scale[f] = max(scale[f], wt)
		}
	}
	prev, prevW := "", 0.0
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
		add("w:"+w, wordWeight, wt)
		if prev != "" {
			add("p:"+prev+" "+w, pairWeight, math.Sqrt(wt*prevW))
		}
		prev, prevW = w, wt
		r := []rune("<" + w + ">")
		if len(r) <= maxGramWord+2 {
			for n := 3; n <= 4; n++ {
				for i := 0; i+n <= len(r); i++ {
					add("g:"+string(r[i:i+n]), gramWeight/float64(len(r)-n+1), wt)
				}
			}
		}
	}
	v := make([]float64, dim)
	h := fnv.New64a()
	for f, c := range counts {
		h.Reset()
		h.Write([]byte(f))
		x := h.Sum64()
		w := math.Log1p(c)
		if weight != nil {
			w *= scale[f]
		}
		if x>>63 == 1 {
			w = -w
		}
		v[x%uint64(dim)] += w
	}
	return normalise(v)
}

func TestHashVectorMatchesReference(t *testing.T) {
	texts := []string{
		"",
		"the and of",
		"Vaccines and vaccination: the immune response of mice",
		"Größenänderung über Straßen — naïve café, 東京の天気は晴れ, Ελληνικά κείμενα",
		"a8f3c9e1d2b4a6c8e0f2a4c6e8a0c2e4f6a8c0e2f4a6c8e0 supercalifragilisticexpialidocious",
		strings.Repeat("invoice river mountain kernel memory planet violin harbour ", 40),
	}
	weights := []func(string) float64{nil, func(w string) float64 { return 1 + float64(len(w)%3) }}
	for _, text := range texts {
		for wi, weight := range weights {
			got, want := hashVector(text, BuiltinDim, weight), referenceHashVector(text, BuiltinDim, weight)
			for i := range want {
				if math.Abs(float64(got[i]-want[i])) > 1e-6 {
					t.Fatalf("%.30q (weights %d): bucket %d = %v, want %v", text, wi, i, got[i], want[i])
				}
			}
		}
	}
}

func BenchmarkHashVector(b *testing.B) {
	text := strings.Repeat("the appliance keeps every document on the box and answers from passages it can cite ", 14)
	b.ReportAllocs()
	for b.Loop() {
		hashVector(text, BuiltinDim, nil)
	}
}
