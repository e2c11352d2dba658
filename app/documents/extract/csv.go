package extract

import (
	"context"
	"encoding/csv"
	"errors"
	"io"
	"path/filepath"
	"strings"
)

func init() { extractors["csv"] = extractCSV }

// extractCSV makes each row a block that names its columns
// ("Name: Alpha | Size: 10"), so a chunk holding a row still says what
// its values are.
func extractCSV(_ context.Context, src Source) (*Document, error) {
	s, err := readAllText(src)
	if err != nil {
		return nil, err
	}
	r := csv.NewReader(strings.NewReader(s))
	r.Comma = csvDelimiter(s, strings.ToLower(filepath.Ext(src.Name)))
	r.FieldsPerRecord = -1 // ragged rows are common in exports
	r.LazyQuotes = true
	r.ReuseRecord = true
	b := newBuilder()
	var header []string
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, corrupt(err)
		}
		if header == nil {
			header = make([]string, len(rec))
			for i, h := range rec {
				header[i] = oneLine(h)
			}
			b.text(strings.Join(header, " | "))
			continue
		}
		var cells []string
		for i, v := range rec {
			if v = oneLine(v); v == "" {
				continue
			}
			if i < len(header) && header[i] != "" {
				v = header[i] + ": " + v
			}
			cells = append(cells, v)
		}
		b.text(strings.Join(cells, " | "))
	}
	return b.done(), nil
}

// csvDelimiter: tab for .tsv, else whichever of , ; and tab the first
// line has most of (spreadsheets in many locales export with ";").
func csvDelimiter(s, ext string) rune {
	if ext == ".tsv" {
		return '\t'
	}
	first, _, _ := strings.Cut(s, "\n")
	best, n := ',', strings.Count(first, ",")
	for _, d := range []rune{';', '\t'} {
		if c := strings.Count(first, string(d)); c > n {
			best, n = d, c
		}
	}
	return best
}
