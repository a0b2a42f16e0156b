package scoring

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/leadscore/leadscore"
)

var update = flag.Bool("update", false, "rewrite golden files")

var asOf = time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)

func f(v float64) *float64 { return &v }

func daysAgo(d float64) time.Time { return asOf.Add(-time.Duration(d * float64(24*time.Hour))) }

func ev(id, typ string, at time.Time, props ...any) leadscore.Event {
	p := map[string]any{}
	for i := 0; i+1 < len(props); i += 2 {
		p[props[i].(string)] = props[i+1]
	}
	return leadscore.Event{ID: id, LeadID: "l1", Type: typ, At: at, Properties: p}
}

func mustCompile(t testing.TB, spec *leadscore.ModelSpec) *Model {
	t.Helper()
	m, err := Compile(spec, Options{})
	if err != nil {
		t.Fatalf("compile: %v", err)
	}
	return m
}

// render is the golden form of an evaluation: the headline facts, then the
// explanation a rep would read.
func render(ev *leadscore.Evaluation) string {
	var b strings.Builder
	fmt.Fprintf(&b, "model=%s score=%s display=%d band=%s grade=%s qualified=%v disqualified=%v raw=%s\n",
		ev.Model, fmtPoints(ev.Score), ev.Display, ev.Band, ev.Grade, ev.Qualified, ev.Disqualified, fmtPoints(ev.Raw))
	for _, c := range ev.Categories {
		fmt.Fprintf(&b, "category %s=%s\n", c.Path, fmtPoints(c.Points))
	}
	if !ev.NextChangeAt.IsZero() {
		fmt.Fprintf(&b, "next change %s\n", ev.NextChangeAt.UTC().Format(time.RFC3339))
	}
	for _, l := range Explain(ev) {
		b.WriteString("  " + l + "\n")
	}
	return b.String()
}

func checkGolden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name+".txt")
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("missing golden file %s (run go test ./scoring -update): %v", path, err)
	}
	if string(want) != got {
		t.Errorf("%s differs from golden file\n--- got\n%s--- want\n%s", name, got, want)
	}
}

func decayModel() *leadscore.ModelSpec {
	return &leadscore.ModelSpec{
		Name: "decay",
		Categories: []leadscore.CategorySpec{{Name: "interest", Rules: []leadscore.RuleSpec{
			{Name: "demo-request", Label: "demo requested", Events: []string{"demo.requested"}, Points: 60},
		}}},
		Decay: leadscore.DecaySpec{Inactivity: []leadscore.DecayStep{
			{After: 30 * leadscore.Day, Points: -10}, {After: 60 * leadscore.Day, Points: -10},
			{After: 90 * leadscore.Day, Points: -20}, {After: 180 * leadscore.Day, Reset: true},
		}},
	}
}

func TestInactivityDecay(t *testing.T) {
	m := mustCompile(t, decayModel())
	cases := []struct {
		idle float64
		want float64
	}{{29, 60}, {31, 50}, {61, 40}, {91, 20}, {181, 0}}
	for _, tc := range cases {
		t.Run(fmt.Sprintf("%gdays", tc.idle), func(t *testing.T) {
			got := m.Evaluate(&Input{Lead: &leadscore.Lead{ID: "l1"}, Events: []leadscore.Event{ev("e1", "demo.requested", daysAgo(tc.idle))}}, asOf)
			if got.Score != tc.want {
				t.Fatalf("score %v, want %v\n%s", got.Score, tc.want, render(got))
			}
			checkGolden(t, fmt.Sprintf("decay-%gd", tc.idle), render(got))
		})
	}
}

