package automation

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"
)

var t0 = time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)

func mql(v float64) *float64 { return &v }

// obs is one observation of model m with threshold 70 and bands hot 70,
// warm 40.
func obs(score float64) Observation {
	band := "cold"
	switch {
	case score >= 70:
		band = "hot"
	case score >= 40:
		band = "warm"
	}
	return Observation{LeadID: "l1", Model: "m", Score: score, Band: band, MQL: mql(70)}
}

// kinds renders transitions compactly for table comparisons.
func kinds(ts []Transition) string {
	var parts []string
	for _, t := range ts {
		s := string(t.Kind)
		switch t.Kind {
		case KindBandChanged, KindQualified, KindRecycled, KindStageChanged, KindRejected:
			s += fmt.Sprintf("(%s>%s)", t.From, t.To)
		case KindScoreChanged:
			s += fmt.Sprintf("(%+g)", t.Delta)
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, " ")
}

// run feeds scores one per step and returns the qualification-related
// transitions of each step (score changes left out, they are tested
// separately) and the final state.
func run(t *testing.T, policy QualifyPolicy, prev *LeadState, scores ...float64) ([]string, LeadState) {
	t.Helper()
	var st LeadState
	if prev != nil {
		st = *prev
	}
	var steps []string
	for i, s := range scores {
		var ts []Transition
		st, ts = Transitions(&st, []Observation{obs(s)}, policy, t0.Add(time.Duration(i)*time.Hour))
		var keep []Transition
		for _, tr := range ts {
			if tr.Kind != KindScoreChanged {
				keep = append(keep, tr)
			}
		}
		steps = append(steps, kinds(keep))
	}
	return steps, st
}

func TestTransitionsNoFlapping(t *testing.T) {
	tests := []struct {
		name   string
		policy QualifyPolicy
		scores []float64
		want   []string
	}{
		{
			"sticky: a lead hovering around the threshold qualifies once",
			QualifyPolicy{}, []float64{65, 71, 69, 72, 68, 75},
			[]string{"lead.band_changed(>warm)", "lead.band_changed(warm>hot) lead.qualified(lead>marketingqualifiedlead)", "lead.band_changed(hot>warm)", "lead.band_changed(warm>hot)", "lead.band_changed(hot>warm)", "lead.band_changed(warm>hot)"},
		},
		{
			"sticky: even a fall to zero does not re-arm",
			QualifyPolicy{Mode: Sticky}, []float64{80, 0, 80},
			[]string{"lead.band_changed(>hot) lead.qualified(lead>marketingqualifiedlead)", "lead.band_changed(hot>cold)", "lead.band_changed(cold>hot)"},
		},
		{
			"hysteresis: hovering within the band does not re-qualify",
			QualifyPolicy{Mode: Hysteresis, Hysteresis: 10}, []float64{71, 65, 72, 61, 75},
			[]string{"lead.band_changed(>hot) lead.qualified(lead>marketingqualifiedlead)", "lead.band_changed(hot>warm)", "lead.band_changed(warm>hot)", "lead.band_changed(hot>warm)", "lead.band_changed(warm>hot)"},
		},
		{
			"hysteresis: falling below threshold minus H re-arms",
			QualifyPolicy{Mode: Hysteresis, Hysteresis: 10}, []float64{71, 59, 65, 70},
			[]string{"lead.band_changed(>hot) lead.qualified(lead>marketingqualifiedlead)", "lead.band_changed(hot>warm) lead.unqualified", "", "lead.band_changed(warm>hot) lead.qualified(marketingqualifiedlead>marketingqualifiedlead)"},
		},
		{
			"exactly the threshold qualifies",
			QualifyPolicy{}, []float64{70},
			[]string{"lead.band_changed(>hot) lead.qualified(lead>marketingqualifiedlead)"},
		},
		{
			"the same score twice is no change at all",
			QualifyPolicy{}, []float64{50, 50},
			[]string{"lead.band_changed(>warm)", ""},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, st := run(t, tt.policy, nil, tt.scores...)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("steps\n got %q\nwant %q", got, tt.want)
			}
			if st.Stage != StageMQL && strings.Contains(strings.Join(tt.want, " "), "qualified(") {
				t.Errorf("stage %s, want MQL", st.Stage)
			}
		})
	}
}

