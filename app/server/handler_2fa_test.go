package server_test

import (
	"bytes"
	"encoding/base64"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aiwfe/aiwfe/app/server/servertest"
)

type totpSetup struct {
	Secret     string `json:"secret"`
	OTPAuthURI string `json:"otpauth_uri"`
	QRPNG      string `json:"qr_png"`
}

// enableTOTP sets TOTP up for the client's account and returns the secret
// and backup codes. The clock then moves on a step so the next code is new.
func enableTOTP(t *testing.T, srv *servertest.Server, c *servertest.Client) (string, []string) {
	t.Helper()
	res := c.Post("/api/v1/auth/2fa/totp/setup", nil)
	if res.Status != 200 {
		t.Fatalf("setup: %s", res)
	}
	var s totpSetup
	res.JSON(t, &s)
	res = c.Post("/api/v1/auth/2fa/totp/verify", map[string]string{"code": servertest.OATHTool(t, s.Secret, srv.Now())})
	if res.Status != 200 {
		t.Fatalf("verify: %s", res)
	}
	var b struct {
		BackupCodes []string `json:"backup_codes"`
	}
	res.JSON(t, &b)
	srv.Advance(30 * time.Second)
	return s.Secret, b.BackupCodes
}

type challengeResp struct {
	MFARequired bool     `json:"mfa_required"`
	MFAToken    string   `json:"mfa_token"`
	Methods     []string `json:"methods"`
	AccessToken string   `json:"access_token"`
}

// passwordStep logs in and expects a second-factor challenge.
func passwordStep(t *testing.T, c *servertest.Client, email string) challengeResp {
	t.Helper()
	res := c.Login(email, servertest.Password)
	if res.Status != 200 {
		t.Fatalf("login: %s", res)
	}
	var ch challengeResp
	res.JSON(t, &ch)
	if !ch.MFARequired || ch.MFAToken == "" || ch.AccessToken != "" {
		t.Fatalf("want a challenge: %s", res.Body)
	}
	for _, ck := range res.Header.Values("Set-Cookie") {
		if strings.HasPrefix(ck, "access_token=") || strings.HasPrefix(ck, "refresh_token=") {
			t.Fatalf("challenge set a session cookie: %s", ck)
		}
	}
	return ch
}

func answer(c *servertest.Client, token, method, code string, trust bool) *servertest.Response {
	body := map[string]any{"mfa_token": token, "method": method, "code": code}
	if trust {
		body["trust_device"] = true
	}
	return c.Post("/api/v1/auth/2fa/challenge", body)
}

func status2FA(t *testing.T, c *servertest.Client) map[string]any {
	t.Helper()
	res := c.Get("/api/v1/auth/2fa/status")
	if res.Status != 200 {
		t.Fatalf("status: %s", res)
	}
	return res.Map(t)
}

