package server

import (
	"encoding/base64"
	"errors"
	"net/http"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/valyala/fasthttp/fasthttpadaptor"

	"github.com/aiwfe/aiwfe/app/apperr"
	"github.com/aiwfe/aiwfe/app/auth"
	"github.com/aiwfe/aiwfe/app/dav"
	"github.com/aiwfe/aiwfe/store"
)

// CalDAV (RFC 4791) on /dav/: app/dav is the protocol (emersion/go-webdav,
// a net/http handler) over the calendar service; this file mounts it on
// fiber. What fiber gives every request still applies here: the request
// id, the access log, the security headers and bodyGate's limits (a body
// is read within server.body_limit_mb before the handler runs, so the
// converted net/http request carries it whole). CSRF does not: /dav is
// outside /api, takes no cookies, and every write needs the Authorization
// header, which a cross-site form cannot send.

// davMethods are the WebDAV methods fiber routes, on davPath only; the
// rest of the site answers them 405 (refuseUnknownMethods).
var davMethods = map[string]bool{
	"PROPFIND": true, "PROPPATCH": true, "REPORT": true, "MKCALENDAR": true, "MKCOL": true,
	"COPY": true, "MOVE": true,
}

// requestMethods is fiber's method table: the standard ones and WebDAV's.
var requestMethods = func() []string {
	m := append([]string(nil), fiber.DefaultMethods...)
	for k := range davMethods {
		m = append(m, k)
	}
	return m
}()

// davPath reports whether p is CalDAV's: /dav and below, and the
// well-known address clients start discovery from.
func davPath(p string) bool {
	return underPath(p, dav.Prefix) || p == davWellKnown
}

const davWellKnown = "/.well-known/caldav"

// davRealm is the realm of the Basic challenge; a client shows it when it
// asks for the password.
const davRealm = `Basic realm="aiwfe CalDAV (use an app password)", charset="UTF-8"`

var errNoDAVAuth = apperr.Unauthorized("CalDAV needs your email and an app password (Security page) over Basic auth, or a client certificate on the mutual-TLS listener")

// davRoutes registers CalDAV on a listener.
func (s *Server) davRoutes(r fiber.Router) {
	r.All(davWellKnown, s.davWellKnownHandler)
	r.All(dav.Prefix, s.davAuth, s.davServe)
	r.All(dav.Prefix+"/*", s.davAuth, s.davServe)
}

// davWellKnownHandler sends discovery (RFC 6764) to the DAV root, for any
// method: a PROPFIND keeps its method through a 301 in every client
// tried, and the root answers the principal once the client has signed
// in.
func (s *Server) davWellKnownHandler(c *fiber.Ctx) error {
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Redirect(dav.Prefix+"/", fiber.StatusMovedPermanently)
}

// davAuth establishes the DAV caller: the account of the client
// certificate on the mutual-TLS listener, otherwise Basic auth with the
// email and an app password. The account password is never accepted
// (auth.VerifyAppPassword compares app passwords only).
func (s *Server) davAuth(c *fiber.Ctx) error {
	p, err := s.davPrincipal(c)
	if err != nil {
		if e := apperr.From(err); e.Status == fiber.StatusUnauthorized {
			c.Set(fiber.HeaderWWWAuthenticate, davRealm)
		}
		return err
	}
	if err := s.app.Auth.AllowAPI(p.UserID); err != nil {
		return err
	}
	c.Locals(localPrincipal, p)
	return c.Next()
}

func (s *Server) davPrincipal(c *fiber.Ctx) (*auth.Principal, error) {
	if rec := clientCert(c); rec != nil && rec.UserID != 0 {
		// requireClientCert has verified the certificate and that its
		// account is not suspended.
		u, err := store.UserByID(c.UserContext(), s.app.Store.DB, rec.UserID)
		if errors.Is(err, store.ErrNotFound) {
			return nil, errNoDAVAuth
		}
		if err != nil {
			return nil, err
		}
		if u.Status != "active" {
			return nil, auth.ErrAccountSuspended
		}
		return &auth.Principal{UserID: u.ID, Email: u.Email, Role: u.Role}, nil
	}
	email, secret, ok := basicAuth(c.Get(fiber.HeaderAuthorization))
	if !ok {
		return nil, errNoDAVAuth
	}
	return s.app.Auth.VerifyAppPassword(c.UserContext(), email, secret, auth.ScopeDAV, client(c))
}

// basicAuth reads an Authorization: Basic header (RFC 7617).
func basicAuth(h string) (user, pass string, ok bool) {
	const prefix = "basic "
	if len(h) < len(prefix) || !strings.EqualFold(h[:len(prefix)], prefix) || len(h) > 1024 {
		return "", "", false
	}
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(h[len(prefix):]))
	if err != nil {
		return "", "", false
	}
	user, pass, ok = strings.Cut(string(raw), ":")
	if !ok || user == "" || pass == "" {
		return "", "", false
	}
	return user, pass, true
}

// davServe hands the request to the CalDAV handler through fasthttp's
// net/http adaptor, with the caller in the request's context. That context
// is the handler's own (c.UserContext()), not the one the adaptor gives: it
// is the fasthttp.RequestCtx, whose Done reads server state that a
// shutdown writes without a lock (a data race the race detector found
// when a test server stopped under a DAV request's database query).
func (s *Server) davServe(c *fiber.Ctx) error {
	p := currentUser(c)
	u := dav.User{ID: p.UserID, Email: p.Email}
	ctx := dav.WithUser(c.UserContext(), u)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.dav.ServeHTTP(w, r.WithContext(ctx))
	})
	fasthttpadaptor.NewFastHTTPHandler(h)(c.Context())
	return nil
}
