package predict

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/leadscore/leadscore"
	"github.com/leadscore/leadscore/ingest"
	"github.com/leadscore/leadscore/learn"
	"go.yaml.in/yaml/v3"
)

// PointsOptions shape a draft rule model.
type PointsOptions struct {
	Name string
	// FitBudget and InterestBudget cap the fit (who the lead is) and
	// interest (what the lead did) categories. 0 means 50 each.
	FitBudget, InterestBudget float64
	// L2 penalises the logistic regression the points come from. 0 means
	// 1e-3.
	L2 float64
}

// candidate is one indicator a draft rule can test.
type candidate struct {
	name, label string
	fit         bool
	// group: at most one candidate of a group holds for a lead (the
	// levels of one category, the bins of one number), which bounds the
	// points a group can give.
	group int
	when  string
	// behaviour rule keys
	event   string
	within  string
	atLeast int
	hit     []bool
}

// DraftRules turns a logistic regression on indicator features (category
// levels, number ranges, event counts in a window) into a draft rule model
// with round point values within category budgets, as YAML that
// `leadscore model validate` accepts. It is a starting point to backtest and
// edit, not a copy of the predictive model.
func DraftRules(t *Table, sel Selection, opt PointsOptions) ([]byte, error) {
	if opt.Name == "" {
		opt.Name = "learned-points"
	}
	if opt.FitBudget == 0 {
		opt.FitBudget = 50
	}
	if opt.InterestBudget == 0 {
		opt.InterestBudget = 50
	}
	if opt.L2 == 0 {
		opt.L2 = 1e-3
	}
	sc, err := screen(t, sel)
	if err != nil {
		return nil, err
	}
	fields := map[string]string{}
	var cands []candidate
	group := 0
	all := make([]int, t.Rows())
	for i := range all {
		all[i] = i
	}
	for _, k := range sc.inputs {
		src := t.Sources[k]
		c := &t.cols[k]
		group++
		if c.cat {
			in := Input{}
			fitLevels(&in, c, t.Y, all, EncodeOptions{MinLevelCount: max(10, t.Rows()/200), MaxLevels: 20})
			for li, level := range in.Levels {
				if level == levelOther || level == levelMissing {
					continue
				}
				when, ok := levelCondition(src, level, fields)
				if !ok {
					continue
				}
				hit := make([]bool, t.Rows())
				for i := range hit {
					if code := c.str[i]; code >= 0 && int(in.code[code]) == li {
						hit[i] = true
					}
				}
				cands = append(cands, candidate{name: src.Name + "-" + level, label: src.Label + ": " + level, fit: true, group: group, when: when, hit: hit})
			}
			continue
		}
		for _, b := range numberBins(c.num, 5) {
			var when, label string
			field := conditionField(src)
			if src.field == ingest.FieldCustom {
				fields[src.Name] = "number"
			}
			switch {
			case math.IsInf(b[0], -1):
				when = fmt.Sprintf("%s != nil && %s < %s", field, field, num(b[1]))
				label = fmt.Sprintf("%s below %s", src.Label, num(b[1]))
			case math.IsInf(b[1], 1):
				when = fmt.Sprintf("%s != nil && %s >= %s", field, field, num(b[0]))
				label = fmt.Sprintf("%s %s or more", src.Label, num(b[0]))
			default:
				when = fmt.Sprintf("%s != nil && %s >= %s && %s < %s", field, field, num(b[0]), field, num(b[1]))
				label = fmt.Sprintf("%s %s to %s", src.Label, num(b[0]), num(b[1]))
			}
			if src.field == ingest.FieldPriority {
				when, label = "account.priority", "priority account"
			}
			hit := make([]bool, t.Rows())
			for i, v := range c.num {
				hit[i] = !math.IsNaN(v) && v >= b[0] && v < b[1]
			}
			cands = append(cands, candidate{name: label, label: label, fit: true, group: group, when: when, hit: hit})
			if src.field == ingest.FieldPriority {
				break
			}
		}
	}
	if t.Activity != nil {
		for _, k := range sc.events {
			typ := t.EventTypes[k]
			for _, shape := range []struct {
				window, w, atLeast int
			}{{30, 1, 1}, {7, 0, 3}} {
				group++
				hit := make([]bool, t.Rows())
				for i := range hit {
					hit[i] = t.Activity[i].count(uint16(k), shape.w) >= float64(shape.atLeast)
				}
				c := candidate{group: group, event: typ, within: fmt.Sprintf("%dd", shape.window), hit: hit}
				if shape.atLeast == 1 {
					c.name = fmt.Sprintf("%s-in-%dd", typ, shape.window)
					c.label = fmt.Sprintf("%s in the last %d days", typ, shape.window)
				} else {
					c.atLeast = shape.atLeast
					c.name = fmt.Sprintf("%s-%dx-in-%dd", typ, shape.atLeast, shape.window)
					c.label = fmt.Sprintf("%s %d times in %d days", typ, shape.atLeast, shape.window)
				}
				cands = append(cands, c)
			}
		}
	}
	// Indicators that (almost) never or always hold carry no information.
	cands = slices.DeleteFunc(cands, func(c candidate) bool {
		n := 0
		for _, h := range c.hit {
			if h {
				n++
			}
		}
		return n < minPresent || n > len(c.hit)-minPresent
	})
	if len(cands) == 0 {
		return nil, leadscore.Errorf(leadscore.CodeInvalid, "no feature can become a rule")
	}
	x := learn.NewMatrix(t.Rows(), len(cands))
	for j, c := range cands {
		for i, h := range c.hit {
			if h {
				x.Set(i, j, 1)
			}
		}
	}
	fitted, err := learn.FitLogistic(x, t.Y, learn.LogisticOptions{L2: opt.L2, Standardize: true})
	if err != nil {
		return nil, err
	}
	// One scale for every rule keeps their relative weights; it is the
	// largest that keeps each category's best case within its budget.
	best := map[int]float64{}
	for j, c := range cands {
		best[c.group] = max(best[c.group], fitted.Coef[j])
	}
	var fitMax, interestMax float64
	for j, c := range cands {
		if best[c.group] == fitted.Coef[j] && fitted.Coef[j] > 0 {
			if c.fit {
				fitMax += fitted.Coef[j]
			} else {
				interestMax += fitted.Coef[j]
			}
			best[c.group] = math.Inf(1) // count a group once
		}
	}
	scale := math.Inf(1)
	if fitMax > 0 {
		scale = min(scale, opt.FitBudget/fitMax)
	}
	if interestMax > 0 {
		scale = min(scale, opt.InterestBudget/interestMax)
	}
	if math.IsInf(scale, 1) {
		return nil, leadscore.Errorf(leadscore.CodeInvalid, "no feature raises the chance of converting: there are no points to give")
	}
	doc := draftModel{Name: opt.Name,
		Description: fmt.Sprintf("Draft from logistic regression on %d leads (%d converted); points are log-odds × %.1f, rounded. Backtest and edit before use.", t.Rows(), t.Stats.Converted, scale),
		Scale:       map[string]float64{"min": 0, "max": 100}, Categories: map[string]draftCategory{}}
	if len(fields) > 0 {
		doc.Fields = fields
	}
	used := map[string]int{}
	for j, c := range cands {
		p := roundPoints(fitted.Coef[j] * scale)
		if p == 0 {
			continue
		}
		name := slug(c.name)
		if used[name]++; used[name] > 1 {
			name += "-" + strconv.Itoa(used[name])
		}
		r := draftRule{Name: name, Label: c.label, When: c.when, Event: c.event, Within: c.within, AtLeast: c.atLeast, Points: p}
		if c.event != "" && c.atLeast == 0 {
			r.Count = "once"
		}
		cat := "interest"
		budget := opt.InterestBudget
		if c.fit {
			cat, budget = "fit", opt.FitBudget
		}
		dc := doc.Categories[cat]
		dc.Max = budget
		dc.Rules = append(dc.Rules, r)
		doc.Categories[cat] = dc
	}
	if len(doc.Categories) == 0 {
		return nil, leadscore.Errorf(leadscore.CodeInvalid, "every rule rounded to 0 points: the features barely predict the outcome")
	}
	b, err := yaml.Marshal(doc)
	if err != nil {
		return nil, err
	}
	return b, nil
}

