package server

import (
	"encoding/base64"

	"github.com/gofiber/fiber/v2"

	"github.com/aiwfe/aiwfe/app/certs"
)

// Client certificates of the mutual-TLS listener, for admins: list, issue
// (the private key and the PKCS#12 password are shown once and never
// stored) and revoke. The service is app/certs, which the CLI (`aiwfe
// cert`) uses too.

// adminCertificatesGET lists every issued client certificate, oldest first.
func (s *Server) adminCertificatesGET(c *fiber.Ctx) error {
	items, err := s.app.Certs.List(c.UserContext())
	if err != nil {
		return err
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
	certs.Cert
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
	ic, err := s.app.Certs.Issue(c.UserContext(), currentUser(c), client(c), certs.IssueRequest{Name: req.Name, Days: req.Days, UserID: req.UserID})
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Status(fiber.StatusCreated).JSON(issuedCertBody{
		Cert:               ic.Cert,
		CertificatePEM:     string(ic.CertPEM),
		PrivateKeyPEM:      string(ic.KeyPEM),
		CACertificatePEM:   string(ic.CACertPEM),
		PKCS12:             base64.StdEncoding.EncodeToString(ic.P12),
		PKCS12Legacy:       base64.StdEncoding.EncodeToString(ic.P12Legacy),
		PKCS12Password:     ic.P12Password,
		PKCS12FileName:     ic.FileBase + ".p12",
		PKCS12LegacyFile:   ic.FileBase + "-legacy.p12",
		CertificateFile:    ic.FileBase + ".crt",
		PrivateKeyFileName: ic.FileBase + ".key",
	})
}

// adminCertificateDELETE revokes a certificate; the mTLS listener refuses
// it from the next request on. Revoking twice is not an error.
func (s *Server) adminCertificateDELETE(c *fiber.Ctx) error {
	if _, _, err := s.app.Certs.Revoke(c.UserContext(), currentUser(c), client(c), c.Params("serial")); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}
