package e2e

import (
	"strings"
	"testing"

	"github.com/aiwfe/aiwfe/app/config"
)

// A fresh install with no model server: the admin is greeted by a panel
// that says so in a sentence and offers the ways on; "use the demo model
// now" makes chat answer at once, clearly labelled; a plain user is told
// in the chat what happened and who can fix it, with no internal error
// text anywhere.
func TestFirstRunWithoutModelServer(t *testing.T) {
	srv := StartServer(t, func(c *config.Config) {
		c.LLM.Provider = "ollama"
		c.LLM.BaseURL = "http://127.0.0.1:9" // nothing listens
	})

	// A plain user first: no panel, and the failed reply is explained.
	u := NewBrowser(t, srv)
	srv.CreateUser(t, "plain@example.com", "user")
	u.Login("plain@example.com", Password)
	u.WaitVisible("[data-send]")
	if n := u.Count("[data-model-server]"); n != 0 {
		t.Fatal("a plain user sees the model server panel")
	}
	u.Fill("#chat-input", "Hello?")
	u.Click("[data-send]")
	u.WaitText("[data-message-error], [data-composer-error]", "The model server is not answering")
	noInternals(t, u)

	b := NewBrowser(t, srv)
	srv.CreateUser(t, "root@example.com", "superuser")
	b.Login("root@example.com", Password)
	b.WaitText("[data-model-server] [data-ms-message]", "No model server answers at http://127.0.0.1:9.")
	for _, step := range []string{"install", "point", "demo"} {
		b.WaitVisible(`[data-step="` + step + `"]`)
	}
	b.WaitText(`[data-step="install"]`, "ollama pull llama3.2:3b")
	noInternals(t, b)
	b.Screenshot("first-run")

	// Settings → Models says it once, offers no pull that cannot work, and
	// sends the admin to the fix.
	b.Navigate("/settings")
	b.WaitText("[data-model-server-down]", "The model server is not answering")
	b.WaitVisible(`a[href="/admin?tab=model-server"]`)
	if n := b.Count("#pull-model, [data-pull]"); n != 0 {
		t.Errorf("a pull is offered while the model server is down (%d elements)", n)
	}
	if n := b.Count(`[role="alert"]`); n != 1 {
		t.Errorf("%d alerts on Settings, want the one about the model server", n)
	}
	noInternals(t, b)
	b.Navigate("/")
	b.WaitVisible("[data-model-server]")

	// "Change the address" shows the form; a bad address names the field.
	b.Click("[data-ms-edit]")
	b.Fill("#ms-url", "localhost:11434")
	b.Click("[data-ms-save]")
	b.WaitText("[data-ms-form]", "http:// or https://")

	// Use the demo model now: chat answers, labelled as the demo model.
	b.Click("[data-ms-demo]")
	b.WaitText("[data-model-server]", "The built-in demo model answers chats now")
	b.Fill("#chat-input", "Hello")
	b.Click("[data-send]")
	b.WaitFor("the finished demo reply", `[...document.querySelectorAll('[data-message-role="assistant"]')].some(e =>
		e.dataset.status === 'complete' && e.dataset.demo === 'true' && e.textContent.includes('demo model'))`)
	b.WaitText("[data-message-meta]", "Demo model")
	b.Screenshot("demo-reply")
	if text := b.Text("[data-message-meta]"); strings.Contains(text, "llama3.2") {
		t.Fatalf("the demo reply is labelled with a model that did not answer: %q", text)
	}

	// Admin → Model server shows where it comes from and goes back.
	b.Navigate("/admin?tab=model-server")
	b.WaitText("[data-model-server]", "Demo model")
	b.Click("[data-ms-reset]")
	b.WaitText("[data-model-server] [data-ms-message]", "No model server answers")
}

// noInternals fails when the page shows an error chain meant for the log.
func noInternals(t *testing.T, b *Browser) {
	t.Helper()
	body := Eval[string](b, `document.body.innerText`)
	for _, s := range []string{"dial tcp", "connection refused", "/api/version", "/api/chat", "internal error", "upstream"} {
		if strings.Contains(body, s) {
			t.Fatalf("the page shows %q: %s", s, body)
		}
	}
}
