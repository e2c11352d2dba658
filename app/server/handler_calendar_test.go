package server_test

import (
	"bytes"
	"context"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aiwfe/aiwfe/app/calendar"
	"github.com/aiwfe/aiwfe/app/config"
	"github.com/aiwfe/aiwfe/app/server/servertest"
)

type calView struct {
	ID       int64  `json:"id"`
	Name     string `json:"name"`
	Source   string `json:"source"`
	ReadOnly bool   `json:"read_only"`
	Seq      int64  `json:"seq"`
	Feed     *struct {
		URL             string     `json:"url"`
		Error           string     `json:"error"`
		RefreshedAt     *time.Time `json:"refreshed_at"`
		CheckedAt       *time.Time `json:"checked_at"`
		IntervalSeconds int        `json:"interval_seconds"`
	} `json:"feed"`
}

type instView struct {
	EventID      int64  `json:"event_id"`
	RecurrenceID string `json:"recurrence_id"`
	Title        string `json:"title"`
	Start        string `json:"start"`
	Override     bool   `json:"override"`
}

func newCalendar(t *testing.T, c *servertest.Client, body map[string]any) calView {
	t.Helper()
	res := c.Post("/api/v1/calendar/calendars", body)
	if res.Status != 201 {
		t.Fatalf("create calendar: %s", res)
	}
	var v calView
	res.JSON(t, &v)
	return v
}

func instances(t *testing.T, c *servertest.Client, query string) []instView {
	t.Helper()
	res := c.Get("/api/v1/calendar/events?" + query)
	if res.Status != 200 {
		t.Fatalf("instances: %s", res)
	}
	var out struct{ Items []instView }
	res.JSON(t, &out)
	return out.Items
}

func icsUpload(t testing.TB, calID any, name, content string, extra map[string]string) servertest.Request {
	t.Helper()
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	if calID != nil {
		w.WriteField("calendar_id", fmt.Sprint(calID))
	}
	if name != "" {
		p, _ := w.CreateFormFile("file", name)
		p.Write([]byte(content))
	}
	for k, v := range extra {
		w.WriteField(k, v)
	}
	w.Close()
	return servertest.Request{JSON: b.Bytes(), Headers: map[string]string{"Content-Type": w.FormDataContentType()}}
}

const icsWeekly = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n" +
	"BEGIN:VEVENT\r\nUID:weekly-1@test\r\nDTSTAMP:20260101T000000Z\r\nSUMMARY:Yoga\r\nDTSTART;TZID=Europe/Berlin:20260302T180000\r\n" +
	"DTEND;TZID=Europe/Berlin:20260302T190000\r\nRRULE:FREQ=WEEKLY;COUNT=4\r\nEND:VEVENT\r\n" +
	"BEGIN:VEVENT\r\nUID:broken@test\r\nSUMMARY:No start\r\nEND:VEVENT\r\n" +
	"BEGIN:VTODO\r\nUID:todo@test\r\nSUMMARY:A task\r\nEND:VTODO\r\n" +
	"END:VCALENDAR\r\n"

