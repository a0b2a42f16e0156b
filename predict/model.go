package predict

import (
	"cmp"
	"encoding/json"
	"fmt"
	"iter"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/leadscore/leadscore"
	"github.com/leadscore/leadscore/learn"
	"github.com/leadscore/leadscore/quality"
)

// FormatVersion names the artefact format; a reader refuses other versions
// rather than misread them.
const FormatVersion = "leadscore.predictive/v1"

// Model is a trained predictive model: the artefact written by
// `leadscore train` and read by a model file of kind predictive.
type Model struct {
	Format    string    `json:"format"`
	Kind      string    `json:"kind"` // gbdt or logistic
	CreatedAt time.Time `json:"created_at"`
	// DataHash is the SHA-256 of the training files, so a model can be
	// traced to the data it learned from.
	DataHash string `json:"data_hash"`
	Target   string `json:"target"`
	// AsOf is the cut-off the event features were taken at in training.
	AsOf       *time.Time      `json:"as_of,omitempty"`
	Encoder    *Encoder        `json:"encoder"`
	GBDT       *GBDT           `json:"gbdt,omitempty"`
	Logistic   *LinearModel    `json:"logistic,omitempty"`
	Calibrator Platt           `json:"calibrator"`
	Tiers      []Tier          `json:"tiers"`
	Options    json.RawMessage `json:"options,omitempty"`
	// Rules is the rule model whose rules are features, when training
	// offered them.
	Rules *RuleInputs `json:"rules,omitempty"`
	// Activatable is false when the training data was too thin to trust
	// the model in production (see NotActivatable).
	Activatable    bool     `json:"activatable"`
	NotActivatable []string `json:"not_activatable,omitempty"`
	Summary        Summary  `json:"summary"`

	checker *quality.Checker
	// shap holds the precomputed TreeSHAP tables, built on first use (nil
	// when too large: the recursive algorithm is used then).
	shapOnce sync.Once
	shap     []shapTree
}

// LinearModel is a logistic regression with the training means of its
// columns, against which a lead's factors are measured.
type LinearModel struct {
	Intercept float64   `json:"intercept"`
	Coef      []float64 `json:"coef"`
	Means     []float64 `json:"means"`
}

// Platt maps a raw score onto a calibrated probability:
// p = σ(A·raw + B), fitted on rows the model did not train on.
type Platt struct {
	A float64 `json:"a"`
	B float64 `json:"b"`
}

func (p Platt) prob(raw float64) float64 { return learn.Sigmoid(p.A*raw + p.B) }

// fitPlatt fits the calibrator on held-out raw scores.
func fitPlatt(raw []float64, y []bool) Platt {
	if len(raw) < 20 {
		return Platt{A: 1}
	}
	x := learn.NewMatrix(len(raw), 1)
	copy(x.Data, raw)
	m, err := learn.FitLogistic(x, y, learn.LogisticOptions{L2: 1e-6})
	if err != nil || m.Coef[0] <= 0 {
		return Platt{A: 1}
	}
	return Platt{A: m.Coef[0], B: m.Intercept}
}

// Tier is a named probability band: the first tier whose MinScore a lead's
// 0–100 score reaches is its tier.
type Tier struct {
	Name     string `json:"name"`
	MinScore int    `json:"min_score"`
}

// Summary is the part of the training report kept in the artefact.
type Summary struct {
	Rows         int      `json:"rows"`
	Converted    int      `json:"converted"`
	Features     []string `json:"features"`
	CVAUC        float64  `json:"cv_auc"`
	CVAUCStd     float64  `json:"cv_auc_std"`
	OutOfTimeAUC float64  `json:"out_of_time_auc"`
	LiftTop10    float64  `json:"lift_top10"`
	LiftTop20    float64  `json:"lift_top20"`
}

// Raw returns the raw score (log-odds before calibration) of an encoded row.
func (m *Model) Raw(row []float64) float64 {
	if m.GBDT != nil {
		return m.GBDT.Raw(row)
	}
	s := m.Logistic.Intercept
	for j, c := range m.Logistic.Coef {
		s += c * row[j]
	}
	return s
}

// Prediction is one lead's predictive score.
type Prediction struct {
	Probability float64  `json:"probability"`
	Score       int      `json:"score"`
	Tier        string   `json:"tier"`
	Factors     []Factor `json:"factors,omitempty"`
}

// Factor is one reason for a prediction. Effect is its share of the raw
// score in log-odds: the effects of all factors plus the model's average
// add up to the raw score, so none is invented.
type Factor struct {
	Name string `json:"name"`
	// Text is the factor in plain words with its direction:
	// "+ job title: vp engineering", "− free-mail address".
	Text string `json:"text"`
	// Reason is Text without the direction.
	Reason string  `json:"reason"`
	Effect float64 `json:"effect"`
}

// Scorer scores leads with a model; it holds scratch buffers, so give
// each goroutine its own.
type Scorer struct {
	m    *Model
	row  []float64
	phi  []float64
	grp  []float64
	vals []any
	path []pathElem
}

