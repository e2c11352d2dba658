// Package llm is the appliance's client for language models: a small
// Provider interface with three implementations — a local Ollama server, any
// OpenAI-compatible endpoint, and a built-in deterministic demo model that
// needs no network. It knows nothing of HTTP handlers or the database; callers
// hand it plain Go values and get plain Go values (and typed errors) back.
package llm

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// Message is one turn of a conversation. Role is "system", "user",
// "assistant" or "tool". An assistant turn that called tools carries them in
// ToolCalls; the "tool" turn answering one carries its result in Content and
// names the call (ToolCallID, which OpenAI-compatible servers need) and the
// tool (ToolName, which Ollama needs).
type Message struct {
	Role       string     `json:"role"`
	Content    string     `json:"content"`
	ToolCalls  []ToolCall `json:"tool_calls,omitempty"`
	ToolCallID string     `json:"tool_call_id,omitempty"`
	ToolName   string     `json:"tool_name,omitempty"`
}

// ChatRequest asks a model to continue a conversation. Options are Ollama's
// option names (temperature, seed, num_predict, top_p, stop, num_ctx, ...);
// the OpenAI provider translates the ones the OpenAI API knows.
type ChatRequest struct {
	Model    string
	Messages []Message
	Options  map[string]any
	// Format, when set, is a JSON Schema the reply must match (Ollama's
	// `format`, OpenAI's `response_format` of type json_schema). Servers
	// constrain decoding to it, but small models still drift: check the
	// reply, as Structured does.
	Format json.RawMessage
	// Tools the model may call. A reply that calls tools comes back with
	// Result.ToolCalls set (and usually no content).
	Tools []Tool
}

// Tool is a function the model may call. Parameters is the JSON Schema of
// its arguments (an object schema).
type Tool struct {
	Name        string          `json:"name"`
	Description string          `json:"description"`
	Parameters  json.RawMessage `json:"parameters"`
}

// ToolCall is one call the model asked for. Arguments is a JSON object. ID
// is the upstream's call id (OpenAI-compatible servers always send one;
// Ollama only in recent versions, so the client makes one up when absent).
type ToolCall struct {
	ID        string          `json:"id,omitempty"`
	Name      string          `json:"name"`
	Arguments json.RawMessage `json:"arguments"`
}

// Chunk is one piece of a streamed reply, in the order the model produced it.
// Thinking carries the reasoning of models that think before answering
// (Ollama's "thinking", OpenAI-compatible "reasoning_content"); it is not
// part of Result.Content. A chunk has Content, Thinking, or both.
type Chunk struct {
	Content  string `json:"content,omitempty"`
	Thinking string `json:"thinking,omitempty"`
}

// Usage counts tokens as the upstream reported them.
type Usage struct {
	PromptTokens     int `json:"prompt_tokens"`
	CompletionTokens int `json:"completion_tokens"`
}

// Timing of one generation, in milliseconds. Ollama reports its own
// durations; for other providers they are measured by the client.
type Timing struct {
	TotalMs         float64 `json:"total_ms"`
	LoadMs          float64 `json:"load_ms"`
	PromptEvalMs    float64 `json:"prompt_eval_ms"`
	EvalMs          float64 `json:"eval_ms"`
	TokensPerSecond float64 `json:"tokens_per_second"`
}

// Result is a finished (or, next to an error, partial) reply.
type Result struct {
	Content    string `json:"content"`
	Model      string `json:"model"`
	Usage      Usage  `json:"usage"`
	Timing     Timing `json:"timing"`
	DoneReason string `json:"done_reason,omitempty"` // "stop", "length", ...; empty when the stream did not finish
	Demo       bool   `json:"demo,omitempty"`        // produced by the built-in demo model
	// ToolCalls are the calls the model asked for, in order.
	ToolCalls []ToolCall `json:"tool_calls,omitempty"`
}

// Model is one model the provider can serve.
type Model struct {
	Name          string    `json:"name"`
	Size          int64     `json:"size"`
	Family        string    `json:"family,omitempty"`
	ParameterSize string    `json:"parameter_size,omitempty"`
	Quantization  string    `json:"quantization,omitempty"`
	ModifiedAt    time.Time `json:"modified_at"`
}

// PullProgress is one progress report of a model download. Total and
// Completed are bytes of the layer named by Digest.
type PullProgress struct {
	Status    string `json:"status"`
	Digest    string `json:"digest,omitempty"`
	Total     int64  `json:"total,omitempty"`
	Completed int64  `json:"completed,omitempty"`
}

// RunningModel is a model currently loaded in memory (Ollama's /api/ps).
type RunningModel struct {
	Name          string    `json:"name"`
	Size          int64     `json:"size"`
	SizeVRAM      int64     `json:"size_vram"`
	Family        string    `json:"family,omitempty"`
	ParameterSize string    `json:"parameter_size,omitempty"`
	Quantization  string    `json:"quantization,omitempty"`
	ContextLength int       `json:"context_length,omitempty"`
	ExpiresAt     time.Time `json:"expires_at"`
}

