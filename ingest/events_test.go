package ingest

import (
	"bytes"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/leadscore/leadscore"
	"github.com/leadscore/leadscore/quality"
)

func TestParseEvent(t *testing.T) {
	at := time.Date(2026, 10, 3, 12, 0, 0, 0, time.UTC)
	p := NewEventParser(quality.NewChecker())
	cases := []struct {
		name string
		line string
		want leadscore.Event
		kind KeyKind
		err  string
	}{
		{
			name: "native",
			line: `{"id":"e1","lead_id":"L1","type":"page.viewed","timestamp":"2026-10-03T12:00:00Z","properties":{"path":"/pricing","n":2},"source":"web"}`,
			want: leadscore.Event{ID: "e1", LeadID: "L1", Type: "page.viewed", At: at, Properties: map[string]any{"path": "/pricing", "n": 2.0}, Source: "web"},
		},
		{
			name: "segment style",
			line: `{"messageId":"m-9","userId":"u7","event":"Demo Requested","at":1790000000000,"context":{"userAgent":"Mozilla/5.0"}}`,
			want: leadscore.Event{ID: "m-9", LeadID: "u7", Type: "Demo Requested", At: time.UnixMilli(1790000000000).UTC(), UserAgent: "Mozilla/5.0"},
		},
		{
			name: "email key is normalised",
			line: `{"id":"e2","email":" Jo@Acme.COM ","type":"email.opened","timestamp":"2026-10-03 12:00"}`,
			want: leadscore.Event{ID: "e2", LeadID: "jo@acme.com", Type: "email.opened", At: at},
			kind: KeyEmail,
		},
		{
			name: "numeric user id",
			line: `{"id":"e3","user_id":12345,"type":"x","timestamp":1790000000}`,
			want: leadscore.Event{ID: "e3", LeadID: "12345", Type: "x", At: time.Unix(1790000000, 0).UTC()},
		},
		{
			name: "bot user agent",
			line: `{"id":"e4","lead_id":"L1","type":"email.clicked","timestamp":"2026-10-03T12:00:00Z","user_agent":"python-requests/2.31.0"}`,
			want: leadscore.Event{ID: "e4", LeadID: "L1", Type: "email.clicked", At: at, UserAgent: "python-requests/2.31.0", Bot: true, BotReason: "bot user agent"},
		},
		{
			name: "flagged bot",
			line: `{"id":"e5","lead_id":"L1","type":"email.clicked","timestamp":"2026-10-03T12:00:00Z","bot":true,"bot_reason":"gateway"}`,
			want: leadscore.Event{ID: "e5", LeadID: "L1", Type: "email.clicked", At: at, Bot: true, BotReason: "gateway"},
		},
		{name: "no type", line: `{"lead_id":"L1","timestamp":"2026-10-03"}`, err: `column "type"`},
		{name: "no lead", line: `{"type":"x","timestamp":"2026-10-03"}`, err: `no lead`},
		{name: "no time", line: `{"lead_id":"L1","type":"x"}`, err: `no time`},
		{name: "bad time", line: `{"lead_id":"L1","type":"x","timestamp":"soon"}`, err: `column "timestamp": cannot read "soon"`},
		{name: "time of the wrong type", line: `{"lead_id":"L1","type":"x","at":true}`, err: `column "at"`},
		{name: "type of the wrong type", line: `{"lead_id":"L1","type":5,"at":1}`, err: `column "type": must be a string`},
		{name: "properties not an object", line: `{"lead_id":"L1","type":"x","at":1,"properties":[1]}`, err: `properties must be an object`},
		{name: "lead id of the wrong type", line: `{"lead_id":{},"type":"x","at":1}`, err: `column "lead_id"`},
		{name: "not json", line: `hello`, err: "not a JSON object"},
		{name: "truncated json", line: `{"lead_id":"L1",`, err: "invalid JSON"},
		{name: "blank", line: `   `, err: "empty line"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rec, err := p.Parse([]byte(tc.line), 7)
			if tc.err != "" {
				var re *RowError
				if !errors.As(err, &re) || re.Line != 7 || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("got %v, want a row error at line 7 containing %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(rec.Event, tc.want) || rec.KeyKind != tc.kind || rec.Line != 7 {
				t.Errorf("got  %+v (kind %d)\nwant %+v (kind %d)", rec.Event, rec.KeyKind, tc.want, tc.kind)
			}
		})
	}
}

func TestEventIDWithoutIDIsStable(t *testing.T) {
	p := NewEventParser(quality.NewChecker())
	a := []byte(`{"lead_id":"L1","type":"x","at":"2026-10-03"}`)
	b := []byte(`{"lead_id":"L1","type":"y","at":"2026-10-03"}`)
	r1, err1 := p.Parse(a, 1)
	r2, err2 := p.Parse(append([]byte("  "), a...), 99)
	r3, err3 := p.Parse(b, 1)
	if err1 != nil || err2 != nil || err3 != nil {
		t.Fatal(err1, err2, err3)
	}
	if r1.Event.ID == "" || r1.Event.ID != r2.Event.ID {
		t.Errorf("same content gave ids %q and %q", r1.Event.ID, r2.Event.ID)
	}
	if r1.Event.ID == r3.Event.ID {
		t.Errorf("different content gave the same id %q", r1.Event.ID)
	}
}