func TestCalendarREST(t *testing.T) {
	srv := servertest.Start(t)
	c, other := srv.User(t, "user"), srv.User(t, "user")
	anon := srv.Client(t)
	cal := newCalendar(t, c, map[string]any{"name": "Work", "colour": "#3366CC", "timezone": "Europe/Berlin"})
	otherCal := newCalendar(t, other, map[string]any{"name": "Mine"})
	cp := func(suffix string) string { return fmt.Sprintf("/api/v1/calendar/calendars/%d%s", cal.ID, suffix) }
	var ev struct {
		ID   int64  `json:"id"`
		UID  string `json:"uid"`
		ETag string `json:"etag"`
	}
	ep := func(suffix string) string { return fmt.Sprintf("/api/v1/calendar/events/%d%s", ev.ID, suffix) }
	const march = "from=2026-03-01T00:00:00Z&to=2026-04-01T00:00:00Z"
	for _, sc := range []servertest.Scenario{
		{Name: "list calendars", Method: "GET", Path: "/api/v1/calendar/calendars", WantStatus: 200,
			WantContains: []string{`"name":"Work"`, `"colour":"#3366cc"`, `"timezone":"Europe/Berlin"`, `"source":"local"`, `"read_only":false`}, WantNotContains: []string{"Mine"}},
		{Name: "get calendar", Method: "GET", Path: cp(""), WantStatus: 200, WantContains: []string{`"private_feed":false`}},
		{Name: "create no name", Method: "POST", Path: "/api/v1/calendar/calendars", Request: servertest.Request{JSON: map[string]any{"name": " "}}, WantStatus: 400, WantField: "name"},
		{Name: "create bad colour", Method: "POST", Path: "/api/v1/calendar/calendars", Request: servertest.Request{JSON: map[string]any{"name": "x", "colour": "red"}}, WantStatus: 400, WantField: "colour"},
		{Name: "create bad zone", Method: "POST", Path: "/api/v1/calendar/calendars", Request: servertest.Request{JSON: map[string]any{"name": "x", "timezone": "Mars/Base"}}, WantStatus: 400, WantField: "timezone"},
		{Name: "create unknown field", Method: "POST", Path: "/api/v1/calendar/calendars", Request: servertest.Request{JSON: map[string]any{"name": "x", "owner": 1}}, WantStatus: 400, WantField: "owner"},
		{Name: "create bad feed scheme", Method: "POST", Path: "/api/v1/calendar/calendars", Request: servertest.Request{JSON: map[string]any{"name": "x", "feed_url": "file:///etc/passwd"}}, WantStatus: 400, WantField: "feed_url"},
		{Name: "rename", Method: "PATCH", Path: cp(""), Request: servertest.Request{JSON: map[string]any{"name": "Office", "timezone": "W. Europe Standard Time"}},
			WantStatus: 200, WantContains: []string{`"name":"Office"`, `"timezone":"Europe/Berlin"`}},
		{Name: "feed url on a local calendar", Method: "PATCH", Path: cp(""), Request: servertest.Request{JSON: map[string]any{"feed_url": "https://example.org/x.ics"}}, WantStatus: 400, WantField: "feed_url"},
		// Events.
		{Name: "create event", Method: "POST", Path: "/api/v1/calendar/events", Request: servertest.Request{JSON: map[string]any{
			"calendar_id": cal.ID, "title": "Standup", "start": "2026-03-23T09:00", "end": "2026-03-23T09:15", "rrule": "FREQ=WEEKLY;BYDAY=MO;COUNT=3",
			"reminders": []int{10, 0}, "attendees": []map[string]string{{"email": "ann@example.org", "name": "Ann"}}, "weight": 3, "category": "work"}},
			WantStatus: 201, WantContains: []string{`"start":"2026-03-23T09:00:00+01:00"`, `"rrule":"FREQ=WEEKLY;BYDAY=MO;COUNT=3"`, `"reminders":[10,0]`, `"weight":3`},
			After: func(t *testing.T, _ *servertest.Client, res *servertest.Response) { res.JSON(t, &ev) }},
		{Name: "event missing calendar", Method: "POST", Path: "/api/v1/calendar/events", Request: servertest.Request{JSON: map[string]any{"title": "x", "start": "2026-03-01T10:00"}}, WantStatus: 400, WantField: "calendar_id"},
		{Name: "event in another's calendar", Method: "POST", Path: "/api/v1/calendar/events", Request: servertest.Request{JSON: map[string]any{"calendar_id": otherCal.ID, "title": "x", "start": "2026-03-01T10:00"}}, WantStatus: 404},
		{Name: "event bad start", Method: "POST", Path: "/api/v1/calendar/events", Request: servertest.Request{JSON: map[string]any{"calendar_id": cal.ID, "title": "x", "start": "tomorrow"}}, WantStatus: 400, WantField: "start"},
		{Name: "event ends before start", Method: "POST", Path: "/api/v1/calendar/events", Request: servertest.Request{JSON: map[string]any{"calendar_id": cal.ID, "title": "x", "start": "2026-03-01T10:00", "end": "2026-03-01T09:00"}}, WantStatus: 400, WantField: "end"},
		{Name: "event bad rrule", Method: "POST", Path: "/api/v1/calendar/events", Request: servertest.Request{JSON: map[string]any{"calendar_id": cal.ID, "title": "x", "start": "2026-03-01T10:00", "rrule": "FREQ=SECONDLY"}}, WantStatus: 400, WantField: "rrule"},
		{Name: "event bad attendee", Method: "POST", Path: "/api/v1/calendar/events", Request: servertest.Request{JSON: map[string]any{"calendar_id": cal.ID, "title": "x", "start": "2026-03-01T10:00", "attendees": []map[string]string{{"email": "not an address"}}}}, WantStatus: 400, WantField: "attendees"},
		{Name: "event bad weight", Method: "POST", Path: "/api/v1/calendar/events", Request: servertest.Request{JSON: map[string]any{"calendar_id": cal.ID, "title": "x", "start": "2026-03-01T10:00", "weight": 11}}, WantStatus: 400, WantField: "weight"},
		{Name: "event all-day with a time", Method: "POST", Path: "/api/v1/calendar/events", Request: servertest.Request{JSON: map[string]any{"calendar_id": cal.ID, "title": "x", "all_day": true, "start": "2026-03-01T10:00"}}, WantStatus: 400, WantField: "start"},
		{Name: "all-day event", Method: "POST", Path: "/api/v1/calendar/events", Request: servertest.Request{JSON: map[string]any{"calendar_id": cal.ID, "title": "Holiday", "all_day": true, "start": "2026-03-10"}},
			WantStatus: 201, WantContains: []string{`"start":"2026-03-10"`, `"end":"2026-03-11"`, `"all_day":true`}},
		{Name: "instances", Method: "GET", Path: "/api/v1/calendar/events?" + march, WantStatus: 200,
			WantContains: []string{`"title":"Holiday"`, `"start":"2026-03-23T09:00:00+01:00"`, `"start":"2026-03-30T09:00:00+02:00"`, `"recurring":true`}},
		{Name: "instances of one calendar", Method: "GET", Path: fmt.Sprintf("/api/v1/calendar/events?%s&calendar=%d", march, cal.ID), WantStatus: 200, WantContains: []string{`Standup`}},
		{Name: "instances of another's calendar", Method: "GET", Path: fmt.Sprintf("/api/v1/calendar/events?%s&calendar=%d", march, otherCal.ID), WantStatus: 404},
		{Name: "instances no range", Method: "GET", Path: "/api/v1/calendar/events", WantStatus: 400, WantField: "from"},
		{Name: "instances bad to", Method: "GET", Path: "/api/v1/calendar/events?from=2026-03-01&to=soon", WantStatus: 400, WantField: "to"},
		{Name: "instances range backwards", Method: "GET", Path: "/api/v1/calendar/events?from=2026-03-01&to=2026-02-01", WantStatus: 400, WantField: "to"},
		{Name: "instances range too long", Method: "GET", Path: "/api/v1/calendar/events?from=2026-01-01&to=2028-01-01", WantStatus: 400, WantField: "to"},
		{Name: "instances bad calendar", Method: "GET", Path: "/api/v1/calendar/events?" + march + "&calendar=x", WantStatus: 400, WantField: "calendar"},
		{Name: "get event", Method: "GET", Path: "/api/v1/calendar/events/0", WantStatus: 404},
	} {
		sc.Run(t, c)
	}
	// One instance moved by PATCH with scope "this", one deleted.
	is := instances(t, c, march+fmt.Sprintf("&calendar=%d", cal.ID))
	var series []instView
	for _, i := range is {
		if i.EventID == ev.ID {
			series = append(series, i)
		}
	}
	if len(series) != 2 { // 23 and 30 March; 6 April is outside
		t.Fatalf("series instances %+v", series)
	}
	for _, sc := range []servertest.Scenario{
		{Name: "move one instance", Method: "PATCH", Path: ep(""), Request: servertest.Request{JSON: map[string]any{
			"scope": "this", "recurrence_id": series[1].RecurrenceID, "start": "2026-03-31T14:00", "title": "Standup (Tue)"}},
			WantStatus: 200, WantContains: []string{`"recurrence_id":"` + series[1].RecurrenceID, `"start":"2026-03-31T14:00:00+02:00"`, `"end":"2026-03-31T14:15:00+02:00"`}},
		{Name: "this needs an instance", Method: "PATCH", Path: ep(""), Request: servertest.Request{JSON: map[string]any{"scope": "this", "title": "x"}}, WantStatus: 400, WantField: "recurrence_id"},
		{Name: "not an instance", Method: "PATCH", Path: ep(""), Request: servertest.Request{JSON: map[string]any{"scope": "this", "recurrence_id": "2026-03-24T08:00:00Z", "title": "x"}}, WantStatus: 400, WantField: "recurrence_id"},
		{Name: "bad scope", Method: "PATCH", Path: ep(""), Request: servertest.Request{JSON: map[string]any{"scope": "some", "title": "x"}}, WantStatus: 400, WantField: "scope"},
		{Name: "instance has no rule", Method: "PATCH", Path: ep(""), Request: servertest.Request{JSON: map[string]any{"scope": "this", "recurrence_id": series[0].RecurrenceID, "rrule": "FREQ=DAILY"}}, WantStatus: 400, WantField: "rrule"},
		{Name: "no moving into another's calendar", Method: "PATCH", Path: ep(""), Request: servertest.Request{JSON: map[string]any{"calendar_id": otherCal.ID}}, WantStatus: 404},
		{Name: "no moving one instance", Method: "PATCH", Path: ep(""), Request: servertest.Request{JSON: map[string]any{"calendar_id": otherCal.ID, "scope": "this", "recurrence_id": series[0].RecurrenceID}}, WantStatus: 400, WantField: "calendar_id"},
		{Name: "get series with override", Method: "GET", Path: ep(""), WantStatus: 200, WantContains: []string{`"overrides":[{`, `"title":"Standup (Tue)"`, `"attendees":[{"email":"ann@example.org","name":"Ann"}]`}},
		{Name: "delete first instance", Method: "DELETE", Path: ep("?scope=this&recurrence_id=" + url.QueryEscape(series[0].RecurrenceID)), WantStatus: 204},
		{Name: "after", Method: "GET", Path: fmt.Sprintf("/api/v1/calendar/events?%s&calendar=%d", march, cal.ID), WantStatus: 200,
			WantContains: []string{`"title":"Standup (Tue)"`, `"override":true`}, WantNotContains: []string{`"start":"2026-03-23T09:00:00+01:00"`}},
		{Name: "export", Method: "GET", Path: cp("/export.ics"), WantStatus: 200,
			WantHeaders: map[string]string{"Content-Type": "text/calendar", "Content-Disposition": `filename="Office.ics"`},
			WantContains: []string{"BEGIN:VCALENDAR\r\n", "X-WR-CALNAME:Office", "BEGIN:VTIMEZONE\r\nTZID:Europe/Berlin", "UID:" + ev.UID, "RRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=3",
				"EXDATE;TZID=Europe/Berlin:20260323T090000", "RECURRENCE-ID;TZID=Europe/Berlin:20260330T090000", "SUMMARY:Standup (Tue)", "ATTENDEE;CN=Ann:mailto:ann@example.org",
				"TRIGGER:-PT10M", "CATEGORIES:work", "X-AIWFE-WEIGHT:3", "DTSTART;VALUE=DATE:20260310"}},
		{Name: "export range", Method: "GET", Path: cp("/export.ics?from=2026-03-09&to=2026-03-12"), WantStatus: 200,
			WantContains: []string{"SUMMARY:Holiday"}, WantNotContains: []string{"Standup"}},
		{Name: "export bad range", Method: "GET", Path: cp("/export.ics?from=2026-03-09"), WantStatus: 400, WantField: "to"},
		// Another user: 404 for every calendar and event of this one.
		{Name: "other get calendar", Client: other, Method: "GET", Path: cp(""), WantStatus: 404},
		{Name: "other patch calendar", Client: other, Method: "PATCH", Path: cp(""), Request: servertest.Request{JSON: map[string]any{"name": "x"}}, WantStatus: 404},
		{Name: "other export", Client: other, Method: "GET", Path: cp("/export.ics"), WantStatus: 404},
		{Name: "other private feed", Client: other, Method: "POST", Path: cp("/private-feed"), WantStatus: 404},
		{Name: "other revoke private feed", Client: other, Method: "DELETE", Path: cp("/private-feed"), WantStatus: 404},
		{Name: "other refresh", Client: other, Method: "POST", Path: cp("/refresh"), WantStatus: 404},
		{Name: "other get event", Client: other, Method: "GET", Path: ep(""), WantStatus: 404},
		{Name: "other patch event", Client: other, Method: "PATCH", Path: ep(""), Request: servertest.Request{JSON: map[string]any{"title": "x"}}, WantStatus: 404},
		{Name: "other delete event", Client: other, Method: "DELETE", Path: ep(""), WantStatus: 404},
		{Name: "other import", Client: other, Method: "POST", Path: "/api/v1/calendar/import", Request: icsUpload(t, cal.ID, "a.ics", icsWeekly, nil), WantStatus: 404},
		{Name: "other delete calendar", Client: other, Method: "DELETE", Path: cp(""), WantStatus: 404},
		{Name: "other list", Client: other, Method: "GET", Path: "/api/v1/calendar/events?" + march, WantStatus: 200, WantContains: []string{`"items":[]`}},
		// Unauthenticated: 401 everywhere but the feed.
		{Name: "anon calendars", Client: anon, Method: "GET", Path: "/api/v1/calendar/calendars", WantStatus: 401},
		{Name: "anon create calendar", Client: anon, Method: "POST", Path: "/api/v1/calendar/calendars", Request: servertest.Request{JSON: map[string]any{"name": "x"}}, WantStatus: 401},
		{Name: "anon calendar", Client: anon, Method: "GET", Path: cp(""), WantStatus: 401},
		{Name: "anon patch calendar", Client: anon, Method: "PATCH", Path: cp(""), Request: servertest.Request{JSON: map[string]any{"name": "x"}}, WantStatus: 401},
		{Name: "anon delete calendar", Client: anon, Method: "DELETE", Path: cp(""), WantStatus: 401},
		{Name: "anon export", Client: anon, Method: "GET", Path: cp("/export.ics"), WantStatus: 401},
		{Name: "anon refresh", Client: anon, Method: "POST", Path: cp("/refresh"), WantStatus: 401},
		{Name: "anon private feed", Client: anon, Method: "POST", Path: cp("/private-feed"), WantStatus: 401},
		{Name: "anon revoke", Client: anon, Method: "DELETE", Path: cp("/private-feed"), WantStatus: 401},
		{Name: "anon events", Client: anon, Method: "GET", Path: "/api/v1/calendar/events?" + march, WantStatus: 401},
		{Name: "anon create event", Client: anon, Method: "POST", Path: "/api/v1/calendar/events", Request: servertest.Request{JSON: map[string]any{"calendar_id": cal.ID}}, WantStatus: 401},
		{Name: "anon event", Client: anon, Method: "GET", Path: ep(""), WantStatus: 401},
		{Name: "anon patch event", Client: anon, Method: "PATCH", Path: ep(""), Request: servertest.Request{JSON: map[string]any{"title": "x"}}, WantStatus: 401},
		{Name: "anon delete event", Client: anon, Method: "DELETE", Path: ep(""), WantStatus: 401},
		{Name: "anon import", Client: anon, Method: "POST", Path: "/api/v1/calendar/import", Request: icsUpload(t, cal.ID, "a.ics", icsWeekly, nil), WantStatus: 401},
		// Refresh is for feeds.
		{Name: "refresh a local calendar", Method: "POST", Path: cp("/refresh"), WantStatus: 400},
		{Name: "delete series", Method: "DELETE", Path: ep(""), WantStatus: 204},
		{Name: "deleted", Method: "GET", Path: ep(""), WantStatus: 404},
	} {
		sc.Run(t, c)
	}
}

