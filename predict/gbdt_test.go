package predict

import (
	"bytes"
	"encoding/json"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/leadscore/leadscore/learn"
)

// plantedData makes rows with a strong effect in column 0, a weaker one in
// column 1, an interaction of 2 and 3, and pure noise in column 4.
func plantedData(n int, seed uint64) (*learn.Matrix, []bool) {
	rng := rand.New(rand.NewPCG(seed, 1))
	x := learn.NewMatrix(n, 5)
	y := make([]bool, n)
	for i := 0; i < n; i++ {
		r := x.Row(i)
		for j := range r {
			r[j] = rng.NormFloat64()
		}
		r[2] = math.Round(r[2])
		z := -1.5 + 1.5*r[0] + 0.7*r[1]
		if r[2] > 0 && r[3] > 0 {
			z += 1
		}
		y[i] = rng.Float64() < sigmoid(z)
	}
	return x, y
}

func TestGBDTLearnsPlantedEffects(t *testing.T) {
	x, y := plantedData(8000, 1)
	m, _, _, err := FitGBDT(x, y, nil, GBDTOptions{Seed: 7, MaxDepth: 3, LearningRate: 0.1})
	if err != nil {
		t.Fatal(err)
	}
	tx, ty := plantedData(4000, 2)
	scores := make([]float64, tx.Rows)
	for i := range scores {
		scores[i] = m.Raw(tx.Row(i))
	}
	// The Bayes-optimal AUC of this generator is about 0.83.
	if auc := learn.AUC(scores, ty); auc < 0.80 {
		t.Errorf("held-out AUC %.3f, want >= 0.80", auc)
	}
	// Mean |SHAP| per feature: the planted effects dominate, noise is ~0.
	imp := make([]float64, 5)
	phi := make([]float64, 5)
	for i := 0; i < 500; i++ {
		clear(phi)
		m.SHAP(tx.Row(i), phi)
		for j, v := range phi {
			imp[j] += math.Abs(v) / 500
		}
	}
	if !(imp[0] > imp[1] && imp[1] > imp[4] && imp[3] > imp[4]) {
		t.Errorf("importance order wrong: %v", imp)
	}
	if imp[4] > 0.1*imp[0] {
		t.Errorf("noise feature importance %.4f is not ~0 next to %.4f", imp[4], imp[0])
	}
}

func TestSHAPSumsToRawScore(t *testing.T) {
	x, y := plantedData(3000, 3)
	m, _, _, err := FitGBDT(x, y, nil, GBDTOptions{Seed: 1, MaxDepth: 4, Rounds: 60, EarlyStop: -1})
	if err != nil {
		t.Fatal(err)
	}
	base := m.ExpectedValue()
	phi := make([]float64, x.Cols)
	for i := 0; i < 200; i++ {
		clear(phi)
		m.SHAP(x.Row(i), phi)
		sum := base
		for _, v := range phi {
			sum += v
		}
		if raw := m.Raw(x.Row(i)); math.Abs(sum-raw) > 1e-9 {
			t.Fatalf("row %d: expected value + SHAP = %.12f, raw score %.12f", i, sum, raw)
		}
	}
}

// bruteShapley computes exact Shapley values of one tree by enumerating
// feature subsets, with the same cover-weighted conditional expectation
// TreeSHAP uses.
func bruteShapley(t *Tree, row []float64, nf int) []float64 {
	var cond func(k int, in uint) float64
	cond = func(k int, in uint) float64 {
		n := &t.Nodes[k]
		if n.Left < 0 {
			return n.Value
		}
		if in&(1<<n.Feature) != 0 {
			if row[n.Feature] <= n.Threshold {
				return cond(n.Left, in)
			}
			return cond(n.Right, in)
		}
		return (t.Nodes[n.Left].Cover*cond(n.Left, in) + t.Nodes[n.Right].Cover*cond(n.Right, in)) / n.Cover
	}
	fact := func(k int) float64 {
		f := 1.0
		for i := 2; i <= k; i++ {
			f *= float64(i)
		}
		return f
	}
	phi := make([]float64, nf)
	for i := 0; i < nf; i++ {
		for s := uint(0); s < 1<<nf; s++ {
			if s&(1<<i) != 0 {
				continue
			}
			size := 0
			for b := s; b != 0; b &= b - 1 {
				size++
			}
			w := fact(size) * fact(nf-size-1) / fact(nf)
			phi[i] += w * (cond(0, s|1<<i) - cond(0, s))
		}
	}
	return phi
}

func TestSHAPMatchesBruteForce(t *testing.T) {
	x, y := plantedData(2000, 5)
	m, _, _, err := FitGBDT(x, y, nil, GBDTOptions{Seed: 1, MaxDepth: 5, Rounds: 5, EarlyStop: -1, LearningRate: 0.3})
	if err != nil {
		t.Fatal(err)
	}
	for ti := range m.Trees {
		tree := &m.Trees[ti]
		for i := 0; i < 20; i++ {
			want := bruteShapley(tree, x.Row(i), x.Cols)
			got := make([]float64, x.Cols)
			tree.shap(x.Row(i), got, make([]pathElem, 64))
			for j := range got {
				if math.Abs(got[j]-want[j]) > 1e-9 {
					t.Fatalf("tree %d row %d feature %d: TreeSHAP %.12f, brute force %.12f", ti, i, j, got[j], want[j])
				}
			}
		}
	}
}

func TestGBDTSameSeedSameModel(t *testing.T) {
	x, y := plantedData(3000, 9)
	fit := func(workers int) []byte {
		m, _, _, err := FitGBDT(x, y, nil, GBDTOptions{Seed: 42, Rounds: 40, Workers: workers})
		if err != nil {
			t.Fatal(err)
		}
		b, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	a, b, c := fit(1), fit(4), fit(0)
	if !bytes.Equal(a, b) || !bytes.Equal(a, c) {
		t.Fatal("the same seed gave different models with different numbers of workers")
	}
	m2, _, _, _ := FitGBDT(x, y, nil, GBDTOptions{Seed: 43, Rounds: 40})
	d, _ := json.Marshal(m2)
	if bytes.Equal(a, d) {
		t.Error("a different seed gave the same model: the validation split ignores the seed")
	}
}

var fixedNow = time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)

// TestPrecomputedSHAPMatchesRecursive: the table-driven TreeSHAP gives the
// recursive algorithm's values.
func TestPrecomputedSHAPMatchesRecursive(t *testing.T) {
	x, y := plantedData(4000, 12)
	m, _, _, err := FitGBDT(x, y, nil, GBDTOptions{Seed: 2, MaxDepth: 6, Rounds: 40, EarlyStop: -1, MinLeaf: 5})
	if err != nil {
		t.Fatal(err)
	}
	tables := m.shapTables()
	if tables == nil {
		t.Fatal("no tables for a small model")
	}
	for i := 0; i < 300; i++ {
		want := make([]float64, x.Cols)
		got := make([]float64, x.Cols)
		m.SHAP(x.Row(i), want)
		m.shapFast(tables, x.Row(i), got)
		for j := range got {
			if math.Abs(got[j]-want[j]) > 1e-6 {
				t.Fatalf("row %d feature %d: tables %.12f, recursive %.12f", i, j, got[j], want[j])
			}
		}
	}
}
