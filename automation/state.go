package automation

import (
	"maps"
	"time"
)

// LeadState is everything automation remembers about one lead between two
// evaluations. The service stores it with the lead (a JSON column is
// enough; Owner, OpenMQL and NextDue are worth their own indexed columns)
// and passes it back on the next call. The zero value is a lead nobody has
// scored or staged yet.
type LeadState struct {
	LeadID  string    `json:"lead_id"`
	Stage   Stage     `json:"stage"`
	StageAt time.Time `json:"stage_at,omitzero"`
	// QualifiedBy is the model whose threshold made the lead an MQL; empty
	// when sales set the stage by hand.
	QualifiedBy string    `json:"qualified_by,omitempty"`
	QualifiedAt time.Time `json:"qualified_at,omitzero"`
	// AcceptedAt is when sales accepted the MQL; zero while it waits.
	AcceptedAt time.Time `json:"accepted_at,omitzero"`
	// ScoreSince, when set, tells the service to score only events at or
	// after it: a recycle that resets the score starts the behaviour points
	// afresh while fit points (title, company) still count. Keeping this a
	// time rather than a points offset keeps the score a pure function of
	// the lead's data.
	ScoreSince time.Time `json:"score_since,omitzero"`
	// Models holds what was last seen of each model's evaluation.
	Models     map[string]ModelState `json:"models,omitempty"`
	Assignment *Assignment           `json:"assignment,omitempty"`
	SLA        *SLATimer             `json:"sla,omitempty"`
}

// ModelState is the last observation of one model and where the lead
// stands against that model's threshold.
type ModelState struct {
	Score        float64 `json:"score"`
	Band         string  `json:"band,omitempty"`
	Disqualified bool    `json:"disqualified,omitempty"`
	// Qualification is armed (may qualify on the next upward crossing),
	// qualified, or waiting (must fall below the re-arm level first).
	Qualification Qualification `json:"qualification,omitempty"`
}

// Qualification is where a lead stands against one model's threshold. The
// three states are what turn "score >= threshold", which flaps, into a
// transition that happens once per crossing.
type Qualification string

const (
	Armed     Qualification = ""
	Qualified Qualification = "qualified"
	// Waiting: recycled while the score was still above the threshold. The
	// lead must fall below the re-arm level before a crossing counts again,
	// otherwise a recycle would be undone by the very next evaluation.
	Waiting Qualification = "waiting"
)

// Assignment is who owns the lead and why.
type Assignment struct {
	Owner string `json:"owner"`
	Team  string `json:"team,omitempty"`
	// Rule is the routing rule that chose the owner; empty for a manual
	// assignment or the file's fallback.
	Rule string `json:"rule,omitempty"`
	Via  Via    `json:"via"`
	// Area is the territory area that matched, for territory routing.
	Area string    `json:"area,omitempty"`
	At   time.Time `json:"at"`
	By   string    `json:"by,omitempty"`
}

// OpenMQL reports whether the lead counts against its owner's capacity: it
// is assigned and still waits for sales to move it on.
func (s *LeadState) OpenMQL() bool {
	return s.Assignment != nil && s.Stage == StageMQL
}

// Owner is the assigned owner, or "".
func (s *LeadState) Owner() string {
	if s.Assignment == nil {
		return ""
	}
	return s.Assignment.Owner
}

// clone copies the parts of a state that functions change, so that the
// state a caller passes in is never modified.
func (s LeadState) clone() LeadState {
	s.Models = maps.Clone(s.Models)
	if s.Assignment != nil {
		a := *s.Assignment
		s.Assignment = &a
	}
	if s.SLA != nil {
		t := *s.SLA
		if t.OnBreach != nil {
			b := *t.OnBreach
			t.OnBreach = &b
		}
		s.SLA = &t
	}
	return s
}

// Kind names a transition. With the "com.leadscore." prefix it is the
// CloudEvents type of the webhook that announces it.
type Kind string

const (
	// KindQualified: a model's threshold was crossed upward while the lead
	// was still the score's to move; the lead became (or stayed) an MQL.
	KindQualified Kind = "lead.qualified"
	// KindUnqualified: with hysteresis, the score fell far enough below the
	// threshold that a later crossing will qualify again. The stage stays.
	KindUnqualified Kind = "lead.unqualified"
	// KindDisqualified: a model requirement failed (Reason says which).
	KindDisqualified Kind = "lead.disqualified"
	// KindDisqualificationCleared: every failed requirement holds again.
	KindDisqualificationCleared Kind = "lead.disqualification_cleared"
	KindBandChanged             Kind = "lead.band_changed"
	// KindScoreChanged carries the Delta; subscribers filter on its size.
	KindScoreChanged Kind = "lead.score_changed"
	// KindStageChanged: sales moved the lead (SQL, opportunity, customer,
	// other, or MQL by hand).
	KindStageChanged Kind = "lead.stage_changed"
	KindAccepted     Kind = "lead.accepted"
	KindRejected     Kind = "lead.rejected"
	KindRecycled     Kind = "lead.recycled"
	KindAssigned     Kind = "lead.assigned"
	KindSLABreached  Kind = "sla.breached"
	// KindModelActivated is about a model, not a lead; the service emits it
	// when a version becomes active.
	KindModelActivated Kind = "model.activated"
)

// Kinds lists every transition kind, for validating subscriptions.
func Kinds() []Kind {
	return []Kind{
		KindQualified, KindUnqualified, KindDisqualified, KindDisqualificationCleared, KindBandChanged,
		KindScoreChanged, KindStageChanged, KindAccepted, KindRejected, KindRecycled, KindAssigned,
		KindSLABreached, KindModelActivated,
	}
}

// Transition is one thing that happened to a lead. It is history (the
// service appends it to the lead's timeline) and the content of a webhook
// event. Every field is derived from the inputs of the call that produced
// it, so recomputing after a crash gives the same transition and the same
// event id.
type Transition struct {
	Kind   Kind   `json:"kind"`
	LeadID string `json:"lead_id,omitempty"`
	Model  string `json:"model,omitempty"`
	// From and To are what changed: stages for qualification and stage
	// changes, bands for band changes, owners for assignments.
	From string `json:"from,omitempty"`
	To   string `json:"to,omitempty"`
	// Score is the model's score after the change; Delta the change.
	Score *float64 `json:"score,omitempty"`
	Delta float64  `json:"delta,omitempty"`
	// Threshold is the model's MQL threshold, for qualification changes.
	Threshold *float64  `json:"threshold,omitempty"`
	At        time.Time `json:"at"`
	Reason    string    `json:"reason,omitempty"`
	// By is who caused a sales action (a user or API key name); empty when
	// the score or a timer did.
	By    string `json:"by,omitempty"`
	Owner string `json:"owner,omitempty"`
	Team  string `json:"team,omitempty"`
	Rule  string `json:"rule,omitempty"`
	Via   Via    `json:"via,omitempty"`
	// Due is the follow-up deadline, for assignments with an SLA and
	// breaches.
	Due time.Time `json:"due,omitzero"`
	// ScoreReset marks a recycle that restarted the behaviour score.
	ScoreReset bool `json:"score_reset,omitempty"`
}

// BecameMQL reports whether the transition moved the lead into the MQL
// stage (by score or by hand), which is when it is routed.
func (t *Transition) BecameMQL() bool {
	return (t.Kind == KindQualified || t.Kind == KindStageChanged) && t.To == string(StageMQL) && t.From != string(StageMQL)
}

func ptr(f float64) *float64 { return &f }
