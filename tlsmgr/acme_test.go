package tlsmgr

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/adaptor"
	"github.com/libdns/libdns"
)

var nameSeq atomic.Int32

// uniqueName returns a fresh name under the test zone: certmagic keeps
// process-wide state per name (renewal backoff, job names, challenges), so
// names are never reused, not even with -count=N.
func uniqueName(label string) string {
	return fmt.Sprintf("%s-%d.example.test", label, nameSeq.Add(1))
}

// acmeTestConfig is a Config for pebble with fresh storage.
func acmeTestConfig(t *testing.T, env *pebbleEnv, mode string, domains ...string) Config {
	return Config{
		Mode:        mode,
		Domains:     domains,
		Email:       "admin+" + strings.ReplaceAll(t.Name(), "/", "-") + "@example.test",
		CA:          env.dirURL,
		CARoot:      env.caRootPath,
		Dir:         filepath.Join(t.TempDir(), "tls"),
		HTTPPort:    env.httpPort,
		TLSPort:     env.tlsPort,
		acmeProfile: "default",
	}
}

// managerSlot lets listeners exist before the Manager does (a challenge
// may arrive as soon as New returns).
type managerSlot struct {
	p     atomic.Pointer[Manager]
	ready chan struct{}
	once  sync.Once
}

func newSlot() *managerSlot { return &managerSlot{ready: make(chan struct{})} }

func (s *managerSlot) set(m *Manager) { s.p.Store(m); s.once.Do(func() { close(s.ready) }) }

func (s *managerSlot) get() *Manager {
	select {
	case <-s.ready:
	case <-time.After(5 * time.Second):
	}
	return s.p.Load()
}

// tlsFor is a listener config that defers to the Manager's TLSConfig.
func (s *managerSlot) tlsFor() *tls.Config {
	return &tls.Config{GetConfigForClient: func(*tls.ClientHelloInfo) (*tls.Config, error) {
		m := s.get()
		if m == nil {
			return nil, fmt.Errorf("no manager")
		}
		return m.TLSConfig(), nil
	}}
}

func statusFor(m *Manager, name string) CertStatus {
	for _, st := range m.Status() {
		if slices.Contains(st.Names, name) {
			return st
		}
	}
	return CertStatus{}
}

func waitIssued(t *testing.T, m *Manager, name string, timeout time.Duration) CertStatus {
	t.Helper()
	var st CertStatus
	waitFor(t, timeout, "certificate for "+name, func() bool {
		st = statusFor(m, name)
		return !st.NotAfter.IsZero()
	})
	return st
}

// checkServed handshakes with addr for sni and verifies the chain against
// pebble's issuing root; it returns the leaf.
func checkServed(t *testing.T, env *pebbleEnv, addr, sni, wantSAN string) *x509.Certificate {
	t.Helper()
	cs, err := dialTLS(addr, &tls.Config{RootCAs: env.issuingRoots(t), ServerName: sni})
	if err != nil {
		t.Fatalf("handshake for %s: %v", sni, err)
	}
	leaf := cs.PeerCertificates[0]
	if !slices.Contains(leaf.DNSNames, wantSAN) {
		t.Errorf("served SANs %v, want %s", leaf.DNSNames, wantSAN)
	}
	return leaf
}

