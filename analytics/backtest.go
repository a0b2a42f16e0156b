package analytics

import (
	"context"
	"encoding/csv"
	"io"
	"math"
	"slices"
	"strconv"
	"time"

	"github.com/leadscore/leadscore"
	"github.com/leadscore/leadscore/scoring"
)

// BacktestOptions describe a replay of history under a model.
type BacktestOptions struct {
	// Set holds the model and, when comparing, the model it is compared
	// with.
	Set     *scoring.Set
	Model   string
	Against string
	// From, To and Every give the as-of dates: From, From+Every, ... up to
	// and including To. Every defaults to 7 days.
	From, To time.Time
	Every    time.Duration
	// Horizon, when set, replaces the dates: every lead with an outcome
	// date is scored once, as of that date minus Horizon, and leads
	// without one are left out. Weeks then group leads by that instant.
	Horizon time.Duration
	Workers int
	// Examples bounds the leads listed as newly qualifying or dropping out
	// (default 20).
	Examples int
}

// Backtest is what a model would have done to past leads, and how that
// differs from the model it would replace.
type Backtest struct {
	Model   string `json:"model"`
	Against string `json:"against,omitempty"`
	Horizon string `json:"horizon,omitempty"`
	Leads   int    `json:"leads"`
	// Skipped counts leads left out: without an outcome date in horizon
	// mode, or created after the last date.
	Skipped int `json:"skipped"`
	// Periods has one row per as-of date (or week, in horizon mode).
	Periods []Period `json:"periods"`
	// Draft and Current summarise each model over the whole replay.
	Draft   ModelSummary  `json:"model_summary"`
	Current *ModelSummary `json:"against_summary,omitempty"`
	// NewlyQualify counts leads that would be MQL at some date under the
	// model but never under the one it replaces; DropOut the reverse.
	NewlyQualify int          `json:"newly_qualify"`
	DropOut      int          `json:"drop_out"`
	NewExamples  []ImpactLead `json:"newly_qualify_examples,omitempty"`
	DropExamples []ImpactLead `json:"drop_out_examples,omitempty"`
	// Evaluations counts engine evaluations; a lead's score is carried
	// forward, not re-evaluated, while the engine says it cannot change.
	Evaluations int64  `json:"evaluations"`
	Elapsed     string `json:"elapsed"`

	replays []leadReplay
	dates   []time.Time
}

// Period is one as-of date of the replay.
type Period struct {
	At        time.Time    `json:"at"`
	Evaluated int          `json:"evaluated"`
	Draft     PeriodStats  `json:"model"`
	Current   *PeriodStats `json:"against,omitempty"`
}

// PeriodStats is one model at one date.
type PeriodStats struct {
	// MQLs is the number of leads qualified as of the date; NewMQLs those
	// that qualified for the first time since the previous date (the MQL
	// volume sales would have received that week).
	MQLs      int     `json:"mqls"`
	NewMQLs   int     `json:"new_mqls"`
	MeanScore float64 `json:"mean_score"`
}

// ModelSummary is one model over the whole replay.
type ModelSummary struct {
	Name string `json:"name"`
	// EverMQL counts leads that qualified at some date, and of those with a
	// known outcome how many converted.
	EverMQL          int     `json:"ever_mql"`
	EverMQLKnown     int     `json:"ever_mql_with_outcome"`
	EverMQLConverted int     `json:"ever_mql_converted"`
	MeanNewPerPeriod float64 `json:"mean_new_mqls_per_period"`
	// Final is the score distribution at the last date (per lead, in
	// horizon mode) in ten bins over the scale.
	Final     []HistogramBin `json:"final_distribution"`
	FinalMean float64        `json:"final_mean"`
}

// ImpactLead is a lead whose qualification changes.
type ImpactLead struct {
	LeadID string `json:"lead_id"`
	Line   int    `json:"line,omitempty"`
	// FirstMQL is when the model first qualified the lead; AgainstFirstMQL
	// the same under the replaced model.
	FirstMQL        *time.Time `json:"first_mql,omitempty"`
	AgainstFirstMQL *time.Time `json:"against_first_mql,omitempty"`
	Score           float64    `json:"final_score"`
	AgainstScore    float64    `json:"against_final_score"`
	Converted       *bool      `json:"converted,omitempty"`
}

