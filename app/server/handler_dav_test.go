package server_test

import (
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aiwfe/aiwfe/app/auth"
	"github.com/aiwfe/aiwfe/app/calendar"
	"github.com/aiwfe/aiwfe/app/server/servertest"
	"github.com/aiwfe/aiwfe/store"
	"github.com/aiwfe/aiwfe/tlsmgr"
)

// davEnv is a server with one user holding an app password and a local
// calendar.
type davEnv struct {
	srv     *servertest.Server
	user    *servertest.Client
	userID  int64
	email   string
	secret  string
	calID   int64
	calPath string
}

func startDAV(t *testing.T) *davEnv {
	t.Helper()
	srv := servertest.Start(t)
	u := srv.User(t, "user")
	e := &davEnv{srv: srv, user: u, email: u.Email, userID: profileID(t, u)}
	e.secret = createAppPassword(t, u, "test client")
	res := u.Post("/api/v1/calendar/calendars", map[string]any{"name": "Work"})
	if res.Status != 201 {
		t.Fatalf("POST calendar: %s", res)
	}
	var c struct {
		ID int64 `json:"id"`
	}
	res.JSON(t, &c)
	e.calID = c.ID
	e.calPath = fmt.Sprintf("/dav/%d/calendars/%d/", e.userID, e.calID)
	return e
}

// davCalendar makes a local calendar through the calendar service (the
// benchmark's shortcut; tests use the REST API).
func davCalendar(t testing.TB, srv *servertest.Server, userID int64, name string) int64 {
	t.Helper()
	c, err := srv.App.Calendar.CreateCalendar(context.Background(), userID, calendar.CalendarInput{Name: &name})
	if err != nil {
		t.Fatal(err)
	}
	return c.ID
}

type davResponse struct {
	Status int
	Header http.Header
	Body   string
}

