package extract

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/ledongthuc/pdf"
)

func init() { extractors["pdf"] = extractPDF }

const (
	// maxPDFPages and maxOutline bound what a hostile file can make us
	// walk (a page count of a billion, an outline that loops).
	maxPDFPages = 10000
	maxOutline  = 5000
	// A page of real text has hundreds of letters; a scanned page none,
	// or a few from a stamp or a page number.
	minLettersPerPage = 50
	// "Words" this long are words run together: a PDF that positions
	// each word without a space glyph, read without its geometry.
	gluedWordRunes = 25
	// ...and when they hold this share of the letters the text is garbage.
	maxGluedShare = 0.25
	// Below this share of letters and digits among the non-space
	// characters, the text is undecodable (fonts without a usable
	// encoding come out as control characters and symbols).
	minLetterShare = 0.6
)

// extractPDF reads a PDF page by page with ledongthuc/pdf, which panics on
// malformed input and ignores contexts: it runs in a goroutine that
// recovers, and Extract returns when the context ends even if the library
// is still inside a page (the goroutine then stops at the next page).
func extractPDF(ctx context.Context, src Source) (*Document, error) {
	type result struct {
		doc *Document
		err error
	}
	done := make(chan result, 1)
	go func() {
		var r result
		defer func() {
			if p := recover(); p != nil {
				r = result{nil, corrupt(fmt.Errorf("pdf: %v", p))}
			}
			done <- r
		}()
		r.doc, r.err = readPDF(ctx, src)
	}()
	select {
	case r := <-done:
		return r.doc, r.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func readPDF(ctx context.Context, src Source) (*Document, error) {
	r, err := pdf.NewReader(src.R, src.Size)
	if err != nil {
		if pdfEncrypted(src, err) {
			return nil, ErrEncrypted
		}
		return nil, corrupt(err)
	}
	pages, err := pdfPages(r)
	if err != nil {
		return nil, err
	}
	b := newBuilder()
	b.doc.Title = oneLine(r.Trailer().Key("Info").Key("Title").Text())
	outline := flattenOutline(r)
	var text strings.Builder
	var letters, failed int
	for i, p := range pages {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		s, err := p.GetPlainText(nil)
		if err != nil {
			// One damaged page should not cost the others; many do.
			failed++
			continue
		}
		s = Dehyphenate(normaliseRunes(s))
		b.page = i + 1
		letters += pdfPage(b, s, &outline)
		text.WriteString(s)
		text.WriteByte('\n')
	}
	if failed*2 > len(pages) {
		return nil, ErrCorrupt
	}
	b.page = len(pages)
	if err := readable(text.String(), letters, len(pages)); err != nil {
		return nil, err
	}
	return b.done(), nil
}

// pdfEncrypted: the library refuses most encryption (AES, any user
// password) with assorted messages; the trailer's /Encrypt key is what
// says so. Decrypting files with an empty user password would need
// pdfcpu (+3.5 MiB): not worth it yet.
func pdfEncrypted(src Source, err error) bool {
	if err == pdf.ErrInvalidPassword || strings.Contains(err.Error(), "encrypt") {
		return true
	}
	const tail = 64 << 10
	off := max(src.Size-tail, 0)
	buf := make([]byte, src.Size-off)
	n, _ := src.R.ReadAt(buf, off)
	return bytes.Contains(buf[:n], []byte("/Encrypt"))
}

// pdfPages walks the page tree itself, bounded: the library's Page(i)
// trusts /Count and loops forever on a tree that refers to itself.
func pdfPages(r *pdf.Reader) ([]pdf.Page, error) {
	var pages []pdf.Page
	visits := 0
	var walk func(v pdf.Value, depth int) error
	walk = func(v pdf.Value, depth int) error {
		if visits++; visits > 4*maxPDFPages || depth > 64 {
			return ErrCorrupt
		}
		switch v.Key("Type").Name() {
		case "Page":
			if len(pages) >= maxPDFPages {
				return ErrCorrupt
			}
			pages = append(pages, pdf.Page{V: v})
		default: // "Pages", or a node missing its type
			kids := v.Key("Kids")
			for i := 0; i < kids.Len(); i++ {
				if err := walk(kids.Index(i), depth+1); err != nil {
					return err
				}
			}
		}
		return nil
	}
	if err := walk(r.Trailer().Key("Root").Key("Pages"), 0); err != nil {
		return nil, err
	}
	if len(pages) == 0 {
		return nil, ErrEmpty
	}
	return pages, nil
}

// outlineEntry is a bookmark with its depth (1 = top level).
type outlineEntry struct {
	title string
	level int
}

// flattenOutline lists the bookmarks in document order, bounded (the
// library's Outline recurses without limit).
func flattenOutline(r *pdf.Reader) []outlineEntry {
	var out []outlineEntry
	var walk func(v pdf.Value, level int)
	walk = func(v pdf.Value, level int) {
		for c := v.Key("First"); c.Kind() == pdf.Dict && len(out) < maxOutline && level <= 16; c = c.Key("Next") {
			if t := oneLine(c.Key("Title").Text()); t != "" {
				out = append(out, outlineEntry{t, level})
			}
			walk(c, level+1)
		}
	}
	walk(r.Trailer().Key("Root").Key("Outlines"), 1)
	return out
}

// outlineLookahead: a bookmark whose heading is not found as a line (an
// image, a heading split oddly) is skipped after this many later ones
// match, so one miss does not stop the rest.
const outlineLookahead = 3

// pdfPage adds one page's text. Lines matching the next bookmarks (in
// order; LibreOffice and Word export headings as bookmarks) open
// sections, so a PDF gets heading paths too. It returns the page's count
// of letters and digits.
func pdfPage(b *builder, s string, outline *[]outlineEntry) int {
	lines := strings.Split(s, "\n")
	var para []string
	flush := func() {
		b.text(strings.Join(para, "\n"))
		para = para[:0]
	}
	for i := 0; i < len(lines); i++ {
		if k, n := matchHeading(lines[i:], *outline); n > 0 {
			flush()
			e := (*outline)[k]
			b.heading(e.level, e.title)
			*outline = (*outline)[k+1:]
			i += n - 1
			continue
		}
		para = append(para, lines[i])
	}
	flush()
	letters := 0
	for _, r := range s {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			letters++
		}
	}
	return letters
}

// matchHeading: whether lines start with one of the next bookmarks'
// titles (a long heading may wrap onto up to three lines); it returns
// the bookmark's index and the lines it takes.
func matchHeading(lines []string, outline []outlineEntry) (int, int) {
	first := oneLine(lines[0])
	if first == "" {
		return 0, 0
	}
	for k := 0; k < len(outline) && k < outlineLookahead; k++ {
		title := outline[k].title
		joined := first
		for n := 1; n <= 3 && n <= len(lines); n++ {
			if n > 1 {
				joined += " " + oneLine(lines[n-1])
			}
			if strings.EqualFold(joined, title) {
				return k, n
			}
			if !strings.HasPrefix(strings.ToLower(title), strings.ToLower(joined)) {
				break
			}
		}
	}
	return 0, 0
}

// readable refuses text that would index garbage: too few letters per
// page (scanned), words run together, or characters that are not
// letters (fonts without a usable encoding).
func readable(text string, letters, pages int) error {
	if letters < minLettersPerPage*pages {
		return ErrNeedsOCR
	}
	var glued, nonSpace int
	for _, w := range strings.Fields(text) {
		n := utf8.RuneCountInString(w)
		nonSpace += n
		if n > gluedWordRunes && !strings.Contains(w, "://") {
			glued += n
		}
	}
	if float64(glued) > maxGluedShare*float64(nonSpace) || float64(letters) < minLetterShare*float64(nonSpace) {
		return ErrNeedsOCR
	}
	return nil
}

// normaliseRunes is NFKC (ligatures like "ﬁ" become "fi") with control
// characters other than line breaks and tabs dropped.
func normaliseRunes(s string) string {
	s = Normalise(s)
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) && r != '\n' && r != '\t' {
			return -1
		}
		return r
	}, s)
}

