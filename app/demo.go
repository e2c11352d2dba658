package app

import (
	"context"
	"fmt"
	"time"

	"github.com/aiwfe/aiwfe/app/calendar"
	"github.com/aiwfe/aiwfe/app/chat"
	"github.com/aiwfe/aiwfe/app/opportunities"
	"github.com/aiwfe/aiwfe/app/tasks"
	"github.com/aiwfe/aiwfe/store"
)

// demoWorkSeededKey marks in settings that the demo account's tasks,
// calendar and opportunities were made, so a restart never makes them
// twice (nor again after the user deleted them).
const demoWorkSeededKey = "demo.seeded.work"

// SeedDemo prepares `aiwfe serve --demo`: the demo account and its
// conversations (see chat.SeedDemo), then its tasks, calendar and
// opportunities (seedDemoWork), so every page has something to show. Print
// the credentials it returns.
func (a *App) SeedDemo(ctx context.Context) (*chat.DemoCredentials, error) {
	creds, err := chat.SeedDemo(ctx, a.Chat, a.Auth, a.Config.Data.Dir)
	if err != nil {
		return creds, err
	}
	if err := a.seedDemoWork(ctx); err != nil {
		// The account and its conversations are the demo; a page left
		// empty is no reason not to start.
		a.Log.Error("demo: seeding tasks, calendar and opportunities", "err", err)
	}
	return creds, nil
}