func TestTOTPSetupAndLogin(t *testing.T) {
	srv := servertest.Start(t)
	srv.Superuser(t)
	u := srv.User(t, "user")
	if st := status2FA(t, u); st["totp_enabled"] != false || len(st["methods"].([]any)) != 0 {
		t.Fatalf("fresh status: %v", st)
	}

	// Setup: secret, URI, QR code; nothing is on until a code confirms it.
	res := u.Post("/api/v1/auth/2fa/totp/setup", nil)
	if res.Status != 200 {
		t.Fatalf("setup: %s", res)
	}
	var setup totpSetup
	res.JSON(t, &setup)
	if !regexp.MustCompile(`^[A-Z2-7]{32}$`).MatchString(setup.Secret) {
		t.Fatalf("secret %q", setup.Secret)
	}
	if !strings.HasPrefix(setup.OTPAuthURI, "otpauth://totp/aiwfe:") || !strings.Contains(setup.OTPAuthURI, "secret="+setup.Secret) ||
		!strings.Contains(setup.OTPAuthURI, "period=30") || !strings.Contains(setup.OTPAuthURI, "digits=6") {
		t.Fatalf("uri %q", setup.OTPAuthURI)
	}
	png, err := base64.StdEncoding.DecodeString(setup.QRPNG)
	if err != nil || !bytes.HasPrefix(png, []byte("\x89PNG\r\n\x1a\n")) {
		t.Fatalf("qr_png is not a base64 PNG: %v", err)
	}
	if u.Login(u.Email, servertest.Password).Map(t)["access_token"] == nil {
		t.Fatal("pending TOTP already asks for a code")
	}
	u.MustLogin(u.Email, servertest.Password)

	for _, sc := range []servertest.Scenario{
		{Name: "wrong code", Method: "POST", Path: "/api/v1/auth/2fa/totp/verify", Request: servertest.Request{JSON: map[string]string{"code": "000000"}}, WantStatus: 400, WantField: "code"},
		{Name: "not digits", Method: "POST", Path: "/api/v1/auth/2fa/totp/verify", Request: servertest.Request{JSON: map[string]string{"code": "abc"}}, WantStatus: 400, WantField: "code"},
		{Name: "anonymous", Client: srv.Client(t), Method: "POST", Path: "/api/v1/auth/2fa/totp/setup", WantStatus: 401},
	} {
		sc.Run(t, u)
	}

	// oathtool's code turns it on and gives ten backup codes, once.
	enableCode := servertest.OATHTool(t, setup.Secret, srv.Now())
	res = u.Post("/api/v1/auth/2fa/totp/verify", map[string]string{"code": enableCode})
	if res.Status != 200 {
		t.Fatalf("verify: %s", res)
	}
	var bc struct {
		BackupCodes []string `json:"backup_codes"`
	}
	res.JSON(t, &bc)
	if len(bc.BackupCodes) != 10 {
		t.Fatalf("backup codes: %v", bc.BackupCodes)
	}
	for _, code := range bc.BackupCodes {
		if !regexp.MustCompile(`^[a-z2-7]{4}-[a-z2-7]{4}$`).MatchString(code) {
			t.Fatalf("backup code %q", code)
		}
	}
	st := status2FA(t, u)
	if st["totp_enabled"] != true || st["backup_codes_remaining"] != float64(10) || st["passkeys"] != float64(0) ||
		strings.Join(toStrings(st["methods"]), ",") != "totp,backup_code" {
		t.Fatalf("status: %v", st)
	}
	if res := u.Post("/api/v1/auth/2fa/totp/setup", nil); res.Status != 409 {
		t.Fatalf("second setup while on: %s", res)
	}

	// At rest: the secret is sealed, the backup codes hashed.
	var sealed string
	var hashes []string
	db := srv.App.Store.DB
	if err := db.QueryRow("SELECT totp_secret_enc FROM user_two_factor_auth").Scan(&sealed); err != nil {
		t.Fatal(err)
	}
	rows, _ := db.Query("SELECT code_hash FROM backup_codes")
	for rows.Next() {
		var h string
		rows.Scan(&h)
		hashes = append(hashes, h)
	}
	rows.Close()
	plain := strings.ReplaceAll(bc.BackupCodes[0], "-", "")
	if sealed == "" || strings.Contains(sealed, setup.Secret) || len(hashes) != 10 || strings.Contains(strings.Join(hashes, ","), plain) {
		t.Fatalf("secrets at rest: %q %v", sealed, hashes)
	}

	// Password alone now gets a challenge, not a session.
	c := srv.Client(t)
	ch := passwordStep(t, c, u.Email)
	if strings.Join(ch.Methods, ",") != "totp,backup_code" {
		t.Fatalf("methods %v", ch.Methods)
	}
	if res := c.Get("/api/v1/profile"); res.Status != 401 {
		t.Fatalf("profile after password only: %s", res)
	}
	// The code that turned TOTP on is spent.
	if res := answer(c, ch.MFAToken, "totp", enableCode, false); res.Status != 400 || !strings.Contains(string(res.Body), "already used") {
		t.Fatalf("enable code reused: %s", res)
	}
	// A code two steps old is refused.
	if res := answer(c, ch.MFAToken, "totp", servertest.OATHTool(t, setup.Secret, srv.Now().Add(-60*time.Second)), false); res.Status != 400 {
		t.Fatalf("code two steps old: %s", res)
	}
	srv.Advance(30 * time.Second)
	code := servertest.OATHTool(t, setup.Secret, srv.Now())
	res = answer(c, ch.MFAToken, "totp", code, false)
	if res.Status != 200 {
		t.Fatalf("challenge: %s", res)
	}
	m := res.Map(t)
	if m["access_token"] == nil || m["token_type"] != "bearer" || m["user"] == nil || c.Cookie("/", "access_token") == "" || c.Cookie("/api/v1/auth", "refresh_token") == "" {
		t.Fatalf("challenge did not answer like a login: %s", res.Body)
	}
	if res := c.Get("/api/v1/profile"); res.Status != 200 {
		t.Fatalf("profile after 2FA: %s", res)
	}
	// The MFA token is single-use.
	if res := answer(srv.Client(t), ch.MFAToken, "totp", code, false); res.Status != 401 {
		t.Fatalf("mfa token replayed: %s", res)
	}
	// The same code in another login (same step, within its window) is refused.
	c2 := srv.Client(t)
	ch2 := passwordStep(t, c2, u.Email)
	if res := answer(c2, ch2.MFAToken, "totp", code, false); res.Status != 400 || !strings.Contains(string(res.Body), "already used") {
		t.Fatalf("code replayed: %s", res)
	}
	// ... and an older one (the previous step's) after a newer one was used.
	if res := answer(c2, ch2.MFAToken, "totp", servertest.OATHTool(t, setup.Secret, srv.Now().Add(-30*time.Second)), false); res.Status != 400 {
		t.Fatalf("older code after newer: %s", res)
	}
	// A backup code works once; the count goes down and the use is audited.
	if res := answer(c2, ch2.MFAToken, "backup_code", strings.ToUpper(bc.BackupCodes[3]), false); res.Status != 200 {
		t.Fatalf("backup code: %s", res)
	}
	c3 := srv.Client(t)
	ch3 := passwordStep(t, c3, u.Email)
	if res := answer(c3, ch3.MFAToken, "backup_code", bc.BackupCodes[3], false); res.Status != 400 {
		t.Fatalf("backup code used twice: %s", res)
	}
	if st := status2FA(t, u); st["backup_codes_remaining"] != float64(9) {
		t.Fatalf("remaining: %v", st)
	}
	ev := u.Get("/api/v1/security/events?per_page=100")
	if !strings.Contains(string(ev.Body), `"type":"2fa_backup_code_used"`) || !strings.Contains(string(ev.Body), "9 remaining") ||
		!strings.Contains(string(ev.Body), `"reason":"bad_second_factor"`) || !strings.Contains(string(ev.Body), `"reason":"totp"`) {
		t.Fatalf("audit: %s", ev.Body)
	}

	// Regenerating backup codes needs a current factor.
	srv.Advance(30 * time.Second)
	if res := u.Post("/api/v1/auth/2fa/backup-codes", map[string]string{"password": servertest.Password, "code": "123456"}); res.Status != 400 {
		t.Fatalf("regenerate with a wrong code: %s", res)
	}
	res = u.Post("/api/v1/auth/2fa/backup-codes", map[string]string{"password": servertest.Password, "code": servertest.OATHTool(t, setup.Secret, srv.Now())})
	if res.Status != 200 {
		t.Fatalf("regenerate: %s", res)
	}
	var nb struct {
		BackupCodes []string `json:"backup_codes"`
	}
	res.JSON(t, &nb)
	if len(nb.BackupCodes) != 10 || nb.BackupCodes[0] == bc.BackupCodes[0] {
		t.Fatalf("new codes: %v", nb.BackupCodes)
	}
	if st := status2FA(t, u); st["backup_codes_remaining"] != float64(10) {
		t.Fatalf("remaining after regenerate: %v", st)
	}
	// A current code alone is enough to regenerate (no password needed).
	srv.Advance(30 * time.Second)
	if res := u.Post("/api/v1/auth/2fa/backup-codes", map[string]string{"code": servertest.OATHTool(t, setup.Secret, srv.Now())}); res.Status != 200 {
		t.Fatalf("regenerate with a code only: %s", res)
	}
	if res := u.Post("/api/v1/auth/2fa/backup-codes", map[string]string{"password": servertest.Password}); res.Status != 400 || res.ErrorField() != "code" {
		t.Fatalf("regenerate without a code: %s", res)
	}
	if res := u.Post("/api/v1/auth/2fa/totp/disable", map[string]string{"code": "123456"}); res.Status != 400 || res.ErrorField() != "password" {
		t.Fatalf("disable without the password: %s", res)
	}
	// Old codes are gone.
	c4 := srv.Client(t)
	ch4 := passwordStep(t, c4, u.Email)
	if res := answer(c4, ch4.MFAToken, "backup_code", bc.BackupCodes[5], false); res.Status != 400 {
		t.Fatalf("old backup code after regenerate: %s", res)
	}

	// Disabling needs the password and a code.
	srv.Advance(30 * time.Second)
	code = servertest.OATHTool(t, setup.Secret, srv.Now())
	if res := u.Post("/api/v1/auth/2fa/totp/disable", map[string]string{"password": "wrong password here", "code": code}); res.Status != 400 || res.ErrorField() != "password" {
		t.Fatalf("disable with a wrong password: %s", res)
	}
	if res := u.Post("/api/v1/auth/2fa/totp/disable", map[string]string{"password": servertest.Password, "code": code}); res.Status != 204 {
		t.Fatalf("disable: %s", res)
	}
	if st := status2FA(t, u); st["totp_enabled"] != false || st["backup_codes_remaining"] != float64(0) {
		t.Fatalf("status after disable: %v", st)
	}
	if srv.Client(t).Login(u.Email, servertest.Password).Map(t)["access_token"] == nil {
		t.Fatal("login still asks for a code after disable")
	}
}

