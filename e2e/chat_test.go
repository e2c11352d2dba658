package e2e

import (
	"strings"
	"testing"
)

// Issue #5: the chat dashboard streams replies from the demo model, stops
// one mid-stream, keeps both in the history across a reload, and never runs
// markup a model writes.
func TestChatStreamsStopsAndSanitises(t *testing.T) {
	srv := StartServer(t, Demo)
	b := NewBrowser(t, srv)
	const email = "chat@example.com"
	srv.CreateUser(t, email, "user")
	b.Login(email, Password)
	b.WaitPath("/")
	b.WaitVisible("[data-chat-page]")
	b.WaitFor("the chat socket open", `document.querySelector('[data-send]') !== null`)

	// 1. A reply streams in: part of it shows while the model is still
	// writing (the gate holds the model after three words), and the rest
	// follows when the model goes on.
	srv.Gate.Hold("what can you do", 3)
	b.Fill("#chat-input", "Hello there, what can you do for me today?")
	b.Click("[data-send]")
	b.WaitFor("the first words streamed", `document.querySelector('[data-message-role=assistant][data-status=streaming] .markdown')?.textContent.trim().length > 0`)
	streamed := b.Text(`[data-message-role=assistant] .markdown`)
	if n := b.Count(`[data-message-role=assistant][data-status=streaming]`); n != 1 {
		t.Fatalf("the reply is not streaming while the model writes (%d streaming)", n)
	}
	srv.Gate.Release()
	b.WaitFor("the first reply complete", `[...document.querySelectorAll('[data-message-role=assistant]')].at(-1)?.dataset.status === 'complete'`)
	if full := b.Text(`[data-message-role=assistant] .markdown`); len(full) <= len(streamed) || !strings.HasPrefix(full, strings.TrimSpace(streamed)) {
		t.Fatalf("streamed %q, then the whole reply %q", streamed, full)
	}
	b.WaitText("[data-message-role=assistant] [data-message-meta]", "Demo model")
	b.WaitText("[data-message-role=assistant] [data-message-meta]", "tok/s")
	b.WaitFor("the conversation in the URL", `/^\?c=\d+$/.test(location.search)`)
	convURL := b.Path()
	b.WaitFor("the conversation in the list", `document.querySelectorAll('[data-conversation-id]').length === 1`)

	// 2. Stop a second reply mid-stream: it is kept as partial. The gate
	// holds it after a few words, so the click cannot come too late.
	srv.Gate.Hold("parses a config file", 5)
	defer srv.Gate.Release()
	b.Fill("#chat-input", "Write a Go function that parses a config file, with a test and error handling please")
	b.Click("[data-send]")
	b.WaitFor("the second reply streaming", `(() => { const m = [...document.querySelectorAll('[data-message-role=assistant]')]; return m.length === 2 && m[1].dataset.status === 'streaming' && m[1].textContent.trim().length > 0; })()`)
	b.Click("[data-stop]")
	b.WaitFor("the second reply partial", `[...document.querySelectorAll('[data-message-role=assistant]')].at(-1)?.dataset.status === 'partial'`)
	b.WaitText("[data-message-role=assistant] [data-message-meta]", "Stopped")
	stoppedText := b.Text(`[data-message-role=assistant]:last-of-type .markdown`)

	// 3. Reload: both exchanges are in the history.
	b.Reload()
	b.WaitFor("history after reload", `document.querySelectorAll('[data-message-role=assistant]').length === 2 && document.querySelectorAll('[data-message-role=user]').length === 2`)
	if got := b.Path(); got != convURL {
		t.Errorf("after reload at %s, want %s", got, convURL)
	}
	statuses := Eval[[]string](b, `[...document.querySelectorAll('[data-message-role=assistant]')].map(m => m.dataset.status)`)
	if strings.Join(statuses, ",") != "complete,partial" {
		t.Errorf("statuses after reload %v, want complete, partial", statuses)
	}
	_ = stoppedText

	// 4. Markup in a reply does not run: the demo model quotes the message.
	b.Exec(`window.__pwned = undefined`)
	b.Fill("#chat-input", `<img src=x onerror="window.__pwned=1"> <script>window.__pwned=2</script>`)
	b.Click("[data-send]")
	b.WaitFor("the third reply complete", `(() => { const m = [...document.querySelectorAll('[data-message-role=assistant]')]; return m.length === 3 && m[2].dataset.status === 'complete'; })()`)
	b.WaitText(`[data-message-role=assistant]`, `onerror="window.__pwned=1"`)
	if n := b.Count(`[data-messages] img, [data-messages] script`); n != 0 {
		t.Errorf("%d img/script elements in the messages", n)
	}
	if v := Eval[bool](b, `window.__pwned !== undefined`); v {
		t.Fatal("markup from the model ran")
	}
	// Nothing was even attempted that the CSP had to block: the build has no
	// inline script and the reply no live markup.
	if v := b.CSPViolations(); len(v) > 0 {
		t.Errorf("CSP violations: %v", v)
	}
}

// A dropped chat socket comes back by itself (backoff), and the
// conversation is re-read over REST: a server restart mid-reply leaves the
// reply stored as partial, which the page shows without a reload.
func TestChatReconnectsAfterServerRestart(t *testing.T) {
	srv := StartServer(t, Demo)
	b := NewBrowser(t, srv)
	const email = "reconnect@example.com"
	srv.CreateUser(t, email, "user")
	b.Login(email, Password)
	b.WaitVisible("[data-send]")

	// The gate holds the reply mid-stream until the restart cuts it.
	srv.Gate.Hold("backs up my home folder", 5)
	defer srv.Gate.Release()
	b.Fill("#chat-input", "Write a bash script that backs up my home folder every night, with error handling")
	b.Click("[data-send]")
	b.WaitFor("the reply streaming", `document.querySelector('[data-message-role=assistant][data-status=streaming]')?.textContent.trim().length > 0`)
	b.WaitFor("the conversation in the URL", `/^\?c=\d+$/.test(location.search)`)
	convURL := b.Path()

	srv.Restart(t)

	b.WaitFor("the socket open again", `!!document.querySelector('[data-send]') && !document.querySelector('[data-chat-page] header')?.textContent.includes('Reconnecting')`)
	b.WaitFor("the partial reply re-read from the server", `[...document.querySelectorAll('[data-message-role=assistant]')].at(-1)?.dataset.status === 'partial'`)
	if got := b.Path(); got != convURL {
		t.Errorf("at %s after the reconnect, want %s", got, convURL)
	}

	// The new socket works: another reply completes in the same conversation.
	b.Fill("#chat-input", "Thanks! And how do I restore it?")
	b.Click("[data-send]")
	b.WaitFor("the next reply complete", `(() => { const m = [...document.querySelectorAll('[data-message-role=assistant]')]; return m.length === 2 && m[1].dataset.status === 'complete'; })()`)
	if n := b.Count("[data-conversation-id]"); n != 1 {
		t.Errorf("%d conversations listed, want 1", n)
	}
}