func engagementModel() *leadscore.ModelSpec {
	return &leadscore.ModelSpec{
		Name: "caps",
		Categories: []leadscore.CategorySpec{{Name: "interest", Max: f(50), Categories: []leadscore.CategorySpec{
			{Name: "engagement", Max: f(25), Rules: []leadscore.RuleSpec{
				{Name: "webinar", Label: "attended a webinar", Events: []string{"webinar.attended"}, Points: 10},
				{Name: "ebook", Label: "downloaded an ebook", Events: []string{"form.submitted"}, Where: `event.form == "ebook"`, Points: 8},
				{Name: "blog", Label: "read the blog", Events: []string{"page.viewed"}, Where: `event.path startsWith "/blog"`, Points: 2, Count: leadscore.CountDay},
				{Name: "email-opens", Label: "opened an email", Events: []string{"email.opened"}, SkipFirst: 3, Points: 1, MaxPoints: f(5), Within: 30 * leadscore.Day},
			}},
		}}},
	}
}

func TestCategoryCap(t *testing.T) {
	m := mustCompile(t, engagementModel())
	var events []leadscore.Event
	for i := range 5 {
		events = append(events, ev(fmt.Sprintf("w%d", i), "webinar.attended", daysAgo(float64(10+i))))
	}
	events = append(events, ev("f1", "form.submitted", daysAgo(3), "form", "ebook"))
	for i := range 4 {
		// Two views on one day count once: "day" counting.
		events = append(events, ev(fmt.Sprintf("b%d", i), "page.viewed", daysAgo(float64(1+i/2)), "path", "/blog/post"))
	}
	got := m.Evaluate(&Input{Lead: &leadscore.Lead{ID: "l1"}, Events: events}, asOf)
	if got.Score != 25 {
		t.Fatalf("score %v, want the 25-point engagement budget\n%s", got.Score, render(got))
	}
	if !strings.Contains(strings.Join(Explain(got), "\n"), "capped: engagement reached its 25-point budget (62 earned)") {
		t.Errorf("explanation does not say the budget capped it:\n%s", render(got))
	}
	checkGolden(t, "cap-engagement", render(got))
}

func TestEmailOpensSkipFirst(t *testing.T) {
	m := mustCompile(t, engagementModel())
	for _, tc := range []struct {
		opens int
		want  float64
	}{{0, 0}, {3, 0}, {4, 1}, {5, 2}, {20, 5}} {
		var events []leadscore.Event
		for i := range tc.opens {
			events = append(events, ev(fmt.Sprintf("o%d", i), "email.opened", daysAgo(float64(20-i)/2)))
		}
		got := m.Evaluate(&Input{Lead: &leadscore.Lead{ID: "l1"}, Events: events}, asOf)
		if got.Score != tc.want {
			t.Errorf("%d opens: score %v, want %v\n%s", tc.opens, got.Score, tc.want, render(got))
		}
		if tc.opens == 5 {
			checkGolden(t, "email-opens-5", render(got))
		}
	}
}

func TestHundredPointBlocks(t *testing.T) {
	spec := &leadscore.ModelSpec{
		Name: "blocks", Scale: leadscore.Scale{Min: 0, Max: 500}, MQL: f(300),
		Categories: []leadscore.CategorySpec{
			{Name: "must", Rules: []leadscore.RuleSpec{
				{Name: "budget", When: `lead.budget == true`, Points: 100},
				{Name: "authority", When: `lead.title matches "(?i)(vp|director|chief)"`, Points: 100},
				{Name: "need", When: `lead.need == true`, Points: 100},
				{Name: "timing", When: `lead.timeline_days != nil && lead.timeline_days <= 90`, Points: 100},
			}},
			{Name: "extra", Max: f(99), Rules: []leadscore.RuleSpec{
				{Name: "pricing", Events: []string{"page.viewed"}, Where: `event.path == "/pricing"`, Points: 89},
			}},
		},
	}
	m := mustCompile(t, spec)
	qualifying := &Input{Lead: &leadscore.Lead{ID: "l1", Title: "VP Sales", Fields: map[string]any{"budget": true, "need": true}},
		Events: []leadscore.Event{ev("p1", "page.viewed", daysAgo(1), "path", "/pricing")}}
	got := m.Evaluate(qualifying, asOf)
	if got.Score != 389 || !got.Qualified {
		t.Fatalf("want 389 qualified\n%s", render(got))
	}
	checkGolden(t, "blocks-389", render(got))
	qualifying.Lead.Fields["need"] = false
	got = m.Evaluate(qualifying, asOf)
	if got.Score != 289 || got.Qualified {
		t.Fatalf("want 289 not qualified\n%s", render(got))
	}
	checkGolden(t, "blocks-289", render(got))
}

