package predict

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/leadscore/leadscore"
	"github.com/leadscore/leadscore/learn"
	"github.com/leadscore/leadscore/quality"
)

// Learners.
const (
	LearnerGBDT     = "gbdt"
	LearnerLogistic = "logistic"
)

// TrainOptions configure Train.
type TrainOptions struct {
	Learner string
	Seed    uint64
	// Folds for stratified cross-validation; 0 means 5, 1 skips it.
	Folds     int
	Selection Selection
	GBDT      GBDTOptions
	// L2 and L1 penalise logistic regression (on standardised columns).
	// L2 0 means 1e-3.
	L2, L1 float64
	// MinConversions is the fewest conversions for an activatable model.
	// 0 means 100.
	MinConversions int
	// AsOf is the cut-off of the event features (zero without events).
	AsOf time.Time
	// Now stamps the artefact; zero means the current time.
	Now      time.Time
	DataHash string
	Target   string
	// Rules is the rule model whose rules the table offers as features
	// (Table.AddRules, TableBuilder with rules); it goes into the artefact
	// so that scoring evaluates the same rules.
	Rules *RuleInputs
	// Progress, when set, hears what training is doing.
	Progress func(msg string)
}

// Report is everything training measured.
type Report struct {
	Learner  string         `json:"learner"`
	Read     ReadStats      `json:"read"`
	OrderBy  string         `json:"ordered_by"`
	Features []FeatureCheck `json:"features"`
	Columns  int            `json:"columns"`
	CV       *CVReport      `json:"cross_validation,omitempty"`
	// OutOfTime trains on the earliest 80% of leads and tests on the latest
	// 20%: the headline, since random folds flatter a deployed model.
	OutOfTime   *HoldoutReport         `json:"out_of_time,omitempty"`
	Calibration []learn.CalibrationBin `json:"calibration,omitempty"`
	Deciles     []learn.Bin            `json:"deciles,omitempty"`
	LiftTop10   float64                `json:"lift_top10"`
	LiftTop20   float64                `json:"lift_top20"`
	// ROC of the out-of-fold predictions, for charts.
	ROC            []learn.ROCPoint `json:"roc,omitempty"`
	Activatable    bool             `json:"activatable"`
	NotActivatable []string         `json:"not_activatable,omitempty"`
	FinalSeconds   float64          `json:"final_seconds"`
	Rounds         int              `json:"rounds,omitempty"`
	// OutOfFold are the calibrated cross-validation probabilities, one per
	// row in file order, for comparisons on the same leads.
	OutOfFold []float64 `json:"-"`
	Y         []bool    `json:"-"`
	IDs       []string  `json:"-"`
}

// CVReport is stratified k-fold cross-validation.
type CVReport struct {
	Folds       int       `json:"folds"`
	AUC         []float64 `json:"auc"`
	Mean        float64   `json:"mean"`
	Std         float64   `json:"std"`
	FoldSeconds []float64 `json:"fold_seconds"`
	LogLoss     float64   `json:"log_loss"`
	Brier       float64   `json:"brier"`
}

// HoldoutReport is one train/test split.
type HoldoutReport struct {
	TrainRows int     `json:"train_rows"`
	TestRows  int     `json:"test_rows"`
	AUC       float64 `json:"auc"`
	Seconds   float64 `json:"seconds"`
}

func (o TrainOptions) withDefaults() TrainOptions {
	if o.Learner == "" {
		o.Learner = LearnerGBDT
	}
	if o.Folds == 0 {
		o.Folds = 5
	}
	if o.L2 == 0 {
		o.L2 = 1e-3
	}
	if o.MinConversions == 0 {
		o.MinConversions = 100
	}
	if o.Now.IsZero() {
		o.Now = time.Now().UTC()
	}
	o.GBDT.Seed = o.Seed
	return o
}

// fitted is a model trained on some rows, before it becomes an artefact.
type fitted struct {
	enc   *Encoder
	gbdt  *GBDT
	lin   *LinearModel
	platt Platt
}

func (f *fitted) raw(row []float64) float64 {
	if f.gbdt != nil {
		return f.gbdt.Raw(row)
	}
	s := f.lin.Intercept
	for j, c := range f.lin.Coef {
		s += c * row[j]
	}
	return s
}

