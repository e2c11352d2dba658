package server

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/gofiber/fiber/v2"

	"github.com/aiwfe/aiwfe/app/apperr"
	"github.com/aiwfe/aiwfe/app/certs"
	"github.com/aiwfe/aiwfe/store"
	"github.com/aiwfe/aiwfe/tlsmgr"
)

// Client certificates of the mutual-TLS listener, for admins: list, issue
// (the private key and the PKCS#12 password are shown once and never
// stored) and revoke. The CLI (`aiwfe cert`) does the same from a shell.

// Audit event types of the client CA (security_events.type).
const (
	EventCertIssued  = "cert_issued"
	EventCertRevoked = "cert_revoked"
)

const (
	maxCertNameLen = 64
	maxCertDays    = 3650
)

// clientCAHolder loads the client CA from the data directory on first use
// when the server runs without a certificate manager (no HTTPS or mTLS
// listener): admins can issue certificates before turning mTLS on.
type clientCAHolder struct {
	mu sync.Mutex
	ca *tlsmgr.ClientCA
}

func (s *Server) clientCAOrErr() (*tlsmgr.ClientCA, error) {
	if s.certs != nil {
		return s.certs.ClientCA(), nil
	}
	h := &s.clientCA
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.ca == nil {
		ca, err := tlsmgr.LoadClientCA(s.app.Config.Path("tls"), certs.NewRegistry(s.app.Store))
		if err != nil {
			return nil, apperr.Unavailable("the client certificate authority is not available", err)
		}
		h.ca = ca
	}
	return h.ca, nil
}

// certView is one certificate in the admin list.
type certView struct {
	Serial    string     `json:"serial"`
	Name      string     `json:"name"`
	UserID    *int64     `json:"user_id"`
	UserEmail string     `json:"user_email,omitempty"`
	NotBefore time.Time  `json:"not_before"`
	NotAfter  time.Time  `json:"not_after"`
	CreatedAt time.Time  `json:"created_at"`
	Revoked   bool       `json:"revoked"`
	RevokedAt *time.Time `json:"revoked_at"`
	Expired   bool       `json:"expired"`
}

func (s *Server) certViewOf(ctx context.Context, r tlsmgr.ClientCertRecord, emails map[int64]string) certView {
	v := certView{Serial: r.Serial, Name: r.Name, NotBefore: r.NotBefore.UTC(), NotAfter: r.NotAfter.UTC(),
		CreatedAt: r.CreatedAt.UTC(), Revoked: r.Revoked(), RevokedAt: r.RevokedAt, Expired: s.app.Now().After(r.NotAfter)}
	if r.UserID != 0 {
		id := r.UserID
		v.UserID = &id
		email, ok := emails[id]
		if !ok {
			if u, err := store.UserByID(ctx, s.app.Store.DB, id); err == nil {
				email = u.Email
			}
			emails[id] = email
		}
		v.UserEmail = email
	}
	return v
}

// adminCertificatesGET lists every issued client certificate, oldest first.
func (s *Server) adminCertificatesGET(c *fiber.Ctx) error {
	ca, err := s.clientCAOrErr()
	if err != nil {
		return err
	}
	recs, err := ca.List(c.UserContext())
	if err != nil {
		return err
	}
	emails := map[int64]string{}
	items := make([]certView, 0, len(recs))
	for _, r := range recs {
		items = append(items, s.certViewOf(c.UserContext(), r, emails))
	}
	return c.JSON(fiber.Map{"items": items, "total": len(items)})
}

type issueCertRequest struct {
	Name   string `json:"name"`
	Days   int    `json:"days"`
	UserID int64  `json:"user_id"`
}

// issuedCertBody carries the secrets of a new certificate: sent once, in
// this response, and never stored.
type issuedCertBody struct {
	certView
	CertificatePEM     string `json:"certificate_pem"`
	PrivateKeyPEM      string `json:"private_key_pem"`
	CACertificatePEM   string `json:"ca_certificate_pem"`
	PKCS12             string `json:"pkcs12"`        // base64, modern algorithms
	PKCS12Legacy       string `json:"pkcs12_legacy"` // base64, 3DES/SHA-1 for older phones
	PKCS12Password     string `json:"pkcs12_password"`
	PKCS12FileName     string `json:"pkcs12_filename"`
	PKCS12LegacyFile   string `json:"pkcs12_legacy_filename"`
	CertificateFile    string `json:"certificate_filename"`
	PrivateKeyFileName string `json:"private_key_filename"`
}