// dav sends one request with Basic auth (none when user is "").
func davDo(t testing.TB, base, method, path, user, pass, body string, hdr ...string) davResponse {
	t.Helper()
	req, err := http.NewRequest(method, base+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if user != "" {
		req.SetBasicAuth(user, pass)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	c := &http.Client{Timeout: 30 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return davResponse{Status: res.StatusCode, Header: res.Header, Body: string(b)}
}

func (e *davEnv) do(t testing.TB, method, path, body string, hdr ...string) davResponse {
	t.Helper()
	return davDo(t, e.srv.URL, method, path, e.email, e.secret, body, hdr...)
}

const propfindPrincipal = `<?xml version="1.0" encoding="utf-8"?>
<d:propfind xmlns:d="DAV:"><d:prop><d:current-user-principal/></d:prop></d:propfind>`

const propfindEtags = `<?xml version="1.0" encoding="utf-8"?>
<d:propfind xmlns:d="DAV:"><d:prop><d:getetag/><d:resourcetype/><d:displayname/></d:prop></d:propfind>`

func eventICS(uid, summary, start string, extra ...string) string {
	return "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//aiwfe test//EN\r\nBEGIN:VEVENT\r\nUID:" + uid +
		"\r\nDTSTAMP:20261201T090000Z\r\nDTSTART:" + start + "\r\nDURATION:PT1H\r\nSUMMARY:" + summary + "\r\n" +
		strings.Join(extra, "") + "END:VEVENT\r\nEND:VCALENDAR\r\n"
}

func TestDAVAuth(t *testing.T) {
	e := startDAV(t)
	principal := fmt.Sprintf("/dav/%d/", e.userID)
	xml := []string{"Content-Type", "application/xml; charset=utf-8", "Depth", "0"}
	squashed := strings.ToUpper(strings.ReplaceAll(e.secret, "-", ""))
	for _, tc := range []struct {
		name, user, pass string
		want             int
	}{
		{"no credentials", "", "", 401},
		{"the account password", e.email, servertest.Password, 401},
		{"a wrong app password", e.email, "abcd-efgh-ijkm-npqr-stuv-wxyz", 401},
		{"malformed", e.email, "x", 401},
		{"someone else's email", "nobody@example.com", e.secret, 401},
		{"the app password", e.email, e.secret, 207},
		{"typed without dashes, in capitals", strings.ToUpper(e.email), squashed, 207},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := davDo(t, e.srv.URL, "PROPFIND", "/dav/", tc.user, tc.pass, propfindPrincipal, xml...)
			if res.Status != tc.want {
				t.Fatalf("%d, want %d: %s", res.Status, tc.want, res.Body)
			}
			if tc.want == 401 && !strings.HasPrefix(res.Header.Get("WWW-Authenticate"), "Basic realm=") {
				t.Errorf("WWW-Authenticate %q", res.Header.Get("WWW-Authenticate"))
			}
			if tc.want == 207 && !strings.Contains(res.Body, principal) {
				t.Errorf("no principal %s in %s", principal, res.Body)
			}
			// fiber's middleware applies to DAV as to everything else
			for _, h := range []string{"X-Request-Id", "X-Content-Type-Options", "X-Frame-Options"} {
				if res.Header.Get(h) == "" {
					t.Errorf("no %s header", h)
				}
			}
		})
	}

	// The use is recorded; the failures are audited with their reason.
	var used *string
	var ip string
	e.srv.App.Store.DB.QueryRow("SELECT last_used_at, last_used_ip FROM app_passwords WHERE user_id = ?", e.userID).Scan(&used, &ip)
	if used == nil || ip != "127.0.0.1" {
		t.Errorf("last use not recorded: %v %q", used, ip)
	}
	for _, reason := range []string{"bad_app_password", "unknown_email"} {
		var n int
		e.srv.App.Store.DB.QueryRow("SELECT COUNT(*) FROM security_events WHERE type = 'dav_login' AND reason = ?", reason).Scan(&n)
		if n == 0 {
			t.Errorf("no dav_login event with reason %s", reason)
		}
	}

	// Revoked: refused at the very next request.
	var id int64
	e.srv.App.Store.DB.QueryRow("SELECT id FROM app_passwords WHERE user_id = ?", e.userID).Scan(&id)
	if res := e.user.Delete(fmt.Sprintf("/api/v1/auth/app-passwords/%d", id)); res.Status != 204 {
		t.Fatal(res)
	}
	if res := e.do(t, "PROPFIND", "/dav/", propfindPrincipal, xml...); res.Status != 401 {
		t.Fatalf("revoked app password: %d %s", res.Status, res.Body)
	}

	// A suspended account's app passwords stop working too.
	f := startDAV(t)
	if _, err := f.srv.App.Store.DB.Exec("UPDATE users SET status = 'suspended' WHERE id = ?", f.userID); err != nil {
		t.Fatal(err)
	}
	f.srv.App.Auth.ForgetUser(f.userID)
	if res := f.do(t, "PROPFIND", "/dav/", propfindPrincipal, xml...); res.Status != 403 {
		t.Fatalf("suspended account: %d %s", res.Status, res.Body)
	}
}

// Wrong app passwords lock the client out like wrong passwords at the
// login, in counters of their own: the web sign-in from the same place
// still works.
func TestDAVRateLimited(t *testing.T) {
	e := startDAV(t)
	for i := range 5 {
		res := davDo(t, e.srv.URL, "PROPFIND", "/dav/", e.email, fmt.Sprintf("abcd-efgh-ijkm-npqr-stuv-wxy%d", i+2), propfindPrincipal, "Depth", "0", "Content-Type", "application/xml")
		if res.Status != 401 {
			t.Fatalf("guess %d: %d", i, res.Status)
		}
	}
	res := e.do(t, "PROPFIND", "/dav/", propfindPrincipal, "Depth", "0", "Content-Type", "application/xml")
	if res.Status != 429 || res.Header.Get("Retry-After") == "" {
		t.Fatalf("after five wrong app passwords: %d (Retry-After %q)", res.Status, res.Header.Get("Retry-After"))
	}
	if res := e.srv.Client(t).Login(e.email, servertest.Password); res.Status != 200 {
		t.Fatalf("the web sign-in is locked too: %s", res)
	}
	e.srv.Advance(2 * time.Minute)
	if res := e.do(t, "PROPFIND", "/dav/", propfindPrincipal, "Depth", "0", "Content-Type", "application/xml"); res.Status != 207 {
		t.Fatalf("after the lockout: %d %s", res.Status, res.Body)
	}
}

func TestDAVDiscovery(t *testing.T) {
	e := startDAV(t)
	for _, m := range []string{"GET", "PROPFIND"} {
		res := davDo(t, e.srv.URL, m, "/.well-known/caldav", "", "", "")
		if res.Status != 301 || res.Header.Get("Location") != "/dav/" {
			t.Errorf("%s /.well-known/caldav: %d Location %q", m, res.Status, res.Header.Get("Location"))
		}
	}
	// WebDAV methods stay refused elsewhere.
	if res := e.do(t, "PROPFIND", "/api/v1/profile", ""); res.Status != 405 {
		t.Errorf("PROPFIND on the API: %d", res.Status)
	}
	res := e.do(t, "OPTIONS", e.calPath, "")
	if !strings.Contains(res.Header.Get("DAV"), "calendar-access") {
		t.Errorf("OPTIONS: %d DAV %q", res.Status, res.Header.Get("DAV"))
	}
	// The home set lists the calendars, feeds marked read-only.
	feed := &store.Calendar{UserID: e.userID, Name: "Holidays", Timezone: "UTC", Source: store.CalendarFeed, FeedURL: "https://example.com/h.ics"}
	if err := store.InsertCalendar(context.Background(), e.srv.App.Store.DB, feed, time.Now()); err != nil {
		t.Fatal(err)
	}
	home := fmt.Sprintf("/dav/%d/calendars/", e.userID)
	res = e.do(t, "PROPFIND", home, propfindEtags, "Depth", "1", "Content-Type", "application/xml")
	if res.Status != 207 || !strings.Contains(res.Body, e.calPath) || !strings.Contains(res.Body, "Work") ||
		!strings.Contains(res.Body, fmt.Sprintf("%s%d/", home, feed.ID)) || !strings.Contains(res.Body, "calendar") {
		t.Fatalf("home set: %d %s", res.Status, res.Body)
	}
	feedPath := fmt.Sprintf("%s%d/", home, feed.ID)
	for _, tc := range []struct {
		name, method, path, body string
		hdr                      []string
		want                     int
	}{
		{"write to a feed", "PUT", feedPath + "x.ics", eventICS("x", "X", "20261202T100000Z"), []string{"Content-Type", "text/calendar"}, 403},
		{"delete from a feed", "DELETE", feedPath + "x.ics", "", nil, 403},
		{"make a calendar named by a number", "MKCALENDAR", home + "12345/", "", nil, 403},
		{"make a calendar outside the home", "MKCALENDAR", fmt.Sprintf("/dav/%d/elsewhere/", e.userID), "", nil, 403},
		{"a plain collection", "MKCOL", home + "plain/", `<d:mkcol xmlns:d="DAV:"><d:set><d:prop><d:resourcetype><d:collection/></d:resourcetype></d:prop></d:set></d:mkcol>`, []string{"Content-Type", "application/xml"}, 403},
		{"rename a calendar", "PROPPATCH", e.calPath, `<d:propertyupdate xmlns:d="DAV:"><d:set><d:prop><d:displayname>X</d:displayname></d:prop></d:set></d:propertyupdate>`, []string{"Content-Type", "application/xml"}, 403},
		{"delete a calendar", "DELETE", e.calPath, "", nil, 403},
		{"a calendar that is not there", "PROPFIND", home + "999999/", propfindEtags, []string{"Depth", "0", "Content-Type", "application/xml"}, 404},
		{"not an id", "PROPFIND", home + "abc/", propfindEtags, []string{"Depth", "0", "Content-Type", "application/xml"}, 404},
		{"an object that is not there", "GET", e.calPath + "nope.ics", "", nil, 404},
		{"not iCalendar", "PUT", e.calPath + "y.ics", "hello", []string{"Content-Type", "text/plain"}, 400},
		{"broken iCalendar", "PUT", e.calPath + "y.ics", "BEGIN:VCALENDAR\r\nnonsense", []string{"Content-Type", "text/calendar"}, 400},
		{"a body over the limit", "PUT", e.calPath + "big.ics", eventICS("big", strings.Repeat("x", 2<<20), "20261202T100000Z"), []string{"Content-Type", "text/calendar"}, 413},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if res := e.do(t, tc.method, tc.path, tc.body, tc.hdr...); res.Status != tc.want {
				t.Fatalf("%d, want %d: %s", res.Status, tc.want, res.Body)
			}
		})
	}
}

