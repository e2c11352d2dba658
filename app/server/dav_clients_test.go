package server_test

import (
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aiwfe/aiwfe/app/calendar"
	"github.com/aiwfe/aiwfe/app/server/servertest"
)

// CalDAV clients that no one here wrote, against the real server on
// loopback: Python's caldav library (Debian's python3-caldav) and
// vdirsyncer. Each syncs a calendar both ways with the REST API (what the
// web app shows). Without the client the test
// is skipped, unless AIWFE_REQUIRE_PEERS is set (then it fails);
// scripts/test-deps.sh installs both.

// peer finds a client program or skips the test.
func peer(t *testing.T, name string, check ...string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err == nil && len(check) > 0 {
		err = exec.Command(path, check...).Run()
	}
	if err != nil {
		msg := name + " is not usable (" + err.Error() + "); scripts/test-deps.sh installs it"
		if os.Getenv("AIWFE_REQUIRE_PEERS") != "" {
			t.Fatal(msg + "; AIWFE_REQUIRE_PEERS is set, so this is a failure")
		}
		t.Skip(msg)
	}
	return path
}

// debianPython is the python3 that has Debian's python3-caldav (a python3
// earlier on PATH, such as pyenv's, does not).
func debianPython(t *testing.T) string {
	t.Helper()
	for _, p := range []string{"/usr/bin/python3", "python3"} {
		if exec.Command(p, "-c", "import caldav").Run() == nil {
			return p
		}
	}
	return peer(t, "python3-with-caldav")
}

// apiInstances is what the REST API (and so the web app) shows of the
// calendar in December 2026.
func (e *davEnv) apiInstances(t *testing.T) []calendar.Instance {
	t.Helper()
	res := e.user.Get(fmt.Sprintf("/api/v1/calendar/events?from=2026-12-01&to=2027-01-01&calendar=%d", e.calID))
	if res.Status != 200 {
		t.Fatalf("GET events: %s", res)
	}
	var out struct {
		Items []calendar.Instance `json:"items"`
	}
	res.JSON(t, &out)
	return out.Items
}

// apiEvents is the REST API's December: title by UID.
func (e *davEnv) apiEvents(t *testing.T) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, in := range e.apiInstances(t) {
		out[in.UID] = in.Title
	}
	return out
}

// apiEventID finds the id the REST API knows an event by.
func (e *davEnv) apiEventID(t *testing.T, uid string) int64 {
	t.Helper()
	for _, in := range e.apiInstances(t) {
		if in.UID == uid {
			return in.EventID
		}
	}
	t.Fatalf("no event %s in the API", uid)
	return 0
}

func (e *davEnv) apiCreate(t *testing.T, title, start string) string {
	t.Helper()
	res := e.user.Post("/api/v1/calendar/events", map[string]any{"calendar_id": e.calID, "title": title, "start": start})
	if res.Status != 201 {
		t.Fatalf("POST event: %s", res)
	}
	var ev struct {
		UID string `json:"uid"`
	}
	res.JSON(t, &ev)
	return ev.UID
}

func (e *davEnv) apiRetitle(t *testing.T, uid, title string) {
	t.Helper()
	if res := e.user.Patch(fmt.Sprintf("/api/v1/calendar/events/%d", e.apiEventID(t, uid)), map[string]any{"title": title, "scope": "all"}); res.Status != 200 {
		t.Fatalf("PATCH event: %s", res)
	}
}

func (e *davEnv) apiDelete(t *testing.T, uid string) {
	t.Helper()
	if res := e.user.Delete(fmt.Sprintf("/api/v1/calendar/events/%d?scope=all", e.apiEventID(t, uid))); res.Status != 204 {
		t.Fatalf("DELETE event: %s", res)
	}
}

type pyResult struct {
	Calendars []string `json:"calendars"`
	URL       string   `json:"url"`
	Summary   string   `json:"summary"`
	UIDs      []string `json:"uids"`
	Status    int      `json:"status"`
	Token     string   `json:"token"`
	Deleted   []string `json:"deleted"`
	Error     string   `json:"error"`
	Detail    string   `json:"detail"`
}

