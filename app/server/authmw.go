package server

import (
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/aiwfe/aiwfe/app/apperr"
	"github.com/aiwfe/aiwfe/app/auth"
)

// Cookie and header names of the auth contract.
const (
	cookieAccess = "access_token"
	// cookieExpires is the access token's expiry (Unix seconds), the one
	// thing of the session the UI's script needs: when to refresh.
	cookieExpires = "access_expires"
	cookieRefresh = "refresh_token"
	cookieCSRF    = "csrf_token"
	headerCSRF    = "X-CSRF-TOKEN"
	refreshPath   = "/api/v1/auth"
)

var (
	errCSRF   = apperr.New(fiber.StatusForbidden, "csrf_failed", "missing or invalid CSRF token; fetch /api/v1/auth/csrf-token and send it in X-CSRF-TOKEN")
	errOrigin = apperr.New(fiber.StatusForbidden, "origin_not_allowed", "this origin may not call the API")
	errNoAuth = apperr.Unauthorized("authentication required")
)

// csrfGuard protects every state-changing /api request: the Origin (or
// Referer) must be allowed, and the CSRF token must be double-submitted
// in the X-CSRF-TOKEN header and the csrf_token cookie. Native clients that
// authenticate with an Authorization: Bearer header send no cookies a
// forged cross-site request could ride on, so they skip the token check.
func (s *Server) csrfGuard(c *fiber.Ctx) error {
	switch c.Method() {
	case fiber.MethodGet, fiber.MethodHead, fiber.MethodOptions:
		return c.Next()
	}
	if !s.originAllowed(c) {
		return errOrigin
	}
	if bearerToken(c) != "" {
		return c.Next()
	}
	if !s.app.Auth.CheckCSRF(c.Get(headerCSRF), c.Cookies(cookieCSRF)) {
		return errCSRF
	}
	return c.Next()
}

// originAllowed accepts a request with no Origin and no Referer (native
// clients, curl), or one whose origin is the request's own, the public URL
// or one of server.allowed_origins. WebSocket handlers use it too.
func (s *Server) originAllowed(c *fiber.Ctx) bool {
	origin := c.Get(fiber.HeaderOrigin)
	if origin == "" {
		ref := c.Get(fiber.HeaderReferer)
		if ref == "" {
			return true
		}
		u, err := url.Parse(ref)
		if err != nil || u.Scheme == "" || u.Host == "" {
			return false
		}
		origin = u.Scheme + "://" + u.Host
	}
	origin = strings.ToLower(strings.TrimSuffix(origin, "/"))
	if origin == strings.ToLower(c.Protocol()+"://"+c.Hostname()) {
		return true
	}
	cfg := s.app.Config.Server
	if pu := originOf(cfg.PublicURL); pu != "" && origin == pu {
		return true
	}
	for _, o := range cfg.AllowedOrigins {
		if origin == originOf(o) {
			return true
		}
	}
	return false
}

func originOf(raw string) string {
	if raw == "" {
		return ""
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return ""
	}
	return strings.ToLower(u.Scheme + "://" + u.Host)
}

func bearerToken(c *fiber.Ctx) string {
	h := c.Get(fiber.HeaderAuthorization)
	if len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
		return strings.TrimSpace(h[7:])
	}
	return ""
}

// accessToken is the Bearer header's token, else the access_token cookie.
func accessToken(c *fiber.Ctx) string {
	if t := bearerToken(c); t != "" {
		return t
	}
	return c.Cookies(cookieAccess)
}

// requireAuth admits requests with a valid access token, applies the
// per-user API rate limit and sets the principal for currentUser.
func (s *Server) requireAuth(c *fiber.Ctx) error {
	p, err := s.authenticate(c)
	if err != nil {
		return err
	}
	c.Locals(localPrincipal, p)
	return c.Next()
}

