package extract

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ledongthuc/pdf"
)

// TestPDFDamaged cuts and scribbles over a real PDF at many places: each
// result is a document or one of the typed errors, never a panic (the
// library panics on bad input; the extractor recovers) and never an
// error the caller cannot map.
func TestPDFDamaged(t *testing.T) {
	good := readFile(t, fixture(t, "guide.pdf"))
	var variants [][]byte
	for i := 1; i < 20; i++ {
		cut := good[:len(good)*i/20]
		variants = append(variants, cut, append(append([]byte{}, cut...), "\nstartxref\n9\n%%EOF\n"...))
	}
	for i := 0; i < 30; i++ {
		b := bytes.Clone(good)
		at := (len(b) * i / 30) + 9
		copy(b[at:], "0 obj << /Kids [1 0 R] >> (\\")
		variants = append(variants, b)
	}
	counts := map[string]int{}
	for i, b := range variants {
		doc, err := Extract(context.Background(), src("d.pdf", b))
		switch {
		case err == nil && doc != nil && len(doc.Blocks) > 0:
			counts["read"]++
		case errors.Is(err, ErrCorrupt):
			counts["corrupt"]++
		case errors.Is(err, ErrNeedsOCR), errors.Is(err, ErrEmpty):
			counts["no text"]++
		default:
			t.Errorf("variant %d: %v, %v", i, doc, err)
		}
	}
	t.Logf("%d damaged PDFs: %v", len(variants), counts)
	if counts["corrupt"] == 0 || counts["read"] == 0 {
		t.Errorf("expected both damaged-beyond-reading and still-readable variants: %v", counts)
	}
}

// TestPDFContext: the context bounds the work.
func TestPDFContext(t *testing.T) {
	good := readFile(t, fixture(t, "guide.pdf"))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Extract(ctx, src("g.pdf", good)); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled: %v", err)
	}
	ctx, cancel = context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancel()
	if _, err := extractPDF(ctx, src("g.pdf", good)); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("past deadline: %v", err)
	}
}

// TestPDF2: PDF 2.0 files (their syntax is 1.7's) are read though the
// library checks for "%PDF-1.x".
func TestPDF2(t *testing.T) {
	doc, err := extractFile(t, fixture(t, "pdf2.pdf"))
	if err != nil {
		t.Fatal(err)
	}
	if score := recovered(sourceWords(t), docWords(doc)); score < 0.98 || doc.Pages != 3 {
		t.Fatalf("%.3f of the words, %d pages", score, doc.Pages)
	}
}

// TestPDFTextLimit: a file whose text passes the limit (a small file can
// draw the same text a million times) is refused, not held in memory.
func TestPDFTextLimit(t *testing.T) {
	good := readFile(t, fixture(t, "guide.pdf"))
	defer func(old int) { maxPDFText = old }(maxPDFText)
	maxPDFText = 2000 // the guide has about 2,700 bytes of text
	if _, err := Extract(context.Background(), src("g.pdf", good)); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("over the limit: %v", err)
	}
	maxPDFText = 10000
	if _, err := Extract(context.Background(), src("g.pdf", good)); err != nil {
		t.Fatalf("under the limit: %v", err)
	}
}

// TestPDFTwoColumnFixture: the LibreOffice PDF really is set in two
// columns (else TestRealDocuments' reading order would prove nothing):
// the text after the column break starts in the right half of page 1.
func TestPDFTwoColumnFixture(t *testing.T) {
	good := readFile(t, fixture(t, "guide.pdf"))
	r, err := pdf.NewReader(bytes.NewReader(good), int64(len(good)))
	if err != nil {
		t.Fatal(err)
	}
	page := r.Page(1)
	box := page.V.Key("MediaBox")
	if box.Kind() != pdf.Array {
		box = page.V.Key("Parent").Key("MediaBox")
	}
	width := box.Index(2).Float64()
	var joined strings.Builder
	var xs []float64
	for _, g := range page.Content().Text {
		for range g.S {
			xs = append(xs, g.X)
		}
		joined.WriteString(g.S)
	}
	for _, probe := range []struct {
		text  string
		right bool
	}{{"The harbour archive", false}, {"Pencils only", true}} {
		i := strings.Index(joined.String(), probe.text)
		if i < 0 {
			t.Fatalf("%q not on page 1", probe.text)
		}
		x := xs[len([]rune(joined.String()[:i]))]
		if (x > width/2) != probe.right {
			t.Errorf("%q starts at x=%.0f of %.0f: right column %v, want %v", probe.text, x, width, x > width/2, probe.right)
		}
	}
}
