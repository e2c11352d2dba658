// Package researchtest is a stand-in for the web search providers, on
// loopback, speaking each one's documented JSON: SearXNG's
// /search?format=json (403 unless JSON is enabled, as SearXNG does),
// Brave Search's web search API (X-Subscription-Token, web.results) and
// Tavily's search API (POST JSON, Bearer key), with their errors (401 for
// a bad key, 429) and a delay for answers past a deadline. It also serves
// the pages its results point at, with menus and footers around their
// text, so a test can read them.
package researchtest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// Key is the API key the stand-in accepts for Brave and Tavily.
const Key = "test-search-key"

// Hit is one result the stand-in answers with.
type Hit struct {
	Title, URL, Snippet string
}

// Server is the stand-in.
type Server struct {
	*httptest.Server

	mu       sync.Mutex
	hits     []Hit
	status   int           // answered instead of results (0: results)
	delay    time.Duration // before answering a search
	pageWait time.Duration // before serving a page
	json     bool          // SearXNG has JSON enabled
	queries  []string
	pageHits map[string]int
}

// Start runs the stand-in with three results pointing at its own pages
// /pages/whales, /pages/bread and /pages/trains.
func Start(t testing.TB) *Server {
	s := &Server{json: true, pageHits: map[string]int{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /searxng/search", s.searxng)
	mux.HandleFunc("GET /brave/res/v1/web/search", s.brave)
	mux.HandleFunc("POST /tavily/search", s.tavily)
	mux.HandleFunc("GET /pages/{name}", s.page)
	s.Server = httptest.NewServer(mux)
	t.Cleanup(s.Close)
	s.hits = []Hit{
		{Title: "Whale songs", URL: s.URL + "/pages/whales", Snippet: "Humpback whales <strong>sing</strong> long songs."},
		{Title: "Sourdough", URL: s.URL + "/pages/bread", Snippet: "Sourdough rises with wild yeast."},
		{Title: "Night trains", URL: s.URL + "/pages/trains", Snippet: "Sleeper trains cross Europe at night."},
	}
	return s
}

// HostPort is the stand-in's address, for [outbound] allow.
func (s *Server) HostPort() string { return strings.TrimPrefix(s.URL, "http://") }

// SearXNGURL, BraveURL and TavilyURL are the providers' endpoints here.
func (s *Server) SearXNGURL() string { return s.URL + "/searxng" }
func (s *Server) BraveURL() string   { return s.URL + "/brave/res/v1/web/search" }
func (s *Server) TavilyURL() string  { return s.URL + "/tavily/search" }

// SetHits replaces the results.
func (s *Server) SetHits(h ...Hit) { s.mu.Lock(); s.hits = h; s.mu.Unlock() }

// SetStatus makes every search answer this HTTP status (0: results).
func (s *Server) SetStatus(code int) { s.mu.Lock(); s.status = code; s.mu.Unlock() }

// SetDelay makes every search wait d (or until the client goes).
func (s *Server) SetDelay(d time.Duration) { s.mu.Lock(); s.delay = d; s.mu.Unlock() }

// SetPageDelay makes every page wait d (or until the client goes).
func (s *Server) SetPageDelay(d time.Duration) { s.mu.Lock(); s.pageWait = d; s.mu.Unlock() }

// SetSearXNGJSON says whether SearXNG has the JSON format enabled.
func (s *Server) SetSearXNGJSON(on bool) { s.mu.Lock(); s.json = on; s.mu.Unlock() }

// Queries are the queries searched so far.
func (s *Server) Queries() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.queries...)
}

// PageHits is how often a page was fetched.
func (s *Server) PageHits(name string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.pageHits[name]
}

// begin records a search and waits the delay; it answers the status to
// send instead of results, and the results.
func (s *Server) begin(r *http.Request, q string) (int, []Hit, bool) {
	s.mu.Lock()
	s.queries = append(s.queries, q)
	status, delay, hits := s.status, s.delay, append([]Hit(nil), s.hits...)
	s.mu.Unlock()
	if delay > 0 {
		select {
		case <-time.After(delay):
		case <-r.Context().Done():
			return 0, nil, false
		}
	}
	return status, hits, true
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// searxng answers as SearXNG does: 403 (an HTML page) when the format
// asked for is not enabled in settings.yml.
func (s *Server) searxng(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	status, hits, ok := s.begin(r, q.Get("q"))
	if !ok {
		return
	}
	s.mu.Lock()
	jsonOn := s.json
	s.mu.Unlock()
	if q.Get("format") != "json" || !jsonOn {
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusForbidden)
		fmt.Fprint(w, "<html><body><h1>403 Forbidden</h1></body></html>")
		return
	}
	if status != 0 {
		writeJSON(w, status, map[string]any{"error": http.StatusText(status)})
		return
	}
	res := []map[string]any{}
	for _, h := range hits {
		res = append(res, map[string]any{"url": h.URL, "title": h.Title, "content": h.Snippet, "engine": "duckduckgo",
			"engines": []string{"duckduckgo"}, "score": 1.0, "category": "general"})
	}
	writeJSON(w, 200, map[string]any{"query": q.Get("q"), "number_of_results": 0, "results": res, "answers": []any{},
		"corrections": []any{}, "infoboxes": []any{}, "suggestions": []any{}, "unresponsive_engines": []any{}})
}

