package server_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aiwfe/aiwfe/app/server/servertest"
)

// mkTask creates a task and returns its id, failing unless 201.
func mkTask(t *testing.T, c *servertest.Client, body map[string]any) int64 {
	t.Helper()
	return mkID(t, c, "/api/v1/tasks", body)
}

// mkCategory creates a category and returns its id.
func mkCategory(t *testing.T, c *servertest.Client, name string) int64 {
	t.Helper()
	return mkID(t, c, "/api/v1/tasks/categories", map[string]any{"name": name})
}

func mkID(t *testing.T, c *servertest.Client, path string, body map[string]any) int64 {
	t.Helper()
	res := c.Post(path, body)
	if res.Status != 201 {
		t.Fatalf("POST %s %v: %s", path, body, res)
	}
	var v struct {
		ID int64 `json:"id"`
	}
	res.JSON(t, &v)
	return v.ID
}

type taskView struct {
	ID          int64      `json:"id"`
	Title       string     `json:"title"`
	Status      string     `json:"status"`
	Due         *string    `json:"due"`
	AllDay      bool       `json:"all_day"`
	CategoryID  *int64     `json:"category_id"`
	NextTaskID  *int64     `json:"next_task_id"`
	CompletedAt *time.Time `json:"completed_at"`
	Recurrence  string     `json:"recurrence"`
	Tags        []string   `json:"tags"`
}

func getTask(t *testing.T, c *servertest.Client, id int64) taskView {
	t.Helper()
	res := c.Get(fmt.Sprintf("/api/v1/tasks/%d", id))
	if res.Status != 200 {
		t.Fatalf("get task %d: %s", id, res)
	}
	var v taskView
	res.JSON(t, &v)
	return v
}

func body(m map[string]any) servertest.Request { return servertest.Request{JSON: m} }