func TestCalDAVPythonClient(t *testing.T) {
	py := debianPython(t)
	e := startDAV(t)
	script, _ := filepath.Abs("testdata/caldav_client.py")
	run := func(t *testing.T, pass string, step map[string]any) pyResult {
		t.Helper()
		step["url"], step["user"], step["password"], step["calendar"] = e.srv.URL+"/dav/", e.email, pass, "Work"
		arg, _ := json.Marshal(step)
		out, err := exec.Command(py, script, string(arg)).Output()
		if err != nil {
			var stderr []byte
			if ee, ok := err.(*exec.ExitError); ok {
				stderr = ee.Stderr
			}
			t.Fatalf("python caldav %v: %v\n%s\n%s", step["op"], err, out, stderr)
		}
		var r pyResult
		if err := json.Unmarshal(out, &r); err != nil {
			t.Fatalf("python caldav said %s", out)
		}
		return r
	}
	step := func(t *testing.T, s map[string]any) pyResult {
		t.Helper()
		r := run(t, e.secret, s)
		if r.Error != "" {
			t.Fatalf("python caldav %v: %s %s", s["op"], r.Error, r.Detail)
		}
		return r
	}
	dec := map[string]any{"from": "2026-12-01T00:00:00+00:00", "to": "2027-01-01T00:00:00+00:00"}
	with := func(m map[string]any, kv ...any) map[string]any {
		out := map[string]any{}
		for k, v := range m {
			out[k] = v
		}
		for i := 0; i+1 < len(kv); i += 2 {
			out[kv[i].(string)] = kv[i+1]
		}
		return out
	}

	if r := step(t, map[string]any{"op": "discover"}); len(r.Calendars) != 1 || r.Calendars[0] != "Work" {
		t.Fatalf("discovered %v", r.Calendars)
	}
	// Created on the client: in the API.
	r := step(t, map[string]any{"op": "create", "ics": eventICS("py-1", "Dentist", "20261215T100000Z")})
	href := r.URL[strings.Index(r.URL, "/dav/"):]
	if got := e.apiEvents(t)["py-1"]; got != "Dentist" {
		t.Fatalf("the API has %q for py-1", got)
	}
	// Changed in the API: seen on the client.
	e.apiRetitle(t, "py-1", "Dentist (moved)")
	if r := step(t, map[string]any{"op": "read", "uid": "py-1"}); r.Summary != "Dentist (moved)" {
		t.Fatalf("the client reads %q", r.Summary)
	}
	webUID := e.apiCreate(t, "From the web", "2026-12-20T09:00:00Z")
	if r := step(t, with(dec, "op", "list")); strings.Join(r.UIDs, ",") != strings.Join(sorted("py-1", webUID), ",") {
		t.Fatalf("the client lists %v", r.UIDs)
	}
	// A conflicting edit: the client's copy is older than the API's change.
	old := e.do(t, "GET", href, "").Header.Get("ETag")
	e.apiRetitle(t, "py-1", "Dentist (web edit)")
	r = step(t, map[string]any{"op": "put_if_match", "href": e.srv.URL + href, "etag": old, "ics": eventICS("py-1", "Dentist (stale client)", "20261215T100000Z")})
	if r.Status != 412 {
		t.Fatalf("a stale conditional PUT got %d", r.Status)
	}
	if got := e.apiEvents(t)["py-1"]; got != "Dentist (web edit)" {
		t.Fatalf("after the refused edit the API has %q", got)
	}
	// WebDAV sync: the client learns only what changed since its token.
	synced := step(t, map[string]any{"op": "sync"})
	if strings.Join(synced.UIDs, ",") != strings.Join(sorted("py-1", webUID), ",") || synced.Token == "" {
		t.Fatalf("initial sync: %+v", synced)
	}
	otherUID := e.apiCreate(t, "Added later", "2026-12-21T09:00:00Z")
	r = step(t, map[string]any{"op": "sync", "token": synced.Token})
	if strings.Join(r.UIDs, ",") != otherUID || len(r.Deleted) != 0 || r.Token == synced.Token {
		t.Fatalf("sync after one addition: %+v", r)
	}
	e.apiDelete(t, otherUID)
	r2 := step(t, map[string]any{"op": "sync", "token": r.Token})
	if len(r2.UIDs) != 0 || len(r2.Deleted) != 1 {
		t.Fatalf("sync after a deletion: %+v", r2)
	}
	if gone, _ := url.PathUnescape(r2.Deleted[0]); gone != otherUID+".ics" {
		t.Fatalf("sync after a deletion names %q, want %s.ics", gone, otherUID)
	}

	// Changed on the client, deleted both ways.
	step(t, map[string]any{"op": "update", "uid": "py-1", "summary": "Edited on the phone"})
	if got := e.apiEvents(t)["py-1"]; got != "Edited on the phone" {
		t.Fatalf("the API has %q after the client's edit", got)
	}
	step(t, map[string]any{"op": "delete", "uid": "py-1"})
	if _, ok := e.apiEvents(t)["py-1"]; ok {
		t.Fatal("deleted on the client, still in the API")
	}
	e.apiDelete(t, webUID)
	if r := step(t, with(dec, "op", "list")); len(r.UIDs) != 0 {
		t.Fatalf("deleted in the API, the client lists %v", r.UIDs)
	}
	// A calendar made by the client (MKCALENDAR at a URL it picks), with
	// an event in it: both in the API.
	r = step(t, map[string]any{"op": "make", "name": "Holidays 2027", "ics": eventICS("py-trip", "Ferry", "20261228T070000Z")})
	var cals struct {
		Items []struct {
			ID   int64  `json:"id"`
			Name string `json:"name"`
		} `json:"items"`
	}
	e.user.Get("/api/v1/calendar/calendars").JSON(t, &cals)
	var made int64
	for _, c := range cals.Items {
		if c.Name == "Holidays 2027" {
			made = c.ID
		}
	}
	if made == 0 {
		t.Fatalf("the client's new calendar is not in the API: %+v (client made %s)", cals.Items, r.URL)
	}
	if res := e.user.Get(fmt.Sprintf("/api/v1/calendar/events?from=2026-12-01&to=2027-01-01&calendar=%d", made)); !strings.Contains(string(res.Body), `"title":"Ferry"`) {
		t.Fatalf("the event in the client's new calendar: %s", res)
	}

	// Credentials the server must refuse. The client retries a refused
	// request once, so each check moves the clock past the sign-in
	// limiter's window: five failures would lock it out (429) instead.
	for name, pass := range map[string]string{"wrong app password": "abcd-efgh-ijkm-npqr-stuv-wxyz", "account password": servertest.Password} {
		if r := run(t, pass, map[string]any{"op": "discover"}); r.Error != "unauthorized" {
			t.Errorf("%s: %+v", name, r)
		}
		e.srv.Advance(e.srv.Config.Auth.FailureWindow.D() + time.Minute)
	}
	var id int64
	e.srv.App.Store.DB.QueryRow("SELECT id FROM app_passwords WHERE user_id = ?", e.userID).Scan(&id)
	if res := e.user.Delete(fmt.Sprintf("/api/v1/auth/app-passwords/%d", id)); res.Status != 204 {
		t.Fatal(res)
	}
	if r := run(t, e.secret, map[string]any{"op": "discover"}); r.Error != "unauthorized" {
		t.Errorf("revoked app password: %+v", r)
	}
}

