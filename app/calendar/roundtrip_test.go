package calendar

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aiwfe/aiwfe/store"
)

// icalendarTests is where Debian's python3-icalendar keeps the real-world
// calendars of its test suite (scripts/test-deps.sh installs it).
const icalendarTests = "/usr/lib/python3/dist-packages/icalendar/tests"

// TestRoundTripRealWorldCalendars imports every calendar of the
// python3-icalendar suite, expands a year, exports, imports the export
// into another calendar and expands again: the same instances. Importing
// the same file again changes nothing.
func TestRoundTripRealWorldCalendars(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(icalendarTests, "*.ics"))
	if len(files) == 0 {
		t.Fatalf("no .ics files under %s: install python3-icalendar (scripts/test-deps.sh)", icalendarTests)
	}
	f := newFixture(t)
	events := 0
	for _, path := range files {
		name := filepath.Base(path)
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		u := f.user()
		a, b := f.calendar(u, "Europe/Berlin"), f.calendar(u, "Europe/Berlin")
		res, err := f.svc.Import(f.ctx, u, a, data)
		if want, ok := refused[name]; ok {
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Fatalf("%s: want the import refused (%s), got %v", name, want, err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s: import: %v", name, err)
		}
		for _, e := range res.Errors {
			t.Logf("%s: skipped %s: %s", name, e.UID, e.Message)
		}
		if res.Created == 0 {
			t.Logf("%s: no events (%+v)", name, res)
			continue
		}
		events += res.Created
		rows, err := store.CalendarEvents(f.ctx, f.st.DB, a)
		if err != nil {
			t.Fatal(err)
		}
		from := rows[0].StartAt
		for _, r := range rows {
			if r.StartAt.Before(from) {
				from = r.StartAt
			}
		}
		from = from.Add(-24 * time.Hour)
		to := from.AddDate(1, 0, 0)
		first, err := f.svc.Instances(f.ctx, u, InstancesRequest{From: from, To: to, CalendarIDs: []int64{a}})
		if err != nil || len(first) == 0 {
			t.Fatalf("%s: expand: %d instances, %v", name, len(first), err)
		}
		again, err := f.svc.Import(f.ctx, u, a, data)
		if err != nil || again.Created+again.Updated != 0 || again.Skipped != res.Created+res.Updated+res.Skipped {
			t.Fatalf("%s: import again: %+v %v (first %+v)", name, again, err, res)
		}
		out, _, err := f.svc.Export(f.ctx, u, a, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		pythonReads(t, name, out)
		res2, err := f.svc.Import(f.ctx, u, b, out)
		if err != nil || len(res2.Errors) != 0 || res2.Created != res.Created {
			t.Fatalf("%s: import of the export: %+v %v\n%s", name, res2, err, out)
		}
		second, err := f.svc.Instances(f.ctx, u, InstancesRequest{From: from, To: to, CalendarIDs: []int64{b}})
		if err != nil {
			t.Fatal(err)
		}
		if g, w := render(second), render(first); g != w {
			t.Fatalf("%s: instances differ after the round trip:\n%s\nwant\n%s\nexport:\n%s", name, g, w, out)
		}
		t.Logf("%s: %d events, %d instances in a year", name, res.Created, len(first))
	}
	if events < 10 {
		t.Fatalf("only %d events imported from %d files", events, len(files))
	}
}

// pythonReads has python3-icalendar (a parser no one here wrote) read an
// export: every VEVENT with its UID, every DTSTART with a zone it knows.
func pythonReads(t *testing.T, name string, data []byte) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "export.ics")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	const script = `
import sys, icalendar
cal = icalendar.Calendar.from_ical(open(sys.argv[1], 'rb').read())
n = 0
for ev in cal.walk('VEVENT'):
    assert ev.get('UID'), 'no UID'
    ev.decoded('DTSTART')
    n += 1
print(n, len(cal.walk('VTIMEZONE')))
`
	out, err := exec.Command("/usr/bin/python3", "-c", script, path).CombinedOutput() // Debian's python, which has python3-icalendar
	if err != nil {
		t.Fatalf("%s: python3-icalendar cannot read the export: %v\n%s\n%s", name, err, out, data)
	}
	if want := strings.Count(string(data), "BEGIN:VEVENT"); !strings.HasPrefix(string(out), strconv.Itoa(want)+" ") {
		t.Fatalf("%s: python3-icalendar read %s VEVENTs, the export has %d", name, out, want)
	}
}

// refused are the suite's deliberately broken files, and why they are
// refused as a whole.
var refused = map[string]string{
	"timezone_same_start_and_offset.ics": "END:VCALENDAR", // it ends "END:VCALENDARD"
}

// render is what the round trip must keep of an instance.
func render(is []Instance) string {
	var b strings.Builder
	for _, i := range is {
		b.WriteString(strings.Join([]string{i.UID, i.RecurrenceID, i.Start, i.End, i.Timezone, i.Title, i.Location, i.Description, i.Status}, "|"))
		b.WriteString("\n")
	}
	return b.String()
}