func toStrings(v any) []string {
	var out []string
	for _, x := range v.([]any) {
		out = append(out, x.(string))
	}
	return out
}

func TestMFATokenRules(t *testing.T) {
	srv := servertest.Start(t)
	srv.Superuser(t)
	u := srv.User(t, "user")
	secret, _ := enableTOTP(t, srv, u)

	// Expired: five minutes.
	c := srv.Client(t)
	ch := passwordStep(t, c, u.Email)
	srv.Advance(5*time.Minute + 10*time.Second)
	if res := answer(c, ch.MFAToken, "totp", servertest.OATHTool(t, secret, srv.Now()), false); res.Status != 401 || !strings.Contains(string(res.Body), "expired") {
		t.Fatalf("expired token: %s", res)
	}

	// Bound to the device it was issued to.
	ch = passwordStep(t, c, u.Email)
	other := srv.Client(t)
	other.UserAgent = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Safari/604.1"
	if res := answer(other, ch.MFAToken, "totp", servertest.OATHTool(t, secret, srv.Now()), false); res.Status != 401 || !strings.Contains(string(res.Body), "another device") {
		t.Fatalf("token from another device: %s", res)
	}

	// Garbage and access tokens are no MFA tokens.
	access := srv.Client(t)
	tok := u.Cookie("/", "access_token")
	if res := answer(access, tok, "totp", "123456", false); res.Status != 401 {
		t.Fatalf("access token as mfa token: %s", res)
	}
	if res := answer(access, "not.a.token", "totp", "123456", false); res.Status != 401 {
		t.Fatalf("garbage token: %s", res)
	}
	for _, sc := range []servertest.Scenario{
		{Name: "no method", Method: "POST", Path: "/api/v1/auth/2fa/challenge", Request: servertest.Request{JSON: map[string]string{"mfa_token": ch.MFAToken, "code": "1"}}, WantStatus: 400, WantField: "method"},
		{Name: "sms", Method: "POST", Path: "/api/v1/auth/2fa/challenge", Request: servertest.Request{JSON: map[string]string{"mfa_token": ch.MFAToken, "method": "sms", "code": "1"}}, WantStatus: 400, WantField: "method"},
		{Name: "no token", Method: "POST", Path: "/api/v1/auth/2fa/challenge", Request: servertest.Request{JSON: map[string]string{"method": "totp", "code": "1"}}, WantStatus: 400, WantField: "mfa_token"},
		{Name: "webauthn without passkeys", Method: "POST", Path: "/api/v1/auth/2fa/challenge/webauthn/begin", Request: servertest.Request{JSON: map[string]string{"mfa_token": ch.MFAToken}}, WantStatus: 409},
	} {
		sc.Run(t, c)
	}

	// Five wrong codes void the token: even the right code is refused then.
	for i := 1; i <= 5; i++ {
		res := answer(c, ch.MFAToken, "totp", "000000", false)
		if i < 5 && res.Status != 400 {
			t.Fatalf("wrong code %d: %s", i, res)
		}
		if i == 5 && (res.Status != 401 || !strings.Contains(string(res.Body), "too many wrong codes")) {
			t.Fatalf("fifth wrong code: %s", res)
		}
	}
	if res := answer(c, ch.MFAToken, "totp", servertest.OATHTool(t, secret, srv.Now()), false); res.Status != 401 {
		t.Fatalf("voided token accepted: %s", res)
	}
	ev := u.Get("/api/v1/security/events?per_page=100")
	if !strings.Contains(string(ev.Body), `"type":"2fa_challenge_voided"`) || !strings.Contains(string(ev.Body), "challenge_from_other_device") {
		t.Fatalf("audit: %s", ev.Body)
	}
	// Wrong codes count against the account like wrong passwords.
	res := c.Login(u.Email, servertest.Password)
	if res.Status != http.StatusTooManyRequests {
		t.Fatalf("after five wrong codes the account should be locked for a while: %s", res)
	}
}

