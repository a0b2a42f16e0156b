package httpapi

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/leadscore/leadscore"
)

// The automation endpoints: what sales does to leads, the routing file,
// owners, webhooks and their deliveries.

func (s *server) automationRoutes() []route {
	const read, admin = leadscore.ScopeRead, leadscore.ScopeAdmin
	return []route{
		{"GET", "/api/v1/leads/{id}/automation", authBearer, read, s.leadAutomation},
		{"POST", "/api/v1/leads/{id}/actions", authBearer, admin, s.leadAction},
		{"PUT", "/api/v1/leads/{id}/outcome", authBearer, admin, s.putOutcome},
		{"GET", "/api/v1/leads/{id}/timeline", authBearer, read, s.leadTimeline},

		{"POST", "/api/v1/routing", authBearer, admin, s.uploadRouting},
		{"GET", "/api/v1/routing", authBearer, read, s.activeRouting},
		{"GET", "/api/v1/owners", authBearer, read, s.owners},

		{"POST", "/api/v1/webhooks", authBearer, admin, s.createWebhook},
		{"GET", "/api/v1/webhooks", authBearer, admin, s.listWebhooks},
		{"GET", "/api/v1/webhooks/{id}", authBearer, admin, s.getWebhook},
		{"PUT", "/api/v1/webhooks/{id}", authBearer, admin, s.updateWebhook},
		{"DELETE", "/api/v1/webhooks/{id}", authBearer, admin, s.deleteWebhook},
		{"POST", "/api/v1/webhooks/{id}/test", authBearer, admin, s.testWebhook},
		{"GET", "/api/v1/deliveries", authBearer, admin, s.listDeliveries},
		{"GET", "/api/v1/deliveries/{id}", authBearer, admin, s.getDelivery},
		{"POST", "/api/v1/deliveries/{id}/replay", authBearer, admin, s.replayDelivery},
	}
}

func (s *server) leadAutomation(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	v, err := s.svc.LeadAutomation(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}

// leadAction serves POST /api/v1/leads/{id}/actions. The key's name is
// recorded as who did it unless the body names a person.
func (s *server) leadAction(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	body, err := s.readBody(w, r)
	if err != nil {
		return err
	}
	var a leadscore.LeadAction
	if err := decodeStrict(body, &a); err != nil {
		return err
	}
	if strings.TrimSpace(a.Action) == "" {
		return invalid("say which action", fieldItem("action", "one of accept, reject, recycle, set_stage, assign"))
	}
	if a.By == "" {
		a.By = rc.key.Name
	}
	v, err := s.svc.LeadAction(r.Context(), r.PathValue("id"), a)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}

// OutcomeRequest is the body of PUT /api/v1/leads/{id}/outcome.
type OutcomeRequest struct {
	Result   string   `json:"result"`
	Value    *float64 `json:"value,omitempty"`
	Currency string   `json:"currency,omitempty"`
	At       string   `json:"at,omitempty"`
	Reason   string   `json:"reason,omitempty"`
	By       string   `json:"by,omitempty"`
}

func (s *server) putOutcome(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	body, err := s.readBody(w, r)
	if err != nil {
		return err
	}
	var req OutcomeRequest
	if err := decodeStrict(body, &req); err != nil {
		return err
	}
	o := leadscore.Outcome{LeadID: r.PathValue("id"), Result: leadscore.OutcomeResult(req.Result), Value: req.Value,
		Currency: req.Currency, Reason: req.Reason, By: req.By}
	if o.By == "" {
		o.By = rc.key.Name
	}
	if req.At != "" {
		at, ok := parseTimeOrDate(req.At)
		if !ok {
			return invalid("the body does not match the expected shape", fieldItem("at", "must be an RFC 3339 time or a date (2026-11-06)"))
		}
		o.At = at
	}
	out, err := s.svc.RecordOutcome(r.Context(), o)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func parseTimeOrDate(v string) (time.Time, bool) {
	if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
		return t.UTC(), true
	}
	if t, err := time.Parse(time.DateOnly, v); err == nil {
		return t, true
	}
	return time.Time{}, false
}

func (s *server) leadTimeline(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	q := newQuery(r)
	limit := q.limit(defaultPageSize, maxPageSize)
	after := q.seqCursor()
	if err := q.err(); err != nil {
		return err
	}
	entries, err := s.svc.LeadTimeline(r.Context(), r.PathValue("id"), after, limit+1)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, seqPage(entries, limit, func(e leadscore.HistoryEntry) int64 { return e.Seq }))
	return nil
}

