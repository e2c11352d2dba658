package server

import (
	"github.com/gofiber/fiber/v2"

	"github.com/aiwfe/aiwfe/app/auth"
)

type loginRequest struct {
	Email    string `json:"email"`
	Username string `json:"username"` // OAuth2 password-style clients
	Password string `json:"password"`
}

// tokenResponse is the body of a login or refresh that opened a session.
type tokenResponse struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	ExpiresIn   int    `json:"expires_in"`
	// ExpiresAt is the access token's expiry in Unix seconds (its exp
	// claim), for clients that cannot read the HttpOnly cookie.
	ExpiresAt int64          `json:"expires_at"`
	User      *auth.UserView `json:"user"`
}

// loginPOST signs in with form-encoded username/password (OAuth2 password
// style) or JSON {"email","password"}. It answers tokens and cookies, or a
// second-factor challenge.
func (s *Server) loginPOST(c *fiber.Ctx) error {
	var req loginRequest
	if isJSON(c) {
		if err := decodeJSON(c, &req); err != nil {
			return err
		}
	} else {
		req.Username, req.Password = c.FormValue("username"), c.FormValue("password")
	}
	if req.Email == "" {
		req.Email = req.Username
	}
	res, err := s.app.Auth.Login(c.UserContext(), req.Email, req.Password, client(c))
	if err != nil {
		return err
	}
	if res.Challenge != nil {
		c.Set(fiber.HeaderCacheControl, "no-store")
		return c.JSON(res.Challenge)
	}
	return s.sendSession(c, res.Session)
}

// sendSession answers a new session: the token body and the cookies.
func (s *Server) sendSession(c *fiber.Ctx, sess *auth.Session) error {
	s.setSessionCookies(c, sess)
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.JSON(tokenResponse{
		AccessToken: sess.AccessToken,
		TokenType:   "bearer",
		ExpiresIn:   int(sess.AccessExpires.Sub(s.app.Now()).Seconds() + 0.5),
		ExpiresAt:   sess.AccessExpires.Unix(),
		User:        sess.User,
	})
}
