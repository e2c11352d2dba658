package server_test

import (
	"strings"
	"testing"

	"github.com/aiwfe/aiwfe/app/config"
	"github.com/aiwfe/aiwfe/app/server/servertest"
)

func reg(email, password string) servertest.Request {
	return servertest.Request{JSON: map[string]string{"email": email, "password": password}}
}

func TestRegister(t *testing.T) {
	srv := servertest.Start(t) // registration = approval (the default)
	c := srv.Client(t)
	const P = servertest.Password
	for _, sc := range []servertest.Scenario{
		{Name: "first account is an active superuser", Method: "POST", Path: "/api/v1/auth/register", Request: reg("  First@Example.COM ", P),
			WantStatus: 201, WantContains: []string{`"status":"active"`, `"role":"superuser"`, `"email":"first@example.com"`}, WantNotContains: []string{"password"}},
		{Name: "second waits for approval", Method: "POST", Path: "/api/v1/auth/register", Request: reg("second@example.com", P),
			WantStatus: 201, WantContains: []string{`"status":"pending"`, `"role":"user"`}},
		{Name: "duplicate email any case", Method: "POST", Path: "/api/v1/auth/register", Request: reg("FIRST@example.com", P), WantStatus: 409, WantCode: "conflict"},
		{Name: "short password", Method: "POST", Path: "/api/v1/auth/register", Request: reg("a@example.com", "short1"), WantStatus: 400, WantField: "password"},
		{Name: "common password", Method: "POST", Path: "/api/v1/auth/register", Request: reg("a@example.com", "Password123"), WantStatus: 400, WantField: "password", WantContains: []string{"common"}},
		{Name: "common password qwertyuiop", Method: "POST", Path: "/api/v1/auth/register", Request: reg("a@example.com", "QWERTYUIOP"), WantStatus: 400, WantField: "password"},
		{Name: "common password digits", Method: "POST", Path: "/api/v1/auth/register", Request: reg("a@example.com", "1234567890"), WantStatus: 400, WantField: "password"},
		{Name: "password too long", Method: "POST", Path: "/api/v1/auth/register", Request: reg("a@example.com", strings.Repeat("x", 1025)), WantStatus: 400, WantField: "password"},
		{Name: "bad email", Method: "POST", Path: "/api/v1/auth/register", Request: reg("not-an-email", P), WantStatus: 400, WantField: "email"},
		{Name: "email with display name", Method: "POST", Path: "/api/v1/auth/register", Request: reg("Eve <eve@example.com>", P), WantStatus: 400, WantField: "email"},
		{Name: "sql-looking email", Method: "POST", Path: "/api/v1/auth/register", Request: reg("' OR 1=1 --", P), WantStatus: 400, WantField: "email"},
		{Name: "unknown field", Method: "POST", Path: "/api/v1/auth/register", Request: servertest.Request{JSON: map[string]any{"email": "x@example.com", "password": P, "role": "superuser"}}, WantStatus: 400, WantField: "role"},
		{Name: "wrong type", Method: "POST", Path: "/api/v1/auth/register", Request: servertest.Request{JSON: map[string]any{"email": 5, "password": P}}, WantStatus: 400, WantField: "email"},
		{Name: "not JSON", Method: "POST", Path: "/api/v1/auth/register", Request: servertest.Request{JSON: "{nope"}, WantStatus: 400},
		{Name: "oversized body", Method: "POST", Path: "/api/v1/auth/register", Request: reg("big@example.com", strings.Repeat("x", 1<<20)), WantStatus: 413},
	} {
		sc.Run(t, c)
	}
	// The pending account cannot sign in yet.
	servertest.Scenario{Name: "pending cannot log in", Method: "POST", Path: "/api/v1/auth/jwt/login",
		Request: reg("second@example.com", P), WantStatus: 403, WantCode: "account_pending"}.Run(t, c)
}

func TestRegistrationPolicies(t *testing.T) {
	for _, tc := range []struct {
		policy     string
		wantStatus int
		want       string
	}{
		{"open", 201, `"status":"active"`},
		{"approval", 201, `"status":"pending"`},
		{"closed", 403, `"registration_closed"`},
	} {
		t.Run(tc.policy, func(t *testing.T) {
			srv := servertest.Start(t, func(c *config.Config) { c.Auth.Registration = tc.policy })
			c := srv.Client(t)
			// The first account is allowed whatever the policy.
			c.Register("owner@example.com", servertest.Password)
			servertest.Scenario{Name: "second", Method: "POST", Path: "/api/v1/auth/register", Request: reg("next@example.com", servertest.Password),
				WantStatus: tc.wantStatus, WantContains: []string{tc.want}}.Run(t, c)
		})
	}
}
