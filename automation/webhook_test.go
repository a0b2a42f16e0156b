package automation

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/leadscore/leadscore"
)

var sampleLead = &leadscore.Lead{ID: "lead_42", Email: "jana@kleinbau.de", FirstName: "Jana", LastName: "Vogel", Title: "Head of Ops", Country: "DE", AccountID: "kleinbau.de"}

func sampleTransitions() []Transition {
	at := time.Date(2026, 11, 6, 15, 0, 0, 0, time.UTC)
	due := time.Date(2026, 11, 9, 11, 0, 0, 0, time.UTC)
	return []Transition{
		{Kind: KindScoreChanged, LeadID: "lead_42", Model: "b2b-saas", From: "64", To: "75", Score: ptr(75), Delta: 11, At: at},
		{Kind: KindBandChanged, LeadID: "lead_42", Model: "b2b-saas", From: "warm", To: "hot", Score: ptr(75), At: at},
		{Kind: KindQualified, LeadID: "lead_42", Model: "b2b-saas", From: "lead", To: "marketingqualifiedlead", Score: ptr(75), Threshold: ptr(70), At: at, Reason: "score 75 reached the MQL threshold 70"},
		{Kind: KindAssigned, LeadID: "lead_42", To: "ben", Owner: "ben", Team: "sdr-emea", Rule: "by-territory", Via: ViaTerritory, At: at, Due: due},
		{Kind: KindSLABreached, LeadID: "lead_42", Owner: "ben", Team: "sdr-emea", Rule: "by-territory", Via: ViaTerritory, At: due, Due: due, Reason: "not accepted or moved on within 4h (working time on calendar emea)"},
	}
}

// TestEventPayloadsGolden pins the JSON receivers see, the documentation's
// examples included: a change here is a change of the public contract.
func TestEventPayloadsGolden(t *testing.T) {
	src := Source("https://leadscore.example.com/", leadscore.DefaultWorkspace)
	var b strings.Builder
	for _, tr := range sampleTransitions() {
		ev, err := NewEvent(src, tr, sampleLead)
		if err != nil {
			t.Fatal(err)
		}
		writeIndented(t, &b, ev)
	}
	ev, err := NewEvent(src, ModelActivation("b2b-saas", "3f2a9c1d0b7e", "admin", time.Date(2026, 11, 6, 14, 0, 0, 0, time.UTC)), sampleLead)
	if err != nil {
		t.Fatal(err)
	}
	writeIndented(t, &b, ev)
	checkGolden(t, "events.json", b.String())
}

func writeIndented(t *testing.T, b *strings.Builder, ev CloudEvent) {
	body, err := ev.Body()
	if err != nil {
		t.Fatal(err)
	}
	// Indenting keeps the body's own key order, which is what receivers
	// see and the documentation shows.
	var out bytes.Buffer
	if err := json.Indent(&out, body, "", "  "); err != nil {
		t.Fatalf("the body is not JSON: %v", err)
	}
	b.Write(out.Bytes())
	b.WriteString("\n")
}

func TestEventIDs(t *testing.T) {
	src := Source("https://a.example", "default")
	ts := sampleTransitions()
	seen := map[string]bool{}
	for i := range ts {
		id := EventID(src, &ts[i])
		if seen[id] {
			t.Errorf("transition %d shares an id", i)
		}
		seen[id] = true
		again := ts[i]
		if EventID(src, &again) != id {
			t.Errorf("transition %d: the id is not stable", i)
		}
		if EventID(Source("https://a.example", "other"), &ts[i]) == id {
			t.Errorf("transition %d: two workspaces share an id", i)
		}
		if !strings.HasPrefix(id, "evt_") || len(id) != 36 {
			t.Errorf("id %q", id)
		}
	}
	// Any field that tells two transitions apart changes the id.
	base := ts[0]
	for name, change := range map[string]func(*Transition){
		"at":    func(t *Transition) { t.At = t.At.Add(time.Nanosecond) },
		"score": func(t *Transition) { t.Score = ptr(76) },
		"lead":  func(t *Transition) { t.LeadID = "lead_43" },
		"model": func(t *Transition) { t.Model = "other" },
		"from":  func(t *Transition) { t.From = "6"; t.To = "475" },
		"by":    func(t *Transition) { t.By = "x" },
	} {
		c := base
		change(&c)
		if EventID(src, &c) == EventID(src, &base) {
			t.Errorf("changing %s keeps the id", name)
		}
	}
	// The same instant in another zone is the same transition.
	c := base
	c.At = c.At.In(time.FixedZone("x", 3600))
	if EventID(src, &c) != EventID(src, &base) {
		t.Error("the id depends on the time zone of At")
	}
}

