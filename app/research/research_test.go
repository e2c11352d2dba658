package research_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aiwfe/aiwfe/app/apperr"
	"github.com/aiwfe/aiwfe/app/netguard"
	"github.com/aiwfe/aiwfe/app/research"
	"github.com/aiwfe/aiwfe/app/research/researchtest"
	"github.com/aiwfe/aiwfe/app/settings"
	"github.com/aiwfe/aiwfe/store"
)

// rig is a research service against the stand-in: admin setting, the
// user's choice and own key as the test sets them.
type rig struct {
	svc   *research.Service
	sb    *researchtest.Server
	mu    sync.Mutex
	admin settings.WebSearchConfig
	user  store.User
	key   string
}

func newRig(t testing.TB, allow bool, mod ...func(*research.Deps)) *rig {
	t.Helper()
	sb := researchtest.Start(t)
	var al []string
	if allow {
		al = []string{sb.HostPort()}
	}
	out, err := netguard.New(netguard.Options{Allow: al, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	r := &rig{sb: sb, user: store.User{ID: 1, WebSearchProvider: "default"}}
	d := research.Deps{
		Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Outbound: out,
		Admin: func(context.Context) (settings.WebSearchConfig, error) {
			r.mu.Lock()
			defer r.mu.Unlock()
			return r.admin, nil
		},
		User: func(context.Context, int64) (*store.User, error) {
			r.mu.Lock()
			defer r.mu.Unlock()
			u := r.user
			return &u, nil
		},
		APIKey:    func(context.Context, int64) (string, error) { r.mu.Lock(); defer r.mu.Unlock(); return r.key, nil },
		BraveURL:  sb.BraveURL(),
		TavilyURL: sb.TavilyURL(),
		PerMinute: 1000,
		Timeout:   2 * time.Second,
	}
	for _, m := range mod {
		m(&d)
	}
	r.svc = research.New(d)
	t.Cleanup(r.svc.Close)
	return r
}

func (r *rig) set(admin settings.WebSearchConfig, choice, key string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.admin, r.user.WebSearchProvider, r.key = admin, choice, key
}

func code(err error) string {
	if err == nil {
		return ""
	}
	return apperr.From(err).Code
}

// Each provider, as its documented JSON answers, and each way a search
// fails: the admin switch, the user's choice, keys, the provider's
// refusals (401, 429, SearXNG's 403 without JSON) and a slow answer.
func TestSearchProviders(t *testing.T) {
	r := newRig(t, true)
	on := func(p, base, key string) settings.WebSearchConfig {
		return settings.WebSearchConfig{Enabled: true, Provider: p, BaseURL: base, APIKey: key}
	}
	sx := r.sb.SearXNGURL()
	cases := []struct {
		name       string
		admin      settings.WebSearchConfig
		choice     string
		key        string
		status     int // the stand-in's forced answer
		json       bool
		delay      time.Duration
		wantCode   string
		wantStatus int
		wantInMsg  string
	}{
		{name: "searxng default", admin: on("searxng", sx, ""), choice: "default", json: true},
		{name: "brave default with the admin's key", admin: on("brave", "", researchtest.Key), choice: "default", json: true},
		{name: "tavily own key", admin: on("", "", ""), choice: "tavily", key: researchtest.Key, json: true},
		{name: "brave own key over admin default", admin: on("searxng", sx, ""), choice: "brave", key: researchtest.Key, json: true},
		{name: "off by the admin", admin: settings.WebSearchConfig{Provider: "searxng", BaseURL: sx}, choice: "default", json: true,
			wantCode: "web_search_disabled", wantStatus: 403},
		{name: "off by the user", admin: on("searxng", sx, ""), choice: "none", json: true, wantCode: "web_search_off", wantStatus: 403},
		{name: "no default provider", admin: on("", "", ""), choice: "default", json: true, wantCode: "web_search_not_configured", wantStatus: 409},
		{name: "brave without a key", admin: on("", "", ""), choice: "brave", json: true, wantCode: "web_search_not_configured", wantInMsg: "API key"},
		{name: "the default provider without a key", admin: on("tavily", "", ""), choice: "default", json: true,
			wantCode: "web_search_not_configured", wantInMsg: "Admin → Web search"},
		{name: "searxng chosen, none set up", admin: on("brave", "", "k"), choice: "searxng", json: true, wantCode: "web_search_not_configured"},
		{name: "brave bad key 401", admin: on("", "", ""), choice: "brave", key: "wrong", json: true,
			wantCode: "web_search_unauthorized", wantStatus: 502, wantInMsg: "refused the API key"},
		{name: "tavily bad key 401", admin: on("tavily", "", "wrong"), choice: "default", json: true, wantCode: "web_search_unauthorized"},
		{name: "brave 429", admin: on("brave", "", researchtest.Key), choice: "default", status: 429, json: true,
			wantCode: "web_search_provider_limited", wantStatus: 429},
		{name: "tavily 429", admin: on("tavily", "", researchtest.Key), choice: "default", status: 429, json: true,
			wantCode: "web_search_provider_limited", wantStatus: 429},
		{name: "searxng without json 403", admin: on("searxng", sx, ""), choice: "default", json: false,
			wantCode: "searxng_json_disabled", wantStatus: 502, wantInMsg: "settings.yml"},
		{name: "searxng 500", admin: on("searxng", sx, ""), choice: "default", status: 500, json: true, wantCode: "web_search_failed"},
		{name: "slow past the deadline", admin: on("brave", "", researchtest.Key), choice: "default", json: true, delay: 5 * time.Second,
			wantCode: "web_search_timeout", wantStatus: 504},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r.set(c.admin, c.choice, c.key)
			r.sb.SetStatus(c.status)
			r.sb.SetSearXNGJSON(c.json)
			r.sb.SetDelay(c.delay)
			res, err := r.svc.Search(context.Background(), 1, "  humpback   whales ", 2)
			if code(err) != c.wantCode {
				t.Fatalf("error %v, want code %q", err, c.wantCode)
			}
			if c.wantCode != "" {
				e := apperr.From(err)
				if c.wantStatus != 0 && e.Status != c.wantStatus {
					t.Errorf("status %d, want %d", e.Status, c.wantStatus)
				}
				if !strings.Contains(e.Message, c.wantInMsg) {
					t.Errorf("message %q lacks %q", e.Message, c.wantInMsg)
				}
				if c.wantCode == "web_search_provider_limited" && e.RetryAfter <= 0 {
					t.Error("no Retry-After")
				}
				if strings.Contains(e.Message, researchtest.Key) || strings.Contains(e.Message, "wrong") {
					t.Errorf("the key is in the message: %q", e.Message)
				}
				return
			}
			if len(res) != 2 {
				t.Fatalf("results %+v, want 2 (the limit)", res)
			}
			want := c.admin.Provider
			if c.choice != "default" {
				want = c.choice
			}
			if res[0].Title != "Whale songs" || res[0].URL != r.sb.PageURL("whales") || res[0].Provider != want {
				t.Errorf("first result %+v", res[0])
			}
			if res[0].Snippet != "Humpback whales sing long songs." {
				t.Errorf("snippet keeps markup: %q", res[0].Snippet)
			}
			qs := r.sb.Queries()
			if qs[len(qs)-1] != "humpback whales" {
				t.Errorf("query sent %q", qs[len(qs)-1])
			}
		})
	}
	r.sb.SetDelay(0)
	r.sb.SetStatus(0)
}

