package extract

import (
	"archive/zip"
	"context"
	"encoding/xml"
	"errors"
	"io"
	"strconv"
	"strings"
)

func init() { extractors["docx"] = extractDOCX }

// The zip-bomb guard: a DOCX is a zip of XML parts, and a hostile one
// declares (or hides) gigabytes behind a few kilobytes. Limits are far
// above any real document: a 300-page report's document.xml is ~10 MiB,
// and XML deflates about 10:1.
const (
	maxZipEntries    = 10000
	maxZipTotal      = 512 << 20 // declared uncompressed bytes, all entries
	maxZipPart       = 64 << 20  // uncompressed bytes of one part we read
	maxZipRatio      = 200       // uncompressed:compressed, for parts over zipRatioFloor
	zipRatioFloor    = 1 << 20
	docxMainPart     = "word/document.xml"
	docxStylesPart   = "word/styles.xml"
	docxCorePropPart = "docProps/core.xml"
)

// errOverLimit is wrapped in ErrCorrupt: a zip bomb, a JSON that explodes.
var errOverLimit = errors.New("over a safety limit")

func extractDOCX(ctx context.Context, src Source) (*Document, error) {
	zr, err := zip.NewReader(src.R, src.Size)
	if err != nil {
		return nil, ErrCorrupt
	}
	parts, err := checkZip(zr)
	if err != nil {
		return nil, err
	}
	main, ok := parts[docxMainPart]
	if !ok {
		return nil, ErrUnsupported // a zip, but not a Word document
	}
	styles := map[string]int{}
	if f, ok := parts[docxStylesPart]; ok {
		if styles, err = docxHeadingStyles(f); err != nil {
			return nil, err
		}
	}
	b := newBuilder()
	if f, ok := parts[docxCorePropPart]; ok {
		if b.doc.Title, err = docxTitle(f); err != nil {
			return nil, err
		}
	}
	if err := docxBody(ctx, main, styles, b); err != nil {
		return nil, err
	}
	return b.done(), nil
}

// checkZip applies the zip-bomb guard to the whole archive and returns
// its entries by name.
func checkZip(zr *zip.Reader) (map[string]*zip.File, error) {
	if len(zr.File) > maxZipEntries {
		return nil, corrupt(errOverLimit)
	}
	parts := make(map[string]*zip.File, len(zr.File))
	var total uint64
	for _, f := range zr.File {
		total += f.UncompressedSize64
		if total > maxZipTotal || f.UncompressedSize64 > maxZipTotal {
			return nil, corrupt(errOverLimit)
		}
		if f.UncompressedSize64 > zipRatioFloor && f.UncompressedSize64/max(f.CompressedSize64, 1) > maxZipRatio {
			return nil, corrupt(errOverLimit)
		}
		parts[f.Name] = f
	}
	return parts, nil
}

// openPart opens one entry, bounded to maxZipPart whatever its header
// says (a header can lie about the size).
func openPart(f *zip.File) (io.ReadCloser, error) {
	if f.UncompressedSize64 > maxZipPart {
		return nil, corrupt(errOverLimit)
	}
	rc, err := f.Open()
	if err != nil {
		return nil, ErrCorrupt
	}
	return struct {
		io.Reader
		io.Closer
	}{&limitedPart{r: rc, left: maxZipPart}, rc}, nil
}

// limitedPart fails (rather than silently truncating) past the limit.
type limitedPart struct {
	r    io.Reader
	left int64
}

func (l *limitedPart) Read(p []byte) (int, error) {
	if l.left <= 0 {
		return 0, corrupt(errOverLimit)
	}
	if int64(len(p)) > l.left {
		p = p[:l.left]
	}
	n, err := l.r.Read(p)
	l.left -= int64(n)
	return n, err
}

// corrupt wraps a cause in ErrCorrupt, keeping it for the logs.
func corrupt(cause error) error { return errors.Join(ErrCorrupt, cause) }

// xmlErr maps a decoding failure: the guard's own error stays, anything
// else is a damaged part.
func xmlErr(err error) error {
	if errors.Is(err, ErrCorrupt) {
		return err
	}
	return corrupt(err)
}

// docxHeadingStyles maps style ids to heading levels (1 = outermost):
// styles named "heading N" or "Title", or carrying an outline level.
// Ids are not names ("Heading1", "berschrift1", "1"), so the names decide.
func docxHeadingStyles(f *zip.File) (map[string]int, error) {
	rc, err := openPart(f)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	levels := map[string]int{}
	d := xml.NewDecoder(rc)
	var id string
	for {
		tok, err := d.Token()
		if err == io.EOF {
			return levels, nil
		}
		if err != nil {
			return nil, xmlErr(err)
		}
		se, ok := tok.(xml.StartElement)
		if !ok {
			continue
		}
		switch se.Name.Local {
		case "style":
			id = attr(se, "styleId")
		case "name":
			name := strings.ToLower(attr(se, "val"))
			if name == "title" {
				levels[id] = 1
			} else if n, ok := strings.CutPrefix(name, "heading "); ok {
				if lv, err := strconv.Atoi(n); err == nil && lv >= 1 && lv <= 9 {
					levels[id] = lv
				}
			}
		case "outlineLvl":
			if lv, err := strconv.Atoi(attr(se, "val")); err == nil && lv >= 0 && lv < 9 && id != "" {
				if _, named := levels[id]; !named {
					levels[id] = lv + 1
				}
			}
		}
	}
}