func TestCalendarImport(t *testing.T) {
	srv := servertest.Start(t)
	c := srv.User(t, "user")
	cal := newCalendar(t, c, map[string]any{"name": "Imported", "timezone": "Europe/Berlin"})
	for _, sc := range []servertest.Scenario{
		{Name: "import", Method: "POST", Path: "/api/v1/calendar/import", Request: icsUpload(t, cal.ID, "yoga.ics", icsWeekly, nil), WantStatus: 200,
			WantContains: []string{`"created":1`, `"updated":0`, `"skipped":2`, `"uid":"broken@test"`, `no DTSTART`}},
		{Name: "import again: idempotent", Method: "POST", Path: "/api/v1/calendar/import", Request: icsUpload(t, cal.ID, "yoga.ics", icsWeekly, nil), WantStatus: 200,
			WantContains: []string{`"created":0`, `"updated":0`, `"skipped":3`}},
		{Name: "import changed as text/calendar", Method: "POST", Path: fmt.Sprintf("/api/v1/calendar/import?calendar_id=%d", cal.ID),
			Request:    servertest.Request{JSON: strings.Replace(icsWeekly, "SUMMARY:Yoga", "SUMMARY:Yoga (hall B)", 1), Headers: map[string]string{"Content-Type": "text/calendar; charset=utf-8"}},
			WantStatus: 200, WantContains: []string{`"created":0`, `"updated":1`}},
		{Name: "instances", Method: "GET", Path: "/api/v1/calendar/events?from=2026-03-01&to=2026-04-01", WantStatus: 200,
			WantContains: []string{`"title":"Yoga (hall B)"`, `"start":"2026-03-23T18:00:00+01:00"`}},
		{Name: "not ics", Method: "POST", Path: "/api/v1/calendar/import", Request: icsUpload(t, cal.ID, "x.ics", "hello", nil), WantStatus: 400, WantField: "file"},
		{Name: "cut off", Method: "POST", Path: "/api/v1/calendar/import", Request: icsUpload(t, cal.ID, "x.ics", icsWeekly[:200], nil), WantStatus: 400, WantField: "file"},
		{Name: "nested too deep", Method: "POST", Path: "/api/v1/calendar/import",
			Request: icsUpload(t, cal.ID, "x.ics", "BEGIN:VCALENDAR\r\n"+strings.Repeat("BEGIN:X\r\n", 100000)+"END:VCALENDAR\r\n", nil), WantStatus: 400, WantField: "file",
			WantContains: []string{"nested more than 8 deep"}},
		{Name: "no file", Method: "POST", Path: "/api/v1/calendar/import", Request: icsUpload(t, cal.ID, "", "", nil), WantStatus: 400, WantField: "file"},
		{Name: "no calendar", Method: "POST", Path: "/api/v1/calendar/import", Request: icsUpload(t, nil, "x.ics", icsWeekly, nil), WantStatus: 400, WantField: "calendar_id"},
		{Name: "unknown field", Method: "POST", Path: "/api/v1/calendar/import", Request: icsUpload(t, cal.ID, "x.ics", icsWeekly, map[string]string{"mode": "x"}), WantStatus: 400, WantField: "mode"},
		{Name: "JSON body", Method: "POST", Path: "/api/v1/calendar/import", Request: servertest.Request{JSON: map[string]any{"file": "x"}}, WantStatus: 415},
	} {
		sc.Run(t, c)
	}
}

