package e2e

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"
)

// Issue #13 in a real browser: a weekly event is made in the editor, one
// instance of it is dragged to the next day and "This event" chosen, and
// the calendar's export holds the series and a RECURRENCE-ID override at
// the new time; the other weeks stay where they were.
func TestCalendarMoveOneInstanceAndExport(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test")
	}
	srv := StartServer(t)
	b := NewBrowser(t, srv)
	const email = "weekly@example.com"
	srv.CreateUser(t, email, "user")
	b.Login(email, Password)

	b.Navigate("/calendar")
	// A first visit makes a calendar to start with.
	b.WaitVisible("[data-calendar='Personal']")

	// This week's Monday, 10:00 in the browser's zone.
	monday := Eval[string](b, `(() => {
		const d = new Date(); d.setDate(d.getDate() - ((d.getDay() + 6) % 7));
		const p = (n) => String(n).padStart(2, '0');
		return d.getFullYear() + '-' + p(d.getMonth() + 1) + '-' + p(d.getDate());
	})()`)
	b.Click("[data-new-event]")
	b.WaitVisible("[data-event-editor] [data-field=title]")
	b.Fill("[data-event-editor] [data-field=title]", "Team sync")
	b.Fill("[data-event-editor] [data-field=start]", monday+"T10:00")
	b.Fill("[data-event-editor] [data-field=end]", monday+"T11:00")
	b.Fill("[data-event-editor] [data-field=repeat]", "WEEKLY")
	b.Click("[data-save-event]")
	b.WaitFor("the editor closed", `!document.querySelector('[data-event-editor]').open`)
	b.WaitFor("the event on the week view", `[...document.querySelectorAll('.ec-event')].some(e => e.textContent.includes('Team sync'))`)

	// Next week: drag its instance one day to the right.
	b.Click(".ec-next")
	b.WaitFor("next week's instance", `[...document.querySelectorAll('.ec-event')].some(e => e.textContent.includes('Team sync'))`)
	type box struct{ X, Y, DX float64 }
	at := Eval[box](b, `(() => {
		const ev = [...document.querySelectorAll('.ec-event')].find(e => e.textContent.includes('Team sync'));
		ev.scrollIntoView({ block: 'center' });
		const r = ev.getBoundingClientRect();
		const day = document.querySelector('.ec-header .ec-grid').children[0];
		return { X: r.left + r.width / 2, Y: r.top + Math.min(10, r.height / 2), DX: day.getBoundingClientRect().width };
	})()`)
	steps := []chromedp.Action[chromedp.Void]{chromedp.MouseEvent(input.DispatchMouseEventTypeMousePressed, at.X, at.Y, chromedp.ButtonType(input.MouseButtonLeft), chromedp.ClickCount(1))}
	for i := 1; i <= 10; i++ {
		steps = append(steps, chromedp.MouseEvent(input.DispatchMouseEventTypeMouseMoved, at.X+at.DX*float64(i)/10, at.Y, chromedp.ButtonType(input.MouseButtonLeft)))
	}
	steps = append(steps, chromedp.MouseEvent(input.DispatchMouseEventTypeMouseReleased, at.X+at.DX, at.Y, chromedp.ButtonType(input.MouseButtonLeft), chromedp.ClickCount(1)))
	b.Do("drag the instance a day on", steps...)
	b.WaitVisible("[data-scope-dialog] [data-scope=this]")
	b.Click("[data-scope-dialog] [data-scope=this]")

	// The API's view: next Tuesday holds the moved instance, the weeks
	// around it their Monday.
	c := srv.Client(t)
	c.MustLogin(email, Password)
	type inst struct {
		Start        string `json:"start"`
		RecurrenceID string `json:"recurrence_id"`
		Override     bool   `json:"override"`
	}
	var got struct{ Items []inst }
	deadline := time.Now().Add(Timeout)
	for {
		res := c.Get("/api/v1/calendar/events?from=" + monday + "&to=" + addDaysISO(t, monday, 21))
		if err := json.Unmarshal(res.Body, &got); err != nil {
			t.Fatal(err)
		}
		if len(got.Items) == 3 && got.Items[1].Override {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("instances after the drag: %+v", got.Items)
		}
		if err := pause(b.Ctx(), 25*time.Millisecond); err != nil {
			t.Fatal(err)
		}
	}
	if !strings.HasPrefix(got.Items[1].Start, addDaysISO(t, monday, 8)+"T10:00") {
		t.Errorf("the moved instance starts %s, want next Tuesday 10:00", got.Items[1].Start)
	}
	if !strings.HasPrefix(got.Items[0].Start, monday+"T10:00") || !strings.HasPrefix(got.Items[2].Start, addDaysISO(t, monday, 14)+"T10:00") {
		t.Errorf("the other weeks moved: %+v", got.Items)
	}

	// Export from the calendar's settings: the series and its override.
	b.Click("[data-calendar='Personal'] [data-calendar-settings]")
	href := Eval[string](b, `document.querySelector('[data-export-calendar]').getAttribute('href')`)
	ics := Eval[string](b, `fetch(`+js(href)+`).then(r => r.text())`)
	if !strings.Contains(ics, "RRULE:FREQ=WEEKLY") {
		t.Errorf("export without the rule:\n%s", ics)
	}
	rid := regexp.MustCompile(`(?m)^RECURRENCE-ID[^:]*:(\d{8})T10`).FindStringSubmatch(ics)
	if rid == nil || rid[1] != strings.ReplaceAll(addDaysISO(t, monday, 7), "-", "") {
		t.Errorf("export without the override of next Monday (RECURRENCE-ID): %v\n%s", rid, ics)
	}
	if n := strings.Count(ics, "BEGIN:VEVENT"); n != 2 {
		t.Errorf("%d VEVENTs, want the series and one override", n)
	}

	// A change made elsewhere (a phone, another tab) shows without a reload:
	// the page hears of it on /api/v1/ws/progress.
	var cals struct{ Items []struct{ ID int64 } }
	if res := c.Get("/api/v1/calendar/calendars"); res.Status != 200 || json.Unmarshal(res.Body, &cals) != nil || len(cals.Items) != 1 {
		t.Fatalf("calendars: %s", res)
	}
	wed := addDaysISO(t, monday, 9)
	if res := c.Post("/api/v1/calendar/events", map[string]any{"calendar_id": cals.Items[0].ID, "title": "Made on the phone", "start": wed + "T14:00"}); res.Status != 201 {
		t.Fatalf("event: %s", res)
	}
	b.WaitFor("the phone's event on the open page", `[...document.querySelectorAll('.ec-event')].some(e => e.textContent.includes('Made on the phone'))`)
}

