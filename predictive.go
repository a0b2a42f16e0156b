package leadscore

import (
	"context"
	"encoding/json"
	"time"
)

// PredictiveArtifact is one trained predictive model kept in the store: the
// artefact's JSON (what `leadscore train -o` writes), the training report,
// and whether it may score leads. Artefacts of one name are its versions;
// a model file names one as `artifact: store:NAME` (the current one) or
// `artifact: store:NAME@VERSION`.
type PredictiveArtifact struct {
	Name string `json:"name"`
	// Version is the artefact's own identity: a hash of its bytes.
	Version string `json:"version"`
	// Body is the artefact JSON. Listings leave it out.
	Body []byte `json:"-"`
	// Report is the training report as JSON.
	Report json.RawMessage `json:"report,omitempty"`
	// Activatable is false when the artefact must not score leads (too
	// few conversions); the report says why.
	Activatable bool `json:"activatable"`
	// Current marks the version that store:NAME resolves to: the first
	// activatable artefact of a name, then each challenger that beat it out
	// of time. At most one version of a name is current.
	Current   bool      `json:"current"`
	CreatedAt time.Time `json:"created_at"`
	CreatedBy string    `json:"created_by,omitempty"`
}

// PredictiveReader reads stored predictive artefacts. Like
// AutomationReader it is a separate interface that the SQL store's
// workspace views and transactions implement.
type PredictiveReader interface {
	// PredictiveArtifacts lists the versions of one name (every name when
	// name is empty), newest first, without their bodies.
	PredictiveArtifacts(ctx context.Context, name string) ([]PredictiveArtifact, error)
	// PredictiveArtifact returns one version with its body; an empty
	// version is the current one. A missing one is not_found.
	PredictiveArtifact(ctx context.Context, name, version string) (*PredictiveArtifact, error)
}

// PredictiveTx stores predictive artefacts.
type PredictiveTx interface {
	PredictiveReader
	// PutPredictiveArtifact stores a new version; storing a version that
	// exists is a conflict (artefacts are immutable). With Current set, the
	// name's previous current version stops being current. A zero
	// CreatedAt becomes now.
	PutPredictiveArtifact(ctx context.Context, a *PredictiveArtifact) error
}

// PredictiveTraining asks the service to learn a predictive model from
// the stored leads with recorded outcomes.
type PredictiveTraining struct {
	// Learner is gbdt (default) or logistic.
	Learner string `json:"learner,omitempty"`
	Seed    uint64 `json:"seed,omitempty"`
	Folds   int    `json:"folds,omitempty"`
	// Horizon cuts each lead's events off this long before its outcome:
	// the model then predicts that far ahead. 0 uses every event before
	// the outcome.
	Horizon Duration `json:"horizon,omitempty"`
	// Maturity is how old a lead without an outcome must be to count as
	// not converted (default 90 days); younger ones are left out.
	Maturity Duration `json:"maturity,omitempty"`
	// MinConversions is the fewest conversions for an activatable model
	// (default 100).
	MinConversions int `json:"min_conversions,omitempty"`
	// Rules names a stored rule model whose rules become 0/1 features
	// ("fired for this lead as of its cut-off"): its active version, or
	// RulesVersion. The report compares with it; without it, with the
	// first active rule model.
	Rules        string `json:"rules,omitempty"`
	RulesVersion string `json:"rules_version,omitempty"`
	// Drop and Only select features as `leadscore train --drop/--only`.
	Drop  []string `json:"drop,omitempty"`
	Only  []string `json:"only,omitempty"`
	Allow []string `json:"allow,omitempty"`
	// Rounds, Depth, LearningRate, MinLeaf and PositiveWeight tune boosted
	// trees; L2 penalises their leaves (default 1) or, for logistic
	// regression, its coefficients (default 0.001), and L1 adds a lasso
	// penalty to logistic regression.
	Rounds         int     `json:"rounds,omitempty"`
	Depth          int     `json:"depth,omitempty"`
	LearningRate   float64 `json:"learning_rate,omitempty"`
	MinLeaf        int     `json:"min_leaf,omitempty"`
	PositiveWeight float64 `json:"positive_weight,omitempty"`
	L2             float64 `json:"l2,omitempty"`
	L1             float64 `json:"l1,omitempty"`
	By             string  `json:"-"`
}

// PredictiveService is what the API and the web UI do with stored
// predictive models. The service implements it next to Service.
type PredictiveService interface {
	// TrainPredictive starts a background job that trains name from the
	// stored leads and stores the artefact with its report; the job's
	// Detail names the stored version when it succeeds.
	TrainPredictive(ctx context.Context, name string, opt PredictiveTraining) (*Job, error)
	PredictiveArtifacts(ctx context.Context, name string) ([]PredictiveArtifact, error)
	PredictiveArtifact(ctx context.Context, name, version string) (*PredictiveArtifact, error)
}
