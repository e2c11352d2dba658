// Package cli is aiwfe's command line: serve, migrate, backup, restore,
// version, admin and cert. Every subcommand takes --config FILE and --data DIR.
package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"sort"

	"github.com/aiwfe/aiwfe/app/config"
)

// Exit codes.
const (
	ExitOK     = 0
	ExitFail   = 1
	ExitConfig = 2 // bad configuration or usage
)

// Env is what a command runs with; tests substitute every part.
type Env struct {
	Args    []string
	Environ []string
	Stdout  io.Writer
	Stderr  io.Writer
	// Stdin feeds commands that read secrets (admin create, reset-password).
	Stdin io.Reader
	UI    fs.FS
}

// command is one subcommand.
type command struct {
	name    string
	summary string
	usage   string
	// flags adds the command's own flags; nil when it has none.
	flags func(fs *flag.FlagSet)
	run   func(c *Ctx) int
}

// Ctx is a parsed invocation.
type Ctx struct {
	Env
	Config *config.Config
	Args   []string // positional arguments after the subcommand
	Flags  *flag.FlagSet
	Log    *slog.Logger
}

var commands = map[string]*command{}

func register(c *command) { commands[c.name] = c }

// Run executes the command line and returns the process exit code.
func Run(env Env) int {
	if len(env.Args) == 0 || env.Args[0] == "-h" || env.Args[0] == "--help" || env.Args[0] == "help" {
		usage(env.Stdout)
		if len(env.Args) == 0 {
			return ExitConfig
		}
		return ExitOK
	}
	name := env.Args[0]
	cmd, ok := commands[name]
	if !ok {
		fmt.Fprintf(env.Stderr, "aiwfe: unknown command %q\n\n", name)
		usage(env.Stderr)
		return ExitConfig
	}
	fset := flag.NewFlagSet("aiwfe "+name, flag.ContinueOnError)
	fset.SetOutput(env.Stderr)
	configFile := fset.String("config", "", "configuration file (TOML)")
	dataDir := fset.String("data", "", "data directory (overrides data.dir)")
	if cmd.flags != nil {
		cmd.flags(fset)
	}
	fset.Usage = func() {
		fmt.Fprintf(env.Stderr, "usage: aiwfe %s %s\n\n%s\n\nflags:\n", name, cmd.usage, cmd.summary)
		fset.PrintDefaults()
	}
	pos, err := parseInterspersed(fset, env.Args[1:])
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return ExitOK
		}
		return ExitConfig
	}
	cfg, err := config.Load(*configFile, env.Environ)
	if err != nil {
		fmt.Fprintf(env.Stderr, "aiwfe: %v\n", err)
		return ExitConfig
	}
	if *dataDir != "" {
		cfg.Data.Dir = *dataDir
	}
	c := &Ctx{Env: env, Config: cfg, Args: pos, Flags: fset}
	c.Log = newLogger(cfg, env.Stderr)
	return cmd.run(c)
}

// parseInterspersed lets flags come before or after positional arguments
// (`aiwfe backup FILE --data DIR`), which the flag package alone does not.
func parseInterspersed(fset *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fset.Parse(args); err != nil {
			return nil, err
		}
		args = fset.Args()
		if len(args) == 0 {
			return pos, nil
		}
		if args[0] == "--" {
			return append(pos, args[1:]...), nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "aiwfe — the AI Workflow Engine appliance\n\nusage: aiwfe <command> [flags]\n\ncommands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-9s %s\n", n, commands[n].summary)
	}
	fmt.Fprintln(w, "\nEvery command takes --config FILE and --data DIR; `aiwfe <command> -h` tells more.")
}

func newLogger(cfg *config.Config, w io.Writer) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(cfg.Log.Level))
	opts := &slog.HandlerOptions{Level: level}
	if cfg.Log.Format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// validate checks the configuration, printing the bad key.
func (c *Ctx) validate() bool {
	if err := c.Config.Validate(); err != nil {
		fmt.Fprintf(c.Stderr, "aiwfe: %v\n", err)
		return false
	}
	return true
}

// needArgs prints usage unless exactly n positional arguments were given.
func (c *Ctx) needArgs(n int) bool {
	if len(c.Args) != n {
		c.Flags.Usage()
		return false
	}
	return true
}

func (c *Ctx) failf(format string, a ...any) int {
	fmt.Fprintf(c.Stderr, "aiwfe: "+format+"\n", a...)
	return ExitFail
}

// Main is the process entry point used by main.go.
func Main(ui fs.FS) int {
	return Run(Env{Args: os.Args[1:], Environ: os.Environ(), Stdout: os.Stdout, Stderr: os.Stderr, Stdin: os.Stdin, UI: ui})
}
