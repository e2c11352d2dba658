package e2e

import (
	"encoding/json"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/aiwfe/aiwfe/app/config"
)

// The whales text is long enough for several passages, and what comes
// before the searched one holds accents and emoji: a highlight that counted
// UTF-16 units instead of code points would land beside the passage.
var docWhalesFR = strings.Join([]string{
	strings.Repeat("Le café du port 🐋☕ ouvre à l’aube; les pêcheurs y parlent de météo, de filets et de prix. ", 14),
	strings.Repeat("Les baleines à bosse chantent de longues mélodies pendant la saison des amours. ", 14),
	strings.Repeat("Le pain au levain lève lentement avec la levure sauvage du boulanger. ", 14),
}, "\n\n")

// Markdown, PDF and DOCX are read by the extractors of branch docx; until
// they land only text files can reach ready here.
const docBread = "Sourdough bread rises slowly with wild yeast.\n\nBake it in a hot oven with steam.\n"

// uploadFiles writes the files into a temporary folder and gives them to
// the page's file input, as picking them in the dialog would.
func uploadFiles(t *testing.T, b *Browser, files map[string]string) {
	t.Helper()
	dir := t.TempDir()
	var paths []string
	for name, body := range files {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	b.Do("pick files", chromedp.SetUploadFiles(chromedp.CSS(`[data-testid=file-input]`), paths, chromedp.NodeReady))
}

// settled waits until no colour transition runs: axe would measure a
// colour half way from the other theme.
func settled(b *Browser) {
	b.WaitFor("transitions finished", `document.getAnimations().every(a => a.playState !== 'running')`)
}

// documentsPage starts a demo server (with opts), signs a new user in
// (in a tab set up by tab, when not nil) and opens /documents.
func documentsPage(t *testing.T, tab func(*Browser), opts ...func(*config.Config)) *Browser {
	t.Helper()
	srv := StartServer(t, append([]func(*config.Config){Demo}, opts...)...)
	b := NewBrowser(t, srv)
	if tab != nil {
		tab(b)
	}
	const email = "docs@example.com"
	srv.CreateUser(t, email, "user")
	b.Login(email, Password)
	b.Navigate("/documents")
	b.WaitVisible(`[data-embedder]`)
	return b
}

func docCard(name string) string { return `[data-document-name=` + js(name) + `]` }

func TestDocumentsUploadSearchAndView(t *testing.T) {
	srv := StartServer(t, Demo)
	b := NewBrowser(t, srv)
	const email = "docs@example.com"
	srv.CreateUser(t, email, "user")
	b.Login(email, Password)

	b.ClickText("nav a", "Documents")
	b.WaitPath("/documents")
	b.WaitText(`[data-embedder=builtin]`, "built-in embedder")
	b.WaitFor("the progress socket open", `document.querySelector('[data-progress-socket]').dataset.progressSocket === 'open'`)

	// Two good files and a renamed binary, picked at once.
	uploadFiles(t, b, map[string]string{
		"baleines.txt": docWhalesFR,
		"bread.txt":    docBread,
		"tool.pdf":     "MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xffbinary", // a renamed .exe
	})
	for _, name := range []string{"baleines.txt", "bread.txt"} {
		b.WaitFor(name+" ready in the list", `document.querySelector(`+js(docCard(name)+`[data-status=ready]`)+`) !== null`)
		b.WaitFor(name+"'s upload bar full and ready", `(() => {
			const u = document.querySelector(`+js(`[data-upload=`+js(name)+`]`)+`);
			return u && u.dataset.uploadStatus === 'ready' && u.querySelector('[role=progressbar]').dataset.progress === '100';
		})()`)
	}

	// The renamed binary fails with its reason in words, and Retry queues it again.
	bad := docCard("tool.pdf")
	b.WaitFor("tool.pdf failed", `document.querySelector(`+js(bad+`[data-status=failed]`)+`) !== null`)
	if reason := b.Text(bad + ` [data-doc-error]`); !strings.Contains(reason, "not supported") || !strings.HasSuffix(reason, ".") {
		t.Errorf("the failure's reason: %q", reason)
	}
	if up := b.Text(`[data-upload="tool.pdf"] [data-upload-text]`); !strings.Contains(up, "not supported") {
		t.Errorf("the upload card's reason: %q", up)
	}
	b.Exec(`(() => {
		window.__statuses = [];
		const card = document.querySelector(` + js(bad) + `);
		new MutationObserver(() => window.__statuses.push(card.dataset.status)).observe(card, { attributes: true, attributeFilter: ['data-status'] });
	})()`)
	b.Click(bad + ` [data-retry]`)
	b.WaitFor("the retry queued and failed again", `(() => { const s = window.__statuses; return s.length >= 2 && s[0] !== 'failed' && s.at(-1) === 'failed'; })()`)

	// Search: the passage with the query's words highlighted.
	b.Fill(`[data-testid=doc-search]`, "baleines chantent")
	b.Click(`form[role=search] button[type=submit]`)
	b.WaitVisible(`[data-search-result] mark`)
	marks := Eval[[]string](b, `[...document.querySelector('[data-search-result]').querySelectorAll('mark')].map(m => m.textContent)`)
	if len(marks) == 0 || !strings.EqualFold(marks[0], "baleines") && !strings.EqualFold(marks[0], "chantent") {
		t.Errorf("highlighted words: %q", marks)
	}

	// The result opens the viewer at its page with the passage highlighted
	// and on screen.
	b.Click(`[data-search-result]`)
	b.WaitFor("the viewer", `location.pathname.startsWith('/documents/') && document.querySelector('[data-passage]') !== null`)
	u, err := url.Parse(Eval[string](b, `location.href`))
	if err != nil {
		t.Fatal(err)
	}
	page, _ := strconv.Atoi(u.Query().Get("page"))
	start, err1 := strconv.Atoi(u.Query().Get("start"))
	end, err2 := strconv.Atoi(u.Query().Get("end"))
	if page != 1 || err1 != nil || err2 != nil || start <= 0 || end <= start {
		t.Fatalf("viewer URL %s", u)
	}
	var content struct{ Text string }
	raw := Eval[string](b, `fetch('/api/v1/documents/`+strings.TrimPrefix(u.Path, "/documents/")+`/content?page=1').then(r => r.text())`)
	if err := json.Unmarshal([]byte(raw), &content); err != nil {
		t.Fatalf("content: %s: %v", raw, err)
	}
	runes := []rune(content.Text)
	if end > len(runes) {
		t.Fatalf("end %d past the page's %d code points", end, len(runes))
	}
	want := string(runes[start:end])
	// Compared with white space folded: the page shows "\n\n" as a break.
	fold := func(s string) string { return strings.Join(strings.Fields(s), " ") }
	if got := b.Text(`[data-passage]`); fold(got) != fold(want) || !strings.Contains(got, "baleines") {
		t.Errorf("highlighted passage:\n got %q\nwant %q", got, want)
	}
	if !Eval[bool](b, `(() => { const r = document.querySelector('[data-passage]').getBoundingClientRect(); return r.top < innerHeight && r.bottom > 0; })()`) {
		t.Errorf("the passage is not scrolled into view")
	}
	if txt := b.Text(`[data-page-indicator]`); txt != "Page 1 of 1" {
		t.Errorf("page indicator %q", txt)
	}
	if href := Eval[string](b, `document.querySelector('[data-download]').getAttribute('href')`); !strings.HasSuffix(href, "/file") {
		t.Errorf("download link %q", href)
	}

	// Rename and move bread.txt, filter by its collection, then delete it
	// after confirming.
	b.Navigate("/documents")
	bread := docCard("bread.txt")
	b.WaitVisible(bread)
	b.ClickText(bread+` button`, "Rename or move")
	b.Fill(bread+` input[id^=name-]`, "Bread notes.txt")
	b.Fill(bread+` input[id^=coll-]`, "kitchen")
	b.Click(bread + ` button[type=submit]`)
	renamed := docCard("Bread notes.txt")
	b.WaitVisible(renamed)
	b.Click(`[data-collection=kitchen]`)
	b.WaitFor("only the kitchen", `document.querySelectorAll('[data-document-id]').length === 1 && document.querySelector(`+js(renamed)+`) !== null`)
	b.ClickText(renamed+` button`, "Delete")
	b.ClickText(`dialog[open] button`, "Delete")
	b.WaitGone(renamed)
	// Its collection is gone with it: the list falls back to all documents.
	b.WaitFor("the others shown", `document.querySelectorAll('[data-document-id]').length === 2 && !document.querySelector('[data-collection=kitchen]')`)

	// Dropping a file on the drop zone uploads it as picking does.
	b.Exec(`(() => {
		const dt = new DataTransfer();
		dt.items.add(new File(['Dropped notes about lighthouses and their keepers.'], 'dropped.txt', { type: 'text/plain' }));
		document.querySelector('[data-dropzone]').dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
	})()`)
	b.WaitFor("the dropped file ready", `document.querySelector(`+js(docCard("dropped.txt")+`[data-status=ready]`)+`) !== null`)

	if errs := errorLines(b); len(errs) > 0 {
		t.Errorf("console errors:\n  %s", strings.Join(errs, "\n  "))
	}
}

// On a phone the documents are cards that fit the screen, and the viewer's
// text wraps; light and dark pass the colour-contrast check with a ready
// document, a failed one and search results on screen.
func TestDocumentsPhoneAndContrast(t *testing.T) {
	axe := axeScript(t)
	b := documentsPage(t, phone)
	uploadFiles(t, b, map[string]string{"baleines.txt": docWhalesFR, "tool.docx": "PK\x03\x04 a zip that is not a document\x00"})
	b.WaitFor("one ready and one failed", `document.querySelector('[data-status=ready]') !== null && document.querySelector('[data-status=failed] [data-doc-error]') !== null`)
	b.Fill(`[data-testid=doc-search]`, "levain boulanger")
	b.Click(`form[role=search] button[type=submit]`)
	b.WaitVisible(`[data-search-result] mark`)

	fits := `document.documentElement.scrollWidth <= innerWidth && [...document.querySelectorAll('[data-document-id], [data-search-result], [data-upload]')].every(e => e.getBoundingClientRect().right <= innerWidth)`
	if !Eval[bool](b, fits) {
		b.Screenshot("documents-phone")
		t.Errorf("the documents page does not fit a phone screen")
	}
	for _, theme := range []string{"light", "dark"} {
		b.Exec(`localStorage.setItem('aiwfe-theme', ` + js(theme) + `); document.documentElement.classList.toggle('dark', ` + js(theme) + ` === 'dark')`)
		settled(b)
		if v := contrastViolations(t, b, axe); len(v) > 0 {
			b.Screenshot(theme + "-documents")
			t.Errorf("%s /documents: %d colour-contrast violations:\n  %s", theme, len(v), strings.Join(v, "\n  "))
		}
	}

	b.Click(`[data-search-result]`)
	b.WaitVisible(`[data-passage]`)
	if !Eval[bool](b, fits) {
		b.Screenshot("viewer-phone")
		t.Errorf("the viewer does not fit a phone screen")
	}
	for _, theme := range []string{"light", "dark"} {
		b.Exec(`document.documentElement.classList.toggle('dark', ` + js(theme) + ` === 'dark')`)
		settled(b)
		if v := contrastViolations(t, b, axe); len(v) > 0 {
			b.Screenshot(theme + "-viewer")
			t.Errorf("%s viewer: %d colour-contrast violations:\n  %s", theme, len(v), strings.Join(v, "\n  "))
		}
	}
	if errs := errorLines(b); len(errs) > 0 {
		t.Errorf("console errors:\n  %s", strings.Join(errs, "\n  "))
	}
}

// guideDocs makes a DOCX (pandoc) and a PDF (LibreOffice from that DOCX)
// of the extractor's test guide, whose "<!-- page -->" marks become page
// breaks: three pages, non-ASCII text, a table.
func guideDocs(t *testing.T) (docx, pdf string) {
	t.Helper()
	need := func(name, pkg string) string {
		p, err := exec.LookPath(name)
		if err != nil {
			msg := name + " is not installed (apt-get install " + pkg + "; scripts/test-deps.sh)"
			if os.Getenv("AIWFE_REQUIRE_PEERS") != "" {
				t.Fatal(msg)
			}
			t.Skip(msg)
		}
		return p
	}
	pandoc, soffice := need("pandoc", "pandoc"), need("soffice", "libreoffice-writer-nogui")
	src, err := os.ReadFile(filepath.Join("..", "app", "documents", "extract", "testdata", "guide.md"))
	if err != nil {
		t.Fatal(err)
	}
	s := strings.ReplaceAll(string(src), "<!-- page -->", "```{=openxml}\n<w:p><w:r><w:br w:type=\"page\"/></w:r></w:p>\n```")
	s = strings.ReplaceAll(s, "<!-- column -->", "")
	dir := t.TempDir()
	md := filepath.Join(dir, "guide.md")
	if err := os.WriteFile(md, []byte(s), 0o600); err != nil {
		t.Fatal(err)
	}
	docx = filepath.Join(dir, "guide.docx")
	run := func(name string, args ...string) {
		cmd := exec.Command(name, args...)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%s %v: %v\n%s", name, args, err, out)
		}
	}
	run(pandoc, md, "-o", docx)
	pdfDir := filepath.Join(dir, "pdf")
	// A private profile: another LibreOffice running must not hold this one's lock.
	run(soffice, "-env:UserInstallation=file://"+filepath.Join(dir, "lo-profile"), "--headless", "--convert-to", "pdf", "--outdir", pdfDir, docx)
	return docx, filepath.Join(pdfDir, "guide.pdf")
}