func TestTrustedDevice(t *testing.T) {
	srv := servertest.Start(t)
	srv.Superuser(t)
	u := srv.User(t, "user")
	secret, _ := enableTOTP(t, srv, u)

	c := srv.Client(t)
	ch := passwordStep(t, c, u.Email)
	if res := answer(c, ch.MFAToken, "totp", servertest.OATHTool(t, secret, srv.Now()), true); res.Status != 200 {
		t.Fatalf("challenge with trust: %s", res)
	}
	// The same browser now signs in with the password alone ...
	if res := c.Login(u.Email, servertest.Password); res.Map(t)["access_token"] == nil {
		t.Fatalf("trusted device still challenged: %s", res)
	}
	// ... another does not.
	other := srv.Client(t)
	other.UserAgent = "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_0) Firefox/130.0"
	passwordStep(t, other, u.Email)

	res := c.Get("/api/v1/devices")
	var ds struct {
		Items []struct {
			ID      int64 `json:"id"`
			Trusted bool  `json:"trusted"`
			Current bool  `json:"current"`
		} `json:"items"`
	}
	res.JSON(t, &ds)
	var cur int64
	for _, d := range ds.Items {
		if d.Current {
			cur = d.ID
			if !d.Trusted {
				t.Fatalf("current device not trusted: %s", res.Body)
			}
		}
	}
	// Revoking trust in /security brings the challenge back.
	if res := c.Patch("/api/v1/devices/"+strconv.FormatInt(cur, 10), map[string]bool{"trusted": false}); res.Status != 200 {
		t.Fatalf("untrust: %s", res)
	}
	passwordStep(t, c, u.Email)

	// Trust expires with auth.trusted_device_ttl (30 days).
	ch = passwordStep(t, c, u.Email)
	srv.Advance(30 * time.Second)
	if res := answer(c, ch.MFAToken, "totp", servertest.OATHTool(t, secret, srv.Now()), true); res.Status != 200 {
		t.Fatalf("challenge with trust: %s", res)
	}
	if res := c.Login(u.Email, servertest.Password); res.Map(t)["access_token"] == nil {
		t.Fatalf("trusted again: %s", res)
	}
	srv.Advance(31 * 24 * time.Hour)
	c.FetchCSRF() // the old token is older than an hour by the server's clock
	passwordStep(t, c, u.Email)
}

