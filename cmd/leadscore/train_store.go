package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"

	"github.com/leadscore/leadscore"
	"github.com/leadscore/leadscore/httpapi/client"
	"github.com/leadscore/leadscore/predict"
	"github.com/leadscore/leadscore/quality"
)

// Training from the stored leads and outcomes: the server (or the data
// directory's service) trains as a job and stores the artefact with its
// report, which is printed as a file's training report is.

// storeTrainer is the part of the service train --name uses, in-process or
// through the API.
type storeTrainer interface {
	TrainPredictive(ctx context.Context, name string, opt leadscore.PredictiveTraining) (*leadscore.Job, error)
	Job(ctx context.Context, id string) (*leadscore.Job, error)
	PredictiveArtifact(ctx context.Context, name, version string) (*leadscore.PredictiveArtifact, error)
}

func runStoreTrain(ctx context.Context, f *trainFlags, stdout, stderr io.Writer) error {
	if f.leads != "" || f.events != "" || f.challenge != "" || f.asPoints != "" || f.ruleModel != "" || f.asOf != "" || f.outcomeAt != "" || f.timeColumn != "" {
		return trainUsage("--name trains from the store: --leads, --events, --as-of, --outcome-at, --time-column, --challenge, --model and --as-points are for files (each stored lead has its own cut-off, and a stored name is challenged by itself)")
	}
	if err := f.readFeaturesFile(); err != nil {
		return err
	}
	opt := leadscore.PredictiveTraining{Learner: f.learner, Seed: f.seed, Folds: f.folds, MinConversions: f.minConversions,
		Drop: f.drop, Only: f.only, Allow: f.allow, Rounds: f.rounds, Depth: f.depth, LearningRate: f.learningRate, Rules: f.rules,
		MinLeaf: f.minLeaf, PositiveWeight: f.positiveWeight, L2: f.l2, L1: f.l1}
	for _, d := range []struct {
		flag, v string
		to      *leadscore.Duration
	}{{"--horizon", f.horizon, &opt.Horizon}, {"--maturity", f.maturity, &opt.Maturity}} {
		if d.v == "" {
			continue
		}
		v, err := leadscore.ParseDuration(d.v)
		if err != nil {
			return trainUsage("%s: %v", d.flag, err)
		}
		*d.to = v
	}
	cfg, err := f.cf.load(os.LookupEnv)
	if err != nil {
		return trainUsage("%v", err)
	}
	var svc storeTrainer
	where := ""
	if cfg.Server != "" {
		if cfg.Key == "" {
			return trainUsage("--server needs an API key: --key or $%sKEY", envPrefix)
		}
		svc, where = client.NewClient(cfg.Server, cfg.Key, &http.Client{Timeout: time.Minute}), cfg.Server
	} else {
		if err := cfg.existingDatabase(); err != nil {
			return trainUsage("%v", err)
		}
		rt, err := openInstance(ctx, cfg, cfg.verbLogger(stderr))
		if err != nil {
			return err
		}
		defer rt.close()
		svc, where = rt.svc, cfg.where()
	}
	job, err := svc.TrainPredictive(ctx, f.name, opt)
	if err != nil {
		return serverError("train", err)
	}
	fmt.Fprintf(stderr, "training %s from the leads stored in %s (job %s)\n", f.name, where, job.ID)
	for job.State != leadscore.JobSucceeded && job.State != leadscore.JobFailed {
		select {
		case <-ctx.Done():
			return exitError{code: 1, msg: "leadscore train: interrupted; the job " + job.ID + " goes on"}
		case <-time.After(500 * time.Millisecond):
		}
		if job, err = svc.Job(ctx, job.ID); err != nil {
			return serverError("train", err)
		}
	}
	if job.State == leadscore.JobFailed {
		return exitError{code: 1, msg: "leadscore train: " + job.Error}
	}
	name, version := splitRef(job.Detail)
	a, err := svc.PredictiveArtifact(ctx, name, version)
	if err != nil {
		return serverError("train", err)
	}
	if f.out != "" {
		if err := os.WriteFile(f.out, a.Body, 0o644); err != nil {
			return trainFailure(err)
		}
	}
	var res trainResult
	if err := json.Unmarshal(a.Report, &res); err != nil {
		return trainFailure(fmt.Errorf("the stored report is unreadable: %w", err))
	}
	res.Written = f.out
	shown := *f
	shown.target, shown.leads = "the recorded outcome", where
	if f.html != "" {
		if err := writeTrainHTML(f.html, &shown, &res); err != nil {
			return trainFailure(err)
		}
	}
	if f.json {
		_, err := stdout.Write(append(a.Report, '\n'))
		return err
	}
	printTrainReport(stdout, &shown, &res)
	var prov struct {
		Store *predict.StoreProvenance `json:"store"`
	}
	if json.Unmarshal(a.Report, &prov) == nil && prov.Store != nil {
		st := prov.Store
		fmt.Fprintf(stdout, "\n  from the store: %d leads looked at: %d won, %d lost, %d without an outcome older than %s (observed at age %s), %d younger left out; horizon %s\n",
			st.Leads, st.Won, st.Lost, st.NoOutcome, st.Maturity, st.ObservedAge, st.Immature, st.Horizon)
	}
	state := "stored"
	if a.Current {
		state = "stored as the current version (artifact: store:" + a.Name + ")"
	}
	fmt.Fprintf(stdout, "\n  %s@%s %s\n", a.Name, a.Version, state)
	return nil
}

func splitRef(ref string) (string, string) {
	for i := len(ref) - 1; i >= 0; i-- {
		if ref[i] == '@' {
			return ref[:i], ref[i+1:]
		}
	}
	return ref, ""
}

// loadRuleInputs reads the first rule model of a model file for --rules.
func loadRuleInputs(path string) (*predict.RuleInputs, error) {
	checker := quality.NewChecker()
	set, err := loadModelSet([]string{path}, checker, predict.LoadPredictor, io.Discard)
	if err != nil {
		return nil, err
	}
	for _, m := range set.Models() {
		if spec := m.Spec(); spec.Kind == "" || spec.Kind == leadscore.KindRules {
			return predict.NewRuleInputs(&spec, checker)
		}
	}
	return nil, fmt.Errorf("%s defines no rule model", path)
}
