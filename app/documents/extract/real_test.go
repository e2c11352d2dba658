package extract

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// probe: a passage of the guide, the page it is on (in the PDFs) and the
// heading path it must carry.
type probe struct {
	words   string
	page    int
	heading []string
}

var guideProbes = []probe{
	{"the harbour archive keeps the logbooks", 1, nil},
	{"opening hours", 1, []string{"Opening Hours"}},
	{"pencils only ink cameras with flash", 1, []string{"Opening Hours", "Reading Room Rules"}},
	{"harbour charts 1820 1960 96", 2, []string{"The Collections"}},
	{"the logbooks record every ship", 2, []string{"The Collections"}},
	{"the merchants wrote to partners in lisbon", 2, []string{"The Collections", "Letters from Abroad"}},
	{"straße names in the german letters", 3, []string{"Asking for Help"}},
	{"students get their first twenty copies free", 3, []string{"Asking for Help", "Copies and Permissions"}},
}

// TestRealDocuments reads the guide as written by real tools and scores
// what comes back: the share of the source's words recovered in order,
// the title, and for every probe its heading path (and page in a PDF).
func TestRealDocuments(t *testing.T) {
	cases := []struct {
		name     string
		file     func(t testing.TB) string
		minScore float64
		pages    int // 0: a format without pages (everything on page 1)
		// latin1Only: the PostScript fonts cannot show Greek or Cyrillic,
		// so those words are not expected.
		latin1Only bool
		// noOutline: no title and no heading paths to expect: the file
		// has no bookmarks, or they stay encrypted (the library decrypts
		// only page streams).
		noOutline bool
	}{
		{"markdown", func(t testing.TB) string { return filepath.Join(testdataDir(t), "guide.md") }, 1, 0, false, false},
		{"html (pandoc)", func(t testing.TB) string { return fixture(t, "guide.html") }, 1, 0, false, false},
		{"docx (pandoc)", func(t testing.TB) string { return fixture(t, "guide.docx") }, 1, 3, false, false},
		{"docx two-column (pandoc)", func(t testing.TB) string { return fixture(t, "guide-2col.docx") }, 1, 3, false, false},
		{"pdf two-column (LibreOffice)", func(t testing.TB) string { return fixture(t, "guide.pdf") }, 0.98, 3, false, false},
		{"pdf without ToUnicode, hyphenated (ps2pdf)", func(t testing.TB) string { return fixture(t, "ps.pdf") }, 0.98, 3, true, false},
		// No bookmarks: no title and no heading paths, like encrypted.
		{"pdf with each word placed without a space (ps2pdf)", func(t testing.TB) string { return fixture(t, "word-by-word.pdf") }, 0.98, 3, true, true},
		{"pdf encrypted, AES-128 with an empty user password (qpdf)", func(t testing.TB) string { return fixture(t, "encrypted-aes128.pdf") }, 0.98, 3, false, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			doc, err := extractFile(t, tc.file(t))
			if err != nil {
				t.Fatal(err)
			}
			want := sourceWords(t)
			if tc.latin1Only {
				_, laid, _ := guideLines(t)
				want = words(strings.Join(laid, " "))
			}
			got := docWords(doc)
			score := recovered(want, got)
			t.Logf("%s: %d blocks, %d pages, %.4f of %d words in order", tc.name, len(doc.Blocks), doc.Pages, score, len(want))
			if score < tc.minScore {
				t.Errorf("recovered %.4f of the words in order, want ≥ %.2f\ngot: %s", score, tc.minScore, strings.Join(got, " "))
			}
			if tc.noOutline {
				if doc.Title != "" {
					t.Errorf("title %q from an encrypted info dictionary", doc.Title)
				}
			} else if doc.Title != "Field Guide to the Harbour Archive" {
				t.Errorf("title %q", doc.Title)
			}
			if want := max(tc.pages, 1); doc.Pages != want {
				t.Errorf("pages %d, want %d", doc.Pages, want)
			}
			for _, p := range guideProbes {
				b := findBlock(doc, p.words)
				if b == nil {
					t.Errorf("no block holds %q", p.words)
					continue
				}
				wantPage := 1
				if tc.pages > 0 {
					wantPage = p.page
				}
				wantHeading := p.heading
				if tc.noOutline {
					wantHeading = nil
				}
				if b.Page != wantPage || !slices.Equal(b.Heading, wantHeading) {
					t.Errorf("%q: page %d heading %q, want page %d heading %q", p.words, b.Page, b.Heading, wantPage, wantHeading)
				}
			}
			for _, b := range doc.Blocks {
				if b.Text == "" || b.Text != strings.TrimSpace(b.Text) || strings.ContainsRune(b.Text, '\uFFFD') {
					t.Errorf("block %q", b.Text)
				}
			}
		})
	}
}

// findBlock: the first block whose words contain the probe's.
func findBlock(doc *Document, probe string) *Block {
	for i, b := range doc.Blocks {
		if strings.Contains(" "+strings.Join(words(b.Text), " ")+" ", " "+probe+" ") {
			return &doc.Blocks[i]
		}
	}
	return nil
}

