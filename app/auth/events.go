package auth

import (
	"context"

	"github.com/aiwfe/aiwfe/app/textutil"
	"github.com/aiwfe/aiwfe/store"
)

// Event types recorded in security_events.
const (
	EventLogin          = "login"
	EventLogout         = "logout"
	EventRegister       = "register"
	EventNewDevice      = "new_device"
	EventRefreshReuse   = "refresh_reuse"
	EventPasswordChange = "password_change"
	EventPasswordReset  = "password_reset"
	EventUserCreate     = "user_create"
	EventDeviceRename   = "device_rename"
	EventDeviceTrust    = "device_trust"
	EventDeviceRevoke   = "device_revoke"
)

// audit records an event; a failure to record is logged, never shown: the
// action it describes has already happened.
func (s *Service) audit(ctx context.Context, q store.Querier, e *store.SecurityEvent) {
	if q == nil {
		q = s.store.DB
	}
	if e.CreatedAt.IsZero() {
		e.CreatedAt = s.now()
	}
	if err := store.InsertEvent(context.WithoutCancel(ctx), q, e); err != nil {
		s.log.Error("audit event not recorded", "type", e.Type, "user_id", e.UserID, "err", err)
		return
	}
	s.eventRecorded()
}

// Audit records an event for another service (client certificates, data
// rights, the admin of accounts); q is the transaction it belongs to, or
// nil. Like audit, a failure is logged, never returned.
func (s *Service) Audit(ctx context.Context, q store.Querier, e *store.SecurityEvent) {
	s.audit(ctx, q, e)
}

// ClientEvent starts a successful event of type typ from the client c.
func ClientEvent(typ string, c Client) *store.SecurityEvent { return clientEvent(typ, c) }

func clientEvent(typ string, c Client) *store.SecurityEvent {
	return &store.SecurityEvent{Type: typ, Success: true, IP: c.IP, UserAgent: truncate(c.UserAgent, 512), DeviceName: c.DeviceName()}
}

// truncate bounds a stored field (user agents, device names, emails in
// the audit) on a rune boundary: a byte cut would store invalid UTF-8.
func truncate(s string, n int) string { return textutil.Truncate(s, n) }

// Events lists a user's own events (userID != 0) or everyone's, newest
// first.
func (s *Service) Events(ctx context.Context, userID int64, page, perPage int) (*Page[EventView], error) {
	page, perPage = Paging(page, perPage)
	evs, total, err := store.ListEvents(ctx, s.store.DB, userID, perPage, (page-1)*perPage)
	if err != nil {
		return nil, err
	}
	out := &Page[EventView]{Items: make([]EventView, 0, len(evs)), Page: page, PerPage: perPage, Total: total}
	for _, e := range evs {
		v := EventView{ID: e.ID, Type: e.Type, Success: e.Success, Reason: e.Reason, IP: e.IP, DeviceName: e.DeviceName, Email: e.Email, CreatedAt: e.CreatedAt}
		if userID == 0 {
			v.UserID = e.UserID
		}
		out.Items = append(out.Items, v)
	}
	return out, nil
}
