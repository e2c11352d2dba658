package server_test

import (
	"testing"

	"github.com/aiwfe/aiwfe/app/config"
	"github.com/aiwfe/aiwfe/app/server/servertest"
)

func TestAPIRateLimitPerUser(t *testing.T) {
	srv := servertest.Start(t, func(c *config.Config) { c.Auth.APIRequestsPerMin = 5 })
	u := srv.Superuser(t)
	other := srv.User(t, "user")
	for i := 0; i < 5; i++ {
		if res := u.Get("/api/v1/profile"); res.Status != 200 {
			t.Fatalf("request %d: %s", i+1, res)
		}
	}
	res := u.Get("/api/v1/profile")
	if res.Status != 429 || res.ErrorCode() != "rate_limited" || retryAfter(t, res) < 1 {
		t.Fatalf("6th request: %s", res)
	}
	// Another user has a budget of their own.
	if res := other.Get("/api/v1/profile"); res.Status != 200 {
		t.Fatalf("other user: %s", res)
	}
	// The budget refills.
	srv.Advance(15e9)
	if res := u.Get("/api/v1/profile"); res.Status != 200 {
		t.Fatalf("after refill: %s", res)
	}
}

// Unknown /api paths answer the JSON error shape, authenticated or not.
func TestUnknownAPIPath(t *testing.T) {
	srv := servertest.Start(t)
	servertest.Scenario{Name: "404", Method: "GET", Path: "/api/v1/nope", WantStatus: 404, WantCode: "not_found"}.Run(t, srv.Client(t))
}
