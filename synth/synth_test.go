package synth

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/leadscore/leadscore/ingest"
	"github.com/leadscore/leadscore/quality"
)

func generate(t testing.TB, o Options) (leads, events []byte, st Stats) {
	t.Helper()
	var l, e bytes.Buffer
	st, err := Generate(context.Background(), o, &l, &e, nil)
	if err != nil {
		t.Fatal(err)
	}
	return l.Bytes(), e.Bytes(), st
}

func TestDeterministic(t *testing.T) {
	o := Options{Leads: 300, EventsPerLead: 10, Seed: 42}
	l1, e1, s1 := generate(t, o)
	l2, e2, s2 := generate(t, o)
	if !bytes.Equal(l1, l2) || !bytes.Equal(e1, e2) || s1 != s2 {
		t.Fatal("the same seed gave different output")
	}
	o.Seed = 43
	l3, e3, _ := generate(t, o)
	if bytes.Equal(l1, l3) || bytes.Equal(e1, e3) {
		t.Fatal("different seeds gave the same output")
	}
}

// TestGoldenDigest pins the output of one seed, so that an accidental
// change of the generator (which would change every benchmark and demo
// data set) is noticed. Update the digest when the change is intended.
func TestGoldenDigest(t *testing.T) {
	l, e, _ := generate(t, Options{Leads: 50, EventsPerLead: 5, Seed: 7})
	sum := sha256.Sum256(append(l, e...))
	got := string(hexDigits(sum[:8]))
	const want = "07d4541878f8e84b"
	if got != want {
		t.Errorf("output digest %s, want %s (update it if the generator changed on purpose)", got, want)
	}
}

func hexDigits(b []byte) []byte {
	const hex = "0123456789abcdef"
	out := make([]byte, 0, 2*len(b))
	for _, c := range b {
		out = append(out, hex[c>>4], hex[c&15])
	}
	return out
}

