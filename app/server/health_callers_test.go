package server_test

import (
	"net"
	"strings"
	"testing"

	"github.com/aiwfe/aiwfe/app/config"
	"github.com/aiwfe/aiwfe/app/server/servertest"
)

// lanAddress is a non-loopback IPv4 address of this machine, or "" when it
// has none.
func lanAddress() string {
	addrs, _ := net.InterfaceAddrs()
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && n.IP.To4() != nil && !n.IP.IsLoopback() && !n.IP.IsLinkLocalUnicast() {
			return n.IP.String()
		}
	}
	return ""
}

// /health tells the public only whether the appliance is up: its version,
// certificate names, cache counts and the model server's internal URL and
// connection error help an attacker and nobody else. Admins and callers on
// the machine itself (loopback, not through a proxy) get the details.
func TestHealthDetailsByCaller(t *testing.T) {
	for _, where := range []string{"loopback", "lan"} {
		t.Run(where, func(t *testing.T) {
			lan := lanAddress()
			if where == "lan" && lan == "" {
				t.Skip("this machine has no non-loopback address; the forwarded cases stand in for remote callers")
			}
			srv := servertest.Start(t, func(cfg *config.Config) {
				// A model server that is down: its URL and error are
				// exactly what must not leak.
				cfg.LLM.Provider = "ollama"
				cfg.LLM.BaseURL = "http://127.0.0.1:9"
				if where == "lan" {
					cfg.Server.HTTP = net.JoinHostPort(lan, "0")
				}
			})
			local := where == "loopback"
			admin, user, anon := srv.Superuser(t), srv.User(t, "user"), srv.Client(t)
			bearerAdmin := srv.Client(t)
			bearerAdmin.Bearer = admin.Cookie("/", "access_token")
			forwarded := map[string]string{"X-Forwarded-For": "203.0.113.9"}
			for _, tc := range []struct {
				name    string
				c       *servertest.Client
				headers map[string]string
				details bool
			}{
				{"anonymous", anon, nil, local},
				{"anonymous through a proxy", anon, forwarded, false},
				{"signed-in user", user, nil, local},
				{"signed-in user through a proxy", user, forwarded, false},
				{"admin by cookie", admin, nil, true},
				{"admin by cookie through a proxy", admin, forwarded, true},
				{"admin by bearer through a proxy", bearerAdmin, forwarded, true},
				{"bad token through a proxy", &servertest.Client{T: t, Base: anon.Base, HTTP: anon.HTTP, Bearer: "not.a.token"}, forwarded, false},
			} {
				for _, path := range []string{"/health", "/api/v1/health"} {
					tc.c.T = t
					res := tc.c.Do("GET", path, servertest.Request{Headers: tc.headers})
					if res.Status != 200 {
						t.Fatalf("%s %s: %s", tc.name, path, res)
					}
					m := res.Map(t)
					if m["status"] == nil {
						t.Errorf("%s %s: no status: %s", tc.name, path, res.Body)
					}
					body := string(res.Body)
					leaks := []string{`"version"`, `"checks"`, `"uptime_seconds"`, "127.0.0.1:9", `"cache"`, `"provider"`}
					if tc.details {
						for _, want := range []string{`"version"`, `"checks"`, `"database"`, `"ollama"`} {
							if !strings.Contains(body, want) {
								t.Errorf("%s %s: details lack %s: %s", tc.name, path, want, body)
							}
						}
						continue
					}
					if len(m) != 1 {
						t.Errorf("%s %s: want the status only, got %s", tc.name, path, body)
					}
					for _, l := range leaks {
						if strings.Contains(body, l) {
							t.Errorf("%s %s: public answer shows %s: %s", tc.name, path, l, body)
						}
					}
				}
			}
		})
	}
}
