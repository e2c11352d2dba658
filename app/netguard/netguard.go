// Package netguard is the one HTTP client for addresses users supply (ICS
// feeds, pages to import, search results to read). A user who can make the
// appliance fetch a URL could otherwise point it at the machine itself, the
// LAN, or a cloud metadata service (server-side request forgery), so every
// connection this client opens is checked after DNS resolution, at connect
// time: loopback, private, link-local, CGNAT, multicast, documentation and
// metadata addresses (and their IPv4-mapped IPv6 forms) are refused. Because
// the check is made on the socket, it also holds for every redirect hop and
// for a name that resolves to a public address once and a private one the
// next time (DNS rebinding). An admin allow-list lets chosen LAN addresses
// through (a SearXNG at 192.168.1.5, a NAS serving a calendar feed).
//
// Admin-configured endpoints (the model server) do not use this client: they
// are trusted and usually on the LAN.
package netguard

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
	"time"

	"code.dny.dev/ssrf"
)

// Errors a fetch can end in; test with errors.Is. Their messages are meant
// for the person who typed the URL.
var (
	// ErrBlocked: the address is one this appliance will not fetch.
	ErrBlocked = errors.New("address not allowed")
	// ErrScheme: the URL is not http or https.
	ErrScheme = errors.New("only http and https URLs can be fetched")
	// ErrTooLarge: the response body is larger than the cap.
	ErrTooLarge = errors.New("response too large")
)

// Defaults of the options.
const (
	DefaultTimeout   = 30 * time.Second
	DefaultMaxBytes  = 20 << 20
	DefaultUserAgent = "aiwfe (+https://github.com/aiwfe/aiwfe)"
	maxRedirects     = 5
)

// Options configure a Client. Zero values take the defaults.
type Options struct {
	// Allow lists the addresses admitted despite the rules: a prefix
	// ("192.168.1.0/24", "10.0.0.5/32", "fd00::/8"), an address
	// ("192.168.1.5") or an address with a port ("127.0.0.1:8080",
	// "[::1]:8080"), which admits that port only.
	Allow []string
	// Timeout bounds a whole request: connecting, redirects and reading
	// the body.
	Timeout time.Duration
	// MaxBytes caps a response body; reading past it fails with ErrTooLarge.
	MaxBytes  int64
	UserAgent string
}

// Client fetches user-supplied URLs safely. It is safe for concurrent use.
type Client struct {
	http     *http.Client
	maxBytes int64
	agent    string
}

// allowList is the parsed Options.Allow.
type allowList struct {
	prefixes []netip.Prefix
	exact    map[netip.AddrPort]bool
}

// ParseAllow checks an allow-list as Options.Allow takes it (config
// validation uses it to name the bad entry).
func ParseAllow(entries []string) error {
	_, err := parseAllow(entries)
	return err
}

func parseAllow(entries []string) (*allowList, error) {
	al := &allowList{exact: map[netip.AddrPort]bool{}}
	for _, e := range entries {
		e = strings.TrimSpace(e)
		if p, err := netip.ParsePrefix(e); err == nil {
			al.prefixes = append(al.prefixes, p.Masked())
			continue
		}
		if a, err := netip.ParseAddr(e); err == nil {
			al.prefixes = append(al.prefixes, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
			continue
		}
		if ap, err := netip.ParseAddrPort(e); err == nil {
			al.exact[netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())] = true
			continue
		}
		return nil, fmt.Errorf("%q is not an address, a prefix (10.0.0.0/8) or an address with a port (192.168.1.5:8080)", e)
	}
	return al, nil
}

func (al *allowList) admits(ap netip.AddrPort) bool {
	addr := ap.Addr().Unmap()
	if al.exact[netip.AddrPortFrom(addr, ap.Port())] {
		return true
	}
	for _, p := range al.prefixes {
		if p.Contains(addr) {
			return true
		}
	}
	return false
}

// blockedDial is the refusal of one connection, naming the address.
type blockedDial struct {
	addr  string
	cause error
}

func (e *blockedDial) Error() string { return e.addr + ": " + e.cause.Error() }
func (e *blockedDial) Unwrap() error { return e.cause }

