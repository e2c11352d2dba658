package auth

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"

	"github.com/aiwfe/aiwfe/app/apperr"
	"github.com/aiwfe/aiwfe/store"
)

// CeremonyTTL is how long a begun WebAuthn ceremony waits for its finish.
const CeremonyTTL = 5 * time.Minute

// maxCredentialJSON bounds a credential the browser sends back.
const maxCredentialJSON = 64 << 10

// Ceremony kinds: what a begun challenge may be finished as.
const (
	ceremonyRegister     = "register"
	ceremonySecondFactor = "mfa"
	ceremonyPasswordless = "passwordless"
)

var errPasskey = apperr.Unauthorized("the passkey could not be verified")

// ceremony is a begun WebAuthn ceremony, kept in the cache under its
// challenge until finished once or expired.
type ceremony struct {
	kind   string
	userID int64
	jti    string // the MFA token it was begun with (second factor only)
	data   webauthn.SessionData
}

func ceremonyKey(challenge string) string { return "auth:wa:" + challenge }

func (m *MFA) putCeremony(c *ceremony) {
	m.s.cache.Set(ceremonyKey(c.data.Challenge), c, CeremonyTTL)
}

// takeCeremony returns the ceremony of a challenge and forgets it: a
// challenge is answered once, right or wrong.
func (m *MFA) takeCeremony(challenge, kind string) (*ceremony, error) {
	if challenge == "" || len(challenge) > 256 {
		return nil, errPasskey
	}
	m.cacheMu.Lock()
	v, ok := m.s.cache.Get(ceremonyKey(challenge))
	if ok {
		m.s.cache.Delete(ceremonyKey(challenge))
	}
	m.cacheMu.Unlock()
	if !ok {
		return nil, apperr.Unauthorized("the passkey request has expired or was already used; try again")
	}
	c := v.(*ceremony)
	if c.kind != kind {
		return nil, errPasskey
	}
	return c, nil
}

// RelyingParty is the WebAuthn relying party id and the origins ceremonies
// may come from: [webauthn] rp_id / rp_origins, else the public URL's
// host, else localhost with the configured listeners' ports.
func (m *MFA) RelyingParty() (id string, origins []string) {
	cfg := m.cfg
	id = strings.ToLower(strings.TrimSpace(cfg.WebAuthn.RPID))
	origins = slices.Clone(cfg.WebAuthn.RPOrigins)
	if pu, err := url.Parse(cfg.Server.PublicURL); err == nil && pu.Host != "" {
		if id == "" {
			id = strings.ToLower(pu.Hostname())
		}
		if len(origins) == 0 {
			origins = append(origins, strings.ToLower(pu.Scheme+"://"+pu.Host))
		}
	}
	if id == "" {
		id = "localhost"
	}
	if len(origins) == 0 {
		for _, l := range []struct{ scheme, addr, defPort string }{{"http", cfg.Server.HTTP, "80"}, {"https", cfg.Server.HTTPS, "443"}} {
			_, port, err := net.SplitHostPort(l.addr)
			switch {
			case err != nil || port == "" || port == "0":
			case port == l.defPort:
				// Browsers leave the default port out of the origin.
				origins = append(origins, l.scheme+"://"+id)
			default:
				origins = append(origins, l.scheme+"://"+id+":"+port)
			}
		}
		if len(origins) == 0 {
			origins = []string{"http://" + id, "https://" + id}
		}
	}
	return id, origins
}

// webAuthn is the go-webauthn relying party for the current
// configuration, rebuilt when rp_id or the origins change.
func (m *MFA) webAuthn() (*webauthn.WebAuthn, error) {
	id, origins := m.RelyingParty()
	name := m.cfg.WebAuthn.RPDisplayName
	if name == "" {
		name = "aiwfe"
	}
	key := id + "\x00" + name + "\x00" + strings.Join(origins, "\x00")
	m.waMu.Lock()
	defer m.waMu.Unlock()
	if m.wa != nil && m.waKey == key {
		return m.wa, nil
	}
	wa, err := webauthn.New(&webauthn.Config{
		RPID: id, RPDisplayName: name, RPOrigins: origins,
		AttestationPreference: protocol.PreferNoAttestation,
		AuthenticatorSelection: protocol.AuthenticatorSelection{
			ResidentKey:      protocol.ResidentKeyRequirementRequired,
			UserVerification: protocol.VerificationPreferred,
		},
		Timeouts: webauthn.TimeoutsConfig{
			Login:        webauthn.TimeoutConfig{Timeout: CeremonyTTL, TimeoutUVD: CeremonyTTL},
			Registration: webauthn.TimeoutConfig{Timeout: CeremonyTTL, TimeoutUVD: CeremonyTTL},
		},
	})
	if err != nil {
		return nil, apperr.Unavailable("passkeys are not configured correctly ([webauthn] rp_id / rp_origins)", err)
	}
	m.wa, m.waKey = wa, key
	return wa, nil
}

