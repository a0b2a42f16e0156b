package predict

import (
	"errors"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"sync"

	"github.com/leadscore/leadscore/learn"
)

// GBDTOptions tune gradient-boosted trees on log loss.
type GBDTOptions struct {
	// Rounds is the most trees grown; early stopping usually ends sooner.
	// 0 means 1000.
	Rounds int `json:"rounds"`
	// LearningRate shrinks each tree. 0 means 0.1.
	LearningRate float64 `json:"learning_rate"`
	// MaxDepth bounds each tree. 0 means 6.
	MaxDepth int `json:"max_depth"`
	// MinLeaf is the fewest training rows in a leaf. 0 means max(20,
	// rows/400): leaves of a few dozen leads fit noise that does not hold
	// for next month's leads.
	MinLeaf int `json:"min_leaf"`
	// MinHessian is the least hessian weight in a leaf. 0 means 1e-3.
	MinHessian float64 `json:"min_hessian"`
	// L2 penalises leaf values. 0 means 1.
	L2 float64 `json:"l2"`
	// MaxBins bounds the quantile bins per feature (at most 255, so a bin
	// fits a byte). 0 means 255.
	MaxBins int `json:"max_bins"`
	// EarlyStop ends training when the validation loss has not improved for
	// this many rounds. 0 means 50; negative disables it.
	EarlyStop int `json:"early_stop"`
	// Validation is the share of training rows held out (stratified) for
	// early stopping and calibration. 0 means 0.1.
	Validation float64 `json:"validation"`
	// PositiveWeight weights converted rows (class weighting); 0 means 1.
	// Calibration on the held-out rows undoes the shift it causes in
	// probabilities.
	PositiveWeight float64 `json:"positive_weight,omitempty"`
	// NoRefit keeps the model trained without its validation part. By
	// default, once early stopping has chosen the number of trees, training
	// runs again on every row with that many trees (calibration still uses
	// the first model's held-out scores).
	NoRefit bool `json:"no_refit,omitempty"`
	// Seed makes the validation split reproducible.
	Seed uint64 `json:"seed"`
	// Workers bounds parallelism; 0 means all cores. Results do not depend
	// on it.
	Workers int `json:"-"`
}

func (o GBDTOptions) withDefaults() GBDTOptions {
	if o.Rounds == 0 {
		o.Rounds = 1000
	}
	if o.LearningRate == 0 {
		o.LearningRate = 0.1
	}
	if o.MaxDepth == 0 {
		o.MaxDepth = 6
	}
	if o.MinHessian == 0 {
		o.MinHessian = 1e-3
	}
	if o.L2 == 0 {
		o.L2 = 1
	}
	if o.MaxBins == 0 || o.MaxBins > 255 {
		o.MaxBins = 255
	}
	if o.EarlyStop == 0 {
		o.EarlyStop = 50
	}
	if o.Validation == 0 {
		o.Validation = 0.1
	}
	if o.PositiveWeight == 0 {
		o.PositiveWeight = 1
	}
	if o.Workers <= 0 {
		o.Workers = runtime.GOMAXPROCS(0)
	}
	return o
}

// Node is one node of a tree. A leaf has Left = -1 and holds Value; an
// inner node sends a row left when row[Feature] <= Threshold. Cover is the
// hessian weight of the training rows that reached the node, which TreeSHAP
// needs.
type Node struct {
	Feature   int     `json:"f,omitempty"`
	Threshold float64 `json:"t,omitempty"`
	Left      int     `json:"l"`
	Right     int     `json:"r,omitempty"`
	Value     float64 `json:"v,omitempty"`
	Cover     float64 `json:"c"`
}

// Tree is a regression tree on the log-odds scale; node 0 is the root.
type Tree struct {
	Nodes []Node `json:"nodes"`
}

// GBDT is a trained ensemble: the raw score (log-odds) of a row is Base
// plus the leaf values of every tree.
type GBDT struct {
	Base  float64 `json:"base"`
	Trees []Tree  `json:"trees"`
	// Rounds is the number of trees kept (the best validation round).
	Rounds int `json:"rounds"`
	// ValidationLoss is the held-out log loss at the kept round.
	ValidationLoss float64 `json:"validation_loss"`
	depth          int
}