// uploadRouting serves POST /api/v1/routing: the body is the routing
// file's YAML. A file with errors is a 422 listing every diagnostic, and
// the active file stays as it was.
func (s *server) uploadRouting(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	body, filename, err := s.readUploadedFile(w, r, "routing", "routing.yaml")
	if err != nil {
		return err
	}
	res, err := s.svc.UploadRouting(r.Context(), filename, body, rc.key.Name)
	if err != nil {
		var diags []leadscore.Diagnostic
		if res != nil {
			diags = res.Diagnostics
		}
		return invalidFile(err, "routing", diags, func(d leadscore.Diagnostic) bool { return d.Severity == "error" })
	}
	writeJSON(w, http.StatusCreated, res)
	return nil
}

func (s *server) activeRouting(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	f, err := s.svc.ActiveRouting(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, f)
	return nil
}

func (s *server) owners(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	os, err := s.svc.Owners(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newPage(os, ""))
	return nil
}

// WebhookRequest is the body of creating or changing a webhook.
type WebhookRequest struct {
	URL           string   `json:"url"`
	Types         []string `json:"types,omitempty"`
	Models        []string `json:"models,omitempty"`
	MinScoreDelta float64  `json:"min_score_delta,omitempty"`
	Description   string   `json:"description,omitempty"`
	Disabled      bool     `json:"disabled,omitempty"`
}

func (s *server) webhookBody(w http.ResponseWriter, r *http.Request) (leadscore.Webhook, error) {
	body, err := s.readBody(w, r)
	if err != nil {
		return leadscore.Webhook{}, err
	}
	var req WebhookRequest
	if err := decodeStrict(body, &req); err != nil {
		return leadscore.Webhook{}, err
	}
	return leadscore.Webhook{URL: req.URL, Types: req.Types, Models: req.Models, MinScoreDelta: req.MinScoreDelta,
		Description: req.Description, Disabled: req.Disabled}, nil
}

func (s *server) createWebhook(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	hook, err := s.webhookBody(w, r)
	if err != nil {
		return err
	}
	created, err := s.svc.CreateWebhook(r.Context(), hook)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/webhooks/"+created.ID)
	writeJSON(w, http.StatusCreated, created)
	return nil
}

func (s *server) listWebhooks(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	hs, err := s.svc.Webhooks(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newPage(hs, ""))
	return nil
}

func (s *server) getWebhook(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	h, err := s.svc.GetWebhook(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, h)
	return nil
}

func (s *server) updateWebhook(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	hook, err := s.webhookBody(w, r)
	if err != nil {
		return err
	}
	hook.ID = r.PathValue("id")
	h, err := s.svc.UpdateWebhook(r.Context(), hook)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, h)
	return nil
}

func (s *server) deleteWebhook(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	if err := s.svc.DeleteWebhook(r.Context(), r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *server) testWebhook(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	a, err := s.svc.TestWebhook(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, a)
	return nil
}

func (s *server) listDeliveries(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	q := newQuery(r)
	f := leadscore.DeliveryFilter{WebhookID: q.str("webhook"), LeadID: q.str("lead"), State: leadscore.DeliveryState(q.str("state")),
		After: q.str("cursor"), Limit: q.limit(defaultPageSize, maxPageSize)}
	if err := q.err(); err != nil {
		return err
	}
	ds, next, err := s.svc.Deliveries(r.Context(), f)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newPage(ds, next))
	return nil
}

