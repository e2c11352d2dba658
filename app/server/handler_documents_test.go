package server_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"mime/multipart"
	"net/textproto"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aiwfe/aiwfe/app/config"
	"github.com/aiwfe/aiwfe/app/server/servertest"
)

// multipartBody builds an upload: name/content pairs as "file" parts,
// then the extra fields.
func multipartBody(t testing.TB, files []string, fields map[string]string) servertest.Request {
	t.Helper()
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	for i := 0; i+1 < len(files); i += 2 {
		h := textproto.MIMEHeader{}
		h.Set("Content-Disposition", fmt.Sprintf(`form-data; name="file"; filename=%q`, files[i]))
		h.Set("Content-Type", "text/plain")
		p, _ := w.CreatePart(h)
		p.Write([]byte(files[i+1]))
	}
	for k, v := range fields {
		w.WriteField(k, v)
	}
	w.Close()
	return servertest.Request{JSON: b.Bytes(), Headers: map[string]string{"Content-Type": w.FormDataContentType()}}
}

type docView struct {
	ID     int64  `json:"id"`
	Name   string `json:"name"`
	Status string `json:"status"`
	Error  string `json:"error"`
}

func uploadDocs(t *testing.T, c *servertest.Client, collection string, files ...string) []docView {
	t.Helper()
	res := c.Do("POST", "/api/v1/documents", multipartBody(t, files, map[string]string{"collection": collection}))
	if res.Status != 202 {
		t.Fatalf("upload: %s", res)
	}
	var out struct{ Items []docView }
	res.JSON(t, &out)
	return out.Items
}

func waitDoc(t *testing.T, c *servertest.Client, id int64, status string) docView {
	t.Helper()
	var d docView
	poll(t, 10*time.Second, "document "+status, func() bool {
		c.Get(fmt.Sprintf("/api/v1/documents/%d", id)).JSON(t, &d)
		return d.Status == status
	})
	return d
}

const (
	docWhales = "Humpback whales sing long songs in the breeding season.\n\nTheir songs travel for many kilometres under water."
	docBread  = "Sourdough bread rises slowly with wild yeast.\n\nBake it in a hot oven with steam."
)

