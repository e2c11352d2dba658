package llm_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"

	"github.com/aiwfe/aiwfe/app/llm"
	"github.com/aiwfe/aiwfe/app/llm/llmtest"
)

var taskTool = llm.Tool{
	Name:        "create_task",
	Description: "Create a task",
	Parameters:  json.RawMessage(`{"type":"object","properties":{"title":{"type":"string"}},"required":["title"]}`),
}

// A tool round trip in each wire format: the request offers the tool, the
// model's call comes back whole (OpenAI streams it in fragments), and the
// follow-up turn carrying the result is sent in the shape each API wants.
func TestToolCallRoundTrip(t *testing.T) {
	for _, kind := range []string{"ollama", "openai"} {
		t.Run(kind, func(t *testing.T) {
			call := llmtest.ToolCall{Name: "create_task", Arguments: `{"title":"Buy milk"}`}
			var srv *llmtest.Server
			var path string
			if kind == "ollama" {
				srv, path = llmtest.NewOllama(t, llmtest.WithToolCalls(call)).Server, "/api/chat"
			} else {
				srv, path = llmtest.NewOpenAI(t, llmtest.WithModels("llama3.2:3b"), llmtest.WithToolCalls(call)).Server, "/v1/chat/completions"
			}
			p := newProvider(t, kind, srv.URL)
			req := ask("llama3.2:3b", "add a task to buy milk")
			req.Tools = []llm.Tool{taskTool}
			res, err := p.Chat(context.Background(), req, nil)
			if err != nil {
				t.Fatal(err)
			}
			if len(res.ToolCalls) != 1 || res.ToolCalls[0].Name != "create_task" || res.ToolCalls[0].ID == "" {
				t.Fatalf("tool calls = %+v", res.ToolCalls)
			}
			var args struct{ Title string }
			if err := json.Unmarshal(res.ToolCalls[0].Arguments, &args); err != nil || args.Title != "Buy milk" {
				t.Fatalf("arguments %s: %v", res.ToolCalls[0].Arguments, err)
			}
			body := srv.RequestsTo(path)[0].JSON()
			tools, _ := body["tools"].([]any)
			if len(tools) != 1 {
				t.Fatalf("tools sent = %v", body["tools"])
			}
			fn, _ := tools[0].(map[string]any)["function"].(map[string]any)
			if tools[0].(map[string]any)["type"] != "function" || fn["name"] != "create_task" || fn["parameters"] == nil {
				t.Fatalf("tool sent = %v", tools[0])
			}

			// The result goes back; the model now answers in words.
			req.Messages = append(req.Messages,
				llm.Message{Role: "assistant", ToolCalls: res.ToolCalls},
				llm.Message{Role: "tool", Content: `{"id":12}`, ToolCallID: res.ToolCalls[0].ID, ToolName: "create_task"})
			res2, err := p.Chat(context.Background(), req, nil)
			if err != nil {
				t.Fatal(err)
			}
			if len(res2.ToolCalls) != 0 || res2.Content == "" {
				t.Fatalf("after the result: %+v", res2)
			}
			msgs := srv.RequestsTo(path)[1].JSON()["messages"].([]any)
			asst, tool := msgs[1].(map[string]any), msgs[2].(map[string]any)
			sent := asst["tool_calls"].([]any)[0].(map[string]any)["function"].(map[string]any)
			if kind == "ollama" {
				// Ollama: arguments as an object, the tool named by tool_name.
				if _, ok := sent["arguments"].(map[string]any); !ok || tool["tool_name"] != "create_task" {
					t.Fatalf("ollama turns = %v / %v", asst, tool)
				}
			} else {
				// OpenAI: arguments as a string, the call named by tool_call_id.
				if _, ok := sent["arguments"].(string); !ok || tool["tool_call_id"] != res.ToolCalls[0].ID {
					t.Fatalf("openai turns = %v / %v", asst, tool)
				}
			}
		})
	}
}

type answer struct {
	Title    string `json:"title"`
	Priority string `json:"priority"`
}

var answerSchema = json.RawMessage(`{"type":"object","properties":{
	"title":{"type":"string","minLength":1},
	"priority":{"type":"string","enum":["low","high"]}},
	"required":["title","priority"],"additionalProperties":false}`)

