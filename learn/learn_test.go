package learn

import (
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"testing"
)

func TestAUC(t *testing.T) {
	cases := []struct {
		name   string
		scores []float64
		y      []bool
		want   float64
	}{
		{"perfect", []float64{1, 2, 3, 4}, []bool{false, false, true, true}, 1},
		{"reversed", []float64{4, 3, 2, 1}, []bool{false, false, true, true}, 0},
		{"all tied", []float64{5, 5, 5, 5}, []bool{false, true, false, true}, 0.5},
		// The example from scikit-learn's roc_auc_score documentation.
		{"sklearn", []float64{0.1, 0.4, 0.35, 0.8}, []bool{false, false, true, true}, 0.75},
		// One positive tied with one of two negatives: (1 + 0.5) / 2.
		{"half tie", []float64{1, 2, 2}, []bool{false, false, true}, 0.75},
	}
	for _, c := range cases {
		if got := AUC(c.scores, c.y); math.Abs(got-c.want) > 1e-12 {
			t.Errorf("%s: AUC = %v, want %v", c.name, got, c.want)
		}
	}
	if got := AUC([]float64{1, 2}, []bool{true, true}); !math.IsNaN(got) {
		t.Errorf("AUC with one class = %v, want NaN", got)
	}
}

func TestROCMatchesAUC(t *testing.T) {
	scores, y := noisyScores(2000, 1)
	points := ROC(scores, y, 0)
	first, last := points[0], points[len(points)-1]
	if first.FPR != 0 || first.TPR != 0 || last.FPR != 1 || last.TPR != 1 {
		t.Fatalf("ROC ends at %+v and %+v", first, last)
	}
	if max := slices.Max(scores); !(first.Threshold > max) || math.IsInf(first.Threshold, 0) {
		t.Errorf("the first threshold %v should be finite and above the highest score %v", first.Threshold, max)
	}
	// The trapezoid area under the full curve is the AUC.
	var area float64
	for i := 1; i < len(points); i++ {
		area += (points[i].FPR - points[i-1].FPR) * (points[i].TPR + points[i-1].TPR) / 2
	}
	if auc := AUC(scores, y); math.Abs(area-auc) > 1e-9 {
		t.Errorf("area under ROC %v, AUC %v", area, auc)
	}
	if len(points) < 20 {
		t.Fatalf("only %d points", len(points))
	}
	thin := ROC(scores, y, 10)
	if len(thin) != 10 || thin[0] != first || thin[9] != last {
		t.Errorf("thinned ROC has %d points, ends %+v %+v", len(thin), thin[0], thin[len(thin)-1])
	}
}

func TestConfusion(t *testing.T) {
	scores := []float64{90, 80, 70, 60, 50, 40}
	y := []bool{true, false, true, false, true, false}
	c := ConfusionAt(scores, y, 70)
	if c != (Confusion{TP: 2, FP: 1, TN: 2, FN: 1}) {
		t.Fatalf("confusion at 70: %+v", c)
	}
	if c.Precision() != 2.0/3 || c.Recall() != 2.0/3 || math.Abs(c.F1()-2.0/3) > 1e-12 || c.Accuracy() != 4.0/6 {
		t.Errorf("precision %v recall %v f1 %v accuracy %v", c.Precision(), c.Recall(), c.F1(), c.Accuracy())
	}
	if (Confusion{}).F1() != 0 {
		t.Error("F1 of nothing should be 0")
	}
}

func TestQuantileBins(t *testing.T) {
	// Scores 1..10; the top 5 all convert.
	scores := []float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}
	y := []bool{false, false, false, false, false, true, true, true, true, true}
	bins := QuantileBins(scores, y, 5)
	if len(bins) != 5 {
		t.Fatalf("%d bins", len(bins))
	}
	top := bins[0]
	if top.Hi != 10 || top.Lo != 9 || top.Count != 2 || top.Positives != 2 || top.Rate != 1 || top.Lift != 2 ||
		top.CumCount != 0.2 || top.CumPositives != 0.4 {
		t.Errorf("top bin %+v", top)
	}
	if last := bins[4]; last.Rate != 0 || last.CumCount != 1 || last.CumPositives != 1 || last.MeanScore != 1.5 {
		t.Errorf("bottom bin %+v", last)
	}
}