// fit trains on the given rows of t: encoder, learner, calibrator.
func fit(t *Table, rows []int, sc *screened, opt TrainOptions) (*fitted, error) {
	enc := fitEncoder(t, rows, sc.inputs, sc.events, sc.activity, EncodeOptions{OneHot: opt.Learner == LearnerLogistic})
	x := enc.encodeTable(t, rows, opt.AsOf.Unix())
	y := make([]bool, len(rows))
	for r, i := range rows {
		y[r] = t.Y[i]
	}
	f := &fitted{enc: enc}
	switch opt.Learner {
	case LearnerGBDT:
		m, valid, raw, err := FitGBDT(x, y, nil, opt.GBDT)
		if err != nil {
			return nil, err
		}
		vy := make([]bool, len(valid))
		for r, i := range valid {
			vy[r] = y[i]
		}
		f.gbdt, f.platt = m, fitPlatt(raw, vy)
	case LearnerLogistic:
		m, err := learn.FitLogistic(x, y, learn.LogisticOptions{L2: opt.L2, L1: opt.L1, Standardize: true})
		if err != nil {
			return nil, leadscore.Errorf(leadscore.CodeInvalid, "logistic regression: %v", err)
		}
		means := make([]float64, x.Cols)
		for i := 0; i < x.Rows; i++ {
			for j, v := range x.Row(i) {
				means[j] += v
			}
		}
		for j := range means {
			means[j] /= float64(max(1, x.Rows))
		}
		f.lin = &LinearModel{Intercept: m.Intercept, Coef: m.Coef, Means: means}
		// Logistic regression is calibrated by its own loss.
		f.platt = Platt{A: 1}
	default:
		return nil, leadscore.Invalid("learner", "unknown learner %q (use gbdt or logistic)", opt.Learner)
	}
	return f, nil
}

// predictRows returns calibrated probabilities for rows of t.
func (f *fitted) predictRows(t *Table, rows []int, asOf int64) []float64 {
	x := f.enc.encodeTable(t, rows, asOf)
	out := make([]float64, len(rows))
	for r := range rows {
		out[r] = f.platt.prob(f.raw(x.Row(r)))
	}
	return out
}

