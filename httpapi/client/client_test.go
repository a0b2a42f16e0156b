package client_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"reflect"
	"testing"
	"time"

	"github.com/leadscore/leadscore"
	"github.com/leadscore/leadscore/httpapi"
	"github.com/leadscore/leadscore/httpapi/client"
	"github.com/leadscore/leadscore/httpapi/internal/fakesvc"
)

var t0 = time.Date(2026, 9, 1, 12, 0, 0, 0, time.UTC)

type fixture struct {
	svc                *fakesvc.Service
	url                string
	write, read, admin *client.Client
}

func setup(t *testing.T, limits httpapi.Limits) *fixture {
	t.Helper()
	svc := fakesvc.New(t0)
	srv := httptest.NewServer(httpapi.NewServer(httpapi.Config{Service: svc, Clock: func() time.Time { return t0 }, Limits: limits}))
	t.Cleanup(srv.Close)
	w, _ := svc.AddKey("importer", leadscore.ScopeWrite)
	r, _ := svc.AddKey("reader", leadscore.ScopeRead)
	a, _ := svc.AddKey("ops", leadscore.ScopeAdmin)
	return &fixture{svc: svc, url: srv.URL,
		write: client.NewClient(srv.URL+"/", w, srv.Client()),
		read:  client.NewClient(srv.URL, r, nil),
		admin: client.NewClient(srv.URL, a, srv.Client()),
	}
}

// wantCode checks that err is a *leadscore.Error with the code, wrapping
// an *HTTPError with the status.
func wantCode(t *testing.T, err error, code leadscore.ErrorCode, status int) *client.HTTPError {
	t.Helper()
	var le *leadscore.Error
	if !errors.As(err, &le) || le.Code != code {
		t.Fatalf("error %v (%T), want code %s", err, err, code)
	}
	var he *client.HTTPError
	if !errors.As(err, &he) || he.StatusCode != status {
		t.Fatalf("error %v, want HTTP %d", err, status)
	}
	return he
}

