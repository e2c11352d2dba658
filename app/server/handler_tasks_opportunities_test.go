package server_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aiwfe/aiwfe/app/server/servertest"
)

type opportunityView struct {
	ID       int64  `json:"id"`
	Title    string `json:"title"`
	Due      string `json:"due"`
	Priority string `json:"priority"`
	Status   string `json:"status"`
	Evidence string `json:"evidence"`
	Source   struct {
		Kind           string `json:"kind"`
		ConversationID int64  `json:"conversation_id"`
		MessageID      int64  `json:"message_id"`
		DocumentID     int64  `json:"document_id"`
		Page           int    `json:"page"`
		EventID        int64  `json:"event_id"`
		Title          string `json:"title"`
	} `json:"source"`
	ProposedBy string `json:"proposed_by"`
	TaskID     *int64 `json:"task_id"`
}

type proposedView struct {
	Items      []opportunityView `json:"items"`
	ProposedBy string            `json:"proposed_by"`
	Reason     string            `json:"reason"`
	Duplicates int               `json:"duplicates"`
}

// chatSay sends one message in a new conversation (the demo model replies)
// and returns the conversation's id.
func chatSay(t *testing.T, c *servertest.Client, msg string) int64 {
	t.Helper()
	res := c.Post("/api/v1/chat", map[string]any{"message": msg})
	if res.Status != 200 {
		t.Fatalf("chat: %s", res)
	}
	var v struct {
		ConversationID int64 `json:"conversation_id"`
	}
	res.JSON(t, &v)
	return v.ConversationID
}

func findTasks(t *testing.T, c *servertest.Client, conv int64) proposedView {
	t.Helper()
	res := c.Post(fmt.Sprintf("/api/v1/conversations/%d/opportunities", conv), nil)
	if res.Status != 200 {
		t.Fatalf("find tasks: %s", res)
	}
	var v proposedView
	res.JSON(t, &v)
	return v
}

func listOpportunities(t *testing.T, c *servertest.Client, query string) []opportunityView {
	t.Helper()
	res := c.Get("/api/v1/tasks/opportunities" + query)
	if res.Status != 200 {
		t.Fatalf("list: %s", res)
	}
	var v struct {
		Items []opportunityView `json:"items"`
	}
	res.JSON(t, &v)
	return v.Items
}