// Train screens the features of t, measures the learner by stratified
// cross-validation and out of time, and fits the final model on every row.
func Train(ctx context.Context, t *Table, opt TrainOptions) (*Model, *Report, error) {
	opt = opt.withDefaults()
	say := func(format string, args ...any) {
		if opt.Progress != nil {
			opt.Progress(fmt.Sprintf(format, args...))
		}
	}
	rep := &Report{Learner: opt.Learner, Read: t.Stats, OrderBy: t.OrderBy}
	if t.Rows() == 0 {
		return nil, rep, leadscore.Errorf(leadscore.CodeInvalid, "no leads with a known outcome to learn from")
	}
	if t.Stats.Converted == 0 || t.Stats.Converted == t.Rows() {
		return nil, rep, leadscore.Errorf(leadscore.CodeInvalid, "all %d leads have the same outcome: there is nothing to learn", t.Rows())
	}
	sc, err := screen(t, opt.Selection)
	if err != nil {
		return nil, rep, err
	}
	rep.Features = sc.checks
	if len(sc.inputs) == 0 && len(sc.events) == 0 && !sc.activity {
		return nil, rep, leadscore.Errorf(leadscore.CodeInvalid, "no usable features remain (see the feature list)")
	}
	asOf := opt.AsOf.Unix()

	// Cross-validation: out-of-fold probabilities for every row.
	oof := make([]float64, t.Rows())
	if opt.Folds > 1 {
		folds := learn.StratifiedFolds(t.Y, opt.Folds, opt.Seed)
		cv := &CVReport{Folds: opt.Folds}
		for k := 0; k < opt.Folds; k++ {
			if err := ctx.Err(); err != nil {
				return nil, rep, err
			}
			var train, test []int
			for i, f := range folds {
				if f == k {
					test = append(test, i)
				} else {
					train = append(train, i)
				}
			}
			start := time.Now()
			f, err := fit(t, train, sc, opt)
			if err != nil {
				return nil, rep, err
			}
			cv.FoldSeconds = append(cv.FoldSeconds, time.Since(start).Seconds())
			p := f.predictRows(t, test, asOf)
			ty := make([]bool, len(test))
			for r, i := range test {
				oof[i] = p[r]
				ty[r] = t.Y[i]
			}
			cv.AUC = append(cv.AUC, learn.AUC(p, ty))
			say("fold %d/%d: AUC %.4f (%.2fs)", k+1, opt.Folds, cv.AUC[k], cv.FoldSeconds[k])
		}
		cv.Mean, cv.Std = meanStd(cv.AUC)
		cv.LogLoss = learn.LogLoss(oof, t.Y)
		cv.Brier = learn.Brier(oof, t.Y)
		rep.CV = cv
		rep.Calibration = learn.Calibration(oof, t.Y, 10)
		rep.Deciles = learn.QuantileBins(oof, t.Y, 10)
		rep.LiftTop10 = liftAt(oof, t.Y, 0.10)
		rep.LiftTop20 = liftAt(oof, t.Y, 0.20)
		rep.ROC = learn.ROC(oof, t.Y, 100)
		rep.OutOfFold, rep.Y, rep.IDs = oof, t.Y, t.IDs
	}

	// Out of time: the earliest 80% of leads predict the latest 20%.
	order := make([]int, t.Rows())
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(t.Order[a], t.Order[b]) })
	cut := t.Rows() * 8 / 10
	train, test := slices.Clone(order[:cut]), slices.Clone(order[cut:])
	slices.Sort(train)
	slices.Sort(test)
	if hasBoth(t.Y, train) && hasBoth(t.Y, test) {
		start := time.Now()
		f, err := fit(t, train, sc, opt)
		if err != nil {
			return nil, rep, err
		}
		p := f.predictRows(t, test, asOf)
		ty := make([]bool, len(test))
		for r, i := range test {
			ty[r] = t.Y[i]
		}
		rep.OutOfTime = &HoldoutReport{TrainRows: len(train), TestRows: len(test), AUC: learn.AUC(p, ty), Seconds: time.Since(start).Seconds()}
		say("out of time (by %s): AUC %.4f", t.OrderBy, rep.OutOfTime.AUC)
	}

	// The final model learns from every row.
	all := make([]int, t.Rows())
	for i := range all {
		all[i] = i
	}
	start := time.Now()
	f, err := fit(t, all, sc, opt)
	if err != nil {
		return nil, rep, err
	}
	rep.FinalSeconds = time.Since(start).Seconds()
	rep.Columns = len(f.enc.Columns)
	m := &Model{Format: FormatVersion, Kind: opt.Learner, CreatedAt: opt.Now.UTC().Truncate(time.Second), DataHash: opt.DataHash,
		Target: opt.Target, Encoder: f.enc, GBDT: f.gbdt, Logistic: f.lin, Calibrator: f.platt, checker: quality.NewChecker()}
	if f.enc.hasRules() {
		if opt.Rules == nil {
			return nil, rep, leadscore.Errorf(leadscore.CodeInvalid, "the table has rule features but no rule model was given to score them with")
		}
		m.Rules = opt.Rules
	}
	if f.gbdt != nil {
		rep.Rounds = f.gbdt.Rounds
		gopt, _ := json.Marshal(opt.GBDT.withDefaults())
		m.Options = gopt
	}
	if !opt.AsOf.IsZero() {
		at := opt.AsOf.UTC()
		m.AsOf = &at
	}
	// Tiers: the top 10% of cross-validated scores are hot, the next 30% warm.
	probs := oof
	if rep.CV == nil {
		probs = f.predictRows(t, all, asOf)
	}
	m.Tiers = tiersFrom(probs)
	if t.Stats.Converted < opt.MinConversions {
		m.NotActivatable = append(m.NotActivatable, fmt.Sprintf("only %d conversions: at least %d are needed to trust a learned model", t.Stats.Converted, opt.MinConversions))
	}
	m.Activatable = len(m.NotActivatable) == 0
	rep.Activatable, rep.NotActivatable = m.Activatable, m.NotActivatable
	m.Summary = Summary{Rows: t.Rows(), Converted: t.Stats.Converted, LiftTop10: round4(rep.LiftTop10), LiftTop20: round4(rep.LiftTop20)}
	for _, c := range sc.checks {
		if c.Status == "used" {
			m.Summary.Features = append(m.Summary.Features, c.Name)
		}
	}
	if rep.CV != nil {
		m.Summary.CVAUC, m.Summary.CVAUCStd = round4(rep.CV.Mean), round4(rep.CV.Std)
	}
	if rep.OutOfTime != nil {
		m.Summary.OutOfTimeAUC = round4(rep.OutOfTime.AUC)
	}
	return m, rep, nil
}

