package analytics

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"
)

// errWriter remembers the first write error so that a summary can be
// written as a sequence of Fprintf calls and checked once.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) printf(format string, args ...any) {
	if e.err == nil {
		_, e.err = fmt.Fprintf(e.w, format, args...)
	}
}

func table(w io.Writer) *tabwriter.Writer {
	return tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
}

// WriteText writes the report as a terminal summary.
func (r *Report) WriteText(w io.Writer) error {
	e := &errWriter{w: w}
	e.printf("calibration report: %s (version %s), scored as of %s", r.Model, r.Version, r.AsOf.UTC().Format(time.RFC3339))
	if r.Horizon != "" {
		e.printf(" or %s before each outcome", r.Horizon)
	}
	e.printf("\n%d leads, %d with an outcome, %d converted (%s)\n", r.Leads, r.WithOutcome, r.Converted, pct(r.BaseRate))
	e.printf("mean score: converted %s, did not convert %s\n", fmtNum(r.MeanScoreConverted), fmtNum(r.MeanScoreNotConverted))
	e.printf("ROC AUC %.3f (0.5 is chance)\n", r.AUC)
	if m := r.AtMQL; m != nil {
		e.printf("at the MQL threshold %s: %d MQLs, precision %s, recall %s, F1 %.3f\n", fmtNum(m.Threshold), m.Qualified, pct(m.Precision), pct(m.Recall), m.F1)
	}
	if len(r.Bands) > 0 {
		e.printf("\nby band:\n")
		tw := table(e.w)
		fmt.Fprintf(tw, "band\tfrom\tleads\tconverted\trate\t95%% interval\t\n")
		for _, b := range r.Bands {
			fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%s\t%s–%s\t\n", b.Name, fmtNum(b.Min), b.Leads, b.Converted, pct(b.Rate), pct(b.Low), pct(b.High))
		}
		if e.err == nil {
			e.err = tw.Flush()
		}
	}
	if len(r.Deciles) > 0 {
		e.printf("\nby decile (highest scores first):\n")
		tw := table(e.w)
		fmt.Fprintf(tw, "decile\tscores\tleads\tconverted\trate\tlift\tgains\t\n")
		for i, b := range r.Deciles {
			fmt.Fprintf(tw, "%d\t%s–%s\t%d\t%d\t%s\t%.2f\t%s\t\n", i+1, fmtNum(b.Lo), fmtNum(b.Hi), b.Count, b.Positives, pct(b.Rate), b.Lift, pct(b.CumPositives))
		}
		if e.err == nil {
			e.err = tw.Flush()
		}
	}
	if len(r.Funnel) > 0 {
		e.printf("\nfunnel:\n")
		for _, s := range r.Funnel {
			e.printf("  %-16s %7d  %s of the previous stage\n", s.Name, s.Reached, pct(s.FromPrevious))
		}
	}
	writeCases(e, "low-scoring leads that converted", r.LowScoreConverted, 5)
	writeCases(e, "high-scoring leads that did not convert", r.HighScoreNotConverted, 5)
	return e.err
}

func writeCases(e *errWriter, title string, cases []Case, n int) {
	if len(cases) == 0 {
		return
	}
	e.printf("\n%s (%d of %d shown; all in --json and --html):\n", title, min(n, len(cases)), len(cases))
	for _, c := range cases[:min(n, len(cases))] {
		e.printf("  %s (line %d): %s %s\n", c.LeadID, c.Line, fmtNum(c.Score), c.Band)
		for _, l := range c.Explanation {
			e.printf("      %s\n", l)
		}
	}
}

// WriteText writes the advice as a terminal summary.
func (a *Advice) WriteText(w io.Writer) error {
	e := &errWriter{w: w}
	if a.Met {
		e.printf("suggested MQL threshold for %s: %s\n", a.Target, fmtNum(a.Threshold))
	} else {
		e.printf("no threshold reaches %s; the closest is %s\n", a.Target, fmtNum(a.Threshold))
	}
	e.printf("volumes per week over %.1f weeks of leads\n\n", a.Weeks)
	tw := table(e.w)
	fmt.Fprintf(tw, "threshold\tMQLs\tper week\tconversion\trecall\tF1\t\n")
	for _, r := range a.Table {
		mark := ""
		if r.Threshold == a.Threshold {
			mark = "  <- suggested"
		}
		// One decimal: a target of 40% must not look met by 39.96%.
		fmt.Fprintf(tw, "%s\t%d\t%.1f\t%.1f%%\t%.1f%%\t%.3f\t%s\n", fmtNum(r.Threshold), r.MQLs, r.PerWeek, 100*r.Precision, 100*r.Recall, r.F1, mark)
	}
	if e.err == nil {
		e.err = tw.Flush()
	}
	if c := a.AtCurrent; c != nil {
		e.printf("\ncurrent threshold %s: %d MQLs, %.1f per week, conversion %s, recall %s\n", fmtNum(c.Threshold), c.MQLs, c.PerWeek, pct(c.Precision), pct(c.Recall))
	}
	return e.err
}