func TestNewEventAttributes(t *testing.T) {
	tr := sampleTransitions()[2]
	ev, err := NewEvent("https://x.example/workspaces/default", tr, nil)
	if err != nil {
		t.Fatal(err)
	}
	if ev.SpecVersion != "1.0" || ev.Type != "com.leadscore.lead.qualified" || ev.Subject != "lead_42" || ev.DataContentType != "application/json" || !ev.Time.Equal(tr.At) {
		t.Errorf("attributes %+v", ev)
	}
	if k, ok := KindOf(ev.Type); !ok || k != KindQualified {
		t.Errorf("KindOf(%q) = %q, %t", ev.Type, k, ok)
	}
	body, _ := ev.Body()
	if strings.Contains(string(body), `"lead":`) {
		t.Errorf("a nil lead must leave the lead out: %s", body)
	}
}

func TestValidateURL(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"https://hooks.example.com/leadscore", ""},
		{"http://localhost:8080/hooks?token=abc", ""},
		{"http://10.0.0.5/hook", ""},
		{"https://[::1]:9000/x", ""},
		{"", "needs a URL"},
		{" https://a.example/x", "spaces around it"},
		{"hooks.example.com/leadscore", "is not absolute"},
		{"/hooks", "is not absolute"},
		{"ftp://a.example/x", `scheme is "ftp"`},
		{"mailto:ops@example.com", `scheme is "mailto"`},
		{"https:///path", "has no host"},
		{"https:opaque", "has no host"},
		{"https://user:pass@a.example/x", "user name or password"},
		{"https://token@a.example/x", "user name or password"},
		{"https://a.example/x#frag", "#fragment"},
		{"https://a.example:99999/x", `port "99999" is not a number between 1 and 65535`},
		{"https://a.example:0/x", "port"},
		{"https://a b.example/", "not a valid URL"},
		{"https://a.example/" + strings.Repeat("x", 3000), "the limit is 2048"},
	}
	for _, tt := range tests {
		u, err := ValidateURL(tt.in)
		switch {
		case tt.want == "" && (err != nil || u == nil):
			t.Errorf("ValidateURL(%q): %v", tt.in, err)
		case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
			t.Errorf("ValidateURL(%q) = %v, want %q", tt.in, err, tt.want)
		case tt.want != "" && (leadscore.CodeOf(err) != leadscore.CodeInvalid || !strings.HasPrefix(err.Error(), "url: ")):
			t.Errorf("ValidateURL(%q): %v is not an invalid url error", tt.in, err)
		}
	}
}

func FuzzValidateURL(f *testing.F) {
	for _, s := range []string{"https://a.example/x", "http://u:p@h/", "//h/p", "https://[::1]:0/", "https://a.example/#", "h\x00ttp://x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		u, err := ValidateURL(s)
		if err != nil {
			if leadscore.CodeOf(err) != leadscore.CodeInvalid {
				t.Fatalf("%q: %v", s, err)
			}
			return
		}
		if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil || u.Fragment != "" {
			t.Fatalf("%q accepted as %#v", s, u)
		}
	})
}

