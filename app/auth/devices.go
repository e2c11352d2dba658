package auth

import (
	"context"
	"errors"
	"strings"
	"unicode/utf8"

	"github.com/aiwfe/aiwfe/app/apperr"
	"github.com/aiwfe/aiwfe/store"
)

func (s *Service) viewDevice(d *store.Device, current int64) DeviceView {
	v := DeviceView{ID: d.ID, Name: d.Name, FirstSeen: d.FirstSeen, LastSeen: d.LastSeen, LastIP: d.LastIP, Current: d.ID == current}
	if s.DeviceTrusted(d) {
		v.Trusted, v.TrustedUntil = true, d.TrustedUntil
	}
	return v
}

// Devices lists the user's devices; current marks the caller's.
func (s *Service) Devices(ctx context.Context, userID, current int64) ([]DeviceView, error) {
	ds, err := store.ListDevices(ctx, s.store.DB, userID)
	if err != nil {
		return nil, err
	}
	out := make([]DeviceView, 0, len(ds))
	for _, d := range ds {
		out = append(out, s.viewDevice(d, current))
	}
	return out, nil
}

// DevicePatch changes a device; nil fields stay as they are.
type DevicePatch struct {
	Name    *string
	Trusted *bool
}

// UpdateDevice renames or (un)trusts one of the user's devices. Trust
// lasts auth.trusted_device_ttl.
func (s *Service) UpdateDevice(ctx context.Context, p *Principal, id int64, patch DevicePatch, c Client) (*DeviceView, error) {
	d, err := store.DeviceByID(ctx, s.store.DB, p.UserID, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, apperr.NotFound("device")
	}
	if err != nil {
		return nil, err
	}
	if patch.Name != nil {
		name := strings.TrimSpace(*patch.Name)
		if name == "" || utf8.RuneCountInString(name) > 100 || strings.ContainsAny(name, "\r\n\x00") {
			return nil, apperr.Invalid("name", "name must be 1 to 100 characters on one line")
		}
		if err := store.RenameDevice(ctx, s.store.DB, p.UserID, id, name); err != nil {
			return nil, err
		}
		e := clientEvent(EventDeviceRename, c)
		e.UserID, e.DeviceID, e.DeviceName, e.Reason = p.UserID, id, name, "renamed from "+truncate(d.Name, 100)
		s.audit(ctx, nil, e)
	}
	if patch.Trusted != nil {
		var until = s.now().Add(s.cfg.TrustedDeviceTTL.D())
		untilp := &until
		reason := "trusted"
		if !*patch.Trusted {
			untilp, reason = nil, "untrusted"
		}
		if err := store.TrustDevice(ctx, s.store.DB, p.UserID, id, untilp); err != nil {
			return nil, err
		}
		e := clientEvent(EventDeviceTrust, c)
		e.UserID, e.DeviceID, e.DeviceName, e.Reason = p.UserID, id, d.Name, reason
		s.audit(ctx, nil, e)
	}
	d, err = store.DeviceByID(ctx, s.store.DB, p.UserID, id)
	if err != nil {
		return nil, err
	}
	v := s.viewDevice(d, p.DeviceID)
	return &v, nil
}

// DeleteDevice forgets a device and revokes the sessions signed in from
// it (the caller's own, if it is the current device).
func (s *Service) DeleteDevice(ctx context.Context, p *Principal, id int64, c Client) error {
	d, err := store.DeviceByID(ctx, s.store.DB, p.UserID, id)
	if errors.Is(err, store.ErrNotFound) {
		return apperr.NotFound("device")
	}
	if err != nil {
		return err
	}
	fams, err := store.RevokeDeviceFamilies(ctx, s.store.DB, p.UserID, id, s.now())
	if err != nil {
		return err
	}
	s.dropSessions(fams)
	if err := store.DeleteDevice(ctx, s.store.DB, p.UserID, id); err != nil {
		return err
	}
	e := clientEvent(EventDeviceRevoke, c)
	e.UserID, e.DeviceName = p.UserID, d.Name
	s.audit(ctx, nil, e)
	return nil
}
