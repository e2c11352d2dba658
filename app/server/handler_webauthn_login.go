package server

import (
	"github.com/gofiber/fiber/v2"
)

// webauthnLoginBeginPOST starts a passwordless sign-in with a passkey:
// assertion options for the browser's discoverable credentials.
func (s *Server) webauthnLoginBeginPOST(c *fiber.Ctx) error {
	opts, err := s.app.MFA.PasskeyLoginBegin(c.UserContext(), client(c))
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.JSON(opts)
}

// webauthnLoginFinishPOST verifies the assertion (the body is the
// credential, or {"credential": ...}) and answers like a password login.
func (s *Server) webauthnLoginFinishPOST(c *fiber.Ctx) error {
	_, cred, err := credentialBody(c)
	if err != nil {
		return err
	}
	sess, err := s.app.MFA.PasskeyLogin(c.UserContext(), cred, client(c))
	if err != nil {
		return err
	}
	return s.sendSession(c, sess)
}