// adminCertificatesPOST issues a client certificate, optionally tied to an
// account.
func (s *Server) adminCertificatesPOST(c *fiber.Ctx) error {
	var req issueCertRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	name, err := ValidCertName(req.Name)
	if err != nil {
		return apperr.Invalid("name", err.Error())
	}
	if req.Days < 0 || req.Days > maxCertDays {
		return apperr.Invalid("days", fmt.Sprintf("days must be between 1 and %d (0 or absent: %d)", maxCertDays, tlsmgr.DefaultClientCertDays))
	}
	if req.UserID < 0 {
		return apperr.Invalid("user_id", "no such user")
	}
	ctx := c.UserContext()
	if req.UserID != 0 {
		if _, err := store.UserByID(ctx, s.app.Store.DB, req.UserID); errors.Is(err, store.ErrNotFound) {
			return apperr.Invalid("user_id", "no such user")
		} else if err != nil {
			return err
		}
	}
	ca, err := s.clientCAOrErr()
	if err != nil {
		return err
	}
	ic, err := ca.Issue(ctx, name, req.Days, req.UserID)
	if err != nil {
		return err
	}
	actor := currentUser(c)
	s.auditCert(ctx, c, EventCertIssued, actor.UserID, ic.UserID, fmt.Sprintf("serial %s, name %q, expires %s", ic.Serial, ic.Name, ic.NotAfter.UTC().Format(time.DateOnly)))

	rec := tlsmgr.ClientCertRecord{Serial: ic.Serial, Name: ic.Name, UserID: ic.UserID, NotBefore: ic.NotBefore, NotAfter: ic.NotAfter, CreatedAt: s.app.Now().UTC()}
	file := CertFileBase(ic.Name)
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Status(fiber.StatusCreated).JSON(issuedCertBody{
		certView:           s.certViewOf(ctx, rec, map[int64]string{}),
		CertificatePEM:     string(ic.CertPEM),
		PrivateKeyPEM:      string(ic.KeyPEM),
		CACertificatePEM:   string(ca.CertPEM()),
		PKCS12:             base64.StdEncoding.EncodeToString(ic.P12),
		PKCS12Legacy:       base64.StdEncoding.EncodeToString(ic.P12Legacy),
		PKCS12Password:     ic.P12Password,
		PKCS12FileName:     file + ".p12",
		PKCS12LegacyFile:   file + "-legacy.p12",
		CertificateFile:    file + ".crt",
		PrivateKeyFileName: file + ".key",
	})
}

// adminCertificateDELETE revokes a certificate; the mTLS listener refuses
// it from the next request on. Revoking twice is not an error.
func (s *Server) adminCertificateDELETE(c *fiber.Ctx) error {
	ctx := c.UserContext()
	ca, err := s.clientCAOrErr()
	if err != nil {
		return err
	}
	serial, err := tlsmgr.NormalizeSerial(c.Params("serial"))
	if err != nil {
		return apperr.NotFound("certificate")
	}
	rec, err := s.app.Store.GetClientCert(ctx, serial)
	if errors.Is(err, store.ErrNotFound) {
		return apperr.NotFound("certificate")
	}
	if err != nil {
		return err
	}
	if err := ca.Revoke(ctx, serial); err != nil {
		if errors.Is(err, tlsmgr.ErrNotFound) {
			return apperr.NotFound("certificate")
		}
		return err
	}
	if !rec.Revoked() {
		s.auditCert(ctx, c, EventCertRevoked, currentUser(c).UserID, rec.UserID, fmt.Sprintf("serial %s, name %q", rec.Serial, rec.Name))
	}
	return c.SendStatus(fiber.StatusNoContent)
}

// auditCert records a client CA change. The event belongs to the account
// the certificate was issued for (so its owner sees it), else to the admin
// who made it.
func (s *Server) auditCert(ctx context.Context, c *fiber.Ctx, typ string, actorID, certUserID int64, reason string) {
	e := &store.SecurityEvent{Type: typ, Success: true, ActorID: actorID, UserID: certUserID, Reason: reason,
		IP: c.IP(), UserAgent: truncateString(c.Get(fiber.HeaderUserAgent), 512), CreatedAt: s.app.Now()}
	if e.UserID == 0 {
		e.UserID = actorID
	}
	if err := store.InsertEvent(context.WithoutCancel(ctx), s.app.Store.DB, e); err != nil {
		s.log.Error("audit event not recorded", "type", typ, "err", err)
	}
}

func truncateString(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// ValidCertName checks a client certificate's name (its CN, and the file
// name the CLI writes): 1 to 64 printable characters.
func ValidCertName(name string) (string, error) {
	name = strings.TrimSpace(name)
	switch {
	case name == "":
		return "", errors.New("a name is required (e.g. the device: \"anna-phone\")")
	case len(name) > maxCertNameLen:
		return "", fmt.Errorf("the name is longer than %d characters", maxCertNameLen)
	}
	for _, r := range name {
		if !unicode.IsPrint(r) {
			return "", errors.New("the name contains a control character")
		}
	}
	return name, nil
}

// CertFileBase turns a certificate name into a safe file name base.
func CertFileBase(name string) string {
	var b strings.Builder
	for _, r := range name {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_', r == '.':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	out := strings.Trim(b.String(), ".")
	if out == "" {
		out = "client"
	}
	return out
}
