package e2e

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// Issue #12: in demo mode, asking the chat to add a task proposes it on a
// card; the person edits the priority and approves, the task exists (seen
// through the API), the reply says so, and the card keeps its outcome
// across a reload.
func TestChatToolCallConfirmedInTheBrowser(t *testing.T) {
	srv := StartServer(t, Demo)
	b := NewBrowser(t, srv)
	const email = "tools@example.com"
	srv.CreateUser(t, email, "user")
	b.Login(email, Password)
	b.WaitPath("/")
	b.WaitFor("the chat socket open", `document.querySelector('[data-send]') !== null`)
	if !Eval[bool](b, `document.querySelector('[data-use-tools] input').checked`) {
		t.Fatal(`"Use my tasks" is off by default`)
	}

	b.Fill("#chat-input", "add a task to buy milk tomorrow")
	b.Click("[data-send]")
	b.WaitVisible("[data-tool-call][data-tool-status=pending]")
	b.WaitText("[data-tool-summary]", "Create task \u201cBuy milk\u201d due ")
	if got := Eval[string](b, `document.querySelector('[data-tool-field=title]').value`); got != "Buy milk" {
		t.Fatalf("title field %q", got)
	}
	b.Exec(`(() => { const s = document.querySelector('[data-tool-field=priority]'); s.value = 'high'; s.dispatchEvent(new Event('change', { bubbles: true })); })()`)
	b.Click("[data-tool-approve]")
	b.WaitText("[data-tool-outcome]", "Created task #")
	b.WaitFor("the reply complete", `[...document.querySelectorAll('[data-message-role=assistant]')].at(-1)?.dataset.status === 'complete'`)
	b.WaitText("[data-message-role=assistant] .markdown", "I created task #")

	c := srv.Client(t)
	c.Login(email, Password)
	res := c.Get("/api/v1/tasks")
	var page struct {
		Items []struct {
			ID       int64   `json:"id"`
			Title    string  `json:"title"`
			Priority string  `json:"priority"`
			Due      *string `json:"due"`
			Source   string  `json:"source"`
		}
	}
	if res.Status != 200 || json.Unmarshal(res.Body, &page) != nil || len(page.Items) != 1 {
		t.Fatalf("tasks: %s", res)
	}
	task := page.Items[0]
	tomorrow := time.Now().UTC().AddDate(0, 0, 1).Format(time.DateOnly)
	if task.Title != "Buy milk" || task.Priority != "high" || task.Source != "chat" || task.Due == nil || *task.Due != tomorrow {
		t.Fatalf("task %+v (due %v), want Buy milk, high, due %s", task, task.Due, tomorrow)
	}
	if outcome := b.Text("[data-tool-outcome]"); !strings.Contains(outcome, "Created task #"+itoa(int(task.ID))) || !strings.Contains(outcome, "edited by you") {
		t.Fatalf("card outcome %q", outcome)
	}

	// After a reload the stored call shows how it ended.
	b.Reload()
	b.WaitText("[data-tool-call][data-tool-status=done] [data-tool-outcome]", "Created task #"+itoa(int(task.ID)))
	if n := b.Count("[data-tool-approve]"); n != 0 {
		t.Fatalf("%d approve buttons after the call was settled", n)
	}
}
