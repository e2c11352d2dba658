package extract

import (
	"archive/zip"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"golang.org/x/text/encoding/charmap"
)

// The test documents are made at test time by the real tools from
// testdata/guide.md (headings, a table, non-ASCII text; "<!-- page -->"
// and "<!-- column -->" mark page and column breaks): pandoc writes the
// DOCX and the HTML, LibreOffice turns the DOCX (made two-column) into a
// PDF, Ghostscript's ps2pdf makes PDFs without ToUnicode maps from
// PostScript written here, and qpdf encrypts. Without a tool the test is
// skipped, unless AIWFE_REQUIRE_PEERS=1 (then it fails):
// scripts/test-deps.sh installs them.

var (
	fixtureDir  string
	fixtureOnce sync.Mutex
	fixtureMade = map[string]bool{} // made; a skip or failure leaves no mark
)

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "extract-fixtures-")
	if err != nil {
		panic(err)
	}
	fixtureDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// tool finds a peer program or skips (fails under AIWFE_REQUIRE_PEERS=1).
func tool(t testing.TB, name, pkg string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		msg := fmt.Sprintf("%s is not installed (apt-get install %s; scripts/test-deps.sh)", name, pkg)
		if os.Getenv("AIWFE_REQUIRE_PEERS") == "1" {
			t.Fatal(msg + "; AIWFE_REQUIRE_PEERS=1, so this is a failure")
		}
		t.Skip(msg)
	}
	return path
}

func run(t testing.TB, dir string, name string, args ...string) {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s %v: %v\n%s", name, args, err, out)
	}
}

// fixture returns the path of a made document, making it (and what it
// is made from) once per test run.
func fixture(t testing.TB, name string) string {
	t.Helper()
	fixtureOnce.Lock()
	defer fixtureOnce.Unlock()
	return makeFixture(t, name)
}

