package main

import (
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aiwfe/aiwfe/tools/loadgen"
)

// The real binary under the load of issue 9: 64 concurrent anonymous
// 31 MiB sign-in bodies (and 16 chunked ones, which announce no length).
// The server refuses them before buffering them, so its peak resident
// memory stays far below the 2 GB they add up to (it reached 885 MB when
// every body was read first).
func TestBigBodiesDoNotGrowMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("sends 2.5 GB over loopback")
	}
	p := startServe(t, filepath.Join(t.TempDir(), "data"), baseEnv())
	base := strings.Replace(p.urls["http"], "localhost", "127.0.0.1", 1)
	before, err := loadgen.ReadMemory(p.cmd.Process.Pid)
	if err != nil {
		t.Fatal(err)
	}
	withLength := loadgen.BigBodies(base, "/api/v1/auth/jwt/login", 64, 31<<20, false)
	chunked := loadgen.BigBodies(base, "/api/v1/auth/jwt/login", 16, 31<<20, true)
	after, err := loadgen.ReadMemory(p.cmd.Process.Pid)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("peak RSS %s (idle %s); with length: %s; chunked: %s", loadgen.MiB(after.Peak), loadgen.MiB(before.RSS), withLength, chunked)
	if after.Peak > 100<<10 {
		t.Fatalf("peak RSS %s under the big-body load, want under 100 MiB", loadgen.MiB(after.Peak))
	}
	for _, r := range []loadgen.BodyResult{withLength, chunked} {
		for st := range r.Status {
			if st != 413 {
				t.Fatalf("a big body was answered %d: %s", st, r)
			}
		}
		if r.Status[413] == 0 {
			t.Fatalf("no big body was answered 413: %s", r)
		}
	}
	if !pollHealth(t, &http.Client{Timeout: 5 * time.Second}, base, "degraded") {
		t.Fatal("the server does not answer after the load")
	}
}
