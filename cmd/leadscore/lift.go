package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/leadscore/leadscore/analytics"
	"github.com/spf13/cobra"
)

type liftFlags struct {
	outcomeFlags
	suggest string
	l2      float64
}

func newLiftCmd() *cobra.Command {
	f := liftFlags{outcomeFlags: outcomeFlags{verb: "lift"}}
	var remote serverReportFlags
	cmd := &cobra.Command{
		Use:   "lift --model model.yaml --leads leads.csv [--suggest draft.yaml]",
		Short: "Rule lift: how often each rule fires and how leads convert with and without it",
		Long: `lift scores the leads of a lead file with outcomes and shows, for every rule,
how often it fires and the conversion rate of leads where it fired and where it
did not, with 95% Wilson intervals. Rules are flagged when they never fire, fire
for everyone, show no clear effect, or when their sign disagrees with the data
(a positive rule whose leads convert less, with intervals apart).

--suggest fits a regularised logistic regression of the outcome on the rule
indicators, scales the weights into the model's category budgets, rounds them,
and writes a copy of the model file with those points (everything else as
written), ready for "leadscore backtest --model draft.yaml --against model.yaml".

With --server URL and --key KEY (or $LEADSCORE_SERVER and $LEADSCORE_KEY) and
no --leads, lift is measured on a running server's stored leads and the
outcomes sales recorded there, and the suggested points are printed.`,
		Example: `  leadscore lift --model model.yaml --leads leads.csv --events events.jsonl --as-of 2026-11-01 --suggest draft.yaml`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if remote.wanted(cmd, &f.outcomeFlags) {
				return runServerLift(cmd.Context(), &f, &remote, cmd.OutOrStdout())
			}
			return runLift(cmd.Context(), &f, cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	f.register(cmd, true)
	remote.register(cmd)
	cmd.Flags().StringVar(&f.suggest, "suggest", "", "write a draft model with points fitted to outcomes to this file")
	cmd.Flags().Float64Var(&f.l2, "l2", 0.001, "L2 penalty of the fit (larger keeps points closer to zero)")
	return cmd
}

func runLift(ctx context.Context, f *liftFlags, stdout, stderr io.Writer) error {
	if f.suggest != "" && len(f.models) != 1 {
		return f.usage("--suggest needs exactly one --model file to rewrite")
	}
	if f.l2 < 0 {
		return f.usage("--l2 must not be negative")
	}
	a, res, err := f.analyze(ctx, stderr)
	if err != nil {
		return err
	}
	lifts := a.Lift()
	var sug *analytics.Suggestion
	if f.suggest != "" {
		if sug, err = a.SuggestPoints(lifts, f.l2); err != nil {
			return f.fail(err)
		}
		file := res.Sources[0].File
		for i, s := range res.Specs {
			if s.Name == a.Model {
				file = res.Sources[i].File
			}
		}
		src, err := os.ReadFile(file)
		if err != nil {
			return f.fail(err)
		}
		draft, err := analytics.DraftModel(src, a.Model, sug)
		if err != nil {
			return f.fail(err)
		}
		if err := writeFileAtomic(f.suggest, func(w io.Writer) error { _, err := w.Write(draft); return err }); err != nil {
			return f.fail(err)
		}
	}
	if f.json {
		if sug != nil {
			return printJSON(stdout, sug)
		}
		return printJSON(stdout, lifts)
	}
	if err := analytics.WriteLiftText(stdout, lifts, sug); err != nil {
		return err
	}
	if f.suggest != "" {
		fmt.Fprintf(stdout, "wrote %s; compare it with: leadscore backtest --model %s --against %s ...\n", f.suggest, f.suggest, f.models[0])
	}
	return nil
}