// Raw returns the log-odds of a row.
func (m *GBDT) Raw(row []float64) float64 {
	s := m.Base
	for t := range m.Trees {
		s += m.Trees[t].leaf(row).Value
	}
	return s
}

func (t *Tree) leaf(row []float64) *Node {
	n := &t.Nodes[0]
	for n.Left >= 0 {
		if row[n.Feature] <= n.Threshold {
			n = &t.Nodes[n.Left]
		} else {
			n = &t.Nodes[n.Right]
		}
	}
	return n
}

// binned is the training matrix as quantile bin codes, column-major so that
// building a feature's histogram reads one contiguous column.
type binned struct {
	rows, cols int
	codes      []uint8
	// edges[j][b] is the largest value in bin b of feature j.
	edges [][]float64
}

func (b *binned) col(j int) []uint8 { return b.codes[j*b.rows : (j+1)*b.rows] }

// binFeatures computes per-feature bin edges from (an even sample of) the
// given rows of x.
func binFeatures(x *learn.Matrix, rows []int, maxBins, workers int) [][]float64 {
	edges := make([][]float64, x.Cols)
	const sample = 200_000
	step := max(1, len(rows)/sample)
	parallelFor(x.Cols, workers, func(j int) {
		vals := make([]float64, 0, len(rows)/step+1)
		for r := 0; r < len(rows); r += step {
			vals = append(vals, x.Data[rows[r]*x.Cols+j])
		}
		slices.Sort(vals)
		distinct := slices.Compact(slices.Clone(vals))
		if len(distinct) <= maxBins {
			edges[j] = distinct
			return
		}
		var e []float64
		for b := 1; b <= maxBins; b++ {
			q := vals[min(len(vals)-1, b*len(vals)/maxBins)]
			if b == maxBins {
				q = vals[len(vals)-1]
			}
			if len(e) == 0 || q > e[len(e)-1] {
				e = append(e, q)
			}
		}
		edges[j] = e
	})
	return edges
}

// binOf returns the bin of value v: the first bin whose largest value is
// at least v (values beyond the last edge go to the last bin).
func binOf(edges []float64, v float64) uint8 {
	b, _ := slices.BinarySearch(edges, v)
	if b >= len(edges) {
		b = len(edges) - 1
	}
	return uint8(b)
}

func bin(x *learn.Matrix, rows []int, edges [][]float64, workers int) *binned {
	b := &binned{rows: len(rows), cols: x.Cols, edges: edges, codes: make([]uint8, len(rows)*x.Cols)}
	parallelFor(x.Cols, workers, func(j int) {
		col := b.col(j)
		for r, i := range rows {
			col[r] = binOf(edges[j], x.Data[i*x.Cols+j])
		}
	})
	return b
}

// parallelFor runs fn(0..n-1) on workers goroutines.
func parallelFor(n, workers int, fn func(i int)) {
	if workers <= 1 || n <= 1 {
		for i := 0; i < n; i++ {
			fn(i)
		}
		return
	}
	var next sync.Mutex
	k := 0
	var wg sync.WaitGroup
	for w := 0; w < min(workers, n); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				next.Lock()
				i := k
				k++
				next.Unlock()
				if i >= n {
					return
				}
				fn(i)
			}
		}()
	}
	wg.Wait()
}

// chunks runs fn over [0,n) split into contiguous ranges on workers
// goroutines.
func chunks(n, workers int, fn func(lo, hi int)) {
	if workers <= 1 || n < 4096 {
		fn(0, n)
		return
	}
	size := (n + workers - 1) / workers
	var wg sync.WaitGroup
	for lo := 0; lo < n; lo += size {
		wg.Add(1)
		go func(lo, hi int) {
			defer wg.Done()
			fn(lo, hi)
		}(lo, min(n, lo+size))
	}
	wg.Wait()
}