func TestIngestAndRead(t *testing.T) {
	f := setup(t, httpapi.Limits{})
	ctx := t.Context()
	n, err := f.write.UpsertLeads(ctx, []leadscore.Lead{
		{ID: "u1", Email: "ada@acme.com", AccountID: "acme.com"},
		{ID: "u2", Email: "bob@acme.com"},
		{ID: "u3", Email: "cy@acme.com"},
	})
	if err != nil || n != 3 {
		t.Fatalf("UpsertLeads: %d %v", n, err)
	}
	emp := int64(250)
	if n, err := f.write.UpsertAccounts(ctx, []leadscore.Account{{ID: "acme.com", Name: "Acme", Employees: &emp}}); err != nil || n != 1 {
		t.Fatalf("UpsertAccounts: %d %v", n, err)
	}
	sum, err := f.write.SendEvents(ctx, []client.Event{
		{LeadID: "u1", Type: "page.viewed", Timestamp: t0.Add(-time.Hour), Properties: map[string]any{"path": "/pricing"}, MessageID: "e1"},
		{Email: "bob@acme.com", Type: "email.opened"},
		{Type: "orphan"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Accepted != 2 || sum.Rejected != 1 || sum.Results[2].Error == "" || sum.Results[0].LeadID != "u1" {
		t.Errorf("summary %+v", sum)
	}
	got := f.svc.Ingested()
	if len(got) != 2 || !got[0].Timestamp.Equal(t0.Add(-time.Hour)) || got[0].Properties["path"] != "/pricing" {
		t.Errorf("ingested %+v", got)
	}
	if sum, err := f.write.SendEvents(ctx, []client.Event{{LeadID: "u1", Type: "page.viewed", Timestamp: t0.Add(-time.Hour),
		Properties: map[string]any{"path": "/pricing"}, MessageID: "e1"}}); err != nil || sum.Duplicates != 1 {
		t.Errorf("resend: %+v %v", sum, err)
	}

	v, err := f.read.GetLead(ctx, "u1")
	if err != nil || v.Lead.Email != "ada@acme.com" || v.Account == nil || v.Account.Name != "Acme" {
		t.Fatalf("GetLead: %+v %v", v, err)
	}
	evs, err := f.read.LeadEvents(ctx, "u1", 10)
	if err != nil || len(evs) != 1 || evs[0].Type != "page.viewed" {
		t.Errorf("LeadEvents: %+v %v", evs, err)
	}
	av, err := f.read.GetAccount(ctx, "acme.com")
	if err != nil || len(av.People) != 1 {
		t.Errorf("GetAccount: %+v %v", av, err)
	}
	evals, err := f.read.ScoreAsOf(ctx, "u1", time.Date(2026, 8, 1, 0, 0, 0, 0, time.UTC), "b2b", "v2")
	if err != nil || len(evals) != 1 || evals[0].Model != "b2b" || !evals[0].AsOf.Equal(time.Date(2026, 8, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("ScoreAsOf: %+v %v", evals, err)
	}

	// Pagination: follow the cursor to the end.
	var ids []string
	filter := leadscore.LeadFilter{Limit: 2}
	for range 5 {
		rows, next, err := f.read.ListLeads(ctx, filter)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rows {
			ids = append(ids, r.Lead.ID)
		}
		if next == "" {
			break
		}
		filter.After = next
	}
	if !reflect.DeepEqual(ids, []string{"u1", "u2", "u3"}) {
		t.Errorf("listed %v", ids)
	}
	qual, min := true, 55.5
	_, _, err = f.read.ListLeads(ctx, leadscore.LeadFilter{Model: "b2b", Band: "hot", Qualified: &qual, AccountID: "acme.com",
		Owner: "kim", MinScore: &min, UpdatedSince: t0, Query: "ad", OrderBy: "score", After: "c", Limit: 7})
	if err != nil {
		t.Fatal(err)
	}
	calls := f.svc.CallsTo("ListLeads")
	sent := calls[len(calls)-1].Args[0].(leadscore.LeadFilter)
	want := leadscore.LeadFilter{Model: "b2b", Band: "hot", Qualified: &qual, AccountID: "acme.com",
		Owner: "kim", MinScore: &min, UpdatedSince: t0, Query: "ad", OrderBy: "score", After: "c", Limit: 7}
	if !reflect.DeepEqual(sent, want) {
		t.Errorf("filter round trip\n got %+v\nwant %+v", sent, want)
	}

	for i := int64(1); i <= 3; i++ {
		f.svc.AddLedger("u1", leadscore.LedgerEntry{Seq: i, LeadID: "u1", Model: "b2b", NewScore: float64(10 * i), At: t0})
	}
	var seqs []int64
	cursor := ""
	for range 5 {
		es, next, err := f.read.LeadHistory(ctx, "u1", "b2b", cursor, 2)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range es {
			seqs = append(seqs, e.Seq)
		}
		if next == "" {
			break
		}
		cursor = next
	}
	if !reflect.DeepEqual(seqs, []int64{1, 2, 3}) {
		t.Errorf("history %v", seqs)
	}
}

func TestErrorsCarryCodes(t *testing.T) {
	f := setup(t, httpapi.Limits{})
	ctx := t.Context()
	_, err := f.read.GetLead(ctx, "ghost")
	he := wantCode(t, err, leadscore.CodeNotFound, 404)
	if he.Problem.RequestID == "" || he.Problem.Detail == "" {
		t.Errorf("problem %+v", he.Problem)
	}
	_, err = f.read.CreateAPIKey(ctx, "x", []leadscore.Scope{leadscore.ScopeRead})
	wantCode(t, err, leadscore.CodeForbidden, 403)
	_, err = f.write.GetLead(ctx, "u1")
	wantCode(t, err, leadscore.CodeForbidden, 403)
	_, err = client.NewClient(f.url, "ls_bogus", nil).GetLead(ctx, "u1")
	wantCode(t, err, leadscore.CodeUnauthorized, 401)
	_, err = f.write.UpsertLeads(ctx, []leadscore.Lead{{FirstName: "no id"}})
	he = wantCode(t, err, leadscore.CodeInvalid, 400)
	if len(he.Problem.Errors) != 1 || he.Problem.Errors[0].Field != "id" || *he.Problem.Errors[0].Index != 0 {
		t.Errorf("errors %+v", he.Problem.Errors)
	}
	f.svc.SetFail("GetLead", errors.New("boom"))
	_, err = f.read.GetLead(ctx, "u1")
	wantCode(t, err, leadscore.CodeInternal, 500)

	// An error without a problem body (a proxy in front of the server).
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "upstream timed out", http.StatusBadGateway)
	}))
	defer proxy.Close()
	_, err = client.NewClient(proxy.URL, "k", nil).GetLead(ctx, "u1")
	he = wantCode(t, err, leadscore.CodeInternal, 502)
	if he.Problem.Detail != "Bad Gateway: upstream timed out" {
		t.Errorf("detail %q", he.Problem.Detail)
	}
	// A server that is not there.
	proxy.Close()
	_, err = client.NewClient(proxy.URL, "k", nil).GetLead(ctx, "u1")
	if leadscore.CodeOf(err) != leadscore.CodeInternal {
		t.Errorf("connection refused: %v", err)
	}
}