// TestOpportunitiesREST: "find tasks in this chat" with the demo model,
// then the inbox, accept (edited) and dismiss, through the real server;
// authorisation on every route.
func TestOpportunitiesREST(t *testing.T) {
	srv := servertest.Start(t)
	c, other := srv.User(t, "user"), srv.User(t, "user")
	if res := c.Put("/api/v1/profile", map[string]any{"timezone": "Europe/Berlin"}); res.Status != 200 {
		t.Fatalf("timezone: %s", res)
	}
	conv := chatSay(t, c, "Busy week. I need to renew my passport. Remember to call the plumber about the leak. Todo: buy stamps.")
	found := findTasks(t, c, conv)
	if found.ProposedBy != "rules" || len(found.Items) != 3 {
		t.Fatalf("found %+v", found)
	}
	pass, plumber, stamps := found.Items[0], found.Items[1], found.Items[2]
	if pass.Title != "Renew my passport" || pass.Evidence != "I need to renew my passport." || pass.Source.Kind != "conversation" ||
		pass.Source.ConversationID != conv || pass.Source.MessageID == 0 || pass.Status != "open" {
		t.Fatalf("first %+v", pass)
	}
	theirConv := chatSay(t, other, "Remember to feed the cat.")
	theirs := findTasks(t, other, theirConv).Items[0]

	o := func(id int64, suffix string) string {
		return fmt.Sprintf("/api/v1/tasks/opportunities/%d%s", id, suffix)
	}
	anon := srv.Client(t)
	for _, sc := range []servertest.Scenario{
		// Signed out: 401 everywhere.
		{Name: "anon list", Client: anon, Method: "GET", Path: "/api/v1/tasks/opportunities", WantStatus: 401},
		{Name: "anon get", Client: anon, Method: "GET", Path: o(pass.ID, ""), WantStatus: 401},
		{Name: "anon accept", Client: anon, Method: "POST", Path: o(pass.ID, "/accept"), WantStatus: 401},
		{Name: "anon dismiss", Client: anon, Method: "POST", Path: o(pass.ID, "/dismiss"), WantStatus: 401},
		{Name: "anon find", Client: anon, Method: "POST", Path: fmt.Sprintf("/api/v1/conversations/%d/opportunities", conv), WantStatus: 401},
		{Name: "anon settings", Client: anon, Method: "GET", Path: "/api/v1/tasks/opportunities/settings", WantStatus: 401},
		{Name: "anon settings put", Client: anon, Method: "PUT", Path: "/api/v1/tasks/opportunities/settings",
			Request: body(map[string]any{"document_collections": []string{}}), WantStatus: 401},
		{Name: "anon parse", Client: anon, Method: "POST", Path: "/api/v1/tasks/parse", Request: body(map[string]any{"text": "x"}), WantStatus: 401},
		{Name: "anon document", Client: anon, Method: "POST", Path: "/api/v1/documents/1/opportunities", WantStatus: 401},

		// Another user's: 404, and nothing changes.
		{Name: "their get", Method: "GET", Path: o(theirs.ID, ""), WantStatus: 404, WantCode: "not_found"},
		{Name: "their accept", Method: "POST", Path: o(theirs.ID, "/accept"), WantStatus: 404, WantCode: "not_found"},
		{Name: "their dismiss", Method: "POST", Path: o(theirs.ID, "/dismiss"), WantStatus: 404, WantCode: "not_found"},
		{Name: "their conversation", Method: "POST", Path: fmt.Sprintf("/api/v1/conversations/%d/opportunities", theirConv), WantStatus: 404},
		{Name: "missing", Method: "POST", Path: o(999999, "/accept"), WantStatus: 404},
		{Name: "not an id", Method: "POST", Path: "/api/v1/tasks/opportunities/abc/accept", WantStatus: 404},
		{Name: "their document", Method: "POST", Path: "/api/v1/documents/999999/opportunities", WantStatus: 404},

		// The list and its filters.
		{Name: "list", Method: "GET", Path: "/api/v1/tasks/opportunities", WantStatus: 200,
			WantContains:    []string{`"total":3`, `"evidence":"Remember to call the plumber about the leak."`, `"proposed_by":"rules"`},
			WantNotContains: []string{"feed the cat"}},
		{Name: "bad status", Method: "GET", Path: "/api/v1/tasks/opportunities?status=later", WantStatus: 400, WantField: "status"},
		{Name: "bad source", Method: "GET", Path: "/api/v1/tasks/opportunities?source=email", WantStatus: 400, WantField: "source"},
		{Name: "per_page too big", Method: "GET", Path: "/api/v1/tasks/opportunities?per_page=101", WantStatus: 400, WantField: "per_page"},
		{Name: "by conversation", Method: "GET", Path: fmt.Sprintf("/api/v1/tasks/opportunities?conversation_id=%d&source=conversation", conv),
			WantStatus: 200, WantContains: []string{`"total":3`}},
		{Name: "get", Method: "GET", Path: o(pass.ID, ""), WantStatus: 200, WantContains: []string{`"title":"Renew my passport"`, `"task_id":null`}},

		// Accept, edited; the edit is checked by the tasks' rules.
		{Name: "accept a bad due", Method: "POST", Path: o(pass.ID, "/accept"), Request: body(map[string]any{"due": "2026-02-30"}),
			WantStatus: 400, WantField: "due"},
		{Name: "accept a bad priority", Method: "POST", Path: o(pass.ID, "/accept"), Request: body(map[string]any{"priority": "p1"}),
			WantStatus: 400, WantField: "priority"},
		{Name: "accept an unknown field", Method: "POST", Path: o(pass.ID, "/accept"), Request: body(map[string]any{"colour": "red"}),
			WantStatus: 400, WantField: "colour"},
		{Name: "accept edited", Method: "POST", Path: o(pass.ID, "/accept"),
			Request:    body(map[string]any{"title": "Renew the passport", "due": "2031-03-01", "priority": "high", "category": "Admin"}),
			WantStatus: 201, WantContains: []string{`"source":"opportunity"`, `"title":"Renew the passport"`, `"due":"2031-03-01"`,
				`"priority":"high"`, fmt.Sprintf(`"opportunity_id":%d`, pass.ID), fmt.Sprintf(`"conversation_id":%d`, conv), `"status":"accepted"`},
			After: func(t *testing.T, c *servertest.Client, res *servertest.Response) {
				var v struct {
					Task struct {
						ID         int64  `json:"id"`
						CategoryID *int64 `json:"category_id"`
					} `json:"task"`
				}
				res.JSON(t, &v)
				task := getTask(t, c, v.Task.ID)
				if task.Title != "Renew the passport" || task.CategoryID == nil {
					t.Fatalf("the task: %+v", task)
				}
			}},
		{Name: "accept again", Method: "POST", Path: o(pass.ID, "/accept"), WantStatus: 409, WantCode: "already_decided"},
		{Name: "dismiss an accepted one", Method: "POST", Path: o(pass.ID, "/dismiss"), WantStatus: 409, WantCode: "already_decided"},
		{Name: "accept as proposed (no body)", Method: "POST", Path: o(plumber.ID, "/accept"), WantStatus: 201,
			WantContains: []string{`"title":"Call the plumber about the leak"`, `"notes":"\u003e Remember to call the plumber about the leak."`}},
		{Name: "dismiss", Method: "POST", Path: o(stamps.ID, "/dismiss"), WantStatus: 200, WantContains: []string{`"status":"dismissed"`}},
		{Name: "dismiss again", Method: "POST", Path: o(stamps.ID, "/dismiss"), WantStatus: 200},
		{Name: "inbox empty", Method: "GET", Path: "/api/v1/tasks/opportunities", WantStatus: 200, WantContains: []string{`"total":0`}},
		{Name: "all", Method: "GET", Path: "/api/v1/tasks/opportunities?status=all", WantStatus: 200, WantContains: []string{`"total":3`}},
	} {
		sc.Run(t, c)
	}
	// Their opportunity is untouched.
	if got := listOpportunities(t, other, ""); len(got) != 1 || got[0].Status != "open" {
		t.Fatalf("theirs: %+v", got)
	}

	// Said again: the dismissed one and the accepted ones (open tasks) are
	// not proposed again; something new is.
	conv2 := chatSay(t, c, "Don't forget to buy stamps! I have to call the plumber about the leak. Remember to water the plants.")
	again := findTasks(t, c, conv2)
	if len(again.Items) != 1 || again.Items[0].Title != "Water the plants" || again.Duplicates != 2 {
		t.Fatalf("again: %+v", again)
	}
}

