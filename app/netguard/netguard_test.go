package netguard_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/aiwfe/aiwfe/app/netguard"
)

func server(t *testing.T, h http.HandlerFunc) (*httptest.Server, string) {
	t.Helper()
	s := httptest.NewServer(h)
	t.Cleanup(s.Close)
	u, _ := url.Parse(s.URL)
	return s, u.Host
}

func client(t *testing.T, o netguard.Options) *netguard.Client {
	t.Helper()
	c, err := netguard.New(o)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func fetch(c *netguard.Client, u string, opts ...netguard.Option) (string, error) {
	resp, err := c.Get(context.Background(), u, nil, opts...)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return string(b), err
}

// Every address a user must not reach through the appliance is refused at
// connect time, with a message that says so; none of them needs to exist.
func TestRefusals(t *testing.T) {
	hit := 0
	_, local := server(t, func(w http.ResponseWriter, r *http.Request) { hit++; io.WriteString(w, "secret") })
	_, port, _ := strings.Cut(local, ":")
	// A server the client may reach, which redirects to one it may not.
	_, redirector := server(t, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://"+local+"/", http.StatusFound)
	})
	c := client(t, netguard.Options{Allow: []string{redirector}})

	cases := []struct {
		url  string
		want error
	}{
		{"http://" + local + "/", netguard.ErrBlocked},
		{"http://127.0.0.2:" + port + "/", netguard.ErrBlocked},
		{"http://localhost:" + port + "/", netguard.ErrBlocked}, // a name resolving to loopback
		{"http://[::1]:" + port + "/", netguard.ErrBlocked},
		{"http://0.0.0.0:" + port + "/", netguard.ErrBlocked},
		{"http://169.254.169.254/latest/meta-data/", netguard.ErrBlocked},
		{"http://10.1.2.3/", netguard.ErrBlocked},
		{"http://172.16.0.1/", netguard.ErrBlocked},
		{"http://192.168.1.1/", netguard.ErrBlocked},
		{"http://100.64.0.1/", netguard.ErrBlocked},
		{"http://[::ffff:127.0.0.1]:" + port + "/", netguard.ErrBlocked},
		{"http://[::ffff:169.254.169.254]/", netguard.ErrBlocked},
		{"http://[fe80::1]/", netguard.ErrBlocked},
		{"http://[fd00::1]/", netguard.ErrBlocked},
		{"http://" + redirector + "/", netguard.ErrBlocked}, // the redirect target is checked too
		{"file:///etc/passwd", netguard.ErrScheme},
		{"ftp://example.com/x", netguard.ErrScheme},
		{"gopher://example.com/", netguard.ErrScheme},
		{"http://user:pw@example.com/", netguard.ErrScheme},
		{"http:///nohost", netguard.ErrScheme},
	}
	for _, tc := range cases {
		t.Run(tc.url, func(t *testing.T) {
			body, err := fetch(c, tc.url)
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v (body %q), want %v", err, body, tc.want)
			}
			if tc.want == netguard.ErrBlocked && !strings.Contains(err.Error(), "[outbound] allow") {
				t.Fatalf("the message does not say how to allow it: %v", err)
			}
		})
	}
	if hit != 0 {
		t.Fatalf("a refused address was reached %d times", hit)
	}
}

// The allow-list admits exactly what it names: an address with a port
// admits that port only, a prefix the whole range.
func TestAllowList(t *testing.T) {
	_, a := server(t, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "a") })
	_, b := server(t, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "b") })
	onlyA := client(t, netguard.Options{Allow: []string{a}})
	if body, err := fetch(onlyA, "http://"+a+"/"); err != nil || body != "a" {
		t.Fatalf("allowed address: %q, %v", body, err)
	}
	if _, err := fetch(onlyA, "http://"+b+"/"); !errors.Is(err, netguard.ErrBlocked) {
		t.Fatalf("another port of an allowed address: err = %v", err)
	}
	loopback := client(t, netguard.Options{Allow: []string{"127.0.0.0/8"}})
	for _, h := range []string{a, b} {
		if _, err := fetch(loopback, "http://"+h+"/"); err != nil {
			t.Fatalf("%s under an allowed prefix: %v", h, err)
		}
	}
	for _, bad := range []string{"not-an-ip", "10.0.0.0/33", "example.com:80"} {
		if _, err := netguard.New(netguard.Options{Allow: []string{bad}}); err == nil {
			t.Fatalf("allow entry %q accepted", bad)
		}
		if netguard.ParseAllow([]string{bad}) == nil {
			t.Fatalf("ParseAllow(%q) accepted", bad)
		}
	}
}

func TestBodyCap(t *testing.T) {
	_, h := server(t, func(w http.ResponseWriter, r *http.Request) {
		n := 100
		fmt.Sscan(r.URL.Query().Get("n"), &n)
		if r.URL.Query().Get("length") == "1" {
			w.Header().Set("Content-Length", fmt.Sprint(n))
		} else {
			w.(http.Flusher).Flush() // chunked: the size is known only by reading
		}
		io.WriteString(w, strings.Repeat("x", n))
	})
	c := client(t, netguard.Options{Allow: []string{h}, MaxBytes: 50})
	cases := []struct {
		query string
		opts  []netguard.Option
		ok    bool
	}{
		{"n=50", nil, true},
		{"n=51", nil, false},
		{"n=51&length=1", nil, false},
		{"n=50&length=1", nil, true},
		{"n=100", []netguard.Option{netguard.WithMaxBytes(200)}, true},
		{"n=100&length=1", []netguard.Option{netguard.WithMaxBytes(99)}, false},
	}
	for _, tc := range cases {
		body, err := fetch(c, "http://"+h+"/?"+tc.query, tc.opts...)
		if tc.ok && err != nil {
			t.Fatalf("%s: %v", tc.query, err)
		}
		if !tc.ok && !errors.Is(err, netguard.ErrTooLarge) {
			t.Fatalf("%s: err = %v, body %d bytes", tc.query, err, len(body))
		}
	}
}

// A private feed's token rides in the query: no error message repeats it.
func TestErrorsHideTheQuery(t *testing.T) {
	c := client(t, netguard.Options{})
	_, err := fetch(c, "http://10.0.0.1/cal.ics?token=s3cret")
	if err == nil || strings.Contains(err.Error(), "s3cret") {
		t.Fatalf("err = %v", err)
	}
}
