package server

import (
	"crypto/x509"
	"errors"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/aiwfe/aiwfe/app/apperr"
	"github.com/aiwfe/aiwfe/store"
	"github.com/aiwfe/aiwfe/tlsmgr"
)

// The mutual-TLS listener (server.mtls) serves /native/*, /api/* and /dav/* to
// clients holding a certificate of the appliance's client CA. crypto/tls
// only requests the certificate (tlsmgr.MTLSConfig); it is verified here,
// after the handshake, so a client without one gets an HTTP answer it can
// show (496/495, or a browser a page explaining how to get one) instead of
// a failed handshake.

const (
	localClientCert = "client_cert"
	// requestAccessPath is the UI page that explains how to ask an admin
	// for a certificate; the mTLS listener serves it without one.
	requestAccessPath = "/request-access"
)

var errNoClientCert = apperr.New(496, "client_certificate_required",
	"this listener requires a client certificate issued by this appliance; ask an administrator for one")

// mtlsRoutes registers the mTLS listener's routes: the same /api as the
// main app (still token-authenticated), /native and CalDAV's /dav, all
// behind the client certificate check; nothing else but the
// request-access page.
func (s *Server) mtlsRoutes(r *fiber.App) {
	r.Use(s.recoverMiddleware, s.requestIDMiddleware, s.accessLog, s.securityHeaders)
	r.Use(s.bodyGate)
	r.Use(s.mtlsGate)

	native := r.Group("/native")
	nv1 := native.Group("/v1")
	nv1.Get("/whoami", s.nativeWhoamiGET)
	nv1.Get("/health", s.healthGET)
	native.All("/*", func(c *fiber.Ctx) error { return fiber.ErrNotFound })

	s.apiRoutes(r)
	s.davRoutes(r) // the client certificate's account, or Basic auth when it has none
	r.All("/*", func(c *fiber.Ctx) error { return fiber.ErrNotFound })
}

// nativeElsewhere answers /native/* on the HTTP and HTTPS listeners: the
// native API is only served where a client certificate is checked.
func (s *Server) nativeElsewhere(c *fiber.Ctx) error {
	return apperr.New(fiber.StatusNotFound, "not_found", "/native is served on the mutual-TLS listener (server.mtls) only")
}

// mtlsGate admits /native/*, /api/* and CalDAV requests with a valid client
// certificate; without one only the request-access page (and the UI files
// it loads) is served, and every other path is a 404.
func (s *Server) mtlsGate(c *fiber.Ctx) error {
	p := c.Path()
	if !underPath(p, "/native") && !underPath(p, "/api") && !davPath(p) {
		if p == requestAccessPath || s.uiAsset(p) {
			return s.ui.handler(c)
		}
		return fiber.ErrNotFound
	}
	return s.requireClientCert(c)
}

// requireClientCert verifies the peer's certificate against the client CA
// and the registry (read on every request, so a revocation made by the CLI
// or the admin UI applies to the next request without a restart), and
// puts the record in c.Locals("client_cert").
func (s *Server) requireClientCert(c *fiber.Ctx) error {
	if s.certs == nil {
		return apperr.Unavailable("mutual TLS is not configured", nil)
	}
	var chain []*x509.Certificate
	if st := c.Context().TLSConnectionState(); st != nil {
		chain = st.PeerCertificates
	}
	rec, err := s.certs.VerifyClient(c.UserContext(), chain)
	if err == nil && rec.UserID != 0 {
		err = s.certUserAllowed(c, rec)
	}
	switch {
	case err == nil:
	case errors.Is(err, tlsmgr.ErrNoClientCert):
		return s.rejectClient(c, errNoClientCert)
	case errors.Is(err, tlsmgr.ErrBadClientCert):
		s.log.Info("client certificate refused", "request_id", requestID(c), "ip", c.IP(), "reason", err.Error())
		return s.rejectClient(c, apperr.New(495, "client_certificate_invalid", badCertMessage(err)))
	default:
		return apperr.Unavailable("client certificates cannot be checked right now", err)
	}
	c.Locals(localClientCert, rec)
	return c.Next()
}

// certUserAllowed refuses the certificate of a suspended account: taking
// someone's access away must not leave their devices connected.
func (s *Server) certUserAllowed(c *fiber.Ctx, rec *tlsmgr.ClientCertRecord) error {
	u, err := store.UserByID(c.UserContext(), s.app.Store.DB, rec.UserID)
	if errors.Is(err, store.ErrNotFound) {
		return errors.Join(tlsmgr.ErrBadClientCert, errCertUserGone)
	}
	if err != nil {
		return err
	}
	if u.Status == "suspended" {
		return errors.Join(tlsmgr.ErrBadClientCert, errCertUserSuspended)
	}
	return nil
}

var (
	errCertUserGone      = errors.New("the certificate's account no longer exists")
	errCertUserSuspended = errors.New("the certificate's account is suspended")
)

// rejectClient answers a missing or bad certificate: API clients get the
// JSON error (496/495), browsers are sent to the page that explains how to
// ask for a certificate.
func (s *Server) rejectClient(c *fiber.Ctx, e *apperr.Error) error {
	if strings.Contains(c.Get(fiber.HeaderAccept), "text/html") {
		c.Set(fiber.HeaderCacheControl, "no-store")
		return c.Redirect(requestAccessPath, fiber.StatusSeeOther)
	}
	// nginx's reason phrases; fasthttp knows none for these codes
	reason := "SSL Certificate Error"
	if e.Status == 496 {
		reason = "SSL Certificate Required"
	}
	c.Response().Header.SetStatusMessage([]byte(reason))
	return e
}

func badCertMessage(err error) string {
	const prefix = "the client certificate is not accepted: "
	switch {
	case errors.Is(err, tlsmgr.ErrClientCertRevoked):
		return prefix + "it has been revoked"
	case errors.Is(err, tlsmgr.ErrClientCertExpired):
		return prefix + "it has expired or is not valid yet"
	case errors.Is(err, tlsmgr.ErrClientCertUnknown):
		return prefix + "this appliance has no record of it"
	case errors.Is(err, errCertUserGone):
		return prefix + errCertUserGone.Error()
	case errors.Is(err, errCertUserSuspended):
		return prefix + errCertUserSuspended.Error()
	}
	return prefix + "it was not issued by this appliance's client CA for client authentication"
}

// uiAsset reports whether p is one of the UI's files (scripts, styles,
// icons) other than the app shell, which only /request-access serves here.
func (s *Server) uiAsset(p string) bool {
	a, ok := s.ui.files[p]
	return ok && a != s.ui.index
}

// clientCert is the verified certificate of an mTLS request (nil on the
// other listeners).
func clientCert(c *fiber.Ctx) *tlsmgr.ClientCertRecord {
	r, _ := c.Locals(localClientCert).(*tlsmgr.ClientCertRecord)
	return r
}

// underPath reports whether p is prefix or below it ("/api", "/api/x",
// not "/apix").
func underPath(p, prefix string) bool {
	return p == prefix || strings.HasPrefix(p, prefix+"/")
}
