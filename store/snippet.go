package store

import "strings"

// Full-text snippets mark their matches with two control characters that
// message text practically never holds, so the marks stay unambiguous where
// the text has brackets of its own (Markdown links, arr[0]).
const (
	snippetOpen  = "\x02"
	snippetClose = "\x03"
	// snippetSQL is the FTS5 call for column 0 of messages_fts.
	snippetSQL = "snippet(messages_fts, 0, char(2), char(3), '…', 12)"
)

// SnippetPart is a run of a snippet's text, Match when it matched the query.
type SnippetPart struct {
	Text  string `json:"text"`
	Match bool   `json:"match,omitempty"`
}

// splitSnippet turns a marked snippet into its text with the matches in
// [brackets] (the documented, human-readable form) and into parts a client
// can highlight without guessing which brackets are marks.
func splitSnippet(marked string) (string, []SnippetPart) {
	if marked == "" {
		return "", nil
	}
	var parts []SnippetPart
	var b strings.Builder
	rest := marked
	for rest != "" {
		i := strings.Index(rest, snippetOpen)
		if i < 0 {
			parts = append(parts, SnippetPart{Text: rest})
			b.WriteString(rest)
			break
		}
		if i > 0 {
			parts = append(parts, SnippetPart{Text: rest[:i]})
			b.WriteString(rest[:i])
		}
		rest = rest[i+len(snippetOpen):]
		j := strings.Index(rest, snippetClose)
		if j < 0 { // cut off after its opening mark: the rest matched
			j = len(rest)
		}
		if j > 0 {
			parts = append(parts, SnippetPart{Text: rest[:j], Match: true})
			b.WriteString("[" + rest[:j] + "]")
		}
		rest = strings.TrimPrefix(rest[j:], snippetClose)
	}
	return b.String(), parts
}