// Another user's calendars are 404 whatever the method, and their events
// stay untouched.
func TestDAVAnotherUser(t *testing.T) {
	e := startDAV(t)
	if res := e.do(t, "PUT", e.calPath+"mine.ics", eventICS("mine", "Mine", "20261202T100000Z"), "Content-Type", "text/calendar"); res.Status != 201 {
		t.Fatalf("put: %d %s", res.Status, res.Body)
	}
	o := e.srv.User(t, "user")
	otherSecret := createAppPassword(t, o, "other")
	obj := e.calPath + "mine.ics"
	for _, tc := range []struct{ method, path, body string }{
		{"GET", obj, ""},
		{"PROPFIND", e.calPath, propfindEtags},
		{"PUT", obj, eventICS("mine", "Stolen", "20261202T100000Z")},
		{"DELETE", obj, ""},
		{"REPORT", e.calPath, `<c:calendar-query xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav"><d:prop><d:getetag/></d:prop><c:filter><c:comp-filter name="VCALENDAR"/></c:filter></c:calendar-query>`},
	} {
		res := davDo(t, e.srv.URL, tc.method, tc.path, o.Email, otherSecret, tc.body, "Content-Type", "text/calendar", "Depth", "1")
		if tc.method == "PROPFIND" || tc.method == "REPORT" {
			res = davDo(t, e.srv.URL, tc.method, tc.path, o.Email, otherSecret, tc.body, "Content-Type", "application/xml", "Depth", "1")
		}
		if res.Status != 404 {
			t.Errorf("%s %s as another user: %d %s", tc.method, tc.path, res.Status, res.Body)
		}
	}
	got, err := e.srv.App.Calendar.Object(context.Background(), e.userID, e.calID, "mine")
	if err != nil || !strings.Contains(string(got.Data), "SUMMARY:Mine") {
		t.Fatalf("the owner's event: %v %v", err, got)
	}
}

