package llmtest_test

import (
	"bufio"
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aiwfe/aiwfe/app/llm/llmtest"
)

// firstLine posts a chat and returns its first line, with the response to
// read on from (or close).
func firstLine(t *testing.T, url string) (string, *http.Response) {
	t.Helper()
	resp, err := http.Post(url+"/api/chat", "application/json",
		strings.NewReader(`{"model":"llama3.2:3b","messages":[{"role":"user","content":"hi"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(resp.Body).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	return line, resp
}

func TestHoldReleaseAndHoldAgain(t *testing.T) {
	srv := llmtest.NewOllama(t, llmtest.WithFault(llmtest.Fault{HoldAfter: 1}))
	for round := range 2 {
		line, resp := firstLine(t, srv.URL)
		if !strings.Contains(line, `"tok0 "`) {
			t.Fatalf("round %d: first line %s", round, line)
		}
		if srv.Completed() != round {
			t.Fatalf("round %d: stream finished while held", round)
		}
		srv.Release()
		_, _ = bufio.NewReader(resp.Body).ReadString(0) // to the end
		resp.Body.Close()
		if srv.Completed() != round+1 {
			t.Fatalf("round %d: stream did not finish after release", round)
		}
		srv.SetFault(llmtest.Fault{HoldAfter: 1})
	}
}

func TestFaultTimesHeals(t *testing.T) {
	srv := llmtest.NewOllama(t, llmtest.WithFault(llmtest.Fault{Status: 503, Message: "busy", Times: 2, Paths: []string{"/api/tags"}}))
	var codes []int
	for range 3 {
		resp, err := http.Get(srv.URL + "/api/tags")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		codes = append(codes, resp.StatusCode)
	}
	if codes[0] != 503 || codes[1] != 503 || codes[2] != 200 {
		t.Fatalf("statuses = %v, want 503 503 200", codes)
	}
	if resp, _ := http.Get(srv.URL + "/api/version"); resp.StatusCode != 200 {
		t.Fatalf("a path outside the fault's Paths got %d", resp.StatusCode)
	}
}

func TestClientGoneIsCounted(t *testing.T) {
	srv := llmtest.NewOllama(t, llmtest.WithFault(llmtest.Fault{HoldAfter: 1}))
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, srv.URL+"/api/chat",
		strings.NewReader(`{"model":"llama3.2:3b","messages":[]}`))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bufio.NewReader(resp.Body).ReadString('\n'); err != nil {
		t.Fatal(err)
	}
	cancel()
	resp.Body.Close()
	if !srv.WaitCancelled(5 * time.Second) {
		t.Fatal("the cancelled stream was not counted")
	}
}
