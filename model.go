package leadscore

// ModelSpec is a scoring model as its author wrote it, after parsing and
// before compilation. The YAML format (package modelfile) produces it; the
// engine (package scoring) compiles it. Conditions are expr-lang expressions
// kept as source text so that a model version is reproducible from its text.
type ModelSpec struct {
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	// Kind is "rules" (the default), "combined" (a score made from other
	// models' scores, see Combine) or "predictive" (a learned model, see
	// Artifact).
	Kind ModelKind `json:"kind,omitempty"`
	// Artifact is the trained model file of a predictive model (written by
	// leadscore train), resolved relative to the model file.
	Artifact string `json:"artifact,omitempty"`
	Scale    Scale  `json:"scale"`
	// MQL is the qualification threshold on the (clamped, rounded) score.
	// Nil means the model never qualifies anyone by itself.
	MQL *float64 `json:"mql,omitempty"`
	// Bands are named score ranges, highest Min first, e.g. hot 70, warm 40,
	// cold 0. A score gets the first band whose Min it reaches.
	Bands []Band `json:"bands,omitempty"`
	// Disqualified says what a failed requirement does to the score: "zero"
	// (the default) shows 0, "keep" keeps the computed score and only flags it.
	Disqualified DisqualifyMode `json:"disqualified,omitempty"`
	Requirements []Requirement  `json:"requirements,omitempty"`
	Prefix       []PrefixRule   `json:"prefix,omitempty"`
	Grade        *GradeSpec     `json:"grade,omitempty"`
	Categories   []CategorySpec `json:"categories,omitempty"`
	Decay        DecaySpec      `json:"decay,omitzero"`
	Signals      SignalSpec     `json:"signals,omitzero"`
	Quality      QualitySpec    `json:"quality,omitzero"`
	Combine      *CombineSpec   `json:"combine,omitempty"`
	AccountScore AccountScore   `json:"account_score,omitzero"`
	// Fields declares custom lead and account fields ("lead.age": "number"),
	// so that a typo such as lead.titel is caught when the model is validated.
	Fields map[string]FieldType `json:"fields,omitempty"`
}

type ModelKind string

const (
	KindRules    ModelKind = "rules"
	KindCombined ModelKind = "combined"
	// KindPredictive scores with a trained model: the score is the
	// calibrated probability of conversion on the model's scale.
	KindPredictive ModelKind = "predictive"
)

type DisqualifyMode string

const (
	DisqualifyZero DisqualifyMode = "zero"
	DisqualifyKeep DisqualifyMode = "keep"
)

type FieldType string

const (
	FieldString FieldType = "string"
	FieldNumber FieldType = "number"
	FieldBool   FieldType = "bool"
	FieldTime   FieldType = "time"
	FieldList   FieldType = "list"
)

// Scale bounds the final score. The default is 0..100.
type Scale struct {
	Min float64 `json:"min"`
	Max float64 `json:"max"`
}

type Band struct {
	Name string  `json:"name"`
	Min  float64 `json:"min"`
}

// Requirement is a must-have. When its condition is false the lead is
// disqualified with Reason (or the requirement's name).
type Requirement struct {
	Name   string `json:"name"`
	When   string `json:"when"`
	Reason string `json:"reason,omitempty"`
}

// PrefixRule picks the classification digit shown in front of the score
// (2089 = digit 2, score 89). The first rule whose condition holds wins; a
// rule without a condition always holds.
type PrefixRule struct {
	Digit int    `json:"digit"`
	When  string `json:"when,omitempty"`
	Label string `json:"label,omitempty"`
}

// GradeSpec turns the points of one category (normally "fit") into a letter.
// Levels are ordered best first; a lead gets the first level whose Min it
// reaches, and the last level otherwise.
type GradeSpec struct {
	Category string       `json:"category"`
	Levels   []GradeLevel `json:"levels"`
}

type GradeLevel struct {
	Grade string  `json:"grade"`
	Min   float64 `json:"min"`
}

// CategorySpec is a budget of points. Categories nest to any depth; a
// category's points are the sum of its rules and sub-categories, then clamped
// to [Min, Max] when those are set.
type CategorySpec struct {
	Name  string   `json:"name"`
	Label string   `json:"label,omitempty"`
	Max   *float64 `json:"max,omitempty"`
	Min   *float64 `json:"min,omitempty"`
	// HalfLife and Expire apply to every behaviour rule below this category
	// that does not set its own.
	HalfLife   Duration       `json:"half_life,omitempty"`
	Expire     Duration       `json:"expire,omitempty"`
	Rules      []RuleSpec     `json:"rules,omitempty"`
	Categories []CategorySpec `json:"categories,omitempty"`
}

