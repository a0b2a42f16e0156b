package ingest

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/leadscore/leadscore"
	"github.com/leadscore/leadscore/quality"
)

// KeyKind says how an event line named its lead.
type KeyKind uint8

const (
	// KeyID: lead_id, user_id or userId, matched against lead IDs.
	KeyID KeyKind = iota
	// KeyEmail: an email address, normalised, matched against lead emails.
	KeyEmail
)

// EventRecord is one event read from a JSONL line. Event.LeadID holds the
// key as the line gave it (normalised when it is an email); resolving it
// to a lead is the caller's business because it needs the leads.
type EventRecord struct {
	Line    int
	Event   leadscore.Event
	KeyKind KeyKind
}

// eventLine is the accepted shape of a line. Alternative names come from
// Segment-style payloads (event, userId, context.userAgent, messageId).
type eventLine struct {
	ID         json.RawMessage `json:"id"`
	MessageID  json.RawMessage `json:"messageId"`
	LeadID     json.RawMessage `json:"lead_id"`
	Email      *string         `json:"email"`
	UserID     json.RawMessage `json:"user_id"`
	UserIDAlt  json.RawMessage `json:"userId"`
	Type       *string         `json:"type"`
	EventName  *string         `json:"event"`
	Timestamp  json.RawMessage `json:"timestamp"`
	At         json.RawMessage `json:"at"`
	Properties json.RawMessage `json:"properties"`
	UserAgent  *string         `json:"user_agent"`
	Context    *struct {
		UserAgent string `json:"userAgent"`
	} `json:"context"`
	Source    *string `json:"source"`
	Bot       *bool   `json:"bot"`
	BotReason *string `json:"bot_reason"`
}

// EventParser parses event lines. It caches user-agent verdicts because
// the bot lists are large regular expressions and the same few thousand
// user agents repeat across millions of events. A parser is not safe for
// concurrent use: give each goroutine its own.
type EventParser struct {
	checker *quality.Checker
	uaCache map[string]bool
}

// uaCacheSize bounds the user-agent cache; when full it starts over, which
// keeps memory bounded on adversarial input at the cost of re-checking.
const uaCacheSize = 8192

// NewEventParser returns a parser; checker may be shared.
func NewEventParser(checker *quality.Checker) *EventParser {
	if checker == nil {
		checker = quality.NewChecker()
	}
	return &EventParser{checker: checker, uaCache: make(map[string]bool)}
}

// Parse reads one line. An empty line is a *RowError like any other bad
// line, so that every line of a file is accounted for.
func (p *EventParser) Parse(line []byte, lineNo int) (EventRecord, error) {
	rec := EventRecord{Line: lineNo}
	trimmed := bytes.TrimSpace(line)
	if len(trimmed) == 0 {
		return rec, rowErr(lineNo, "", "empty line")
	}
	if trimmed[0] != '{' {
		return rec, rowErr(lineNo, "", "not a JSON object")
	}
	var in eventLine
	if err := json.Unmarshal(trimmed, &in); err != nil {
		return rec, rowErr(lineNo, jsonErrField(err), "invalid JSON: %v", jsonErrText(err))
	}
	ev := &rec.Event
	var err *RowError
	if ev.ID, err = idValue(lineNo, "id", in.ID); err != nil {
		return rec, err
	}
	if ev.ID == "" {
		if ev.ID, err = idValue(lineNo, "messageId", in.MessageID); err != nil {
			return rec, err
		}
	}
	if ev.ID == "" {
		// A content hash keeps the id stable when the same file is scored
		// again, so explanations and ledgers refer to the same events.
		sum := sha256.Sum256(trimmed)
		ev.ID = "h" + hex.EncodeToString(sum[:12])
	}
	switch {
	case len(in.LeadID) > 0 && string(in.LeadID) != "null":
		ev.LeadID, err = idValue(lineNo, "lead_id", in.LeadID)
	case len(in.UserID) > 0 && string(in.UserID) != "null":
		ev.LeadID, err = idValue(lineNo, "user_id", in.UserID)
	case len(in.UserIDAlt) > 0 && string(in.UserIDAlt) != "null":
		ev.LeadID, err = idValue(lineNo, "userId", in.UserIDAlt)
	}
	if err != nil {
		return rec, err
	}
	if ev.LeadID == "" && in.Email != nil && strings.TrimSpace(*in.Email) != "" {
		ev.LeadID = NormalizeEmail(*in.Email)
		rec.KeyKind = KeyEmail
	}
	if ev.LeadID == "" {
		return rec, rowErr(lineNo, "lead_id", "no lead: set lead_id, email or user_id")
	}
	switch {
	case in.Type != nil && strings.TrimSpace(*in.Type) != "":
		ev.Type = strings.TrimSpace(*in.Type)
	case in.EventName != nil && strings.TrimSpace(*in.EventName) != "":
		ev.Type = strings.TrimSpace(*in.EventName)
	default:
		return rec, rowErr(lineNo, "type", "no event type: set type or event")
	}
	ts, field := in.Timestamp, "timestamp"
	if len(ts) == 0 || string(ts) == "null" {
		ts, field = in.At, "at"
	}
	if len(ts) == 0 || string(ts) == "null" {
		return rec, rowErr(lineNo, "timestamp", "no time: set timestamp or at")
	}
	at, terr := jsonTime(ts)
	if terr != nil {
		return rec, rowErr(lineNo, field, "%v", terr)
	}
	ev.At = at
	if len(in.Properties) > 0 && string(in.Properties) != "null" {
		if in.Properties[0] != '{' {
			return rec, rowErr(lineNo, "properties", "properties must be an object")
		}
		if err := json.Unmarshal(in.Properties, &ev.Properties); err != nil {
			return rec, rowErr(lineNo, "properties", "invalid JSON: %v", jsonErrText(err))
		}
	}
	if in.UserAgent != nil {
		ev.UserAgent = *in.UserAgent
	} else if in.Context != nil {
		ev.UserAgent = in.Context.UserAgent
	}
	if in.Source != nil {
		ev.Source = *in.Source
	}
	switch {
	case in.Bot != nil && *in.Bot:
		ev.Bot = true
		ev.BotReason = "flagged as bot in the input"
		if in.BotReason != nil && *in.BotReason != "" {
			ev.BotReason = *in.BotReason
		}
	case p.isBot(ev.UserAgent):
		ev.Bot = true
		ev.BotReason = "bot user agent"
	}
	return rec, nil
}

