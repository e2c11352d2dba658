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
	res := c.Post("/api/v1/tasks", body)
	if res.Status != 201 {
		t.Fatalf("create task %v: %s", body, res)
	}
	var v struct {
		ID int64 `json:"id"`
	}
	res.JSON(t, &v)
	return v.ID
}

// mkCategory creates a category and returns its id.
func mkCategory(t *testing.T, c *servertest.Client, name string) int64 {
	t.Helper()
	res := c.Post("/api/v1/tasks/categories", map[string]any{"name": name})
	if res.Status != 201 {
		t.Fatalf("create category %s: %s", name, res)
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
		{Name: "rule without due", Method: "POST", Path: "/api/v1/tasks", Request: body(map[string]any{"title": "x", "recurrence": "FREQ=DAILY"}), WantStatus: 400, WantField: "recurrence"},
		{Name: "another user's category", Method: "POST", Path: "/api/v1/tasks", Request: body(map[string]any{"title": "x", "category_id": otherCat}), WantStatus: 400, WantField: "category_id"},
		{Name: "another user's parent", Method: "POST", Path: "/api/v1/tasks", Request: body(map[string]any{"title": "x", "parent_id": otherTask}), WantStatus: 400, WantField: "parent_id"},
		{Name: "a subtask's subtask", Method: "POST", Path: "/api/v1/tasks", Request: body(map[string]any{"title": "x", "parent_id": sub}), WantStatus: 400, WantField: "parent_id"},
		{Name: "own parent", Method: "PATCH", Path: p(parent), Request: body(map[string]any{"parent_id": parent}), WantStatus: 400, WantField: "parent_id"},
		{Name: "a parent under its subtask (cycle)", Method: "PATCH", Path: p(parent), Request: body(map[string]any{"parent_id": sub}), WantStatus: 400, WantField: "parent_id"},
		{Name: "a task with subtasks cannot become one", Method: "PATCH", Path: p(parent),
			Request: body(map[string]any{"parent_id": mkTask(t, c, map[string]any{"title": "top"})}), WantStatus: 400, WantField: "parent_id"},
		{Name: "patch bad status", Method: "PATCH", Path: p(sub), Request: body(map[string]any{"status": "DONE"}), WantStatus: 400, WantField: "status"},
		{Name: "patch null title", Method: "PATCH", Path: p(sub), Request: body(map[string]any{"title": nil}), WantStatus: 400, WantField: "title"},
		{Name: "patch not an object", Method: "PATCH", Path: p(sub), Request: servertest.Request{JSON: `[1]`}, WantStatus: 400},

		// Changes.
		{Name: "start", Method: "PATCH", Path: p(sub), Request: body(map[string]any{"status": "in_progress", "estimated_minutes": 30}),
			WantStatus: 200, WantContains: []string{`"status":"in_progress"`, `"estimated_minutes":30`, `"completed_at":null`}},
		{Name: "null clears", Method: "PATCH", Path: p(sub), Request: body(map[string]any{"estimated_minutes": nil, "due": nil, "parent_id": nil}),
			WantStatus: 200, WantContains: []string{`"estimated_minutes":null`, `"due":null`, `"parent_id":null`}},
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
