package learn

import (
	"errors"
	"fmt"
	"math"
	"runtime"
	"sync"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/optimize"
)

// LogisticOptions configures FitLogistic. The loss minimised is the
// weighted mean log loss plus L2/2·|w|² plus L1·|w|₁; the intercept is
// never penalised.
type LogisticOptions struct {
	L2, L1 float64
	// Weights are optional per-row weights (class weighting); nil means 1
	// for every row.
	Weights []float64
	// MaxIter bounds the optimiser's iterations; 0 means 500.
	MaxIter int
	// Tol is the gradient norm at which the fit has converged; 0 means 1e-7.
	Tol float64
	// Standardize fits on columns scaled to mean 0 and standard deviation
	// 1, so that one penalty suits columns of any scale; the coefficients
	// are still reported on the original scale.
	Standardize bool
}

// Logistic is a fitted logistic regression: P(y) = σ(Intercept + Coef·x).
type Logistic struct {
	Intercept  float64   `json:"intercept"`
	Coef       []float64 `json:"coef"`
	Iterations int       `json:"iterations"`
	Converged  bool      `json:"converged"`
}

// Logit returns the log-odds for one row.
func (m *Logistic) Logit(row []float64) float64 {
	return m.Intercept + floats.Dot(m.Coef, row)
}

// Predict returns the probability for one row.
func (m *Logistic) Predict(row []float64) float64 { return Sigmoid(m.Logit(row)) }

// Sigmoid is the logistic function, computed without overflow.
func Sigmoid(z float64) float64 {
	if z >= 0 {
		return 1 / (1 + math.Exp(-z))
	}
	e := math.Exp(z)
	return e / (1 + e)
}

// softplus is log(1+e^z) without overflow.
func softplus(z float64) float64 {
	if z > 35 {
		return z
	}
	if z < -35 {
		return math.Exp(z)
	}
	return math.Log1p(math.Exp(z))
}

// chunkRows is the unit of parallel work; partial sums are reduced in
// chunk order so the result does not depend on scheduling.
const chunkRows = 4096

// logisticProblem evaluates the loss and its gradient over the data in
// parallel. Parameters are [intercept, w...] on the (optionally)
// standardised scale.
type logisticProblem struct {
	x        *Matrix
	y        []bool
	weights  []float64
	totalW   float64
	mean, sd []float64 // per column; mean 0, sd 1 when not standardising
	l2       float64

	partLoss []float64
	partGrad [][]float64
	eff      []float64 // effective original-scale coefficients
}

func newLogisticProblem(x *Matrix, y []bool, opt LogisticOptions) (*logisticProblem, error) {
	if x.Rows != len(y) {
		return nil, fmt.Errorf("learn: %d rows but %d outcomes", x.Rows, len(y))
	}
	if x.Rows == 0 {
		return nil, errors.New("learn: no rows to fit")
	}
	if opt.Weights != nil && len(opt.Weights) != x.Rows {
		return nil, fmt.Errorf("learn: %d rows but %d weights", x.Rows, len(opt.Weights))
	}
	p := &logisticProblem{x: x, y: y, weights: opt.Weights, l2: opt.L2}
	p.totalW = float64(x.Rows)
	if opt.Weights != nil {
		p.totalW = floats.Sum(opt.Weights)
		if !(p.totalW > 0) {
			return nil, errors.New("learn: the row weights sum to zero")
		}
	}
	p.mean = make([]float64, x.Cols)
	p.sd = make([]float64, x.Cols)
	for j := range p.sd {
		p.sd[j] = 1
	}
	if opt.Standardize {
		for i := 0; i < x.Rows; i++ {
			floats.Add(p.mean, x.Row(i))
		}
		floats.Scale(1/float64(x.Rows), p.mean)
		sq := make([]float64, x.Cols)
		for i := 0; i < x.Rows; i++ {
			for j, v := range x.Row(i) {
				d := v - p.mean[j]
				sq[j] += d * d
			}
		}
		for j := range sq {
			if s := math.Sqrt(sq[j] / float64(x.Rows)); s > 1e-12 {
				p.sd[j] = s
			}
		}
	}
	chunks := (x.Rows + chunkRows - 1) / chunkRows
	p.partLoss = make([]float64, chunks)
	p.partGrad = make([][]float64, chunks)
	for c := range p.partGrad {
		p.partGrad[c] = make([]float64, x.Cols+1)
	}
	p.eff = make([]float64, x.Cols)
	return p, nil
}

