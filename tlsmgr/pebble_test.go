package tlsmgr

// Real ACME peers for the tests: Pebble v2.10.3 and pebble-challtestsrv,
// built once with `go install` into <repo>/.cache/pebble-v2.10.3 (git-ignored)
// and started once per test binary, on random loopback ports. Tests that
// need them call needPebble; under -short they are skipped.

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/libdns/libdns"
	"github.com/miekg/dns"
)

const pebbleVersion = "v2.10.3"

// testZone is the DNS zone our SOA server is authoritative for.
const testZone = "example.test."

type pebbleEnv struct {
	dir        string
	dirURL     string // ACME directory
	mgmtURL    string // pebble management API (https)
	caRootPath string // PEM of the CA that signed pebble's own HTTPS certificate
	client     *http.Client
	challMgmt  string // pebble-challtestsrv management API (http)
	challDNS   string // pebble-challtestsrv DNS server (udp)
	soaDNS     string // our SOA-answering DNS server (udp), forwarding the rest
	httpPort   int    // where pebble's VA connects for HTTP-01
	tlsPort    int    // where pebble's VA connects for TLS-ALPN-01
	procs      []*exec.Cmd
	dnsSrv     *dns.Server
	logs       []string
}

var (
	pebbleOnce sync.Once
	pebbleG    *pebbleEnv
	pebbleErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if pebbleG != nil {
		pebbleG.stop()
	}
	os.Exit(code)
}

func needPebble(t *testing.T) *pebbleEnv {
	t.Helper()
	if testing.Short() {
		t.Skip("ACME test against Pebble skipped under -short (without -short the first run builds pebble " + pebbleVersion + " into .cache/)")
	}
	pebbleOnce.Do(func() { pebbleG, pebbleErr = startPebble() })
	if pebbleErr != nil {
		t.Fatalf("starting pebble: %v", pebbleErr)
	}
	t.Cleanup(func() {
		if t.Failed() {
			for _, l := range pebbleG.logs {
				b, _ := os.ReadFile(l)
				if len(b) > 6000 {
					b = b[len(b)-6000:]
				}
				t.Logf("--- tail of %s:\n%s", l, b)
			}
		}
	})
	return pebbleG
}

// pebbleBinaries returns the paths of pebble and pebble-challtestsrv,
// building them with `go install` when missing.
func pebbleBinaries() (string, string, error) {
	bin := os.Getenv("AIWFE_PEBBLE_BIN")
	if bin == "" {
		root, err := repoRoot()
		if err != nil {
			return "", "", err
		}
		bin = filepath.Join(root, ".cache", "pebble-"+pebbleVersion)
	}
	pebble, chall := filepath.Join(bin, "pebble"), filepath.Join(bin, "pebble-challtestsrv")
	if fileExists(pebble) && fileExists(chall) {
		return pebble, chall, nil
	}
	goBin := filepath.Join(runtime.GOROOT(), "bin", "go")
	if p, err := exec.LookPath("go"); err == nil {
		goBin = p
	}
	cmd := exec.Command(goBin, "install",
		"github.com/letsencrypt/pebble/v2/cmd/pebble@"+pebbleVersion,
		"github.com/letsencrypt/pebble/v2/cmd/pebble-challtestsrv@"+pebbleVersion)
	cmd.Env = append(os.Environ(), "GOBIN="+bin, "GOFLAGS=-buildvcs=false", "CGO_ENABLED=0")
	cmd.Dir = os.TempDir()
	fmt.Fprintf(os.Stderr, "tlsmgr tests: building pebble %s into %s (one time)\n", pebbleVersion, bin)
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", "", fmt.Errorf("go install pebble %s: %v\n%s", pebbleVersion, err, out)
	}
	return pebble, chall, nil
}

func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for d := dir; ; d = filepath.Dir(d) {
		if fileExists(filepath.Join(d, "go.mod")) {
			return d, nil
		}
		if filepath.Dir(d) == d {
			return "", errors.New("go.mod not found above " + dir)
		}
	}
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

func freePortErr() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

