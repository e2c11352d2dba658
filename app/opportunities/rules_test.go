package opportunities

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aiwfe/aiwfe/app/documents"
)

// TestRuleProposals: what the rules (the demo model, and the fallback)
// find in a text, sentence by sentence.
func TestRuleProposals(t *testing.T) {
	berlin, _ := time.LoadLocation("Europe/Berlin")
	now := time.Date(2026, 12, 2, 10, 0, 0, 0, berlin) // a Wednesday
	type want struct{ title, due, prio, evidence string }
	cases := []struct {
		text string
		want []want
	}{
		{"I need to renew my passport by friday.", []want{{"Renew my passport", "2026-12-04", "none", "I need to renew my passport by friday."}}},
		{"Remember to call the plumber about the leak, because it is getting worse.",
			[]want{{"Call the plumber about the leak", "", "none", "Remember to call the plumber about the leak, because it is getting worse."}}},
		{"Lovely weather today. Don't forget to water the plants tomorrow! How are you?",
			[]want{{"Water the plants", "2026-12-03", "none", "Don't forget to water the plants tomorrow!"}}},
		{"TODO: send the invoice to Acme !high", []want{{"Send the invoice to Acme", "", "high", "TODO: send the invoice to Acme !high"}}},
		{"- [ ] book the train tickets\n- [x] pack", []want{{"Book the train tickets", "", "none", "- [ ] book the train tickets"}}},
		{"Call the bank on monday at 9am.", []want{{"Call the bank", "2026-12-07T09:00:00+01:00", "none", "Call the bank on monday at 9am."}}},
		{"I'll send Sam the slides tonight.", []want{{"Send Sam the slides", "2026-12-02T20:00:00+01:00", "none", "I'll send Sam the slides tonight."}}},
		{"Can you help me plan my week? I have to finish the budget report by friday and I should probably book a dentist appointment.",
			[]want{{"Finish the budget report", "2026-12-04", "none", "I have to finish the budget report by friday and I should probably book a dentist appointment."},
				{"Book a dentist appointment", "", "none", "I have to finish the budget report by friday and I should probably book a dentist appointment."}}},
		{"Email Sara about the lease, then call the landlord.", []want{{"Email Sara about the lease", "", "none", "Email Sara about the lease, then call the landlord."},
			{"Call the landlord", "", "none", "Email Sara about the lease, then call the landlord."}}},
		{"Remember to bring an umbrella tomorrow, it will rain.", []want{{"Bring an umbrella", "2026-12-03", "none", "Remember to bring an umbrella tomorrow, it will rain."}}},
		{"I need to buy milk and eggs.", []want{{"Buy milk and eggs", "", "none", "I need to buy milk and eggs."}}},
		// Not tasks: questions, requests to the assistant, plain statements.
		{"Check this code for bugs: func main() {}", nil},
		{"Review the following text and fix the grammar.", nil},
		{"I will never understand recursion.", nil},
		{"I need to know how to cook rice.", nil},
		{"Pay attention to the details.", nil},
		{"Should I call the bank?", nil},
		{"Write me a poem about autumn.", nil},
		{"Send me a summary of this.", nil},
		{"The plumber came yesterday and fixed the leak.", nil},
		{"I need to", nil},
		{"", nil},
	}
	for _, tc := range cases {
		got := ruleProposals(tc.text, now, berlin)
		if len(got) != len(tc.want) {
			t.Errorf("%q: %d proposals %+v, want %d", tc.text, len(got), got, len(tc.want))
			continue
		}
		for i, w := range tc.want {
			g := got[i]
			if g.Title != w.title || g.Due != w.due || g.Priority != w.prio || g.Evidence != w.evidence {
				t.Errorf("%q:\n got %+v\nwant %+v", tc.text, g, w)
			}
		}
	}
}

// TestTitleKey: rewordings of one task share a key; different tasks do not.
func TestTitleKey(t *testing.T) {
	same := [][2]string{
		{"Call the plumber", "call plumber"},
		{"Renew my passport!", "renew my passport"},
		{"Please send the invoice", "Send invoice."},
	}
	for _, p := range same {
		if titleKey(p[0]) != titleKey(p[1]) {
			t.Errorf("%q → %q and %q → %q differ", p[0], titleKey(p[0]), p[1], titleKey(p[1]))
		}
	}
	if titleKey("Call the plumber") == titleKey("Call the bank") {
		t.Error("different tasks share a key")
	}
}

