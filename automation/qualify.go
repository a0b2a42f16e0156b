package automation

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/leadscore/leadscore"
)

// QualifyMode says what keeps a lead that hovers around a threshold from
// qualifying again and again.
type QualifyMode string

const (
	// Sticky (the default): a model qualifies a lead once; it stays
	// qualified until sales recycles the lead, whatever the score does.
	Sticky QualifyMode = "sticky"
	// Hysteresis: a qualified lead whose score falls below the threshold
	// minus QualifyPolicy.Hysteresis may qualify again on the next upward
	// crossing. The stage never moves back; only the qualification re-arms.
	Hysteresis QualifyMode = "hysteresis"
)

// QualifyPolicy configures qualification. The zero value is Sticky.
type QualifyPolicy struct {
	Mode QualifyMode `json:"mode,omitempty"`
	// Hysteresis is how many points below the threshold the score must
	// fall before the lead can qualify again (Hysteresis mode only).
	Hysteresis float64 `json:"hysteresis,omitempty"`
}

// Validate checks the policy's values.
func (p QualifyPolicy) Validate() error {
	switch p.Mode {
	case "", Sticky:
		if p.Hysteresis != 0 {
			return leadscore.Invalid("hysteresis", "only applies with mode hysteresis")
		}
	case Hysteresis:
		if !(p.Hysteresis > 0) {
			return leadscore.Invalid("hysteresis", "must be more than 0 points (got %g); use mode sticky for none", p.Hysteresis)
		}
	default:
		return leadscore.Invalid("mode", "unknown qualification mode %q (use sticky or hysteresis)", p.Mode)
	}
	return nil
}

// rearmBelow is the level the score must fall below before a crossing
// counts again: the threshold itself when sticky (a recycled lead must fall
// below it), the threshold minus the hysteresis otherwise.
func (p QualifyPolicy) rearmBelow(mql float64) float64 {
	if p.Mode == Hysteresis {
		return mql - p.Hysteresis
	}
	return mql
}

// Observation is one model's new evaluation of a lead, reduced to what
// transitions need, with the model's threshold (which evaluations do not
// carry).
type Observation struct {
	LeadID       string   `json:"lead_id"`
	Model        string   `json:"model"`
	Score        float64  `json:"score"`
	Band         string   `json:"band,omitempty"`
	Disqualified bool     `json:"disqualified,omitempty"`
	Reasons      []string `json:"reasons,omitempty"`
	// MQL is the model's qualification threshold (ModelSpec.MQL); nil for
	// a model that never qualifies anyone.
	MQL *float64 `json:"mql,omitempty"`
}

// Observe reduces an evaluation; mql is its model's ModelSpec.MQL.
func Observe(ev *leadscore.Evaluation, mql *float64) Observation {
	return Observation{
		LeadID: ev.LeadID, Model: ev.Model, Score: ev.Score, Band: ev.Band,
		Disqualified: ev.Disqualified, Reasons: ev.Reasons, MQL: mql,
	}
}

// Transitions compares new evaluations with what was last seen and returns
// the lead's new state and what happened, in a fixed order per model (score,
// band, disqualification, qualification) and in the order of next. prev may
// be nil for a lead seen for the first time; it is never modified.
//
// The score only ever moves a lead forward, and only from subscriber or
// lead to MQL; once sales has moved it past MQL or closed it, observations
// are still recorded (and score and band changes still reported) but no
// longer qualify it.
func Transitions(prev *LeadState, next []Observation, policy QualifyPolicy, now time.Time) (LeadState, []Transition) {
	var st LeadState
	if prev != nil {
		st = prev.clone()
	}
	if st.Stage == "" {
		st.Stage = StageLead
	}
	if st.Models == nil {
		st.Models = map[string]ModelState{}
	}
	var out []Transition
	for _, ob := range next {
		if st.LeadID == "" {
			st.LeadID = ob.LeadID
		}
		old, seen := st.Models[ob.Model]
		ms := ModelState{Score: ob.Score, Band: ob.Band, Disqualified: ob.Disqualified, Qualification: old.Qualification}
		base := Transition{LeadID: st.LeadID, Model: ob.Model, At: now, Score: ptr(ob.Score)}

		if !seen || old.Score != ob.Score {
			t := base
			t.Kind = KindScoreChanged
			t.To = formatPoints(ob.Score)
			t.Delta = ob.Score
			if seen {
				t.From = formatPoints(old.Score)
				t.Delta = ob.Score - old.Score
			}
			out = append(out, t)
		}
		// A lead's first band is reported too: a lead that arrives hot is
		// news to a subscriber watching for hot leads.
		if (!seen && ob.Band != "") || (seen && old.Band != ob.Band) {
			t := base
			t.Kind, t.From, t.To = KindBandChanged, old.Band, ob.Band
			out = append(out, t)
		}
		switch {
		case ob.Disqualified && !old.Disqualified:
			t := base
			t.Kind, t.Reason = KindDisqualified, strings.Join(ob.Reasons, "; ")
			out = append(out, t)
		case !ob.Disqualified && old.Disqualified:
			t := base
			t.Kind, t.Reason = KindDisqualificationCleared, "every requirement holds again"
			out = append(out, t)
		}

		above := !ob.Disqualified && ob.MQL != nil && ob.Score >= *ob.MQL
		below := ob.Disqualified || ob.MQL == nil || ob.Score < policy.rearmBelow(*ob.MQL)
		switch ms.Qualification {
		case Waiting:
			if below {
				ms.Qualification = Armed
			}
		case Qualified:
			if policy.Mode == Hysteresis && below {
				ms.Qualification = Armed
				if st.Stage.ScoreOwned() {
					t := base
					t.Kind, t.Threshold, t.Reason = KindUnqualified, ob.MQL, unqualifiedReason(ob, policy)
					t.From, t.To = string(st.Stage), string(st.Stage)
					out = append(out, t)
				}
			}
		}
		if ms.Qualification == Armed && above {
			ms.Qualification = Qualified
			if st.Stage.ScoreOwned() {
				t := base
				t.Kind, t.Threshold = KindQualified, ob.MQL
				t.Reason = fmt.Sprintf("score %s reached the MQL threshold %s", formatPoints(ob.Score), formatPoints(*ob.MQL))
				t.From, t.To = string(st.Stage), string(StageMQL)
				if st.Stage != StageMQL {
					st.Stage, st.StageAt = StageMQL, now
					st.QualifiedBy, st.QualifiedAt = ob.Model, now
				}
				out = append(out, t)
			}
		}
		st.Models[ob.Model] = ms
	}
	return st, out
}

func unqualifiedReason(ob Observation, p QualifyPolicy) string {
	switch {
	case ob.Disqualified:
		return "disqualified: " + strings.Join(ob.Reasons, "; ")
	case ob.MQL == nil:
		return "the model no longer has an MQL threshold"
	}
	return fmt.Sprintf("score %s fell below %s (threshold %s minus hysteresis %s)",
		formatPoints(ob.Score), formatPoints(*ob.MQL-p.Hysteresis), formatPoints(*ob.MQL), formatPoints(p.Hysteresis))
}

// formatPoints prints a score the way explanations do: no trailing zeros.
func formatPoints(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }
