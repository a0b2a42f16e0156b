package scoring

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/leadscore/leadscore"
)

// benchModel resembles the example B2B SaaS model: fit rules on lead and
// account, behaviour rules of every counting kind, caps, decay, half-life.
func benchModel() *leadscore.ModelSpec {
	return &leadscore.ModelSpec{
		Name: "bench", MQL: f(70),
		Bands:        []leadscore.Band{{Name: "hot", Min: 70}, {Name: "warm", Min: 40}, {Name: "cold", Min: 0}},
		Requirements: []leadscore.Requirement{{Name: "valid-email", When: "lead.email_valid", Reason: "invalid email"}},
		Prefix: []leadscore.PrefixRule{
			{Digit: 3, When: "account.employees != nil && account.employees >= 1000"},
			{Digit: 2, When: "account.employees != nil && account.employees >= 100"}, {Digit: 1},
		},
		Categories: []leadscore.CategorySpec{
			{Name: "fit", Max: f(50), Rules: []leadscore.RuleSpec{
				{Name: "senior-title", When: `lead.title matches "(?i)\\b(vp|director|head|chief)\\b"`, Points: 15},
				{Name: "software", When: `account.industry in ["Software", "Internet"]`, Points: 10},
				{Name: "mid-size", When: "account.employees != nil && account.employees >= 100", Points: 10},
				{Name: "target", When: "account.priority", Points: 10},
				{Name: "free-mail", When: "lead.email_free", Points: -10},
				{Name: "student", When: `lead.title matches "(?i)student|intern"`, Points: -20},
			}},
			{Name: "interest", Max: f(50), Categories: []leadscore.CategorySpec{
				{Name: "critical", Max: f(30), Rules: []leadscore.RuleSpec{
					{Name: "demo", Events: []string{"demo.requested"}, Points: 25, Count: leadscore.CountOnce},
					{Name: "trial", Events: []string{"trial.started"}, Points: 15, Count: leadscore.CountOnce},
					{Name: "trial-then-demo", Events: []string{"trial.started"}, Then: &leadscore.SequenceStep{Events: []string{"demo.requested"}, Within: 14 * leadscore.Day}, Points: 5, Count: leadscore.CountOnce},
				}},
				{Name: "engagement", Max: f(25), HalfLife: 45 * leadscore.Day, Rules: []leadscore.RuleSpec{
					{Name: "pricing", Events: []string{"page.viewed"}, Where: `event.path startsWith "/pricing"`, Points: 5, Count: leadscore.CountDay},
					{Name: "docs", Events: []string{"page.viewed"}, Where: `event.path startsWith "/docs"`, Points: 1, MaxPoints: f(5)},
					{Name: "opens", Events: []string{"email.opened"}, SkipFirst: 3, Points: 1, MaxPoints: f(5), Within: 30 * leadscore.Day},
					{Name: "clicks", Events: []string{"email.clicked"}, Points: 2, MaxTimes: 5},
					{Name: "busy-week", Events: []string{"session.started"}, AtLeast: 3, Within: 7 * leadscore.Day, Points: 5},
					{Name: "webinar", Events: []string{"webinar.attended"}, Points: 8, Expire: 90 * leadscore.Day},
					{Name: "forms", Events: []string{"form.submitted"}, Where: `event.form in ["ebook", "contact"]`, Points: 6},
				}},
				{Name: "negative", Rules: []leadscore.RuleSpec{
					{Name: "unsubscribed", Events: []string{"email.unsubscribed"}, Points: -20, Count: leadscore.CountOnce},
					{Name: "careers", Events: []string{"page.viewed"}, Where: `event.path startsWith "/careers"`, Points: -5, Count: leadscore.CountOnce},
				}},
			}},
		},
		Decay: leadscore.DecaySpec{Inactivity: []leadscore.DecayStep{
			{After: 30 * leadscore.Day, Points: -10}, {After: 60 * leadscore.Day, Points: -10}, {After: 90 * leadscore.Day, Points: -20}, {After: 180 * leadscore.Day, Reset: true},
		}, Category: "interest"},
	}
}