func TestCalibrationAndLosses(t *testing.T) {
	prob := []float64{0.1, 0.1, 0.9, 0.9}
	y := []bool{false, false, true, false}
	bins := Calibration(prob, y, 2)
	if bins[0] != (CalibrationBin{MeanPredicted: 0.1, Observed: 0, Count: 2}) ||
		bins[1] != (CalibrationBin{MeanPredicted: 0.9, Observed: 0.5, Count: 2}) {
		t.Errorf("calibration %+v", bins)
	}
	wantBrier := (0.01 + 0.01 + 0.01 + 0.81) / 4
	if got := Brier(prob, y); math.Abs(got-wantBrier) > 1e-12 {
		t.Errorf("Brier %v, want %v", got, wantBrier)
	}
	wantLL := -(2*math.Log(0.9) + math.Log(0.9) + math.Log(0.1)) / 4
	if got := LogLoss(prob, y); math.Abs(got-wantLL) > 1e-12 {
		t.Errorf("log loss %v, want %v", got, wantLL)
	}
}

func TestWilson(t *testing.T) {
	lo, hi := Wilson(5, 10, 1.96)
	if math.Abs(lo-0.2366) > 1e-4 || math.Abs(hi-0.7634) > 1e-4 {
		t.Errorf("Wilson(5/10) = [%v, %v], want [0.2366, 0.7634]", lo, hi)
	}
	lo, hi = Wilson(0, 20, 1.96)
	if lo != 0 || math.Abs(hi-0.1611) > 1e-4 {
		t.Errorf("Wilson(0/20) = [%v, %v], want [0, 0.1611]", lo, hi)
	}
}

func TestStratifiedFolds(t *testing.T) {
	y := make([]bool, 1003)
	for i := range y {
		y[i] = i%10 == 0
	}
	folds := StratifiedFolds(y, 5, 42)
	var count, pos [5]int
	for i, f := range folds {
		count[f]++
		if y[i] {
			pos[f]++
		}
	}
	for f := range 5 {
		if count[f] < 200 || count[f] > 201 || pos[f] < 20 || pos[f] > 21 {
			t.Errorf("fold %d: %d rows, %d positives", f, count[f], pos[f])
		}
	}
	again := StratifiedFolds(y, 5, 42)
	other := StratifiedFolds(y, 5, 43)
	same, differ := true, false
	for i := range folds {
		same = same && folds[i] == again[i]
		differ = differ || folds[i] != other[i]
	}
	if !same || !differ {
		t.Errorf("same seed same folds: %v; other seed other folds: %v", same, differ)
	}
}

// synthetic draws rows with known coefficients: column 0 and 1 matter,
// column 2 is noise on a large scale.
func synthetic(n int, seed uint64) (*Matrix, []bool) {
	rng := rand.New(rand.NewPCG(seed, 7))
	x := NewMatrix(n, 3)
	y := make([]bool, n)
	for i := 0; i < n; i++ {
		a, b, c := rng.NormFloat64(), float64(rng.IntN(2)), 100*rng.NormFloat64()
		x.Set(i, 0, a)
		x.Set(i, 1, b)
		x.Set(i, 2, c)
		y[i] = rng.Float64() < Sigmoid(-0.5+1.5*a-2*b)
	}
	return x, y
}

func TestFitLogisticRecoversCoefficients(t *testing.T) {
	x, y := synthetic(40000, 1)
	for _, opt := range []LogisticOptions{{}, {Standardize: true}, {L2: 1e-6}} {
		m, err := FitLogistic(x, y, opt)
		if err != nil {
			t.Fatal(err)
		}
		if !m.Converged {
			t.Errorf("%+v: did not converge in %d iterations", opt, m.Iterations)
		}
		want := []float64{1.5, -2, 0}
		for j, w := range want {
			if math.Abs(m.Coef[j]-w) > 0.08 {
				t.Errorf("%+v: coef[%d] = %.3f, want about %v", opt, j, m.Coef[j], w)
			}
		}
		if math.Abs(m.Intercept+0.5) > 0.08 {
			t.Errorf("%+v: intercept %.3f, want about -0.5", opt, m.Intercept)
		}
		if math.Abs(m.Coef[2]*100) > 0.05 {
			t.Errorf("%+v: noise column's effect over one SD is %.4f, want about 0", opt, m.Coef[2]*100)
		}
	}
}