// leadReplay is one lead's replay under one or two models.
type leadReplay struct {
	id       string
	line     int
	skipped  bool
	outcome  Outcome
	asOf     time.Time // horizon mode
	first    [2]int    // index of the first qualifying date, -1: never
	last     [2]float64
	firstDay int // first date the lead existed at
}

// replayAccum sums a worker's evaluations per date and model.
type replayAccum struct {
	evaluated []int
	mqls      [2][]int
	newMQLs   [2][]int
	scoreSum  [2][]int64 // hundredths, so sums do not depend on order
}

func newAccum(n int) *replayAccum {
	a := &replayAccum{evaluated: make([]int, n)}
	for m := range 2 {
		a.mqls[m] = make([]int, n)
		a.newMQLs[m] = make([]int, n)
		a.scoreSum[m] = make([]int64, n)
	}
	return a
}

// RunBacktest replays history.
func RunBacktest(ctx context.Context, src Source, opt BacktestOptions) (*Backtest, error) {
	start := time.Now()
	if opt.Set == nil {
		return nil, leadscore.Errorf(leadscore.CodeInvalid, "no model")
	}
	if opt.Examples <= 0 {
		opt.Examples = 20
	}
	if opt.Every <= 0 {
		opt.Every = 7 * 24 * time.Hour
	}
	_, model, err := pickModel(opt.Set, opt.Model)
	if err != nil {
		return nil, err
	}
	names := []string{model.Name()}
	var against *scoring.Model
	if opt.Against != "" {
		_, am, err := pickModel(opt.Set, opt.Against)
		if err != nil {
			return nil, err
		}
		if am.Name() == model.Name() {
			return nil, leadscore.Errorf(leadscore.CodeInvalid, "a model compared with itself")
		}
		names = append(names, am.Name())
		against = am
	}
	set, models, err := subset(opt.Set, names...)
	if err != nil {
		return nil, err
	}
	var dates []time.Time
	if opt.Horizon <= 0 {
		if opt.From.IsZero() || opt.To.IsZero() {
			return nil, leadscore.Errorf(leadscore.CodeInvalid, "a backtest needs a date range (from and to) or a horizon")
		}
		if opt.To.Before(opt.From) {
			return nil, leadscore.Errorf(leadscore.CodeInvalid, "the range ends (%s) before it starts (%s)", opt.To.Format(time.DateOnly), opt.From.Format(time.DateOnly))
		}
		for t := opt.From; !t.After(opt.To); t = t.Add(opt.Every) {
			dates = append(dates, t)
		}
		if len(dates) > 10000 {
			return nil, leadscore.Errorf(leadscore.CodeInvalid, "%d dates; use a longer step (every) or a shorter range", len(dates))
		}
	}
	workers := opt.Workers
	if workers <= 0 {
		workers = defaultWorkers()
	}
	accums := make([]*replayAccum, workers)
	for w := range accums {
		accums[w] = newAccum(len(dates))
	}
	evals := make([]int64, workers)
	peersMatter := set.UsesAccountActivity()
	replays, err := eachParallel(ctx, src, workers, func(w, _ int, rec *Record) leadReplay {
		r := leadReplay{id: rec.Input.Lead.ID, line: rec.Line, outcome: rec.Outcome, first: [2]int{-1, -1}}
		r.outcome.StageAt = nil
		r.outcome.Stages = nil
		if opt.Horizon > 0 {
			if rec.Outcome.At.IsZero() {
				r.skipped = true
				return r
			}
			r.asOf = rec.Outcome.At.Add(-opt.Horizon)
			evs := set.Evaluate(&rec.Input, r.asOf)
			for k, m := range models {
				r.last[k] = evs[m].Score
				if evs[m].Qualified {
					r.first[k] = 0
				}
			}
			evals[w]++
			return r
		}
		created := rec.Input.Lead.CreatedAt
		r.firstDay = 0
		if !created.IsZero() {
			r.firstDay = sortSearchTimes(dates, created)
		}
		if r.firstDay >= len(dates) {
			r.skipped = true
			return r
		}
		st := set.NewState(&rec.Input)
		acc := accums[w]
		// The engine says when a score could next change with no new data
		// (a window closing, a decay step, the lead's next event); until
		// then the last evaluation holds, and evaluating again would give
		// the same result. A colleague's activity is the one input it
		// cannot foresee, so models reading it re-check peers.
		var evs []*leadscore.Evaluation
		var validUntil time.Time // zero: never changes by itself
		for d := r.firstDay; d < len(dates); d++ {
			at := dates[d]
			if evs == nil || (!validUntil.IsZero() && !at.Before(validUntil)) || (peersMatter && peerActive(rec.Input.Peers, dates[d-1], at)) {
				evs = st.Evaluate(at)
				evals[w]++
				validUntil = time.Time{}
				for _, m := range models {
					if n := evs[m].NextChangeAt; !n.IsZero() && (validUntil.IsZero() || n.Before(validUntil)) {
						validUntil = n
					}
				}
			}
			acc.evaluated[d]++
			for k, m := range models {
				ev := evs[m]
				acc.scoreSum[k][d] += int64(math.Round(ev.Score * 100))
				if ev.Qualified {
					acc.mqls[k][d]++
					if r.first[k] < 0 {
						r.first[k] = d
						acc.newMQLs[k][d]++
					}
				}
				r.last[k] = ev.Score
			}
		}
		return r
	})
	if err != nil {
		return nil, err
	}
	bt := &Backtest{Model: model.Name(), Leads: len(replays)}
	if against != nil {
		bt.Against = against.Name()
	}
	for _, n := range evals {
		bt.Evaluations += n
	}
	if opt.Horizon > 0 {
		bt.Horizon = opt.Horizon.String()
		dates = horizonWeeks(replays, opt.Every)
		accums = []*replayAccum{newAccum(len(dates))}
		acc := accums[0]
		for i := range replays {
			r := &replays[i]
			if r.skipped {
				continue
			}
			d := max(0, sortSearchTimes(dates, r.asOf.Add(time.Nanosecond))-1)
			acc.evaluated[d]++
			for k := range models {
				acc.scoreSum[k][d] += int64(math.Round(r.last[k] * 100))
				if r.first[k] >= 0 {
					r.first[k] = d
					acc.mqls[k][d]++
					acc.newMQLs[k][d]++
				}
			}
		}
	}
	for d, at := range dates {
		p := Period{At: at}
		var stats [2]PeriodStats
		var sum [2]int64
		for _, acc := range accums {
			p.Evaluated += acc.evaluated[d]
			for k := range models {
				stats[k].MQLs += acc.mqls[k][d]
				stats[k].NewMQLs += acc.newMQLs[k][d]
				sum[k] += acc.scoreSum[k][d]
			}
		}
		for k := range models {
			if p.Evaluated > 0 {
				stats[k].MeanScore = math.Round(float64(sum[k])/float64(p.Evaluated)) / 100
			}
		}
		p.Draft = stats[0]
		if against != nil {
			s := stats[1]
			p.Current = &s
		}
		bt.Periods = append(bt.Periods, p)
	}
	bt.Draft = summarise(model, replays, 0, bt.Periods, func(p Period) PeriodStats { return p.Draft })
	if against != nil {
		s := summarise(against, replays, 1, bt.Periods, func(p Period) PeriodStats { return *p.Current })
		bt.Current = &s
	}
	for i := range replays {
		r := &replays[i]
		if r.skipped {
			bt.Skipped++
			continue
		}
		if against == nil {
			continue
		}
		newly := r.first[0] >= 0 && r.first[1] < 0
		drop := r.first[0] < 0 && r.first[1] >= 0
		if newly {
			bt.NewlyQualify++
		}
		if drop {
			bt.DropOut++
		}
		if (newly && len(bt.NewExamples) < opt.Examples) || (drop && len(bt.DropExamples) < opt.Examples) {
			il := ImpactLead{LeadID: r.id, Line: r.line, Score: r.last[0], AgainstScore: r.last[1]}
			if r.first[0] >= 0 {
				t := dates[r.first[0]]
				il.FirstMQL = &t
			}
			if r.first[1] >= 0 {
				t := dates[r.first[1]]
				il.AgainstFirstMQL = &t
			}
			if r.outcome.Known {
				c := r.outcome.Converted
				il.Converted = &c
			}
			if newly {
				bt.NewExamples = append(bt.NewExamples, il)
			} else {
				bt.DropExamples = append(bt.DropExamples, il)
			}
		}
	}
	bt.replays, bt.dates = replays, dates
	bt.Elapsed = time.Since(start).Round(time.Millisecond).String()
	return bt, nil
}