func TestCalendarPrivateFeed(t *testing.T) {
	srv := servertest.Start(t)
	c := srv.User(t, "user")
	anon := srv.Client(t)
	cal := newCalendar(t, c, map[string]any{"name": "Family"})
	if res := c.Post("/api/v1/calendar/events", map[string]any{"calendar_id": cal.ID, "title": "Dinner", "start": "2026-05-01T19:00"}); res.Status != 201 {
		t.Fatal(res)
	}
	mk := func() string {
		res := c.Post(fmt.Sprintf("/api/v1/calendar/calendars/%d/private-feed", cal.ID), nil)
		if res.Status != 201 {
			t.Fatalf("private feed: %s", res)
		}
		var pf struct{ Token, URL string }
		res.JSON(t, &pf)
		if !strings.HasSuffix(pf.URL, "/api/v1/calendar/feed/"+pf.Token+".ics") || len(pf.Token) != 43 {
			t.Fatalf("feed %+v", pf)
		}
		return "/api/v1/calendar/feed/" + pf.Token + ".ics"
	}
	first := mk()
	for _, sc := range []servertest.Scenario{
		{Name: "feed, no session needed", Client: anon, Method: "GET", Path: first, WantStatus: 200,
			WantHeaders: map[string]string{"Content-Type": "text/calendar"}, WantContains: []string{"SUMMARY:Dinner", "X-WR-CALNAME:Family"}},
		{Name: "calendar says it has one", Method: "GET", Path: fmt.Sprintf("/api/v1/calendar/calendars/%d", cal.ID), WantStatus: 200,
			WantContains: []string{`"private_feed":true`}, WantNotContains: []string{strings.TrimSuffix(strings.TrimPrefix(first, "/api/v1/calendar/feed/"), ".ics")}},
		{Name: "wrong token", Client: anon, Method: "GET", Path: "/api/v1/calendar/feed/" + strings.Repeat("A", 43) + ".ics", WantStatus: 404},
		{Name: "short token", Client: anon, Method: "GET", Path: "/api/v1/calendar/feed/abc.ics", WantStatus: 404},
	} {
		sc.Run(t, c)
	}
	second := mk() // rotate: the first URL stops working
	if res := anon.Get(first); res.Status != 404 {
		t.Fatalf("rotated feed still answers: %s", res)
	}
	if res := anon.Get(second); res.Status != 200 {
		t.Fatalf("new feed: %s", res)
	}
	if res := c.Delete(fmt.Sprintf("/api/v1/calendar/calendars/%d/private-feed", cal.ID)); res.Status != 204 {
		t.Fatal(res)
	}
	if res := anon.Get(second); res.Status != 404 {
		t.Fatalf("revoked feed still answers: %s", res)
	}
	// Only the hash is stored.
	var n int
	srv.App.Store.DB.QueryRow("SELECT COUNT(*) FROM calendars WHERE token_hash IS NOT NULL").Scan(&n)
	if n != 0 {
		t.Fatalf("%d token hashes left after revoking", n)
	}
}

