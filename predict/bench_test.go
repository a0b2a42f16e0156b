package predict

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/leadscore/leadscore"
	"github.com/leadscore/leadscore/learn"
)

var plantedLead = leadscore.Lead{ID: "L00001", Email: "ann@company1.com", Title: "VP Engineering", Fields: map[string]any{"plan": "pro"}}

// BenchmarkScoreWithFactors scores one lead with its events and computes
// its top factors (exact TreeSHAP for boosted trees).
func BenchmarkScoreWithFactors(b *testing.B) {
	dir := b.TempDir()
	leads, events := plantedLeads(b, dir, 6000, 1)
	byLead := eventsByLead(b, events)
	for _, learner := range []string{LearnerGBDT, LearnerLogistic} {
		tab := readPlanted(b, leads, events)
		m, _, err := Train(context.Background(), tab, TrainOptions{Learner: learner, Folds: 1, AsOf: cutoff, Now: fixedNow,
			Selection: Selection{Drop: []string{"won_reason", "crm_stage"}}})
		if err != nil {
			b.Fatal(err)
		}
		n := int64(300)
		acct := &leadscore.Account{Employees: &n}
		evs := byLead["L00001"]
		b.Run(learner, func(b *testing.B) {
			s := m.NewScorer()
			b.ReportAllocs()
			for b.Loop() {
				s.Score(&plantedLead, acct, evs, cutoff, 5)
			}
			if m.GBDT != nil {
				b.ReportMetric(float64(len(m.GBDT.Trees)), "trees")
			}
		})
	}
}

// BenchmarkTrainMillion trains boosted trees on 1,000,000 synthetic leads
// with 50 feature columns (planted effects in the first five, the rest
// noise), with early stopping. Run it alone: it takes minutes and about a
// gigabyte.
//
//	go test ./predict -run XXX -bench TrainMillion -benchtime 1x
func BenchmarkTrainMillion(b *testing.B) {
	const rows, cols = 1_000_000, 50
	x, y := wideData(rows, cols, 11)
	for b.Loop() {
		m, _, _, err := FitGBDT(x, y, nil, GBDTOptions{Seed: 1, Rounds: 300})
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(m.Rounds), "trees")
	}
}

func wideData(n, cols int, seed uint64) (*learn.Matrix, []bool) {
	rng := rand.New(rand.NewPCG(seed, 3))
	x := learn.NewMatrix(n, cols)
	y := make([]bool, n)
	for i := 0; i < n; i++ {
		r := x.Row(i)
		for j := range r {
			r[j] = rng.NormFloat64()
		}
		for j := 10; j < 20; j++ {
			r[j] = math.Round(r[j] * 2) // a few levels, like a category's rank
		}
		z := -2 + r[0] + 0.6*r[1] - 0.4*r[2] + 0.3*r[3]*r[4]
		y[i] = rng.Float64() < sigmoid(z)
	}
	return x, y
}

// BenchmarkScoreBankFull scores UCI Bank Marketing leads with factors under
// the boosted-tree model trained on all of them (without duration).
func BenchmarkScoreBankFull(b *testing.B) {
	tab := readBank(b)
	m, _, err := Train(context.Background(), tab, TrainOptions{Seed: 1, Folds: 1, Now: fixedNow, Selection: Selection{Drop: []string{"duration"}}})
	if err != nil {
		b.Fatal(err)
	}
	leads := make([]leadscore.Lead, 1000)
	for i := range leads {
		fields := map[string]any{}
		for k, s := range tab.Sources {
			c := &tab.cols[k]
			key := s.Name[len("lead."):]
			if c.cat {
				if code := c.str[i]; code >= 0 {
					fields[key] = c.dict[code]
				}
			} else if v := c.num[i]; !math.IsNaN(v) {
				fields[key] = v
			}
		}
		leads[i] = leadscore.Lead{ID: tab.IDs[i], Fields: fields}
	}
	s := m.NewScorer()
	i := 0
	for b.Loop() {
		s.Score(&leads[i%len(leads)], nil, nil, fixedNow, 5)
		i++
	}
	b.ReportMetric(float64(len(m.GBDT.Trees)), "trees")
}
