package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/leadscore/leadscore"
	"github.com/leadscore/leadscore/modelfile"
	"github.com/leadscore/leadscore/predict"
	"github.com/leadscore/leadscore/scoring"
	"github.com/spf13/cobra"
)

func newModelCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "model",
		Short: "Validate, test and inspect model files",
		Long: `model works on scoring models written as YAML (see docs/model-format.md).

  validate  reports every error and warning in model files, with file:line:column
  test      runs the fixture cases of <model>.tests.yaml against the model
  show      prints a model as the engine sees it (JSON, defaults filled in)
  shadow    runs a stored version in shadow beside the active one, on a server`,
	}
	cmd.AddCommand(newModelValidateCmd(), newModelTestCmd(), newModelShowCmd(), newModelShadowCmd())
	return cmd
}

func newModelValidateCmd() *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "validate <file or directory>...",
		Short: "Check model files and report every problem at once",
		Long: `validate reads model files (a directory contributes its *.yaml and *.yml files,
except fixture files *.tests.yaml) as one set and reports every error and
warning with its position. Warnings are modelling weaknesses: the model works,
but its scores may mislead. The exit code is 1 when there are errors, 0 when
there are only warnings.`,
		Example: `  leadscore model validate models/b2b-saas.yaml
  leadscore model validate models/ --format json`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runModelValidate(cmd.OutOrStdout(), args, format)
		},
	}
	cmd.Flags().StringVar(&format, "format", "text", "output format: text or json")
	return cmd
}

// modelSummary is one model's line in the validate report.
type modelSummary struct {
	Name       string `json:"name"`
	Kind       string `json:"kind"`
	File       string `json:"file"`
	Line       int    `json:"line"`
	Rules      int    `json:"rules"`
	Categories int    `json:"categories"`
	Version    string `json:"version,omitempty"`
	Errors     int    `json:"errors"`
	Warnings   int    `json:"warnings"`
}

func summarize(r *modelfile.Result) []modelSummary {
	out := make([]modelSummary, 0, len(r.Specs))
	for i, spec := range r.Specs {
		src := r.Sources[i]
		rules, cats := countSpec(spec.Categories)
		kind := string(spec.Kind)
		if kind == "" {
			kind = string(leadscore.KindRules)
		}
		out = append(out, modelSummary{
			Name: spec.Name, Kind: kind, File: src.File, Line: src.Line, Rules: rules, Categories: cats,
			Version: src.Version, Errors: src.Errors, Warnings: src.Warnings,
		})
	}
	return out
}

func countSpec(cs []leadscore.CategorySpec) (rules, categories int) {
	for _, c := range cs {
		r, k := countSpec(c.Categories)
		rules += len(c.Rules) + r
		categories += 1 + k
	}
	return rules, categories
}

func countOf(n int, one, many string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, one)
	}
	return fmt.Sprintf("%d %s", n, many)
}

func (s modelSummary) String() string {
	name := s.Name
	if name == "" {
		name = fmt.Sprintf("%s:%d (unnamed)", s.File, s.Line)
	}
	if s.Errors > 0 {
		return fmt.Sprintf("%s: %s, %s", name, countOf(s.Errors, "error", "errors"), countOf(s.Warnings, "warning", "warnings"))
	}
	what := fmt.Sprintf("%s, %s", countOf(s.Rules, "rule", "rules"), countOf(s.Categories, "category", "categories"))
	if s.Kind == string(leadscore.KindCombined) {
		what = "combined model"
	}
	status := "OK"
	if s.Warnings > 0 {
		status += " (" + countOf(s.Warnings, "warning", "warnings") + ")"
	}
	version := ""
	if s.Version != "" {
		version = ", version " + s.Version
	}
	return fmt.Sprintf("%s: %s%s — %s", name, what, version, status)
}