// feedServer is an ICS feed on loopback with ETag and Last-Modified.
type feedServer struct {
	*httptest.Server
	mu       sync.Mutex
	body     string
	status   int
	gets     atomic.Int64
	notMod   atomic.Int64
	lastINM  string
	modified string
}

func newFeedServer(t *testing.T, body string) *feedServer {
	f := &feedServer{body: body, status: 200, modified: "Mon, 02 Mar 2026 10:00:00 GMT"}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.gets.Add(1)
		f.mu.Lock()
		defer f.mu.Unlock()
		f.lastINM = r.Header.Get("If-None-Match")
		if f.status != 200 {
			w.WriteHeader(f.status)
			return
		}
		etag := fmt.Sprintf(`"%x"`, len(f.body)*7919+strings.Count(f.body, "SUMMARY"))
		if r.Header.Get("If-None-Match") == etag {
			f.notMod.Add(1)
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("ETag", etag)
		w.Header().Set("Last-Modified", f.modified)
		w.Header().Set("Content-Type", "text/calendar")
		w.Write([]byte(f.body))
	}))
	t.Cleanup(f.Close)
	return f
}

func (f *feedServer) set(status int, body string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.status, f.body = status, body
}

func feedICS(events ...string) string {
	var b strings.Builder
	b.WriteString("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//feed//EN\r\nREFRESH-INTERVAL;VALUE=DURATION:PT2H\r\n")
	for i, e := range events {
		fmt.Fprintf(&b, "BEGIN:VEVENT\r\nUID:feed-%d@test\r\nDTSTAMP:20260101T000000Z\r\nSUMMARY:%s\r\nDTSTART:2026040%dT100000Z\r\nDTEND:2026040%dT110000Z\r\nEND:VEVENT\r\n", i, e, i+1, i+1)
	}
	b.WriteString("END:VCALENDAR\r\n")
	return b.String()
}

