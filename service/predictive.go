package service

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"time"

	"github.com/leadscore/leadscore"
	"github.com/leadscore/leadscore/learn"
	"github.com/leadscore/leadscore/predict"
	"github.com/leadscore/leadscore/scoring"
)

// Predictive models trained from the stored leads with recorded outcomes,
// stored with their reports as artefacts that model files name as
// store:NAME. See docs/predictive.md.

var _ leadscore.PredictiveService = (*Service)(nil)

const (
	jobTrainPredictive = "train-predictive"
	// defaultMaturity is how old a lead without an outcome must be to
	// count as not converted: younger ones may still convert.
	defaultMaturity = 90 * 24 * time.Hour
	// maxTrainLeads bounds the leads one training reads.
	maxTrainLeads = 1_000_000
	trainPage     = 500
)

var predictiveName = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,63}$`)

func (s *Service) predictiveReader() (leadscore.PredictiveReader, error) {
	r, ok := s.ws.(leadscore.PredictiveReader)
	if !ok {
		return nil, leadscore.Errorf(leadscore.CodeInternal, "the store does not keep predictive models")
	}
	return r, nil
}

// PredictiveArtifacts lists stored artefacts, newest first per name.
func (s *Service) PredictiveArtifacts(ctx context.Context, name string) ([]leadscore.PredictiveArtifact, error) {
	r, err := s.predictiveReader()
	if err != nil {
		return nil, err
	}
	return r.PredictiveArtifacts(ctx, name)
}

// PredictiveArtifact returns one stored artefact with its body and report;
// an empty version is the current one.
func (s *Service) PredictiveArtifact(ctx context.Context, name, version string) (*leadscore.PredictiveArtifact, error) {
	r, err := s.predictiveReader()
	if err != nil {
		return nil, err
	}
	return r.PredictiveArtifact(ctx, name, version)
}

// checkTraining validates a training request before any job exists.
func checkTraining(name string, opt *leadscore.PredictiveTraining) error {
	if !predictiveName.MatchString(name) {
		return leadscore.Invalid("name", "%q is not a model name: lower-case letters, digits, - and _, at most 64", name)
	}
	switch opt.Learner {
	case "":
		opt.Learner = predict.LearnerGBDT
	case predict.LearnerGBDT, predict.LearnerLogistic:
	default:
		return leadscore.Invalid("learner", "unknown learner %q (use gbdt or logistic)", opt.Learner)
	}
	switch {
	case opt.Horizon < 0:
		return leadscore.Invalid("horizon", "cannot be negative")
	case opt.Maturity < 0:
		return leadscore.Invalid("maturity", "cannot be negative")
	case opt.Folds < 0 || opt.Folds > 20:
		return leadscore.Invalid("folds", "use 1 (none) to 20")
	case opt.MinConversions < 0:
		return leadscore.Invalid("min_conversions", "cannot be negative")
	case opt.Rounds < 0 || opt.Rounds > 10000:
		return leadscore.Invalid("rounds", "use 0 (default) to 10000")
	case opt.Depth < 0 || opt.Depth > 12:
		return leadscore.Invalid("depth", "use 0 (default) to 12")
	case opt.LearningRate < 0 || opt.LearningRate > 1:
		return leadscore.Invalid("learning_rate", "use 0 (default) to 1")
	case opt.MinLeaf < 0:
		return leadscore.Invalid("min_leaf", "cannot be negative")
	case opt.PositiveWeight < 0:
		return leadscore.Invalid("positive_weight", "cannot be negative")
	case opt.L2 < 0:
		return leadscore.Invalid("l2", "cannot be negative")
	case opt.L1 < 0:
		return leadscore.Invalid("l1", "cannot be negative")
	case opt.L1 > 0 && opt.Learner == predict.LearnerGBDT:
		return leadscore.Invalid("l1", "only logistic regression takes an L1 penalty")
	case opt.RulesVersion != "" && opt.Rules == "":
		return leadscore.Invalid("rules_version", "a version needs its model name (rules)")
	}
	if opt.Maturity == 0 {
		opt.Maturity = leadscore.Duration(defaultMaturity)
	}
	return nil
}

// TrainPredictive starts a background job: training takes from seconds to
// minutes, longer than a request should wait. The job's Detail names the
// model, then name@version once the artefact is stored; its Error says why
// training failed (too few outcomes, say).
func (s *Service) TrainPredictive(ctx context.Context, name string, opt leadscore.PredictiveTraining) (*leadscore.Job, error) {
	if err := checkTraining(name, &opt); err != nil {
		return nil, err
	}
	if _, err := s.predictiveReader(); err != nil {
		return nil, err
	}
	var rules *scoring.Model
	var features *predict.RuleInputs
	if opt.Rules != "" {
		set, err := s.setFor(ctx, opt.Rules, opt.RulesVersion)
		if err != nil {
			return nil, err
		}
		m, ok := set.Model(opt.Rules)
		if !ok {
			return nil, leadscore.Errorf(leadscore.CodeNotFound, "no active model %q", opt.Rules)
		}
		spec := m.Spec()
		if spec.Kind != "" && spec.Kind != leadscore.KindRules {
			return nil, leadscore.Invalid("rules", "%s is a %s model; name a rule model", opt.Rules, spec.Kind)
		}
		if features, err = predict.NewRuleInputs(&spec, s.check); err != nil {
			return nil, leadscore.Invalid("rules", "%v", err)
		}
		rules = m
	} else if act := s.active(); act != nil && act.set != nil {
		// Without a named rule model, the report compares with the first
		// active rule model, as `leadscore train --model` would.
		for _, m := range act.set.Models() {
			if m.Spec().Kind != leadscore.KindPredictive && m.Spec().Kind != leadscore.KindCombined {
				rules = m
				break
			}
		}
	}
	if !s.training.CompareAndSwap(false, true) {
		return nil, leadscore.Errorf(leadscore.CodeConflict, "a predictive model is training already; wait for its job to finish")
	}
	total, err := s.ws.CountLeads(ctx)
	if err != nil {
		s.training.Store(false)
		return nil, err
	}
	now := s.now().UTC()
	job := &leadscore.Job{ID: newID("job"), Kind: jobTrainPredictive, State: leadscore.JobRunning, Detail: name,
		Total: min(total, maxTrainLeads), CreatedAt: now, UpdatedAt: now}
	if err := s.ws.Write(ctx, func(tx leadscore.Tx) error { return tx.PutJob(ctx, job) }); err != nil {
		s.training.Store(false)
		return nil, err
	}
	running := *job
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		go func() {
			select {
			case <-s.stop:
				cancel()
			case <-ctx.Done():
			}
		}()
		a, err := s.trainPredictive(ctx, &running, name, opt, rules, features)
		// Free before the job reads as finished: whoever waits for it may
		// train next.
		s.training.Store(false)
		if err != nil {
			if ctx.Err() != nil {
				err = fmt.Errorf("stopped: the service shut down while training")
			}
			s.failJob(&running, err)
			return
		}
		running.State, running.Detail, running.Done, running.UpdatedAt = leadscore.JobSucceeded, a.Name+"@"+a.Version, running.Total, s.now().UTC()
		_ = s.ws.Write(context.Background(), func(tx leadscore.Tx) error { return tx.PutJob(context.Background(), &running) })
		s.log.Info("predictive model trained", "model", a.Name, "version", a.Version, "activatable", a.Activatable, "current", a.Current)
	}()
	return job, nil
}

// TrainingSet reads the stored leads into a training table: each lead with
// an outcome is observed just before it (less the horizon), a lead without
// one counts as not converted only once older than the maturity window and
// is then observed at now (less the horizon). The rule model, when given,
// scores every lead at its cut-off for the comparison in the report.
func (s *Service) trainingSet(ctx context.Context, opt leadscore.PredictiveTraining, rules *scoring.Model,
	features *predict.RuleInputs, progress func(done int) error) (*predict.Table, *predict.StoreProvenance, map[string]float64, error) {
	bulk, ok := s.ws.(leadscore.BulkReader)
	if !ok {
		return nil, nil, nil, leadscore.Errorf(leadscore.CodeInternal, "the store does not support bulk reads")
	}
	auto, err := s.autoReader()
	if err != nil {
		return nil, nil, nil, err
	}
	now := s.now().UTC()
	horizon, maturity := opt.Horizon.Std(), opt.Maturity.Std()
	prov := &predict.StoreProvenance{Horizon: opt.Horizon.String(), Maturity: opt.Maturity.String(), TrainedAt: now}
	if rules != nil {
		prov.RuleModel = rules.Name()
	}
	age, err := s.outcomeAge(ctx, bulk, auto, maturity)
	if err != nil {
		return nil, nil, nil, err
	}
	prov.ObservedAge = leadscore.Duration(age).String()
	b := predict.NewTableBuilder(features)
	ruleScores := map[string]float64{}
	after := ""
	for prov.Leads < maxTrainLeads {
		if err := ctx.Err(); err != nil {
			return nil, nil, nil, err
		}
		ids, err := s.ws.LeadIDs(ctx, after, min(trainPage, maxTrainLeads-prov.Leads))
		if err != nil {
			return nil, nil, nil, err
		}
		if len(ids) == 0 {
			break
		}
		after = ids[len(ids)-1]
		leads, err := bulk.LeadsByID(ctx, ids)
		if err != nil {
			return nil, nil, nil, err
		}
		events, err := bulk.EventsOf(ctx, ids)
		if err != nil {
			return nil, nil, nil, err
		}
		outcomes, err := auto.OutcomesOf(ctx, ids)
		if err != nil {
			return nil, nil, nil, err
		}
		accounts := map[string]*leadscore.Account{}
		for _, id := range ids {
			lead := leads[id]
			if lead == nil {
				continue
			}
			prov.Leads++
			evs := make([]leadscore.Event, len(events[id]))
			for i := range events[id] {
				evs[i] = events[id][i].Event
			}
			born := lead.CreatedAt
			for _, e := range evs {
				if born.IsZero() || e.At.Before(born) {
					born = e.At
				}
			}
			sample := predict.Sample{Lead: lead, Events: evs, Order: born}
			switch o := outcomes[id]; {
			case o != nil && o.Result == leadscore.OutcomeWon:
				prov.Won++
				sample.Converted, sample.Cutoff = true, o.At.Add(-horizon)
			case o != nil:
				prov.Lost++
				sample.Cutoff = o.At.Add(-horizon)
			case !born.IsZero() && !born.After(now.Add(-maturity)):
				// Observed at the age leads typically reach their outcome:
				// observed now, a lead that stopped long ago would look
				// unlike every converted lead just by the time passed.
				prov.NoOutcome++
				sample.Cutoff = minTime(born.Add(age), now).Add(-horizon)
			default:
				prov.Immature++
				continue
			}
			if lead.AccountID != "" {
				acct, seen := accounts[lead.AccountID]
				if !seen {
					if acct, err = accountWithLists(ctx, s.ws, lead.AccountID); err != nil {
						return nil, nil, nil, err
					}
					accounts[lead.AccountID] = acct
				}
				sample.Account = acct
			}
			b.Add(sample)
			if rules != nil {
				// The rule model sees what the learner sees: the events
				// before the lead's cut-off, evaluated as of the cut-off.
				var before []leadscore.Event
				for _, e := range evs {
					if e.At.Before(sample.Cutoff) {
						before = append(before, e)
					}
				}
				ev := rules.Evaluate(&scoring.Input{Lead: lead, Account: sample.Account, Events: before}, sample.Cutoff)
				ruleScores[id] = ev.Score
			}
		}
		if err := progress(prov.Leads); err != nil {
			return nil, nil, nil, err
		}
	}
	return b.Table(), prov, ruleScores, nil
}

// outcomeAge is the median age of leads (from their creation) at their
// outcome: the age at which a lead without an outcome is observed. Without
// any dated outcome it is the maturity window.
func (s *Service) outcomeAge(ctx context.Context, bulk leadscore.BulkReader, auto leadscore.AutomationReader, maturity time.Duration) (time.Duration, error) {
	var ages []time.Duration
	after := ""
	for read := 0; read < maxTrainLeads; {
		ids, err := s.ws.LeadIDs(ctx, after, min(trainPage, maxTrainLeads-read))
		if err != nil || len(ids) == 0 {
			if err != nil {
				return 0, err
			}
			break
		}
		read += len(ids)
		after = ids[len(ids)-1]
		outcomes, err := auto.OutcomesOf(ctx, ids)
		if err != nil {
			return 0, err
		}
		if len(outcomes) == 0 {
			continue
		}
		withOutcome := make([]string, 0, len(outcomes))
		for id := range outcomes {
			withOutcome = append(withOutcome, id)
		}
		leads, err := bulk.LeadsByID(ctx, withOutcome)
		if err != nil {
			return 0, err
		}
		for id, o := range outcomes {
			if l := leads[id]; l != nil && !l.CreatedAt.IsZero() && o.At.After(l.CreatedAt) {
				ages = append(ages, o.At.Sub(l.CreatedAt))
			}
		}
	}
	if len(ages) == 0 {
		return maturity, nil
	}
	slices.Sort(ages)
	return min(ages[len(ages)/2], maturity), nil
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// trainPredictive reads the training set, trains, judges the result
// against the current artefact of the name and stores it with its report.
func (s *Service) trainPredictive(ctx context.Context, job *leadscore.Job, name string, opt leadscore.PredictiveTraining,
	rules *scoring.Model, features *predict.RuleInputs) (*leadscore.PredictiveArtifact, error) {
	r, err := s.predictiveReader()
	if err != nil {
		return nil, err
	}
	lastSaved := time.Time{}
	tab, prov, ruleScores, err := s.trainingSet(ctx, opt, rules, features, func(done int) error {
		job.Done, job.UpdatedAt = int64(done), s.now().UTC()
		if job.UpdatedAt.Sub(lastSaved) < time.Second {
			return nil
		}
		lastSaved = job.UpdatedAt
		return s.ws.Write(ctx, func(tx leadscore.Tx) error { return tx.PutJob(ctx, job) })
	})
	if err != nil {
		return nil, err
	}
	prov.Name = name
	topt := predict.TrainOptions{Learner: opt.Learner, Seed: opt.Seed, Folds: opt.Folds,
		Selection:      predict.Selection{Drop: opt.Drop, Only: opt.Only, Allow: opt.Allow},
		MinConversions: opt.MinConversions, Now: s.now().UTC(), DataHash: tab.Hash(), Target: "outcome", Rules: features,
		GBDT: predict.GBDTOptions{Rounds: opt.Rounds, MaxDepth: opt.Depth, LearningRate: opt.LearningRate,
			MinLeaf: opt.MinLeaf, PositiveWeight: opt.PositiveWeight},
	}
	// One penalty flag serves the learner that is trained.
	if opt.Learner == predict.LearnerLogistic {
		topt.L2, topt.L1 = opt.L2, opt.L1
	} else {
		topt.GBDT.L2 = opt.L2
	}
	if topt.Seed == 0 {
		topt.Seed = 1
	}
	m, rep, err := predict.Train(ctx, tab, topt)
	if err != nil {
		return nil, err
	}
	recorded := opt
	prov.Options = &recorded
	res := &predict.Result{Report: rep, Summary: m.Summary, Tiers: m.Tiers, Store: prov}
	for _, sh := range m.Importance(tab, 2000) {
		res.Importance = append(res.Importance, predict.Importance{Feature: sh.Name, Share: sh.Share})
	}
	if rules != nil {
		res.Rules = compareWithRules(rules.Name(), rep, ruleScores)
	}
	body, err := m.JSON()
	if err != nil {
		return nil, err
	}
	a := &leadscore.PredictiveArtifact{Name: name, Version: predict.ArtefactVersion(body), Body: body,
		Activatable: m.Activatable, CreatedBy: opt.By, CreatedAt: s.now().UTC()}
	prov.Version = a.Version
	current, err := r.PredictiveArtifact(ctx, name, "")
	switch {
	case leadscore.CodeOf(err) == leadscore.CodeNotFound:
		// The first activatable artefact of a name becomes current.
		a.Current = m.Activatable
	case err != nil:
		return nil, err
	default:
		res.Challenge = predict.Decide(name+"@"+current.Version, outOfTimeAUC(current.Report), m, rep)
		a.Current = res.Challenge.Replaced
	}
	if a.Report, err = json.Marshal(res); err != nil {
		return nil, fmt.Errorf("the training report cannot be stored: %w", err)
	}
	err = s.ws.Write(ctx, func(tx leadscore.Tx) error {
		pt, ok := tx.(leadscore.PredictiveTx)
		if !ok {
			return leadscore.Errorf(leadscore.CodeInternal, "the store does not keep predictive models")
		}
		return pt.PutPredictiveArtifact(ctx, a)
	})
	if leadscore.CodeOf(err) == leadscore.CodeConflict {
		// The same data, options and seed make the same bytes: the model is
		// stored already.
		return r.PredictiveArtifact(ctx, name, a.Version)
	}
	return a, err
}

// outOfTimeAUC reads the headline of a stored report.
func outOfTimeAUC(report json.RawMessage) float64 {
	var r struct {
		Summary predict.Summary `json:"summary"`
	}
	_ = json.Unmarshal(report, &r)
	return r.Summary.OutOfTimeAUC
}

// compareWithRules measures the rule model's scores at each lead's cut-off
// against the predictive model's out-of-fold probabilities, on the same
// leads.
func compareWithRules(model string, rep *predict.Report, ruleScores map[string]float64) *predict.RuleComparison {
	c := &predict.RuleComparison{Model: model}
	if rep.OutOfFold == nil {
		c.Error = "no cross-validation (folds 1) to compare on the same leads"
		return c
	}
	var rs, ps []float64
	var ys []bool
	ids := make([]int, len(rep.IDs))
	for i := range ids {
		ids[i] = i
	}
	sort.Ints(ids)
	pos := 0
	for _, i := range ids {
		sc, ok := ruleScores[rep.IDs[i]]
		if !ok {
			continue
		}
		rs, ps, ys = append(rs, sc), append(ps, rep.OutOfFold[i]), append(ys, rep.Y[i])
		if rep.Y[i] {
			pos++
		}
	}
	if pos == 0 || pos == len(ys) {
		c.Error = "too few leads with both outcomes to compare"
		return c
	}
	c.Leads, c.RuleAUC, c.PredictAUC = len(ys), learn.AUC(rs, ys), learn.AUC(ps, ys)
	return c
}

// pinStoreArtifact turns artifact: store:NAME into store:NAME@VERSION, the
// version current at this moment. UploadModel calls it before computing
// the model version: the stored spec then names the exact artefact the
// version was computed with, and a challenger that becomes current later
// does not change what an already uploaded version scores with.
func (s *Service) pinStoreArtifact(ctx context.Context, spec *leadscore.ModelSpec) error {
	if spec.Kind != leadscore.KindPredictive {
		return nil
	}
	name, version, ok := predict.ParseStoreRef(spec.Artifact)
	if !ok || version != "" || name == "" {
		return nil
	}
	r, err := s.predictiveReader()
	if err != nil {
		return err
	}
	a, err := r.PredictiveArtifact(ctx, name, "")
	if err != nil {
		if leadscore.CodeOf(err) == leadscore.CodeNotFound {
			return leadscore.Invalid("artifact", "%s: no current version of the stored model %q (train it first)", spec.Artifact, name)
		}
		return err
	}
	spec.Artifact = predict.StorePrefix + a.Name + "@" + a.Version
	return nil
}

// retrainDue retrains, one at a time, every stored predictive model whose
// newest version is older than Config.RetrainEvery, with the options of
// that version's training. The new version is a challenger like any other:
// it becomes current only if it beats the current one out of time. A name
// is tried at most once per RetrainEvery, so a training that fails (too few
// outcomes) or finds nothing new (the same data makes the same artefact)
// is not repeated at every tick. It returns the job started, if any.
func (s *Service) retrainDue(ctx context.Context) *leadscore.Job {
	every := s.cfg.RetrainEvery
	if every <= 0 {
		return nil
	}
	r, ok := s.ws.(leadscore.PredictiveReader)
	if !ok {
		return nil
	}
	all, err := r.PredictiveArtifacts(ctx, "")
	if err != nil {
		s.log.Warn("listing predictive models to retrain", "err", err)
		return nil
	}
	now := s.now().UTC()
	seen := map[string]bool{}
	for _, a := range all {
		if seen[a.Name] {
			continue // newest first per name: the rest are older versions
		}
		seen[a.Name] = true
		if now.Sub(a.CreatedAt) < every || now.Sub(s.retrainTried[a.Name]) < every {
			continue
		}
		opt := leadscore.PredictiveTraining{}
		var res struct {
			Store *predict.StoreProvenance `json:"store"`
		}
		if json.Unmarshal(a.Report, &res) == nil && res.Store != nil {
			if res.Store.Options != nil {
				opt = *res.Store.Options
			} else {
				opt.Rules = res.Store.RuleModel
			}
		}
		opt.By = "schedule"
		job, err := s.TrainPredictive(ctx, a.Name, opt)
		if leadscore.CodeOf(err) == leadscore.CodeConflict {
			return nil // another training runs: the next tick tries again
		}
		s.retrainTried[a.Name] = now
		if err != nil {
			s.log.Warn("scheduled retraining not started", "model", a.Name, "err", err)
			continue
		}
		s.log.Info("scheduled retraining started", "model", a.Name, "job", job.ID, "newest", a.Version)
		return job
	}
	return nil
}