func round4(v float64) float64 { return math.Round(v*1e4) / 1e4 }

func hasBoth(y []bool, rows []int) bool {
	p := 0
	for _, i := range rows {
		if y[i] {
			p++
		}
	}
	return p > 0 && p < len(rows)
}

func meanStd(v []float64) (float64, float64) {
	if len(v) == 0 {
		return 0, 0
	}
	m := 0.0
	for _, x := range v {
		m += x
	}
	m /= float64(len(v))
	s := 0.0
	for _, x := range v {
		s += (x - m) * (x - m)
	}
	if len(v) > 1 {
		s /= float64(len(v) - 1)
	}
	return m, math.Sqrt(s)
}

// liftAt is the conversion rate of the top share of leads by score over
// the overall rate.
func liftAt(p []float64, y []bool, share float64) float64 {
	idx := make([]int, len(p))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int { return cmp.Compare(p[b], p[a]) })
	n := max(1, int(math.Round(share*float64(len(p)))))
	top, all := 0, 0
	for r, i := range idx {
		if y[i] {
			all++
			if r < n {
				top++
			}
		}
	}
	if all == 0 {
		return 0
	}
	return (float64(top) / float64(n)) / (float64(all) / float64(len(p)))
}

func tiersFrom(p []float64) []Tier {
	s := slices.Clone(p)
	slices.Sort(s)
	at := func(q float64) int {
		if len(s) == 0 {
			return 0
		}
		return int(math.Round(100 * s[min(len(s)-1, int(q*float64(len(s))))]))
	}
	hot, warm := at(0.9), at(0.6)
	if warm >= hot {
		warm = max(0, hot-1)
	}
	return []Tier{{Name: "hot", MinScore: hot}, {Name: "warm", MinScore: warm}, {Name: "cold", MinScore: 0}}
}

// Share is one feature's share of a model's factors.
type Share struct {
	Name  string  `json:"name"`
	Share float64 `json:"share"`
}

// Importance is each factor group's share of the mean absolute factor over
// up to n rows of the table the model was trained on (evenly spread),
// largest first.
func (m *Model) Importance(t *Table, n int) []Share {
	if t.Rows() == 0 || n <= 0 {
		return nil
	}
	step := max(1, t.Rows()/n)
	var rows []int
	for i := 0; i < t.Rows(); i += step {
		rows = append(rows, i)
	}
	asOf := int64(0)
	if m.AsOf != nil {
		asOf = m.AsOf.Unix()
	}
	x := m.Encoder.encodeTable(t, rows, asOf)
	e := m.Encoder
	sum := make([]float64, len(e.Groups))
	phi := make([]float64, len(e.Columns))
	grp := make([]float64, len(e.Groups))
	for r := range rows {
		row := x.Row(r)
		clear(phi)
		if m.GBDT != nil {
			m.GBDT.SHAP(row, phi)
		} else {
			for j, c := range m.Logistic.Coef {
				phi[j] = c * (row[j] - m.Logistic.Means[j])
			}
		}
		clear(grp)
		for j, c := range e.Columns {
			grp[c.Group] += phi[j]
		}
		for g, v := range grp {
			sum[g] += math.Abs(v)
		}
	}
	total := 0.0
	for _, v := range sum {
		total += v
	}
	out := make([]Share, len(sum))
	for g, v := range sum {
		out[g] = Share{Name: e.Groups[g], Share: v / max(total, 1e-300)}
	}
	slices.SortStableFunc(out, func(a, b Share) int { return cmp.Compare(b.Share, a.Share) })
	return out
}