// RuleSpec is one scoring rule. A rule without Events is a fit rule: it
// awards Points once when When holds. A rule with Events is a behaviour rule:
// matching events earn Points according to the counting options.
type RuleSpec struct {
	Name  string `json:"name"`
	Label string `json:"label,omitempty"`
	// When is a condition on lead and account. For a behaviour rule it is an
	// extra filter: the rule counts only for leads where it holds.
	When string `json:"when,omitempty"`
	// Events are event type patterns; "*" matches any run of characters, so
	// "email.*" matches email.opened and email.clicked.
	Events []string `json:"events,omitempty"`
	// Where is a condition on the event (event.<property>, event.type).
	Where  string  `json:"where,omitempty"`
	Points float64 `json:"points"`
	// Count is how repeated matches are counted: every (default), once, or
	// at most once per day, week or month (calendar periods in UTC).
	Count     CountMode `json:"count,omitempty"`
	SkipFirst int       `json:"skip_first,omitempty"`
	MaxTimes  int       `json:"max_times,omitempty"`
	MaxPoints *float64  `json:"max_points,omitempty"`
	// Within limits the rule to events in the window ending at the as-of time.
	Within Duration `json:"within,omitempty"`
	// AtLeast makes the rule fire once when at least this many matching
	// events fall inside Within (three sessions in a week).
	AtLeast int `json:"at_least,omitempty"`
	// Then makes a sequence rule: a matching event followed by a Then event
	// within Then.Within. Each such follow-up is one occurrence.
	Then     *SequenceStep `json:"then,omitempty"`
	HalfLife Duration      `json:"half_life,omitempty"`
	Expire   Duration      `json:"expire,omitempty"`
}

type SequenceStep struct {
	Events []string `json:"events"`
	Where  string   `json:"where,omitempty"`
	Within Duration `json:"within"`
}

type CountMode string

const (
	CountEvery CountMode = "every"
	CountOnce  CountMode = "once"
	CountDay   CountMode = "day"
	CountWeek  CountMode = "week"
	CountMonth CountMode = "month"
)

// IsBehaviour reports whether the rule is driven by events.
func (r *RuleSpec) IsBehaviour() bool { return len(r.Events) > 0 }

// DecaySpec lowers scores of inactive leads. Inactivity is measured from the
// lead's last activity: the last non-bot event matching Activity (every
// non-bot event when Activity is empty), or the lead's creation when it has
// none. Steps are cumulative: with 30d -10 and 60d -10 a lead idle for 61
// days loses 20.
type DecaySpec struct {
	Inactivity []DecayStep `json:"inactivity,omitempty"`
	Activity   []string    `json:"activity,omitempty"`
	// Category limits decay to one category's points (by name); empty means
	// the whole score.
	Category string `json:"category,omitempty"`
}

type DecayStep struct {
	After  Duration `json:"after"`
	Points float64  `json:"points,omitempty"`
	// Reset clears the decayed points entirely (the score falls to the
	// bottom of the scale, or the category to zero).
	Reset bool `json:"reset,omitempty"`
}

// SignalSpec configures account signals that rules can read.
type SignalSpec struct {
	// StakeholderWindow is the window for account.active_people: the number
	// of distinct people of the lead's account (the lead included) with
	// activity inside it. Default 30d.
	StakeholderWindow Duration `json:"stakeholder_window,omitempty"`
}

// QualitySpec configures bot detection from the shape of a lead's events, on
// top of the per-event flag set at ingestion (user agent lists).
type QualitySpec struct {
	// ClickDelay: an email click or open within this time of the email's
	// delivery is a security scanner, not a person. Default 5s.
	ClickDelay Duration `json:"click_delay,omitempty"`
	// BurstClicks: this many distinct links of one email clicked within
	// BurstWindow is a scanner. Default 3 within 10s.
	BurstClicks int      `json:"burst_clicks,omitempty"`
	BurstWindow Duration `json:"burst_window,omitempty"`
	// Disable turns both checks off (the ingestion flag still applies).
	Disable bool `json:"disable,omitempty"`
}

// CombineSpec defines a combined model from other models' scores.
type CombineSpec struct {
	// Method is weighted_mean (default), max, min or sum. Parts' scores are
	// first normalised to 0..1 on their own scale, then mapped onto this
	// model's scale.
	Method string        `json:"method,omitempty"`
	Parts  []CombinePart `json:"parts"`
}

type CombinePart struct {
	Model  string  `json:"model"`
	Weight float64 `json:"weight"`
}

// AccountScore says how an account's score is made from its leads' scores
// under this model: sum, max or avg (default max) of the Top highest (0 =
// all).
type AccountScore struct {
	Method string `json:"method,omitempty"`
	Top    int    `json:"top,omitempty"`
}