func sorted(s ...string) []string {
	sort.Strings(s)
	return s
}

// vdirsyncer syncs a local folder of .ics files with the server's
// calendar.
type vdirsyncer struct {
	t     *testing.T
	bin   string
	dir   string
	local string
}

func newVdirsyncer(t *testing.T, e *davEnv, password string) *vdirsyncer {
	v := &vdirsyncer{t: t, bin: peer(t, "vdirsyncer", "--version"), dir: t.TempDir()}
	v.local = filepath.Join(v.dir, "local")
	os.MkdirAll(v.local, 0o755)
	v.write(e, password)
	return v
}

func (v *vdirsyncer) write(e *davEnv, password string) {
	cfg := fmt.Sprintf(`[general]
status_path = %q

[pair cal]
a = "local"
b = "server"
collections = null
conflict_resolution = null

[storage local]
type = "filesystem"
path = %q
fileext = ".ics"

[storage server]
type = "caldav"
url = %q
username = %q
password = %q
`, filepath.Join(v.dir, "status"), v.local, e.srv.URL+e.calPath, e.email, password)
	if err := os.WriteFile(filepath.Join(v.dir, "config"), []byte(cfg), 0o600); err != nil {
		v.t.Fatal(err)
	}
}

// run runs a vdirsyncer command and returns its output and whether it
// succeeded.
func (v *vdirsyncer) run(args ...string) (string, bool) {
	v.t.Helper()
	cmd := exec.Command(v.bin, append([]string{"-c", filepath.Join(v.dir, "config")}, args...)...)
	cmd.Env = append(os.Environ(), "HOME="+v.dir, "LC_ALL=C.UTF-8", "LANG=C.UTF-8")
	out, err := cmd.CombinedOutput()
	return string(out), err == nil
}