// TestReadableAndRealistic reads a generated set back with the ingest
// readers and checks the promised shape of the data.
func TestReadableAndRealistic(t *testing.T) {
	o := Options{Leads: 3000, EventsPerLead: 20, Seed: 1}
	lb, eb, st := generate(t, o)
	checker := quality.NewChecker()
	lr, err := ingest.NewLeadCSVReader(bytes.NewReader(lb), checker)
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]bool{}
	emails := map[string]bool{}
	accounts := map[string]int{}
	var free, disposable, role, students, converted int
	conv := map[string]bool{}
	for {
		rec, err := lr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("generated lead rejected: %v", err)
		}
		if ids[rec.Lead.ID] {
			t.Fatalf("duplicate id %s", rec.Lead.ID)
		}
		ids[rec.Lead.ID] = true
		e := ingest.NormalizeEmail(rec.Lead.Email)
		if emails[e] {
			t.Fatalf("duplicate email %s", e)
		}
		emails[e] = true
		f := checker.Email(rec.Lead.Email)
		switch {
		case f.Free:
			free++
		case f.Disposable:
			disposable++
		case f.Role:
			role++
		}
		if strings.Contains(strings.ToLower(rec.Lead.Title), "student") || strings.Contains(strings.ToLower(rec.Lead.Title), "intern") {
			students++
		}
		if rec.Lead.AccountID != "" {
			accounts[rec.Lead.AccountID]++
		}
		if rec.Lead.Fields["converted"] == true {
			converted++
			conv[rec.Lead.ID] = true
			if _, ok := rec.Lead.Fields["converted_at"].(string); !ok {
				t.Fatalf("converted lead %s without converted_at", rec.Lead.ID)
			}
		}
	}
	n := len(ids)
	if n != o.Leads || st.Leads != n {
		t.Fatalf("%d leads read, stats say %d, want %d", n, st.Leads, o.Leads)
	}
	share := func(k int) float64 { return float64(k) / float64(n) }
	within := func(what string, got, lo, hi float64) {
		t.Helper()
		if got < lo || got > hi {
			t.Errorf("%s = %.3f, want between %.3f and %.3f", what, got, lo, hi)
		}
	}
	within("free-mail share", share(free), 0.10, 0.30)
	within("disposable share", share(disposable), 0.01, 0.06)
	within("role share", share(role), 0.02, 0.10)
	within("student share", share(students), 0.03, 0.12)
	within("conversion rate", share(converted), 0.02, 0.40)
	multi := 0
	for _, c := range accounts {
		if c > 1 {
			multi++
		}
	}
	if multi < len(accounts)/5 {
		t.Errorf("only %d of %d accounts have several people", multi, len(accounts))
	}

	er := ingest.NewEventReader(bytes.NewReader(eb), checker)
	types := map[string]int{}
	perLead := map[string]int{}
	demo := map[string]bool{}
	uaBots := 0
	total := 0
	for {
		rec, err := er.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("generated event rejected: %v", err)
		}
		total++
		ev := rec.Event
		id := ev.LeadID
		if rec.KeyKind == ingest.KeyEmail {
			if !emails[id] {
				t.Fatalf("event for unknown email %s", id)
			}
		} else if !ids[id] {
			t.Fatalf("event for unknown lead %s", id)
		}
		if ev.At.Before(o.withDefaultsMust(t).Start) || !ev.At.Before(DefaultEnd) {
			t.Fatalf("event at %v outside the range", ev.At)
		}
		types[ev.Type]++
		perLead[id]++
		if ev.Type == "demo.requested" {
			demo[id] = true
		}
		if ev.Bot {
			uaBots++
		}
	}
	if total != st.Events {
		t.Errorf("%d events read, stats say %d", total, st.Events)
	}
	within("events per lead", float64(total)/float64(n), 0.6*o.EventsPerLead, 1.4*o.EventsPerLead)
	for _, typ := range []string{"email.delivered", "email.opened", "email.clicked", "page.viewed", "session.started",
		"form.submitted", "webinar.attended", "trial.started", "demo.requested", "email.unsubscribed", "email.bounced"} {
		if types[typ] == 0 {
			t.Errorf("no %s events", typ)
		}
	}
	if uaBots == 0 || st.BotEvents <= uaBots {
		t.Errorf("planted bot events: %d by user agent, %d in all; want some of each kind", uaBots, st.BotEvents)
	}
	// Heavy tail: the busiest lead has many times the mean.
	most := 0
	for _, c := range perLead {
		most = max(most, c)
	}
	if float64(most) < 5*o.EventsPerLead {
		t.Errorf("busiest lead has %d events; the distribution is not heavy-tailed", most)
	}
	// The outcome depends on behaviour: demo requesters convert more.
	var withDemo, withDemoConv, without, withoutConv int
	for id := range ids {
		if demo[id] {
			withDemo++
			if conv[id] {
				withDemoConv++
			}
		} else {
			without++
			if conv[id] {
				withoutConv++
			}
		}
	}
	if withDemo == 0 || float64(withDemoConv)/float64(withDemo) <= 1.5*float64(withoutConv)/float64(without) {
		t.Errorf("conversion with a demo %d/%d, without %d/%d: the outcome does not follow behaviour", withDemoConv, withDemo, withoutConv, without)
	}
}

func (o Options) withDefaultsMust(t *testing.T) Options {
	t.Helper()
	d, err := o.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestOptionsValidate(t *testing.T) {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	cases := []struct {
		name string
		o    Options
		ok   bool
	}{
		{"defaults", Options{}, true},
		{"negative leads", Options{Leads: -1}, false},
		{"negative accounts", Options{Accounts: -1}, false},
		{"negative events", Options{EventsPerLead: -2}, false},
		{"end before start", Options{Start: start, End: start.Add(-time.Hour)}, false},
		{"explicit range", Options{Start: start, End: start.Add(time.Hour)}, true},
	}
	for _, tc := range cases {
		if err := tc.o.Validate(); (err == nil) != tc.ok {
			t.Errorf("%s: Validate() = %v, want ok=%v", tc.name, err, tc.ok)
		}
	}
}

func TestAccountsOption(t *testing.T) {
	_, _, st := generate(t, Options{Leads: 2000, Accounts: 200, EventsPerLead: 1, Seed: 3})
	if st.Accounts < 150 || st.Accounts > 260 {
		t.Errorf("%d accounts for a target of 200", st.Accounts)
	}
}

func TestCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := Generate(ctx, Options{Leads: 100}, io.Discard, io.Discard, nil)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("got %v, want context.Canceled", err)
	}
}

func BenchmarkGenerate(b *testing.B) {
	var events countingWriter
	for b.Loop() {
		events = 0
		if _, err := Generate(context.Background(), Options{Leads: 1000, EventsPerLead: 20, Seed: 1}, io.Discard, &events, nil); err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(int64(events))
}

type countingWriter int64

func (c *countingWriter) Write(p []byte) (int, error) {
	*c += countingWriter(len(p))
	return len(p), nil
}
