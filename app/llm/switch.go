package llm

import (
	"context"
	"sync/atomic"
)

// Switch is a Provider whose backend can be replaced while the appliance
// runs: an admin points the appliance at another model server, or switches
// on the demo model, without a restart. A request keeps the provider it
// started with; the next one uses the new one.
type Switch struct {
	cur atomic.Pointer[Provider]
}

// NewSwitch starts with p.
func NewSwitch(p Provider) *Switch {
	s := &Switch{}
	s.Set(p)
	return s
}

// Set makes p the provider for every request from now on.
func (s *Switch) Set(p Provider) { s.cur.Store(&p) }

// Current is the provider requests go to now. Optional capabilities
// (Puller, RunningLister, Shower, Generator) are asked of it, not of the
// Switch: see Current(p).
func (s *Switch) Current() Provider { return *s.cur.Load() }

// Current unwraps a Switch to the provider it routes to, so that a type
// assertion for an optional capability tests the real provider.
func Current(p Provider) Provider {
	if s, ok := p.(*Switch); ok {
		return s.Current()
	}
	return p
}

func (s *Switch) Name() string { return s.Current().Name() }

func (s *Switch) Chat(ctx context.Context, req ChatRequest, onChunk func(Chunk) error) (*Result, error) {
	return s.Current().Chat(ctx, req, onChunk)
}

func (s *Switch) Models(ctx context.Context) ([]Model, error) { return s.Current().Models(ctx) }

func (s *Switch) Embed(ctx context.Context, model string, input []string) ([][]float32, error) {
	return s.Current().Embed(ctx, model, input)
}

func (s *Switch) Health(ctx context.Context) error { return s.Current().Health(ctx) }

var _ Provider = (*Switch)(nil)
