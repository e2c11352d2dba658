package e2e

import (
	"encoding/json"
	"strconv"
	"testing"

	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// pageAPI calls the API from the page (its session and CSRF token), for
// setting state up and reading it back around what the test clicks; it
// fails the test on an error status.
func pageAPI[T any](b *Browser, method, path string, body any) T {
	b.T.Helper()
	payload := "undefined"
	if body != nil {
		raw, err := json.Marshal(body)
		if err != nil {
			b.T.Fatal(err)
		}
		payload = js(string(raw))
	}
	text := Eval[string](b, `(async () => {
		const headers = { 'Content-Type': 'application/json' };
		if (`+js(method)+` !== 'GET') headers['X-CSRF-TOKEN'] = (await (await fetch('/api/v1/auth/csrf-token')).json()).csrf_token;
		const r = await fetch(`+js(path)+`, { method: `+js(method)+`, headers, body: `+payload+` });
		const t = await r.text();
		if (!r.ok) throw new Error(r.status + ' ' + t);
		return t || 'null';
	})()`)
	var v T
	if err := json.Unmarshal([]byte(text), &v); err != nil {
		b.T.Fatalf("e2e: %s %s answered %q: %v", method, path, text, err)
	}
	return v
}

type e2eTask struct {
	ID         int64   `json:"id"`
	Title      string  `json:"title"`
	Status     string  `json:"status"`
	Due        *string `json:"due"`
	Priority   string  `json:"priority"`
	CategoryID *int64  `json:"category_id"`
	Recurrence string  `json:"recurrence"`
	Position   float64 `json:"position"`
	Source     string  `json:"source"`
	SourceRef  struct {
		ConversationID int64 `json:"conversation_id"`
	} `json:"source_ref"`
}

// tasksByTitle reads every task of the signed-in user, by title.
func tasksByTitle(b *Browser) map[string]e2eTask {
	b.T.Helper()
	page := pageAPI[struct{ Items []e2eTask }](b, "GET", "/api/v1/tasks?per_page=100", nil)
	out := map[string]e2eTask{}
	for _, t := range page.Items {
		out[t.Title] = t
	}
	return out
}

// centre is the middle of the first element matching sel, in viewport
// pixels; scroll scrolls it into view first.
func centre(b *Browser, sel string, scroll bool) (x, y float64) {
	b.T.Helper()
	b.WaitVisible(sel)
	p := Eval[[]float64](b, `(() => { const e = document.querySelector(`+js(sel)+`); if (`+strconv.FormatBool(scroll)+`) e.scrollIntoView({ block: 'center' }); const r = e.getBoundingClientRect(); return [r.left + r.width / 2, r.top + r.height / 2]; })()`)
	return p[0], p[1]
}

// dragMouse drags from the middle of one element to the middle of another
// with real mouse events (the page sees pointer events), in steps.
func dragMouse(b *Browser, from, to string) {
	b.T.Helper()
	x0, y0 := centre(b, from, true)
	x1, y1 := centre(b, to, false)
	steps := []chromedp.Action[chromedp.Void]{chromedp.MouseEvent(input.DispatchMouseEventTypeMousePressed, x0, y0, chromedp.ButtonType(input.MouseButtonLeft), chromedp.ClickCount(1))}
	for i := 1; i <= 8; i++ {
		f := float64(i) / 8
		steps = append(steps, chromedp.MouseEvent(input.DispatchMouseEventTypeMouseMoved, x0+(x1-x0)*f, y0+(y1-y0)*f, chromedp.ButtonType(input.MouseButtonLeft)))
	}
	steps = append(steps, chromedp.MouseEvent(input.DispatchMouseEventTypeMouseReleased, x1, y1, chromedp.ButtonType(input.MouseButtonLeft), chromedp.ClickCount(1)))
	b.Do("drag "+from+" to "+to, steps...)
}

// dragTouch drags with one finger (touch events, as on a phone).
func dragTouch(b *Browser, from, to string) {
	b.T.Helper()
	x0, y0 := centre(b, from, true)
	x1, y1 := centre(b, to, false)
	touch := func(typ input.DispatchTouchEventType, x, y float64) {
		params := input.DispatchTouchEventParams{Type: typ, TouchPoints: []*input.TouchPoint{}}
		if typ != input.DispatchTouchEventTypeTouchEnd {
			params.TouchPoints = []*input.TouchPoint{{X: x, Y: y}}
		}
		if _, err := chromedp.Call(b.Ctx(), input.DispatchTouchEvent, params); err != nil {
			b.T.Fatalf("e2e: touch %s: %v", typ, err)
		}
	}
	touch(input.DispatchTouchEventTypeTouchStart, x0, y0)
	for i := 1; i <= 8; i++ {
		f := float64(i) / 8
		touch(input.DispatchTouchEventTypeTouchMove, x0+(x1-x0)*f, y0+(y1-y0)*f)
	}
	touch(input.DispatchTouchEventTypeTouchEnd, x1, y1)
}

// key presses one key on the focused element (real key events).
func key(b *Browser, k string) {
	b.T.Helper()
	b.Do("press "+k, chromedp.KeyEvent(k))
}

func card(title string) string { return `[data-card][data-task-title=` + js(title) + `]` }
func row(title string) string  { return `[data-view=list] [data-task-title=` + js(title) + `]` }

// The board without the quick-add parser: a card dragged with the mouse,
// carried with the keyboard, dragged with a finger on a phone; the order
// and status reach the server. The keyboard shortcuts, the drawer (notes in
// Markdown, a subtask) and bulk changes work, and nothing is wider than a
// phone's screen.
func TestTasksBoardKeyboardAndPhone(t *testing.T) {
	srv := StartServer(t, Demo)
	b := NewBrowser(t, srv)
	const email = "board@example.com"
	srv.CreateUser(t, email, "user")
	b.Login(email, Password)
	b.ClickText("nav a", "Tasks")
	b.WaitPath("/tasks")
	b.WaitVisible(`[data-tasks-page][data-loaded]`)
	b.WaitVisible(`[data-empty]`)

	for _, title := range []string{"Alpha", "Bravo", "Charlie"} {
		pageAPI[e2eTask](b, "POST", "/api/v1/tasks", map[string]any{"title": title})
	}
	b.Reload()
	b.WaitVisible(row("Charlie"))

	// The board: drag Charlie with the mouse into In progress.
	b.Click(`[data-view-button=board]`)
	b.WaitFor("the view in the URL", `location.search === '?view=board'`)
	dragMouse(b, card("Charlie")+` [data-drag-handle]`, `[data-column=in_progress] ul`)
	b.WaitVisible(`[data-column=in_progress] ` + card("Charlie"))
	b.WaitFor("Charlie in progress on the server", `fetch('/api/v1/tasks?status=in_progress').then(r => r.json()).then(p => p.items.some(t => t.title === 'Charlie'))`)

	// Reorder To do with the mouse: Bravo above Alpha.
	dragMouse(b, card("Bravo")+` [data-drag-handle]`, card("Alpha")+` [data-open-task]`)
	b.WaitFor("Bravo first in To do", `[...document.querySelectorAll('[data-column=todo] [data-card]')].map(c => c.dataset.taskTitle).join() === 'Bravo,Alpha'`)
	b.WaitFor("the order saved", `fetch('/api/v1/tasks?status=todo&sort=position').then(r => r.json()).then(p => p.items.map(t => t.title).join() === 'Bravo,Alpha')`)

	// The keyboard: pick Alpha up, carry it two columns right, drop it.
	b.Exec(`document.querySelector(` + js(card("Alpha")+` [data-drag-handle]`) + `).focus()`)
	key(b, " ")
	b.WaitFor("Alpha picked up", `document.querySelector(`+js(card("Alpha")+` [data-drag-handle]`)+`).getAttribute('aria-pressed') === 'true'`)
	key(b, kb.ArrowRight)
	key(b, kb.ArrowRight)
	b.WaitText(`[data-board-announce]`, "Alpha: Done, position 1 of 1")
	if got := tasksByTitle(b)["Alpha"].Status; got != "todo" {
		t.Fatalf("carrying sent the move before the drop: Alpha is %s", got)
	}
	key(b, " ")
	b.WaitFor("Alpha done on the server", `fetch('/api/v1/tasks?status=done').then(r => r.json()).then(p => p.items.some(t => t.title === 'Alpha'))`)
	b.WaitVisible(`[data-column=done] ` + card("Alpha"))
	// Escape puts a carried card back and sends nothing.
	b.Exec(`document.querySelector(` + js(card("Bravo")+` [data-drag-handle]`) + `).focus()`)
	key(b, " ")
	key(b, kb.ArrowRight)
	key(b, kb.Escape)
	b.WaitText(`[data-board-announce]`, "Move cancelled")
	b.WaitVisible(`[data-column=todo] ` + card("Bravo"))
	if got := tasksByTitle(b)["Bravo"].Status; got != "todo" {
		t.Fatalf("Escape moved Bravo to %s", got)
	}

	// Shortcuts on the list: l, then j selects the first task and x marks it done.
	b.Exec(`document.activeElement.blur()`)
	key(b, "l")
	b.WaitVisible(`[data-view=list]`)
	key(b, "j")
	b.WaitFor("a task selected", `document.querySelector('[data-view=list] [data-selected]') !== null`)
	first := Eval[string](b, `document.querySelector('[data-view=list] [data-selected]').dataset.taskTitle`)
	key(b, "x")
	b.WaitFor(first+" done on the server", `fetch('/api/v1/tasks?status=done').then(r => r.json()).then(p => p.items.some(t => t.title === `+js(first)+`))`)
	// e opens the selected task's drawer: notes in Markdown and a subtask.
	key(b, "e")
	b.WaitVisible(`[data-drawer][open]`)
	b.Fill(`[data-drawer-notes]`, "Call **before** noon\n\n- ask for the invoice")
	b.ClickText(`[data-drawer] button`, "Preview")
	b.WaitVisible(`[data-drawer-notes-preview] strong`)
	b.Click(`[data-drawer-save]`)
	b.WaitText(`[data-drawer] [role=status]`, "Saved")
	b.Fill(`[data-new-subtask]`, "Find the invoice number")
	b.Exec(`document.querySelector('[data-new-subtask]').form.requestSubmit()`)
	b.WaitVisible(`[data-subtask="Find the invoice number"]`)
	key(b, kb.Escape)
	b.WaitGone(`[data-drawer][open]`)
	b.WaitText(row(first), "1 subtask")
	// ? shows the shortcuts; / goes to the search, which filters (full text).
	key(b, "?")
	b.WaitVisible(`[data-shortcuts-help][open]`)
	key(b, kb.Escape)
	b.WaitGone(`[data-shortcuts-help][open]`)
	key(b, "/")
	b.WaitFor("the search focused", `document.activeElement === document.querySelector('[data-testid=task-search]')`)
	// (CDP sends the "/" character apart from its key press, so the page's
	// preventDefault cannot hold it back here as it does in a browser.)
	b.Fill(`[data-testid=task-search]`, "invoice")
	b.WaitFor("only the task with invoice in its notes or title", `(() => { const r = [...document.querySelectorAll('[data-view=list] [data-task-title]')].map(e => e.dataset.taskTitle); return r.length > 0 && r.every(t => t === `+js(first)+` || t === 'Find the invoice number'); })()`)
	b.WaitFor("the search in the URL", `location.search === '?q=invoice'`)
	b.Click(`[data-clear-filters]`)
	b.WaitVisible(row("Bravo"))

	// Bulk: select two, set them in progress at once.
	b.Click(row("Bravo") + ` [data-bulk-check]`)
	b.Click(row("Charlie") + ` [data-bulk-check]`)
	b.Fill(`[data-bulk-status]`, "in_progress")
	b.WaitFor("both in progress", `fetch('/api/v1/tasks?status=in_progress').then(r => r.json()).then(p => p.items.map(t => t.title).sort().join() === 'Bravo,Charlie')`)

	// A phone: the board stacks its columns, a finger drags a card, and
	// nothing scrolls sideways.
	b.Do("phone", chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile, chromedp.EmulateTouch))
	b.Navigate("/tasks?view=board")
	b.WaitVisible(card("Bravo"))
	dragTouch(b, card("Bravo")+` [data-drag-handle]`, `[data-column=todo] ul`)
	b.WaitFor("Bravo back to do on the server", `fetch('/api/v1/tasks?status=todo').then(r => r.json()).then(p => p.items.some(t => t.title === 'Bravo'))`)
	for _, view := range []string{"board", "list"} {
		b.Navigate("/tasks?view=" + view)
		b.WaitVisible(`[data-view=` + view + `]`)
		if w := Eval[int](b, `document.documentElement.scrollWidth`); w > 390 {
			b.Screenshot("phone-" + view)
			t.Errorf("the %s view is %d px wide on a 390 px phone", view, w)
		}
	}
	if v := b.CSPViolations(); len(v) > 0 {
		t.Errorf("CSP violations: %v", v)
	}
}