// split divides rows (indices into x) into a training and a stratified
// validation part.
func split(y []bool, rows []int, frac float64, seed uint64) (train, valid []int) {
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	var pos, neg []int
	for _, i := range rows {
		if y[i] {
			pos = append(pos, i)
		} else {
			neg = append(neg, i)
		}
	}
	for _, group := range [][]int{pos, neg} {
		rng.Shuffle(len(group), func(a, b int) { group[a], group[b] = group[b], group[a] })
		nv := int(math.Round(float64(len(group)) * frac))
		valid = append(valid, group[:nv]...)
		train = append(train, group[nv:]...)
	}
	slices.Sort(train)
	slices.Sort(valid)
	return train, valid
}

type histBin struct {
	g, h float64
	n    int32
}

// FitGBDT trains boosted trees on rows of x (nil = all rows), holding out
// a stratified validation part for early stopping. It returns the model
// and the held-out rows with their raw scores, for calibration.
func FitGBDT(x *learn.Matrix, y []bool, rows []int, opt GBDTOptions) (*GBDT, []int, []float64, error) {
	opt = opt.withDefaults()
	if rows == nil {
		rows = make([]int, x.Rows)
		for i := range rows {
			rows[i] = i
		}
	}
	if len(y) != x.Rows {
		return nil, nil, nil, errors.New("predict: outcomes and rows differ in number")
	}
	trainRows, validRows := split(y, rows, opt.Validation, opt.Seed)
	if opt.EarlyStop < 0 {
		trainRows, validRows = rows, nil
	}
	npos := 0
	for _, i := range trainRows {
		if y[i] {
			npos++
		}
	}
	if x.Cols == 0 {
		return nil, nil, nil, errors.New("predict: no feature columns")
	}
	if npos == 0 || npos == len(trainRows) {
		return nil, nil, nil, errors.New("predict: training rows need both outcomes")
	}
	edges := binFeatures(x, trainRows, opt.MaxBins, opt.Workers)
	bx := bin(x, trainRows, edges, opt.Workers)
	vx := bin(x, validRows, edges, opt.Workers)
	n := len(trainRows)
	if opt.MinLeaf == 0 {
		opt.MinLeaf = max(20, n/400)
	}
	w := make([]float64, n)
	ty := make([]bool, n)
	sw, swp := 0.0, 0.0
	for r, i := range trainRows {
		ty[r] = y[i]
		w[r] = 1
		if y[i] {
			w[r] = opt.PositiveWeight
			swp += w[r]
		}
		sw += w[r]
	}
	m := &GBDT{Base: math.Log(swp / (sw - swp)), depth: opt.MaxDepth}
	f := make([]float64, n)
	for r := range f {
		f[r] = m.Base
	}
	vy := make([]bool, len(validRows))
	vf := make([]float64, len(validRows))
	for r, i := range validRows {
		vy[r] = y[i]
		vf[r] = m.Base
	}
	g := make([]float64, n)
	h := make([]float64, n)
	grower := newGrower(bx, opt)
	best, bestLoss := 0, math.Inf(1)
	for round := 0; round < opt.Rounds; round++ {
		chunks(n, opt.Workers, func(lo, hi int) {
			for r := lo; r < hi; r++ {
				p := sigmoid(f[r])
				t := 0.0
				if ty[r] {
					t = 1
				}
				g[r] = (p - t) * w[r]
				h[r] = max(p*(1-p), 1e-16) * w[r]
			}
		})
		tree, leafOf := grower.grow(g, h)
		m.Trees = append(m.Trees, tree)
		chunks(n, opt.Workers, func(lo, hi int) {
			for r := lo; r < hi; r++ {
				f[r] += tree.Nodes[leafOf[r]].Value
			}
		})
		if len(validRows) == 0 {
			best = round + 1
			continue
		}
		chunks(len(validRows), opt.Workers, func(lo, hi int) {
			for r := lo; r < hi; r++ {
				vf[r] += tree.binnedLeaf(vx, r, grower.bins).Value
			}
		})
		loss := logLossRaw(vf, vy)
		if loss < bestLoss-1e-12 {
			best, bestLoss = round+1, loss
		} else if round+1-best >= opt.EarlyStop {
			break
		}
	}
	m.Trees = m.Trees[:best]
	m.Rounds = best
	m.ValidationLoss = bestLoss
	if len(validRows) == 0 {
		m.ValidationLoss = 0
		return m, nil, nil, nil
	}
	raw := make([]float64, len(validRows))
	for r, i := range validRows {
		raw[r] = m.Raw(x.Row(i))
	}
	if !opt.NoRefit {
		again := opt
		again.Rounds, again.EarlyStop, again.NoRefit = best, -1, true
		full, _, _, err := FitGBDT(x, y, rows, again)
		if err != nil {
			return nil, nil, nil, err
		}
		full.ValidationLoss = m.ValidationLoss
		m = full
	}
	return m, validRows, raw, nil
}

