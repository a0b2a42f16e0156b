package ingest_test

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/leadscore/leadscore"
	"github.com/leadscore/leadscore/ingest"
)

var segReceived = time.Date(2026, 9, 1, 12, 0, 0, 0, time.UTC)

func mustTime(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		t.Fatal(err)
	}
	return v.UTC()
}

func TestParseSegmentBatchMessages(t *testing.T) {
	body := `{
	  "writeKey": "wk_123",
	  "sentAt": "2026-09-01T12:00:00Z",
	  "context": {"userAgent": "batch-ua", "ip": "10.0.0.1", "traits": {"plan": "free", "email": "old@acme.com"}},
	  "batch": [
	    {"type": "identify", "messageId": "m1", "userId": "u1", "timestamp": "2026-08-30T10:00:00Z",
	     "traits": {"email": "ada@acme.com", "firstName": "Ada", "title": "VP Engineering"}},
	    {"type": "track", "messageId": "m2", "anonymousId": "a1", "event": "Signed Up",
	     "timestamp": "2026-08-30T10:01:00.5Z", "properties": {"plan": "pro", "seats": 5},
	     "context": {"userAgent": "msg-ua", "traits": {"plan": "pro"}}},
	    {"type": "page", "messageId": "m3", "userId": "u1", "name": "Pricing", "timestamp": "2026-08-30T10:02:00Z",
	     "properties": {"path": "/pricing"},
	     "context": {"page": {"path": "/ignored", "url": "https://acme.com/pricing", "title": "Pricing", "referrer": "https://google.com"}}},
	    {"type": "screen", "messageId": "m4", "userId": "u1", "properties": {"name": "Home"}, "timestamp": "2026-08-30T10:03:00Z"},
	    {"type": "group", "messageId": "m5", "userId": "u1", "groupId": "acme.com", "traits": {"name": "Acme", "employees": 250},
	     "timestamp": "2026-08-30T10:04:00Z"},
	    {"type": "alias", "messageId": "m6", "previousId": "a1", "userId": "u1", "timestamp": "2026-08-30T10:05:00Z"}
	  ]
	}`
	p, err := ingest.ParseSegmentBatch([]byte(body), segReceived, ingest.SegmentOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if p.WriteKey != "wk_123" {
		t.Errorf("write key %q", p.WriteKey)
	}
	batchTraits := map[string]any{"plan": "free", "email": "old@acme.com"}
	want := []leadscore.Message{
		{Kind: leadscore.MsgIdentify, MessageID: "m1", UserID: "u1",
			Traits:    map[string]any{"plan": "free", "email": "ada@acme.com", "firstName": "Ada", "title": "VP Engineering"},
			UserAgent: "batch-ua", IP: "10.0.0.1", Timestamp: mustTime(t, "2026-08-30T10:00:00Z")},
		{Kind: leadscore.MsgTrack, MessageID: "m2", AnonymousID: "a1", Event: "Signed Up",
			Properties: map[string]any{"plan": "pro", "seats": 5.0},
			Traits:     map[string]any{"plan": "pro", "email": "old@acme.com"},
			UserAgent:  "msg-ua", IP: "10.0.0.1", Timestamp: mustTime(t, "2026-08-30T10:01:00.5Z")},
		{Kind: leadscore.MsgPage, MessageID: "m3", UserID: "u1", Name: "Pricing",
			Properties: map[string]any{"name": "Pricing", "path": "/pricing", "url": "https://acme.com/pricing", "title": "Pricing", "referrer": "https://google.com"},
			Traits:     batchTraits, UserAgent: "batch-ua", IP: "10.0.0.1", Timestamp: mustTime(t, "2026-08-30T10:02:00Z")},
		{Kind: leadscore.MsgScreen, MessageID: "m4", UserID: "u1", Name: "Home",
			Properties: map[string]any{"name": "Home"},
			Traits:     batchTraits, UserAgent: "batch-ua", IP: "10.0.0.1", Timestamp: mustTime(t, "2026-08-30T10:03:00Z")},
		{Kind: leadscore.MsgGroup, MessageID: "m5", UserID: "u1", GroupID: "acme.com",
			Traits:    map[string]any{"name": "Acme", "employees": 250.0},
			UserAgent: "batch-ua", IP: "10.0.0.1", Timestamp: mustTime(t, "2026-08-30T10:04:00Z")},
		{Kind: leadscore.MsgAlias, MessageID: "m6", PreviousID: "a1", UserID: "u1",
			Traits: batchTraits, UserAgent: "batch-ua", IP: "10.0.0.1", Timestamp: mustTime(t, "2026-08-30T10:05:00Z")},
	}
	if len(p.Items) != len(want) {
		t.Fatalf("%d items, want %d", len(p.Items), len(want))
	}
	for i, w := range want {
		w.ReceivedAt = segReceived
		it := p.Items[i]
		if !it.OK() {
			t.Errorf("item %d rejected: %s", i, it.Err)
			continue
		}
		if !reflect.DeepEqual(it.Message, w) {
			t.Errorf("item %d:\n got %s\nwant %s", i, jsonOf(it.Message), jsonOf(w))
		}
	}
	if got := len(p.Messages()); got != len(want) {
		t.Errorf("Messages() returned %d", got)
	}
}

func jsonOf(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func TestSegmentTimestamps(t *testing.T) {
	tests := []struct {
		name      string
		batchSent string // batch-level sentAt, JSON or empty
		msg       string // extra message fields
		want      string // RFC 3339, or "" for an error
		wantErr   string
	}{
		{name: "timestamp wins", batchSent: `"2026-09-01T11:00:00Z"`,
			msg: `"timestamp": "2026-08-01T00:00:00Z", "originalTimestamp": "2026-07-01T00:00:00Z"`, want: "2026-08-01T00:00:00Z"},
		{name: "original corrected by batch sentAt", batchSent: `"2026-09-01T11:00:00Z"`,
			msg: `"originalTimestamp": "2026-09-01T10:59:00Z"`, want: "2026-09-01T11:59:00Z"},
		{name: "message sentAt wins over batch sentAt", batchSent: `"2026-09-01T11:00:00Z"`,
			msg: `"originalTimestamp": "2026-09-01T11:58:00Z", "sentAt": "2026-09-01T11:59:00Z"`, want: "2026-09-01T11:59:00Z"},
		{name: "device clock ahead", batchSent: `"2026-09-01T14:00:05Z"`,
			msg: `"originalTimestamp": "2026-09-01T14:00:00Z"`, want: "2026-09-01T11:59:55Z"},
		{name: "original without sentAt is taken as is",
			msg: `"originalTimestamp": "2026-09-01T10:00:00+02:00"`, want: "2026-09-01T08:00:00Z"},
		{name: "nothing means receivedAt", msg: `"x": 1`, want: "2026-09-01T12:00:00Z"},
		{name: "null and empty mean unset", msg: `"timestamp": null, "originalTimestamp": ""`, want: "2026-09-01T12:00:00Z"},
		{name: "zero time means unset", msg: `"timestamp": "0001-01-01T00:00:00Z"`, want: "2026-09-01T12:00:00Z"},
		{name: "fractional seconds kept", msg: `"timestamp": "2026-08-30T10:01:00.123456Z"`, want: "2026-08-30T10:01:00.123456Z"},
		{name: "unix milliseconds", msg: `"timestamp": 1788264000000`, want: "2026-09-01T12:00:00Z"},
		{name: "bad timestamp", msg: `"timestamp": "yesterday"`, wantErr: "timestamp:"},
		{name: "timestamp of wrong type", msg: `"timestamp": true`, wantErr: "timestamp:"},
		{name: "bad sentAt only matters when used", batchSent: `"soon"`,
			msg: `"originalTimestamp": "2026-09-01T10:00:00Z"`, wantErr: "sentAt:"},
		{name: "bad sentAt ignored when timestamp is set", batchSent: `"soon"`,
			msg: `"timestamp": "2026-09-01T10:00:00Z"`, want: "2026-09-01T10:00:00Z"},
		{name: "correction out of range", batchSent: `"0002-01-01T00:00:00Z"`,
			msg: `"originalTimestamp": "9999-01-01T00:00:00Z"`, wantErr: "out of range"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sent := ""
			if tc.batchSent != "" {
				sent = `"sentAt": ` + tc.batchSent + `,`
			}
			body := fmt.Sprintf(`{%s "batch": [{"type": "track", "event": "e", "userId": "u", %s}]}`, sent, tc.msg)
			p, err := ingest.ParseSegmentBatch([]byte(body), segReceived, ingest.SegmentOptions{})
			if err != nil {
				t.Fatal(err)
			}
			it := p.Items[0]
			if tc.wantErr != "" {
				if it.OK() || !strings.Contains(it.Err, tc.wantErr) {
					t.Fatalf("err %q, want one containing %q", it.Err, tc.wantErr)
				}
				return
			}
			if !it.OK() {
				t.Fatalf("rejected: %s", it.Err)
			}
			if want := mustTime(t, tc.want); !it.Message.Timestamp.Equal(want) || it.Message.Timestamp.Location() != time.UTC {
				t.Errorf("timestamp %v, want %v", it.Message.Timestamp, want)
			}
			if !it.Message.ReceivedAt.Equal(segReceived) {
				t.Errorf("receivedAt %v", it.Message.ReceivedAt)
			}
		})
	}
}

func TestSegmentRejectsIndividually(t *testing.T) {
	big := strings.Repeat("x", ingest.SegmentMaxMessageBytes)
	tests := []struct {
		name    string
		msg     string
		wantErr string // "" means accepted
		wantID  string
	}{
		{name: "no identity", msg: `{"type":"track","event":"e","messageId":"k1"}`, wantErr: "userId or anonymousId", wantID: "k1"},
		{name: "blank identity", msg: `{"type":"identify","userId":"  ","anonymousId":""}`, wantErr: "userId or anonymousId"},
		{name: "track without event", msg: `{"type":"track","userId":"u"}`, wantErr: "event:"},
		{name: "track with blank event", msg: `{"type":"track","userId":"u","event":"  "}`, wantErr: "event:"},
		{name: "alias without previousId", msg: `{"type":"alias","userId":"u"}`, wantErr: "previousId"},
		{name: "alias without userId", msg: `{"type":"alias","previousId":"a","anonymousId":"b"}`, wantErr: "alias call needs userId"},
		{name: "group without groupId", msg: `{"type":"group","userId":"u"}`, wantErr: "groupId"},
		{name: "group without a person", msg: `{"type":"group","groupId":"g"}`, wantErr: "userId or anonymousId"},
		{name: "group with an anonymous person", msg: `{"type":"group","groupId":"g","anonymousId":"a"}`},
		{name: "unknown type", msg: `{"type":"purchase","userId":"u"}`, wantErr: "unknown message type"},
		{name: "type in capitals is fine", msg: `{"type":"Identify","userId":"u"}`},
		{name: "missing type", msg: `{"userId":"u"}`, wantErr: "type: missing"},
		{name: "not an object", msg: `"identify"`, wantErr: "not a JSON object"},
		{name: "null", msg: `null`, wantErr: "not a JSON object"},
		{name: "properties not an object", msg: `{"type":"track","userId":"u","event":"e","messageId":"k2","properties":"x"}`, wantErr: "properties", wantID: "k2"},
		{name: "userId an object", msg: `{"type":"track","userId":{"a":1},"event":"e"}`, wantErr: "userId: must be a string"},
		{name: "numeric userId", msg: `{"type":"track","userId":42,"event":"e","messageId":7}`, wantID: "7"},
		{name: "oversized", msg: `{"type":"track","userId":"u","event":"e","properties":{"p":"` + big + `"}}`, wantErr: "limit is 32768"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			good := `{"type":"track","userId":"u","event":"ok","messageId":"good"}`
			body := `{"batch":[` + good + `,` + tc.msg + `,` + good + `]}`
			p, err := ingest.ParseSegmentBatch([]byte(body), segReceived, ingest.SegmentOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if len(p.Items) != 3 {
				t.Fatalf("%d items", len(p.Items))
			}
			if !p.Items[0].OK() || !p.Items[2].OK() {
				t.Fatalf("neighbours rejected: %q %q", p.Items[0].Err, p.Items[2].Err)
			}
			it := p.Items[1]
			if tc.wantErr == "" {
				if !it.OK() {
					t.Fatalf("rejected: %s", it.Err)
				}
			} else if it.OK() || !strings.Contains(it.Err, tc.wantErr) {
				t.Fatalf("err %q, want one containing %q", it.Err, tc.wantErr)
			}
			if tc.wantID != "" && it.Message.MessageID != tc.wantID {
				t.Errorf("message id %q, want %q", it.Message.MessageID, tc.wantID)
			}
			if n := len(p.Messages()); (tc.wantErr == "" && n != 3) || (tc.wantErr != "" && n != 2) {
				t.Errorf("Messages() has %d", n)
			}
		})
	}
}

func TestSegmentMessageLimitOption(t *testing.T) {
	msg := `{"type":"track","userId":"u","event":"e"}`
	body := `{"batch":[` + msg + `]}`
	for _, tc := range []struct {
		limit int
		ok    bool
	}{{len(msg), true}, {len(msg) - 1, false}, {0, true}} {
		p, err := ingest.ParseSegmentBatch([]byte(body), segReceived, ingest.SegmentOptions{MaxMessageBytes: tc.limit})
		if err != nil {
			t.Fatal(err)
		}
		if p.Items[0].OK() != tc.ok {
			t.Errorf("limit %d: ok=%v err=%q", tc.limit, p.Items[0].OK(), p.Items[0].Err)
		}
	}
}

func TestSegmentDerivedMessageID(t *testing.T) {
	parse := func(t *testing.T, body string) ingest.SegmentItem {
		t.Helper()
		p, err := ingest.ParseSegmentBatch([]byte(body), segReceived, ingest.SegmentOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if !p.Items[0].OK() {
			t.Fatal(p.Items[0].Err)
		}
		return p.Items[0]
	}
	base := parse(t, `{"sentAt":"2026-09-01T11:00:00Z","batch":[{"type":"track","userId":"u","event":"e","properties":{"a":1,"b":"x"}}]}`).Message.MessageID
	if !strings.HasPrefix(base, "derived-") {
		t.Fatalf("derived id %q", base)
	}
	same := []string{
		// A retry: other sentAt, other key order, other spacing.
		`{"sentAt":"2026-09-01T11:05:00Z","batch":[ {"event":"e", "properties":{"b":"x","a":1}, "userId":"u","type":"track"} ]}`,
		// A message-level sentAt that changed between attempts.
		`{"batch":[{"type":"track","userId":"u","event":"e","properties":{"a":1,"b":"x"},"sentAt":"2026-09-01T11:09:00Z"}]}`,
	}
	for _, b := range same {
		if got := parse(t, b).Message.MessageID; got != base {
			t.Errorf("retry got id %q, want %q", got, base)
		}
	}
	different := []string{
		`{"batch":[{"type":"track","userId":"u","event":"e","properties":{"a":2,"b":"x"}}]}`,
		`{"batch":[{"type":"track","userId":"v","event":"e","properties":{"a":1,"b":"x"}}]}`,
		`{"batch":[{"type":"track","userId":"u","event":"e","properties":{"a":1,"b":"x"},"timestamp":"2026-08-01T00:00:00Z"}]}`,
	}
	for _, b := range different {
		if got := parse(t, b).Message.MessageID; got == base {
			t.Errorf("different message got the same id: %s", b)
		}
	}
	// The same body sent to two single-call endpoints is two messages.
	body := []byte(`{"userId":"u","event":"e","name":"n"}`)
	tr, err := ingest.ParseSegmentCall(leadscore.MsgTrack, body, segReceived, ingest.SegmentOptions{})
	if err != nil {
		t.Fatal(err)
	}
	pg, err := ingest.ParseSegmentCall(leadscore.MsgPage, body, segReceived, ingest.SegmentOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if tr.Items[0].Message.MessageID == pg.Items[0].Message.MessageID {
		t.Error("track and page share a derived id")
	}
	if given := parse(t, `{"batch":[{"type":"track","userId":"u","event":"e","messageId":"  m-1 "}]}`).Message.MessageID; given != "m-1" {
		t.Errorf("given id %q", given)
	}
}

func TestParseSegmentCall(t *testing.T) {
	tests := []struct {
		name    string
		kind    leadscore.MessageKind
		body    string
		wantKey string
		check   func(t *testing.T, it ingest.SegmentItem)
	}{
		{name: "identify with writeKey", kind: leadscore.MsgIdentify,
			body:    `{"writeKey":"wk","userId":"u1","traits":{"email":"a@b.co"},"context":{"ip":"1.2.3.4","userAgent":"ua"}}`,
			wantKey: "wk",
			check: func(t *testing.T, it ingest.SegmentItem) {
				m := it.Message
				if m.Kind != leadscore.MsgIdentify || m.UserID != "u1" || m.Traits["email"] != "a@b.co" || m.IP != "1.2.3.4" || m.UserAgent != "ua" {
					t.Errorf("message %+v", m)
				}
				if !m.Timestamp.Equal(segReceived) {
					t.Errorf("timestamp %v", m.Timestamp)
				}
			}},
		{name: "endpoint decides the kind", kind: leadscore.MsgTrack,
			body: `{"type":"identify","userId":"u1","event":"Demo Requested"}`,
			check: func(t *testing.T, it ingest.SegmentItem) {
				if it.Message.Kind != leadscore.MsgTrack || it.Message.Event != "Demo Requested" {
					t.Errorf("message %+v", it.Message)
				}
			}},
		{name: "single call sentAt corrects originalTimestamp", kind: leadscore.MsgPage,
			body: `{"anonymousId":"a","originalTimestamp":"2026-09-01T09:00:00Z","sentAt":"2026-09-01T10:00:00Z"}`,
			check: func(t *testing.T, it ingest.SegmentItem) {
				if want := mustTime(t, "2026-09-01T11:00:00Z"); !it.Message.Timestamp.Equal(want) {
					t.Errorf("timestamp %v, want %v", it.Message.Timestamp, want)
				}
			}},
		{name: "invalid message is an item, not an error", kind: leadscore.MsgAlias,
			body: `{"writeKey":"wk","userId":"u"}`, wantKey: "wk",
			check: func(t *testing.T, it ingest.SegmentItem) {
				if it.OK() || !strings.Contains(it.Err, "previousId") {
					t.Errorf("err %q", it.Err)
				}
			}},
		{name: "oversized single call", kind: leadscore.MsgTrack,
			body:    `{"writeKey":"wk","userId":"u","event":"e","properties":{"p":"` + strings.Repeat("y", 40<<10) + `"}}`,
			wantKey: "wk",
			check: func(t *testing.T, it ingest.SegmentItem) {
				if it.OK() || !strings.Contains(it.Err, "limit") {
					t.Errorf("err %q", it.Err)
				}
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := ingest.ParseSegmentCall(tc.kind, []byte(tc.body), segReceived, ingest.SegmentOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if p.WriteKey != tc.wantKey {
				t.Errorf("write key %q, want %q", p.WriteKey, tc.wantKey)
			}
			if len(p.Items) != 1 {
				t.Fatalf("%d items", len(p.Items))
			}
			tc.check(t, p.Items[0])
		})
	}
}

func TestSegmentBodyErrors(t *testing.T) {
	tests := []struct {
		name string
		body string
		call bool
	}{
		{name: "not JSON", body: `batch=1`},
		{name: "truncated", body: `{"batch":[{"type":"track"`},
		{name: "empty", body: ``},
		{name: "array", body: `[{"type":"track"}]`},
		{name: "no batch", body: `{"sentAt":"2026-09-01T00:00:00Z"}`},
		{name: "batch not an array", body: `{"batch":{"type":"track"}}`},
		{name: "call not JSON", body: `userId=u`, call: true},
		{name: "call not an object", body: `"hello"`, call: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var err error
			if tc.call {
				_, err = ingest.ParseSegmentCall(leadscore.MsgTrack, []byte(tc.body), segReceived, ingest.SegmentOptions{})
			} else {
				_, err = ingest.ParseSegmentBatch([]byte(tc.body), segReceived, ingest.SegmentOptions{})
			}
			if leadscore.CodeOf(err) != leadscore.CodeInvalid {
				t.Fatalf("err %v, want an invalid error", err)
			}
		})
	}
	if _, err := ingest.ParseSegmentCall("purchase", []byte(`{}`), segReceived, ingest.SegmentOptions{}); err == nil {
		t.Error("unknown kind accepted")
	}
	p, err := ingest.ParseSegmentBatch([]byte(`{"batch":[], "writeKey": 5}`), segReceived, ingest.SegmentOptions{})
	if err != nil || len(p.Items) != 0 || p.WriteKey != "" {
		t.Errorf("empty batch: %+v %v", p, err)
	}
}

// FuzzSegmentBatch checks that no body makes the parser panic, that a
// parsed batch has one item per input message, that every accepted message
// satisfies the rules of its kind and survives a JSON round trip, and that
// parsing is deterministic.
func FuzzSegmentBatch(f *testing.F) {
	seeds := []string{
		`{"batch":[{"type":"identify","userId":"u","traits":{"email":"a@b.co"}}]}`,
		`{"writeKey":"k","sentAt":"2026-09-01T11:00:00Z","context":{"ip":"1.1.1.1"},"batch":[{"type":"track","anonymousId":"a","event":"e","originalTimestamp":"2026-09-01T10:00:00Z"}]}`,
		`{"batch":[{"type":"page","userId":1,"name":"Home","context":{"page":{"path":"/"}}},{"type":"alias","previousId":"a","userId":"u"}]}`,
		`{"batch":[{"type":"group","groupId":"g","userId":"u","traits":{"employees":10}},{"type":"screen","anonymousId":"x"},null,5,"s"]}`,
		`{"batch":[{"type":"track","userId":"u","event":"e","timestamp":"bad"},{"type":"track","userId":"u","event":"e","sentAt":"0001-01-02T00:00:00Z","originalTimestamp":"9999-12-31T00:00:00Z"}]}`,
		`{"batch":[]}`,
		`[]`,
		`not json`,
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		p, err := ingest.ParseSegmentBatch(body, segReceived, ingest.SegmentOptions{MaxMessageBytes: 512})
		if err != nil {
			if leadscore.CodeOf(err) != leadscore.CodeInvalid {
				t.Fatalf("error with code %q: %v", leadscore.CodeOf(err), err)
			}
			return
		}
		var env struct {
			Batch []json.RawMessage `json:"batch"`
		}
		if err := json.Unmarshal(body, &env); err != nil {
			t.Fatalf("parsed a body that does not decode: %v", err)
		}
		if len(p.Items) != len(env.Batch) {
			t.Fatalf("%d items for %d messages", len(p.Items), len(env.Batch))
		}
		for i, it := range p.Items {
			if !it.OK() {
				continue
			}
			m := it.Message
			if m.MessageID == "" || m.Timestamp.IsZero() || !m.ReceivedAt.Equal(segReceived) {
				t.Fatalf("item %d: incomplete message %+v", i, m)
			}
			switch m.Kind {
			case leadscore.MsgAlias:
				if m.PreviousID == "" || m.UserID == "" {
					t.Fatalf("item %d: alias without ids", i)
				}
			case leadscore.MsgGroup:
				if m.GroupID == "" || (m.UserID == "" && m.AnonymousID == "") {
					t.Fatalf("item %d: group without groupId or person", i)
				}
			case leadscore.MsgTrack, leadscore.MsgIdentify, leadscore.MsgPage, leadscore.MsgScreen:
				if m.UserID == "" && m.AnonymousID == "" {
					t.Fatalf("item %d: no identity", i)
				}
				if m.Kind == leadscore.MsgTrack && strings.TrimSpace(m.Event) == "" {
					t.Fatalf("item %d: track without event", i)
				}
			default:
				t.Fatalf("item %d: kind %q", i, m.Kind)
			}
			if _, err := json.Marshal(m); err != nil {
				t.Fatalf("item %d does not encode: %v", i, err)
			}
		}
		again, err := ingest.ParseSegmentBatch(body, segReceived, ingest.SegmentOptions{MaxMessageBytes: 512})
		if err != nil || !reflect.DeepEqual(p, again) {
			t.Fatalf("second parse differs")
		}
	})
}
