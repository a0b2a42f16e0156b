package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/debug"
	"runtime/pprof"
	"strings"
	"time"

	"github.com/leadscore/leadscore"
	"github.com/leadscore/leadscore/batch"
	"github.com/leadscore/leadscore/ingest"
	"github.com/leadscore/leadscore/modelfile"
	"github.com/leadscore/leadscore/quality"
	"github.com/leadscore/leadscore/scoring"
	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
	"golang.org/x/term"
)

// maxShownProblems is how many bad rows are printed before they are only
// counted: enough to see a pattern, few enough not to bury the summary.
const maxShownProblems = 20

type scoreFlags struct {
	models   []string
	leads    string
	events   []string
	asOf     string
	out      string
	format   string
	explain  bool
	workers  int
	buckets  int
	tmp      string
	lead     string
	noProgre bool
	cpuProf  string
	// cf says where store:NAME artefacts are read from.
	cf *configFlags
}

func newScoreCmd() *cobra.Command {
	var f scoreFlags
	cmd := &cobra.Command{
		Use:   "score --model model.yaml --leads leads.csv [--events events.jsonl] [--out scores.csv]",
		Short: "Score leads offline: CSV/JSONL in, scores and explanations out",
		Long: `score evaluates every lead of a lead file (CSV with canonical, HubSpot or
Salesforce columns, or JSONL) with its events (JSONL) under one or more models,
as of one instant, and writes one row per lead in input order.

It streams: a million leads with twenty million events are scored in bounded
memory on all cores, using a temporary directory (--tmp) that is removed at the
end. Bad rows are reported on stderr with file:line and skipped.

With --lead ID (an id or an email) it scores that one lead and prints its
explanation as text.

A predictive model's artifact is a file, or store:NAME[@VERSION]: a trained
model stored by ` + "`leadscore train --name`" + `, read from a running server (--server
with a read key) or from the database of a data directory (--data-dir, --db).`,
		Example: `  leadscore score --model model.yaml --leads leads.csv --events events.jsonl --as-of 2026-11-01 --out scores.csv
  leadscore score --model model.yaml --leads leads.csv --events events.jsonl --lead jane@acme.com --explain`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runScore(cmd.Context(), &f, cmd.OutOrStdout(), os.Stderr)
		},
	}
	fl := cmd.Flags()
	fl.StringArrayVar(&f.models, "model", nil, "model file or directory (repeatable; all files form one set)")
	fl.StringVar(&f.leads, "leads", "", "lead file: .csv, .tsv or .jsonl, optionally .gz")
	fl.StringArrayVar(&f.events, "events", nil, "event file, JSON lines, optionally .gz (repeatable)")
	fl.StringVar(&f.asOf, "as-of", "", "score as of this time: 2026-11-01 (midnight UTC) or RFC 3339 (default now)")
	fl.StringVar(&f.out, "out", "", "output file (default stdout)")
	fl.StringVar(&f.format, "format", "", "output format: csv or jsonl (default from --out's extension, else csv)")
	fl.BoolVar(&f.explain, "explain", false, "add explanations (an M.explain column, or the full evaluation in JSONL)")
	fl.IntVar(&f.workers, "workers", 0, "parallel workers (default: number of CPUs)")
	fl.IntVar(&f.buckets, "buckets", 0, "number of temporary bucket files (default 128)")
	fl.StringVar(&f.tmp, "tmp", "", "directory for temporary files (default the system temp dir)")
	fl.StringVar(&f.lead, "lead", "", "score only this lead (id or email) and print its explanation as text")
	fl.BoolVar(&f.noProgre, "no-progress", false, "never show a progress bar")
	fl.StringVar(&f.cpuProf, "cpuprofile", "", "write a CPU profile of the run to this file (for go tool pprof)")
	f.cf = bindConfigFlags(fl, artifactKeys...)
	_ = fl.MarkHidden("buckets")
	_ = fl.MarkHidden("cpuprofile")
	return cmd
}