func runModelValidate(out io.Writer, paths []string, format string) error {
	if format != "text" && format != "json" {
		return modelUsageError("--format must be text or json, not %q", format)
	}
	r, err := modelfile.Load(paths...)
	if err != nil {
		return err
	}
	summaries := summarize(r)
	if format == "json" {
		report := struct {
			OK          bool                   `json:"ok"`
			Models      []modelSummary         `json:"models"`
			Diagnostics []modelfile.Diagnostic `json:"diagnostics"`
		}{!r.HasErrors(), summaries, r.Diagnostics}
		if report.Diagnostics == nil {
			report.Diagnostics = []modelfile.Diagnostic{}
		}
		if err := printJSON(out, report); err != nil {
			return err
		}
	} else {
		for _, d := range r.Diagnostics {
			fmt.Fprintln(out, d.String())
		}
		if len(r.Diagnostics) > 0 && len(summaries) > 0 {
			fmt.Fprintln(out)
		}
		for _, s := range summaries {
			fmt.Fprintln(out, s.String())
		}
	}
	if r.HasErrors() {
		return exitError{code: 1}
	}
	return nil
}

// modelUsageError is a problem with the command line itself (exit 2, as
// for the other verbs).
func modelUsageError(format string, args ...any) error {
	return exitError{code: 2, msg: "leadscore model: " + fmt.Sprintf(format, args...)}
}

type modelTestFlags struct {
	tests   []string
	run     string
	verbose bool
	// cf says where store:NAME artefacts are read from.
	cf *configFlags
}

func newModelTestCmd() *cobra.Command {
	var f modelTestFlags
	cmd := &cobra.Command{
		Use:   "test <model file or directory>... [--tests file]",
		Short: "Run a model's fixture cases",
		Long: `test scores the fixture cases of each model file and compares the results with
what the cases expect. The cases of b2b-saas.yaml live next to it in
b2b-saas.tests.yaml (or .tests.yml); for a directory, every *.tests.yaml in it
runs. --tests names fixture files explicitly.

Each case prints PASS or FAIL; a failure lists what differed and explains the
score it got. The exit code is 1 when any case fails.

A predictive model's artifact: store:NAME[@VERSION] is read from a running
server (--server with a read key) or the database of a data directory
(--data-dir, --db).`,
		Example: `  leadscore model test models/b2b-saas.yaml
  leadscore model test models/ --run demo -v`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runModelTest(cmd.Context(), cmd.OutOrStdout(), args, &f)
		},
	}
	fl := cmd.Flags()
	fl.StringArrayVar(&f.tests, "tests", nil, "fixture file to run (repeatable; default: <model>.tests.yaml next to each model)")
	fl.StringVar(&f.run, "run", "", "run only cases whose name matches this regular expression")
	fl.BoolVarP(&f.verbose, "verbose", "v", false, "explain passing cases too")
	f.cf = bindConfigFlags(fl, artifactKeys...)
	return cmd
}

// fixtureFiles finds the fixture files that belong to the given model
// paths: <model>.tests.yaml (or .yml) next to a file, every fixture file in
// a directory.
func fixtureFiles(paths []string) ([]string, error) {
	var out []string
	for _, p := range paths {
		info, err := os.Stat(p)
		if err != nil {
			return nil, err
		}
		if info.IsDir() {
			entries, err := os.ReadDir(p)
			if err != nil {
				return nil, err
			}
			for _, e := range entries {
				if !e.IsDir() && modelfile.IsTestFile(e.Name()) {
					out = append(out, filepath.Join(p, e.Name()))
				}
			}
			continue
		}
		yamlName := modelfile.TestFileName(p)
		for _, name := range []string{yamlName, strings.TrimSuffix(yamlName, ".yaml") + ".yml"} {
			if _, err := os.Stat(name); err == nil {
				out = append(out, name)
				break
			} else if !errors.Is(err, fs.ErrNotExist) {
				return nil, err
			}
		}
	}
	return out, nil
}

