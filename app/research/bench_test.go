package research_test

import (
	"context"
	"net/url"
	"os"
	"testing"

	"github.com/aiwfe/aiwfe/app/research"
	"github.com/aiwfe/aiwfe/app/settings"
)

// BenchmarkReadable is readability and the Markdown conversion of a large
// real page (Debian's Python policy, 88 KB of HTML with a Sphinx sidebar).
func BenchmarkReadable(b *testing.B) {
	body, err := os.ReadFile("/usr/share/doc/python3/python-policy.html")
	if err != nil {
		b.Skip("python3-dev's documentation not installed")
	}
	u, _ := url.Parse("https://docs.example/python-policy.html")
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := research.Readable(body, u); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkResearchTurn is a research turn's own work against the
// stand-in on loopback with the pages cached: search, chunking three
// pages and ranking their passages.
func BenchmarkResearchTurn(b *testing.B) {
	r := newRig(b, true, func(d *research.Deps) { d.PerMinute = 1 << 30 })
	r.set(settings.WebSearchConfig{Enabled: true, Provider: "searxng", BaseURL: r.sb.SearXNGURL()}, "default", "")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := r.svc.Research(context.Background(), 1, "how long do humpback whales sing", 6, nil); err != nil {
			b.Fatal(err)
		}
	}
}
