package llmtest

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

// OpenAIServer is a stand-in for an OpenAI-compatible API:
// /v1/chat/completions (server-sent events of chat.completion.chunk, a usage
// chunk when asked for, then "data: [DONE]"), /v1/models and /v1/embeddings.
// Its URL is the base URL to give the client (without /v1).
type OpenAIServer struct {
	*Server
}

// NewOpenAI starts an OpenAI-compatible stand-in, closed when the test ends.
func NewOpenAI(t testing.TB, opts ...Option) *OpenAIServer {
	t.Helper()
	o := &OpenAIServer{}
	o.Server = newServer(t, opts, func(s string) string { return s }, func(mux *http.ServeMux) {
		mux.HandleFunc("POST /v1/chat/completions", o.auth(o.chat))
		mux.HandleFunc("GET /v1/models", o.auth(o.models))
		mux.HandleFunc("POST /v1/embeddings", o.auth(o.embeddings))
	})
	return o
}

func openAIError(status int, msg, code string) map[string]any {
	typ := "server_error"
	if status >= 400 && status < 500 {
		typ = "invalid_request_error"
	}
	var c any
	if code != "" {
		c = code
	}
	return map[string]any{"error": map[string]any{"message": msg, "type": typ, "param": nil, "code": c}}
}

func (o *OpenAIServer) auth(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if o.cfg.apiKey != "" && r.Header.Get("Authorization") != "Bearer "+o.cfg.apiKey {
			writeJSON(w, http.StatusUnauthorized, openAIError(http.StatusUnauthorized,
				"Incorrect API key provided. You can find your API key at https://platform.openai.com/account/api-keys.", "invalid_api_key"))
			return
		}
		next(w, r)
	}
}

func notFound(model string) map[string]any {
	return openAIError(http.StatusNotFound,
		fmt.Sprintf("The model `%s` does not exist or you do not have access to it.", model), "model_not_found")
}

func (o *OpenAIServer) chat(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Model         string        `json:"model"`
		Messages      []wireMessage `json:"messages"`
		Stream        bool          `json:"stream"`
		MaxTokens     int           `json:"max_tokens"`
		StreamOptions *struct {
			IncludeUsage bool `json:"include_usage"`
		} `json:"stream_options"`
	}
	if !o.readJSON(w, r, &req) {
		return
	}
	if len(req.Messages) == 0 {
		o.writeError(w, r, http.StatusBadRequest, "'messages' must contain at least one message")
		return
	}
	if !o.hasModel(req.Model) {
		writeJSON(w, http.StatusNotFound, notFound(req.Model))
		return
	}
	toks, cut := o.reply(req.MaxTokens)
	finish := "stop"
	if cut {
		finish = "length"
	}
	id := "chatcmpl-llmtest"
	created := time.Now().Unix()
	usage := map[string]int{
		"prompt_tokens":     countWords(req.Messages),
		"completion_tokens": len(toks),
		"total_tokens":      countWords(req.Messages) + len(toks),
	}
	if !req.Stream {
		o.completed.Add(1) // before the write: the client may look as soon as it has read it
		writeJSON(w, http.StatusOK, map[string]any{
			"id": id, "object": "chat.completion", "created": created, "model": req.Model,
			"choices": []map[string]any{{
				"index":         0,
				"message":       map[string]any{"role": "assistant", "content": strings.Join(toks, "")},
				"finish_reason": finish,
			}},
			"usage": usage,
		})
		return
	}

	chunk := func(delta map[string]any, reason any) []byte {
		return event(map[string]any{
			"id": id, "object": "chat.completion.chunk", "created": created, "model": req.Model,
			"system_fingerprint": "fp_llmtest",
			"choices":            []map[string]any{{"index": 0, "delta": delta, "finish_reason": reason}},
		})
	}
	w.Header().Set("Cache-Control", "no-cache")
	st := o.newStreamer(w, r, "text/event-stream")
	streamErr := func() {
		_ = st.write(event(openAIError(http.StatusInternalServerError, st.fault.Message, "")))
	}
	if st.write(chunk(map[string]any{"role": "assistant", "content": ""}, nil)) != nil {
		return
	}
	if o.callsTools(req.Messages) {
		// OpenAI streams a call's id and name first, then its arguments
		// string in fragments, keyed by the call's index.
		for i, c := range o.cfg.toolCalls {
			half := len(c.Arguments) / 2
			frags := []map[string]any{
				{"index": i, "id": fmt.Sprintf("call_llmtest_%d", i), "type": "function", "function": map[string]any{"name": c.Name, "arguments": ""}},
				{"index": i, "function": map[string]any{"arguments": c.Arguments[:half]}},
				{"index": i, "function": map[string]any{"arguments": c.Arguments[half:]}},
			}
			for _, f := range frags {
				if st.token(chunk(map[string]any{"tool_calls": []any{f}}, nil)) != nil {
					return
				}
			}
		}
		if st.write(chunk(map[string]any{}, "tool_calls")) != nil {
			return
		}
		st.finish([]byte("data: [DONE]\n\n"))
		return
	}
	for i, tok := range append(slices.Clone(o.cfg.thinking), toks...) {
		if st.errorAfter() {
			streamErr()
			return
		}
		delta := map[string]any{"content": tok}
		if i < len(o.cfg.thinking) {
			delta = map[string]any{"reasoning_content": tok}
		}
		if st.token(chunk(delta, nil)) != nil {
			return
		}
	}
	if st.errorAfter() {
		streamErr()
		return
	}
	if st.write(chunk(map[string]any{}, finish)) != nil {
		return
	}
	if req.StreamOptions != nil && req.StreamOptions.IncludeUsage && !o.cfg.noUsage {
		if st.write(event(map[string]any{
			"id": id, "object": "chat.completion.chunk", "created": created, "model": req.Model,
			"choices": []any{}, "usage": usage,
		})) != nil {
			return
		}
	}
	st.finish([]byte("data: [DONE]\n\n"))
}

func event(v any) []byte {
	return append(append([]byte("data: "), mustJSON(v)...), '\n', '\n')
}

func (o *OpenAIServer) models(w http.ResponseWriter, r *http.Request) {
	data := []map[string]any{}
	for _, m := range o.modelList() {
		data = append(data, map[string]any{"id": m, "object": "model", "created": modifiedAt.Unix(), "owned_by": "llmtest"})
	}
	writeJSON(w, http.StatusOK, map[string]any{"object": "list", "data": data})
}

func (o *OpenAIServer) embeddings(w http.ResponseWriter, r *http.Request) {
	model, vecs, words, ok := o.embedRequest(w, r)
	if !ok {
		return
	}
	if !o.hasModel(model) {
		writeJSON(w, http.StatusNotFound, notFound(model))
		return
	}
	data := make([]map[string]any, len(vecs))
	for i, v := range vecs {
		data[i] = map[string]any{"object": "embedding", "index": i, "embedding": v}
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"object": "list", "data": data, "model": model,
		"usage": map[string]int{"prompt_tokens": words, "total_tokens": words},
	})
}
