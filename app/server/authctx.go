package server

import (
	"github.com/gofiber/fiber/v2"

	"github.com/aiwfe/aiwfe/app/auth"
)

const localPrincipal = "principal"

// currentUser is the caller set by the auth middleware; handlers behind it
// can rely on it being non-nil.
func currentUser(c *fiber.Ctx) *auth.Principal {
	p, _ := c.Locals(localPrincipal).(*auth.Principal)
	return p
}
