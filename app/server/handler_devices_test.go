package server_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/aiwfe/aiwfe/app/server/servertest"
)

type deviceList struct {
	Items []struct {
		ID        int64  `json:"id"`
		Name      string `json:"name"`
		Trusted   bool   `json:"trusted"`
		Current   bool   `json:"current"`
		LastIP    string `json:"last_ip"`
		FirstSeen string `json:"first_seen"`
		LastSeen  string `json:"last_seen"`
	} `json:"items"`
}

func TestDevices(t *testing.T) {
	srv := servertest.Start(t)
	u := srv.Superuser(t) // Chrome on Linux
	phone := srv.Client(t)
	phone.UserAgent = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1"
	phone.MustLogin("root@example.com", servertest.Password)
	// The same browser again is the same device.
	again := srv.Client(t)
	again.MustLogin("root@example.com", servertest.Password)

	var list deviceList
	res := u.Get("/api/v1/devices")
	res.JSON(t, &list)
	if len(list.Items) != 2 {
		t.Fatalf("%d devices, want 2: %s", len(list.Items), res)
	}
	var laptop, iphone int64
	for _, d := range list.Items {
		switch d.Name {
		case "Chrome on Linux":
			laptop = d.ID
			if !d.Current || d.LastIP != "127.0.0.1" || d.FirstSeen == "" || d.LastSeen == "" {
				t.Errorf("laptop: %+v", d)
			}
		case "Safari on iOS":
			iphone = d.ID
			if d.Current {
				t.Errorf("phone marked current: %+v", d)
			}
		default:
			t.Errorf("unexpected device name %q", d.Name)
		}
	}
	// New devices are audited, and the user reads that in their security
	// events. No notification row is written: nothing can read one until
	// the notification centre exists, so it would only pile up unseen.
	var events, notes int
	srv.App.Store.DB.QueryRow("SELECT COUNT(*) FROM security_events WHERE type = 'new_device'").Scan(&events)
	srv.App.Store.DB.QueryRow("SELECT COUNT(*) FROM notifications").Scan(&notes)
	if events != 2 || notes != 0 {
		t.Errorf("%d new-device events (want 2), %d notifications (want 0)", events, notes)
	}
	if res := u.Get("/api/v1/security/events"); !strings.Contains(string(res.Body), `"new_device"`) {
		t.Errorf("the new device is not in the user's security events: %s", res)
	}

	other := srv.User(t, "user")
	p := func(id int64) string { return fmt.Sprintf("/api/v1/devices/%d", id) }
	for _, sc := range []servertest.Scenario{
		{Name: "rename", Method: "PATCH", Path: p(iphone), Request: put(map[string]any{"name": "My phone"}), WantStatus: 200, WantContains: []string{`"name":"My phone"`}},
		{Name: "sql-looking name is just a name", Method: "PATCH", Path: p(laptop), Request: put(map[string]any{"name": "' OR 1=1 --"}), WantStatus: 200, WantContains: []string{`"name":"' OR 1=1 --"`}},
		{Name: "empty name", Method: "PATCH", Path: p(iphone), Request: put(map[string]any{"name": "  "}), WantStatus: 400, WantField: "name"},
		{Name: "long name", Method: "PATCH", Path: p(iphone), Request: put(map[string]any{"name": strings.Repeat("x", 101)}), WantStatus: 400, WantField: "name"},
		{Name: "trust", Method: "PATCH", Path: p(iphone), Request: put(map[string]any{"trusted": true}), WantStatus: 200, WantContains: []string{`"trusted":true`}},
		{Name: "untrust", Method: "PATCH", Path: p(iphone), Request: put(map[string]any{"trusted": false}), WantStatus: 200, WantContains: []string{`"trusted":false`}},
		{Name: "unknown field", Method: "PATCH", Path: p(iphone), Request: put(map[string]any{"owner": 2}), WantStatus: 400, WantField: "owner"},
		{Name: "bad id", Method: "PATCH", Path: "/api/v1/devices/abc", Request: put(map[string]any{"name": "x"}), WantStatus: 404},
		{Name: "another user's device (patch)", Client: other, Method: "PATCH", Path: p(iphone), Request: put(map[string]any{"name": "mine now"}), WantStatus: 404},
		{Name: "another user's device (delete)", Client: other, Method: "DELETE", Path: p(iphone), WantStatus: 404},
		{Name: "revoke the phone", Method: "DELETE", Path: p(iphone), WantStatus: 204},
		{Name: "phone's session is gone", Client: phone, Method: "GET", Path: "/api/v1/auth/validate", WantStatus: 401},
		{Name: "phone cannot refresh", Client: phone, Method: "POST", Path: "/api/v1/auth/refresh", WantStatus: 401},
		{Name: "this session lives", Method: "GET", Path: "/api/v1/auth/validate", WantStatus: 200},
		{Name: "gone from the list", Method: "GET", Path: "/api/v1/devices", WantStatus: 200, WantNotContains: []string{"My phone"}},
		{Name: "revoked twice", Method: "DELETE", Path: p(iphone), WantStatus: 404},
		{Name: "audited", Method: "GET", Path: "/api/v1/security/events?per_page=50", WantStatus: 200,
			WantContains: []string{`"type":"new_device"`, `"type":"device_rename"`, `"type":"device_trust"`, `"type":"device_revoke"`}},
	} {
		sc.Run(t, u)
	}
}

func TestDeviceClientHints(t *testing.T) {
	srv := servertest.Start(t)
	u := srv.Superuser(t)
	h := srv.Client(t)
	// Same user agent, different client hints: another device.
	res := h.Do("POST", "/api/v1/auth/jwt/login", servertest.Request{JSON: map[string]string{"email": "root@example.com", "password": servertest.Password},
		Headers: map[string]string{"Sec-CH-UA-Platform": `"Windows"`, "Sec-CH-UA-Mobile": "?0", "Sec-CH-UA": `"Chromium";v="131"`}})
	if res.Status != 200 {
		t.Fatal(res)
	}
	var list deviceList
	u.Get("/api/v1/devices").JSON(t, &list)
	if len(list.Items) != 2 {
		t.Fatalf("%d devices, want 2", len(list.Items))
	}
	names := list.Items[0].Name + "|" + list.Items[1].Name
	if !strings.Contains(names, "Chrome on Windows") {
		t.Errorf("names %q: the platform hint should name the OS", names)
	}
}
