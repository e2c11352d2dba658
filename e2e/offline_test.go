package e2e

import (
	"testing"
	"time"
)

// The UI keeps working, read-only, while the API is briefly
// unreachable. The server is stopped for real (connections are refused, as
// when the appliance restarts): a reload still shows the app (the service
// worker's shell, the session and answers kept in the tab's sessionStorage),
// client-side navigation shows what was loaded before, an offline banner
// says so, sending and saving are refused with the reason, and the banner
// goes once the server is back. Logout forgets what was kept.
func TestOfflineReadOnly(t *testing.T) {
	srv := StartServer(t, Demo)
	b := NewBrowser(t, srv)
	const email = "offline@example.com"
	srv.CreateUser(t, email, "user")
	b.Login(email, Password)
	b.WaitVisible("[data-send]")

	// A conversation with messages, and the profile page, loaded while online.
	b.Fill("#chat-input", "Tell me about zebras and their stripes")
	b.Click("[data-send]")
	b.WaitFor("the reply complete", `(() => { const m = [...document.querySelectorAll('[data-message-role=assistant]')]; return m.length === 1 && m[0].dataset.status === 'complete'; })()`)
	b.WaitFor("the conversation in the URL", `location.search.startsWith('?c=')`)
	chat := b.Path()
	replyText := `(() => { const e = document.querySelector('[data-message-role=assistant]')?.cloneNode(true); e?.querySelector('[data-message-meta]')?.remove(); return (e?.textContent ?? '').replace(/\s+/g, ' ').trim(); })()`
	reply := Eval[string](b, replyText)
	if len(reply) < 20 {
		t.Fatalf("the reply is too short to compare: %q", reply)
	}
	b.Navigate("/profile")
	b.WaitText("main", email)
	b.Navigate(chat)
	b.WaitFor("the messages", `document.querySelectorAll('[data-message-role=assistant]').length === 1`)
	b.WaitFor("the service worker in control (the shell opens offline)", `navigator.serviceWorker.controller !== null`)
	kept := `Object.keys(sessionStorage).filter(k => k.startsWith('aiwfe.kept:'))`
	b.WaitFor("the answers kept", kept+`.some(k => k.includes('/messages'))`)
	if bad := Eval[[]string](b, kept+`.filter(k => /csrf-token|refresh/.test(k))`); len(bad) > 0 {
		t.Errorf("kept answers of auth endpoints: %v", bad)
	}
	if Eval[bool](b, `!!document.querySelector('[data-testid=offline-banner]')`) {
		t.Fatal("the offline banner shows while the server answers")
	}

	// The server goes away; a reload still shows the app, read-only.
	srv.stop()
	b.Reload()
	b.WaitVisible("[data-testid=offline-banner]")
	b.WaitText("[data-testid=offline-banner]", "Offline — showing what was loaded before. Changes are paused until the server is back.")
	if role := Eval[string](b, `document.querySelector('[data-testid=offline-banner]').getAttribute('role')`); role != "status" {
		t.Errorf("banner role = %q, want status", role)
	}
	b.WaitText("[data-conversation-id] [data-conversation-title]", "zebras")
	b.WaitText("[data-message-role=user]", "Tell me about zebras and their stripes")
	b.WaitFor("the reply", replyText+` === `+js(reply))
	if Eval[bool](b, `document.body.textContent.includes('Cannot check your session')`) {
		t.Fatal("the reload during the outage lost the session")
	}

	// Sending is refused, and says why; the draft stays.
	b.WaitText("[data-composer-offline]", "Offline: sending is paused until the server is back.")
	b.Fill("#chat-input", "Are you still there?")
	if !Eval[bool](b, `document.querySelector('[data-send]').disabled`) {
		t.Error("Send is enabled while offline")
	}
	b.Exec(`document.querySelector('#chat-input').dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', bubbles: true, cancelable: true }))`)
	b.WaitText("[data-composer-error]", "your message was not sent")
	b.WaitText("[data-composer-error]", "Sending is paused until the server is back")
	if v := Eval[string](b, `document.querySelector('#chat-input').value`); v != "Are you still there?" {
		t.Errorf("draft after a refused send = %q", v)
	}

	// Navigating in the app: a new chat, back to the conversation, the profile.
	b.Click("[data-new-chat]")
	b.WaitFor("an empty chat", `location.search === '' && document.querySelectorAll('[data-message-role]').length === 0`)
	b.Click(`[data-conversation-id] > button`)
	b.WaitFor("the conversation again", `location.pathname + location.search === `+js(chat)+` && document.querySelectorAll('[data-message-role=assistant]').length === 1`)
	b.Click(`aside nav a[href="/profile"]`)
	b.WaitPath("/profile")
	b.WaitText("main", email)
	b.WaitVisible("[data-testid=offline-banner]")
	// Saving is refused with the reason.
	b.Click(`#preferences form button[type=submit]`)
	b.WaitText("main", "changes are paused while offline")

	// The server is back: the banner goes by itself, the chat can send again.
	srv.start(t)
	b.WaitForWithin(30*time.Second, "the banner gone", `!document.querySelector('[data-testid=offline-banner]')`)
	b.Navigate(chat)
	b.Fill("#chat-input", "Back again")
	b.Click("[data-send]")
	b.WaitFor("the second reply", `(() => { const m = [...document.querySelectorAll('[data-message-role=assistant]')]; return m.length === 2 && m[1].dataset.status === 'complete'; })()`)

	// Logout forgets every kept answer of this tab.
	if n := Eval[int](b, kept+`.length`); n == 0 {
		t.Fatal("nothing kept before logout")
	}
	b.Click(`aside button[aria-haspopup=menu]`)
	b.ClickText(`aside [role=menuitem]`, "Sign out")
	b.WaitPath("/login")
	if left := Eval[[]string](b, `Object.keys(sessionStorage).filter(k => k.startsWith('aiwfe.kept'))`); len(left) > 0 {
		t.Errorf("kept answers left after logout: %v", left)
	}
}