func TestTasksREST(t *testing.T) {
	srv := servertest.Start(t)
	c, other := srv.User(t, "user"), srv.User(t, "user")
	if res := c.Put("/api/v1/profile", map[string]any{"timezone": "Europe/Berlin"}); res.Status != 200 {
		t.Fatalf("timezone: %s", res)
	}
	home := mkCategory(t, c, "Home")
	otherCat := mkCategory(t, other, "Theirs")
	otherTask := mkTask(t, other, map[string]any{"title": "not yours"})
	parent := mkTask(t, c, map[string]any{"title": "Plan the trip", "notes": "Book **trains** and hotels", "priority": "high",
		"due": "2031-05-10", "tags": []string{"Travel", "#family", "travel"}, "category_id": home})
	sub := mkTask(t, c, map[string]any{"title": "Book the train", "parent_id": parent, "due": "2031-05-01T09:30"})
	p := func(id int64) string { return fmt.Sprintf("/api/v1/tasks/%d", id) }
	long := strings.Repeat("x", 501)

	for _, sc := range []servertest.Scenario{
		{Name: "get", Method: "GET", Path: p(parent), WantStatus: 200, WantContains: []string{
			`"title":"Plan the trip"`, `"due":"2031-05-10"`, `"all_day":true`, `"priority":"high"`, `"tags":["family","travel"]`,
			fmt.Sprintf(`"category_id":%d`, home), `"subtask_count":1`, `"source":"manual"`, `"source_ref":{}`, `"status":"todo"`,
			// The start of the day in Berlin (CEST): 22:00 UTC the day before.
			`"due_at":"2031-05-09T22:00:00Z"`}},
		{Name: "date-time in the user's zone", Method: "GET", Path: p(sub), WantStatus: 200,
			WantContains: []string{`"due":"2031-05-01T09:30:00+02:00"`, `"all_day":false`, fmt.Sprintf(`"parent_id":%d`, parent)}},
		{Name: "date-time with an offset", Method: "POST", Path: "/api/v1/tasks",
			Request: body(map[string]any{"title": "Call", "due": "2031-01-15T08:00:00Z", "estimated_minutes": 15, "source": "chat",
				"source_ref": map[string]any{"conversation_id": 7, "message_id": 9}}),
			WantStatus: 201, WantContains: []string{`"due":"2031-01-15T09:00:00+01:00"`, `"estimated_minutes":15`, `"source":"chat"`,
				`"source_ref":{"conversation_id":7,"message_id":9}`}},

		// Validation.
		{Name: "no title", Method: "POST", Path: "/api/v1/tasks", Request: body(map[string]any{"title": "  "}), WantStatus: 400, WantField: "title"},
		{Name: "title too long", Method: "POST", Path: "/api/v1/tasks", Request: body(map[string]any{"title": long}), WantStatus: 400, WantField: "title"},
		{Name: "title on two lines", Method: "POST", Path: "/api/v1/tasks", Request: body(map[string]any{"title": "a\nb"}), WantStatus: 400, WantField: "title"},
		{Name: "unknown status", Method: "POST", Path: "/api/v1/tasks", Request: body(map[string]any{"title": "x", "status": "later"}), WantStatus: 400, WantField: "status"},
		{Name: "unknown priority", Method: "POST", Path: "/api/v1/tasks", Request: body(map[string]any{"title": "x", "priority": "p1"}), WantStatus: 400, WantField: "priority"},
		{Name: "bad date", Method: "POST", Path: "/api/v1/tasks", Request: body(map[string]any{"title": "x", "due": "2031-02-30"}), WantStatus: 400, WantField: "due"},
		{Name: "bad date-time", Method: "POST", Path: "/api/v1/tasks", Request: body(map[string]any{"title": "x", "due": "tomorrow"}), WantStatus: 400, WantField: "due"},
		{Name: "date out of range", Method: "POST", Path: "/api/v1/tasks", Request: body(map[string]any{"title": "x", "due": "0001-01-01"}), WantStatus: 400, WantField: "due"},
		{Name: "negative estimate", Method: "POST", Path: "/api/v1/tasks", Request: body(map[string]any{"title": "x", "estimated_minutes": -5}), WantStatus: 400, WantField: "estimated_minutes"},
		{Name: "estimate not a number", Method: "POST", Path: "/api/v1/tasks", Request: body(map[string]any{"title": "x", "estimated_minutes": "5"}), WantStatus: 400, WantField: "estimated_minutes"},
		{Name: "bad source", Method: "POST", Path: "/api/v1/tasks", Request: body(map[string]any{"title": "x", "source": "email"}), WantStatus: 400, WantField: "source"},
		{Name: "nested source_ref", Method: "POST", Path: "/api/v1/tasks", Request: body(map[string]any{"title": "x", "source_ref": map[string]any{"a": map[string]any{}}}), WantStatus: 400, WantField: "source_ref"},
		{Name: "empty tag", Method: "POST", Path: "/api/v1/tasks", Request: body(map[string]any{"title": "x", "tags": []string{" "}}), WantStatus: 400, WantField: "tags"},
		{Name: "unknown field", Method: "POST", Path: "/api/v1/tasks", Request: body(map[string]any{"title": "x", "colour": "red"}), WantStatus: 400, WantField: "colour"},
		{Name: "bad rule", Method: "POST", Path: "/api/v1/tasks", Request: body(map[string]any{"title": "x", "due": "2031-01-01", "recurrence": "FREQ=HOURLY"}), WantStatus: 400, WantField: "recurrence"},
		{Name: "COUNT refused", Method: "POST", Path: "/api/v1/tasks", Request: body(map[string]any{"title": "x", "due": "2031-01-01", "recurrence": "FREQ=DAILY;COUNT=3"}), WantStatus: 400, WantField: "recurrence"},
		{Name: "rule that never falls", Method: "POST", Path: "/api/v1/tasks", Request: body(map[string]any{"title": "x", "due": "2031-01-01", "recurrence": "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30"}), WantStatus: 400, WantField: "recurrence"},
		{Name: "rule already ended", Method: "POST", Path: "/api/v1/tasks", Request: body(map[string]any{"title": "x", "due": "2031-01-01", "recurrence": "FREQ=DAILY;UNTIL=20301231"}), WantStatus: 400, WantField: "recurrence"},
		{Name: "rule without due", Method: "POST", Path: "/api/v1/tasks", Request: body(map[string]any{"title": "x", "recurrence": "FREQ=DAILY"}), WantStatus: 400, WantField: "recurrence"},
		{Name: "another user's category", Method: "POST", Path: "/api/v1/tasks", Request: body(map[string]any{"title": "x", "category_id": otherCat}), WantStatus: 400, WantField: "category_id"},
		{Name: "another user's parent", Method: "POST", Path: "/api/v1/tasks", Request: body(map[string]any{"title": "x", "parent_id": otherTask}), WantStatus: 400, WantField: "parent_id"},
		{Name: "a subtask's subtask", Method: "POST", Path: "/api/v1/tasks", Request: body(map[string]any{"title": "x", "parent_id": sub}), WantStatus: 400, WantField: "parent_id"},
		{Name: "own parent", Method: "PATCH", Path: p(parent), Request: body(map[string]any{"parent_id": parent}), WantStatus: 400, WantField: "parent_id"},
		{Name: "a parent under its subtask (cycle)", Method: "PATCH", Path: p(parent), Request: body(map[string]any{"parent_id": sub}), WantStatus: 400, WantField: "parent_id"},
		{Name: "a task with subtasks cannot become one", Method: "PATCH", Path: p(parent),
			Request: body(map[string]any{"parent_id": mkTask(t, c, map[string]any{"title": "top"})}), WantStatus: 400, WantField: "parent_id"},
		{Name: "patch to another user's category", Method: "PATCH", Path: p(sub), Request: body(map[string]any{"category_id": otherCat}), WantStatus: 400, WantField: "category_id"},
		{Name: "patch under another user's task", Method: "PATCH", Path: p(sub), Request: body(map[string]any{"parent_id": otherTask}), WantStatus: 400, WantField: "parent_id"},
		{Name: "source_ref too large", Method: "POST", Path: "/api/v1/tasks", Request: body(map[string]any{"title": "x", "source_ref": map[string]any{"quote": strings.Repeat("q", 2100)}}), WantStatus: 400, WantField: "source_ref"},
		{Name: "source_ref not an object", Method: "POST", Path: "/api/v1/tasks", Request: body(map[string]any{"title": "x", "source_ref": []int{1}}), WantStatus: 400, WantField: "source_ref"},
		{Name: "too many tags", Method: "POST", Path: "/api/v1/tasks", Request: body(map[string]any{"title": "x", "tags": strings.Split("a b c d e f g h i j k l m n o p q r s t u", " ")}), WantStatus: 400, WantField: "tags"},
		{Name: "position not finite", Method: "POST", Path: "/api/v1/tasks", Request: servertest.Request{JSON: `{"title":"x","position":1e400}`}, WantStatus: 400},
		{Name: "explicit position", Method: "POST", Path: "/api/v1/tasks", Request: body(map[string]any{"title": "between", "position": 1.5}),
			WantStatus: 201, WantContains: []string{`"position":1.5`}},
		{Name: "patch bad status", Method: "PATCH", Path: p(sub), Request: body(map[string]any{"status": "DONE"}), WantStatus: 400, WantField: "status"},
		{Name: "patch null title", Method: "PATCH", Path: p(sub), Request: body(map[string]any{"title": nil}), WantStatus: 400, WantField: "title"},
		{Name: "patch not an object", Method: "PATCH", Path: p(sub), Request: servertest.Request{JSON: `[1]`}, WantStatus: 400},

		// Changes.
		{Name: "start", Method: "PATCH", Path: p(sub), Request: body(map[string]any{"status": "in_progress", "estimated_minutes": 30}),
			WantStatus: 200, WantContains: []string{`"status":"in_progress"`, `"estimated_minutes":30`, `"completed_at":null`}},
		{Name: "null clears", Method: "PATCH", Path: p(sub), Request: body(map[string]any{"estimated_minutes": nil, "due": nil, "parent_id": nil, "tags": nil}),
			WantStatus: 200, WantContains: []string{`"estimated_minutes":null`, `"due":null`, `"parent_id":null`, `"tags":[]`}},
		{Name: "complete", Method: "PATCH", Path: p(sub), Request: body(map[string]any{"status": "done"}),
			WantStatus: 200, WantContains: []string{`"status":"done"`}, WantNotContains: []string{`"completed_at":null`}},
		{Name: "reopen", Method: "PATCH", Path: p(sub), Request: body(map[string]any{"status": "todo", "parent_id": parent}),
			WantStatus: 200, WantContains: []string{`"completed_at":null`, fmt.Sprintf(`"parent_id":%d`, parent)}},
		{Name: "category cleared", Method: "PATCH", Path: p(parent), Request: body(map[string]any{"category_id": nil}),
			WantStatus: 200, WantContains: []string{`"category_id":null`}},

		// Another user's task is not there; neither are bad ids.
		{Name: "other's get", Method: "GET", Path: p(otherTask), WantStatus: 404, WantCode: "not_found"},
		{Name: "other's patch", Method: "PATCH", Path: p(otherTask), Request: body(map[string]any{"title": "mine"}), WantStatus: 404},
		{Name: "other's delete", Method: "DELETE", Path: p(otherTask), WantStatus: 404},
		{Name: "not a number", Method: "GET", Path: "/api/v1/tasks/abc", WantStatus: 404},
		{Name: "zero", Method: "GET", Path: "/api/v1/tasks/0", WantStatus: 404},

		// Signed out.
		{Name: "anonymous list", Method: "GET", Path: "/api/v1/tasks", Client: srv.Client(t), WantStatus: 401},
		{Name: "anonymous create", Method: "POST", Path: "/api/v1/tasks", Client: srv.Client(t), Request: body(map[string]any{"title": "x"}), WantStatus: 401},
		{Name: "anonymous get", Method: "GET", Path: p(parent), Client: srv.Client(t), WantStatus: 401},
		{Name: "anonymous patch", Method: "PATCH", Path: p(parent), Client: srv.Client(t), Request: body(map[string]any{"title": "x"}), WantStatus: 401},
		{Name: "anonymous delete", Method: "DELETE", Path: p(parent), Client: srv.Client(t), WantStatus: 401},
		{Name: "anonymous bulk", Method: "POST", Path: "/api/v1/tasks/bulk", Client: srv.Client(t), Request: body(map[string]any{"ids": []int64{parent}, "delete": true}), WantStatus: 401},
		{Name: "anonymous due", Method: "GET", Path: "/api/v1/tasks/due", Client: srv.Client(t), WantStatus: 401},
		{Name: "anonymous categories", Method: "GET", Path: "/api/v1/tasks/categories", Client: srv.Client(t), WantStatus: 401},
		{Name: "anonymous category create", Method: "POST", Path: "/api/v1/tasks/categories", Client: srv.Client(t), Request: body(map[string]any{"name": "x"}), WantStatus: 401},
		{Name: "anonymous category patch", Method: "PATCH", Path: fmt.Sprintf("/api/v1/tasks/categories/%d", home), Client: srv.Client(t), Request: body(map[string]any{"name": "x"}), WantStatus: 401},
		{Name: "anonymous category delete", Method: "DELETE", Path: fmt.Sprintf("/api/v1/tasks/categories/%d", home), Client: srv.Client(t), WantStatus: 401},

		// Deleting a parent deletes its subtasks.
		{Name: "delete", Method: "DELETE", Path: p(parent), WantStatus: 204},
		{Name: "deleted", Method: "GET", Path: p(parent), WantStatus: 404},
		{Name: "its subtask too", Method: "GET", Path: p(sub), WantStatus: 404},
		{Name: "delete again", Method: "DELETE", Path: p(parent), WantStatus: 404},
	} {
		sc.Run(t, c)
	}
	if v := getTask(t, other, otherTask); v.Title != "not yours" {
		t.Errorf("the other user's task changed: %+v", v)
	}
}

