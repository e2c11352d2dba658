package e2e

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/aiwfe/aiwfe/store"
)

// Issue #10 ("the first ten minutes"): what a careful first user notices.

// richReply is an assistant message with everything the Markdown styles
// cover: a link, a quote, a table and highlighted code.
const richReply = "Here is the plan, with [the guide](https://example.test/guide) and items[0] kept as written.\n\n" +
	"> Quoted advice stays readable in both themes.\n\n" +
	"| Step | Owner |\n|---|---|\n| Draft | Ada |\n| Review | Grace |\n\n" +
	"```go\n// process upper-cases every item\nfunc process(items []string) (int, error) {\n\treturn len(items), nil\n}\n```\n"

// seedConversation gives the account a conversation holding richReply.
func seedConversation(t *testing.T, srv *Server, email, title string) int64 {
	t.Helper()
	ctx := context.Background()
	u, err := srv.App.Auth.CreateUser(ctx, email, Password, "admin")
	if err != nil {
		t.Fatalf("create %s: %v", email, err)
	}
	now := time.Now()
	c := &store.Conversation{UserID: u.ID, Title: title, Mode: "general"}
	if err := store.CreateConversation(ctx, srv.App.Store.DB, c, now); err != nil {
		t.Fatal(err)
	}
	q := &store.Message{ConversationID: c.ID, Role: "user", Content: "Make a plan for the review", Status: "complete"}
	a := &store.Message{ConversationID: c.ID, Role: "assistant", Content: richReply, Model: "demo", Status: "complete"}
	if err := store.InsertMessages(ctx, srv.App.Store.DB, u.ID, now, q, a); err != nil {
		t.Fatal(err)
	}
	return c.ID
}

// errorLines are the console's errors: exceptions, console.error and
// failed requests ("Failed to load resource: ... 401").
func errorLines(b *Browser) []string {
	var out []string
	for _, l := range b.ConsoleLines() {
		if strings.HasPrefix(l, "error:") || strings.HasPrefix(l, "exception:") || strings.Contains(l, "Failed to load resource") {
			out = append(out, l)
		}
	}
	return out
}

func TestSignedOutLoadIsQuiet(t *testing.T) {
	srv := StartServer(t, Demo)
	b := NewBrowser(t, srv)
	for _, path := range []string{"/", "/login", "/status", "/security"} {
		b.Navigate(path)
		if path == "/status" {
			b.WaitText("h1", "Status")
		} else {
			b.WaitPath("/login")
			b.WaitVisible("#email")
		}
	}
	// The session question was answered (the login form is up), and a
	// signed-out visitor is not an error.
	if errs := errorLines(b); len(errs) > 0 {
		t.Fatalf("signed-out page loads logged errors:\n  %s", strings.Join(errs, "\n  "))
	}
}

func TestNotFoundIsAPageOfTheApp(t *testing.T) {
	srv := StartServer(t, Demo)
	b := NewBrowser(t, srv)

	// Signed out: the app's page, not a detour to /login.
	b.Navigate("/no/such/page")
	b.WaitVisible(`[data-error-page][data-status="404"]`)
	b.WaitText("h1", "Page not found")
	b.WaitText("[data-error-page]", "/no/such/page")
	b.WaitVisible(`[data-error-page] a[href="/login"]`)
	if p := b.Path(); p != "/no/such/page" {
		t.Errorf("signed out at a missing page, moved to %s", p)
	}
	if title := Eval[string](b, `document.title`); !strings.Contains(title, "Page not found") {
		t.Errorf("document title %q", title)
	}

	// Signed in: inside the app's shell, with the way back to the chat.
	const email = "lost@example.com"
	srv.CreateUser(t, email, "user")
	b.Login(email, Password)
	b.Navigate("/settings/nothing-here")
	b.WaitVisible(`[data-error-page][data-status="404"]`)
	b.WaitVisible(`[data-error-page] a[href="/"]`)
	b.WaitVisible(`nav[aria-label=Main]`)

	// An unknown path is a page, not an error in the console.
	if errs := errorLines(b); len(errs) > 0 {
		t.Errorf("console errors:\n  %s", strings.Join(errs, "\n  "))
	}
	// A file of the build that is not there is a 404 answer, not the page.
	if st := Eval[int](b, `fetch('/_app/immutable/chunks/gone.js').then(r => r.status)`); st != 404 {
		t.Errorf("missing chunk: status %d, want 404", st)
	}
}