func fitModel() *leadscore.ModelSpec {
	return &leadscore.ModelSpec{
		Name: "fit", MQL: f(70),
		Bands: []leadscore.Band{{Name: "hot", Min: 70}, {Name: "warm", Min: 40}, {Name: "cold", Min: 0}},
		Requirements: []leadscore.Requirement{
			{Name: "adult", When: "lead.age == nil || lead.age >= 18", Reason: "under 18"},
			{Name: "region", When: `lead.country in ["US", "CA", "GB", "FR", "PL", "ID"]`, Reason: "outside the service region"},
		},
		Prefix: []leadscore.PrefixRule{
			{Digit: 3, When: "account.employees >= 1000", Label: "large"},
			{Digit: 2, When: "account.employees >= 100", Label: "mid-size"},
			{Digit: 1, Label: "small"},
		},
		Categories: []leadscore.CategorySpec{{Name: "fit", Max: f(50), Rules: []leadscore.RuleSpec{
			{Name: "senior-title", Label: "VP title", When: `lead.title matches "(?i)\\b(vp|director|head|chief)\\b"`, Points: 30},
			{Name: "software", Label: "software company", When: `account.industry == "Software"`, Points: 20},
			{Name: "student", Label: "student title", When: `lead.title matches "(?i)student"`, Points: -30},
		}}, {Name: "interest", Max: f(50), Rules: []leadscore.RuleSpec{
			{Name: "demo-request", Label: "demo requested", Events: []string{"demo.requested"}, Points: 25, Count: leadscore.CountOnce},
			{Name: "pricing", Label: "viewed pricing", Events: []string{"page.viewed"}, Where: `event.path startsWith "/pricing"`, Points: 7, Count: leadscore.CountDay, MaxTimes: 2},
		}}},
	}
}

func TestPrefixDigit(t *testing.T) {
	m := mustCompile(t, fitModel())
	emp := int64(450)
	in := &Input{
		Lead:    &leadscore.Lead{ID: "l1", Title: "VP Marketing", Country: "US"},
		Account: &leadscore.Account{ID: "acme.com", Industry: "Software", Employees: &emp},
		Events: []leadscore.Event{
			ev("d1", "demo.requested", daysAgo(5)),
			ev("p1", "page.viewed", daysAgo(4), "path", "/pricing"),
			ev("p2", "page.viewed", daysAgo(3), "path", "/pricing/enterprise"),
			ev("p3", "page.viewed", daysAgo(2), "path", "/pricing"),
		},
	}
	got := m.Evaluate(in, asOf)
	// 50 fit (capped from 50) + 25 demo + 14 pricing = 89.
	if got.Score != 89 || got.Display != 2089 || got.PrefixLabel != "mid-size" || got.Band != "hot" || !got.Qualified || got.Grade != "A" {
		t.Fatalf("want 89 shown as 2089, hot, qualified, grade A\n%s", render(got))
	}
	checkGolden(t, "prefix-2089", render(got))
}

