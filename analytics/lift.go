package analytics

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"unicode/utf8"

	"github.com/leadscore/leadscore"
	"github.com/leadscore/leadscore/learn"
	"go.yaml.in/yaml/v3"
)

// RuleLift is how one rule relates to outcomes.
type RuleLift struct {
	RuleRef
	// Fired counts leads the rule counted for, of all leads; the rates
	// below use leads with a known outcome.
	Fired      int     `json:"fired"`
	FiredShare float64 `json:"fired_share"`
	// RateFired is the conversion of leads where the rule fired, with its
	// 95% Wilson interval; RateNotFired the same for the others.
	FiredKnown      int     `json:"fired_with_outcome"`
	FiredConverted  int     `json:"fired_converted"`
	RateFired       float64 `json:"rate_fired"`
	RateFiredLow    float64 `json:"rate_fired_low"`
	RateFiredHigh   float64 `json:"rate_fired_high"`
	NotFiredKnown   int     `json:"not_fired_with_outcome"`
	NotConverted    int     `json:"not_fired_converted"`
	RateNotFired    float64 `json:"rate_not_fired"`
	RateNotFiredLow float64 `json:"rate_not_fired_low"`
	RateNotFiredHi  float64 `json:"rate_not_fired_high"`
	// Lift is RateFired / RateNotFired (0 when either is undefined).
	Lift  float64  `json:"lift"`
	Flags []string `json:"flags,omitempty"`
	// Suggested is the fitted point value (only after SuggestPoints).
	Suggested *float64 `json:"suggested,omitempty"`
	// Coef is the rule's fitted log-odds weight.
	Coef float64 `json:"coef,omitempty"`
}

// Flags a rule can get.
const (
	FlagNeverFires      = "never fires"
	FlagFiresForAll     = "fires for everyone"
	FlagSignDisagrees   = "sign disagrees with the data"
	FlagNoClearEffect   = "no clear effect"
	FlagTooFewOutcomes  = "too few outcomes to judge"
	minOutcomesPerGroup = 30
)

// Lift measures every rule of the model against outcomes.
func (a *Analysis) Lift() []RuleLift {
	out := make([]RuleLift, len(a.Rules))
	for i, r := range a.Rules {
		out[i].RuleRef = r
	}
	for li := range a.Leads {
		l := &a.Leads[li]
		for i := range out {
			f := l.fired(i)
			if f {
				out[i].Fired++
			}
			if !l.Outcome.Known {
				continue
			}
			conv := l.Outcome.Converted
			if f {
				out[i].FiredKnown++
				if conv {
					out[i].FiredConverted++
				}
			} else {
				out[i].NotFiredKnown++
				if conv {
					out[i].NotConverted++
				}
			}
		}
	}
	n := len(a.Leads)
	for i := range out {
		r := &out[i]
		if n > 0 {
			r.FiredShare = float64(r.Fired) / float64(n)
		}
		if r.FiredKnown > 0 {
			r.RateFired = float64(r.FiredConverted) / float64(r.FiredKnown)
			r.RateFiredLow, r.RateFiredHigh = learn.Wilson(r.FiredConverted, r.FiredKnown, z95)
		}
		if r.NotFiredKnown > 0 {
			r.RateNotFired = float64(r.NotConverted) / float64(r.NotFiredKnown)
			r.RateNotFiredLow, r.RateNotFiredHi = learn.Wilson(r.NotConverted, r.NotFiredKnown, z95)
		}
		if r.FiredKnown > 0 && r.NotFiredKnown > 0 && r.RateNotFired > 0 {
			r.Lift = r.RateFired / r.RateNotFired
		}
		switch {
		case r.Fired == 0:
			r.Flags = append(r.Flags, FlagNeverFires)
		case r.Fired == n:
			r.Flags = append(r.Flags, FlagFiresForAll)
		case r.FiredKnown < minOutcomesPerGroup || r.NotFiredKnown < minOutcomesPerGroup:
			r.Flags = append(r.Flags, FlagTooFewOutcomes)
		default:
			// The intervals decide: overlapping intervals mean the data
			// cannot tell the rule's effect from chance.
			higher := r.RateFiredLow > r.RateNotFiredHi
			lower := r.RateFiredHigh < r.RateNotFiredLow
			switch {
			case !higher && !lower:
				r.Flags = append(r.Flags, FlagNoClearEffect)
			case r.Points > 0 && lower, r.Points < 0 && higher:
				r.Flags = append(r.Flags, FlagSignDisagrees)
			}
		}
	}
	return out
}

