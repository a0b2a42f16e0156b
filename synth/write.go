package synth

import (
	"strconv"
	"time"
	"unicode/utf8"
)

// writeEvent writes one JSON line. Lines are assembled by hand, with a fixed
// key order, because this is the inner loop of generating tens of millions
// of events and encoding/json would dominate the run time.
func (g *generator) writeEvent(p *person, e *event) error {
	g.eventSeq++
	g.stats.Events++
	b := g.line[:0]
	b = append(b, '{')
	// A few lines carry no id, as in exports from some tools; readers
	// derive a stable one.
	if g.eventSeq%50 != 7 {
		b = append(b, `"id":"ev`...)
		b = strconv.AppendUint(b, g.eventSeq, 36)
		b = append(b, `",`...)
	}
	if e.byEmail {
		b = append(b, `"email":`...)
		b = appendString(b, p.email)
	} else {
		b = append(b, `"lead_id":`...)
		b = appendString(b, p.id)
	}
	b = append(b, `,"type":`...)
	b = appendString(b, e.typ)
	if g.eventSeq%20 == 3 {
		b = append(b, `,"timestamp":`...)
		b = strconv.AppendInt(b, e.at.UnixMilli(), 10)
	} else {
		b = append(b, `,"timestamp":"`...)
		b = e.at.AppendFormat(b, time.RFC3339)
		b = append(b, '"')
	}
	if e.props[0][0] != "" {
		b = append(b, `,"properties":{`...)
		for i, kv := range e.props {
			if kv[0] == "" {
				break
			}
			if i > 0 {
				b = append(b, ',')
			}
			b = appendString(b, kv[0])
			b = append(b, ':')
			b = appendString(b, kv[1])
		}
		b = append(b, '}')
	}
	if e.ua != "" {
		b = append(b, `,"user_agent":`...)
		b = appendString(b, e.ua)
	}
	b = append(b, "}\n"...)
	g.line = b
	_, err := g.events.Write(b)
	return err
}

// appendString appends s as a JSON string.
func appendString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < utf8.RuneSelf {
			b = append(b, c)
			i++
			continue
		}
		if c < utf8.RuneSelf {
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\t':
				b = append(b, '\\', 't')
			case '\r':
				b = append(b, '\\', 'r')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xF])
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, `\ufffd`...)
		} else {
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return append(b, '"')
}
