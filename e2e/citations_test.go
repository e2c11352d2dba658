package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// Issue #11: upload documents on /documents, watch them become ready, ask
// in the Documents mode with the demo model, and follow a citation to the
// cited page with the passage highlighted. Plain-text files: the PDF and
// DOCX extractors (branch docx) are not on this branch yet.
func TestCitationOpensThePassage(t *testing.T) {
	srv := StartServer(t, Demo)
	b := NewBrowser(t, srv)
	const email = "cite@example.com"
	srv.CreateUser(t, email, "user")
	b.Login(email, Password)
	b.WaitPath("/")

	dir := t.TempDir()
	// The whales passage follows a page's worth of other text, so the
	// highlight must use the passage's offsets, not the page's start.
	files := map[string]string{
		"whales.txt": strings.Repeat("Tomatoes need sun for most of the day and water at the roots. Basil grows well beside them and keeps some insects away. ", 12) +
			"\n\nHumpback whales sing long songs in the breeding season. Their songs travel for many kilometres under water.\n",
		"bread.txt": "Sourdough bread rises slowly with wild yeast.\n\nBake it in a hot oven with steam.\n",
	}
	var paths []string
	for name, text := range files {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}

	// 1. Upload both on /documents; both become ready.
	b.Navigate("/documents")
	b.WaitFor("the upload input", `document.querySelector('[data-testid=file-input]') !== null`)
	b.Do("choose the files", chromedp.SetUploadFiles(chromedp.CSS(`[data-testid=file-input]`), paths))
	for name := range files {
		b.WaitFor(name+" listed", `document.querySelector('[data-document-name="`+name+`"]') !== null`)
	}
	// The page's list can keep an upload's "queued" when the worker's
	// events beat the upload's own response (reported to docsui); the
	// server's word decides, and a reload shows it.
	b.WaitFor("both indexed", `fetch('/api/v1/documents').then(r => r.json()).then(j => j.items.length === 2 && j.items.every(d => d.status === 'ready'))`)
	b.Reload()
	for name := range files {
		b.WaitFor(name+" ready", `document.querySelector('[data-document-name="`+name+`"][data-status=ready]') !== null`)
	}
	whalesID := Eval[string](b, `document.querySelector('[data-document-name="whales.txt"]').dataset.documentId`)

	// 2. Ask in the Documents mode: the switch follows the mode, the demo
	// model quotes the passage with [1] and a chip names its document.
	b.Navigate("/")
	b.WaitFor("the chat socket open", `document.querySelector('[data-send]') !== null`)
	b.WaitFor("the Documents mode offered", `document.querySelector('#chat-mode option[value=documents]') !== null`)
	b.Fill("#chat-mode", "documents")
	b.WaitFor("the documents switch on", `document.querySelector('[data-use-documents] input').checked`)
	b.Fill("#chat-input", "When do humpback whales sing their long songs?")
	b.Click("[data-send]")
	b.WaitFor("the reply complete", `[...document.querySelectorAll('[data-message-role=assistant]')].at(-1)?.dataset.status === 'complete'`)
	b.WaitText("[data-message-role=assistant] .markdown", "Humpback whales sing long songs in the breeding season.")
	b.WaitText(`[data-sources] [data-source="1"]`, "whales.txt · p. 1")
	if n := b.Count(`[data-no-sources]`); n != 0 {
		t.Fatalf("a no-matching-passages note beside sources")
	}

	// 3. The citation opens the viewer at its page, the passage marked.
	b.Click(`[data-source="1"]`)
	b.WaitFor("the viewer", `location.pathname === '/documents/`+whalesID+`'`)
	if p := b.Path(); !strings.Contains(p, "page=1") || !strings.Contains(p, "start=") || !strings.Contains(p, "end=") {
		t.Fatalf("citation address %s", p)
	}
	b.WaitText("[data-passage]", "Humpback whales sing long songs in the breeding season.")

	// 4. A question no document answers says so.
	b.Navigate("/")
	b.WaitFor("the chat socket open", `document.querySelector('[data-send]') !== null`)
	b.WaitFor("the Documents mode offered", `document.querySelector('#chat-mode option[value=documents]') !== null`)
	b.Fill("#chat-mode", "documents")
	b.Fill("#chat-input", "What is the price of saffron in Madrid?")
	b.Click("[data-send]")
	b.WaitVisible("[data-no-sources]")
	if n := b.Count(`[data-sources]`); n != 0 {
		t.Fatalf("citation chips for nothing found")
	}
}
