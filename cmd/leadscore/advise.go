package main

import (
	"context"
	"io"

	"github.com/leadscore/leadscore/analytics"
	"github.com/spf13/cobra"
)

type adviseFlags struct {
	outcomeFlags
	capacity float64
	minRate  float64
	bestF1   bool
	weeks    float64
}

func newAdviseCmd() *cobra.Command {
	f := adviseFlags{outcomeFlags: outcomeFlags{verb: "advise"}}
	var remote serverReportFlags
	cmd := &cobra.Command{
		Use:   "advise --model model.yaml --leads leads.csv (--capacity N | --min-rate R | --best-f1)",
		Short: "Suggest an MQL threshold for a sales capacity, a conversion target or the best F1",
		Long: `advise scores the leads of a lead file with outcomes and suggests the MQL
threshold that meets one target:

  --capacity N   sales can work N MQLs a week: the lowest threshold whose
                 weekly MQL volume stays within N (weeks are the span of the
                 leads' creation dates, or --weeks)
  --min-rate R   MQLs must convert at least R (0.25 = 25%): the lowest
                 threshold that reaches it, which keeps the most MQLs
  --best-f1      the threshold that balances precision and recall

It prints the trade-off table around the suggestion and the current
threshold's row for comparison.

With --server URL and --key KEY (or $LEADSCORE_SERVER and $LEADSCORE_KEY) and
no --leads, the advice is for a running server's stored leads and the
outcomes sales recorded there; --model then names the model on the server.`,
		Example: `  leadscore advise --model model.yaml --leads leads.csv --events events.jsonl --as-of 2026-11-01 --capacity 40`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			target, err := f.target()
			if err != nil {
				return err
			}
			if remote.wanted(cmd, &f.outcomeFlags) {
				return runServerAdvise(cmd.Context(), &f, &remote, target, cmd.OutOrStdout())
			}
			return runAdvise(cmd.Context(), &f, target, cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	f.register(cmd, true)
	remote.register(cmd)
	fl := cmd.Flags()
	fl.Float64Var(&f.capacity, "capacity", 0, "MQLs sales can work per week")
	fl.Float64Var(&f.minRate, "min-rate", 0, "minimum conversion rate of MQLs, 0..1")
	fl.BoolVar(&f.bestF1, "best-f1", false, "the threshold with the best F1")
	fl.Float64Var(&f.weeks, "weeks", 0, "weeks the leads came in over (default the span of their creation dates)")
	return cmd
}

// target checks that exactly one target is given, and in range.
func (f *adviseFlags) target() (analytics.Target, error) {
	target := analytics.Target{CapacityPerWeek: f.capacity, MinRate: f.minRate, BestF1: f.bestF1}
	n := 0
	for _, set := range []bool{f.capacity != 0, f.minRate != 0, f.bestF1} {
		if set {
			n++
		}
	}
	if n != 1 {
		return target, f.usage("give exactly one target: --capacity, --min-rate or --best-f1")
	}
	if f.capacity < 0 || f.minRate < 0 || f.minRate > 1 || f.weeks < 0 {
		return target, f.usage("--capacity and --weeks must be positive, --min-rate between 0 and 1")
	}
	return target, nil
}

func runAdvise(ctx context.Context, f *adviseFlags, target analytics.Target, stdout, stderr io.Writer) error {
	a, _, err := f.analyze(ctx, stderr)
	if err != nil {
		return err
	}
	adv, err := a.Advise(target, f.weeks)
	if err != nil {
		return f.fail(err)
	}
	if f.json {
		return printJSON(stdout, adv)
	}
	return adv.WriteText(stdout)
}
