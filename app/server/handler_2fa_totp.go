package server

import (
	"github.com/gofiber/fiber/v2"
)

// twoFactorStatusGET reports the caller's second factors.
func (s *Server) twoFactorStatusGET(c *fiber.Ctx) error {
	st, err := s.app.MFA.Status(c.UserContext(), currentUser(c).UserID)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.JSON(st)
}

// totpSetupPOST hands out a new authenticator secret (pending until
// verified): the secret, the otpauth:// URI and a QR code.
func (s *Server) totpSetupPOST(c *fiber.Ctx) error {
	setup, err := s.app.MFA.TOTPSetup(c.UserContext(), currentUser(c))
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.JSON(setup)
}

type codeRequest struct {
	Code     string `json:"code"`
	Password string `json:"password"`
}

type backupCodesResponse struct {
	BackupCodes []string `json:"backup_codes"`
}

// totpVerifyPOST turns TOTP on with a code from the pending secret and
// answers the backup codes, once.
func (s *Server) totpVerifyPOST(c *fiber.Ctx) error {
	var req codeRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	codes, err := s.app.MFA.TOTPVerify(c.UserContext(), currentUser(c), req.Code, client(c))
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.JSON(backupCodesResponse{BackupCodes: codes})
}

// totpDisablePOST turns TOTP off; it needs the password and a current code.
func (s *Server) totpDisablePOST(c *fiber.Ctx) error {
	var req codeRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	if err := s.app.MFA.TOTPDisable(c.UserContext(), currentUser(c), req.Password, req.Code, client(c)); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

// backupCodesPOST replaces the backup codes; it needs a current code (and
// checks the password when given), and answers the new codes once.
func (s *Server) backupCodesPOST(c *fiber.Ctx) error {
	var req codeRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	codes, err := s.app.MFA.RegenerateBackupCodes(c.UserContext(), currentUser(c), req.Password, req.Code, client(c))
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.JSON(backupCodesResponse{BackupCodes: codes})
}