// NewScorer returns a scorer for m.
func (m *Model) NewScorer() *Scorer {
	s := &Scorer{m: m, row: make([]float64, len(m.Encoder.Columns)), phi: make([]float64, len(m.Encoder.Columns)),
		grp: make([]float64, len(m.Encoder.Groups)), vals: make([]any, len(m.Encoder.Inputs))}
	if m.GBDT != nil {
		d := m.GBDT.maxDepth()
		s.path = make([]pathElem, (d+2)*(d+3)/2+d+2)
		m.shapOnce.Do(func() { m.shap = m.GBDT.shapTables() })
	}
	return s
}

// Score predicts one lead as of asOf; with factors > 0 it also returns up
// to that many positive and that many negative factors, strongest first.
func (s *Scorer) Score(l *leadscore.Lead, a *leadscore.Account, events []leadscore.Event, asOf time.Time, factors int) Prediction {
	seq := func(yield func(*leadscore.Event) bool) {
		for i := range events {
			if !yield(&events[i]) {
				return
			}
		}
	}
	return s.score(l, a, seq, asOf, factors)
}

func (s *Scorer) score(l *leadscore.Lead, a *leadscore.Account, events iter.Seq[*leadscore.Event], asOf time.Time, factors int) Prediction {
	m := s.m
	e := m.Encoder
	var fired map[string]bool
	if m.Rules != nil && e.hasRules() {
		var evs []leadscore.Event
		for ev := range events {
			evs = append(evs, *ev)
		}
		fired = m.Rules.Fired(l, a, evs, asOf)
	}
	for k := range e.Inputs {
		if e.Inputs[k].src.rule {
			s.vals[k] = ruleValue(fired, e.Inputs[k].src.key)
			continue
		}
		s.vals[k] = e.Inputs[k].src.value(l, a, m.checker)
	}
	var act *activity
	if e.Activity || len(e.EventTypes) > 0 {
		ac := activityOfSeq(events, e.eventIndex, asOf.Unix())
		act = &ac
	}
	e.encodeValues(s.row, s.vals, act, asOf.Unix())
	raw := m.Raw(s.row)
	p := m.Calibrator.prob(raw)
	pred := Prediction{Probability: p, Score: int(math.Round(100 * p))}
	pred.Tier = m.tierOf(pred.Score)
	if factors <= 0 {
		return pred
	}
	clear(s.phi)
	switch {
	case m.GBDT != nil && m.shap != nil:
		m.GBDT.shapFast(m.shap, s.row, s.phi)
	case m.GBDT != nil:
		for t := range m.GBDT.Trees {
			m.GBDT.Trees[t].shap(s.row, s.phi, s.path)
		}
	default:
		for j, c := range m.Logistic.Coef {
			s.phi[j] = c * (s.row[j] - m.Logistic.Means[j])
		}
	}
	clear(s.grp)
	for j, c := range e.Columns {
		s.grp[c.Group] += s.phi[j]
	}
	type gi struct {
		g int
		v float64
	}
	var pos, neg []gi
	for g, v := range s.grp {
		if v > 1e-9 {
			pos = append(pos, gi{g, v})
		} else if v < -1e-9 {
			neg = append(neg, gi{g, v})
		}
	}
	slices.SortFunc(pos, func(a, b gi) int { return cmp.Or(cmp.Compare(b.v, a.v), cmp.Compare(a.g, b.g)) })
	slices.SortFunc(neg, func(a, b gi) int { return cmp.Or(cmp.Compare(a.v, b.v), cmp.Compare(a.g, b.g)) })
	for _, list := range [][]gi{pos[:min(len(pos), factors)], neg[:min(len(neg), factors)]} {
		for _, f := range list {
			sign := "+ "
			if f.v < 0 {
				sign = "− "
			}
			reason := e.describe(f.g, s.vals, act, asOf.Unix())
			pred.Factors = append(pred.Factors, Factor{Name: e.Groups[f.g], Text: sign + reason, Reason: reason, Effect: f.v})
		}
	}
	return pred
}

func (m *Model) tierOf(score int) string {
	for _, t := range m.Tiers {
		if score >= t.MinScore {
			return t.Name
		}
	}
	if len(m.Tiers) > 0 {
		return m.Tiers[len(m.Tiers)-1].Name
	}
	return ""
}

