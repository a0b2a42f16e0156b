package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/leadscore/leadscore"
	"github.com/leadscore/leadscore/analytics"
	"github.com/leadscore/leadscore/ingest"
	"github.com/leadscore/leadscore/modelfile"
	"github.com/leadscore/leadscore/predict"
	"github.com/leadscore/leadscore/quality"
	"github.com/leadscore/leadscore/scoring"
	"github.com/spf13/cobra"
)

// outcomeFlags are the flags shared by report, advise, lift and backtest:
// where the leads, events and outcomes are, and as of when to score.
type outcomeFlags struct {
	verb        string
	models      []string
	modelName   string
	leads       string
	events      []string
	outcome     string
	outcomeDate string
	stages      []string
	asOf        string
	horizon     string
	workers     int
	json        bool
}

func (f *outcomeFlags) register(cmd *cobra.Command, withModel bool) {
	fl := cmd.Flags()
	if withModel {
		fl.StringArrayVar(&f.models, "model", nil, "model file or directory (repeatable; all files form one set)")
		fl.StringVar(&f.modelName, "name", "", "the model to measure when the files hold several (default the first)")
	}
	fl.StringVar(&f.leads, "leads", "", "lead file with outcomes: .csv, .tsv or .jsonl, optionally .gz")
	fl.StringArrayVar(&f.events, "events", nil, "event file, JSON lines, optionally .gz (repeatable)")
	fl.StringVar(&f.outcome, "outcome-column", "converted", "lead column holding the outcome: yes/no, true/false, 1/0 or won/lost")
	fl.StringVar(&f.outcomeDate, "outcome-date-column", "", "lead column holding when the outcome was recorded")
	fl.StringSliceVar(&f.stages, "stage-columns", nil, "funnel stage columns in order, each a date or yes/no (e.g. mql_at,sql_at,opportunity_at,customer_at)")
	fl.StringVar(&f.asOf, "as-of", "", "score as of this time: 2026-11-01 (midnight UTC) or RFC 3339 (default now)")
	fl.StringVar(&f.horizon, "horizon", "", "score each lead with an outcome date this long before it (30d), so the score never saw the outcome coming")
	fl.IntVar(&f.workers, "workers", 0, "parallel workers (default: number of CPUs)")
	fl.BoolVar(&f.json, "json", false, "print JSON instead of the text summary")
}

func (f *outcomeFlags) usage(format string, args ...any) error {
	return exitError{code: 2, msg: "leadscore " + f.verb + ": " + fmt.Sprintf(format, args...)}
}

// fail turns a run error into the exit code its kind deserves.
func (f *outcomeFlags) fail(err error) error {
	var exit exitError
	if errors.As(err, &exit) {
		return err
	}
	if errors.Is(err, context.Canceled) {
		return exitError{code: 1, msg: "leadscore " + f.verb + ": interrupted"}
	}
	if leadscore.CodeOf(err) == leadscore.CodeInvalid {
		return f.usage("%v", err)
	}
	return exitError{code: 1, msg: "leadscore " + f.verb + ": " + err.Error()}
}

func (f *outcomeFlags) asOfTime() (time.Time, error) {
	if f.asOf == "" {
		return time.Now().UTC().Truncate(time.Second), nil
	}
	t, err := ingest.ParseTime(f.asOf)
	if err != nil {
		return time.Time{}, f.usage("--as-of: %v", err)
	}
	return t, nil
}

func (f *outcomeFlags) horizonDuration() (time.Duration, error) {
	return parseDurationFlag(f, "--horizon", f.horizon)
}

func parseDurationFlag(f *outcomeFlags, name, v string) (time.Duration, error) {
	if v == "" {
		return 0, nil
	}
	d, err := leadscore.ParseDuration(v)
	if err != nil || d <= 0 {
		return 0, f.usage("%s: %q is not a positive duration (use 30d, 12h, 2w)", name, v)
	}
	return d.Std(), nil
}

