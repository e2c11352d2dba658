// Command aiwfe is the AI Workflow Engine appliance: a private AI workspace
// in one binary. See README.md, and `aiwfe help`.
package main

import (
	"os"

	"github.com/aiwfe/aiwfe/app/cli"
)

func main() {
	os.Exit(cli.Main(uiFS()))
}