// describe says in words what a lead's value of factor group g is.
func (e *Encoder) describe(g int, vals []any, act *activity, cutoff int64) string {
	name := e.Groups[g]
	for k := range e.Inputs {
		in := &e.Inputs[k]
		if in.Name != name {
			continue
		}
		switch v := vals[k].(type) {
		case nil:
			return in.Label + " unknown"
		case float64:
			if in.src.rule {
				if v != 0 {
					return in.Label
				}
				return in.Label + " (not met)"
			}
			if isYesNo(in) {
				if v != 0 {
					return in.Label + ": yes"
				}
				return in.Label + ": no"
			}
			return in.Label + ": " + strconv.FormatFloat(v, 'f', -1, 64)
		case string:
			return in.Label + ": " + v
		}
	}
	if t, ok := strings.CutPrefix(name, "events "); ok {
		j := e.eventIndex[t]
		var n [3]float64
		if act != nil {
			for w := range windows {
				n[w] = act.count(j, w)
			}
		}
		switch {
		case n[2] == 0:
			return fmt.Sprintf("no %s in %d days", t, windows[2])
		case n[0] > 0:
			return fmt.Sprintf("%s %s in 7 days (%g in 30, %g in 90)", t, times(n[0]), n[1], n[2])
		case n[1] > 0:
			return fmt.Sprintf("%s %s in 30 days (none in the last 7)", t, times(n[1]))
		}
		return fmt.Sprintf("%s %s in 90 days (none in the last 30)", t, times(n[2]))
	}
	switch name {
	case "last activity":
		if act == nil || act.last == 0 {
			return "no activity"
		}
		d, _ := act.daysSinceLast(cutoff)
		if d < 1 {
			return "active in the last day"
		}
		return fmt.Sprintf("last active %.0f days ago", math.Floor(d))
	case "active days":
		n := 0.0
		if act != nil {
			n = act.activeDays()
		}
		return fmt.Sprintf("active on %g of the last 90 days", n)
	case "acceleration":
		a := 0.0
		if act != nil {
			a = act.acceleration()
		}
		switch {
		case a > 0:
			return "activity picking up this week"
		case a < 0:
			return "activity slowing down this week"
		}
		return "no change in activity this week"
	}
	return name
}

func isYesNo(in *Input) bool { return in.Name == "account.priority" }

func times(n float64) string {
	if n == 1 {
		return "once"
	}
	return fmt.Sprintf("%g times", n)
}

// Load reads an artefact written by Save.
func Load(path string) (*Model, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, leadscore.Errorf(leadscore.CodeInvalid, "reading predictive model: %v", err)
	}
	return Parse(b, path)
}

// Parse reads an artefact; name is used in errors.
func Parse(b []byte, name string) (*Model, error) {
	var m Model
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, leadscore.Errorf(leadscore.CodeInvalid, "%s: not a predictive model artefact: %v", name, err)
	}
	if m.Format != FormatVersion {
		return nil, leadscore.Errorf(leadscore.CodeInvalid, "%s: format %q is not %q", name, m.Format, FormatVersion)
	}
	if m.Encoder == nil || (m.GBDT == nil) == (m.Logistic == nil) {
		return nil, leadscore.Errorf(leadscore.CodeInvalid, "%s: the artefact needs an encoder and exactly one of gbdt or logistic", name)
	}
	m.Encoder.layout()
	cols := len(m.Encoder.Columns)
	if m.Logistic != nil && (len(m.Logistic.Coef) != cols || len(m.Logistic.Means) != cols) {
		return nil, leadscore.Errorf(leadscore.CodeInvalid, "%s: %d coefficients for %d feature columns", name, len(m.Logistic.Coef), cols)
	}
	if m.GBDT != nil {
		for ti, t := range m.GBDT.Trees {
			if len(t.Nodes) == 0 {
				return nil, leadscore.Errorf(leadscore.CodeInvalid, "%s: tree %d is empty", name, ti)
			}
			for ni, n := range t.Nodes {
				if n.Left >= 0 && (n.Left >= len(t.Nodes) || n.Right >= len(t.Nodes) || n.Right <= 0 || n.Feature < 0 || n.Feature >= cols || n.Left <= ni || n.Right <= ni) {
					return nil, leadscore.Errorf(leadscore.CodeInvalid, "%s: tree %d node %d points outside the tree", name, ti, ni)
				}
			}
		}
		m.GBDT.depth = m.GBDT.treeDepth()
	}
	m.checker = quality.NewChecker()
	if m.Rules != nil {
		if m.Rules.Spec == nil {
			return nil, leadscore.Errorf(leadscore.CodeInvalid, "%s: the rule features have no rule model", name)
		}
		if err := m.Rules.compile(m.checker); err != nil {
			return nil, leadscore.Errorf(leadscore.CodeInvalid, "%s: %v", name, err)
		}
	}
	for k := range m.Encoder.Inputs {
		if m.Encoder.Inputs[k].src.rule && m.Rules == nil {
			return nil, leadscore.Errorf(leadscore.CodeInvalid, "%s: feature %s needs the rule model, which the artefact lacks", name, m.Encoder.Inputs[k].Name)
		}
	}
	return &m, nil
}

// Save writes the artefact as indented JSON.
func (m *Model) Save(path string) error {
	b, err := m.JSON()
	if err != nil {
		return err
	}
	return os.WriteFile(path, b, 0o644)
}

// JSON is the artefact's bytes: the same model always gives the same bytes.
func (m *Model) JSON() ([]byte, error) {
	b, err := json.MarshalIndent(m, "", " ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}