// At phone width the finished reply's last row (stats, Regenerate) is in
// view above the composer, the composer does not mention Shift+Enter, and
// tables are cards that fit the screen.
func TestPhoneChatAndTables(t *testing.T) {
	srv := StartServer(t, Demo)
	b := NewBrowser(t, srv)
	phone(b)
	const email = "phone@example.com"
	srv.CreateUser(t, email, "admin")
	b.Login(email, Password)
	b.Navigate("/")
	b.Click("[data-new-chat]") // phones open on the list of conversations
	b.WaitVisible("#chat-input")
	b.WaitFor("the chat socket open", `document.querySelector('[data-send]') !== null`)
	if ph := Eval[string](b, `document.querySelector('#chat-input').placeholder`); strings.Contains(ph, "Shift") {
		t.Errorf("phone placeholder %q mentions Shift+Enter", ph)
	}

	for i, msg := range []string{
		"Write a Go function that parses a config file, with a test and error handling please",
		"And a python script that renames files please",
	} {
		b.Fill("#chat-input", msg)
		b.Click("[data-send]")
		b.WaitFor("the reply complete", `(() => { const m = [...document.querySelectorAll('[data-message-role=assistant]')]; return m.length === `+jsInt(i+1)+` && m.at(-1).dataset.status === 'complete'; })()`)
		// The last row is on screen, not under the message box: the point at
		// the middle of Regenerate is Regenerate itself.
		b.WaitFor("Regenerate visible above the composer", `(() => {
			const btn = [...document.querySelectorAll('[data-regenerate]')].at(-1);
			if (!btn) return false;
			const r = btn.getBoundingClientRect();
			const form = document.querySelector('#chat-input').closest('form').getBoundingClientRect();
			const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
			return r.bottom <= form.top && btn.contains(hit);
		})()`)
	}

	// Admin: the users table is cards, nothing to scroll sideways.
	b.Navigate("/admin")
	b.WaitVisible(`table[aria-label=Users] td[data-label=Email]`)
	fits := Eval[bool](b, `(() => {
		const wrap = document.querySelector('table[aria-label=Users]').parentElement;
		const cells = [...document.querySelectorAll('table[aria-label=Users] td[data-label]')];
		return wrap.scrollWidth <= wrap.clientWidth + 1 && cells.every(td => td.getBoundingClientRect().right <= innerWidth);
	})()`)
	if !fits {
		b.Screenshot("admin-phone")
		t.Errorf("the users table does not fit a phone screen")
	}
	if lbl := Eval[string](b, `getComputedStyle(document.querySelector('table[aria-label=Users] td[data-label=Role]'), '::before').content`); !strings.Contains(lbl, "Role") {
		t.Errorf("a card's cell is not labelled with its column: %s", lbl)
	}
	if !Eval[bool](b, `(() => { const l = document.querySelector('[role=tablist]'); return l.scrollWidth <= l.clientWidth; })()`) {
		t.Errorf("the admin tabs do not fit a phone screen")
	}
	// Your own row has no actions: no empty "Actions" line on its card.
	if shown := Eval[bool](b, `document.querySelector('table[aria-label=Users] td[data-label=Actions]').getClientRects().length > 0`); shown {
		t.Errorf("an empty Actions cell is shown on the card")
	}
}

func jsInt(n int) string { b, _ := json.Marshal(n); return string(b) }

// Desktop: a conversation's title is shown whole when it fits the list, a
// search shows the match marked (not in brackets) and code is highlighted.
func TestConversationListTitlesAndSearch(t *testing.T) {
	srv := StartServer(t, Demo)
	b := NewBrowser(t, srv, chromedp.WindowSize(1280, 800))
	const email = "titles@example.com"
	const title = "Quarterly budget review for Ada"
	id := seedConversation(t, srv, email, title)
	b.Login(email, Password)
	b.Navigate("/?c=" + jsInt(int(id)))
	b.WaitText("[data-conversation-title]", title)
	if cut := Eval[bool](b, `(() => { const e = document.querySelector('[data-conversation-title]'); return e.scrollWidth > e.clientWidth; })()`); cut {
		b.Screenshot("title-cut")
		t.Errorf("the title %q is cut in the conversation list", title)
	}
	b.WaitVisible(`[data-message-role=assistant] pre code.hljs .hljs-keyword`)

	b.Fill("#chat-search", "plan")
	b.WaitVisible("[data-snippet] mark")
	marks := Eval[[]string](b, `[...document.querySelectorAll('[data-snippet] mark')].map(m => m.textContent)`)
	snippet := b.Text("[data-snippet]")
	if len(marks) == 0 || strings.ToLower(marks[0]) != "plan" || strings.Contains(snippet, "[plan]") || strings.Contains(snippet, "\x02") {
		t.Errorf("search snippet %q, marks %q", snippet, marks)
	}
}

