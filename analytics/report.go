package analytics

import (
	"math"
	"time"

	"github.com/leadscore/leadscore/learn"
)

// Report is the calibration report of a model against outcomes: does the
// score separate leads that converted from leads that did not, and where
// does it go wrong.
type Report struct {
	Model   string    `json:"model"`
	Version string    `json:"version"`
	AsOf    time.Time `json:"as_of"`
	// Horizon, when set, means leads with an outcome date were scored as
	// of that date minus the horizon.
	Horizon  string   `json:"horizon,omitempty"`
	ScaleMin float64  `json:"scale_min"`
	ScaleMax float64  `json:"scale_max"`
	MQL      *float64 `json:"mql,omitempty"`

	Leads       int     `json:"leads"`
	WithOutcome int     `json:"with_outcome"`
	Converted   int     `json:"converted"`
	BaseRate    float64 `json:"base_rate"`
	// MeanScoreConverted should be well above MeanScoreNotConverted.
	MeanScoreConverted    float64 `json:"mean_score_converted"`
	MeanScoreNotConverted float64 `json:"mean_score_not_converted"`
	// AUC is the chance that a random converter outscores a random
	// non-converter (ties count half): 0.5 is no better than chance.
	AUC     float64          `json:"auc"`
	AtMQL   *ThresholdStats  `json:"at_mql,omitempty"`
	Bands   []BandStats      `json:"bands,omitempty"`
	Deciles []learn.Bin      `json:"deciles"`
	ROC     []learn.ROCPoint `json:"roc"`
	// Histogram counts leads per score range by outcome.
	Histogram []HistogramBin `json:"histogram"`
	Funnel    []FunnelStage  `json:"funnel,omitempty"`
	// LowScoreConverted are the lowest-scoring leads that converted, and
	// HighScoreNotConverted the highest-scoring leads that did not: the
	// cases to study when adjusting a model.
	LowScoreConverted     []Case `json:"low_score_converted"`
	HighScoreNotConverted []Case `json:"high_score_not_converted"`
}

// ThresholdStats is how a yes/no decision at a threshold fares.
type ThresholdStats struct {
	Threshold float64         `json:"threshold"`
	Qualified int             `json:"qualified"`
	Confusion learn.Confusion `json:"confusion"`
	Precision float64         `json:"precision"`
	Recall    float64         `json:"recall"`
	F1        float64         `json:"f1"`
	Accuracy  float64         `json:"accuracy"`
}

// BandStats is the conversion of one score band with its 95% Wilson
// interval.
type BandStats struct {
	Name      string  `json:"name"`
	Min       float64 `json:"min"`
	Leads     int     `json:"leads"`
	Known     int     `json:"with_outcome"`
	Converted int     `json:"converted"`
	Rate      float64 `json:"rate"`
	Low       float64 `json:"rate_low"`
	High      float64 `json:"rate_high"`
}

// HistogramBin counts leads with Lo <= score < Hi (the last bin includes
// the maximum).
type HistogramBin struct {
	Lo           float64 `json:"lo"`
	Hi           float64 `json:"hi"`
	Converted    int     `json:"converted"`
	NotConverted int     `json:"not_converted"`
	Unknown      int     `json:"unknown"`
}

// FunnelStage counts leads that reached a stage (or a later one).
type FunnelStage struct {
	Name    string `json:"name"`
	Reached int    `json:"reached"`
	// FromPrevious is the share of the previous stage's leads that reached
	// this one; FromStart the share of all leads.
	FromPrevious float64 `json:"from_previous"`
	FromStart    float64 `json:"from_start"`
	// Converted counts leads of this stage whose outcome was a conversion.
	Converted int `json:"converted"`
}

// z95 is the normal quantile of a two-sided 95% interval.
const z95 = 1.959964

const histogramBins = 20

// known returns the scores and outcomes of the leads with a known outcome.
func (a *Analysis) known() ([]float64, []bool) {
	var scores []float64
	var y []bool
	for i := range a.Leads {
		l := &a.Leads[i]
		if l.Outcome.Known {
			scores = append(scores, l.Score)
			y = append(y, l.Outcome.Converted)
		}
	}
	return scores, y
}

// thresholdStats measures the decision "score >= t".
func thresholdStats(scores []float64, y []bool, t float64) ThresholdStats {
	c := learn.ConfusionAt(scores, y, t)
	return ThresholdStats{Threshold: t, Qualified: c.TP + c.FP, Confusion: c, Precision: c.Precision(), Recall: c.Recall(),
		F1: c.F1(), Accuracy: c.Accuracy()}
}

