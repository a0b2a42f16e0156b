package yamlfile

import (
	"strings"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// Source is one file's text, kept so that positions inside a scalar (an
// error in the middle of an expression) can be mapped back to the file.
type Source struct {
	Name  string
	Data  []byte
	lines [][]rune // built on first use; most files never need it
}

// Line returns the i-th (0-based) line of the file, or nil past its end.
func (s *Source) Line(i int) []rune {
	if s.lines == nil {
		text := string(s.Data)
		if !utf8.ValidString(text) {
			text = strings.ToValidUTF8(text, "\uFFFD")
		}
		for _, l := range strings.Split(yamlBreaks.Replace(text), "\n") {
			s.lines = append(s.lines, []rune(l))
		}
	}
	if i < 0 || i >= len(s.lines) {
		return nil
	}
	return s.lines[i]
}

// yamlBreaks normalises every line break YAML counts (CR LF, CR, LF, NEL,
// LS, PS) to LF, so that line numbers agree with the parser's. It is never
// modified after initialisation.
var yamlBreaks = strings.NewReplacer("\r\n", "\n", "\r", "\n", "\u0085", "\n", "\u2028", "\n", "\u2029", "\n")

// ValueOffset turns an expression parser's (1-based line, 0-based column)
// inside a value into a rune offset into that value.
func ValueOffset(value string, line, col int) int {
	off := 0
	for i, l := range strings.Split(value, "\n") {
		if i == line-1 {
			return off + col
		}
		off += utf8.RuneCountInString(l) + 1
	}
	return off
}

// ScalarPos maps a rune offset inside a scalar's value to a 1-based line and
// column in the file. YAML changes text on the way from the file to the
// value (quotes, escapes, folded lines, block indentation), so the file is
// walked alongside the value: equal characters advance both, while escape
// sequences, doubled quotes, line breaks and indentation advance the file
// only. When the walk gets lost it still ends near the right place, which
// is all a pointer into an expression needs.
func (s *Source) ScalarPos(n *yaml.Node, offset int) (line, col int) {
	value := []rune(n.Value)
	offset = min(offset, len(value))
	li, ci := n.Line-1, n.Column-1
	dq := n.Style&yaml.DoubleQuotedStyle != 0
	sq := n.Style&yaml.SingleQuotedStyle != 0
	block := n.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0
	indent := 0
	switch {
	case dq || sq:
		ci++ // the opening quote
	case block:
		// The value starts on the line after the | or > indicator; its
		// indentation is that of the first line with content.
		li++
		s.Line(0)
		for k := li; k < len(s.lines); k++ {
			l := s.lines[k]
			if strings.TrimSpace(string(l)) == "" {
				continue
			}
			for indent < len(l) && (l[indent] == ' ' || l[indent] == '\t') {
				indent++
			}
			break
		}
		ci = min(indent, len(s.Line(li)))
	}
	// Each step consumes at least one file character, so the walk ends; the
	// limit only guards against a file that does not hold this node.
	for k, steps := 0, 0; k < offset && steps < 1<<20; steps++ {
		l := s.Line(li)
		if l == nil && li >= len(s.lines) {
			break
		}
		if ci >= len(l) {
			// A line break in the file: in the value it is a newline
			// (literal block), a space (folded or flow scalars) or nothing
			// (an escaped break in a double-quoted scalar).
			if value[k] == '\n' || value[k] == ' ' {
				k++
			}
			li++
			ci = 0
			nl := s.Line(li)
			limit := len(nl)
			if block {
				limit = min(indent, len(nl))
			}
			for ci < limit && (nl[ci] == ' ' || nl[ci] == '\t') {
				ci++
			}
			continue
		}
		switch c := l[ci]; {
		case dq && c == '\\' && ci+1 == len(l):
			ci++ // an escaped line break: nothing in the value
		case dq && c == '\\':
			ci += escapeLen(l[ci:])
			k++
		case sq && c == '\'' && ci+1 < len(l) && l[ci+1] == '\'':
			ci += 2
			k++
		case c == value[k]:
			ci++
			k++
		case c == ' ' || c == '\t':
			ci++
		default:
			ci++
			k++
		}
	}
	return li + 1, ci + 1
}

// escapeLen is the length in the file of the escape sequence at the start
// of l (which begins with a backslash).
func escapeLen(l []rune) int {
	if len(l) < 2 {
		return 1
	}
	switch l[1] {
	case 'x':
		return min(4, len(l))
	case 'u':
		return min(6, len(l))
	case 'U':
		return min(10, len(l))
	}
	return 2
}
