package server

import (
	"encoding/json"

	"github.com/gofiber/fiber/v2"

	"github.com/aiwfe/aiwfe/app/apperr"
	"github.com/aiwfe/aiwfe/app/auth"
)

type challengeRequest struct {
	MFAToken    string          `json:"mfa_token"`
	Method      string          `json:"method"`
	Code        string          `json:"code"`
	Credential  json.RawMessage `json:"credential"`
	TrustDevice bool            `json:"trust_device"`
}

// twoFactorChallengePOST is the login's second step: the MFA token from
// the password step and a TOTP code, a backup code or a passkey
// assertion. It answers exactly like a password login.
func (s *Server) twoFactorChallengePOST(c *fiber.Ctx) error {
	var req challengeRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	if req.MFAToken == "" {
		return apperr.Invalid("mfa_token", "mfa_token is required")
	}
	response := req.Code
	switch req.Method {
	case auth.MethodTOTP, auth.MethodBackupCode:
		if req.Code == "" {
			return apperr.Invalid("code", "enter the code")
		}
	case auth.MethodWebAuthn:
		if len(req.Credential) == 0 || string(req.Credential) == "null" {
			return apperr.Invalid("credential", "credential is required for webauthn")
		}
		response = string(req.Credential)
	default:
		return apperr.Invalid("method", "method must be totp, backup_code or webauthn")
	}
	sess, err := s.app.MFA.CompleteLogin(c.UserContext(), auth.SecondFactorInput{
		MFAToken: req.MFAToken, Method: req.Method, Response: response, TrustDevice: req.TrustDevice, Client: client(c),
	})
	if err != nil {
		return err
	}
	return s.sendSession(c, sess)
}

type mfaTokenRequest struct {
	MFAToken string `json:"mfa_token"`
}

// twoFactorWebAuthnBeginPOST gives the assertion options for answering a
// challenge with a passkey ({"publicKey": ...}).
func (s *Server) twoFactorWebAuthnBeginPOST(c *fiber.Ctx) error {
	var req mfaTokenRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	opts, err := s.app.MFA.ChallengeWebAuthnBegin(c.UserContext(), req.MFAToken, client(c))
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.JSON(opts)
}