func runModelTest(ctx context.Context, out io.Writer, paths []string, f *modelTestFlags) error {
	var filter *regexp.Regexp
	if f.run != "" {
		var err error
		if filter, err = regexp.Compile(f.run); err != nil {
			return modelUsageError("--run: %v", err)
		}
	}
	r, err := modelfile.Load(paths...)
	if err != nil {
		return err
	}
	if r.HasErrors() {
		for _, d := range r.Errors() {
			fmt.Fprintln(out, d.String())
		}
		return exitError{code: 1, msg: "the models have errors; fix them before testing (leadscore model validate shows warnings too)"}
	}
	files := f.tests
	if len(files) == 0 {
		if files, err = fixtureFiles(paths); err != nil {
			return err
		}
	}
	if len(files) == 0 {
		return exitError{code: 1, msg: fmt.Sprintf("no fixture files: write %s next to the model, or pass --tests", modelfile.TestFileName(filepath.Base(paths[0])))}
	}
	artifacts := newStoreArtifacts(ctx, f.cf)
	defer artifacts.Close()
	set, err := r.Compile(scoring.Options{LoadPredictor: artifacts.Load})
	if err != nil {
		return err
	}
	passed, failed, broken := 0, 0, false
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			return err
		}
		cases, diags := modelfile.ParseTests(file, data)
		for _, d := range diags {
			fmt.Fprintln(out, d.String())
			broken = broken || d.Severity == modelfile.Error
		}
		if filter != nil {
			kept := cases[:0]
			for _, c := range cases {
				if filter.MatchString(c.Name) {
					kept = append(kept, c)
				}
			}
			cases = kept
		}
		if len(files) > 1 && len(cases) > 0 {
			fmt.Fprintf(out, "%s\n", file)
		}
		for _, res := range modelfile.RunTests(set, cases) {
			printTestResult(out, &res, f.verbose)
			if res.Passed() {
				passed++
			} else {
				failed++
			}
		}
	}
	fmt.Fprintf(out, "%d passed, %d failed\n", passed, failed)
	if failed > 0 || broken {
		return exitError{code: 1}
	}
	if passed == 0 {
		return exitError{code: 1, msg: "no case ran"}
	}
	return nil
}

func printTestResult(out io.Writer, res *modelfile.TestResult, verbose bool) {
	if res.Passed() {
		fmt.Fprintf(out, "PASS %s\n", res.Case.Name)
	} else {
		fmt.Fprintf(out, "FAIL %s: %s\n", res.Case.Name, strings.Join(res.Failures, "; "))
		fmt.Fprintf(out, "    at %s:%d\n", res.Case.File, res.Case.Line)
	}
	if ev := res.Evaluation; ev != nil && (verbose || !res.Passed()) {
		head := fmt.Sprintf("%s: score %s", res.Model, fmtPoints(ev.Score))
		if ev.Display != int64(ev.Score) {
			head += fmt.Sprintf(" (%d)", ev.Display)
		}
		if ev.Band != "" {
			head += ", band " + ev.Band
		}
		if ev.Grade != "" {
			head += ", grade " + ev.Grade
		}
		fmt.Fprintf(out, "    %s\n", head)
		for _, line := range res.Explanation {
			fmt.Fprintf(out, "    %s\n", line)
		}
	}
}

func fmtPoints(v float64) string {
	return strings.TrimSuffix(strings.TrimRight(fmt.Sprintf("%.2f", v), "0"), ".")
}

func newModelShowCmd() *cobra.Command {
	var model string
	cmd := &cobra.Command{
		Use:   "show <file or directory>... [--model name]",
		Short: "Print a model as the engine sees it, as JSON",
		Long: `show prints the compiled specification of each model (defaults filled in, bands
sorted, durations normalised) as JSON: an object for one model, an array for
several. Use --model to pick one model of a set.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runModelShow(cmd.OutOrStdout(), cmd.ErrOrStderr(), args, model)
		},
	}
	cmd.Flags().StringVar(&model, "model", "", "show only this model")
	return cmd
}

func runModelShow(out, errOut io.Writer, paths []string, model string) error {
	r, err := modelfile.Load(paths...)
	if err != nil {
		return err
	}
	if r.HasErrors() {
		for _, d := range r.Errors() {
			fmt.Fprintln(errOut, d.String())
		}
		return exitError{code: 1}
	}
	set, err := r.Compile(scoring.Options{LoadPredictor: predict.LoadPredictor})
	if err != nil {
		return err
	}
	type shown struct {
		Version string `json:"version"`
		leadscore.ModelSpec
	}
	var specs []shown
	for _, m := range set.Models() {
		if model == "" || m.Name() == model {
			specs = append(specs, shown{m.Version(), m.Spec()})
		}
	}
	if len(specs) == 0 {
		return modelUsageError("no model named %q (the files hold %s)", model, strings.Join(set.Names(), ", "))
	}
	if len(specs) == 1 {
		return printJSON(out, specs[0])
	}
	return printJSON(out, specs)
}