func TestRequirements(t *testing.T) {
	m := mustCompile(t, fitModel())
	for _, tc := range []struct {
		name   string
		lead   leadscore.Lead
		reason string
	}{
		{"age17", leadscore.Lead{ID: "l1", Title: "VP Sales", Country: "US", Fields: map[string]any{"age": 17}}, "under 18"},
		{"region", leadscore.Lead{ID: "l1", Title: "VP Sales", Country: "BR"}, "outside the service region"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			lead := tc.lead
			got := m.Evaluate(&Input{Lead: &lead, Events: []leadscore.Event{ev("d1", "demo.requested", daysAgo(1))}}, asOf)
			if !got.Disqualified || got.Qualified || got.Score != 0 || len(got.Reasons) != 1 || got.Reasons[0] != tc.reason {
				t.Fatalf("want disqualified with %q\n%s", tc.reason, render(got))
			}
			checkGolden(t, "requirement-"+tc.name, render(got))
		})
	}
	adult := leadscore.Lead{ID: "l1", Country: "US", Fields: map[string]any{"age": 18}}
	if got := m.Evaluate(&Input{Lead: &adult}, asOf); got.Disqualified {
		t.Errorf("an 18-year-old in the US is not disqualified\n%s", render(got))
	}
}

func TestDisqualifiedKeep(t *testing.T) {
	spec := fitModel()
	spec.Disqualified = leadscore.DisqualifyKeep
	m := mustCompile(t, spec)
	got := m.Evaluate(&Input{Lead: &leadscore.Lead{ID: "l1", Title: "VP Sales", Country: "BR"}}, asOf)
	if !got.Disqualified || got.Score != 30 || got.Qualified {
		t.Fatalf("keep mode keeps the score but flags it\n%s", render(got))
	}
}

func TestStakeholders(t *testing.T) {
	spec := &leadscore.ModelSpec{Name: "account", Categories: []leadscore.CategorySpec{{Name: "account", Rules: []leadscore.RuleSpec{
		{Name: "buying-committee", Label: "3+ people from the account active", When: "account.active_people >= 3", Points: 15},
		{Name: "target-account", Label: "target account", When: "account.priority", Points: 10},
	}}}}
	m := mustCompile(t, spec)
	lead := &leadscore.Lead{ID: "l1"}
	acct := &leadscore.Account{ID: "acme.com", Priority: true}
	events := []leadscore.Event{ev("e1", "page.viewed", daysAgo(2))}
	three := []leadscore.Peer{{LeadID: "l2", Activity: []time.Time{daysAgo(10)}}, {LeadID: "l3", Activity: []time.Time{daysAgo(40), daysAgo(29)}}}
	got := m.Evaluate(&Input{Lead: lead, Account: acct, Events: events, Peers: three}, asOf)
	if got.Score != 25 {
		t.Fatalf("three active people: want 25\n%s", render(got))
	}
	// The earliest of the three leaves the 30-day window one day from now.
	if want := daysAgo(29).Add(30 * 24 * time.Hour); !got.NextChangeAt.Equal(want) {
		t.Errorf("next change %v, want %v", got.NextChangeAt, want)
	}
	checkGolden(t, "stakeholders-3", render(got))
	two := []leadscore.Peer{three[0], {LeadID: "l3", Activity: []time.Time{daysAgo(40), daysAgo(31)}}}
	got = m.Evaluate(&Input{Lead: lead, Account: acct, Events: events, Peers: two}, asOf)
	if got.Score != 10 {
		t.Fatalf("two active people: want only the target-account points\n%s", render(got))
	}
}

