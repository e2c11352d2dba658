package documents

import (
	"fmt"
	"strings"
	"testing"

	"github.com/aiwfe/aiwfe/app/documents/extract"
)

// sentences makes n distinct sentences of running text.
func sentences(n int, tag string) string {
	var b strings.Builder
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "Sentence %d of %s tells about the river, the mill and the old stone bridge. ", i, tag)
	}
	return strings.TrimSpace(b.String())
}

func TestLayoutChunks(t *testing.T) {
	blocks := []extract.Block{
		{Page: 1, Text: "Intro paragraph."},
		{Page: 1, Heading: []string{"Setup"}, Text: sentences(40, "setup")},
		{Page: 1, Heading: []string{"Setup"}, Text: sentences(5, "setup-more")},
		{Page: 1, Heading: []string{"Setup", "Pi"}, Text: "Short section on the Pi."},
		{Page: 3, Heading: []string{"Setup", "Pi"}, Text: strings.Repeat("x", 3000)}, // no boundary at all
	}
	pages, chunks := layout("Manual", blocks)
	if len(pages) != 3 || pages[1].Page != 2 || pages[1].Text != "" {
		t.Fatalf("pages: %+v", pages)
	}
	for i, c := range chunks {
		page := []rune(pages[c.Page-1].Text)
		if got := string(page[c.Start:c.End]); got != c.Text {
			t.Fatalf("chunk %d: offsets %d..%d give %q, text is %q", i, c.Start, c.End, got, c.Text)
		}
		if n := len([]rune(c.Text)); n > chunkMax || n == 0 {
			t.Errorf("chunk %d: %d code points", i, n)
		}
		if strings.TrimSpace(c.Text) != c.Text {
			t.Errorf("chunk %d has white space at an end: %q", i, c.Text)
		}
		if want := head("Manual", c.Heading); c.Head != want {
			t.Errorf("chunk %d head %q, want %q", i, c.Head, want)
		}
		// Never across a heading: the text of one section only.
		if strings.Contains(c.Text, "Intro") && len(c.Heading) != 0 ||
			strings.Contains(c.Text, "setup") && (len(c.Heading) != 1 || c.Heading[0] != "Setup") ||
			strings.Contains(c.Text, "Pi.") && len(c.Heading) != 2 {
			t.Errorf("chunk %d crosses a heading: %v %q", i, c.Heading, c.Text)
		}
	}
	// The long section: chunks end at sentence ends and overlap by 10–15 %.
	var setup []int
	for i, c := range chunks {
		if len(c.Heading) == 1 {
			setup = append(setup, i)
		}
	}
	if len(setup) < 3 {
		t.Fatalf("setup section in %d chunks", len(setup))
	}
	for _, i := range setup[:len(setup)-1] {
		a, b := chunks[i], chunks[i+1]
		if !strings.HasSuffix(a.Text, ".") {
			t.Errorf("chunk %d ends mid-sentence: …%q", i, a.Text[len(a.Text)-20:])
		}
		if n := len([]rune(a.Text)); n < chunkMin-100 {
			t.Errorf("chunk %d is short: %d", i, n)
		}
		overlap := a.End - b.Start
		if size := a.End - a.Start; overlap < size/10 || overlap > size*15/100+20 {
			t.Errorf("chunks %d/%d overlap %d of %d", i, i+1, overlap, size)
		}
	}
	last := chunks[len(chunks)-1]
	if last.Page != 3 || len([]rune(last.Text)) > chunkMax {
		t.Errorf("last chunk: page %d, %d code points", last.Page, len([]rune(last.Text)))
	}
}

func TestSplitEdgeCases(t *testing.T) {
	for _, tc := range []struct {
		name string
		text string
		want int
	}{
		{"empty", "", 0},
		{"spaces", "  \n\n ", 0},
		{"short", "one line", 1},
		{"exactly max", strings.Repeat("a", chunkMax), 1},
		{"one over max, no boundary", strings.Repeat("a", chunkMax+1), 2},
		{"paragraphs", strings.Repeat(strings.Repeat("w ", 300)+"\n\n", 4), 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := split([]rune(tc.text)); len(got) != tc.want {
				t.Fatalf("%d chunks, want %d: %v", len(got), tc.want, got)
			}
		})
	}
}
