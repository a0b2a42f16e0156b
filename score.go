package leadscore

import "time"

// Evaluation is the result of scoring one lead under one model version as of
// one instant. It is a pure function of its inputs, so storing it is a cache,
// never the source of truth.
type Evaluation struct {
	Model   string    `json:"model"`
	Version string    `json:"version,omitempty"`
	LeadID  string    `json:"lead_id"`
	AsOf    time.Time `json:"as_of"`
	// Score is the final score: clamped to the scale and rounded to a whole
	// number. Raw is the unrounded, unclamped total.
	Score float64 `json:"score"`
	Raw   float64 `json:"raw"`
	// Display is the score with its classification digit in front (2089),
	// or the score itself when the model has no prefix rules.
	Display      int64    `json:"display"`
	Prefix       int      `json:"prefix,omitempty"`
	PrefixLabel  string   `json:"prefix_label,omitempty"`
	Band         string   `json:"band,omitempty"`
	Grade        string   `json:"grade,omitempty"`
	Qualified    bool     `json:"qualified"`
	Disqualified bool     `json:"disqualified"`
	Reasons      []string `json:"disqualified_reasons,omitempty"`
	// Categories holds every category's points after its own cap, in model
	// order, keyed by dotted path ("interest.engagement").
	Categories []CategoryResult `json:"categories,omitempty"`
	// Contributions lists every rule that counted (points may be zero when
	// a skip or cap swallowed them), in model order.
	Contributions []Contribution `json:"contributions,omitempty"`
	// Adjustments are effects beyond rules: caps, decay, clamping,
	// disqualification, combination.
	Adjustments []Adjustment `json:"adjustments,omitempty"`
	// Notes are conditions that could not be evaluated (a missing field),
	// so that "did not match" is never silent.
	Notes        []string  `json:"notes,omitempty"`
	LastActivity time.Time `json:"last_activity,omitzero"`
	// NextChangeAt is the earliest time the score could change with no new
	// data (a window closing, a decay step, half-life). Zero means never.
	NextChangeAt time.Time `json:"next_change_at,omitzero"`
}

type CategoryResult struct {
	Path   string  `json:"path"`
	Label  string  `json:"label,omitempty"`
	Points float64 `json:"points"`
	// Uncapped is the sum before this category's own cap.
	Uncapped float64  `json:"uncapped"`
	Max      *float64 `json:"max,omitempty"`
	Capped   bool     `json:"capped,omitempty"`
}

type Contribution struct {
	Rule     string  `json:"rule"`
	Label    string  `json:"label,omitempty"`
	Category string  `json:"category"`
	Points   float64 `json:"points"`
	// Count is how many occurrences earned points; Matched how many events
	// matched before skips and limits.
	Count   int `json:"count,omitempty"`
	Matched int `json:"matched,omitempty"`
	// Events are the occurrences behind the points, the most recent
	// MaxEventRefs of them; EventsOmitted counts the older ones left out
	// (they stay in the lead's event history).
	Events        []EventRef `json:"events,omitempty"`
	EventsOmitted int        `json:"events_omitted,omitempty"`
	Detail        string     `json:"detail,omitempty"`
}

// MaxEventRefs bounds the events listed per contribution, so that a lead
// with a thousand page views keeps an evaluation of bounded size.
const MaxEventRefs = 20

// EventRef is one occurrence behind a contribution.
type EventRef struct {
	ID     string    `json:"id,omitempty"`
	Type   string    `json:"type"`
	At     time.Time `json:"at"`
	Points float64   `json:"points"`
}

type AdjustmentKind string

const (
	AdjustCap          AdjustmentKind = "cap"
	AdjustFloor        AdjustmentKind = "floor"
	AdjustDecay        AdjustmentKind = "decay"
	AdjustReset        AdjustmentKind = "reset"
	AdjustClamp        AdjustmentKind = "clamp"
	AdjustDisqualified AdjustmentKind = "disqualified"
	AdjustBot          AdjustmentKind = "bot"
	AdjustCombined     AdjustmentKind = "combined"
	AdjustPredicted    AdjustmentKind = "predicted"
)

type Adjustment struct {
	Kind     AdjustmentKind `json:"kind"`
	Category string         `json:"category,omitempty"`
	Points   float64        `json:"points"`
	Text     string         `json:"text"`
}
