package semantic

import (
	"context"
	"encoding/json"
	"math"
	"sort"
	"strings"
	"unicode"

	"github.com/aiwfe/aiwfe/app/apperr"
)

// SummaryRequest asks for a summary; Length is short (two or three
// sentences, the default), medium (a paragraph) or long (several).
type SummaryRequest struct {
	Input
	Length string `json:"length,omitempty"`
}

// Summary is a summary of a text.
type Summary struct {
	Summary string `json:"summary"`
	Length  string `json:"length"`
	// Parts is how many parts a long text was cut into and summarised
	// one by one before the parts' summaries were combined (1: none).
	Parts int `json:"parts"`
	Method
}

var summarySchema = json.RawMessage(`{"type":"object","properties":{"summary":{"type":"string","minLength":1}},"required":["summary"],"additionalProperties":false}`)

var lengthWords = map[string]string{
	"short":  "in two or three sentences",
	"medium": "in one paragraph of about five sentences",
	"long":   "in three to five paragraphs",
}

// summaryTokens bounds a summary of each length.
var summaryTokens = map[string]int{"short": 200, "medium": 400, "long": 1200}

// fallbackSentences is how many sentences the extractive fallback keeps
// for each length.
var fallbackSentences = map[string]int{"short": 3, "medium": 5, "long": 10}

// Summary summarises a text. A text longer than one model call takes is
// cut into parts at paragraph boundaries, each part summarised, and the
// parts' summaries summarised together (map-reduce), as often as needed.
func (s *Service) Summary(ctx context.Context, userID int64, r SummaryRequest) (*Summary, error) {
	if r.Length == "" {
		r.Length = "short"
	}
	if _, ok := lengthWords[r.Length]; !ok {
		return nil, apperr.Invalid("length", "length must be short, medium or long")
	}
	text, model, err := s.begin(ctx, userID, r.Input, "summary_model")
	if err != nil {
		return nil, err
	}
	out := &Summary{Length: r.Length, Parts: 1}
	sum, parts, err := s.mapReduce(ctx, model, text, r.Length)
	if err == nil {
		out.Summary, out.Parts, out.Method = sum, parts, Method{Method: "model", Model: model}
		return out, nil
	}
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	out.Summary, out.Method = extractive(text, fallbackSentences[r.Length]), s.fallback("summary", err)
	out.Method.Note += " (the summary is the text's most representative sentences, in their order)"
	return out, nil
}

func (s *Service) mapReduce(ctx context.Context, model, text, length string) (string, int, error) {
	parts := cut(text, modelChars)
	n := len(parts)
	for len(parts) > 1 {
		sums := make([]string, len(parts))
		for i, p := range parts {
			var v struct{ Summary string }
			if err := s.ask(ctx, model, 600, "You summarise one part of a longer text. Keep every fact, name, number and date that matters; leave out repetition. Reply with JSON: {\"summary\": \"...\"}.",
				p, summarySchema, &v); err != nil {
				return "", 0, err
			}
			sums[i] = strings.TrimSpace(v.Summary)
		}
		parts = cut(strings.Join(sums, "\n\n"), modelChars)
	}
	var v struct{ Summary string }
	err := s.ask(ctx, model, summaryTokens[length], "You summarise texts faithfully, "+lengthWords[length]+
		", in the text's own language, without adding anything that is not in it. Reply with JSON: {\"summary\": \"...\"}.",
		parts[0], summarySchema, &v)
	return strings.TrimSpace(v.Summary), n, err
}

// cut splits text into parts of at most max characters, at paragraph
// boundaries where it can, else at line, sentence or word boundaries.
func cut(text string, max int) []string {
	var out []string
	r := []rune(text)
	for len(r) > max {
		at := max
		for _, sep := range []string{"\n\n", "\n", ". ", " "} {
			if i := strings.LastIndex(string(r[max/2:max]), sep); i >= 0 {
				at = max/2 + len([]rune(string(r[max/2 : max])[:i])) + len([]rune(sep))
				break
			}
		}
		out = append(out, strings.TrimSpace(string(r[:at])))
		r = r[at:]
	}
	if s := strings.TrimSpace(string(r)); s != "" || len(out) == 0 {
		out = append(out, s)
	}
	return out
}

// extractive is the fallback summary: the n sentences whose words are
// most frequent in the whole text (stop words aside), in the text's
// order. Crude, but it is the text's own words.
func extractive(text string, n int) string {
	sents := sentences(text)
	if len(sents) <= n {
		return strings.Join(sents, " ")
	}
	freq := map[string]float64{}
	for _, w := range tokens(text) {
		freq[w]++
	}
	type scored struct {
		i     int
		score float64
	}
	sc := make([]scored, len(sents))
	for i, st := range sents {
		ws := tokens(st)
		for _, w := range ws {
			sc[i].score += freq[w]
		}
		if len(ws) > 0 {
			// Long sentences win on sums alone; a root evens that out.
			sc[i].score /= math.Sqrt(float64(len(ws)))
		}
		sc[i].i = i
	}
	sort.SliceStable(sc, func(a, b int) bool { return sc[a].score > sc[b].score })
	keep := sc[:n]
	sort.Slice(keep, func(a, b int) bool { return keep[a].i < keep[b].i })
	out := make([]string, n)
	for j, k := range keep {
		out[j] = sents[k.i]
	}
	return strings.Join(out, " ")
}

// sentences splits text at ., ! and ? followed by a space and a capital
// or digit, and at blank lines.
func sentences(text string) []string {
	var out []string
	for _, para := range strings.Split(text, "\n\n") {
		r := []rune(strings.Join(strings.Fields(para), " "))
		start := 0
		for i := 0; i < len(r); i++ {
			if (r[i] == '.' || r[i] == '!' || r[i] == '?') && i+2 < len(r) && r[i+1] == ' ' &&
				(unicode.IsUpper(r[i+2]) || unicode.IsDigit(r[i+2])) {
				out = append(out, string(r[start:i+1]))
				start = i + 2
			}
		}
		if s := strings.TrimSpace(string(r[start:])); s != "" {
			out = append(out, s)
		}
	}
	return out
}
