package extract

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
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
	// maxLineRunes: a line of a page is rarely longer (landscape, small
	// type); text mostly in longer lines has lost its line breaks.
	maxLineRunes = 250
)

// maxPDFText bounds the text of all pages, in bytes (a variable for the
// tests).
var maxPDFText = 64 << 20

// extractPDF reads a PDF page by page with ledongthuc/pdf, which panics on
// malformed input and ignores contexts: it runs in a goroutine that
// recovers, and Extract returns when the context ends even if the library
// is still inside a page (the goroutine then stops at the next page; one
// hostile page can keep it busy until the library is done with it).
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
	r, err := pdf.NewReader(pdf2as17{src.R}, src.Size)
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
	// An encrypted file the library could open (RC4, AES-128 with an
	// empty user password) has its page streams decrypted but not the
	// strings of its info and outline: those would be garbage.
	encrypted := r.Trailer().Key("Encrypt").Kind() != pdf.Null
	var outline []outlineEntry
	if !encrypted {
		b.doc.Title = oneLine(r.Trailer().Key("Info").Key("Title").Text())
		outline = flattenOutline(r)
	}
	texts, failed, pageErr, err := pdfTexts(ctx, pages, plainText)
	if err != nil {
		return nil, err
	}
	if failed*2 > len(pages) {
		if encrypted { // opened, but decrypted wrongly
			return nil, errors.Join(ErrEncrypted, pageErr)
		}
		return nil, corrupt(pageErr)
	}
	if readable(texts) != nil || linesMerged(texts) {
		// Words or lines placed one by one without space glyphs or
		// line operators (ps2pdf, groff, report writers) come out run
		// together: try again from the glyphs' positions. Only then: on
		// well-made files the positions add false gaps at kerning.
		if geo, _, _, err := pdfTexts(ctx, pages, geometricText); err == nil && readable(geo) == nil {
			texts = geo
		}
	}
	if err := readable(texts); err != nil {
		if encrypted {
			return nil, ErrEncrypted
		}
		return nil, err
	}
	for i, s := range texts {
		b.page = i + 1
		pdfPage(b, s, &outline)
	}
	b.page = len(pages)
	return b.done(), nil
}

// pdf2as17 shows a PDF 2.0 file's header as "%PDF-1.7": the library
// accepts only 1.x headers, and 2.0 keeps 1.7's syntax (what it adds,
// the library ignores).
type pdf2as17 struct{ r io.ReaderAt }

func (p pdf2as17) ReadAt(b []byte, off int64) (int, error) {
	n, err := p.r.ReadAt(b, off)
	if off < 8 && off+int64(n) >= 8 {
		head := make([]byte, 8)
		if m, _ := p.r.ReadAt(head, 0); m == 8 && string(head) == "%PDF-2.0" {
			copy(b[:8-off], "%PDF-1.7"[off:])
		}
	}
	return n, err
}

// pdfTexts reads every page's text with read: NFKC, de-hyphenated. A
// page that fails is left empty and counted.
func pdfTexts(ctx context.Context, pages []pdf.Page, read func(pdf.Page) (string, error)) (texts []string, failed int, last, err error) {
	texts = make([]string, len(pages))
	total := 0
	for i, p := range pages {
		if err := ctx.Err(); err != nil {
			return nil, 0, nil, err
		}
		s, err := read(p)
		if err != nil {
			failed, last = failed+1, err
			continue
		}
		texts[i] = Dehyphenate(normaliseRunes(s))
		// A small file can draw the same text a million times.
		if total += len(texts[i]); total > maxPDFText {
			return nil, 0, nil, corrupt(errOverLimit)
		}
	}
	return texts, failed, last, nil
}

func plainText(p pdf.Page) (string, error) { return p.GetPlainText(nil) }

// geometricText rebuilds a page's lines from where its glyphs are, in
// the content's order (so a two-column page stays column by column): a
// new line where the baseline moves, a space where a gap is wider than
// a sixth of the font size.
func geometricText(p pdf.Page) (s string, err error) {
	defer func() {
		if r := recover(); r != nil {
			s, err = "", fmt.Errorf("pdf: %v", r)
		}
	}()
	var sb strings.Builder
	var prev pdf.Text
	for i, t := range p.Content().Text {
		if i > 0 {
			size := max(t.FontSize, prev.FontSize, 1)
			switch {
			case math.Abs(t.Y-prev.Y) > size/2:
				sb.WriteByte('\n')
			case t.X-(prev.X+prev.W) > size/6 || t.X < prev.X-size:
				sb.WriteByte(' ')
			}
		}
		sb.WriteString(t.S)
		prev = t
	}
	return sb.String(), nil
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
			return corrupt(errors.New("pdf: page tree too deep or looping"))
		}
		switch v.Key("Type").Name() {
		case "Page":
			if len(pages) >= maxPDFPages {
				return corrupt(errOverLimit)
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
// sections, so a PDF gets heading paths too.
func pdfPage(b *builder, s string, outline *[]outlineEntry) {
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

// linesMerged: most of the text is in "lines" longer than any page's
// line: the file moves to the next line without saying so.
func linesMerged(pages []string) bool {
	var long, all int
	for _, p := range pages {
		for _, l := range strings.Split(p, "\n") {
			n := utf8.RuneCountInString(l)
			all += n
			if n > maxLineRunes {
				long += n
			}
		}
	}
	return long*2 > all
}

// readable refuses text that would index garbage: too few letters per
// page (scanned), words run together, or characters that are not
// letters (fonts without a usable encoding).
func readable(pages []string) error {
	var glued, nonSpace, letters, textPages int
	for _, p := range pages {
		n := 0
		for _, r := range p {
			if unicode.IsLetter(r) || unicode.IsDigit(r) {
				n++
			}
		}
		letters += n
		if n >= minLettersPerPage {
			textPages++
		}
	}
	// Most pages without text: scanned (a typed cover page or page
	// numbers do not make the rest readable).
	if textPages*2 < len(pages) || letters < minLettersPerPage*len(pages) {
		return ErrNeedsOCR
	}
	text := strings.Join(pages, "\n")
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

// hyphens that can end a line in a split word: ASCII, soft, Unicode and
// non-breaking hyphens, and the minus sign (PostScript's Latin-1
// encoding names the hyphen key "minus", so ps2pdf files show U+2212).
const hyphens = "-\u00ad\u2010\u2011\u2212"

// Dehyphenate joins a word split at a line end ("docu-\nment" →
// "document"): a letter, a hyphen (or a soft hyphen) ending the line, and
// a lower-case letter starting the next. A real compound split there
// ("well-\nknown") loses its hyphen; that is rarer than the split words
// in justified text.
func Dehyphenate(s string) string {
	if !strings.ContainsAny(s, hyphens) {
		return s
	}
	lines := strings.Split(s, "\n")
	var out strings.Builder
	for i := 0; i < len(lines); i++ {
		line := lines[i]
		for i+1 < len(lines) {
			trimmed := strings.TrimRight(line, " ")
			last, size := utf8.DecodeLastRuneInString(trimmed)
			if !strings.ContainsRune(hyphens, last) {
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
