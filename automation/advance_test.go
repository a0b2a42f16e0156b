package automation

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/leadscore/leadscore"
)

const advanceFile = `
calendars:
  berlin: {timezone: Europe/Berlin}
owners:
  ana: {capacity: 2, calendar: berlin}
  ben: {capacity: 2, calendar: berlin}
  queue: {}
teams: {sdr: [ana, ben]}
rules:
  - {name: vip, priority: true, assign: {owner: queue}, sla: {within: 1h}}
  - {name: sdr, assign: {team: sdr}, sla: {within: 4h, reassign: {team: sdr}}}
`

// roundTrip stores and reloads a state as the service would (JSON), so
// that every step of the scenario also proves the state survives a
// restart.
func roundTrip(t *testing.T, st LeadState) *LeadState {
	t.Helper()
	b, err := json.Marshal(st)
	if err != nil {
		t.Fatal(err)
	}
	var out LeadState
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return &out
}

func TestAdvanceScenario(t *testing.T) {
	r := router(t, advanceFile)
	friday := mustTime(t, "2026-11-06T16:00:00+01:00")
	in := Input{Lead: &leadscore.Lead{ID: "l1", Country: "DE"}, RoundRobin: map[string]string{"sdr": "ben"}}

	// 1. The lead qualifies on Friday afternoon and goes to ana.
	step := r.Advance(nil, []Observation{obs(75)}, in, QualifyPolicy{}, friday)
	if got := kinds(step.Transitions); got != "lead.score_changed(+75) lead.band_changed(>hot) lead.qualified(lead>marketingqualifiedlead) lead.assigned" {
		t.Fatalf("qualifying step: %s", got)
	}
	st := roundTrip(t, step.State)
	if st.Owner() != "ana" || step.RoundRobin["sdr"] != "ana" || !st.OpenMQL() {
		t.Fatalf("owner %q, cursors %v", st.Owner(), step.RoundRobin)
	}
	monday12 := mustTime(t, "2026-11-09T12:00:00+01:00")
	if due := NextDue(st); !due.Equal(monday12) {
		t.Fatalf("SLA due %s, want Monday 12:00", due)
	}
	scoreNext := mustTime(t, "2026-12-01T00:00:00Z")
	if got := DueAt(scoreNext, st); !got.Equal(monday12) {
		t.Errorf("DueAt = %s, want the SLA deadline", got)
	}
	if got := DueAt(mustTime(t, "2026-11-07T00:00:00Z"), st); !got.Equal(mustTime(t, "2026-11-07T00:00:00Z")) {
		t.Errorf("DueAt = %s, want the score's earlier change", got)
	}

	// 2. Saturday, a new event: the score moves, nothing else happens and
	// the lead is not routed again.
	step = r.Advance(st, []Observation{obs(78)}, in, QualifyPolicy{}, friday.Add(20*time.Hour))
	if got := kinds(step.Transitions); got != "lead.score_changed(+3)" {
		t.Fatalf("saturday: %s", got)
	}
	st = roundTrip(t, step.State)

	// 3. The service was down from Monday morning; it checks on Tuesday.
	// Ana's breach is dated at her deadline, the lead went to ben then, and
	// ben's 4 hours ran out on Monday at 16:00: reported, not reassigned
	// again.
	late := mustTime(t, "2026-11-10T08:00:00+01:00")
	step = r.Advance(st, []Observation{obs(78)}, in, QualifyPolicy{}, late)
	if got := kinds(step.Transitions); got != "sla.breached lead.assigned sla.breached" {
		t.Fatalf("late check: %s", got)
	}
	breach, reassigned, second := step.Transitions[0], step.Transitions[1], step.Transitions[2]
	monday16 := mustTime(t, "2026-11-09T16:00:00+01:00")
	if !breach.At.Equal(monday12) || breach.Owner != "ana" || breach.Rule != "sdr" {
		t.Errorf("breach %+v", breach)
	}
	if reassigned.From != "ana" || reassigned.To != "ben" || reassigned.Via != ViaEscalation || !reassigned.At.Equal(monday12) || !reassigned.Due.Equal(monday16) {
		t.Errorf("reassignment %+v", reassigned)
	}
	if !second.At.Equal(monday16) || second.Owner != "ben" {
		t.Errorf("second breach %+v", second)
	}
	if step.State.Owner() != "ben" || !NextDue(&step.State).IsZero() || step.RoundRobin["sdr"] != "ben" {
		t.Errorf("after the late check: owner %q, due %s, cursors %v", step.State.Owner(), NextDue(&step.State), step.RoundRobin)
	}

	// Checks that ran on time would have produced the very same events,
	// with the same ids.
	onTime := r.Advance(st, []Observation{obs(78)}, in, QualifyPolicy{}, monday12)
	mid := roundTrip(t, onTime.State)
	if !NextDue(mid).Equal(monday16) {
		t.Fatalf("escalated timer due %s, want Monday 16:00", NextDue(mid))
	}
	onTime2 := r.Advance(mid, []Observation{obs(78)}, in, QualifyPolicy{}, monday16)
	all := append(onTime.Transitions, onTime2.Transitions...)
	if !reflect.DeepEqual(all, step.Transitions) {
		t.Errorf("late and on-time checks differ:\n%+v\n%+v", all, step.Transitions)
	}
	src := Source("https://leadscore.example", leadscore.DefaultWorkspace)
	for i := range all {
		if EventID(src, &all[i]) != EventID(src, &step.Transitions[i]) {
			t.Errorf("event %d: the id depends on when it was checked", i)
		}
	}
	st = roundTrip(t, step.State)

	// 4. Checking again changes nothing.
	step = r.Advance(st, []Observation{obs(78)}, in, QualifyPolicy{}, late.Add(time.Minute))
	if len(step.Transitions) != 0 {
		t.Fatalf("repeat check: %s", kinds(step.Transitions))
	}
	tuesday12 := mustTime(t, "2026-11-10T12:00:00+01:00")

	// 5. Sales recycles; the lead decays and re-qualifies, and is routed
	// afresh.
	recycled, ts, err := Apply(st, Action{Kind: ActRecycle, By: "ben"}, tuesday12.Add(time.Hour))
	if err != nil || kinds(ts) != "lead.recycled(marketingqualifiedlead>lead)" || recycled.Assignment != nil {
		t.Fatalf("recycle: %v %s", err, kinds(ts))
	}
	st = roundTrip(t, recycled)
	step = r.Advance(st, []Observation{obs(50)}, in, QualifyPolicy{}, tuesday12.Add(48*time.Hour))
	st = roundTrip(t, step.State)
	step = r.Advance(st, []Observation{obs(71)}, Input{Lead: in.Lead, RoundRobin: map[string]string{"sdr": "ben"}}, QualifyPolicy{}, tuesday12.Add(72*time.Hour))
	if got := kinds(step.Transitions); got != "lead.score_changed(+21) lead.band_changed(warm>hot) lead.qualified(lead>marketingqualifiedlead) lead.assigned" {
		t.Fatalf("re-qualification: %s", got)
	}
	if step.State.Owner() != "ana" {
		t.Errorf("re-qualified lead went to %q", step.State.Owner())
	}
}

