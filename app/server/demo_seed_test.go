package server_test

import (
	"context"
	"strings"
	"testing"

	"github.com/aiwfe/aiwfe/app/config"
	"github.com/aiwfe/aiwfe/app/server/servertest"
)

func TestSeedDemo(t *testing.T) {
	srv := servertest.Start(t, func(c *config.Config) { c.Demo = true })
	creds, err := srv.App.SeedDemo(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !creds.Created || creds.Email != "demo@aiwfe.local" {
		t.Fatalf("%+v", creds)
	}
	again, err := srv.App.SeedDemo(context.Background())
	if err != nil || again.Password != creds.Password || again.Created {
		t.Fatalf("second seed: %+v %v", again, err)
	}
	c := srv.Client(t)
	c.MustLogin(creds.Email, creds.Password)
	res := c.Get("/api/v1/conversations")
	if res.Status != 200 || !strings.Contains(res.String(), `"total":3`) {
		t.Fatalf("conversations: %s", res)
	}
	ws := dialWS(t, srv.URL, "/api/v1/ws/chat", accessTokenOf(t, c))
	ws.send(map[string]any{"type": "send", "message": "hello demo"})
	ws.expect("start")
	if done, toks := ws.until("done"); done["demo"] != true || len(toks) < 3 {
		t.Fatalf("demo reply: %v, %d tokens", done, len(toks))
	}
}