func makeFixture(t testing.TB, name string) string {
	t.Helper()
	path := filepath.Join(fixtureDir, name)
	if fixtureMade[name] {
		return path
	}
	dir := fixtureDir
	switch name {
	case "guide-breaks.md":
		// Raw OpenXML page and column breaks for pandoc's DOCX writer.
		s := strings.ReplaceAll(guideSource(t), "<!-- page -->", "```{=openxml}\n<w:p><w:r><w:br w:type=\"page\"/></w:r></w:p>\n```")
		s = strings.ReplaceAll(s, "<!-- column -->", "```{=openxml}\n<w:p><w:r><w:br w:type=\"column\"/></w:r></w:p>\n```")
		writeFile(t, path, []byte(s))
	case "guide.docx":
		src := makeFixture(t, "guide-breaks.md")
		run(t, dir, tool(t, "pandoc", "pandoc"), src, "-o", path)
	case "guide-2col.docx":
		// The same document set in two columns: LibreOffice's PDF of it
		// has to be read column by column.
		in := makeFixture(t, "guide.docx")
		rewriteZip(t, in, path, "word/document.xml", func(b []byte) []byte {
			out := bytes.Replace(b, []byte("<w:sectPr />"), []byte(`<w:sectPr><w:cols w:num="2" w:space="720"/></w:sectPr>`), 1)
			if bytes.Equal(out, b) {
				t.Fatal("pandoc's DOCX has no <w:sectPr />: cannot make it two-column")
			}
			// pandoc sizes table columns for one page-wide column; in
			// half the width LibreOffice would clip the last ones.
			// The first column (names) wider than the numbers'.
			col := 0
			return regexp.MustCompile(`<w:gridCol w:w="\d+" />`).ReplaceAllFunc(out, func([]byte) []byte {
				col++
				if col == 1 {
					return []byte(`<w:gridCol w:w="2000" />`)
				}
				return []byte(`<w:gridCol w:w="1100" />`)
			})
		})
	case "guide.pdf":
		in := makeFixture(t, "guide-2col.docx")
		soffice := tool(t, "soffice", "libreoffice-writer-nogui")
		// A private profile: a second LibreOffice (another test run) must
		// not find this one's lock.
		profile := "-env:UserInstallation=file://" + filepath.Join(dir, "lo-profile")
		run(t, dir, soffice, profile, "--headless", "--convert-to", "pdf", "--outdir", dir, in)
		if err := os.Rename(filepath.Join(dir, "guide-2col.pdf"), path); err != nil {
			t.Fatal(err)
		}
	case "guide.html":
		run(t, dir, tool(t, "pandoc", "pandoc"), "-s", "--metadata", "pagetitle=Field Guide to the Harbour Archive",
			filepath.Join(testdataDir(t), "guide.md"), "-o", path)
	case "ps.pdf", "word-by-word.pdf", "run-together.pdf", "scanned.pdf":
		ps := map[string]func(testing.TB) []byte{"ps.pdf": guidePostScript, "word-by-word.pdf": wordByWordPostScript,
			"run-together.pdf": runTogetherPostScript, "scanned.pdf": scannedPostScript}[name]
		psPath := strings.TrimSuffix(path, ".pdf") + ".ps"
		writeFile(t, psPath, ps(t))
		run(t, dir, tool(t, "ps2pdf", "ghostscript"), psPath, path)
	case "encrypted.pdf":
		run(t, dir, tool(t, "qpdf", "qpdf"), "--encrypt", "reader-pw", "owner-pw", "256", "--", makeFixture(t, "guide.pdf"), path)
	case "encrypted-aes128.pdf": // an empty user password: readable
		run(t, dir, tool(t, "qpdf", "qpdf"), "--encrypt", "", "owner-pw", "128", "--use-aes=y", "--", makeFixture(t, "guide.pdf"), path)
	case "encrypted-aes256.pdf":
		run(t, dir, tool(t, "qpdf", "qpdf"), "--encrypt", "", "owner-pw", "256", "--", makeFixture(t, "guide.pdf"), path)
	case "encrypted-rc4.pdf":
		run(t, dir, tool(t, "qpdf", "qpdf"), "--allow-weak-crypto", "--encrypt", "", "owner-pw", "40", "--", makeFixture(t, "guide.pdf"), path)
	case "pdf2.pdf":
		run(t, dir, tool(t, "qpdf", "qpdf"), "--force-version=2.0", makeFixture(t, "guide.pdf"), path)
	case "truncated.pdf":
		b := readFile(t, makeFixture(t, "guide.pdf"))
		writeFile(t, path, b[:len(b)/2])
	default:
		t.Fatalf("no fixture %s", name)
	}
	fixtureMade[name] = true
	return path
}

