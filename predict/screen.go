package predict

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/leadscore/leadscore"
	"github.com/leadscore/leadscore/learn"
)

// Selection says which candidate features a user wants. Names are as the
// model language spells them (lead.title, account.employees), or the bare
// field name (duration), or an event type (page.viewed).
type Selection struct {
	// Only, when not empty, keeps just these features.
	Only []string `yaml:"only" json:"only,omitempty"`
	// Drop removes features.
	Drop []string `yaml:"drop" json:"drop,omitempty"`
	// Allow keeps features the leakage guard would exclude.
	Allow []string `yaml:"allow" json:"allow,omitempty"`
}

// Leakage thresholds: a feature whose own AUC reaches leakAUC is excluded
// as a probable leak; one reaching strongAUC is kept but named in the
// report, since a field recorded after the outcome (a call's duration, a
// deal stage) often looks like this.
const (
	leakAUC   = 0.97
	strongAUC = 0.80
	// minPresent is the fewest rows with a value before "only present for
	// one outcome" counts as evidence.
	minPresent = 10
)

// FeatureCheck is what screening decided about one candidate feature.
type FeatureCheck struct {
	Name string `json:"name"`
	// Kind: number, category or events.
	Kind string `json:"kind"`
	// Status: used, dropped (by the user or for having no information) or
	// leak (excluded by the leakage guard).
	Status string `json:"status"`
	Reason string `json:"reason,omitempty"`
	// AUC is how well the feature alone ranks converters (0.5 = not at
	// all), oriented so that it is at least 0.5.
	AUC     float64 `json:"auc"`
	Present float64 `json:"present"`
	Warning string  `json:"warning,omitempty"`
}

// screened is the outcome of screening: the table columns and event kinds
// that become features, and the report of every candidate.
type screened struct {
	inputs   []int
	events   []int
	activity bool
	checks   []FeatureCheck
}

func nameMatches(want, name string) bool {
	want = strings.ToLower(strings.TrimSpace(want))
	name = strings.ToLower(name)
	return want == name || "lead."+want == name || "account."+want == name || "events "+want == name
}

func inList(list []string, name string) bool {
	return slices.ContainsFunc(list, func(w string) bool { return nameMatches(w, name) })
}