// New builds a client. It fails only on a malformed allow-list.
func New(o Options) (*Client, error) {
	al, err := parseAllow(o.Allow)
	if err != nil {
		return nil, err
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.MaxBytes <= 0 {
		o.MaxBytes = DefaultMaxBytes
	}
	if o.UserAgent == "" {
		o.UserAgent = DefaultUserAgent
	}
	// Any port: a feed on https://example.com:8443 is ordinary; what
	// matters is where the address is, not which port it listens on.
	guard := ssrf.New(ssrf.WithAnyPort())
	control := func(network, address string, c syscall.RawConn) error {
		if ap, err := netip.ParseAddrPort(address); err == nil && al.admits(ap) {
			return nil
		}
		if err := guard.Safe(network, address, c); err != nil {
			return &blockedDial{addr: address, cause: err}
		}
		return nil
	}
	dialer := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second, Control: control}
	tr := &http.Transport{
		// No proxy: through one, the check would see only the proxy's address.
		Proxy:                 nil,
		DialContext:           dialer.DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          16,
		IdleConnTimeout:       30 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: o.Timeout,
		ExpectContinueTimeout: time.Second,
	}
	return &Client{
		http: &http.Client{
			Transport: tr,
			Timeout:   o.Timeout,
			CheckRedirect: func(req *http.Request, via []*http.Request) error {
				if len(via) >= maxRedirects {
					return fmt.Errorf("stopped after %d redirects", maxRedirects)
				}
				return checkScheme(req.URL)
			},
		},
		maxBytes: o.MaxBytes,
		agent:    o.UserAgent,
	}, nil
}

// Option adjusts one request.
type Option func(*callOpts)

type callOpts struct{ maxBytes int64 }

// WithMaxBytes caps this response's body instead of the client's cap.
func WithMaxBytes(n int64) Option { return func(o *callOpts) { o.maxBytes = n } }

// Do sends req. The response body is capped (reading past the cap fails
// with ErrTooLarge; a Content-Length over it fails here); the caller closes
// it. Refusals wrap ErrBlocked or ErrScheme with a message saying why.
func (c *Client) Do(ctx context.Context, req *http.Request, opts ...Option) (*http.Response, error) {
	co := callOpts{maxBytes: c.maxBytes}
	for _, o := range opts {
		o(&co)
	}
	if err := checkScheme(req.URL); err != nil {
		return nil, err
	}
	req = req.WithContext(ctx)
	if req.Header.Get("User-Agent") == "" {
		req.Header.Set("User-Agent", c.agent)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, explain(req.URL, err)
	}
	if resp.ContentLength > co.maxBytes {
		resp.Body.Close()
		return nil, fmt.Errorf("%w: %s answers with %d bytes, more than the %d allowed", ErrTooLarge, redact(req.URL), resp.ContentLength, co.maxBytes)
	}
	resp.Body = &cappedBody{r: resp.Body, left: co.maxBytes, max: co.maxBytes}
	return resp, nil
}

// Get fetches rawURL with the given headers (may be nil).
func (c *Client) Get(ctx context.Context, rawURL string, hdr http.Header, opts ...Option) (*http.Response, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("%w: %q is not a URL", ErrScheme, rawURL)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrScheme, err)
	}
	for k, vs := range hdr {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	return c.Do(ctx, req, opts...)
}

func checkScheme(u *url.URL) error {
	if u == nil || (u.Scheme != "http" && u.Scheme != "https") {
		scheme := ""
		if u != nil {
			scheme = u.Scheme
		}
		return fmt.Errorf("%w (not %q)", ErrScheme, scheme)
	}
	if u.Host == "" {
		return fmt.Errorf("%w: the URL has no host", ErrScheme)
	}
	if u.User != nil {
		// Credentials in the URL would be sent to every redirect target.
		return fmt.Errorf("%w: put credentials in the settings, not in the URL", ErrScheme)
	}
	return nil
}

// explain turns a transport error into one that says what was refused.
func explain(u *url.URL, err error) error {
	var bd *blockedDial
	if errors.As(err, &bd) {
		host, _, _ := net.SplitHostPort(bd.addr)
		return fmt.Errorf("%w: %s connects to %s, a loopback, private, link-local or otherwise reserved address; an admin can allow it with [outbound] allow", ErrBlocked, redact(u), host)
	}
	if errors.Is(err, ErrScheme) {
		return fmt.Errorf("%s: a redirect: %w", redact(u), ErrScheme)
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err // url.Error repeats the URL, query string (and any token in it) included
	}
	return fmt.Errorf("fetch %s: %w", redact(u), err)
}

// redact is the URL without its query and credentials, for messages and
// logs: a private feed's token often sits in the query.
func redact(u *url.URL) string {
	if u == nil {
		return ""
	}
	r := url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path}
	return r.String()
}

// cappedBody fails with ErrTooLarge once more than max bytes were read.
type cappedBody struct {
	r    io.ReadCloser
	left int64
	max  int64
}

func (b *cappedBody) Read(p []byte) (int, error) {
	if b.left < 0 {
		return 0, fmt.Errorf("%w: more than %d bytes", ErrTooLarge, b.max)
	}
	// Read one byte beyond the cap so a body of exactly max bytes passes
	// and a longer one is caught.
	if int64(len(p)) > b.left+1 {
		p = p[:b.left+1]
	}
	n, err := b.r.Read(p)
	b.left -= int64(n)
	if b.left < 0 {
		return n + int(b.left), fmt.Errorf("%w: more than %d bytes", ErrTooLarge, b.max)
	}
	return n, err
}

func (b *cappedBody) Close() error { return b.r.Close() }