var eventKinds = []struct {
	typ   string
	props []any
}{
	{"page.viewed", []any{"path", "/pricing"}}, {"page.viewed", []any{"path", "/docs/api"}}, {"page.viewed", []any{"path", "/blog/x"}},
	{"page.viewed", []any{"path", "/careers"}}, {"email.delivered", nil}, {"email.opened", nil}, {"email.opened", nil},
	{"email.clicked", []any{"url", "https://x.test/a"}}, {"session.started", nil}, {"session.started", nil},
	{"webinar.attended", nil}, {"form.submitted", []any{"form", "ebook"}}, {"form.submitted", []any{"form", "newsletter"}},
	{"trial.started", nil}, {"demo.requested", nil}, {"email.unsubscribed", nil}, {"page.viewed", nil},
}

func randomEvents(r *rand.Rand, n int, span time.Duration) []leadscore.Event {
	out := make([]leadscore.Event, n)
	for i := range out {
		k := eventKinds[r.IntN(len(eventKinds))]
		at := asOf.Add(-time.Duration(r.Int64N(int64(span))))
		var props []any
		if strings.HasPrefix(k.typ, "email.") {
			// One id per send: a delivery and the opens and clicks it
			// brought share it.
			props = append(props, "email_id", fmt.Sprintf("m%d", i/4))
		}
		props = append(props, k.props...)
		e := ev(fmt.Sprintf("e%04d", i), k.typ, at, props...)
		e.Bot = r.IntN(40) == 0
		out[i] = e
	}
	return out
}

func benchInput(r *rand.Rand, events int) *Input {
	emp := int64(250)
	evs := randomEvents(r, events, 120*24*time.Hour)
	// The store hands events over in time order.
	slices.SortFunc(evs, func(a, b leadscore.Event) int { return a.At.Compare(b.At) })
	return &Input{
		Lead:    &leadscore.Lead{ID: "l1", Email: "jane@acme-corp.com", Title: "VP Marketing", Country: "US"},
		Account: &leadscore.Account{ID: "acme-corp.com", Industry: "Software", Employees: &emp, Priority: true},
		Events:  evs,
		Peers:   []leadscore.Peer{{LeadID: "l2", Activity: []time.Time{asOf.Add(-48 * time.Hour)}}},
	}
}

// Applying events one by one, in any order and with duplicates, must give
// exactly the evaluation of building the state from all of them at once.
func TestApplyMatchesFullEvaluation(t *testing.T) {
	set, err := CompileSet([]*leadscore.ModelSpec{benchModel(), engagementModel(), decayModel()}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for seed := range uint64(20) {
		r := rand.New(rand.NewPCG(seed, 7))
		in := benchInput(r, 80)
		want := set.Evaluate(in, asOf)

		half := *in
		half.Events = in.Events[:30]
		st := set.NewState(&half)
		rest := append([]leadscore.Event(nil), in.Events[30:]...)
		r.Shuffle(len(rest), func(i, j int) { rest[i], rest[j] = rest[j], rest[i] })
		for _, e := range rest {
			if !st.Apply(e) {
				t.Fatalf("seed %d: a new event was refused", seed)
			}
		}
		if st.Apply(in.Events[3]) {
			t.Fatalf("seed %d: a duplicate event id was applied twice", seed)
		}
		got := st.Evaluate(asOf)
		for i := range want {
			if g, w := render(got[i]), render(want[i]); g != w {
				t.Fatalf("seed %d model %s: incremental differs from full evaluation\n--- incremental\n%s--- full\n%s", seed, want[i].Model, g, w)
			}
		}
		// As-of evaluation from the same state equals a state built from
		// only the events up to that time.
		past := asOf.Add(-40 * 24 * time.Hour)
		var upTo []leadscore.Event
		var firstLater time.Time
		for _, e := range in.Events {
			if !e.At.After(past) {
				upTo = append(upTo, e)
			} else if firstLater.IsZero() || e.At.Before(firstLater) {
				firstLater = e.At
			}
		}
		cut := *in
		cut.Events = upTo
		wantPast := set.Evaluate(&cut, past)
		gotPast := st.Evaluate(past)
		for i := range wantPast {
			// The state also knows the events still to come: the first of
			// them is a change no earlier evaluation could foresee.
			if !firstLater.IsZero() && (wantPast[i].NextChangeAt.IsZero() || firstLater.Before(wantPast[i].NextChangeAt)) {
				wantPast[i].NextChangeAt = firstLater
			}
			if g, w := render(gotPast[i]), render(wantPast[i]); g != w {
				t.Fatalf("seed %d model %s: as-of evaluation saw events after its time\n--- got\n%s--- want\n%s", seed, want[i].Model, g, w)
			}
		}
	}
}

func BenchmarkEvaluate100Events(b *testing.B) {
	m := mustCompile(b, benchModel())
	set, _ := CompileSet([]*leadscore.ModelSpec{benchModel()}, Options{Checker: m.checker})
	in := benchInput(rand.New(rand.NewPCG(1, 2)), 100)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		set.Evaluate(in, asOf)
	}
}

