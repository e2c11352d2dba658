package extract

import (
	"context"
	"slices"
	"strings"
	"testing"
)

const docxStyles = `<?xml version="1.0" encoding="UTF-8"?>
<w:styles xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">
<w:style w:type="paragraph" w:styleId="berschrift1"><w:name w:val="heading 1"/></w:style>
<w:style w:type="paragraph" w:styleId="Custom"><w:name w:val="Chapter"/><w:pPr><w:outlineLvl w:val="1"/></w:pPr></w:style>
<w:style w:type="paragraph" w:styleId="Body"><w:name w:val="Body Text"/><w:pPr><w:tabs><w:tab w:val="left" w:pos="720"/></w:tabs></w:pPr></w:style>
</w:styles>`

const docxCore = `<?xml version="1.0" encoding="UTF-8"?>
<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>Annual  Report</dc:title></cp:coreProperties>`

const docxDocument = `<?xml version="1.0" encoding="UTF-8"?>
<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>
<w:p><w:r><w:t>Before any heading.</w:t></w:r></w:p>
<w:p><w:pPr><w:pStyle w:val="berschrift1"/></w:pPr><w:r><w:t>Einleitung</w:t></w:r></w:p>
<w:p><w:pPr><w:pStyle w:val="Body"/></w:pPr><w:r><w:t xml:space="preserve">Name:</w:t><w:tab/><w:t>Value</w:t><w:br/><w:t>next line, well</w:t><w:noBreakHyphen/><w:t>known</w:t><w:softHyphen/></w:r><w:del><w:r><w:delText>deleted words</w:delText></w:r></w:del><w:r><w:instrText> PAGE </w:instrText></w:r></w:p>
<w:p><w:pPr><w:pStyle w:val="Custom"/></w:pPr><w:r><w:t>Chapter by outline level</w:t></w:r></w:p>
<w:tbl><w:tr><w:tc><w:p><w:r><w:t>a1</w:t></w:r></w:p><w:p><w:r><w:t>a1 more</w:t></w:r></w:p></w:tc><w:tc><w:p><w:r><w:t>b1</w:t></w:r></w:p></w:tc></w:tr>
<w:tr><w:tc><w:p/></w:tc><w:tc><w:p/></w:tc></w:tr>
<w:tr><w:tc><w:p><w:r><w:t>a2</w:t></w:r></w:p></w:tc><w:tc><w:p><w:r><w:t>b2</w:t></w:r></w:p></w:tc></w:tr></w:tbl>
<w:p><w:pPr><w:outlineLvl w:val="0"/></w:pPr><w:r><w:t>Direct outline level</w:t></w:r></w:p>
<w:p><w:r><w:t>Outer </w:t></w:r><w:r><w:pict><w:txbxContent><w:p><w:r><w:t>in a text box</w:t></w:r></w:p></w:txbxContent></w:pict></w:r><w:r><w:t>text.</w:t></w:r></w:p>
</w:body></w:document>`

// TestDOCX: what pandoc's DOCX does not show: localised heading styles,
// outline levels, tabs and breaks, deleted text and field codes, tables
// with several paragraphs in a cell, text boxes, the core title.
func TestDOCX(t *testing.T) {
	data := zipOf(t, map[string][]byte{
		docxMainPart: []byte(docxDocument), docxStylesPart: []byte(docxStyles), docxCorePropPart: []byte(docxCore),
	})
	doc, err := Extract(context.Background(), src("r.docx", data))
	if err != nil {
		t.Fatal(err)
	}
	want := []blk{
		{"", "Before any heading."},
		{"Einleitung", "Einleitung"},
		{"Einleitung", "Name: Value\nnext line, well-known"},
		{"Einleitung > Chapter by outline level", "Chapter by outline level"},
		{"Einleitung > Chapter by outline level", "a1 a1 more | b1\na2 | b2"},
		{"Direct outline level", "Direct outline level"},
		{"Direct outline level", "in a text box"},
		{"Direct outline level", "Outer text."},
	}
	if doc.Title != "Annual Report" || doc.Format != "docx" || doc.Pages != 1 {
		t.Errorf("title %q format %q pages %d", doc.Title, doc.Format, doc.Pages)
	}
	if got := blocksOf(doc); !slices.Equal(got, want) {
		t.Errorf("blocks\n got %q\nwant %q", got, want)
	}
}

// Pages of a DOCX come from Word's own page marks when it left any,
// else from hard page breaks; a block is on the page its paragraph (or
// table) starts on.
func TestDOCXPages(t *testing.T) {
	const w = `xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"`
	para := func(inner string) string { return `<w:p>` + inner + `</w:p>` }
	text := func(s string) string { return `<w:r><w:t>` + s + `</w:t></w:r>` }
	hard := `<w:p><w:r><w:br w:type="page"/></w:r></w:p>`
	rendered := `<w:r><w:lastRenderedPageBreak/></w:r>`
	cases := []struct {
		name  string
		body  string
		pages map[string]int
		total int
	}{
		{"no breaks", para(text("a")) + para(text("b")), map[string]int{"a": 1, "b": 1}, 1},
		{"hard breaks", para(text("a")) + hard + para(text("b")) + hard + para(text("c")), map[string]int{"a": 1, "b": 2, "c": 3}, 3},
		{"a line break is not a page", para(text("a")+`<w:r><w:br/></w:r>`+text("a2")) + para(text("b")), map[string]int{"a": 1, "b": 1}, 1},
		{"page break before", para(text("a")) + para(`<w:pPr><w:pageBreakBefore/></w:pPr>`+text("b")) +
			para(`<w:pPr><w:pageBreakBefore w:val="0"/></w:pPr>`+text("c")), map[string]int{"a": 1, "b": 2, "c": 2}, 2},
		// Word marks the page its layout broke at, the hard break's page
		// included: counting both would put "b" on page 3.
		{"Word's marks win", para(text("a")) + hard + para(rendered+text("b")) + para(text("b2")+rendered+text("b3")) + para(text("c")),
			map[string]int{"a": 1, "b": 2, "b2": 2, "c": 3}, 3},
		{"a table starts where it starts", para(text("a")) + hard +
			`<w:tbl><w:tr><w:tc>` + para(text("t1")) + `</w:tc><w:tc>` + hard + para(text("t2")) + `</w:tc></w:tr></w:tbl>` + para(text("c")),
			map[string]int{"a": 1, "t1": 2, "c": 3}, 3},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			data := zipOf(t, map[string][]byte{docxMainPart: []byte(`<w:document ` + w + `><w:body>` + tc.body + `</w:body></w:document>`)})
			doc, err := Extract(context.Background(), src("p.docx", data))
			if err != nil {
				t.Fatal(err)
			}
			for word, page := range tc.pages {
				var found *Block
				for i := range doc.Blocks {
					if strings.HasPrefix(doc.Blocks[i].Text, word) {
						found = &doc.Blocks[i]
						break
					}
				}
				if found == nil || found.Page != page {
					t.Errorf("%q: block %+v, want page %d", word, found, page)
				}
			}
			if doc.Pages != tc.total {
				t.Errorf("pages %d, want %d", doc.Pages, tc.total)
			}
		})
	}
}