// WriteLiftText writes rule lift (with suggested points when s is not
// nil) as a terminal table.
func WriteLiftText(w io.Writer, lifts []RuleLift, s *Suggestion) error {
	e := &errWriter{w: w}
	if s != nil {
		lifts = s.Rules
	}
	tw := table(e.w)
	head := "rule\tpoints\tfires\tconv. fired\t95% interval\tconv. not fired\tlift\t"
	if s != nil {
		head += "suggested\t"
	}
	fmt.Fprintln(tw, head+"  flags")
	for _, r := range lifts {
		line := fmt.Sprintf("%s\t%s\t%s\t%s\t%s–%s\t%s\t%.2f\t", r.Name, fmtNum(r.Points), pct(r.FiredShare), pct(r.RateFired),
			pct(r.RateFiredLow), pct(r.RateFiredHigh), pct(r.RateNotFired), r.Lift)
		if s != nil && r.Suggested != nil {
			line += fmtNum(*r.Suggested) + "\t"
		}
		fmt.Fprintln(tw, line+"  "+strings.Join(r.Flags, "; "))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if s != nil {
		e.printf("\nsuggested points: logistic regression on rule indicators over %d leads with outcomes (L2 %g), %.3g points per unit of log-odds\n",
			s.Leads, s.Penalty, s.Scale)
	}
	return e.err
}

// WriteText writes the backtest as a terminal summary.
func (b *Backtest) WriteText(w io.Writer) error {
	e := &errWriter{w: w}
	e.printf("backtest of %s", b.Model)
	if b.Against != "" {
		e.printf(" against %s", b.Against)
	}
	if b.Horizon != "" {
		e.printf(", each lead scored %s before its outcome", b.Horizon)
	}
	e.printf(": %d leads (%d left out), %d evaluations in %s\n\n", b.Leads, b.Skipped, b.Evaluations, b.Elapsed)
	tw := table(e.w)
	head := "as of\tleads\tMQLs\tnew MQLs\tmean score\t"
	if b.Against != "" {
		head += "MQLs (against)\tnew (against)\tmean (against)\t"
	}
	fmt.Fprintln(tw, head)
	for _, p := range b.Periods {
		line := fmt.Sprintf("%s\t%d\t%d\t%d\t%.1f\t", p.At.UTC().Format(time.DateOnly), p.Evaluated, p.Draft.MQLs, p.Draft.NewMQLs, p.Draft.MeanScore)
		if p.Current != nil {
			line += fmt.Sprintf("%d\t%d\t%.1f\t", p.Current.MQLs, p.Current.NewMQLs, p.Current.MeanScore)
		}
		fmt.Fprintln(tw, line)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	sum := func(s *ModelSummary) {
		e.printf("%s: %d leads ever MQL", s.Name, s.EverMQL)
		if s.EverMQLKnown > 0 {
			e.printf(" (%s of those with an outcome converted)", pct(float64(s.EverMQLConverted)/float64(s.EverMQLKnown)))
		}
		e.printf(", %.1f new MQLs per period, final mean score %.1f\n", s.MeanNewPerPeriod, s.FinalMean)
	}
	e.printf("\n")
	sum(&b.Draft)
	if b.Current != nil {
		sum(b.Current)
		e.printf("\nnewly qualify under %s: %d leads; drop out: %d leads\n", b.Model, b.NewlyQualify, b.DropOut)
		for _, l := range b.NewExamples[:min(5, len(b.NewExamples))] {
			e.printf("  + %s (final score %s, was %s)\n", l.LeadID, fmtNum(l.Score), fmtNum(l.AgainstScore))
		}
		for _, l := range b.DropExamples[:min(5, len(b.DropExamples))] {
			e.printf("  - %s (final score %s, was %s)\n", l.LeadID, fmtNum(l.Score), fmtNum(l.AgainstScore))
		}
	}
	return e.err
}