// waUser is a user as go-webauthn sees it.
type waUser struct {
	u      *store.User
	handle []byte
	rows   []*store.Passkey
	creds  []webauthn.Credential
}

func (w *waUser) WebAuthnID() []byte                         { return w.handle }
func (w *waUser) WebAuthnName() string                       { return w.u.Email }
func (w *waUser) WebAuthnDisplayName() string                { return w.u.Email }
func (w *waUser) WebAuthnCredentials() []webauthn.Credential { return w.creds }

var _ webauthn.User = (*waUser)(nil)

func (w *waUser) row(credID []byte) *store.Passkey {
	for _, r := range w.rows {
		if bytes.Equal(r.CredentialID, credID) {
			return r
		}
	}
	return nil
}

// loadWAUser reads the user's handle (made on first need) and passkeys.
func (m *MFA) loadWAUser(ctx context.Context, u *store.User, create bool) (*waUser, error) {
	s := m.s
	tf, err := store.TwoFactorByUser(ctx, s.store.DB, u.ID)
	if err != nil {
		return nil, err
	}
	w := &waUser{u: u, handle: tf.WebAuthnUserID}
	if len(w.handle) == 0 && create {
		h := make([]byte, 32)
		if _, err := io.ReadFull(m.rand, h); err != nil {
			return nil, err
		}
		if w.handle, err = store.SetWebAuthnUserID(ctx, s.store.DB, u.ID, h, s.now()); err != nil {
			return nil, err
		}
	}
	if w.rows, err = store.ListPasskeys(ctx, s.store.DB, u.ID); err != nil {
		return nil, err
	}
	for _, r := range w.rows {
		var c webauthn.Credential
		if err := json.Unmarshal([]byte(r.Credential), &c); err != nil {
			s.log.Error("stored passkey is unreadable", "user_id", u.ID, "passkey_id", r.ID, "err", err)
			continue
		}
		w.creds = append(w.creds, c)
	}
	return w, nil
}

// PasskeyView is a passkey as the API shows it.
type PasskeyView struct {
	ID         int64      `json:"id"`
	Name       string     `json:"name"`
	CreatedAt  time.Time  `json:"created_at"`
	LastUsedAt *time.Time `json:"last_used_at"`
}

func viewPasskey(p *store.Passkey) PasskeyView {
	return PasskeyView{ID: p.ID, Name: p.Name, CreatedAt: p.CreatedAt, LastUsedAt: p.LastUsedAt}
}

// RegisterBegin starts adding a passkey: the options for
// navigator.credentials.create ({"publicKey": ...}).
func (m *MFA) RegisterBegin(ctx context.Context, p *Principal) (*protocol.CredentialCreation, error) {
	wa, err := m.webAuthn()
	if err != nil {
		return nil, err
	}
	u, err := store.UserByID(ctx, m.s.store.DB, p.UserID)
	if err != nil {
		return nil, err
	}
	w, err := m.loadWAUser(ctx, u, true)
	if err != nil {
		return nil, err
	}
	var exclude []protocol.CredentialDescriptor
	for _, c := range w.creds {
		exclude = append(exclude, c.Descriptor())
	}
	opts, data, err := wa.BeginRegistration(w, webauthn.WithExclusions(exclude),
		webauthn.WithResidentKeyRequirement(protocol.ResidentKeyRequirementRequired))
	if err != nil {
		return nil, apperr.Internal(err)
	}
	m.putCeremony(&ceremony{kind: ceremonyRegister, userID: u.ID, data: *data})
	return opts, nil
}