// A PDF and a DOCX reach ready; a passage on the PDF's second page opens
// the viewer at that page with the passage highlighted, and the page
// buttons move through the document.
func TestDocumentsPDFAndDOCX(t *testing.T) {
	docx, pdf := guideDocs(t)
	b := documentsPage(t, nil)
	b.Do("pick files", chromedp.SetUploadFiles(chromedp.CSS(`[data-testid=file-input]`), []string{docx, pdf}, chromedp.NodeReady))
	for _, name := range []string{"guide.docx", "guide.pdf"} {
		b.WaitFor(name+" ready", `document.querySelector(`+js(docCard(name)+`[data-status=ready]`)+`) !== null`)
	}
	if pages := b.Text(docCard("guide.pdf") + ` p`); !strings.Contains(pages, "3 pages") {
		t.Errorf("the PDF's card says %q", pages)
	}
	pdfID := Eval[string](b, `document.querySelector(`+js(docCard("guide.pdf"))+`).dataset.documentId`)

	b.Fill(`[data-testid=doc-search]`, "merchants letters Thessaloniki drachmas")
	b.Click(`form[role=search] button[type=submit]`)
	hit := `[data-search-result="` + pdfID + `"]`
	b.WaitVisible(hit + ` mark`)
	b.Click(hit)
	b.WaitVisible(`[data-passage]`)
	if p := b.Text(`[data-page-indicator]`); p != "Page 2 of 3" {
		t.Errorf("the viewer opened at %q", p)
	}
	if got := b.Text(`[data-passage]`); !strings.Contains(got, "Θεσσαλονίκη") && !strings.Contains(got, "Thessaloniki") {
		t.Errorf("highlighted passage %q", got)
	}
	b.Click(`[data-next-page]`)
	b.WaitText(`[data-page-indicator]`, "Page 3 of 3")
	b.WaitText(`[data-page-text="3"]`, "Asking for Help")
	if n := b.Count(`[data-passage]`); n != 0 {
		t.Errorf("a passage is highlighted on a page it is not on")
	}
	if errs := errorLines(b); len(errs) > 0 {
		t.Errorf("console errors:\n  %s", strings.Join(errs, "\n  "))
	}
}

// A file over the upload limit is refused before it is stored: its card
// says why, and keeps it for another try.
func TestDocumentsTooLargeUpload(t *testing.T) {
	b := documentsPage(t, nil, func(c *config.Config) { c.Server.UploadLimitMB = 1 })
	uploadFiles(t, b, map[string]string{"big.txt": strings.Repeat("lighthouse keeper ", 3<<16)})
	b.WaitFor("the upload refused", `document.querySelector('[data-upload="big.txt"]')?.dataset.uploadStatus === 'upload_failed'`)
	if msg := b.Text(`[data-upload="big.txt"] [data-upload-text]`); !strings.HasSuffix(msg, ".") || strings.Contains(msg, "reach the server") {
		t.Errorf("the refusal says %q", msg)
	}
	b.ClickText(`[data-upload="big.txt"] button`, "Retry upload")
	b.WaitFor("refused again", `document.querySelector('[data-upload="big.txt"]')?.dataset.uploadStatus === 'upload_failed'`)
	if n := b.Count(`[data-document-id]`); n != 0 {
		t.Errorf("%d documents stored", n)
	}
}