func TestRateLimitIsVisible(t *testing.T) {
	f := setup(t, httpapi.Limits{RatePerSecond: 1, RateBurst: 1})
	ctx := t.Context()
	if _, err := f.read.AccountLists(ctx); err != nil {
		t.Fatal(err)
	}
	_, err := f.read.AccountLists(ctx)
	var he *client.HTTPError
	if !errors.As(err, &he) || he.StatusCode != http.StatusTooManyRequests || he.RetryAfter != time.Second {
		t.Fatalf("error %v", err)
	}
}

func TestAdmin(t *testing.T) {
	f := setup(t, httpapi.Limits{})
	ctx := t.Context()

	l, err := f.admin.PutAccountList(ctx, leadscore.AccountList{Name: "targets", Priority: true, Domains: []string{"acme.com"}})
	if err != nil || l.Size != 1 || !l.Priority {
		t.Fatalf("PutAccountList: %+v %v", l, err)
	}
	if err := f.admin.AddToAccountList(ctx, "targets", []string{"globex.com", "initech.com"}); err != nil {
		t.Fatal(err)
	}
	if err := f.admin.RemoveFromAccountList(ctx, "targets", []string{"acme.com"}); err != nil {
		t.Fatal(err)
	}
	l, err = f.read.AccountList(ctx, "targets")
	if err != nil || !reflect.DeepEqual(l.Domains, []string{"globex.com", "initech.com"}) {
		t.Errorf("AccountList: %+v %v", l, err)
	}
	if ls, err := f.read.AccountLists(ctx); err != nil || len(ls) != 1 {
		t.Errorf("AccountLists: %+v %v", ls, err)
	}
	if err := f.admin.DeleteAccountList(ctx, "targets"); err != nil {
		t.Fatal(err)
	}
	_, err = f.read.AccountList(ctx, "targets")
	wantCode(t, err, leadscore.CodeNotFound, 404)

	res, err := f.admin.UploadModel(ctx, "b2b.yaml", []byte("name: b2b\n"))
	if err != nil || len(res.Versions) != 1 || res.Versions[0].Name != "b2b" {
		t.Fatalf("UploadModel: %+v %v", res, err)
	}
	res, err = f.admin.UploadModel(ctx, "bad.yaml", []byte("rules: []\n"))
	wantCode(t, err, leadscore.CodeInvalid, 422)
	if res == nil || len(res.Diagnostics) != 1 || res.Diagnostics[0].Line != 1 || res.Diagnostics[0].Field != "name" {
		t.Errorf("diagnostics %+v", res)
	}
	vs, err := f.read.ModelVersions(ctx, "b2b")
	if err != nil || len(vs) != 1 {
		t.Errorf("ModelVersions: %+v %v", vs, err)
	}
	job, err := f.admin.ActivateModel(ctx, "b2b", vs[0].Version)
	if err != nil || job.ID == "" {
		t.Fatalf("ActivateModel: %+v %v", job, err)
	}
	if j, err := f.read.Job(ctx, job.ID); err != nil || j.ID != job.ID {
		t.Errorf("Job: %+v %v", j, err)
	}
	if act, err := f.read.ActiveModels(ctx); err != nil || len(act) != 1 || !act[0].Active {
		t.Errorf("ActiveModels: %+v %v", act, err)
	}

	k, err := f.admin.CreateAPIKey(ctx, "ci", []leadscore.Scope{leadscore.ScopeRead})
	if err != nil || k.Secret == "" {
		t.Fatalf("CreateAPIKey: %+v %v", k, err)
	}
	ci := client.NewClient(f.url, k.Secret, nil)
	if _, err := ci.AccountLists(ctx); err != nil {
		t.Fatalf("new key: %v", err)
	}
	keys, err := f.admin.APIKeys(ctx)
	if err != nil || len(keys) != 4 {
		t.Errorf("APIKeys: %d %v", len(keys), err)
	}
	if err := f.admin.RevokeAPIKey(ctx, k.ID); err != nil {
		t.Fatal(err)
	}
	_, err = ci.AccountLists(ctx)
	wantCode(t, err, leadscore.CodeUnauthorized, 401)
	if err := f.admin.Ready(ctx); err != nil {
		t.Errorf("Ready: %v", err)
	}
}

