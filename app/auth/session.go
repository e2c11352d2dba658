package auth

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"errors"
	"strconv"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/aiwfe/aiwfe/app/apperr"
	"github.com/aiwfe/aiwfe/store"
)

// Session is what a login or a refresh hands the client.
type Session struct {
	AccessToken    string
	AccessExpires  time.Time
	RefreshToken   string
	RefreshExpires time.Time
	SessionID      string
	User           *UserView
}

// openSession issues an access token and the first (or next) refresh
// token of a family.
func (s *Service) openSession(ctx context.Context, u *store.User, deviceID int64, family, ip string) (*Session, error) {
	now := s.now()
	rt := &store.RefreshToken{UserID: u.ID, FamilyID: family, DeviceID: deviceID, CreatedAt: now, ExpiresAt: now.Add(s.cfg.RefreshTokenTTL.D())}
	raw := newRefreshToken()
	rt.TokenHash = hashRefresh(raw)
	if err := store.InsertRefreshToken(ctx, s.store.DB, rt, ip); err != nil {
		return nil, err
	}
	return s.sessionFor(u, rt, raw)
}

func (s *Service) sessionFor(u *store.User, rt *store.RefreshToken, raw string) (*Session, error) {
	now := s.now()
	exp := now.Add(s.cfg.AccessTokenTTL.D())
	tok, err := s.signToken(&Claims{
		Email:       u.Email,
		Role:        u.Role,
		Permissions: PermissionsFor(u.Role),
		SessionID:   rt.FamilyID,
		DeviceID:    rt.DeviceID,
		Type:        typAccess,
		RegisteredClaims: jwt.RegisteredClaims{
			Subject:   strconv.FormatInt(u.ID, 10),
			IssuedAt:  jwt.NewNumericDate(now),
			ExpiresAt: jwt.NewNumericDate(exp),
			ID:        newID(),
		},
	})
	if err != nil {
		return nil, err
	}
	return &Session{AccessToken: tok, AccessExpires: exp, RefreshToken: raw, RefreshExpires: rt.ExpiresAt, SessionID: rt.FamilyID, User: ViewUser(u)}, nil
}

