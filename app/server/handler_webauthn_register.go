package server

import (
	"encoding/json"

	"github.com/gofiber/fiber/v2"

	"github.com/aiwfe/aiwfe/app/apperr"
)

// webauthnRegisterBeginPOST starts adding a passkey: the options for
// navigator.credentials.create ({"publicKey": ...}, binary as base64url).
func (s *Server) webauthnRegisterBeginPOST(c *fiber.Ctx) error {
	opts, err := s.app.MFA.RegisterBegin(c.UserContext(), currentUser(c))
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.JSON(opts)
}

// webauthnRegisterFinishPOST stores the new passkey. The body is
// {"name", "credential": PublicKeyCredential.toJSON()}, or the credential
// itself with ?name=.
func (s *Server) webauthnRegisterFinishPOST(c *fiber.Ctx) error {
	name, cred, err := credentialBody(c)
	if err != nil {
		return err
	}
	if q := c.Query("name"); q != "" && name == "" {
		name = q
	}
	pk, err := s.app.MFA.RegisterFinish(c.UserContext(), currentUser(c), name, cred, client(c))
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(pk)
}

// credentialBody splits {"name"?, "credential": {...}} from a bare
// credential object.
func credentialBody(c *fiber.Ctx) (string, []byte, error) {
	var wrapped struct {
		Name       *string         `json:"name"`
		Credential json.RawMessage `json:"credential"`
	}
	body := c.Body()
	if len(body) == 0 {
		return "", nil, apperr.BadRequest("a JSON body is required")
	}
	if err := json.Unmarshal(body, &wrapped); err != nil {
		return "", nil, apperr.BadRequest("the body must be a JSON object")
	}
	name := ""
	if wrapped.Name != nil {
		name = *wrapped.Name
	}
	if len(wrapped.Credential) > 0 && string(wrapped.Credential) != "null" {
		return name, wrapped.Credential, nil
	}
	return name, body, nil
}

// webauthnCredentialsGET lists the caller's passkeys.
func (s *Server) webauthnCredentialsGET(c *fiber.Ctx) error {
	items, err := s.app.MFA.Passkeys(c.UserContext(), currentUser(c).UserID)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"items": items})
}

type passkeyPatch struct {
	Name string `json:"name"`
}

// webauthnCredentialPATCH renames one of the caller's passkeys.
func (s *Server) webauthnCredentialPATCH(c *fiber.Ctx) error {
	id, err := pathID(c, "passkey")
	if err != nil {
		return err
	}
	var req passkeyPatch
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	pk, err := s.app.MFA.RenamePasskey(c.UserContext(), currentUser(c), id, req.Name, client(c))
	if err != nil {
		return err
	}
	return c.JSON(pk)
}

// webauthnCredentialDELETE removes one of the caller's passkeys.
func (s *Server) webauthnCredentialDELETE(c *fiber.Ctx) error {
	id, err := pathID(c, "passkey")
	if err != nil {
		return err
	}
	if err := s.app.MFA.DeletePasskey(c.UserContext(), currentUser(c), id, client(c)); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}
