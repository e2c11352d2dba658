package server

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"mime/multipart"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/aiwfe/aiwfe/app"
	"github.com/aiwfe/aiwfe/app/config"
)

// pattern is an endless reader of deterministic bytes that allocates
// nothing per read, so the upload's sender costs no memory either.
type pattern struct{ n int64 }

func (p *pattern) Read(b []byte) (int, error) {
	for i := range b {
		b[i] = byte(p.n*7 + p.n>>9)
		p.n++
	}
	return len(b), nil
}

// uploadServer runs the body gate with one streamed route, as the
// documents feature registers it: POST /api/v1/documents, multipart, the
// file written to disk as it arrives.
func uploadServer(t *testing.T, limit int64) (string, string) {
	t.Helper()
	cfg := config.Default()
	dir := t.TempDir()
	s := &Server{app: &app.App{Config: cfg, Log: slog.New(slog.DiscardHandler)}, log: slog.New(slog.DiscardHandler)}
	s.body = newBodyLimits(cfg.Server.BodyLimitMB << 20)
	f := s.newFiber()
	f.Use(s.bodyGate)
	v1 := f.Group("/api/v1")
	s.streamRoute(v1, fiber.MethodPost, "/documents", limit, func(c *fiber.Ctx) error {
		_, params, err := mime.ParseMediaType(c.Get(fiber.HeaderContentType))
		if err != nil {
			return err
		}
		part, err := multipart.NewReader(bodyStream(c), params["boundary"]).NextPart()
		if err != nil {
			return err
		}
		out, err := os.CreateTemp(dir, "upload-*")
		if err != nil {
			return err
		}
		defer out.Close()
		h := sha256.New()
		n, err := io.Copy(io.MultiWriter(out, h), part)
		if err != nil {
			return err
		}
		return c.JSON(fiber.Map{"size": n, "sha256": hex.EncodeToString(h.Sum(nil))})
	})
	v1.Post("/small", func(c *fiber.Ctx) error { return c.SendString(fmt.Sprint(len(c.Body()))) })
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go f.Listener(ln)
	t.Cleanup(func() { f.Shutdown() })
	return "http://" + ln.Addr().String(), dir
}

// multipartBody streams one file of size bytes as multipart/form-data;
// chunked sends it without a Content-Length. sum is the file's SHA-256,
// known once the body has been read.
func multipartBody(size int64, chunked bool) (body io.Reader, contentType string, length int64, sum func() string) {
	const boundary = "aiwfe-test-boundary"
	head := "--" + boundary + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.txt\"\r\n" +
		"Content-Type: application/octet-stream\r\n\r\n"
	tail := "\r\n--" + boundary + "--\r\n"
	h := sha256.New()
	file := io.TeeReader(io.LimitReader(&pattern{}, size), h)
	length = int64(len(head)) + size + int64(len(tail))
	if chunked {
		length = -1
	}
	return io.MultiReader(strings.NewReader(head), file, strings.NewReader(tail)), "multipart/form-data; boundary=" + boundary,
		length, func() string { return hex.EncodeToString(h.Sum(nil)) }
}

func postUpload(t *testing.T, url string, size int64, chunked bool) (*http.Response, string, string, error) {
	t.Helper()
	body, ct, n, sum := multipartBody(size, chunked)
	req, _ := http.NewRequest("POST", url+"/api/v1/documents", body)
	req.Header.Set("Content-Type", ct)
	req.ContentLength = n
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, "", "", err
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res, string(b), sum(), nil
}

// A streamed route takes a 50 MB upload without holding it in memory,
// and refuses a bigger one: by Content-Length before reading, or when a
// chunked body passes the limit.
func TestStreamRouteUpload(t *testing.T) {
	const limit = 51 << 20
	url, dir := uploadServer(t, limit)

	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	res, body, sum, err := postUpload(t, url, 50<<20, false)
	runtime.ReadMemStats(&after)
	if err != nil || res.StatusCode != 200 || !strings.Contains(body, `"size":52428800`) || !strings.Contains(body, sum) {
		t.Fatalf("50 MB upload: %v %v %s", err, res, body)
	}
	// The whole process (client and server) allocated far less than the
	// file: it went to disk in small pieces.
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 16<<20 {
		t.Fatalf("a 50 MB upload allocated %d MB", alloc>>20)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "upload-*"))
	if len(files) != 1 {
		t.Fatalf("files on disk: %v", files)
	}
	if fi, _ := os.Stat(files[0]); fi.Size() != 50<<20 {
		t.Fatalf("file on disk: %d bytes", fi.Size())
	}

	// Over the limit by Content-Length: refused after the 8 KiB the server
	// reads before any handler, the rest never read.
	conn, err := net.Dial("tcp", strings.TrimPrefix(url, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	fmt.Fprintf(conn, "POST /api/v1/documents HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=b\r\nContent-Length: %d\r\n\r\n", 52<<20)
	io.CopyN(conn, &pattern{}, 16<<10)
	if res, err := http.ReadResponse(bufio.NewReader(conn), nil); err != nil || res.StatusCode != 413 {
		t.Fatalf("52 MiB announced: %v %v", res, err)
	}

	// Chunked past the limit: the handler's read fails with the 413.
	res, body, _, err = postUpload(t, url, 52<<20, true)
	if err != nil || res.StatusCode != 413 || !strings.Contains(body, "payload_too_large") {
		t.Fatalf("52 MiB chunked: %v %v %s", err, res, body)
	}

	// The gate's other routes keep the small limit.
	res2, err := http.Post(url+"/api/v1/small", "text/plain", io.LimitReader(&pattern{}, 2<<20))
	if err != nil {
		t.Fatal(err)
	}
	res2.Body.Close()
	if res2.StatusCode != 413 {
		t.Fatalf("2 MiB to a buffered route: %d", res2.StatusCode)
	}
}
