package server_test

import (
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"strconv"
	"strings"
	"testing"
	"time"

	pkcs12 "software.sslmate.com/src/go-pkcs12"

	"github.com/aiwfe/aiwfe/app/server/servertest"
)

func TestAdminCertificates(t *testing.T) {
	srv := servertest.Start(t)
	root := srv.Superuser(t)
	admin := srv.User(t, "admin")
	user := srv.User(t, "user")
	uid, _ := strconv.ParseInt(userID(t, user), 10, 64)
	base := "/api/v1/admin/certificates"
	body := func(v map[string]any) servertest.Request { return servertest.Request{JSON: v} }

	// Issue one to revoke later; the secrets come back once.
	res := admin.Post(base, map[string]any{"name": "anna-phone", "days": 10, "user_id": uid})
	if res.Status != 201 || res.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("issue: %s %v", res, res.Header)
	}
	var issued struct {
		Serial     string `json:"serial"`
		UserEmail  string `json:"user_email"`
		NotAfter   time.Time
		CertPEM    string `json:"certificate_pem"`
		KeyPEM     string `json:"private_key_pem"`
		P12        string `json:"pkcs12"`
		P12Legacy  string `json:"pkcs12_legacy"`
		P12Pass    string `json:"pkcs12_password"`
		P12File    string `json:"pkcs12_filename"`
		LegacyFile string `json:"pkcs12_legacy_filename"`
	}
	res.JSON(t, &issued)
	if issued.Serial == "" || issued.UserEmail != user.Email || !strings.Contains(issued.KeyPEM, "PRIVATE KEY") ||
		issued.P12File != "anna-phone.p12" || issued.LegacyFile != "anna-phone-legacy.p12" {
		t.Fatalf("issued: %s", res.Body)
	}
	blk, _ := pem.Decode([]byte(issued.CertPEM))
	leaf, err := x509.ParseCertificate(blk.Bytes)
	if err != nil || leaf.Subject.CommonName != "anna-phone" {
		t.Fatalf("certificate PEM: %v", err)
	}
	if d := time.Until(leaf.NotAfter); d < 9*24*time.Hour || d > 11*24*time.Hour {
		t.Fatalf("not after %s, want 10 days", leaf.NotAfter)
	}
	for _, b64 := range []string{issued.P12, issued.P12Legacy} {
		raw, err := base64.StdEncoding.DecodeString(b64)
		if err != nil {
			t.Fatal(err)
		}
		if _, c, _, err := pkcs12.DecodeChain(raw, issued.P12Pass); err != nil || c.Subject.CommonName != "anna-phone" {
			t.Fatalf("PKCS#12 does not open with its password: %v", err)
		}
	}

	for _, sc := range []servertest.Scenario{
		// Who may come in.
		{Name: "anonymous gets 401", Client: srv.Client(t), Method: "GET", Path: base, WantStatus: 401},
		{Name: "user gets 403 (list)", Client: user, Method: "GET", Path: base, WantStatus: 403, WantCode: "forbidden"},
		{Name: "user gets 403 (issue)", Client: user, Method: "POST", Path: base, Request: body(map[string]any{"name": "x"}), WantStatus: 403},
		{Name: "user gets 403 (revoke)", Client: user, Method: "DELETE", Path: base + "/" + issued.Serial, WantStatus: 403},
		// Bad input names the field.
		{Name: "no name", Method: "POST", Path: base, Request: body(map[string]any{"days": 3}), WantStatus: 400, WantField: "name"},
		{Name: "blank name", Method: "POST", Path: base, Request: body(map[string]any{"name": "  "}), WantStatus: 400, WantField: "name"},
		{Name: "long name", Method: "POST", Path: base, Request: body(map[string]any{"name": strings.Repeat("a", 65)}), WantStatus: 400, WantField: "name"},
		{Name: "control character", Method: "POST", Path: base, Request: body(map[string]any{"name": "a\nb"}), WantStatus: 400, WantField: "name"},
		{Name: "negative days", Method: "POST", Path: base, Request: body(map[string]any{"name": "x", "days": -1}), WantStatus: 400, WantField: "days"},
		{Name: "too many days", Method: "POST", Path: base, Request: body(map[string]any{"name": "x", "days": 3651}), WantStatus: 400, WantField: "days"},
		{Name: "days not a number", Method: "POST", Path: base, Request: body(map[string]any{"name": "x", "days": "ten"}), WantStatus: 400, WantField: "days"},
		{Name: "unknown user", Method: "POST", Path: base, Request: body(map[string]any{"name": "x", "user_id": 9999}), WantStatus: 400, WantField: "user_id"},
		{Name: "unknown field", Method: "POST", Path: base, Request: body(map[string]any{"name": "x", "password": "p"}), WantStatus: 400, WantField: "password"},
		// A certificate for no account, default validity.
		{Name: "issue without user", Method: "POST", Path: base, Request: body(map[string]any{"name": "kiosk"}), WantStatus: 201,
			WantContains: []string{`"name":"kiosk"`, `"user_id":null`, `"pkcs12_password":"`}},
		// Listing never shows secrets.
		{Name: "list", Method: "GET", Path: base, WantStatus: 200,
			WantContains:    []string{`"total":2`, `"serial":"` + issued.Serial + `"`, `"user_email":"` + user.Email + `"`, `"revoked":false`},
			WantNotContains: []string{"PRIVATE KEY", "pkcs12"}},
		// Revocation.
		{Name: "revoke unknown", Method: "DELETE", Path: base + "/abcdef", WantStatus: 404},
		{Name: "revoke bad serial", Method: "DELETE", Path: base + "/not-hex", WantStatus: 404},
		{Name: "revoke", Method: "DELETE", Path: base + "/" + strings.ToUpper(issued.Serial), WantStatus: 204},
		{Name: "revoke again", Method: "DELETE", Path: base + "/" + issued.Serial, WantStatus: 204},
		{Name: "listed as revoked", Method: "GET", Path: base, WantStatus: 200, WantContains: []string{`"revoked":true`, `"revoked_at":"`}},
		// Audited, and the owner sees what happened to their certificate.
		{Name: "audit", Method: "GET", Path: "/api/v1/admin/audit?per_page=100", WantStatus: 200,
			WantContains: []string{`"type":"cert_issued"`, `"type":"cert_revoked"`, issued.Serial}},
		{Name: "owner's events", Client: user, Method: "GET", Path: "/api/v1/security/events", WantStatus: 200,
			WantContains: []string{`"type":"cert_issued"`, `"type":"cert_revoked"`}},
	} {
		sc.Run(t, admin)
	}
	// Revoked once: one cert_revoked event.
	var n int
	srv.App.Store.DB.QueryRow("SELECT COUNT(*) FROM security_events WHERE type = 'cert_revoked'").Scan(&n)
	if n != 1 {
		t.Fatalf("%d cert_revoked events, want 1", n)
	}
	_ = root
}
