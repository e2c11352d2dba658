// Command bench measures the appliance binary the way a person meets it:
// its size, cold start to the first 200 from /health on an empty data
// directory, idle memory after start, /health throughput with 64
// concurrent keep-alive clients (wrk when installed, else a Go generator),
// peak memory under a crowd of oversized request bodies, and how soon the
// memory of a burst of sign-ins (argon2id) is given back.
//
//	go run ./tools/bench -binary ./aiwfe
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aiwfe/aiwfe/tools/loadgen"
)

func main() {
	binary := flag.String("binary", "./aiwfe", "the aiwfe binary")
	starts := flag.Int("starts", 15, "cold starts to measure")
	seconds := flag.Int("seconds", 10, "duration of the throughput run")
	conns := flag.Int("c", 64, "concurrent keep-alive clients")
	only := flag.String("only", "", "run only this section: ingestion (while working on one figure)")
	flag.Parse()
	if *only == "ingestion" {
		ingestion(*binary)
		return
	}

	fi, err := os.Stat(*binary)
	must(err)
	fmt.Printf("binary size:        %.1f MB (%d bytes)\n", float64(fi.Size())/1e6, fi.Size())

	var times []time.Duration
	for i := 0; i < *starts; i++ {
		d, stop := start(*binary)
		times = append(times, d)
		stop()
	}
	sort.Slice(times, func(i, j int) bool { return times[i] < times[j] })
	fmt.Printf("cold start:         median %.1f ms, best %.1f ms, worst %.1f ms (%d starts, empty data dir, to first 200 from /health)\n",
		msf(times[len(times)/2]), msf(times[0]), msf(times[len(times)-1]), len(times))

	_, stop, pid, url := startKeep(*binary)
	time.Sleep(2 * time.Second)
	fmt.Printf("idle RSS:           %.1f MiB (2 s after start)\n", float64(rssKiB(pid))/1024)

	var rps float64
	var tool string
	if path, err := exec.LookPath("wrk"); err == nil {
		tool = "wrk"
		rps = runWrk(path, url+"/health", *conns, *seconds)
	} else {
		tool = "go"
		rps = runGo(url+"/health", *conns, *seconds)
	}
	fmt.Printf("GET /health:        %.0f req/s (%d keep-alive clients, %d s, %s)\n", rps, *conns, *seconds, tool)
	fmt.Printf("RSS after load:     %.1f MiB\n", float64(rssKiB(pid))/1024)
	stop()

	bigBodies(*binary)
	signInBurst(*binary)
	ingestion(*binary)
}

