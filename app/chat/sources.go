package chat

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/aiwfe/aiwfe/app/apperr"
	"github.com/aiwfe/aiwfe/app/llm"
	"github.com/aiwfe/aiwfe/store"
)

// Passage is one passage of a user's documents found for a question.
type Passage struct {
	DocumentID   int64
	DocumentName string
	ChunkID      int64
	Page         int
	Heading      string
	Text         string
	// Start and End are the passage's code-point offsets in its page's
	// text, for the citation viewer's highlight.
	Start, End int
}

// Retriever finds passages of a user's documents (the documents service,
// adapted by app.Open: chat does not import it). Indexing counts the
// user's documents still queued or being processed.
type Retriever interface {
	Retrieve(ctx context.Context, userID int64, query string, k int) (passages []Passage, indexing int, err error)
}

// Source is one passage a reply from documents was given, numbered as the
// prompt's source tag [N]. A reply's sources are the passages retrieved,
// in rank order, whether or not the model cited them (Cited says whether
// it wrote [N]): the same question over the same documents gives the same
// list.
type Source struct {
	N            int    `json:"n"`
	DocumentID   int64  `json:"document_id"`
	DocumentName string `json:"document_name"`
	ChunkID      int64  `json:"chunk_id"`
	Page         int    `json:"page"`
	Heading      string `json:"heading,omitempty"`
	Text         string `json:"text"`
	Start        int    `json:"start"`
	End          int    `json:"end"`
	Cited        bool   `json:"cited"`
	// URL and Title are a web page's (a research reply's source); such a
	// source has no document, page or offsets.
	URL   string `json:"url,omitempty"`
	Title string `json:"title,omitempty"`
}

// SourcesK is how many passages a reply from documents is given.
const SourcesK = 6

// maxRetrievalQuery bounds the retrieval query (the documents service
// takes at most 2,000 characters).
const maxRetrievalQuery = 2000

// shortQuestionWords: a question of fewer words is taken as a follow-up
// ("and on page 2?") and searched together with the user's previous turn.
const shortQuestionWords = 6

// ErrDocumentsUnavailable answers a reply from documents on a service
// built without a retriever.
var ErrDocumentsUnavailable = apperr.New(503, "documents_unavailable", "searching documents is not available on this server")

// retrieval is what a reply from documents was given.
type retrieval struct {
	sources  []Source // [] when nothing matched
	indexing int
	web      bool // a research reply: the web was searched too
}

// noSources is the reply's whole text when nothing matched.
func (r *retrieval) noSources() string {
	if r.web {
		return noWebReply
	}
	return noSourcesReply(r.indexing)
}

// usesDocuments says whether a turn answers from documents: asked for, or
// the Documents mode.
func usesDocuments(mode Mode, asked bool) bool { return asked || mode.Key == "documents" }

// fromDocuments says whether a stored reply was answered from the user's
// documents: it cites one of them, or it found nothing in them (its
// sources are []) outside research mode, whose sources are web pages.
func fromDocuments(m *store.Message, mode Mode) bool {
	if m.Sources == nil {
		return false
	}
	var sources []Source
	if err := json.Unmarshal(m.Sources, &sources); err != nil {
		return false
	}
	for _, s := range sources {
		if s.DocumentID != 0 {
			return true
		}
	}
	return len(sources) == 0 && mode.Key != ResearchMode
}

// retrievalQuery is what is searched for: the question, and for a short
// follow-up the user's previous turn too (its words carry the topic).
func retrievalQuery(question string, turns []*store.Message) string {
	q := strings.TrimSpace(question)
	if len(strings.Fields(q)) < shortQuestionWords {
		for i := len(turns) - 1; i >= 0; i-- {
			if t := turns[i]; t.Role == "user" && strings.TrimSpace(t.Content) != q {
				q = strings.TrimSpace(t.Content) + "\n" + q
				break
			}
		}
	}
	if utf8.RuneCountInString(q) > maxRetrievalQuery {
		// Keep the end: the question itself is last.
		r := []rune(q)
		q = string(r[len(r)-maxRetrievalQuery:])
	}
	return q
}

// retrieve finds the passages for a turn.
func (s *Service) retrieve(ctx context.Context, userID int64, question string, turns []*store.Message) (*retrieval, error) {
	if s.retriever == nil {
		return nil, ErrDocumentsUnavailable
	}
	ps, indexing, err := s.retriever.Retrieve(ctx, userID, retrievalQuery(question, turns), SourcesK)
	if err != nil {
		return nil, err
	}
	r := &retrieval{sources: make([]Source, 0, len(ps)), indexing: indexing}
	for i, p := range ps {
		r.sources = append(r.sources, Source{N: i + 1, DocumentID: p.DocumentID, DocumentName: p.DocumentName,
			ChunkID: p.ChunkID, Page: p.Page, Heading: p.Heading, Text: p.Text, Start: p.Start, End: p.End})
	}
	return r, nil
}