func TestACMEHTTP01(t *testing.T) {
	env := needPebble(t)
	name := uniqueName("http01")
	slot := newSlot()
	var hits atomic.Int32
	ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", env.httpPort))
	if err != nil {
		t.Fatal(err)
	}
	// the HTTP listener as the appliance runs it: fiber, with the
	// challenge route converted to net/http by fiber's adaptor
	app := fiber.New(fiber.Config{DisableStartupMessage: true})
	app.Get("/.well-known/acme-challenge/*", adaptor.HTTPHandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if m := slot.get(); m != nil && m.HandleHTTPChallenge(w, r) {
			hits.Add(1)
			return
		}
		http.NotFound(w, r)
	}))
	go app.Listener(ln)
	t.Cleanup(func() { app.Shutdown() })

	cfg := acmeTestConfig(t, env, "acme", name)
	cfg.disableTLSALPN = true
	start := time.Now()
	m := newManager(t, cfg)
	slot.set(m)
	if d := time.Since(start); d > time.Second {
		t.Errorf("New blocked for %v", d)
	}
	st := waitIssued(t, m, name, 30*time.Second)
	t.Logf("issued in %v: %+v", time.Since(start), st)
	if st.Mode != "acme" || st.Error != "" || !strings.Contains(st.Issuer, "Pebble") || time.Until(st.NotAfter) < 80*24*time.Hour {
		t.Errorf("Status = %+v", st)
	}
	if hits.Load() == 0 {
		t.Error("HandleHTTPChallenge never answered a challenge")
	}
	addr, _ := serveTLS(t, "", m.TLSConfig())
	checkServed(t, env, addr, name, name)
	// a name we do not manage gets the self-signed fallback
	cs, err := dialTLS(addr, &tls.Config{InsecureSkipVerify: true, ServerName: "localhost"})
	if err != nil || !slices.Equal(cs.PeerCertificates[0].Subject.Organization, []string{"aiwfe self-signed"}) {
		t.Errorf("fallback: %v %v", err, cs.PeerCertificates[0].Subject)
	}
	// not a challenge
	rec := httptest.NewRecorder()
	if m.HandleHTTPChallenge(rec, httptest.NewRequest("GET", "/api/x", nil)) {
		t.Error("handled a non-challenge request")
	}

	// restart: the certificate comes from storage, no new order
	m.Close()
	m2 := newManager(t, cfg)
	st2 := waitIssued(t, m2, name, 10*time.Second)
	if !st2.NotAfter.Equal(st.NotAfter) {
		t.Errorf("restart obtained a new certificate: %v -> %v", st.NotAfter, st2.NotAfter)
	}
}

func TestACMETLSALPN01(t *testing.T) {
	env := needPebble(t)
	name := uniqueName("alpn")
	slot := newSlot()
	addr, _ := serveTLS(t, fmt.Sprintf("127.0.0.1:%d", env.tlsPort), slot.tlsFor())
	cfg := acmeTestConfig(t, env, "acme", name)
	cfg.disableHTTP01 = true
	m := newManager(t, cfg)
	slot.set(m)
	if !slices.Contains(m.TLSConfig().NextProtos, "acme-tls/1") {
		t.Errorf("NextProtos = %v", m.TLSConfig().NextProtos)
	}
	waitIssued(t, m, name, 30*time.Second)
	checkServed(t, env, addr, name, name)
}

func TestACMEDNS01(t *testing.T) {
	env := needPebble(t)
	prov := &challDNSProvider{env: env}
	name, wildBase := uniqueName("dns01"), uniqueName("wild")
	cfg := acmeTestConfig(t, env, "acme-dns", name, "*."+wildBase)
	cfg.DNSProvider = prov
	cfg.dnsResolvers = []string{env.soaDNS}
	cfg.dnsPropagationTimeout = -1
	m := newManager(t, cfg)
	waitIssued(t, m, name, 30*time.Second)
	wst := waitIssued(t, m, "*."+wildBase, 30*time.Second)
	if wst.Mode != "acme-dns" || wst.Error != "" {
		t.Errorf("Status = %+v", wst)
	}
	addr, _ := serveTLS(t, "", m.TLSConfig())
	checkServed(t, env, addr, name, name)
	checkServed(t, env, addr, "anything."+wildBase, "*."+wildBase)
	for _, host := range []string{"_acme-challenge." + name + ".", "_acme-challenge." + wildBase + "."} {
		waitFor(t, 5*time.Second, "TXT cleanup of "+host, func() bool {
			set, cleared := prov.counts(host)
			return set > 0 && cleared > 0
		})
	}
	if slices.Contains(m.TLSConfig().NextProtos, "acme-tls/1") {
		t.Error("acme-dns offers acme-tls/1")
	}
}

// cloudflareStandIn imitates the parts of Cloudflare's v4 API that
// libdns/cloudflare uses, and writes the TXT records into challtestsrv so
// pebble can validate them.
type cloudflareStandIn struct {
	env   *pebbleEnv
	token string

	mu      sync.Mutex
	calls   []string // "METHOD path?query"
	badAuth int
	records map[string]cfRec
	nextID  int
	posted  []cfRec // record bodies as sent
}

type cfRec struct {
	ID      string `json:"id"`
	Type    string `json:"type"`
	Name    string `json:"name"`
	Content string `json:"content"`
	TTL     int    `json:"ttl,omitempty"`
	ZoneID  string `json:"zone_id"`
}

