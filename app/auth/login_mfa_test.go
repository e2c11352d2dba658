package auth

import (
	"context"
	"testing"

	"github.com/aiwfe/aiwfe/app/apperr"
	"github.com/aiwfe/aiwfe/store"
)

// fakeFactors requires a code of everyone whose email starts with "mfa".
type fakeFactors struct{}

func (fakeFactors) Methods(_ context.Context, u *store.User, _ *store.Device) ([]string, error) {
	if len(u.Email) > 3 && u.Email[:3] == "mfa" {
		return []string{"totp", "backup_code"}, nil
	}
	return nil, nil
}

func (fakeFactors) Verify(_ context.Context, _ *store.User, method, response string) error {
	if method == "totp" && response == "123456" {
		return nil
	}
	return apperr.Invalid("code", "wrong code")
}

var _ SecondFactors = fakeFactors{}

// The login state machine stops at the second-factor step when the
// provider asks for one and resumes from the MFA token.
func TestLoginSecondFactorStep(t *testing.T) {
	s, _ := newService(t)
	s.SetSecondFactors(fakeFactors{})
	ctx := context.Background()
	c := Client{IP: "10.0.0.2", UserAgent: "test"}
	const pw = "correct horse battery"
	s.Register(ctx, "root@example.com", pw, c)
	s.CreateUser(ctx, "mfa@example.com", pw, "user")

	// No factor: tokens at once.
	r, err := s.Login(ctx, "root@example.com", pw, c)
	if err != nil || r.Session == nil || r.Challenge != nil {
		t.Fatalf("plain login: %+v %v", r, err)
	}
	// A factor: a challenge, no session.
	r, err = s.Login(ctx, "mfa@example.com", pw, c)
	if err != nil || r.Session != nil || r.Challenge == nil || !r.Challenge.MFARequired || len(r.Challenge.Methods) != 2 {
		t.Fatalf("mfa login: %+v %v", r, err)
	}
	tok := r.Challenge.MFAToken
	// The MFA token is no access token.
	if _, err := s.ValidateAccess(ctx, tok); err == nil {
		t.Fatal("MFA token accepted as an access token")
	}
	if _, err := s.CompleteSecondFactor(ctx, SecondFactorInput{MFAToken: tok, Method: "totp", Response: "000000", Client: c}); code(err) != "validation_failed" {
		t.Fatalf("wrong code: %v", err)
	}
	sess, err := s.CompleteSecondFactor(ctx, SecondFactorInput{MFAToken: tok, Method: "totp", Response: "123456", TrustDevice: true, Client: c})
	if err != nil || sess.AccessToken == "" {
		t.Fatalf("complete: %v", err)
	}
	if p, err := s.ValidateAccess(ctx, sess.AccessToken); err != nil || p.Email != "mfa@example.com" {
		t.Fatalf("access token after MFA: %v", err)
	}
	// The device is trusted now.
	p, _ := s.ValidateAccess(ctx, sess.AccessToken)
	d, err := store.DeviceByID(ctx, s.store.DB, p.UserID, p.DeviceID)
	if err != nil || !s.DeviceTrusted(d) {
		t.Fatalf("device not trusted after trust_device: %+v %v", d, err)
	}
	// One use only.
	if _, err := s.CompleteSecondFactor(ctx, SecondFactorInput{MFAToken: tok, Method: "totp", Response: "123456", Client: c}); code(err) != "unauthorized" {
		t.Fatalf("MFA token reused: %v", err)
	}
	// Access tokens are not MFA tokens.
	if _, err := s.CompleteSecondFactor(ctx, SecondFactorInput{MFAToken: sess.AccessToken, Method: "totp", Response: "123456", Client: c}); code(err) != "unauthorized" {
		t.Fatalf("access token used as MFA token: %v", err)
	}
}

func TestNoSecondFactorsByDefault(t *testing.T) {
	s, _ := newService(t)
	if m, err := s.secondFactorRequired(context.Background(), &store.User{}, &store.Device{}); m != nil || err != nil {
		t.Fatalf("default provider asks for %v", m)
	}
}