func usageError(format string, args ...any) error {
	return exitError{code: 2, msg: "leadscore score: " + fmt.Sprintf(format, args...)}
}

func runScore(ctx context.Context, f *scoreFlags, stdout io.Writer, stderr *os.File) error {
	if len(f.models) == 0 {
		return usageError("--model is required")
	}
	if f.leads == "" {
		return usageError("--leads is required")
	}
	if ingest.FormatOf(f.leads) == ingest.FormatUnknown {
		return usageError("--leads %s: unknown file type (use .csv, .tsv or .jsonl, optionally .gz)", f.leads)
	}
	if f.workers < 0 {
		return usageError("--workers must not be negative")
	}
	asOf := time.Now().UTC().Truncate(time.Second)
	if f.asOf != "" {
		t, err := ingest.ParseTime(f.asOf)
		if err != nil {
			return usageError("--as-of: %v", err)
		}
		asOf = t
	}
	format := batch.Format(strings.ToLower(f.format))
	if format == "" {
		format = batch.CSV
		if ingest.FormatOf(f.out) == ingest.FormatJSONL {
			format = batch.JSONL
		}
	}
	if format != batch.CSV && format != batch.JSONL {
		return usageError("--format must be csv or jsonl, not %q", f.format)
	}
	for _, p := range append([]string{f.leads}, f.events...) {
		if _, err := os.Stat(p); err != nil {
			return usageError("%v", err)
		}
	}

	tuneGC()
	if f.cpuProf != "" {
		pf, err := os.Create(f.cpuProf)
		if err != nil {
			return usageError("--cpuprofile: %v", err)
		}
		defer pf.Close()
		if err := pprof.StartCPUProfile(pf); err != nil {
			return usageError("--cpuprofile: %v", err)
		}
		defer pprof.StopCPUProfile()
	}
	artifacts := newStoreArtifacts(ctx, f.cf)
	defer artifacts.Close()
	checker := quality.NewChecker()
	set, err := loadModelSet(f.models, checker, artifacts.Load, stderr)
	if err != nil {
		return err
	}
	problems := &problemPrinter{w: stderr}
	run := batch.Config{
		Set: set, Checker: checker, Leads: f.leads, Events: f.events, AsOf: asOf,
		Format: format, Explain: f.explain, Workers: f.workers, Buckets: f.buckets, TempDir: f.tmp,
		OnProblem: problems.add,
	}
	interactive := !f.noProgre && term.IsTerminal(int(stderr.Fd()))
	if f.lead != "" {
		return scoreOne(ctx, run, f.lead, f.explain, stdout, problems)
	}
	var bars *progressBars
	if interactive {
		bars = &progressBars{w: stderr}
		run.Progress = bars.update
		problems.before = bars.clear
	}
	stats, err := writeScores(ctx, run, f.out, stdout)
	bars.finish()
	problems.flush()
	if err != nil {
		if errors.Is(err, context.Canceled) {
			return exitError{code: 1, msg: "leadscore score: interrupted; no output was written"}
		}
		if leadscore.CodeOf(err) == leadscore.CodeInvalid {
			return exitError{code: 2, msg: "leadscore score: " + err.Error()}
		}
		return exitError{code: 1, msg: "leadscore score: " + err.Error()}
	}
	printSummary(stderr, stats)
	if stats.LeadsScored == 0 {
		return exitError{code: 1, msg: "leadscore score: no lead could be scored"}
	}
	return nil
}

// tuneGC trades memory for time in a scoring run. The pipeline allocates
// many short-lived values per event, and with the default GOGC=100 the
// collector takes a third of the CPU; a higher percentage with a soft
// memory limit keeps peak memory bounded while the collector runs less.
// Explicit GOGC or GOMEMLIMIT settings win.
func tuneGC() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(1536 << 20)
	}
}

