package scoring

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"iter"
	"math"
	"time"

	"github.com/leadscore/leadscore"
)

// Predictor is a trained model as the engine sees it: a calibrated
// probability of conversion and the factors behind it. Package predict
// provides it; the caller wires it in through Options.LoadPredictor.
type Predictor interface {
	Predict(lead *leadscore.Lead, account *leadscore.Account, events iter.Seq[*leadscore.Event], asOf time.Time) Prediction
	// Version identifies the trained model, so that retraining under the
	// same file name makes a new model version.
	Version() string
}

// Prediction is a predictor's answer for one lead.
type Prediction struct {
	Probability float64
	// Base is the probability of an average lead; factors move a lead
	// away from it.
	Base    float64
	Factors []PredictionFactor
}

// PredictionFactor is one reason, with its effect on the log-odds.
type PredictionFactor struct {
	Name   string
	Text   string
	Effect float64
}

func (m *Model) compilePredictive(s *leadscore.ModelSpec, opts Options, bad func(field, format string, args ...any)) {
	switch {
	case s.Artifact == "":
		bad("artifact", "a predictive model needs artifact: the file written by leadscore train")
	case opts.ValidateOnly:
	case opts.LoadPredictor == nil:
		bad("artifact", "predictive models cannot be loaded here")
	default:
		p, err := opts.LoadPredictor(s.Artifact)
		if err != nil {
			bad("artifact", "%v", err)
			return
		}
		m.predictor = p
	}
	if len(s.Categories) > 0 {
		bad("categories", "a predictive model learns its points; it cannot have categories")
	}
	if len(s.Requirements) > 0 {
		bad("requirements", "a predictive model cannot have requirements; combine it with a rule model that has them")
	}
	if len(s.Decay.Inactivity) > 0 {
		bad("decay", "a predictive model learns how inactivity matters; it cannot have decay")
	}
}

func versionOfPredictive(spec, artefact string) string {
	sum := sha256.Sum256([]byte(spec + "\x00" + artefact))
	return hex.EncodeToString(sum[:6])
}

// predict evaluates a predictive model: the score is the probability on the
// model's scale, and each factor is a contribution whose points are its
// effect on the probability near this lead's score.
func (m *Model) predict(st *State, cut int, asOf time.Time) *leadscore.Evaluation {
	e := &evaluation{m: m, st: st, asOf: asOf, seen: st.entries[:cut], notes: map[string]bool{}, ev: &leadscore.Evaluation{
		Model: m.Name(), Version: m.version, LeadID: st.in.Lead.ID, AsOf: asOf,
	}}
	events := func(yield func(*leadscore.Event) bool) {
		for _, en := range e.seen {
			if !yield(en.ev) {
				return
			}
		}
	}
	if m.predictor == nil {
		e.note("the trained model %s was not loaded (the model was compiled for validation only)", m.spec.Artifact)
		e.finish(m.spec.Scale.Min)
		return e.ev
	}
	p := m.predictor.Predict(st.in.Lead, st.in.Account, events, asOf)
	span := m.spec.Scale.Max - m.spec.Scale.Min
	slope := p.Probability * (1 - p.Probability) * span
	for _, f := range p.Factors {
		e.ev.Contributions = append(e.ev.Contributions, leadscore.Contribution{
			Rule: f.Name, Label: f.Text, Category: "factors", Points: round2(f.Effect * slope),
			Detail: fmt.Sprintf("%+.2f log-odds", f.Effect),
		})
	}
	for _, en := range e.seen {
		if en.ev.At.After(e.ev.LastActivity) && !en.ev.Bot {
			e.ev.LastActivity = en.ev.At
		}
	}
	total := m.spec.Scale.Min + p.Probability*span
	e.ev.Adjustments = append(e.ev.Adjustments, leadscore.Adjustment{Kind: leadscore.AdjustPredicted, Points: round2(total),
		Text: fmt.Sprintf("predicted conversion probability %s%% (an average lead: %s%%)", fmtPoints(round2(100*p.Probability)), fmtPoints(round2(100*p.Base)))})
	// Activity windows close with time alone: a day later the same events
	// can predict differently.
	if len(e.seen) > 0 {
		e.candidate(asOf.Add(24 * time.Hour).Truncate(24 * time.Hour))
	}
	e.finish(math.Round(total*100) / 100)
	e.ev.NextChangeAt = e.next
	return e.ev
}