func docxTitle(f *zip.File) (string, error) {
	rc, err := openPart(f)
	if err != nil {
		return "", err
	}
	defer rc.Close()
	d := xml.NewDecoder(rc)
	for {
		tok, err := d.Token()
		if err == io.EOF {
			return "", nil
		}
		if err != nil {
			return "", xmlErr(err)
		}
		if se, ok := tok.(xml.StartElement); ok && se.Name.Local == "title" {
			var s string
			if err := d.DecodeElement(&s, &se); err != nil {
				return "", xmlErr(err)
			}
			return oneLine(s), nil
		}
	}
}

// docxBody reads the main part's paragraphs in order: a heading style
// opens a section, other paragraphs are blocks, a table is one block with
// a line per row and " | " between cells (its paragraphs joined by
// spaces). Deleted text and field instructions are not text.
//
// Pages: a DOCX stores no layout, but Word marks where its last layout
// broke pages (w:lastRenderedPageBreak), and authors insert hard breaks
// (w:br w:type="page", w:pageBreakBefore). A block is on the page where its
// paragraph (or table) starts, counted by Word's marks when the file has
// any (they include the hard breaks), else by the hard breaks; a file with
// neither is one page.
func docxBody(ctx context.Context, f *zip.File, styles map[string]int, b *builder) error {
	rc, err := openPart(f)
	if err != nil {
		return err
	}
	defer rc.Close()
	d := xml.NewDecoder(rc)
	type pageAt struct{ hard, rendered int } // breaks before a point
	type para struct {
		text  strings.Builder
		level int
		start pageAt
	}
	var (
		paras   []*para // a text box's paragraphs nest inside a paragraph
		breaks  pageAt
		tblAt   pageAt
		blockAt []pageAt // where each emitted block starts
		first   = len(b.doc.Blocks)
		inText  bool
		tables  int
		rows    []string
		cells   []string
		cell    strings.Builder
		tokens  int
		current = func() *para {
			if len(paras) == 0 {
				return nil
			}
			return paras[len(paras)-1]
		}
	)
	// emit adds a block (through add) starting at at.
	emit := func(at pageAt, add func()) {
		b.page = 1 + at.hard
		n := len(b.doc.Blocks)
		add()
		for i := n; i < len(b.doc.Blocks); i++ {
			blockAt = append(blockAt, at)
		}
	}
	for {
		tok, err := d.Token()
		if err == io.EOF {
			if breaks.rendered > 0 {
				for i, at := range blockAt {
					b.doc.Blocks[first+i].Page = 1 + at.rendered
				}
				b.page = 1 + breaks.rendered
			} else {
				b.page = 1 + breaks.hard
			}
			return nil
		}
		if err != nil {
			return xmlErr(err)
		}
		if tokens++; tokens%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		switch t := tok.(type) {
		case xml.StartElement:
			switch t.Name.Local {
			case "p":
				paras = append(paras, &para{start: breaks})
			case "pageBreakBefore":
				if v := attr(t, "val"); v != "0" && v != "false" && v != "off" {
					breaks.hard++
					if p := current(); p != nil && p.text.Len() == 0 {
						p.start.hard = breaks.hard
					}
				}
			case "lastRenderedPageBreak":
				breaks.rendered++
				if p := current(); p != nil && p.text.Len() == 0 {
					p.start.rendered = breaks.rendered
				}
			case "pStyle":
				if p := current(); p != nil {
					p.level = styles[attr(t, "val")]
				}
			case "outlineLvl":
				if lv, err := strconv.Atoi(attr(t, "val")); err == nil && lv >= 0 && lv < 9 {
					if p := current(); p != nil {
						p.level = lv + 1
					}
				}
			case "t":
				inText = true
			case "tab":
				if p := current(); p != nil && !inText {
					p.text.WriteByte('\t')
				}
			case "noBreakHyphen":
				if p := current(); p != nil {
					p.text.WriteByte('-')
				}
			case "br", "cr":
				if attr(t, "type") == "page" {
					breaks.hard++
					if p := current(); p != nil && p.text.Len() == 0 {
						p.start.hard = breaks.hard
					}
					continue
				}
				if p := current(); p != nil {
					p.text.WriteByte('\n')
				}
			case "tbl":
				if tables == 0 {
					tblAt = breaks
				}
				tables++
			case "tr":
				if tables == 1 {
					cells = cells[:0]
				}
			case "tc":
				if tables == 1 {
					cell.Reset()
				}
			}
		case xml.CharData:
			if p := current(); p != nil && inText {
				p.text.Write(t)
			}
		case xml.EndElement:
			switch t.Name.Local {
			case "t":
				inText = false
			case "p":
				p := current()
				if p == nil {
					continue
				}
				paras = paras[:len(paras)-1]
				switch {
				case tables > 0:
					if s := oneLine(p.text.String()); s != "" {
						if cell.Len() > 0 {
							cell.WriteByte(' ')
						}
						cell.WriteString(s)
					}
				case p.level > 0:
					emit(p.start, func() { b.heading(p.level, p.text.String()) })
				default:
					emit(p.start, func() { b.text(p.text.String()) })
				}
			case "tc":
				if tables == 1 {
					cells = append(cells, cell.String())
				}
			case "tr":
				if tables == 1 {
					if row := strings.Join(cells, " | "); strings.Trim(row, " |") != "" {
						rows = append(rows, row)
					}
				}
			case "tbl":
				if tables--; tables == 0 {
					emit(tblAt, func() { b.text(strings.Join(rows, "\n")) })
					rows = rows[:0]
				}
			}
		}
	}
}

func attr(se xml.StartElement, local string) string {
	for _, a := range se.Attr {
		if a.Name.Local == local {
			return a.Value
		}
	}
	return ""
}
