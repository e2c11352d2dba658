package server

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/adaptor"
)

// Certificates is what the listeners need from tlsmgr.
type Certificates interface {
	TLSConfig() *tls.Config
	MTLSConfig() *tls.Config
	HandleHTTPChallenge(w http.ResponseWriter, r *http.Request) bool
}

// Listener is one bound socket and what it serves.
type Listener struct {
	Name string // http | https | mtls
	Key  string // the config key that set it, for error messages
	Addr net.Addr
	ln   net.Listener
	app  *fiber.App
}

// URL is the address a person opens in a browser.
func (l *Listener) URL() string {
	scheme := "http"
	if l.Name != "http" {
		scheme = "https"
	}
	host, port, _ := net.SplitHostPort(l.Addr.String())
	switch host {
	case "127.0.0.1", "::1", "":
		host = "localhost"
	case "0.0.0.0", "::":
		host = "localhost"
	}
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	return fmt.Sprintf("%s://%s:%s/", scheme, host, port)
}

// Bind opens every configured listener. A port that cannot be bound stops
// start-up with the config key that named it.
func (s *Server) Bind(certs Certificates) ([]*Listener, error) {
	cfg := s.app.Config.Server
	var out []*Listener
	fail := func(err error) ([]*Listener, error) {
		for _, l := range out {
			l.ln.Close()
		}
		return nil, err
	}
	for _, spec := range []struct{ name, key, addr string }{
		{"http", "server.http", cfg.HTTP},
		{"https", "server.https", cfg.HTTPS},
		{"mtls", "server.mtls", cfg.MTLS},
	} {
		if spec.addr == "" {
			continue
		}
		ln, err := net.Listen("tcp", spec.addr)
		if err != nil {
			return fail(fmt.Errorf("config: %s: cannot listen on %s: %w", spec.key, spec.addr, err))
		}
		l := &Listener{Name: spec.name, Key: spec.key, Addr: ln.Addr(), ln: ln, app: s.fiber}
		switch spec.name {
		case "https":
			if certs == nil {
				ln.Close()
				return fail(errors.New("config: server.https: no certificate manager"))
			}
			l.ln = tls.NewListener(ln, certs.TLSConfig())
		case "mtls":
			if certs == nil || s.mtls == nil {
				ln.Close()
				return fail(errors.New("config: server.mtls: mutual TLS is not available"))
			}
			l.ln = tls.NewListener(ln, certs.MTLSConfig())
			l.app = s.mtls
		}
		out = append(out, l)
	}
	if certs != nil {
		s.challenge = adaptor.HTTPHandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if !certs.HandleHTTPChallenge(w, r) {
				http.NotFound(w, r)
			}
		})
	}
	return out, nil
}

// Serve runs the listeners until ctx ends, then drains in-flight requests
// for at most the configured shutdown timeout.
func (s *Server) Serve(ctx context.Context, ls []*Listener) error {
	// The ingestion queue runs in the serving process only (App.Close
	// stops it).
	s.app.Documents.Start()
	s.app.Calendar.Start() // feed subscriptions' refresher, likewise
	errc := make(chan error, len(ls))
	for _, l := range ls {
		go func(l *Listener) {
			if err := l.app.Listener(l.ln); err != nil {
				errc <- fmt.Errorf("%s listener: %w", l.Name, err)
			}
		}(l)
	}
	var runErr error
	select {
	case <-ctx.Done():
	case runErr = <-errc:
	}
	s.shutdownHooks()
	timeout := s.app.Config.Server.ShutdownTimeout.D()
	var wg sync.WaitGroup
	apps := map[*fiber.App]bool{}
	for _, l := range ls {
		apps[l.app] = true
	}
	for a := range apps {
		wg.Add(1)
		go func(a *fiber.App) {
			defer wg.Done()
			if err := a.ShutdownWithTimeout(timeout); err != nil && !errors.Is(err, context.DeadlineExceeded) {
				s.log.Warn("shutdown", "err", err)
			}
		}(a)
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(timeout + time.Second):
		s.log.Warn("shutdown timed out; closing remaining connections")
	}
	return runErr
}

// OnShutdown registers work to run when the server starts draining (closing
// WebSockets with a close frame, stopping schedulers).
func (s *Server) OnShutdown(fn func()) {
	s.mu.Lock()
	s.onShutdown = append(s.onShutdown, fn)
	s.mu.Unlock()
}

func (s *Server) shutdownHooks() {
	s.mu.Lock()
	hooks := s.onShutdown
	s.onShutdown = nil
	s.mu.Unlock()
	for _, fn := range hooks {
		fn()
	}
}