// WCAG AA colour contrast, checked by axe-core in the browser, on the chat
// (a reply with a link, a quote, a table and code), security, admin,
// profile and settings pages, light and dark.
func TestContrastLightAndDark(t *testing.T) {
	axe := axeScript(t)
	srv := StartServer(t, Demo)
	b := NewBrowser(t, srv, chromedp.WindowSize(1280, 800))
	const email = "contrast@example.com"
	id := seedConversation(t, srv, email, "Contrast check")
	b.Login(email, Password)

	for _, theme := range []string{"light", "dark"} {
		b.Exec(`localStorage.setItem('aiwfe-theme', ` + js(theme) + `)`)
		for _, page := range []struct{ path, ready string }{
			{"/?c=" + jsInt(int(id)), `[data-message-role=assistant] pre code.hljs .hljs-keyword`},
			{"/security", `h1`},
			{"/admin", `table[aria-label=Users] td[data-label=Email]`},
			{"/profile", `[data-model-assignments] select`},
			{"/settings", `table[data-models] td[data-label=Name]`},
			{"/documents", `[data-embedder]`},
		} {
			b.Navigate(page.path)
			b.WaitVisible(page.ready)
			if page.path == "/profile" {
				// The profile's Theme is what this device shows, not an older saved choice.
				if v := Eval[string](b, `document.querySelector('#theme').value`); v != theme {
					t.Errorf("%s: the profile's Theme says %q", theme, v)
				}
			}
			b.WaitFor("the "+theme+" theme", `document.documentElement.classList.contains('dark') === (`+js(theme)+` === 'dark')`)
			b.WaitFor("nothing loading", `!document.querySelector('[aria-busy=true]') && ![...document.querySelectorAll('main p')].some(p => p.textContent.trim() === 'Loading…')`)
			violations := contrastViolations(t, b, axe)
			if len(violations) > 0 {
				b.Screenshot(theme + "-" + strings.Trim(strings.Split(page.path, "?")[0], "/"))
				t.Errorf("%s %s: %d colour-contrast violations:\n  %s", theme, page.path, len(violations), strings.Join(violations, "\n  "))
			}
		}
	}
}

// phone makes the tab a 390 px wide touch phone.
func phone(b *Browser) {
	b.Do("phone viewport", chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(3), chromedp.EmulateMobile, chromedp.EmulateTouch))
}

// axeScript is axe-core's browser build, for contrastViolations.
func axeScript(t *testing.T) []byte {
	t.Helper()
	axe, err := os.ReadFile(filepath.Join("..", "ui", "node_modules", "axe-core", "axe.min.js"))
	if err != nil {
		t.Fatalf("axe-core is a devDependency of ui/ (cd ui && npm ci): %v", err)
	}
	return axe
}

// contrastCheck is a check of the page in theme (set in localStorage
// before): it waits for the theme and for transitions to end, runs axe's
// contrast rule, and reports what fails with a screenshot named theme-what.
func contrastCheck(t *testing.T, b *Browser, axe []byte, theme string) func(what string) {
	return func(what string) {
		t.Helper()
		b.WaitFor("the "+theme+" theme", `document.documentElement.classList.contains('dark') === (`+js(theme)+` === 'dark')`)
		settled(b)
		if v := contrastViolations(t, b, axe); len(v) > 0 {
			b.Screenshot(theme + "-" + what)
			t.Errorf("%s %s: %d colour-contrast violations:\n  %s", theme, what, len(v), strings.Join(v, "\n  "))
		}
	}
}

// contrastViolations runs axe-core's WCAG AA colour-contrast rule on the
// page as it is (axe is the file's text, injected once per page).
func contrastViolations(t *testing.T, b *Browser, axe []byte) []string {
	t.Helper()
	if !Eval[bool](b, `typeof window.axe === 'object'`) {
		b.Exec(string(axe))
	}
	res := Eval[string](b, `axe.run(document, { runOnly: { type: 'rule', values: ['color-contrast'] }, resultTypes: ['violations'] })
		.then(r => JSON.stringify(r.violations.flatMap(v => v.nodes.map(n => n.target.join(' ') + ': ' + n.any.map(a => a.message).join('; ')))))`)
	var violations []string
	if err := json.Unmarshal([]byte(res), &violations); err != nil {
		t.Fatalf("axe result %s: %v", res, err)
	}
	return violations
}

// The access cookie has gone (expired) but the refresh cookie is still
// there: a page load renews the session once, quietly, and stays signed in.
func TestExpiredAccessRenewsQuietlyOnLoad(t *testing.T) {
	srv := StartServer(t, Demo)
	b := NewBrowser(t, srv)
	const email = "renew@example.com"
	srv.CreateUser(t, email, "user")
	b.Login(email, Password)
	b.WaitPath("/")
	if _, err := chromedp.Call(b.Ctx(), network.DeleteCookies, network.DeleteCookiesParams{Name: "access_token", URL: b.URL("/")}); err != nil {
		t.Fatalf("drop the access cookie: %v", err)
	}
	if b.Cookie("access_token") != "" {
		t.Fatal("the access cookie is still there")
	}
	b.Navigate("/profile")
	b.WaitText("h1", "Profile")
	b.WaitText("main", email)
	if p := b.Path(); p != "/profile" {
		t.Fatalf("after the access cookie expired, the load went to %s", p)
	}
	if errs := errorLines(b); len(errs) > 0 {
		t.Errorf("console errors:\n  %s", strings.Join(errs, "\n  "))
	}
}