// WriteMQLs writes who would have been MQL and when, one CSV row per lead
// in source order: the first date each model qualified the lead (empty:
// never), its final scores and its outcome when known.
func (b *Backtest) WriteMQLs(w io.Writer) error {
	cw := csv.NewWriter(w)
	head := []string{"lead_id", "line", "first_mql", "final_score"}
	if b.Against != "" {
		head = append(head, "against_first_mql", "against_final_score")
	}
	head = append(head, "converted")
	if err := cw.Write(head); err != nil {
		return err
	}
	when := func(i int) string {
		if i < 0 || i >= len(b.dates) {
			return ""
		}
		return b.dates[i].UTC().Format(time.RFC3339)
	}
	for i := range b.replays {
		r := &b.replays[i]
		if r.skipped {
			continue
		}
		row := []string{r.id, strconv.Itoa(r.line), when(r.first[0]), strconv.FormatFloat(r.last[0], 'f', -1, 64)}
		if b.Against != "" {
			row = append(row, when(r.first[1]), strconv.FormatFloat(r.last[1], 'f', -1, 64))
		}
		conv := ""
		if r.outcome.Known {
			conv = strconv.FormatBool(r.outcome.Converted)
		}
		if err := cw.Write(append(row, conv)); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

func summarise(m *scoring.Model, replays []leadReplay, k int, periods []Period, stats func(Period) PeriodStats) ModelSummary {
	spec := m.Spec()
	s := ModelSummary{Name: m.Name()}
	lo, hi := spec.Scale.Min, spec.Scale.Max
	const bins = 10
	width := (hi - lo) / bins
	s.Final = make([]HistogramBin, bins)
	for i := range s.Final {
		s.Final[i].Lo, s.Final[i].Hi = lo+float64(i)*width, lo+float64(i+1)*width
	}
	var sum float64
	n := 0
	for i := range replays {
		r := &replays[i]
		if r.skipped {
			continue
		}
		n++
		sum += r.last[k]
		b := max(0, min(bins-1, int(math.Floor((r.last[k]-lo)/width))))
		switch {
		case !r.outcome.Known:
			s.Final[b].Unknown++
		case r.outcome.Converted:
			s.Final[b].Converted++
		default:
			s.Final[b].NotConverted++
		}
		if r.first[k] >= 0 {
			s.EverMQL++
			if r.outcome.Known {
				s.EverMQLKnown++
				if r.outcome.Converted {
					s.EverMQLConverted++
				}
			}
		}
	}
	if n > 0 {
		s.FinalMean = math.Round(sum/float64(n)*100) / 100
	}
	if len(periods) > 0 {
		total := 0
		for _, p := range periods {
			total += stats(p).NewMQLs
		}
		s.MeanNewPerPeriod = math.Round(float64(total)/float64(len(periods))*100) / 100
	}
	return s
}

// horizonWeeks returns period starts covering every lead's as-of instant.
func horizonWeeks(replays []leadReplay, every time.Duration) []time.Time {
	var lo, hi time.Time
	for i := range replays {
		if replays[i].skipped {
			continue
		}
		t := replays[i].asOf
		if lo.IsZero() || t.Before(lo) {
			lo = t
		}
		if t.After(hi) {
			hi = t
		}
	}
	if lo.IsZero() {
		return nil
	}
	lo = lo.UTC().Truncate(24 * time.Hour)
	var out []time.Time
	for t := lo; !t.After(hi); t = t.Add(every) {
		out = append(out, t)
	}
	return out
}

// peerActive reports whether any peer was active in (from, to].
func peerActive(peers []leadscore.Peer, from, to time.Time) bool {
	for _, p := range peers {
		for _, t := range p.Activity {
			if t.After(from) && !t.After(to) {
				return true
			}
		}
	}
	return false
}

// sortSearchTimes is the index of the first time at or after t.
func sortSearchTimes(ts []time.Time, t time.Time) int {
	i, _ := slices.BinarySearchFunc(ts, t, func(a, b time.Time) int { return a.Compare(b) })
	return i
}
