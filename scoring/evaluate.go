package scoring

import (
	"time"

	"github.com/leadscore/leadscore"
	"github.com/leadscore/leadscore/quality"
)

type prepared struct {
	in   *Input
	asOf time.Time
}

func prepare(in *Input, asOf time.Time, checker *quality.Checker) *prepared {
	return &prepared{in: in, asOf: asOf}
}

// Evaluate scores one lead under this model alone.
func (m *Model) Evaluate(in *Input, asOf time.Time) *leadscore.Evaluation {
	return m.evaluate(prepare(in, asOf, m.checker))
}

func (m *Model) evaluate(p *prepared) *leadscore.Evaluation {
	return &leadscore.Evaluation{Model: m.Name(), Version: m.version, AsOf: p.asOf}
}

func (m *Model) combine(p *prepared, done map[string]*leadscore.Evaluation) *leadscore.Evaluation {
	return &leadscore.Evaluation{Model: m.Name(), Version: m.version, AsOf: p.asOf}
}