// ingestion: 400 text documents uploaded and indexed with the built-in
// embedder (no model server), then RSS at the peak and once idle.
func ingestion(binary string) {
	_, stop, pid, url := startKeep(binary)
	defer stop()
	c := loadgen.NewClient(url)
	const email, password = "docs@example.com", "correct horse battery staple"
	st, err := c.Post("/api/v1/auth/register", map[string]string{"email": email, "password": password})
	must(err)
	if st != 201 {
		panic(fmt.Sprintf("register: %d", st))
	}
	st, err = c.Post("/api/v1/auth/jwt/login", map[string]string{"email": email, "password": password})
	must(err)
	if st != 200 {
		panic(fmt.Sprintf("login: %d", st))
	}
	time.Sleep(2 * time.Second)
	idle, err := loadgen.ReadMemory(pid)
	must(err)
	const docs, perUpload = 400, 20
	words := strings.Fields("the appliance keeps every document on the box and answers from passages it can cite " +
		"sourdough starter humidity garden tomato schedule invoice river mountain kernel memory planet violin harbour")
	t0 := time.Now()
	for i := 0; i < docs; i += perUpload {
		files := map[string][]byte{}
		for j := i; j < i+perUpload; j++ {
			var b strings.Builder
			for p := 0; p < 12; p++ { // ~12 paragraphs, 3-4 chunks a document
				for w := 0; w < 60; w++ {
					b.WriteString(words[(j*7+p*13+w*5)%len(words)])
					b.WriteByte(' ')
				}
				fmt.Fprintf(&b, "document %d paragraph %d.\n\n", j, p)
			}
			files[fmt.Sprintf("doc-%03d.txt", j)] = []byte(b.String())
		}
		st, err := c.Upload("/api/v1/documents", files)
		must(err)
		if st != 202 {
			panic(fmt.Sprintf("upload: %d", st))
		}
	}
	for {
		var list struct {
			Total int `json:"total"`
		}
		_, err := c.GetJSON("/api/v1/documents?status=ready&per_page=1", &list)
		must(err)
		if list.Total == docs {
			break
		}
		if time.Since(t0) > 5*time.Minute {
			panic(fmt.Sprintf("%d of %d documents ready after 5 min", list.Total, docs))
		}
		time.Sleep(100 * time.Millisecond)
	}
	took := time.Since(t0)
	peak, err := loadgen.ReadMemory(pid)
	must(err)
	time.Sleep(10 * time.Second)
	after, err := loadgen.ReadMemory(pid)
	must(err)
	time.Sleep(30 * time.Second)
	idleAgain, err := loadgen.ReadMemory(pid)
	must(err)
	fmt.Printf("documents:          %d uploaded and indexed (built-in embedder) in %.1f s (%.0f/s); RSS %s idle before (anon %s), peak %s, %s 10 s after (anon %s), %s 40 s after\n",
		docs, took.Seconds(), float64(docs)/took.Seconds(), loadgen.MiB(idle.RSS), loadgen.MiB(idle.Anon), loadgen.MiB(peak.Peak),
		loadgen.MiB(after.RSS), loadgen.MiB(after.Anon), loadgen.MiB(idleAgain.RSS))
}

// bigBodies: 64 concurrent anonymous 31 MiB sign-in bodies with a
// Content-Length and 16 chunked ones, on a fresh server; its peak RSS.
func bigBodies(binary string) {
	_, stop, pid, url := startKeep(binary)
	defer stop()
	idle, err := loadgen.ReadMemory(pid)
	must(err)
	t0 := time.Now()
	withLength := loadgen.BigBodies(url, "/api/v1/auth/jwt/login", 64, 31<<20, false)
	chunked := loadgen.BigBodies(url, "/api/v1/auth/jwt/login", 16, 31<<20, true)
	m, err := loadgen.ReadMemory(pid)
	must(err)
	fmt.Printf("big bodies:         peak RSS %s (idle %s) under 64 × 31 MiB POST /api/v1/auth/jwt/login + 16 chunked, %.1f s; answers: %s / %s\n",
		loadgen.MiB(m.Peak), loadgen.MiB(idle.RSS), time.Since(t0).Seconds(), withLength, chunked)
}

