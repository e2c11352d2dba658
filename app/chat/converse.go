package chat

import (
	"context"
	"time"

	"github.com/aiwfe/aiwfe/app/llm"
)

// ConverseRequest is a fast single-turn question: nothing is persisted.
type ConverseRequest struct {
	UserID  int64
	Mode    string
	Model   string
	Message string
	Options map[string]any
	// OnToken, when set, receives the reply as it streams.
	OnToken func(string) error
}

// ConverseReply is the answer to a single turn.
type ConverseReply struct {
	Content string    `json:"content"`
	Model   string    `json:"model"`
	Usage   llm.Usage `json:"usage"`
	Timing  Timing    `json:"timing"`
	Demo    bool      `json:"demo"`
	// In the documents mode: the passages given (see Source), whether
	// none matched, how many documents are still being indexed.
	Sources   []Source `json:"sources,omitempty"`
	NoSources bool     `json:"no_sources,omitempty"`
	Indexing  int      `json:"indexing,omitempty"`
}

// Converse answers one message with the mode's model and system prompt,
// without history and without writing anything.
func (s *Service) Converse(ctx context.Context, req ConverseRequest) (*ConverseReply, error) {
	if err := validMessage(req.Message); err != nil {
		return nil, err
	}
	u, err := s.user(ctx, req.UserID)
	if err != nil {
		return nil, storeErr(err, "user")
	}
	mode, model, opts, err := s.resolve(ctx, u, nil, req.Mode, req.Model, req.Options)
	if err != nil {
		return nil, err
	}
	var msgs []llm.Message
	if sys := SystemPrompt(mode, u); sys != "" {
		msgs = append(msgs, llm.Message{Role: "system", Content: sys})
	}
	msgs = append(msgs, llm.Message{Role: "user", Content: req.Message})
	var docs *retrieval
	if usesDocuments(mode, false) {
		if docs, err = s.retrieve(ctx, u.ID, req.Message, nil); err != nil {
			return nil, err
		}
		if len(docs.sources) == 0 {
			text := noSourcesReply(docs.indexing)
			if req.OnToken != nil {
				if err := req.OnToken(text); err != nil {
					return nil, err
				}
			}
			return &ConverseReply{Content: text, Model: model, Sources: []Source{}, NoSources: true, Indexing: docs.indexing}, nil
		}
		msgs = withSources(msgs, docs.sources)
		opts = numCtx(msgs, opts)
	}
	began := time.Now()
	var first time.Duration
	res, err := s.llm.Chat(ctx, llm.ChatRequest{Model: model, Messages: msgs, Options: opts}, func(c llm.Chunk) error {
		if first == 0 {
			first = time.Since(began)
		}
		if req.OnToken != nil && c.Content != "" {
			return req.OnToken(c.Content)
		}
		return nil
	})
	if err != nil {
		return nil, LLMError(err, model)
	}
	out := &ConverseReply{Content: res.Content, Model: model, Usage: res.Usage, Demo: res.Demo}
	if docs != nil {
		out.Content = citeMarkers(out.Content, docs.sources)
		out.Sources, out.Indexing = docs.sources, docs.indexing
	}
	if res.Demo && res.Model != "" {
		out.Model = res.Model
	}
	out.Timing.Timing = res.Timing
	if out.Timing.TotalMs == 0 {
		out.Timing.TotalMs = msSince(began)
	}
	out.Timing.FirstTokenMs = float64(first.Microseconds()) / 1000
	return out, nil
}
