package store

import (
	"context"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestSplitSnippet(t *testing.T) {
	for _, tc := range []struct {
		name, marked, text string
		parts              []SnippetPart
	}{
		{"empty", "", "", nil},
		{"no match marked", "plain text", "plain text", []SnippetPart{{Text: "plain text"}}},
		{"one match", "make a \x02plan\x03 today", "make a [plan] today",
			[]SnippetPart{{Text: "make a "}, {Text: "plan", Match: true}, {Text: " today"}}},
		{"match first and last", "\x02plan\x03 and \x02plans\x03", "[plan] and [plans]",
			[]SnippetPart{{Text: "plan", Match: true}, {Text: " and "}, {Text: "plans", Match: true}}},
		{"own brackets stay text", "arr[0] see [docs](x) \x02plan\x03", "arr[0] see [docs](x) [plan]",
			[]SnippetPart{{Text: "arr[0] see [docs](x) "}, {Text: "plan", Match: true}}},
		{"unclosed mark", "…a \x02plan", "…a [plan]", []SnippetPart{{Text: "…a "}, {Text: "plan", Match: true}}},
		{"empty mark", "a\x02\x03b", "ab", []SnippetPart{{Text: "a"}, {Text: "b"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			text, parts := splitSnippet(tc.marked)
			if text != tc.text || !reflect.DeepEqual(parts, tc.parts) {
				t.Errorf("splitSnippet(%q) = %q, %+v; want %q, %+v", tc.marked, text, parts, tc.text, tc.parts)
			}
		})
	}
}

// The real index marks the matched word only, and brackets the message had
// are not mistaken for marks.
func TestSearchSnippetPartsMarkOnlyTheMatch(t *testing.T) {
	ctx := context.Background()
	s, u, c := ftsFixture(t)
	m := &Message{ConversationID: c.ID, Role: "assistant", Content: "Use items[0] and read [the guide](https://example.test) for the plan"}
	if err := InsertMessage(ctx, s.DB, u, m, time.Now()); err != nil {
		t.Fatal(err)
	}
	hits, err := SearchMessages(ctx, s.DB, u, "plan", 10, 0)
	if err != nil || len(hits) != 1 {
		t.Fatalf("search: %+v %v", hits, err)
	}
	list, _, err := ListConversations(ctx, s.DB, u, ConversationFilter{Query: "plan"})
	if err != nil || len(list) != 1 {
		t.Fatalf("list: %+v %v", list, err)
	}
	for name, parts := range map[string][]SnippetPart{"message hit": hits[0].SnippetParts, "conversation": list[0].SnippetParts} {
		var matched []string
		for _, p := range parts {
			if p.Match {
				matched = append(matched, p.Text)
			}
		}
		if !reflect.DeepEqual(matched, []string{"plan"}) {
			t.Errorf("%s: matches %q in %+v, want only \"plan\"", name, matched, parts)
		}
	}
	if want := "[plan]"; !strings.Contains(hits[0].Snippet, want) || !strings.Contains(hits[0].Snippet, "items[0]") {
		t.Errorf("snippet %q lacks %s or the message's own brackets", hits[0].Snippet, want)
	}
}
