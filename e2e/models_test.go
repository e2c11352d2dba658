package e2e

import (
	"testing"
	"time"

	"github.com/aiwfe/aiwfe/app/config"
	"github.com/aiwfe/aiwfe/app/llm/llmtest"
)

// Issue #5 against an Ollama stand-in: a missing model is an inline error
// that sends the person to Settings → Models; pulling (an administrator's)
// shows progress and errors, and is not offered to a plain user; markup in
// the model's own reply never runs.
func TestModelsPullAndModelErrors(t *testing.T) {
	ollama := llmtest.NewOllama(t,
		llmtest.WithModels("tiny"),
		llmtest.WithPullable("llama3.2:3b"),
		llmtest.WithTokenDelay(150*time.Millisecond), // pull progress events are at least 200 ms apart,
		llmtest.WithReply("Look: ", `<img src=x onerror="window.__pwned=1">`, " and ", "<script>window.__pwned=2</script>", " done."),
	)
	srv := StartServer(t, func(c *config.Config) {
		c.LLM.Provider = "ollama"
		c.LLM.BaseURL = ollama.URL
	})
	// A plain user is not offered pulling (administrators only, by default).
	u := NewBrowser(t, srv)
	srv.CreateUser(t, "plain@example.com", "user")
	u.Login("plain@example.com", Password)
	u.WaitVisible("[data-send]")
	u.Navigate("/settings")
	u.WaitText("[data-models]", "tiny")
	u.WaitVisible("[data-pull-refused]")
	if n := u.Count("#pull-model, [data-pull]"); n != 0 {
		t.Errorf("a user who cannot pull is offered the pull form (%d elements)", n)
	}

	b := NewBrowser(t, srv)
	const email = "models@example.com"
	srv.CreateUser(t, email, "admin")
	b.Login(email, Password)
	b.WaitVisible("[data-send]")

	// The default model (llama3.2:3b) is not installed: the error says what to do.
	b.Fill("#chat-input", "Hello")
	b.Click("[data-send]")
	b.WaitText("[data-message-error], [data-composer-error]", "Settings → Models")
	b.ClickText("a", "Open Settings → Models")
	b.WaitPath("/settings")
	b.WaitText("[data-ollama-health]", "Healthy")
	b.WaitText("[data-models]", "tiny")

	// An unknown model fails with the model server's reason.
	b.Fill("#pull-model", "no-such-model")
	b.Click("[data-pull]")
	b.WaitFor("the failed pull", `document.querySelector('[data-pull-model="no-such-model"]')?.dataset.pullStatus === 'error'`)
	b.WaitText(`[data-pull-model="no-such-model"] [data-pull-error]`, "no-such-model")

	// A known one shows progress over the progress socket, then is installed.
	b.Fill("#pull-model", "llama3.2:3b")
	b.Click("[data-pull]")
	b.WaitFor("pull progress", `(() => { const v = Number(document.querySelector('[data-pull-model="llama3.2:3b"] [role=progressbar]')?.getAttribute('aria-valuenow')); return v > 0 && v < 100; })()`)
	b.WaitFor("the pull done", `document.querySelector('[data-pull-model="llama3.2:3b"]')?.dataset.pullStatus === 'success'`)
	b.WaitText("[data-models]", "llama3.2:3b")

	// Now the chat works, and the model's markup is shown as text only.
	b.Exec(`window.__pwned = undefined`)
	b.Navigate("/")
	b.WaitVisible("[data-send]")
	b.WaitFor("the model in the picker", `[...document.querySelectorAll('#chat-model option')].some(o => o.value === 'llama3.2:3b:latest' || o.value === 'llama3.2:3b')`)
	b.Fill("#chat-input", "Show me an image")
	b.Click("[data-send]")
	b.WaitFor("the reply complete", `[...document.querySelectorAll('[data-message-role=assistant]')].at(-1)?.dataset.status === 'complete'`)
	b.WaitText("[data-message-role=assistant]", `<img src=x onerror="window.__pwned=1">`)
	if n := b.Count(`[data-messages] img, [data-messages] script`); n != 0 {
		t.Errorf("%d img/script elements in the messages", n)
	}
	if Eval[bool](b, `window.__pwned !== undefined`) {
		t.Fatal("markup from the model ran")
	}
	if Eval[bool](b, `!!document.querySelector('[data-message-role=assistant][data-demo]')`) {
		t.Error("a real model's reply is badged as the demo model")
	}
}
