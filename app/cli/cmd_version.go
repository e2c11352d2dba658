package cli

import (
	"fmt"

	"github.com/aiwfe/aiwfe/app"
)

func init() {
	register(&command{
		name:    "version",
		summary: "print version, commit and Go version",
		run: func(c *Ctx) int {
			b := app.Build()
			fmt.Fprintf(c.Stdout, "aiwfe %s (commit %s, %s)\n", b.Version, b.Commit, b.GoVersion)
			return ExitOK
		},
	})
}
