// Command bench measures the appliance binary the way a person meets it:
// its size, cold start to the first 200 from /health on an empty data
// directory, idle memory after start, and /health throughput with 64
// concurrent keep-alive clients (wrk when installed, else a Go generator).
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
)

func main() {
	binary := flag.String("binary", "./aiwfe", "the aiwfe binary")
	starts := flag.Int("starts", 15, "cold starts to measure")
	seconds := flag.Int("seconds", 10, "duration of the throughput run")
	conns := flag.Int("c", 64, "concurrent keep-alive clients")
	flag.Parse()

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
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	must(err)
	m := regexp.MustCompile(`VmRSS:\s+(\d+) kB`).FindSubmatch(raw)
	n, _ := strconv.Atoi(string(m[1]))
	return n
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