// ids reads the ids of a task page, in order.
func ids(t *testing.T, res *servertest.Response) []int64 {
	t.Helper()
	var p struct {
		Items []struct {
			ID int64 `json:"id"`
		} `json:"items"`
	}
	res.JSON(t, &p)
	out := []int64{}
	for _, it := range p.Items {
		out = append(out, it.ID)
	}
	return out
}

func TestTasksListFilters(t *testing.T) {
	srv := servertest.Start(t)
	// Noon in New York, so "an hour ago" is today whenever the test runs.
	loc, _ := time.LoadLocation("America/New_York")
	ny := srv.Now().In(loc)
	noon := time.Date(ny.Year(), ny.Month(), ny.Day(), 12, 0, 0, 0, loc)
	if noon.Before(ny) {
		noon = noon.AddDate(0, 0, 1)
	}
	srv.Advance(noon.Sub(ny))
	c, other := srv.User(t, "user"), srv.User(t, "user")
	if res := c.Put("/api/v1/profile", map[string]any{"timezone": "America/New_York"}); res.Status != 200 {
		t.Fatalf("timezone: %s", res)
	}
	now := srv.Now().In(loc)
	day := func(n int) string { return now.AddDate(0, 0, n).Format(time.DateOnly) }
	work, home := mkCategory(t, c, "Work"), mkCategory(t, c, "Home")
	mkTask(t, other, map[string]any{"title": "Quarterly report of someone else", "tags": []string{"finance"}})
	id := map[string]int64{}
	for _, tk := range []struct {
		key  string
		body map[string]any
	}{
		{"report", map[string]any{"title": "Write the quarterly report", "notes": "Numbers from finance", "priority": "high",
			"due": day(-2), "category_id": work, "tags": []string{"finance", "q4"}}},
		{"call", map[string]any{"title": "Call the plumber", "priority": "urgent", "due": now.Add(-time.Hour).Format(time.RFC3339), "category_id": home}},
		{"today", map[string]any{"title": "Water the plants", "due": day(0), "category_id": home, "tags": []string{"garden"}}},
		{"soon", map[string]any{"title": "Book flights", "priority": "medium", "due": day(3)}},
		{"later", map[string]any{"title": "Renew the passport", "priority": "low", "due": day(40), "status": "in_progress"}},
		{"someday", map[string]any{"title": "Learn the cello", "notes": "Maybe a teacher?"}},
		{"done", map[string]any{"title": "Pay the rent", "due": day(-1), "status": "done", "category_id": home}},
	} {
		id[tk.key] = mkTask(t, c, tk.body)
	}
	id["sub"] = mkTask(t, c, map[string]any{"title": "Gather the numbers", "parent_id": id["report"]})
	list := func(query string) []int64 {
		t.Helper()
		res := c.Get("/api/v1/tasks" + query)
		if res.Status != 200 {
			t.Fatalf("list %s: %s", query, res)
		}
		return ids(t, res)
	}
	want := func(keys ...string) []int64 {
		out := []int64{}
		for _, k := range keys {
			out = append(out, id[k])
		}
		return out
	}
	for _, tc := range []struct {
		query string
		want  []int64
	}{
		// Due first (a date at the start of its day, no due last), ties
		// by priority, then position.
		{"", want("report", "done", "today", "call", "soon", "later", "sub", "someday")},
		{"?sort=due&order=desc", want("later", "soon", "call", "today", "done", "report", "sub", "someday")},
		{"?sort=priority", want("call", "report", "soon", "later", "done", "today", "sub", "someday")},
		{"?sort=created", want("sub", "done", "someday", "later", "soon", "today", "call", "report")},
		{"?sort=created&order=asc&per_page=3&page=2", want("soon", "later", "someday")},
		{"?sort=position&parent_id=none", want("report", "call", "today", "soon", "later", "someday", "done")},
		{"?status=todo,in_progress&parent_id=none", want("report", "today", "call", "soon", "later", "someday")},
		{"?status=done", want("done")},
		{"?status=done,%20", want("done")},
		{"?category_id=" + fmt.Sprint(home), want("done", "today", "call")},
		{"?category_id=none&parent_id=none", want("soon", "later", "someday")},
		{"?tag=FINANCE", want("report")},
		{"?tag=%23garden", want("today")},
		{"?tag=nothing", want()},
		{"?overdue=true", want("report", "call")},
		{"?due_after=" + day(0) + "&due_before=" + day(4), want("today", "call", "soon")},
		{"?due_after=" + day(0) + "&due_before=" + day(4) + "&status=todo&sort=priority", want("call", "soon", "today")},
		{"?due_before=" + day(0), want("report", "done")},
		{"?parent_id=" + fmt.Sprint(id["report"]), want("sub")},
		// Full text over titles and notes: stemmed, the last word a prefix.
		{"?q=report", want("report")},
		{"?q=finance", want("report")},
		{"?q=teach", want("someday")},
		{"?q=quarterly%20rep", want("report")},
		{"?q=plants%20flights", want()},
		{"?q=" + "%22OR%20(", want()},
		{"?q=NEAR(a%20b)%20*", want()},
	} {
		if got := list(tc.query); fmt.Sprint(got) != fmt.Sprint(tc.want) {
			t.Errorf("GET /tasks%s: %v, want %v", tc.query, got, tc.want)
		}
	}
	for _, sc := range []servertest.Scenario{
		{Name: "total and page", Method: "GET", Path: "/api/v1/tasks?per_page=2&page=3", WantStatus: 200,
			WantContains: []string{`"total":8`, `"page":3`, `"per_page":2`}},
		{Name: "per_page capped", Method: "GET", Path: "/api/v1/tasks?per_page=1000", WantStatus: 200, WantContains: []string{`"per_page":100`}},
		{Name: "past the end", Method: "GET", Path: "/api/v1/tasks?page=99", WantStatus: 200, WantContains: []string{`"items":[]`, `"total":8`}},
		{Name: "overdue flag", Method: "GET", Path: "/api/v1/tasks?overdue=1", WantStatus: 200, WantContains: []string{`"overdue":true`},
			WantNotContains: []string{`"overdue":false`}},
		{Name: "bad status", Method: "GET", Path: "/api/v1/tasks?status=todo,nope", WantStatus: 400, WantField: "status"},
		{Name: "bad sort", Method: "GET", Path: "/api/v1/tasks?sort=title", WantStatus: 400, WantField: "sort"},
		{Name: "bad order", Method: "GET", Path: "/api/v1/tasks?order=up", WantStatus: 400, WantField: "order"},
		{Name: "bad due_before", Method: "GET", Path: "/api/v1/tasks?due_before=soon", WantStatus: 400, WantField: "due_before"},
		{Name: "bad due_after", Method: "GET", Path: "/api/v1/tasks?due_after=2026-13-01", WantStatus: 400, WantField: "due_after"},
		{Name: "bad overdue", Method: "GET", Path: "/api/v1/tasks?overdue=maybe", WantStatus: 400, WantField: "overdue"},
		{Name: "bad category", Method: "GET", Path: "/api/v1/tasks?category_id=x", WantStatus: 400, WantField: "category_id"},
		{Name: "bad parent", Method: "GET", Path: "/api/v1/tasks?parent_id=-1", WantStatus: 400, WantField: "parent_id"},
		{Name: "bad page", Method: "GET", Path: "/api/v1/tasks?page=x", WantStatus: 400, WantField: "page"},
		{Name: "long query", Method: "GET", Path: "/api/v1/tasks?q=" + strings.Repeat("a", 501), WantStatus: 400, WantField: "q"},
		{Name: "the other user sees only theirs", Method: "GET", Path: "/api/v1/tasks?q=quarterly", Client: other, WantStatus: 200,
			WantContains: []string{`"total":1`, "someone else"}},
	} {
		sc.Run(t, c)
	}
	// Editing the title re-indexes it.
	if res := c.Patch(fmt.Sprintf("/api/v1/tasks/%d", id["someday"]), map[string]any{"title": "Learn the violin", "notes": nil}); res.Status != 200 {
		t.Fatalf("rename: %s", res)
	}
	if got := list("?q=cello"); len(got) != 0 {
		t.Errorf("the old title is still found: %v", got)
	}
	if got := list("?q=violin"); fmt.Sprint(got) != fmt.Sprint(want("someday")) {
		t.Errorf("the new title is not found: %v", got)
	}
}

