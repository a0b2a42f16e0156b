package automation

import (
	"fmt"
	"strings"
	"time"

	"github.com/leadscore/leadscore"
)

// ActionKind is something sales does to a lead.
type ActionKind string

const (
	// ActAccept: sales takes the MQL on. It stops the SLA timer.
	ActAccept ActionKind = "accept"
	// ActReject: sales says the MQL is not a lead for them; it closes the
	// lead (stage other) with the reason.
	ActReject ActionKind = "reject"
	// ActRecycle: back to marketing (stage lead). The lead can qualify
	// again; with ResetScore its behaviour points start afresh.
	ActRecycle ActionKind = "recycle"
	// ActSetStage: move the lead forward (salesqualifiedlead, opportunity,
	// customer), close it (other), or qualify it by hand (MQL).
	ActSetStage ActionKind = "set_stage"
	// ActAssign: give the lead to an owner by hand.
	ActAssign ActionKind = "assign"
)

// Action is one request from sales.
type Action struct {
	Kind   ActionKind `json:"action"`
	Stage  Stage      `json:"stage,omitempty"`
	Owner  string     `json:"owner,omitempty"`
	Team   string     `json:"team,omitempty"`
	Reason string     `json:"reason,omitempty"`
	// By is who did it (a user, or the name of the API key).
	By         string `json:"by,omitempty"`
	ResetScore bool   `json:"reset_score,omitempty"`
}

// Apply performs a sales action. An action that changes nothing (accepting
// twice, setting the current stage) returns the state unchanged and no
// transitions, so clients may retry safely. A move the lifecycle does not
// allow is a CodeConflict error; a malformed action is CodeInvalid.
func Apply(prev *LeadState, a Action, now time.Time) (LeadState, []Transition, error) {
	var st LeadState
	if prev != nil {
		st = prev.clone()
	}
	st.Stage = st.Stage.orLead()
	base := Transition{LeadID: st.LeadID, At: now, By: a.By, Reason: strings.TrimSpace(a.Reason), Owner: st.Owner()}
	if st.Assignment != nil {
		base.Team = st.Assignment.Team
	}
	switch a.Kind {
	case ActAccept:
		if st.Stage != StageMQL {
			return st, nil, conflict("only an MQL can be accepted; the lead is %s", st.Stage)
		}
		if !st.AcceptedAt.IsZero() {
			return st, nil, nil
		}
		st.AcceptedAt = now
		st.stopSLA(now)
		t := base
		t.Kind, t.From, t.To = KindAccepted, string(StageMQL), string(StageMQL)
		return st, []Transition{t}, nil

	case ActReject:
		if st.Stage != StageMQL {
			return st, nil, conflict("only an MQL can be rejected; the lead is %s", st.Stage)
		}
		st.stopSLA(now)
		t := base
		t.Kind, t.From, t.To = KindRejected, string(st.Stage), string(StageOther)
		st.Stage, st.StageAt = StageOther, now
		return st, []Transition{t}, nil

	case ActRecycle:
		if st.Stage == StageLead || st.Stage == StageSubscriber {
			return st, nil, conflict("the lead is %s already; only a qualified or closed lead can be recycled", st.Stage)
		}
		t := base
		t.Kind, t.From, t.To, t.ScoreReset = KindRecycled, string(st.Stage), string(StageLead), a.ResetScore
		st.Stage, st.StageAt = StageLead, now
		st.QualifiedBy, st.QualifiedAt, st.AcceptedAt = "", time.Time{}, time.Time{}
		st.Assignment, st.SLA = nil, nil
		if a.ResetScore {
			st.ScoreSince = now
		}
		for m, ms := range st.Models {
			if ms.Qualification == Qualified {
				ms.Qualification = Waiting
				st.Models[m] = ms
			}
		}
		return st, []Transition{t}, nil

	case ActSetStage:
		target, err := ParseStage(string(a.Stage))
		if err != nil {
			return st, nil, err
		}
		if target == st.Stage {
			return st, nil, nil
		}
		switch {
		case target == StageLead && st.Stage == StageSubscriber:
			// A subscriber becoming a lead is a forward move.
		case target == StageLead || target == StageSubscriber:
			return st, nil, conflict("a lead goes back to %s by being recycled, which also reopens qualification", target)
		case st.Stage == StageOther:
			return st, nil, conflict("the lead is closed (other); recycle it first")
		case target != StageOther && target.rank() < st.Stage.rank():
			return st, nil, conflict("stages move forward: the lead is %s and cannot go back to %s (recycle it to start over)", st.Stage, target)
		}
		t := base
		t.Kind, t.From, t.To = KindStageChanged, string(st.Stage), string(target)
		st.Stage, st.StageAt = target, now
		if target == StageMQL {
			st.QualifiedBy, st.QualifiedAt = "", now
		} else {
			st.stopSLA(now)
		}
		return st, []Transition{t}, nil

	case ActAssign:
		owner := strings.TrimSpace(a.Owner)
		if owner == "" {
			return st, nil, leadscore.Invalid("owner", "an assignment needs an owner")
		}
		if st.Owner() == owner && (st.Assignment.Team == a.Team) {
			return st, nil, nil
		}
		t := base
		t.Kind, t.From, t.To, t.Owner, t.Team, t.Via = KindAssigned, st.Owner(), owner, owner, a.Team, ViaManual
		st.Assignment = &Assignment{Owner: owner, Team: a.Team, Via: ViaManual, At: now, By: a.By}
		// A person chose this owner; the route's deadline was for the
		// routed owner, so it no longer applies.
		st.SLA = nil
		return st, []Transition{t}, nil
	}
	return st, nil, leadscore.Invalid("action", "unknown action %q (use accept, reject, recycle, set_stage or assign)", a.Kind)
}

func conflict(format string, args ...any) error {
	return &leadscore.Error{Code: leadscore.CodeConflict, Message: fmt.Sprintf(format, args...)}
}