// Suggestion is a set of point values fitted to outcomes.
type Suggestion struct {
	Rules []RuleLift `json:"rules"`
	// Scale is the points per unit of log-odds used to turn fitted weights
	// into points.
	Scale float64 `json:"points_per_logit"`
	// Penalty is the L2 penalty of the fit.
	Penalty float64 `json:"l2"`
	// Converged says whether the fit converged.
	Converged bool `json:"converged"`
	// Leads is the number of leads with outcomes the fit used.
	Leads int `json:"leads"`
}

// SuggestPoints fits a regularised logistic regression of the outcome on
// rule indicators (did the rule count for the lead) and turns the weights
// into points with one scale for all rules (see pointScale), rounded to
// whole points. Rules
// that never fire or fire for everyone carry no information and keep their
// points.
func (a *Analysis) SuggestPoints(lifts []RuleLift, l2 float64) (*Suggestion, error) {
	if l2 <= 0 {
		l2 = 1e-3
	}
	var cols []int
	for i, r := range lifts {
		if r.Fired > 0 && r.Fired < len(a.Leads) {
			cols = append(cols, i)
		}
	}
	var rows []int
	for i := range a.Leads {
		if a.Leads[i].Outcome.Known {
			rows = append(rows, i)
		}
	}
	if len(cols) == 0 {
		return nil, leadscore.Errorf(leadscore.CodeInvalid, "no rule fires for some leads and not others; nothing to fit")
	}
	if len(rows) < 2 {
		return nil, leadscore.Errorf(leadscore.CodeInvalid, "suggesting points needs leads with known outcomes")
	}
	x := learn.NewMatrix(len(rows), len(cols))
	y := make([]bool, len(rows))
	for k, li := range rows {
		l := &a.Leads[li]
		y[k] = l.Outcome.Converted
		for j, ri := range cols {
			if l.fired(ri) {
				x.Set(k, j, 1)
			}
		}
	}
	fit, err := learn.FitLogistic(x, y, learn.LogisticOptions{L2: l2})
	if err != nil {
		return nil, fmt.Errorf("fitting rule weights: %w", err)
	}
	out := append([]RuleLift(nil), lifts...)
	coef := make([]float64, len(out))
	for j, ri := range cols {
		coef[ri] = fit.Coef[j]
		out[ri].Coef = fit.Coef[j]
	}
	scale := a.pointScale(out, coef)
	for i := range out {
		v := out[i].Points
		if coef[i] != 0 {
			v = math.Round(coef[i] * scale)
		}
		out[i].Suggested = &v
	}
	return &Suggestion{Rules: out, Scale: scale, Penalty: l2, Converged: fit.Converged, Leads: len(rows)}, nil
}

// pointScale picks the points per unit of log-odds: the positive points
// the fitted rules hand out together stay what the author gave them, so
// the model's scale, category budgets and MQL threshold keep their meaning
// and only the split between rules follows the data. Without positive
// points to match, the positive weights together span the scale.
func (a *Analysis) pointScale(rules []RuleLift, coef []float64) float64 {
	var budget, weights float64
	for i, r := range rules {
		if coef[i] == 0 {
			continue
		}
		budget += max(r.Points, 0)
		weights += max(coef[i], 0)
	}
	if weights == 0 {
		return 10
	}
	if budget == 0 {
		budget = a.Spec.Scale.Max - a.Spec.Scale.Min
	}
	return budget / weights
}