// addDaysISO is the date n days after date (YYYY-MM-DD).
func addDaysISO(t *testing.T, date string, n int) string {
	t.Helper()
	d, err := time.Parse(time.DateOnly, date)
	if err != nil {
		t.Fatal(err)
	}
	return d.AddDate(0, 0, n).Format(time.DateOnly)
}

// Issue #13 in demo mode: asking the chat to add an event proposes it on
// a card with its title and times editable; the person moves it half an
// hour and approves, and the event is on the calendar at that time.
func TestChatCalendarToolInTheBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test")
	}
	srv := StartServer(t, Demo)
	b := NewBrowser(t, srv)
	const email = "chat-calendar@example.com"
	srv.CreateUser(t, email, "user")
	b.Login(email, Password)
	b.WaitPath("/")
	b.WaitFor("the chat socket open", `document.querySelector('[data-send]') !== null`)

	b.Fill("#chat-input", "add an event Dentist tomorrow at 3pm")
	b.Click("[data-send]")
	b.WaitVisible("[data-tool-call][data-tool-name=create_event][data-tool-status=pending]")
	b.WaitText("[data-tool-summary]", "Add event \u201cDentist\u201d on ")
	tomorrow := time.Now().UTC().AddDate(0, 0, 1).Format(time.DateOnly)
	if got := Eval[string](b, `document.querySelector('[data-tool-field=date]').value + ' ' + document.querySelector('[data-tool-field=start]').value`); got != tomorrow+" 15:00" {
		t.Fatalf("card fields %q", got)
	}
	b.Fill("[data-tool-field=start]", "15:30")
	b.Fill("[data-tool-field=end]", "16:15")
	b.Click("[data-tool-approve]")
	b.WaitText("[data-tool-outcome]", "Added to your calendar")
	b.WaitText("[data-message-role=assistant] .markdown", "I added \u201cDentist\u201d "+tomorrow+" 15:30\u201316:15")

	c := srv.Client(t)
	c.MustLogin(email, Password)
	res := c.Get("/api/v1/calendar/events?from=" + tomorrow + "&to=" + addDaysISO(t, tomorrow, 1))
	var page struct {
		Items []struct{ Title, Start, End string }
	}
	if res.Status != 200 || json.Unmarshal(res.Body, &page) != nil || len(page.Items) != 1 {
		t.Fatalf("events: %s", res)
	}
	if e := page.Items[0]; e.Title != "Dentist" || !strings.HasPrefix(e.Start, tomorrow+"T15:30") || !strings.HasPrefix(e.End, tomorrow+"T16:15") {
		t.Fatalf("event %+v", e)
	}
	// The card links to the calendar, which shows it.
	b.Click("[data-tool-outcome] a[href='/calendar']")
	b.WaitVisible(".ec-next")
	if time.Now().Weekday() == time.Sunday {
		b.Click(".ec-next") // the week shown starts on Monday: tomorrow is in the next one
	}
	b.WaitFor("the event on the calendar", `[...document.querySelectorAll('.ec-event')].some(e => e.textContent.includes('Dentist'))`)
}