func TestTasksBulk(t *testing.T) {
	srv := servertest.Start(t)
	c, other := srv.User(t, "user"), srv.User(t, "user")
	cat, otherCat := mkCategory(t, c, "Errands"), mkCategory(t, other, "Theirs")
	a := mkTask(t, c, map[string]any{"title": "a"})
	b := mkTask(t, c, map[string]any{"title": "b", "due": "2030-01-01", "recurrence": "FREQ=WEEKLY"})
	sub := mkTask(t, c, map[string]any{"title": "b's subtask", "parent_id": b})
	theirs := mkTask(t, other, map[string]any{"title": "theirs"})
	unchanged := func(t *testing.T) {
		t.Helper()
		for _, id := range []int64{a, b, sub} {
			if v := getTask(t, c, id); v.Status != "todo" || v.CategoryID != nil || v.NextTaskID != nil {
				t.Errorf("task %d changed by a refused bulk: %+v", id, v)
			}
		}
		if v := getTask(t, other, theirs); v.Status != "todo" {
			t.Errorf("the other user's task changed: %+v", v)
		}
	}
	for _, sc := range []servertest.Scenario{
		// All or nothing: one bad id, one bad value, and nothing changes.
		{Name: "another user's id", Method: "POST", Path: "/api/v1/tasks/bulk",
			Request: body(map[string]any{"ids": []int64{a, b, theirs}, "status": "done"}), WantStatus: 404, After: func(t *testing.T, _ *servertest.Client, _ *servertest.Response) { unchanged(t) }},
		{Name: "a missing id", Method: "POST", Path: "/api/v1/tasks/bulk",
			Request: body(map[string]any{"ids": []int64{a, 999999}, "delete": true}), WantStatus: 404, After: func(t *testing.T, _ *servertest.Client, _ *servertest.Response) { unchanged(t) }},
		{Name: "another user's category", Method: "POST", Path: "/api/v1/tasks/bulk",
			Request: body(map[string]any{"ids": []int64{a, b}, "category_id": otherCat}), WantStatus: 400, WantField: "category_id",
			After: func(t *testing.T, _ *servertest.Client, _ *servertest.Response) { unchanged(t) }},
		{Name: "bad status", Method: "POST", Path: "/api/v1/tasks/bulk",
			Request: body(map[string]any{"ids": []int64{a, b}, "status": "finished"}), WantStatus: 400, WantField: "status",
			After: func(t *testing.T, _ *servertest.Client, _ *servertest.Response) { unchanged(t) }},
		{Name: "no ids", Method: "POST", Path: "/api/v1/tasks/bulk", Request: body(map[string]any{"ids": []int64{}, "status": "done"}), WantStatus: 400, WantField: "ids"},
		{Name: "too many ids", Method: "POST", Path: "/api/v1/tasks/bulk", Request: body(map[string]any{"ids": make([]int64, 501), "status": "done"}), WantStatus: 400, WantField: "ids"},
		{Name: "no change", Method: "POST", Path: "/api/v1/tasks/bulk", Request: body(map[string]any{"ids": []int64{a}}), WantStatus: 400},
		{Name: "change and delete", Method: "POST", Path: "/api/v1/tasks/bulk", Request: body(map[string]any{"ids": []int64{a}, "status": "done", "delete": true}), WantStatus: 400},
		{Name: "bad category type", Method: "POST", Path: "/api/v1/tasks/bulk", Request: body(map[string]any{"ids": []int64{a}, "category_id": "x"}), WantStatus: 400, WantField: "category_id"},

		{Name: "file under a category", Method: "POST", Path: "/api/v1/tasks/bulk",
			Request: body(map[string]any{"ids": []int64{a, b, a}, "category_id": cat}), WantStatus: 200, WantContains: []string{`"updated":2`, `"created":0`}},
		{Name: "complete (the recurring one makes its next)", Method: "POST", Path: "/api/v1/tasks/bulk",
			Request: body(map[string]any{"ids": []int64{a, b}, "status": "done"}), WantStatus: 200, WantContains: []string{`"updated":2`, `"created":1`}},
		{Name: "uncategorise", Method: "POST", Path: "/api/v1/tasks/bulk",
			Request: body(map[string]any{"ids": []int64{a}, "category_id": nil}), WantStatus: 200, WantContains: []string{`"updated":1`}},
		{Name: "delete (a parent takes its subtask)", Method: "POST", Path: "/api/v1/tasks/bulk",
			Request: body(map[string]any{"ids": []int64{b, sub}, "delete": true}), WantStatus: 200, WantContains: []string{`"deleted":1`}},
	} {
		sc.Run(t, c)
	}
	if v := getTask(t, c, a); v.Status != "done" || v.CompletedAt == nil || v.CategoryID != nil {
		t.Errorf("a after the bulk changes: %+v", v)
	}
	for _, id := range []int64{b, sub} {
		if res := c.Get(fmt.Sprintf("/api/v1/tasks/%d", id)); res.Status != 404 {
			t.Errorf("task %d after the bulk delete: %s", id, res)
		}
	}
	// b's next occurrence stays, filed like b was, due a week later.
	res := c.Get("/api/v1/tasks?q=b&status=todo")
	if !strings.Contains(string(res.Body), `"total":1`) || !strings.Contains(string(res.Body), `"due":"2030-01-08"`) ||
		!strings.Contains(string(res.Body), fmt.Sprintf(`"category_id":%d`, cat)) {
		t.Errorf("the next occurrence: %s", res)
	}
}

