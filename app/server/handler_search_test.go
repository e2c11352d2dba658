package server_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aiwfe/aiwfe/app/config"
	"github.com/aiwfe/aiwfe/app/research/researchtest"
	"github.com/aiwfe/aiwfe/app/server/servertest"
)

// searchServer starts the server with the provider stand-in admitted by
// the [outbound] allow-list and web search on, SearXNG the default.
func searchServer(t *testing.T, opts ...func(*config.Config)) (*servertest.Server, *researchtest.Server) {
	t.Helper()
	sb := researchtest.Start(t)
	srv := servertest.Start(t, append([]func(*config.Config){func(c *config.Config) {
		c.Outbound.Allow = []string{sb.HostPort()}
		c.Search.Enabled, c.Search.Provider, c.Search.BaseURL = true, "searxng", sb.SearXNGURL()
		c.Search.BraveURL, c.Search.TavilyURL = sb.BraveURL(), sb.TavilyURL()
	}}, opts...)...)
	return srv, sb
}

func TestSearchAPI(t *testing.T) {
	srv, sb := searchServer(t, func(c *config.Config) { c.Search.PerMinute = 4 })
	admin := srv.Superuser(t)
	c := srv.User(t, "user")
	anon := srv.Client(t)
	anon.FetchCSRF()
	scenarios := []servertest.Scenario{
		{Name: "unauthenticated", Method: "GET", Path: "/api/v1/search?q=whales", Client: anon, WantStatus: 401},
		{Name: "status unauthenticated", Method: "GET", Path: "/api/v1/search/status", Client: anon, WantStatus: 401},
		{Name: "admin setting unauthenticated", Method: "GET", Path: "/api/v1/admin/web-search", Client: anon, WantStatus: 401},
		{Name: "admin setting as a user", Method: "PUT", Path: "/api/v1/admin/web-search", WantStatus: 403,
			Request: servertest.Request{JSON: map[string]any{"enabled": false}}},
		{Name: "status", Method: "GET", Path: "/api/v1/search/status", WantStatus: 200,
			WantContains: []string{`"enabled":true`, `"provider":"searxng"`, `"code":"ok"`}},
		{Name: "search the default provider", Method: "GET", Path: "/api/v1/search?q=whale+songs&limit=2", WantStatus: 200,
			WantContains:    []string{`"title":"Whale songs"`, `"url":"` + sb.PageURL("whales") + `"`, `"snippet":"Humpback whales sing long songs."`, `"provider":"searxng"`},
			WantNotContains: []string{"Night trains"}},
		{Name: "empty query", Method: "GET", Path: "/api/v1/search?q=", WantStatus: 400, WantField: "q"},
		{Name: "bad limit", Method: "GET", Path: "/api/v1/search?q=x&limit=-1", WantStatus: 400, WantField: "limit"},
		{Name: "own provider without a key", Method: "PUT", Path: "/api/v1/profile", WantStatus: 200,
			Request: servertest.Request{JSON: map[string]any{"web_search_provider": "brave"}}},
		{Name: "brave needs a key", Method: "GET", Path: "/api/v1/search?q=x", WantStatus: 409, WantCode: "web_search_not_configured"},
		{Name: "a wrong key", Method: "PUT", Path: "/api/v1/profile", WantStatus: 200,
			Request: servertest.Request{JSON: map[string]any{"web_search_api_key": "not-the-key"}}},
		{Name: "brave refuses it", Method: "GET", Path: "/api/v1/search?q=x", WantStatus: 502, WantCode: "web_search_unauthorized",
			WantNotContains: []string{"not-the-key"}},
		{Name: "the right key", Method: "PUT", Path: "/api/v1/profile", WantStatus: 200,
			Request: servertest.Request{JSON: map[string]any{"web_search_api_key": researchtest.Key}}},
		{Name: "search brave", Method: "GET", Path: "/api/v1/search?q=whales", WantStatus: 200, WantContains: []string{`"provider":"brave"`}},
		{Name: "tavily with the same key", Method: "PUT", Path: "/api/v1/profile", WantStatus: 200,
			Request: servertest.Request{JSON: map[string]any{"web_search_provider": "tavily"}}},
		{Name: "search tavily", Method: "GET", Path: "/api/v1/search?q=whales", WantStatus: 200, WantContains: []string{`"provider":"tavily"`}},
		{Name: "duckduckgo is gone", Method: "PUT", Path: "/api/v1/profile", WantStatus: 400, WantField: "web_search_provider",
			Request: servertest.Request{JSON: map[string]any{"web_search_provider": "duckduckgo"}}},
		{Name: "off for me", Method: "PUT", Path: "/api/v1/profile", WantStatus: 200,
			Request: servertest.Request{JSON: map[string]any{"web_search_provider": "none"}}},
		{Name: "search off for me", Method: "GET", Path: "/api/v1/search?q=x", WantStatus: 403, WantCode: "web_search_off"},
		{Name: "back to the default", Method: "PUT", Path: "/api/v1/profile", WantStatus: 200,
			Request: servertest.Request{JSON: map[string]any{"web_search_provider": "default"}}},
		{Name: "rate limited", Method: "GET", Path: "/api/v1/search?q=whales", WantStatus: 429, WantCode: "rate_limited",
			WantHeaders: map[string]string{"Retry-After": ""}},
	}
	for _, sc := range scenarios {
		sc.Run(t, c)
	}
	if n := len(sb.Queries()); n != 4 {
		t.Errorf("the providers saw %d searches, want 4 (the user's budget)", n)
	}

	// The admin's switch and default.
	adminScenarios := []servertest.Scenario{
		{Name: "admin reads the setting", Method: "GET", Path: "/api/v1/admin/web-search", WantStatus: 200,
			WantContains: []string{`"enabled":true`, `"provider":"searxng"`, `"source":"config"`, `"api_key_set":false`}},
		{Name: "searxng needs an address", Method: "PUT", Path: "/api/v1/admin/web-search", WantStatus: 400, WantField: "base_url",
			Request: servertest.Request{JSON: map[string]any{"enabled": true, "provider": "searxng"}}},
		{Name: "unknown provider", Method: "PUT", Path: "/api/v1/admin/web-search", WantStatus: 400, WantField: "provider",
			Request: servertest.Request{JSON: map[string]any{"enabled": true, "provider": "google"}}},
		{Name: "brave as the default, with a key", Method: "PUT", Path: "/api/v1/admin/web-search", WantStatus: 200,
			Request:      servertest.Request{JSON: map[string]any{"enabled": true, "provider": "brave", "api_key": researchtest.Key}},
			WantContains: []string{`"provider":"brave"`, `"api_key_set":true`, `"source":"settings"`}, WantNotContains: []string{researchtest.Key}},
		{Name: "switched off", Method: "PUT", Path: "/api/v1/admin/web-search", WantStatus: 200,
			Request: servertest.Request{JSON: map[string]any{"enabled": false, "provider": "brave"}}, WantContains: []string{`"enabled":false`, `"api_key_set":true`}},
	}
	for _, sc := range adminScenarios {
		sc.Run(t, admin)
	}
	// Switched off: nobody searches, whatever they chose.
	srv.Advance(30 * time.Second) // budget for two more
	servertest.Scenario{Name: "forbidden by the admin", Method: "GET", Path: "/api/v1/search?q=x", WantStatus: 403, WantCode: "web_search_disabled"}.Run(t, c)
	servertest.Scenario{Name: "on again", Method: "PUT", Path: "/api/v1/admin/web-search", WantStatus: 200,
		Request: servertest.Request{JSON: map[string]any{"enabled": true, "provider": "brave"}}}.Run(t, admin)
	servertest.Scenario{Name: "the admin's default key serves the user", Method: "GET", Path: "/api/v1/search?q=x", WantStatus: 200,
		WantContains: []string{`"provider":"brave"`}}.Run(t, c)
	servertest.Scenario{Name: "reset to the file", Method: "DELETE", Path: "/api/v1/admin/web-search", WantStatus: 200,
		WantContains: []string{`"provider":"searxng"`, `"source":"config"`}}.Run(t, admin)
	// The key is sealed at rest.
	var raw string
	srv.App.Store.DB.QueryRow("SELECT value FROM settings WHERE key = 'search.web'").Scan(&raw)
	if strings.Contains(raw, researchtest.Key) {
		t.Errorf("the admin's key is stored in the clear: %s", raw)
	}
}

