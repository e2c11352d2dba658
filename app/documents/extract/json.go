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
	var out bytes.Buffer
	if err := json.Indent(&out, []byte(s), "", "  "); err != nil {
		return extractText(ctx, src)
	}
	if out.Len() > maxJSONPretty {
		return nil, corrupt(errOverLimit)
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
