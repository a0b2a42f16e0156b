package leadscore

import (
	"context"
	"time"
)

// Shadow is a stored, inactive version of a model running beside the
// model's active version (champion/challenger): every lead the service
// scores is also evaluated by it, and its scores are kept apart. A shadow
// never writes the ledger, never moves automation and never shows as a
// lead's score. A model name has at most one shadow.
type Shadow struct {
	Model     string    `json:"model"`
	Version   string    `json:"version"`
	StartedAt time.Time `json:"started_at"`
	StartedBy string    `json:"started_by,omitempty"`
	// Job is the background job that scores the leads stored before the
	// shadow started.
	Job string `json:"job,omitempty"`
}

// ShadowScore is a lead's current score under its model's shadow version.
// StartedAt names the shadow run it belongs to.
type ShadowScore struct {
	LeadID       string      `json:"lead_id"`
	Model        string      `json:"model"`
	Version      string      `json:"version"`
	StartedAt    time.Time   `json:"started_at"`
	Score        float64     `json:"score"`
	Band         string      `json:"band,omitempty"`
	Qualified    bool        `json:"qualified"`
	Disqualified bool        `json:"disqualified"`
	Evaluation   *Evaluation `json:"evaluation,omitempty"`
	// NextChangeAt is when time alone changes the shadow score (zero:
	// never), indexed apart from the scores' so that a shadow never makes
	// the active version's score due.
	NextChangeAt time.Time `json:"next_change_at,omitzero"`
	UpdatedAt    time.Time `json:"updated_at"`
}

// ShadowReader reads shadows and their scores. Like AutomationReader it is
// a separate interface that the SQL store's workspace views and
// transactions implement.
type ShadowReader interface {
	// Shadows lists the running shadows by model name.
	Shadows(ctx context.Context) ([]Shadow, error)
	// Shadow is a model's shadow, or not_found.
	Shadow(ctx context.Context, model string) (*Shadow, error)
	// ShadowScores pages through the shadow scores of a model in lead id
	// order, after the given lead id, without their evaluations.
	ShadowScores(ctx context.Context, model, after string, limit int) ([]ShadowScore, error)
	// ShadowScoresOf returns the shadow scores of many leads under a
	// model, with their evaluations; leads without one are absent.
	ShadowScoresOf(ctx context.Context, model string, leadIDs []string) (map[string]*ShadowScore, error)
	// ShadowDueLeads lists the leads whose shadow score under a model
	// changes with time at or before t, earliest first.
	ShadowDueLeads(ctx context.Context, model string, t time.Time, limit int) ([]string, error)
}

// ShadowTx writes shadows and their scores.
type ShadowTx interface {
	ShadowReader
	// PutShadow makes s its model's shadow, replacing the one running: the
	// scores of a replaced shadow are deleted with it.
	PutShadow(ctx context.Context, s *Shadow) error
	// DeleteShadow stops a model's shadow and deletes its scores;
	// not_found when none runs.
	DeleteShadow(ctx context.Context, model string) error
	// PutShadowScores upserts scores; the last one given for a lead and
	// model wins.
	PutShadowScores(ctx context.Context, scores []*ShadowScore) error
}
