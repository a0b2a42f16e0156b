package automation

import (
	"fmt"
	"time"

	"github.com/leadscore/leadscore"
)

// SLASpec is a route's follow-up deadline as written in a routing file.
type SLASpec struct {
	// Within is the working time sales has to accept the lead or change its
	// stage, counted on Calendar (or, without one, on the owner's calendar,
	// or the plain clock).
	Within   leadscore.Duration `json:"within"`
	Calendar string             `json:"calendar,omitempty"`
	// Reassign, when set, gives a breached lead to this owner or team once.
	Reassign *Target `json:"reassign,omitempty"`
}

// SLATimer is a running follow-up deadline. It lives in the lead's state,
// so it survives restarts; the service indexes Due (see NextDue).
type SLATimer struct {
	Rule     string             `json:"rule,omitempty"`
	Owner    string             `json:"owner"`
	Team     string             `json:"team,omitempty"`
	Start    time.Time          `json:"start"`
	Due      time.Time          `json:"due"`
	Within   leadscore.Duration `json:"within"`
	Calendar string             `json:"calendar,omitempty"`
	OnBreach *Target            `json:"on_breach,omitempty"`
	// Escalated marks the timer of a lead already reassigned after a
	// breach: its own breach is reported but reassigns no further, so an
	// untouched lead does not circle through a team for ever.
	Escalated  bool      `json:"escalated,omitempty"`
	MetAt      time.Time `json:"met_at,omitzero"`
	BreachedAt time.Time `json:"breached_at,omitzero"`
}

// Pending reports whether the timer still runs.
func (t *SLATimer) Pending() bool { return t != nil && t.MetAt.IsZero() && t.BreachedAt.IsZero() }

func (s *LeadState) stopSLA(now time.Time) {
	if s.SLA.Pending() {
		s.SLA.MetAt = now
	}
}

// NextDue is when the lead next needs attention from automation alone: its
// pending SLA deadline, or zero for never.
func NextDue(s *LeadState) time.Time {
	if s == nil || !s.SLA.Pending() {
		return time.Time{}
	}
	return s.SLA.Due
}

// DueAt combines the score's next change time (Evaluation.NextChangeAt)
// with the SLA deadline: the lead is due at the earlier of the two, zero
// meaning never. Storing this one time in the index the decay job already
// reads is what drives SLA breaches, with no second timer mechanism.
func DueAt(scoreNext time.Time, s *LeadState) time.Time {
	sla := NextDue(s)
	switch {
	case sla.IsZero():
		return scoreNext
	case scoreNext.IsZero() || sla.Before(scoreNext):
		return sla
	}
	return scoreNext
}

// CheckSLA reports a breach when the lead's pending deadline has passed by
// now. The breach is dated at the deadline, not at now, so a check that
// runs late (after a restart) produces the same transition, and the same
// event id, as one that ran on time. The returned target, when not nil, is
// where the route wants the lead reassigned (see Router.Reassign).
func CheckSLA(prev *LeadState, now time.Time) (LeadState, []Transition, *Target) {
	var st LeadState
	if prev != nil {
		st = prev.clone()
	}
	t := st.SLA
	if !t.Pending() || now.Before(t.Due) {
		return st, nil, nil
	}
	t.BreachedAt = t.Due
	tr := Transition{
		Kind: KindSLABreached, LeadID: st.LeadID, At: t.Due, Owner: t.Owner, Team: t.Team, Rule: t.Rule, Due: t.Due,
		Reason: slaReason(t),
	}
	if st.Assignment != nil {
		tr.Via = st.Assignment.Via
	}
	var target *Target
	if t.OnBreach != nil && !t.Escalated {
		b := *t.OnBreach
		target = &b
	}
	return st, []Transition{tr}, target
}

func slaReason(t *SLATimer) string {
	clock := "clock time"
	if t.Calendar != "" {
		clock = "working time on calendar " + t.Calendar
	}
	return fmt.Sprintf("not accepted or moved on within %s (%s)", t.Within, clock)
}
