package documents

import (
	"context"
	"strings"
	"unicode"

	"github.com/aiwfe/aiwfe/app/documents/extract"
	"github.com/aiwfe/aiwfe/store"
)

// Chunk sizes in code points: a chunk ends at the best boundary between
// chunkMin and chunkMax (about 250–300 tokens of English), and the next
// one starts chunkOverlap before it (about 12 %), so a sentence cut by
// the boundary is whole in one of the two.
const (
	chunkMin     = 900
	chunkMax     = 1200
	chunkOverlap = 140
)

// HeadSep joins a title and its heading path.
const HeadSep = " › "

// pageSep joins the blocks of a page into the page's text.
const pageSep = "\n\n"

// layout turns extracted blocks into the pages' texts and the chunks,
// each chunk inside one page and one heading section (never across a
// heading), with its code-point offsets into its page's text.
func layout(title string, blocks []extract.Block) ([]store.Page, []*store.Chunk) {
	var pages []store.Page
	var chunks []*store.Chunk
	var page []rune
	curPage := 0
	// section collects consecutive blocks of one page and heading path.
	var secStart int
	var secHeading []string
	flushSection := func() {
		if len(page) > secStart {
			for _, c := range split(page[secStart:]) {
				chunks = append(chunks, &store.Chunk{Page: curPage, Start: secStart + c[0], End: secStart + c[1],
					Heading: secHeading, Text: string(page[secStart+c[0] : secStart+c[1]]), Head: head(title, secHeading)})
			}
		}
	}
	flushPage := func() {
		flushSection()
		if curPage > 0 {
			pages = append(pages, store.Page{Page: curPage, Text: string(page)})
		}
	}
	for _, b := range blocks {
		if b.Page != curPage {
			flushPage()
			// Pages without text still exist, so page numbers stay those
			// of the file.
			for p := curPage + 1; p < b.Page; p++ {
				pages = append(pages, store.Page{Page: p})
			}
			curPage, page, secStart, secHeading = b.Page, page[:0:0], 0, b.Heading
		} else if !sameHeading(b.Heading, secHeading) {
			flushSection()
			secStart, secHeading = len(page)+len(pageSep), b.Heading
		}
		if len(page) > 0 {
			page = append(page, []rune(pageSep)...)
		} else {
			secStart = 0
		}
		page = append(page, []rune(b.Text)...)
	}
	flushPage()
	return pages, chunks
}

func sameHeading(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// head is "title › heading › path", what is indexed and embedded before
// a chunk's text so a passage is found by what its section is about.
func head(title string, heading []string) string {
	parts := make([]string, 0, len(heading)+1)
	if title != "" {
		parts = append(parts, title)
	}
	parts = append(parts, heading...)
	return strings.Join(parts, HeadSep)
}

// separators in order of preference: paragraph, line, sentence, word.
var separators = [][]rune{[]rune("\n\n"), []rune("\n"), []rune(". "), []rune("? "), []rune("! "), []rune("; "), []rune(" ")}

// split cuts text into [start, end) ranges of at most chunkMax code points,
// each ending at the strongest boundary found after chunkMin (else the
// strongest before it, else mid-word), the next starting about
// chunkOverlap earlier at a word boundary. Ranges never start or end in
// white space; white space alone gives none.
func split(text []rune) [][2]int {
	var out [][2]int
	start := skipSpace(text, 0)
	for start < len(text) {
		end := len(text)
		if end-start > chunkMax {
			end = breakAt(text, start, start+chunkMin, start+chunkMax)
		}
		e := end
		for e > start && unicode.IsSpace(text[e-1]) {
			e--
		}
		if e > start {
			out = append(out, [2]int{start, e})
		}
		if end >= len(text) {
			break
		}
		next := end - chunkOverlap
		if next <= start {
			next = end
		} else {
			// Start at the next word (or sentence) boundary, never
			// mid-word, and never at or past the end of this chunk.
			for next < end && !unicode.IsSpace(text[next-1]) {
				next++
			}
		}
		start = skipSpace(text, next)
	}
	return out
}

// breakAt is where a chunk starting at start should end: just after the
// last occurrence of the strongest separator in text[lo:hi], or in
// text[start:hi] when none is past lo, or hi.
func breakAt(text []rune, start, lo, hi int) int {
	for _, from := range []int{lo, start + 1} {
		for _, sep := range separators {
			if i := lastIndex(text[from:hi], sep); i >= 0 {
				return from + i + len(sep)
			}
		}
	}
	return hi
}

func lastIndex(s, sep []rune) int {
	for i := len(s) - len(sep); i >= 0; i-- {
		match := true
		for j := range sep {
			if s[i+j] != sep[j] {
				match = false
				break
			}
		}
		if match {
			return i
		}
	}
	return -1
}

func skipSpace(text []rune, i int) int {
	for i < len(text) && unicode.IsSpace(text[i]) {
		i++
	}
	return i
}

// ChunkMarkdown cuts Markdown that is not a stored document (a web page
// read for a research reply) into passages exactly as an uploaded
// Markdown file is cut: per heading section, 900–1,200 characters, each
// with its heading path and "title › heading" head.
func ChunkMarkdown(ctx context.Context, title, markdown string) ([]*store.Chunk, error) {
	r := strings.NewReader(markdown)
	doc, err := extract.Extract(ctx, extract.Source{R: r, Size: r.Size(), Name: "page.md", ContentType: "text/markdown"})
	if err != nil {
		return nil, err
	}
	_, chunks := layout(title, doc.Blocks)
	return chunks, nil
}
