package llm

import (
	"encoding/json"
	"strings"
	"unicode/utf8"
)

// decodeOllamaLine decodes one line of an Ollama stream into l. Nearly
// every line is a chunk ({"model":…,"created_at":…,"message":{"role":…,
// "content":…},"done":false}): those are read by parseOllamaChunk without
// reflection. Anything else — the final line, an error line, an unusual
// field or invalid JSON — goes to encoding/json, which gives the same
// result or the error.
func decodeOllamaLine(line []byte, l *ollamaLine) error {
	if parseOllamaChunk(line, l) {
		return nil
	}
	*l = ollamaLine{}
	return json.Unmarshal(line, l)
}

// parseOllamaChunk fills l from a chunk line and reports true, or reports
// false (l then holds garbage) when the line is not one it is sure to read
// as encoding/json would: a final or error line, a field of ollamaLine in
// another spelling or of an unexpected type, or anything invalid.
func parseOllamaChunk(line []byte, l *ollamaLine) bool {
	model := l.Model // reused when the next line names the same model
	*l = ollamaLine{}
	s := lineScanner{b: line}
	if !s.open('{') {
		return false
	}
	for more := true; more; {
		key, ok := s.key()
		if !ok {
			return false
		}
		switch string(key) {
		case "created_at":
			ok = s.skip(0)
		case "message":
			ok = s.message(l)
		case "response":
			ok = s.stringValue(&l.Response)
		case "thinking":
			ok = s.stringValue(&l.Thinking)
		case "model":
			ok = s.modelValue(&l.Model, model)
		case "done":
			// Only done:false; the final line is read in full by
			// encoding/json.
			ok = s.literal("false")
		default:
			// error, done_reason, the metrics — not a chunk's — or a
			// spelling encoding/json could match to a field.
			ok = !isOllamaField(key, ollamaLineFields...) && s.skip(0)
		}
		if !ok {
			return false
		}
		if more, ok = s.next('}'); !ok {
			return false
		}
	}
	s.space()
	return s.i == len(s.b)
}

// message reads the object of a chunk's "message".
func (s *lineScanner) message(l *ollamaLine) bool {
	if !s.open('{') {
		return false // null, or not an object
	}
	for more := true; more; {
		key, ok := s.key()
		if !ok {
			return false
		}
		switch string(key) {
		case "role":
			ok = s.skip(0)
		case "content":
			ok = s.stringValue(&l.Message.Content)
		case "thinking":
			ok = s.stringValue(&l.Message.Thinking)
		default:
			ok = !isOllamaField(key, "content", "thinking") && s.skip(0)
		}
		if !ok {
			return false
		}
		if more, ok = s.next('}'); !ok {
			return false
		}
	}
	return true
}

// open reads the opening bracket c and reports whether it was there; an
// empty object or array is taken as not there (encoding/json reads it).
func (s *lineScanner) open(c byte) bool {
	s.space()
	if s.peek() != c {
		return false
	}
	s.i++
	s.space()
	return s.peek() != c+2 // '{'+2 is '}', '['+2 is ']'
}

// key reads an object key (plain ones only) and its colon.
func (s *lineScanner) key() ([]byte, bool) {
	s.space()
	key, escaped, ok := s.str()
	if !ok || escaped {
		return nil, false
	}
	s.space()
	if s.peek() != ':' {
		return nil, false
	}
	s.i++
	return key, true
}

// next reads the comma before a further member (true) or the closing
// bracket end (false).
func (s *lineScanner) next(end byte) (more, ok bool) {
	s.space()
	switch s.peek() {
	case ',':
		s.i++
		return true, true
	case end:
		s.i++
		return false, true
	}
	return false, false
}

// modelValue reads a string like stringValue, reusing last when equal.
func (s *lineScanner) modelValue(dst *string, last string) bool {
	s.space()
	from := s.i
	raw, escaped, ok := s.str()
	if !ok {
		return false
	}
	if !escaped && string(raw) == last {
		*dst = last
		return true
	}
	s.i = from
	return s.stringValue(dst)
}

// ollamaLineFields are the JSON names of ollamaLine's fields, nested
// message aside.
var ollamaLineFields = []string{"model", "done", "done_reason", "total_duration", "load_duration",
	"prompt_eval_count", "prompt_eval_duration", "eval_count", "eval_duration", "error",
	"message", "response", "thinking"}