// DraftModel rewrites the points of the model file's rules to the
// suggested values and changes nothing else: conditions, comments, layout
// and order stay byte for byte as written, so the draft stays readable and
// a diff against the original shows only the points. src is the model
// file; model picks the document of a multi-model file by name.
func DraftModel(src []byte, model string, s *Suggestion) ([]byte, error) {
	points := map[string]float64{}
	for _, r := range s.Rules {
		if r.Suggested != nil {
			points[r.Name] = *r.Suggested
		}
	}
	var edits []pointEdit
	dec := yaml.NewDecoder(bytes.NewReader(src))
	for {
		var doc yaml.Node
		if err := dec.Decode(&doc); err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			return nil, fmt.Errorf("reading the model file: %w", err)
		}
		if len(doc.Content) == 0 {
			continue
		}
		root := doc.Content[0]
		if name := mapValue(root, "name"); name == nil || name.Value != model {
			continue
		}
		if cats := mapValue(root, "categories"); cats != nil {
			findPoints(cats, points, &edits)
		}
	}
	if len(edits) == 0 {
		return nil, leadscore.Errorf(leadscore.CodeInvalid, "no rule of model %q found in the model file", model)
	}
	lineStart := []int{0}
	for i, c := range src {
		if c == '\n' {
			lineStart = append(lineStart, i+1)
		}
	}
	// Apply from the end so earlier offsets stay valid.
	slices.SortFunc(edits, func(a, b pointEdit) int { return b.offset(lineStart, src) - a.offset(lineStart, src) })
	out := append([]byte(nil), src...)
	for _, e := range edits {
		at := e.offset(lineStart, src)
		if at < 0 || at+len(e.old) > len(out) || string(out[at:at+len(e.old)]) != e.old {
			return nil, fmt.Errorf("rule %s: cannot find its points at line %d", e.rule, e.line)
		}
		out = append(out[:at], append([]byte(e.new), out[at+len(e.old):]...)...)
	}
	head := fmt.Sprintf("# Draft: rule points fitted to %d outcomes by `leadscore lift --suggest`\n"+
		"# (%.3g points per unit of log-odds). Backtest it against the original before\n# activating it.\n", s.Leads, s.Scale)
	return append([]byte(head), out...), nil
}

// pointEdit replaces the text of one rule's points value.
type pointEdit struct {
	rule     string
	line     int // 1-based
	col      int // 1-based, in characters
	old, new string
}

func (e pointEdit) offset(lineStart []int, src []byte) int {
	if e.line-1 >= len(lineStart) {
		return -1
	}
	at := lineStart[e.line-1]
	for range e.col - 1 {
		if at >= len(src) {
			return -1
		}
		_, size := utf8.DecodeRune(src[at:])
		at += size
	}
	return at
}

// findPoints walks a categories mapping and records an edit for every
// rule named in points whose points are a plain number.
func findPoints(n *yaml.Node, points map[string]float64, edits *[]pointEdit) {
	switch n.Kind {
	case yaml.MappingNode:
		if name := mapValue(n, "name"); name != nil {
			if v, ok := points[name.Value]; ok {
				if p := mapValue(n, "points"); p != nil && p.Kind == yaml.ScalarNode && p.Style == 0 {
					*edits = append(*edits, pointEdit{rule: name.Value, line: p.Line, col: p.Column, old: p.Value, new: formatPoints(v)})
				}
			}
		}
		for i := 1; i < len(n.Content); i += 2 {
			findPoints(n.Content[i], points, edits)
		}
	case yaml.SequenceNode:
		for _, c := range n.Content {
			findPoints(c, points, edits)
		}
	}
}

func formatPoints(v float64) string {
	if v == math.Trunc(v) {
		return fmt.Sprintf("%d", int64(v))
	}
	return fmt.Sprintf("%g", v)
}

func mapValue(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}