// A SearXNG on the machine or the LAN is refused unless the admin lists
// it in [outbound] allow: the providers go through the SSRF guard too.
func TestSearchProviderBlockedWithoutAllowList(t *testing.T) {
	r := newRig(t, false)
	r.set(settings.WebSearchConfig{Enabled: true, Provider: "searxng", BaseURL: r.sb.SearXNGURL()}, "default", "")
	_, err := r.svc.Search(context.Background(), 1, "whales", 5)
	if code(err) != "web_search_blocked" || !strings.Contains(apperr.From(err).Message, "[outbound] allow") {
		t.Fatalf("got %v", err)
	}
	if len(r.sb.Queries()) != 0 {
		t.Error("the blocked provider was reached")
	}
}

func TestSearchValidationAndRateLimit(t *testing.T) {
	now := time.Date(2026, 12, 2, 8, 0, 0, 0, time.UTC)
	r := newRig(t, true, func(d *research.Deps) { d.PerMinute = 2; d.Now = func() time.Time { return now } })
	r.set(settings.WebSearchConfig{Enabled: true, Provider: "searxng", BaseURL: r.sb.SearXNGURL()}, "default", "")
	for _, q := range []string{"", "   ", strings.Repeat("x", research.MaxQuery+1)} {
		if _, err := r.svc.Search(context.Background(), 1, q, 5); code(err) != "validation_failed" {
			t.Errorf("q %.20q: %v", q, err)
		}
	}
	for i := range 2 {
		if _, err := r.svc.Search(context.Background(), 1, "whales", 5); err != nil {
			t.Fatalf("search %d: %v", i, err)
		}
	}
	_, err := r.svc.Search(context.Background(), 1, "whales", 5)
	if e := apperr.From(err); e.Status != http.StatusTooManyRequests || e.RetryAfter <= 0 {
		t.Fatalf("third search in a minute: %v", err)
	}
	// Another user has their own budget.
	if _, err := r.svc.Search(context.Background(), 2, "whales", 5); err != nil {
		t.Fatalf("another user: %v", err)
	}
}

