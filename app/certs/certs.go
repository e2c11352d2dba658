// Package certs is the client certificates of the mutual-TLS listener:
// list, issue (the private key and the PKCS#12 password are returned once
// and never stored) and revoke, each change audited. The admin endpoints
// and the CLI (`aiwfe cert`) both use it; it takes plain Go values and
// knows nothing of HTTP.
package certs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/aiwfe/aiwfe/app/apperr"
	"github.com/aiwfe/aiwfe/app/auth"
	"github.com/aiwfe/aiwfe/store"
	"github.com/aiwfe/aiwfe/tlsmgr"
)

// Audit event types of the client CA (security_events.type).
const (
	EventCertIssued  = "cert_issued"
	EventCertRevoked = "cert_revoked"
)

// Limits of a certificate's name and validity.
const (
	MaxNameLen = 64
	MaxDays    = 3650
)

// Deps are what the service needs; app.Open fills them in.
type Deps struct {
	Store *store.Store
	// TLSDir holds the client CA (tlsDir/client-ca), created on first use.
	TLSDir string
	// Accounts audits the changes.
	Accounts *auth.Service
	Log      *slog.Logger
	Now      func() time.Time
}

// Service is the client certificate service.
type Service struct {
	store    *store.Store
	dir      string
	accounts *auth.Service
	log      *slog.Logger
	now      func() time.Time
	reg      *Registry

	mu sync.Mutex
	ca *tlsmgr.ClientCA
}

// New builds the service.
func New(d Deps) *Service {
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	return &Service{store: d.Store, dir: d.TLSDir, accounts: d.Accounts, log: d.Log, now: d.Now, reg: NewRegistry(d.Store)}
}

// Registry is the certificate registry the client CA keeps its records in
// (the certificate manager of `aiwfe serve` takes it).
func (s *Service) Registry() *Registry { return s.reg }

// UseCA makes the service issue and revoke with ca: the certificate
// manager's, which the mTLS listener verifies against. Without it the
// service loads the client CA from TLSDir on first use (the CLI, and a
// server without TLS listeners, where admins issue certificates before
// turning mTLS on).
func (s *Service) UseCA(ca *tlsmgr.ClientCA) {
	s.mu.Lock()
	s.ca = ca
	s.mu.Unlock()
}

// CA is the client certificate authority (loaded or created on first use).
func (s *Service) CA() (*tlsmgr.ClientCA, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ca == nil {
		ca, err := tlsmgr.LoadClientCA(s.dir, s.reg)
		if err != nil {
			return nil, apperr.Unavailable("the client certificate authority is not available", err)
		}
		s.ca = ca
	}
	return s.ca, nil
}