func TestSearchDisabledByDefaultAndSearXNGHint(t *testing.T) {
	srv := servertest.Start(t)
	c := srv.User(t, "user")
	servertest.Scenario{Name: "off by default", Method: "GET", Path: "/api/v1/search?q=x", WantStatus: 403, WantCode: "web_search_disabled",
		WantContains: []string{"Admin → Web search"}}.Run(t, c)
	servertest.Scenario{Name: "status says so", Method: "GET", Path: "/api/v1/search/status", WantStatus: 200,
		WantContains: []string{`"enabled":false`, `"code":"web_search_disabled"`}}.Run(t, c)

	srv2, sb := searchServer(t)
	sb.SetSearXNGJSON(false)
	servertest.Scenario{Name: "searxng without json", Method: "GET", Path: "/api/v1/search?q=x", WantStatus: 502, WantCode: "searxng_json_disabled",
		WantContains: []string{"settings.yml", "formats"}}.Run(t, srv2.User(t, "user"))
}

func TestImportURL(t *testing.T) {
	sb := researchtest.Start(t)
	plain := servertest.Start(t) // no allow-list: the stand-in on loopback is refused
	c := plain.User(t, "user")
	anon := plain.Client(t)
	anon.FetchCSRF()
	for _, sc := range []servertest.Scenario{
		{Name: "unauthenticated", Method: "POST", Path: "/api/v1/documents/import-url", Client: anon, WantStatus: 401,
			Request: servertest.Request{JSON: map[string]any{"url": sb.PageURL("whales")}}},
		{Name: "loopback refused", Method: "POST", Path: "/api/v1/documents/import-url", WantStatus: 422, WantCode: "address_blocked",
			Request: servertest.Request{JSON: map[string]any{"url": sb.PageURL("whales")}}, WantContains: []string{"private network"}},
		{Name: "metadata refused", Method: "POST", Path: "/api/v1/documents/import-url", WantStatus: 422, WantCode: "address_blocked",
			Request: servertest.Request{JSON: map[string]any{"url": "http://169.254.169.254/latest/meta-data/"}}},
		{Name: "file scheme", Method: "POST", Path: "/api/v1/documents/import-url", WantStatus: 400, WantField: "url",
			Request: servertest.Request{JSON: map[string]any{"url": "file:///etc/passwd"}}},
		{Name: "no url", Method: "POST", Path: "/api/v1/documents/import-url", WantStatus: 400, WantField: "url",
			Request: servertest.Request{JSON: map[string]any{"collection": "web"}}},
	} {
		sc.Run(t, c)
	}
	if sb.PageHits("whales") != 0 {
		t.Fatal("a refused address was fetched")
	}

	// The allow-list admits what it names only: another stand-in's
	// address:port is admitted, this one's still not.
	srv, _ := searchServer(t)
	servertest.Scenario{Name: "an address the allow-list does not name", Method: "POST", Path: "/api/v1/documents/import-url", WantStatus: 422,
		WantCode: "address_blocked", Request: servertest.Request{JSON: map[string]any{"url": sb.PageURL("whales")}}}.Run(t, srv.User(t, "user"))
}

