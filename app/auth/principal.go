package auth

import "time"

// Principal is the authenticated caller of a request, as established by the
// HTTP layer's auth middleware from a verified access token.
type Principal struct {
	UserID      int64    `json:"id"`
	Email       string   `json:"email"`
	Role        string   `json:"role"` // user | admin | superuser
	Permissions []string `json:"permissions"`
	SessionID   string   `json:"-"` // the refresh-token family the access token belongs to
	TokenID     string   `json:"-"` // the access token's jti
	DeviceID    int64    `json:"-"`
	// ExpiresAt is the access token's expiry (logout keeps its jti on the
	// revocation list until then).
	ExpiresAt time.Time `json:"-"`
}

// IsAdmin reports whether the principal may use the admin endpoints.
func (p *Principal) IsAdmin() bool { return p != nil && (p.Role == "admin" || p.Role == "superuser") }
