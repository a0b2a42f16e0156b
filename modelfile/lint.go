package modelfile

import (
	"fmt"
	"math"
	"slices"

	"github.com/leadscore/leadscore"
	"github.com/leadscore/leadscore/scoring"
)

// minRules is the smallest number of rules that makes a useful score.
const minRules = 6

// budgetRatio is how far apart the two largest top-level budgets may be
// before one of them decides the score on its own.
const budgetRatio = 2.0

// lintRule is a rule together with where it sits.
type lintRule struct {
	spec *leadscore.RuleSpec
	path string // engine path, for positions
	// cap is the smallest max of the categories above the rule: no rule
	// can add more than that to the score.
	cap float64
}

// lint reports the modelling mistakes the lead-scoring literature warns
// about. They are warnings: the model works, but its scores mislead.
func (d *docState) lint() {
	s := d.spec
	if s.Kind == leadscore.KindCombined || s.Kind == leadscore.KindPredictive {
		return
	}
	var rules []lintRule
	decays := len(s.Decay.Inactivity) > 0
	var walk func(cs []leadscore.CategorySpec, path string, limit float64)
	walk = func(cs []leadscore.CategorySpec, path string, limit float64) {
		for i := range cs {
			c := &cs[i]
			cp := fmt.Sprintf("%s[%d]", path, i)
			l := limit
			if c.Max != nil {
				l = math.Min(l, *c.Max)
			}
			if c.HalfLife > 0 || c.Expire > 0 {
				decays = true
			}
			for j := range c.Rules {
				r := &c.Rules[j]
				if r.HalfLife > 0 || r.Expire > 0 {
					decays = true
				}
				rules = append(rules, lintRule{spec: r, path: fmt.Sprintf("%s.rules[%d]", cp, j), cap: l})
			}
			walk(c.Categories, cp+".categories", l)
		}
	}
	walk(s.Categories, "categories", math.Inf(1))

	modelPlace := d.placeOf("categories")
	fit, behaviour, negative := 0, 0, false
	for _, r := range rules {
		if r.spec.IsBehaviour() {
			behaviour++
		} else {
			fit++
		}
		if r.spec.Points < 0 {
			negative = true
		}
	}
	switch {
	case len(rules) == 0:
		d.warnAt(modelPlace, "the model has no rules, so every lead gets the same score")
		return
	case fit == 0:
		d.warnAt(modelPlace, "no fit rules (rules without event): the score says how active a lead is but not whether they match the customers you want")
	case behaviour == 0:
		d.warnAt(modelPlace, "no behaviour rules (rules with event): the score says who matches your customer profile but not who is ready to buy")
	}
	if len(rules) < minRules {
		noun := "rules"
		if len(rules) == 1 {
			noun = "rule"
		}
		d.warnAt(modelPlace, fmt.Sprintf("only %d %s: a score built from so few signals cannot tell most leads apart (aim for %d or more)", len(rules), noun, minRules))
	}
	if !negative && !decays {
		d.warnAt(modelPlace, "every rule adds points and nothing takes them away (no negative rules, no decay, no half_life or expire): scores only grow, so old and cold leads drift up to the threshold")
	}
	d.lintBudgets()
	for _, r := range rules {
		d.lintReach(r)
		d.lintEmailOpens(r)
	}
	d.lintReachable()
}

// lintBudgets compares the two largest top-level budgets. Fit and interest
// are meant to be weighed against each other; when one can earn more than
// twice the other, it alone decides who qualifies.
func (d *docState) lintBudgets() {
	type budget struct {
		name string
		max  float64
		i    int
	}
	var bs []budget
	for i, c := range d.spec.Categories {
		if c.Max != nil {
			bs = append(bs, budget{c.Name, *c.Max, i})
		}
	}
	if len(bs) < 2 {
		return
	}
	slices.SortStableFunc(bs, func(a, b budget) int {
		switch {
		case a.max > b.max:
			return -1
		case a.max < b.max:
			return 1
		}
		return 0
	})
	big, small := bs[0], bs[1]
	if big.max > budgetRatio*small.max {
		d.warnAt(d.placeOf(fmt.Sprintf("categories[%d].max", small.i)), fmt.Sprintf(
			"category %q can earn at most %g but %q %g: with budgets more than %gx apart, %q alone decides the score",
			small.name, small.max, big.name, big.max, budgetRatio, big.name))
	}
}