func newRefreshToken() string {
	var b [32]byte
	rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

var errBadRefresh = apperr.Unauthorized("invalid or expired refresh token; sign in again")

// Refresh rotates a refresh token: the presented one is retired and a new
// one of the same family issued with a fresh access token. A retired token
// presented again means it was copied: the whole family is revoked.
func (s *Service) Refresh(ctx context.Context, raw string, c Client) (*Session, error) {
	if raw == "" || len(raw) > 256 {
		return nil, errBadRefresh
	}
	rt, err := store.RefreshTokenByHash(ctx, s.store.DB, hashRefresh(raw))
	if errors.Is(err, store.ErrNotFound) {
		return nil, errBadRefresh
	}
	if err != nil {
		return nil, err
	}
	now := s.now()
	switch {
	case rt.RevokedAt != nil:
		return nil, errBadRefresh
	case rt.RetiredAt != nil:
		return nil, s.refreshReuse(ctx, rt, c)
	case !now.Before(rt.ExpiresAt):
		return nil, errBadRefresh
	}
	u, err := store.UserByID(ctx, s.store.DB, rt.UserID)
	if err != nil {
		return nil, errBadRefresh
	}
	if u.Status != "active" {
		return nil, errBadRefresh
	}
	var sess *Session
	reused := false
	err = s.store.WithTx(ctx, func(tx *sql.Tx) error {
		ok, err := store.RetireRefreshToken(ctx, tx, rt.ID, now)
		if err != nil {
			return err
		}
		if !ok {
			reused = true
			return nil
		}
		next := &store.RefreshToken{UserID: u.ID, FamilyID: rt.FamilyID, DeviceID: rt.DeviceID, CreatedAt: now, ExpiresAt: now.Add(s.cfg.RefreshTokenTTL.D())}
		rawNext := newRefreshToken()
		next.TokenHash = hashRefresh(rawNext)
		if err := store.InsertRefreshToken(ctx, tx, next, c.IP); err != nil {
			return err
		}
		sess, err = s.sessionFor(u, next, rawNext)
		return err
	})
	if err != nil {
		return nil, err
	}
	if reused {
		// Lost a race with another use of the same token.
		return nil, s.refreshReuse(ctx, rt, c)
	}
	return sess, nil
}

func (s *Service) refreshReuse(ctx context.Context, rt *store.RefreshToken, c Client) error {
	if err := s.revokeFamilies(ctx, rt.FamilyID); err != nil {
		return err
	}
	e := clientEvent(EventRefreshReuse, c)
	e.UserID, e.Success, e.Reason, e.DeviceID = rt.UserID, false, "retired refresh token presented again; session revoked", rt.DeviceID
	s.audit(ctx, nil, e)
	return errBadRefresh
}

// revokeFamilies revokes sessions and makes the access tokens that carry
// them invalid at once.
func (s *Service) revokeFamilies(ctx context.Context, families ...string) error {
	now := s.now()
	for _, f := range families {
		if err := store.RevokeFamily(ctx, s.store.DB, f, now); err != nil {
			return err
		}
		s.cache.Delete(sessKey(f))
		s.cache.Set(sessKey(f), true, s.cfg.AccessTokenTTL.D()+time.Minute)
	}
	return nil
}

// Logout ends the caller's session: the refresh family and the access
// token's jti are revoked. Either may be missing (an expired access token,
// a client that only kept its refresh token).
func (s *Service) Logout(ctx context.Context, p *Principal, refreshToken string, c Client) error {
	var families []string
	var userID, deviceID int64
	if p != nil {
		families = append(families, p.SessionID)
		userID, deviceID = p.UserID, p.DeviceID
		if err := s.revokeJTI(ctx, p.TokenID, p.UserID, p.ExpiresAt); err != nil {
			return err
		}
	}
	if refreshToken != "" && len(refreshToken) <= 256 {
		if rt, err := store.RefreshTokenByHash(ctx, s.store.DB, hashRefresh(refreshToken)); err == nil && (p == nil || rt.UserID == p.UserID) {
			families = append(families, rt.FamilyID)
			userID, deviceID = rt.UserID, rt.DeviceID
		}
	}
	if len(families) == 0 {
		return nil
	}
	if err := s.revokeFamilies(ctx, families...); err != nil {
		return err
	}
	e := clientEvent(EventLogout, c)
	e.UserID, e.DeviceID = userID, deviceID
	s.audit(ctx, nil, e)
	return nil
}

// Cache keys of the hot path.
func userKey(id int64) string  { return "auth:user:" + strconv.FormatInt(id, 10) }
func sessKey(f string) string  { return "auth:sess:" + f }
func jtiKey(jti string) string { return "auth:jti:" + jti }

// userState is what every authenticated request needs of its user, cached
// briefly and dropped whenever it changes.
type userState struct {
	email      string
	role       string
	status     string
	validAfter int64
}

const userStateTTL = 30 * time.Second

// liveTTL is how long "not revoked" is believed without asking SQLite. A
// revocation replaces the entry at once; the TTL only bounds the damage of
// a lookup that read SQLite just before a revocation and stored its answer
// just after.
const liveTTL = time.Minute

func (s *Service) userState(ctx context.Context, id int64) (*userState, error) {
	if v, ok := s.cache.Get(userKey(id)); ok {
		return v.(*userState), nil
	}
	u, err := store.UserByID(ctx, s.store.DB, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	st := &userState{email: u.Email, role: u.Role, status: u.Status, validAfter: u.TokensValidAfter}
	s.cache.Set(userKey(id), st, userStateTTL)
	return st, nil
}

// ForgetUser drops what the cache holds of a user; call it after changing
// the users row outside this package (2FA flags, interview insights), or
// readers may see the old row for up to userRowTTL.
func (s *Service) ForgetUser(id int64) { s.forgetUser(id) }

func (s *Service) forgetUser(id int64) {
	s.cache.Delete(userKey(id))
	s.cache.Delete(rowKey(id))
	for _, fn := range s.onForget {
		fn(id)
	}
}

// OnForgetUser adds fn to what ForgetUser runs: a service that caches
// something made from the users row (the profile's JSON) drops it there,
// so every change of the row, here or elsewhere, reaches it. Call it while
// building the app, before serving.
func (s *Service) OnForgetUser(fn func(id int64)) { s.onForget = append(s.onForget, fn) }

func rowKey(id int64) string { return "auth:row:" + strconv.FormatInt(id, 10) }

// userRowTTL bounds how stale a cached users row can be when a writer
// outside this package forgets to call ForgetUser.
const userRowTTL = 10 * time.Second

// User reads a user's row through the cache (see userRow); the chat
// service reads the asking user with it. The row is shared: callers must
// not modify it.
func (s *Service) User(ctx context.Context, id int64) (*store.User, error) { return s.userRow(ctx, id) }

// userRow reads a user through the cache: GET /profile and /validate are
// hot, and SQLite serialises statement preparation. The row is shared:
// callers must not modify it.
func (s *Service) userRow(ctx context.Context, id int64) (*store.User, error) {
	if v, ok := s.cache.Get(rowKey(id)); ok {
		return v.(*store.User), nil
	}
	u, err := store.UserByID(ctx, s.store.DB, id)
	if err != nil {
		return nil, err
	}
	s.cache.Set(rowKey(id), u, userRowTTL)
	return u, nil
}

func (s *Service) sessionRevoked(ctx context.Context, family string) (bool, error) {
	if v, ok := s.cache.Get(sessKey(family)); ok {
		return v.(bool), nil
	}
	revoked, err := store.FamilyRevoked(ctx, s.store.DB, family)
	if err != nil {
		return false, err
	}
	ttl := liveTTL
	if revoked {
		ttl = s.cfg.AccessTokenTTL.D() + time.Minute
	}
	s.cache.Set(sessKey(family), revoked, ttl)
	return revoked, nil
}

func (s *Service) jtiRevoked(ctx context.Context, jti string) bool {
	if v, ok := s.cache.Get(jtiKey(jti)); ok {
		return v.(bool)
	}
	revoked, err := store.AccessTokenRevoked(ctx, s.store.DB, jti)
	if err != nil {
		// Fail closed.
		return true
	}
	ttl := liveTTL
	if revoked {
		ttl = s.cfg.AccessTokenTTL.D() + time.Minute
	}
	s.cache.Set(jtiKey(jti), revoked, ttl)
	return revoked
}

func (s *Service) revokeJTI(ctx context.Context, jti string, userID int64, exp time.Time) error {
	if jti == "" {
		return nil
	}
	if err := store.RevokeAccessToken(ctx, s.store.DB, jti, userID, exp, s.now()); err != nil {
		return err
	}
	// Delete first: Delete is never dropped by the cache, and a miss reads
	// the revocation from SQLite.
	s.cache.Delete(jtiKey(jti))
	s.cache.Set(jtiKey(jti), true, exp.Sub(s.now())+time.Minute)
	return nil
}

// Principal is the authenticated caller (the type lives in principal.go).

// ValidateAccess checks an access token and returns its principal. The
// signature, expiry and claims are checked locally; the user's status and
// role, the session and the jti come from the cache (SQLite only on a miss),
// so the hot path does not touch the database.
func (s *Service) ValidateAccess(ctx context.Context, raw string) (*Principal, error) {
	c, err := s.parseAccess(raw)
	if err != nil {
		return nil, err
	}
	uid, _ := c.UserID()
	st, err := s.userState(ctx, uid)
	if err != nil {
		return nil, err
	}
	if st == nil || st.status != "active" || c.IssuedAt.Unix() < st.validAfter {
		return nil, errBadToken
	}
	if c.SessionID == "" {
		return nil, errBadToken
	}
	if revoked, err := s.sessionRevoked(ctx, c.SessionID); err != nil {
		return nil, err
	} else if revoked {
		return nil, errBadToken
	}
	if s.jtiRevoked(ctx, c.ID) {
		return nil, errBadToken
	}
	return &Principal{
		UserID:      uid,
		Email:       st.email,
		Role:        st.role,
		Permissions: PermissionsFor(st.role),
		SessionID:   c.SessionID,
		TokenID:     c.ID,
		DeviceID:    c.DeviceID,
		ExpiresAt:   c.ExpiresAt.Time,
	}, nil
}

// Me is the caller's user record.
func (s *Service) Me(ctx context.Context, userID int64) (*UserView, error) {
	u, err := s.userRow(ctx, userID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, apperr.Unauthorized("account no longer exists")
	}
	if err != nil {
		return nil, err
	}
	return ViewUser(u), nil
}