// Report builds the calibration report.
func (a *Analysis) Report() *Report {
	spec := a.Spec
	r := &Report{Model: a.Model, Version: a.Version, AsOf: a.AsOf, ScaleMin: spec.Scale.Min, ScaleMax: spec.Scale.Max,
		MQL: spec.MQL, Leads: len(a.Leads), LowScoreConverted: a.lowConverted, HighScoreNotConverted: a.highLost}
	if a.Horizon > 0 {
		r.Horizon = a.Horizon.String()
	}
	scores, y := a.known()
	r.WithOutcome = len(y)
	var sumC, sumN float64
	for i, s := range scores {
		if y[i] {
			r.Converted++
			sumC += s
		} else {
			sumN += s
		}
	}
	if r.WithOutcome > 0 {
		r.BaseRate = float64(r.Converted) / float64(r.WithOutcome)
	}
	if r.Converted > 0 {
		r.MeanScoreConverted = sumC / float64(r.Converted)
	}
	if n := r.WithOutcome - r.Converted; n > 0 {
		r.MeanScoreNotConverted = sumN / float64(n)
	}
	if r.Converted > 0 && r.Converted < r.WithOutcome {
		r.AUC = learn.AUC(scores, y)
		r.ROC = learn.ROC(scores, y, 101)
	}
	if r.WithOutcome > 0 {
		r.Deciles = learn.QuantileBins(scores, y, 10)
	}
	if spec.MQL != nil && r.WithOutcome > 0 {
		ts := thresholdStats(scores, y, *spec.MQL)
		r.AtMQL = &ts
	}
	r.Bands = a.bandStats()
	r.Histogram = a.histogram()
	r.Funnel = a.funnel()
	return r
}

func (a *Analysis) bandStats() []BandStats {
	bands := a.Spec.Bands
	if len(bands) == 0 {
		return nil
	}
	out := make([]BandStats, len(bands))
	for i, b := range bands {
		out[i] = BandStats{Name: b.Name, Min: b.Min}
	}
	for i := range a.Leads {
		l := &a.Leads[i]
		if l.Band < 0 {
			continue
		}
		b := &out[l.Band]
		b.Leads++
		if l.Outcome.Known {
			b.Known++
			if l.Outcome.Converted {
				b.Converted++
			}
		}
	}
	for i := range out {
		b := &out[i]
		if b.Known > 0 {
			b.Rate = float64(b.Converted) / float64(b.Known)
			b.Low, b.High = learn.Wilson(b.Converted, b.Known, z95)
		}
	}
	return out
}

func (a *Analysis) histogram() []HistogramBin {
	lo, hi := a.Spec.Scale.Min, a.Spec.Scale.Max
	width := (hi - lo) / histogramBins
	bins := make([]HistogramBin, histogramBins)
	for i := range bins {
		bins[i].Lo = lo + float64(i)*width
		bins[i].Hi = lo + float64(i+1)*width
	}
	for i := range a.Leads {
		l := &a.Leads[i]
		k := int(math.Floor((l.Score - lo) / width))
		k = max(0, min(k, histogramBins-1))
		switch {
		case !l.Outcome.Known:
			bins[k].Unknown++
		case l.Outcome.Converted:
			bins[k].Converted++
		default:
			bins[k].NotConverted++
		}
	}
	return bins
}

func (a *Analysis) funnel() []FunnelStage {
	if len(a.Stages) == 0 {
		return nil
	}
	out := make([]FunnelStage, len(a.Stages))
	for i, s := range a.Stages {
		out[i].Name = s
	}
	for i := range a.Leads {
		l := &a.Leads[i]
		for k := range out {
			if k < len(l.Outcome.Stages) && l.Outcome.Stages[k] {
				out[k].Reached++
				if l.Outcome.Known && l.Outcome.Converted {
					out[k].Converted++
				}
			}
		}
	}
	prev := len(a.Leads)
	for k := range out {
		if prev > 0 {
			out[k].FromPrevious = float64(out[k].Reached) / float64(prev)
		}
		if len(a.Leads) > 0 {
			out[k].FromStart = float64(out[k].Reached) / float64(len(a.Leads))
		}
		prev = out[k].Reached
	}
	return out
}