func (p *EventParser) isBot(ua string) bool {
	if ua == "" {
		return false
	}
	if v, ok := p.uaCache[ua]; ok {
		return v
	}
	v := p.checker.IsBotUserAgent(ua)
	if len(p.uaCache) >= uaCacheSize {
		clear(p.uaCache)
	}
	p.uaCache[ua] = v
	return v
}

// idValue reads an identifier that may be written as a string or a number.
func idValue(line int, field string, raw json.RawMessage) (string, *RowError) {
	if len(raw) == 0 || string(raw) == "null" {
		return "", nil
	}
	switch raw[0] {
	case '"':
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return "", rowErr(line, field, "invalid string")
		}
		return strings.TrimSpace(s), nil
	case '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
		return string(raw), nil
	}
	return "", rowErr(line, field, "must be a string or a number")
}

// jsonTime reads a time written as a string (see ParseTime) or a number of
// unix seconds or milliseconds.
func jsonTime(raw json.RawMessage) (t time.Time, err error) {
	if raw[0] == '"' {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return t, fmt.Errorf("invalid string")
		}
		return ParseTime(s)
	}
	if i, err := strconv.ParseInt(string(raw), 10, 64); err == nil {
		return unixInt(i)
	}
	f, perr := strconv.ParseFloat(string(raw), 64)
	if perr != nil {
		return t, fmt.Errorf("a time must be a string or a number, got %s", truncate(string(raw), 40))
	}
	return unixTime(f)
}

func jsonErrField(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return te.Field
	}
	return ""
}

func jsonErrText(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return fmt.Sprintf("%s must not be a JSON %s", te.Field, te.Value)
	}
	return err.Error()
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// EventReader streams events from a JSONL file.
type EventReader struct {
	lines  *LineReader
	parser *EventParser
}

// NewEventReader reads JSONL events from r; checker may be nil.
func NewEventReader(r io.Reader, checker *quality.Checker) *EventReader {
	return &EventReader{lines: NewLineReader(r), parser: NewEventParser(checker)}
}

// Next returns the next event. A *RowError rejects one line and reading may
// continue; io.EOF ends the file; any other error is final. Blank lines are
// skipped silently since editors and concatenation leave them.
func (r *EventReader) Next() (EventRecord, error) {
	for {
		line, n, err := r.lines.Next()
		if err != nil {
			return EventRecord{Line: n}, err
		}
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		return r.parser.Parse(line, n)
	}
}