func TestTransitionsScoreChanges(t *testing.T) {
	st, ts := Transitions(nil, []Observation{obs(30)}, QualifyPolicy{}, t0)
	if got := kinds(ts); got != "lead.score_changed(+30) lead.band_changed(>cold)" {
		t.Fatalf("first observation: %s", got)
	}
	if ts[0].From != "" || ts[0].To != "30" || *ts[0].Score != 30 || ts[0].LeadID != "l1" || !ts[0].At.Equal(t0) {
		t.Errorf("first score change: %+v", ts[0])
	}
	st, ts = Transitions(&st, []Observation{obs(22.5)}, QualifyPolicy{}, t0)
	if got := kinds(ts); got != "lead.score_changed(-7.5)" {
		t.Fatalf("second observation: %s", got)
	}
	if ts[0].From != "30" || ts[0].To != "22.5" {
		t.Errorf("from/to %q/%q", ts[0].From, ts[0].To)
	}
	if st.Models["m"].Score != 22.5 {
		t.Errorf("state score %g", st.Models["m"].Score)
	}
}

func TestTransitionsDisqualification(t *testing.T) {
	dq := obs(80)
	dq.Disqualified, dq.Reasons = true, []string{"under 18", "competitor"}
	st, ts := Transitions(nil, []Observation{dq}, QualifyPolicy{}, t0)
	if got := kinds(ts); got != "lead.score_changed(+80) lead.band_changed(>hot) lead.disqualified" {
		t.Fatalf("disqualified lead: %s", got)
	}
	if ts[2].Reason != "under 18; competitor" || st.Stage != StageLead {
		t.Errorf("reason %q, stage %s", ts[2].Reason, st.Stage)
	}
	st, ts = Transitions(&st, []Observation{obs(80)}, QualifyPolicy{}, t0)
	if got := kinds(ts); got != "lead.disqualification_cleared lead.qualified(lead>marketingqualifiedlead)" {
		t.Fatalf("cleared: %s", got)
	}
	// Disqualifying an MQL reports it but never moves the stage back.
	st, ts = Transitions(&st, []Observation{dq}, QualifyPolicy{}, t0)
	if got := kinds(ts); got != "lead.disqualified" || st.Stage != StageMQL {
		t.Fatalf("disqualified MQL: %s, stage %s", got, st.Stage)
	}
}

func TestTransitionsNeverMoveSalesStagesBack(t *testing.T) {
	for _, stage := range []Stage{StageSQL, StageOpportunity, StageCustomer, StageOther} {
		t.Run(string(stage), func(t *testing.T) {
			prev := &LeadState{LeadID: "l1", Stage: stage}
			got, st := run(t, QualifyPolicy{Mode: Hysteresis, Hysteresis: 5}, prev, 90, 10, 90)
			want := []string{"lead.band_changed(>hot)", "lead.band_changed(hot>cold)", "lead.band_changed(cold>hot)"}
			if !reflect.DeepEqual(got, want) || st.Stage != stage {
				t.Errorf("got %q, stage %s", got, st.Stage)
			}
		})
	}
}

