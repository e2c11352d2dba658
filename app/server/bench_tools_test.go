package server_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/aiwfe/aiwfe/app/server/servertest"
)

// BenchmarkToolConfirmRoundTrip measures a confirmed tool call through the
// real server on loopback with the demo model and the real tasks service:
// per iteration a send ("add a task to ..."), its tool_call proposal, the
// approval, and the reply to its end. It reports the time from the send to
// the proposal (the exchange's rows, the model's first round, the
// arguments checked) and from sending tool_confirm to the tool_result
// frame (the task written in SQLite), as medians and 95th percentiles.
// ns/op is the whole exchange, which the demo model's product pacing
// (15 ms a word) dominates.
//
//	go test ./app/server -run '^$' -bench BenchmarkToolConfirmRoundTrip -benchtime 200x
func BenchmarkToolConfirmRoundTrip(b *testing.B) {
	srv := servertest.Start(b)
	c := srv.User(b, "user")
	conn, _, err := tryDialWS(srv.URL, "/api/v1/ws/chat", c.Cookie("/", "access_token"), nil)
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close()
	next := func(typ string) map[string]any {
		for {
			conn.SetReadDeadline(time.Now().Add(10 * time.Second))
			_, data, err := conn.ReadMessage()
			if err != nil {
				b.Fatal(err)
			}
			var f map[string]any
			if err := json.Unmarshal(data, &f); err != nil {
				b.Fatal(err)
			}
			if f["type"] == "error" {
				b.Fatalf("error frame %s", data)
			}
			if f["type"] == typ {
				return f
			}
		}
	}
	var confirm, propose []time.Duration
	b.ResetTimer()
	for i := range b.N {
		began := time.Now()
		conn.WriteJSON(map[string]any{"type": "send", "message": fmt.Sprintf("add a task to water plant %d", i), "use_tools": true})
		p := next("tool_call")
		asked := time.Now()
		propose = append(propose, asked.Sub(began))
		conn.WriteJSON(map[string]any{"type": "tool_confirm", "call_id": p["call_id"], "approve": true})
		if r := next("tool_result"); r["status"] != "done" {
			b.Fatalf("result %v", r)
		}
		confirm = append(confirm, time.Since(asked))
		next("done")
	}
	b.StopTimer()
	pct := func(d []time.Duration, p float64) float64 {
		slices.Sort(d)
		return float64(d[int(float64(len(d)-1)*p)].Microseconds()) / 1000
	}
	b.ReportMetric(pct(confirm, 0.5), "confirm-p50-ms")
	b.ReportMetric(pct(confirm, 0.95), "confirm-p95-ms")
	b.ReportMetric(pct(propose, 0.5), "propose-p50-ms")
	b.ReportMetric(pct(propose, 0.95), "propose-p95-ms")
}
