package server_test

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aiwfe/aiwfe/app/auth"
	"github.com/aiwfe/aiwfe/app/config"
	"github.com/aiwfe/aiwfe/app/server/servertest"
)

// BenchmarkProfileGET measures authenticated GET /api/v1/profile through
// the real server on loopback with 64 concurrent keep-alive clients. The
// token check (signature, user status, session and jti revocation) is
// served from the cache. It also times one argon2id password check with
// the default cost (19 MiB, t=2, p=1), which is what a login costs.
//
//	go test ./app/server -run '^$' -bench BenchmarkProfileGET -benchtime 200000x
func BenchmarkProfileGET(b *testing.B) {
	const clients = 64
	srv := servertest.Start(b, func(c *config.Config) {
		c.Auth.APIRequestsPerMin = 1 << 30 // measure the server, not the limiter
	})
	u := srv.Superuser(b)
	token := u.Cookie("/", "access_token")
	tr := &http.Transport{MaxIdleConns: clients, MaxIdleConnsPerHost: clients, MaxConnsPerHost: clients, DisableCompression: true}
	defer tr.CloseIdleConnections()
	hc := &http.Client{Transport: tr}
	req := func() error {
		r, _ := http.NewRequest("GET", srv.URL+"/api/v1/profile", nil)
		r.Header.Set("Authorization", "Bearer "+token)
		res, err := hc.Do(r)
		if err != nil {
			return err
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		if res.StatusCode != 200 {
			return fmt.Errorf("status %d", res.StatusCode)
		}
		return nil
	}
	for i := 0; i < clients; i++ { // warm connections and the cache
		if err := req(); err != nil {
			b.Fatal(err)
		}
	}
	hits0 := srv.App.Cache.Stats()
	var next atomic.Int64
	var failed atomic.Value
	b.ResetTimer()
	start := time.Now()
	var wg sync.WaitGroup
	for i := 0; i < clients; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Add(1) <= int64(b.N) {
				if err := req(); err != nil {
					failed.Store(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	if err, _ := failed.Load().(error); err != nil {
		b.Fatal(err)
	}
	rps := float64(b.N) / elapsed.Seconds()
	b.ReportMetric(rps, "req/s")
	st := srv.App.Cache.Stats()
	missPerReq := float64(st.Misses-hits0.Misses) / float64(b.N)

	prm := auth.Argon2Params{MemoryKiB: 19 * 1024, Iterations: 2, Parallelism: 1}
	hash, _ := auth.HashPassword("a password for timing", prm)
	const rounds = 5
	t0 := time.Now()
	for i := 0; i < rounds; i++ {
		auth.VerifyPassword("a password for timing", hash)
	}
	argon := time.Since(t0) / rounds
	b.ReportMetric(float64(argon.Microseconds())/1000, "argon2-ms")
	if b.N < 1000 { // the framework's calibration round: too short to report
		return
	}
	fmt.Fprintf(os.Stdout, "BENCH profile GET: %d requests, %d clients, %.0f req/s (cache misses per request %.3f) | argon2id login (19 MiB, t=2, p=1): %.1f ms\n",
		b.N, clients, rps, missPerReq, float64(argon.Microseconds())/1000)
}
