package server

import (
	"encoding/base64"
	"strings"
	"testing"
)

func TestBasicAuth(t *testing.T) {
	enc := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	for _, tc := range []struct {
		header, user, pass string
		ok                 bool
	}{
		{"Basic " + enc("ann@example.com:abcd-efgh"), "ann@example.com", "abcd-efgh", true},
		{"basic " + enc("ann@example.com:pa:ss"), "ann@example.com", "pa:ss", true},
		{"BASIC  " + enc("a:b"), "a", "b", true},
		{"Bearer " + enc("a:b"), "", "", false},
		{"Basic " + enc("no-colon"), "", "", false},
		{"Basic " + enc(":only-password"), "", "", false},
		{"Basic " + enc("only-user:"), "", "", false},
		{"Basic not*base64", "", "", false},
		{"Basic", "", "", false},
		{"", "", "", false},
		{"Basic " + enc("a:"+strings.Repeat("x", 2000)), "", "", false},
	} {
		u, p, ok := basicAuth(tc.header)
		if u != tc.user || p != tc.pass || ok != tc.ok {
			t.Errorf("basicAuth(%.40q) = %q, %q, %v; want %q, %q, %v", tc.header, u, p, ok, tc.user, tc.pass, tc.ok)
		}
	}
}

func TestDAVPath(t *testing.T) {
	for p, want := range map[string]bool{
		"/dav": true, "/dav/": true, "/dav/1/calendars/": true, "/.well-known/caldav": true,
		"/davx": false, "/": false, "/api/v1/profile": false, "/.well-known/carddav": false,
	} {
		if davPath(p) != want {
			t.Errorf("davPath(%q) = %v", p, !want)
		}
	}
}