func TestTaskCategoriesREST(t *testing.T) {
	srv := servertest.Start(t)
	c, other := srv.User(t, "user"), srv.User(t, "user")
	home := mkCategory(t, c, "Home")
	theirs := mkCategory(t, other, "Theirs")
	mkCategory(t, other, "Garden") // another user's name is free
	for _, title := range []string{"one", "two"} {
		mkTask(t, c, map[string]any{"title": title, "category_id": home})
	}
	mkTask(t, c, map[string]any{"title": "three", "category_id": home, "status": "done"})
	pc := func(id int64) string { return fmt.Sprintf("/api/v1/tasks/categories/%d", id) }
	for _, sc := range []servertest.Scenario{
		{Name: "create", Method: "POST", Path: "/api/v1/tasks/categories", Request: body(map[string]any{"name": " Garden ", "colour": "#A0B1C2", "weight": 2.5}),
			WantStatus: 201, WantContains: []string{`"name":"Garden"`, `"colour":"#a0b1c2"`, `"weight":2.5`, `"task_count":0`}},
		{Name: "defaults", Method: "POST", Path: "/api/v1/tasks/categories", Request: body(map[string]any{"name": "Work"}),
			WantStatus: 201, WantContains: []string{`"colour":""`, `"weight":1`}},
		{Name: "duplicate in another case", Method: "POST", Path: "/api/v1/tasks/categories", Request: body(map[string]any{"name": "HOME"}), WantStatus: 409},
		{Name: "no name", Method: "POST", Path: "/api/v1/tasks/categories", Request: body(map[string]any{"name": ""}), WantStatus: 400, WantField: "name"},
		{Name: "name too long", Method: "POST", Path: "/api/v1/tasks/categories", Request: body(map[string]any{"name": strings.Repeat("n", 101)}), WantStatus: 400, WantField: "name"},
		{Name: "bad colour", Method: "POST", Path: "/api/v1/tasks/categories", Request: body(map[string]any{"name": "x", "colour": "red"}), WantStatus: 400, WantField: "colour"},
		{Name: "weight too high", Method: "POST", Path: "/api/v1/tasks/categories", Request: body(map[string]any{"name": "x", "weight": 11}), WantStatus: 400, WantField: "weight"},
		{Name: "negative weight", Method: "POST", Path: "/api/v1/tasks/categories", Request: body(map[string]any{"name": "x", "weight": -1}), WantStatus: 400, WantField: "weight"},
		{Name: "unknown field", Method: "POST", Path: "/api/v1/tasks/categories", Request: body(map[string]any{"name": "x", "color": "#000000"}), WantStatus: 400, WantField: "color"},
		{Name: "list by name with counts", Method: "GET", Path: "/api/v1/tasks/categories", WantStatus: 200,
			WantContains: []string{`"name":"Garden"`, `"name":"Home","colour":"","weight":1,"task_count":3,"open_count":2`}, WantNotContains: []string{"Theirs"}},
		{Name: "rename", Method: "PATCH", Path: pc(home), Request: body(map[string]any{"name": "House", "weight": 0}),
			WantStatus: 200, WantContains: []string{`"name":"House"`, `"weight":0`, `"task_count":3`}},
		{Name: "rename onto another", Method: "PATCH", Path: pc(home), Request: body(map[string]any{"name": "garden"}), WantStatus: 409},
		{Name: "patch bad colour", Method: "PATCH", Path: pc(home), Request: body(map[string]any{"colour": "#12345"}), WantStatus: 400, WantField: "colour"},
		{Name: "another user's patch", Method: "PATCH", Path: pc(theirs), Request: body(map[string]any{"name": "Mine"}), WantStatus: 404},
		{Name: "another user's delete", Method: "DELETE", Path: pc(theirs), WantStatus: 404},
		{Name: "not a number", Method: "DELETE", Path: "/api/v1/tasks/categories/x", WantStatus: 404},
		{Name: "delete moves its tasks to none", Method: "DELETE", Path: pc(home), WantStatus: 200,
			WantContains: []string{fmt.Sprintf(`"id":%d`, home), `"tasks_moved":3`}},
		{Name: "gone", Method: "DELETE", Path: pc(home), WantStatus: 404},
		{Name: "its tasks are in none", Method: "GET", Path: "/api/v1/tasks?category_id=none", WantStatus: 200, WantContains: []string{`"total":3`}},
	} {
		sc.Run(t, c)
	}
	if res := other.Get("/api/v1/tasks/categories"); !strings.Contains(string(res.Body), "Theirs") {
		t.Errorf("the other user's categories: %s", res)
	}
}

