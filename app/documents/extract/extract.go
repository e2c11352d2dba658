// Package extract turns an uploaded file into the text the documents
// feature indexes: a sequence of blocks (paragraphs, list items, table
// rows), each with the page it is on and the heading path in force, so
// that chunks never cross a heading and a citation can open its page.
//
// A heading is a block of its own, the first of its section: its Heading
// path ends with it, and the text under it carries the same path until
// the next heading of its level or above. The heading that is the
// document's title (the first H1, or one equal to the metadata's title)
// is a block with no path: chunks say "title › section", not the title
// twice. Text is never merged across a heading.
//
// Formats: txt, md (goldmark), html (html-to-markdown, then md), pdf
// (ledongthuc/pdf, page by page, headings from the bookmarks), docx
// (archive/zip + encoding/xml), csv, json, code.
//
// It knows nothing of the database or HTTP: bytes in, blocks or a typed
// error out.
package extract

import (
	"context"
	"errors"
	"io"
)

// Block is one unit of running text.
type Block struct {
	// Page is 1-based; formats without pages have everything on page 1.
	Page int `json:"page"`
	// Heading is the heading path in force, outermost first
	// (["Setup", "On a Raspberry Pi"]); empty before the first heading.
	Heading []string `json:"heading,omitempty"`
	// Text is NFKC-normalised, de-hyphenated running text; never empty.
	Text string `json:"text"`
}

// Document is what a file holds.
type Document struct {
	// Title is the document's own title when it has one (PDF metadata,
	// DOCX core properties, HTML <title>), else its first top-level
	// heading (a Markdown H1, a DOCX Heading 1 or Title, a PDF's first
	// bookmark), else "".
	Title string `json:"title,omitempty"`
	// Format is the detected format: txt, md, pdf, docx, html, csv, json
	// or code.
	Format string `json:"format"`
	// Pages is the page count (1 for formats without pages).
	Pages  int     `json:"pages"`
	Blocks []Block `json:"blocks"`
}

// Errors a caller maps to a document's failed status; each says what the
// person can do.
var (
	// ErrUnsupported: not a format we read (a renamed .exe, an image).
	ErrUnsupported = errors.New("extract: unsupported file type")
	// ErrEmpty: the file has no text at all.
	ErrEmpty = errors.New("extract: the file has no text")
	// ErrEncrypted: a password-protected file, or an encryption the PDF
	// library cannot undo (AES-256, RC4; AES-128 with an empty user
	// password is read).
	ErrEncrypted = errors.New("extract: the file is encrypted")
	// ErrNeedsOCR: a scanned or otherwise unreadable PDF (too little
	// text, or words run together): indexing it would index garbage.
	ErrNeedsOCR = errors.New("extract: the file's text cannot be read (scanned?)")
	// ErrCorrupt: damaged or truncated, or over a safety limit (a zip
	// bomb).
	ErrCorrupt = errors.New("extract: the file is damaged")
)

// Source is an uploaded file: random access (PDF and DOCX need it), its
// size, the name the person gave it and the Content-Type they sent (a
// hint only: the bytes decide).
type Source struct {
	R           io.ReaderAt
	Size        int64
	Name        string
	ContentType string
}

// Extract reads src. The context bounds the work (a hostile PDF can be
// slow to parse).
func Extract(ctx context.Context, src Source) (*Document, error) {
	format, err := Detect(src)
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	fn, ok := extractors[format]
	if !ok {
		return nil, ErrUnsupported
	}
	doc, err := fn(ctx, src)
	if err != nil {
		return nil, err
	}
	doc.Format = format
	if doc.Pages == 0 {
		doc.Pages = 1
	}
	if len(doc.Blocks) == 0 {
		return nil, ErrEmpty
	}
	return doc, nil
}

// extractors by format; each file of this package registers its own.
var extractors = map[string]func(context.Context, Source) (*Document, error){}