// challengeOf reads the challenge a browser's credential answers, to find
// its ceremony.
func challengeOf(raw []byte) string {
	var c struct {
		Response struct {
			ClientDataJSON protocol.URLEncodedBase64 `json:"clientDataJSON"`
		} `json:"response"`
	}
	if json.Unmarshal(raw, &c) != nil {
		return ""
	}
	var cd struct {
		Challenge string `json:"challenge"`
	}
	if json.Unmarshal(c.Response.ClientDataJSON, &cd) != nil {
		return ""
	}
	return cd.Challenge
}

// RegisterFinish verifies the browser's new credential (the JSON of
// PublicKeyCredential) and stores it under name.
func (m *MFA) RegisterFinish(ctx context.Context, p *Principal, name string, credential []byte, c Client) (*PasskeyView, error) {
	s := m.s
	if len(credential) == 0 || len(credential) > maxCredentialJSON {
		return nil, apperr.Invalid("credential", "credential is missing or too large")
	}
	if strings.TrimSpace(name) == "" {
		name = "Passkey"
		if dn := c.DeviceName(); dn != "Unknown device" {
			name = "Passkey on " + dn
		}
	}
	name, err := validName("name", name)
	if err != nil {
		return nil, err
	}
	wa, err := m.webAuthn()
	if err != nil {
		return nil, err
	}
	cer, err := m.takeCeremony(challengeOf(credential), ceremonyRegister)
	if err != nil {
		return nil, err
	}
	if cer.userID != p.UserID {
		return nil, errPasskey
	}
	parsed, err := protocol.ParseCredentialCreationResponseBytes(credential)
	if err != nil {
		return nil, apperr.Invalid("credential", "the credential is not a valid WebAuthn registration response")
	}
	u, err := store.UserByID(ctx, s.store.DB, p.UserID)
	if err != nil {
		return nil, err
	}
	w, err := m.loadWAUser(ctx, u, false)
	if err != nil {
		return nil, err
	}
	cred, err := wa.CreateCredential(w, cer.data, parsed)
	if err != nil {
		m.auditFactor(ctx, u.ID, EventPasskeyAdd, c, false, "verification_failed")
		return nil, &apperr.Error{Status: 400, Code: "passkey_rejected", Message: "the passkey could not be verified", Err: err}
	}
	raw, err := json.Marshal(cred)
	if err != nil {
		return nil, err
	}
	var row *store.Passkey
	err = s.store.WithTx(ctx, func(tx *sql.Tx) error {
		var err error
		row, err = store.InsertPasskey(ctx, tx, &store.Passkey{UserID: u.ID, CredentialID: cred.ID, Name: name,
			Credential: string(raw), SignCount: cred.Authenticator.SignCount, CreatedAt: s.now()})
		if err != nil {
			return err
		}
		return store.SetTFAEnabled(ctx, tx, u.ID, true, s.now())
	})
	if errors.Is(err, store.ErrDuplicate) {
		return nil, apperr.Conflict("this passkey is already registered")
	}
	if err != nil {
		return nil, err
	}
	s.forgetUser(u.ID)
	m.auditFactor(ctx, u.ID, EventPasskeyAdd, c, true, name)
	v := viewPasskey(row)
	return &v, nil
}

// Passkeys lists the user's passkeys.
func (m *MFA) Passkeys(ctx context.Context, userID int64) ([]PasskeyView, error) {
	rows, err := store.ListPasskeys(ctx, m.s.store.DB, userID)
	if err != nil {
		return nil, err
	}
	out := make([]PasskeyView, 0, len(rows))
	for _, r := range rows {
		out = append(out, viewPasskey(r))
	}
	return out, nil
}

// RenamePasskey renames one of the user's passkeys.
func (m *MFA) RenamePasskey(ctx context.Context, p *Principal, id int64, name string, c Client) (*PasskeyView, error) {
	name, err := validName("name", name)
	if err != nil {
		return nil, err
	}
	db := m.s.store.DB
	if err := store.RenamePasskey(ctx, db, p.UserID, id, name); errors.Is(err, store.ErrNotFound) {
		return nil, apperr.NotFound("passkey")
	} else if err != nil {
		return nil, err
	}
	row, err := store.PasskeyByID(ctx, db, p.UserID, id)
	if err != nil {
		return nil, err
	}
	m.auditFactor(ctx, p.UserID, EventPasskeyRename, c, true, name)
	v := viewPasskey(row)
	return &v, nil
}