// TestNearDuplicateThreshold: with the built-in embedder, the threshold
// separates rewordings from different errands.
func TestNearDuplicateThreshold(t *testing.T) {
	e := documents.Builtin{}
	vec := func(s string) []float32 {
		v, _ := e.Embed(context.Background(), []string{s})
		return v[0]
	}
	dups := [][2]string{
		{"Renew my passport", "Renew the passport"},
		{"Call the plumber about the leak", "Call the plumber about the leaking pipe"},
		{"Water the plants", "Water plants"},
	}
	for _, p := range dups {
		if c := cosine(vec(p[0]), vec(p[1])); c < nearDuplicate {
			t.Errorf("%q ~ %q: cosine %.3f, want ≥ %.2f", p[0], p[1], c, nearDuplicate)
		}
	}
	different := [][2]string{
		{"Call the plumber", "Call the bank"},
		{"Renew my passport", "Renew the car insurance"},
		{"Send the invoice to Acme", "Send the slides to Sam"},
	}
	for _, p := range different {
		if c := cosine(vec(p[0]), vec(p[1])); c >= nearDuplicate {
			t.Errorf("%q ~ %q: cosine %.3f, want < %.2f", p[0], p[1], c, nearDuplicate)
		}
	}
}

// TestEventProposal: the preparation task falls the day before, in the
// user's zone; a past event gets none.
func TestEventProposal(t *testing.T) {
	ny, _ := time.LoadLocation("America/New_York")
	now := time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC)
	p, ok := eventProposal(Event{ID: 1, Title: "Board meeting", Start: time.Date(2026, 12, 10, 2, 0, 0, 0, time.UTC)}, now, ny)
	// 02:00 UTC on the 10th is the evening of the 9th in New York.
	if !ok || p.Title != "Prepare for Board meeting" || p.Due != "2026-12-08" {
		t.Fatalf("got %+v %v", p, ok)
	}
	if _, ok := eventProposal(Event{Title: "Past", Start: now.Add(-time.Hour)}, now, ny); ok {
		t.Fatal("a past event got a proposal")
	}
	p, _ = eventProposal(Event{Title: strings.Repeat("long ", 100), Start: now.Add(48 * time.Hour)}, now, time.UTC)
	if n := len([]rune(p.Title)); n > MaxTitleChars {
		t.Fatalf("a long event's title: %d characters", n)
	}
	p, _ = eventProposal(Event{Title: "Soon", Start: now.Add(3 * time.Hour)}, now, time.UTC)
	if p.Due != "2026-12-02" {
		t.Fatalf("an event today: due %s", p.Due)
	}
}

// TestPromptParts: what of a long source the model reads.
func TestPromptParts(t *testing.T) {
	long := strings.Repeat("word ", maxPromptChars/5+100)
	msgs := []part{{ref: 1, text: "first"}, {ref: 2, text: long}, {ref: 3, text: " "}, {ref: 4, text: "last"}}
	got := promptParts(msgs, true)
	// The newest whole, the long one not (it does not fit after it), the
	// blank one skipped, and nothing older than what did not fit.
	if len(got) != 1 || got[0].ref != 4 {
		t.Fatalf("recent: %+v", refs(got))
	}
	got = promptParts([]part{{ref: 1, text: "older"}, {ref: 2, text: long}}, true)
	if len(got) != 1 || got[0].ref != 2 || len([]rune(got[0].text)) != maxPromptChars {
		t.Fatalf("a newest message too long alone is cut: %v", refs(got))
	}
	got = promptParts([]part{{ref: 1, text: "page one"}, {ref: 2, text: long}, {ref: 3, text: "page three"}}, false)
	if len(got) != 2 || got[0].ref != 1 || got[1].ref != 2 || len([]rune(got[1].text)) >= len(long) {
		t.Fatalf("pages: %v", refs(got))
	}
}

func refs(ps []part) []int64 {
	var out []int64
	for _, p := range ps {
		out = append(out, p.ref)
	}
	return out
}
