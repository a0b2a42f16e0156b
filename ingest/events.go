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

// EventParser parses event lines. It caches user-agent verdicts because
// the bot lists are large regular expressions and the same few thousand
// user agents repeat across millions of events. A parser is not safe for
// concurrent use: give each goroutine its own.
type EventParser struct {
	checker *quality.Checker
	uaCache map[string]bool
	sc      scanner
}

// uaCacheSize bounds the user-agent cache; when full it starts over, which
// keeps memory bounded on adversarial input at the cost of re-checking.
const uaCacheSize = 8192

// NewEventParser returns a parser; checker may be shared.
func NewEventParser(checker *quality.Checker) *EventParser {
	if checker == nil {
		checker = quality.NewChecker()
	}
	return &EventParser{checker: checker, uaCache: make(map[string]bool), sc: scanner{intern: map[string]string{}}}
}

// Parse reads one line. An empty line is a *RowError like any other bad
// line, so that every line of a file is accounted for.
//
// Accepted keys: id or messageId; lead_id, user_id, userId or email; type
// or event; timestamp or at; properties; user_agent or context.userAgent;
// source; bot and bot_reason. Keys match case-insensitively and a repeated
// key keeps its last value, as with encoding/json; other keys are ignored.
func (p *EventParser) Parse(line []byte, lineNo int) (EventRecord, error) {
	rec := EventRecord{Line: lineNo}
	trimmed := bytes.TrimSpace(line)
	if len(trimmed) == 0 {
		return rec, rowErr(lineNo, "", "empty line")
	}
	if trimmed[0] != '{' {
		return rec, rowErr(lineNo, "", "not a JSON object")
	}
	var f eventFields
	if err := p.scanEvent(trimmed, &f); err != nil {
		if fe, ok := err.(*fieldError); ok {
			return rec, rowErr(lineNo, fe.field, "%s", fe.msg)
		}
		return rec, rowErr(lineNo, "", "%v", err)
	}
	ev := &rec.Event
	ev.ID = f.id.text
	if ev.ID == "" {
		ev.ID = f.messageID.text
	}
	if ev.ID == "" {
		// A content hash keeps the id stable when the same file is scored
		// again, so explanations and ledgers refer to the same events.
		sum := sha256.Sum256(trimmed)
		ev.ID = "h" + hex.EncodeToString(sum[:12])
	}
	switch {
	case f.leadID.set:
		ev.LeadID = f.leadID.text
	case f.userID.set:
		ev.LeadID = f.userID.text
	case f.userIDAlt.set:
		ev.LeadID = f.userIDAlt.text
	}
	if ev.LeadID == "" && strings.TrimSpace(f.email) != "" {
		ev.LeadID = NormalizeEmail(f.email)
		rec.KeyKind = KeyEmail
	}
	if ev.LeadID == "" {
		return rec, rowErr(lineNo, "lead_id", "no lead: set lead_id, email or user_id")
	}
	switch {
	case strings.TrimSpace(f.typ) != "":
		ev.Type = strings.TrimSpace(f.typ)
	case strings.TrimSpace(f.event) != "":
		ev.Type = strings.TrimSpace(f.event)
	default:
		return rec, rowErr(lineNo, "type", "no event type: set type or event")
	}
	ts, field := f.timestamp, "timestamp"
	if !ts.set {
		ts, field = f.at, "at"
	}
	if !ts.set {
		return rec, rowErr(lineNo, "timestamp", "no time: set timestamp or at")
	}
	at, terr := ts.time()
	if terr != nil {
		return rec, rowErr(lineNo, field, "%v", terr)
	}
	ev.At = at
	ev.Properties = f.properties
	ev.UserAgent = f.userAgent
	if !f.userAgentSet {
		ev.UserAgent = f.contextUA
	}
	ev.Source = f.source
	switch {
	case f.bot:
		ev.Bot = true
		ev.BotReason = "flagged as bot in the input"
		if f.botReason != "" {
			ev.BotReason = f.botReason
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
