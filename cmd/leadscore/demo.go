package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/leadscore/leadscore/batch"
	"github.com/leadscore/leadscore/examples"
	"github.com/leadscore/leadscore/modelfile"
	"github.com/leadscore/leadscore/quality"
	"github.com/leadscore/leadscore/scoring"
	"github.com/leadscore/leadscore/synth"
	"github.com/spf13/cobra"
)

func newDemoCmd() *cobra.Command {
	var (
		dir   string
		leads int
		seed  uint64
		force bool
		top   int
	)
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Create a demo directory with the example model and synthetic leads, and score them",
		Long: `demo writes the example B2B SaaS model (with its fixture tests), generates
realistic synthetic leads and events, runs the model's tests, scores every lead
as of the end of the generated period, and shows the hottest leads with the
explanation of the top one. Everything it makes stays in --dir so that you can
edit the model and score again with the commands it prints at the end.`,
		Example: "  go run ./cmd/leadscore demo\n  leadscore demo --dir /tmp/ls-demo --leads 20000",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runDemo(cmd, dir, leads, seed, force, top)
		},
	}
	f := cmd.Flags()
	f.StringVar(&dir, "dir", "leadscore-demo", "directory to create")
	f.IntVar(&leads, "leads", 2000, "number of synthetic leads")
	f.Uint64Var(&seed, "seed", 1, "seed of the synthetic data")
	f.BoolVar(&force, "force", false, "overwrite the demo files in an existing directory")
	f.IntVar(&top, "top", 10, "how many of the hottest leads to list")
	return cmd
}

func runDemo(cmd *cobra.Command, dir string, leads int, seed uint64, force bool, top int) error {
	out, errOut := cmd.OutOrStdout(), cmd.ErrOrStderr()
	ctx := cmd.Context()
	modelPath := filepath.Join(dir, examples.ModelFile)
	if _, err := os.Stat(modelPath); err == nil && !force {
		return exitError{code: 2, msg: fmt.Sprintf("leadscore demo: %s already exists; use --force to overwrite the demo files or --dir for another directory", modelPath)}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	err := fs.WalkDir(examples.Files, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := examples.Files.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dir, path), data, 0o644)
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "1. wrote the example models to %s\n", modelPath)

	res, err := modelfile.Load(modelPath)
	if err != nil {
		return err
	}
	if res.HasErrors() {
		for _, d := range res.Errors() {
			fmt.Fprintln(errOut, d.String())
		}
		return exitError{code: 1, msg: "leadscore demo: the example model has errors"}
	}
	checker := quality.NewChecker()
	set, err := res.Compile(scoring.Options{Checker: checker})
	if err != nil {
		return err
	}
	testsPath := filepath.Join(dir, examples.TestsFile)
	testData, err := os.ReadFile(testsPath)
	if err != nil {
		return err
	}
	cases, diags := modelfile.ParseTests(testsPath, testData)
	if len(diags) > 0 {
		for _, d := range diags {
			fmt.Fprintln(errOut, d.String())
		}
		return exitError{code: 1, msg: "leadscore demo: the example tests have errors"}
	}
	passed := 0
	results := modelfile.RunTests(set, cases)
	for i := range results {
		if results[i].Passed() {
			passed++
		}
	}
	fmt.Fprintf(out, "2. ran the model's fixture tests: %d passed, %d failed\n", passed, len(results)-passed)

	leadsPath, eventsPath := filepath.Join(dir, "leads.csv"), filepath.Join(dir, "events.jsonl")
	stats, err := generateFiles(ctx, synth.Options{Leads: leads, Seed: seed}, leadsPath, eventsPath, nil)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "3. generated %d leads at %d companies with %d events (%d of them bot traffic) in %s\n",
		stats.Leads, stats.Accounts, stats.Events, stats.BotEvents, dir)

	asOf := synth.DefaultEnd
	cfg := batch.Config{Set: set, Checker: checker, Leads: leadsPath, Events: []string{eventsPath}, AsOf: asOf, Format: batch.CSV}
	scoresPath := filepath.Join(dir, "scores.csv")
	var buf bytes.Buffer
	bstats, err := batch.Run(ctx, cfg, &buf)
	if err != nil {
		return err
	}
	if err := os.WriteFile(scoresPath, buf.Bytes(), 0o644); err != nil {
		return err
	}
	fmt.Fprintf(out, "4. scored %d leads as of %s into %s\n\n", bstats.LeadsScored, asOf.Format("2006-01-02"), scoresPath)

	ranked, err := rankScores(&buf, "b2b-saas")
	if err != nil {
		return err
	}
	printBands(out, ranked)
	if len(ranked) > 0 {
		printTop(out, ranked, top)
		one, _, err := batch.ScoreLead(ctx, cfg, ranked[0].id)
		if err != nil {
			return err
		}
		fmt.Fprintln(out, "\nWhy the top lead scores what it does:")
		writeLeadText(out, one, asOf, true)
	}
	exe := "leadscore"
	fmt.Fprintf(out, `
Next:
  edit the model        $EDITOR %[1]s
  check it              %[2]s model validate %[1]s
  run its tests         %[2]s model test %[1]s
  score again           %[2]s score --model %[1]s --leads %[3]s --events %[4]s --as-of %[5]s --out %[6]s
  explain one lead      %[2]s score --model %[1]s --leads %[3]s --events %[4]s --as-of %[5]s --lead <id or email> --explain
`, modelPath, exe, leadsPath, eventsPath, asOf.Format("2006-01-02"), scoresPath)
	return nil
}

