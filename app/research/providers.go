package research

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/aiwfe/aiwfe/app/apperr"
	"github.com/aiwfe/aiwfe/app/netguard"
	"github.com/aiwfe/aiwfe/app/textutil"
)

// The providers speak plain JSON over HTTP (no client library): SearXNG's
// /search?format=json, Brave's web search API, Tavily's search API.

// maxProviderBytes caps a provider's answer (a page of results is a few
// tens of KiB).
const maxProviderBytes = 2 << 20

// upstreamError is a provider's HTTP refusal.
type upstreamError struct {
	status     int
	retryAfter time.Duration
	body       string
}

func (e *upstreamError) Error() string {
	return "search provider answered HTTP " + strconv.Itoa(e.status) + ": " + e.body
}

// ask runs one search on p.
func (s *Service) ask(ctx context.Context, p *provider, query string, limit int) ([]Result, error) {
	var req *http.Request
	var err error
	switch p.Name {
	case "searxng":
		u := p.BaseURL + "/search?" + url.Values{"q": {query}, "format": {"json"}}.Encode()
		req, err = http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	case "brave":
		u := p.BaseURL + "?" + url.Values{"q": {query}, "count": {strconv.Itoa(limit)}}.Encode()
		if req, err = http.NewRequestWithContext(ctx, http.MethodGet, u, nil); err == nil {
			req.Header.Set("X-Subscription-Token", p.APIKey)
		}
	case "tavily":
		body, _ := json.Marshal(map[string]any{"query": query, "max_results": limit, "search_depth": "basic"})
		if req, err = http.NewRequestWithContext(ctx, http.MethodPost, p.BaseURL, bytes.NewReader(body)); err == nil {
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", "Bearer "+p.APIKey)
		}
	}
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := s.d.Outbound.Do(ctx, req, netguard.WithMaxBytes(maxProviderBytes))
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		ue := &upstreamError{status: resp.StatusCode, body: textutil.Ellipsize(strings.TrimSpace(string(raw)), 300)}
		if secs, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && secs > 0 {
			ue.retryAfter = time.Duration(secs) * time.Second
		}
		return nil, ue
	}
	var out []Result
	switch p.Name {
	case "searxng":
		var v struct {
			Results []struct{ Title, URL, Content string } `json:"results"`
		}
		if err := json.Unmarshal(raw, &v); err != nil {
			return nil, fmt.Errorf("searxng: %w", err)
		}
		for _, r := range v.Results {
			out = append(out, Result{Title: r.Title, URL: r.URL, Snippet: r.Content})
		}
	case "brave":
		var v struct {
			Web struct {
				Results []struct{ Title, URL, Description string } `json:"results"`
			} `json:"web"`
		}
		if err := json.Unmarshal(raw, &v); err != nil {
			return nil, fmt.Errorf("brave: %w", err)
		}
		for _, r := range v.Web.Results {
			out = append(out, Result{Title: r.Title, URL: r.URL, Snippet: r.Description})
		}
	case "tavily":
		var v struct {
			Results []struct{ Title, URL, Content string } `json:"results"`
		}
		if err := json.Unmarshal(raw, &v); err != nil {
			return nil, fmt.Errorf("tavily: %w", err)
		}
		for _, r := range v.Results {
			out = append(out, Result{Title: r.Title, URL: r.URL, Snippet: r.Content})
		}
	}
	return clean(out, p.Name, limit), nil
}

// clean keeps results with an http(s) address, once each, their text
// without markup (Brave marks matches with <strong>), at most limit.
func clean(in []Result, name string, limit int) []Result {
	out := make([]Result, 0, len(in))
	seen := map[string]bool{}
	for _, r := range in {
		u, err := url.Parse(strings.TrimSpace(r.URL))
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || seen[u.String()] {
			continue
		}
		seen[u.String()] = true
		r.URL, r.Provider = u.String(), name
		r.Title = textutil.Ellipsize(stripTags(r.Title), 300)
		r.Snippet = textutil.Ellipsize(stripTags(r.Snippet), 1000)
		if r.Title == "" {
			r.Title = u.Host
		}
		out = append(out, r)
		if len(out) == limit {
			break
		}
	}
	return out
}

// stripTags drops HTML tags and decodes the few entities providers use.
func stripTags(s string) string {
	var b strings.Builder
	in := false
	for _, r := range s {
		switch {
		case r == '<':
			in = true
		case r == '>' && in:
			in = false
		case !in:
			b.WriteRune(r)
		}
	}
	return strings.Join(strings.Fields(strings.NewReplacer("&amp;", "&", "&lt;", "<", "&gt;", ">", "&quot;", `"`, "&#39;", "'", "&nbsp;", " ").Replace(b.String())), " ")
}

// searchError turns a failed search into what the person can act on; the
// cause goes to the log.
func (s *Service) searchError(ctx context.Context, p *provider, err error) error {
	name := label(p.Name)
	e := func(status int, code, msg string) error {
		return &apperr.Error{Status: status, Code: code, Message: msg, Err: err}
	}
	s.d.Log.Warn("web search failed", "provider", p.Name, "err", err)
	var ue *upstreamError
	switch {
	case errors.As(err, &ue) && p.Name == "searxng" && ue.status == http.StatusForbidden:
		return e(http.StatusBadGateway, "searxng_json_disabled",
			"The SearXNG instance at "+p.BaseURL+" refused to answer in JSON (HTTP 403). An admin must enable the JSON format in SearXNG's settings.yml: add json under search: formats: (next to html) and restart SearXNG.")
	case errors.As(err, &ue) && (ue.status == http.StatusUnauthorized || ue.status == http.StatusForbidden):
		return e(http.StatusBadGateway, "web_search_unauthorized",
			name+" refused the API key (HTTP "+strconv.Itoa(ue.status)+"). Check the key in Profile → Web search (or, for the default provider, Admin → Web search).")
	case errors.As(err, &ue) && ue.status == http.StatusTooManyRequests:
		wait := ue.retryAfter
		if wait <= 0 {
			wait = time.Minute
		}
		ae := apperr.TooMany(name+" is limiting this key's searches (HTTP 429); try again later.", wait)
		ae.Code, ae.Err = "web_search_provider_limited", err
		return ae
	case errors.As(err, &ue):
		return e(http.StatusBadGateway, "web_search_failed", name+" answered with an error (HTTP "+strconv.Itoa(ue.status)+").")
	case errors.Is(err, netguard.ErrBlocked):
		return e(http.StatusBadGateway, "web_search_blocked",
			"The "+name+" address "+p.BaseURL+" is on this machine or the local network, which aiwfe does not reach unless an admin lists it in [outbound] allow of the configuration file.")
	case errors.Is(err, context.DeadlineExceeded) || ctx.Err() != nil:
		return e(http.StatusGatewayTimeout, "web_search_timeout", name+" did not answer in time.")
	}
	return e(http.StatusBadGateway, "web_search_failed", name+" could not be reached or sent an answer aiwfe cannot read.")
}
