package learn

import (
	"cmp"
	"math"
	"math/rand/v2"
	"slices"
)

// AUC is the area under the ROC curve: the probability that a random
// positive scores above a random negative, ties counting half. It is NaN
// when either class is empty.
func AUC(scores []float64, y []bool) float64 {
	order := orderBy(scores, false)
	var rankSumPos float64
	var pos, neg int
	for i := 0; i < len(order); {
		j := i
		for j < len(order) && scores[order[j]] == scores[order[i]] {
			j++
		}
		// Ranks i+1..j share their mean.
		mid := float64(i+1+j) / 2
		for _, k := range order[i:j] {
			if y[k] {
				rankSumPos += mid
				pos++
			} else {
				neg++
			}
		}
		i = j
	}
	if pos == 0 || neg == 0 {
		return math.NaN()
	}
	return (rankSumPos - float64(pos)*float64(pos+1)/2) / (float64(pos) * float64(neg))
}

// orderBy returns row indices sorted by score (descending when desc),
// ties in row order so that results are reproducible.
func orderBy(scores []float64, desc bool) []int {
	order := make([]int, len(scores))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int {
		if desc {
			a, b = b, a
		}
		return cmp.Compare(scores[a], scores[b])
	})
	return order
}

// ROCPoint is one point of a ROC curve: treating scores ≥ Threshold as
// positive gives these false and true positive rates. The first point's
// threshold is just above the highest score (a finite number, so that
// reports encode it as JSON).
type ROCPoint struct {
	Threshold float64 `json:"threshold"`
	FPR       float64 `json:"fpr"`
	TPR       float64 `json:"tpr"`
}

// ROC returns the ROC curve from (0,0) to (1,1), one point per distinct
// score, thinned to at most maxPoints (0 means no limit) while keeping
// both ends.
func ROC(scores []float64, y []bool, maxPoints int) []ROCPoint {
	order := orderBy(scores, true)
	var pos, neg int
	for _, v := range y {
		if v {
			pos++
		} else {
			neg++
		}
	}
	top := 0.0
	if len(order) > 0 {
		top = math.Nextafter(scores[order[0]], math.Inf(1))
	}
	points := []ROCPoint{{Threshold: top}}
	var tp, fp int
	for i := 0; i < len(order); {
		j := i
		for j < len(order) && scores[order[j]] == scores[order[i]] {
			if y[order[j]] {
				tp++
			} else {
				fp++
			}
			j++
		}
		points = append(points, ROCPoint{Threshold: scores[order[i]], FPR: rate(fp, neg), TPR: rate(tp, pos)})
		i = j
	}
	if maxPoints > 1 && len(points) > maxPoints {
		thin := make([]ROCPoint, 0, maxPoints)
		for k := 0; k < maxPoints; k++ {
			thin = append(thin, points[k*(len(points)-1)/(maxPoints-1)])
		}
		points = thin
	}
	return points
}

func rate(n, of int) float64 {
	if of == 0 {
		return 0
	}
	return float64(n) / float64(of)
}

// Confusion counts the four outcomes of a yes/no decision.
type Confusion struct {
	TP int `json:"tp"`
	FP int `json:"fp"`
	TN int `json:"tn"`
	FN int `json:"fn"`
}

// ConfusionAt treats scores ≥ threshold as predicted positive.
func ConfusionAt(scores []float64, y []bool, threshold float64) Confusion {
	var c Confusion
	for i, s := range scores {
		switch {
		case s >= threshold && y[i]:
			c.TP++
		case s >= threshold:
			c.FP++
		case y[i]:
			c.FN++
		default:
			c.TN++
		}
	}
	return c
}

// Precision is TP/(TP+FP): the conversion rate of the leads picked.
func (c Confusion) Precision() float64 { return rate(c.TP, c.TP+c.FP) }

// Recall is TP/(TP+FN): the share of converters that were picked.
func (c Confusion) Recall() float64 { return rate(c.TP, c.TP+c.FN) }

// F1 is the harmonic mean of precision and recall.
func (c Confusion) F1() float64 {
	p, r := c.Precision(), c.Recall()
	if p+r == 0 {
		return 0
	}
	return 2 * p * r / (p + r)
}

// Accuracy is the share of correct decisions.
func (c Confusion) Accuracy() float64 { return rate(c.TP+c.TN, c.TP+c.TN+c.FP+c.FN) }

// Bin is one equal-count slice of leads ranked by score, best first.
type Bin struct {
	Lo        float64 `json:"lo"`
	Hi        float64 `json:"hi"`
	MeanScore float64 `json:"mean_score"`
	Count     int     `json:"count"`
	Positives int     `json:"positives"`
	// Rate is the conversion rate in the bin; Lift, that rate over the
	// base rate.
	Rate float64 `json:"rate"`
	Lift float64 `json:"lift"`
	// CumCount and CumPositives are the shares of all leads and of all
	// converters in this bin and the bins above it: the gains curve.
	CumCount     float64 `json:"cum_count"`
	CumPositives float64 `json:"cum_positives"`
}

