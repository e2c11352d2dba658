package server_test

import (
	"os"
	"testing"

	"github.com/aiwfe/aiwfe/app/llm/llmtest"
)

// TestMain stops the shared real Ollama (and its model runners, which the
// kernel would otherwise leave behind when the test binary exits).
func TestMain(m *testing.M) {
	code := m.Run()
	llmtest.StopRealOllama()
	os.Exit(code)
}
