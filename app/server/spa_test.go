package server_test

import (
	"testing"

	"github.com/aiwfe/aiwfe/app/server/servertest"
)

// Deep links and unknown pages load the app (it shows its own "page not
// found"); a missing file of the build is a real 404, never the app page
// served as a script.
func TestSPAFallback(t *testing.T) {
	srv := servertest.Start(t)
	for _, sc := range []servertest.Scenario{
		{Name: "deep link", Method: "GET", Path: "/security", WantStatus: 200, WantContains: []string{"<title>aiwfe</title>"},
			WantHeaders: map[string]string{"Content-Type": "text/html", "Cache-Control": "no-cache"}},
		{Name: "unknown page", Method: "GET", Path: "/no/such/page", WantStatus: 200, WantContains: []string{"<title>aiwfe</title>"}},
		{Name: "missing chunk", Method: "GET", Path: "/_app/immutable/chunks/gone.js", WantStatus: 404, WantCode: "not_found",
			WantNotContains: []string{"<title>"}},
		{Name: "missing version file", Method: "GET", Path: "/_app/version.json", WantStatus: 404, WantCode: "not_found"},
	} {
		sc.Run(t, srv.Client(t))
	}
}
