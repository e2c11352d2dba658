package llm

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// Ollama talks to an Ollama server's native API (/api/*).
type Ollama struct {
	http *httpClient
	cfg  Config
}

var (
	_ Provider      = (*Ollama)(nil)
	_ Puller        = (*Ollama)(nil)
	_ RunningLister = (*Ollama)(nil)
	_ Shower        = (*Ollama)(nil)
	_ Generator     = (*Ollama)(nil)
)

func newOllama(cfg Config) (*Ollama, error) {
	if cfg.BaseURL == "" {
		cfg.BaseURL = DefaultOllamaURL
	}
	h, err := newHTTPClient("ollama", cfg.BaseURL, cfg)
	if err != nil {
		return nil, err
	}
	return &Ollama{http: h, cfg: cfg}, nil
}

func (o *Ollama) Name() string { return "ollama" }

// ollamaFinal holds the fields of a stream's last line (done: true).
type ollamaFinal struct {
	Model              string `json:"model"`
	Done               bool   `json:"done"`
	DoneReason         string `json:"done_reason"`
	TotalDuration      int64  `json:"total_duration"`
	LoadDuration       int64  `json:"load_duration"`
	PromptEvalCount    int    `json:"prompt_eval_count"`
	PromptEvalDuration int64  `json:"prompt_eval_duration"`
	EvalCount          int    `json:"eval_count"`
	EvalDuration       int64  `json:"eval_duration"`
	Error              string `json:"error"`
}

func (f *ollamaFinal) apply(r *Result) {
	if f.Model != "" {
		r.Model = f.Model
	}
	r.DoneReason = f.DoneReason
	if r.DoneReason == "" {
		r.DoneReason = "stop"
	}
	r.Usage = Usage{PromptTokens: f.PromptEvalCount, CompletionTokens: f.EvalCount}
	r.Timing = Timing{
		TotalMs:      nsToMs(f.TotalDuration),
		LoadMs:       nsToMs(f.LoadDuration),
		PromptEvalMs: nsToMs(f.PromptEvalDuration),
		EvalMs:       nsToMs(f.EvalDuration),
	}
	if f.EvalDuration > 0 {
		r.Timing.TokensPerSecond = float64(f.EvalCount) / (float64(f.EvalDuration) / 1e9)
	}
}

func nsToMs(ns int64) float64 { return float64(ns) / 1e6 }

// Chat streams /api/chat.
func (o *Ollama) Chat(ctx context.Context, req ChatRequest, onChunk func(Chunk) error) (*Result, error) {
	body := map[string]any{"model": req.Model, "messages": ollamaMessages(req.Messages), "stream": true}
	if len(req.Options) > 0 {
		body["options"] = req.Options
	}
	if len(req.Format) > 0 {
		body["format"] = req.Format
	}
	if len(req.Tools) > 0 {
		body["tools"] = wireTools(req.Tools)
	}
	return o.generate(ctx, "/api/chat", req.Model, body, onChunk)
}

// Generate streams /api/generate: a raw prompt, rendered through the
// model's template but without chat history.
func (o *Ollama) Generate(ctx context.Context, model, prompt string, onChunk func(Chunk) error) (*Result, error) {
	body := map[string]any{"model": model, "prompt": prompt, "stream": true}
	return o.generate(ctx, "/api/generate", model, body, onChunk)
}

// ollamaLine is one line of a /api/chat (message) or /api/generate
// (response, thinking) stream.
type ollamaLine struct {
	ollamaFinal
	Message struct {
		Content   string           `json:"content"`
		Thinking  string           `json:"thinking"`
		ToolCalls []ollamaToolCall `json:"tool_calls"`
	} `json:"message"`
	Response string `json:"response"`
	Thinking string `json:"thinking"`
}