func sigmoid(z float64) float64 { return learn.Sigmoid(z) }

func logLossRaw(f []float64, y []bool) float64 {
	s := 0.0
	for i, z := range f {
		// log(1+e^z) - y*z, computed stably.
		sp := math.Max(z, 0) + math.Log1p(math.Exp(-math.Abs(z)))
		if y[i] {
			s += sp - z
		} else {
			s += sp
		}
	}
	return s / float64(max(1, len(f)))
}

// grower grows one tree depth by depth on histograms of gradient sums.
type grower struct {
	x    *binned
	opt  GBDTOptions
	idx  []int32 // training rows, partitioned so that each node's rows are contiguous
	tmp  []int32
	leaf []int32 // node of each row after growing
	// bins[node] is the bin threshold of an inner node, used to route
	// binned validation rows.
	bins []uint8
}

func newGrower(x *binned, opt GBDTOptions) *grower {
	return &grower{x: x, opt: opt, idx: make([]int32, x.rows), tmp: make([]int32, x.rows), leaf: make([]int32, x.rows)}
}

type pending struct {
	node       int
	lo, hi     int // segment of idx
	hist       []histBin
	g, h       float64
	depth      int
	splitGain  float64
	feature    int
	bin        int
	leftG      float64
	leftH      float64
	leftN      int
	splittable bool
}

func (t *Tree) binnedLeaf(x *binned, r int, bins []uint8) *Node {
	k := 0
	for t.Nodes[k].Left >= 0 {
		nd := &t.Nodes[k]
		if x.codes[nd.Feature*x.rows+r] <= bins[k] {
			k = nd.Left
		} else {
			k = nd.Right
		}
	}
	return &t.Nodes[k]
}

// grow builds one tree from per-row gradients and hessians and returns it
// with each training row's leaf.
func (gr *grower) grow(g, h []float64) (Tree, []int32) {
	x, opt := gr.x, gr.opt
	for i := range gr.idx {
		gr.idx[i] = int32(i)
	}
	nb := 256
	tree := Tree{}
	gr.bins = gr.bins[:0]
	newNode := func(cover float64) int {
		tree.Nodes = append(tree.Nodes, Node{Left: -1, Cover: cover})
		gr.bins = append(gr.bins, 0)
		return len(tree.Nodes) - 1
	}
	root := &pending{lo: 0, hi: x.rows, hist: gr.histogram(0, x.rows, g, h)}
	for _, b := range root.hist[:nb] {
		root.g += b.g
		root.h += b.h
	}
	root.node = newNode(root.h)
	level := []*pending{root}
	for len(level) > 0 {
		parallelFor(len(level), 1, func(k int) { gr.bestSplit(level[k]) })
		var next []*pending
		for _, p := range level {
			nd := &tree.Nodes[p.node]
			if !p.splittable {
				nd.Value = -p.g / (p.h + opt.L2) * opt.LearningRate
				for _, r := range gr.idx[p.lo:p.hi] {
					gr.leaf[r] = int32(p.node)
				}
				continue
			}
			mid := gr.partition(p.lo, p.hi, p.feature, uint8(p.bin))
			left := &pending{lo: p.lo, hi: mid, g: p.leftG, h: p.leftH, depth: p.depth + 1}
			right := &pending{lo: mid, hi: p.hi, g: p.g - p.leftG, h: p.h - p.leftH, depth: p.depth + 1}
			// Build the smaller child's histogram and derive the larger's
			// by subtraction from the parent.
			small, large := left, right
			if mid-p.lo > p.hi-mid {
				small, large = right, left
			}
			if p.depth+1 < opt.MaxDepth {
				small.hist = gr.histogram(small.lo, small.hi, g, h)
				large.hist = p.hist
				for i := range large.hist {
					large.hist[i].g -= small.hist[i].g
					large.hist[i].h -= small.hist[i].h
					large.hist[i].n -= small.hist[i].n
				}
			}
			left.node = newNode(left.h)
			right.node = newNode(right.h)
			nd = &tree.Nodes[p.node]
			nd.Feature = p.feature
			nd.Threshold = x.edges[p.feature][p.bin]
			nd.Left, nd.Right = left.node, right.node
			gr.bins[p.node] = uint8(p.bin)
			next = append(next, left, right)
		}
		level = next
	}
	return tree, gr.leaf
}

