package server

import (
	"github.com/gofiber/fiber/v2"
)

type refreshRequest struct {
	RefreshToken string `json:"refresh_token"`
}

// refreshPOST rotates the refresh token (cookie, or JSON for native
// clients) and answers like a login.
func (s *Server) refreshPOST(c *fiber.Ctx) error {
	tok := c.Cookies(cookieRefresh)
	if len(c.Body()) > 0 {
		var req refreshRequest
		if err := decodeJSON(c, &req); err != nil {
			return err
		}
		if req.RefreshToken != "" {
			tok = req.RefreshToken
		}
	}
	sess, err := s.app.Auth.Refresh(c.UserContext(), tok, client(c))
	if err != nil {
		s.clearSessionCookies(c)
		return err
	}
	return s.sendSession(c, sess)
}