func TestBotClicksEarnNothing(t *testing.T) {
	spec := &leadscore.ModelSpec{Name: "clicks", Categories: []leadscore.CategorySpec{{Name: "interest", Rules: []leadscore.RuleSpec{
		{Name: "email-click", Label: "clicked an email", Events: []string{"email.clicked"}, Points: 5},
	}}}}
	m := mustCompile(t, spec)
	click := ev("c1", "email.clicked", daysAgo(1), "email_id", "m1", "url", "https://x.test/a")
	human := m.Evaluate(&Input{Lead: &leadscore.Lead{ID: "l1"}, Events: []leadscore.Event{click}}, asOf)
	if human.Score != 5 {
		t.Fatalf("an unflagged click earns its points\n%s", render(human))
	}
	flagged := click
	flagged.Bot = true
	got := m.Evaluate(&Input{Lead: &leadscore.Lead{ID: "l1"}, Events: []leadscore.Event{flagged}}, asOf)
	if got.Score != 0 {
		t.Fatalf("a bot-flagged click earns nothing\n%s", render(got))
	}
	checkGolden(t, "bot-flagged", render(got))

	// A click two seconds after delivery is a mail scanner.
	delivered := ev("d1", "email.delivered", click.At.Add(-2*time.Second), "email_id", "m1")
	got = m.Evaluate(&Input{Lead: &leadscore.Lead{ID: "l1"}, Events: []leadscore.Event{delivered, click}}, asOf)
	if got.Score != 0 {
		t.Fatalf("a click within seconds of delivery earns nothing\n%s", render(got))
	}
	// Every link of one email clicked at once is a scanner too, even long
	// after delivery.
	burst := []leadscore.Event{ev("d0", "email.delivered", click.At.Add(-time.Hour), "email_id", "m1")}
	for i := range 4 {
		burst = append(burst, ev(fmt.Sprintf("c%d", i), "email.clicked", click.At.Add(time.Duration(i)*time.Second), "email_id", "m1", "url", fmt.Sprintf("https://x.test/%d", i)))
	}
	got = m.Evaluate(&Input{Lead: &leadscore.Lead{ID: "l1"}, Events: burst}, asOf)
	if got.Score != 0 {
		t.Fatalf("a burst of clicks on every link earns nothing\n%s", render(got))
	}
	checkGolden(t, "bot-burst", render(got))
}

func TestHalfLifeFavoursRecent(t *testing.T) {
	spec := &leadscore.ModelSpec{Name: "recency", Categories: []leadscore.CategorySpec{{Name: "engagement", HalfLife: 45 * leadscore.Day, Rules: []leadscore.RuleSpec{
		{Name: "pricing", Label: "viewed pricing", Events: []string{"page.viewed"}, Where: `event.path == "/pricing"`, Points: 10},
		{Name: "webinar", Label: "attended a webinar", Events: []string{"webinar.attended"}, Points: 20},
	}}}}
	m := mustCompile(t, spec)
	behaviour := func(at time.Time) []leadscore.Event {
		return []leadscore.Event{ev("p1", "page.viewed", at, "path", "/pricing"), ev("w1", "webinar.attended", at.Add(time.Hour))}
	}
	recent := m.Evaluate(&Input{Lead: &leadscore.Lead{ID: "l1"}, Events: behaviour(daysAgo(7))}, asOf)
	old := m.Evaluate(&Input{Lead: &leadscore.Lead{ID: "l2"}, Events: behaviour(daysAgo(150))}, asOf)
	if recent.Score <= old.Score {
		t.Fatalf("recent %v should beat old %v", recent.Score, old.Score)
	}
	if recent.NextChangeAt.IsZero() || !recent.NextChangeAt.After(asOf) {
		t.Errorf("half-life points change with time; next change must be set")
	}
	// Re-evaluating at the predicted time must be the first change.
	before := m.Evaluate(&Input{Lead: &leadscore.Lead{ID: "l1"}, Events: behaviour(daysAgo(7))}, recent.NextChangeAt.Add(-time.Second))
	if before.Score != recent.Score {
		t.Errorf("score changed before the predicted time: %v -> %v", recent.Score, before.Score)
	}
	checkGolden(t, "half-life-recent", render(recent))
	checkGolden(t, "half-life-old", render(old))
}