func TestCalendarFeedSubscription(t *testing.T) {
	feed := newFeedServer(t, feedICS("Match", "Training"))
	srv := servertest.Start(t, func(c *config.Config) {
		// The test's own server is reached only because it is allowed.
		c.Outbound.Allow = []string{feed.Listener.Addr().String()}
		c.Calendar.FeedMaxEvents = 3
	})
	c := srv.User(t, "user")
	cal := newCalendar(t, c, map[string]any{"name": "Club", "feed_url": feed.URL + "/club.ics"})
	if cal.Source != "feed" || !cal.ReadOnly {
		t.Fatalf("feed calendar %+v", cal)
	}
	get := func() calView {
		var v calView
		c.Get(fmt.Sprintf("/api/v1/calendar/calendars/%d", cal.ID)).JSON(t, &v)
		return v
	}
	// The background refresher fetches a new subscription at once.
	poll(t, 10*time.Second, "first refresh", func() bool { return get().Feed.RefreshedAt != nil })
	v := get()
	if v.Feed.Error != "" || v.Feed.IntervalSeconds != 7200 {
		t.Fatalf("feed state %+v", v.Feed)
	}
	is := instances(t, c, "from=2026-04-01&to=2026-04-10")
	if len(is) != 2 || is[0].Title != "Match" {
		t.Fatalf("feed instances %+v", is)
	}
	// Refresh now: the server answers 304 to the stored ETag.
	before := feed.notMod.Load()
	if res := c.Post(fmt.Sprintf("/api/v1/calendar/calendars/%d/refresh", cal.ID), nil); res.Status != 200 || !strings.Contains(string(res.Body), `"created":0`) {
		t.Fatalf("refresh: %s", res)
	}
	if feed.notMod.Load() != before+1 {
		t.Fatalf("no conditional GET (If-None-Match %q)", feed.lastINM)
	}
	// The feed changes: one event renamed, one gone, one new.
	feed.set(200, feedICS("Match (away)", "", "Party"))
	res := c.Post(fmt.Sprintf("/api/v1/calendar/calendars/%d/refresh", cal.ID), nil)
	if res.Status != 200 || !strings.Contains(string(res.Body), `"created":1,"updated":2`) {
		t.Fatalf("refresh after change: %s", res)
	}
	titles := func() string {
		var out []string
		for _, i := range instances(t, c, "from=2026-04-01&to=2026-04-10") {
			out = append(out, i.Title)
		}
		return strings.Join(out, ",")
	}
	if got := titles(); got != "Match (away),,Party" {
		t.Fatalf("after change: %s", got)
	}
	feed.set(200, feedICS("Match (away)", "Party"))
	if res := c.Post(fmt.Sprintf("/api/v1/calendar/calendars/%d/refresh", cal.ID), nil); !strings.Contains(string(res.Body), `"deleted":1`) {
		t.Fatalf("refresh with an event gone: %s", res)
	}
	// A failing feed keeps its last good copy and shows the error.
	for _, bad := range []struct {
		status int
		body   string
		want   string
	}{
		{500, "", "500"},
		{200, "<html>not a calendar</html>", "not iCalendar"},
		{200, feedICS("a", "b", "c", "d"), "at most 3"},
	} {
		feed.set(bad.status, bad.body)
		res := c.Post(fmt.Sprintf("/api/v1/calendar/calendars/%d/refresh", cal.ID), nil)
		if res.Status != 502 || res.ErrorCode() != "feed_failed" || !strings.Contains(string(res.Body), bad.want) {
			t.Fatalf("failing feed (%d): %s", bad.status, res)
		}
		if v := get(); !strings.Contains(v.Feed.Error, bad.want) {
			t.Fatalf("calendar does not show the error: %+v", v.Feed)
		}
		if got := titles(); got != "Match (away),Party" {
			t.Fatalf("the last good copy changed: %s", got)
		}
	}
	feed.set(200, feedICS("Match (away)", "Party"))
	c.Post(fmt.Sprintf("/api/v1/calendar/calendars/%d/refresh", cal.ID), nil)
	if v := get(); v.Feed.Error != "" {
		t.Fatalf("error stays after a good refresh: %q", v.Feed.Error)
	}
	// Read-only: every write to a feed calendar's events is a clear 409.
	ev := instances(t, c, "from=2026-04-01&to=2026-04-10")[0]
	for _, sc := range []servertest.Scenario{
		{Name: "create in feed", Method: "POST", Path: "/api/v1/calendar/events", Request: servertest.Request{JSON: map[string]any{"calendar_id": cal.ID, "title": "x", "start": "2026-04-01T10:00"}},
			WantStatus: 409, WantCode: "calendar_read_only"},
		{Name: "patch feed event", Method: "PATCH", Path: fmt.Sprintf("/api/v1/calendar/events/%d", ev.EventID), Request: servertest.Request{JSON: map[string]any{"title": "x"}},
			WantStatus: 409, WantCode: "calendar_read_only"},
		{Name: "delete feed event", Method: "DELETE", Path: fmt.Sprintf("/api/v1/calendar/events/%d", ev.EventID), WantStatus: 409, WantCode: "calendar_read_only"},
		{Name: "import into feed", Method: "POST", Path: "/api/v1/calendar/import", Request: icsUpload(t, cal.ID, "x.ics", icsWeekly, nil), WantStatus: 409, WantCode: "calendar_read_only"},
		{Name: "event of a feed shows read-only", Method: "GET", Path: fmt.Sprintf("/api/v1/calendar/events/%d", ev.EventID), WantStatus: 200, WantContains: []string{`"read_only":true`}},
		{Name: "export a feed", Method: "GET", Path: fmt.Sprintf("/api/v1/calendar/calendars/%d/export.ics", cal.ID), WantStatus: 200, WantContains: []string{"SUMMARY:Party"}},
		{Name: "rename a feed", Method: "PATCH", Path: fmt.Sprintf("/api/v1/calendar/calendars/%d", cal.ID), Request: servertest.Request{JSON: map[string]any{"name": "Club (away)"}}, WantStatus: 200},
	} {
		sc.Run(t, c)
	}
}