// DeletePasskey removes one of the user's passkeys.
func (m *MFA) DeletePasskey(ctx context.Context, p *Principal, id int64, c Client) error {
	s := m.s
	var name string
	err := s.store.WithTx(ctx, func(tx *sql.Tx) error {
		row, err := store.PasskeyByID(ctx, tx, p.UserID, id)
		if errors.Is(err, store.ErrNotFound) {
			return apperr.NotFound("passkey")
		}
		if err != nil {
			return err
		}
		name = row.Name
		if err := store.DeletePasskey(ctx, tx, p.UserID, id); err != nil {
			return err
		}
		tf, err := store.TwoFactorByUser(ctx, tx, p.UserID)
		if err != nil {
			return err
		}
		n, err := store.CountPasskeys(ctx, tx, p.UserID)
		if err != nil {
			return err
		}
		return store.SetTFAEnabled(ctx, tx, p.UserID, tf.TOTPEnabled || n > 0, s.now())
	})
	if err != nil {
		return err
	}
	s.forgetUser(p.UserID)
	m.auditFactor(ctx, p.UserID, EventPasskeyDelete, c, true, name)
	return nil
}

// ChallengeWebAuthnBegin gives the assertion options for the login's
// second step with a passkey; the ceremony is bound to the MFA token.
func (m *MFA) ChallengeWebAuthnBegin(ctx context.Context, mfaToken string, c Client) (*protocol.CredentialAssertion, error) {
	claims, uid, err := m.challengeClaims(ctx, mfaToken, c)
	if err != nil {
		return nil, err
	}
	wa, err := m.webAuthn()
	if err != nil {
		return nil, err
	}
	u, err := store.UserByID(ctx, m.s.store.DB, uid)
	if err != nil {
		return nil, errChallengeInvalid
	}
	w, err := m.loadWAUser(ctx, u, false)
	if err != nil {
		return nil, err
	}
	if len(w.creds) == 0 {
		return nil, apperr.Conflict("this account has no passkey")
	}
	opts, data, err := wa.BeginLogin(w)
	if err != nil {
		return nil, apperr.Internal(err)
	}
	m.putCeremony(&ceremony{kind: ceremonySecondFactor, userID: uid, jti: claims.ID, data: *data})
	return opts, nil
}

// verifyAssertion checks a passkey assertion as the login's second step:
// the ceremony must be the one begun with this MFA token for this user.
func (m *MFA) verifyAssertion(ctx context.Context, u *store.User, credential []byte) (*store.Passkey, error) {
	if len(credential) == 0 || len(credential) > maxCredentialJSON {
		return nil, apperr.Invalid("credential", "credential is missing or too large")
	}
	cer, err := m.takeCeremony(challengeOf(credential), ceremonySecondFactor)
	if err != nil {
		return nil, err
	}
	call := callFrom(ctx)
	if cer.userID != u.ID || call == nil || call.jti != cer.jti {
		return nil, errPasskey
	}
	w, err := m.loadWAUser(ctx, u, false)
	if err != nil {
		return nil, err
	}
	return m.validateAssertion(ctx, w, cer, credential, call.client)
}

// validateAssertion runs go-webauthn's checks (challenge, origin, RP id,
// signature, flags), then refuses a sign counter that did not move
// forward (a cloned authenticator) and stores the new counter.
func (m *MFA) validateAssertion(ctx context.Context, w *waUser, cer *ceremony, credential []byte, c Client) (*store.Passkey, error) {
	s := m.s
	wa, err := m.webAuthn()
	if err != nil {
		return nil, err
	}
	parsed, err := protocol.ParseCredentialRequestResponseBytes(credential)
	if err != nil {
		return nil, apperr.Invalid("credential", "the credential is not a valid WebAuthn assertion")
	}
	var cred *webauthn.Credential
	if cer.kind == ceremonyPasswordless {
		cred, err = wa.ValidateDiscoverableLogin(func(_, handle []byte) (webauthn.User, error) {
			if !bytes.Equal(handle, w.handle) {
				return nil, errors.New("user handle of another account")
			}
			return w, nil
		}, cer.data, parsed)
	} else {
		cred, err = wa.ValidateLogin(w, cer.data, parsed)
	}
	if err != nil {
		m.auditFactor(ctx, w.u.ID, EventSecondFactor, c, false, "passkey_rejected")
		s.log.Info("passkey assertion refused", "user_id", w.u.ID, "err", err)
		return nil, &apperr.Error{Status: 401, Code: "unauthorized", Message: errPasskey.Message, Err: err}
	}
	row := w.row(cred.ID)
	if row == nil {
		return nil, errPasskey
	}
	if cred.Authenticator.CloneWarning {
		m.auditFactor(ctx, w.u.ID, EventPasskeyClone, c, false,
			"sign counter went back on passkey "+strconv.Quote(row.Name)+" (stored "+strconv.FormatUint(uint64(row.SignCount), 10)+
				", presented "+strconv.FormatUint(uint64(parsed.Response.AuthenticatorData.Counter), 10)+"): possibly cloned")
		return nil, apperr.Unauthorized("this passkey's signature counter went backwards, a sign of a copied authenticator; sign-in refused")
	}
	raw, err := json.Marshal(cred)
	if err != nil {
		return nil, err
	}
	err = store.UsePasskey(ctx, s.store.DB, row.ID, string(raw), row.SignCount, cred.Authenticator.SignCount, s.now())
	if errors.Is(err, store.ErrReplay) {
		m.auditFactor(ctx, w.u.ID, EventPasskeyClone, c, false, "two assertions with one sign counter on passkey "+strconv.Quote(row.Name))
		return nil, apperr.Unauthorized("this passkey was used twice at once; sign-in refused")
	}
	if err != nil {
		return nil, err
	}
	return row, nil
}

