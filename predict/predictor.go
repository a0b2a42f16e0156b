package predict

import (
	"iter"
	"sync"
	"time"

	"github.com/leadscore/leadscore"
	"github.com/leadscore/leadscore/scoring"
)

// factorsPerSide is how many positive and how many negative factors an
// explanation shows.
const factorsPerSide = 5

// LoadPredictor loads an artefact for the engine (scoring.Options.
// LoadPredictor). A model marked not activatable is refused with the
// reason, since scoring leads with it would present a guess as a
// prediction.
func LoadPredictor(path string) (scoring.Predictor, error) {
	if name, _, ok := ParseStoreRef(path); ok {
		return nil, leadscore.Errorf(leadscore.CodeInvalid, "%s is stored in a server's database: score with the server, or export it "+
			"(GET /api/v1/predictive/%s/versions/current?format=artifact) and name the file", path, name)
	}
	m, err := Load(path)
	if err != nil {
		return nil, err
	}
	if !m.Activatable {
		return nil, leadscore.Errorf(leadscore.CodeInvalid, "%s is not activatable: %v", path, m.NotActivatable)
	}
	return m.Predictor(), nil
}

// Predictor adapts the model to the engine. It is safe for concurrent use.
func (m *Model) Predictor() scoring.Predictor {
	p := &predictor{m: m}
	p.pool.New = func() any { return m.NewScorer() }
	p.base = m.Calibrator.prob(m.expectedRaw())
	return p
}

type predictor struct {
	m    *Model
	pool sync.Pool
	base float64
}

func (p *predictor) Version() string { return p.m.DataHash + "@" + p.m.CreatedAt.Format(time.RFC3339) }

func (p *predictor) Predict(l *leadscore.Lead, a *leadscore.Account, events iter.Seq[*leadscore.Event], asOf time.Time) scoring.Prediction {
	s := p.pool.Get().(*Scorer)
	defer p.pool.Put(s)
	pred := s.score(l, a, events, asOf, factorsPerSide)
	out := scoring.Prediction{Probability: pred.Probability, Base: p.base}
	for _, f := range pred.Factors {
		out.Factors = append(out.Factors, scoring.PredictionFactor{Name: f.Name, Text: f.Reason, Effect: f.Effect})
	}
	return out
}

// expectedRaw is the raw score of an average training lead.
func (m *Model) expectedRaw() float64 {
	if m.GBDT != nil {
		return m.GBDT.ExpectedValue()
	}
	s := m.Logistic.Intercept
	for j, c := range m.Logistic.Coef {
		s += c * m.Logistic.Means[j]
	}
	return s
}