// Feed URLs that point at the appliance itself, the LAN or a metadata
// service are refused when the feed is fetched, with a reason, and
// nothing reaches them.
func TestCalendarFeedSSRF(t *testing.T) {
	allowed := newFeedServer(t, feedICS("x"))
	target := newFeedServer(t, feedICS("secret")) // on loopback, not allowed
	redirect := httptest.NewServer(http.RedirectHandler(target.URL+"/internal.ics", http.StatusFound))
	t.Cleanup(redirect.Close)
	srv := servertest.Start(t, func(c *config.Config) {
		c.Outbound.Allow = []string{allowed.Listener.Addr().String(), redirect.Listener.Addr().String()}
	})
	c := srv.User(t, "user")
	port := target.URL[strings.LastIndex(target.URL, ":"):]
	for _, u := range []string{
		"http://127.0.0.1" + port + "/x.ics",
		"http://[::1]" + port + "/x.ics",
		"http://169.254.169.254/latest/meta-data/",
		"http://10.1.2.3/cal.ics",
		"http://192.168.0.10/cal.ics",
		"http://localhost" + port + "/x.ics", // a name that resolves to loopback
		"webcal://127.0.0.1" + port + "/x.ics",
		redirect.URL + "/go.ics", // allowed itself, but redirects to loopback
	} {
		t.Run(u, func(t *testing.T) {
			cal := newCalendar(t, c, map[string]any{"name": "x", "feed_url": u})
			res := c.Post(fmt.Sprintf("/api/v1/calendar/calendars/%d/refresh", cal.ID), nil)
			if res.Status != 502 || res.ErrorCode() != "feed_failed" || !strings.Contains(string(res.Body), "loopback, private, link-local") {
				t.Fatalf("%s: %s", u, res)
			}
			var v calView
			c.Get(fmt.Sprintf("/api/v1/calendar/calendars/%d", cal.ID)).JSON(t, &v)
			if !strings.Contains(v.Feed.Error, "not allowed") {
				t.Fatalf("calendar error %q", v.Feed.Error)
			}
		})
	}
	if n := target.gets.Load(); n != 0 {
		t.Fatalf("the loopback target was reached %d times", n)
	}
	// The allowed server is reached.
	cal := newCalendar(t, c, map[string]any{"name": "ok", "feed_url": allowed.URL + "/ok.ics"})
	if res := c.Post(fmt.Sprintf("/api/v1/calendar/calendars/%d/refresh", cal.ID), nil); res.Status != 200 {
		t.Fatalf("allowed feed: %s", res)
	}
}