func TestFitLogisticL1ZeroesNoise(t *testing.T) {
	x, y := synthetic(20000, 2)
	m, err := FitLogistic(x, y, LogisticOptions{L1: 0.01, Standardize: true})
	if err != nil {
		t.Fatal(err)
	}
	if m.Coef[2] != 0 {
		t.Errorf("L1 left the noise column at %v", m.Coef[2])
	}
	if m.Coef[0] < 1 || m.Coef[1] > -1.2 {
		t.Errorf("L1 shrank the real effects too far: %v", m.Coef)
	}
	strong, err := FitLogistic(x, y, LogisticOptions{L2: 1, Standardize: true})
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(strong.Coef[0]) >= math.Abs(m.Coef[0]) {
		t.Errorf("a strong L2 penalty should shrink: %v vs %v", strong.Coef, m.Coef)
	}
}

func TestFitLogisticDeterministicAcrossCores(t *testing.T) {
	x, y := synthetic(3*chunkRows+17, 3)
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	one, err := FitLogistic(x, y, LogisticOptions{L2: 0.01, Standardize: true})
	if err != nil {
		t.Fatal(err)
	}
	runtime.GOMAXPROCS(8)
	many, err := FitLogistic(x, y, LogisticOptions{L2: 0.01, Standardize: true})
	if err != nil {
		t.Fatal(err)
	}
	if one.Intercept != many.Intercept || one.Coef[0] != many.Coef[0] || one.Coef[1] != many.Coef[1] || one.Coef[2] != many.Coef[2] {
		t.Errorf("1 core %+v, 8 cores %+v", one, many)
	}
}

func TestFitLogisticWeights(t *testing.T) {
	// For a well-specified model, weighting positives by 3 shifts the
	// intercept by log 3 and leaves the slopes alone (up to sampling noise).
	x, y := synthetic(40000, 4)
	w := make([]float64, len(y))
	for i := range w {
		w[i] = 1
		if y[i] {
			w[i] = 3
		}
	}
	plain, err := FitLogistic(x, y, LogisticOptions{})
	if err != nil {
		t.Fatal(err)
	}
	weighted, err := FitLogistic(x, y, LogisticOptions{Weights: w})
	if err != nil {
		t.Fatal(err)
	}
	if d := weighted.Intercept - plain.Intercept; math.Abs(d-math.Log(3)) > 0.01 {
		t.Errorf("intercept shift %v, want log 3 = %v", d, math.Log(3))
	}
	if math.Abs(weighted.Coef[0]-plain.Coef[0]) > 0.01 {
		t.Errorf("slopes moved: %v vs %v", weighted.Coef, plain.Coef)
	}
}

func TestFitLogisticErrors(t *testing.T) {
	x := NewMatrix(2, 1)
	if _, err := FitLogistic(x, []bool{true}, LogisticOptions{}); err == nil {
		t.Error("mismatched outcomes accepted")
	}
	if _, err := FitLogistic(NewMatrix(0, 1), nil, LogisticOptions{}); err == nil {
		t.Error("no rows accepted")
	}
	if _, err := FitLogistic(x, []bool{true, false}, LogisticOptions{L2: -1}); err == nil {
		t.Error("a negative penalty accepted")
	}
}

func noisyScores(n int, seed uint64) ([]float64, []bool) {
	rng := rand.New(rand.NewPCG(seed, 9))
	scores := make([]float64, n)
	y := make([]bool, n)
	for i := range scores {
		y[i] = rng.IntN(3) == 0
		scores[i] = float64(rng.IntN(20))
		if y[i] {
			scores[i] += 5
		}
	}
	return scores, y
}

func BenchmarkFitLogistic(b *testing.B) {
	x, y := synthetic(100000, 5)
	b.ResetTimer()
	for b.Loop() {
		if _, err := FitLogistic(x, y, LogisticOptions{L2: 1e-4, Standardize: true}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(x.Rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

func BenchmarkAUC(b *testing.B) {
	scores, y := noisyScores(1000000, 6)
	for b.Loop() {
		AUC(scores, y)
	}
}
