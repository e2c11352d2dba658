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
	*l = ollamaLine{}
	s := lineScanner{b: line}
	ok := s.object(func(key []byte) bool {
		switch string(key) {
		case "message":
			s.space()
			if s.peek() != '{' {
				return false // null, or not an object
			}
			return s.object(func(key []byte) bool {
				switch string(key) {
				case "content":
					return s.stringValue(&l.Message.Content)
				case "thinking":
					return s.stringValue(&l.Message.Thinking)
				}
				if isOllamaField(key, "content", "thinking") {
					return false
				}
				return s.skip(0)
			})
		case "response":
			return s.stringValue(&l.Response)
		case "thinking":
			return s.stringValue(&l.Thinking)
		case "model":
			return s.stringValue(&l.Model)
		case "done":
			// Only done:false; the final line is read in full by
			// encoding/json.
			return s.literal("false")
		}
		if isOllamaField(key, ollamaLineFields...) {
			return false // error, done_reason, the metrics: not a chunk's
		}
		return s.skip(0)
	})
	if !ok {
		return false
	}
	s.space()
	return s.i == len(s.b)
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

// object reads an object, calling field for each key (unescaped, plain
// keys only) with the scanner before the value, which field must read.
func (s *lineScanner) object(field func(key []byte) bool) bool {
	s.space()
	if s.peek() != '{' {
		return false
	}
	s.i++
	s.space()
	if s.peek() == '}' {
		s.i++
		return true
	}
	for {
		s.space()
		key, escaped, ok := s.str()
		if !ok || escaped {
			return false
		}
		s.space()
		if s.peek() != ':' {
			return false
		}
		s.i++
		if !field(key) {
			return false
		}
		s.space()
		switch s.peek() {
		case ',':
			s.i++
		case '}':
			s.i++
			return true
		default:
			return false
		}
	}
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
	case c == '{':
		return s.object(func([]byte) bool { return s.skip(depth + 1) })
	case c == '[':
		s.i++
		s.space()
		if s.peek() == ']' {
			s.i++
			return true
		}
		for {
			if !s.skip(depth + 1) {
				return false
			}
			s.space()
			switch s.peek() {
			case ',':
				s.i++
			case ']':
				s.i++
				return true
			default:
				return false
			}
		}
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
