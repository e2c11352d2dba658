package server_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/aiwfe/aiwfe/app/config"
	"github.com/aiwfe/aiwfe/app/server/servertest"
)

// security_events stays bounded: by row count as failed sign-ins pour in
// (the inserts start a prune themselves), and by age when the server's
// maintenance runs.
func TestSecurityEventsRetention(t *testing.T) {
	srv := servertest.Start(t, func(c *config.Config) {
		c.Auth.EventsMaxRows = 30
		c.Auth.EventsMaxAge = config.Duration(24 * time.Hour)
		c.Auth.MaxFailuresIP = 1000
	})
	srv.Superuser(t)
	total := func() int {
		var n int
		if err := srv.App.Store.DB.QueryRow("SELECT COUNT(*) FROM security_events").Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	c := srv.Client(t)
	for i := 0; i < 120; i++ {
		if res := c.Login(fmt.Sprintf("guess%d@example.com", i), "wrong password!"); res.Status != 401 {
			t.Fatalf("attempt %d: %s", i, res)
		}
	}
	// A prune starts every tenth of the limit (3 rows), so up to 2 rows
	// may wait for the next one.
	deadline := time.Now().Add(10 * time.Second)
	for n := total(); n > 32; n = total() {
		if time.Now().After(deadline) {
			t.Fatalf("%d security events kept, limit 30", n)
		}
		time.Sleep(20 * time.Millisecond)
	}

	srv.Advance(25 * time.Hour)
	// A fresh client: the old one's CSRF token has expired.
	if res := srv.Client(t).Login("late@example.com", "wrong password!"); res.Status != 401 {
		t.Fatal(res)
	}
	if err := srv.App.Auth.Prune(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := total(); n != 1 {
		t.Fatalf("%d events after pruning by age, want the one from the last day", n)
	}
}
