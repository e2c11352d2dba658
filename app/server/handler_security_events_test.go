package server_test

import (
	"testing"

	"github.com/aiwfe/aiwfe/app/server/servertest"
)

func TestSecurityEvents(t *testing.T) {
	srv := servertest.Start(t)
	u := srv.Superuser(t)
	u.Login("root@example.com", "wrong password!")
	u.MustLogin("root@example.com", servertest.Password)
	other := srv.User(t, "user")

	var page struct {
		Items []struct {
			ID         int64  `json:"id"`
			Type       string `json:"type"`
			Success    bool   `json:"success"`
			Reason     string `json:"reason"`
			IP         string `json:"ip"`
			DeviceName string `json:"device_name"`
			Email      string `json:"email"`
			CreatedAt  string `json:"created_at"`
		} `json:"items"`
		Page    int `json:"page"`
		PerPage int `json:"per_page"`
		Total   int `json:"total"`
	}
	res := u.Get("/api/v1/security/events?page=1&per_page=2")
	res.JSON(t, &page)
	if res.Status != 200 || page.Page != 1 || page.PerPage != 2 || len(page.Items) != 2 || page.Total < 5 {
		t.Fatalf("page: %s", res)
	}
	if page.Items[0].ID < page.Items[1].ID {
		t.Error("events are not newest first")
	}
	res = u.Get("/api/v1/security/events?per_page=100")
	res.JSON(t, &page)
	var sawFailure, sawSuccess bool
	for _, e := range page.Items {
		if e.Email == other.Email {
			t.Errorf("another user's event leaked: %+v", e)
		}
		if e.Type == "login" && !e.Success && e.Reason == "bad_password" && e.IP == "127.0.0.1" && e.Email == "root@example.com" {
			sawFailure = true
		}
		if e.Type == "login" && e.Success && e.DeviceName == "Chrome on Linux" {
			sawSuccess = true
		}
	}
	if !sawFailure || !sawSuccess {
		t.Errorf("login attempts not recorded as expected: %s", res)
	}
	for _, sc := range []servertest.Scenario{
		{Name: "per_page capped", Method: "GET", Path: "/api/v1/security/events?per_page=100000", WantStatus: 200, WantContains: []string{`"per_page":100`}},
		{Name: "bad page is page 1", Method: "GET", Path: "/api/v1/security/events?page=-4", WantStatus: 200, WantContains: []string{`"page":1`}},
		{Name: "anonymous", Method: "GET", Path: "/api/v1/security/events", Client: srv.Client(t), WantStatus: 401},
	} {
		sc.Run(t, u)
	}
}
