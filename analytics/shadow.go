package analytics

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/leadscore/leadscore"
	"github.com/leadscore/leadscore/learn"
)

// Champion/challenger: a stored version of a model runs in shadow beside
// the active version on live traffic, and the two are compared on the same
// leads. The scores compared are the ones the service stored (the
// champion's current scores and the challenger's shadow scores), so the
// comparison needs no re-evaluation; the measures are the calibration
// report's, computed for each side over the same leads.

// MinShadowOutcomes is how many leads with a recorded outcome a verdict
// needs: fewer, and a difference in AUC is mostly noise.
const MinShadowOutcomes = 100

// shadowResamples and shadowResampleLeads bound the paired bootstrap that
// decides the verdict: at most this many resamples of at most this many
// leads with an outcome (a random subset beyond that, which only widens the
// interval: the verdict stays on the safe side).
const (
	shadowResamples     = 200
	shadowResampleLeads = 20000
)

// ShadowQuery says which model's shadow to compare and how.
type ShadowQuery struct {
	Model string `json:"model"`
	// LostAfter counts leads with no outcome that are older than this as
	// not converted (0: such leads are left out of the measures needing
	// an outcome).
	LostAfter time.Duration `json:"-"`
	// MaxLeads bounds the leads compared (0: the service's default).
	MaxLeads int `json:"-"`
}

// ShadowSide is one of the two versions scored on a lead.
type ShadowSide struct {
	Score     float64
	Band      string
	Qualified bool
}

// ShadowPair is one lead scored by both versions, with its outcome.
type ShadowPair struct {
	LeadID     string
	Created    time.Time
	Champion   ShadowSide
	Challenger ShadowSide
	Outcome    Outcome
}

// Agreement counts the compared leads by who qualified them.
type Agreement struct {
	Both           int `json:"both"`
	OnlyChampion   int `json:"only_champion"`
	OnlyChallenger int `json:"only_challenger"`
	Neither        int `json:"neither"`
}

// ShadowVersion is one side of the comparison: its version, how many of the
// compared leads it qualified, its mean score, and the calibration report of
// its scores on the compared leads (AUC, conversion by band, precision and
// recall at its own threshold, the score histogram by outcome).
type ShadowVersion struct {
	Version   string  `json:"version"`
	MQLs      int     `json:"mqls"`
	MeanScore float64 `json:"mean_score"`
	Report    *Report `json:"report"`
}

// Verdict kinds.
const (
	VerdictBetter     = "better"
	VerdictWorse      = "worse"
	VerdictSame       = "no_clear_difference"
	VerdictNotEnough  = "not_enough_outcomes"
	VerdictOneOutcome = "one_outcome_only"
)

// Verdict says in plain words whether the challenger ranks leads better
// than the champion (by ROC AUC on the leads with an outcome), and how sure
// that is: the 95% interval of the difference in AUC from a paired
// bootstrap. Better or worse only when the interval excludes zero.
type Verdict struct {
	Kind     string `json:"kind"`
	Text     string `json:"text"`
	Outcomes int    `json:"outcomes"`
	Needed   int    `json:"needed"`
	// AUCDiff is the challenger's AUC minus the champion's, with its 95%
	// interval (absent without a verdict on the AUC).
	AUCDiff     *float64 `json:"auc_diff,omitempty"`
	AUCDiffLow  *float64 `json:"auc_diff_low,omitempty"`
	AUCDiffHigh *float64 `json:"auc_diff_high,omitempty"`
}

// ShadowComparison is the champion (the active version) against the
// challenger (the shadow version) on the same leads since the shadow
// started.
type ShadowComparison struct {
	Model  string           `json:"model"`
	Shadow leadscore.Shadow `json:"shadow"`
	AsOf   time.Time        `json:"as_of"`
	Days   float64          `json:"days"`
	Leads  int              `json:"leads"`
	// Limited is true when more leads had shadow scores than were read.
	Limited     bool          `json:"limited"`
	WithOutcome int           `json:"with_outcome"`
	Converted   int           `json:"converted"`
	LostAfter   string        `json:"lost_after,omitempty"`
	Champion    ShadowVersion `json:"champion"`
	Challenger  ShadowVersion `json:"challenger"`
	Agreement   Agreement     `json:"agreement"`
	Verdict     Verdict       `json:"verdict"`
}

