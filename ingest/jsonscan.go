package ingest

import (
	"errors"
	"fmt"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// scanner is a small JSON reader for event lines. Event files are the
// largest input of the product (tens of millions of lines), and decoding
// them with encoding/json costs a validation pass, a decode pass, a second
// decode of the properties and an allocation per field; this reader does
// one pass and allocates only the strings and maps it returns. It accepts
// exactly the JSON that encoding/json accepts and produces the same Go
// values (float64, string, bool, nil, []any, map[string]any), which a
// differential fuzz test checks against encoding/json.
type scanner struct {
	b []byte
	i int
	// intern shares the strings that repeat from line to line (event
	// types, property names, user agents, short property values), so that
	// a file of millions of events does not allocate each of them anew.
	intern map[string]string
}

// internLimit bounds the interned strings; past it the table starts over.
const internLimit = 16 << 10

// maxNesting matches encoding/json's limit on nested arrays and objects.
const maxNesting = 10000

var errSyntax = errors.New("invalid JSON")

func (s *scanner) syntax(what string) error {
	if s.i >= len(s.b) {
		return fmt.Errorf("%w: unexpected end of line", errSyntax)
	}
	return fmt.Errorf("%w: %s at offset %d", errSyntax, what, s.i)
}

func (s *scanner) ws() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// peek returns the next non-space byte, or 0 at the end.
func (s *scanner) peek() byte {
	s.ws()
	if s.i >= len(s.b) {
		return 0
	}
	return s.b[s.i]
}

func (s *scanner) expect(c byte) error {
	if s.peek() != c {
		return s.syntax(fmt.Sprintf("expected %q", c))
	}
	s.i++
	return nil
}

// rawString scans a string and returns its bytes: the raw span when it
// needs no decoding (the common case, no copy), else a decoded copy.
func (s *scanner) rawString() ([]byte, error) {
	if s.peek() != '"' {
		return nil, s.syntax("expected a string")
	}
	s.i++
	start := s.i
	ascii := true
	for s.i < len(s.b) {
		c := s.b[s.i]
		switch {
		case c == '"':
			span := s.b[start:s.i]
			s.i++
			if ascii || utf8.Valid(span) {
				return span, nil
			}
			return s.decodeString(span)
		case c == '\\':
			return s.slowString(start)
		case c < 0x20:
			return nil, s.syntax("control character in a string")
		case c >= utf8.RuneSelf:
			ascii = false
		}
		s.i++
	}
	return nil, s.syntax("unterminated string")
}

// slowString decodes a string with escapes, from its first byte at start.
func (s *scanner) slowString(start int) ([]byte, error) {
	s.i = start
	var out []byte
	for s.i < len(s.b) {
		c := s.b[s.i]
		switch {
		case c == '"':
			s.i++
			return s.decodeString(out)
		case c < 0x20:
			return nil, s.syntax("control character in a string")
		case c != '\\':
			out = append(out, c)
			s.i++
			continue
		}
		s.i++
		if s.i >= len(s.b) {
			return nil, s.syntax("unterminated string")
		}
		e := s.b[s.i]
		s.i++
		switch e {
		case '"', '\\', '/':
			out = append(out, e)
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'u':
			r, ok := s.hex4()
			if !ok {
				return nil, s.syntax("bad \\u escape")
			}
			if utf16.IsSurrogate(r) {
				// A high surrogate followed by an escaped low one is one
				// character; anything else is replaced, as encoding/json does.
				save := s.i
				if s.i+1 < len(s.b) && s.b[s.i] == '\\' && s.b[s.i+1] == 'u' {
					s.i += 2
					if r2, ok := s.hex4(); ok {
						if dec := utf16.DecodeRune(r, r2); dec != utf8.RuneError {
							out = utf8.AppendRune(out, dec)
							continue
						}
					}
				}
				s.i = save
				r = utf8.RuneError
			}
			out = utf8.AppendRune(out, r)
		default:
			return nil, s.syntax("bad escape")
		}
	}
	return nil, s.syntax("unterminated string")
}

func (s *scanner) hex4() (rune, bool) {
	if s.i+4 > len(s.b) {
		return 0, false
	}
	var r rune
	for _, c := range s.b[s.i : s.i+4] {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			c = c - 'A' + 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	s.i += 4
	return r, true
}

// decodeString replaces invalid UTF-8 with U+FFFD, like encoding/json.
func (s *scanner) decodeString(b []byte) ([]byte, error) {
	if utf8.Valid(b) {
		return b, nil
	}
	out := make([]byte, 0, len(b)+8)
	for len(b) > 0 {
		r, size := utf8.DecodeRune(b)
		if r == utf8.RuneError && size == 1 {
			out = utf8.AppendRune(out, utf8.RuneError)
		} else {
			out = append(out, b[:size]...)
		}
		b = b[size:]
	}
	return out, nil
}

// str returns a string value, interned when short.
func (s *scanner) str(intern bool) (string, error) {
	b, err := s.rawString()
	if err != nil {
		return "", err
	}
	return s.toString(b, intern), nil
}

func (s *scanner) toString(b []byte, intern bool) string {
	if !intern || len(b) > 128 || s.intern == nil {
		return string(b)
	}
	if v, ok := s.intern[string(b)]; ok {
		return v
	}
	if len(s.intern) >= internLimit {
		clear(s.intern)
	}
	v := string(b)
	s.intern[v] = v
	return v
}

// number scans a JSON number and returns its text.
func (s *scanner) number() ([]byte, error) {
	s.ws()
	start := s.i
	if s.i < len(s.b) && s.b[s.i] == '-' {
		s.i++
	}
	switch {
	case s.i < len(s.b) && s.b[s.i] == '0':
		s.i++
	case s.i < len(s.b) && s.b[s.i] >= '1' && s.b[s.i] <= '9':
		for s.i < len(s.b) && s.b[s.i] >= '0' && s.b[s.i] <= '9' {
			s.i++
		}
	default:
		return nil, s.syntax("bad number")
	}
	if s.i < len(s.b) && s.b[s.i] == '.' {
		s.i++
		if s.i >= len(s.b) || s.b[s.i] < '0' || s.b[s.i] > '9' {
			return nil, s.syntax("bad number")
		}
		for s.i < len(s.b) && s.b[s.i] >= '0' && s.b[s.i] <= '9' {
			s.i++
		}
	}
	if s.i < len(s.b) && (s.b[s.i] == 'e' || s.b[s.i] == 'E') {
		s.i++
		if s.i < len(s.b) && (s.b[s.i] == '+' || s.b[s.i] == '-') {
			s.i++
		}
		if s.i >= len(s.b) || s.b[s.i] < '0' || s.b[s.i] > '9' {
			return nil, s.syntax("bad number")
		}
		for s.i < len(s.b) && s.b[s.i] >= '0' && s.b[s.i] <= '9' {
			s.i++
		}
	}
	return s.b[start:s.i], nil
}

func (s *scanner) literal(word string) error {
	s.ws()
	if len(s.b)-s.i < len(word) || string(s.b[s.i:s.i+len(word)]) != word {
		return s.syntax("bad literal")
	}
	s.i += len(word)
	return nil
}

// value decodes any JSON value into the types encoding/json uses for an
// interface{} target. A number outside float64's range is an error there
// too.
func (s *scanner) value(depth int) (any, error) {
	if depth > maxNesting {
		return nil, s.syntax("too deeply nested")
	}
	switch c := s.peek(); {
	case c == '"':
		return s.str(true)
	case c == '{':
		return s.object(depth + 1)
	case c == '[':
		s.i++
		out := []any{}
		if s.peek() == ']' {
			s.i++
			return out, nil
		}
		for {
			v, err := s.value(depth + 1)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
			switch s.peek() {
			case ',':
				s.i++
			case ']':
				s.i++
				return out, nil
			default:
				return nil, s.syntax("expected , or ]")
			}
		}
	case c == 't':
		return true, s.literal("true")
	case c == 'f':
		return false, s.literal("false")
	case c == 'n':
		return nil, s.literal("null")
	case c == '-' || (c >= '0' && c <= '9'):
		num, err := s.number()
		if err != nil {
			return nil, err
		}
		f, err := strconv.ParseFloat(string(num), 64)
		if err != nil {
			return nil, fmt.Errorf("number %s is out of range", num)
		}
		return f, nil
	}
	return nil, s.syntax("unexpected character")
}

// object decodes an object; duplicate keys keep the last value.
func (s *scanner) object(depth int) (map[string]any, error) {
	if err := s.expect('{'); err != nil {
		return nil, err
	}
	m := map[string]any{}
	if s.peek() == '}' {
		s.i++
		return m, nil
	}
	for {
		k, err := s.str(true)
		if err != nil {
			return nil, err
		}
		if err := s.expect(':'); err != nil {
			return nil, err
		}
		v, err := s.value(depth)
		if err != nil {
			return nil, err
		}
		m[k] = v
		switch s.peek() {
		case ',':
			s.i++
		case '}':
			s.i++
			return m, nil
		default:
			return nil, s.syntax("expected , or }")
		}
	}
}

// skip validates and skips any value.
func (s *scanner) skip(depth int) error {
	if depth > maxNesting {
		return s.syntax("too deeply nested")
	}
	switch c := s.peek(); {
	case c == '"':
		_, err := s.rawString()
		return err
	case c == '{':
		s.i++
		if s.peek() == '}' {
			s.i++
			return nil
		}
		for {
			if _, err := s.rawString(); err != nil {
				return err
			}
			if err := s.expect(':'); err != nil {
				return err
			}
			if err := s.skip(depth + 1); err != nil {
				return err
			}
			switch s.peek() {
			case ',':
				s.i++
			case '}':
				s.i++
				return nil
			default:
				return s.syntax("expected , or }")
			}
		}
	case c == '[':
		s.i++
		if s.peek() == ']' {
			s.i++
			return nil
		}
		for {
			if err := s.skip(depth + 1); err != nil {
				return err
			}
			switch s.peek() {
			case ',':
				s.i++
			case ']':
				s.i++
				return nil
			default:
				return s.syntax("expected , or ]")
			}
		}
	case c == 't':
		return s.literal("true")
	case c == 'f':
		return s.literal("false")
	case c == 'n':
		return s.literal("null")
	case c == '-' || (c >= '0' && c <= '9'):
		_, err := s.number()
		return err
	}
	return s.syntax("unexpected character")
}
