package llm

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/google/jsonschema-go/jsonschema"
)

// ErrInvalidOutput: the model's reply did not match the JSON Schema it was
// asked for, even after one retry. Callers fall back to their rules.
var ErrInvalidOutput = errors.New("model output does not match the schema")

// Structured asks for a reply matching schema (a JSON Schema object) and
// decodes it into out. The server constrains decoding to the schema where it
// can, but small models still drift (and the demo model ignores it), so the
// reply is validated here; a reply that does not validate is asked for once
// more, with the validation error, before giving up with ErrInvalidOutput.
// Upstream failures come back as they are (ErrUnavailable, ...).
func Structured(ctx context.Context, p Provider, req ChatRequest, schema json.RawMessage, out any) error {
	var s jsonschema.Schema
	if err := json.Unmarshal(schema, &s); err != nil {
		return fmt.Errorf("llm: structured: bad schema: %w", err)
	}
	resolved, err := s.Resolve(nil)
	if err != nil {
		return fmt.Errorf("llm: structured: bad schema: %w", err)
	}
	req.Format = schema
	req.Messages = append([]Message(nil), req.Messages...)
	var lastErr error
	for attempt := 0; attempt < 2; attempt++ {
		res, err := p.Chat(ctx, req, nil)
		if err != nil {
			return err
		}
		body := jsonBody(res.Content)
		if lastErr = validate(resolved, body); lastErr == nil {
			if err := json.Unmarshal([]byte(body), out); err != nil {
				return fmt.Errorf("%w: %v", ErrInvalidOutput, err)
			}
			return nil
		}
		req.Messages = append(req.Messages,
			Message{Role: "assistant", Content: res.Content},
			Message{Role: "user", Content: "That reply is not valid: " + lastErr.Error() +
				". Answer again with only a JSON value that matches the schema."})
	}
	return fmt.Errorf("%w: %v", ErrInvalidOutput, lastErr)
}

// jsonBody is the JSON a reply carries: the whole reply, or the inside of a
// ``` fence that models sometimes wrap it in.
func jsonBody(content string) string {
	s := strings.TrimSpace(content)
	if rest, ok := strings.CutPrefix(s, "```"); ok {
		if nl := strings.IndexByte(rest, '\n'); nl >= 0 {
			rest = rest[nl+1:]
		}
		s = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "```"))
	}
	return s
}

func validate(schema *jsonschema.Resolved, body string) error {
	var v any
	if err := json.Unmarshal([]byte(body), &v); err != nil {
		return fmt.Errorf("not JSON: %v", err)
	}
	return schema.Validate(v)
}