// screen checks every candidate feature of t: the user's selection, then
// features without information, then the leakage guard.
func screen(t *Table, sel Selection) (*screened, error) {
	var names []string
	for _, s := range t.Sources {
		names = append(names, s.Name)
	}
	for _, e := range t.EventTypes {
		names = append(names, "events "+e)
	}
	for flag, list := range map[string][]string{"drop": sel.Drop, "only": sel.Only, "allow-feature": sel.Allow} {
		for _, w := range list {
			if !slices.ContainsFunc(names, func(n string) bool { return nameMatches(w, n) }) {
				return nil, leadscore.Invalid(flag, "no feature %q (candidates: %s)", w, strings.Join(names, ", "))
			}
		}
	}
	out := &screened{}
	decide := func(c FeatureCheck, pos, neg, presentPos, presentNeg int) bool {
		switch {
		case inList(sel.Drop, c.Name):
			c.Status, c.Reason = "dropped", "dropped by request"
		case len(sel.Only) > 0 && !inList(sel.Only, c.Name):
			c.Status, c.Reason = "dropped", "not selected"
		case c.Reason != "":
			c.Status = "dropped"
		case presentPos+presentNeg >= minPresent && (presentNeg == 0 || presentPos == 0) && presentPos+presentNeg < pos+neg:
			c.Status = "leak"
			which := "converted"
			if presentPos == 0 {
				which = "did not convert"
			}
			c.Reason = fmt.Sprintf("only has a value for leads that %s: probably recorded because of the outcome", which)
		case c.AUC >= leakAUC:
			c.Status = "leak"
			c.Reason = fmt.Sprintf("predicts the outcome almost perfectly on its own (AUC %.3f): probably recorded after the outcome", c.AUC)
		default:
			c.Status = "used"
		}
		if c.Status == "leak" && inList(sel.Allow, c.Name) {
			c.Status, c.Warning = "used", "kept by request although the leakage guard flagged it: "+c.Reason
			c.Reason = ""
		}
		if c.Status == "used" && c.AUC >= strongAUC && c.Warning == "" {
			c.Warning = fmt.Sprintf("strong on its own (AUC %.3f): make sure it is known before the outcome", c.AUC)
		}
		out.checks = append(out.checks, c)
		return c.Status == "used"
	}
	pos := 0
	for _, y := range t.Y {
		if y {
			pos++
		}
	}
	neg := len(t.Y) - pos
	all := make([]int, len(t.Y))
	for i := range all {
		all[i] = i
	}
	for k, s := range t.Sources {
		c := &t.cols[k]
		check := FeatureCheck{Name: s.Name, Kind: "number"}
		presentPos, presentNeg := 0, 0
		for i, y := range t.Y {
			if c.present(i) {
				if y {
					presentPos++
				} else {
					presentNeg++
				}
			}
		}
		check.Present = float64(presentPos+presentNeg) / float64(max(1, len(t.Y)))
		score := make([]float64, len(t.Y))
		if c.cat {
			check.Kind = "category"
			in := Input{}
			fitLevels(&in, c, t.Y, all, EncodeOptions{MinLevelCount: max(10, len(all)/1000), MaxLevels: 50})
			rate := levelRates(&in, c, t.Y)
			for i := range score {
				k := c.str[i]
				li := slicesIndex(in.Levels, levelMissing)
				if k >= 0 {
					li = int(in.code[k])
				}
				score[i] = rate[li]
			}
		} else {
			lo := math.Inf(1)
			for _, v := range c.num {
				if !math.IsNaN(v) {
					lo = min(lo, v)
				}
			}
			for i, v := range c.num {
				if math.IsNaN(v) {
					v = lo - 1
				}
				score[i] = v
			}
		}
		check.AUC = orientedAUC(score, t.Y)
		if distinct(score) < 2 {
			check.Reason = "the same value for every lead"
		}
		if decide(check, pos, neg, presentPos, presentNeg) {
			out.inputs = append(out.inputs, k)
		}
	}
	if t.Activity != nil {
		out.activity = true
		counts := make([]float64, len(t.Y))
		for k := range t.EventTypes {
			presentPos, presentNeg := 0, 0
			for i := range t.Activity {
				counts[i] = t.Activity[i].count(uint16(k), 2)
				if counts[i] > 0 {
					if t.Y[i] {
						presentPos++
					} else {
						presentNeg++
					}
				}
			}
			check := FeatureCheck{Name: "events " + t.EventTypes[k], Kind: "events", AUC: orientedAUC(counts, t.Y),
				Present: float64(presentPos+presentNeg) / float64(max(1, len(t.Y)))}
			if presentPos+presentNeg < minPresent {
				check.Reason = fmt.Sprintf("fewer than %d leads had it in the 90 days before the cut-off", minPresent)
			}
			if decide(check, pos, neg, presentPos, presentNeg) {
				out.events = append(out.events, k)
			}
		}
	}
	return out, nil
}

func slicesIndex(levels []string, name string) int { return slices.Index(levels, name) }

// levelRates is the conversion rate of each level over all rows.
func levelRates(in *Input, c *rawColumn, y []bool) []float64 {
	n := make([]float64, len(in.Levels))
	p := make([]float64, len(in.Levels))
	miss := slices.Index(in.Levels, levelMissing)
	for i, yi := range y {
		li := miss
		if k := c.str[i]; k >= 0 {
			li = int(in.code[k])
		}
		n[li]++
		if yi {
			p[li]++
		}
	}
	for li := range n {
		if n[li] > 0 {
			p[li] /= n[li]
		}
	}
	return p
}

func orientedAUC(score []float64, y []bool) float64 {
	a := learn.AUC(score, y)
	if math.IsNaN(a) {
		return 0.5
	}
	return max(a, 1-a)
}

func distinct(v []float64) int {
	if len(v) == 0 {
		return 0
	}
	first := v[0]
	for _, x := range v {
		if x != first {
			return 2
		}
	}
	return 1
}