func startPebble() (env *pebbleEnv, err error) {
	pebbleBin, challBin, err := pebbleBinaries()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "tlsmgr-pebble-")
	if err != nil {
		return nil, err
	}
	env = &pebbleEnv{dir: dir}
	defer func() {
		if err != nil {
			env.stop()
		}
	}()

	// Pebble's own HTTPS certificate, from a CA we generate (this is what
	// Config.CARoot has to trust).
	ca := makeCert(tb{}, nil, true, "tlsmgr test pebble CA", nil, nil, time.Now().Add(24*time.Hour))
	leaf := makeCert(tb{}, ca, false, "localhost", []string{"localhost"}, []net.IP{net.ParseIP("127.0.0.1")}, time.Now().Add(24*time.Hour))
	env.caRootPath = filepath.Join(dir, "ca.pem")
	for p, data := range map[string][]byte{env.caRootPath: ca.certPEM, filepath.Join(dir, "cert.pem"): leaf.certPEM, filepath.Join(dir, "key.pem"): leaf.keyPEM} {
		if err := os.WriteFile(p, data, 0o600); err != nil {
			return env, err
		}
	}
	pool := x509.NewCertPool()
	pool.AddCert(ca.cert)
	env.client = &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}

	ports := make([]int, 6)
	for i := range ports {
		if ports[i], err = freePortErr(); err != nil {
			return env, err
		}
	}
	pebblePort, mgmtPort, challDNSPort, challMgmtPort := ports[0], ports[1], ports[2], ports[3]
	env.httpPort, env.tlsPort = ports[4], ports[5]
	env.dirURL = fmt.Sprintf("https://127.0.0.1:%d/dir", pebblePort)
	env.mgmtURL = fmt.Sprintf("https://127.0.0.1:%d", mgmtPort)
	env.challDNS = fmt.Sprintf("127.0.0.1:%d", challDNSPort)
	env.challMgmt = fmt.Sprintf("http://127.0.0.1:%d", challMgmtPort)

	// pebble-challtestsrv: only DNS (answers A with 127.0.0.1, TXT as set)
	// and its management API
	if err := env.spawn("challtestsrv", challBin, nil,
		"-http01", "", "-https01", "", "-tlsalpn01", "", "-doh", "",
		"-dnsserver", env.challDNS, "-management", fmt.Sprintf("127.0.0.1:%d", challMgmtPort),
		"-defaultIPv4", "127.0.0.1", "-defaultIPv6", ""); err != nil {
		return env, err
	}

	conf := map[string]any{"pebble": map[string]any{
		"listenAddress":                  fmt.Sprintf("127.0.0.1:%d", pebblePort),
		"managementListenAddress":        fmt.Sprintf("127.0.0.1:%d", mgmtPort),
		"certificate":                    filepath.Join(dir, "cert.pem"),
		"privateKey":                     filepath.Join(dir, "key.pem"),
		"httpPort":                       env.httpPort,
		"tlsPort":                        env.tlsPort,
		"ocspResponderURL":               "",
		"externalAccountBindingRequired": false,
		"retryAfter":                     map[string]int{"authz": 0, "order": 0},
		"keyAlgorithm":                   "ecdsa",
		"profiles": map[string]any{
			"default": map[string]any{"description": "90 days", "validityPeriod": 7776000},
			"tiny":    map[string]any{"description": "seconds, for renewal tests", "validityPeriod": 10},
		},
	}}
	cj, _ := json.MarshalIndent(conf, "", "  ")
	confPath := filepath.Join(dir, "pebble-config.json")
	if err := os.WriteFile(confPath, cj, 0o600); err != nil {
		return env, err
	}
	if err := env.spawn("pebble", pebbleBin, []string{"PEBBLE_VA_NOSLEEP=1", "PEBBLE_WFE_NONCEREJECT=0", "PEBBLE_AUTHZREUSE=0"},
		"-config", confPath, "-dnsserver", env.challDNS); err != nil {
		return env, err
	}

	// our DNS server: SOA for the test zone (challtestsrv answers SOA with
	// NOTIMP, which breaks certmagic's zone lookup), the rest forwarded
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		return env, err
	}
	env.soaDNS = pc.LocalAddr().String()
	env.dnsSrv = &dns.Server{PacketConn: pc, Handler: dns.HandlerFunc(env.serveDNS)}
	go env.dnsSrv.ActivateAndServe()

	// wait for both
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := env.client.Get(env.dirURL)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				if r2, err := http.Get(env.challMgmt + "/dns-request-history?host=x"); err == nil {
					r2.Body.Close()
					break
				}
			}
		}
		if time.Now().After(deadline) {
			return env, fmt.Errorf("pebble did not come up at %s: %v (logs in %s)", env.dirURL, err, dir)
		}
		time.Sleep(50 * time.Millisecond)
	}
	return env, nil
}

func (e *pebbleEnv) spawn(name, bin string, extraEnv []string, args ...string) error {
	logPath := filepath.Join(e.dir, name+".log")
	f, err := os.Create(logPath)
	if err != nil {
		return err
	}
	cmd := exec.Command(bin, args...)
	cmd.Dir = e.dir
	cmd.Env = append(os.Environ(), extraEnv...)
	cmd.Stdout, cmd.Stderr = f, f
	if err := cmd.Start(); err != nil {
		f.Close()
		return fmt.Errorf("starting %s: %w", name, err)
	}
	go func() { cmd.Wait(); f.Close() }()
	e.procs = append(e.procs, cmd)
	e.logs = append(e.logs, logPath)
	return nil
}