// Every committed change to a user's events is told to their open pages
// on /ws/progress: from the REST API, from a CalDAV client (the service's
// object API) and from a feed refresh; another user hears nothing.
func TestCalendarChangesOnWebSocket(t *testing.T) {
	srv := servertest.Start(t)
	c, other := srv.User(t, "user"), srv.User(t, "user")
	ws := dialWS(t, srv.URL, "/api/v1/ws/progress", accessTokenOf(t, c))
	wsOther := dialWS(t, srv.URL, "/api/v1/ws/progress", accessTokenOf(t, other))
	poll(t, 5*time.Second, "subscriptions", func() bool {
		return srv.App.Hub.Subscribers(mustUserID(t, c)) == 1 && srv.App.Hub.Subscribers(mustUserID(t, other)) == 1
	})
	cal := newCalendar(t, c, map[string]any{"name": "Home"})
	want := func(what string) {
		t.Helper()
		f := ws.expect("event")
		data := frame(f["data"].(map[string]any))
		if data.str("type") != "calendar" || data.num("calendar_id") != cal.ID || data.str("what") != what {
			t.Fatalf("frame %v", f)
		}
	}
	if res := c.Post("/api/v1/calendar/events", map[string]any{"calendar_id": cal.ID, "title": "Dentist", "start": "2026-05-04T08:00"}); res.Status != 201 {
		t.Fatal(res)
	}
	want("events")
	if _, _, err := srv.App.Calendar.PutObject(context.Background(), mustUserID(t, c), cal.ID, "weekly-1@test",
		[]byte(strings.Replace(icsWeekly, "BEGIN:VEVENT\r\nUID:broken@test\r\nSUMMARY:No start\r\nEND:VEVENT\r\nBEGIN:VTODO\r\nUID:todo@test\r\nSUMMARY:A task\r\nEND:VTODO\r\n", "", 1)),
		calendar.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	want("events")
	if res := c.Do("POST", "/api/v1/calendar/import", icsUpload(t, cal.ID, "a.ics", strings.Replace(icsWeekly, "Yoga", "Pilates", 1), nil)); res.Status != 200 {
		t.Fatal(res)
	}
	want("events")
	wsOther.send(map[string]string{"type": "ping"})
	if f := wsOther.expect("pong"); f == nil {
		t.Fatal("no pong")
	}
}

// A real-world calendar (python3-icalendar's test suite) served as a feed
// gives the same instances as the same file imported, and its export
// imported again gives them too.
func TestCalendarFeedRoundTrip(t *testing.T) {
	data, err := os.ReadFile("/usr/lib/python3/dist-packages/icalendar/tests/x_location.ics")
	if err != nil {
		t.Fatalf("install python3-icalendar (scripts/test-deps.sh): %v", err)
	}
	feed := newFeedServer(t, string(data))
	srv := servertest.Start(t, func(c *config.Config) { c.Outbound.Allow = []string{feed.Listener.Addr().String()} })
	c := srv.User(t, "user")
	sub := newCalendar(t, c, map[string]any{"name": "Feed", "feed_url": feed.URL + "/x.ics"})
	if res := c.Post(fmt.Sprintf("/api/v1/calendar/calendars/%d/refresh", sub.ID), nil); res.Status != 200 {
		t.Fatal(res)
	}
	local := newCalendar(t, c, map[string]any{"name": "Local"})
	if res := c.Do("POST", "/api/v1/calendar/import", icsUpload(t, local.ID, "x.ics", string(data), nil)); res.Status != 200 || !strings.Contains(string(res.Body), `"created":1`) {
		t.Fatal(res)
	}
	export := c.Get(fmt.Sprintf("/api/v1/calendar/calendars/%d/export.ics", sub.ID))
	again := newCalendar(t, c, map[string]any{"name": "Again"})
	if res := c.Do("POST", "/api/v1/calendar/import", icsUpload(t, again.ID, "x.ics", string(export.Body), nil)); res.Status != 200 || !strings.Contains(string(res.Body), `"created":1`) {
		t.Fatal(res)
	}
	year := "from=2017-01-01&to=2018-01-01&calendar="
	view := func(id int64) string {
		var out []string
		for _, i := range instances(t, c, year+fmt.Sprint(id)) {
			out = append(out, i.Start+" "+i.Title)
		}
		return strings.Join(out, "\n")
	}
	fromFeed := view(sub.ID)
	if n := strings.Count(fromFeed, "\n") + 1; n < 50 {
		t.Fatalf("only %d instances in a year from the feed", n)
	}
	if got := view(local.ID); got != fromFeed {
		t.Fatalf("imported:\n%s\nfeed:\n%s", got, fromFeed)
	}
	if got := view(again.ID); got != fromFeed {
		t.Fatalf("export of the feed imported:\n%s\nfeed:\n%s", got, fromFeed)
	}
}
