package settings

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/aiwfe/aiwfe/app/llm"
)

// Status is whether the model server answers, in words a person can act
// on. The error chain behind it goes to the log, once per change of state.
type Status struct {
	Provider string `json:"provider"`
	BaseURL  string `json:"base_url,omitempty"`
	// Reachable: the server answered its health check.
	Reachable bool `json:"reachable"`
	// Code is ok | unreachable | unauthorized | error.
	Code string `json:"code"`
	// Message is one sentence for the admin; never an internal error.
	Message string `json:"message"`
	// Models is how many models the server has installed (-1: unknown).
	Models int  `json:"models"`
	Demo   bool `json:"demo"`
}

// prober remembers the last state it logged.
type prober struct {
	mu   sync.Mutex
	last string
}

// Probe asks the model server in force whether it answers and how many
// models it has. It bounds the wait itself, so a first-run page or the
// start-up line never hangs on a dead address.
func (s *Service) Probe(ctx context.Context) Status {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	cur, _, err := s.current(ctx)
	if err != nil {
		cur = s.d.Default
	}
	p := s.d.LLM.Current()
	st := Status{Provider: p.Name(), Models: -1, Demo: p.Name() == "demo"}
	if !st.Demo {
		st.BaseURL = cur.BaseURL
	}
	err = p.Health(ctx)
	if err == nil {
		st.Reachable, st.Code = true, "ok"
		if ms, merr := p.Models(ctx); merr == nil {
			st.Models = len(ms)
		}
		st.Message = okMessage(st)
	} else {
		st.Code, st.Message = failure(err, st)
	}
	s.logOnce(st, err)
	return st
}

func okMessage(st Status) string {
	switch {
	case st.Demo:
		return "The built-in demo model answers. It is not a real AI: its replies are canned text for trying the appliance."
	case st.Models == 0:
		return "The model server at " + st.BaseURL + " answers, but has no models installed yet."
	default:
		return "The model server at " + st.BaseURL + " answers."
	}
}

func failure(err error, st Status) (code, msg string) {
	switch {
	case errors.Is(err, llm.ErrUnauthorized):
		return "unauthorized", "The model server at " + st.BaseURL + " refused the API key."
	case errors.Is(err, llm.ErrUnavailable), errors.Is(err, context.DeadlineExceeded):
		return "unreachable", "No model server answers at " + st.BaseURL + "."
	default:
		return "error", "The model server at " + st.BaseURL + " answered with an error."
	}
}

// logOnce logs the model server's state when it changes, not on every
// page view that asks.
func (s *Service) logOnce(st Status, err error) {
	key := st.Provider + " " + st.BaseURL + " " + st.Code
	s.probe.mu.Lock()
	changed := key != s.probe.last
	s.probe.last = key
	s.probe.mu.Unlock()
	if !changed {
		return
	}
	if err != nil {
		s.d.Log.Warn("model server not answering", "provider", st.Provider, "base_url", st.BaseURL, "err", err)
	} else {
		s.d.Log.Info("model server answers", "provider", st.Provider, "base_url", st.BaseURL, "models", st.Models)
	}
}