// A research turn reads the top pages in parallel and gives the passages
// that answer, at most two a page; pages are cached.
func TestResearchPassages(t *testing.T) {
	r := newRig(t, true)
	r.set(settings.WebSearchConfig{Enabled: true, Provider: "searxng", BaseURL: r.sb.SearXNGURL()}, "default", "")
	var stages []string
	ps, err := r.svc.Research(context.Background(), 1, "How long do humpback whales sing their songs?", 4, func(p research.Progress) {
		stages = append(stages, p.Stage)
	})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(stages, ",") != "searching,reading,retrieving" {
		t.Errorf("stages %v", stages)
	}
	if len(ps) == 0 || ps[0].URL != r.sb.PageURL("whales") || !strings.HasPrefix(ps[0].Title, "Whale songs") {
		t.Fatalf("first passage %+v", ps)
	}
	if !strings.Contains(ps[0].Text, "twenty minutes") {
		t.Errorf("passage text %q", ps[0].Text)
	}
	for _, p := range ps {
		if strings.Contains(p.Text, "newsletter") || strings.Contains(p.Text, "Privacy policy") {
			t.Errorf("navigation in a passage: %q", p.Text)
		}
	}
	// The pages are cached: a second turn reads none again.
	before := r.sb.PageHits("whales")
	if _, err := r.svc.Research(context.Background(), 1, "whale songs", 4, nil); err != nil {
		t.Fatal(err)
	}
	if r.sb.PageHits("whales") != before {
		t.Error("the page was fetched again within its cache time")
	}
}

// Pages slower than the deadline are given up (their results' snippets
// stand in), so a slow site does not hold the reply.
func TestResearchPagesDeadline(t *testing.T) {
	r := newRig(t, true, func(d *research.Deps) { d.PagesTimeout = 300 * time.Millisecond })
	r.set(settings.WebSearchConfig{Enabled: true, Provider: "searxng", BaseURL: r.sb.SearXNGURL()}, "default", "")
	r.sb.SetPageDelay(time.Minute)
	ps, err := r.svc.Research(context.Background(), 1, "humpback whales sing", 4, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(ps) == 0 || ps[0].Text != "Humpback whales sing long songs." {
		t.Fatalf("passages %+v, want the snippet standing in for the unread page", ps)
	}
}

// Import and research fetches refuse what the guard refuses, with a clear
// error, and read what the allow-list admits.
func TestFetchGuard(t *testing.T) {
	blocked := newRig(t, false)
	for _, u := range []string{blocked.sb.PageURL("whales"), "http://[::1]:9/", "http://169.254.169.254/latest/meta-data/",
		"http://10.0.0.1/", "http://0.0.0.0:80/", "http://[::ffff:127.0.0.1]/"} {
		_, err := blocked.svc.Fetch(context.Background(), u)
		if code(err) != "address_blocked" || apperr.From(err).Status != 422 || !errors.Is(err, netguard.ErrBlocked) {
			t.Errorf("%s: %v", u, err)
		}
	}
	for _, u := range []string{"file:///etc/passwd", "ftp://example.com/", "gopher://x/", "", "not a url"} {
		if _, err := blocked.svc.Fetch(context.Background(), u); code(err) != "validation_failed" {
			t.Errorf("%q: %v", u, err)
		}
	}
	allowed := newRig(t, true)
	p, err := allowed.svc.Fetch(context.Background(), allowed.sb.PageURL("trains"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(p.Title, "Night trains") || !strings.Contains(p.Markdown, "couchette") || strings.Contains(p.Markdown, "Log in") {
		t.Errorf("page %+v", p)
	}
}

// Result pages on addresses the guard refuses (a provider's answer is not
// to be trusted with the appliance's network) are not read: their
// snippets stand in, and the pages the allow-list admits are read.
func TestResearchRefusesPrivatePages(t *testing.T) {
	r := newRig(t, true)
	r.set(settings.WebSearchConfig{Enabled: true, Provider: "searxng", BaseURL: r.sb.SearXNGURL()}, "default", "")
	r.sb.SetHits(
		researchtest.Hit{Title: "Metadata", URL: "http://169.254.169.254/latest/meta-data/", Snippet: "whales metadata snippet"},
		researchtest.Hit{Title: "Loopback", URL: "http://127.0.0.1:1/admin", Snippet: "whales loopback snippet"},
		researchtest.Hit{Title: "Whale songs", URL: r.sb.PageURL("whales"), Snippet: "Humpback whales sing."},
	)
	ps, err := r.svc.Research(context.Background(), 1, "humpback whales songs", 6, nil)
	if err != nil {
		t.Fatal(err)
	}
	texts := map[string]string{}
	for _, p := range ps {
		texts[p.URL] += p.Text
	}
	if texts["http://169.254.169.254/latest/meta-data/"] != "whales metadata snippet" || texts["http://127.0.0.1:1/admin"] != "whales loopback snippet" {
		t.Errorf("refused pages: %v", texts)
	}
	if !strings.Contains(texts[r.sb.PageURL("whales")], "twenty minutes") {
		t.Errorf("the admitted page was not read: %v", texts)
	}
}
