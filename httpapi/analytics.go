package httpapi

import (
	"bytes"
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/leadscore/leadscore"
	"github.com/leadscore/leadscore/analytics"
)

// The analytics endpoints: a model measured against the outcomes sales
// recorded, and the impact preview of a draft version.

func (s *server) analyticsRoutes() []route {
	const read = leadscore.ScopeRead
	return append([]route{
		{"GET", "/api/v1/reports/calibration", authBearer, read, s.calibrationReport},
		{"GET", "/api/v1/reports/threshold", authBearer, read, s.thresholdAdvice},
		{"GET", "/api/v1/reports/lift", authBearer, read, s.ruleLift},
		{"POST", "/api/v1/models/{name}/versions/{version}/preview", authBearer, read, s.previewVersion},
	}, s.shadowRoutes()...)
}

// reporter is the service's analytics, or a not_found error when the
// service has none.
func (s *server) reporter() (analytics.Reporter, error) {
	rep, ok := s.svc.(analytics.Reporter)
	if !ok {
		return nil, leadscore.Errorf(leadscore.CodeNotFound, "this service has no analytics")
	}
	return rep, nil
}

// reportQuery reads the parameters every report shares.
func reportQuery(q *query, r *http.Request) analytics.Query {
	aq := analytics.Query{Model: q.str("model"), Version: q.str("version"), AsOf: q.time("as_of")}
	if aq.Model == "" && r.PathValue("name") == "" {
		q.bad("model", "say which model to measure")
	}
	aq.Horizon = queryDuration(q, "horizon")
	aq.LostAfter = queryDuration(q, "lost_after")
	if s := q.str("max_leads"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			q.bad("max_leads", "must be a whole number of at least 1")
		}
		aq.MaxLeads = n
	}
	return aq
}

func queryDuration(q *query, name string) time.Duration {
	s := q.str(name)
	if s == "" {
		return 0
	}
	v, err := leadscore.ParseDuration(s)
	if err != nil || v <= 0 {
		q.bad(name, "must be a positive duration such as 30d or 12h")
		return 0
	}
	return v.Std()
}

func (s *server) calibrationReport(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	rep, err := s.reporter()
	if err != nil {
		return err
	}
	q := newQuery(r)
	aq := reportQuery(q, r)
	format := q.str("format")
	if format != "" && format != "json" && format != "html" {
		q.bad("format", "must be json or html")
	}
	if err := q.err(); err != nil {
		return err
	}
	res, err := rep.CalibrationReport(r.Context(), aq)
	if err != nil {
		return err
	}
	if format == "html" {
		var buf bytes.Buffer
		if err := res.Report.WriteHTML(&buf); err != nil {
			return err
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(buf.Bytes())
		return nil
	}
	writeJSON(w, http.StatusOK, res)
	return nil
}

func (s *server) thresholdAdvice(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	rep, err := s.reporter()
	if err != nil {
		return err
	}
	q := newQuery(r)
	aq := reportQuery(q, r)
	var t analytics.Target
	if c := q.number("capacity"); c != nil {
		if !(*c > 0) || math.IsInf(*c, 1) {
			q.bad("capacity", "must be a positive number of MQLs per week")
		}
		t.CapacityPerWeek = *c
	}
	if m := q.number("min_rate"); m != nil {
		if !(*m > 0 && *m <= 1) {
			q.bad("min_rate", "must be a conversion rate above 0 and at most 1 (0.2 is 20%)")
		}
		t.MinRate = *m
	}
	if b := q.boolean("best_f1"); b != nil {
		t.BestF1 = *b
	} else if _, given := r.URL.Query()["best_f1"]; given {
		t.BestF1 = true
	}
	n := 0
	for _, set := range []bool{t.CapacityPerWeek > 0, t.MinRate > 0, t.BestF1} {
		if set {
			n++
		}
	}
	if n != 1 {
		q.bad("capacity", "give exactly one target: capacity (MQLs per week), min_rate or best_f1")
	}
	if err := q.err(); err != nil {
		return err
	}
	res, err := rep.ThresholdAdvice(r.Context(), aq, t)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, res)
	return nil
}