// loadModelSet reads the model files, prints their diagnostics, and
// compiles them. Broken models are a usage error (exit 2).
func loadModelSet(paths []string, checker *quality.Checker, artifacts func(string) (scoring.Predictor, error), stderr io.Writer) (*scoring.Set, error) {
	res, err := modelfile.Load(paths...)
	if err != nil {
		return nil, usageError("%v", err)
	}
	for _, d := range res.Diagnostics {
		fmt.Fprintln(stderr, d.String())
	}
	if res.HasErrors() {
		return nil, exitError{code: 2, msg: "leadscore score: the models have errors (see above)"}
	}
	set, err := res.Compile(scoring.Options{Checker: checker, LoadPredictor: artifacts})
	if err != nil {
		return nil, usageError("%v", err)
	}
	return set, nil
}

// writeScores runs the pipeline into --out. A file is written under a
// temporary name and renamed at the end, so that a failed or interrupted
// run never leaves a truncated result that looks complete.
func writeScores(ctx context.Context, cfg batch.Config, out string, stdout io.Writer) (batch.Stats, error) {
	if out == "" || out == "-" {
		return batch.Run(ctx, cfg, stdout)
	}
	dir := filepath.Dir(out)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(out)+".tmp-*")
	if err != nil {
		return batch.Stats{}, err
	}
	defer os.Remove(tmp.Name())
	stats, err := batch.Run(ctx, cfg, tmp)
	if cerr := tmp.Close(); err == nil && cerr != nil {
		err = cerr
	}
	if err != nil {
		return stats, err
	}
	return stats, os.Rename(tmp.Name(), out)
}

func scoreOne(ctx context.Context, cfg batch.Config, key string, explain bool, stdout io.Writer, problems *problemPrinter) error {
	res, _, err := batch.ScoreLead(ctx, cfg, key)
	problems.flush()
	if err != nil {
		switch leadscore.CodeOf(err) {
		case leadscore.CodeNotFound:
			return exitError{code: 1, msg: "leadscore score: " + err.Error()}
		case leadscore.CodeInvalid:
			return exitError{code: 2, msg: "leadscore score: " + err.Error()}
		}
		return exitError{code: 1, msg: "leadscore score: " + err.Error()}
	}
	writeLeadText(stdout, res, cfg.AsOf, explain)
	return nil
}

// writeLeadText prints one lead's scores the way a rep reads them.
func writeLeadText(w io.Writer, res *batch.LeadResult, asOf time.Time, explain bool) {
	l := &res.Lead
	who := l.ID
	if l.Email != "" && l.Email != l.ID {
		who += " <" + l.Email + ">"
	}
	var about []string
	if name := strings.TrimSpace(l.FirstName + " " + l.LastName); name != "" {
		about = append(about, name)
	}
	if l.Title != "" {
		about = append(about, l.Title)
	}
	if a := res.Account; a != nil {
		company := a.Name
		if a.Domain != "" {
			company = strings.TrimSpace(company + " (" + a.Domain + ")")
		}
		if company != "" {
			about = append(about, company)
		}
	}
	fmt.Fprintln(w, who)
	if len(about) > 0 {
		fmt.Fprintln(w, "  "+strings.Join(about, ", "))
	}
	fmt.Fprintf(w, "  as of %s: %d events, %d colleagues with activity\n", asOf.UTC().Format(time.RFC3339), res.Events, res.Peers)
	for _, ev := range res.Evaluations {
		fmt.Fprintln(w)
		fmt.Fprintln(w, evaluationHeadline(ev))
		if explain {
			for _, line := range scoring.Explain(ev) {
				fmt.Fprintln(w, "  "+line)
			}
		}
		if !ev.NextChangeAt.IsZero() {
			fmt.Fprintf(w, "  next change without new activity: %s\n", ev.NextChangeAt.UTC().Format(time.RFC3339))
		}
	}
}