// Conditional requests: ETags from the calendar service, 412 on a stale
// one.
func TestDAVConditional(t *testing.T) {
	e := startDAV(t)
	cal := []string{"Content-Type", "text/calendar; charset=utf-8"}
	obj := e.calPath + "ev-1.ics"
	res := e.do(t, "PUT", obj, eventICS("ev-1", "First", "20261202T100000Z"), append(cal, "If-None-Match", "*")...)
	if res.Status != 201 || res.Header.Get("ETag") == "" {
		t.Fatalf("create: %d ETag %q %s", res.Status, res.Header.Get("ETag"), res.Body)
	}
	etag1 := res.Header.Get("ETag")
	res = e.do(t, "GET", obj, "")
	if res.Status != 200 || res.Header.Get("ETag") != etag1 || !strings.Contains(res.Body, "SUMMARY:First") {
		t.Fatalf("get: %d ETag %q (want %q) %s", res.Status, res.Header.Get("ETag"), etag1, res.Body)
	}
	if res := e.do(t, "PUT", obj, eventICS("ev-1", "Again", "20261202T100000Z"), append(cal, "If-None-Match", "*")...); res.Status != 412 {
		t.Errorf("create over an existing one: %d", res.Status)
	}
	res = e.do(t, "PUT", obj, eventICS("ev-1", "Second", "20261202T100000Z"), append(cal, "If-Match", etag1)...)
	if res.Status != 201 && res.Status != 204 || res.Header.Get("ETag") == etag1 {
		t.Fatalf("update at the current ETag: %d ETag %q", res.Status, res.Header.Get("ETag"))
	}
	etag2 := res.Header.Get("ETag")
	// The other client still holds etag1: its edit and its delete fail.
	if res := e.do(t, "PUT", obj, eventICS("ev-1", "Lost update", "20261202T100000Z"), append(cal, "If-Match", etag1)...); res.Status != 412 {
		t.Errorf("update at a stale ETag: %d %s", res.Status, res.Body)
	}
	if res := e.do(t, "DELETE", obj, "", "If-Match", etag1); res.Status != 412 {
		t.Errorf("delete at a stale ETag: %d %s", res.Status, res.Body)
	}
	if res := e.do(t, "PUT", e.calPath+"nothing.ics", eventICS("nothing", "N", "20261202T100000Z"), append(cal, "If-Match", "*")...); res.Status != 412 {
		t.Errorf("If-Match * on nothing: %d", res.Status)
	}
	got, _ := e.srv.App.Calendar.Object(context.Background(), e.userID, e.calID, "ev-1")
	if got == nil || !strings.Contains(string(got.Data), "SUMMARY:Second") {
		t.Fatalf("the stored event: %+v", got)
	}
	if res := e.do(t, "DELETE", obj, "", "If-Match", etag2); res.Status != 204 {
		t.Fatalf("delete at the current ETag: %d %s", res.Status, res.Body)
	}
	if res := e.do(t, "GET", obj, ""); res.Status != 404 {
		t.Errorf("after delete: %d", res.Status)
	}
}

func calendarQuery(from, to string) string {
	return `<?xml version="1.0" encoding="utf-8"?>
<c:calendar-query xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav">
<d:prop><d:getetag/><c:calendar-data/></d:prop>
<c:filter><c:comp-filter name="VCALENDAR"><c:comp-filter name="VEVENT"><c:time-range start="` + from + `" end="` + to + `"/></c:comp-filter></c:comp-filter></c:filter>
</c:calendar-query>`
}

// A calendar-query's time range is answered from the expanded instances:
// a weekly series that began long before the range is in it, an event
// outside is not.
func TestDAVCalendarQuery(t *testing.T) {
	e := startDAV(t)
	cal := []string{"Content-Type", "text/calendar"}
	for _, ev := range []string{
		eventICS("weekly", "Standup", "20260105T090000Z", "RRULE:FREQ=WEEKLY;BYDAY=MO\r\n"),
		eventICS("inside", "Inside", "20261210T120000Z"),
		eventICS("outside", "Outside", "20270310T120000Z"),
		eventICS("odd/uid with space", "Odd", "20261211T120000Z"),
	} {
		uid := strings.TrimPrefix(strings.Split(strings.Split(ev, "UID:")[1], "\r\n")[0], "")
		if res := e.do(t, "PUT", e.calPath+"x-"+fmt.Sprint(len(uid))+".ics", ev, cal...); res.Status != 201 {
			t.Fatalf("put %s: %d %s", uid, res.Status, res.Body)
		}
	}
	res := e.do(t, "REPORT", e.calPath, calendarQuery("20261201T000000Z", "20270101T000000Z"), "Content-Type", "application/xml", "Depth", "1")
	if res.Status != 207 {
		t.Fatalf("report: %d %s", res.Status, res.Body)
	}
	for _, want := range []string{"weekly.ics", "inside.ics", "SUMMARY:Standup", "SUMMARY:Inside", "SUMMARY:Odd", "/h-"} {
		if !strings.Contains(res.Body, want) {
			t.Errorf("report lacks %q", want)
		}
	}
	if strings.Contains(res.Body, "Outside") {
		t.Errorf("report holds the event outside the range")
	}
	// The UID that is not a safe name is reachable under its hashed name.
	i := strings.Index(res.Body, "/h-")
	href := res.Body[strings.LastIndex(res.Body[:i], ">")+1 : i+len("/h-")+44]
	if got := e.do(t, "GET", href, ""); got.Status != 200 || !strings.Contains(got.Body, "UID:odd/uid with space") {
		t.Errorf("GET %s: %d %s", href, got.Status, got.Body)
	}
	// calendar-multiget
	multi := `<?xml version="1.0" encoding="utf-8"?><c:calendar-multiget xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav"><d:prop><d:getetag/><c:calendar-data/></d:prop>` +
		`<d:href>` + e.calPath + `inside.ics</d:href><d:href>` + e.calPath + `gone.ics</d:href></c:calendar-multiget>`
	res = e.do(t, "REPORT", e.calPath, multi, "Content-Type", "application/xml", "Depth", "1")
	if res.Status != 207 || !strings.Contains(res.Body, "SUMMARY:Inside") || !strings.Contains(res.Body, "404") {
		t.Errorf("multiget: %d %s", res.Status, res.Body)
	}
}

