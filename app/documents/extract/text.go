package extract

import (
	"bytes"
	"context"
	"io"
	"path/filepath"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

func init() { extractors["txt"] = extractText }

// maxTextBytes bounds what a text file may hold: the upload limit is the
// real bound; this keeps a mis-detected binary from being read whole.
const maxTextBytes = 64 << 20

// Detect decides the format from the bytes first and the name second: a
// renamed .exe is refused whatever it is called.
func Detect(src Source) (string, error) {
	head := make([]byte, 512)
	n, err := src.R.ReadAt(head, 0)
	if err != nil && err != io.EOF {
		return "", ErrCorrupt
	}
	head = head[:n]
	if n == 0 {
		return "", ErrEmpty
	}
	ext := strings.ToLower(filepath.Ext(src.Name))
	switch {
	case bytes.HasPrefix(head, []byte("%PDF-")):
		return "pdf", nil
	case bytes.HasPrefix(head, []byte("PK\x03\x04")):
		if ext == ".docx" {
			return "docx", nil
		}
		return "", ErrUnsupported
	case looksBinary(head):
		return "", ErrUnsupported
	}
	switch ext {
	case ".md", ".markdown":
		return "md", nil
	case ".html", ".htm", ".xhtml":
		return "html", nil
	case ".csv", ".tsv":
		return "csv", nil
	case ".json":
		return "json", nil
	}
	if lang := codeLanguage(ext); lang != "" {
		return "code", nil
	}
	low := bytes.ToLower(bytes.TrimSpace(head))
	if bytes.HasPrefix(low, []byte("<!doctype html")) || bytes.HasPrefix(low, []byte("<html")) {
		return "html", nil
	}
	return "txt", nil
}

// looksBinary: NUL bytes or invalid UTF-8 early in the file (allowing a
// rune cut at the end of the sample).
func looksBinary(head []byte) bool {
	if bytes.IndexByte(head, 0) >= 0 {
		return true
	}
	for i := 0; i < len(head); {
		r, size := utf8.DecodeRune(head[i:])
		if r == utf8.RuneError && size == 1 && len(head)-i > utf8.UTFMax {
			return true
		}
		i += size
	}
	return false
}

var codeExts = map[string]string{
	".go": "go", ".py": "python", ".js": "javascript", ".ts": "typescript", ".java": "java", ".c": "c",
	".h": "c", ".cpp": "cpp", ".rs": "rust", ".rb": "ruby", ".sh": "bash", ".sql": "sql", ".yaml": "yaml",
	".yml": "yaml", ".toml": "toml", ".svelte": "svelte", ".css": "css", ".php": "php", ".kt": "kotlin",
	".swift": "swift", ".cs": "csharp", ".lua": "lua", ".r": "r", ".pl": "perl", ".xml": "xml",
}

func codeLanguage(ext string) string { return codeExts[ext] }

// readAllText reads a text source whole (bounded) as valid UTF-8.
func readAllText(src Source) (string, error) {
	if src.Size > maxTextBytes {
		return "", ErrCorrupt
	}
	b, err := io.ReadAll(io.NewSectionReader(src.R, 0, src.Size))
	if err != nil {
		return "", ErrCorrupt
	}
	b = bytes.TrimPrefix(b, []byte("\xef\xbb\xbf")) // a BOM is not text
	return strings.ToValidUTF8(string(b), "\uFFFD"), nil
}

// paragraphs splits text on blank lines into normalised blocks on page 1.
func paragraphs(text string, heading []string) []Block {
	var out []Block
	for _, p := range splitParagraphs(text) {
		out = append(out, Block{Page: 1, Heading: heading, Text: p})
	}
	return out
}

func splitParagraphs(text string) []string {
	text = strings.ReplaceAll(text, "\r\n", "\n")
	var out []string
	for _, p := range strings.Split(text, "\n\n") {
		if p = Normalise(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// Normalise is NFKC with runs of spaces and tabs folded and the ends
// trimmed; line breaks inside a paragraph are kept.
func Normalise(s string) string {
	s = norm.NFKC.String(s)
	lines := strings.Split(s, "\n")
	kept := lines[:0]
	for _, l := range lines {
		if l = strings.Join(strings.Fields(l), " "); l != "" {
			kept = append(kept, l)
		}
	}
	return strings.Join(kept, "\n")
}

// normaliseVerbatim is NFKC with tabs expanded, trailing spaces trimmed and
// blank lines at the ends dropped; indentation is kept.
func normaliseVerbatim(s string) string {
	s = norm.NFKC.String(strings.ReplaceAll(s, "\r\n", "\n"))
	lines := strings.Split(strings.ReplaceAll(s, "\t", "    "), "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRightFunc(l, unicode.IsSpace)
	}
	return strings.Trim(strings.Join(lines, "\n"), "\n")
}

func extractText(_ context.Context, src Source) (*Document, error) {
	text, err := readAllText(src)
	if err != nil {
		return nil, err
	}
	return &Document{Blocks: paragraphs(text, nil)}, nil
}
