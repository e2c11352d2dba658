package extract

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
)

// blk is a block in a table of expectations: heading path joined by " > ".
type blk struct{ heading, text string }

func blocksOf(doc *Document) []blk {
	var out []blk
	for _, b := range doc.Blocks {
		out = append(out, blk{strings.Join(b.Heading, " > "), b.Text})
	}
	return out
}

// TestFormats: each small format's rules, table-driven over hand-written
// inputs (the real-tool files are in real_test.go).
func TestFormats(t *testing.T) {
	cases := []struct {
		name, file, data string
		title            string
		want             []blk
	}{
		{"md: headings, title, lists, code, table, raw HTML", "a.md",
			"# Manual\n\nIntro *text*\nwrapped.\n\n## Setup\n\n- one\n- two with [a link](http://x)\n\n```go\nfunc main() {\n\tfmt.Println(\"x\")\n}\n```\n\n<div>raw html</div>\n\n### On a Pi\n\n| A | B |\n|---|---|\n| 1 | 2 |\n\n## Use\n\nLast.\n",
			"Manual", []blk{
				{"", "Manual"}, {"", "Intro text wrapped."},
				{"Setup", "Setup"}, {"Setup", "one"}, {"Setup", "two with a link"},
				{"Setup", "func main() {\n    fmt.Println(\"x\")\n}"},
				{"Setup > On a Pi", "On a Pi"}, {"Setup > On a Pi", "A | B\n1 | 2"},
				{"Use", "Use"}, {"Use", "Last."},
			}},
		{"md: a second H1 is a section, text before any heading has none", "b.md",
			"Preface ﬁne.\n\n# One\n\nx\n\n# Two\n\ny\n", "One", []blk{
				{"", "Preface fine."}, {"", "One"}, {"", "x"}, {"Two", "Two"}, {"Two", "y"},
			}},
		{"md: levels skipped and climbed", "c.md",
			"## A\n\n#### B\n\nb\n\n### C\n\nc\n", "", []blk{
				{"A", "A"}, {"A > B", "B"}, {"A > B", "b"}, {"A > C", "C"}, {"A > C", "c"},
			}},
		{"md: YAML front matter gives the title, is not text", "fm.md",
			"---\ntitle: \"Notes  on Pi\"\ntags: [a]\n---\n# Setup\n\nText.\n", "Notes on Pi", []blk{
				{"Setup", "Setup"}, {"Setup", "Text."},
			}},
		{"html: title, scripts and styles dropped, table kept", "p.html",
			`<!DOCTYPE html><html><head><title>The  Page</title><style>p{color:red}</style>
<script>var secret = "do not index";</script></head>
<body><nav>Home</nav><h1>Heading</h1><p>Body <b>bold</b> text.<script>document.write("injected")</script></p>
<noscript>Enable JavaScript</noscript>
<h2>Data</h2><table><tr><th>k</th><th>v</th></tr><tr><td>a</td><td>1</td></tr></table>
<svg><text>vector text</text></svg></body></html>`,
			"The Page", []blk{
				{"", "Home"}, {"Heading", "Heading"}, {"Heading", "Body bold text."},
				{"Heading > Data", "Data"}, {"Heading > Data", "k | v\na | 1"},
			}},
		{"csv: rows name their columns", "d.csv",
			"name,size,note\nAlpha,10,\"a, quoted\"\nBeta,,ragged,extra\n", "", []blk{
				{"", "name | size | note"}, {"", "name: Alpha | size: 10 | note: a, quoted"}, {"", "name: Beta | note: ragged | extra"},
			}},
		{"csv: semicolons", "e.csv", "a;b\n1;2\n", "", []blk{{"", "a | b"}, {"", "a: 1 | b: 2"}}},
		{"tsv", "f.tsv", "a\tb\n1\t2\n", "", []blk{{"", "a | b"}, {"", "a: 1 | b: 2"}}},
		{"json: pretty", "g.json", `{"a":[1,2],"b":{"c":"ü"}}`, "", []blk{
			{"", "{\n  \"a\": [\n    1,\n    2\n  ],\n  \"b\": {\n    \"c\": \"ü\"\n  }\n}"},
		}},
		{"json: nested too deep to indent is text as it is", "deep.json",
			strings.Repeat("[", 3000) + strings.Repeat("1,", 3000) + "1" + strings.Repeat("]", 3000), "", []blk{
				{"", strings.Repeat("[", 3000) + strings.Repeat("1,", 3000) + "1" + strings.Repeat("]", 3000)},
			}},
		{"json: invalid is text", "h.json", "{\"a\":1}\n{\"a\":2}\n", "", []blk{{"", "{\"a\":1}\n{\"a\":2}"}}},
		{"code: sections by blank lines, indentation kept", "m.py",
			"import os\n\n\ndef f():\n\treturn 1\n   \ndef g():\n    pass   \n", "", []blk{
				{"", "import os"}, {"", "def f():\n    return 1"}, {"", "def g():\n    pass"},
			}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			doc, err := Extract(context.Background(), src(tc.file, []byte(tc.data)))
			if err != nil {
				t.Fatal(err)
			}
			if doc.Title != tc.title {
				t.Errorf("title %q, want %q", doc.Title, tc.title)
			}
			if got := blocksOf(doc); !slices.Equal(got, tc.want) {
				t.Errorf("blocks\n got %q\nwant %q", got, tc.want)
			}
			for _, b := range doc.Blocks {
				if b.Page != 1 {
					t.Errorf("page %d", b.Page)
				}
			}
		})
	}
}

func TestDehyphenate(t *testing.T) {
	cases := []struct{ in, want string }{
		{"docu-\nment here", "document\nhere"},
		{"docu-\nment", "document"},
		{"a docu- \n  ment", "a document"},
		{"coll\u2212\nection", "collection"},   // ps2pdf's minus
		{"soft\u00ad\nhyphen", "softhyphen"},   // soft hyphen at a line end
		{"in\u00adside", "inside"},             // and anywhere else
		{"Anglo-\nSaxon", "Anglo-\nSaxon"},     // a capital: a compound
		{"1990-\n2000", "1990-\n2000"},         // not a word
		{"well -\nknown", "well -\nknown"},     // a dash, not a split word
		{"re-\nsplit-\nagain", "resplitagain"}, // twice in a row
		{"no hyphen\nat all", "no hyphen\nat all"},
	}
	for _, tc := range cases {
		if got := Dehyphenate(tc.in); got != tc.want {
			t.Errorf("Dehyphenate(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestReadable(t *testing.T) {
	prose := strings.Repeat("The harbour archive keeps the logbooks of the port. ", 5)
	cases := []struct {
		name  string
		pages []string
		want  error
	}{
		{"prose", []string{prose, prose}, nil},
		{"a blank page among text", []string{prose, prose, ""}, nil},
		{"scanned: page numbers only", []string{"1", "2"}, ErrNeedsOCR},
		{"mostly blank pages", []string{prose, "", "", ""}, ErrNeedsOCR},
		{"words run together", []string{strings.Repeat("Theharbourarchivekeepsthelogbooks ", 10)}, ErrNeedsOCR},
		{"a long URL is not glue", []string{prose + "https://example.com/a/very/long/path/to/somewhere"}, nil},
		{"undecodable symbols", []string{prose[:60] + strings.Repeat("\u2022\u25a0\u00b6 ", 60)}, ErrNeedsOCR},
	}
	for _, tc := range cases {
		if err := readable(tc.pages); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
	}
}
