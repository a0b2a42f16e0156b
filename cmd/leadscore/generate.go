package main

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/leadscore/leadscore/ingest"
	"github.com/leadscore/leadscore/synth"
	"github.com/spf13/cobra"
	"golang.org/x/term"
)

func newGenerateCmd() *cobra.Command {
	var (
		opts            synth.Options
		out, start, end string
		noProgress      bool
	)
	cmd := &cobra.Command{
		Use:   "generate --leads 1000 --events-per-lead 20 --seed 1 --out DIR",
		Short: "Generate realistic synthetic B2B leads and events",
		Long: `generate writes DIR/leads.csv (canonical columns, plus a hidden outcome in
converted and converted_at) and DIR/events.jsonl. The same options and seed
always give the same bytes. Records are written as they are made, so any size
fits in memory.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if out == "" {
				return exitError{code: 2, msg: "leadscore generate: --out is required"}
			}
			if opts.Leads <= 0 {
				return exitError{code: 2, msg: "leadscore generate: --leads must be positive"}
			}
			for _, t := range []struct {
				flag, val string
				dst       *time.Time
			}{{"--start", start, &opts.Start}, {"--end", end, &opts.End}} {
				if t.val == "" {
					continue
				}
				v, err := ingest.ParseTime(t.val)
				if err != nil {
					return exitError{code: 2, msg: fmt.Sprintf("leadscore generate: %s: %v", t.flag, err)}
				}
				*t.dst = v
			}
			if err := opts.Validate(); err != nil {
				return exitError{code: 2, msg: "leadscore generate: " + err.Error()}
			}
			if err := os.MkdirAll(out, 0o755); err != nil {
				return err
			}
			leadsPath, eventsPath := filepath.Join(out, "leads.csv"), filepath.Join(out, "events.jsonl")
			lf, err := os.Create(leadsPath)
			if err != nil {
				return err
			}
			defer lf.Close()
			ef, err := os.Create(eventsPath)
			if err != nil {
				return err
			}
			defer ef.Close()
			var progress func(int)
			if !noProgress && term.IsTerminal(int(os.Stderr.Fd())) {
				bar := newBar(os.Stderr, int64(opts.Leads), "generating", false)
				defer bar.Finish()
				progress = func(done int) { _ = bar.Set(done) }
			}
			stats, err := synth.Generate(cmd.Context(), opts, lf, ef, progress)
			if err != nil {
				return exitError{code: 1, msg: "leadscore generate: " + err.Error()}
			}
			if err := lf.Close(); err != nil {
				return err
			}
			if err := ef.Close(); err != nil {
				return err
			}
			fmt.Fprintf(os.Stderr, "wrote %s (%d leads, %d accounts, %d converted) and %s (%d events, %d planted bot events)\n",
				leadsPath, stats.Leads, stats.Accounts, stats.Converted, eventsPath, stats.Events, stats.BotEvents)
			return nil
		},
	}
	fl := cmd.Flags()
	fl.IntVar(&opts.Leads, "leads", 1000, "number of leads")
	fl.IntVar(&opts.Accounts, "accounts", 0, "number of accounts (default: leads / people-per-account)")
	fl.Float64Var(&opts.PeoplePerAccount, "people-per-account", 3, "mean people per account")
	fl.Float64Var(&opts.EventsPerLead, "events-per-lead", 20, "mean events per lead (heavy-tailed)")
	fl.Uint64Var(&opts.Seed, "seed", 1, "random seed; the same seed gives the same files")
	fl.Float64Var(&opts.BotShare, "bot-share", 0.05, "share of leads behind a link scanner or hit by crawlers")
	fl.StringVar(&start, "start", "", "first event time (default 180 days before --end)")
	fl.StringVar(&end, "end", "", "end of the event time range (default 2026-11-01)")
	fl.StringVar(&out, "out", "", "output directory")
	fl.BoolVar(&noProgress, "no-progress", false, "never show a progress bar")
	return cmd
}