func TestDocumentsREST(t *testing.T) {
	srv := servertest.Start(t, func(c *config.Config) { c.Server.UploadLimitMB = 1 })
	c, other := srv.User(t, "user"), srv.User(t, "user")
	docs := uploadDocs(t, c, "nature", "whales.txt", docWhales, "bread.txt", docBread)
	if len(docs) != 2 || docs[0].Status != "queued" {
		t.Fatalf("upload: %+v", docs)
	}
	for _, d := range docs {
		waitDoc(t, c, d.ID, "ready")
	}
	p := func(suffix string) string { return fmt.Sprintf("/api/v1/documents/%d%s", docs[0].ID, suffix) }
	big := strings.Repeat("x", 1<<20+1)
	for _, sc := range []servertest.Scenario{
		{Name: "list", Method: "GET", Path: "/api/v1/documents", WantStatus: 200,
			WantContains: []string{`"total":2`, `"name":"whales.txt"`, `"status":"ready"`, `"collection":"nature"`, `"per_page":20`}},
		{Name: "list by collection", Method: "GET", Path: "/api/v1/documents?collection=other", WantStatus: 200, WantContains: []string{`"total":0`, `"items":[]`}},
		{Name: "list by status", Method: "GET", Path: "/api/v1/documents?status=failed", WantStatus: 200, WantContains: []string{`"total":0`}},
		{Name: "list bad status", Method: "GET", Path: "/api/v1/documents?status=done", WantStatus: 400, WantField: "status"},
		{Name: "list bad page", Method: "GET", Path: "/api/v1/documents?page=x", WantStatus: 400, WantField: "page"},
		{Name: "list paged", Method: "GET", Path: "/api/v1/documents?per_page=1&page=2", WantStatus: 200,
			WantContains: []string{`"total":2`, `"name":"whales.txt"`}, WantNotContains: []string{`bread.txt`}},
		{Name: "get", Method: "GET", Path: p(""), WantStatus: 200, WantContains: []string{`"pages":1`, `"chunks":1`, `"format":"txt"`}, WantNotContains: []string{`file_path`}},
		{Name: "search hybrid", Method: "GET", Path: "/api/v1/documents/search?q=whale%20songs", WantStatus: 200,
			WantContains: []string{`"results":[{"document_id":` + fmt.Sprint(docs[0].ID), `"document_name":"whales.txt"`, `"chunk_id":`, `"page":1`, `"heading":""`, `"score":`, `"text":"Humpback`}},
		{Name: "search keyword", Method: "GET", Path: "/api/v1/documents/search?q=sourdough&mode=keyword&limit=1", WantStatus: 200, WantContains: []string{`bread.txt`}},
		{Name: "search vector", Method: "GET", Path: "/api/v1/documents/search?q=sourdough+bread&mode=vector", WantStatus: 200, WantContains: []string{`bread.txt`}},
		{Name: "search collection", Method: "GET", Path: "/api/v1/documents/search?q=sourdough&collection=other", WantStatus: 200, WantContains: []string{`"results":[]`}},
		{Name: "search syntax is literal", Method: "GET", Path: "/api/v1/documents/search?q=%22NEAR(%20OR%20*", WantStatus: 200, WantContains: []string{`"results":[]`}},
		{Name: "search no q", Method: "GET", Path: "/api/v1/documents/search", WantStatus: 400, WantField: "q"},
		{Name: "search bad mode", Method: "GET", Path: "/api/v1/documents/search?q=x&mode=fuzzy", WantStatus: 400, WantField: "mode"},
		{Name: "search bad limit", Method: "GET", Path: "/api/v1/documents/search?q=x&limit=1000", WantStatus: 400, WantField: "limit"},
		{Name: "content", Method: "GET", Path: p("/content?page=1"), WantStatus: 200, WantContains: []string{`"pages":1`, `"text":"Humpback whales`}},
		{Name: "content default page", Method: "GET", Path: p("/content"), WantStatus: 200, WantContains: []string{`"page":1`}},
		{Name: "content past the end", Method: "GET", Path: p("/content?page=2"), WantStatus: 400, WantField: "page"},
		{Name: "content bad page", Method: "GET", Path: p("/content?page=x"), WantStatus: 400, WantField: "page"},
		{Name: "file", Method: "GET", Path: p("/file"), WantStatus: 200, WantContains: []string{docWhales},
			WantHeaders: map[string]string{"Content-Disposition": `attachment; filename="whales.txt"`, "Content-Type": "application/octet-stream"}},
		{Name: "rename and move", Method: "PATCH", Path: p(""), Request: servertest.Request{JSON: map[string]any{"name": "Whales.txt", "collection": "sea"}},
			WantStatus: 200, WantContains: []string{`"name":"Whales.txt"`, `"collection":"sea"`}},
		{Name: "rename empty", Method: "PATCH", Path: p(""), Request: servertest.Request{JSON: map[string]any{"name": " "}}, WantStatus: 400, WantField: "name"},
		{Name: "rename with a slash", Method: "PATCH", Path: p(""), Request: servertest.Request{JSON: map[string]any{"name": "a/b"}}, WantStatus: 400, WantField: "name"},
		{Name: "patch bad type", Method: "PATCH", Path: p(""), Request: servertest.Request{JSON: map[string]any{"name": 3}}, WantStatus: 400, WantField: "name"},
		{Name: "patch unknown field", Method: "PATCH", Path: p(""), Request: servertest.Request{JSON: map[string]any{"status": "ready"}}, WantStatus: 400},
		{Name: "patch bad JSON", Method: "PATCH", Path: p(""), Request: servertest.Request{JSON: `{"name":`}, WantStatus: 400},
		{Name: "reindex", Method: "POST", Path: p("/reindex"), WantStatus: 202, WantContains: []string{`"status":"queued"`}},
		{Name: "reindex all", Method: "POST", Path: "/api/v1/documents/reindex", WantStatus: 202, WantContains: []string{`"queued":`}},
		{Name: "bad id", Method: "GET", Path: "/api/v1/documents/abc", WantStatus: 404},
		{Name: "missing", Method: "GET", Path: "/api/v1/documents/999999", WantStatus: 404},
		// Another user sees none of it: 404 everywhere, nothing found.
		{Name: "other get", Client: other, Method: "GET", Path: p(""), WantStatus: 404},
		{Name: "other patch", Client: other, Method: "PATCH", Path: p(""), Request: servertest.Request{JSON: map[string]any{"name": "mine"}}, WantStatus: 404},
		{Name: "other content", Client: other, Method: "GET", Path: p("/content?page=1"), WantStatus: 404},
		{Name: "other file", Client: other, Method: "GET", Path: p("/file"), WantStatus: 404},
		{Name: "other reindex", Client: other, Method: "POST", Path: p("/reindex"), WantStatus: 404},
		{Name: "other delete", Client: other, Method: "DELETE", Path: p(""), WantStatus: 404},
		{Name: "other list", Client: other, Method: "GET", Path: "/api/v1/documents", WantStatus: 200, WantContains: []string{`"total":0`}},
		{Name: "other search", Client: other, Method: "GET", Path: "/api/v1/documents/search?q=whales", WantStatus: 200, WantContains: []string{`"results":[]`}},
		{Name: "other reindex all", Client: other, Method: "POST", Path: "/api/v1/documents/reindex", WantStatus: 202, WantContains: []string{`"queued":0`}},
		// Bad uploads: 4xx and nothing kept.
		{Name: "upload JSON", Method: "POST", Path: "/api/v1/documents", Request: servertest.Request{JSON: map[string]any{"file": "x"}}, WantStatus: 415},
		{Name: "upload no file", Method: "POST", Path: "/api/v1/documents", Request: multipartBody(t, nil, map[string]string{"collection": "x"}), WantStatus: 400, WantField: "file"},
		{Name: "upload unknown field", Method: "POST", Path: "/api/v1/documents", Request: multipartBody(t, []string{"a.txt", "abc"}, map[string]string{"tags": "x"}), WantStatus: 400, WantField: "tags"},
		{Name: "upload empty file", Method: "POST", Path: "/api/v1/documents", Request: multipartBody(t, []string{"good.txt", "fine words", "empty.txt", ""}, nil), WantStatus: 400, WantField: "file"},
		{Name: "upload too large", Method: "POST", Path: "/api/v1/documents", Request: multipartBody(t, []string{"good.txt", "fine words", "big.txt", big}, nil), WantStatus: 413, WantCode: "file_too_large"},
		{Name: "upload long collection", Method: "POST", Path: "/api/v1/documents", Request: multipartBody(t, []string{"a.txt", "abc"}, map[string]string{"collection": strings.Repeat("c", 101)}), WantStatus: 400, WantField: "collection"},
		{Name: "upload truncated", Method: "POST", Path: "/api/v1/documents", Request: servertest.Request{JSON: "--xyz\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.txt\"\r\n\r\nabc",
			Headers: map[string]string{"Content-Type": "multipart/form-data; boundary=xyz"}}, WantStatus: 400},
		{Name: "after bad uploads", Method: "GET", Path: "/api/v1/documents", WantStatus: 200, WantContains: []string{`"total":2`}},
		{Name: "unauthenticated", Method: "GET", Path: "/api/v1/documents", Client: srv.Client(t), WantStatus: 401},
		{Name: "unauthenticated upload", Method: "POST", Path: "/api/v1/documents", Client: srv.Client(t), Request: multipartBody(t, []string{"a.txt", "abc"}, nil), WantStatus: 401},
		{Name: "delete", Method: "DELETE", Path: p(""), WantStatus: 204},
		{Name: "deleted", Method: "GET", Path: p(""), WantStatus: 404},
		{Name: "deleted from search", Method: "GET", Path: "/api/v1/documents/search?q=whales&mode=keyword", WantStatus: 200, WantContains: []string{`"results":[]`}},
	} {
		sc.Run(t, c)
	}
	tmp, _ := os.ReadDir(filepath.Join(srv.Config.Data.Dir, "documents", "tmp"))
	if len(tmp) != 0 {
		t.Fatalf("%d spooled files left", len(tmp))
	}
	files, _ := filepath.Glob(filepath.Join(srv.Config.Data.Dir, "documents", "*", "*"))
	if len(files) != 1 || !strings.HasSuffix(files[0], "/"+fmt.Sprint(mustUserID(t, c))+"/"+sha256Hex(docBread)) { // bread.txt only
		t.Fatalf("stored files: %v", files)
	}
}

