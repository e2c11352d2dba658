package e2e

import (
	"strconv"
	"testing"

	"github.com/chromedp/chromedp"
)

// The conversation list: the title frame names a new chat, search finds a
// conversation by its messages (?q=), pin moves it first, rename and
// delete (after confirming) stick across a reload; regenerate replaces the
// last reply.
func TestConversationListAndRegenerate(t *testing.T) {
	srv := StartServer(t, Demo)
	b := NewBrowser(t, srv)
	const email = "list@example.com"
	srv.CreateUser(t, email, "user")
	b.Login(email, Password)
	b.WaitVisible("[data-send]")

	send := func(text string, replies int) {
		t.Helper()
		b.Fill("#chat-input", text)
		b.Click("[data-send]")
		b.WaitFor("the reply complete", `(() => { const m = [...document.querySelectorAll('[data-message-role=assistant]')]; return m.length === `+itoa(replies)+` && m.at(-1).dataset.status === 'complete'; })()`)
	}
	newChat := func() {
		t.Helper()
		b.Click("[data-new-chat]")
		b.WaitFor("an empty chat", `location.search === '' && document.querySelectorAll('[data-message-role]').length === 0`)
	}

	send("Tell me about zebras and their stripes", 1)
	// The title frame names the conversation (the demo model: the first message, cut).
	b.WaitText("[data-chat-title]", "Tell me about zebras")
	b.WaitText("[data-conversation-id] [data-conversation-title]", "Tell me about zebras")

	// Regenerate: the last reply is replaced, not added.
	before := Eval[string](b, `document.querySelector('[data-message-role=assistant]').dataset.messageId`)
	b.Click("[data-regenerate]")
	b.WaitFor("the regenerated reply", `(() => { const m = [...document.querySelectorAll('[data-message-role=assistant]')]; return m.length === 1 && m[0].dataset.messageId !== `+js(before)+` && m[0].dataset.status === 'complete'; })()`)

	newChat()
	send("Plan my week around the dentist appointment", 1)
	b.WaitFor("two conversations", `document.querySelectorAll('[data-conversation-id]').length === 2`)

	// Search by a word that is only in the first conversation's messages.
	b.Fill("#chat-search", "zebras")
	b.WaitFor("one search hit", `document.querySelectorAll('[data-conversation-id]').length === 1`)
	b.WaitText("[data-conversation-id]", "zebras")
	b.Fill("#chat-search", "")
	b.WaitFor("both again", `document.querySelectorAll('[data-conversation-id]').length === 2`)

	// Pin the older one: it moves to the top.
	first := `[data-conversation-id]:nth-child(2)`
	b.WaitText(first, "zebras")
	b.Click(first + ` button[aria-label^="Pin"]`)
	b.WaitFor("the pinned one first", `document.querySelector('[data-conversation-id]')?.textContent.includes('zebras') && document.querySelector('[data-conversation-id] button[aria-pressed=true]')`)

	// Rename it.
	b.Click(`[data-conversation-id]:first-child button[aria-label^="Rename"]`)
	b.WaitVisible(`[data-conversation-id] input`)
	b.Fill(`[data-conversation-id] input`, "Stripes")
	b.Exec(`document.querySelector('[data-conversation-id] form').requestSubmit()`)
	b.WaitText(`[data-conversation-id]:first-child [data-conversation-title]`, "Stripes")

	// Delete the other one, confirming in the dialog.
	b.Click(`[data-conversation-id]:nth-child(2) button[aria-label^="Delete"]`)
	b.WaitVisible("dialog[open]")
	b.ClickText("dialog[open] button", "Delete")
	b.WaitFor("one conversation left", `document.querySelectorAll('[data-conversation-id]').length === 1`)

	b.Reload()
	b.WaitFor("the list after reload", `document.querySelectorAll('[data-conversation-id]').length === 1`)
	b.WaitText(`[data-conversation-id] [data-conversation-title]`, "Stripes")
	if !Eval[bool](b, `!!document.querySelector('[data-conversation-id] button[aria-pressed=true]')`) {
		t.Error("the pin did not stick")
	}

	// A conversation that does not exist (deleted, another user's) is an
	// error on the page, asked for once, not in a loop.
	b.Navigate("/?c=999999")
	b.WaitFor("the error", `/not found|does not exist/i.test(document.querySelector('[data-messages]')?.textContent ?? '')`)
	b.WaitFor("the list loaded", `document.querySelectorAll('[data-conversation-id]').length === 1`)
	if n := Eval[int](b, `performance.getEntriesByType('resource').filter(e => e.name.includes('/conversations/999999/messages')).length`); n > 2 {
		t.Errorf("the missing conversation was asked for %d times", n)
	}

	// On a phone the list is its own screen: opening a conversation hides it,
	// the back button brings it back.
	b.Do("phone viewport", chromedp.EmulateViewport(390, 800, chromedp.EmulateMobile))
	b.Navigate("/")
	b.WaitVisible("[data-conversation-list]")
	b.WaitFor("the chat hidden", `document.querySelector('#chat-input').getClientRects().length === 0`)
	b.Click(`[data-conversation-id] button[aria-current], [data-conversation-id] > button`)
	b.WaitVisible("#chat-input")
	b.WaitFor("the list hidden", `document.querySelector('[data-conversation-list]').getClientRects().length === 0`)
	b.WaitFor("the messages", `document.querySelectorAll('[data-message-role=assistant]').length === 1`)
	b.Click(`button[aria-label="Show conversations"]`)
	b.WaitVisible("[data-conversation-list]")
}

func itoa(n int) string {
	return strconv.Itoa(n)
}
