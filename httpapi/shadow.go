package httpapi

import (
	"bytes"
	"net/http"
	"net/url"
	"strconv"

	"github.com/leadscore/leadscore"
	"github.com/leadscore/leadscore/analytics"
)

// Champion/challenger: a stored version of a model running in shadow on
// live traffic, and its comparison with the active version.

func (s *server) shadowRoutes() []route {
	const read, admin = leadscore.ScopeRead, leadscore.ScopeAdmin
	return []route{
		{"GET", "/api/v1/shadows", authBearer, read, s.listShadows},
		{"POST", "/api/v1/models/{name}/versions/{version}/shadow", authBearer, admin, s.startShadow},
		{"DELETE", "/api/v1/models/{name}/versions/{version}/shadow", authBearer, admin, s.stopShadow},
		{"GET", "/api/v1/models/{name}/shadow/report", authBearer, read, s.shadowReport},
	}
}

// shadows is the service's champion/challenger, or a not_found error when
// the service has none.
func (s *server) shadows() (analytics.ShadowService, error) {
	svc, ok := s.svc.(analytics.ShadowService)
	if !ok {
		return nil, leadscore.Errorf(leadscore.CodeNotFound, "this service cannot run shadow versions")
	}
	return svc, nil
}

func (s *server) listShadows(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	svc, err := s.shadows()
	if err != nil {
		return err
	}
	list, err := svc.Shadows(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newPage(list, ""))
	return nil
}

// startShadow answers 202: scoring the stored leads runs as a job whose
// progress is at the Location given.
func (s *server) startShadow(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	svc, err := s.shadows()
	if err != nil {
		return err
	}
	sh, job, replaced, err := svc.StartShadow(r.Context(), r.PathValue("name"), r.PathValue("version"), rc.key.Name)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/jobs/"+url.PathEscape(job.ID))
	writeJSON(w, http.StatusAccepted, analytics.ShadowStarted{Shadow: *sh, Job: *job, Replaced: replaced})
	return nil
}

// stopShadow stops the model's shadow when it runs the version named.
func (s *server) stopShadow(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	svc, err := s.shadows()
	if err != nil {
		return err
	}
	name, version := r.PathValue("name"), r.PathValue("version")
	list, err := svc.Shadows(r.Context())
	if err != nil {
		return err
	}
	running := ""
	for _, sh := range list {
		if sh.Model == name {
			running = sh.Version
		}
	}
	switch {
	case running == "":
		return leadscore.Errorf(leadscore.CodeNotFound, "model %s has no shadow running", name)
	case running != version:
		return leadscore.Errorf(leadscore.CodeNotFound, "version %s of %s is not in shadow; version %s is", version, name, running)
	}
	if err := svc.StopShadow(r.Context(), name); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *server) shadowReport(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	svc, err := s.shadows()
	if err != nil {
		return err
	}
	q := newQuery(r)
	sq := analytics.ShadowQuery{Model: r.PathValue("name"), LostAfter: queryDuration(q, "lost_after")}
	if v := q.str("max_leads"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			q.bad("max_leads", "must be a whole number of at least 1")
		}
		sq.MaxLeads = n
	}
	format := q.str("format")
	if format != "" && format != "json" && format != "text" {
		q.bad("format", "must be json or text")
	}
	if err := q.err(); err != nil {
		return err
	}
	res, err := svc.ShadowReport(r.Context(), sq)
	if err != nil {
		return err
	}
	if format == "text" {
		var buf bytes.Buffer
		if err := res.WriteText(&buf); err != nil {
			return err
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(buf.Bytes())
		return nil
	}
	writeJSON(w, http.StatusOK, res)
	return nil
}

// shadowOps documents the routes above.
func shadowOps() []apiOp {
	const read, admin = leadscore.ScopeRead, leadscore.ScopeAdmin
	restRead := []string{"400", "401", "403", "404", "409", "429", "500", "503"}
	path := []obj{pathParam("name", "the model name"), pathParam("version", "a stored, inactive version of the model")}
	return []apiOp{
		{method: "GET", path: "/api/v1/shadows", summary: "List the versions running in shadow", tag: "reports",
			auth: authBearer, scope: read, ok: "200", okBody: pageOf(ref("Shadow")), errors: restRead},
		{method: "POST", path: "/api/v1/models/{name}/versions/{version}/shadow", summary: "Run a version in shadow (champion/challenger)",
			tag: "reports", auth: authBearer, scope: admin,
			desc: "Every lead the service scores is also evaluated by this version and its score is stored apart: it never writes " +
				"the ledger, never qualifies, routes or sends webhooks, and never shows as the lead's score. A model has at most one " +
				"shadow: starting another replaces it (replaced says which) and deletes its scores. A job scores the leads already " +
				"stored; the Location header points at it. 409 when the version is the active one or the model has no active version.",
			params: path, ok: "202", okBody: ref("ShadowStarted"), errors: restRead},
		{method: "DELETE", path: "/api/v1/models/{name}/versions/{version}/shadow", summary: "Stop a shadow",
			tag: "reports", auth: authBearer, scope: admin, desc: "Stops the shadow and deletes its scores.",
			params: path, ok: "204", errors: restRead},
		{method: "GET", path: "/api/v1/models/{name}/shadow/report", summary: "Champion/challenger comparison",
			tag: "reports", auth: authBearer, scope: read,
			desc: "The active version (champion) against the shadow version (challenger) on the leads both scored since the shadow " +
				"started: MQLs of each, who qualifies (agreement), and each one's calibration report (AUC, conversion by band, " +
				"precision and recall at its threshold, score histogram), with a verdict once 100 leads have an outcome. " +
				"format=text returns the terminal summary.",
			params: []obj{pathParam("name", "the model name"),
				queryParam("lost_after", "count leads older than this with no outcome as not converted (90d); default: leave them out", str("")),
				queryParam("max_leads", "compare at most this many leads, by id (default and maximum 200000)", obj{"type": "integer", "minimum": 1}),
				queryParam("format", "json (default) or text", str(""))},
			ok: "200", okBody: ref("ShadowComparison"), errors: restRead},
	}
}

// shadowSchemas are the types the operations above answer with.
func shadowSchemas() []any {
	return []any{leadscore.Shadow{}, analytics.ShadowStarted{}, analytics.ShadowComparison{}}
}
