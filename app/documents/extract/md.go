package extract

import (
	"context"
	"strings"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	east "github.com/yuin/goldmark/extension/ast"
	"github.com/yuin/goldmark/text"
)

func init() { extractors["md"] = extractMarkdown }

func extractMarkdown(_ context.Context, src Source) (*Document, error) {
	s, err := readAllText(src)
	if err != nil {
		return nil, err
	}
	body, title := frontMatter(s)
	return markdownDocument(body, title), nil
}

// frontMatter takes a leading YAML block ("---" lines around it, as
// static-site generators and note apps write) off the Markdown, which
// would read it as a heading, and returns its title.
func frontMatter(s string) (body, title string) {
	rest, ok := strings.CutPrefix(strings.TrimPrefix(s, "\ufeff"), "---\n")
	if !ok {
		return s, ""
	}
	yaml, body, ok := strings.Cut(rest, "\n---\n")
	if !ok || len(yaml) > 64<<10 {
		return s, ""
	}
	for _, line := range strings.Split(yaml, "\n") {
		if v, ok := strings.CutPrefix(line, "title:"); ok {
			title = oneLine(strings.Trim(strings.TrimSpace(v), `"'`))
		}
	}
	return body, title
}

// markdownDocument walks the Markdown's blocks: headings set the heading
// path, paragraphs and list items are blocks, code blocks keep their lines
// and indentation, a table is one block with a line per row. Raw HTML is
// dropped: it is markup, not text.
//
// title, when known from elsewhere (HTML's <title>), wins over the first H1.
func markdownDocument(s, title string) *Document {
	source := []byte(s)
	md := goldmark.New(goldmark.WithExtensions(extension.Table, extension.Strikethrough))
	root := md.Parser().Parse(text.NewReader(source))
	b := newBuilder()
	b.doc.Title = title
	walkMarkdown(b, root, source)
	return b.done()
}

func walkMarkdown(b *builder, n ast.Node, source []byte) {
	for c := n.FirstChild(); c != nil; c = c.NextSibling() {
		switch c := c.(type) {
		case *ast.Heading:
			b.heading(c.Level, inlineText(c, source))
		case *ast.Paragraph, *ast.TextBlock:
			b.text(inlineText(c, source))
		case *ast.FencedCodeBlock, *ast.CodeBlock:
			var sb strings.Builder
			lines := c.Lines()
			for i := 0; i < lines.Len(); i++ {
				seg := lines.At(i)
				sb.Write(seg.Value(source))
			}
			b.verbatim(sb.String())
		case *east.Table:
			var rows []string
			for r := c.FirstChild(); r != nil; r = r.NextSibling() {
				var cells []string
				for cell := r.FirstChild(); cell != nil; cell = cell.NextSibling() {
					cells = append(cells, oneLine(inlineText(cell, source)))
				}
				rows = append(rows, strings.Join(cells, " | "))
			}
			b.text(strings.Join(rows, "\n"))
		case *ast.HTMLBlock, *ast.ThematicBreak:
		default:
			// Lists, items, block quotes: their blocks are what counts.
			walkMarkdown(b, c, source)
		}
	}
}

// inlineText is the text of a block's inline content: soft line breaks
// are spaces, hard ones line breaks; links keep their text, images their
// alt text, raw HTML nothing.
func inlineText(n ast.Node, source []byte) string {
	var sb strings.Builder
	var walk func(ast.Node)
	walk = func(n ast.Node) {
		for c := n.FirstChild(); c != nil; c = c.NextSibling() {
			switch c := c.(type) {
			case *ast.Text:
				sb.Write(c.Segment.Value(source))
				switch {
				case c.HardLineBreak():
					sb.WriteByte('\n')
				case c.SoftLineBreak():
					sb.WriteByte(' ')
				}
			case *ast.String:
				sb.Write(c.Value)
			case *ast.AutoLink:
				sb.Write(c.URL(source))
			case *ast.RawHTML:
			default:
				walk(c)
			}
		}
	}
	walk(n)
	return sb.String()
}