// TestAutomationCalls: the automation methods reach their routes with
// their arguments and read the answers back.
func TestAutomationCalls(t *testing.T) {
	f := setup(t, httpapi.Limits{})
	ctx := t.Context()
	if err := f.svc.UpsertLeads(ctx, []leadscore.Lead{{ID: "u1", Email: "jana@kleinbau.de"}}); err != nil {
		t.Fatal(err)
	}
	v, err := f.admin.LeadAction(ctx, "u1", leadscore.LeadAction{Action: "assign", Owner: "ben"})
	if err != nil || v.Owner != "ben" {
		t.Fatalf("assign: %+v %v", v, err)
	}
	_, err = f.admin.LeadAction(ctx, "u1", leadscore.LeadAction{Action: "accept"})
	wantCode(t, err, leadscore.CodeConflict, http.StatusConflict)
	_, err = f.read.LeadAction(ctx, "u1", leadscore.LeadAction{Action: "accept"})
	wantCode(t, err, leadscore.CodeForbidden, http.StatusForbidden)
	if got := f.svc.CallsTo("LeadAction"); len(got) < 2 || got[0].Args[1].(leadscore.LeadAction).By != "ops" {
		t.Errorf("calls %+v: the key's name should be recorded as who acted", got)
	}
	o, err := f.admin.RecordOutcome(ctx, leadscore.Outcome{LeadID: "u1", Result: leadscore.OutcomeWon, At: t0})
	if err != nil || o.Result != leadscore.OutcomeWon || !o.At.Equal(t0) {
		t.Fatalf("outcome: %+v %v", o, err)
	}
	if _, err := f.admin.LeadAction(ctx, "u1", leadscore.LeadAction{Action: "set_stage", Stage: "salesqualifiedlead"}); err != nil {
		t.Fatal(err)
	}
	h, next, err := f.read.LeadTimeline(ctx, "u1", "", 1)
	if err != nil || len(h) != 1 || next == "" {
		t.Fatalf("timeline page: %+v %q %v", h, next, err)
	}
	res, err := f.admin.UploadRouting(ctx, "r.yaml", []byte("name: x\n"))
	wantCode(t, err, leadscore.CodeInvalid, http.StatusUnprocessableEntity)
	if res == nil || len(res.Diagnostics) != 1 || res.Diagnostics[0].Line != 1 {
		t.Errorf("diagnostics of a refused routing file: %+v", res)
	}
	if _, err := f.admin.UploadRouting(ctx, "r.yaml", []byte("owners: [a]\n")); err != nil {
		t.Fatal(err)
	}
	if rf, err := f.read.ActiveRouting(ctx); err != nil || rf.Filename != "r.yaml" {
		t.Errorf("active routing: %+v %v", rf, err)
	}
	owners, err := f.read.Owners(ctx)
	if err != nil || len(owners) != 1 || owners[0].Name != "ben" {
		t.Errorf("owners: %+v %v", owners, err)
	}
	_, err = f.admin.CreateWebhook(ctx, leadscore.Webhook{URL: "example.com/hook"})
	wantCode(t, err, leadscore.CodeInvalid, http.StatusBadRequest)
	hook, err := f.admin.CreateWebhook(ctx, leadscore.Webhook{URL: "https://example.com/hook", Types: []string{"lead.*"}})
	if err != nil || hook.Secret == "" || hook.ID == "" {
		t.Fatalf("create webhook: %+v %v", hook, err)
	}
	hooks, err := f.admin.Webhooks(ctx)
	if err != nil || len(hooks) != 1 || !reflect.DeepEqual(hooks[0].Types, []string{"lead.*"}) {
		t.Errorf("webhooks: %+v %v", hooks, err)
	}
	hook.Disabled = true
	if w, err := f.admin.UpdateWebhook(ctx, hook.Webhook); err != nil || !w.Disabled {
		t.Errorf("update: %+v %v", w, err)
	}
	if a, err := f.admin.TestWebhook(ctx, hook.ID); err != nil || a.Status != 204 {
		t.Errorf("test: %+v %v", a, err)
	}
	f.svc.AddDelivery(leadscore.Delivery{ID: "dlv_1", WebhookID: hook.ID, EventID: "evt_1", State: leadscore.DeliveryFailed})
	ds, _, err := f.admin.Deliveries(ctx, leadscore.DeliveryFilter{WebhookID: hook.ID, State: leadscore.DeliveryFailed})
	if err != nil || len(ds) != 1 {
		t.Errorf("deliveries: %+v %v", ds, err)
	}
	if d, err := f.admin.ReplayDelivery(ctx, "dlv_1"); err != nil || d.State != leadscore.DeliveryPending {
		t.Errorf("replay: %+v %v", d, err)
	}
	if d, err := f.admin.GetDelivery(ctx, "dlv_1"); err != nil || d.EventID != "evt_1" {
		t.Errorf("get delivery: %+v %v", d, err)
	}
	if err := f.admin.DeleteWebhook(ctx, hook.ID); err != nil {
		t.Fatal(err)
	}
	_, err = f.admin.GetWebhook(ctx, hook.ID)
	wantCode(t, err, leadscore.CodeNotFound, http.StatusNotFound)
}
