package semantic

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// The rules behind the fallbacks, on their own.

func TestCutKeepsEverythingAtBoundaries(t *testing.T) {
	para := strings.Repeat("word ", 300) // 1,500 characters
	text := strings.Repeat(para+"\n\n", 10)
	parts := cut(text, 4000)
	if len(parts) < 4 {
		t.Fatalf("%d parts", len(parts))
	}
	total := 0
	for i, p := range parts {
		if n := utf8.RuneCountInString(p); n > 4000 || n == 0 {
			t.Errorf("part %d has %d characters", i, n)
		}
		if strings.HasPrefix(p, "ord") || strings.HasSuffix(p, "wor") {
			t.Errorf("part %d cut inside a word", i)
		}
		total += strings.Count(p, "word")
	}
	if total != 3000 {
		t.Errorf("%d words in the parts, want 3000", total)
	}
	if got := cut("short", 4000); len(got) != 1 || got[0] != "short" {
		t.Errorf("short text: %q", got)
	}
}

func TestRuleEntities(t *testing.T) {
	cases := []struct {
		text string
		want map[string]string
		not  []string
	}{
		{"The meeting is on 2026-12-02, or December 3, 2026, or 4 Dec 2026, or 05/12/2026.",
			map[string]string{"2026-12-02": "date", "December 3, 2026": "date", "4 Dec 2026": "date", "05/12/2026": "date"}, []string{"The"}},
		{"Yesterday Mrs Jane Doe joined Globex Corporation. She moved from Lisbon to Oslo.",
			map[string]string{"Jane Doe": "person", "Globex Corporation": "organisation", "Lisbon": "place", "Oslo": "place"},
			[]string{"Yesterday", "She"}},
		{"We read The Lord of the Rings with Bob.", map[string]string{"Lord of the Rings": "other", "Bob": "other"}, []string{"We"}},
	}
	for _, c := range cases {
		got := map[string]string{}
		for _, e := range locate(c.text, ruleEntities(c.text)) {
			got[e.Text] = e.Type
			if r := []rune(c.text); string(r[e.Start:e.End]) != e.Text {
				t.Errorf("%q: span %d–%d is %q", e.Text, e.Start, e.End, string(r[e.Start:e.End]))
			}
		}
		for k, v := range c.want {
			if got[k] != v {
				t.Errorf("%q: %q is %q, want %q (all %v)", c.text, k, got[k], v, got)
			}
		}
		for _, k := range c.not {
			if _, ok := got[k]; ok {
				t.Errorf("%q: %q taken as a name", c.text, k)
			}
		}
	}
}

func TestExtractiveKeepsOrderAndCount(t *testing.T) {
	text := "Whales sing songs. Bread is baked. Whales sing long songs at sea. Trains run. Whales and songs again."
	got := extractive(text, 2)
	if n := len(sentences(got)); n != 2 {
		t.Fatalf("%d sentences: %q", n, got)
	}
	if !strings.Contains(got, "Whales") || strings.Index(got, "Whales sing") > strings.Index(got, "again") && strings.Contains(got, "again") {
		t.Errorf("summary %q", got)
	}
}

func TestLexiconSentimentMixed(t *testing.T) {
	s := lexiconSentiment("I love this wonderful, excellent, amazing place!\n\nThe service was horrible, awful and disgusting.")
	if s.Label != "mixed" {
		t.Errorf("%+v", s)
	}
}