// On a phone the calendar opens on the agenda, nothing is wider than the
// screen, and an event opens in the editor; the Connect page fits too.
func TestCalendarOnAPhone(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test")
	}
	srv := StartServer(t)
	b := NewBrowser(t, srv)
	const email = "phone-calendar@example.com"
	srv.CreateUser(t, email, "user")
	c := srv.Client(t)
	c.MustLogin(email, Password)
	res := c.Post("/api/v1/calendar/calendars", map[string]any{"name": "Home", "timezone": "UTC"})
	var cal struct{ ID int64 }
	if res.Status != 201 || json.Unmarshal(res.Body, &cal) != nil {
		t.Fatalf("calendar: %s", res)
	}
	today := time.Now().UTC().Format(time.DateOnly)
	if res := c.Post("/api/v1/calendar/events", map[string]any{"calendar_id": cal.ID, "title": "Swimming with a rather long title that must wrap",
		"start": today + "T18:00", "timezone": "UTC", "rrule": "FREQ=DAILY;COUNT=3"}); res.Status != 201 {
		t.Fatalf("event: %s", res)
	}

	b.Do("phone viewport", chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2), chromedp.EmulateMobile, chromedp.EmulateTouch))
	b.Login(email, Password)
	b.Navigate("/calendar")
	b.WaitFor("the agenda view", `document.querySelector('[data-calendar-view]')?.dataset.calendarView === 'listWeek'`)
	b.WaitFor("the event in the agenda", `[...document.querySelectorAll('.ec-event')].some(e => e.textContent.includes('Swimming'))`)
	fits := func(where string) {
		t.Helper()
		if w := Eval[int](b, `document.documentElement.scrollWidth`); w > 390 {
			b.Screenshot("too-wide-" + where)
			t.Errorf("%s is %d px wide on a 390 px screen", where, w)
		}
	}
	fits("the calendar")

	// Tasks due this week show as chips once asked for, and lead to the tasks page.
	if res := c.Post("/api/v1/tasks", map[string]any{"title": "Pay rent", "due": today}); res.Status != 201 {
		t.Fatalf("task: %s", res)
	}
	if b.Count(".ec-event") != 3 {
		t.Fatalf("%d events before tasks are shown", b.Count(".ec-event"))
	}
	b.Click("[data-show-tasks]")
	b.WaitFor("the task chip", `[...document.querySelectorAll('.ec-event')].some(e => e.textContent.includes('Pay rent'))`)
	b.Exec(`[...document.querySelectorAll('.ec-event')].find(e => e.textContent.includes('Pay rent')).click()`)
	b.WaitFor("the tasks page", `location.pathname === '/tasks' && new URLSearchParams(location.search).get('q') === 'Pay rent'`)
	b.Navigate("/calendar")
	b.WaitFor("the task chip again (the switch is remembered)", `[...document.querySelectorAll('.ec-event')].some(e => e.textContent.includes('Pay rent'))`)
	b.Exec(`[...document.querySelectorAll('.ec-event')].find(e => e.textContent.includes('Swimming')).click()`)
	b.WaitFor("the editor", `document.querySelector('[data-event-editor]').open`)
	if got := Eval[string](b, `document.querySelector('[data-event-editor] [data-field=repeat]').value`); got != "DAILY" {
		t.Errorf("repeat %q, want DAILY", got)
	}
	fits("the editor")
	b.Navigate("/calendar/connect")
	b.WaitText("[data-dav-url]", srv.URL+"/dav/")
	fits("the Connect page")
}

