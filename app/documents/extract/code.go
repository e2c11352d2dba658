package extract

import (
	"context"
	"strings"
)

func init() { extractors["code"] = extractCode }

// extractCode keeps source as it is written (indentation matters to a
// reader), one block per blank-line-separated section: functions and
// declarations usually are.
func extractCode(_ context.Context, src Source) (*Document, error) {
	s, err := readAllText(src)
	if err != nil {
		return nil, err
	}
	b := newBuilder()
	var section []string
	for _, line := range strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n") {
		if strings.TrimSpace(line) == "" {
			b.verbatim(strings.Join(section, "\n"))
			section = section[:0]
			continue
		}
		section = append(section, line)
	}
	b.verbatim(strings.Join(section, "\n"))
	return b.done(), nil
}