func TestStructured(t *testing.T) {
	cases := []struct {
		name     string
		replies  []string
		want     answer
		err      error
		requests int
	}{
		{"valid at once", []string{`{"title":"Pay rent","priority":"high"}`}, answer{"Pay rent", "high"}, nil, 1},
		{"fenced", []string{"```json\n{\"title\":\"Pay rent\",\"priority\":\"low\"}\n```"}, answer{"Pay rent", "low"}, nil, 1},
		{"right on the retry", []string{`{"title":"Pay rent","priority":"urgent"}`, `{"title":"Pay rent","priority":"high"}`}, answer{"Pay rent", "high"}, nil, 2},
		{"extra key twice", []string{`{"title":"x","priority":"low","id":1}`}, answer{}, llm.ErrInvalidOutput, 2},
		{"not JSON twice", []string{`Sure! Here is your task.`}, answer{}, llm.ErrInvalidOutput, 2},
		{"truncated", []string{`{"title":"Pay r`}, answer{}, llm.ErrInvalidOutput, 2},
	}
	for _, tc := range cases {
		for _, kind := range []string{"ollama", "openai"} {
			t.Run(tc.name+"/"+kind, func(t *testing.T) {
				var srv *llmtest.Server
				path := "/api/chat"
				if kind == "ollama" {
					srv = llmtest.NewOllama(t, llmtest.WithReplies(tc.replies...)).Server
				} else {
					srv, path = llmtest.NewOpenAI(t, llmtest.WithModels("llama3.2:3b"), llmtest.WithReplies(tc.replies...)).Server, "/v1/chat/completions"
				}
				var got answer
				err := llm.Structured(context.Background(), newProvider(t, kind, srv.URL), ask("llama3.2:3b", "pay rent"), answerSchema, &got)
				if !errors.Is(err, tc.err) || (tc.err == nil && err != nil) {
					t.Fatalf("err = %v, want %v", err, tc.err)
				}
				if got != tc.want {
					t.Fatalf("got %+v, want %+v", got, tc.want)
				}
				reqs := srv.RequestsTo(path)
				if len(reqs) != tc.requests {
					t.Fatalf("%d requests, want %d", len(reqs), tc.requests)
				}
				body := reqs[0].JSON()
				if kind == "ollama" {
					if f, _ := body["format"].(map[string]any); f["type"] != "object" {
						t.Fatalf("format = %v", body["format"])
					}
				} else {
					rf, _ := body["response_format"].(map[string]any)
					js, _ := rf["json_schema"].(map[string]any)
					if rf["type"] != "json_schema" || js["schema"] == nil {
						t.Fatalf("response_format = %v", body["response_format"])
					}
				}
			})
		}
	}
}

// The demo model does not follow a schema: callers get ErrInvalidOutput and
// take their rules. An upstream failure is reported as such, not as bad output.
func TestStructuredFallbacks(t *testing.T) {
	var got answer
	if err := llm.Structured(context.Background(), llm.NewDemo(0), ask("demo", "pay rent"), answerSchema, &got); !errors.Is(err, llm.ErrInvalidOutput) {
		t.Fatalf("demo: err = %v", err)
	}
	srv := llmtest.NewOllama(t, llmtest.WithFault(llmtest.Fault{Status: 500, Message: "boom"}))
	err := llm.Structured(context.Background(), newProvider(t, "ollama", srv.URL), ask("llama3.2:3b", "x"), answerSchema, &got)
	if !errors.Is(err, llm.ErrUnavailable) || errors.Is(err, llm.ErrInvalidOutput) {
		t.Fatalf("upstream 500: err = %v", err)
	}
	if err := llm.Structured(context.Background(), llm.NewDemo(0), ask("demo", "x"), json.RawMessage(`{"type":`), &got); err == nil || errors.Is(err, llm.ErrInvalidOutput) {
		t.Fatalf("bad schema: err = %v", err)
	}
}

// A real Ollama constrains decoding to the schema: the tiny model's words
// are nonsense, but what comes back either validates or is refused as
// invalid output, never passed on unchecked.
func TestRealOllamaStructured(t *testing.T) {
	p := realOllama(t)
	req := ask(llmtest.RealModel, "Give me a task.")
	req.Options = map[string]any{"temperature": 0, "seed": 1, "num_predict": 64}
	var got answer
	err := llm.Structured(context.Background(), p, req, answerSchema, &got)
	switch {
	case err == nil:
		if got.Title == "" || (got.Priority != "low" && got.Priority != "high") {
			t.Fatalf("validated output does not match the schema: %+v", got)
		}
	case errors.Is(err, llm.ErrInvalidOutput):
	default:
		t.Fatalf("err = %v", err)
	}
}

// A real Ollama takes a request offering tools; the tiny model answers in
// (nonsense) words rather than calling one, which must come back as a plain
// reply.
func TestRealOllamaTools(t *testing.T) {
	p := realOllama(t)
	req := ask(llmtest.RealModel, "add a task to buy milk")
	req.Options = repeatable
	req.Tools = []llm.Tool{taskTool}
	res, err := p.Chat(context.Background(), req, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Content == "" && len(res.ToolCalls) == 0 {
		t.Fatalf("empty reply: %+v", res)
	}
	for _, c := range res.ToolCalls {
		if c.Name == "" || !json.Valid(c.Arguments) {
			t.Fatalf("bad call: %+v", c)
		}
	}
}