// TestOpportunitiesFromDocuments: a document ingested into a collection
// the user enabled is read for opportunities in the background; one in
// another collection is not.
func TestOpportunitiesFromDocuments(t *testing.T) {
	srv := servertest.Start(t)
	c := srv.User(t, "user")
	for _, sc := range []servertest.Scenario{
		{Name: "default", Method: "GET", Path: "/api/v1/tasks/opportunities/settings", WantStatus: 200,
			WantContains: []string{`"document_collections":[]`}},
		{Name: "bad type", Method: "PUT", Path: "/api/v1/tasks/opportunities/settings",
			Request: body(map[string]any{"document_collections": "work"}), WantStatus: 400, WantField: "document_collections"},
		{Name: "too long", Method: "PUT", Path: "/api/v1/tasks/opportunities/settings",
			Request: body(map[string]any{"document_collections": []string{strings.Repeat("x", 101)}}), WantStatus: 400, WantField: "document_collections"},
		{Name: "enable", Method: "PUT", Path: "/api/v1/tasks/opportunities/settings",
			Request: body(map[string]any{"document_collections": []string{"work", " work "}}), WantStatus: 200,
			WantContains: []string{`"document_collections":["work"]`}},
	} {
		sc.Run(t, c)
	}
	ws := dialWS(t, srv.URL, "/api/v1/ws/progress", accessTokenOf(t, c))
	poll(t, 5*time.Second, "subscription", func() bool { return srv.App.Hub.Subscribers(mustUserID(t, c)) == 1 })
	private := uploadDocs(t, c, "private", "diary.txt", "Dear diary. I need to repaint the fence.")[0]
	work := uploadDocs(t, c, "work", "minutes.txt", "Meeting minutes.\n\nAction item: send the quarterly report to Anna.\n\nThe budget was approved.")[0]
	// The progress channel says when the work document gave proposals
	// (its ingestion events come first).
	for {
		data := frame(ws.expect("event")["data"].(map[string]any))
		if data.str("type") != "opportunities" {
			continue
		}
		if data.num("document_id") != work.ID || data.num("count") != 1 || data.str("proposed_by") != "rules" {
			t.Fatalf("event %v", data)
		}
		break
	}
	items := listOpportunities(t, c, "?source=document")
	waitDoc(t, c, private.ID, "ready")
	if len(items) != 1 || items[0].Title != "Send the quarterly report to Anna" || items[0].Source.DocumentID != work.ID ||
		items[0].Source.Page != 1 || items[0].Source.Title != "minutes.txt" || items[0].Evidence != "Action item: send the quarterly report to Anna." {
		t.Fatalf("items %+v", items)
	}
	// The private collection was not read; asking for it by hand reads it.
	res := c.Post(fmt.Sprintf("/api/v1/documents/%d/opportunities", private.ID), nil)
	if res.Status != 200 || !strings.Contains(res.String(), `"title":"Repaint the fence"`) {
		t.Fatalf("by hand: %s", res)
	}
	// The work document again by hand: nothing new.
	res = c.Post(fmt.Sprintf("/api/v1/documents/%d/opportunities", work.ID), nil)
	if res.Status != 200 || !strings.Contains(res.String(), `"items":[]`) || !strings.Contains(res.String(), `"duplicates":1`) {
		t.Fatalf("again by hand: %s", res)
	}
}

