package e2e

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// Issue #11: upload a PDF and a DOCX on /documents (the extractor's guide,
// made by pandoc and LibreOffice: guideDocs), watch them become ready, ask
// in the Documents mode with the demo model, and follow the citation to
// the cited page with the passage highlighted.
func TestCitationOpensThePassage(t *testing.T) {
	docx, pdf := guideDocs(t)
	b := documentsPage(t, nil)

	// 1. Upload both; both become ready.
	b.Do("pick files", chromedp.SetUploadFiles(chromedp.CSS(`[data-testid=file-input]`), []string{pdf, docx}, chromedp.NodeReady))
	b.WaitFor("the uploads sent", `document.querySelectorAll('[data-upload]').length === 2`)
	for _, name := range []string{"guide.docx", "guide.pdf"} {
		b.WaitFor(name+" ready", `document.querySelector(`+js(docCard(name)+`[data-status=ready]`)+`) !== null`)
	}

	// 2. Ask in the Documents mode: the switch follows the mode, the demo
	// model quotes the passage with [1], and the first chip names its
	// document and page (the passage is on page 2 of both files).
	b.Navigate("/")
	b.WaitFor("the chat socket open", `document.querySelector('[data-send]') !== null`)
	b.WaitFor("the Documents mode offered", `document.querySelector('#chat-mode option[value=documents]') !== null`)
	b.Fill("#chat-mode", "documents")
	b.WaitFor("the documents switch on", `document.querySelector('[data-use-documents] input').checked`)
	b.Fill("#chat-input", "To which cities did the merchants write to their partners?")
	b.Click("[data-send]")
	b.WaitFor("the reply complete", `[...document.querySelectorAll('[data-message-role=assistant]')].at(-1)?.dataset.status === 'complete'`)
	b.WaitText("[data-message-role=assistant] .markdown", "The merchants wrote to partners in Lisbon")
	b.WaitText("[data-message-role=assistant] .markdown", "[1]")
	chip := b.Text(`[data-sources] [data-source="1"]`)
	if !strings.HasSuffix(chip, "· p. 2") || !strings.Contains(chip, "guide.") {
		t.Fatalf("the first citation chip says %q", chip)
	}
	if n := b.Count(`[data-no-sources]`); n != 0 {
		t.Fatalf("a no-matching-passages note beside sources")
	}
	href := Eval[string](b, `document.querySelector('[data-source="1"]').getAttribute('href')`)

	// 3. The citation opens the viewer at page 2, the passage marked.
	b.Click(`[data-source="1"]`)
	b.WaitFor("the viewer", `location.pathname + location.search === `+js(href))
	if !strings.Contains(href, "page=2") || !strings.Contains(href, "start=") || !strings.Contains(href, "end=") {
		t.Fatalf("citation address %s", href)
	}
	b.WaitText(`[data-page-indicator]`, "Page 2 of 3")
	b.WaitText("[data-passage]", "Lisbon")

	// 4. A question no document answers says so, with no chips.
	b.Navigate("/")
	b.WaitFor("the chat socket open", `document.querySelector('[data-send]') !== null`)
	b.WaitFor("the Documents mode offered", `document.querySelector('#chat-mode option[value=documents]') !== null`)
	b.Fill("#chat-mode", "documents")
	b.Fill("#chat-input", "Which volcano erupted near Reykjavik last winter?")
	b.Click("[data-send]")
	b.WaitVisible("[data-no-sources]")
	if n := b.Count(`[data-sources]`); n != 0 {
		t.Fatalf("citation chips for nothing found")
	}
}
