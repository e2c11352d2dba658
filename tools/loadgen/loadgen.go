// Package loadgen drives a running aiwfe the way the memory figures need:
// a crowd of oversized request bodies, a burst of sign-ins, and the
// process's resident memory from /proc. The binary's tests (main_test.go)
// assert with it and `make bench` (tools/bench) prints with it.
package loadgen

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/cookiejar"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Memory is a process's resident set now and at its peak, in KiB.
// Memory is a process's resident set in KiB: all of it, its peak, and the
// anonymous part (heaps; the rest is the mapped binary and files).
type Memory struct{ RSS, Peak, Anon int }

var (
	rssRe  = regexp.MustCompile(`VmRSS:\s+(\d+) kB`)
	peakRe = regexp.MustCompile(`VmHWM:\s+(\d+) kB`)
	anonRe = regexp.MustCompile(`RssAnon:\s+(\d+) kB`)
)

// ReadMemory reads /proc/<pid>/status.
func ReadMemory(pid int) (Memory, error) {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return Memory{}, err
	}
	var m Memory
	if x := rssRe.FindSubmatch(raw); x != nil {
		m.RSS, _ = strconv.Atoi(string(x[1]))
	}
	if x := peakRe.FindSubmatch(raw); x != nil {
		m.Peak, _ = strconv.Atoi(string(x[1]))
	}
	if x := anonRe.FindSubmatch(raw); x != nil {
		m.Anon, _ = strconv.Atoi(string(x[1]))
	}
	return m, nil
}

// MiB formats KiB as MiB.
func MiB(kib int) string { return fmt.Sprintf("%.1f MiB", float64(kib)/1024) }

// BodyResult counts how a crowd of big bodies was answered: by status, or
// as a connection the server closed before answering (Dropped).
type BodyResult struct {
	Status  map[int]int
	Dropped int
}

func (r BodyResult) String() string {
	var b strings.Builder
	for st, n := range r.Status {
		fmt.Fprintf(&b, "%d×%d ", n, st)
	}
	fmt.Fprintf(&b, "%d closed", r.Dropped)
	return b.String()
}

// BigBodies sends conns concurrent anonymous POSTs of size bytes each to
// base+path, every one on its own connection, with a Content-Length or
// chunked, and reads whatever answer comes while the body is still being
// sent. It returns once every connection has ended.
func BigBodies(base, path string, conns int, size int64, chunked bool) BodyResult {
	host := strings.TrimPrefix(base, "http://")
	res := BodyResult{Status: map[int]int{}}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for i := 0; i < conns; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			status := bigBody(host, path, size, chunked)
			mu.Lock()
			defer mu.Unlock()
			if status == 0 {
				res.Dropped++
			} else {
				res.Status[status]++
			}
		}()
	}
	wg.Wait()
	return res
}

func bigBody(host, path string, size int64, chunked bool) int {
	conn, err := net.Dial("tcp", host)
	if err != nil {
		return 0
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(60 * time.Second))
	head := "POST " + path + " HTTP/1.1\r\nHost: " + host + "\r\nContent-Type: application/json\r\n"
	if chunked {
		head += "Transfer-Encoding: chunked\r\n\r\n"
	} else {
		head += "Content-Length: " + strconv.FormatInt(size, 10) + "\r\n\r\n"
	}
	answered := make(chan int, 1)
	go func() {
		r, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			answered <- 0
			return
		}
		r.Body.Close()
		answered <- r.StatusCode
	}()
	go func() {
		// The body: a JSON string of a's, written until done or refused.
		if _, err := io.WriteString(conn, head); err != nil {
			return
		}
		chunk := bytes.Repeat([]byte("a"), 64<<10)
		for sent := int64(0); sent < size; sent += int64(len(chunk)) {
			var err error
			if chunked {
				_, err = fmt.Fprintf(conn, "%x\r\n%s\r\n", len(chunk), chunk)
			} else {
				_, err = conn.Write(chunk[:min(int64(len(chunk)), size-sent)])
			}
			if err != nil {
				return
			}
		}
		if chunked {
			io.WriteString(conn, "0\r\n\r\n")
		}
	}()
	return <-answered
}

// Client is a browser-like client of one server: cookies and the CSRF
// token.
type Client struct {
	Base string
	http *http.Client
	csrf string
}

// NewClient makes a client with an empty cookie jar.
func NewClient(base string) *Client {
	jar, _ := cookiejar.New(nil)
	return &Client{Base: base, http: &http.Client{Jar: jar, Timeout: 60 * time.Second}}
}

// Post sends JSON with the CSRF token (fetched on first use) and returns
// the status.
func (c *Client) Post(path string, body any) (int, error) {
	if c.csrf == "" {
		res, err := c.http.Get(c.Base + "/api/v1/auth/csrf-token")
		if err != nil {
			return 0, err
		}
		var t struct {
			Token string `json:"csrf_token"`
		}
		err = json.NewDecoder(res.Body).Decode(&t)
		res.Body.Close()
		if err != nil {
			return 0, err
		}
		c.csrf = t.Token
	}
	raw, _ := json.Marshal(body)
	req, _ := http.NewRequest("POST", c.Base+path, bytes.NewReader(raw))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-CSRF-TOKEN", c.csrf)
	res, err := c.http.Do(req)
	if err != nil {
		return 0, err
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res.StatusCode, nil
}

// Logins signs in n times at once, each with its own client, and returns
// the number that answered 200.
func Logins(base, email, password string, n int) int {
	var ok sync.WaitGroup
	var mu sync.Mutex
	good := 0
	for i := 0; i < n; i++ {
		ok.Add(1)
		go func() {
			defer ok.Done()
			st, _ := NewClient(base).Post("/api/v1/auth/jwt/login", map[string]string{"email": email, "password": password})
			if st == http.StatusOK {
				mu.Lock()
				good++
				mu.Unlock()
			}
		}()
	}
	ok.Wait()
	return good
}

// Upload sends files (name → content) as one multipart POST with the CSRF
// token (the client must have posted once, to hold it) and returns the
// status.
func (c *Client) Upload(path string, files map[string][]byte) (int, error) {
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	for name, data := range files {
		part, err := w.CreateFormFile("file", name)
		if err != nil {
			return 0, err
		}
		part.Write(data)
	}
	w.Close()
	req, _ := http.NewRequest("POST", c.Base+path, &buf)
	req.Header.Set("Content-Type", w.FormDataContentType())
	req.Header.Set("X-CSRF-TOKEN", c.csrf)
	res, err := c.http.Do(req)
	if err != nil {
		return 0, err
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res.StatusCode, nil
}

// GetJSON reads a JSON answer into v and returns the status.
func (c *Client) GetJSON(path string, v any) (int, error) {
	res, err := c.http.Get(c.Base + path)
	if err != nil {
		return 0, err
	}
	defer res.Body.Close()
	return res.StatusCode, json.NewDecoder(res.Body).Decode(v)
}