type draftModel struct {
	Name        string                   `yaml:"name"`
	Description string                   `yaml:"description"`
	Scale       map[string]float64       `yaml:"scale"`
	Fields      map[string]string        `yaml:"fields,omitempty"`
	Categories  map[string]draftCategory `yaml:"categories"`
}

type draftCategory struct {
	Max   float64     `yaml:"max"`
	Rules []draftRule `yaml:"rules"`
}

type draftRule struct {
	Name    string  `yaml:"name"`
	Label   string  `yaml:"label"`
	When    string  `yaml:"when,omitempty"`
	Event   string  `yaml:"event,omitempty"`
	Count   string  `yaml:"count,omitempty"`
	AtLeast int     `yaml:"at_least,omitempty"`
	Within  string  `yaml:"within,omitempty"`
	Points  float64 `yaml:"points"`
}

// roundPoints rounds to a multiple of 5, or to a whole number below 5;
// effects under 3 points are dropped as noise.
func roundPoints(p float64) float64 {
	switch a := math.Abs(p); {
	case a < 3:
		return 0
	case a < 5:
		return math.Round(p)
	}
	return 5 * math.Round(p/5)
}

// numberBins cuts present values into up to n quantile ranges [lo, hi).
func numberBins(v []float64, n int) [][2]float64 {
	var vals []float64
	for _, x := range v {
		if !math.IsNaN(x) {
			vals = append(vals, x)
		}
	}
	if len(vals) == 0 {
		return nil
	}
	slices.Sort(vals)
	var cuts []float64
	for q := 1; q < n; q++ {
		c := vals[q*len(vals)/n]
		if c > vals[0] && (len(cuts) == 0 || c > cuts[len(cuts)-1]) {
			cuts = append(cuts, c)
		}
	}
	lo := math.Inf(-1)
	var out [][2]float64
	for _, c := range cuts {
		out = append(out, [2]float64{lo, c})
		lo = c
	}
	return append(out, [2]float64{lo, math.Inf(1)})
}

// conditionField is how a condition reads a source.
func conditionField(s source) string { return s.Name }

// levelCondition is the condition "this source has this level" (levels are
// lower case), declaring custom fields as it goes.
func levelCondition(s source, level string, fields map[string]string) (string, bool) {
	q := strconv.Quote(level)
	switch s.field {
	case ingest.FieldEmail:
		switch level {
		case "free-mail":
			return "lead.email_free", true
		case "disposable":
			return "lead.email_disposable", true
		case "role address":
			return "lead.email_role", true
		case "invalid":
			return "!lead.email_valid", true
		case "company address":
			return "lead.email_valid && !lead.email_free && !lead.email_disposable && !lead.email_role", true
		}
		return "", false
	case ingest.FieldCustom:
		fields[s.Name] = "string"
		return fmt.Sprintf("%s != nil && lower(%s) == %s", s.Name, s.Name, q), true
	}
	return fmt.Sprintf("lower(%s) == %s", s.Name, q), true
}

func num(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

func slug(s string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(strings.TrimPrefix(strings.TrimPrefix(s, "lead."), "account.")) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			b.WriteRune(r)
			dash = false
		} else {
			dash = true
		}
	}
	return b.String()
}