// requireAdmin is requireAuth for admins and superusers only.
func (s *Server) requireAdmin(c *fiber.Ctx) error {
	p, err := s.authenticate(c)
	if err != nil {
		return err
	}
	if !p.IsAdmin() {
		return apperr.Forbidden("administrators only")
	}
	c.Locals(localPrincipal, p)
	return c.Next()
}

func (s *Server) authenticate(c *fiber.Ctx) (*auth.Principal, error) {
	tok := accessToken(c)
	if tok == "" {
		return nil, errNoAuth
	}
	p, err := s.app.Auth.ValidateAccess(c.UserContext(), tok)
	if err != nil {
		return nil, err
	}
	if err := s.app.Auth.AllowAPI(p.UserID); err != nil {
		return nil, err
	}
	return p, nil
}

// bodyLimit refuses bodies larger than n bytes with 413 before any work
// (a megabyte "password" never reaches argon2).
func bodyLimit(n int) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if len(c.Body()) > n {
			return apperr.New(fiber.StatusRequestEntityTooLarge, "payload_too_large", "request body is too large")
		}
		return c.Next()
	}
}

// client describes the caller for devices and the audit.
func client(c *fiber.Ctx) auth.Client {
	return auth.Client{
		IP:           c.IP(),
		UserAgent:    c.Get(fiber.HeaderUserAgent),
		HintUA:       c.Get("Sec-CH-UA"),
		HintPlatform: c.Get("Sec-CH-UA-Platform"),
		HintMobile:   c.Get("Sec-CH-UA-Mobile"),
	}
}

func (s *Server) secureCookies(c *fiber.Ctx) bool {
	return c.Protocol() == "https" || s.app.Config.Auth.SecureCookiesOnHTTP
}

// setSessionCookies hands the browser its tokens, both HttpOnly so no
// script (an injected one included) can read them: the access token goes
// with every request (the WebSocket handshake too), the refresh token only
// to /api/v1/auth. The UI's script reads access_expires, not a secret, to
// time its refresh.
func (s *Server) setSessionCookies(c *fiber.Ctx, sess *auth.Session) {
	cfg := s.app.Config.Auth
	secure := s.secureCookies(c)
	maxAge := int(cfg.AccessTokenTTL.D().Seconds())
	c.Cookie(&fiber.Cookie{Name: cookieAccess, Value: sess.AccessToken, Path: "/", Expires: sess.AccessExpires,
		MaxAge: maxAge, Secure: secure, HTTPOnly: true, SameSite: fiber.CookieSameSiteLaxMode})
	c.Cookie(&fiber.Cookie{Name: cookieExpires, Value: strconv.FormatInt(sess.AccessExpires.Unix(), 10), Path: "/", Expires: sess.AccessExpires,
		MaxAge: maxAge, Secure: secure, SameSite: fiber.CookieSameSiteLaxMode})
	c.Cookie(&fiber.Cookie{Name: cookieRefresh, Value: sess.RefreshToken, Path: refreshPath, Expires: sess.RefreshExpires,
		MaxAge: int(cfg.RefreshTokenTTL.D().Seconds()), Secure: secure, HTTPOnly: true, SameSite: fiber.CookieSameSiteLaxMode})
}

func (s *Server) clearSessionCookies(c *fiber.Ctx) {
	secure := s.secureCookies(c)
	past := time.Unix(0, 0)
	c.Cookie(&fiber.Cookie{Name: cookieAccess, Value: "", Path: "/", Expires: past, MaxAge: -1, Secure: secure, HTTPOnly: true, SameSite: fiber.CookieSameSiteLaxMode})
	c.Cookie(&fiber.Cookie{Name: cookieExpires, Value: "", Path: "/", Expires: past, MaxAge: -1, Secure: secure, SameSite: fiber.CookieSameSiteLaxMode})
	c.Cookie(&fiber.Cookie{Name: cookieRefresh, Value: "", Path: refreshPath, Expires: past, MaxAge: -1, Secure: secure, HTTPOnly: true, SameSite: fiber.CookieSameSiteLaxMode})
}
