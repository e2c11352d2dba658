package e2e

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/aiwfe/aiwfe/store"
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

// waitAPI polls an asynchronous JavaScript expression (a fetch, awaited:
// WaitFor does not await, and a pending promise is truthy) until it is
// true, failing the test with what after the deadline.
func waitAPI(b *Browser, what, expr string) {
	b.T.Helper()
	deadline := time.Now().Add(Timeout)
	for !Eval[bool](b, `(async () => { try { return !!(await (`+expr+`)); } catch (e) { return false; } })()`) {
		if time.Now().After(deadline) {
			b.T.Fatalf("e2e: waited %s for %s", Timeout, what)
		}
		if err := pause(b.Ctx(), 25*time.Millisecond); err != nil {
			b.T.Fatalf("e2e: waiting for %s: %v", what, err)
		}
	}
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

// touchAt sends one touch event of a single finger at x, y (an end has no
// point).
func touchAt(b *Browser, typ input.DispatchTouchEventType, x, y float64) {
	b.T.Helper()
	params := input.DispatchTouchEventParams{Type: typ, TouchPoints: []*input.TouchPoint{}}
	if typ != input.DispatchTouchEventTypeTouchEnd {
		params.TouchPoints = []*input.TouchPoint{{X: x, Y: y}}
	}
	if _, err := chromedp.Call(b.Ctx(), input.DispatchTouchEvent, params); err != nil {
		b.T.Fatalf("e2e: touch %s: %v", typ, err)
	}
}

// dragTouch drags with one finger (touch events, as on a phone).
func dragTouch(b *Browser, from, to string) {
	b.T.Helper()
	x0, y0 := centre(b, from, true)
	x1, y1 := centre(b, to, false)
	touchAt(b, input.DispatchTouchEventTypeTouchStart, x0, y0)
	for i := 1; i <= 8; i++ {
		f := float64(i) / 8
		touchAt(b, input.DispatchTouchEventTypeTouchMove, x0+(x1-x0)*f, y0+(y1-y0)*f)
	}
	touchAt(b, input.DispatchTouchEventTypeTouchEnd, x1, y1)
}

// typeKey presses a printable key as a keyboard does: one keyDown that
// carries its text, so the character is typed only if the page lets the key
// through (chromedp's KeyEvent sends the character as a separate event,
// which preventDefault on the key press cannot hold back).
func typeKey(b *Browser, r rune) {
	b.T.Helper()
	s := string(r)
	code := int64(unicode.ToUpper(r))
	keyCode := "Key" + strings.ToUpper(s)
	if r == '/' {
		code, keyCode = 191, "Slash"
	}
	for _, p := range []input.DispatchKeyEventParams{
		{Type: input.DispatchKeyEventTypeKeyDown, Key: s, Code: keyCode, Text: s, UnmodifiedText: s, WindowsVirtualKeyCode: code, NativeVirtualKeyCode: code},
		{Type: input.DispatchKeyEventTypeKeyUp, Key: s, Code: keyCode, WindowsVirtualKeyCode: code, NativeVirtualKeyCode: code},
	} {
		if _, err := chromedp.Call(b.Ctx(), input.DispatchKeyEvent, p); err != nil {
			b.T.Fatalf("e2e: key %q: %v", s, err)
		}
	}
}

// key presses one key on the focused element (real key events).
func key(b *Browser, k string) {
	b.T.Helper()
	b.Do("press "+k, chromedp.KeyEvent(k))
}

func card(title string) string { return `[data-card][data-task-title=` + js(title) + `]` }
func row(title string) string  { return `[data-view=list] [data-task-title=` + js(title) + `]` }

// tasksPage starts a demo server, signs a new user in and opens /tasks
// from the navigation.
func tasksPage(t *testing.T, email string) *Browser {
	t.Helper()
	srv := StartServer(t, Demo)
	b := NewBrowser(t, srv)
	srv.CreateUser(t, email, "user")
	b.Login(email, Password)
	b.ClickText("nav a", "Tasks")
	b.WaitPath("/tasks")
	b.WaitVisible(`[data-tasks-page][data-loaded]`)
	return b
}

// The board without the quick-add parser: a card dragged with the mouse,
// carried with the keyboard, dragged with a finger on a phone; the order
// and status reach the server. The keyboard shortcuts, the drawer (notes in
// Markdown, a subtask) and bulk changes work, and nothing is wider than a
// phone's screen.
func TestTasksBoardKeyboardAndPhone(t *testing.T) {
	b := tasksPage(t, "board@example.com")
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
	waitAPI(b, "Charlie in progress on the server", `fetch('/api/v1/tasks?status=in_progress').then(r => r.json()).then(p => p.items.some(t => t.title === 'Charlie'))`)

	// Reorder To do with the mouse: Bravo above Alpha.
	dragMouse(b, card("Bravo")+` [data-drag-handle]`, card("Alpha")+` [data-open-task]`)
	b.WaitFor("Bravo first in To do", `[...document.querySelectorAll('[data-column=todo] [data-card]')].map(c => c.dataset.taskTitle).join() === 'Bravo,Alpha'`)
	waitAPI(b, "the order saved", `fetch('/api/v1/tasks?status=todo&sort=position').then(r => r.json()).then(p => p.items.map(t => t.title).join() === 'Bravo,Alpha')`)

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
	waitAPI(b, "Alpha done on the server", `fetch('/api/v1/tasks?status=done').then(r => r.json()).then(p => p.items.some(t => t.title === 'Alpha'))`)
	b.WaitVisible(`[data-column=done] ` + card("Alpha"))
	// Escape puts a carried card back and sends nothing.
	b.Exec(`document.querySelector(` + js(card("Bravo")+` [data-drag-handle]`) + `).focus()`)
	key(b, " ")
	key(b, kb.ArrowRight)
	key(b, kb.Escape)
	b.WaitText(`[data-board-announce]`, "Move cancelled")
	b.WaitVisible(`[data-column=todo] ` + card("Bravo"))
	// So does going elsewhere while carrying it (a click into the search).
	b.Exec(`document.querySelector(` + js(card("Bravo")+` [data-drag-handle]`) + `).focus()`)
	key(b, " ")
	key(b, kb.ArrowRight)
	b.WaitVisible(`[data-column=in_progress] ` + card("Bravo"))
	b.Click(`[data-testid=task-search]`)
	b.WaitVisible(`[data-column=todo] ` + card("Bravo"))
	b.WaitText(`[data-board-announce]`, "Move cancelled")
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
	waitAPI(b, first+" done on the server", `fetch('/api/v1/tasks?status=done').then(r => r.json()).then(p => p.items.some(t => t.title === `+js(first)+`))`)
	// e opens the selected task's drawer: notes in Markdown and a subtask.
	key(b, "e")
	b.WaitVisible(`[data-drawer][open]`)
	b.Fill(`[data-drawer-notes]`, "Call **before** noon\n\n- ask for the invoice")
	b.ClickText(`[data-drawer] button`, "Preview")
	b.WaitVisible(`[data-drawer-notes-preview] strong`)
	b.Click(`[data-drawer-save]`)
	b.WaitText(`[data-drawer] [role=status]`, "Saved")
	// A repeat rule and a due time in the user's zone (UTC here): every
	// Monday and Thursday from Monday 7 January 2030 at 09:30.
	b.Fill(`[data-drawer-day]`, "2030-01-07")
	b.Fill(`[data-drawer-time]`, "09:30")
	b.Fill(`[data-drawer-freq]`, "WEEKLY")
	b.Click(`[data-day=MO]`)
	b.Click(`[data-day=TH]`)
	b.WaitText(`[data-drawer-rule]`, "Every week on Monday and Thursday")
	b.Click(`[data-drawer-save]`)
	waitAPI(b, "the rule saved", `fetch('/api/v1/tasks?q=invoice').then(r => r.json()).then(p => p.items.some(t => t.recurrence === 'FREQ=WEEKLY;BYDAY=MO,TH' && t.due === '2030-01-07T09:30:00Z'))`)
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
	// n goes to the quick-add bar without typing an n; there x is a letter.
	typeKey(b, 'n')
	b.WaitFor("the quick-add bar focused", `document.activeElement === document.querySelector('[data-testid=quick-add]')`)
	typeKey(b, 'x')
	if v := Eval[string](b, `document.querySelector('[data-testid=quick-add]').value`); v != "x" {
		t.Errorf("n, then x typed into the quick-add bar, gave %q", v)
	}
	b.Fill(`[data-testid=quick-add]`, "")
	b.Exec(`document.activeElement.blur()`)
	typeKey(b, '/')
	b.WaitFor("the search focused", `document.activeElement === document.querySelector('[data-testid=task-search]')`)
	for _, r := range "invoice" {
		typeKey(b, r)
	}
	b.WaitFor("only the task with invoice in its notes or title", `(() => { const r = [...document.querySelectorAll('[data-view=list] [data-task-title]')].map(e => e.dataset.taskTitle); return r.length > 0 && r.every(t => t === `+js(first)+` || t === 'Find the invoice number'); })()`)
	b.WaitFor("the search in the URL", `location.search === '?q=invoice'`)
	b.Click(`[data-clear-filters]`)
	b.WaitVisible(row("Bravo"))

	// Bulk: select two, set them in progress at once.
	pageAPI[e2eTask](b, "POST", "/api/v1/tasks", map[string]any{"title": "Delta"})
	b.Reload()
	b.Click(row("Charlie") + ` [data-bulk-check]`)
	b.Click(row("Delta") + ` [data-bulk-check]`)
	b.WaitText(`[data-bulk]`, "2 selected")
	b.Fill(`[data-bulk-status]`, "in_progress")
	waitAPI(b, "both in progress", `fetch('/api/v1/tasks?status=in_progress').then(r => r.json()).then(p => p.items.map(t => t.title).sort().join() === 'Charlie,Delta')`)

	// Categories: add one, file both tasks under it in bulk, reweigh it, and
	// delete it: the tasks stay, without a category, and the page says so.
	b.Fill(`[data-new-category]`, "Errands")
	b.Exec(`document.querySelector('[data-new-category]').form.requestSubmit()`)
	b.WaitVisible(`[data-category-row="Errands"]`)
	errands := Eval[string](b, `[...document.querySelector('[data-bulk-category]').options].find(o => o.textContent === 'Errands').value`)
	b.Fill(`[data-bulk-category]`, errands)
	b.WaitText(row("Charlie"), "Errands")
	b.WaitText(row("Delta"), "Errands")
	b.WaitText(`[data-category-row="Errands"]`, "2 open")
	b.Fill(`[data-category-row="Errands"] input[type=number]`, "3.5")
	b.Click(`[data-category-row="Errands"] button[type=submit]`)
	b.WaitText(`[data-categories] [role=status]`, "Saved Errands.")
	if w := pageAPI[struct{ Items []struct{ Weight float64 } }](b, "GET", "/api/v1/tasks/categories", nil).Items; len(w) != 1 || w[0].Weight != 3.5 {
		t.Errorf("categories after reweighing: %+v", w)
	}
	b.Click(`[data-category-row="Errands"] button[aria-label="Delete Errands"]`)
	b.ClickText(`dialog[open] button`, "Delete")
	b.WaitText(`[data-categories] [role=status]`, "2 tasks moved to no category")
	b.WaitFor("Delta without a category", `!document.querySelector(`+js(row("Delta")+` [data-category]`)+`)`)
	if got := tasksByTitle(b)["Delta"]; got.CategoryID != nil {
		t.Errorf("Delta kept the deleted category %d", *got.CategoryID)
	}

	// A phone: the board stacks its columns, a finger drags a card, and
	// nothing scrolls sideways.
	phone(b)
	b.Navigate("/tasks?view=board")
	b.WaitVisible(card("Delta"))
	dragTouch(b, card("Delta")+` [data-drag-handle]`, `[data-column=todo] ul`)
	waitAPI(b, "Delta back to do on the server", `fetch('/api/v1/tasks?status=todo').then(r => r.json()).then(p => p.items.some(t => t.title === 'Delta'))`)
	// A column off the screen: holding the card at the bottom edge scrolls
	// the page until Done comes into view.
	for i := range 10 {
		pageAPI[e2eTask](b, "POST", "/api/v1/tasks", map[string]any{"title": "Filler " + strconv.Itoa(i)})
	}
	b.Reload()
	b.WaitVisible(card("Filler 9"))
	x0, y0 := centre(b, card("Delta")+` [data-drag-handle]`, true)
	if Eval[bool](b, `document.querySelector('[data-column=done]').getBoundingClientRect().top < innerHeight`) {
		t.Fatal("the Done column is on the screen already: the edge scroll is not tested")
	}
	bottom := Eval[float64](b, `innerHeight - 10`)
	touchAt(b, input.DispatchTouchEventTypeTouchStart, x0, y0)
	touchAt(b, input.DispatchTouchEventTypeTouchMove, x0, y0+20)
	touchAt(b, input.DispatchTouchEventTypeTouchMove, x0, bottom)
	b.WaitFor("Done scrolled into view", `document.querySelector('[data-column=done] ul').getBoundingClientRect().top < innerHeight - 80`)
	_, yDone := centre(b, `[data-column=done] ul`, false)
	touchAt(b, input.DispatchTouchEventTypeTouchMove, x0, min(yDone, bottom-60))
	touchAt(b, input.DispatchTouchEventTypeTouchEnd, 0, 0)
	waitAPI(b, "Delta done on the server", `fetch('/api/v1/tasks?status=done').then(r => r.json()).then(p => p.items.some(t => t.title === 'Delta'))`)

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

// Issue #12's flow: quick add a task (the parsed preview first), move it on
// the board, find tasks in a demo chat, accept one (edited first) and see it
// in the list with its link back to the chat; dismiss the other.
func TestTasksQuickAddBoardAndOpportunity(t *testing.T) {
	b := tasksPage(t, "plans@example.com")

	// 1. Quick add: the preview says what was understood, nothing is saved
	// until Create.
	b.Fill(`[data-testid=quick-add]`, "Pay rent every 1st of the month #home !high")
	b.Click(`[data-quick-parse]`)
	b.WaitVisible(`[data-preview]`)
	if got := b.Text(`[data-preview-recurrence]`); got != "Every month on the 1st" {
		t.Errorf("preview repeats: %q", got)
	}
	if got := b.Text(`[data-preview-priority]`); got != "High" {
		t.Errorf("preview priority: %q", got)
	}
	if got := b.Text(`[data-preview-category]`); !strings.Contains(got, "home") || !strings.Contains(got, "new category") {
		t.Errorf("preview category: %q", got)
	}
	if got := b.Text(`[data-preview-by]`); !strings.Contains(got, "the rules") {
		t.Errorf("preview says who parsed it: %q", got)
	}
	if got := b.Text(`[data-preview-due]`); got == "" || got == "No date" {
		t.Errorf("preview due: %q", got)
	}
	title := Eval[string](b, `document.querySelector('[data-preview-title]').value`)
	if n := len(tasksByTitle(b)); n != 0 {
		t.Fatalf("%d tasks saved before the preview was confirmed", n)
	}
	b.Click(`[data-preview-create]`)
	b.WaitVisible(row(title))
	b.WaitGone(`[data-preview]`)
	rent := tasksByTitle(b)[title]
	if rent.Recurrence != "FREQ=MONTHLY;BYMONTHDAY=1" || rent.Priority != "high" || rent.CategoryID == nil || rent.Due == nil {
		t.Errorf("created %+v", rent)
	}
	cats := pageAPI[struct{ Items []struct{ Name string } }](b, "GET", "/api/v1/tasks/categories", nil)
	if len(cats.Items) != 1 || cats.Items[0].Name != "home" {
		t.Errorf("categories after quick add: %+v", cats.Items)
	}

	// 2. The board: drag it into In progress.
	b.Click(`[data-view-button=board]`)
	dragMouse(b, card(title)+` [data-drag-handle]`, `[data-column=in_progress] ul`)
	b.WaitVisible(`[data-column=in_progress] ` + card(title))
	waitAPI(b, "in progress on the server", `fetch('/api/v1/tasks/`+strconv.FormatInt(rent.ID, 10)+`').then(r => r.json()).then(t => t.status === 'in_progress')`)

	// 3. A demo chat with two things to do; "Find tasks" proposes them.
	b.Navigate("/")
	b.WaitVisible(`[data-send]`)
	b.Fill("#chat-input", "I need to renew my passport by friday. Also remind me to call the plumber about the leak.")
	b.Click("[data-send]")
	b.WaitFor("the reply complete", `document.querySelector('[data-message-role=assistant]')?.dataset.status === 'complete'`)
	b.WaitFor("the conversation in the URL", `/^\?c=\d+$/.test(location.search)`)
	conv := strings.TrimPrefix(b.Path(), "/?c=")
	b.Click(`[data-find-tasks-button]`)
	b.WaitText(`[data-find-tasks-result]`, "2 tasks proposed")
	b.Click(`[data-find-tasks-result] a`)
	b.WaitPath("/tasks")

	// 4. The inbox: each proposal with its sentence and a link to the chat.
	b.WaitVisible(`[data-opportunity]:has([data-evidence*="passport"])`)
	// By id from here: the sentence makes way for the form while editing.
	passport := `[data-opportunity="` + Eval[string](b, `document.querySelector('[data-opportunity]:has([data-evidence*="passport"])').dataset.opportunity`) + `"]`
	if got := b.Text(passport + ` [data-evidence]`); !strings.Contains(got, "I need to renew my passport by friday") {
		t.Errorf("evidence: %q", got)
	}
	if href := Eval[string](b, `document.querySelector(`+js(passport+` [data-opportunity-source]`)+`).getAttribute('href')`); href != "/?c="+conv {
		t.Errorf("the proposal's source link %q, want /?c=%s", href, conv)
	}
	b.Click(passport + ` [data-opportunity-accept]`)
	b.Fill(passport+` [data-opportunity-edit-title]`, "Renew my passport before the trip")
	b.Click(passport + ` [data-opportunity-create]`)
	b.WaitGone(passport)
	b.Click(`[data-view-button=list]`)
	b.WaitVisible(row("Renew my passport before the trip"))
	got := tasksByTitle(b)["Renew my passport before the trip"]
	if got.Source != "opportunity" || strconv.FormatInt(got.SourceRef.ConversationID, 10) != conv || got.Due == nil {
		t.Errorf("accepted task %+v", got)
	}

	// Dismissed: gone from the inbox, and the server remembers it.
	plumber := `[data-opportunity]:has([data-evidence*="plumber"])`
	b.Click(plumber + ` [data-opportunity-dismiss]`)
	b.WaitGone(`[data-opportunities]`)
	open := pageAPI[struct{ Total int }](b, "GET", "/api/v1/tasks/opportunities", nil)
	if open.Total != 0 {
		t.Errorf("%d proposals still open after accepting one and dismissing the other", open.Total)
	}

	// 5. The drawer links back to the chat the task came from.
	b.Click(row("Renew my passport before the trip") + ` [data-open-task]`)
	b.WaitVisible(`[data-drawer][open] [data-source-link]`)
	b.Click(`[data-drawer] [data-source-link]`)
	b.WaitFor("the conversation open", `location.pathname === '/' && location.search === '?c=`+conv+`'`)
	b.WaitText(`[data-message-role=user]`, "renew my passport")
	if v := b.CSPViolations(); len(v) > 0 {
		t.Errorf("CSP violations: %v", v)
	}
}

// WCAG AA colour contrast on the tasks page (axe-core), light and dark:
// the list with every kind of line (overdue, priorities, a category, tags,
// a repeat, a subtask count, done), the inbox of proposals, the board, a
// quick-add preview and the drawer.
func TestTasksContrastLightAndDark(t *testing.T) {
	axe := axeScript(t)
	srv := StartServer(t, Demo)
	b := NewBrowser(t, srv, chromedp.WindowSize(1280, 800))
	const email = "tasks-contrast@example.com"
	u, err := srv.App.Auth.CreateUser(context.Background(), email, Password, "user")
	if err != nil {
		t.Fatal(err)
	}
	c := &store.Conversation{UserID: u.ID, Title: "Errands", Mode: "general"}
	if err := store.CreateConversation(context.Background(), srv.App.Store.DB, c, time.Now()); err != nil {
		t.Fatal(err)
	}
	m := &store.Message{ConversationID: c.ID, Role: "user", Content: "Remember to water the plants on Sunday.", Status: "complete"}
	if err := store.InsertMessages(context.Background(), srv.App.Store.DB, u.ID, time.Now(), m); err != nil {
		t.Fatal(err)
	}
	conv := c.ID
	b.Login(email, Password)
	b.Navigate("/tasks")
	b.WaitVisible(`[data-tasks-page][data-loaded]`)
	cat := pageAPI[struct{ ID int64 }](b, "POST", "/api/v1/tasks/categories", map[string]any{"name": "Home", "colour": "#22c55e"})
	parent := pageAPI[e2eTask](b, "POST", "/api/v1/tasks", map[string]any{"title": "Overdue and urgent", "due": "2020-01-01", "priority": "urgent",
		"category_id": cat.ID, "tags": []string{"bills"}, "notes": "**Bold** and a [link](https://example.com)\n\n> a quote"})
	pageAPI[e2eTask](b, "POST", "/api/v1/tasks", map[string]any{"title": "A subtask", "parent_id": parent.ID})
	for i, p := range []string{"high", "medium", "low"} {
		pageAPI[e2eTask](b, "POST", "/api/v1/tasks", map[string]any{"title": "Priority " + p, "priority": p, "due": "2030-0" + strconv.Itoa(i+1) + "-10T09:00",
			"recurrence": "FREQ=WEEKLY;BYDAY=MO"})
	}
	done := pageAPI[e2eTask](b, "POST", "/api/v1/tasks", map[string]any{"title": "Done already"})
	pageAPI[e2eTask](b, "PATCH", "/api/v1/tasks/"+strconv.FormatInt(done.ID, 10), map[string]any{"status": "done"})
	pageAPI[e2eTask](b, "POST", "/api/v1/tasks", map[string]any{"title": "Moving", "status": "in_progress"})
	// A proposal from the chat.
	found := pageAPI[struct{ Items []struct{ ID int64 } }](b, "POST", "/api/v1/conversations/"+strconv.FormatInt(conv, 10)+"/opportunities", nil)
	if len(found.Items) == 0 {
		t.Fatal("the seeded chat proposed no task")
	}

	for _, theme := range []string{"light", "dark"} {
		b.Exec(`localStorage.setItem('aiwfe-theme', ` + js(theme) + `)`)
		check := contrastCheck(t, b, axe, theme)
		b.Navigate("/tasks")
		b.WaitVisible(`[data-opportunity]`)
		b.WaitVisible(row("Overdue and urgent"))
		b.Exec(`document.querySelector('[data-group=closed]').open = true`)
		b.Fill(`[data-testid=quick-add]`, "Water the plants tomorrow 9am #garden !low")
		b.Click(`[data-quick-parse]`)
		b.WaitVisible(`[data-preview]`)
		check("list")
		b.Click(`[data-view-button=board]`)
		b.WaitVisible(`[data-column=done] ` + card("Done already"))
		check("board")
		b.Click(card("Overdue and urgent") + ` [data-open-task]`)
		b.WaitVisible(`[data-drawer][open] [data-drawer-notes-preview] strong`)
		check("drawer")
		b.Exec(`document.querySelector('[data-drawer]').close()`)
	}
}

// Proposals found in the background reach the inbox while the page is
// open: tick a document collection under "Finding tasks", upload a
// document into it, and its task appears without a reload (the progress
// socket's event). The quiet-conversation switch is saved too.
func TestTasksFoundInBackground(t *testing.T) {
	b := tasksPage(t, "finder@example.com")
	upload := func(name, collection, text string) {
		b.Exec(`(async () => {
			const csrf = (await (await fetch('/api/v1/auth/csrf-token')).json()).csrf_token;
			const form = new FormData();
			form.append('collection', ` + js(collection) + `);
			form.append('file', new File([` + js(text) + `], ` + js(name) + `, { type: 'text/plain' }));
			const r = await fetch('/api/v1/documents', { method: 'POST', headers: { 'X-CSRF-TOKEN': csrf }, body: form });
			if (!r.ok) throw new Error(await r.text());
		})()`)
	}
	// A first document makes the collection; reading it was not asked for.
	upload("old.txt", "household", "Shopping list and other notes about the garden.")
	waitAPI(b, "old.txt ready", `fetch('/api/v1/documents').then(r => r.json()).then(p => p.items.some(d => d.name === 'old.txt' && d.status === 'ready'))`)
	b.Reload()
	b.WaitVisible(`[data-finding-collection=household]`)
	b.Click(`[data-finding-quiet]`)
	waitAPI(b, "quiet conversations on", `fetch('/api/v1/tasks/opportunities/settings').then(r => r.json()).then(s => s.conversations_when_quiet === true)`)
	b.Click(`[data-finding-collection=household]`)
	waitAPI(b, "household read", `fetch('/api/v1/tasks/opportunities/settings').then(r => r.json()).then(s => s.document_collections.join() === 'household')`)
	if b.Count(`[data-opportunity]`) != 0 {
		t.Fatal("proposals before any document was read")
	}
	b.WaitFor("the progress socket open", `document.querySelector('[data-tasks-page]').dataset.progressSocket === 'open'`)
	upload("letter.txt", "household", "The boiler makes a noise. Remember to call the heating engineer on Monday.")
	b.WaitVisible(`[data-opportunity]:has([data-evidence*="heating engineer"])`)
	if href := Eval[string](b, `document.querySelector('[data-opportunity] [data-opportunity-source]').getAttribute('href')`); !strings.HasPrefix(href, "/documents/") {
		t.Errorf("the proposal's source link %q", href)
	}
}