// lintReach warns when one rule can take a lead to the MQL threshold by
// itself: a single page view or job title should never be enough to hand a
// lead to sales.
func (d *docState) lintReach(r lintRule) {
	mql := d.spec.MQL
	if mql == nil || *mql <= 0 || r.spec.Points <= 0 {
		return
	}
	// An unbounded repeating rule is judged by one occurrence: how many
	// events a lead will have is unknown, and warning about every
	// repeating rule would bury the warnings that matter.
	reach := r.spec.Points
	repeats := r.spec.IsBehaviour() && r.spec.Count != leadscore.CountOnce && r.spec.AtLeast == 0
	if repeats && r.spec.MaxTimes > 0 {
		reach = r.spec.Points * float64(r.spec.MaxTimes)
	}
	if r.spec.MaxPoints != nil {
		if repeats && r.spec.MaxTimes == 0 {
			reach = *r.spec.MaxPoints
		} else {
			reach = math.Min(reach, *r.spec.MaxPoints)
		}
	}
	reach = math.Min(reach, r.cap)
	if reach >= *mql {
		what := "points"
		if reach > r.spec.Points {
			what = "repeated matches"
		}
		d.warnAt(d.placeOf(r.path+".points"), fmt.Sprintf(
			"rule %q alone can reach the MQL threshold (%g) through its %s: one signal should not qualify a lead; lower its points or cap it",
			r.spec.Name, *mql, what))
	}
}

// lintEmailOpens warns about points for every email open. Opens are
// inflated by privacy proxies and security scanners that fetch every image,
// so unlimited points for opens reward machines, not interest.
func (d *docState) lintEmailOpens(r lintRule) {
	rs := r.spec
	if !rs.IsBehaviour() || rs.Points <= 0 {
		return
	}
	if !slices.ContainsFunc(rs.Events, func(p string) bool { return scoring.MatchEventType(p, "email.opened") }) {
		return
	}
	limited := rs.SkipFirst > 0 || rs.MaxTimes > 0 || rs.MaxPoints != nil || rs.Within > 0 ||
		(rs.Count != "" && rs.Count != leadscore.CountEvery) || rs.AtLeast > 0 || rs.Then != nil
	if limited {
		return
	}
	d.warnAt(d.placeOf(r.path+".events"), fmt.Sprintf(
		"rule %q gives points for every email open: privacy proxies and scanners open mail automatically; add skip_first, max_times, max_points, within or count",
		rs.Name))
}

// lintReachable warns when the top-level budgets cannot add up to the
// threshold, so nobody can ever qualify.
func (d *docState) lintReachable() {
	mql := d.spec.MQL
	if mql == nil || len(d.spec.Categories) == 0 {
		return
	}
	total := 0.0
	for _, c := range d.spec.Categories {
		if c.Max == nil {
			return
		}
		total += math.Max(*c.Max, 0)
	}
	if total+d.spec.Scale.Min < *mql {
		d.warnAt(d.placeOf("qualify.mql"), fmt.Sprintf(
			"the top-level categories can earn at most %g in total, below the MQL threshold %g: no lead can qualify", total, *mql))
	}
}

// placeOf finds where an engine path was written, falling back to the
// start of the document.
func (d *docState) placeOf(spath string) loc {
	if l, ok := d.lookup(spath); ok {
		return l
	}
	return loc{line: d.root.Line, col: d.root.Column}
}

func (d *docState) warnAt(l loc, msg string) {
	d.report(Warning, l.line, l.col, l.field, msg)
}
