package auth

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"strconv"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/aiwfe/aiwfe/app/apperr"
)

// Token kinds, in the typ claim, so an MFA challenge token can never be
// used as an access token or the other way round.
const (
	typAccess = "access"
	typMFA    = "mfa"
)

// Claims are an access token's (or MFA token's) JWT claims.
type Claims struct {
	Email       string   `json:"email,omitempty"`
	Role        string   `json:"role,omitempty"`
	Permissions []string `json:"permissions,omitempty"`
	SessionID   string   `json:"sid,omitempty"`
	DeviceID    int64    `json:"did,omitempty"`
	Type        string   `json:"typ"`
	jwt.RegisteredClaims
}

// UserID is the sub claim as a number.
func (c *Claims) UserID() (int64, error) {
	id, err := strconv.ParseInt(c.Subject, 10, 64)
	if err != nil || id <= 0 {
		return 0, errors.New("auth: bad sub claim")
	}
	return id, nil
}

// PermissionsFor lists what a role may do; the admin endpoints check the
// role itself, these are for clients deciding what to show.
func PermissionsFor(role string) []string {
	switch role {
	case "superuser":
		return []string{"profile", "chat", "admin:users", "admin:audit", "admin:roles"}
	case "admin":
		return []string{"profile", "chat", "admin:users", "admin:audit"}
	}
	return []string{"profile", "chat"}
}

func newID() string {
	var b [16]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func (s *Service) signToken(c *Claims) (string, error) {
	return jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString(s.jwtKey)
}

// maxTokenLen refuses absurd inputs before any parsing.
const maxTokenLen = 4096

var errBadToken = apperr.Unauthorized("invalid or expired token")

// parseToken verifies signature (HS256 only: "none", RS256 with our key as
// a public key, HS512 and the rest are refused), expiry, issue time and the
// token kind.
func (s *Service) parseToken(raw, typ string) (*Claims, error) {
	if raw == "" || len(raw) > maxTokenLen {
		return nil, errBadToken
	}
	c := &Claims{}
	_, err := jwt.ParseWithClaims(raw, c, func(*jwt.Token) (any, error) { return s.jwtKey, nil },
		jwt.WithValidMethods([]string{"HS256"}),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithTimeFunc(s.now),
		jwt.WithLeeway(5*time.Second),
	)
	if err != nil || c.Type != typ || c.ID == "" || c.IssuedAt == nil {
		return nil, errBadToken
	}
	if _, err := c.UserID(); err != nil {
		return nil, errBadToken
	}
	return c, nil
}
