package extract

import (
	"context"
	"slices"
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
