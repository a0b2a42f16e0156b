package batch

import (
	"reflect"
	"testing"
	"time"

	"github.com/leadscore/leadscore"
)

func TestSpillRoundTrip(t *testing.T) {
	emp, rev := int64(120), 1.5e6
	at := time.Date(2026, 10, 3, 12, 0, 0, 123, time.UTC)
	leads := []struct {
		lead leadscore.Lead
		acct *leadscore.Account
	}{
		{lead: leadscore.Lead{ID: "L1"}},
		{
			lead: leadscore.Lead{ID: "L2", Email: "jo@acme.com", FirstName: "Jo", LastName: "Lee", Title: "CTO", Phone: "1",
				Country: "DE", State: "BE", City: "Berlin", Source: "web", AccountID: "acme.com", CreatedAt: at,
				Fields: map[string]any{"n": 1.5, "b": true, "s": "x", "nil": nil, "i": int64(-3), "int": 7, "t": at,
					"list": []any{1.0, "a", []any{}, map[string]any{"k": false}}, "strs": []string{"a", ""}, "empty": map[string]any{}}},
			acct: &leadscore.Account{ID: "acme.com", Domain: "acme.com", Name: "Acme", Industry: "Software", Country: "DE",
				Employees: &emp, Revenue: &rev, Priority: true, Lists: []string{"t"}, Fields: map[string]any{"tier": 2.0}},
		},
		{lead: leadscore.Lead{ID: "L3", Fields: map[string]any{}}, acct: &leadscore.Account{Lists: []string{}}},
	}
	events := []leadscore.Event{
		{ID: "e1", Type: "page.viewed", At: at},
		{ID: "e2", Type: "email.clicked", At: at.Add(time.Second), Source: "esp", UserAgent: "curl/8", Bot: true, BotReason: "bot user agent",
			Properties: map[string]any{"url": "https://x", "n": 2.0, "nested": map[string]any{"a": []any{nil}}}},
		{ID: "e3", Type: "x", Properties: map[string]any{}},
	}
	var buf []byte
	var err error
	for i, l := range leads {
		if buf, err = appendLead(buf, uint32(i), 10+i, &l.lead, l.acct); err != nil {
			t.Fatal(err)
		}
	}
	for i := range events {
		if buf, err = appendEvent(buf, uint32(i%len(leads)), &events[i]); err != nil {
			t.Fatal(err)
		}
	}
	d := &decoder{s: string(buf)}
	for i, want := range leads {
		if d.byte() != tagLead {
			t.Fatal("expected a lead record")
		}
		var it leadItem
		d.lead(&it)
		if it.seq != uint32(i) || it.line != 10+i || !reflect.DeepEqual(it.lead, want.lead) || !reflect.DeepEqual(it.account, want.acct) {
			t.Errorf("lead %d:\n got %+v %+v\nwant %+v %+v", i, it.lead, it.account, want.lead, want.acct)
		}
	}
	for i, want := range events {
		start := d.pos
		if d.byte() != tagEvent {
			t.Fatal("expected an event record")
		}
		var got leadscore.Event
		if seq := d.event(&got); seq != uint32(i%len(leads)) || !reflect.DeepEqual(got, want) {
			t.Errorf("event %d (seq %d):\n got %+v\nwant %+v", i, seq, got, want)
		}
		// Skipping reads exactly the same bytes as decoding.
		end := d.pos
		d.pos = start + 1
		d.uvarint()
		d.skipEventBody()
		if d.pos != end {
			t.Errorf("event %d: skip ended at %d, decode at %d", i, d.pos, end)
		}
	}
	if d.err != nil || d.pos != len(d.s) {
		t.Errorf("decoder err %v at %d of %d", d.err, d.pos, len(d.s))
	}
	if _, err := putValue(nil, struct{}{}); err == nil {
		t.Error("an unsupported type was spilled")
	}
}

// FuzzSpillDecode feeds arbitrary bytes to the spill decoder: it must fail
// cleanly, never panic or allocate without bound.
func FuzzSpillDecode(f *testing.F) {
	l := leadscore.Lead{ID: "L1", Email: "a@b.c", Fields: map[string]any{"x": []any{1.0, "s"}}}
	seed, _ := appendLead(nil, 1, 2, &l, &leadscore.Account{ID: "b.c"})
	seed, _ = appendEvent(seed, 1, &leadscore.Event{ID: "e", Type: "t", At: time.Unix(5, 0), Properties: map[string]any{"k": map[string]any{}}})
	f.Add(seed)
	f.Add([]byte{tagLead, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff})
	f.Add([]byte{tagEvent, 1, 1, 'e', 1, 't', 1, 2, 3, 0, 0, 0, 0, 5, vList, 0xff, 0x7f})
	f.Fuzz(func(t *testing.T, data []byte) {
		d := &decoder{s: string(data)}
		for n := 0; d.pos < len(d.s) && d.err == nil; n++ {
			if n > len(data) {
				t.Fatal("decoder does not advance")
			}
			switch d.byte() {
			case tagLead:
				var it leadItem
				d.lead(&it)
			case tagEvent:
				var e leadscore.Event
				d.event(&e)
			default:
				d.fail()
			}
		}
	})
}
