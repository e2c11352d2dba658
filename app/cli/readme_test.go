package cli

import (
	"bytes"
	"os"
	"strings"
	"testing"
)

// The README shows `aiwfe help` verbatim; a command added or reworded
// without updating it would leave a new user reading help that does not
// exist.
func TestREADMEShowsTheRealHelp(t *testing.T) {
	raw, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	const marker = "The binary's own commands (`aiwfe help`):\n\n```\n"
	readme := string(raw)
	i := strings.Index(readme, marker)
	if i < 0 {
		t.Fatalf("README.md has no block introduced by %q", marker)
	}
	block := readme[i+len(marker):]
	block = block[:strings.Index(block, "```")]

	var out bytes.Buffer
	usage(&out)
	if block != out.String() {
		t.Fatalf("README.md's `aiwfe help` block is stale; replace it with:\n%s", out.String())
	}
}
