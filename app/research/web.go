package research

import (
	"context"
	"math"
	"sort"
	"strings"
	"sync"
	"unicode"

	"github.com/aiwfe/aiwfe/app/documents"
	"github.com/aiwfe/aiwfe/app/textutil"
)

// Passage is a passage of a web page given to a research reply.
type Passage struct {
	URL     string
	Title   string
	Heading string
	Text    string
}

// Progress is a research reply's stage, for the person waiting.
type Progress struct {
	// Stage is searching | reading | retrieving.
	Stage string `json:"stage"`
	Query string `json:"query,omitempty"`
	// Results is how many results the search gave (reading on).
	Results int `json:"results,omitempty"`
	// Pages is how many pages are being read; Read how many were read
	// (retrieving).
	Pages int `json:"pages,omitempty"`
	Read  int `json:"read,omitempty"`
}

// researchResults is how many search results a research reply asks for;
// those past the pages read still give their snippets.
const researchResults = 8

// maxPerPage bounds the passages one page gives a reply, so one long page
// does not crowd out the others.
const maxPerPage = 2

// Research finds passages of the web for a question: one search, the top
// pages read in parallel until the deadline (those not read by then, or
// failing, give their result's snippet instead), their passages ranked
// for the question (BM25), at most k, at most two a page. progress is
// called at each stage.
func (s *Service) Research(ctx context.Context, userID int64, question string, k int, progress func(Progress)) ([]Passage, error) {
	if progress == nil {
		progress = func(Progress) {}
	}
	q := searchQuery(question)
	progress(Progress{Stage: "searching", Query: q})
	results, err := s.Search(ctx, userID, q, researchResults)
	if err != nil {
		return nil, err
	}
	top := results[:min(len(results), s.d.Pages)]
	progress(Progress{Stage: "reading", Query: q, Results: len(results), Pages: len(top)})
	pages := s.readAll(ctx, top)
	read := 0
	var cands []candidate
	for i, r := range results {
		var p *Page
		if i < len(pages) {
			p = pages[i]
		}
		if p == nil {
			if r.Snippet != "" {
				cands = append(cands, candidate{Passage: Passage{URL: r.URL, Title: r.Title, Text: r.Snippet}, page: i})
			}
			continue
		}
		read++
		chunks, err := documents.ChunkMarkdown(ctx, p.Title, p.Markdown)
		if err != nil {
			continue
		}
		for _, c := range chunks {
			cands = append(cands, candidate{Passage: Passage{URL: r.URL, Title: p.Title,
				Heading: strings.Join(c.Heading, documents.HeadSep), Text: c.Text}, head: c.Head, page: i})
		}
	}
	progress(Progress{Stage: "retrieving", Query: q, Results: len(results), Pages: len(top), Read: read})
	return rank(question, cands, k), ctx.Err()
}

// searchQuery is what is searched for a question: its words, at most 300
// characters (a search engine gains nothing from a whole message).
func searchQuery(question string) string {
	q := strings.Join(strings.Fields(question), " ")
	if r := []rune(q); len(r) > 300 {
		q = string(r[:300])
		if i := strings.LastIndexByte(q, ' '); i > 200 {
			q = q[:i]
		}
	}
	return q
}

// readAll reads the results' pages in parallel; a page not read by the
// deadline (or failing) is nil.
func (s *Service) readAll(ctx context.Context, results []Result) []*Page {
	ctx, cancel := context.WithTimeout(ctx, s.d.PagesTimeout)
	defer cancel()
	out := make([]*Page, len(results))
	var wg sync.WaitGroup
	for i, r := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p, err := s.Fetch(ctx, r.URL)
			if err != nil {
				s.d.Log.Info("research: page not read", "url", textutil.Ellipsize(r.URL, 200), "err", err)
				return
			}
			out[i] = p
		}()
	}
	wg.Wait()
	return out
}

type candidate struct {
	Passage
	head  string
	page  int
	score float64
}

// rank orders the candidates by BM25 (k1 1.2, b 0.75) over their words
// and heads, the question's words as the query; at most k, at most
// maxPerPage of one page. Ties keep the search's order.
func rank(question string, cands []candidate, k int) []Passage {
	qs := map[string]bool{}
	for _, w := range words(question) {
		qs[w] = true
	}
	docs := make([][]string, len(cands))
	df := map[string]int{}
	total := 0
	for i, c := range cands {
		docs[i] = words(c.head + " " + c.Text)
		total += len(docs[i])
		seen := map[string]bool{}
		for _, w := range docs[i] {
			if qs[w] && !seen[w] {
				seen[w] = true
				df[w]++
			}
		}
	}
	if len(cands) == 0 {
		return []Passage{}
	}
	avg := float64(total) / float64(len(cands))
	n := float64(len(cands))
	for i := range cands {
		tf := map[string]int{}
		for _, w := range docs[i] {
			if qs[w] {
				tf[w]++
			}
		}
		for w, f := range tf {
			idf := math.Log(1 + (n-float64(df[w])+0.5)/(float64(df[w])+0.5))
			ff := float64(f)
			cands[i].score += idf * ff * 2.2 / (ff + 1.2*(0.25+0.75*float64(len(docs[i]))/avg))
		}
	}
	sort.SliceStable(cands, func(a, b int) bool { return cands[a].score > cands[b].score })
	out := []Passage{}
	perPage := map[int]int{}
	for _, c := range cands {
		if len(out) == k {
			break
		}
		if perPage[c.page] == maxPerPage {
			continue
		}
		perPage[c.page]++
		out = append(out, c.Passage)
	}
	return out
}

// stopWords are English words too common to rank by.
var stopWords = map[string]bool{}

func init() {
	for _, w := range strings.Fields(`a an and are as at be but by for from has have how i in is it its of on or
		that the this to was were what when where which who why will with you your do does did can`) {
		stopWords[w] = true
	}
}

// words are the lower-cased words of s, stop words left out.
func words(s string) []string {
	f := strings.FieldsFunc(strings.ToLower(s), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
	out := f[:0]
	for _, w := range f {
		if !stopWords[w] {
			out = append(out, w)
		}
	}
	return out
}