func (s *server) getDelivery(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	d, err := s.svc.GetDelivery(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, d)
	return nil
}

func (s *server) replayDelivery(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	d, err := s.svc.ReplayDelivery(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusAccepted, d)
	return nil
}

// seqCursor reads a cursor that is a sequence number.
func (q *query) seqCursor() int64 {
	c := q.str("cursor")
	if c == "" {
		return 0
	}
	n, err := strconv.ParseInt(c, 10, 64)
	if err != nil || n < 0 {
		q.bad("cursor", "is not a cursor returned by this API")
	}
	return n
}

// seqPage cuts a listing read with one row too many into a page whose
// cursor is the last row's sequence number.
func seqPage[T any](rows []T, limit int, seq func(T) int64) page[T] {
	next := ""
	if len(rows) > limit {
		rows = rows[:limit]
		next = strconv.FormatInt(seq(rows[limit-1]), 10)
	}
	return newPage(rows, next)
}

// automationOps documents the routes above.
func automationOps() []apiOp {
	const read, admin = leadscore.ScopeRead, leadscore.ScopeAdmin
	id := pathParam("id", "the lead id")
	cursor := queryParam("cursor", "the next_cursor of the previous page", str(""))
	limit := queryParam("limit", "page size, 1 to 500 (default 50)", obj{"type": "integer", "minimum": 1})
	restRead := []string{"400", "401", "403", "404", "429", "500", "503"}
	restWrite := []string{"400", "401", "403", "404", "409", "413", "415", "429", "500", "503"}
	hook := pathParam("id", "the webhook id")
	return []apiOp{
		{method: "GET", path: "/api/v1/leads/{id}/automation", summary: "A lead's stage, owner, deadline and outcome", tag: "automation",
			auth: authBearer, scope: read, params: []obj{id}, ok: "200", okBody: ref("AutomationView"), errors: restRead},
		{method: "POST", path: "/api/v1/leads/{id}/actions", summary: "Accept, reject, recycle, stage or assign a lead", tag: "automation",
			auth: authBearer, scope: admin,
			desc: "action is accept (an MQL; stops its SLA timer), reject (an MQL; needs a reason), recycle (back to lead; reset_score " +
				"restarts the behaviour score), set_stage (forward, or to other) or assign (owner, optionally team). A move the " +
				"lifecycle forbids is a 409 saying what is allowed; an action that changes nothing succeeds and records nothing.",
			params: []obj{id}, body: jsonBody(ref("LeadAction"), "by defaults to the API key's name"),
			ok: "200", okBody: ref("AutomationView"), errors: restWrite},
		{method: "PUT", path: "/api/v1/leads/{id}/outcome", summary: "Record a lead's outcome (won or lost)", tag: "automation",
			auth: authBearer, scope: admin, params: []obj{id}, body: jsonBody(ref("OutcomeRequest"), ""),
			ok: "200", okBody: ref("Outcome"), errors: restWrite},
		{method: "GET", path: "/api/v1/leads/{id}/timeline", summary: "A lead's transitions (qualified, assigned, stages, SLA breaches)",
			tag: "automation", auth: authBearer, scope: read, params: []obj{id, cursor, limit},
			ok: "200", okBody: pageOf(ref("HistoryEntry")), errors: restRead},
		{method: "POST", path: "/api/v1/routing", summary: "Upload and activate a routing file", tag: "automation",
			auth: authBearer, scope: admin,
			desc: "The body is the routing file's YAML. A file with errors is a 422 listing each with its line and column, and the " +
				"active file stays. A valid file becomes active at once; warnings come back in diagnostics.",
			params: []obj{queryParam("filename", "file name shown in diagnostics (default routing.yaml)", str(""))},
			body:   obj{"required": true, "content": obj{"application/yaml": obj{"schema": str("the routing file")}}},
			ok:     "201", okBody: ref("RoutingUpload"), errors: []string{"400", "401", "403", "413", "415", "422", "429", "500", "503"}},
		{method: "GET", path: "/api/v1/routing", summary: "The active routing file", tag: "automation", auth: authBearer, scope: read,
			ok: "200", okBody: ref("RoutingFile"), errors: restRead},
		{method: "GET", path: "/api/v1/owners", summary: "Owners with their open MQLs and SLA breaches", tag: "automation",
			auth: authBearer, scope: read, ok: "200", okBody: pageOf(ref("OwnerStats")), errors: restRead},

		{method: "POST", path: "/api/v1/webhooks", summary: "Subscribe a URL to events", tag: "webhooks", auth: authBearer, scope: admin,
			desc: "The response holds the signing secret (whsec_...), shown this once.",
			body: jsonBody(ref("WebhookRequest"), ""), ok: "201", okBody: ref("NewWebhook"), errors: restWrite},
		{method: "GET", path: "/api/v1/webhooks", summary: "List webhooks", tag: "webhooks", auth: authBearer, scope: admin,
			ok: "200", okBody: pageOf(ref("Webhook")), errors: restRead},
		{method: "GET", path: "/api/v1/webhooks/{id}", summary: "Get a webhook", tag: "webhooks", auth: authBearer, scope: admin,
			params: []obj{hook}, ok: "200", okBody: ref("Webhook"), errors: restRead},
		{method: "PUT", path: "/api/v1/webhooks/{id}", summary: "Change a webhook (URL, filters, disabled)", tag: "webhooks",
			auth: authBearer, scope: admin, params: []obj{hook}, body: jsonBody(ref("WebhookRequest"), "the secret stays"),
			ok: "200", okBody: ref("Webhook"), errors: restWrite},
		{method: "DELETE", path: "/api/v1/webhooks/{id}", summary: "Delete a webhook; its pending deliveries are cancelled", tag: "webhooks",
			auth: authBearer, scope: admin, params: []obj{hook}, ok: "204", errors: restRead},
		{method: "POST", path: "/api/v1/webhooks/{id}/test", summary: "Send a signed test event now", tag: "webhooks",
			auth: authBearer, scope: admin, params: []obj{hook}, ok: "200", okBody: ref("DeliveryAttempt"), errors: restRead},
		{method: "GET", path: "/api/v1/deliveries", summary: "List deliveries, newest first", tag: "webhooks", auth: authBearer, scope: admin,
			params: []obj{queryParam("webhook", "only this webhook's", str("")), queryParam("lead", "only this lead's", str("")),
				queryParam("state", "pending, delivered, failed or cancelled", str("")), cursor, limit},
			ok: "200", okBody: pageOf(ref("Delivery")), errors: restRead},
		{method: "GET", path: "/api/v1/deliveries/{id}", summary: "Get a delivery with its attempts", tag: "webhooks",
			auth: authBearer, scope: admin, params: []obj{pathParam("id", "the delivery id")}, ok: "200", okBody: ref("Delivery"), errors: restRead},
		{method: "POST", path: "/api/v1/deliveries/{id}/replay", summary: "Send a delivery again, with the same event id", tag: "webhooks",
			auth: authBearer, scope: admin, params: []obj{pathParam("id", "the delivery id")}, ok: "202", okBody: ref("Delivery"),
			errors: []string{"400", "401", "403", "404", "409", "429", "500", "503"}},
	}
}

// automationSchemas are the types the operations above refer to.
func automationSchemas() []any {
	return []any{leadscore.AutomationView{}, leadscore.LeadAction{}, leadscore.Outcome{}, leadscore.HistoryEntry{},
		leadscore.RoutingUpload{}, leadscore.RoutingFile{}, leadscore.OwnerStats{}, leadscore.Webhook{}, leadscore.NewWebhook{},
		leadscore.Delivery{}, leadscore.DeliveryAttempt{}, OutcomeRequest{}, WebhookRequest{}}
}