// TestBadInput: each kind of bad file gets its typed error, never a
// panic or half a document.
func TestBadInput(t *testing.T) {
	cases := []struct {
		name string
		data func(t testing.TB) (string, []byte)
		want error
	}{
		{"empty file", func(testing.TB) (string, []byte) { return "empty.pdf", nil }, ErrEmpty},
		{"renamed exe", func(testing.TB) (string, []byte) {
			return "invoice.pdf", append([]byte("MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00"), make([]byte, 600)...)
		}, ErrUnsupported},
		{"zip named docx but no document", func(t testing.TB) (string, []byte) {
			return "x.docx", zipOf(t, map[string][]byte{"hello.txt": []byte("hi")})
		}, ErrUnsupported},
		{"pdf header then garbage", func(testing.TB) (string, []byte) {
			return "x.pdf", []byte("%PDF-1.4\nthis is no pdf at all\nstartxref\n12\n%%EOF\n")
		}, ErrCorrupt},
		{"truncated pdf", func(t testing.TB) (string, []byte) { return "t.pdf", readFile(t, fixture(t, "truncated.pdf")) }, ErrCorrupt},
		{"encrypted pdf (user password)", func(t testing.TB) (string, []byte) { return "e.pdf", readFile(t, fixture(t, "encrypted.pdf")) }, ErrEncrypted},
		// The library reads AES-128 with an empty user password (a
		// real-documents case) but not AES-256 or, wrongly, RC4;
		// decrypting those would take pdfcpu (+3.5 MiB).
		{"encrypted pdf (AES-256, empty user password)", func(t testing.TB) (string, []byte) {
			return "e.pdf", readFile(t, fixture(t, "encrypted-aes256.pdf"))
		}, ErrEncrypted},
		{"encrypted pdf (RC4-40, empty user password)", func(t testing.TB) (string, []byte) {
			return "e.pdf", readFile(t, fixture(t, "encrypted-rc4.pdf"))
		}, ErrEncrypted},
		{"scanned pdf", func(t testing.TB) (string, []byte) { return "s.pdf", readFile(t, fixture(t, "scanned.pdf")) }, ErrNeedsOCR},
		{"pdf with words run together", func(t testing.TB) (string, []byte) { return "g.pdf", readFile(t, fixture(t, "run-together.pdf")) }, ErrNeedsOCR},
		{"docx zip bomb (one huge part)", func(t testing.TB) (string, []byte) { return "b.docx", zipBomb(t, 1, 100<<20) }, ErrCorrupt},
		{"docx zip bomb (ratio)", func(t testing.TB) (string, []byte) { return "b.docx", zipBomb(t, 1, 8<<20) }, ErrCorrupt},
		{"docx zip bomb (many parts)", func(t testing.TB) (string, []byte) { return "b.docx", zipBomb(t, maxZipEntries+1, 10) }, ErrCorrupt},
		{"docx zip bomb (size in the header lies)", func(t testing.TB) (string, []byte) { return "b.docx", lyingZip(t) }, ErrCorrupt},
		{"docx with broken XML", func(t testing.TB) (string, []byte) {
			return "x.docx", zipOf(t, map[string][]byte{docxMainPart: []byte("<w:document><w:body><w:p><w:t>hi</w:t>")})
		}, ErrCorrupt},
		{"html with only scripts and styles", func(testing.TB) (string, []byte) {
			return "x.html", []byte("<html><head><style>body{color:red}</style><script>var secret=1</script></head><body><script>alert('x')</script><noscript>enable js</noscript></body></html>")
		}, ErrEmpty},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			name, data := tc.data(t)
			doc, err := Extract(context.Background(), src(name, data))
			if !errors.Is(err, tc.want) || doc != nil {
				t.Fatalf("Extract = %v, %v; want %v", doc, err, tc.want)
			}
		})
	}
}

func zipOf(t testing.TB, parts map[string][]byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, b := range parts {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(b)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// zipBomb: a DOCX whose document.xml (and n-1 more parts) are size bytes
// of one repeated character, compressing about a thousandfold.
func zipBomb(t testing.TB, n, size int) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	chunk := bytes.Repeat([]byte("a"), 1<<20)
	for i := 0; i < n; i++ {
		name := docxMainPart
		if i > 0 {
			name = "word/media/" + strings.Repeat("x", i%7) + string(rune('a'+i%26)) + "-" + itoa(i)
		}
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		for left := size; left > 0; left -= len(chunk) {
			w.Write(chunk[:min(left, len(chunk))])
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func itoa(i int) string { return strings.TrimSpace(strings.Repeat(" ", 0) + string([]byte(fmtInt(i)))) }

func fmtInt(i int) string {
	if i == 0 {
		return "0"
	}
	var b []byte
	for ; i > 0; i /= 10 {
		b = append([]byte{byte('0' + i%10)}, b...)
	}
	return string(b)
}

// lyingZip: document.xml says it holds 1 KiB and holds 100 MiB.
func lyingZip(t testing.TB) []byte {
	t.Helper()
	var deflated bytes.Buffer
	{
		zw := zip.NewWriter(&deflated)
		w, _ := zw.Create("x")
		chunk := bytes.Repeat([]byte("<w:p/>"), 1<<18)
		for i := 0; i < 64; i++ {
			w.Write(chunk)
		}
		zw.Close()
	}
	zr, err := zip.NewReader(bytes.NewReader(deflated.Bytes()), int64(deflated.Len()))
	if err != nil {
		t.Fatal(err)
	}
	raw, err := zr.File[0].OpenRaw()
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, err := zw.CreateRaw(&zip.FileHeader{Name: docxMainPart, Method: zip.Deflate, CRC32: zr.File[0].CRC32,
		CompressedSize64: zr.File[0].CompressedSize64, UncompressedSize64: 1024})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := buf.ReadFrom(bytes.NewReader(nil)); err != nil {
		t.Fatal(err)
	}
	var rawBytes bytes.Buffer
	rawBytes.ReadFrom(raw)
	w.Write(rawBytes.Bytes())
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