// signInBurst: one account, then 20 concurrent sign-ins (argon2id,
// 19 MiB each); RSS right after, and when it is back under 30 MiB.
func signInBurst(binary string) {
	_, stop, pid, url := startKeep(binary)
	defer stop()
	const email, password = "bench@example.com", "correct horse battery staple"
	st, err := loadgen.NewClient(url).Post("/api/v1/auth/register", map[string]string{"email": email, "password": password})
	must(err)
	if st != 201 {
		panic(fmt.Sprintf("register: %d", st))
	}
	time.Sleep(2 * time.Second)
	idle, err := loadgen.ReadMemory(pid)
	must(err)
	if ok := loadgen.Logins(url, email, password, 20); ok != 20 {
		panic(fmt.Sprintf("%d of 20 sign-ins succeeded", ok))
	}
	done := time.Now()
	after, err := loadgen.ReadMemory(pid)
	must(err)
	back := "not within 10 s"
	var m loadgen.Memory
	for time.Since(done) < 10*time.Second {
		m, err = loadgen.ReadMemory(pid)
		must(err)
		if m.RSS < 30<<10 {
			back = fmt.Sprintf("after %.1f s", time.Since(done).Seconds())
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	fmt.Printf("20 sign-ins:        RSS %s idle (2 s after one registration), %s right after the burst (peak %s), back under 30 MiB %s (%s)\n",
		loadgen.MiB(idle.RSS), loadgen.MiB(after.RSS), loadgen.MiB(after.Peak), back, loadgen.MiB(m.RSS))
}

func msf(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func freePort() int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	must(err)
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func start(binary string) (time.Duration, func()) {
	d, stop, _, _ := startKeep(binary)
	return d, stop
}

// startKeep starts `aiwfe serve` on an empty data dir and polls /health
// until the first 200.
func startKeep(binary string) (time.Duration, func(), int, string) {
	dir, err := os.MkdirTemp("", "aiwfe-bench-")
	must(err)
	httpPort, httpsPort := freePort(), freePort()
	url := fmt.Sprintf("http://127.0.0.1:%d", httpPort)
	cmd := exec.Command(binary, "serve", "--data", filepath.Join(dir, "data"))
	cmd.Env = append(os.Environ(),
		fmt.Sprintf("AIWFE_SERVER_HTTP=127.0.0.1:%d", httpPort),
		fmt.Sprintf("AIWFE_SERVER_HTTPS=127.0.0.1:%d", httpsPort),
		"AIWFE_LOG_REQUESTS=false",
	)
	cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
	// BENCH_SERVER_LOG=file keeps the server's output (e.g. with
	// GODEBUG=gctrace=1) while looking into a figure.
	if f := os.Getenv("BENCH_SERVER_LOG"); f != "" {
		w, err := os.Create(f)
		must(err)
		cmd.Stdout, cmd.Stderr = w, w
	}
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: time.Second}
	t0 := time.Now()
	must(cmd.Start())
	for {
		res, err := client.Get(url + "/health")
		if err == nil {
			io.Copy(io.Discard, res.Body)
			res.Body.Close()
			if res.StatusCode == 200 {
				break
			}
		}
		if time.Since(t0) > 20*time.Second {
			panic("server did not come up")
		}
		time.Sleep(200 * time.Microsecond)
	}
	d := time.Since(t0)
	stop := func() {
		cmd.Process.Signal(os.Interrupt)
		cmd.Wait()
		os.RemoveAll(dir)
	}
	return d, stop, cmd.Process.Pid, url
}

func rssKiB(pid int) int {
	m, err := loadgen.ReadMemory(pid)
	must(err)
	return m.RSS
}

func runWrk(path, url string, conns, seconds int) float64 {
	out, err := exec.Command(path, "-t2", fmt.Sprintf("-c%d", conns), fmt.Sprintf("-d%ds", seconds), url).CombinedOutput()
	must(err)
	m := regexp.MustCompile(`Requests/sec:\s+([\d.]+)`).FindSubmatch(out)
	if m == nil {
		panic("wrk: " + string(out))
	}
	if strings.Contains(string(out), "Non-2xx") {
		panic("wrk saw errors: " + string(out))
	}
	v, _ := strconv.ParseFloat(string(m[1]), 64)
	return v
}

func runGo(url string, conns, seconds int) float64 {
	tr := &http.Transport{MaxIdleConnsPerHost: conns, MaxConnsPerHost: conns}
	client := &http.Client{Transport: tr}
	ctx, cancel := context.WithTimeout(context.Background(), time.Duration(seconds)*time.Second)
	defer cancel()
	var n, bad atomic.Int64
	var wg sync.WaitGroup
	for i := 0; i < conns; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				req, _ := http.NewRequestWithContext(ctx, "GET", url, nil)
				res, err := client.Do(req)
				if err != nil {
					continue
				}
				io.Copy(io.Discard, res.Body)
				res.Body.Close()
				if res.StatusCode == 200 {
					n.Add(1)
				} else {
					bad.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	if bad.Load() > 0 {
		panic(fmt.Sprintf("%d non-200 answers", bad.Load()))
	}
	return float64(n.Load()) / float64(seconds)
}

func must(err error) {
	if err != nil {
		panic(err)
	}
}