func TestDocumentsProgressOnWebSocket(t *testing.T) {
	srv := servertest.Start(t)
	c := srv.User(t, "user")
	ws := dialWS(t, srv.URL, "/api/v1/ws/progress", accessTokenOf(t, c))
	poll(t, 5*time.Second, "subscription", func() bool { return srv.App.Hub.Subscribers(mustUserID(t, c)) == 1 })
	d := uploadDocs(t, c, "", "whales.txt", docWhales)[0]
	stages := []string{}
	for {
		f := ws.expect("event")
		data := f["data"].(map[string]any)
		if frame(data).str("type") != "document" || int64(data["document_id"].(float64)) != d.ID {
			t.Fatalf("frame %v", f)
		}
		stages = append(stages, frame(data).str("stage"))
		if frame(data).str("stage") == "ready" {
			if frame(data).num("chunks_done") != 1 || frame(data).num("chunks_total") != 1 || frame(data).num("pages") != 1 {
				t.Fatalf("ready: %v", data)
			}
			break
		}
	}
	if stages[0] != "queued" || !strings.Contains(strings.Join(stages, ","), "extracting,embedding") {
		t.Fatalf("stages %v", stages)
	}
}

func TestDocumentsBadFileFailsWithReason(t *testing.T) {
	srv := servertest.Start(t)
	c := srv.User(t, "user")
	docs := uploadDocs(t, c, "", "tool.exe", "MZ\x90\x00\x03\x00binary", "good.txt", docWhales)
	bad := waitDoc(t, c, docs[0].ID, "failed")
	if !strings.Contains(bad.Error, "not supported") {
		t.Fatalf("reason %q", bad.Error)
	}
	waitDoc(t, c, docs[1].ID, "ready")
}

func sha256Hex(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

// The documents page says which embedder is in use: with the demo model
// server it is the built-in one, and the route is not taken for a
// document id.
func TestDocumentsEmbedder(t *testing.T) {
	srv := servertest.Start(t)
	c := srv.User(t, "user")
	servertest.Scenario{Name: "embedder", Method: "GET", Path: "/api/v1/documents/embedder", WantStatus: 200,
		WantContains: []string{`"model":"aiwfe-hash-v1"`, `"builtin":true`}}.Run(t, c)
	if res := srv.Client(t).Get("/api/v1/documents/embedder"); res.Status != 401 {
		t.Fatalf("anonymous: %s", res)
	}
}