// TestTasksParse: quick add through the server (the demo model: the rules).
func TestTasksParse(t *testing.T) {
	srv := servertest.Start(t)
	c := srv.User(t, "user")
	if res := c.Put("/api/v1/profile", map[string]any{"timezone": "America/New_York"}); res.Status != 200 {
		t.Fatalf("timezone: %s", res)
	}
	for _, sc := range []servertest.Scenario{
		{Name: "parse", Method: "POST", Path: "/api/v1/tasks/parse", Request: body(map[string]any{"text": "pay rent every 1st of the month #home !high"}),
			WantStatus: 200, WantContains: []string{`"title":"pay rent"`, `"recurrence":"FREQ=MONTHLY;BYMONTHDAY=1"`, `"category":"home"`,
				`"category_id":null`, `"priority":"high"`, `"parsed_by":"rules"`, `"timezone":"America/New_York"`,
				`{"kind":"recurrence","text":"every 1st of the month","start":9,"end":31}`, `"refined":[]`}},
		{Name: "empty", Method: "POST", Path: "/api/v1/tasks/parse", Request: body(map[string]any{"text": " "}), WantStatus: 400, WantField: "text"},
		{Name: "too long", Method: "POST", Path: "/api/v1/tasks/parse", Request: body(map[string]any{"text": strings.Repeat("x", 1001)}),
			WantStatus: 400, WantField: "text"},
		{Name: "unknown field", Method: "POST", Path: "/api/v1/tasks/parse", Request: body(map[string]any{"text": "x", "when": "now"}),
			WantStatus: 400, WantField: "when"},
		{Name: "no body", Method: "POST", Path: "/api/v1/tasks/parse", WantStatus: 400},
	} {
		sc.Run(t, c)
	}
}

// TestOpportunitiesWhenQuiet: with the switch on, a conversation is read
// once it has had no reply for a while; with it off, never.
func TestOpportunitiesWhenQuiet(t *testing.T) {
	srv := servertest.Start(t)
	srv.App.Opportunities.QuietAfter = 50 * time.Millisecond
	on, off := srv.User(t, "user"), srv.User(t, "user")
	for _, sc := range []servertest.Scenario{
		{Name: "off by default", Method: "GET", Path: "/api/v1/tasks/opportunities/settings", WantStatus: 200,
			WantContains: []string{`"conversations_when_quiet":false`}},
		{Name: "collections first", Method: "PUT", Path: "/api/v1/tasks/opportunities/settings",
			Request: body(map[string]any{"document_collections": []string{"work"}}), WantStatus: 200},
		{Name: "turn on, collections stay", Method: "PUT", Path: "/api/v1/tasks/opportunities/settings",
			Request: body(map[string]any{"conversations_when_quiet": true}), WantStatus: 200,
			WantContains: []string{`"conversations_when_quiet":true`, `"document_collections":["work"]`}},
		{Name: "not a boolean", Method: "PUT", Path: "/api/v1/tasks/opportunities/settings",
			Request: body(map[string]any{"conversations_when_quiet": "yes"}), WantStatus: 400, WantField: "conversations_when_quiet"},
	} {
		sc.Run(t, on)
	}
	ws := dialWS(t, srv.URL, "/api/v1/ws/progress", accessTokenOf(t, on))
	poll(t, 5*time.Second, "subscription", func() bool { return srv.App.Hub.Subscribers(mustUserID(t, on)) == 1 })

	// The one with it off speaks first: its wait, had it one, would end first.
	chatSay(t, off, "Remember to feed the cat.")
	conv := chatSay(t, on, "Remember to water the plants.")
	data := frame(ws.expect("event")["data"].(map[string]any))
	if data.str("type") != "opportunities" || data.str("source") != "conversation" || data.num("conversation_id") != conv || data.num("count") != 1 {
		t.Fatalf("event %v", data)
	}
	if got := listOpportunities(t, on, ""); len(got) != 1 || got[0].Title != "Water the plants" {
		t.Fatalf("on: %+v", got)
	}
	if got := listOpportunities(t, off, "?status=all"); len(got) != 0 {
		t.Fatalf("off: %+v", got)
	}
}