func TestImportURLStoresThePage(t *testing.T) {
	srv, sb := searchServer(t)
	c, other := srv.User(t, "user"), srv.User(t, "user")
	res := c.Post("/api/v1/documents/import-url", map[string]any{"url": sb.PageURL("trains"), "collection": "travel"})
	if res.Status != 202 {
		t.Fatalf("import: %s", res)
	}
	var d docView
	res.JSON(t, &d)
	if !strings.HasPrefix(d.Name, "Night trains") || !strings.HasSuffix(d.Name, ".md") {
		t.Errorf("name %q", d.Name)
	}
	waitDoc(t, c, d.ID, "ready")
	body := c.Get(fmt.Sprintf("/api/v1/documents/%d/content?page=1", d.ID)).String()
	for _, want := range []string{"couchette", "Source: " + sb.PageURL("trains")} {
		if !strings.Contains(body, want) {
			t.Errorf("content lacks %q: %s", want, body)
		}
	}
	for _, nav := range []string{"newsletter", "Log in", "Privacy policy"} {
		if strings.Contains(body, nav) {
			t.Errorf("navigation %q imported: %s", nav, body)
		}
	}
	if res := c.Get("/api/v1/documents/search?q=couchette"); !strings.Contains(res.String(), "couchette") {
		t.Errorf("not searchable: %s", res)
	}
	if res := other.Get(fmt.Sprintf("/api/v1/documents/%d", d.ID)); res.Status != 404 {
		t.Errorf("another user sees the import: %s", res)
	}
}