// On the mutual-TLS listener a client certificate issued for an account
// is that account's DAV credential; one tied to no account still needs an
// app password.
func TestDAVClientCertificate(t *testing.T) {
	e := startMTLS(t)
	ctx := context.Background()
	u, err := e.app.Auth.CreateUser(ctx, "erin@example.com", servertest.Password, "user")
	if err != nil {
		t.Fatal(err)
	}
	name := "Erin's"
	c, err := e.app.Calendar.CreateCalendar(ctx, u.ID, calendar.CalendarInput{Name: &name})
	if err != nil {
		t.Fatal(err)
	}
	bound, err := e.certs.ClientCA().Issue(ctx, "erin-phone", 5, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	unbound, err := e.certs.ClientCA().Issue(ctx, "kiosk", 5, 0)
	if err != nil {
		t.Fatal(err)
	}
	propfind := func(base string, ic *tlsmgr.IssuedCert, user, pass string) (int, string) {
		t.Helper()
		cl := e.client(t, ic)
		defer cl.CloseIdleConnections()
		req, _ := http.NewRequest("PROPFIND", base+fmt.Sprintf("/dav/%d/calendars/", u.ID), strings.NewReader(propfindEtags))
		req.Header.Set("Content-Type", "application/xml")
		req.Header.Set("Depth", "1")
		if user != "" {
			req.SetBasicAuth(user, pass)
		}
		res, err := cl.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	if st, body := propfind(e.mtls, bound, "", ""); st != 207 || !strings.Contains(body, fmt.Sprintf("/calendars/%d/", c.ID)) {
		t.Fatalf("with the account's certificate: %d %s", st, body)
	}
	if st, _ := propfind(e.mtls, nil, "", ""); st != 496 {
		t.Errorf("no certificate on the mTLS listener: %d", st)
	}
	if st, _ := propfind(e.mtls, unbound, "", ""); st != 401 {
		t.Errorf("a certificate of no account, no password: %d", st)
	}
	if st, _ := propfind(e.https, nil, "", ""); st != 401 {
		t.Errorf("HTTPS without credentials: %d", st)
	}
	// A revoked certificate is refused at the next request.
	admin := &auth.Principal{UserID: u.ID, Role: "superuser"}
	if _, _, err := e.app.Certs.Revoke(ctx, admin, auth.Client{IP: "127.0.0.1"}, bound.Serial); err != nil {
		t.Fatal(err)
	}
	if st, _ := propfind(e.mtls, bound, "", ""); st != 495 {
		t.Errorf("revoked certificate: %d", st)
	}
}

const mkcalendarBody = `<?xml version="1.0" encoding="utf-8"?>
<c:mkcalendar xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav" xmlns:a="http://apple.com/ns/ical/">
<d:set><d:prop><d:displayname>Trips</d:displayname><a:calendar-color>#FF8800FF</a:calendar-color>
<c:calendar-timezone>BEGIN:VCALENDAR
BEGIN:VTIMEZONE
TZID:Europe/Berlin
END:VTIMEZONE
END:VCALENDAR
</c:calendar-timezone></d:prop></d:set></c:mkcalendar>`

// A client makes a calendar where it chooses (MKCALENDAR, or MKCOL with
// the calendar resource type): it appears in the REST API, and answers at
// the client's URL.
func TestDAVMakeCalendar(t *testing.T) {
	e := startDAV(t)
	home := fmt.Sprintf("/dav/%d/calendars/", e.userID)
	trips := home + "5f0c-trips/"
	res := e.do(t, "MKCALENDAR", trips, mkcalendarBody, "Content-Type", "application/xml")
	if res.Status != 201 {
		t.Fatalf("MKCALENDAR: %d %s", res.Status, res.Body)
	}
	if res := e.do(t, "MKCALENDAR", trips, mkcalendarBody, "Content-Type", "application/xml"); res.Status != 405 {
		t.Errorf("MKCALENDAR again: %d", res.Status)
	}
	mkcol := `<d:mkcol xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav"><d:set><d:prop><d:resourcetype><d:collection/><c:calendar/></d:resourcetype><d:displayname>Extended</d:displayname></d:prop></d:set></d:mkcol>`
	if res := e.do(t, "MKCOL", home+"ext/", mkcol, "Content-Type", "application/xml"); res.Status != 201 {
		t.Errorf("extended MKCOL: %d %s", res.Status, res.Body)
	}
	if res := e.do(t, "MKCALENDAR", home+"bare/", ""); res.Status != 201 {
		t.Errorf("MKCALENDAR without a body: %d %s", res.Status, res.Body)
	}
	var cals struct {
		Items []struct {
			ID       int64  `json:"id"`
			Name     string `json:"name"`
			Colour   string `json:"colour"`
			Timezone string `json:"timezone"`
			Source   string `json:"source"`
		} `json:"items"`
	}
	e.user.Get("/api/v1/calendar/calendars").JSON(t, &cals)
	got := map[string]string{}
	var tripsID int64
	for _, c := range cals.Items {
		got[c.Name] = c.Colour + " " + c.Timezone + " " + c.Source
		if c.Name == "Trips" {
			tripsID = c.ID
		}
	}
	if got["Trips"] != "#ff8800 Europe/Berlin local" || got["Extended"] == "" || got["bare"] == "" || len(got) != 4 {
		t.Fatalf("the REST API's calendars: %v", got)
	}
	// The calendar answers at the client's URL, and its objects' hrefs
	// keep it.
	res = e.do(t, "PUT", trips+"trip-1.ics", eventICS("trip-1", "Lisbon", "20261220T080000Z"), "Content-Type", "text/calendar")
	if res.Status != 201 || res.Header.Get("Location") != trips+"trip-1.ics" {
		t.Fatalf("PUT into the new calendar: %d Location %q %s", res.Status, res.Header.Get("Location"), res.Body)
	}
	res = e.do(t, "PROPFIND", home, propfindEtags, "Depth", "1", "Content-Type", "application/xml")
	if !strings.Contains(res.Body, trips) || !strings.Contains(res.Body, home+"ext/") {
		t.Errorf("the home set lists the clients' names: %s", res.Body)
	}
	res = e.do(t, "REPORT", trips, calendarQuery("20261201T000000Z", "20270101T000000Z"), "Content-Type", "application/xml", "Depth", "1")
	if res.Status != 207 || !strings.Contains(res.Body, trips+"trip-1.ics") {
		t.Errorf("REPORT on the new calendar: %d %s", res.Status, res.Body)
	}
	if res := e.user.Get(fmt.Sprintf("/api/v1/calendar/events?from=2026-12-01&to=2027-01-01&calendar=%d", tripsID)); !strings.Contains(string(res.Body), `"title":"Lisbon"`) {
		t.Errorf("the REST API's events: %s", res)
	}
	// Another user cannot make calendars in this home, nor reach this one
	// by its name.
	o := e.srv.User(t, "user")
	op := createAppPassword(t, o, "other")
	if res := davDo(t, e.srv.URL, "MKCALENDAR", home+"intruder/", o.Email, op, ""); res.Status != 403 {
		t.Errorf("MKCALENDAR in another user's home: %d", res.Status)
	}
	if res := davDo(t, e.srv.URL, "GET", trips+"trip-1.ics", o.Email, op, ""); res.Status != 404 {
		t.Errorf("another user's named calendar: %d", res.Status)
	}
	// Deleted in the web app, the name goes with it: MKCALENDAR can use it again.
	if res := e.user.Delete(fmt.Sprintf("/api/v1/calendar/calendars/%d", tripsID)); res.Status != 204 {
		t.Fatalf("delete calendar: %s", res)
	}
	if res := e.do(t, "GET", trips+"trip-1.ics", ""); res.Status != 404 {
		t.Errorf("the deleted calendar's object: %d", res.Status)
	}
	if res := e.do(t, "MKCALENDAR", trips, ""); res.Status != 201 {
		t.Errorf("MKCALENDAR at a freed name: %d %s", res.Status, res.Body)
	}
}

const propfindCalendars = `<?xml version="1.0" encoding="utf-8"?>
<d:propfind xmlns:d="DAV:" xmlns:cs="http://calendarserver.org/ns/" xmlns:a="http://apple.com/ns/ical/" xmlns:c="urn:ietf:params:xml:ns:caldav">
<d:prop><d:displayname/><d:resourcetype/><d:current-user-privilege-set/><cs:getctag/><a:calendar-color/><c:supported-calendar-component-set/></d:prop>
</d:propfind>`

type msProps struct {
	Responses []struct {
		Href      string `xml:"DAV: href"`
		Propstats []struct {
			Status string `xml:"DAV: status"`
			Prop   struct {
				DisplayName string `xml:"DAV: displayname"`
				Privileges  []struct {
					Any []struct{ XMLName xml.Name } `xml:",any"`
				} `xml:"DAV: current-user-privilege-set>privilege"`
				CTag   string `xml:"http://calendarserver.org/ns/ getctag"`
				Colour string `xml:"http://apple.com/ns/ical/ calendar-color"`
			} `xml:"DAV: prop"`
		} `xml:"DAV: propstat"`
	} `xml:"DAV: response"`
}

// calendarProps reads a calendar's privileges, ctag and colour from the
// 200 propstat of its response, and the names of the 404 ones.
func calendarProps(t *testing.T, body, href string) (privs []string, ctag, colour string, missing []string) {
	t.Helper()
	var ms msProps
	if err := xml.Unmarshal([]byte(body), &ms); err != nil {
		t.Fatalf("multistatus: %v\n%s", err, body)
	}
	// The names in the propstats that are not 200, read without the
	// named fields that would swallow them.
	var names struct {
		Responses []struct {
			Href      string `xml:"DAV: href"`
			Propstats []struct {
				Status string `xml:"DAV: status"`
				Prop   struct {
					Any []struct{ XMLName xml.Name } `xml:",any"`
				} `xml:"DAV: prop"`
			} `xml:"DAV: propstat"`
		} `xml:"DAV: response"`
	}
	xml.Unmarshal([]byte(body), &names)
	for _, r := range names.Responses {
		for _, ps := range r.Propstats {
			if r.Href == href && !strings.Contains(ps.Status, " 200 ") {
				for _, a := range ps.Prop.Any {
					missing = append(missing, a.XMLName.Local)
				}
			}
		}
	}
	for _, r := range ms.Responses {
		if r.Href != href {
			continue
		}
		for _, ps := range r.Propstats {
			if !strings.Contains(ps.Status, " 200 ") {
				continue
			}
			for _, p := range ps.Prop.Privileges {
				for _, a := range p.Any {
					privs = append(privs, a.XMLName.Local)
				}
			}
			ctag, colour = ps.Prop.CTag, ps.Prop.Colour
		}
		return
	}
	t.Fatalf("no response for %s in\n%s", href, body)
	return
}

// The properties go-webdav lacks: what the caller may do (read only on a
// feed), the change counter, the colour.
func TestDAVCalendarProperties(t *testing.T) {
	e := startDAV(t)
	if res := e.user.Patch(fmt.Sprintf("/api/v1/calendar/calendars/%d", e.calID), map[string]any{"colour": "#3366cc"}); res.Status != 200 {
		t.Fatalf("colour: %s", res)
	}
	feed := &store.Calendar{UserID: e.userID, Name: "Holidays", Timezone: "UTC", Source: store.CalendarFeed, FeedURL: "https://example.com/h.ics"}
	if err := store.InsertCalendar(context.Background(), e.srv.App.Store.DB, feed, time.Now()); err != nil {
		t.Fatal(err)
	}
	home := fmt.Sprintf("/dav/%d/calendars/", e.userID)
	feedPath := fmt.Sprintf("%s%d/", home, feed.ID)
	xmlHdr := []string{"Content-Type", "application/xml", "Depth", "1"}
	res := e.do(t, "PROPFIND", home, propfindCalendars, xmlHdr...)
	if res.Status != 207 {
		t.Fatalf("PROPFIND: %d %s", res.Status, res.Body)
	}
	privs, ctag1, colour, missing := calendarProps(t, res.Body, e.calPath)
	if strings.Join(privs, ",") != "read,write-content,bind,unbind" || ctag1 == "" || colour != "#3366CC" || len(missing) != 0 {
		t.Fatalf("local calendar: privileges %v ctag %q colour %q missing %v\n%s", privs, ctag1, colour, missing, res.Body)
	}
	privs, _, colour, missing = calendarProps(t, res.Body, feedPath)
	if strings.Join(privs, ",") != "read" || colour != "" || strings.Join(missing, ",") != "calendar-color" {
		t.Fatalf("feed calendar: privileges %v colour %q missing %v", privs, colour, missing)
	}
	// The home itself is not a calendar: its extra properties stay 404.
	if _, _, _, missing := calendarProps(t, res.Body, home); !strings.Contains(strings.Join(missing, ","), "getctag") {
		t.Errorf("home: missing %v", missing)
	}
	// A change moves the ctag; Depth 0 on the calendar answers it too.
	if res := e.do(t, "PUT", e.calPath+"c.ics", eventICS("c", "C", "20261202T100000Z"), "Content-Type", "text/calendar"); res.Status != 201 {
		t.Fatal(res.Body)
	}
	res = e.do(t, "PROPFIND", e.calPath, propfindCalendars, "Content-Type", "application/xml", "Depth", "0")
	if _, ctag2, _, _ := calendarProps(t, res.Body, e.calPath); ctag2 == "" || ctag2 == ctag1 {
		t.Errorf("ctag after a change: %q (before %q)", ctag2, ctag1)
	}
	// A PROPFIND that asks for none of them is go-webdav's own.
	res = e.do(t, "PROPFIND", home, propfindEtags, xmlHdr...)
	if res.Status != 207 || strings.Contains(res.Body, "getctag") || !strings.Contains(res.Body, "Holidays") {
		t.Errorf("plain PROPFIND: %d %s", res.Status, res.Body)
	}
}

func syncCollection(token string, props string) string {
	return `<?xml version="1.0" encoding="utf-8"?><d:sync-collection xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav">` +
		`<d:sync-token>` + token + `</d:sync-token><d:sync-level>1</d:sync-level><d:prop>` + props + `</d:prop></d:sync-collection>`
}

type syncAnswer struct {
	Token     string `xml:"DAV: sync-token"`
	Responses []struct {
		Href      string `xml:"DAV: href"`
		Status    string `xml:"DAV: status"`
		Propstats []struct {
			Status string `xml:"DAV: status"`
			ETag   string `xml:"DAV: prop>getetag"`
			Data   string `xml:"urn:ietf:params:xml:ns:caldav prop>calendar-data"`
		} `xml:"DAV: propstat"`
	} `xml:"DAV: response"`
}

// WebDAV sync (RFC 6578): what changed and what went since a token.
func TestDAVSyncCollection(t *testing.T) {
	e := startDAV(t)
	xmlHdr := []string{"Content-Type", "application/xml", "Depth", "1"}
	put := func(uid, summary string) {
		t.Helper()
		if res := e.do(t, "PUT", e.calPath+uid+".ics", eventICS(uid, summary, "20261202T100000Z"), "Content-Type", "text/calendar"); res.Status != 201 {
			t.Fatalf("PUT %s: %d %s", uid, res.Status, res.Body)
		}
	}
	sync := func(token, props string) (syncAnswer, map[string]string) {
		t.Helper()
		res := e.do(t, "REPORT", e.calPath, syncCollection(token, props), xmlHdr...)
		if res.Status != 207 {
			t.Fatalf("sync-collection from %q: %d %s", token, res.Status, res.Body)
		}
		var a syncAnswer
		if err := xml.Unmarshal([]byte(res.Body), &a); err != nil {
			t.Fatalf("%v: %s", err, res.Body)
		}
		seen := map[string]string{}
		for _, r := range a.Responses {
			name := strings.TrimPrefix(r.Href, e.calPath)
			switch {
			case strings.Contains(r.Status, "404"):
				seen[name] = "deleted"
			case len(r.Propstats) > 0 && r.Propstats[0].ETag != "":
				seen[name] = r.Propstats[0].ETag + " " + r.Propstats[0].Data
			default:
				seen[name] = "?"
			}
		}
		return a, seen
	}
	put("a", "A")
	put("b", "B")
	// The calendar announces sync.
	res := e.do(t, "PROPFIND", e.calPath, `<d:propfind xmlns:d="DAV:"><d:prop><d:sync-token/><d:supported-report-set/></d:prop></d:propfind>`, "Content-Type", "application/xml", "Depth", "0")
	if !strings.Contains(res.Body, "sync-collection") || !strings.Contains(res.Body, "https://aiwfe.invalid/ns/sync/") {
		t.Fatalf("PROPFIND sync-token: %s", res.Body)
	}
	first, seen := sync("", `<d:getetag/>`)
	if len(seen) != 2 || seen["a.ics"] == "" || seen["b.ics"] == "" || first.Token == "" {
		t.Fatalf("initial sync: %v token %q", seen, first.Token)
	}
	put("a", "A changed")
	if res := e.do(t, "DELETE", e.calPath+"b.ics", ""); res.Status != 204 {
		t.Fatal(res.Body)
	}
	put("c", "C")
	second, seen := sync(first.Token, `<d:getetag/><c:calendar-data/><d:displayname/>`)
	if len(seen) != 3 || seen["b.ics"] != "deleted" || !strings.Contains(seen["a.ics"], "SUMMARY:A changed") || !strings.Contains(seen["c.ics"], "SUMMARY:C") ||
		second.Token == first.Token {
		t.Fatalf("sync since the first token: %v token %q", seen, second.Token)
	}
	if _, seen := sync(second.Token, `<d:getetag/>`); len(seen) != 0 {
		t.Fatalf("nothing changed, yet: %v", seen)
	}
	for name, body := range map[string]string{
		"another calendar's token": syncCollection(strings.Replace(first.Token, fmt.Sprintf("/sync/%d/", e.calID), "/sync/999/", 1), `<d:getetag/>`),
		"a token from the future":  syncCollection(first.Token+"999", `<d:getetag/>`),
		"a foreign token":          syncCollection("http://example.com/sync/1", `<d:getetag/>`),
		"infinite depth":           strings.Replace(syncCollection("", `<d:getetag/>`), "<d:sync-level>1<", "<d:sync-level>infinite<", 1),
	} {
		if res := e.do(t, "REPORT", e.calPath, body, xmlHdr...); res.Status != 403 || !strings.Contains(res.Body, "error") {
			t.Errorf("%s: %d %s", name, res.Status, res.Body)
		}
	}
	o := e.srv.User(t, "user")
	if res := davDo(t, e.srv.URL, "REPORT", e.calPath, o.Email, createAppPassword(t, o, "o"), syncCollection("", `<d:getetag/>`), xmlHdr...); res.Status != 404 {
		t.Errorf("another user's sync: %d", res.Status)
	}
}

// A token from before deletions that were forgotten (tombstones pruned
// after 30 days) cannot be answered: RFC 6578 3.2's 403 with the
// DAV:valid-sync-token precondition, so the client syncs afresh, not the
// calendar service's 410.
func TestDAVSyncTokenExpired(t *testing.T) {
	e := startDAV(t)
	xmlHdr := []string{"Content-Type", "application/xml", "Depth", "1"}
	if res := e.do(t, "PUT", e.calPath+"a.ics", eventICS("a", "A", "20261202T100000Z"), "Content-Type", "text/calendar"); res.Status != 201 {
		t.Fatalf("PUT: %d %s", res.Status, res.Body)
	}
	res := e.do(t, "REPORT", e.calPath, syncCollection("", `<d:getetag/>`), xmlHdr...)
	var first syncAnswer
	if res.Status != 207 || xml.Unmarshal([]byte(res.Body), &first) != nil || first.Token == "" {
		t.Fatalf("initial sync: %d %s", res.Status, res.Body)
	}
	if res := e.do(t, "DELETE", e.calPath+"a.ics", ""); res.Status != 204 {
		t.Fatalf("DELETE: %d %s", res.Status, res.Body)
	}
	// The token still works while the deletion is remembered.
	if res := e.do(t, "REPORT", e.calPath, syncCollection(first.Token, `<d:getetag/>`), xmlHdr...); res.Status != 207 || !strings.Contains(res.Body, "a.ics") {
		t.Fatalf("sync before the pruning: %d %s", res.Status, res.Body)
	}
	if _, err := store.PruneTombstones(context.Background(), e.srv.App.Store.DB, e.calID, time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	res = e.do(t, "REPORT", e.calPath, syncCollection(first.Token, `<d:getetag/>`), xmlHdr...)
	var perr struct {
		XMLName xml.Name
		Valid   *struct{} `xml:"DAV: valid-sync-token"`
	}
	if res.Status != 403 || xml.Unmarshal([]byte(res.Body), &perr) != nil || perr.XMLName != (xml.Name{Space: "DAV:", Local: "error"}) || perr.Valid == nil {
		t.Fatalf("expired token: %d %s, want 403 with DAV:error/DAV:valid-sync-token", res.Status, res.Body)
	}
	// Starting afresh works.
	if res := e.do(t, "REPORT", e.calPath, syncCollection("", `<d:getetag/>`), xmlHdr...); res.Status != 207 {
		t.Fatalf("fresh sync after expiry: %d %s", res.Status, res.Body)
	}
}