func (v *vdirsyncer) sync() {
	v.t.Helper()
	if out, ok := v.run("sync"); !ok {
		v.t.Fatalf("vdirsyncer sync failed:\n%s", out)
	}
}

// files is the local folder: file contents by name.
func (v *vdirsyncer) files() map[string]string {
	v.t.Helper()
	ents, err := os.ReadDir(v.local)
	if err != nil {
		v.t.Fatal(err)
	}
	out := map[string]string{}
	for _, de := range ents {
		b, err := os.ReadFile(filepath.Join(v.local, de.Name()))
		if err != nil {
			v.t.Fatal(err)
		}
		out[de.Name()] = string(b)
	}
	return out
}

func (v *vdirsyncer) fileWith(text string) string {
	for name, body := range v.files() {
		if strings.Contains(body, text) {
			return name
		}
	}
	return ""
}

func TestCalDAVVdirsyncer(t *testing.T) {
	e := startDAV(t)
	v := newVdirsyncer(t, e, e.secret)
	if out, ok := v.run("discover"); !ok {
		t.Fatalf("vdirsyncer discover:\n%s", out)
	}
	// Created on the client: in the API.
	if err := os.WriteFile(filepath.Join(v.local, "vds-1.ics"), []byte(eventICS("vds-1", "Planning", "20261214T080000Z")), 0o644); err != nil {
		t.Fatal(err)
	}
	v.sync()
	if got := e.apiEvents(t)["vds-1"]; got != "Planning" {
		t.Fatalf("the API has %q for vds-1", got)
	}
	// Created and changed in the API: on the client.
	webUID := e.apiCreate(t, "Review from the web", "2026-12-18T14:00:00Z")
	e.apiRetitle(t, "vds-1", "Planning (renamed in the web app)")
	v.sync()
	if v.fileWith("SUMMARY:Review from the web") == "" {
		t.Fatalf("the web event is not in the local folder: %v", v.files())
	}
	if f := v.files()["vds-1.ics"]; !strings.Contains(f, "SUMMARY:Planning (renamed in the web app)") {
		t.Fatalf("the local copy of vds-1 was not updated:\n%s", f)
	}
	// Changed on the client: in the API.
	body := strings.Replace(v.files()["vds-1.ics"], "SUMMARY:Planning (renamed in the web app)", "SUMMARY:Planning (edited locally)", 1)
	os.WriteFile(filepath.Join(v.local, "vds-1.ics"), []byte(body), 0o644)
	v.sync()
	if got := e.apiEvents(t)["vds-1"]; got != "Planning (edited locally)" {
		t.Fatalf("the API has %q after the local edit", got)
	}
	// Deleted on the client: gone from the API; deleted in the API: gone
	// from the client.
	os.Remove(filepath.Join(v.local, "vds-1.ics"))
	e.apiDelete(t, webUID)
	v.sync()
	if evs := e.apiEvents(t); len(evs) != 0 {
		t.Fatalf("the API still has %v", evs)
	}
	if files := v.files(); len(files) != 0 {
		t.Fatalf("the local folder still has %v", files)
	}

	// A series with an override whose UID vdirsyncer finds unsafe for a
	// file name ("@"): it PUTs it under a random name, the server keeps it
	// under its UID; the next syncs neither lose nor double it.
	series := "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//aiwfe test//EN\r\n" +
		"BEGIN:VEVENT\r\nUID:standup@example.com\r\nDTSTAMP:20261201T090000Z\r\nDTSTART:20261207T090000Z\r\nDURATION:PT15M\r\nRRULE:FREQ=DAILY;COUNT=5\r\nSUMMARY:Standup\r\nEND:VEVENT\r\n" +
		"BEGIN:VEVENT\r\nUID:standup@example.com\r\nDTSTAMP:20261201T090000Z\r\nRECURRENCE-ID:20261209T090000Z\r\nDTSTART:20261209T110000Z\r\nDURATION:PT15M\r\nSUMMARY:Standup (late)\r\nEND:VEVENT\r\n" +
		"END:VCALENDAR\r\n"
	os.WriteFile(filepath.Join(v.local, "standup.ics"), []byte(series), 0o644)
	v.sync()
	v.sync()
	insts := e.apiInstances(t)
	if len(insts) != 5 || insts[2].Title != "Standup (late)" || !insts[2].Override {
		t.Fatalf("the API's instances of the series: %+v", insts)
	}
	if files := v.files(); len(files) != 1 {
		t.Fatalf("the local folder after two syncs: %v", files)
	}
	e.apiRetitle(t, "standup@example.com", "Standup (moved room)")
	v.sync()
	if f := v.fileWith("UID:standup@example.com"); f == "" || !strings.Contains(v.files()[f], "SUMMARY:Standup (moved room)") || !strings.Contains(v.files()[f], "RECURRENCE-ID") {
		t.Fatalf("the local series after the API's change: %v", v.files())
	}
	os.Remove(filepath.Join(v.local, v.fileWith("UID:standup@example.com")))
	// The folder is empty now, which vdirsyncer takes for a mistake
	// unless told.
	if out, ok := v.run("sync", "--force-delete", "cal"); !ok {
		t.Fatalf("vdirsyncer sync --force-delete:\n%s", out)
	}
	if evs := e.apiEvents(t); len(evs) != 0 {
		t.Fatalf("the series deleted locally is still in the API: %v", evs)
	}

	// Refused credentials: the client fails with the server's 401.
	for name, pass := range map[string]string{"wrong app password": "abcd-efgh-ijkm-npqr-stuv-wxyz", "account password": servertest.Password} {
		v.write(e, pass)
		v.run("discover") // answers a warning only; the sync fails
		if out, ok := v.run("sync"); ok || !strings.Contains(out, "401") {
			t.Errorf("%s: vdirsyncer succeeded or said no 401:\n%s", name, out)
		}
		e.srv.Advance(e.srv.Config.Auth.FailureWindow.D() + time.Minute)
	}
	// Revoked: the next sync is refused.
	v.write(e, e.secret)
	v.run("discover")
	v.sync()
	var id int64
	e.srv.App.Store.DB.QueryRow("SELECT id FROM app_passwords WHERE user_id = ?", e.userID).Scan(&id)
	if res := e.user.Delete(fmt.Sprintf("/api/v1/auth/app-passwords/%d", id)); res.Status != 204 {
		t.Fatal(res)
	}
	if out, ok := v.run("sync"); ok || !strings.Contains(out, "401") {
		t.Errorf("revoked: vdirsyncer succeeded or said no 401:\n%s", out)
	}
}
