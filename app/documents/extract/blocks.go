package extract

import "strings"

// builder collects a document's blocks and keeps the heading path in
// force, so every format states its structure the same way: a heading is
// a block of its own that opens its section (its Heading includes it), and
// the text under it carries the same path until the next heading of the
// same or a higher level.
type builder struct {
	doc    Document
	page   int
	levels []int
	path   []string
	// titled: the first top-level heading equal to the title (a
	// Markdown H1, a DOCX heading repeating the core title) is the title,
	// not a section: chunks say "title › section", never the title twice.
	titled bool
}

func newBuilder() *builder { return &builder{page: 1} }

// heading opens a section at level (1 is the outermost).
func (b *builder) heading(level int, text string) {
	text = oneLine(text)
	if text == "" {
		return
	}
	if level <= 1 && !b.titled && len(b.path) == 0 {
		if b.doc.Title == "" {
			b.doc.Title = text
		}
		if text == b.doc.Title {
			b.titled = true
			b.doc.Blocks = append(b.doc.Blocks, Block{Page: b.page, Text: text})
			return
		}
	}
	for len(b.levels) > 0 && b.levels[len(b.levels)-1] >= level {
		b.levels, b.path = b.levels[:len(b.levels)-1], b.path[:len(b.path)-1]
	}
	b.levels = append(b.levels, level)
	// A fresh slice: blocks keep the path they were given.
	b.path = append(b.path[:len(b.path):len(b.path)], text)
	b.doc.Blocks = append(b.doc.Blocks, Block{Page: b.page, Heading: b.path, Text: text})
}

// text adds running text under the current heading; blank text is
// dropped.
func (b *builder) text(s string) {
	if s = Normalise(s); s != "" {
		b.doc.Blocks = append(b.doc.Blocks, Block{Page: b.page, Heading: b.path, Text: s})
	}
}

// verbatim adds text whose indentation matters (code): NFKC and trailing
// spaces trimmed, leading spaces kept.
func (b *builder) verbatim(s string) {
	if s = normaliseVerbatim(s); s != "" {
		b.doc.Blocks = append(b.doc.Blocks, Block{Page: b.page, Heading: b.path, Text: s})
	}
}

func (b *builder) done() *Document {
	if b.doc.Pages < b.page {
		b.doc.Pages = b.page
	}
	return &b.doc
}

// oneLine is Normalise with line breaks folded too (a heading or a cell).
func oneLine(s string) string { return strings.Join(strings.Fields(Normalise(s)), " ") }
