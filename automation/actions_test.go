package automation

import (
	"strings"
	"testing"
	"time"

	"github.com/leadscore/leadscore"
)

func TestApply(t *testing.T) {
	later := t0.Add(2 * time.Hour)
	mqlState := func() *LeadState {
		return &LeadState{
			LeadID: "l1", Stage: StageMQL, QualifiedBy: "m", QualifiedAt: t0,
			Models:     map[string]ModelState{"m": {Score: 80, Qualification: Qualified}},
			Assignment: &Assignment{Owner: "ana", Team: "sdr", Rule: "r", Via: ViaRoundRobin, At: t0},
			SLA:        &SLATimer{Owner: "ana", Start: t0, Due: t0.Add(4 * time.Hour), Within: leadscore.Duration(4 * time.Hour)},
		}
	}
	tests := []struct {
		name      string
		prev      *LeadState
		action    Action
		code      leadscore.ErrorCode
		want      string // transitions
		stage     Stage
		slaMet    bool
		openAfter bool
	}{
		{name: "accept an MQL", prev: mqlState(), action: Action{Kind: ActAccept, By: "ana"}, want: "lead.accepted", stage: StageMQL, slaMet: true, openAfter: true},
		{name: "accept twice is a no-op", prev: func() *LeadState { s := mqlState(); s.AcceptedAt = t0; return s }(), action: Action{Kind: ActAccept}, want: "", stage: StageMQL, openAfter: true},
		{name: "accept a plain lead", prev: &LeadState{}, action: Action{Kind: ActAccept}, code: leadscore.CodeConflict},
		{name: "reject closes the lead", prev: mqlState(), action: Action{Kind: ActReject, Reason: "student"}, want: "lead.rejected(marketingqualifiedlead>other)", stage: StageOther, slaMet: true},
		{name: "reject a customer", prev: &LeadState{Stage: StageCustomer}, action: Action{Kind: ActReject}, code: leadscore.CodeConflict},
		{name: "recycle an MQL", prev: mqlState(), action: Action{Kind: ActRecycle}, want: "lead.recycled(marketingqualifiedlead>lead)", stage: StageLead},
		{name: "recycle a lost lead", prev: &LeadState{Stage: StageOther}, action: Action{Kind: ActRecycle}, want: "lead.recycled(other>lead)", stage: StageLead},
		{name: "recycle a lead", prev: &LeadState{Stage: StageLead}, action: Action{Kind: ActRecycle}, code: leadscore.CodeConflict},
		{name: "recycle a new lead", prev: nil, action: Action{Kind: ActRecycle}, code: leadscore.CodeConflict},
		{name: "MQL to SQL stops the SLA", prev: mqlState(), action: Action{Kind: ActSetStage, Stage: StageSQL}, want: "lead.stage_changed(marketingqualifiedlead>salesqualifiedlead)", stage: StageSQL, slaMet: true},
		{name: "stage by label", prev: mqlState(), action: Action{Kind: ActSetStage, Stage: "Opportunity"}, want: "lead.stage_changed(marketingqualifiedlead>opportunity)", stage: StageOpportunity, slaMet: true},
		{name: "skip ahead to customer", prev: &LeadState{Stage: StageLead}, action: Action{Kind: ActSetStage, Stage: StageCustomer}, want: "lead.stage_changed(lead>customer)", stage: StageCustomer},
		{name: "qualify by hand", prev: &LeadState{}, action: Action{Kind: ActSetStage, Stage: "mql"}, want: "lead.stage_changed(lead>marketingqualifiedlead)", stage: StageMQL},
		{name: "lost from anywhere", prev: &LeadState{Stage: StageOpportunity}, action: Action{Kind: ActSetStage, Stage: "lost"}, want: "lead.stage_changed(opportunity>other)", stage: StageOther},
		{name: "same stage is a no-op", prev: &LeadState{Stage: StageSQL}, action: Action{Kind: ActSetStage, Stage: StageSQL}, want: "", stage: StageSQL},
		{name: "no going back", prev: &LeadState{Stage: StageOpportunity}, action: Action{Kind: ActSetStage, Stage: StageSQL}, code: leadscore.CodeConflict},
		{name: "a subscriber becomes a lead", prev: &LeadState{Stage: StageSubscriber}, action: Action{Kind: ActSetStage, Stage: StageLead}, want: "lead.stage_changed(subscriber>lead)", stage: StageLead},
		{name: "no going back to subscriber", prev: &LeadState{}, action: Action{Kind: ActSetStage, Stage: StageSubscriber}, code: leadscore.CodeConflict},
		{name: "back to lead only by recycling", prev: mqlState(), action: Action{Kind: ActSetStage, Stage: StageLead}, code: leadscore.CodeConflict},
		{name: "a closed lead must be recycled first", prev: &LeadState{Stage: StageOther}, action: Action{Kind: ActSetStage, Stage: StageCustomer}, code: leadscore.CodeConflict},
		{name: "unknown stage", prev: mqlState(), action: Action{Kind: ActSetStage, Stage: "won"}, code: leadscore.CodeInvalid},
		{name: "assign by hand", prev: mqlState(), action: Action{Kind: ActAssign, Owner: "bo", By: "lead"}, want: "lead.assigned", stage: StageMQL, openAfter: true},
		{name: "assign to the same owner", prev: mqlState(), action: Action{Kind: ActAssign, Owner: "ana", Team: "sdr"}, want: "", stage: StageMQL, openAfter: true},
		{name: "assign nobody", prev: mqlState(), action: Action{Kind: ActAssign, Owner: " "}, code: leadscore.CodeInvalid},
		{name: "unknown action", prev: mqlState(), action: Action{Kind: "escalate"}, code: leadscore.CodeInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, ts, err := Apply(tt.prev, tt.action, later)
			if tt.code != "" {
				if leadscore.CodeOf(err) != tt.code {
					t.Fatalf("error %v, want code %s", err, tt.code)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := kinds(ts); got != tt.want {
				t.Errorf("transitions %q, want %q", got, tt.want)
			}
			if st.Stage != tt.stage {
				t.Errorf("stage %s, want %s", st.Stage, tt.stage)
			}
			if got := st.SLA != nil && st.SLA.MetAt.Equal(later); got != tt.slaMet {
				t.Errorf("SLA met %t, want %t (%+v)", got, tt.slaMet, st.SLA)
			}
			if st.OpenMQL() != tt.openAfter {
				t.Errorf("open MQL %t, want %t", st.OpenMQL(), tt.openAfter)
			}
			for _, tr := range ts {
				if !tr.At.Equal(later) || tr.By != tt.action.By {
					t.Errorf("transition at %s by %q", tr.At, tr.By)
				}
			}
		})
	}
}

func TestApplyDetails(t *testing.T) {
	prev := &LeadState{LeadID: "l1", Stage: StageMQL, Assignment: &Assignment{Owner: "ana"}, SLA: &SLATimer{Owner: "ana", Due: t0}}
	st, ts, _ := Apply(prev, Action{Kind: ActAssign, Owner: "bo", Team: "ae", By: "maria"}, t0)
	tr := ts[0]
	if tr.From != "ana" || tr.To != "bo" || tr.Via != ViaManual || st.SLA != nil || st.Assignment.By != "maria" || st.Assignment.Team != "ae" {
		t.Errorf("manual assignment: %+v / %+v", tr, st)
	}
	st, ts, _ = Apply(&st, Action{Kind: ActRecycle, Reason: " no budget "}, t0)
	if ts[0].Reason != "no budget" || ts[0].Owner != "bo" || st.Assignment != nil || st.SLA != nil || st.QualifiedBy != "" {
		t.Errorf("recycle: %+v / %+v", ts[0], st)
	}
}

func TestParseStage(t *testing.T) {
	tests := []struct {
		in   string
		want Stage
		err  string
	}{
		{"marketingqualifiedlead", StageMQL, ""},
		{"Marketing Qualified Lead", StageMQL, ""},
		{" MQL ", StageMQL, ""},
		{"sales-qualified-lead", StageSQL, ""},
		{"sql", StageSQL, ""},
		{"Opportunity", StageOpportunity, ""},
		{"closed_won", StageCustomer, ""},
		{"lost", StageOther, ""},
		{"subscriber", StageSubscriber, ""},
		{"oportunity", "", `did you mean "opportunity"?`},
		{"", "", "unknown lifecycle stage"},
	}
	for _, tt := range tests {
		got, err := ParseStage(tt.in)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) || leadscore.CodeOf(err) != leadscore.CodeInvalid {
				t.Errorf("ParseStage(%q): error %v, want %q", tt.in, err, tt.err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ParseStage(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

func FuzzParseStage(f *testing.F) {
	for _, s := range []string{"mql", "Marketing Qualified Lead", "other", "", "ß", "sales/qualified/lead"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		st, err := ParseStage(s)
		if err != nil {
			if leadscore.CodeOf(err) != leadscore.CodeInvalid {
				t.Fatalf("error without the invalid code: %v", err)
			}
			return
		}
		again, err := ParseStage(string(st))
		if err != nil || again != st {
			t.Fatalf("%q parsed as %q, which parses as %q, %v", s, st, again, err)
		}
	})
}
