package semantic

import (
	"strings"
	"testing"
)

// benchText is about 100,000 characters of English prose with names and
// dates, half the tools' input limit.
var benchText = strings.Repeat("On 2 December 2026 Dr. Alice Smith of Acme Corp met the team in Berlin. "+
	"The results were wonderful, though the delays were frustrating and costly. "+
	"Humpback whales sing long songs in the breeding season, and the songs change from year to year.\n\n", 420)

// BenchmarkFallbacks is the rules each tool falls back to, over the same
// long text: what an offline install spends per request.
func BenchmarkFallbacks(b *testing.B) {
	for _, bc := range []struct {
		name string
		fn   func()
	}{
		{"summary", func() { extractive(benchText, 5) }},
		{"entities", func() { locate(benchText, ruleEntities(benchText)) }},
		{"sentiment", func() { lexiconSentiment(benchText) }},
		{"language", func() { detectLanguage(benchText) }},
		{"overlap", func() { jaccard(tokens(benchText), tokens(benchText[:50000])) }},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.SetBytes(int64(len(benchText)))
			b.ReportAllocs()
			for b.Loop() {
				bc.fn()
			}
		})
	}
}
