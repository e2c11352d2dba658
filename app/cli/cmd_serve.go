package cli

import (
	"context"
	"flag"
	"fmt"
	"net"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"github.com/aiwfe/aiwfe/app"
	"github.com/aiwfe/aiwfe/app/config"
	"github.com/aiwfe/aiwfe/app/server"
	"github.com/aiwfe/aiwfe/app/settings"
	"github.com/aiwfe/aiwfe/tlsmgr"
)

func init() {
	register(&command{
		name:    "serve",
		summary: "run the appliance (HTTP, HTTPS and mTLS listeners)",
		usage:   "[--demo]",
		flags: func(fs *flag.FlagSet) {
			fs.Bool("demo", false, "offline demo: seeded demo account and a built-in demo model")
		},
		run: runServe,
	})
}

func runServe(c *Ctx) int {
	c.Config.Demo = c.Flags.Lookup("demo").Value.(flag.Getter).Get().(bool)
	if !c.validate() {
		return ExitConfig
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()

	started := time.Now()
	a, err := app.Open(ctx, c.Config, c.Log, app.OpenOptions{Lock: true})
	if err != nil {
		return c.failf("%v", err)
	}
	defer a.Close()

	var mgr *tlsmgr.Manager
	if c.Config.Server.HTTPS != "" || c.Config.Server.MTLS != "" {
		tc := tlsConfig(c.Config)
		// The SQLite registry is shared with `aiwfe cert`: a revocation
		// made from the CLI applies to the next mTLS handshake.
		tc.Registry = a.Certs.Registry()
		mgr, err = tlsmgr.New(ctx, tc, c.Log)
		if err != nil {
			fmt.Fprintf(c.Stderr, "aiwfe: config: tls: %v\n", err)
			return ExitConfig
		}
		defer mgr.Close()
	}

	opt := server.Options{UI: c.UI}
	if mgr != nil {
		// only a non-nil manager: a typed nil in Certs would be called by /health
		opt.Certs, opt.TLS = mgr, mgr
	}
	srv, err := server.New(a, opt)
	if err != nil {
		return c.failf("%v", err)
	}
	var cm server.Certificates
	if mgr != nil {
		cm = mgr
	}
	listeners, err := srv.Bind(cm)
	if err != nil {
		fmt.Fprintf(c.Stderr, "aiwfe: %v\n", err)
		return ExitConfig
	}
	if c.Config.Demo {
		cred, err := a.SeedDemo(ctx)
		if err != nil {
			return c.failf("seeding the demo: %v", err)
		}
		fmt.Fprintf(c.Stdout, "  demo   sign in as %s with password %s (answers come from the built-in demo model)\n", cred.Email, cred.Password)
	}
	// Expired sessions and revocations are pruned in the background.
	go a.Auth.RunMaintenance(ctx, time.Hour)

	attrs := []any{"version", app.Version, "data", c.Config.Data.Dir, "startup_ms", time.Since(started).Milliseconds()}
	if c.Config.Demo {
		attrs = append(attrs, "demo", true)
	}
	c.Log.Info("aiwfe is running", attrs...)
	for _, l := range listeners {
		fmt.Fprintf(c.Stdout, "  %-5s  open %s\n", l.Name, l.URL())
	}
	// Whether chat can work, said once; asked after the listeners are up
	// so a slow or dead model server never delays serving.
	go func() { fmt.Fprintln(c.Stdout, modelServerLine(a.Settings.Probe(ctx), c.Config.LLM.DefaultModel)) }()
	if err := srv.Serve(ctx, listeners); err != nil {
		return c.failf("%v", err)
	}
	c.Log.Info("aiwfe stopped")
	return ExitOK
}

func tlsConfig(cfg *config.Config) tlsmgr.Config {
	return tlsmgr.Config{
		Mode:               cfg.TLS.Mode,
		Domains:            cfg.TLS.Domains,
		Email:              cfg.TLS.Email,
		CA:                 cfg.TLS.CA,
		CARoot:             cfg.TLS.CARoot,
		CertFile:           cfg.TLS.CertFile,
		KeyFile:            cfg.TLS.KeyFile,
		CloudflareAPIToken: cfg.TLS.CloudflareAPIToken,
		Dir:                cfg.Path("tls"),
		HTTPPort:           listenerPort(cfg.Server.HTTP, 80),
		TLSPort:            listenerPort(cfg.Server.HTTPS, 443),
	}
}

// listenerPort is the port a listener binds, or -1 when it is off (which
// turns off the ACME challenge type that needs it).
func listenerPort(addr string, def int) int {
	if addr == "" {
		return -1
	}
	_, p, err := net.SplitHostPort(addr)
	if err != nil {
		return def
	}
	n, err := strconv.Atoi(p)
	if err != nil {
		return def
	}
	return n
}

// modelServerLine is the start-up line about the model server: what
// answers, or what to do when nothing does.
func modelServerLine(st settings.Status, model string) string {
	if st.Reachable && (st.Demo || st.Models != 0) {
		return "  model  " + st.Message
	}
	if st.Reachable {
		return "  model  " + st.Message + " Pull one: ollama pull " + model + " (or from Settings → Models)."
	}
	return "  model  " + st.Message + " Chat needs one: install Ollama (https://ollama.com) and run `ollama pull " + model +
		"`, set [llm] base_url to where yours runs, or switch on the built-in demo model in Admin → Model server."
}