// The calendar list's settings in a real browser: an .ics import with its
// report (one good event, one that cannot be read), a private feed URL
// made, working for a calendar app, rotated (the old one dead) and
// revoked, a feed subscription whose address is refused shown with its
// error, and a calendar renamed and deleted.
func TestCalendarSettingsThroughTheUI(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test")
	}
	srv := StartServer(t)
	b := NewBrowser(t, srv)
	const email = "settings@example.com"
	srv.CreateUser(t, email, "user")
	b.Login(email, Password)
	b.Navigate("/calendar")
	b.WaitVisible("[data-calendar='Personal']")
	b.Click("[data-calendar='Personal'] [data-calendar-settings]")

	ics := filepath.Join(t.TempDir(), "import.ics")
	day := time.Now().UTC().Format("20060102")
	if err := os.WriteFile(ics, []byte("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n"+
		"BEGIN:VEVENT\r\nUID:good@test\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:"+day+"T120000Z\r\nDTEND:"+day+"T130000Z\r\nSUMMARY:Imported lunch\r\nEND:VEVENT\r\n"+
		"BEGIN:VEVENT\r\nUID:bad@test\r\nDTSTAMP:20260101T000000Z\r\nSUMMARY:No start\r\nEND:VEVENT\r\n"+
		"END:VCALENDAR\r\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	b.Do("pick the .ics", chromedp.SetUploadFiles(chromedp.CSS(`[data-import-file]`), []string{ics}, chromedp.NodeReady))
	b.WaitText("[data-import-report]", "1 created")
	if r := b.Text("[data-import-report]"); !strings.Contains(r, "1 could not be read") || !strings.Contains(r, "No start") {
		t.Errorf("import report %q", r)
	}
	b.WaitFor("the imported event drawn", `[...document.querySelectorAll('.ec-event')].some(e => e.textContent.includes('Imported lunch'))`)

	// The private feed URL, for a calendar app with no session.
	feed := func(url string) int {
		res, err := http.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		return res.StatusCode
	}
	b.Click("[data-make-feed]")
	b.WaitVisible("[data-private-feed-url]")
	first := b.Text("[data-private-feed-url]")
	if !strings.HasPrefix(first, srv.URL+"/api/v1/calendar/feed/") || feed(first) != 200 {
		t.Fatalf("feed URL %q", first)
	}
	b.ClickText("[data-make-feed]", "Rotate URL")
	b.WaitFor("a new URL", `document.querySelector('[data-private-feed-url]')?.textContent !== `+js(first))
	second := b.Text("[data-private-feed-url]")
	if feed(first) != 404 || feed(second) != 200 {
		t.Fatalf("after rotating: old %d, new %d", feed(first), feed(second))
	}
	b.Click("[data-revoke-feed]")
	b.WaitGone("[data-revoke-feed]")
	if feed(second) != 404 {
		t.Fatal("a revoked feed URL still answers")
	}

	// A subscription to an address the appliance refuses (loopback): the
	// calendar is there, read-only, with the reason.
	b.Click("[data-add-feed]")
	b.Fill("[data-feed-url]", "http://127.0.0.1:9/never.ics")
	b.Fill("[data-new-calendar-name]", "Refused feed")
	b.Click("[data-add-calendar-submit]")
	b.WaitVisible("[data-calendar='Refused feed']")
	b.Click("[data-calendar='Refused feed'] [data-calendar-settings]")
	b.WaitVisible("[data-calendar='Refused feed'] [data-feed-error]")
	if e := b.Text("[data-calendar='Refused feed'] [data-feed-error]"); !strings.Contains(e, "not allowed") || !strings.Contains(e, "127.0.0.1") {
		t.Errorf("feed error %q", e)
	}
	if b.Count("[data-calendar='Refused feed'] [data-import-file]") != 0 {
		t.Error("a feed calendar offers an import")
	}

	// Rename, then delete.
	b.Click("[data-calendar='Personal'] [data-calendar-settings]")
	b.Fill("[data-calendar='Personal'] input[aria-label=Name]", "Home")
	b.ClickText("[data-calendar='Personal'] button", "Rename")
	b.WaitVisible("[data-calendar='Home'] [data-calendar-panel]") // its settings stay open
	b.ClickText("[data-calendar='Home'] button", "Delete calendar")
	b.ClickText("dialog[open] button", "Delete")
	b.WaitGone("[data-calendar='Home']")
	b.WaitFor("the imported event gone", `![...document.querySelectorAll('.ec-event')].some(e => e.textContent.includes('Imported lunch'))`)
}

// The calendar's pages meet WCAG AA colour contrast (axe-core) in the
// light and the dark theme: the week with events, the editor, a
// calendar's settings and the Connect page.
func TestCalendarContrastLightAndDark(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test")
	}
	axe := axeScript(t)
	srv := StartServer(t)
	b := NewBrowser(t, srv, chromedp.WindowSize(1280, 900))
	const email = "calendar-contrast@example.com"
	srv.CreateUser(t, email, "user")
	c := srv.Client(t)
	c.MustLogin(email, Password)
	res := c.Post("/api/v1/calendar/calendars", map[string]any{"name": "Home", "timezone": "UTC", "colour": "#22c55e"})
	var cal struct{ ID int64 }
	if res.Status != 201 || json.Unmarshal(res.Body, &cal) != nil {
		t.Fatalf("calendar: %s", res)
	}
	today := time.Now().UTC().Format(time.DateOnly)
	for _, e := range []map[string]any{
		{"calendar_id": cal.ID, "title": "Standup", "start": today + "T09:00", "timezone": "UTC", "rrule": "FREQ=DAILY;COUNT=5"},
		{"calendar_id": cal.ID, "title": "Holiday", "start": today, "all_day": true},
	} {
		if res := c.Post("/api/v1/calendar/events", e); res.Status != 201 {
			t.Fatalf("event: %s", res)
		}
	}
	b.Login(email, Password)
	for _, theme := range []string{"light", "dark"} {
		b.Exec(`localStorage.setItem('aiwfe-theme', ` + js(theme) + `)`)
		check := contrastCheck(t, b, axe, theme)
		b.Navigate("/calendar")
		b.WaitFor("the events", `[...document.querySelectorAll('.ec-event')].some(e => e.textContent.includes('Standup'))`)
		b.Click("[data-calendar='Home'] [data-calendar-settings]")
		b.WaitVisible("[data-calendar-panel]")
		check("week")
		b.Exec(`[...document.querySelectorAll('.ec-event')].find(e => e.textContent.includes('Standup')).click()`)
		b.WaitFor("the editor", `document.querySelector('[data-event-editor]').open`)
		check("editor")
		b.Exec(`document.querySelector('[data-event-editor]').close()`)
		b.Navigate("/calendar/connect")
		b.WaitVisible("[data-dav-url]")
		check("connect")
	}
}