// CompareShadow builds the comparison of two specifications of one model
// over the given leads.
func CompareShadow(shadow leadscore.Shadow, champion, challenger *leadscore.ModelVersion, pairs []ShadowPair, asOf time.Time) *ShadowComparison {
	c := &ShadowComparison{Model: shadow.Model, Shadow: shadow, AsOf: asOf, Leads: len(pairs)}
	if d := asOf.Sub(shadow.StartedAt); d > 0 {
		c.Days = d.Hours() / 24
	}
	champ := &Analysis{Model: champion.Name, Version: champion.Version, Spec: *champion.Spec, AsOf: asOf,
		Leads: make([]LeadResult, len(pairs))}
	chall := &Analysis{Model: challenger.Name, Version: challenger.Version, Spec: *challenger.Spec, AsOf: asOf,
		Leads: make([]LeadResult, len(pairs))}
	var sumA, sumB float64
	for i, p := range pairs {
		champ.Leads[i] = pairResult(champion.Spec, p.Champion, p)
		chall.Leads[i] = pairResult(challenger.Spec, p.Challenger, p)
		sumA += p.Champion.Score
		sumB += p.Challenger.Score
		switch a, b := p.Champion.Qualified, p.Challenger.Qualified; {
		case a && b:
			c.Agreement.Both++
		case a:
			c.Agreement.OnlyChampion++
		case b:
			c.Agreement.OnlyChallenger++
		default:
			c.Agreement.Neither++
		}
	}
	c.Champion = ShadowVersion{Version: champion.Version, MQLs: c.Agreement.Both + c.Agreement.OnlyChampion, Report: champ.Report()}
	c.Challenger = ShadowVersion{Version: challenger.Version, MQLs: c.Agreement.Both + c.Agreement.OnlyChallenger, Report: chall.Report()}
	if n := len(pairs); n > 0 {
		c.Champion.MeanScore, c.Challenger.MeanScore = sumA/float64(n), sumB/float64(n)
	}
	c.WithOutcome, c.Converted = c.Champion.Report.WithOutcome, c.Champion.Report.Converted
	c.Verdict = verdict(champ, chall)
	return c
}

func pairResult(spec *leadscore.ModelSpec, side ShadowSide, p ShadowPair) LeadResult {
	r := LeadResult{Score: side.Score, Qualified: side.Qualified, Band: -1, Outcome: p.Outcome, Created: p.Created}
	for i, b := range spec.Bands {
		if b.Name == side.Band {
			r.Band = i
		}
	}
	return r
}

// verdict compares the two sides' AUC on the leads with an outcome.
func verdict(champ, chall *Analysis) Verdict {
	a, y := champ.known()
	b, _ := chall.known()
	v := Verdict{Outcomes: len(y), Needed: MinShadowOutcomes}
	if len(y) < MinShadowOutcomes {
		v.Kind = VerdictNotEnough
		v.Text = fmt.Sprintf("not enough outcomes yet: %d of the %d needed", len(y), MinShadowOutcomes)
		return v
	}
	pos := 0
	for _, c := range y {
		if c {
			pos++
		}
	}
	if pos == 0 || pos == len(y) {
		v.Kind = VerdictOneOutcome
		v.Text = fmt.Sprintf("no verdict yet: all %d outcomes are the same, so neither version can be told to rank better", len(y))
		return v
	}
	diff := learn.AUC(b, y) - learn.AUC(a, y)
	lo, hi := bootstrapAUCDiff(a, b, y)
	v.AUCDiff, v.AUCDiffLow, v.AUCDiffHigh = &diff, &lo, &hi
	switch {
	case lo > 0:
		v.Kind = VerdictBetter
		v.Text = fmt.Sprintf("challenger better: its AUC is %+.3f (95%% interval %+.3f to %+.3f) on %d outcomes", diff, lo, hi, len(y))
	case hi < 0:
		v.Kind = VerdictWorse
		v.Text = fmt.Sprintf("challenger worse: its AUC is %+.3f (95%% interval %+.3f to %+.3f) on %d outcomes", diff, lo, hi, len(y))
	default:
		v.Kind = VerdictSame
		v.Text = fmt.Sprintf("no clear difference yet: the challenger's AUC is %+.3f (95%% interval %+.3f to %+.3f) on %d outcomes", diff, lo, hi, len(y))
	}
	return v
}

// bootstrapAUCDiff is the 95% interval of AUC(b) - AUC(a) over paired
// resamples of the leads (the same leads for both sides in each resample),
// seeded so that a report reads the same every time.
func bootstrapAUCDiff(a, b []float64, y []bool) (lo, hi float64) {
	rng := rand.New(rand.NewPCG(1, 2))
	idx := make([]int, len(y))
	for i := range idx {
		idx[i] = i
	}
	if len(idx) > shadowResampleLeads {
		rng.Shuffle(len(idx), func(i, j int) { idx[i], idx[j] = idx[j], idx[i] })
		idx = idx[:shadowResampleLeads]
	}
	n := len(idx)
	ra, rb, ry := make([]float64, n), make([]float64, n), make([]bool, n)
	diffs := make([]float64, 0, shadowResamples)
	for range shadowResamples {
		pos := 0
		for k := range n {
			i := idx[rng.IntN(n)]
			ra[k], rb[k], ry[k] = a[i], b[i], y[i]
			if y[i] {
				pos++
			}
		}
		if pos == 0 || pos == n {
			continue
		}
		diffs = append(diffs, learn.AUC(rb, ry)-learn.AUC(ra, ry))
	}
	if len(diffs) == 0 {
		return 0, 0
	}
	slices.Sort(diffs)
	q := func(p float64) float64 { return diffs[min(len(diffs)-1, int(p*float64(len(diffs))))] }
	return q(0.025), q(0.975)
}