func (s *cloudflareStandIn) reply(w http.ResponseWriter, code int, result any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	body := map[string]any{"success": code < 400, "errors": []any{}, "messages": []any{}, "result": result}
	if code >= 400 {
		body["errors"] = []any{map[string]any{"code": 10000, "message": "Authentication error"}}
	}
	json.NewEncoder(w).Encode(body)
}

func (s *cloudflareStandIn) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	path := strings.TrimPrefix(r.URL.Path, "/client/v4")
	s.mu.Lock()
	s.calls = append(s.calls, r.Method+" "+path+"?"+r.URL.RawQuery)
	if r.Header.Get("Authorization") != "Bearer "+s.token {
		s.badAuth++
		s.mu.Unlock()
		s.reply(w, 403, nil)
		return
	}
	s.mu.Unlock()
	const zoneID = "zone-1"
	zoneName := strings.TrimSuffix(testZone, ".")
	switch {
	case r.Method == "GET" && path == "/zones":
		if strings.TrimSuffix(r.URL.Query().Get("name"), ".") == zoneName {
			s.reply(w, 200, []map[string]string{{"id": zoneID, "name": zoneName}})
		} else {
			s.reply(w, 200, []any{})
		}
	case r.Method == "POST" && path == "/zones/"+zoneID+"/dns_records":
		var rec cfRec
		if err := json.NewDecoder(r.Body).Decode(&rec); err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		s.mu.Lock()
		s.posted = append(s.posted, rec)
		s.mu.Unlock()
		fqdn := strings.TrimSuffix(rec.Name, ".")
		if fqdn != zoneName && !strings.HasSuffix(fqdn, "."+zoneName) {
			fqdn += "." + zoneName
		}
		value := rec.Content
		if u, err := strconv.Unquote(value); err == nil {
			value = u
		}
		if err := s.env.challPost(r.Context(), "/set-txt", map[string]string{"host": fqdn + ".", "value": value}); err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		s.mu.Lock()
		s.nextID++
		rec.ID, rec.Name, rec.ZoneID = fmt.Sprintf("rec-%d", s.nextID), fqdn, zoneID
		s.records[rec.ID] = rec
		s.mu.Unlock()
		s.reply(w, 200, rec)
	case r.Method == "GET" && path == "/zones/"+zoneID+"/dns_records":
		q := r.URL.Query()
		var out []cfRec
		s.mu.Lock()
		for _, rec := range s.records {
			if rec.Type == q.Get("type") && rec.Name == strings.TrimSuffix(q.Get("name"), ".") && strings.Contains(rec.Content, q.Get("content.contains")) {
				out = append(out, rec)
			}
		}
		s.mu.Unlock()
		s.reply(w, 200, out)
	case r.Method == "DELETE" && strings.HasPrefix(path, "/zones/"+zoneID+"/dns_records/"):
		id := strings.TrimPrefix(path, "/zones/"+zoneID+"/dns_records/")
		s.mu.Lock()
		rec, ok := s.records[id]
		delete(s.records, id)
		s.mu.Unlock()
		if !ok {
			http.Error(w, "no such record", 404)
			return
		}
		s.env.challPost(r.Context(), "/clear-txt", map[string]string{"host": rec.Name + "."})
		s.reply(w, 200, map[string]string{"id": id})
	default:
		http.Error(w, "unexpected "+r.Method+" "+path, 404)
	}
}

func (s *cloudflareStandIn) callList() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string{}, s.calls...)
}

// rewriteClient sends libdns/cloudflare's requests (to the constant
// https://api.cloudflare.com) to the stand-in on loopback.
type rewriteClient struct{ target *url.URL }

func (c rewriteClient) Do(req *http.Request) (*http.Response, error) {
	req.URL.Scheme, req.URL.Host, req.Host = c.target.Scheme, c.target.Host, ""
	return http.DefaultClient.Do(req)
}