func (e *pebbleEnv) stop() {
	for _, p := range e.procs {
		if p.Process != nil {
			p.Process.Kill()
		}
	}
	if e.dnsSrv != nil {
		e.dnsSrv.Shutdown()
	}
	time.Sleep(50 * time.Millisecond)
	os.RemoveAll(e.dir)
}

func (e *pebbleEnv) serveDNS(w dns.ResponseWriter, r *dns.Msg) {
	if len(r.Question) == 1 && r.Question[0].Qtype == dns.TypeSOA && dns.IsSubDomain(testZone, dns.CanonicalName(r.Question[0].Name)) {
		m := new(dns.Msg)
		m.SetReply(r)
		m.Authoritative = true
		soa := &dns.SOA{
			Hdr:     dns.RR_Header{Name: testZone, Rrtype: dns.TypeSOA, Class: dns.ClassINET, Ttl: 60},
			Ns:      "ns." + testZone,
			Mbox:    "hostmaster." + testZone,
			Serial:  1,
			Refresh: 60, Retry: 60, Expire: 60, Minttl: 60,
		}
		if dns.CanonicalName(r.Question[0].Name) == testZone {
			m.Answer = []dns.RR{soa}
		} else {
			m.Ns = []dns.RR{soa}
		}
		w.WriteMsg(m)
		return
	}
	c := &dns.Client{Net: "udp", Timeout: 3 * time.Second}
	resp, _, err := c.Exchange(r, e.challDNS)
	if err != nil {
		m := new(dns.Msg)
		m.SetRcode(r, dns.RcodeServerFailure)
		w.WriteMsg(m)
		return
	}
	w.WriteMsg(resp)
}

// issuingRoots returns the pool of pebble's current root(s) that sign
// issued certificates (they change at every pebble start).
func (e *pebbleEnv) issuingRoots(t *testing.T) *x509.CertPool {
	t.Helper()
	resp, err := e.client.Get(e.mgmtURL + "/roots/0")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(b) {
		t.Fatalf("no root from pebble: %s", b)
	}
	return pool
}

func (e *pebbleEnv) challPost(ctx context.Context, path string, body any) error {
	b, _ := json.Marshal(body)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, e.challMgmt+path, bytes.NewReader(b))
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		return fmt.Errorf("challtestsrv %s: HTTP %d", path, resp.StatusCode)
	}
	return nil
}

// challDNSProvider is a libdns provider that writes TXT records into
// pebble-challtestsrv.
type challDNSProvider struct {
	env     *pebbleEnv
	mu      sync.Mutex
	present map[string]int // host -> number of appends
	cleared map[string]int
}

func (p *challDNSProvider) AppendRecords(ctx context.Context, zone string, recs []libdns.Record) ([]libdns.Record, error) {
	var out []libdns.Record
	for _, rec := range recs {
		rr := rec.RR()
		if rr.Type != "TXT" {
			return nil, fmt.Errorf("unexpected record type %s", rr.Type)
		}
		host := libdns.AbsoluteName(rr.Name, zone)
		if err := p.env.challPost(ctx, "/set-txt", map[string]string{"host": host, "value": rr.Data}); err != nil {
			return nil, err
		}
		p.mu.Lock()
		if p.present == nil {
			p.present = map[string]int{}
		}
		p.present[host]++
		p.mu.Unlock()
		out = append(out, libdns.TXT{Name: rr.Name, TTL: rr.TTL, Text: rr.Data})
	}
	return out, nil
}

func (p *challDNSProvider) DeleteRecords(ctx context.Context, zone string, recs []libdns.Record) ([]libdns.Record, error) {
	for _, rec := range recs {
		host := libdns.AbsoluteName(rec.RR().Name, zone)
		if err := p.env.challPost(ctx, "/clear-txt", map[string]string{"host": host}); err != nil {
			return nil, err
		}
		p.mu.Lock()
		if p.cleared == nil {
			p.cleared = map[string]int{}
		}
		p.cleared[host]++
		p.mu.Unlock()
	}
	return recs, nil
}

func (p *challDNSProvider) counts(host string) (int, int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.present[host], p.cleared[host]
}

// tb is a minimal testing.TB for helpers used outside a test (TestMain).
type tb struct{ testing.TB }

func (tb) Helper()                           {}
func (tb) Fatal(args ...any)                 { panic(fmt.Sprint(args...)) }
func (tb) Fatalf(format string, args ...any) { panic(fmt.Sprintf(format, args...)) }
