package auth

import (
	"context"
	"sync/atomic"

	"github.com/aiwfe/aiwfe/store"
)

// eventRetention keeps security_events bounded (auth.events_max_age,
// auth.events_max_rows). The server prunes it with the sessions every
// hour; between those runs, a burst of inserts (a flood of failed
// sign-ins) starts a prune by itself once a tenth of the row limit has
// been written, so the table stays near its limit whatever comes in.
type eventRetention struct {
	inserted atomic.Int64
	running  atomic.Bool
}

// PruneEvents applies the audit's retention now.
func (s *Service) PruneEvents(ctx context.Context) error {
	s.retention.inserted.Store(0)
	n, err := store.PruneEvents(ctx, s.store.DB, s.now().Add(-s.cfg.EventsMaxAge.D()), s.cfg.EventsMaxRows)
	if n > 0 {
		s.log.Info("security events pruned", "rows", n)
	}
	return err
}

// eventRecorded counts an insert and starts a background prune when
// enough rows came in since the last one.
func (s *Service) eventRecorded() {
	if s.retention.inserted.Add(1) < int64(max(1, s.cfg.EventsMaxRows/10)) || !s.retention.running.CompareAndSwap(false, true) {
		return
	}
	go func() {
		defer s.retention.running.Store(false)
		if err := s.PruneEvents(context.Background()); err != nil {
			s.log.Warn("pruning security events", "err", err)
		}
	}()
}
