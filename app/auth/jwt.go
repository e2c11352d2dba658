package auth

import (
	"crypto/rand"
	"crypto/sha256"
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

// verifiedAccess is a cached result of parseToken for an access token,
// keyed by the token's SHA-256: parsing and the HMAC are the most expensive
// part of an authenticated request, and a token is presented many times.
type verifiedAccess struct{ claims *Claims }

func tokenKey(raw string) string {
	sum := sha256.Sum256([]byte(raw))
	return "auth:vt:" + string(sum[:])
}

// parseAccess is parseToken for access tokens, through the cache. Expiry
// is re-checked on every hit; revocation is checked by the caller.
func (s *Service) parseAccess(raw string) (*Claims, error) {
	if raw == "" || len(raw) > maxTokenLen {
		return nil, errBadToken
	}
	key := tokenKey(raw)
	if v, ok := s.cache.Get(key); ok {
		c := v.(verifiedAccess).claims
		if s.now().Before(c.ExpiresAt.Time.Add(5 * time.Second)) {
			return c, nil
		}
		return nil, errBadToken
	}
	c, err := s.parseToken(raw, typAccess)
	if err != nil {
		return nil, err
	}
	ttl := min(c.ExpiresAt.Time.Sub(s.now()), 5*time.Minute)
	if ttl > 0 {
		s.cache.Set(key, verifiedAccess{c}, ttl)
	}
	return c, nil
}

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