// Cert is an issued certificate as the admin list shows it.
type Cert struct {
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

// view converts a row; emails caches the owners' emails across one list.
func (s *Service) view(ctx context.Context, r *store.ClientCert, emails map[int64]string) Cert {
	v := Cert{Serial: r.Serial, Name: r.Name, NotBefore: r.NotBefore.UTC(), NotAfter: r.NotAfter.UTC(),
		CreatedAt: r.CreatedAt.UTC(), Revoked: r.Revoked(), RevokedAt: r.RevokedAt, Expired: s.now().After(r.NotAfter)}
	if r.UserID != 0 {
		id := r.UserID
		v.UserID = &id
		email, ok := emails[id]
		if !ok {
			if u, err := store.UserByID(ctx, s.store.DB, id); err == nil {
				email = u.Email
			}
			emails[id] = email
		}
		v.UserEmail = email
	}
	return v
}

// List is every issued certificate, oldest first.
func (s *Service) List(ctx context.Context) ([]Cert, error) {
	rows, err := s.store.ListClientCerts(ctx)
	if err != nil {
		return nil, err
	}
	emails := map[int64]string{}
	out := make([]Cert, 0, len(rows))
	for i := range rows {
		out = append(out, s.view(ctx, &rows[i], emails))
	}
	return out, nil
}

// IssueRequest asks for a certificate: Days 0 means
// tlsmgr.DefaultClientCertDays; UserID 0 ties it to no account.
type IssueRequest struct {
	Name   string
	Days   int
	UserID int64
}

// Issued is a new certificate with its secrets, to hand over once.
type Issued struct {
	Cert
	// CertPEM and KeyPEM are the certificate and its private key; P12 and
	// P12Legacy bundle both with the CA certificate under P12Password
	// (see tlsmgr.IssuedCert).
	CertPEM, KeyPEM, P12, P12Legacy []byte
	P12Password                     string
	// CACertPEM is the client CA's certificate.
	CACertPEM []byte
	// FileBase is the safe file name base for the certificate's files.
	FileBase string
}

// Issue creates a certificate, optionally tied to an account. actor is the
// admin asking, nil from the command line.
func (s *Service) Issue(ctx context.Context, actor *auth.Principal, c auth.Client, req IssueRequest) (*Issued, error) {
	name, err := ValidName(req.Name)
	if err != nil {
		return nil, apperr.Invalid("name", err.Error())
	}
	if req.Days < 0 || req.Days > MaxDays {
		return nil, apperr.Invalid("days", fmt.Sprintf("days must be between 1 and %d (0 or absent: %d)", MaxDays, tlsmgr.DefaultClientCertDays))
	}
	if req.UserID < 0 {
		return nil, apperr.Invalid("user_id", "no such user")
	}
	if req.UserID != 0 {
		if _, err := store.UserByID(ctx, s.store.DB, req.UserID); errors.Is(err, store.ErrNotFound) {
			return nil, apperr.Invalid("user_id", "no such user")
		} else if err != nil {
			return nil, err
		}
	}
	ca, err := s.CA()
	if err != nil {
		return nil, err
	}
	ic, err := ca.Issue(ctx, name, req.Days, req.UserID)
	if err != nil {
		return nil, err
	}
	s.audit(ctx, actor, c, EventCertIssued, ic.UserID,
		fmt.Sprintf("serial %s, name %q, expires %s", ic.Serial, ic.Name, ic.NotAfter.UTC().Format(time.DateOnly)))
	row := &store.ClientCert{Serial: ic.Serial, Name: ic.Name, UserID: ic.UserID, NotBefore: ic.NotBefore, NotAfter: ic.NotAfter, CreatedAt: s.now().UTC()}
	return &Issued{Cert: s.view(ctx, row, map[int64]string{}), CertPEM: ic.CertPEM, KeyPEM: ic.KeyPEM, P12: ic.P12, P12Legacy: ic.P12Legacy,
		P12Password: ic.P12Password, CACertPEM: ca.CertPEM(), FileBase: FileBase(ic.Name)}, nil
}

// Revoke revokes a certificate by serial (in any case, with colons or
// leading zeros, as openssl prints it); the mTLS listener refuses it from
// the next request on. Revoking twice is not an error: was tells whether
// it had been revoked before, and only the first revocation is audited.
func (s *Service) Revoke(ctx context.Context, actor *auth.Principal, c auth.Client, serial string) (cert *Cert, was bool, err error) {
	sn, err := tlsmgr.NormalizeSerial(serial)
	if err != nil {
		return nil, false, apperr.NotFound("certificate")
	}
	row, err := s.store.GetClientCert(ctx, sn)
	if errors.Is(err, store.ErrNotFound) {
		return nil, false, apperr.NotFound("certificate")
	}
	if err != nil {
		return nil, false, err
	}
	if !row.Revoked() {
		ca, err := s.CA()
		if err != nil {
			return nil, false, err
		}
		if err := ca.Revoke(ctx, sn); errors.Is(err, tlsmgr.ErrNotFound) {
			return nil, false, apperr.NotFound("certificate")
		} else if err != nil {
			return nil, false, err
		}
		s.audit(ctx, actor, c, EventCertRevoked, row.UserID, fmt.Sprintf("serial %s, name %q", row.Serial, row.Name))
		if row, err = s.store.GetClientCert(ctx, sn); err != nil {
			return nil, false, err
		}
		v := s.view(ctx, row, map[int64]string{})
		return &v, false, nil
	}
	v := s.view(ctx, row, map[int64]string{})
	return &v, true, nil
}

// audit records a client CA change. The event belongs to the account the
// certificate was issued for (so its owner sees it), else to the admin who
// made it; a change from the command line names no actor.
func (s *Service) audit(ctx context.Context, actor *auth.Principal, c auth.Client, typ string, certUserID int64, reason string) {
	e := auth.ClientEvent(typ, c)
	e.UserID = certUserID
	if actor != nil {
		e.ActorID = actor.UserID
		if e.UserID == 0 {
			e.UserID = actor.UserID
		}
	} else {
		e.Reason, e.DeviceName = reason+" (cli)", "command line"
	}
	if e.Reason == "" {
		e.Reason = reason
	}
	s.accounts.Audit(ctx, nil, e)
}

// CommandLine is the client the CLI audits its changes as.
var CommandLine = auth.Client{UserAgent: "aiwfe cli"}

// ValidName checks a client certificate's name (its CN, and the file name
// the CLI writes): 1 to 64 printable characters.
func ValidName(name string) (string, error) {
	name = strings.TrimSpace(name)
	switch {
	case name == "":
		return "", errors.New("a name is required (e.g. the device: \"anna-phone\")")
	case len(name) > MaxNameLen:
		return "", fmt.Errorf("the name is longer than %d characters", MaxNameLen)
	}
	for _, r := range name {
		if !unicode.IsPrint(r) {
			return "", errors.New("the name contains a control character")
		}
	}
	return name, nil
}

// FileBase turns a certificate name into a safe file name base.
func FileBase(name string) string {
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