// brave answers as the Brave Search API does (web.results; 401 JSON for
// a bad subscription token).
func (s *Server) brave(w http.ResponseWriter, r *http.Request) {
	status, hits, ok := s.begin(r, r.URL.Query().Get("q"))
	if !ok {
		return
	}
	if r.Header.Get("X-Subscription-Token") != Key {
		status = http.StatusUnauthorized
	}
	if status != 0 {
		if status == http.StatusTooManyRequests {
			w.Header().Set("Retry-After", "7")
		}
		writeJSON(w, status, map[string]any{"type": "ErrorResponse", "error": map[string]any{
			"id": "x", "status": status, "code": "SUBSCRIPTION_TOKEN_INVALID", "detail": "The provided subscription token is invalid."}})
		return
	}
	res := []map[string]any{}
	for _, h := range hits {
		res = append(res, map[string]any{"type": "search_result", "title": h.Title, "url": h.URL, "description": h.Snippet,
			"is_source_local": false, "language": "en"})
	}
	writeJSON(w, 200, map[string]any{"type": "search", "query": map[string]any{"original": r.URL.Query().Get("q")},
		"web": map[string]any{"type": "search", "results": res, "family_friendly": true}})
}

// tavily answers as Tavily's search API does.
func (s *Server) tavily(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Query      string `json:"query"`
		MaxResults int    `json:"max_results"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil || req.Query == "" {
		writeJSON(w, 400, map[string]any{"detail": map[string]any{"error": "query is required"}})
		return
	}
	status, hits, ok := s.begin(r, req.Query)
	if !ok {
		return
	}
	if r.Header.Get("Authorization") != "Bearer "+Key {
		status = http.StatusUnauthorized
	}
	if status != 0 {
		writeJSON(w, status, map[string]any{"detail": map[string]any{"error": "Unauthorized: missing or invalid API key."}})
		return
	}
	res := []map[string]any{}
	for i, h := range hits {
		if req.MaxResults > 0 && i == req.MaxResults {
			break
		}
		res = append(res, map[string]any{"title": h.Title, "url": h.URL, "content": h.Snippet, "score": 0.9, "raw_content": nil})
	}
	writeJSON(w, 200, map[string]any{"query": req.Query, "answer": nil, "images": []any{}, "results": res, "response_time": 0.42})
}

// Pages' main texts, by name.
var Pages = map[string]struct{ Title, Body string }{
	"whales": {"Whale songs", "Humpback whales sing long, complex songs during the breeding season. " +
		"Only the males sing, and a song can last twenty minutes before it is repeated. " +
		"The songs change slowly from year to year, and whales of one ocean basin sing the same song."},
	"bread": {"Sourdough", "Sourdough bread rises slowly with wild yeast and lactic acid bacteria from a starter. " +
		"Feed the starter with flour and water every day; bake the loaf in a hot oven with steam for a crisp crust."},
	"trains": {"Night trains", "Sleeper trains cross Europe at night, from Vienna to Paris, Hamburg and Rome. " +
		"A couchette is a shared compartment with six berths; a sleeper has a private cabin with a washbasin."},
}

// page serves a page with a menu, a sidebar and a footer around its
// article, as real sites do.
func (s *Server) page(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	p, ok := Pages[name]
	s.mu.Lock()
	s.pageHits[name]++
	delay := s.pageWait
	s.mu.Unlock()
	if delay > 0 {
		select {
		case <-time.After(delay):
		case <-r.Context().Done():
			return
		}
	}
	if !ok {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	fmt.Fprintf(w, `<!doctype html><html><head><title>%[1]s — Example Site</title></head><body>
<header><nav class="menu"><a href="/">Home</a> <a href="/about">About us</a> <a href="/shop">Shop</a> <a href="/login">Log in</a></nav></header>
<div class="sidebar"><h3>Related</h3><ul><li><a href="/x">Subscribe to our newsletter</a></li><li><a href="/y">Cookie settings</a></li></ul></div>
<main><article><h1>%[1]s</h1><p>%[2]s</p><p>%[2]s</p></article></main>
<footer>Copyright Example Site. <a href="/privacy">Privacy policy</a></footer></body></html>`, p.Title, p.Body)
}

// PageURL is a page's address here.
func (s *Server) PageURL(name string) string { return s.URL + "/pages/" + url.PathEscape(name) }