type rankedLead struct {
	id, email, title, band, grade, display string
	score                                  float64
	qualified                              bool
}

// rankScores reads the score CSV back and orders its leads by the model's
// score, highest first.
func rankScores(r io.Reader, model string) ([]rankedLead, error) {
	cr := csv.NewReader(r)
	header, err := cr.Read()
	if err != nil {
		return nil, err
	}
	col := map[string]int{}
	for i, h := range header {
		col[h] = i
	}
	need := []string{"lead_id", "email", model + ".score", model + ".display", model + ".band", model + ".grade", model + ".qualified"}
	for _, n := range need {
		if _, ok := col[n]; !ok {
			return nil, fmt.Errorf("the score file has no %q column", n)
		}
	}
	var out []rankedLead
	for {
		row, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		score, _ := strconv.ParseFloat(row[col[model+".score"]], 64)
		out = append(out, rankedLead{
			id: row[col["lead_id"]], email: row[col["email"]], score: score,
			display: row[col[model+".display"]], band: row[col[model+".band"]], grade: row[col[model+".grade"]],
			qualified: row[col[model+".qualified"]] == "true",
		})
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].score > out[j].score })
	return out, nil
}

func printBands(w io.Writer, ranked []rankedLead) {
	bands := map[string]int{}
	qualified := 0
	for _, r := range ranked {
		bands[r.band]++
		if r.qualified {
			qualified++
		}
	}
	var parts []string
	for _, b := range []string{"hot", "warm", "cold"} {
		parts = append(parts, fmt.Sprintf("%s %d", b, bands[b]))
	}
	fmt.Fprintf(w, "b2b-saas bands: %s; %d marketing-qualified (score >= 70)\n\n", strings.Join(parts, ", "), qualified)
}

func printTop(w io.Writer, ranked []rankedLead, n int) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "LEAD\tEMAIL\tSCORE\tSHOWN AS\tBAND\tGRADE\tMQL")
	for _, r := range ranked[:min(n, len(ranked))] {
		mql := ""
		if r.qualified {
			mql = "yes"
		}
		fmt.Fprintf(tw, "%s\t%s\t%g\t%s\t%s\t%s\t%s\n", r.id, r.email, r.score, r.display, r.band, r.grade, mql)
	}
	tw.Flush()
}

// generateFiles writes a synthetic data set to leadsPath (CSV) and
// eventsPath (JSON lines).
func generateFiles(ctx context.Context, opts synth.Options, leadsPath, eventsPath string, progress func(int)) (synth.Stats, error) {
	lf, err := os.Create(leadsPath)
	if err != nil {
		return synth.Stats{}, err
	}
	defer lf.Close()
	ef, err := os.Create(eventsPath)
	if err != nil {
		return synth.Stats{}, err
	}
	defer ef.Close()
	stats, err := synth.Generate(ctx, opts, lf, ef, progress)
	if err != nil {
		return stats, err
	}
	if err := lf.Close(); err != nil {
		return stats, err
	}
	return stats, ef.Close()
}
