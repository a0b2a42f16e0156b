package webui

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/leadscore/leadscore"
	"github.com/leadscore/leadscore/learn"
	"github.com/leadscore/leadscore/predict"
	"github.com/leadscore/leadscore/service"
)

// withPredictive is the fixture's service with stored predictive models.
type withPredictive struct {
	*service.Service
	mu      sync.Mutex
	stored  []leadscore.PredictiveArtifact
	trained []leadscore.PredictiveTraining
	names   []string
}

func (p *withPredictive) TrainPredictive(_ context.Context, name string, opt leadscore.PredictiveTraining) (*leadscore.Job, error) {
	if name == "" {
		return nil, leadscore.Invalid("name", "%q is not a model name", name)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.names, p.trained = append(p.names, name), append(p.trained, opt)
	return &leadscore.Job{ID: "job_train1", Kind: "train-predictive", State: leadscore.JobRunning, Detail: name}, nil
}

func (p *withPredictive) PredictiveArtifacts(_ context.Context, name string) ([]leadscore.PredictiveArtifact, error) {
	return p.stored, nil
}

func (p *withPredictive) PredictiveArtifact(_ context.Context, name, version string) (*leadscore.PredictiveArtifact, error) {
	for _, a := range p.stored {
		if a.Name == name && a.Version == version {
			return &a, nil
		}
	}
	return nil, leadscore.Errorf(leadscore.CodeNotFound, "predictive model %s@%s not found", name, version)
}

// storedReport is a training report as the service stores it.
func storedReport(t *testing.T) json.RawMessage {
	t.Helper()
	var cal []learn.CalibrationBin
	for i := range 10 {
		cal = append(cal, learn.CalibrationBin{MeanPredicted: 0.02 + 0.05*float64(i), Observed: 0.01 + 0.05*float64(i), Count: 120})
	}
	res := predict.Result{
		Report: &predict.Report{Learner: "gbdt", Read: predict.ReadStats{Rows: 1200, Converted: 310},
			Features: []predict.FeatureCheck{
				{Name: "events demo.requested", Kind: "events", Status: "used", AUC: 0.71},
				{Name: "rule.senior", Kind: "number", Status: "used", AUC: 0.58},
				{Name: "lead.stage_reason", Kind: "category", Status: "leak", AUC: 0.99, Reason: "predicts the outcome almost perfectly on its own"},
			},
			CV: &predict.CVReport{Folds: 5, AUC: []float64{0.8, 0.82}, Mean: 0.8123, Std: 0.0141}, OutOfTime: &predict.HoldoutReport{TrainRows: 960, TestRows: 240, AUC: 0.7123},
			Calibration: cal, LiftTop10: 3.2, LiftTop20: 2.4},
		Summary:    predict.Summary{Rows: 1200, Converted: 310, OutOfTimeAUC: 0.7123, CVAUC: 0.8123},
		Rules:      &predict.RuleComparison{Model: "b2b-saas", Leads: 1200, RuleAUC: 0.6431, PredictAUC: 0.8123},
		Challenge:  &predict.Challenge{Current: "learned@aaa", CurrentOutOfAUC: 0.7311, NewOutOfTimeAUC: 0.7123, Reason: "out-of-time AUC 0.7123 does not beat the current 0.7311; the current model stays"},
		Importance: []predict.Importance{{Feature: "events demo.requested", Share: 0.6}, {Feature: "rule.senior", Share: 0.4}},
		Store:      &predict.StoreProvenance{Name: "learned", Leads: 1300, Won: 310, Lost: 200, NoOutcome: 690, Immature: 100, Horizon: "7d", Maturity: "90d", ObservedAge: "21d"},
	}
	b, err := json.Marshal(res)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func predictiveFixture(t *testing.T) (*fixture, *withPredictive) {
	f := newFixture(t)
	at := time.Date(2026, 10, 19, 9, 0, 0, 0, time.UTC)
	p := &withPredictive{Service: f.svc, stored: []leadscore.PredictiveArtifact{
		{Name: "learned", Version: "bbb", Report: storedReport(t), Activatable: true, CreatedAt: at.Add(time.Hour), CreatedBy: "editor@example.com"},
		{Name: "learned", Version: "aaa", Report: storedReport(t), Activatable: true, Current: true, CreatedAt: at},
	}}
	ui, err := New(Config{Service: p, Clock: f.clock.Now, IdleTimeout: 30 * time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	f.srv.Close()
	f.srv = httptest.NewServer(ui)
	t.Cleanup(f.srv.Close)
	return f, p
}

func TestPredictivePages(t *testing.T) {
	f, p := predictiveFixture(t)
	viewer := f.signIn(leadscore.RoleViewer)
	list := viewer.get("/predictive")
	wantStatus(t, "viewer, list", list, http.StatusOK)
	wantBody(t, "viewer, list", list, `href="/predictive"`, "Predictive models", `href="/predictive/learned/bbb"`, "0.712", "0.812",
		"challenger (not current)", "current")
	if strings.Contains(list.body, "train-now") {
		t.Error("a viewer is offered the training form")
	}
	detail := viewer.get("/predictive/learned/bbb")
	wantStatus(t, "viewer, report", detail, http.StatusOK)
	wantBody(t, "viewer, report", detail, "Predictive model learned, version bbb", "<svg", "Calibration: predicted and observed conversion by decile",
		"The current model stays.", "Out-of-time AUC 0.712 against learned@aaa at 0.731.", "b2b-saas: AUC 0.643 against 0.812 for this model, on the same 1,200 leads",
		"top 10%: 3.2×, top 20%: 2.4×", "predicts the outcome almost perfectly on its own", "leak", "Features: 2 used, 1 dropped",
		"1,300 leads looked at", "observed at age 21d", "rule.senior")
	wantStatus(t, "unknown version", viewer.get("/predictive/learned/zzz"), http.StatusNotFound)
	wantStatus(t, "viewer may not train", viewer.post("/predictive/train", url.Values{"name": {"learned"}}), http.StatusForbidden)
	wantStatus(t, "sales may not read", f.signIn(leadscore.RoleSales).get("/predictive"), http.StatusForbidden)

	editor := f.signIn(leadscore.RoleEditor)
	form := editor.get("/predictive?name=learned")
	wantBody(t, "editor, form", form, `id="train-now"`, `name="name" required`, `value="learned"`, `<option value="b2b-saas">b2b-saas</option>`)
	wantStatus(t, "no CSRF token", editor.post("/predictive/train", url.Values{"name": {"learned"}, "csrf": {"forged"}}), http.StatusForbidden)
	bad := editor.post("/predictive/train", url.Values{"name": {"learned"}, "horizon": {"soon"}})
	wantStatus(t, "a bad horizon", bad, http.StatusBadRequest)
	wantBody(t, "a bad horizon", bad, "the horizon is a duration such as 7d")
	if len(p.names) != 0 {
		t.Fatalf("refused forms trained: %v", p.names)
	}
	done := editor.post("/predictive/train", url.Values{"name": {"learned"}, "learner": {"logistic"}, "horizon": {"7d"}, "rules": {"b2b-saas"}, "min_conversions": {"50"}})
	wantStatus(t, "train", done, http.StatusSeeOther)
	if loc := done.header.Get("Location"); loc != "/jobs/job_train1" {
		t.Errorf("after training, Location %q", loc)
	}
	if len(p.trained) != 1 || p.names[0] != "learned" || p.trained[0].Learner != "logistic" || p.trained[0].Horizon.String() != "7d" ||
		p.trained[0].Rules != "b2b-saas" || p.trained[0].MinConversions != 50 || p.trained[0].By != "editor@example.com" {
		t.Errorf("trained %v %+v", p.names, p.trained)
	}
	// In Polish, the page reads in Polish.
	pl := editor.get("/predictive/learned/bbb", "Accept-Language", "pl")
	wantBody(t, "Polish", pl, "Model predykcyjny learned, wersja bbb", "Bieżący model pozostaje.")
}
