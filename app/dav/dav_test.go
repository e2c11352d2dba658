package dav

import (
	"strings"
	"testing"
)

func TestObjectName(t *testing.T) {
	for _, tc := range []struct {
		uid, want string
	}{
		{"py-1", "py-1.ics"},
		{"20261202T101010Z-1234@example.com", "20261202T101010Z-1234@example.com.ics"},
		{"A~b+c=d_e.f", "A~b+c=d_e.f.ics"},
		{"odd/uid", ""},
		{"with space", ""},
		{"percent%41", ""},
		{"ünïcode", ""},
		{"..", ""},
		{"", ""},
		{strings.Repeat("x", 201), ""},
	} {
		got := objectName(tc.uid)
		if tc.want == "" {
			// Unsafe UIDs are named by their hash: one safe segment.
			if !strings.HasPrefix(got, hashedPrefix) || len(got) != len(hashedPrefix)+40+len(".ics") || strings.ContainsAny(got, "/ %") {
				t.Errorf("objectName(%q) = %q, want a hashed name", tc.uid, got)
			}
			continue
		}
		if got != tc.want {
			t.Errorf("objectName(%q) = %q, want %q", tc.uid, got, tc.want)
		}
	}
	if objectName("a/b") == objectName("a b") {
		t.Error("two UIDs share a hashed name")
	}
}

func TestPaths(t *testing.T) {
	if got := (ref{u: User{ID: 7}, id: 12, seg: "12"}).object("x@y"); got != "/dav/7/calendars/12/x@y.ics" {
		t.Errorf("object path = %q", got)
	}
	if got := (ref{u: User{ID: 7}, id: 12, seg: "f00-ba4"}).path(); got != "/dav/7/calendars/f00-ba4/" {
		t.Errorf("named calendar path = %q", got)
	}
	for in, want := range map[string]string{
		"/dav/7/calendars/12/":           "/dav/7/calendars/12/",
		"/dav/7/calendars/12":            "/dav/7/calendars/12",
		"/dav/7/calendars/../../8/":      "/dav/8/",
		"/dav/7/calendars//12/./a.ics":   "/dav/7/calendars/12/a.ics",
		"/dav/7/calendars/12/../13/x.ic": "/dav/7/calendars/13/x.ic",
	} {
		if got := cleanPath(in); got != want {
			t.Errorf("cleanPath(%q) = %q, want %q", in, got, want)
		}
	}
}
