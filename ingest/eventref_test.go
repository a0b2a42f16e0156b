package ingest

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/leadscore/leadscore/quality"
)

// parseReference is the event parser written plainly with encoding/json.
// The production parser must agree with it on every input: the same
// events, and an error exactly when it has one.

type refEventLine struct {
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

func parseReference(p *EventParser, line []byte, lineNo int) (EventRecord, error) {
	rec := EventRecord{Line: lineNo}
	trimmed := bytes.TrimSpace(line)
	if len(trimmed) == 0 {
		return rec, rowErr(lineNo, "", "empty line")
	}
	if trimmed[0] != '{' {
		return rec, rowErr(lineNo, "", "not a JSON object")
	}
	var in refEventLine
	if err := json.Unmarshal(trimmed, &in); err != nil {
		return rec, rowErr(lineNo, jsonErrField(err), "invalid JSON: %v", jsonErrText(err))
	}
	ev := &rec.Event
	var err *RowError
	if ev.ID, err = refIDValue(lineNo, "id", in.ID); err != nil {
		return rec, err
	}
	if ev.ID == "" {
		if ev.ID, err = refIDValue(lineNo, "messageId", in.MessageID); err != nil {
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
		ev.LeadID, err = refIDValue(lineNo, "lead_id", in.LeadID)
	case len(in.UserID) > 0 && string(in.UserID) != "null":
		ev.LeadID, err = refIDValue(lineNo, "user_id", in.UserID)
	case len(in.UserIDAlt) > 0 && string(in.UserIDAlt) != "null":
		ev.LeadID, err = refIDValue(lineNo, "userId", in.UserIDAlt)
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

// idValue reads an identifier that may be written as a string or a number.
func refIDValue(line int, field string, raw json.RawMessage) (string, *RowError) {
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

// FuzzEventParserMatchesEncodingJSON is a differential test of the
// hand-written JSON reader against encoding/json.
func FuzzEventParserMatchesEncodingJSON(f *testing.F) {
	seeds := []string{
		`{"id":"e1","lead_id":"L1","type":"page.viewed","timestamp":"2026-10-03T12:00:00Z","properties":{"path":"/pricing","n":[1,2.5,{"x":null}],"ok":true}}`,
		`{"messageId":"m","userId":7,"event":"Signed Up","at":1790000000123,"context":{"userAgent":"curl/8","ip":"1.2.3.4"}}`,
		`{"email":"A@B.C","Type":"x","TIMESTAMP":"2026-01-01","type":null,"event":"y"}`,
		`{"lead_id":"L","type":"t","at":"2026-01-01","user_agent":null,"context":{"userAgent":"python-requests/2.31.0"}}`,
		`{"lead_id":"L","type":"t","at":"2026-01-01","bot":true,"bot_reason":"gw","bot":null}`,
		`{"lead_id":"L","type":"t\u00e9\ud83d\ude00\ud800","at":"2026-01-01","properties":{"k\"":"v\n"}}`,
		`{"lead_id":"L","type":"t","at":1e400}`,
		`{"lead_id":"L","type":"t","at":"2026-01-01","properties":{"big":1e400}}`,
		`{"lead_id":"L","type":5,"at":"2026-01-01"}`,
		`{"lead_id":"L","type":"t","at":"2026-01-01"} x`,
		`{"lead_id":"","email":" x@y.z ","type":"t","at":"2026-01-01","properties":null}`,
		"{\"lead_id\":\"L\",\"type\":\"t\xff\",\"at\":\"2026-01-01\"}",
	}
	for _, s := range seeds {
		f.Add(s)
	}
	checker := quality.NewChecker()
	fast := NewEventParser(checker)
	ref := NewEventParser(checker)
	f.Fuzz(func(t *testing.T, line string) {
		got, gerr := fast.Parse([]byte(line), 1)
		want, werr := parseReference(ref, []byte(line), 1)
		if (gerr != nil) != (werr != nil) {
			t.Fatalf("%q: fast error %v, encoding/json error %v", line, gerr, werr)
		}
		if gerr == nil && !reflect.DeepEqual(got, want) {
			t.Fatalf("%q:\nfast %+v\njson %+v", line, got, want)
		}
	})
}

// BenchmarkReadEvents measures event parsing on generated-looking lines.
func BenchmarkReadEvents(b *testing.B) {
	lines := []string{
		`{"id":"ev1","lead_id":"L0000001","type":"session.started","timestamp":"2026-06-18T14:49:39Z","user_agent":"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36"}`,
		`{"id":"ev2","lead_id":"L0000001","type":"page.viewed","timestamp":"2026-06-18T14:50:00Z","properties":{"path":"/pricing"},"user_agent":"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36"}`,
		`{"id":"ev3","email":"rahul.wang@acmelabs.com","type":"email.delivered","timestamp":1781795279000,"properties":{"email_id":"em-2026w25-1"}}`,
		`{"id":"ev5","lead_id":"L0000002","type":"email.clicked","timestamp":"2026-06-18T15:08:01Z","properties":{"email_id":"em-2026w25-1","url":"https://www.example-vendor.com/pricing"},"user_agent":"python-requests/2.31.0"}`,
	}
	var data []byte
	for i := 0; i < 256; i++ {
		data = append(data, lines[i%len(lines)]...)
		data = append(data, '\n')
	}
	for _, impl := range []struct {
		name  string
		parse func(*EventParser, []byte, int) (EventRecord, error)
	}{{"fast", (*EventParser).Parse}, {"encoding-json", parseReference}} {
		b.Run(impl.name, func(b *testing.B) {
			p := NewEventParser(quality.NewChecker())
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for b.Loop() {
				for _, l := range bytes.Split(data[:len(data)-1], []byte("\n")) {
					if _, err := impl.parse(p, l, 1); err != nil {
						b.Fatal(err)
					}
				}
			}
			b.ReportMetric(float64(256*b.N)/b.Elapsed().Seconds(), "events/s")
		})
	}
}

var _ = strings.TrimSpace