// PasskeyLoginBegin starts a passwordless sign-in: assertion options with
// no allowed credentials (the browser offers the discoverable ones) and
// user verification required.
func (m *MFA) PasskeyLoginBegin(ctx context.Context, c Client) (*protocol.CredentialAssertion, error) {
	if err := m.s.logins.allowBegin(c.IP); err != nil {
		return nil, err
	}
	wa, err := m.webAuthn()
	if err != nil {
		return nil, err
	}
	opts, data, err := wa.BeginDiscoverableLogin(webauthn.WithUserVerification(protocol.VerificationRequired))
	if err != nil {
		return nil, apperr.Internal(err)
	}
	m.putCeremony(&ceremony{kind: ceremonyPasswordless, data: *data})
	return opts, nil
}

// PasskeyLogin finishes a passwordless sign-in: the passkey (verified by
// the authenticator: PIN or biometrics) stands for password and second
// factor. It answers a session like a password login and is audited the
// same way; it is rate limited per client IP only, so a password lockout
// does not stop it.
func (m *MFA) PasskeyLogin(ctx context.Context, credential []byte, c Client) (*Session, error) {
	s := m.s
	if len(credential) == 0 || len(credential) > maxCredentialJSON {
		return nil, apperr.Invalid("credential", "credential is missing or too large")
	}
	cer, err := m.takeCeremony(challengeOf(credential), ceremonyPasswordless)
	if err != nil {
		return nil, err
	}
	parsed, err := protocol.ParseCredentialRequestResponseBytes(credential)
	if err != nil {
		return nil, apperr.Invalid("credential", "the credential is not a valid WebAuthn assertion")
	}
	uid, err := store.UserIDByWebAuthnHandle(ctx, s.store.DB, parsed.Response.UserHandle)
	if errors.Is(err, store.ErrNotFound) {
		st := &loginState{client: c}
		s.recordLoginFailure(ctx, st, "unknown_passkey", "")
		return nil, errPasskey
	}
	if err != nil {
		return nil, err
	}
	u, err := store.UserByID(ctx, s.store.DB, uid)
	if err != nil {
		return nil, errPasskey
	}
	st := &loginState{email: u.Email, client: c, user: u}
	// Only the client's IP is limited: a passkey cannot be guessed, and a
	// password lockout (which anyone knowing the email can cause) must not
	// keep the owner out.
	var refused string
	if st.try, refused, err = s.logins.beginIP(ctx, c.IP); err != nil {
		s.recordRateLimited(ctx, st, refused)
		return nil, err
	}
	w, err := m.loadWAUser(ctx, u, false)
	if err != nil {
		st.try.done(false)
		return nil, err
	}
	if _, err := m.validateAssertion(ctx, w, cer, credential, c); err != nil {
		st.try.done(true)
		s.recordLoginFailure(ctx, st, "bad_passkey", u.Email)
		return nil, err
	}
	st.try.done(false)
	if err := s.stepStatus(ctx, st); err != nil {
		return nil, err
	}
	if err := s.stepDevice(ctx, st); err != nil {
		return nil, err
	}
	return s.finishLogin(ctx, st, "passkey")
}