func TestBehaviourCounting(t *testing.T) {
	spec := &leadscore.ModelSpec{Name: "counting", Scale: leadscore.Scale{Min: -100, Max: 100}, Categories: []leadscore.CategorySpec{{Name: "interest", Rules: []leadscore.RuleSpec{
		{Name: "busy-week", Events: []string{"session.started"}, AtLeast: 3, Within: 7 * leadscore.Day, Points: 10},
		{Name: "trial-then-demo", Events: []string{"trial.started"}, Then: &leadscore.SequenceStep{Events: []string{"demo.requested"}, Within: 14 * leadscore.Day}, Points: 15},
		{Name: "unsubscribed", Events: []string{"email.unsubscribed"}, Points: -20, Count: leadscore.CountOnce},
		{Name: "docs", Events: []string{"page.*"}, Where: `event.path startsWith "/docs"`, Points: 1, Count: leadscore.CountWeek},
		{Name: "webinar", Events: []string{"webinar.attended"}, Points: 5, Expire: 90 * leadscore.Day},
	}}}}
	m := mustCompile(t, spec)
	cases := []struct {
		name   string
		events []leadscore.Event
		want   float64
	}{
		{"two sessions in a week do not make a busy week", []leadscore.Event{ev("s1", "session.started", daysAgo(1)), ev("s2", "session.started", daysAgo(2))}, 0},
		{"three sessions in a week do", []leadscore.Event{ev("s1", "session.started", daysAgo(1)), ev("s2", "session.started", daysAgo(2)), ev("s3", "session.started", daysAgo(6))}, 10},
		{"three sessions spread over a month do not", []leadscore.Event{ev("s1", "session.started", daysAgo(1)), ev("s2", "session.started", daysAgo(12)), ev("s3", "session.started", daysAgo(24))}, 0},
		{"trial then demo within 14 days", []leadscore.Event{ev("t", "trial.started", daysAgo(20)), ev("d", "demo.requested", daysAgo(10))}, 15},
		{"demo before trial is not the sequence", []leadscore.Event{ev("d", "demo.requested", daysAgo(20)), ev("t", "trial.started", daysAgo(10))}, 0},
		{"trial then demo too late", []leadscore.Event{ev("t", "trial.started", daysAgo(40)), ev("d", "demo.requested", daysAgo(10))}, 0},
		{"unsubscribe counts once", []leadscore.Event{ev("u1", "email.unsubscribed", daysAgo(5)), ev("u2", "email.unsubscribed", daysAgo(3))}, -20},
		{"docs once per week", []leadscore.Event{ev("a", "page.viewed", time.Date(2026, 10, 26, 9, 0, 0, 0, time.UTC), "path", "/docs/a"), ev("b", "page.viewed", time.Date(2026, 10, 28, 9, 0, 0, 0, time.UTC), "path", "/docs/b"), ev("c", "page.viewed", time.Date(2026, 10, 20, 9, 0, 0, 0, time.UTC), "path", "/docs/c")}, 2},
		{"expired webinar", []leadscore.Event{ev("w1", "webinar.attended", daysAgo(100)), ev("w2", "webinar.attended", daysAgo(10))}, 5},
		{"future events are ignored", []leadscore.Event{ev("w1", "webinar.attended", asOf.Add(time.Hour))}, 0},
		{"missing property does not match", []leadscore.Event{ev("a", "page.viewed", daysAgo(1))}, 0},
	}
	for _, tc := range cases {
		got := m.Evaluate(&Input{Lead: &leadscore.Lead{ID: "l1"}, Events: tc.events}, asOf)
		if got.Score != tc.want {
			t.Errorf("%s: score %v, want %v\n%s", tc.name, got.Score, tc.want, render(got))
		}
	}
}