func (s *server) ruleLift(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	rep, err := s.reporter()
	if err != nil {
		return err
	}
	q := newQuery(r)
	aq := reportQuery(q, r)
	if err := q.err(); err != nil {
		return err
	}
	res, err := rep.RuleLift(r.Context(), aq)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, res)
	return nil
}

// previewVersion serves POST /api/v1/models/{name}/versions/{version}/preview.
// It changes nothing; it is a POST because it is a computation that may
// take a while, not a resource.
func (s *server) previewVersion(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	rep, err := s.reporter()
	if err != nil {
		return err
	}
	q := newQuery(r)
	aq := reportQuery(q, r)
	aq.Model, aq.Version = r.PathValue("name"), r.PathValue("version")
	if err := q.err(); err != nil {
		return err
	}
	if aq.AsOf.IsZero() {
		aq.AsOf = rc.received
	}
	res, err := rep.PreviewVersion(r.Context(), aq)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, res)
	return nil
}

// analyticsOps documents the routes above.
func analyticsOps() []apiOp {
	const read = leadscore.ScopeRead
	restRead := []string{"400", "401", "403", "404", "409", "429", "500", "503"}
	common := []obj{
		queryParam("as_of", "score leads as of this time (default now)", str("RFC 3339 time or date")),
		queryParam("horizon", "score each lead with an outcome this long before its outcome date (30d)", str("")),
		queryParam("lost_after", "count leads older than this with no outcome as not converted (90d); default: leave them out", str("")),
		queryParam("max_leads", "read at most this many leads, by id (default and maximum 200000); scope.limited says when the store held more",
			obj{"type": "integer", "minimum": 1}),
	}
	model := queryParam("model", "the model to measure (required)", str(""))
	version := queryParam("version", "a stored version of the model (default: the active one)", str(""))
	withModel := func(extra ...obj) []obj {
		return append(append([]obj{model, version}, common...), extra...)
	}
	return append([]apiOp{
		{method: "GET", path: "/api/v1/reports/calibration", summary: "Calibration report of a model against recorded outcomes", tag: "reports",
			auth: authBearer, scope: read,
			desc: "Won outcomes are conversions and lost ones are not; leads without an outcome are left out unless lost_after says when " +
				"they count as lost. format=html returns the self-contained HTML report with charts.",
			params: withModel(queryParam("format", "json (default) or html", str(""))),
			ok:     "200", okBody: ref("CalibrationResult"), errors: restRead},
		{method: "GET", path: "/api/v1/reports/threshold", summary: "MQL threshold advice for a target", tag: "reports",
			auth: authBearer, scope: read,
			params: withModel(queryParam("capacity", "MQLs sales can work per week", obj{"type": "number"}),
				queryParam("min_rate", "minimum conversion rate of MQLs, 0 to 1", obj{"type": "number"}),
				queryParam("best_f1", "the threshold with the best F1", obj{"type": "boolean"})),
			ok: "200", okBody: ref("AdviceResult"), errors: restRead},
		{method: "GET", path: "/api/v1/reports/lift", summary: "Rule lift with points fitted to outcomes", tag: "reports",
			auth: authBearer, scope: read, params: withModel(),
			ok: "200", okBody: ref("LiftResult"), errors: restRead},
		{method: "POST", path: "/api/v1/models/{name}/versions/{version}/preview", summary: "Impact preview of a version against the active one",
			tag: "reports", auth: authBearer, scope: read,
			desc: "Scores every stored lead as of one instant under the version and under the model's active version: leads that " +
				"would newly qualify or drop out, and the score distribution before and after. Stores nothing.",
			params: append([]obj{pathParam("name", "the model name"), pathParam("version", "the version to preview")}, common...),
			ok:     "200", okBody: ref("PreviewResult"), errors: restRead},
	}, shadowOps()...)
}

// analyticsSchemas are the types the operations above answer with.
func analyticsSchemas() []any {
	return append([]any{analytics.CalibrationResult{}, analytics.AdviceResult{}, analytics.LiftResult{}, analytics.PreviewResult{}},
		shadowSchemas()...)
}