// TestACMECloudflare runs the whole acme-dns path with the real
// libdns/cloudflare provider: Config.CloudflareAPIToken must reach the
// (stand-in) Cloudflare API as a Bearer token, the zone and record calls
// must arrive, and pebble validates the TXT record they created.
func TestACMECloudflare(t *testing.T) {
	env := needPebble(t)
	standIn := &cloudflareStandIn{env: env, token: "cf-test-token-4711", records: map[string]cfRec{}}
	ts := httptest.NewServer(standIn)
	t.Cleanup(ts.Close)
	u, _ := url.Parse(ts.URL)

	name := uniqueName("cf")
	cfg := acmeTestConfig(t, env, "acme-dns", name)
	cfg.CloudflareAPIToken = standIn.token
	cfg.cloudflareHTTPClient = rewriteClient{target: u}
	cfg.dnsResolvers = []string{env.soaDNS}
	cfg.dnsPropagationTimeout = -1
	m := newManager(t, cfg)
	waitIssued(t, m, name, 30*time.Second)
	addr, _ := serveTLS(t, "", m.TLSConfig())
	checkServed(t, env, addr, name, name)

	waitFor(t, 5*time.Second, "record deletion", func() bool {
		return slices.ContainsFunc(standIn.callList(), func(c string) bool { return strings.HasPrefix(c, "DELETE ") })
	})
	calls := standIn.callList()
	t.Logf("cloudflare calls: %q", calls)
	for _, want := range []string{
		"GET /zones?name=example.test.",
		"POST /zones/zone-1/dns_records?",
		"GET /zones/zone-1/dns_records?content.contains=",
		"DELETE /zones/zone-1/dns_records/rec-1?",
	} {
		if !slices.ContainsFunc(calls, func(c string) bool { return strings.HasPrefix(c, want) }) {
			t.Errorf("no call %q in %q", want, calls)
		}
	}
	if !slices.ContainsFunc(calls, func(c string) bool {
		return strings.Contains(c, "name=_acme-challenge."+name+"&type=TXT")
	}) {
		t.Errorf("no record lookup by name in %q", calls)
	}
	if standIn.badAuth != 0 {
		t.Errorf("%d calls without the Bearer token", standIn.badAuth)
	}
	standIn.mu.Lock()
	posted := standIn.posted
	standIn.mu.Unlock()
	label := strings.TrimSuffix(name, ".example.test")
	if len(posted) != 1 || posted[0].Type != "TXT" || posted[0].Name != "_acme-challenge."+label || !strings.HasPrefix(posted[0].Content, `"`) {
		t.Errorf("posted records %+v", posted)
	}
}

// TestCloudflareProviderToken checks the seam alone: a wrong token is
// refused by the stand-in and surfaces as an error.
func TestCloudflareProviderToken(t *testing.T) {
	standIn := &cloudflareStandIn{token: "right", records: map[string]cfRec{}}
	ts := httptest.NewServer(standIn)
	defer ts.Close()
	u, _ := url.Parse(ts.URL)
	p := newCloudflareProvider("wrong", rewriteClient{target: u})
	_, err := p.AppendRecords(context.Background(), testZone, []libdns.Record{libdns.TXT{Name: "_acme-challenge.x", Text: "v"}})
	if err == nil || !strings.Contains(err.Error(), "403") {
		t.Errorf("AppendRecords with a wrong token: %v", err)
	}
	if standIn.badAuth != 1 {
		t.Errorf("badAuth = %d", standIn.badAuth)
	}
}

// TestACMEUnreachableCA: New does not wait for the CA; the self-signed
// fallback is served and the failure shows in Status.
func TestACMEUnreachableCA(t *testing.T) {
	if testing.Short() {
		t.Skip("uses the ACME client; skipped under -short")
	}
	port := freePort(t)
	down := uniqueName("down")
	cfg := Config{
		Mode:     "acme",
		Domains:  []string{down},
		CA:       fmt.Sprintf("https://127.0.0.1:%d/dir", port),
		Dir:      t.TempDir(),
		HTTPPort: -1,
		TLSPort:  freePort(t),
	}
	start := time.Now()
	m := newManager(t, cfg)
	if d := time.Since(start); d > time.Second {
		t.Errorf("New blocked for %v", d)
	}
	addr, _ := serveTLS(t, "", m.TLSConfig())
	cs, err := dialTLS(addr, &tls.Config{InsecureSkipVerify: true, ServerName: down})
	if err != nil {
		t.Fatal(err)
	}
	if o := cs.PeerCertificates[0].Subject.Organization; len(o) == 0 || o[0] != "aiwfe self-signed" {
		t.Errorf("served %v, want the self-signed fallback", cs.PeerCertificates[0].Subject)
	}
	if st := statusFor(m, down); st.Error == "" || !st.NotAfter.IsZero() {
		t.Errorf("Status before the first attempt = %+v", st)
	}
	waitFor(t, 20*time.Second, "obtain failure in Status", func() bool {
		return strings.Contains(statusFor(m, down).Error, "obtaining certificate failed")
	})
	t.Logf("status: %+v", statusFor(m, down))
}