func TestAdvanceRouting(t *testing.T) {
	r := router(t, advanceFile)
	prio := &leadscore.Account{ID: "big", Priority: true}
	tests := []struct {
		name  string
		prev  *LeadState
		score float64
		in    Input
		want  string
		owner string
	}{
		{"a priority account's lead is routed while still cold", nil, 10, Input{Account: prio}, "lead.score_changed(+10) lead.band_changed(>cold) lead.assigned", "queue"},
		{"an ordinary cold lead is not routed", nil, 10, Input{}, "lead.score_changed(+10) lead.band_changed(>cold)", ""},
		{"an assigned lead is not routed again", &LeadState{Stage: StageMQL, Models: map[string]ModelState{"m": {Score: 75, Band: "hot", Qualification: Qualified}}, Assignment: &Assignment{Owner: "x"}}, 80, Input{}, "lead.score_changed(+5)", "x"},
		{"an MQL left without owner is routed on its next evaluation", &LeadState{Stage: StageMQL, Models: map[string]ModelState{"m": {Score: 80, Band: "hot", Qualification: Qualified}}}, 80, Input{}, "lead.assigned", "ana"},
		{"a customer's lead is not routed", &LeadState{Stage: StageCustomer}, 90, Input{Account: prio}, "lead.score_changed(+90) lead.band_changed(>hot)", ""},
		{"when everyone is full the MQL waits", nil, 80, Input{Load: map[string]int{"ana": 2, "ben": 2}}, "lead.score_changed(+80) lead.band_changed(>hot) lead.qualified(lead>marketingqualifiedlead)", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			step := r.Advance(tt.prev, []Observation{obs(tt.score)}, tt.in, QualifyPolicy{}, t0)
			if got := kinds(step.Transitions); got != tt.want {
				t.Errorf("transitions %q, want %q", got, tt.want)
			}
			if step.State.Owner() != tt.owner {
				t.Errorf("owner %q, want %q", step.State.Owner(), tt.owner)
			}
		})
	}
	// Without a routing file, transitions and SLA checks still work.
	var none *Router
	step := none.Advance(&LeadState{Stage: StageMQL, SLA: &SLATimer{Owner: "a", Due: t0, OnBreach: &Target{Owner: "b"}}}, nil, Input{}, QualifyPolicy{}, t0)
	if kinds(step.Transitions) != "sla.breached" {
		t.Errorf("nil router: %s", kinds(step.Transitions))
	}
}

