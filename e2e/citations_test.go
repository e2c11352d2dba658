package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// peer finds a program the fixtures are made with, or skips (fails under
// AIWFE_REQUIRE_PEERS=1, as the extraction tests do).
func peer(t *testing.T, name, pkg string) string {
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

func runIn(t *testing.T, dir, name string, args ...string) {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s %v: %v\n%s", name, args, err, out)
	}
}

// citationFixtures makes a PDF whose second page holds the whales passage
// (pandoc writes a DOCX from Markdown with a page break, LibreOffice
// prints it) and a DOCX about bread, both from real tools.
func citationFixtures(t *testing.T) (pdf, docx string) {
	t.Helper()
	pandoc := peer(t, "pandoc", "pandoc")
	soffice := peer(t, "soffice", "libreoffice-writer-nogui")
	dir := t.TempDir()
	pageBreak := "```{=openxml}\n<w:p><w:r><w:br w:type=\"page\"/></w:r></w:p>\n```\n\n"
	whales := "# Garden notes\n\n" + strings.Repeat("Tomatoes need sun for most of the day and water at the roots. Basil grows well beside them. ", 6) +
		"\n\n" + pageBreak + "# Whales\n\nHumpback whales sing long songs in the breeding season. Their songs travel for many kilometres under water.\n"
	bread := "# Bread\n\nSourdough bread rises slowly with wild yeast.\n\nBake it in a hot oven with steam.\n"
	for name, text := range map[string]string{"whales.md": whales, "bread.md": bread} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	runIn(t, dir, pandoc, "whales.md", "-o", "whales.docx")
	runIn(t, dir, pandoc, "bread.md", "-o", "bread.docx")
	// A private profile: another LibreOffice (a parallel test) must not
	// find this one's lock.
	runIn(t, dir, soffice, "-env:UserInstallation=file://"+filepath.Join(dir, "lo-profile"), "--headless",
		"--convert-to", "pdf", "--outdir", dir, "whales.docx")
	return filepath.Join(dir, "whales.pdf"), filepath.Join(dir, "bread.docx")
}

// Issue #11: upload a PDF and a DOCX on /documents, watch them become
// ready, ask in the Documents mode with the demo model, and follow the
// citation to the cited page with the passage highlighted.
func TestCitationOpensThePassage(t *testing.T) {
	pdf, docx := citationFixtures(t)
	srv := StartServer(t, Demo)
	b := NewBrowser(t, srv)
	const email = "cite@example.com"
	srv.CreateUser(t, email, "user")
	b.Login(email, Password)
	b.WaitPath("/")

	// 1. Upload both on /documents; both become ready.
	b.Navigate("/documents")
	b.WaitFor("the upload input", `document.querySelector('[data-testid=file-input]') !== null`)
	b.Do("choose the files", chromedp.SetUploadFiles(chromedp.CSS(`[data-testid=file-input]`), []string{pdf, docx}))
	names := []string{"whales.pdf", "bread.docx"}
	b.WaitFor("the uploads sent", `document.querySelectorAll('[data-upload]').length === 2`)
	// The page's list can miss an upload, or keep its "queued", when the
	// worker's events beat the upload's own response (a list reload
	// started for an event lands after it; reported to docsui): the
	// server's word decides, and a reload shows it.
	b.WaitFor("both indexed", `fetch('/api/v1/documents').then(r => r.json()).then(j => j.items.length === 2 && j.items.every(d => d.status === 'ready'))`)
	b.Reload()
	for _, name := range names {
		b.WaitFor(name+" ready", `document.querySelector('[data-document-name="`+name+`"][data-status=ready]') !== null`)
	}
	pdfID := Eval[string](b, `document.querySelector('[data-document-name="whales.pdf"]').dataset.documentId`)

	// 2. Ask in the Documents mode: the switch follows the mode, the demo
	// model quotes the passage with [1] and a chip names its document and
	// page.
	b.Navigate("/")
	b.WaitFor("the chat socket open", `document.querySelector('[data-send]') !== null`)
	b.WaitFor("the Documents mode offered", `document.querySelector('#chat-mode option[value=documents]') !== null`)
	b.Fill("#chat-mode", "documents")
	b.WaitFor("the documents switch on", `document.querySelector('[data-use-documents] input').checked`)
	b.Fill("#chat-input", "When do humpback whales sing their long songs?")
	b.Click("[data-send]")
	b.WaitFor("the reply complete", `[...document.querySelectorAll('[data-message-role=assistant]')].at(-1)?.dataset.status === 'complete'`)
	b.WaitText("[data-message-role=assistant] .markdown", "Humpback whales sing long songs in the breeding season.")
	b.WaitText(`[data-sources] [data-source="1"]`, "whales.pdf · p. 2")
	if n := b.Count(`[data-no-sources]`); n != 0 {
		t.Fatalf("a no-matching-passages note beside sources")
	}

	// 3. The citation opens the viewer at page 2, the passage marked.
	b.Click(`[data-source="1"]`)
	b.WaitFor("the viewer", `location.pathname === '/documents/`+pdfID+`'`)
	if p := b.Path(); !strings.Contains(p, "page=2") || !strings.Contains(p, "start=") || !strings.Contains(p, "end=") {
		t.Fatalf("citation address %s", p)
	}
	b.WaitText("[data-passage]", "Humpback whales sing long songs in the breeding season.")
	if mark := b.Text("[data-passage]"); strings.Contains(mark, "Tomatoes") {
		t.Fatalf("page 1's text highlighted: %q", mark)
	}

	// 4. A question no document answers says so, with no chips.
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