// seedDemoWork gives the demo account, through the services (so the data
// is what the API makes), task categories and tasks around today (overdue,
// today, this week, later, one recurring, one with a subtask, one done), a
// calendar with a few events around now (a weekly series among them), and
// opportunities from the seeded planning conversation and from an event,
// which the rules make deterministically. Calendar events the user makes
// later propose their preparation (the switch is on for the demo).
func (a *App) seedDemoWork(ctx context.Context) error {
	done, err := store.SettingExists(ctx, a.Store.DB, demoWorkSeededKey)
	if err != nil || done {
		return err
	}
	u, err := store.UserByEmail(ctx, a.Store.DB, chat.DemoEmail)
	if err != nil {
		return err
	}
	// Marked first: the services write one by one, so a seed that fails
	// half-way is not tried again over what it made (a restart would
	// duplicate it, or stop at the first name taken).
	if err := store.SetSetting(ctx, a.Store.DB, demoWorkSeededKey, "true", a.now()); err != nil {
		return err
	}
	loc, err := time.LoadLocation(u.Timezone)
	if err != nil {
		loc = time.UTC
	}
	now := a.now().In(loc)
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, loc)
	day := func(n int) string { return today.AddDate(0, 0, n).Format("2006-01-02") }

	cats := map[string]int64{}
	for _, c := range []struct {
		name, colour string
		weight       float64
	}{{"Work", "#2563eb", 3}, {"Home", "#16a34a", 1}, {"Health", "#dc2626", 2}} {
		w := c.weight
		v, err := a.Tasks.CreateCategory(ctx, u.ID, tasks.CategoryInput{Name: c.name, Colour: c.colour, Weight: &w})
		if err != nil {
			return err
		}
		cats[c.name] = v.ID
	}
	mins := func(n int) *int { return &n }
	type demoTask struct {
		in       tasks.Input
		category string
		subtasks []tasks.Input
	}
	for _, t := range []demoTask{
		{in: tasks.Input{Title: "Send the invoice to Acme", Priority: "high", Due: day(-2), Tags: []string{"billing"}}, category: "Work"},
		{in: tasks.Input{Title: "Renew the car insurance", Priority: "medium", Due: day(-1)}, category: "Home"},
		{in: tasks.Input{Title: "Review Sam's pull request", Priority: "high", Due: day(0), EstimatedMinutes: mins(30)}, category: "Work"},
		{in: tasks.Input{Title: "Book a physio appointment", Due: day(0)}, category: "Health"},
		{in: tasks.Input{Title: "Prepare the slides for the client workshop", Priority: "medium", Due: day(3), EstimatedMinutes: mins(120),
			Notes: "Keep it to **ten slides**: the problem, three options, the plan."}, category: "Work",
			subtasks: []tasks.Input{{Title: "Draft the outline", Due: day(1)}, {Title: "Ask Priya for the figures", Due: day(2)}}},
		{in: tasks.Input{Title: "Water the plants", Due: day(1), Recurrence: "FREQ=WEEKLY"}, category: "Home"},
		{in: tasks.Input{Title: "Go for a run", Due: day(2), Recurrence: "FREQ=DAILY;INTERVAL=2", Tags: []string{"outdoors"}}, category: "Health"},
		{in: tasks.Input{Title: "Plan the team offsite", Priority: "low", Due: day(12)}, category: "Work"},
		{in: tasks.Input{Title: "Read \"Deep Work\"", Priority: "low"}, category: "Home"},
		{in: tasks.Input{Title: "Set up the demo", Status: tasks.StatusDone}},
	} {
		if t.category != "" {
			id := cats[t.category]
			t.in.CategoryID = &id
		}
		parent, err := a.Tasks.Create(ctx, u.ID, t.in)
		if err != nil {
			return fmt.Errorf("task %q: %w", t.in.Title, err)
		}
		for _, st := range t.subtasks {
			st.ParentID, st.CategoryID = &parent.ID, t.in.CategoryID
			if _, err := a.Tasks.Create(ctx, u.ID, st); err != nil {
				return fmt.Errorf("subtask %q: %w", st.Title, err)
			}
		}
	}

	str := func(s string) *string { return &s }
	zone := u.Timezone
	cal, err := a.Calendar.CreateCalendar(ctx, u.ID, calendar.CalendarInput{Name: str("Demo"), Colour: str("#7c3aed"), Timezone: &zone})
	if err != nil {
		return err
	}
	at := func(n, hour, minute int) *string {
		d := today.AddDate(0, 0, n)
		return str(time.Date(d.Year(), d.Month(), d.Day(), hour, minute, 0, 0, loc).Format("2006-01-02T15:04"))
	}
	type demoEvent struct {
		in        calendar.EventInput
		opportune bool // propose its preparation
	}
	var review *calendar.Event
	for _, e := range []demoEvent{
		// A weekly series that began a month ago on today's weekday: past
		// and coming instances in the month view.
		{in: calendar.EventInput{Title: str("Team stand-up"), Start: at(-28, 9, 30), End: at(-28, 9, 45), RRule: str("FREQ=WEEKLY"),
			Location: str("Video call"), Category: str("Work")}},
		{in: calendar.EventInput{Title: str("Lunch with Alex"), Start: at(1, 12, 30), End: at(1, 13, 30), Location: str("Café Central")}},
		{in: calendar.EventInput{Title: str("Dentist"), Start: at(2, 14, 0), Reminders: &[]int{60}}},
		{in: calendar.EventInput{Title: str("Budget review with Finance"), Start: at(4, 10, 0), End: at(4, 11, 30), Category: str("Work"), Weight: intp(3)}, opportune: true},
		{in: calendar.EventInput{Title: str("Quarterly report due"), AllDay: boolp(true), Start: str(day(5))}},
		{in: calendar.EventInput{Title: str("Yoga"), Start: at(-3, 18, 0), End: at(-3, 19, 0)}},
	} {
		e.in.CalendarID = &cal.ID
		ev, err := a.Calendar.CreateEvent(ctx, u.ID, e.in)
		if err != nil {
			return fmt.Errorf("event %q: %w", *e.in.Title, err)
		}
		if e.opportune {
			review = ev
		}
	}

	// Opportunities, by the rules (what the demo model stands for): from
	// the conversations (only the planning one says what the person
	// must do) and from the budget review.
	convs, err := a.Chat.Conversations(ctx, u.ID, "", 1, 20)
	if err != nil {
		return err
	}
	for _, c := range convs.Items {
		if _, err := a.Opportunities.FromConversation(ctx, u.ID, c.ID); err != nil {
			return fmt.Errorf("opportunities of %q: %w", c.Title, err)
		}
	}
	if review != nil {
		start, err := time.Parse(time.RFC3339, review.Start)
		if err != nil {
			return err
		}
		if _, err := a.Opportunities.FromEvent(ctx, u.ID, opportunities.Event{ID: review.ID, Title: review.Title, Start: start}); err != nil {
			return err
		}
	}
	on := true
	_, err = a.Opportunities.SetSettings(ctx, u.ID, opportunities.SettingsPatch{CalendarEvents: &on})
	return err
}

func intp(n int) *int    { return &n }
func boolp(b bool) *bool { return &b }
