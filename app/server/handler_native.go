package server

import (
	"errors"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/aiwfe/aiwfe/store"
)

// /native/* is served on the mutual-TLS listener only, behind
// requireClientCert (mtls.go): native apps and devices identify themselves
// by their client certificate.

type whoamiUser struct {
	ID     int64  `json:"id"`
	Email  string `json:"email"`
	Role   string `json:"role"`
	Status string `json:"status"`
}

type whoamiDevice struct {
	Name      string `json:"name"`
	IP        string `json:"ip"`
	UserAgent string `json:"user_agent,omitempty"`
}

type whoamiBody struct {
	Serial    string    `json:"serial"`
	Name      string    `json:"name"`
	UserID    *int64    `json:"user_id"` // null: the certificate is not tied to an account
	NotBefore time.Time `json:"not_before"`
	NotAfter  time.Time `json:"not_after"`
	// Device is the client as this request sees it: the certificate's name
	// (which names the device it was issued for) and where it connects from.
	Device whoamiDevice `json:"device"`
	// User is the account the certificate was issued for, if any.
	User *whoamiUser `json:"user"`
}

// nativeWhoamiGET tells a client which certificate it presented and whom
// it was issued for.
func (s *Server) nativeWhoamiGET(c *fiber.Ctx) error {
	rec := clientCert(c)
	if rec == nil {
		return errNoClientCert
	}
	body := whoamiBody{
		Serial:    rec.Serial,
		Name:      rec.Name,
		NotBefore: rec.NotBefore.UTC(),
		NotAfter:  rec.NotAfter.UTC(),
		Device:    whoamiDevice{Name: rec.Name, IP: c.IP(), UserAgent: c.Get(fiber.HeaderUserAgent)},
	}
	if rec.UserID != 0 {
		id := rec.UserID
		body.UserID = &id
		u, err := store.UserByID(c.UserContext(), s.app.Store.DB, id)
		switch {
		case err == nil:
			body.User = &whoamiUser{ID: u.ID, Email: u.Email, Role: u.Role, Status: u.Status}
		case !errors.Is(err, store.ErrNotFound):
			return err
		}
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.JSON(body)
}
