package httpapi_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/leadscore/leadscore"
	"github.com/leadscore/leadscore/httpapi"
)

// predictiveSvc is the fake service with stored predictive models.
type predictiveSvc struct {
	leadscore.Service
	trained []leadscore.PredictiveTraining
	names   []string
	stored  []leadscore.PredictiveArtifact
}

func (p *predictiveSvc) TrainPredictive(_ context.Context, name string, opt leadscore.PredictiveTraining) (*leadscore.Job, error) {
	if opt.Learner == "forest" {
		return nil, leadscore.Invalid("learner", "unknown learner %q (use gbdt or logistic)", opt.Learner)
	}
	p.names, p.trained = append(p.names, name), append(p.trained, opt)
	return &leadscore.Job{ID: "job_1", Kind: "train-predictive", State: leadscore.JobRunning, Detail: name, CreatedAt: t0, UpdatedAt: t0}, nil
}

func (p *predictiveSvc) PredictiveArtifacts(_ context.Context, name string) ([]leadscore.PredictiveArtifact, error) {
	var out []leadscore.PredictiveArtifact
	for _, a := range p.stored {
		if name == "" || a.Name == name {
			a.Body = nil
			out = append(out, a)
		}
	}
	return out, nil
}

func (p *predictiveSvc) PredictiveArtifact(_ context.Context, name, version string) (*leadscore.PredictiveArtifact, error) {
	for _, a := range p.stored {
		if a.Name == name && (a.Version == version || version == "" && a.Current) {
			return &a, nil
		}
	}
	return nil, leadscore.Errorf(leadscore.CodeNotFound, "predictive model %s@%s not found", name, version)
}

func TestPredictiveRoutes(t *testing.T) {
	p := &predictiveSvc{stored: []leadscore.PredictiveArtifact{
		{Name: "learned", Version: "aaa", Body: []byte(`{"format":"leadscore.predictive/v1"}`), Report: json.RawMessage(`{"summary":{"rows":10}}`),
			Activatable: true, Current: true, CreatedAt: t0},
		{Name: "learned", Version: "bbb", Body: []byte(`{}`), CreatedAt: t0},
	}}
	e := newEnv(t, func(c *httpapi.Config) { p.Service = c.Service; c.Service = p })

	w := e.do(req{method: "POST", path: "/api/v1/predictive/learned/train", bearer: e.admin,
		body: `{"learner":"logistic","horizon":"7d","rules":"b2b-saas","folds":3}`})
	wantStatus(t, w, http.StatusAccepted)
	if loc := w.Header().Get("Location"); loc != "/api/v1/jobs/job_1" {
		t.Errorf("Location %q", loc)
	}
	if job := decode[leadscore.Job](t, w); job.Kind != "train-predictive" || job.Detail != "learned" {
		t.Errorf("job %+v", job)
	}
	if len(p.trained) != 1 || p.names[0] != "learned" || p.trained[0].Learner != "logistic" || p.trained[0].Horizon.String() != "7d" ||
		p.trained[0].Rules != "b2b-saas" || p.trained[0].Folds != 3 || p.trained[0].By != "ops" {
		t.Errorf("training asked for %v %+v", p.names, p.trained)
	}
	// No body trains with the defaults.
	wantStatus(t, e.do(req{method: "POST", path: "/api/v1/predictive/learned/train", bearer: e.admin}), http.StatusAccepted)

	for _, tc := range []struct {
		name, body, bearer string
		status             int
		field              string
	}{
		{"a read key", `{}`, e.read, http.StatusForbidden, ""},
		{"a misspelt option", `{"lerner":"gbdt"}`, e.admin, http.StatusBadRequest, ""},
		{"a bad duration", `{"horizon":"soon"}`, e.admin, http.StatusBadRequest, ""},
		{"an unknown learner", `{"learner":"forest"}`, e.admin, http.StatusBadRequest, "learner"},
	} {
		w := e.do(req{method: "POST", path: "/api/v1/predictive/learned/train", bearer: tc.bearer, body: tc.body})
		pr := problemOf(t, w, tc.status)
		if tc.field != "" && (len(pr.Errors) == 0 || pr.Errors[0].Field != tc.field) && !strings.Contains(pr.Detail, tc.field) {
			t.Errorf("%s: problem %+v does not name %s", tc.name, pr, tc.field)
		}
	}

	list := decode[struct {
		Data []leadscore.PredictiveArtifact `json:"data"`
	}](t, e.do(req{method: "GET", path: "/api/v1/predictive?name=learned", bearer: e.read}))
	if len(list.Data) != 2 || !list.Data[0].Current || string(list.Data[0].Report) != `{"summary":{"rows":10}}` {
		t.Errorf("list %+v", list.Data)
	}
	cur := decode[leadscore.PredictiveArtifact](t, e.do(req{method: "GET", path: "/api/v1/predictive/learned/versions/current", bearer: e.read}))
	if cur.Version != "aaa" {
		t.Errorf("current %+v", cur)
	}
	w = e.do(req{method: "GET", path: "/api/v1/predictive/learned/versions/aaa?format=artifact", bearer: e.read})
	wantStatus(t, w, http.StatusOK)
	if w.Body.String() != `{"format":"leadscore.predictive/v1"}` || !strings.Contains(w.Header().Get("Content-Disposition"), "learned-aaa.json") {
		t.Errorf("artefact download: %s %v", w.Body, w.Header())
	}
	problemOf(t, e.do(req{method: "GET", path: "/api/v1/predictive/learned/versions/zzz", bearer: e.read}), http.StatusNotFound)
	problemOf(t, e.do(req{method: "GET", path: "/api/v1/predictive/learned/versions/aaa?format=yaml", bearer: e.read}), http.StatusBadRequest)
	problemOf(t, e.do(req{method: "GET", path: "/api/v1/predictive", bearer: e.write}), http.StatusForbidden)

	// A service that does not train predictive models answers 404.
	plain := newEnv(t)
	problemOf(t, plain.do(req{method: "GET", path: "/api/v1/predictive", bearer: plain.read}), http.StatusNotFound)
}
