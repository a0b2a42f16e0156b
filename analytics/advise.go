package analytics

import (
	"fmt"
	"slices"
	"time"

	"github.com/leadscore/leadscore"
)

// Target is what a threshold should achieve. Exactly one of its fields is
// set.
type Target struct {
	// CapacityPerWeek: sales can work this many MQLs a week; the advice is
	// the lowest threshold whose MQL volume stays within it.
	CapacityPerWeek float64 `json:"capacity_per_week,omitempty"`
	// MinRate: MQLs must convert at least this often (0..1); the advice is
	// the lowest threshold that reaches it, which keeps the most MQLs.
	MinRate float64 `json:"min_rate,omitempty"`
	// BestF1 asks for the threshold that balances precision and recall.
	BestF1 bool `json:"best_f1,omitempty"`
}

func (t Target) String() string {
	switch {
	case t.CapacityPerWeek > 0:
		return fmt.Sprintf("at most %g MQLs per week", t.CapacityPerWeek)
	case t.MinRate > 0:
		return fmt.Sprintf("MQLs converting at least %.1f%%", 100*t.MinRate)
	}
	return "best F1"
}

// Advice is a suggested MQL threshold and the trade-offs around it.
type Advice struct {
	Target Target `json:"target"`
	// Met is false when no threshold reaches the target; Threshold is then
	// the closest one.
	Met       bool     `json:"met"`
	Threshold float64  `json:"threshold"`
	Current   *float64 `json:"current_mql,omitempty"`
	// Weeks is the span the weekly volumes are computed over.
	Weeks float64 `json:"weeks"`
	// Table holds the suggested threshold and a few on either side,
	// lowest first.
	Table   []TradeOff `json:"table"`
	Suggest TradeOff   `json:"suggested"`
	// AtCurrent is the current MQL threshold's row, for comparison.
	AtCurrent *TradeOff `json:"at_current,omitempty"`
}

// TradeOff is what one threshold gives.
type TradeOff struct {
	Threshold float64 `json:"threshold"`
	MQLs      int     `json:"mqls"`
	PerWeek   float64 `json:"per_week"`
	// Precision is the conversion rate of the MQLs (with known outcomes);
	// Recall the share of all converters that are MQLs.
	Precision float64 `json:"precision"`
	Recall    float64 `json:"recall"`
	F1        float64 `json:"f1"`
}

// tradeOffRows is how many thresholds are shown on either side of the
// suggestion.
const tradeOffRows = 5

// Weeks is the span of the leads' creation dates in weeks (at least one):
// the period MQL volume is spread over.
func (a *Analysis) Weeks() float64 {
	var lo, hi time.Time
	for i := range a.Leads {
		t := a.Leads[i].Created
		if t.IsZero() {
			continue
		}
		if lo.IsZero() || t.Before(lo) {
			lo = t
		}
		if t.After(hi) {
			hi = t
		}
	}
	if lo.IsZero() {
		return 1
	}
	return max(1, hi.Sub(lo).Hours()/(24*7))
}

// Advise suggests a threshold for target. weeks is the period the leads
// came in over (0: the span of their creation dates).
func (a *Analysis) Advise(target Target, weeks float64) (*Advice, error) {
	n := 0
	for _, set := range []bool{target.CapacityPerWeek > 0, target.MinRate > 0, target.BestF1} {
		if set {
			n++
		}
	}
	if n != 1 {
		return nil, leadscore.Errorf(leadscore.CodeInvalid, "give exactly one target: a capacity per week, a minimum conversion rate or best F1")
	}
	if target.MinRate > 1 {
		return nil, leadscore.Errorf(leadscore.CodeInvalid, "a conversion rate is between 0 and 1 (%g given)", target.MinRate)
	}
	if weeks <= 0 {
		weeks = a.Weeks()
	}
	rows := a.tradeOffs(weeks)
	if len(rows) == 0 {
		return nil, leadscore.Errorf(leadscore.CodeInvalid, "no leads to advise on")
	}
	if (target.MinRate > 0 || target.BestF1) && a.convertedCount() == 0 {
		return nil, leadscore.Errorf(leadscore.CodeInvalid, "no lead with a known outcome converted; a conversion target needs outcomes")
	}
	adv := &Advice{Target: target, Weeks: weeks, Current: a.Spec.MQL}
	pick := -1
	switch {
	case target.CapacityPerWeek > 0:
		// Volume falls as the threshold rises: the first row within
		// capacity keeps the most MQLs.
		for i, r := range rows {
			if r.PerWeek <= target.CapacityPerWeek {
				pick = i
				break
			}
		}
		if pick < 0 {
			pick = len(rows) - 1
		} else {
			adv.Met = true
		}
	case target.MinRate > 0:
		best := 0
		for i, r := range rows {
			if r.MQLs > 0 && r.Precision >= target.MinRate {
				pick = i
				break
			}
			if r.Precision > rows[best].Precision {
				best = i
			}
		}
		if pick < 0 {
			pick = best
		} else {
			adv.Met = true
		}
	default:
		pick = 0
		for i, r := range rows {
			if r.F1 > rows[pick].F1 {
				pick = i
			}
		}
		adv.Met = true
	}
	adv.Threshold = rows[pick].Threshold
	adv.Suggest = rows[pick]
	lo, hi := max(0, pick-tradeOffRows), min(len(rows), pick+tradeOffRows+1)
	adv.Table = rows[lo:hi]
	if a.Spec.MQL != nil {
		for _, r := range rows {
			if r.Threshold >= *a.Spec.MQL {
				cur := r
				cur.Threshold = *a.Spec.MQL
				adv.AtCurrent = &cur
				break
			}
		}
	}
	return adv, nil
}

func (a *Analysis) convertedCount() int {
	n := 0
	for i := range a.Leads {
		if a.Leads[i].Outcome.Known && a.Leads[i].Outcome.Converted {
			n++
		}
	}
	return n
}

// tradeOffs returns one row per distinct score, lowest threshold first: a
// threshold between two scores qualifies the same leads as the higher one.
func (a *Analysis) tradeOffs(weeks float64) []TradeOff {
	type point struct {
		score       float64
		all, tp, fp int
	}
	byScore := map[float64]*point{}
	totalPos := 0
	for i := range a.Leads {
		l := &a.Leads[i]
		p := byScore[l.Score]
		if p == nil {
			p = &point{score: l.Score}
			byScore[l.Score] = p
		}
		p.all++
		if l.Outcome.Known {
			if l.Outcome.Converted {
				p.tp++
				totalPos++
			} else {
				p.fp++
			}
		}
	}
	pts := make([]*point, 0, len(byScore))
	for _, p := range byScore {
		pts = append(pts, p)
	}
	slices.SortFunc(pts, func(x, y *point) int {
		if x.score > y.score {
			return -1
		}
		return 1
	})
	// Walk from the top score down, accumulating everyone at or above.
	rows := make([]TradeOff, len(pts))
	var all, tp, fp int
	for i, p := range pts {
		all += p.all
		tp += p.tp
		fp += p.fp
		r := TradeOff{Threshold: p.score, MQLs: all, PerWeek: float64(all) / weeks}
		if tp+fp > 0 {
			r.Precision = float64(tp) / float64(tp+fp)
		}
		if totalPos > 0 {
			r.Recall = float64(tp) / float64(totalPos)
		}
		if r.Precision+r.Recall > 0 {
			r.F1 = 2 * r.Precision * r.Recall / (r.Precision + r.Recall)
		}
		rows[len(pts)-1-i] = r
	}
	return rows
}