func TestAdminReset2FA(t *testing.T) {
	srv := servertest.Start(t)
	root := srv.Superuser(t)
	u := srv.User(t, "user")
	admin := srv.User(t, "admin")
	enableTOTP(t, srv, u)
	passwordStep(t, srv.Client(t), u.Email)
	id := userID(t, u)
	for _, sc := range []servertest.Scenario{
		{Name: "user may not", Client: u, Method: "POST", Path: "/api/v1/admin/users/" + id + "/reset-2fa", WantStatus: 403},
		{Name: "unknown user", Method: "POST", Path: "/api/v1/admin/users/999999/reset-2fa", WantStatus: 404},
		{Name: "admin may not reset the superuser", Client: admin, Method: "POST", Path: "/api/v1/admin/users/" + userID(t, root) + "/reset-2fa", WantStatus: 403},
		{Name: "not one's own", Method: "POST", Path: "/api/v1/admin/users/" + userID(t, root) + "/reset-2fa", WantStatus: 403},
		{Name: "reset", Method: "POST", Path: "/api/v1/admin/users/" + id + "/reset-2fa", WantStatus: 204},
	} {
		sc.Run(t, root)
	}
	if res := srv.Client(t).Login(u.Email, servertest.Password); res.Map(t)["access_token"] == nil {
		t.Fatalf("login after reset still challenged: %s", res)
	}
	if st := status2FA(t, u); st["totp_enabled"] != false || st["backup_codes_remaining"] != float64(0) {
		t.Fatalf("status after reset: %v", st)
	}
	if ev := root.Get("/api/v1/admin/audit?per_page=100"); !strings.Contains(string(ev.Body), `"type":"2fa_reset"`) {
		t.Fatalf("audit: %s", ev.Body)
	}
}

// One MFA token opens one session, even when two answers race.
func TestMFATokenRace(t *testing.T) {
	srv := servertest.Start(t)
	srv.Superuser(t)
	u := srv.User(t, "user")
	_, codes := enableTOTP(t, srv, u)
	for round := 0; round < 3; round++ {
		c := srv.Client(t)
		ch := passwordStep(t, c, u.Email)
		results := make(chan int, 2)
		for i := 0; i < 2; i++ {
			go func(code string) {
				results <- answer(c, ch.MFAToken, "backup_code", code, false).Status
			}(codes[round*2+i])
		}
		ok := 0
		for i := 0; i < 2; i++ {
			if <-results == 200 {
				ok++
			}
		}
		if ok != 1 {
			t.Fatalf("round %d: %d sessions from one MFA token", round, ok)
		}
	}
}