func TestTasksDue(t *testing.T) {
	srv := servertest.Start(t)
	c := srv.User(t, "user")
	if res := c.Put("/api/v1/profile", map[string]any{"timezone": "Pacific/Auckland"}); res.Status != 200 {
		t.Fatalf("timezone: %s", res)
	}
	loc, _ := time.LoadLocation("Pacific/Auckland")
	now := srv.Now().In(loc)
	day := func(n int) string { return now.AddDate(0, 0, n).Format(time.DateOnly) }
	mk := func(title, due string, extra ...string) {
		b := map[string]any{"title": title, "due": due}
		if len(extra) > 0 {
			b["status"] = extra[0]
		}
		mkTask(t, c, b)
	}
	mk("yesterday", day(-1))
	mk("an hour ago", now.Add(-time.Hour).Format(time.RFC3339))
	mk("today", day(0))
	mk("in an hour", now.Add(time.Hour).Format(time.RFC3339))
	mk("in two days", day(2))
	mk("in ten days", day(10))
	mk("done yesterday", day(-1), "done")
	mk("cancelled today", day(0), "cancelled")
	mkTask(t, c, map[string]any{"title": "no due"})
	var due struct {
		Timezone string `json:"timezone"`
		Today    string `json:"today"`
		Overdue  []struct {
			Title string `json:"title"`
		} `json:"overdue"`
		DueToday []struct {
			Title string `json:"title"`
		} `json:"due_today"`
		Upcoming []struct {
			Title string `json:"title"`
		} `json:"upcoming"`
	}
	titles := func(v []struct {
		Title string `json:"title"`
	}) string {
		var s []string
		for _, x := range v {
			s = append(s, x.Title)
		}
		return strings.Join(s, ",")
	}
	res := c.Get("/api/v1/tasks/due")
	if res.Status != 200 {
		t.Fatalf("due: %s", res)
	}
	res.JSON(t, &due)
	if due.Timezone != "Pacific/Auckland" || due.Today != day(0) {
		t.Errorf("zone %s, today %s", due.Timezone, due.Today)
	}
	// "in an hour" may be tomorrow already when the test runs late at night.
	wantToday := "today,in an hour"
	if now.Add(time.Hour).Format(time.DateOnly) != day(0) {
		wantToday = "today"
	}
	if got := titles(due.Overdue); got != "yesterday,an hour ago" && got != "an hour ago,yesterday" {
		t.Errorf("overdue: %s", got)
	}
	if got := titles(due.DueToday); got != wantToday {
		t.Errorf("today: %s, want %s", got, wantToday)
	}
	if got := titles(due.Upcoming); !strings.HasSuffix(got, "in two days") || strings.Contains(got, "ten") {
		t.Errorf("upcoming (7 days): %s", got)
	}
	res = c.Get("/api/v1/tasks/due?days=30")
	res.JSON(t, &due)
	if got := titles(due.Upcoming); !strings.HasSuffix(got, "in two days,in ten days") {
		t.Errorf("upcoming (30 days): %s", got)
	}
	res = c.Get("/api/v1/tasks/due?days=0")
	res.JSON(t, &due)
	if got := titles(due.Upcoming); got != "" && got != "in an hour" {
		t.Errorf("upcoming (0 days): %s", got)
	}
	for _, sc := range []servertest.Scenario{
		{Name: "days too many", Method: "GET", Path: "/api/v1/tasks/due?days=91", WantStatus: 400, WantField: "days"},
		{Name: "days not a number", Method: "GET", Path: "/api/v1/tasks/due?days=x", WantStatus: 400, WantField: "days"},
		{Name: "empty lists are arrays", Method: "GET", Path: "/api/v1/tasks/due", Client: srv.User(t, "user"), WantStatus: 200,
			WantContains: []string{`"overdue":[]`, `"due_today":[]`, `"upcoming":[]`, `"timezone":"UTC"`}},
	} {
		sc.Run(t, c)
	}
}