// source checks the file flags and returns the file source, with bad rows
// printed to stderr as they are found.
func (f *outcomeFlags) source(checker *quality.Checker, stderr io.Writer) (*analytics.FileSource, *analyticsProblems, error) {
	if f.leads == "" {
		return nil, nil, f.usage("--leads is required")
	}
	if ingest.FormatOf(f.leads) == ingest.FormatUnknown {
		return nil, nil, f.usage("--leads %s: unknown file type (use .csv, .tsv or .jsonl, optionally .gz)", f.leads)
	}
	for _, p := range append([]string{f.leads}, f.events...) {
		if _, err := os.Stat(p); err != nil {
			return nil, nil, f.usage("%v", err)
		}
	}
	if f.workers < 0 {
		return nil, nil, f.usage("--workers must not be negative")
	}
	probs := &analyticsProblems{w: stderr}
	return &analytics.FileSource{Leads: f.leads, Events: f.events, OutcomeColumn: f.outcome, OutcomeDateColumn: f.outcomeDate,
		StageColumns: f.stages, Checker: checker, OnProblem: probs.add}, probs, nil
}

// loadModels reads model files as one set, printing their diagnostics.
func (f *outcomeFlags) loadModels(paths []string, checker *quality.Checker, stderr io.Writer) (*modelfile.Result, *scoring.Set, error) {
	if len(paths) == 0 {
		return nil, nil, f.usage("--model is required")
	}
	res, err := modelfile.Load(paths...)
	if err != nil {
		return nil, nil, f.usage("%v", err)
	}
	for _, d := range res.Diagnostics {
		if d.Severity == modelfile.Error {
			fmt.Fprintln(stderr, d.String())
		}
	}
	if res.HasErrors() {
		return nil, nil, f.usage("the model has errors (see above)")
	}
	set, err := res.Compile(scoring.Options{Checker: checker, LoadPredictor: predict.LoadPredictor})
	if err != nil {
		return nil, nil, f.usage("%v", err)
	}
	return res, set, nil
}

// analyze runs the shared first step of report, advise and lift.
func (f *outcomeFlags) analyze(ctx context.Context, stderr io.Writer) (*analytics.Analysis, *modelfile.Result, error) {
	// Files are read by the spilling pipeline of leadscore score and only
	// a small result per lead is kept, so the same collector settings
	// suit: they save about a sixth of the CPU time.
	tuneGC()
	checker := quality.NewChecker()
	res, set, err := f.loadModels(f.models, checker, stderr)
	if err != nil {
		return nil, nil, err
	}
	asOf, err := f.asOfTime()
	if err != nil {
		return nil, nil, err
	}
	horizon, err := f.horizonDuration()
	if err != nil {
		return nil, nil, err
	}
	if horizon > 0 && f.outcomeDate == "" {
		return nil, nil, f.usage("--horizon needs --outcome-date-column")
	}
	src, probs, err := f.source(checker, stderr)
	if err != nil {
		return nil, nil, err
	}
	a, err := analytics.Analyze(ctx, src, analytics.Options{Set: set, Model: f.modelName, AsOf: asOf, Horizon: horizon, Workers: f.workers})
	probs.flush()
	if err != nil {
		return nil, nil, f.fail(err)
	}
	st := src.Stats()
	if st.LineIDs {
		fmt.Fprintf(stderr, "%s has no id or email column; leads are named by their line (line-2, line-3, ...)\n", f.leads)
	}
	if st.Leads == 0 {
		return nil, nil, exitError{code: 1, msg: "leadscore " + f.verb + ": no lead could be read"}
	}
	if st.OutcomesKnown == 0 {
		return nil, nil, f.usage("no lead has an outcome in column %q (use --outcome-column)", f.outcome)
	}
	if st.EventsUnknown > 0 {
		fmt.Fprintf(stderr, "%d events name no lead of %s and were left out\n", st.EventsUnknown, f.leads)
	}
	return a, res, nil
}

// analyticsProblems shows the first bad rows and counts the rest.
type analyticsProblems struct {
	w io.Writer
	n int
}

func (p *analyticsProblems) add(pr analytics.Problem) {
	p.n++
	if p.n <= maxShownProblems {
		fmt.Fprintln(p.w, pr.String())
	}
}