// isOllamaField reports whether encoding/json could match key to one of
// names (it matches case-insensitively, and folds some non-ASCII letters
// too: any non-ASCII key is taken as a possible match).
func isOllamaField(key []byte, names ...string) bool {
	for _, c := range key {
		if c >= utf8.RuneSelf {
			return true
		}
	}
	for _, n := range names {
		if strings.EqualFold(string(key), n) {
			return true
		}
	}
	return false
}

// lineScanner reads a JSON text with strict validation; any doubt makes
// its methods report false.
type lineScanner struct {
	b []byte
	i int
}

func (s *lineScanner) space() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

func (s *lineScanner) peek() byte {
	if s.i < len(s.b) {
		return s.b[s.i]
	}
	return 0
}

// str reads a string, returning what is between the quotes and whether it
// has escapes; it checks escapes and control characters, not UTF-8.
func (s *lineScanner) str() (raw []byte, escaped, ok bool) {
	if s.peek() != '"' {
		return nil, false, false
	}
	s.i++
	start := s.i
	for s.i < len(s.b) {
		c := s.b[s.i]
		switch {
		case c == '"':
			raw = s.b[start:s.i]
			s.i++
			return raw, escaped, true
		case c == '\\':
			escaped = true
			s.i++
			if s.i >= len(s.b) {
				return nil, false, false
			}
			switch s.b[s.i] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				s.i++
			case 'u':
				if s.i+4 >= len(s.b) {
					return nil, false, false
				}
				for _, h := range s.b[s.i+1 : s.i+5] {
					if !isHex(h) {
						return nil, false, false
					}
				}
				s.i += 5
			default:
				return nil, false, false
			}
		case c < 0x20:
			return nil, false, false
		default:
			s.i++
		}
	}
	return nil, false, false
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// stringValue reads a string into *dst: a plain one directly, one with
// escapes or non-UTF-8 bytes through encoding/json (which unescapes and
// replaces bad bytes as it always does).
func (s *lineScanner) stringValue(dst *string) bool {
	s.space()
	from := s.i
	raw, escaped, ok := s.str()
	if !ok {
		return false
	}
	if !escaped && utf8.Valid(raw) {
		*dst = string(raw)
		return true
	}
	return json.Unmarshal(s.b[from:s.i], dst) == nil
}

// literal reads exactly lit (true, false, null).
func (s *lineScanner) literal(lit string) bool {
	s.space()
	if len(s.b)-s.i < len(lit) || string(s.b[s.i:s.i+len(lit)]) != lit {
		return false
	}
	s.i += len(lit)
	return true
}

// skip reads any value, checking it is valid JSON.
func (s *lineScanner) skip(depth int) bool {
	if depth > 64 {
		return false // let encoding/json judge deep nesting
	}
	s.space()
	switch c := s.peek(); {
	case c == '"':
		_, _, ok := s.str()
		return ok
	case c == '{' || c == '[':
		s.i++
		s.space()
		if s.peek() == c+2 {
			s.i++
			return true // empty
		}
		for more := true; more; {
			if c == '{' {
				if _, ok := s.key(); !ok {
					return false
				}
			}
			if !s.skip(depth + 1) {
				return false
			}
			var ok bool
			if more, ok = s.next(c + 2); !ok {
				return false
			}
		}
		return true
	case c == 't':
		return s.literal("true")
	case c == 'f':
		return s.literal("false")
	case c == 'n':
		return s.literal("null")
	case c == '-' || '0' <= c && c <= '9':
		return s.number()
	}
	return false
}

// number reads a JSON number: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func (s *lineScanner) number() bool {
	if s.peek() == '-' {
		s.i++
	}
	switch c := s.peek(); {
	case c == '0':
		s.i++
	case '1' <= c && c <= '9':
		s.digits()
	default:
		return false
	}
	if s.peek() == '.' {
		s.i++
		if !s.digits() {
			return false
		}
	}
	if c := s.peek(); c == 'e' || c == 'E' {
		s.i++
		if c := s.peek(); c == '+' || c == '-' {
			s.i++
		}
		if !s.digits() {
			return false
		}
	}
	return true
}

func (s *lineScanner) digits() bool {
	start := s.i
	for s.i < len(s.b) && '0' <= s.b[s.i] && s.b[s.i] <= '9' {
		s.i++
	}
	return s.i > start
}