// Completing a recurring task through the API makes the next one.
func TestTasksRecurringAPI(t *testing.T) {
	srv := servertest.Start(t)
	c := srv.User(t, "user")
	if res := c.Put("/api/v1/profile", map[string]any{"timezone": "Europe/Berlin"}); res.Status != 200 {
		t.Fatalf("timezone: %s", res)
	}
	id := mkTask(t, c, map[string]any{"title": "Pay rent", "due": "2031-01-31", "recurrence": "rrule:freq=monthly", "tags": []string{"home"}})
	res := c.Patch(fmt.Sprintf("/api/v1/tasks/%d", id), map[string]any{"status": "done"})
	if res.Status != 200 {
		t.Fatalf("complete: %s", res)
	}
	var v taskView
	res.JSON(t, &v)
	if v.NextTaskID == nil || v.Recurrence != "FREQ=MONTHLY" {
		t.Fatalf("completed: %s", res)
	}
	next := getTask(t, c, *v.NextTaskID)
	if *next.Due != "2031-02-28" || !next.AllDay || next.Status != "todo" || next.Recurrence != "FREQ=MONTHLY" || fmt.Sprint(next.Tags) != "[home]" {
		t.Errorf("next: %+v", next)
	}
	// Clearing the due of a recurring task is refused; clearing both is not.
	servertest.Scenario{Name: "due cleared under a rule", Method: "PATCH", Path: fmt.Sprintf("/api/v1/tasks/%d", next.ID),
		Request: body(map[string]any{"due": nil}), WantStatus: 400, WantField: "recurrence"}.Run(t, c)
	servertest.Scenario{Name: "both cleared", Method: "PATCH", Path: fmt.Sprintf("/api/v1/tasks/%d", next.ID),
		Request: body(map[string]any{"due": nil, "recurrence": nil}), WantStatus: 200, WantContains: []string{`"recurrence":""`, `"due":null`}}.Run(t, c)
}