func evaluationHeadline(ev *leadscore.Evaluation) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %d", ev.Model, ev.Display)
	var tags []string
	if ev.Band != "" {
		tags = append(tags, ev.Band)
	}
	if ev.Grade != "" {
		tags = append(tags, "grade "+ev.Grade)
	}
	switch {
	case ev.Disqualified:
		tags = append(tags, "disqualified")
	case ev.Qualified:
		tags = append(tags, "qualified")
	}
	if len(tags) > 0 {
		b.WriteString(" (" + strings.Join(tags, ", ") + ")")
	}
	return b.String()
}

// problemPrinter shows the first bad rows and counts the rest.
type problemPrinter struct {
	w      io.Writer
	n      int
	before func()
}

func (p *problemPrinter) add(pr batch.Problem) {
	p.n++
	if p.n > maxShownProblems {
		return
	}
	if p.before != nil {
		p.before()
	}
	fmt.Fprintln(p.w, pr.String())
}

func (p *problemPrinter) flush() {
	if p.n > maxShownProblems {
		fmt.Fprintf(p.w, "... and %d more bad rows\n", p.n-maxShownProblems)
		p.n = maxShownProblems
	}
}

func printSummary(w io.Writer, s batch.Stats) {
	fmt.Fprintf(w, "leads:  %d read, %d scored, %d bad", s.LeadsRead, s.LeadsScored, s.LeadsBad)
	if s.Duplicates > 0 {
		fmt.Fprintf(w, " (%d duplicate ids)", s.Duplicates)
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "events: %d read, %d used (%d of them after the as-of time, which add no points), %d bad, %d for unknown leads",
		s.EventsRead, s.EventsUsed, s.EventsAfterAsOf, s.EventsBad, s.EventsUnknownLead)
	if len(s.UnknownLeads) > 0 {
		fmt.Fprintf(w, " (e.g. %s)", strings.Join(s.UnknownLeads, ", "))
	}
	fmt.Fprintln(w)
	secs := s.Elapsed.Seconds()
	if secs > 0 {
		fmt.Fprintf(w, "time:   %s (%.0f leads/s, %.0f events/s)\n", s.Elapsed.Round(time.Millisecond),
			float64(s.LeadsRead)/secs, float64(s.EventsRead)/secs)
		var parts []string
		for _, p := range s.Phases {
			parts = append(parts, fmt.Sprintf("%s %s", p.Phase, p.Duration.Round(100*time.Millisecond)))
		}
		if len(parts) > 0 {
			fmt.Fprintf(w, "        %s\n", strings.Join(parts, ", "))
		}
	}
	if bad := s.LeadsBad + s.EventsBad; bad > 0 {
		fmt.Fprintf(w, "completed with %d bad rows skipped\n", bad)
	} else {
		fmt.Fprintln(w, "completed")
	}
}

// progressBars shows one bar per pipeline phase on a terminal.
type progressBars struct {
	w     io.Writer
	phase batch.Phase
	bar   *progressbar.ProgressBar
}

func (p *progressBars) update(pr batch.Progress) {
	if pr.Phase != p.phase || p.bar == nil {
		if p.bar != nil {
			_ = p.bar.Finish()
		}
		p.phase = pr.Phase
		p.bar = newBar(p.w, pr.Total, string(pr.Phase), pr.Bytes)
	}
	_ = p.bar.Set64(pr.Done)
}

func (p *progressBars) clear() {
	if p != nil && p.bar != nil {
		_ = p.bar.Clear()
	}
}

func (p *progressBars) finish() {
	if p != nil && p.bar != nil {
		_ = p.bar.Finish()
	}
}

func newBar(w io.Writer, total int64, desc string, bytes bool) *progressbar.ProgressBar {
	return progressbar.NewOptions64(total,
		progressbar.OptionSetWriter(w),
		progressbar.OptionSetDescription(fmt.Sprintf("%-15s", desc)),
		progressbar.OptionShowBytes(bytes),
		progressbar.OptionShowCount(),
		progressbar.OptionSetWidth(30),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionClearOnFinish(),
		progressbar.OptionSetPredictTime(true),
	)
}