func TestCheckSLA(t *testing.T) {
	due := t0.Add(4 * time.Hour)
	pending := func() *LeadState {
		return &LeadState{LeadID: "l1", Stage: StageMQL, Assignment: &Assignment{Owner: "ana", Via: ViaOwner},
			SLA: &SLATimer{Owner: "ana", Rule: "r", Due: due, Within: leadscore.Duration(4 * time.Hour), Calendar: "berlin", OnBreach: &Target{Team: "sdr"}}}
	}
	tests := []struct {
		name   string
		prev   *LeadState
		now    time.Time
		breach bool
		target string
	}{
		{"before the deadline", pending(), due.Add(-time.Second), false, ""},
		{"at the deadline", pending(), due, true, "team sdr"},
		{"long after", pending(), due.Add(100 * time.Hour), true, "team sdr"},
		{"accepted in time", func() *LeadState { s, _, _ := Apply(pending(), Action{Kind: ActAccept}, t0); return &s }(), due, false, ""},
		{"moved on in time", func() *LeadState {
			s, _, _ := Apply(pending(), Action{Kind: ActSetStage, Stage: StageSQL}, t0)
			return &s
		}(), due, false, ""},
		{"already escalated", func() *LeadState { s := pending(); s.SLA.Escalated = true; return s }(), due, true, ""},
		{"no timer", &LeadState{}, due, false, ""},
		{"nil state", nil, due, false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, ts, target := CheckSLA(tt.prev, tt.now)
			if (len(ts) == 1) != tt.breach {
				t.Fatalf("transitions %s", kinds(ts))
			}
			got := ""
			if target != nil {
				got = target.String()
			}
			if got != tt.target {
				t.Errorf("target %q, want %q", got, tt.target)
			}
			if tt.breach {
				tr := ts[0]
				if tr.Kind != KindSLABreached || !tr.At.Equal(due) || tr.Owner != "ana" || !strings.Contains(tr.Reason, "4h (working time on calendar berlin)") {
					t.Errorf("breach %+v", tr)
				}
				if st.SLA.Pending() || !NextDue(&st).IsZero() {
					t.Errorf("the timer still runs: %+v", st.SLA)
				}
			}
		})
	}
}
