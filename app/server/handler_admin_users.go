package server

import (
	"github.com/gofiber/fiber/v2"

	"github.com/aiwfe/aiwfe/app/users"
)

// adminUsersGET lists accounts, filtered by ?status= and ?role=.
func (s *Server) adminUsersGET(c *fiber.Ctx) error {
	page, err := s.app.Users.ListUsers(c.UserContext(), c.Query("status"), c.Query("role"), c.QueryInt("page", 1), c.QueryInt("per_page", 20))
	if err != nil {
		return err
	}
	return c.JSON(page)
}

type adminUserPatch struct {
	Status *string `json:"status"`
	Role   *string `json:"role"`
}

// adminUserPATCH approves, suspends or changes the role of an account.
func (s *Server) adminUserPATCH(c *fiber.Ctx) error {
	id, err := pathID(c, "user")
	if err != nil {
		return err
	}
	var req adminUserPatch
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	u, err := s.app.Users.AdminUpdateUser(c.UserContext(), currentUser(c), id, users.UserPatch{Status: req.Status, Role: req.Role}, client(c))
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"user": u})
}

// adminUserDELETE deletes an account and all its data.
func (s *Server) adminUserDELETE(c *fiber.Ctx) error {
	id, err := pathID(c, "user")
	if err != nil {
		return err
	}
	if err := s.app.Users.AdminDeleteUser(c.UserContext(), currentUser(c), id, client(c)); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}