// Research mode over the chat socket: progress frames while it works,
// then a reply whose sources are the pages, with their addresses.
func TestResearchModeOverWebSocket(t *testing.T) {
	srv, sb := searchServer(t)
	admin := srv.Superuser(t)
	c := srv.User(t, "user")
	ws := dialWS(t, srv.URL, "/api/v1/ws/chat", accessTokenOf(t, c))
	ws.send(map[string]any{"type": "send", "mode": "research", "message": "How long do humpback whales sing?"})
	ws.expect("start")
	var stages []string
	var done frame
	for {
		f := ws.read(20 * time.Second)
		if f.str("type") == "progress" {
			stages = append(stages, f.str("stage"))
			if f.str("stage") == "reading" && f.num("pages") != 3 {
				t.Errorf("reading %v", f)
			}
			continue
		}
		if f.str("type") == "done" || f.str("type") == "error" {
			done = f
			break
		}
	}
	if strings.Join(stages, ",") != "searching,reading,retrieving" {
		t.Errorf("stages %v", stages)
	}
	if done.str("type") != "done" || done.str("status") != "complete" {
		t.Fatalf("final %v", done)
	}
	raw, _ := json.Marshal(done["sources"])
	var sources []struct {
		N     int
		URL   string
		Title string
		Text  string
	}
	json.Unmarshal(raw, &sources)
	if len(sources) == 0 || sources[0].N != 1 || sources[0].URL != sb.PageURL("whales") || !strings.HasPrefix(sources[0].Title, "Whale songs") ||
		!strings.Contains(sources[0].Text, "twenty minutes") {
		t.Fatalf("sources %s", raw)
	}
	// The stored reply keeps them.
	msgs := c.Get("/api/v1/conversations/" + itoa(done.num("conversation_id")) + "/messages").String()
	if !strings.Contains(msgs, `"url":"`+sb.PageURL("whales")+`"`) {
		t.Errorf("stored: %s", msgs)
	}

	// Nothing found: the model is not asked, the reply says so.
	sb.SetHits()
	ws.send(map[string]any{"type": "send", "mode": "research", "message": "Whales?", "conversation_id": done.num("conversation_id")})
	ws.expect("start")
	done, _ = ws.until("done")
	if done["no_sources"] != true || !strings.HasPrefix(done.str("content"), "No web results") {
		t.Fatalf("nothing found: %v", done)
	}

	// A provider refusing the key ends the reply with its error.
	admin.Put("/api/v1/admin/web-search", map[string]any{"enabled": true, "provider": "brave", "api_key": "wrong"})
	ws.send(map[string]any{"type": "send", "mode": "research", "message": "Whales?"})
	ws.expect("start")
	f, _ := ws.until("error")
	if f.str("code") != "web_search_unauthorized" {
		t.Fatalf("error %v", f)
	}

	// Web search off: the reply is made without the web, and says why.
	admin.Put("/api/v1/admin/web-search", map[string]any{"enabled": false})
	ws.send(map[string]any{"type": "send", "mode": "research", "message": "Whales?"})
	ws.expect("start")
	p := ws.expect("progress")
	if p.str("stage") != "unavailable" || !strings.Contains(p.str("message"), "Web search is off") {
		t.Fatalf("progress %v", p)
	}
	done, _ = ws.until("done")
	if done["sources"] != nil || done.str("status") != "complete" {
		t.Fatalf("done %v", done)
	}
}