func BenchmarkEvaluate100EventsParallel(b *testing.B) {
	set, _ := CompileSet([]*leadscore.ModelSpec{benchModel()}, Options{})
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		in := benchInput(rand.New(rand.NewPCG(1, 2)), 100)
		for pb.Next() {
			set.Evaluate(in, asOf)
		}
	})
}

func BenchmarkEvaluateState(b *testing.B) {
	set, _ := CompileSet([]*leadscore.ModelSpec{benchModel()}, Options{})
	st := set.NewState(benchInput(rand.New(rand.NewPCG(1, 2)), 100))
	b.ReportAllocs()
	for b.Loop() {
		st.Evaluate(asOf)
	}
}

// BenchmarkApplyEvent measures applying one new event to a lead's state on
// all cores; events/s = 1e9 / (ns/op).
func BenchmarkApplyEvent(b *testing.B) {
	set, _ := CompileSet([]*leadscore.ModelSpec{benchModel()}, Options{})
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		r := rand.New(rand.NewPCG(3, 4))
		base := benchInput(r, 100)
		fresh := randomEvents(r, 4096, 120*24*time.Hour)
		for i := range fresh {
			fresh[i].ID = fmt.Sprintf("n%06d", i)
			fresh[i].At = asOf.Add(time.Duration(i) * time.Second)
		}
		st := set.NewState(base)
		i := 0
		for pb.Next() {
			if i == len(fresh) {
				// Keep the working set bounded, as the service does.
				st = set.NewState(base)
				i = 0
			}
			st.Apply(fresh[i])
			i++
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

// TestActivityDecides: a change of account.active_people matters only when
// a condition reading it decides differently. When ActivityDecides says it
// does not, evaluating with the new peers tells exactly the stored story;
// when it says it does, the story changes.
func TestActivityDecides(t *testing.T) {
	views := leadscore.RuleSpec{Name: "views", Label: "viewed a page", Events: []string{"page.viewed"}, Points: 2, Count: leadscore.CountEvery}
	committee := &leadscore.ModelSpec{Name: "committee", Categories: []leadscore.CategorySpec{{Name: "fit", Rules: []leadscore.RuleSpec{
		{Name: "buying-committee", Label: "3+ people active", When: "account.active_people >= 3", Points: 15}, views,
	}}}}
	perEvent := &leadscore.ModelSpec{Name: "per-event", Categories: []leadscore.CategorySpec{{Name: "interest", Rules: []leadscore.RuleSpec{
		{Name: "team-views", Label: "viewed a page with a colleague active", Events: []string{"page.viewed"}, Where: "account.active_people >= 2", Points: 3},
	}}}}
	plain := &leadscore.ModelSpec{Name: "plain", Categories: []leadscore.CategorySpec{{Name: "interest", Rules: []leadscore.RuleSpec{views}}}}
	active := func(n int) []leadscore.Peer {
		peers := []leadscore.Peer{{LeadID: "idle", Activity: []time.Time{daysAgo(45)}}}
		for i := range n {
			peers = append(peers, leadscore.Peer{LeadID: fmt.Sprintf("p%d", i), Activity: []time.Time{daysAgo(float64(1 + i))}})
		}
		return peers
	}
	// The lead is active itself, so n active peers make n+1 active people.
	cases := []struct {
		name        string
		model       *leadscore.ModelSpec
		before      []leadscore.Peer
		after       []leadscore.Peer
		neverScored bool
		want        bool
		sameStory   bool
	}{
		{name: "the third person crosses the threshold", model: committee, before: active(1), after: active(2), want: true},
		{name: "the fourth person changes nothing", model: committee, before: active(2), after: active(3), want: false},
		{name: "the fifth person changes nothing", model: committee, before: active(3), after: active(4), want: false},
		{name: "falling below the threshold", model: committee, before: active(2), after: active(1), want: true},
		{name: "other people, same count", model: committee, before: active(2), after: []leadscore.Peer{active(2)[0],
			{LeadID: "q1", Activity: []time.Time{daysAgo(3)}}, {LeadID: "q2", Activity: []time.Time{daysAgo(4)}}}, want: false},
		{name: "activity older than the window", model: committee, before: active(2), after: append(active(2),
			leadscore.Peer{LeadID: "old", Activity: []time.Time{daysAgo(31)}}), want: false},
		{name: "never evaluated", model: committee, before: active(2), after: active(3), neverScored: true, want: true},
		{name: "an event condition reads the count", model: perEvent, before: active(0), after: active(1), want: true},
		// Event conditions are not run again to compare: a changed count
		// re-evaluates, even when the story stays the same.
		{name: "an event condition, no threshold crossed", model: perEvent, before: active(2), after: active(3), want: true, sameStory: true},
		{name: "an event condition, same count", model: perEvent, before: active(2), after: active(2), want: false},
		{name: "no condition reads the count", model: plain, before: active(0), after: active(4), want: false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			set, err := CompileSet([]*leadscore.ModelSpec{c.model}, Options{})
			if err != nil {
				t.Fatal(err)
			}
			in := &Input{Lead: &leadscore.Lead{ID: "l1"}, Account: &leadscore.Account{ID: "acme.com"},
				Events: []leadscore.Event{ev("e1", "page.viewed", daysAgo(2)), ev("e2", "page.viewed", daysAgo(1))}, Peers: c.before}
			st := set.NewState(in)
			var before *leadscore.Evaluation
			if !c.neverScored {
				before = st.Evaluate(asOf)[0]
			}
			read := st.ActivePeopleRead()
			st.SetPeers(c.after)
			if got := st.ActivityDecides(asOf, read); got != c.want {
				t.Fatalf("ActivityDecides = %v, want %v (read %v)", got, c.want, read)
			}
			if before == nil {
				return
			}
			after := st.Evaluate(asOf)[0]
			if same := after.Digest() == before.Digest(); same != (!c.want || c.sameStory) {
				t.Errorf("the evaluation with the new peers tells the same story: %v; want %v\nbefore\n%s\nafter\n%s",
					same, !same, render(before), render(after))
			}
			fresh := *in
			fresh.Peers = c.after
			if want := set.Evaluate(&fresh, asOf)[0]; want.Digest() != after.Digest() {
				t.Errorf("asking changed the state: after asking\n%s\nfresh\n%s", render(after), render(want))
			}
		})
	}
}