func testdataDir(t testing.TB) string {
	dir, err := filepath.Abs("testdata")
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

func guideSource(t testing.TB) string {
	return string(readFile(t, filepath.Join(testdataDir(t), "guide.md")))
}

func readFile(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func writeFile(t testing.TB, path string, b []byte) {
	t.Helper()
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// rewriteZip copies a zip, passing one entry through edit.
func rewriteZip(t testing.TB, in, out, entry string, edit func([]byte) []byte) {
	t.Helper()
	zr, err := zip.OpenReader(in)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		if _, err := b.ReadFrom(rc); err != nil {
			t.Fatal(err)
		}
		rc.Close()
		data := b.Bytes()
		if f.Name == entry {
			data = edit(data)
		}
		w, err := zw.Create(f.Name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(data)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	writeFile(t, out, buf.Bytes())
}

// sourceWords is the guide's words in order, as the reader sees them:
// markup, comments and table rules are not words.
func sourceWords(t testing.TB) []string {
	s := regexp.MustCompile(`(?s)<!--.*?-->`).ReplaceAllString(guideSource(t), " ")
	return words(s)
}

var wordRE = regexp.MustCompile(`[\p{L}\p{N}]+`)

func words(s string) []string {
	w := wordRE.FindAllString(s, -1)
	for i := range w {
		w[i] = strings.ToLower(w[i])
	}
	return w
}

// docWords is an extracted document's words in order.
func docWords(doc *Document) []string {
	var all []string
	for _, b := range doc.Blocks {
		all = append(all, words(b.Text)...)
	}
	return all
}

// recovered is the share of want's words found in got in the same order
// (the longest common subsequence over len(want)): lost, garbled or
// reordered words all lower it.
func recovered(want, got []string) float64 {
	if len(want) == 0 {
		return 1
	}
	prev := make([]int, len(got)+1)
	cur := make([]int, len(got)+1)
	for i := range want {
		for j := range got {
			switch {
			case want[i] == got[j]:
				cur[j+1] = prev[j] + 1
			case prev[j+1] >= cur[j]:
				cur[j+1] = prev[j+1]
			default:
				cur[j+1] = cur[j]
			}
		}
		prev, cur = cur, prev
	}
	return float64(prev[len(got)]) / float64(len(want))
}

// --- PostScript for ps2pdf: standard Type 1 fonts, no ToUnicode maps ---

// latin1 is s in ISO Latin-1 (the PostScript fonts are re-encoded to
// it), and whether it can be: Greek and Cyrillic cannot.
func latin1(s string) (string, bool) {
	b, err := charmap.ISO8859_1.NewEncoder().String(s)
	return b, err == nil
}

// psString quotes text (Latin-1 only) for PostScript.
func psString(s string) string {
	s, _ = latin1(s)
	var b strings.Builder
	b.WriteByte('(')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '(' || c == ')' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c >= 0x80:
			fmt.Fprintf(&b, "\\%03o", c)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte(')')
	return b.String()
}

const psProlog = `%!PS-Adobe-3.0
/latin { findfont dup length dict begin { 1 index /FID ne { def } { pop pop } ifelse } forall
  /Encoding ISOLatin1Encoding def currentdict end definefont pop } def
/Body /Times-Roman latin
/Head /Helvetica-Bold latin
`

// psLine is a typesetter's line: the words of guide.md wrapped to a
// column of about 70 characters, long words hyphenated at the line end.
type psLine struct {
	text    string
	heading int // its level, 0 for body text
}

// guideLines lays out the guide's words that Latin-1 can show (headings, paragraphs,
// table rows as cells) page by page, and returns the words laid out in
// order and how many words were hyphenated at a line end.
func guideLines(t testing.TB) (pages [][]psLine, laid []string, hyphenated int) {
	const width = 60
	var page []psLine
	var line []string
	flush := func() {
		if len(line) > 0 {
			page = append(page, psLine{text: strings.Join(line, " ")})
			line = nil
		}
	}
	addWord := func(w string) {
		laid = append(laid, w)
		n := len(strings.Join(line, " "))
		switch {
		case n+1+len(w) <= width:
			line = append(line, w)
		case len(w) >= 7 && width-n-2 >= 3 && isLowerWord(w):
			// Hyphenate: "docu-" ends this line, "ments" starts the next.
			cut := min(width-n-2, len(w)-3)
			line = append(line, w[:cut]+"-")
			flush()
			line = []string{w[cut:]}
			hyphenated++
		default:
			flush()
			line = []string{w}
		}
	}
	for _, raw := range strings.Split(guideSource(t), "\n") {
		s := strings.TrimSpace(raw)
		switch {
		case s == "<!-- page -->":
			flush()
			pages = append(pages, page)
			page = nil
		case strings.HasPrefix(s, "<!--"), strings.HasPrefix(s, "|--"):
		case s == "":
			flush()
		case strings.HasPrefix(s, "#"):
			flush()
			level := len(s) - len(strings.TrimLeft(s, "#"))
			title := strings.TrimSpace(s[level:])
			laid = append(laid, strings.Fields(title)...)
			page = append(page, psLine{text: title, heading: level})
		default:
			// The typographic dash and apostrophe as a typewriter has them.
			s = strings.NewReplacer("|", " ", "–", "-", "’", "'").Replace(s)
			for _, w := range strings.Fields(s) {
				if _, ok := latin1(w); ok {
					addWord(w)
				} else {
					flush() // the word is lost; its neighbours must not join
				}
			}
		}
	}
	flush()
	pages = append(pages, page)
	return pages, laid, hyphenated
}

// isLowerWord: only letters, the first lower-case (a word a typesetter
// would hyphenate, and de-hyphenation would join again).
func isLowerWord(w string) bool {
	return regexp.MustCompile(`^[a-z][a-z]+$`).MatchString(w)
}

// guidePostScript: the guide typeset as a ps2pdf input, one line per
// show, with pdfmark bookmarks for the headings like LibreOffice's.
func guidePostScript(t testing.TB) []byte {
	pages, _, hyph := guideLines(t)
	if hyph == 0 {
		t.Fatal("the PostScript layout hyphenated no word: the de-hyphenation is not tested")
	}
	var b bytes.Buffer
	b.WriteString(psProlog)
	// Bookmark counts: each heading's direct children.
	type mark struct {
		title string
		level int
		count int
		page  int
	}
	var marks []*mark
	for p, lines := range pages {
		for _, l := range lines {
			if l.heading > 0 {
				marks = append(marks, &mark{title: l.text, level: l.heading, page: p + 1})
			}
		}
	}
	for i, m := range marks {
		for _, c := range marks[i+1:] {
			if c.level <= m.level {
				break
			}
			if c.level == m.level+1 {
				m.count++
			}
		}
	}
	for _, m := range marks {
		fmt.Fprintf(&b, "[/Title %s /Count %d /Page %d /View [/XYZ null null null] /OUT pdfmark\n", psString(m.title), m.count, m.page)
	}
	for _, lines := range pages {
		y := 740
		for _, l := range lines {
			if l.heading > 0 {
				y -= 10
				fmt.Fprintf(&b, "/Head findfont %d scalefont setfont 72 %d moveto %s show\n", 20-2*l.heading, y, psString(l.text))
				y -= 24
				continue
			}
			fmt.Fprintf(&b, "/Body findfont 11 scalefont setfont 72 %d moveto %s show\n", y, psString(l.text))
			y -= 14
		}
		b.WriteString("showpage\n")
	}
	return b.Bytes()
}

// wordByWordPostScript places every word by its own move, without a
// space glyph (as groff and many report writers do): read without
// geometry, the words run together.
func wordByWordPostScript(t testing.TB) []byte {
	return bodyPostScript(t, func(text string) string {
		// A gap of a quarter of the type size instead of a space glyph.
		var b strings.Builder
		for _, w := range strings.Fields(text) {
			fmt.Fprintf(&b, " %s show 3 0 rmoveto", psString(w))
		}
		return b.String()
	})
}

// runTogetherPostScript sets the lines with no space between the words
// at all: there is nothing to read the words from.
func runTogetherPostScript(t testing.TB) []byte {
	return bodyPostScript(t, func(text string) string {
		return " " + psString(strings.ReplaceAll(text, " ", "")) + " show"
	})
}

// bodyPostScript sets every line of the guide in the body font, each
// line's text drawn by the PostScript show returns.
func bodyPostScript(t testing.TB, show func(text string) string) []byte {
	pages, _, _ := guideLines(t)
	var b bytes.Buffer
	b.WriteString(psProlog)
	for _, lines := range pages {
		y := 740
		b.WriteString("/Body findfont 11 scalefont setfont\n")
		for _, l := range lines {
			fmt.Fprintf(&b, "72 %d moveto%s\n", y, show(l.text))
			y -= 14
		}
		b.WriteString("showpage\n")
	}
	return b.Bytes()
}

// scannedPostScript is what a scanner makes: an image per page and no
// text but a page number.
func scannedPostScript(t testing.TB) []byte {
	var b bytes.Buffer
	b.WriteString("%!PS-Adobe-3.0\n")
	for p := 1; p <= 2; p++ {
		b.WriteString("gsave 72 300 translate 400 400 scale 64 64 8 [64 0 0 64 0 0] {<")
		for i := 0; i < 64*64; i++ {
			fmt.Fprintf(&b, "%02x", (i*7+p*13)%256)
		}
		b.WriteString(">} image grestore\n")
		fmt.Fprintf(&b, "/Times-Roman findfont 10 scalefont setfont 300 40 moveto (%d) show showpage\n", p)
	}
	return b.Bytes()
}

// extractFile runs Extract on a file.
func extractFile(t testing.TB, path string) (*Document, error) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	return Extract(context.Background(), Source{R: f, Size: fi.Size(), Name: filepath.Base(path)})
}
