package llm

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// OpenAI talks to any OpenAI-compatible endpoint (/v1/chat/completions,
// /v1/models, /v1/embeddings): OpenAI itself, Ollama's /v1, llama.cpp's
// server, vLLM, LM Studio, ... BaseURL is the part before /v1.
type OpenAI struct {
	http *httpClient
	cfg  Config
}

var _ Provider = (*OpenAI)(nil)

func newOpenAI(cfg Config) (*OpenAI, error) {
	if cfg.BaseURL == "" {
		cfg.BaseURL = DefaultOpenAIURL
	}
	// Accept a base URL given with the /v1 suffix, as most tools print it.
	cfg.BaseURL = strings.TrimSuffix(strings.TrimRight(cfg.BaseURL, "/"), "/v1")
	h, err := newHTTPClient("openai", cfg.BaseURL, cfg)
	if err != nil {
		return nil, err
	}
	return &OpenAI{http: h, cfg: cfg}, nil
}

func (o *OpenAI) Name() string { return "openai" }

// openAIOptions maps Ollama-style option names onto the request fields of
// the OpenAI API; options it has no field for are dropped.
var openAIOptions = map[string]string{
	"temperature":       "temperature",
	"top_p":             "top_p",
	"seed":              "seed",
	"stop":              "stop",
	"num_predict":       "max_tokens",
	"max_tokens":        "max_tokens",
	"presence_penalty":  "presence_penalty",
	"frequency_penalty": "frequency_penalty",
}

// Chat streams /v1/chat/completions as server-sent events.
func (o *OpenAI) Chat(ctx context.Context, req ChatRequest, onChunk func(Chunk) error) (*Result, error) {
	body := map[string]any{
		"model":          req.Model,
		"messages":       openAIMessages(req.Messages),
		"stream":         true,
		"stream_options": map[string]any{"include_usage": true},
	}
	for k, v := range req.Options {
		if field, ok := openAIOptions[k]; ok {
			body[field] = v
		}
	}
	if len(req.Format) > 0 {
		body["response_format"] = openAIResponseFormat(req.Format)
	}
	if len(req.Tools) > 0 {
		body["tools"] = wireTools(req.Tools)
	}
	var calls toolCallAssembler

	col := newCollector(req.Model, onChunk)
	done := false
	const path = "/v1/chat/completions"
	err := o.http.stream(ctx, path, body, o.cfg.FirstTokenTimeout, o.cfg.IdleTimeout, true, func(line []byte) (bool, error) {
		data, ok := bytes.CutPrefix(line, []byte("data:"))
		if !ok {
			return false, nil // SSE comments (keep-alives), event names, ids
		}
		data = bytes.TrimSpace(data)
		if string(data) == "[DONE]" {
			done = true
			return true, errStop
		}
		var ev struct {
			Model   string `json:"model"`
			Choices []struct {
				Delta struct {
					Content          string           `json:"content"`
					ReasoningContent string           `json:"reasoning_content"`
					Reasoning        string           `json:"reasoning"`
					ToolCalls        []openAIToolCall `json:"tool_calls"`
				} `json:"delta"`
				FinishReason *string `json:"finish_reason"`
			} `json:"choices"`
			Usage *struct {
				PromptTokens     int `json:"prompt_tokens"`
				CompletionTokens int `json:"completion_tokens"`
			} `json:"usage"`
			Error json.RawMessage `json:"error"`
		}
		if err := json.Unmarshal(data, &ev); err != nil {
			return false, fmt.Errorf("%w: openai %s: bad event %.200q: %w", ErrUnavailable, path, data, err)
		}
		if len(ev.Error) > 0 && string(ev.Error) != "null" {
			return false, newAPIError("openai", 0, errorMessage(data), true)
		}
		if ev.Model != "" {
			col.res.Model = ev.Model
		}
		// The opening chunk that only names the role is not progress: a
		// server sends it before the (possibly slow) first token.
		progress := ev.Usage != nil
		if ev.Usage != nil {
			col.res.Usage = Usage{PromptTokens: ev.Usage.PromptTokens, CompletionTokens: ev.Usage.CompletionTokens}
		}
		for _, c := range ev.Choices {
			if c.FinishReason != nil && *c.FinishReason != "" {
				col.res.DoneReason = *c.FinishReason
				progress = true
			}
			ch := Chunk{Content: c.Delta.Content, Thinking: c.Delta.ReasoningContent + c.Delta.Reasoning}
			progress = progress || ch != Chunk{} || len(c.Delta.ToolCalls) > 0
			for _, tc := range c.Delta.ToolCalls {
				calls.add(tc)
			}
			if err := col.add(ch); err != nil {
				return true, err
			}
		}
		return progress, nil
	})
	if err == errStop {
		err = nil
	}
	if err == nil && !done {
		err = fmt.Errorf("%w: openai %s: %w", ErrUnavailable, path, errStreamEnded)
	}
	res := col.result()
	if tc, cerr := calls.result(); cerr != nil && err == nil {
		err = cerr
	} else {
		res.ToolCalls = tc
	}
	if err == nil && res.DoneReason == "" {
		res.DoneReason = "stop"
	}
	return res, err
}

// Models lists /v1/models.
func (o *OpenAI) Models(ctx context.Context) ([]Model, error) {
	var out struct {
		Data []struct {
			ID      string `json:"id"`
			Created int64  `json:"created"`
			OwnedBy string `json:"owned_by"`
		} `json:"data"`
	}
	if err := o.http.doJSON(ctx, http.MethodGet, "/v1/models", nil, &out, o.small()); err != nil {
		return nil, err
	}
	models := make([]Model, 0, len(out.Data))
	for _, m := range out.Data {
		mod := Model{Name: m.ID}
		if m.Created > 0 {
			mod.ModifiedAt = time.Unix(m.Created, 0).UTC()
		}
		models = append(models, mod)
	}
	return models, nil
}

// Embed calls /v1/embeddings and returns the vectors in input order.
func (o *OpenAI) Embed(ctx context.Context, model string, input []string) ([][]float32, error) {
	if len(input) == 0 {
		return [][]float32{}, nil
	}
	var out struct {
		Data []struct {
			Index     int       `json:"index"`
			Embedding []float32 `json:"embedding"`
		} `json:"data"`
	}
	opts := callOpts{timeout: o.cfg.FirstTokenTimeout, retry: true, modelCall: true}
	body := map[string]any{"model": model, "input": input, "encoding_format": "float"}
	if err := o.http.doJSON(ctx, http.MethodPost, "/v1/embeddings", body, &out, opts); err != nil {
		return nil, err
	}
	vecs := make([][]float32, len(input))
	for _, d := range out.Data {
		if d.Index < 0 || d.Index >= len(vecs) {
			return nil, fmt.Errorf("%w: openai /v1/embeddings: index %d out of range", ErrUnavailable, d.Index)
		}
		vecs[d.Index] = d.Embedding
	}
	for i, v := range vecs {
		if v == nil {
			return nil, fmt.Errorf("%w: openai /v1/embeddings: no vector for input %d", ErrUnavailable, i)
		}
	}
	return vecs, nil
}

// Health lists the models: the one cheap authenticated call every
// compatible server has.
func (o *OpenAI) Health(ctx context.Context) error {
	// No retries: a health probe reports the state as it is now.
	return o.http.doJSON(ctx, http.MethodGet, "/v1/models", nil, nil, callOpts{timeout: o.cfg.RequestTimeout})
}

func (o *OpenAI) small() callOpts {
	return callOpts{timeout: o.cfg.RequestTimeout, retry: true}
}