// withSources puts the passages into the prompt: the last user message
// becomes the numbered sources, the rule for citing them, then the
// question. The stored message stays the user's own text.
func withSources(history []llm.Message, sources []Source) []llm.Message {
	var b strings.Builder
	what := "passages of the user's documents"
	if slices.ContainsFunc(sources, func(s Source) bool { return s.URL != "" }) {
		what = "passages of web pages (and of the user's documents, if any are named)"
	}
	b.WriteString("Answer the question from the numbered sources below, " + what + ". " +
		"Cite the sources you use with their numbers in square brackets, like [1] or [2]. " +
		"If the sources do not contain the answer, say so plainly instead of guessing.\n\nSources:\n")
	for _, src := range sources {
		if src.URL != "" {
			fmt.Fprintf(&b, "\n[%d] %s <%s>", src.N, src.Title, src.URL)
		} else {
			fmt.Fprintf(&b, "\n[%d] %s", src.N, src.DocumentName)
		}
		if src.Page > 0 {
			fmt.Fprintf(&b, ", page %d", src.Page)
		}
		if src.Heading != "" {
			b.WriteString(" — " + src.Heading)
		}
		// A blank line ends a source: the passage's own blank lines go.
		for _, line := range strings.Split(src.Text, "\n") {
			if line = strings.TrimSpace(line); line != "" {
				b.WriteString("\n" + line)
			}
		}
		b.WriteString("\n")
	}
	out := append([]llm.Message(nil), history...)
	for i := len(out) - 1; i >= 0; i-- {
		if out[i].Role == "user" {
			b.WriteString("\nQuestion: " + out[i].Content)
			out[i].Content = b.String()
			break
		}
	}
	return out
}

// numCtx is the context window a prompt needs: its characters at a
// conservative three per token, plus room for the answer, rounded up to
// 2,048 and at least 8,192 (Ollama's default of 2,048 or 4,096 would cut
// the passages off silently). A larger num_ctx the caller set is kept.
func numCtx(msgs []llm.Message, opts map[string]any) map[string]any {
	chars := 0
	for _, m := range msgs {
		chars += len(m.Content)
	}
	need := chars/3 + 2048
	need = (need + 2047) / 2048 * 2048
	need = max(need, 8192)
	need = min(need, int(allowedOptions["num_ctx"].max))
	out := make(map[string]any, len(opts)+1)
	for k, v := range opts {
		out[k] = v
	}
	if have, ok := toFloat(opts["num_ctx"]); !ok || have < float64(need) {
		out["num_ctx"] = need
	}
	return out
}

func toFloat(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case int:
		return float64(x), true
	case int64:
		return float64(x), true
	case json.Number:
		f, err := x.Float64()
		return f, err == nil
	}
	return 0, false
}

// noSourcesReply is the whole reply when no passage matched: the model is
// not asked, so it cannot answer as if from documents.
func noSourcesReply(indexing int) string {
	msg := "No matching passages: nothing in your documents matches this question, so there is no answer from them."
	if indexing > 0 {
		msg += " " + indexingNote(indexing)
	}
	return msg
}

func indexingNote(n int) string {
	if n == 1 {
		return "1 document is still being indexed; ask again when it is ready."
	}
	return strconv.Itoa(n) + " documents are still being indexed; ask again when they are ready."
}

// citeMarkers settles the [n] markers of an answer given n sources: a
// marker naming a source marks it cited; one naming none (the model
// invented [7] of 6, or wrote [0]) is dropped from the text, with the
// space before it, so a stored answer never points at nothing. Within a
// group ([1, 9]) only the numbers naming nothing go. Brackets right after
// a word or a closing bracket/parenthesis (a[0], f(x)[2]) are code, not
// markers, and stay.
func citeMarkers(text string, sources []Source) string {
	var b strings.Builder
	i := 0
	for i < len(text) {
		j := strings.IndexByte(text[i:], '[')
		if j < 0 {
			b.WriteString(text[i:])
			break
		}
		j += i
		b.WriteString(text[i:j])
		end, nums, ok := parseMarker(text, j)
		if !ok {
			b.WriteByte('[')
			i = j + 1
			continue
		}
		var keep []string
		for _, n := range nums {
			if n >= 1 && n <= len(sources) {
				sources[n-1].Cited = true
				keep = append(keep, strconv.Itoa(n))
			}
		}
		if len(keep) > 0 {
			b.WriteString("[" + strings.Join(keep, ", ") + "]")
		} else {
			// Drop the marker and the blank before it ("word [9]." →
			// "word.").
			trimmed := strings.TrimRight(b.String(), " \t")
			b.Reset()
			b.WriteString(trimmed)
			if trimmed == "" || strings.HasSuffix(trimmed, "\n") {
				// At a line's start the blank after it goes instead.
				for end < len(text) && (text[end] == ' ' || text[end] == '\t') {
					end++
				}
			}
		}
		i = end
	}
	return b.String()
}

// parseMarker reads a marker "[n]" or "[n, m, ...]" starting at text[at]
// ('['); it answers where it ends and its numbers.
func parseMarker(text string, at int) (end int, nums []int, ok bool) {
	if at > 0 {
		prev, _ := utf8.DecodeLastRuneInString(text[:at])
		if unicode.IsLetter(prev) || unicode.IsDigit(prev) || prev == '_' || prev == ')' || prev == ']' && !precededByMarker(text[:at]) {
			return 0, nil, false
		}
	}
	close := strings.IndexByte(text[at:], ']')
	if close < 2 || close > 24 {
		return 0, nil, false
	}
	for _, part := range strings.Split(text[at+1:at+close], ",") {
		n, err := strconv.Atoi(strings.TrimSpace(part))
		if err != nil || n < 0 {
			return 0, nil, false
		}
		nums = append(nums, n)
	}
	return at + close + 1, nums, true
}

// precededByMarker says whether text ends with a marker ("[1]"), so that
// "[1][9]" is two markers, not code indexing.
func precededByMarker(text string) bool {
	open := strings.LastIndexByte(text, '[')
	if open < 0 {
		return false
	}
	end, _, ok := parseMarker(text, open)
	return ok && end == len(text)
}

// sourcesJSON is the stored form of a reply's sources ([] when none).
func sourcesJSON(src []Source) json.RawMessage {
	if src == nil {
		src = []Source{}
	}
	b, _ := json.Marshal(src)
	return b
}
