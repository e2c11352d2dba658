package server_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aiwfe/aiwfe/app/config"
	"github.com/aiwfe/aiwfe/app/server/servertest"
)

func TestSeedDemo(t *testing.T) {
	srv := servertest.Start(t, func(c *config.Config) { c.Demo = true })
	creds, err := srv.App.SeedDemo(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !creds.Created || creds.Email != "demo@aiwfe.local" {
		t.Fatalf("%+v", creds)
	}
	// A restart seeds nothing twice (the counts below are checked after
	// the second seed).
	again, err := srv.App.SeedDemo(context.Background())
	if err != nil || again.Password != creds.Password || again.Created {
		t.Fatalf("second seed: %+v %v", again, err)
	}
	c := srv.Client(t)
	c.MustLogin(creds.Email, creds.Password)
	res := c.Get("/api/v1/conversations")
	if res.Status != 200 || !strings.Contains(res.String(), `"total":3`) {
		t.Fatalf("conversations: %s", res)
	}
	demoWork(t, c)
	ws := dialWS(t, srv.URL, "/api/v1/ws/chat", accessTokenOf(t, c))
	ws.send(map[string]any{"type": "send", "message": "hello demo"})
	ws.expect("start")
	if done, toks := ws.until("done"); done["demo"] != true || len(toks) < 3 {
		t.Fatalf("demo reply: %v, %d tokens", done, len(toks))
	}
}

// demoWork checks the demo account's tasks, calendar and opportunities
// through the API: something on every page, once.
func demoWork(t *testing.T, c *servertest.Client) {
	t.Helper()
	var tasks struct {
		Items []struct {
			Title      string `json:"title"`
			Overdue    bool   `json:"overdue"`
			Recurrence string `json:"recurrence"`
			ParentID   *int64 `json:"parent_id"`
			CategoryID *int64 `json:"category_id"`
			Status     string `json:"status"`
		} `json:"items"`
		Total int `json:"total"`
	}
	c.Get("/api/v1/tasks?per_page=100").JSON(t, &tasks)
	var overdue, recurring, subtasks, done int
	cats := map[int64]bool{}
	for _, x := range tasks.Items {
		if x.Overdue {
			overdue++
		}
		if x.Recurrence != "" {
			recurring++
		}
		if x.ParentID != nil {
			subtasks++
		}
		if x.Status == "done" {
			done++
		}
		if x.CategoryID != nil {
			cats[*x.CategoryID] = true
		}
	}
	if tasks.Total != 12 || overdue != 2 || recurring != 2 || subtasks != 2 || done != 1 || len(cats) != 3 {
		t.Fatalf("demo tasks: %d tasks, %d overdue, %d recurring, %d subtasks, %d done, %d categories: %+v",
			tasks.Total, overdue, recurring, subtasks, done, len(cats), tasks.Items)
	}
	var due struct {
		Overdue  []any `json:"overdue"`
		DueToday []any `json:"due_today"`
		Upcoming []any `json:"upcoming"`
	}
	c.Get("/api/v1/tasks/due?days=7").JSON(t, &due)
	if len(due.Overdue) != 2 || len(due.DueToday) != 2 || len(due.Upcoming) < 4 {
		t.Fatalf("demo due: %+v", due)
	}

	var opps struct {
		Items []struct {
			Title  string `json:"title"`
			Source struct {
				Kind    string `json:"kind"`
				EventID int64  `json:"event_id"`
			} `json:"source"`
		} `json:"items"`
	}
	c.Get("/api/v1/tasks/opportunities").JSON(t, &opps)
	kinds := map[string][]string{}
	for _, o := range opps.Items {
		kinds[o.Source.Kind] = append(kinds[o.Source.Kind], o.Title)
	}
	if len(kinds["conversation"]) != 2 || len(kinds["event"]) != 1 || kinds["event"][0] != "Prepare for Budget review with Finance" {
		t.Fatalf("demo opportunities: %v", kinds)
	}
	if res := c.Get("/api/v1/tasks/opportunities/settings"); !strings.Contains(res.String(), `"calendar_events":true`) {
		t.Fatalf("demo opportunity settings: %s", res)
	}

	var cals struct {
		Items []struct {
			ID   int64  `json:"id"`
			Name string `json:"name"`
		} `json:"items"`
	}
	c.Get("/api/v1/calendar/calendars").JSON(t, &cals)
	if len(cals.Items) != 1 || cals.Items[0].Name != "Demo" {
		t.Fatalf("demo calendars: %+v", cals)
	}
	today := time.Now().UTC().Truncate(24 * time.Hour)
	var evs struct {
		Items []struct {
			Title string `json:"title"`
		} `json:"items"`
	}
	res := c.Get("/api/v1/calendar/events?from=" + today.AddDate(0, 0, -7).Format("2006-01-02") + "&to=" + today.AddDate(0, 0, 8).Format("2006-01-02"))
	res.JSON(t, &evs)
	titles := map[string]int{}
	for _, e := range evs.Items {
		titles[e.Title]++
	}
	if titles["Team stand-up"] != 3 || titles["Dentist"] != 1 || titles["Quarterly report due"] != 1 || titles["Yoga"] != 1 || len(evs.Items) != 8 {
		t.Fatalf("demo events this fortnight: %v (%s)", titles, res)
	}
}