func (p *analyticsProblems) flush() {
	if p.n > maxShownProblems {
		fmt.Fprintf(p.w, "... and %d more problems\n", p.n-maxShownProblems)
	}
}

type reportFlags struct {
	outcomeFlags
	html   string
	charts string
}

func newReportCmd() *cobra.Command {
	f := reportFlags{outcomeFlags: outcomeFlags{verb: "report"}}
	var remote serverReportFlags
	var shadow string
	cmd := &cobra.Command{
		Use:   "report --model model.yaml --leads leads.csv [--events events.jsonl] [--html report.html] [--json]",
		Short: "Calibration report: how well a model's scores match outcomes",
		Long: `report scores every lead of a lead file under a model and compares the scores
with the leads' outcomes (a lead column, --outcome-column): conversion by band
and by decile, average score of converters and non-converters, ROC AUC,
precision, recall and F1 at the MQL threshold, lift and cumulative gains, funnel
rates (--stage-columns), and the low-scoring leads that converted and the
high-scoring leads that did not, each with its explanation.

It prints a summary, or JSON with --json; --html writes a self-contained page
with charts (no scripts, no external files) and --charts writes the charts as
SVG files into a directory.

With --server URL and --key KEY (or $LEADSCORE_SERVER and $LEADSCORE_KEY) and
no --leads, the report is of a running server's stored leads and the outcomes
sales recorded there; --model then names the model on the server.

--shadow MODEL (with --server) compares the model's active version with the
version running in shadow on the same leads since the shadow started (see
leadscore model shadow): MQLs, who qualifies, AUC, conversion by band and
precision/recall of each, and a verdict once 100 leads have an outcome.`,
		Example: `  leadscore report --model model.yaml --leads leads.csv --events events.jsonl --as-of 2026-11-01 --html report.html
  leadscore report --server http://localhost:8080 --key ls_read_... --model b2b-saas --lost-after 90d --html report.html
  leadscore report --model bank.yaml --leads bank-full.csv --outcome-column y --json
  leadscore report --shadow b2b-saas --server http://localhost:8080 --key ls_read_...`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if shadow != "" {
				return runServerShadowReport(cmd.Context(), &f, &remote, shadow, cmd.OutOrStdout())
			}
			if remote.wanted(cmd, &f.outcomeFlags) {
				return runServerReport(cmd.Context(), &f, &remote, cmd.OutOrStdout())
			}
			return runReport(cmd.Context(), &f, cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	f.register(cmd, true)
	remote.register(cmd)
	cmd.Flags().StringVar(&f.html, "html", "", "write the report as a self-contained HTML page to this file")
	cmd.Flags().StringVar(&f.charts, "charts", "", "write the charts as SVG files into this directory")
	cmd.Flags().StringVar(&shadow, "shadow", "", "with --server: compare this model's active version with its version in shadow")
	return cmd
}

func runReport(ctx context.Context, f *reportFlags, stdout, stderr io.Writer) error {
	a, _, err := f.analyze(ctx, stderr)
	if err != nil {
		return err
	}
	r := a.Report()
	if f.html != "" {
		if err := writeFileAtomic(f.html, r.WriteHTML); err != nil {
			return f.fail(err)
		}
	}
	if f.charts != "" {
		if err := os.MkdirAll(f.charts, 0o755); err != nil {
			return f.fail(err)
		}
		for name, svg := range r.Charts() {
			if err := os.WriteFile(filepath.Join(f.charts, name+".svg"), []byte(svg+"\n"), 0o644); err != nil {
				return f.fail(err)
			}
		}
	}
	if f.json {
		return printJSON(stdout, r)
	}
	if err := r.WriteText(stdout); err != nil {
		return err
	}
	if f.html != "" {
		fmt.Fprintf(stdout, "\nwrote %s\n", f.html)
	}
	return nil
}

// writeFileAtomic writes a file under a temporary name and renames it, so
// a failed run never leaves a truncated file that looks complete.
func writeFileAtomic(path string, write func(io.Writer) error) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := write(tmp); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// joinNames lists names for a message.
func joinNames(names []string) string { return strings.Join(names, ", ") }
