package server_test

import (
	"strings"
	"testing"
	"time"

	"github.com/aiwfe/aiwfe/app/config"
	"github.com/aiwfe/aiwfe/app/server/servertest"
)

func TestHealthAndShell(t *testing.T) {
	srv := servertest.Start(t)
	c := srv.Client(t)
	for _, sc := range []servertest.Scenario{
		{Name: "health public", Method: "GET", Path: "/health", WantStatus: 200,
			WantContains: []string{`"status":"ok"`, `"database":{"status":"ok"`, `"cache":`, `"ollama":`, `"version":`},
			WantHeaders:  map[string]string{"Cache-Control": "no-store", "X-Request-Id": ""}},
		{Name: "health under api", Method: "GET", Path: "/api/v1/health", WantStatus: 200},
		{Name: "unknown api path is JSON 404", Method: "GET", Path: "/api/v1/no/such/thing", WantStatus: 404, WantCode: "not_found",
			WantContains: []string{"no such endpoint"}},
		{Name: "unknown api path under POST is JSON 404 too", Method: "POST", Path: "/api/v2/x", WantStatus: 404, WantCode: "not_found"},
		{Name: "deep link serves the app", Method: "GET", Path: "/tasks", WantStatus: 200, WantContains: []string{"<!doctype html"},
			WantHeaders: map[string]string{"Cache-Control": "no-cache", "Content-Security-Policy": "script-src 'self'", "X-Frame-Options": "DENY"}},
		{Name: "index", Method: "GET", Path: "/", WantStatus: 200, WantContains: []string{"<!doctype html"}},
		{Name: "request id echoed", Method: "GET", Path: "/health",
			Request:     servertest.Request{Headers: map[string]string{"X-Request-ID": "abc123"}},
			WantHeaders: map[string]string{"X-Request-Id": "abc123"}},
		{Name: "hostile request id replaced", Method: "GET", Path: "/health",
			Request: servertest.Request{Headers: map[string]string{"X-Request-ID": strings.Repeat("x", 200)}},
			After: func(t *testing.T, _ *servertest.Client, res *servertest.Response) {
				if id := res.Header.Get("X-Request-Id"); len(id) != 16 {
					t.Errorf("request id %q not replaced", id)
				}
			}},
		{Name: "no HSTS over plain HTTP", Method: "GET", Path: "/health", WantNotContains: nil,
			After: func(t *testing.T, _ *servertest.Client, res *servertest.Response) {
				if res.Header.Get("Strict-Transport-Security") != "" {
					t.Error("HSTS sent over HTTP")
				}
			}},
	} {
		sc.Run(t, c)
	}
}

// A dead model server makes the appliance degraded, not down.
func TestHealthDegradedWhenOllamaDown(t *testing.T) {
	srv := servertest.Start(t, func(cfg *config.Config) {
		cfg.LLM.Provider = "ollama"
		cfg.LLM.BaseURL = "http://127.0.0.1:9" // nothing listens there
	})
	c := srv.Client(t)
	deadline := time.Now().Add(10 * time.Second)
	for {
		res := c.Get("/health")
		if res.Status != 200 {
			t.Fatalf("health %d with Ollama down, want 200: %s", res.Status, res.Body)
		}
		if strings.Contains(string(res.Body), `"status":"degraded"`) && strings.Contains(string(res.Body), `"ollama":{"status":"down"`) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("never degraded: %s", res.Body)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// An unusable database answers 503.
func TestHealthDownWhenDatabaseGone(t *testing.T) {
	srv := servertest.Start(t)
	c := srv.Client(t)
	srv.App.Store.DB.Close()
	deadline := time.Now().Add(5 * time.Second)
	for {
		res := c.Get("/health")
		if res.Status == 503 && strings.Contains(string(res.Body), `"status":"down"`) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("health %d with the database closed, want 503: %s", res.Status, res.Body)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Only origins on the allow-list get CORS headers, with credentials.
func TestCORSAllowList(t *testing.T) {
	srv := servertest.Start(t, func(cfg *config.Config) {
		cfg.Server.AllowedOrigins = []string{"https://app.example.com"}
	})
	c := srv.Client(t)
	pre := func(origin string) *servertest.Response {
		return c.Do("OPTIONS", "/api/v1/profile", servertest.Request{Headers: map[string]string{
			"Origin": origin, "Access-Control-Request-Method": "PUT", "Access-Control-Request-Headers": "X-CSRF-TOKEN",
		}})
	}
	res := pre("https://app.example.com")
	if got := res.Header.Get("Access-Control-Allow-Origin"); got != "https://app.example.com" || res.Header.Get("Access-Control-Allow-Credentials") != "true" {
		t.Fatalf("allowed origin preflight: %d %v", res.Status, res.Header)
	}
	if !strings.Contains(res.Header.Get("Access-Control-Allow-Headers"), "X-CSRF-TOKEN") {
		t.Fatalf("preflight headers: %v", res.Header)
	}
	res = pre("https://evil.example")
	if got := res.Header.Get("Access-Control-Allow-Origin"); got != "" {
		t.Fatalf("a foreign origin got Allow-Origin %q", got)
	}
}