func TestSubscriptions(t *testing.T) {
	ts := sampleTransitions()
	tests := []struct {
		name string
		sub  Subscription
		want string // kinds received
	}{
		{"everything", Subscription{ID: "s"}, "lead.score_changed lead.band_changed lead.qualified lead.assigned sla.breached"},
		{"by type", Subscription{ID: "s", Types: []string{"lead.qualified", "sla.breached"}}, "lead.qualified sla.breached"},
		{"by pattern and CloudEvents type", Subscription{ID: "s", Types: []string{"com.leadscore.lead.*"}}, "lead.score_changed lead.band_changed lead.qualified lead.assigned"},
		{"a large enough score change", Subscription{ID: "s", Types: []string{"lead.score_changed"}, MinScoreDelta: 10}, "lead.score_changed"},
		{"too small a score change", Subscription{ID: "s", Types: []string{"lead.score_changed"}, MinScoreDelta: 12}, ""},
		{"another model: lead events without a model still pass", Subscription{ID: "s", Models: []string{"other"}}, "lead.assigned sla.breached"},
		{"disabled", Subscription{ID: "s", Disabled: true}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for i := range ts {
				if tt.sub.Wants(&ts[i]) {
					got = append(got, string(ts[i].Kind))
				}
			}
			if strings.Join(got, " ") != tt.want {
				t.Errorf("got %q, want %q", strings.Join(got, " "), tt.want)
			}
		})
	}
}

func TestSubscriptionValidate(t *testing.T) {
	s := Subscription{URL: "ftp://x", Types: []string{"lead.qualifed", "lead.[", "*.breached", "nothing.here"}, MinScoreDelta: -1}
	err := s.Validate()
	var got []string
	for _, p := range asProblems(err) {
		got = append(got, p.Error())
	}
	want := []string{
		`url: the URL scheme is "ftp"; webhooks are delivered over http or https`,
		`types[0]: unknown event type "lead.qualifed"; did you mean "lead.qualified"?`,
		`types[1]: bad event type pattern "lead.["`,
		`types[3]: unknown event type "nothing.here" (the types are lead.qualified, lead.unqualified, lead.disqualified, lead.disqualification_cleared, lead.band_changed, lead.score_changed, lead.stage_changed, lead.accepted, lead.rejected, lead.recycled, lead.assigned, sla.breached or model.activated)`,
		`min_score_delta: must be a number of points, 0 or more`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	ok := Subscription{URL: "https://a.example/h", Types: []string{"lead.*", "sla.breached"}, MinScoreDelta: 5}
	if err := ok.Validate(); err != nil {
		t.Errorf("valid subscription: %v", err)
	}
}

func TestFanout(t *testing.T) {
	subs := []Subscription{
		{ID: "crm", Types: []string{"lead.qualified", "lead.assigned"}},
		{ID: "slack", Types: []string{"lead.qualified", "sla.breached"}},
		{ID: "off", Disabled: true},
	}
	src := Source("https://x.example", "default")
	msgs, err := Fanout(subs, sampleTransitions(), src, sampleLead)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, m := range msgs {
		got = append(got, m.SubscriptionID+":"+strings.TrimPrefix(m.Type, EventTypePrefix))
	}
	if want := "crm:lead.qualified slack:lead.qualified crm:lead.assigned slack:sla.breached"; strings.Join(got, " ") != want {
		t.Fatalf("got %q, want %q", strings.Join(got, " "), want)
	}
	if msgs[0].EventID != msgs[1].EventID || msgs[0].ID == msgs[1].ID || string(msgs[0].Body) != string(msgs[1].Body) {
		t.Error("one event for two subscriptions must share its id and body, with distinct delivery ids")
	}
	again, _ := Fanout(subs, sampleTransitions(), src, sampleLead)
	for i := range msgs {
		if again[i].ID != msgs[i].ID || string(again[i].Body) != string(msgs[i].Body) {
			t.Errorf("message %d differs on a second fan-out", i)
		}
	}
	var ev CloudEvent
	if err := json.Unmarshal(msgs[0].Body, &ev); err != nil || ev.ID != msgs[0].EventID || msgs[0].LeadID != "lead_42" {
		t.Errorf("body %s: %v", msgs[0].Body, err)
	}
}