func TestMissingFieldsNeverCrashOrMatch(t *testing.T) {
	spec := &leadscore.ModelSpec{Name: "missing", Categories: []leadscore.CategorySpec{{Name: "fit", Rules: []leadscore.RuleSpec{
		{Name: "big", When: "account.employees >= 1000", Points: 10},
		{Name: "small", When: "account.employees < 50", Points: 5},
		{Name: "rich", When: "account.revenue > 1e6", Points: 5},
	}}}}
	m := mustCompile(t, spec)
	got := m.Evaluate(&Input{Lead: &leadscore.Lead{ID: "l1"}, Account: &leadscore.Account{ID: "a"}}, asOf)
	if got.Score != 0 || len(got.Contributions) != 0 {
		t.Fatalf("unknown employee count must not match either size rule\n%s", render(got))
	}
	if len(got.Notes) != 3 {
		t.Errorf("want a note per rule that could not be evaluated, got %q", got.Notes)
	}
	checkGolden(t, "missing-fields", render(got))
	got = m.Evaluate(&Input{Lead: &leadscore.Lead{ID: "l1"}}, asOf)
	if got.Score != 0 {
		t.Fatalf("no account at all: want 0\n%s", render(got))
	}
}

func TestDeterministicAndOrderIndependent(t *testing.T) {
	m := mustCompile(t, engagementModel())
	var events []leadscore.Event
	for i := range 60 {
		typ := []string{"webinar.attended", "page.viewed", "email.opened", "form.submitted"}[i%4]
		events = append(events, ev(fmt.Sprintf("e%02d", i), typ, daysAgo(float64(i)/2), "path", "/blog/x", "form", "ebook"))
	}
	want := render(m.Evaluate(&Input{Lead: &leadscore.Lead{ID: "l1"}, Events: events}, asOf))
	r := rand.New(rand.NewPCG(1, 2))
	for range 5 {
		shuffled := append([]leadscore.Event(nil), events...)
		r.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
		if got := render(m.Evaluate(&Input{Lead: &leadscore.Lead{ID: "l1"}, Events: shuffled}, asOf)); got != want {
			t.Fatalf("event order changed the result:\n%s\nvs\n%s", got, want)
		}
	}
}

func TestNextChangeIsExact(t *testing.T) {
	// For every model in this file, evaluating just before nextChangeAt gives
	// the same score, and the decay steps land on the predicted instants.
	m := mustCompile(t, decayModel())
	in := &Input{Lead: &leadscore.Lead{ID: "l1"}, Events: []leadscore.Event{ev("e1", "demo.requested", daysAgo(10))}}
	at := asOf
	var changes []float64
	for range 6 {
		got := m.Evaluate(in, at)
		if got.NextChangeAt.IsZero() {
			break
		}
		if justBefore := m.Evaluate(in, got.NextChangeAt.Add(-time.Second)); justBefore.Score != got.Score {
			t.Fatalf("score changed before nextChangeAt %v", got.NextChangeAt)
		}
		at = got.NextChangeAt
		changes = append(changes, m.Evaluate(in, at).Score)
	}
	if fmt.Sprint(changes) != "[50 40 20 0]" {
		t.Errorf("scores at each predicted change = %v, want [50 40 20 0]", changes)
	}
}

