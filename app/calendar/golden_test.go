package calendar

import (
	"flag"
	"os"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite testdata/expand.golden with the current expansion")

type goldenCase struct {
	name, calendar, ics string
	from, to            time.Time
	want                []string
}

func readGolden(t *testing.T, path string) (head string, cases []*goldenCase) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(string(b), "\n=== ")
	head = parts[0]
	for _, p := range parts[1:] {
		lines := strings.Split(strings.TrimRight(p, "\n"), "\n")
		c := &goldenCase{name: lines[0], calendar: "UTC"}
		section := ""
		var ics []string
		for _, l := range lines[1:] {
			switch {
			case strings.HasPrefix(l, "--- range "):
				f := strings.Fields(strings.TrimPrefix(l, "--- range "))
				c.from, _ = time.Parse(time.RFC3339, f[0])
				c.to, _ = time.Parse(time.RFC3339, f[1])
			case strings.HasPrefix(l, "--- calendar "):
				c.calendar = strings.TrimPrefix(l, "--- calendar ")
			case l == "--- ics" || l == "--- want":
				section = l
			case section == "--- ics":
				ics = append(ics, l)
			case section == "--- want" && strings.TrimSpace(l) != "":
				c.want = append(c.want, l)
			}
		}
		c.ics = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//golden//EN\r\n" + strings.Join(ics, "\r\n") + "\r\nEND:VCALENDAR\r\n"
		if c.from.IsZero() || c.to.IsZero() {
			t.Fatalf("case %q: bad range", c.name)
		}
		cases = append(cases, c)
	}
	return head, cases
}

func renderInstances(is []Instance) []string {
	out := []string{}
	for _, i := range is {
		l := i.Start + " " + i.End
		if i.Override {
			l += " *" + i.Title
		}
		out = append(out, l)
	}
	return out
}

// TestGoldenExpansion imports each case of testdata/expand.golden and
// compares the instances of its range with the golden lines.
func TestGoldenExpansion(t *testing.T) {
	const path = "testdata/expand.golden"
	head, cases := readGolden(t, path)
	f := newFixture(t)
	for _, c := range cases {
		u := f.user()
		cal := f.calendar(u, c.calendar)
		res, err := f.svc.Import(f.ctx, u, cal, []byte(c.ics))
		if err != nil || len(res.Errors) != 0 {
			t.Fatalf("%s: import: %v %+v", c.name, err, res)
		}
		is, err := f.svc.Instances(f.ctx, u, InstancesRequest{From: c.from, To: c.to})
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		got := renderInstances(is)
		if *update {
			c.want = got
			continue
		}
		if strings.Join(got, "\n") != strings.Join(c.want, "\n") {
			t.Errorf("%s:\ngot\n%s\nwant\n%s", c.name, strings.Join(got, "\n"), strings.Join(c.want, "\n"))
		}
	}
	if *update {
		var b strings.Builder
		b.WriteString(head)
		for _, c := range cases {
			b.WriteString("\n=== " + c.name + "\n")
			if c.calendar != "UTC" {
				b.WriteString("--- calendar " + c.calendar + "\n")
			}
			b.WriteString("--- range " + c.from.Format(time.RFC3339) + " " + c.to.Format(time.RFC3339) + "\n--- ics\n")
			ics := strings.TrimPrefix(c.ics, "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//golden//EN\r\n")
			b.WriteString(strings.ReplaceAll(strings.TrimSuffix(ics, "\r\nEND:VCALENDAR\r\n"), "\r\n", "\n") + "\n--- want\n")
			for _, w := range c.want {
				b.WriteString(w + "\n")
			}
		}
		if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
