package server

import (
	"github.com/gofiber/fiber/v2"

	"github.com/aiwfe/aiwfe/app/auth"
)

// devicesGET lists the caller's devices.
func (s *Server) devicesGET(c *fiber.Ctx) error {
	p := currentUser(c)
	ds, err := s.app.Auth.Devices(c.UserContext(), p.UserID, p.DeviceID)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"items": ds})
}

type devicePatch struct {
	Name    *string `json:"name"`
	Trusted *bool   `json:"trusted"`
}

// devicePATCH renames or (un)trusts one of the caller's devices.
func (s *Server) devicePATCH(c *fiber.Ctx) error {
	id, err := pathID(c, "device")
	if err != nil {
		return err
	}
	var req devicePatch
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	d, err := s.app.Auth.UpdateDevice(c.UserContext(), currentUser(c), id, auth.DevicePatch{Name: req.Name, Trusted: req.Trusted}, client(c))
	if err != nil {
		return err
	}
	return c.JSON(d)
}

// deviceDELETE forgets a device and ends its sessions.
func (s *Server) deviceDELETE(c *fiber.Ctx) error {
	id, err := pathID(c, "device")
	if err != nil {
		return err
	}
	if err := s.app.Auth.DeleteDevice(c.UserContext(), currentUser(c), id, client(c)); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}
