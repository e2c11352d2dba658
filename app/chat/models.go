package chat

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"time"
	"unicode"

	"github.com/aiwfe/aiwfe/app/apperr"
	"github.com/aiwfe/aiwfe/app/hub"
	"github.com/aiwfe/aiwfe/app/llm"
)

// Models lists the models the provider serves.
func (s *Service) Models(ctx context.Context) ([]llm.Model, error) {
	ms, err := s.llm.Models(ctx)
	if err != nil {
		return nil, LLMError(err, "")
	}
	if ms == nil {
		ms = []llm.Model{}
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].Name < ms[j].Name })
	return ms, nil
}

// Running lists the models loaded in memory; providers that cannot tell
// report none.
func (s *Service) Running(ctx context.Context) ([]llm.RunningModel, error) {
	rl, ok := llm.Current(s.llm).(llm.RunningLister)
	if !ok {
		return []llm.RunningModel{}, nil
	}
	ms, err := rl.Running(ctx)
	if err != nil {
		return nil, LLMError(err, "")
	}
	if ms == nil {
		ms = []llm.RunningModel{}
	}
	return ms, nil
}

// Health is the model server's state.
type Health struct {
	Status    string  `json:"status"` // ok | down
	Provider  string  `json:"provider"`
	LatencyMs float64 `json:"latency_ms"`
	Error     string  `json:"error,omitempty"`
}

// Health asks the provider whether it answers.
func (s *Service) Health(ctx context.Context) Health {
	began := time.Now()
	err := s.llm.Health(ctx)
	h := Health{Status: "ok", Provider: s.llm.Name(), LatencyMs: msSince(began)}
	if err != nil {
		// A sentence for the person; the cause goes to the log with the
		// request (once per cause, see server.errorHandler).
		h.Status, h.Error = "down", apperr.From(LLMError(err, "")).Message
	}
	return h
}

// PullState is the progress of one model download, as published on the
// user's progress channel ({"type":"pull", ...}).
type PullState struct {
	Type       string        `json:"type"` // "pull"
	Model      string        `json:"model"`
	Status     string        `json:"status"` // Ollama's status line; "success" or "error" at the end
	Digest     string        `json:"digest,omitempty"`
	Total      int64         `json:"total,omitempty"`
	Completed  int64         `json:"completed,omitempty"`
	Percent    float64       `json:"percent,omitempty"`
	Done       bool          `json:"done"`
	Error      *apperr.Error `json:"error,omitempty"`
	StartedAt  time.Time     `json:"started_at"`
	FinishedAt time.Time     `json:"finished_at,omitzero"`
	userID     int64
}

// The pulls the service remembers (for GET /ollama/pulls) are capped: at
// most maxPulls, finished ones forgotten pullKeep after they ended, or
// sooner, oldest first, to make room for a new pull.
const (
	maxPulls = 32
	pullKeep = 15 * time.Minute
)

// pullEvery is the least time between two progress events of one pull,
// so a fast download does not flood the socket (status changes always go).
const pullEvery = 200 * time.Millisecond

func validModelName(name string) error {
	if name == "" {
		return apperr.Invalid("model", "model is required")
	}
	if len(name) > 200 || strings.IndexFunc(name, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) >= 0 {
		return apperr.Invalid("model", "model must be a model name such as llama3.2:3b")
	}
	return nil
}