// QuantileBins splits leads into n equal-count bins by score, highest
// first (bin 0 is the top decile when n is 10).
func QuantileBins(scores []float64, y []bool, n int) []Bin {
	if n <= 0 || len(scores) == 0 {
		return nil
	}
	n = min(n, len(scores))
	order := orderBy(scores, true)
	var totalPos int
	for _, v := range y {
		if v {
			totalPos++
		}
	}
	base := rate(totalPos, len(y))
	bins := make([]Bin, n)
	var cumCount, cumPos int
	for b := range bins {
		lo, hi := b*len(order)/n, (b+1)*len(order)/n
		bin := &bins[b]
		bin.Hi, bin.Lo = scores[order[lo]], scores[order[hi-1]]
		var sum float64
		for _, k := range order[lo:hi] {
			sum += scores[k]
			if y[k] {
				bin.Positives++
			}
		}
		bin.Count = hi - lo
		bin.MeanScore = sum / float64(bin.Count)
		bin.Rate = rate(bin.Positives, bin.Count)
		if base > 0 {
			bin.Lift = bin.Rate / base
		}
		cumCount += bin.Count
		cumPos += bin.Positives
		bin.CumCount = rate(cumCount, len(order))
		bin.CumPositives = rate(cumPos, totalPos)
	}
	return bins
}

// CalibrationBin compares predicted with observed conversion in one
// equal-count slice of leads.
type CalibrationBin struct {
	MeanPredicted float64 `json:"mean_predicted"`
	Observed      float64 `json:"observed"`
	Count         int     `json:"count"`
}

// Calibration splits leads into n equal-count bins by predicted
// probability, lowest first.
func Calibration(prob []float64, y []bool, n int) []CalibrationBin {
	if n <= 0 || len(prob) == 0 {
		return nil
	}
	n = min(n, len(prob))
	order := orderBy(prob, false)
	bins := make([]CalibrationBin, n)
	for b := range bins {
		lo, hi := b*len(order)/n, (b+1)*len(order)/n
		var sum float64
		var pos int
		for _, k := range order[lo:hi] {
			sum += prob[k]
			if y[k] {
				pos++
			}
		}
		bins[b] = CalibrationBin{MeanPredicted: sum / float64(hi-lo), Observed: rate(pos, hi-lo), Count: hi - lo}
	}
	return bins
}

// LogLoss is the mean negative log-likelihood of the outcomes, with
// probabilities clipped away from 0 and 1.
func LogLoss(prob []float64, y []bool) float64 {
	const eps = 1e-15
	var sum float64
	for i, p := range prob {
		p = math.Min(math.Max(p, eps), 1-eps)
		if y[i] {
			sum -= math.Log(p)
		} else {
			sum -= math.Log(1 - p)
		}
	}
	return sum / float64(len(prob))
}

// Brier is the mean squared difference between probability and outcome.
func Brier(prob []float64, y []bool) float64 {
	var sum float64
	for i, p := range prob {
		d := p
		if y[i] {
			d = p - 1
		}
		sum += d * d
	}
	return sum / float64(len(prob))
}

// Wilson returns the Wilson score interval of a rate of successes out of
// n at z standard errors (1.96 for 95%). It stays inside [0, 1] and is
// sensible for small n and rates near 0 or 1, unlike the normal
// approximation.
func Wilson(successes, n int, z float64) (lo, hi float64) {
	if n == 0 {
		return 0, 1
	}
	nf := float64(n)
	p := float64(successes) / nf
	z2 := z * z
	centre := (p + z2/(2*nf)) / (1 + z2/nf)
	half := z / (1 + z2/nf) * math.Sqrt(p*(1-p)/nf+z2/(4*nf*nf))
	return math.Max(0, centre-half), math.Min(1, centre+half)
}

// StratifiedFolds assigns each row a fold in 0..k-1 so that every fold
// has nearly the same number of positives and of negatives. The
// assignment depends only on y, k and seed.
func StratifiedFolds(y []bool, k int, seed uint64) []int {
	folds := make([]int, len(y))
	if k <= 1 {
		return folds
	}
	rng := rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))
	var pos, neg []int
	for i, v := range y {
		if v {
			pos = append(pos, i)
		} else {
			neg = append(neg, i)
		}
	}
	// Negatives continue the round-robin where positives stopped, so fold
	// sizes differ by at most one overall.
	offset := 0
	for _, group := range [][]int{pos, neg} {
		group = slices.Clone(group)
		rng.Shuffle(len(group), func(a, b int) { group[a], group[b] = group[b], group[a] })
		for r, i := range group {
			folds[i] = (offset + r) % k
		}
		offset = (offset + len(group)) % k
	}
	return folds
}
