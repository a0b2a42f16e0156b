package ingest

import (
	"fmt"
	"strings"
	"time"
)

// eventFields are the recognised keys of an event line as scanned.
type eventFields struct {
	id, messageID, leadID, userID, userIDAlt idText
	email, typ, event                        string
	timestamp, at                            timeText
	properties                               map[string]any
	userAgent, contextUA                     string
	userAgentSet                             bool
	source, botReason                        string
	bot                                      bool
}

// idText is an identifier written as a string or a number; set is false
// for an absent or null key.
type idText struct {
	text string
	set  bool
}

// timeText is a time written as a string or a number.
type timeText struct {
	text   string
	number bool
	set    bool
}

func (t timeText) time() (time.Time, error) {
	if t.number {
		return jsonTime([]byte(t.text))
	}
	return ParseTime(t.text)
}

// fieldError is a value of the wrong JSON type for a known key.
type fieldError struct {
	field, msg string
}

func (e *fieldError) Error() string { return e.field + ": " + e.msg }

// eventKeys lists the recognised keys; a key matches one of them exactly
// or, failing that, case-insensitively (the rule of encoding/json).
var eventKeys = [...]string{"id", "messageId", "lead_id", "email", "user_id", "userId", "type", "event",
	"timestamp", "at", "properties", "user_agent", "context", "source", "bot", "bot_reason"}

func matchKey(k []byte) string {
	for _, name := range eventKeys {
		if string(k) == name {
			return name
		}
	}
	for _, name := range eventKeys {
		if strings.EqualFold(string(k), name) {
			return name
		}
	}
	return ""
}

// scanEvent reads the top-level object of an event line.
func (p *EventParser) scanEvent(line []byte, f *eventFields) error {
	s := &p.sc
	s.b, s.i = line, 0
	defer func() { s.b = nil }()
	if err := s.expect('{'); err != nil {
		return err
	}
	var typeErr error
	if s.peek() == '}' {
		s.i++
	} else {
		for {
			kb, err := s.rawString()
			if err != nil {
				return err
			}
			key := matchKey(kb)
			if err := s.expect(':'); err != nil {
				return err
			}
			if err := p.scanField(key, f); err != nil {
				fe, ok := err.(*fieldError)
				if !ok {
					return err
				}
				// Like encoding/json, a value of the wrong type is reported
				// after the whole line has been checked for syntax.
				if typeErr == nil {
					typeErr = fe
				}
				if err := s.skip(0); err != nil {
					return err
				}
			}
			c := s.peek()
			if c == ',' {
				s.i++
				continue
			}
			if c == '}' {
				s.i++
				break
			}
			return s.syntax("expected , or }")
		}
	}
	if s.peek() != 0 {
		return s.syntax("data after the object")
	}
	return typeErr
}

// scanField reads the value of one key into f. A value of the wrong type
// leaves the scanner before the value and returns a *fieldError.
func (p *EventParser) scanField(key string, f *eventFields) error {
	s := &p.sc
	c := s.peek()
	if c == 'n' && key != "" {
		// null: the key is as good as absent.
		if err := s.literal("null"); err != nil {
			return err
		}
		p.clearField(key, f)
		return nil
	}
	switch key {
	case "":
		return s.skip(0)
	case "id", "messageId", "lead_id", "user_id", "userId":
		var t idText
		switch {
		case c == '"':
			v, err := s.str(false)
			if err != nil {
				return err
			}
			t = idText{text: strings.TrimSpace(v), set: true}
		case c == '-' || (c >= '0' && c <= '9'):
			num, err := s.number()
			if err != nil {
				return err
			}
			t = idText{text: string(num), set: true}
		default:
			return &fieldError{key, "must be a string or a number"}
		}
		switch key {
		case "id":
			f.id = t
		case "messageId":
			f.messageID = t
		case "lead_id":
			f.leadID = t
		case "user_id":
			f.userID = t
		case "userId":
			f.userIDAlt = t
		}
	case "timestamp", "at":
		var t timeText
		switch {
		case c == '"':
			v, err := s.str(false)
			if err != nil {
				return err
			}
			t = timeText{text: v, set: true}
		case c == '-' || (c >= '0' && c <= '9'):
			num, err := s.number()
			if err != nil {
				return err
			}
			t = timeText{text: string(num), number: true, set: true}
		default:
			return &fieldError{key, "a time must be a string or a number"}
		}
		if key == "at" {
			f.at = t
		} else {
			f.timestamp = t
		}
	case "properties":
		if c != '{' {
			return &fieldError{key, "properties must be an object"}
		}
		m, err := s.object(1)
		if err != nil {
			return err
		}
		f.properties = m
	case "context":
		if c != '{' {
			return &fieldError{key, "context must be an object"}
		}
		return p.scanContext(f)
	case "bot":
		switch c {
		case 't':
			f.bot = true
			return s.literal("true")
		case 'f':
			f.bot = false
			return s.literal("false")
		}
		return &fieldError{key, "must be true or false"}
	default: // string keys
		if c != '"' {
			return &fieldError{key, "must be a string"}
		}
		v, err := s.str(key != "email")
		if err != nil {
			return err
		}
		switch key {
		case "email":
			f.email = v
		case "type":
			f.typ = v
		case "event":
			f.event = v
		case "user_agent":
			f.userAgent, f.userAgentSet = v, true
		case "source":
			f.source = v
		case "bot_reason":
			f.botReason = v
		}
	}
	return nil
}

// clearField handles a null value: the key counts as absent, as a null
// does for encoding/json's pointer and raw fields.
func (p *EventParser) clearField(key string, f *eventFields) {
	switch key {
	case "id":
		f.id = idText{}
	case "messageId":
		f.messageID = idText{}
	case "lead_id":
		f.leadID = idText{}
	case "user_id":
		f.userID = idText{}
	case "userId":
		f.userIDAlt = idText{}
	case "timestamp":
		f.timestamp = timeText{}
	case "at":
		f.at = timeText{}
	case "email":
		f.email = ""
	case "type":
		f.typ = ""
	case "event":
		f.event = ""
	case "properties":
		f.properties = nil
	case "user_agent":
		f.userAgent, f.userAgentSet = "", false
	case "context":
		f.contextUA = ""
	case "source":
		f.source = ""
	case "bot":
		f.bot = false
	case "bot_reason":
		f.botReason = ""
	}
}

// scanContext reads context.userAgent and skips the rest.
func (p *EventParser) scanContext(f *eventFields) error {
	s := &p.sc
	s.i++ // {
	if s.peek() == '}' {
		s.i++
		return nil
	}
	for {
		kb, err := s.rawString()
		if err != nil {
			return err
		}
		if err := s.expect(':'); err != nil {
			return err
		}
		if string(kb) == "userAgent" || strings.EqualFold(string(kb), "userAgent") {
			switch s.peek() {
			case '"':
				v, err := s.str(true)
				if err != nil {
					return err
				}
				f.contextUA = v
			case 'n':
				if err := s.literal("null"); err != nil {
					return err
				}
			default:
				return fmt.Errorf("%w: context.userAgent must be a string", errSyntax)
			}
		} else if err := s.skip(1); err != nil {
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
}
