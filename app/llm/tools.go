package llm

import (
	"encoding/json"
	"fmt"
	"strings"
)

// The two wire formats of tool calling differ in small ways that matter:
// Ollama sends a call's arguments as a JSON object, answers with a whole call
// per stream line, and names the tool of a "tool" turn (tool_name); OpenAI
// sends arguments as a JSON string, streams them in fragments keyed by
// index, and names the call a "tool" turn answers (tool_call_id).

// wireTool is a tool definition as both APIs take it.
type wireTool struct {
	Type     string `json:"type"`
	Function Tool   `json:"function"`
}

func wireTools(tools []Tool) []wireTool {
	out := make([]wireTool, len(tools))
	for i, t := range tools {
		if len(t.Parameters) == 0 {
			t.Parameters = json.RawMessage(`{"type":"object","properties":{}}`)
		}
		out[i] = wireTool{Type: "function", Function: t}
	}
	return out
}

// ollamaMessage is a Message as Ollama's /api/chat takes it.
type ollamaMessage struct {
	Role      string           `json:"role"`
	Content   string           `json:"content"`
	ToolCalls []ollamaToolCall `json:"tool_calls,omitempty"`
	ToolName  string           `json:"tool_name,omitempty"`
}

type ollamaToolCall struct {
	ID       string `json:"id,omitempty"`
	Function struct {
		Name      string          `json:"name"`
		Arguments json.RawMessage `json:"arguments"`
	} `json:"function"`
}

func ollamaMessages(msgs []Message) []ollamaMessage {
	out := make([]ollamaMessage, len(msgs))
	for i, m := range msgs {
		om := ollamaMessage{Role: m.Role, Content: m.Content, ToolName: m.ToolName}
		for _, c := range m.ToolCalls {
			var oc ollamaToolCall
			oc.ID = c.ID
			oc.Function.Name = c.Name
			oc.Function.Arguments = argsObject(c.Arguments)
			om.ToolCalls = append(om.ToolCalls, oc)
		}
		out[i] = om
	}
	return out
}

// openAIMessage is a Message as /v1/chat/completions takes it.
type openAIMessage struct {
	Role       string           `json:"role"`
	Content    string           `json:"content"`
	ToolCalls  []openAIToolCall `json:"tool_calls,omitempty"`
	ToolCallID string           `json:"tool_call_id,omitempty"`
}

type openAIToolCall struct {
	Index    *int   `json:"index,omitempty"`
	ID       string `json:"id,omitempty"`
	Type     string `json:"type,omitempty"`
	Function struct {
		Name      string `json:"name,omitempty"`
		Arguments string `json:"arguments,omitempty"`
	} `json:"function"`
}

func openAIMessages(msgs []Message) []openAIMessage {
	out := make([]openAIMessage, len(msgs))
	for i, m := range msgs {
		om := openAIMessage{Role: m.Role, Content: m.Content, ToolCallID: m.ToolCallID}
		for _, c := range m.ToolCalls {
			var oc openAIToolCall
			oc.ID, oc.Type = c.ID, "function"
			oc.Function.Name = c.Name
			oc.Function.Arguments = string(argsObject(c.Arguments))
			om.ToolCalls = append(om.ToolCalls, oc)
		}
		out[i] = om
	}
	return out
}

// argsObject is a call's arguments as a JSON object; a missing or empty
// value becomes {} (both APIs refuse a null there).
func argsObject(raw json.RawMessage) json.RawMessage {
	if s := strings.TrimSpace(string(raw)); s == "" || s == "null" {
		return json.RawMessage(`{}`)
	}
	return raw
}

// toolCallAssembler joins OpenAI's streamed tool-call fragments: the first
// fragment of a call carries its index, id and name, the later ones pieces
// of the arguments string.
type toolCallAssembler struct {
	calls []*openAIToolCall
}

func (a *toolCallAssembler) add(frag openAIToolCall) {
	idx := len(a.calls)
	if frag.Index != nil {
		idx = *frag.Index
	}
	if idx < 0 || idx > 127 {
		return // no model calls 128 tools in one turn; refuse to grow on nonsense
	}
	for len(a.calls) <= idx {
		a.calls = append(a.calls, &openAIToolCall{})
	}
	c := a.calls[idx]
	if frag.ID != "" {
		c.ID = frag.ID
	}
	if frag.Function.Name != "" {
		c.Function.Name = frag.Function.Name
	}
	c.Function.Arguments += frag.Function.Arguments
}

// result is the joined calls; a call whose arguments are not a JSON object
// is an upstream error, reported rather than passed on half-parsed.
func (a *toolCallAssembler) result() ([]ToolCall, error) {
	var out []ToolCall
	for i, c := range a.calls {
		if c.Function.Name == "" {
			continue
		}
		args := json.RawMessage(argsObject(json.RawMessage(c.Function.Arguments)))
		var obj map[string]any
		if err := json.Unmarshal(args, &obj); err != nil {
			return nil, fmt.Errorf("%w: openai: tool call %q: arguments are not a JSON object: %.200q", ErrUnavailable, c.Function.Name, c.Function.Arguments)
		}
		id := c.ID
		if id == "" {
			id = fmt.Sprintf("call_%d", i)
		}
		out = append(out, ToolCall{ID: id, Name: c.Function.Name, Arguments: args})
	}
	return out, nil
}

// fromOllamaCalls converts one stream line's calls, numbering those that
// came without an id after the ones already collected.
func fromOllamaCalls(calls []ollamaToolCall, have int) []ToolCall {
	out := make([]ToolCall, 0, len(calls))
	for i, c := range calls {
		id := c.ID
		if id == "" {
			id = fmt.Sprintf("call_%d", have+i)
		}
		out = append(out, ToolCall{ID: id, Name: c.Function.Name, Arguments: argsObject(c.Function.Arguments)})
	}
	return out
}

// openAIResponseFormat is OpenAI's wrapping of a JSON Schema.
func openAIResponseFormat(schema json.RawMessage) map[string]any {
	return map[string]any{
		"type": "json_schema",
		"json_schema": map[string]any{
			"name":   "response",
			"schema": schema,
		},
	}
}