func TestEventReader(t *testing.T) {
	in := "\xef\xbb\xbf" + `{"id":"a","lead_id":"L1","type":"x","at":1}` + "\r\n\n" +
		`{"lead_id":"L1"}` + "\n" +
		`{"id":"b","lead_id":"L2","type":"y","at":2}` // no final newline
	r := NewEventReader(strings.NewReader(in), quality.NewChecker())
	var lines []int
	var ids []string
	bad := 0
	for {
		rec, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		var re *RowError
		if errors.As(err, &re) {
			bad++
			lines = append(lines, re.Line)
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		lines = append(lines, rec.Line)
		ids = append(ids, rec.Event.ID)
	}
	if !reflect.DeepEqual(lines, []int{1, 3, 4}) || !reflect.DeepEqual(ids, []string{"a", "b"}) || bad != 1 {
		t.Errorf("lines %v ids %v bad %d", lines, ids, bad)
	}
}

func TestLineReaderTooLong(t *testing.T) {
	long := strings.Repeat("x", 100)
	lr := NewLineReader(strings.NewReader("ok\n" + long + "\nafter\n"))
	lr.max = 10
	var got []string
	for {
		line, n, err := lr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var re *RowError
			if !errors.As(err, &re) || re.Line != 2 {
				t.Fatalf("line %d: %v", n, err)
			}
			got = append(got, "ERR")
			continue
		}
		got = append(got, string(line))
	}
	if !reflect.DeepEqual(got, []string{"ok", "ERR", "after"}) {
		t.Errorf("got %q", got)
	}
}

func TestLeadJSONL(t *testing.T) {
	in := `{"id":"L1","email":"jo@mail.acme.co.uk","created_at":"2026-01-02","fields":{"age":30,"gone":null},"account":{"name":"Acme","employees":120,"lists":["t"]}}
{"email":"x@gmail.com","created_at":1790000000}
{"email":"x@acme.com","account":{"id":"A-9","domain":"https://acme.com"}}
{"id":"L4","created_at":"soon"}
{"title":"no identity"}
[1,2]
`
	r := NewLeadJSONLReader(strings.NewReader(in), quality.NewChecker())
	got := readAllLeads(t, r)
	if len(got) != 6 {
		t.Fatalf("got %d records: %+v", len(got), got)
	}
	l1 := got[0]
	wantAcct := &leadscore.Account{ID: "acme.co.uk", Domain: "acme.co.uk", Name: "Acme", Employees: ptr(int64(120)), Lists: []string{"t"}}
	if l1.Lead == nil || l1.Lead.AccountID != "acme.co.uk" || !reflect.DeepEqual(l1.Account, wantAcct) ||
		!l1.Lead.CreatedAt.Equal(time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC)) || !reflect.DeepEqual(l1.Lead.Fields, map[string]any{"age": 30.0}) {
		t.Errorf("line 1: %+v %s", l1.Lead, jsonText(l1.Account))
	}
	if l2 := got[1]; l2.Lead == nil || l2.Lead.ID != "x@gmail.com" || l2.Account != nil || l2.Lead.CreatedAt.Unix() != 1790000000 {
		t.Errorf("line 2: %+v %+v", l2.Lead, l2.Account)
	}
	if l3 := got[2]; l3.Lead == nil || l3.Lead.AccountID != "A-9" || l3.Account.Domain != "acme.com" {
		t.Errorf("line 3: %+v %s", l3.Lead, jsonText(l3.Account))
	}
	for i, want := range []string{`column "created_at"`, "needs an id or an email", "not a JSON object"} {
		if e := got[3+i].Error; !strings.Contains(e, want) {
			t.Errorf("line %d: error %q, want %q", 4+i, e, want)
		}
	}
}

func TestFormatOf(t *testing.T) {
	cases := map[string]Format{"a.csv": FormatCSV, "A.TSV": FormatCSV, "x.csv.gz": FormatCSV, "e.jsonl": FormatJSONL,
		"e.NDJSON.gz": FormatJSONL, "e.json": FormatJSONL, "e.xlsx": FormatUnknown, "noext": FormatUnknown}
	for in, want := range cases {
		if got := FormatOf(in); got != want {
			t.Errorf("FormatOf(%q) = %v, want %v", in, got, want)
		}
	}
}

// countLines counts the non-blank lines a reader must account for.
func countLines(data []byte) int {
	n := 0
	for _, l := range bytes.Split(data, []byte("\n")) {
		if len(bytes.TrimSpace(l)) > 0 {
			n++
		}
	}
	return n
}