// Dehyphenate joins a word split at a line end ("docu-\nment" →
// "document"): a letter, a hyphen (or a soft hyphen) ending the line, and
// a lower-case letter starting the next. A real compound split there
// ("well-\nknown") loses its hyphen; that is rarer than the split words
// in justified text.
func Dehyphenate(s string) string {
	if !strings.ContainsAny(s, "-\u00ad\u2010") {
		return s
	}
	lines := strings.Split(s, "\n")
	var out strings.Builder
	for i := 0; i < len(lines); i++ {
		line := lines[i]
		for i+1 < len(lines) {
			trimmed := strings.TrimRight(line, " ")
			last, size := utf8.DecodeLastRuneInString(trimmed)
			if last != '-' && last != '\u00ad' && last != '\u2010' {
				break
			}
			before, _ := utf8.DecodeLastRuneInString(trimmed[:len(trimmed)-size])
			next := strings.TrimLeft(lines[i+1], " ")
			first, _ := utf8.DecodeRuneInString(next)
			if !unicode.IsLetter(before) || !unicode.IsLower(first) {
				break
			}
			// Join the next line's first word; the rest of it stays a line.
			word, rest, more := strings.Cut(next, " ")
			line = trimmed[:len(trimmed)-size] + word
			if more {
				lines[i+1] = rest
				break
			}
			i++
		}
		// A soft hyphen anywhere else is only a hint where to break.
		out.WriteString(strings.ReplaceAll(line, "\u00ad", ""))
		if i+1 < len(lines) {
			out.WriteByte('\n')
		}
	}
	return out.String()
}
