package httpapi

import (
	"bytes"
	"net/http"
	"net/url"

	"github.com/leadscore/leadscore"
)

// Predictive models trained from the stored outcomes: training as a job,
// and the stored artefacts with their reports.

func (s *server) predictiveRoutes() []route {
	const read, admin = leadscore.ScopeRead, leadscore.ScopeAdmin
	return []route{
		{"GET", "/api/v1/predictive", authBearer, read, s.listPredictive},
		{"POST", "/api/v1/predictive/{name}/train", authBearer, admin, s.trainPredictive},
		{"GET", "/api/v1/predictive/{name}/versions/{version}", authBearer, read, s.getPredictive},
	}
}

// predictive is the service's stored predictive models, or a not_found
// error when the service has none.
func (s *server) predictive() (leadscore.PredictiveService, error) {
	svc, ok := s.svc.(leadscore.PredictiveService)
	if !ok {
		return nil, leadscore.Errorf(leadscore.CodeNotFound, "this service does not train predictive models")
	}
	return svc, nil
}

// listPredictive lists every stored artefact (or one name's with ?name=),
// newest first per name, each with its training report.
func (s *server) listPredictive(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	svc, err := s.predictive()
	if err != nil {
		return err
	}
	q := newQuery(r)
	name := q.str("name")
	if err := q.err(); err != nil {
		return err
	}
	list, err := svc.PredictiveArtifacts(r.Context(), name)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newPage(list, ""))
	return nil
}

// trainPredictive answers 202: training runs as a job whose progress is at
// the Location given. The body (optional) holds the training options.
func (s *server) trainPredictive(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	svc, err := s.predictive()
	if err != nil {
		return err
	}
	body, err := s.readBody(w, r)
	if err != nil {
		return err
	}
	var opt leadscore.PredictiveTraining
	if len(bytes.TrimSpace(body)) > 0 {
		if err := decodeStrict(body, &opt); err != nil {
			return err
		}
	}
	if rc.key != nil {
		opt.By = rc.key.Name
	}
	job, err := svc.TrainPredictive(r.Context(), r.PathValue("name"), opt)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/jobs/"+url.PathEscape(job.ID))
	writeJSON(w, http.StatusAccepted, job)
	return nil
}

// getPredictive returns one stored version with its report; version
// "current" is the one store:NAME resolves to. ?format=artifact answers
// the artefact itself, as `leadscore train -o` writes it.
func (s *server) getPredictive(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	svc, err := s.predictive()
	if err != nil {
		return err
	}
	q := newQuery(r)
	format := q.str("format")
	if format != "" && format != "json" && format != "artifact" {
		q.bad("format", "must be json or artifact")
	}
	if err := q.err(); err != nil {
		return err
	}
	version := r.PathValue("version")
	if version == "current" {
		version = ""
	}
	a, err := svc.PredictiveArtifact(r.Context(), r.PathValue("name"), version)
	if err != nil {
		return err
	}
	if format == "artifact" {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Disposition", `attachment; filename="`+a.Name+"-"+a.Version+`.json"`)
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(a.Body)
		return nil
	}
	writeJSON(w, http.StatusOK, a)
	return nil
}

// predictiveOps documents the routes above.
func predictiveOps() []apiOp {
	const read, admin = leadscore.ScopeRead, leadscore.ScopeAdmin
	restRead := []string{"400", "401", "403", "404", "409", "429", "500", "503"}
	return []apiOp{
		{method: "GET", path: "/api/v1/predictive", summary: "List stored predictive models", tag: "predictive",
			auth: authBearer, scope: read,
			desc: "Every stored artefact, by name and newest first, with its training report (rows, conversions, features used " +
				"and dropped with reasons, cross-validated and out-of-time AUC, calibration, lift, the rule model comparison and " +
				"the challenger verdict). current marks the version a model file's artifact: store:NAME uses.",
			params: []obj{queryParam("name", "only this model's versions", str(""))},
			ok:     "200", okBody: pageOf(ref("PredictiveArtifact")), errors: restRead},
		{method: "POST", path: "/api/v1/predictive/{name}/train", summary: "Train a predictive model from the stored outcomes",
			tag: "predictive", auth: authBearer, scope: admin,
			desc: "Starts a job (Location header) that learns from the stored leads with a recorded outcome, each observed just " +
				"before its outcome less horizon (events after that are never used); leads without an outcome count as not " +
				"converted once older than maturity (default 90d) and are observed at the median age of leads at their outcome; " +
				"younger ones are left out. rules names a stored rule model whose rules become 0/1 features (and which the report " +
				"compares with). The artefact and its report are stored; the job's detail then reads name@version. " +
				"When the name has a current version the new one is a challenger: it becomes current only if it is activatable and " +
				"its out-of-time AUC is better. 409 while another training runs.",
			params: []obj{pathParam("name", "the predictive model's name (lower-case letters, digits, - and _)")},
			body:   obj{"required": false, "content": obj{"application/json": obj{"schema": ref("PredictiveTraining")}}},
			ok:     "202", okBody: ref("Job"), errors: restRead},
		{method: "GET", path: "/api/v1/predictive/{name}/versions/{version}", summary: "Get a stored predictive model and its report",
			tag: "predictive", auth: authBearer, scope: read,
			desc: "version current is the version store:NAME resolves to. format=artifact answers the artefact JSON itself " +
				"(as leadscore train -o writes it), for leadscore score or another server.",
			params: []obj{pathParam("name", "the predictive model's name"), pathParam("version", "a stored version, or current"),
				queryParam("format", "json (default) or artifact", str(""))},
			ok: "200", okBody: ref("PredictiveArtifact"), errors: restRead},
	}
}

// predictiveSchemas are the types the operations above use.
func predictiveSchemas() []any {
	return []any{leadscore.PredictiveArtifact{}, leadscore.PredictiveTraining{}}
}
