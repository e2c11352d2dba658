package server_test

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aiwfe/aiwfe/app/server/servertest"
)

// rawExchange sends head (and body, if any) on a fresh connection and
// returns the status and body of the first response.
func rawExchange(t *testing.T, srv *servertest.Server, head, body string) (int, string) {
	t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(srv.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(conn, head+body); err != nil {
		t.Fatal(err)
	}
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("no answer: %v", err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

func chunked(body string, size int) string {
	var b strings.Builder
	for len(body) > 0 {
		n := min(size, len(body))
		fmt.Fprintf(&b, "%x\r\n%s\r\n", n, body[:n])
		body = body[n:]
	}
	b.WriteString("0\r\n\r\n")
	return b.String()
}

const loginHead = "POST /api/v1/auth/jwt/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"

// Bodies are limited before anything reads them: a body over the limit is
// refused from its Content-Length alone, a chunked one when it passes the
// limit, a compressed one outright; small bodies of either kind work.
func TestRequestBodyLimits(t *testing.T) {
	srv := servertest.Start(t) // server.body_limit_mb = 1
	big := `{"email":"a@example.com","password":"` + strings.Repeat("a", 2<<20) + `"}`
	small := `{"email":"a@example.com","password":"wrong password!"}`
	for _, tc := range []struct {
		name, head, body string
		want             int
		wantCode         string
	}{
		// The server reads at most 8 KiB of a body before the handlers
		// decide (fasthttp's prefetch): the answer comes before the rest.
		{"31 MiB announced, 16 KiB sent", loginHead + "Content-Length: 32505856\r\n\r\n", big[:16<<10], 413, "payload_too_large"},
		{"2 MiB with length", loginHead + fmt.Sprintf("Content-Length: %d\r\n\r\n", len(big)), big, 413, "payload_too_large"},
		{"2 MiB chunked", loginHead + "Transfer-Encoding: chunked\r\n\r\n", chunked(big, 64<<10), 413, "payload_too_large"},
		{"gzip", loginHead + "Content-Encoding: gzip\r\nContent-Length: 4\r\n\r\n", "abcd", 415, "unsupported_content_encoding"},
		// No CSRF token: the body was read and the request went on to the
		// CSRF check, which is what these two are about.
		{"small with length", loginHead + fmt.Sprintf("Content-Length: %d\r\n\r\n", len(small)), small, 403, "csrf_failed"},
		{"small chunked", loginHead + "Transfer-Encoding: chunked\r\n\r\n", chunked(small, 7), 403, "csrf_failed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, body := rawExchange(t, srv, tc.head, tc.body)
			if status != tc.want || !strings.Contains(body, `"code":"`+tc.wantCode+`"`) {
				t.Fatalf("%d %s, want %d %s", status, body, tc.want, tc.wantCode)
			}
		})
	}
}

// A body its handler never reads is not taken for the next request on the
// connection (the server streams bodies, so it must read or drop them).
func TestUnreadBodyIsNotTheNextRequest(t *testing.T) {
	srv := servertest.Start(t)
	conn, err := net.Dial("tcp", strings.TrimPrefix(srv.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	smuggled := "GET /api/v1/smuggled HTTP/1.1\r\nHost: x\r\n\r\n"
	fmt.Fprintf(conn, "POST /health HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n%s", len(smuggled), smuggled)
	fmt.Fprintf(conn, "GET /api/v1/health HTTP/1.1\r\nHost: x\r\n\r\n")
	br := bufio.NewReader(conn)
	for i, want := range []int{405, 200} {
		res, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatalf("response %d: %v", i+1, err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if strings.Contains(string(b), "smuggled") {
			t.Fatalf("the body was served as a request: %s", b)
		}
		if res.StatusCode != want && !(i == 0 && res.StatusCode == 404) {
			t.Fatalf("response %d: %d %s", i+1, res.StatusCode, b)
		}
	}
}