// A new time zone moves a date's order key to the day's start there, in
// the same transaction; a date-time keeps its instant and shows in the
// new zone.
func TestTasksTimezoneChange(t *testing.T) {
	srv := servertest.Start(t)
	c := srv.User(t, "user")
	zone := func(tz string) {
		t.Helper()
		if res := c.Put("/api/v1/profile", map[string]any{"timezone": tz}); res.Status != 200 {
			t.Fatalf("timezone %s: %s", tz, res)
		}
	}
	zone("Europe/Berlin")
	day := mkTask(t, c, map[string]any{"title": "on a day", "due": "2031-05-10"})
	at := mkTask(t, c, map[string]any{"title": "at a time", "due": "2031-05-10T09:00"})
	zone("America/New_York")
	for _, sc := range []servertest.Scenario{
		{Name: "date", Method: "GET", Path: fmt.Sprintf("/api/v1/tasks/%d", day), WantStatus: 200,
			WantContains: []string{`"due":"2031-05-10"`, `"due_at":"2031-05-10T04:00:00Z"`}},
		{Name: "date-time", Method: "GET", Path: fmt.Sprintf("/api/v1/tasks/%d", at), WantStatus: 200,
			WantContains: []string{`"due":"2031-05-10T03:00:00-04:00"`, `"due_at":"2031-05-10T07:00:00Z"`}},
		{Name: "a date's bounds follow the zone", Method: "GET", Path: "/api/v1/tasks?due_after=2031-05-10&due_before=2031-05-11", WantStatus: 200,
			WantContains: []string{`"total":2`}},
	} {
		sc.Run(t, c)
	}
}
