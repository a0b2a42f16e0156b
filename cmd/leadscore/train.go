package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/leadscore/leadscore"
	"github.com/leadscore/leadscore/batch"
	"github.com/leadscore/leadscore/ingest"
	"github.com/leadscore/leadscore/learn"
	"github.com/leadscore/leadscore/modelfile"
	"github.com/leadscore/leadscore/predict"
	"github.com/leadscore/leadscore/quality"
	"github.com/spf13/cobra"
	"go.yaml.in/yaml/v3"
)

type trainFlags struct {
	leads, target, events, asOf, outcomeAt, timeColumn string
	learner                                            string
	seed                                               uint64
	folds                                              int
	drop, only, allow                                  []string
	featuresFile                                       string
	html                                               string
	json                                               bool
	out                                                string
	ruleModel                                          string
	challenge                                          string
	minConversions                                     int
	rounds, depth, minLeaf                             int
	learningRate, l2, l1, positiveWeight               float64
	asPoints                                           string
	// Training from the store (--name): the server or data directory,
	// and how leads are observed.
	name, horizon, maturity string
	cf                      *configFlags
	// rules offers a rule model's rules as 0/1 features: a model file, or
	// with --name a stored model's name.
	rules string
}

func newTrainCmd() *cobra.Command {
	var f trainFlags
	cmd := &cobra.Command{
		Use:   "train --leads leads.csv --target Converted -o model.json",
		Short: "Fit a predictive model from leads with known outcomes",
		Long: `train learns a predictive score from leads whose outcome is known and
prints how good it is: rows and conversions, the features used and dropped
(and why), stratified k-fold cross-validated AUC with its spread, the
out-of-time AUC (trained on the earliest 80% of leads, tested on the latest
20%: the headline, since random folds flatter a deployed model), calibration
by decile, and lift in the top 10% and 20%.

Features are built from every column but identifiers, and from events
(--events) before the cut-off --as-of: counts per event type in the 7, 30 and
90 days before it, days since the last activity, active days, acceleration.
A feature that predicts the outcome almost perfectly on its own, or that only
has values for one outcome, is excluded as a probable leak unless
--allow-feature names it.

The model is written as a versioned JSON artefact (-o) that a model file of
kind predictive scores with. With fewer than --min-conversions conversions
the artefact is written but marked as not activatable. With --challenge
current.json the artefact is written only if its out-of-time AUC beats the
current model's.

With --name, train learns from the leads stored by a running server
(--server URL --key ADMIN_KEY) or in a data directory (--data-dir, --db)
instead of a file: every lead with a recorded outcome, observed just before
its outcome (less --horizon), and leads without an outcome older than
--maturity (default 90d) as not converted. The artefact and this report are
stored in the database under the name; a model file uses it with
artifact: store:NAME. If the name has a current artefact, the new one is a
challenger and replaces it only if it is better out of time.`,
		Example: `  leadscore train --leads bank-full.csv --target y --drop duration -o bank.json
  leadscore train --leads leads.csv --target converted --events events.jsonl --as-of 2026-10-01 --outcome-at converted_at --html report.html -o model.json
  leadscore train --server http://localhost:8080 --key $ADMIN_KEY --name learned --horizon 7d`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if f.name != "" {
				return runStoreTrain(cmd.Context(), &f, cmd.OutOrStdout(), cmd.ErrOrStderr())
			}
			return runTrain(cmd.Context(), &f, cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.leads, "leads", "", "lead file (CSV) with an outcome column")
	fl.StringVar(&f.target, "target", "", "the outcome column (yes/no, true/false, 1/0)")
	fl.StringVar(&f.events, "events", "", "event file (JSON lines) for activity features")
	fl.StringVar(&f.asOf, "as-of", "", "cut-off of the event features: events at or after it are never used (required with --events)")
	fl.StringVar(&f.outcomeAt, "outcome-at", "", "column with the time of the outcome: leads decided before --as-of are left out")
	fl.StringVar(&f.timeColumn, "time-column", "", "column ordering leads in time for the out-of-time check (default created-at, else file order)")
	fl.StringVar(&f.learner, "learner", predict.LearnerGBDT, "gbdt (boosted trees) or logistic (regularised logistic regression)")
	fl.Uint64Var(&f.seed, "seed", 1, "seed of folds and validation splits: the same seed gives the same model")
	fl.IntVar(&f.folds, "folds", 5, "folds of stratified cross-validation (1 skips it)")
	fl.StringArrayVar(&f.drop, "drop", nil, "leave out this feature (repeatable)")
	fl.StringArrayVar(&f.only, "only", nil, "use only these features (repeatable)")
	fl.StringArrayVar(&f.allow, "allow-feature", nil, "keep this feature although the leakage guard flags it (repeatable)")
	fl.StringVar(&f.featuresFile, "features", "", "YAML file with only:, drop: and allow: lists of features")
	fl.StringVar(&f.html, "html", "", "write the report as HTML with charts to this file")
	fl.BoolVar(&f.json, "json", false, "print the report as JSON instead of text")
	fl.StringVarP(&f.out, "output", "o", "", "write the model artefact (JSON) here")
	fl.StringVar(&f.ruleModel, "model", "", "a rule model file to compare with on the same leads")
	fl.StringVar(&f.challenge, "challenge", "", "the current artefact: -o is written only if the new model beats it out of time")
	fl.IntVar(&f.minConversions, "min-conversions", 100, "fewest conversions for an activatable model")
	fl.IntVar(&f.rounds, "rounds", 0, "gbdt: most trees (default 1000, early stopping usually ends sooner)")
	fl.IntVar(&f.depth, "depth", 0, "gbdt: tree depth (default 6)")
	fl.IntVar(&f.minLeaf, "min-leaf", 0, "gbdt: fewest rows in a leaf (default max(20, rows/400))")
	fl.Float64Var(&f.learningRate, "learning-rate", 0, "gbdt: shrinkage (default 0.1)")
	fl.Float64Var(&f.positiveWeight, "positive-weight", 0, "gbdt: weight of converted rows (class weighting; default 1)")
	fl.Float64Var(&f.l2, "l2", 0, "L2 penalty (gbdt leaves, default 1; logistic, default 0.001)")
	fl.Float64Var(&f.l1, "l1", 0, "logistic: L1 penalty")
	fl.StringVar(&f.rules, "rules", "", "add one 0/1 feature per rule of this rule model (a model file; with --name, a model stored on the server): the rule fired for the lead as of the cut-off")
	fl.StringVar(&f.name, "name", "", "train from the stored leads and outcomes (of --server or the data directory) and store the model under this name")
	fl.StringVar(&f.horizon, "horizon", "", "with --name: observe each lead this long before its outcome (7d); default just before it")
	fl.StringVar(&f.maturity, "maturity", "", "with --name: a lead without an outcome counts as not converted once this old (default 90d)")
	f.cf = bindConfigFlags(fl, targetKeys...)
	fl.StringVar(&f.asPoints, "as-points", "", "also write a draft rule model (YAML) with round points from logistic regression on binned features")
	return cmd
}

func trainUsage(format string, args ...any) error {
	return exitError{code: 2, msg: "leadscore train: " + fmt.Sprintf(format, args...)}
}

// trainResult is the report as printed with --json.
type trainResult struct {
	*predict.Report
	Summary    predict.Summary `json:"summary"`
	Rules      *ruleComparison `json:"rule_model,omitempty"`
	Challenge  *challenge      `json:"challenge,omitempty"`
	Written    string          `json:"written,omitempty"`
	Tiers      []predict.Tier  `json:"tiers"`
	Importance []importance    `json:"importance,omitempty"`
	Draft      *draftResult    `json:"draft_rules,omitempty"`
}

type draftResult struct {
	File     string `json:"file"`
	Warnings int    `json:"warnings"`
}

// draftName names the draft model after its file: learned.yaml -> learned.
func draftName(path string) string {
	base := filepath.Base(path)
	return strings.TrimSuffix(base, filepath.Ext(base))
}

type ruleComparison struct {
	Model      string  `json:"model"`
	Leads      int     `json:"leads"`
	RuleAUC    float64 `json:"rule_auc"`
	PredictAUC float64 `json:"predictive_auc"`
	Error      string  `json:"error,omitempty"`
}

type challenge struct {
	Current         string  `json:"current"`
	CurrentOutOfAUC float64 `json:"current_out_of_time_auc"`
	NewOutOfTimeAUC float64 `json:"new_out_of_time_auc"`
	Replaced        bool    `json:"replaced"`
	Reason          string  `json:"reason"`
}

type importance struct {
	Feature string  `json:"feature"`
	Share   float64 `json:"share"`
}

func runTrain(ctx context.Context, f *trainFlags, stdout, stderr io.Writer) error {
	if f.leads == "" || f.target == "" {
		return trainUsage("--leads and --target are required")
	}
	if f.out == "" && f.challenge != "" {
		return trainUsage("--challenge needs -o (where the new model goes if it wins)")
	}
	var asOf time.Time
	if f.asOf != "" {
		t, err := ingest.ParseTime(f.asOf)
		if err != nil {
			return trainUsage("--as-of: %v", err)
		}
		asOf = t
	}
	if f.events != "" && asOf.IsZero() {
		return trainUsage("--events needs --as-of: the cut-off before which events become features (events at or after it describe the outcome, not the lead)")
	}
	if err := f.readFeaturesFile(); err != nil {
		return err
	}
	sel := predict.Selection{Only: f.only, Drop: f.drop, Allow: f.allow}
	var current *predict.Model
	if f.challenge != "" {
		m, err := predict.Load(f.challenge)
		if err != nil {
			return trainUsage("--challenge: %v", err)
		}
		current = m
	}
	progress := func(msg string) { fmt.Fprintln(stderr, "  "+msg) }
	fmt.Fprintf(stderr, "reading %s\n", f.leads)
	var rules *predict.RuleInputs
	if f.rules != "" {
		r, err := loadRuleInputs(f.rules)
		if err != nil {
			return trainUsage("--rules: %v", err)
		}
		rules = r
	}
	tab, err := predict.ReadLeads(ctx, f.leads, predict.ReadOptions{Target: f.target, OutcomeAt: f.outcomeAt, TimeColumn: f.timeColumn,
		KeepLeads: rules != nil})
	if err != nil {
		return trainFailure(err)
	}
	if f.events != "" {
		fmt.Fprintf(stderr, "reading %s (cut-off %s)\n", f.events, asOf.Format(time.RFC3339))
		if err := tab.ReadEvents(ctx, f.events, asOf); err != nil {
			return trainFailure(err)
		}
	}
	if rules != nil {
		// The rules are evaluated as of the cut-off (now without one), with
		// the events before it, as the learner sees the lead.
		at := asOf
		if at.IsZero() {
			at = time.Now().UTC()
		}
		fmt.Fprintf(stderr, "evaluating the %d rules of %s as of %s\n", len(rules.Rules()), rules.Model, at.Format(time.RFC3339))
		if err := tab.AddRules(rules, at); err != nil {
			return trainFailure(err)
		}
	}
	if !asOf.IsZero() {
		tab.LeaveOutDecided(asOf)
	}
	hash, err := hashFiles(f.leads, f.events)
	if err != nil {
		return trainFailure(err)
	}
	opt := predict.TrainOptions{
		Learner: f.learner, Seed: f.seed, Folds: f.folds, Selection: sel, L2: f.l2, L1: f.l1,
		MinConversions: f.minConversions, AsOf: asOf, DataHash: hash, Target: f.target, Progress: progress, Rules: rules,
		GBDT: predict.GBDTOptions{Rounds: f.rounds, MaxDepth: f.depth, MinLeaf: f.minLeaf, LearningRate: f.learningRate,
			PositiveWeight: f.positiveWeight, L2: f.l2},
	}
	if f.learner == predict.LearnerLogistic {
		opt.GBDT.L2 = 0
	} else {
		opt.L2 = 0
	}
	fmt.Fprintf(stderr, "training %s on %d leads (%d converted)\n", f.learner, tab.Rows(), tab.Stats.Converted)
	model, rep, err := predict.Train(ctx, tab, opt)
	if err != nil {
		return trainFailure(err)
	}
	res := &trainResult{Report: rep, Summary: model.Summary, Tiers: model.Tiers, Importance: importanceOf(model, tab)}
	if f.ruleModel != "" {
		cmp, err := compareRules(ctx, f, rep, asOf)
		if err != nil {
			// The model is still worth writing; the comparison says why it
			// is missing.
			cmp = &ruleComparison{Model: f.ruleModel, Error: err.Error()}
		}
		res.Rules = cmp
	}
	write := f.out != ""
	if current != nil {
		c := &challenge{Current: f.challenge, CurrentOutOfAUC: current.Summary.OutOfTimeAUC, NewOutOfTimeAUC: model.Summary.OutOfTimeAUC}
		switch {
		case rep.OutOfTime == nil:
			c.Reason = "the new model has no out-of-time check (too few leads with both outcomes in the latest 20%)"
		case !model.Activatable:
			c.Reason = "the new model is not activatable: " + strings.Join(model.NotActivatable, "; ")
		case model.Summary.OutOfTimeAUC > current.Summary.OutOfTimeAUC:
			c.Replaced = true
			c.Reason = fmt.Sprintf("out-of-time AUC %.4f beats the current %.4f", model.Summary.OutOfTimeAUC, current.Summary.OutOfTimeAUC)
		default:
			c.Reason = fmt.Sprintf("out-of-time AUC %.4f does not beat the current %.4f; the current model stays", model.Summary.OutOfTimeAUC, current.Summary.OutOfTimeAUC)
		}
		write = c.Replaced
		res.Challenge = c
	}
	if write {
		if err := writeArtefact(model, f.out); err != nil {
			return trainFailure(err)
		}
		res.Written = f.out
	}
	if f.asPoints != "" {
		draft, err := predict.DraftRules(tab, sel, predict.PointsOptions{Name: draftName(f.asPoints)})
		if err != nil {
			return trainFailure(err)
		}
		check := modelfile.Parse(f.asPoints, draft)
		if check.HasErrors() {
			return trainFailure(fmt.Errorf("the draft rule model does not validate: %s", check.Errors()[0].String()))
		}
		if err := os.WriteFile(f.asPoints, draft, 0o644); err != nil {
			return trainFailure(err)
		}
		res.Draft = &draftResult{File: f.asPoints, Warnings: len(check.Warnings())}
	}
	if f.html != "" {
		if err := writeTrainHTML(f.html, f, res); err != nil {
			return trainFailure(err)
		}
	}
	if f.json {
		return printJSON(stdout, res)
	}
	printTrainReport(stdout, f, res)
	return nil
}

func trainFailure(err error) error {
	if errors.Is(err, context.Canceled) {
		return exitError{code: 1, msg: "leadscore train: interrupted; nothing was written"}
	}
	if leadscore.CodeOf(err) == leadscore.CodeInvalid {
		return exitError{code: 2, msg: "leadscore train: " + err.Error()}
	}
	return exitError{code: 1, msg: "leadscore train: " + err.Error()}
}

// writeArtefact writes under a temporary name and renames, so that a model
// file is never half written.
func writeArtefact(m *predict.Model, path string) error {
	b, err := m.JSON()
	if err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

func hashFiles(paths ...string) (string, error) {
	h := sha256.New()
	for _, p := range paths {
		if p == "" {
			continue
		}
		fh, err := os.Open(p)
		if err != nil {
			return "", err
		}
		_, err = io.Copy(h, fh)
		fh.Close()
		if err != nil {
			return "", err
		}
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil)), nil
}

// importanceOf is each feature's share of the mean absolute factor over
// (up to 2,000 of) the training leads, for the report.
func importanceOf(m *predict.Model, tab *predict.Table) []importance {
	shares := m.Importance(tab, 2000)
	out := make([]importance, 0, len(shares))
	for _, s := range shares {
		out = append(out, importance{Feature: s.Name, Share: s.Share})
	}
	return out
}

// compareRules scores the same leads with a rule model (offline pipeline,
// as of the cut-off) and compares AUCs on the leads both scored.
func compareRules(ctx context.Context, f *trainFlags, rep *predict.Report, asOf time.Time) (*ruleComparison, error) {
	if rep.OutOfFold == nil {
		return nil, leadscore.Errorf(leadscore.CodeInvalid, "--model needs cross-validation (--folds 2 or more) to compare on the same leads")
	}
	checker := quality.NewChecker()
	set, err := loadModelSet([]string{f.ruleModel}, checker, predict.LoadPredictor, io.Discard)
	if err != nil {
		return nil, err
	}
	if asOf.IsZero() {
		asOf = time.Now().UTC()
	}
	cfg := batch.Config{Set: set, Checker: checker, Leads: f.leads, AsOf: asOf, Format: batch.CSV}
	if f.events != "" {
		cfg.Events = []string{f.events}
	}
	var buf bytes.Buffer
	if _, err := batch.Run(ctx, cfg, &buf); err != nil {
		return nil, err
	}
	r := csv.NewReader(&buf)
	header, err := r.Read()
	if err != nil {
		return nil, err
	}
	name := set.Models()[0].Name()
	col := -1
	for i, h := range header {
		if h == name+".score" {
			col = i
		}
	}
	if col < 0 {
		return nil, fmt.Errorf("no %s.score column in the rule model's output", name)
	}
	rowOf := make(map[string]int, len(rep.IDs))
	for i, id := range rep.IDs {
		rowOf[id] = i
	}
	var ruleScores, predScores []float64
	var ys []bool
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		row, ok := rowOf[rec[0]]
		if !ok {
			continue
		}
		s, err := strconv.ParseFloat(rec[col], 64)
		if err != nil {
			continue
		}
		ruleScores = append(ruleScores, s)
		predScores = append(predScores, rep.OutOfFold[row])
		ys = append(ys, rep.Y[row])
	}
	if !bothOutcomes(ys) {
		return nil, leadscore.Errorf(leadscore.CodeInvalid, "--model: the rule model scored %d of the leads, too few with both outcomes to compare (a lead file needs IDs or emails for it)", len(ys))
	}
	return &ruleComparison{Model: name, Leads: len(ys), RuleAUC: learn.AUC(ruleScores, ys), PredictAUC: learn.AUC(predScores, ys)}, nil
}