func TestTransitionsSeveralModels(t *testing.T) {
	a := Observation{LeadID: "l1", Model: "fit", Score: 80, MQL: mql(75)}
	b := Observation{LeadID: "l1", Model: "intent", Score: 10, MQL: mql(50)}
	noMQL := Observation{LeadID: "l1", Model: "info", Score: 99}
	st, ts := Transitions(nil, []Observation{a, b, noMQL}, QualifyPolicy{}, t0)
	if got := kinds(ts); got != "lead.score_changed(+80) lead.qualified(lead>marketingqualifiedlead) lead.score_changed(+10) lead.score_changed(+99)" {
		t.Fatalf("got %s", got)
	}
	if st.QualifiedBy != "fit" || !st.QualifiedAt.Equal(t0) {
		t.Errorf("qualified by %q at %s", st.QualifiedBy, st.QualifiedAt)
	}
	b.Score = 60
	st, ts = Transitions(&st, []Observation{a, b}, QualifyPolicy{}, t0.Add(time.Hour))
	if got := kinds(ts); got != "lead.score_changed(+50) lead.qualified(marketingqualifiedlead>marketingqualifiedlead)" {
		t.Fatalf("second model: %s", got)
	}
	if ts[1].BecameMQL() || st.QualifiedBy != "fit" {
		t.Errorf("the second model must not re-route or re-date the MQL")
	}
}

func TestTransitionsDoNotModifyPrev(t *testing.T) {
	prev := LeadState{LeadID: "l1", Models: map[string]ModelState{"m": {Score: 10}}, SLA: &SLATimer{Owner: "a", Due: t0}}
	before, _ := json.Marshal(prev)
	Transitions(&prev, []Observation{obs(90)}, QualifyPolicy{}, t0)
	Apply(&prev, Action{Kind: ActAssign, Owner: "b"}, t0)
	CheckSLA(&prev, t0.Add(time.Hour))
	after, _ := json.Marshal(prev)
	if string(before) != string(after) {
		t.Errorf("prev changed:\n%s\n%s", before, after)
	}
}

func TestRecycleAndRequalify(t *testing.T) {
	_, st := run(t, QualifyPolicy{}, nil, 80)
	st, ts, err := Apply(&st, Action{Kind: ActRecycle, Reason: "not now", By: "sam"}, t0.Add(24*time.Hour))
	if err != nil || kinds(ts) != "lead.recycled(marketingqualifiedlead>lead)" || st.Stage != StageLead {
		t.Fatalf("recycle: %v %s %s", err, kinds(ts), st.Stage)
	}
	// Still above the threshold: the recycle must not be undone at once.
	got, st2 := run(t, QualifyPolicy{}, &st, 82, 75, 69, 71)
	want := []string{"", "", "lead.band_changed(hot>warm)", "lead.band_changed(warm>hot) lead.qualified(lead>marketingqualifiedlead)"}
	if !reflect.DeepEqual(got, want) || st2.Stage != StageMQL {
		t.Errorf("after recycle\n got %q\nwant %q (stage %s)", got, want, st2.Stage)
	}

	// With a score reset the service scores only newer events; the next
	// observation is low and the lead can qualify again straight away.
	st3, ts, _ := Apply(&st2, Action{Kind: ActRecycle, ResetScore: true}, t0.Add(48*time.Hour))
	if !st3.ScoreSince.Equal(t0.Add(48*time.Hour)) || !ts[0].ScoreReset {
		t.Errorf("reset: since %s, transition %+v", st3.ScoreSince, ts[0])
	}
	got, _ = run(t, QualifyPolicy{}, &st3, 15, 72)
	if got[1] != "lead.band_changed(cold>hot) lead.qualified(lead>marketingqualifiedlead)" {
		t.Errorf("after reset: %q", got)
	}
}

func TestQualifyPolicyValidate(t *testing.T) {
	tests := []struct {
		p    QualifyPolicy
		want string
	}{
		{QualifyPolicy{}, ""},
		{QualifyPolicy{Mode: Sticky}, ""},
		{QualifyPolicy{Mode: Hysteresis, Hysteresis: 5}, ""},
		{QualifyPolicy{Mode: Hysteresis}, "must be more than 0"},
		{QualifyPolicy{Mode: Sticky, Hysteresis: 5}, "only applies with mode hysteresis"},
		{QualifyPolicy{Mode: "flappy"}, `unknown qualification mode "flappy"`},
	}
	for _, tt := range tests {
		err := tt.p.Validate()
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("%+v: %v", tt.p, err)
		case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
			t.Errorf("%+v: error %v, want %q", tt.p, err, tt.want)
		}
	}
}
