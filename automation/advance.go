package automation

import "time"

// Step is the outcome of Advance: everything the service stores in the
// transaction that changed the lead.
type Step struct {
	State       LeadState    `json:"state"`
	Transitions []Transition `json:"transitions"`
	// RoundRobin is the cursors after this step (the input's when nobody
	// was routed).
	RoundRobin map[string]string `json:"round_robin,omitempty"`
	// Decisions are the routing decisions taken, assigned or not, for
	// logs and for updating the caller's copy of the workload.
	Decisions []Decision `json:"decisions,omitempty"`
}

// Advance is what the service runs after every evaluation of a lead (an
// event, an attribute change, a due time), in the write transaction:
//
//  1. Transitions turns the new evaluations into qualification, band,
//     score and disqualification changes;
//  2. a lead that is an MQL without an owner, or a priority account's lead
//     when the routing file has priority rules, is routed and assigned,
//     starting its SLA timer;
//  3. a pending SLA whose deadline has passed is breached, and the lead
//     reassigned once when the route asks for it.
//
// r may be nil (no routing file): steps 2 and 3's reassignment are then
// skipped. in carries the lead, account, workload and cursors; Advance
// fills in its Model, Score, Band, Qualified and Now. The lead's next due
// time is DueAt(evaluation's NextChangeAt, &step.State).
func (r *Router) Advance(prev *LeadState, obs []Observation, in Input, policy QualifyPolicy, now time.Time) Step {
	st, out := Transitions(prev, obs, policy, now)
	step := Step{RoundRobin: in.RoundRobin}
	in.Now = now

	if r != nil && st.Assignment == nil && st.Stage.ScoreOwned() {
		qualified := st.Stage == StageMQL
		priority := in.Account != nil && in.Account.Priority && r.priority
		if qualified || priority {
			fillEvaluation(&in, &st, obs)
			in.Qualified = qualified
			d := r.Route(in)
			step.Decisions = append(step.Decisions, d)
			if d.Assigned {
				var ts []Transition
				st, ts = Assign(&st, d, now)
				out = append(out, ts...)
				step.RoundRobin, in.RoundRobin = d.RoundRobin, d.RoundRobin
				if in.Load != nil {
					// The new owner's workload includes this lead from now
					// on, which matters if it is reassigned in this step.
					in.Load = cloneLoad(in.Load)
					if st.OpenMQL() {
						in.Load[d.Owner]++
					}
				}
			}
		}
	}

	// A check that runs late (after downtime) may find the reassigned
	// owner's deadline passed too; an escalated timer reassigns no further,
	// so this ends after two rounds.
	for range 2 {
		var breach []Transition
		var target *Target
		st, breach, target = CheckSLA(&st, now)
		out = append(out, breach...)
		if target == nil || r == nil {
			break
		}
		fillEvaluation(&in, &st, obs)
		// The reassignment happens at the deadline, like the breach, so a
		// late check starts the new timer where an on-time one would have.
		in.Now = st.SLA.Due
		d := r.Reassign(*target, st.SLA, in)
		step.Decisions = append(step.Decisions, d)
		if !d.Assigned {
			break
		}
		var ts []Transition
		st, ts = Assign(&st, d, in.Now)
		out = append(out, ts...)
		step.RoundRobin, in.RoundRobin = d.RoundRobin, d.RoundRobin
	}
	step.State, step.Transitions = st, out
	return step
}

func cloneLoad(m map[string]int) map[string]int {
	out := make(map[string]int, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// fillEvaluation sets the routing variables from the observation of the
// model that qualified the lead, or else the first one.
func fillEvaluation(in *Input, st *LeadState, obs []Observation) {
	for i, ob := range obs {
		if i == 0 || ob.Model == st.QualifiedBy {
			in.Model, in.Score, in.Band = ob.Model, ob.Score, ob.Band
		}
		if ob.Model == st.QualifiedBy {
			break
		}
	}
}