// generate runs one NDJSON generation stream.
func (o *Ollama) generate(ctx context.Context, path, model string, body any, onChunk func(Chunk) error) (*Result, error) {
	col := newCollector(model, onChunk)
	done := false
	err := o.http.stream(ctx, path, body, o.cfg.FirstTokenTimeout, o.cfg.IdleTimeout, true, func(line []byte) (bool, error) {
		var l ollamaLine
		if err := json.Unmarshal(line, &l); err != nil {
			return false, fmt.Errorf("%w: ollama %s: bad stream line %.200q: %w", ErrUnavailable, path, line, err)
		}
		if l.Error != "" {
			return false, newAPIError("ollama", 0, l.Error, true)
		}
		chunk := Chunk{Content: l.Message.Content + l.Response, Thinking: l.Message.Thinking + l.Thinking}
		col.res.ToolCalls = append(col.res.ToolCalls, fromOllamaCalls(l.Message.ToolCalls, len(col.res.ToolCalls))...)
		if err := col.add(chunk); err != nil {
			return true, err
		}
		if l.Done {
			done = true
			l.apply(&col.res)
			return true, errStop
		}
		return true, nil
	})
	if err == errStop {
		err = nil
	}
	if err == nil && !done {
		err = fmt.Errorf("%w: ollama %s: %w", ErrUnavailable, path, errStreamEnded)
	}
	return col.result(), err
}

// errStop ends a stream early once its final message has been read.
var errStop = errors.New("stop")

type ollamaDetails struct {
	Format            string `json:"format"`
	Family            string `json:"family"`
	ParameterSize     string `json:"parameter_size"`
	QuantizationLevel string `json:"quantization_level"`
}

// Models lists /api/tags.
func (o *Ollama) Models(ctx context.Context) ([]Model, error) {
	var out struct {
		Models []struct {
			Name       string        `json:"name"`
			Model      string        `json:"model"`
			Size       int64         `json:"size"`
			ModifiedAt time.Time     `json:"modified_at"`
			Details    ollamaDetails `json:"details"`
		} `json:"models"`
	}
	if err := o.http.doJSON(ctx, http.MethodGet, "/api/tags", nil, &out, o.small()); err != nil {
		return nil, err
	}
	models := make([]Model, 0, len(out.Models))
	for _, m := range out.Models {
		models = append(models, Model{
			Name:          firstNonEmpty(m.Name, m.Model),
			Size:          m.Size,
			Family:        m.Details.Family,
			ParameterSize: m.Details.ParameterSize,
			Quantization:  m.Details.QuantizationLevel,
			ModifiedAt:    m.ModifiedAt,
		})
	}
	return models, nil
}

// Running lists /api/ps.
func (o *Ollama) Running(ctx context.Context) ([]RunningModel, error) {
	var out struct {
		Models []struct {
			Name          string        `json:"name"`
			Model         string        `json:"model"`
			Size          int64         `json:"size"`
			SizeVRAM      int64         `json:"size_vram"`
			ContextLength int           `json:"context_length"`
			ExpiresAt     time.Time     `json:"expires_at"`
			Details       ollamaDetails `json:"details"`
		} `json:"models"`
	}
	if err := o.http.doJSON(ctx, http.MethodGet, "/api/ps", nil, &out, o.small()); err != nil {
		return nil, err
	}
	running := make([]RunningModel, 0, len(out.Models))
	for _, m := range out.Models {
		running = append(running, RunningModel{
			Name:          firstNonEmpty(m.Name, m.Model),
			Size:          m.Size,
			SizeVRAM:      m.SizeVRAM,
			Family:        m.Details.Family,
			ParameterSize: m.Details.ParameterSize,
			Quantization:  m.Details.QuantizationLevel,
			ContextLength: m.ContextLength,
			ExpiresAt:     m.ExpiresAt,
		})
	}
	return running, nil
}

