// Package auth is credentials, sessions and second factors: registration,
// password login as a small state machine (with a slot for second
// factors), JWT access tokens, rotating refresh tokens with reuse
// detection, revocation served from the cache, devices, TOTP, backup codes
// and passkeys (MFA), the security audit, CSRF tokens, and the command
// line's account creation and password reset. The profile and the admin
// of accounts are app/users'; data export and deletion app/datarights'.
// It takes plain Go values and knows nothing of HTTP.
package auth

import (
	"context"
	"crypto/rand"
	"log/slog"
	"runtime"
	"sync"
	"time"

	"github.com/aiwfe/aiwfe/app/apperr"
	"github.com/aiwfe/aiwfe/app/config"
	"github.com/aiwfe/aiwfe/app/memtrim"
	"github.com/aiwfe/aiwfe/store"
)

// Deps are what the service needs; app.Open fills them in.
type Deps struct {
	Config *config.Config
	Store  *store.Store
	Cache  store.Cache
	Log    *slog.Logger
	// Secrets: JWT signs access tokens, CSRF signs CSRF tokens, Encryption
	// encrypts values at rest.
	JWTSecret     []byte
	CSRFSecret    []byte
	EncryptionKey []byte
	// Now is the clock (tests move it).
	Now func() time.Time
}

// Service is the accounts and sessions service.
type Service struct {
	cfg    config.Auth
	llm    config.LLM
	store  *store.Store
	cache  store.Cache
	log    *slog.Logger
	now    func() time.Time
	jwtKey []byte
	csrf   []byte
	box    *SecretBox
	params Argon2Params

	// factors decides whether a login needs a second step; the 2FA work
	// installs its own with SetSecondFactors.
	factors SecondFactors
	// onForget runs with forgetUser (see OnForgetUser).
	onForget []func(id int64)
	logins   *loginLimiter
	// davLogins counts Basic-auth sign-ins on /dav (apppasswords.go):
	// the login limiter's rules, its own counters.
	davLogins *loginLimiter
	// appKey keys the app passwords' hash.
	appKey []byte
	api    *apiLimiter
	// retention keeps the security audit bounded.
	retention eventRetention
	// dummyHash is verified against for unknown emails so they cost the
	// same as known ones: one argon2 run with the configured parameters,
	// inside the concurrency gate.
	dummyOnce sync.Once
	dummyHash string
	// argonSlots bounds concurrent argon2 computations: each holds
	// argon2_memory_kib of RAM, and a burst of logins must not exhaust a
	// small machine's memory.
	argonSlots chan struct{}
	// argonMem returns the hashes' memory to the OS after a burst.
	argonMem memtrim.Burst
}

// hash and verify run argon2id within the concurrency bound.
func (s *Service) hash(ctx context.Context, pw string) (string, error) {
	if err := s.argonSlot(ctx); err != nil {
		return "", err
	}
	defer s.argonRelease()
	return HashPassword(pw, s.params)
}

func (s *Service) verify(ctx context.Context, pw, phc string) (bool, error) {
	if err := s.argonSlot(ctx); err != nil {
		return false, err
	}
	defer s.argonRelease()
	return VerifyPassword(pw, phc)
}

func (s *Service) argonSlot(ctx context.Context) error {
	select {
	case s.argonSlots <- struct{}{}:
		s.argonMem.Start()
		return nil
	case <-ctx.Done():
		return apperr.Unavailable("the server is busy; try again", ctx.Err())
	}
}

func (s *Service) argonRelease() {
	<-s.argonSlots
	s.argonMem.Done()
}

// dummy is a well-formed hash with the configured parameters and a random
// key. It is not computed with argon2: hashing it on the first unknown
// email would make that attempt cost two runs (one outside the gate), and
// verifying against a random key costs exactly one and never matches.
func (s *Service) dummy() string {
	s.dummyOnce.Do(func() {
		salt, key := make([]byte, 16), make([]byte, 32)
		rand.Read(salt)
		rand.Read(key)
		s.dummyHash = phcString(s.params, salt, key)
	})
	return s.dummyHash
}

// New builds the service.
func New(d Deps) (*Service, error) {
	now := d.Now
	if now == nil {
		now = time.Now
	}
	box, err := NewSecretBox(d.EncryptionKey)
	if err != nil {
		return nil, err
	}
	s := &Service{
		cfg:     d.Config.Auth,
		llm:     d.Config.LLM,
		store:   d.Store,
		cache:   d.Cache,
		log:     d.Log,
		now:     now,
		jwtKey:  d.JWTSecret,
		csrf:    d.CSRFSecret,
		box:     box,
		factors: noSecondFactors{},
		params: Argon2Params{
			MemoryKiB:   uint32(d.Config.Auth.Argon2MemoryKiB),
			Iterations:  uint32(d.Config.Auth.Argon2Iterations),
			Parallelism: uint8(d.Config.Auth.Argon2Parallelism),
		},
	}
	s.argonSlots = make(chan struct{}, max(2, runtime.GOMAXPROCS(0)))
	// Each hash takes argon2_memory_kib (19 MiB by default): give a burst's
	// pages back a second after its last hash.
	s.argonMem.After = time.Second
	s.logins = newLoginLimiter(d.Config.Auth, now)
	s.davLogins = newLoginLimiter(d.Config.Auth, now)
	s.appKey = appPasswordKey(d.EncryptionKey)
	s.api = newAPILimiter(d.Config.Auth.APIRequestsPerMin, now)
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	return s, nil
}

// SecretBox is the service's at-rest encryption (API keys, TOTP secrets).
func (s *Service) SecretBox() *SecretBox { return s.box }

// SetSecondFactors installs the provider that decides and verifies second
// factors at login.
func (s *Service) SetSecondFactors(f SecondFactors) { s.factors = f }

// Prune deletes expired revocations and refresh tokens and applies the
// audit's retention; run it now and then.
func (s *Service) Prune(ctx context.Context) error {
	if err := store.PruneSessions(ctx, s.store.DB, s.now()); err != nil {
		return err
	}
	return s.PruneEvents(ctx)
}

// RunMaintenance prunes expired sessions every interval until ctx ends;
// `aiwfe serve` runs it in the background.
func (s *Service) RunMaintenance(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if err := s.Prune(ctx); err != nil && ctx.Err() == nil {
			s.log.Warn("pruning expired sessions and old security events", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Client describes where a request comes from, for devices and the audit.
type Client struct {
	IP        string
	UserAgent string
	// Client hints: Sec-CH-UA, Sec-CH-UA-Platform, Sec-CH-UA-Mobile.
	HintUA       string
	HintPlatform string
	HintMobile   string
}