// flakyProxy forwards TCP to target until broken.
type flakyProxy struct {
	ln     net.Listener
	target string
	broken atomic.Bool
	mu     sync.Mutex
	conns  map[net.Conn]bool
}

func newFlakyProxy(t *testing.T, target string) *flakyProxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &flakyProxy{ln: ln, target: target, conns: map[net.Conn]bool{}}
	t.Cleanup(func() { ln.Close(); p.cut() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			if p.broken.Load() {
				c.Close()
				continue
			}
			go p.pipe(c)
		}
	}()
	return p
}

func (p *flakyProxy) pipe(c net.Conn) {
	u, err := net.Dial("tcp", p.target)
	if err != nil {
		c.Close()
		return
	}
	p.mu.Lock()
	p.conns[c], p.conns[u] = true, true
	p.mu.Unlock()
	go func() { io.Copy(u, c); u.Close() }()
	io.Copy(c, u)
	c.Close()
}

func (p *flakyProxy) cut() {
	p.broken.Store(true)
	p.mu.Lock()
	defer p.mu.Unlock()
	for c := range p.conns {
		c.Close()
	}
}

// TestACMERenewal: with a 10-second pebble certificate the manager renews
// in the background and serves the new certificate without a restart;
// when the CA then becomes unreachable the renewal failure shows in Status
// and the current certificate keeps being served.
func TestACMERenewal(t *testing.T) {
	env := needPebble(t)
	name := uniqueName("renew")
	u, _ := url.Parse(env.dirURL)
	proxy := newFlakyProxy(t, u.Host)
	cfg := acmeTestConfig(t, env, "acme-dns", name)
	cfg.CA = "https://" + proxy.ln.Addr().String() + "/dir"
	cfg.acmeProfile = "tiny"
	cfg.DNSProvider = &challDNSProvider{env: env}
	cfg.dnsResolvers = []string{env.soaDNS}
	cfg.dnsPropagationTimeout = -1
	cfg.renewCheckInterval = 250 * time.Millisecond
	cfg.renewalWindowRatio = 0.5
	m := newManager(t, cfg)
	addr, _ := serveTLS(t, "", m.TLSConfig())

	served := func() *x509.Certificate {
		cs, err := dialTLS(addr, &tls.Config{InsecureSkipVerify: true, ServerName: name})
		if err != nil {
			t.Fatal(err)
		}
		return cs.PeerCertificates[0]
	}
	first := waitIssued(t, m, name, 30*time.Second)
	if lifetime := time.Until(first.NotAfter); lifetime > 15*time.Second {
		t.Fatalf("pebble profile not applied: expires in %v", lifetime)
	}
	firstLeaf := served()
	if !slices.Contains(firstLeaf.DNSNames, name) {
		t.Fatalf("served %v", firstLeaf.DNSNames)
	}

	var renewed *x509.Certificate
	waitFor(t, 20*time.Second, "renewed certificate served", func() bool {
		l := served()
		if slices.Contains(l.DNSNames, name) && l.SerialNumber.Cmp(firstLeaf.SerialNumber) != 0 {
			renewed = l
			return true
		}
		return false
	})
	if !renewed.NotAfter.After(firstLeaf.NotAfter) {
		t.Errorf("renewed NotAfter %v not after %v", renewed.NotAfter, firstLeaf.NotAfter)
	}

	// the CA goes away: the next renewal fails, is reported, and the
	// current certificate stays in service
	proxy.cut()
	var current *x509.Certificate
	waitFor(t, 20*time.Second, "renewal failure in Status", func() bool {
		current = served()
		return strings.Contains(statusFor(m, name).Error, "renewing certificate failed")
	})
	st := statusFor(m, name)
	t.Logf("status after failed renewal: %+v", st)
	if !slices.Contains(current.DNSNames, name) || current.Subject.Organization != nil && slices.Contains(current.Subject.Organization, "aiwfe self-signed") {
		t.Errorf("after a failed renewal served %v", current.Subject)
	}
	if !st.NotAfter.Equal(current.NotAfter) {
		t.Errorf("Status NotAfter %v, served %v", st.NotAfter, current.NotAfter)
	}
	time.Sleep(500 * time.Millisecond)
	if again := served(); again.SerialNumber.Cmp(current.SerialNumber) != 0 {
		t.Errorf("served certificate changed while the CA is down")
	}
}