func TestCombinedModel(t *testing.T) {
	fit := fitModel()
	eng := engagementModel()
	eng.Name = "engagement"
	combined := &leadscore.ModelSpec{Name: "overall", Kind: leadscore.KindCombined, MQL: f(60),
		Combine: &leadscore.CombineSpec{Parts: []leadscore.CombinePart{{Model: "fit", Weight: 0.4}, {Model: "engagement", Weight: 0.6}}}}
	set, err := CompileSet([]*leadscore.ModelSpec{combined, fit, eng}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	emp := int64(450)
	in := &Input{Lead: &leadscore.Lead{ID: "l1", Title: "VP Marketing", Country: "US"}, Account: &leadscore.Account{ID: "a", Industry: "Software", Employees: &emp},
		Events: []leadscore.Event{ev("w1", "webinar.attended", daysAgo(3)), ev("w2", "webinar.attended", daysAgo(2))}}
	evs := set.Evaluate(in, asOf)
	if len(evs) != 3 || evs[2].Model != "overall" {
		t.Fatalf("combined model must come after its parts: %v", evs)
	}
	// fit 50/100, engagement 20/100 -> 0.4*0.5 + 0.6*0.2 = 0.32.
	if evs[2].Score != 32 {
		t.Fatalf("combined score %v, want 32\n%s", evs[2].Score, render(evs[2]))
	}
	checkGolden(t, "combined", render(evs[2]))

	_, err = CompileSet([]*leadscore.ModelSpec{combined, fit}, Options{})
	if err == nil || !strings.Contains(err.Error(), `no model named "engagement"`) {
		t.Errorf("a missing part must be reported, got %v", err)
	}
}

func TestCompileReportsEveryProblem(t *testing.T) {
	spec := &leadscore.ModelSpec{Name: "bad", Scale: leadscore.Scale{Min: 0, Max: 100},
		Requirements: []leadscore.Requirement{{Name: "r", When: "lead.age >="}},
		Categories: []leadscore.CategorySpec{{Name: "a", Max: f(-5), Rules: []leadscore.RuleSpec{
			{Name: "x", When: "true", Points: 1},
			{Name: "x", Events: []string{"page.viewed"}, Points: 1, Count: "hourly"},
			{Name: "y", Points: 1},
			{Name: "z", Events: []string{"s"}, AtLeast: 3, Points: 1},
		}}},
		Decay: leadscore.DecaySpec{Inactivity: []leadscore.DecayStep{{After: 30 * leadscore.Day, Points: 5}}},
	}
	_, err := Compile(spec, Options{})
	probs, ok := err.(leadscore.Problems)
	if !ok {
		t.Fatalf("want Problems, got %v", err)
	}
	var got []string
	for _, p := range probs {
		got = append(got, p.Field)
	}
	want := []string{"requirements[0].when", "decay.inactivity[0].points", "categories[0].max", "categories[0].rules[1].name", "categories[0].rules[1].count", "categories[0].rules[2]", "categories[0].rules[3].within"}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("fields %v\nwant   %v\n%v", got, want, err)
	}
}

func TestFutureEventIsANextChange(t *testing.T) {
	m := mustCompile(t, decayModel())
	future := asOf.Add(36 * time.Hour)
	got := m.Evaluate(&Input{Lead: &leadscore.Lead{ID: "l1"}, Events: []leadscore.Event{
		ev("e1", "demo.requested", daysAgo(3)), ev("e2", "demo.requested", future),
	}}, asOf)
	if got.Score != 60 || !got.NextChangeAt.Equal(future) {
		t.Fatalf("score %v next %v; want 60 and the future event's time %v", got.Score, got.NextChangeAt, future)
	}
}

func TestContributionListsTheMostRecentEvents(t *testing.T) {
	spec := &leadscore.ModelSpec{Name: "views", Scale: leadscore.Scale{Min: 0, Max: 1000}, Categories: []leadscore.CategorySpec{{Name: "interest", Rules: []leadscore.RuleSpec{
		{Name: "views", Events: []string{"page.viewed"}, Points: 1},
	}}}}
	m := mustCompile(t, spec)
	var events []leadscore.Event
	for i := range 50 {
		events = append(events, ev(fmt.Sprintf("v%02d", i), "page.viewed", daysAgo(float64(50-i))))
	}
	got := m.Evaluate(&Input{Lead: &leadscore.Lead{ID: "l1"}, Events: events}, asOf)
	c := got.Contributions[0]
	if got.Score != 50 || c.Count != 50 || len(c.Events) != leadscore.MaxEventRefs || c.EventsOmitted != 50-leadscore.MaxEventRefs {
		t.Fatalf("score %v count %d listed %d omitted %d", got.Score, c.Count, len(c.Events), c.EventsOmitted)
	}
	if c.Events[0].ID != "v30" || c.Events[len(c.Events)-1].ID != "v49" {
		t.Errorf("the listed events must be the most recent: %s..%s", c.Events[0].ID, c.Events[len(c.Events)-1].ID)
	}
}