// ModelInfo describes one model in detail (Ollama's /api/show).
type ModelInfo struct {
	Name          string         `json:"name"`
	Family        string         `json:"family,omitempty"`
	Format        string         `json:"format,omitempty"`
	ParameterSize string         `json:"parameter_size,omitempty"`
	Quantization  string         `json:"quantization,omitempty"`
	ContextLength int            `json:"context_length,omitempty"`
	EmbeddingSize int            `json:"embedding_size,omitempty"`
	Capabilities  []string       `json:"capabilities,omitempty"` // "completion", "embedding", "tools", "vision", ...
	Parameters    string         `json:"parameters,omitempty"`
	Template      string         `json:"template,omitempty"`
	ModifiedAt    time.Time      `json:"modified_at"`
	Details       map[string]any `json:"model_info,omitempty"` // the raw model_info map
}

// Provider is a source of model replies and embeddings.
type Provider interface {
	// Name is "ollama", "openai" or "demo".
	Name() string
	// Chat streams a reply: onChunk is called for every upstream chunk as it
	// arrives. An error returned by onChunk, or cancelling ctx, aborts the
	// upstream request at once. On failure after some chunks arrived, Chat
	// returns the partial Result together with the error.
	Chat(ctx context.Context, req ChatRequest, onChunk func(Chunk) error) (*Result, error)
	// Models lists the models the provider can serve.
	Models(ctx context.Context) ([]Model, error)
	// Embed returns one vector per input, in order.
	Embed(ctx context.Context, model string, input []string) ([][]float32, error)
	// Health reports whether the provider answers.
	Health(ctx context.Context) error
}

// Puller downloads models (Ollama). progress may be nil.
type Puller interface {
	Pull(ctx context.Context, model string, progress func(PullProgress)) error
}

// RunningLister lists the models loaded in memory (Ollama).
type RunningLister interface {
	Running(ctx context.Context) ([]RunningModel, error)
}

// Shower describes one model (Ollama).
type Shower interface {
	Show(ctx context.Context, model string) (*ModelInfo, error)
}

// Generator completes a raw prompt without chat history (Ollama, demo).
type Generator interface {
	Generate(ctx context.Context, model, prompt string, onChunk func(Chunk) error) (*Result, error)
}

// Config selects and tunes a provider. Zero durations take the defaults.
type Config struct {
	Provider string // "ollama" (default), "openai" or "demo"
	BaseURL  string // default http://127.0.0.1:11434 for ollama, https://api.openai.com for openai
	APIKey   string // sent as a Bearer token (openai; also ollama when set, for proxies)

	// ConnectTimeout bounds dialling and the TLS handshake.
	ConnectTimeout time.Duration
	// FirstTokenTimeout bounds the wait from sending a streaming request to
	// its first chunk. A big model loading from disk can take minutes, so
	// the default is generous. It also bounds Embed, which may load a model.
	FirstTokenTimeout time.Duration
	// IdleTimeout bounds the silence between two chunks of a stream.
	IdleTimeout time.Duration
	// RequestTimeout bounds the small non-streaming calls (model lists,
	// show, ps, health).
	RequestTimeout time.Duration
	// DemoDelay is the pause before each streamed word of the demo model,
	// so that streaming is visible in the UI. Zero streams at once.
	DemoDelay time.Duration
	// HTTPClient replaces the pooled client built from the timeouts above.
	HTTPClient *http.Client
}

// Defaults for Config's zero values.
const (
	DefaultOllamaURL         = "http://127.0.0.1:11434"
	DefaultOpenAIURL         = "https://api.openai.com"
	DefaultConnectTimeout    = 10 * time.Second
	DefaultFirstTokenTimeout = 5 * time.Minute
	DefaultIdleTimeout       = 2 * time.Minute
	DefaultRequestTimeout    = 30 * time.Second
	// ProductDemoDelay is the per-word delay the appliance uses for the
	// demo model; tests use zero.
	ProductDemoDelay = 15 * time.Millisecond
)

func (c Config) withDefaults() Config {
	if c.ConnectTimeout <= 0 {
		c.ConnectTimeout = DefaultConnectTimeout
	}
	if c.FirstTokenTimeout <= 0 {
		c.FirstTokenTimeout = DefaultFirstTokenTimeout
	}
	if c.IdleTimeout <= 0 {
		c.IdleTimeout = DefaultIdleTimeout
	}
	if c.RequestTimeout <= 0 {
		c.RequestTimeout = DefaultRequestTimeout
	}
	return c
}

// New builds the provider cfg names.
func New(cfg Config) (Provider, error) {
	cfg = cfg.withDefaults()
	switch strings.ToLower(strings.TrimSpace(cfg.Provider)) {
	case "", "ollama":
		return newOllama(cfg)
	case "openai":
		return newOpenAI(cfg)
	case "demo":
		return NewDemo(cfg.DemoDelay), nil
	default:
		return nil, fmt.Errorf("%w: unknown llm provider %q (want ollama, openai or demo)", ErrBadRequest, cfg.Provider)
	}
}