// Show describes a model via /api/show.
func (o *Ollama) Show(ctx context.Context, model string) (*ModelInfo, error) {
	var out struct {
		Parameters   string         `json:"parameters"`
		Template     string         `json:"template"`
		Details      ollamaDetails  `json:"details"`
		ModelInfo    map[string]any `json:"model_info"`
		Capabilities []string       `json:"capabilities"`
		ModifiedAt   time.Time      `json:"modified_at"`
	}
	opts := o.small()
	opts.modelCall = true
	if err := o.http.doJSON(ctx, http.MethodPost, "/api/show", map[string]any{"model": model}, &out, opts); err != nil {
		return nil, err
	}
	info := &ModelInfo{
		Name:          model,
		Family:        out.Details.Family,
		Format:        out.Details.Format,
		ParameterSize: out.Details.ParameterSize,
		Quantization:  out.Details.QuantizationLevel,
		Capabilities:  out.Capabilities,
		Parameters:    out.Parameters,
		Template:      out.Template,
		ModifiedAt:    out.ModifiedAt,
		Details:       out.ModelInfo,
	}
	// model_info keys are prefixed with the architecture, e.g.
	// "llama.context_length".
	for k, v := range out.ModelInfo {
		n, ok := v.(float64)
		switch {
		case !ok:
		case strings.HasSuffix(k, ".context_length"):
			info.ContextLength = int(n)
		case strings.HasSuffix(k, ".embedding_length"):
			info.EmbeddingSize = int(n)
		}
	}
	return info, nil
}

// Embed calls /api/embed. It may load the model, so it is bounded by the
// first-token timeout rather than the short request timeout.
func (o *Ollama) Embed(ctx context.Context, model string, input []string) ([][]float32, error) {
	if len(input) == 0 {
		return [][]float32{}, nil
	}
	var out struct {
		Embeddings [][]float32 `json:"embeddings"`
	}
	opts := callOpts{timeout: o.cfg.FirstTokenTimeout, retry: true, modelCall: true}
	// truncate false: an input longer than the model's context is a 400
	// the caller can split and retry, not a vector of its first part only.
	body := map[string]any{"model": model, "input": input, "truncate": false}
	if err := o.http.doJSON(ctx, http.MethodPost, "/api/embed", body, &out, opts); err != nil {
		return nil, err
	}
	if len(out.Embeddings) != len(input) {
		return nil, fmt.Errorf("%w: ollama /api/embed: %d vectors for %d inputs", ErrUnavailable, len(out.Embeddings), len(input))
	}
	return out.Embeddings, nil
}

// Health asks /api/version.
func (o *Ollama) Health(ctx context.Context) error {
	_, err := o.Version(ctx)
	return err
}

// Version returns the server's version string.
func (o *Ollama) Version(ctx context.Context) (string, error) {
	var out struct {
		Version string `json:"version"`
	}
	// No retries: a health probe reports the state as it is now.
	opts := o.small()
	opts.retry = false
	if err := o.http.doJSON(ctx, http.MethodGet, "/api/version", nil, &out, opts); err != nil {
		return "", err
	}
	if out.Version == "" {
		return "", fmt.Errorf("%w: ollama /api/version: no version in the answer (is %s an Ollama server?)", ErrUnavailable, o.http.base)
	}
	return out.Version, nil
}

// Pull downloads a model via /api/pull, reporting each progress line. A
// pull has effects, so it is never retried; an error line in the stream
// (e.g. an unknown model, or no network) becomes the returned error.
func (o *Ollama) Pull(ctx context.Context, model string, progress func(PullProgress)) error {
	success := false
	// A big layer's digest check can be silent for long: the idle limit is
	// the first-token one.
	err := o.http.stream(ctx, "/api/pull", map[string]any{"model": model, "stream": true},
		o.cfg.FirstTokenTimeout, o.cfg.FirstTokenTimeout, true, func(line []byte) (bool, error) {
			var p struct {
				PullProgress
				Error string `json:"error"`
			}
			if err := json.Unmarshal(line, &p); err != nil {
				return false, fmt.Errorf("%w: ollama /api/pull: bad progress line %.200q: %w", ErrUnavailable, line, err)
			}
			if p.Error != "" {
				return false, newAPIError("ollama", 0, fmt.Sprintf("pull %s: %s", model, p.Error), false)
			}
			if p.Status == "success" {
				success = true
			}
			if progress != nil {
				progress(p.PullProgress)
			}
			return true, nil
		})
	if err == nil && !success {
		err = fmt.Errorf("%w: ollama /api/pull %s: %w", ErrUnavailable, model, errStreamEnded)
	}
	return err
}

func (o *Ollama) small() callOpts {
	return callOpts{timeout: o.cfg.RequestTimeout, retry: true}
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}