// originalScale turns standardised parameters into an intercept and
// coefficients that apply to raw rows.
func (p *logisticProblem) originalScale(params []float64, coef []float64) float64 {
	b := params[0]
	for j := range coef {
		coef[j] = params[j+1] / p.sd[j]
		b -= coef[j] * p.mean[j]
	}
	return b
}

// evaluate returns the data loss (without penalties) and writes its
// gradient with respect to params into grad.
func (p *logisticProblem) evaluate(params, grad []float64) float64 {
	b := p.originalScale(params, p.eff)
	workers := runtime.GOMAXPROCS(0)
	var wg sync.WaitGroup
	next := make(chan int, len(p.partLoss))
	for c := range p.partLoss {
		next <- c
	}
	close(next)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for c := range next {
				p.chunk(c, b)
			}
		}()
	}
	wg.Wait()
	loss := 0.0
	for j := range grad {
		grad[j] = 0
	}
	// raw[j+1] = Σ r_i x_ij, raw[0] = Σ r_i; turned into the gradient on
	// the standardised scale below.
	for c := range p.partLoss {
		loss += p.partLoss[c]
		floats.Add(grad, p.partGrad[c])
	}
	sumR := grad[0]
	for j := 0; j < p.x.Cols; j++ {
		grad[j+1] = (grad[j+1] - p.mean[j]*sumR) / p.sd[j]
	}
	floats.Scale(1/p.totalW, grad)
	return loss / p.totalW
}

func (p *logisticProblem) chunk(c int, b float64) {
	lo := c * chunkRows
	hi := min(lo+chunkRows, p.x.Rows)
	g := p.partGrad[c]
	for j := range g {
		g[j] = 0
	}
	loss := 0.0
	for i := lo; i < hi; i++ {
		row := p.x.Row(i)
		z := b + floats.Dot(p.eff, row)
		w := 1.0
		if p.weights != nil {
			w = p.weights[i]
		}
		var r float64
		if p.y[i] {
			loss += w * softplus(-z)
			r = w * (Sigmoid(z) - 1)
		} else {
			loss += w * softplus(z)
			r = w * Sigmoid(z)
		}
		g[0] += r
		floats.AddScaled(g[1:], r, row)
	}
	p.partLoss[c] = loss
}

// FitLogistic fits a regularised logistic regression. With L1 = 0 it uses
// L-BFGS; with L1 > 0, accelerated proximal gradient (FISTA), which sets
// coefficients exactly to zero.
func FitLogistic(x *Matrix, y []bool, opt LogisticOptions) (*Logistic, error) {
	if opt.L2 < 0 || opt.L1 < 0 {
		return nil, errors.New("learn: penalties must not be negative")
	}
	p, err := newLogisticProblem(x, y, opt)
	if err != nil {
		return nil, err
	}
	maxIter := opt.MaxIter
	if maxIter <= 0 {
		maxIter = 500
	}
	tol := opt.Tol
	if tol <= 0 {
		tol = 1e-7
	}
	params := make([]float64, x.Cols+1)
	// Start the intercept at the base rate's log-odds: fewer iterations,
	// and the exact answer when no column carries information.
	params[0] = baseLogit(y, opt.Weights)
	var iters int
	var converged bool
	if opt.L1 > 0 {
		iters, converged = fista(p, params, opt.L2, opt.L1, maxIter, tol)
	} else {
		iters, converged, err = lbfgs(p, params, opt.L2, maxIter, tol)
		if err != nil {
			return nil, err
		}
	}
	m := &Logistic{Coef: make([]float64, x.Cols), Iterations: iters, Converged: converged}
	m.Intercept = p.originalScale(params, m.Coef)
	return m, nil
}

func baseLogit(y []bool, weights []float64) float64 {
	var pos, all float64
	for i, v := range y {
		w := 1.0
		if weights != nil {
			w = weights[i]
		}
		all += w
		if v {
			pos += w
		}
	}
	if pos == 0 || pos == all {
		return 0
	}
	return math.Log(pos / (all - pos))
}