// ShadowStarted is what starting a shadow answers.
type ShadowStarted struct {
	Shadow leadscore.Shadow `json:"shadow"`
	// Job scores the leads stored before the shadow started.
	Job leadscore.Job `json:"job"`
	// Replaced is the shadow this one replaced (a model has at most one).
	Replaced *leadscore.Shadow `json:"replaced,omitempty"`
}

// ShadowService runs and compares shadow versions; the service implements
// it, and the HTTP API and web UI use it when the service they are given
// does.
type ShadowService interface {
	// StartShadow runs a stored, inactive version of a model in shadow,
	// replacing the model's running shadow (returned as replaced), and
	// starts the job that scores the stored leads with it.
	StartShadow(ctx context.Context, model, version, by string) (started *leadscore.Shadow, job *leadscore.Job, replaced *leadscore.Shadow, err error)
	// StopShadow stops a model's shadow and deletes its scores.
	StopShadow(ctx context.Context, model string) error
	// Shadows lists the running shadows.
	Shadows(ctx context.Context) ([]leadscore.Shadow, error)
	// ShadowReport compares a model's champion and challenger.
	ShadowReport(ctx context.Context, q ShadowQuery) (*ShadowComparison, error)
}

// WriteText writes the comparison as a terminal summary.
func (c *ShadowComparison) WriteText(w io.Writer) error {
	e := &errWriter{w: w}
	e.printf("champion/challenger: %s — active version %s against shadow version %s\n", c.Model, c.Champion.Version, c.Challenger.Version)
	e.printf("shadow started %s, %.1f days ago; %d leads scored by both", c.Shadow.StartedAt.UTC().Format(time.RFC3339), c.Days, c.Leads)
	if c.Limited {
		e.printf(" (limited: more leads have shadow scores)")
	}
	e.printf("\n%d with an outcome, %d converted\n\n", c.WithOutcome, c.Converted)
	e.printf("verdict: %s\n\n", c.Verdict.Text)
	tw := table(e.w)
	fmt.Fprintf(tw, "\tchampion\tchallenger\t\n")
	fmt.Fprintf(tw, "version\t%s\t%s\t\n", c.Champion.Version, c.Challenger.Version)
	fmt.Fprintf(tw, "MQLs\t%d\t%d\t\n", c.Champion.MQLs, c.Challenger.MQLs)
	fmt.Fprintf(tw, "mean score\t%s\t%s\t\n", fmtNum(c.Champion.MeanScore), fmtNum(c.Challenger.MeanScore))
	a, b := c.Champion.Report, c.Challenger.Report
	if a.Converted > 0 && a.Converted < a.WithOutcome {
		fmt.Fprintf(tw, "ROC AUC\t%.3f\t%.3f\t\n", a.AUC, b.AUC)
	}
	threshold := func(r *Report) string {
		if r.MQL == nil {
			return "–"
		}
		return fmtNum(*r.MQL)
	}
	fmt.Fprintf(tw, "MQL threshold\t%s\t%s\t\n", threshold(a), threshold(b))
	if a.AtMQL != nil && b.AtMQL != nil {
		fmt.Fprintf(tw, "precision at threshold\t%s\t%s\t\n", pct(a.AtMQL.Precision), pct(b.AtMQL.Precision))
		fmt.Fprintf(tw, "recall at threshold\t%s\t%s\t\n", pct(a.AtMQL.Recall), pct(b.AtMQL.Recall))
	}
	if e.err == nil {
		e.err = tw.Flush()
	}
	g := c.Agreement
	e.printf("\nwho qualifies:\n")
	tw = table(e.w)
	fmt.Fprintf(tw, "\tchallenger MQL\tchallenger not\t\n")
	fmt.Fprintf(tw, "champion MQL\t%d\t%d\t\n", g.Both, g.OnlyChampion)
	fmt.Fprintf(tw, "champion not\t%d\t%d\t\n", g.OnlyChallenger, g.Neither)
	if e.err == nil {
		e.err = tw.Flush()
	}
	for _, side := range []struct {
		name string
		r    *Report
	}{{"champion", a}, {"challenger", b}} {
		if len(side.r.Bands) == 0 || side.r.WithOutcome == 0 {
			continue
		}
		e.printf("\n%s conversion by band:\n", side.name)
		tw := table(e.w)
		fmt.Fprintf(tw, "band\tfrom\tleads\tconverted\trate\t95%% interval\t\n")
		for _, bs := range side.r.Bands {
			fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%s\t%s–%s\t\n", bs.Name, fmtNum(bs.Min), bs.Leads, bs.Converted, pct(bs.Rate), pct(bs.Low), pct(bs.High))
		}
		if e.err == nil {
			e.err = tw.Flush()
		}
	}
	return e.err
}