// histogram sums gradients, hessians and counts per feature and bin over
// the rows idx[lo:hi], one feature per goroutine at a time.
func (gr *grower) histogram(lo, hi int, g, h []float64) []histBin {
	x := gr.x
	hist := make([]histBin, x.cols*256)
	rows := gr.idx[lo:hi]
	parallelFor(x.cols, gr.opt.Workers, func(j int) {
		col := x.col(j)
		hb := hist[j*256 : (j+1)*256]
		for _, r := range rows {
			b := &hb[col[r]]
			b.g += g[r]
			b.h += h[r]
			b.n++
		}
	})
	return hist
}

// bestSplit finds the split of p with the largest gain, if any.
func (gr *grower) bestSplit(p *pending) {
	opt := gr.opt
	p.splittable = false
	if p.depth >= opt.MaxDepth || p.hist == nil || p.hi-p.lo < 2*opt.MinLeaf {
		return
	}
	type cand struct {
		gain       float64
		bin        int
		lg, lh     float64
		ln         int
		splittable bool
	}
	cands := make([]cand, gr.x.cols)
	parent := p.g * p.g / (p.h + opt.L2)
	total := p.hi - p.lo
	parallelFor(gr.x.cols, gr.opt.Workers, func(j int) {
		hb := p.hist[j*256 : (j+1)*256]
		nbins := len(gr.x.edges[j])
		var lg, lh float64
		ln := 0
		best := cand{}
		for b := 0; b < nbins-1; b++ {
			lg += hb[b].g
			lh += hb[b].h
			ln += int(hb[b].n)
			if ln < opt.MinLeaf || lh < opt.MinHessian {
				continue
			}
			rn := total - ln
			rg, rh := p.g-lg, p.h-lh
			if rn < opt.MinLeaf || rh < opt.MinHessian {
				break
			}
			gain := lg*lg/(lh+opt.L2) + rg*rg/(rh+opt.L2) - parent
			if gain > best.gain {
				best = cand{gain: gain, bin: b, lg: lg, lh: lh, ln: ln, splittable: true}
			}
		}
		cands[j] = best
	})
	for j, c := range cands {
		if c.splittable && c.gain > 1e-12 && (!p.splittable || c.gain > p.splitGain) {
			p.splittable, p.splitGain, p.feature, p.bin = true, c.gain, j, c.bin
			p.leftG, p.leftH, p.leftN = c.lg, c.lh, c.ln
		}
	}
}

// partition reorders idx[lo:hi] stably so that rows going left come first,
// and returns where the right part starts.
func (gr *grower) partition(lo, hi, feature int, b uint8) int {
	col := gr.x.col(feature)
	seg := gr.idx[lo:hi]
	l := 0
	right := gr.tmp[:0]
	for _, i := range seg {
		if col[i] <= b {
			seg[l] = i
			l++
		} else {
			right = append(right, i)
		}
	}
	copy(seg[l:], right)
	return lo + l
}