// penalised adds the L2 penalty (not on the intercept) to a loss and its
// gradient.
func penalised(loss float64, params, grad []float64, l2 float64) float64 {
	for j := 1; j < len(params); j++ {
		loss += l2 / 2 * params[j] * params[j]
		grad[j] += l2 * params[j]
	}
	return loss
}

func lbfgs(p *logisticProblem, params []float64, l2 float64, maxIter int, tol float64) (int, bool, error) {
	// gonum asks for the value and the gradient at the same point in
	// separate calls; one pass over the data answers both.
	var lastX, lastGrad []float64
	var lastLoss float64
	eval := func(x []float64) {
		if lastX != nil && floats.Equal(lastX, x) {
			return
		}
		if lastGrad == nil {
			lastGrad = make([]float64, len(x))
		}
		lastLoss = penalised(p.evaluate(x, lastGrad), x, lastGrad, l2)
		lastX = append(lastX[:0], x...)
	}
	problem := optimize.Problem{
		Func: func(x []float64) float64 { eval(x); return lastLoss },
		Grad: func(grad, x []float64) { eval(x); copy(grad, lastGrad) },
	}
	settings := &optimize.Settings{
		GradientThreshold: tol,
		MajorIterations:   maxIter,
		Converger:         &optimize.FunctionConverge{Absolute: 1e-12, Relative: 1e-10, Iterations: 20},
	}
	res, err := optimize.Minimize(problem, params, settings, &optimize.LBFGS{})
	if res == nil {
		return 0, false, fmt.Errorf("learn: logistic regression did not fit: %w", err)
	}
	copy(params, res.X)
	converged := res.Status == optimize.GradientThreshold || res.Status == optimize.FunctionConvergence
	// An iteration limit is not an error: the parameters are the best
	// found, and Converged says so.
	if err != nil && !converged && res.Status != optimize.IterationLimit {
		return res.Stats.MajorIterations, false, fmt.Errorf("learn: logistic regression did not fit: %w", err)
	}
	return res.Stats.MajorIterations, converged, nil
}

// fista minimises the smooth part (log loss + L2) with accelerated
// proximal gradient steps, soft-thresholding the coefficients for L1.
func fista(p *logisticProblem, params []float64, l2, l1 float64, maxIter int, tol float64) (int, bool) {
	n := len(params)
	grad := make([]float64, n)
	yk := append([]float64(nil), params...)
	prev := append([]float64(nil), params...)
	cand := make([]float64, n)
	step := 1.0
	t := 1.0
	smooth := func(x, g []float64) float64 { return penalised(p.evaluate(x, g), x, g, l2) }
	objective := func(x []float64) float64 {
		g := make([]float64, n)
		v := smooth(x, g)
		for j := 1; j < n; j++ {
			v += l1 * math.Abs(x[j])
		}
		return v
	}
	lastObj := objective(params)
	for it := 1; it <= maxIter; it++ {
		fy := smooth(yk, grad)
		// Backtracking: shrink the step until the quadratic upper bound holds.
		for {
			for j := range cand {
				cand[j] = yk[j] - step*grad[j]
				if j > 0 {
					cand[j] = softThreshold(cand[j], step*l1)
				}
			}
			g2 := make([]float64, n)
			fc := smooth(cand, g2)
			bound := fy
			for j := range cand {
				d := cand[j] - yk[j]
				bound += grad[j]*d + d*d/(2*step)
			}
			if fc <= bound+1e-15 || step < 1e-12 {
				break
			}
			step /= 2
		}
		tNext := (1 + math.Sqrt(1+4*t*t)) / 2
		moved := 0.0
		for j := range params {
			prev[j] = params[j]
			params[j] = cand[j]
			yk[j] = params[j] + (t-1)/tNext*(params[j]-prev[j])
			moved = math.Max(moved, math.Abs(params[j]-prev[j]))
		}
		t = tNext
		obj := objective(params)
		if obj > lastObj {
			// Restart the momentum when it overshoots.
			t = 1
			copy(yk, params)
		}
		if moved/step < tol || math.Abs(lastObj-obj) < 1e-12*math.Max(1, math.Abs(obj)) {
			return it, true
		}
		lastObj = obj
	}
	return maxIter, false
}

func softThreshold(v, k float64) float64 {
	switch {
	case v > k:
		return v - k
	case v < -k:
		return v + k
	}
	return 0
}
