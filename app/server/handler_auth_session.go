package server

import (
	"errors"

	"github.com/gofiber/fiber/v2"

	"github.com/aiwfe/aiwfe/app/apperr"
)

// sessionGET tells the web UI whether someone is signed in, always with
// 200: a signed-out visitor is an answer, not an error, so a page load asks
// once and the browser logs no failed request. Signed out, "refreshable"
// says the refresh cookie came along (it is HttpOnly, the page cannot see
// it), so the UI only asks /auth/refresh when a session may still be there.
func (s *Server) sessionGET(c *fiber.Ctx) error {
	c.Set(fiber.HeaderCacheControl, "no-store")
	p, err := s.authenticate(c)
	if err != nil {
		if !errors.Is(err, apperr.ErrUnauthorized) {
			return err // rate limited, the database gone: not a sign-out
		}
		return c.JSON(fiber.Map{"authenticated": false, "refreshable": c.Cookies(cookieRefresh) != ""})
	}
	u, err := s.app.Auth.Me(c.UserContext(), p.UserID)
	if err != nil {
		if errors.Is(err, apperr.ErrUnauthorized) { // the account is gone
			return c.JSON(fiber.Map{"authenticated": false, "refreshable": false})
		}
		return err
	}
	return c.JSON(fiber.Map{"authenticated": true, "user": u})
}