func bothOutcomes(ys []bool) bool {
	pos := 0
	for _, y := range ys {
		if y {
			pos++
		}
	}
	return pos > 0 && pos < len(ys)
}

func printTrainReport(w io.Writer, f *trainFlags, res *trainResult) {
	rep := res.Report
	p := func(format string, args ...any) { fmt.Fprintf(w, format, args...) }
	p("%s model of %q from %s\n", rep.Learner, f.target, f.leads)
	p("  leads: %d (%d converted, %.1f%%)", rep.Read.Rows, rep.Read.Converted, 100*float64(rep.Read.Converted)/float64(max(1, rep.Read.Rows)))
	if rep.Read.Rejected > 0 || rep.Read.NoOutcome > 0 {
		p("; %d rows rejected, %d without an outcome", rep.Read.Rejected, rep.Read.NoOutcome)
	}
	if rep.Read.DecidedBeforeCut > 0 {
		p("; %d left out (decided before the cut-off)", rep.Read.DecidedBeforeCut)
	}
	p("\n")
	for _, pr := range rep.Read.Problems {
		p("    %s\n", pr)
	}
	if rep.Read.Events > 0 {
		p("  events: %d read, %d after the cut-off (not used), %d bot, %d for unknown leads\n",
			rep.Read.Events, rep.Read.EventsAfterCut, rep.Read.EventsBot, rep.Read.EventsUnmatched)
	}
	if rep.OutOfTime != nil {
		p("\n  out-of-time AUC: %.4f  (earliest %d leads by %s -> latest %d)\n", rep.OutOfTime.AUC, rep.OutOfTime.TrainRows, rep.OrderBy, rep.OutOfTime.TestRows)
	}
	if cv := rep.CV; cv != nil {
		p("  cross-validated AUC: %.4f ± %.4f  (%d stratified folds: %s)\n", cv.Mean, cv.Std, cv.Folds, joinFloats(cv.AUC, "%.4f"))
		p("  training time per fold: %s s\n", joinFloats(cv.FoldSeconds, "%.2f"))
		p("  lift: top 10%% %.2fx, top 20%% %.2fx; log loss %.4f, Brier %.4f\n", rep.LiftTop10, rep.LiftTop20, cv.LogLoss, cv.Brier)
	}
	switch {
	case res.Rules != nil && res.Rules.Error != "":
		p("  rule model %s: no comparison (%s)\n", res.Rules.Model, res.Rules.Error)
	case res.Rules != nil:
		p("  rule model %s on the same %d leads: AUC %.4f (predictive %.4f)\n", res.Rules.Model, res.Rules.Leads, res.Rules.RuleAUC, res.Rules.PredictAUC)
	}
	if len(rep.Calibration) > 0 {
		p("\n  calibration (cross-validated, by decile of predicted probability)\n    predicted  observed  leads\n")
		for _, b := range rep.Calibration {
			p("    %8.1f%%  %7.1f%%  %5d\n", 100*b.MeanPredicted, 100*b.Observed, b.Count)
		}
	}
	p("\n  features (%d columns)\n", rep.Columns)
	for _, c := range rep.Features {
		line := fmt.Sprintf("    %-8s %-32s AUC alone %.3f", c.Status, c.Name, c.AUC)
		if c.Reason != "" {
			line += "  " + c.Reason
		}
		if c.Warning != "" {
			line += "  (" + c.Warning + ")"
		}
		p("%s\n", line)
	}
	if len(res.Importance) > 0 {
		p("\n  what drives the score (share of factors)\n")
		for i, im := range res.Importance {
			if i == 10 {
				break
			}
			p("    %5.1f%%  %s\n", 100*im.Share, im.Feature)
		}
	}
	p("\n  tiers: ")
	for i, t := range res.Tiers {
		if i > 0 {
			p(", ")
		}
		p("%s >= %d", t.Name, t.MinScore)
	}
	p("\n")
	if !rep.Activatable {
		p("\n  NOT ACTIVATABLE: %s\n", strings.Join(rep.NotActivatable, "; "))
	}
	if res.Challenge != nil {
		verdict := "kept the current model"
		if res.Challenge.Replaced {
			verdict = "replaced the current model"
		}
		p("\n  challenger: %s (%s)\n", verdict, res.Challenge.Reason)
	}
	if res.Written != "" {
		p("\n  wrote %s\n", res.Written)
	}
	if res.Draft != nil {
		p("  wrote the draft rule model %s (it validates; %d warnings from leadscore model validate)\n", res.Draft.File, res.Draft.Warnings)
	}
}

func joinFloats(v []float64, format string) string {
	parts := make([]string, len(v))
	for i, x := range v {
		parts[i] = fmt.Sprintf(format, x)
	}
	return strings.Join(parts, " ")
}

// readFeaturesFile adds the only:, drop: and allow: lists of --features to
// the flags' own.
func (f *trainFlags) readFeaturesFile() error {
	if f.featuresFile == "" {
		return nil
	}
	b, err := os.ReadFile(f.featuresFile)
	if err != nil {
		return trainUsage("--features: %v", err)
	}
	var fs predict.Selection
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&fs); err != nil && !errors.Is(err, io.EOF) {
		return trainUsage("--features %s: %v", f.featuresFile, err)
	}
	f.only, f.drop, f.allow = append(f.only, fs.Only...), append(f.drop, fs.Drop...), append(f.allow, fs.Allow...)
	return nil
}
