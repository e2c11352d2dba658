package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/target"
	"github.com/chromedp/chromedp"

	"github.com/aiwfe/aiwfe/app/config"
	"github.com/aiwfe/aiwfe/app/research/researchtest"
)

// Issue #14: research mode in demo mode, against the search stand-in on
// loopback (admitted by [outbound] allow): the reply shows the pages it
// read as citation chips, a chip opens its page in a new tab, and the
// Analyse panel answers by rules under the demo model.
func TestResearchModeSourcesOpenThePage(t *testing.T) {
	sb := researchtest.Start(t)
	srv := StartServer(t, Demo, func(c *config.Config) {
		c.Outbound.Allow = []string{sb.HostPort()}
		c.Search.Enabled, c.Search.Provider, c.Search.BaseURL = true, "searxng", sb.SearXNGURL()
	})
	b := NewBrowser(t, srv)
	const email = "research@example.com"
	srv.CreateUser(t, email, "user")
	b.Login(email, Password)

	b.WaitFor("the chat socket open", `document.querySelector('[data-send]') !== null`)
	b.WaitFor("the Research mode offered", `document.querySelector('#chat-mode option[value=research]') !== null`)
	b.Fill("#chat-mode", "research")
	b.Fill("#chat-input", "How long can a humpback whale song last?")
	b.Click("[data-send]")
	b.WaitFor("the reply complete", `[...document.querySelectorAll('[data-message-role=assistant]')].at(-1)?.dataset.status === 'complete'`)
	b.WaitVisible(`[data-sources] [data-source="1"]`)
	whales := sb.PageURL("whales")
	if got := Eval[string](b, `document.querySelector('[data-source="1"]').getAttribute('href')`); got != whales {
		t.Fatalf("the first chip links to %q, want %q", got, whales)
	}
	if chip := b.Text(`[data-source="1"]`); !strings.Contains(chip, "Whale songs") || !strings.Contains(chip, sb.HostPort()) {
		t.Fatalf("the first chip says %q", chip)
	}
	if Eval[string](b, `document.querySelector('[data-source="1"]').getAttribute('target')`) != "_blank" {
		t.Fatal("a web citation does not open in a new tab")
	}

	// The chip opens the page in a new tab.
	opened := chromedp.WaitNewTarget(b.Ctx(), func(i *target.Info) bool { return i.URL == whales })
	b.Click(`[data-source="1"]`)
	tab, cancel := chromedp.NewContext(b.Ctx(), chromedp.WithTargetID(<-opened))
	defer cancel()
	ctx, stop := context.WithTimeout(tab, 20*time.Second)
	defer stop()
	text, err := chromedp.Run(ctx, chromedp.Text("article"))
	if err != nil {
		t.Fatalf("the opened page: %v", err)
	}
	if !strings.Contains(text, "twenty minutes") {
		t.Fatalf("the opened page says %q", text)
	}

	// Analyse the reply: the demo model cannot, so rules answer and say so.
	b.Click("[data-analyse-toggle]")
	b.Click(`[data-analyse-tool=language]`)
	b.WaitFor("the analysis", `document.querySelector('[data-analyse-method=fallback]') !== null`)
	b.WaitText("[data-analyse-method]", "by rules (no model)")
}
