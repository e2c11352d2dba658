package extract

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
)

func init() { extractors["json"] = extractJSON }

const (
	// maxJSONPretty bounds the indented text: deep nesting multiplies the
	// indentation, so a small file could expand a lot.
	maxJSONPretty = 32 << 20
	// jsonBlockLines: the pretty text is cut into blocks of this many
	// lines, at a line that closes an object or array when one is near.
	jsonBlockLines = 60
)

// extractJSON pretty-prints the JSON (keys and values one per line read
// better and split better than a one-line export). A file that is not
// valid JSON (JSON Lines, a log) is read as plain text.
func extractJSON(ctx context.Context, src Source) (*Document, error) {
	s, err := readAllText(src)
	if err != nil {
		return nil, err
	}
	if prettySize(s) > maxJSONPretty {
		// Deep nesting: indenting would multiply the size; as it is.
		return extractText(ctx, src)
	}
	var out bytes.Buffer
	if err := json.Indent(&out, []byte(s), "", "  "); err != nil {
		return extractText(ctx, src)
	}
	b := newBuilder()
	lines := strings.Split(out.String(), "\n")
	for start := 0; start < len(lines); {
		end := min(start+jsonBlockLines, len(lines))
		for cut := end; cut > start+jsonBlockLines/2 && end < len(lines); cut-- {
			if t := strings.TrimSpace(lines[cut-1]); t == "}," || t == "]," {
				end = cut
				break
			}
		}
		b.verbatim(strings.Join(lines[start:end], "\n"))
		start = end
	}
	return b.done(), nil
}

// prettySize bounds the size of s indented by two spaces a level: each
// comma and bracket may start a line, indented at most to the deepest
// level. It is counted before indenting: json.Indent cannot be stopped.
func prettySize(s string) int {
	var lines, depth, deepest int
	inString, escaped := false, false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case escaped:
			escaped = false
		case inString:
			escaped = c == '\\'
			inString = c != '"'
		case c == '"':
			inString = true
		case c == '{' || c == '[':
			depth++
			deepest = max(deepest, depth)
			lines += 2
		case c == '}' || c == ']':
			depth--
		case c == ',':
			lines++
		}
	}
	return len(s) + (lines+1)*(2*deepest+1)
}