// Pull starts downloading model in the background for userID and returns
// at once; progress goes to the user's progress channel. One pull of a
// model runs at a time: a second asks answers conflict.
func (s *Service) Pull(userID int64, model string) (*PullState, error) {
	model = strings.TrimSpace(model)
	if err := validModelName(model); err != nil {
		return nil, err
	}
	puller, ok := llm.Current(s.llm).(llm.Puller)
	if !ok {
		return nil, apperr.New(http.StatusBadRequest, "not_supported",
			fmt.Sprintf("the %s model provider cannot pull models", s.llm.Name()))
	}
	now := s.now().UTC()
	st := &PullState{Type: "pull", Model: model, Status: "starting", StartedAt: now, userID: userID}
	s.pullMu.Lock()
	s.forgetPullsLocked(now, 1)
	if cur := s.pulls[model]; cur != nil && !cur.Done {
		s.pullMu.Unlock()
		return nil, apperr.Conflict("a pull of " + quote(model) + " is already running")
	}
	if len(s.pulls) >= s.maxPulls && s.pulls[model] == nil {
		s.pullMu.Unlock()
		return nil, apperr.TooMany(fmt.Sprintf("%d model pulls are running; wait for one to finish", len(s.pulls)), time.Minute)
	}
	s.pulls[model] = st
	snapshot := *st
	s.pullMu.Unlock()

	started := s.goBackground(func(ctx context.Context) {
		var last time.Time
		lastStatus := ""
		err := puller.Pull(ctx, model, func(p llm.PullProgress) {
			s.pullMu.Lock()
			st.Status, st.Digest, st.Total, st.Completed = p.Status, p.Digest, p.Total, p.Completed
			st.Percent = 0
			if p.Total > 0 {
				st.Percent = float64(int(float64(p.Completed)*1000/float64(p.Total))) / 10
			}
			ev := *st
			s.pullMu.Unlock()
			if p.Status != lastStatus || time.Since(last) >= pullEvery {
				last, lastStatus = time.Now(), p.Status
				s.hub.Publish(userID, hub.Progress, ev)
			}
		})
		s.pullMu.Lock()
		st.Done, st.FinishedAt = true, s.now().UTC()
		if err != nil {
			st.Status = "error"
			st.Error = pullError(err, model)
		} else {
			st.Status, st.Percent = "success", 100
		}
		ev := *st
		s.pullMu.Unlock()
		if err != nil {
			s.log.Warn("chat: model pull failed", "model", model, "err", err)
		}
		s.hub.Publish(userID, hub.Progress, ev)
	})
	if !started {
		s.pullMu.Lock()
		delete(s.pulls, model)
		s.pullMu.Unlock()
		return nil, apperr.Unavailable("the server is shutting down", nil)
	}
	return &snapshot, nil
}

func pullError(err error, model string) *apperr.Error {
	switch {
	case errors.Is(err, context.Canceled):
		return apperr.Unavailable("the pull was cancelled because the server is shutting down", err)
	case errors.Is(err, llm.ErrModelNotFound):
		return &apperr.Error{Status: http.StatusNotFound, Code: "model_not_found", Err: err,
			Message: fmt.Sprintf("model %q was not found in the registry (check the name, or the registry cannot be reached): %s", model, upstreamMessage(err))}
	}
	// The model server answered but could not fetch the model (no such
	// name, registry unreachable, disk full): say so in its words, not
	// that the model server is down.
	var ae *llm.APIError
	if errors.As(err, &ae) {
		return &apperr.Error{Status: http.StatusBadGateway, Code: "pull_failed", Err: err,
			Message: fmt.Sprintf("pulling %q failed: %s", model, ae.Message)}
	}
	return apperr.From(LLMError(err, model))
}

// Pulls lists the pulls userID started that are running or finished a
// short while ago, oldest first.
func (s *Service) Pulls(userID int64) []PullState {
	return s.listPulls(func(p *PullState) bool { return p.userID == userID })
}

// AllPulls lists every user's pulls (administrators), as Pulls does.
func (s *Service) AllPulls() []PullState {
	return s.listPulls(func(*PullState) bool { return true })
}

func (s *Service) listPulls(keep func(*PullState) bool) []PullState {
	s.pullMu.Lock()
	defer s.pullMu.Unlock()
	s.forgetPullsLocked(s.now().UTC(), 0)
	out := []PullState{}
	for _, p := range s.pulls {
		if keep(p) {
			out = append(out, *p)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].StartedAt.Before(out[j].StartedAt) })
	return out
}

// forgetPullsLocked drops the pulls that finished pullKeep ago, and more
// finished ones, oldest first, until room new ones fit under maxPulls.
func (s *Service) forgetPullsLocked(now time.Time, room int) {
	var finished []*PullState
	for _, p := range s.pulls {
		if p.Done {
			finished = append(finished, p)
		}
	}
	sort.Slice(finished, func(i, j int) bool { return finished[i].FinishedAt.Before(finished[j].FinishedAt) })
	for _, p := range finished {
		if len(s.pulls)+room <= s.maxPulls && now.Sub(p.FinishedAt) < s.pullKeep {
			break
		}
		delete(s.pulls, p.Model)
	}
}
