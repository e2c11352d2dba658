package semantic

import (
	"context"
	"encoding/json"
	"math"
	"sort"
	"strconv"
	"strings"
	"unicode"

	"github.com/aiwfe/aiwfe/app/apperr"
	"github.com/aiwfe/aiwfe/store"
)

// KeywordsRequest asks for at most Limit keywords (default 10, at most 50).
type KeywordsRequest struct {
	Input
	Limit int `json:"limit,omitempty"`
}

// Keyword is a keyword and its weight, 0–1 (1 the most important).
type Keyword struct {
	Keyword string  `json:"keyword"`
	Score   float64 `json:"score"`
}

// Keywords is a text's keywords, most important first.
type Keywords struct {
	Keywords []Keyword `json:"keywords"`
	Method
}

var keywordsSchema = json.RawMessage(`{"type":"object","properties":{"keywords":{"type":"array","items":{"type":"object","properties":{"keyword":{"type":"string","minLength":1},"score":{"type":"number","minimum":0,"maximum":1}},"required":["keyword","score"],"additionalProperties":false}}},"required":["keywords"],"additionalProperties":false}`)

// Keywords finds a text's keywords: the model's, or TF-IDF with the
// document frequencies of the user's own indexed passages.
func (s *Service) Keywords(ctx context.Context, userID int64, r KeywordsRequest) (*Keywords, error) {
	if r.Limit == 0 {
		r.Limit = 10
	}
	if r.Limit < 1 || r.Limit > 50 {
		return nil, apperr.Invalid("limit", "limit must be 1–50")
	}
	text, model, err := s.begin(ctx, userID, r.Input, "semantic_model")
	if err != nil {
		return nil, err
	}
	part, cutShort := head(text)
	var v Keywords
	askErr := s.ask(ctx, model, 400, "You extract the keywords of a text: the words or short phrases (one to three words) that say what it is about, most important first, each with a score from 0 to 1. "+
		"Give at most "+itoa(r.Limit)+". Reply with JSON: {\"keywords\": [{\"keyword\": \"...\", \"score\": 0.9}]}.", part, keywordsSchema, &v)
	if askErr == nil {
		out := &Keywords{Keywords: dedupeKeywords(v.Keywords, r.Limit), Method: Method{Method: "model", Model: model}}
		if cutShort {
			out.Note = cutNote
		}
		return out, nil
	}
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	kws, err := s.tfidf(ctx, userID, text, r.Limit)
	if err != nil {
		return nil, err
	}
	m := s.fallback("keywords", askErr)
	m.Note += " (TF-IDF: how often a word occurs here, weighed by how rare it is in your documents)"
	return &Keywords{Keywords: kws, Method: m}, nil
}

func dedupeKeywords(in []Keyword, limit int) []Keyword {
	out := []Keyword{}
	seen := map[string]bool{}
	for _, k := range in {
		k.Keyword = strings.TrimSpace(k.Keyword)
		key := strings.ToLower(k.Keyword)
		if k.Keyword == "" || seen[key] {
			continue
		}
		seen[key] = true
		out = append(out, k)
		if len(out) == limit {
			break
		}
	}
	return out
}

// tfidfCandidates bounds the words whose document frequency is looked up.
const tfidfCandidates = 60

// tfidf scores the text's words by term frequency times the inverse of
// their frequency in the user's passages (smoothed: a user without
// documents gets term frequency alone), scaled so the best is 1.
func (s *Service) tfidf(ctx context.Context, userID int64, text string, limit int) ([]Keyword, error) {
	tf := map[string]int{}
	shown := map[string]string{} // the form first seen
	for _, w := range tokens(text) {
		if len([]rune(w)) < 3 || isNumber(w) {
			continue
		}
		tf[w]++
		if _, ok := shown[w]; !ok {
			shown[w] = w
		}
	}
	words := make([]string, 0, len(tf))
	for w := range tf {
		words = append(words, w)
	}
	sort.Slice(words, func(a, b int) bool {
		if tf[words[a]] != tf[words[b]] {
			return tf[words[a]] > tf[words[b]]
		}
		return words[a] < words[b]
	})
	words = words[:min(len(words), tfidfCandidates)]
	n, err := store.UserChunkCount(ctx, s.d.Store.DB, userID)
	if err != nil {
		return nil, err
	}
	scored := make([]Keyword, 0, len(words))
	for _, w := range words {
		df := 0
		if n > 0 {
			if df, err = store.UserTermFrequency(ctx, s.d.Store.DB, userID, w); err != nil {
				return nil, err
			}
		}
		idf := math.Log(float64(n+1)/float64(df+1)) + 1
		scored = append(scored, Keyword{Keyword: shown[w], Score: (1 + math.Log(float64(tf[w]))) * idf})
	}
	sort.SliceStable(scored, func(a, b int) bool {
		if scored[a].Score != scored[b].Score {
			return scored[a].Score > scored[b].Score
		}
		return scored[a].Keyword < scored[b].Keyword
	})
	scored = scored[:min(len(scored), limit)]
	if len(scored) > 0 && scored[0].Score > 0 {
		top := scored[0].Score
		for i := range scored {
			scored[i].Score = math.Round(scored[i].Score/top*1000) / 1000
		}
	}
	return scored, nil
}

// tokens are the lower-cased words of a text, stop words left out.
func tokens(s string) []string {
	f := strings.FieldsFunc(strings.ToLower(s), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '\'' && r != '-'
	})
	out := f[:0]
	for _, w := range f {
		w = strings.Trim(w, "'-")
		if w != "" && !stopWords[w] {
			out = append(out, w)
		}
	}
	return out
}

func isNumber(w string) bool {
	for _, r := range w {
		if !unicode.IsDigit(r) && r != '-' {
			return false
		}
	}
	return true
}

func itoa(n int) string { return strconv.Itoa(n) }

// stopWords are common English and German words that carry no topic.
var stopWords = map[string]bool{}

func init() {
	for _, w := range strings.Fields(`a about above after again against all am an and any are as at be because been before being
		below between both but by can could did do does doing down during each few for from further had has have having he her
		here hers herself him himself his how i if in into is it its itself just me more most my myself no nor not now of off on
		once only or other our ours ourselves out over own same she should so some such than that the their theirs them
		themselves then there these they this those through to too under until up very was we were what when where which while
		who whom why will with would you your yours yourself yourselves also may might must shall one two many much yes per via
		us let it's don't i'm you're that's there's can't won't isn't aren't wasn't
		der die das und ist ein eine einer eines dem den des nicht mit von zu im auf für sich auch es sie er wir ihr als am an
		bei nach aus oder wie wird werden hat haben sind war noch nur so zum zur über vor`) {
		stopWords[w] = true
	}
}
