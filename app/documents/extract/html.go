package extract

import (
	"context"
	"strings"

	"github.com/JohannesKaufmann/html-to-markdown/v2/converter"
	"github.com/JohannesKaufmann/html-to-markdown/v2/plugin/base"
	"github.com/JohannesKaufmann/html-to-markdown/v2/plugin/commonmark"
	"github.com/JohannesKaufmann/html-to-markdown/v2/plugin/table"
	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

func init() { extractors["html"] = extractHTML }

// An uploaded HTML file is converted whole (it is usually all content;
// readability's pruning is for fetched web pages) to Markdown, tables
// kept, and read as Markdown: one way to headings and blocks.
func extractHTML(_ context.Context, src Source) (*Document, error) {
	s, err := readAllText(src)
	if err != nil {
		return nil, err
	}
	root, err := html.Parse(strings.NewReader(s))
	if err != nil {
		return nil, ErrCorrupt
	}
	title := ""
	// What is never text: the head (its <title> is read first), scripts,
	// styles, templates, embedded frames and objects.
	var prune func(*html.Node)
	prune = func(n *html.Node) {
		for c := n.FirstChild; c != nil; {
			next := c.NextSibling
			if c.Type == html.ElementNode {
				switch c.DataAtom {
				case atom.Title:
					if title == "" {
						title = oneLine(nodeText(c))
					}
					n.RemoveChild(c)
				case atom.Head, atom.Script, atom.Style, atom.Noscript, atom.Template, atom.Iframe, atom.Object, atom.Svg, atom.Canvas:
					prune(c) // a <title> inside the head still counts
					n.RemoveChild(c)
				default:
					prune(c)
				}
			}
			c = next
		}
	}
	prune(root)
	md, err := HTMLToMarkdown(root, "")
	if err != nil {
		return nil, ErrCorrupt
	}
	return markdownDocument(md, title), nil
}

// HTMLToMarkdown converts parsed HTML to Markdown, tables kept (GFM);
// links relative to domain ("https://host") are made absolute when it is
// given. Uploaded HTML goes through it whole; a web page read for
// research after readability has kept its main text.
func HTMLToMarkdown(n *html.Node, domain string) (string, error) {
	conv := converter.NewConverter(converter.WithPlugins(
		base.NewBasePlugin(), commonmark.NewCommonmarkPlugin(), table.NewTablePlugin()))
	var opts []converter.ConvertOptionFunc
	if domain != "" {
		opts = append(opts, converter.WithDomain(domain))
	}
	md, err := conv.ConvertNode(n, opts...)
	return string(md), err
}

func nodeText(n *html.Node) string {
	var sb strings.Builder
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.TextNode {
			sb.WriteString(n.Data)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return sb.String()
}
