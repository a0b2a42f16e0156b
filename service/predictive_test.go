package service

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/leadscore/leadscore"
	"github.com/leadscore/leadscore/predict"
	"github.com/leadscore/leadscore/sqlstore"
)

// predictiveFixture is a service whose LoadPredictor reads store:
// references, over a store seeded with leads, events and outcomes.
func predictiveFixture(t *testing.T, configure ...func(*Config)) *fixture {
	t.Helper()
	ctx := context.Background()
	st, err := sqlstore.Open(ctx, filepath.Join(t.TempDir(), "ls.db"), sqlstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	loader := predict.StoreLoader(st.Workspace(leadscore.DefaultWorkspace).(leadscore.PredictiveReader), nil)
	f := &fixture{t: t, clock: &clock{t: start}, store: st}
	f.start(append([]func(*Config){func(c *Config) { c.LoadPredictor = loader }}, configure...)...)
	return f
}

// seedOutcomes writes n leads with a planted effect: a demo request before
// the outcome and a senior title make conversion likely. Every converted
// lead also gets a contract.signed event an hour after its outcome, which
// would predict the outcome perfectly if it leaked into the features.
// immature leads are young and have no outcome.
func seedOutcomes(t *testing.T, st leadscore.Store, n, immature int, now time.Time) (converted int) {
	t.Helper()
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(7, 11))
	titles := []string{"vp sales", "engineer", "marketing manager"}
	ws := st.Workspace(leadscore.DefaultWorkspace)
	err := ws.Write(ctx, func(tx leadscore.Tx) error {
		at := tx.(leadscore.AutomationTx)
		seq := 0
		event := func(lead, typ string, when time.Time) error {
			seq++
			_, err := tx.InsertEvent(ctx, &leadscore.StoredEvent{Event: leadscore.Event{ID: fmt.Sprintf("e%d", seq), LeadID: lead,
				Type: typ, At: when, Source: "seed"}, MessageID: fmt.Sprintf("m%d", seq), ReceivedAt: when})
			return err
		}
		for i := range n + immature {
			id := fmt.Sprintf("lead-%05d", i)
			created := now.Add(-time.Duration(200+rng.IntN(100)) * 24 * time.Hour)
			if i >= n {
				created = now.Add(-10 * 24 * time.Hour)
			}
			title := titles[rng.IntN(len(titles))]
			if err := tx.UpsertLead(ctx, &leadscore.Lead{ID: id, Email: id + "@example.com", Title: title, CreatedAt: created}); err != nil {
				return err
			}
			// Outcomes come 15 to 40 days in; activity is spread over the
			// first 30 days, so that no activity measure stands in for the
			// planted demo request.
			outcomeAt := created.Add(time.Duration(15+rng.IntN(26)) * 24 * time.Hour)
			for range rng.IntN(5) {
				if err := event(id, "page.viewed", created.Add(time.Duration(1+rng.IntN(30*24))*time.Hour)); err != nil {
					return err
				}
			}
			if i >= n {
				continue
			}
			demo := rng.Float64() < 0.4
			if demo {
				if err := event(id, "demo.requested", created.Add(time.Duration(1+rng.IntN(14*24))*time.Hour)); err != nil {
					return err
				}
			}
			p := 0.04
			if demo {
				p += 0.5
			}
			if title == "vp sales" {
				p += 0.15
			}
			switch {
			case rng.Float64() < p:
				converted++
				won := outcomeAt
				if err := at.PutOutcome(ctx, &leadscore.Outcome{LeadID: id, Result: leadscore.OutcomeWon, At: won, RecordedAt: won}); err != nil {
					return err
				}
				if err := event(id, "contract.signed", won.Add(time.Hour)); err != nil {
					return err
				}
			case rng.Float64() < 0.3:
				lost := outcomeAt
				if err := at.PutOutcome(ctx, &leadscore.Outcome{LeadID: id, Result: leadscore.OutcomeLost, At: lost, RecordedAt: lost}); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return converted
}

func trainAndWait(t *testing.T, f *fixture, name string, opt leadscore.PredictiveTraining) (*leadscore.Job, *leadscore.PredictiveArtifact, *predict.Result) {
	t.Helper()
	job, err := f.svc.TrainPredictive(context.Background(), name, opt)
	if err != nil {
		t.Fatal(err)
	}
	done := f.waitJob(job.ID)
	if done.State != leadscore.JobSucceeded {
		t.Fatalf("training job: %+v", done)
	}
	n, version, _ := strings.Cut(done.Detail, "@")
	if n != name || version == "" {
		t.Fatalf("the finished job names %q, want %s@VERSION", done.Detail, name)
	}
	a, err := f.svc.PredictiveArtifact(context.Background(), name, version)
	if err != nil {
		t.Fatal(err)
	}
	var res predict.Result
	if err := json.Unmarshal(a.Report, &res); err != nil {
		t.Fatalf("stored report: %v", err)
	}
	return done, a, &res
}

func TestTrainPredictiveFromTheStore(t *testing.T) {
	f := predictiveFixture(t)
	converted := seedOutcomes(t, f.store, 1200, 40, start)
	_, a, res := trainAndWait(t, f, "learned", leadscore.PredictiveTraining{Folds: 3, Seed: 1})

	if !a.Activatable || !a.Current {
		t.Errorf("the first artefact of a name with %d conversions: activatable %v, current %v", converted, a.Activatable, a.Current)
	}
	st := res.Store
	if st == nil || st.Leads != 1240 || st.Immature != 40 || st.Won != converted || res.Read.Converted != converted ||
		res.Read.Rows != 1200 || st.Maturity != "90d" {
		t.Errorf("provenance %+v, rows %d converted %d (want 1240 leads, 40 immature, %d won)", st, res.Read.Rows, res.Read.Converted, converted)
	}
	// The leak: contract.signed happens after every conversion and is never
	// read; each one is counted as an event after its lead's cut-off.
	if res.Read.EventsAfterCut < converted {
		t.Errorf("%d events after the cut-off, want at least the %d contract.signed", res.Read.EventsAfterCut, converted)
	}
	used := map[string]float64{}
	for _, c := range res.Features {
		if strings.Contains(c.Name, "contract.signed") {
			t.Errorf("an event after the outcome became a feature: %+v", c)
		}
		if c.Status == "used" {
			used[c.Name] = c.AUC
		}
	}
	if _, ok := used["events demo.requested"]; !ok {
		t.Errorf("the planted event is not used: %+v", res.Features)
	}
	if _, ok := used["lead.title"]; !ok {
		t.Errorf("the planted title is not used: %+v", res.Features)
	}
	// The planted effect is recovered: the demo request drives the score.
	if len(res.Importance) == 0 || res.Importance[0].Feature != "events demo.requested" {
		t.Errorf("importance %+v, want events demo.requested first", res.Importance)
	}
	if res.CV == nil || res.CV.Mean < 0.7 || res.OutOfTime == nil || res.OutOfTime.AUC < 0.65 {
		t.Errorf("CV %+v, out of time %+v: the planted effect should rank converters well", res.CV, res.OutOfTime)
	}
	if res.Challenge != nil {
		t.Errorf("the first artefact has a challenge: %+v", res.Challenge)
	}

	// A model file naming store:learned scores with the current artefact.
	src := []byte("name: learned\nkind: predictive\nartifact: store:learned\n")
	up, err := f.svc.UploadModel(context.Background(), "learned.yaml", src, "test")
	if err != nil {
		t.Fatalf("upload: %v %+v", err, up)
	}
	f.activate("learned", up.Versions[0].Version)
	f.ingest(track("t1", "lead-00001", "demo.requested", nil))
	if sc := f.score("lead-00001", "learned"); sc.Evaluation == nil || len(sc.Evaluation.Contributions) == 0 {
		t.Errorf("the stored model scored without factors: %+v", sc)
	}
	pinned := []byte("name: pinned\nkind: predictive\nartifact: store:learned@" + a.Version + "\n")
	if _, err := f.svc.UploadModel(context.Background(), "pinned.yaml", pinned, "test"); err != nil {
		t.Errorf("a pinned reference: %v", err)
	}
	_, err = f.svc.UploadModel(context.Background(), "x.yaml", []byte("name: x\nkind: predictive\nartifact: store:learned@000000000000\n"), "test")
	if leadscore.CodeOf(err) != leadscore.CodeInvalid || !strings.Contains(err.Error(), "learned@000000000000") {
		t.Errorf("an unknown stored version: %v", err)
	}
}

func TestRetrainingMakesAChallenger(t *testing.T) {
	f := predictiveFixture(t)
	seedOutcomes(t, f.store, 800, 0, start)
	_, first, _ := trainAndWait(t, f, "learned", leadscore.PredictiveTraining{Folds: 2, Seed: 1})

	// Too few conversions for the minimum: stored, refused activation, and
	// the report says why.
	_, thin, res := trainAndWait(t, f, "learned", leadscore.PredictiveTraining{Folds: 2, Seed: 2, MinConversions: 100000})
	if thin.Activatable || thin.Current || res.Challenge == nil || res.Challenge.Replaced ||
		!strings.Contains(res.Challenge.Reason, "not activatable") || len(res.NotActivatable) == 0 ||
		!strings.Contains(res.NotActivatable[0], "at least 100000") {
		t.Errorf("a model below the minimum: activatable %v current %v challenge %+v reasons %v", thin.Activatable, thin.Current, res.Challenge, res.NotActivatable)
	}
	if cur, _ := f.svc.PredictiveArtifact(context.Background(), "learned", ""); cur == nil || cur.Version != first.Version {
		t.Errorf("the current version moved to a model that may not activate")
	}
	_, err := f.svc.UploadModel(context.Background(), "x.yaml", []byte("name: x\nkind: predictive\nartifact: store:learned@"+thin.Version+"\n"), "test")
	if leadscore.CodeOf(err) != leadscore.CodeInvalid || !strings.Contains(err.Error(), "not activatable") {
		t.Errorf("a reference to a non-activatable artefact: %v", err)
	}

	// An activatable challenger replaces the current one only if it is
	// better out of time, and the verdict is consistent with the flag.
	_, ch, res := trainAndWait(t, f, "learned", leadscore.PredictiveTraining{Folds: 2, Seed: 3, Learner: predict.LearnerLogistic})
	c := res.Challenge
	if c == nil || c.Current != "learned@"+first.Version || c.Replaced != ch.Current || c.Replaced != (c.NewOutOfTimeAUC > c.CurrentOutOfAUC) {
		t.Errorf("challenge %+v, stored current %v", c, ch.Current)
	}
	list, err := f.svc.PredictiveArtifacts(context.Background(), "learned")
	if err != nil || len(list) != 3 {
		t.Fatalf("versions: %v %+v", err, list)
	}
	currents := 0
	for _, a := range list {
		if a.Current {
			currents++
		}
	}
	if currents != 1 {
		t.Errorf("%d current versions", currents)
	}
}

func TestTrainPredictiveRefusesBadRequests(t *testing.T) {
	f := predictiveFixture(t)
	for _, tc := range []struct {
		name  string
		opt   leadscore.PredictiveTraining
		field string
	}{
		{"Bad Name", leadscore.PredictiveTraining{}, "name"},
		{"ok", leadscore.PredictiveTraining{Learner: "forest"}, "learner"},
		{"ok", leadscore.PredictiveTraining{Horizon: -1}, "horizon"},
		{"ok", leadscore.PredictiveTraining{RulesVersion: "abc"}, "rules_version"},
		{"ok", leadscore.PredictiveTraining{Depth: 40}, "depth"},
		{"ok", leadscore.PredictiveTraining{MinLeaf: -1}, "min_leaf"},
		{"ok", leadscore.PredictiveTraining{PositiveWeight: -2}, "positive_weight"},
		{"ok", leadscore.PredictiveTraining{L2: -1}, "l2"},
		{"ok", leadscore.PredictiveTraining{L1: 0.1}, "l1"}, // trees take no L1 penalty
		{"ok", leadscore.PredictiveTraining{Learner: "logistic", L1: -0.1}, "l1"},
	} {
		_, err := f.svc.TrainPredictive(context.Background(), tc.name, tc.opt)
		var e *leadscore.Error
		if leadscore.CodeOf(err) != leadscore.CodeInvalid || !errors.As(err, &e) || e.Field != tc.field {
			t.Errorf("%+v: %v, want invalid %s", tc.opt, err, tc.field)
		}
	}
	// No outcomes at all: the job fails and says why.
	job, err := f.svc.TrainPredictive(context.Background(), "empty", leadscore.PredictiveTraining{})
	if err != nil {
		t.Fatal(err)
	}
	if j := f.waitJob(job.ID); j.State != leadscore.JobFailed || !strings.Contains(j.Error, "no leads") {
		t.Errorf("training on nothing: %+v", j)
	}
}

// A rule model's rules become 0/1 features named by their labels, the
// artefact carries the rule model so that scoring evaluates the same
// rules, and the report compares with the rule model on the same leads.
func TestTrainPredictiveWithRuleFeatures(t *testing.T) {
	f := predictiveFixture(t)
	seedOutcomes(t, f.store, 1000, 0, start)
	rules := []byte(`name: fit
categories:
  interest:
    rules:
      - {name: demo-request, label: asked for a demo, event: demo.requested, points: 30}
      - {name: browsing, label: browsed the site, event: page.viewed, points: 5}
      - {name: senior, label: senior title, when: 'lead.title matches "(?i)vp"', points: 20}
`)
	up, err := f.svc.UploadModel(context.Background(), "fit.yaml", rules, "test")
	if err != nil {
		t.Fatalf("upload: %v %+v", err, up)
	}
	f.activate("fit", up.Versions[0].Version)
	_, a, res := trainAndWait(t, f, "learned", leadscore.PredictiveTraining{Folds: 2, Seed: 1, Rules: "fit",
		Drop: []string{"demo.requested"}})
	used := map[string]bool{}
	for _, c := range res.Features {
		used[c.Name] = c.Status == "used"
	}
	if !used["rule.demo-request"] || !used["rule.senior"] {
		t.Errorf("the rules are not features: %+v", res.Features)
	}
	if res.Rules == nil || res.Rules.Model != "fit" || res.Rules.Leads != 1000 || res.Rules.RuleAUC < 0.6 {
		t.Errorf("rule comparison %+v", res.Rules)
	}
	m, err := predict.Parse(a.Body, "stored")
	if err != nil {
		t.Fatal(err)
	}
	if m.Rules == nil || m.Rules.Model != "fit" {
		t.Fatalf("the artefact does not carry its rule model: %+v", m.Rules)
	}
	lead := &leadscore.Lead{ID: "x", Title: "VP Sales"}
	demo := []leadscore.Event{{ID: "d", LeadID: "x", Type: "demo.requested", At: start.Add(-24 * time.Hour)}}
	with := m.NewScorer().Score(lead, nil, demo, start, 5)
	without := m.NewScorer().Score(lead, nil, nil, start, 5)
	if with.Probability <= without.Probability {
		t.Errorf("a demo request through the rule does not raise the score: %v <= %v", with.Probability, without.Probability)
	}
	texts := ""
	for _, fc := range append(with.Factors, without.Factors...) {
		texts += fc.Text + "\n"
	}
	if !strings.Contains(texts, "+ asked for a demo") || !strings.Contains(texts, "− asked for a demo (not met)") {
		t.Errorf("factors do not name the rule by its label:\n%s", texts)
	}
}

func TestPinStoreArtifact(t *testing.T) {
	f := predictiveFixture(t)
	seedOutcomes(t, f.store, 600, 0, start)
	_, a, _ := trainAndWait(t, f, "learned", leadscore.PredictiveTraining{Folds: 2, Seed: 1, MinConversions: 10})
	ctx := context.Background()
	for _, tc := range []struct{ in, want string }{
		{"store:learned", "store:learned@" + a.Version},
		{"store:learned@abc", "store:learned@abc"},
		{"/srv/model.json", "/srv/model.json"},
	} {
		spec := &leadscore.ModelSpec{Name: "p", Kind: leadscore.KindPredictive, Artifact: tc.in}
		if err := f.svc.pinStoreArtifact(ctx, spec); err != nil || spec.Artifact != tc.want {
			t.Errorf("%s: %q %v, want %q", tc.in, spec.Artifact, err, tc.want)
		}
	}
	spec := &leadscore.ModelSpec{Name: "p", Kind: leadscore.KindPredictive, Artifact: "store:nobody"}
	if err := f.svc.pinStoreArtifact(ctx, spec); leadscore.CodeOf(err) != leadscore.CodeInvalid {
		t.Errorf("an unknown stored model: %v", err)
	}
	// Uploading pins the stored version, so that a later retraining never
	// changes what this version scores with.
	up, err := f.svc.UploadModel(ctx, "p.yaml", []byte("name: p\nkind: predictive\nartifact: store:learned\n"), "test")
	if err != nil {
		t.Fatalf("upload: %v %+v", err, up)
	}
	if got := up.Versions[0].Spec.Artifact; got != "store:learned@"+a.Version {
		t.Errorf("an uploaded version names %q, want it pinned to %q", got, "store:learned@"+a.Version)
	}
}

// TestScheduledRetraining: with RetrainEvery set, a stored model whose
// newest version is older than that is retrained with the options of that
// version, once per period, whatever the outcome of the training.
func TestScheduledRetraining(t *testing.T) {
	const every = 30 * 24 * time.Hour
	f := predictiveFixture(t, func(c *Config) { c.RetrainEvery = every })
	seedOutcomes(t, f.store, 600, 0, start)
	ctx := context.Background()
	opt := leadscore.PredictiveTraining{Folds: 2, Seed: 3, MinConversions: 10, Maturity: leadscore.Duration(60 * 24 * time.Hour)}
	_, first, _ := trainAndWait(t, f, "learned", opt)

	f.clock.Add(every - time.Hour)
	if job := f.svc.retrainDue(ctx); job != nil {
		t.Fatalf("retrained before its time: %+v", job)
	}
	f.clock.Add(2 * time.Hour)
	job := f.svc.retrainDue(ctx)
	if job == nil {
		t.Fatal("a model older than the period was not retrained")
	}
	done := f.waitJob(job.ID)
	if done.State != leadscore.JobSucceeded {
		t.Fatalf("scheduled training: %+v", done)
	}
	_, version, _ := strings.Cut(done.Detail, "@")
	a, err := f.svc.PredictiveArtifact(ctx, "learned", version)
	if err != nil {
		t.Fatal(err)
	}
	if a.Version == first.Version || a.CreatedBy != "schedule" {
		t.Errorf("the scheduled training stored %s by %q, want a new version by the schedule (first %s)", a.Version, a.CreatedBy, first.Version)
	}
	var res predict.Result
	if err := json.Unmarshal(a.Report, &res); err != nil || res.Store == nil || res.Store.Options == nil {
		t.Fatalf("report of the scheduled training: %v %+v", err, res.Store)
	}
	if got := *res.Store.Options; got.Folds != 2 || got.Seed != 3 || got.MinConversions != 10 || got.Maturity != opt.Maturity {
		t.Errorf("the scheduled training used %+v, want the options of the version before (%+v)", got, opt)
	}
	if res.Challenge == nil {
		t.Error("a scheduled training is a challenger of the current version, and its report must say how it compared")
	}

	f.clock.Add(24 * time.Hour)
	if job := f.svc.retrainDue(ctx); job != nil {
		t.Errorf("retrained again within the period: %+v", job)
	}
}
