package httpapi_test

import (
	"encoding/json"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/leadscore/leadscore"
)

type eventsResp struct {
	Accepted   int `json:"accepted"`
	Duplicates int `json:"duplicates"`
	Rejected   int `json:"rejected"`
	Results    []struct {
		Index     int    `json:"index"`
		MessageID string `json:"message_id"`
		Status    string `json:"status"`
		LeadID    string `json:"lead_id"`
		Error     string `json:"error"`
	} `json:"results"`
}

func TestPostEvents(t *testing.T) {
	e := newEnv(t)
	body := `{"events":[
		{"user_id":"u1","type":"page.viewed","timestamp":"2026-08-31T10:00:00Z","properties":{"path":"/pricing"},"message_id":"e1"},
		{"email":"Ada@Acme.com","type":"email.opened","timestamp":"2026-08-31"},
		{"lead_id":"u1","type":""},
		{"anonymous_id":"anon","type":"session.started","colour":"red"},
		{"lead_id":"u1","user_id":"u2","type":"x"}
	]}`
	w := e.do(req{method: "POST", path: "/api/v1/events", body: body, bearer: e.write})
	wantStatus(t, w, 200)
	r := decode[eventsResp](t, w)
	if r.Accepted != 2 || r.Rejected != 3 || len(r.Results) != 5 {
		t.Fatalf("response %+v", r)
	}
	for i, want := range []string{"", "", "type", "colour", "user_id"} {
		if got := r.Results[i].Error; !strings.Contains(got, want) || (want == "") != (got == "") {
			t.Errorf("result %d error %q, want one about %q", i, got, want)
		}
		if r.Results[i].Index != i {
			t.Errorf("result %d has index %d", i, r.Results[i].Index)
		}
	}
	got := e.svc.Ingested()
	if len(got) != 2 {
		t.Fatalf("ingested %+v", got)
	}
	want0 := leadscore.Message{Kind: leadscore.MsgTrack, MessageID: "e1", Source: "api", UserID: "u1", Event: "page.viewed",
		Properties: map[string]any{"path": "/pricing"}, Timestamp: time.Date(2026, 8, 31, 10, 0, 0, 0, time.UTC), ReceivedAt: t0}
	if !reflect.DeepEqual(got[0], want0) {
		t.Errorf("message\n got %+v\nwant %+v", got[0], want0)
	}
	if got[1].Traits["email"] != "Ada@Acme.com" || got[1].UserID != "" || got[1].MessageID == "" ||
		!got[1].Timestamp.Equal(time.Date(2026, 8, 31, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("email event %+v", got[1])
	}
	if r.Results[1].LeadID != "ada@acme.com" || r.Results[1].MessageID != got[1].MessageID {
		t.Errorf("result %+v", r.Results[1])
	}

	// The same batch again: the events with ids (given or derived) are
	// duplicates.
	r = decode[eventsResp](t, e.do(req{method: "POST", path: "/api/v1/events", body: body, bearer: e.write}))
	if r.Duplicates != 2 || r.Accepted != 0 {
		t.Errorf("retry %+v", r)
	}
}

func TestPostSingleEvent(t *testing.T) {
	e := newEnv(t)
	w := e.do(req{method: "POST", path: "/api/v1/events", body: `{"user_id":"u1","type":"demo.requested"}`, bearer: e.write})
	wantStatus(t, w, 200)
	if r := decode[eventsResp](t, w); r.Accepted != 1 || len(r.Results) != 1 {
		t.Errorf("response %+v", r)
	}
	// The default time is the server clock.
	if got := e.svc.Ingested(); len(got) != 1 || !got[0].Timestamp.Equal(t0) {
		t.Errorf("ingested %+v", got)
	}
	for _, tc := range []struct{ body, field string }{
		{`{"type":"demo.requested"}`, "lead_id"},
		{`{"user_id":"u1","type":"x","timestamp":"next week"}`, "timestamp"},
		{`{"user_id":"u1","type":"x","email":"nope"}`, "email"},
		{`{"user_id":7,"type":"x"}`, "user_id"},
	} {
		p := problemOf(t, e.do(req{method: "POST", path: "/api/v1/events", body: tc.body, bearer: e.write}), 400)
		if len(p.Errors) != 1 || p.Errors[0].Field != tc.field {
			t.Errorf("%s: errors %+v", tc.body, p.Errors)
		}
	}
	e.svc.SetReject(func(leadscore.Message) string { return "bot traffic" })
	p := problemOf(t, e.do(req{method: "POST", path: "/api/v1/events", body: `{"user_id":"u1","type":"y"}`, bearer: e.write}), 400)
	if len(p.Errors) != 1 || p.Errors[0].Message != "bot traffic" {
		t.Errorf("service rejection %+v", p)
	}
	problemOf(t, e.do(req{method: "POST", path: "/api/v1/events", body: `[{"user_id":"u1"}]`, bearer: e.write}), 400)
	problemOf(t, e.do(req{method: "POST", path: "/api/v1/events", body: `{"events":{}}`, bearer: e.write}), 400)
}

func TestPostLeadsAndAccounts(t *testing.T) {
	e := newEnv(t)
	w := e.do(req{method: "POST", path: "/api/v1/leads", bearer: e.write,
		body: `{"leads":[{"id":"u1","email":"ada@acme.com","first_name":"Ada","account_id":"acme.com","fields":{"tier":2}},{"email":"bob@acme.com"}]}`})
	wantStatus(t, w, 200)
	if r := decode[map[string]int](t, w); r["upserted"] != 2 {
		t.Errorf("response %v", r)
	}
	w = e.do(req{method: "POST", path: "/api/v1/leads", bearer: e.write, body: `{"id":"u3"}`})
	wantStatus(t, w, 200)
	calls := e.svc.CallsTo("UpsertLeads")
	if len(calls) != 2 {
		t.Fatalf("%d calls", len(calls))
	}
	first := calls[0].Args[0].([]leadscore.Lead)
	if len(first) != 2 || first[0].FirstName != "Ada" || first[0].Fields["tier"] != 2.0 || first[1].Email != "bob@acme.com" {
		t.Errorf("leads %+v", first)
	}

	p := problemOf(t, e.do(req{method: "POST", path: "/api/v1/leads", bearer: e.write,
		body: `{"leads":[{"id":"ok"},{"first_name":"nobody"},{"id":"x","emial":"typo@acme.com"}]}`}), 400)
	if len(p.Errors) != 2 || *p.Errors[0].Index != 1 || p.Errors[0].Field != "id" || *p.Errors[1].Index != 2 || p.Errors[1].Field != "emial" {
		t.Errorf("errors %+v", p.Errors)
	}
	if n := len(e.svc.CallsTo("UpsertLeads")); n != 2 {
		t.Error("an invalid batch was partly stored")
	}

	wantStatus(t, e.do(req{method: "POST", path: "/api/v1/accounts", bearer: e.write,
		body: `{"accounts":[{"id":"acme.com","name":"Acme","employees":250}]}`}), 200)
	wantStatus(t, e.do(req{method: "POST", path: "/api/v1/accounts", bearer: e.write, body: `{"domain":"globex.com"}`}), 200)
	problemOf(t, e.do(req{method: "POST", path: "/api/v1/accounts", bearer: e.write, body: `{"name":"No Id"}`}), 400)
	problemOf(t, e.do(req{method: "POST", path: "/api/v1/accounts", bearer: e.write, body: `{"accounts":[],"extra":1}`}), 400)

	v := decode[leadscore.LeadView](t, e.do(req{method: "GET", path: "/api/v1/leads/u1", bearer: e.read}))
	if v.Lead.Email != "ada@acme.com" || v.Account == nil || *v.Account.Employees != 250 {
		t.Errorf("lead view %+v", v)
	}
	av := decode[leadscore.AccountView](t, e.do(req{method: "GET", path: "/api/v1/accounts/acme.com", bearer: e.read}))
	if av.Account.Name != "Acme" || len(av.People) != 1 {
		t.Errorf("account view %+v", av)
	}
	p = problemOf(t, e.do(req{method: "GET", path: "/api/v1/leads/nobody", bearer: e.read}), 404)
	if p.Code != "not_found" || !strings.Contains(p.Detail, "nobody") {
		t.Errorf("problem %+v", p)
	}
}

type leadPage struct {
	Data       []leadscore.LeadRow `json:"data"`
	NextCursor *string             `json:"next_cursor"`
}

func TestListLeadsFilterAndPagination(t *testing.T) {
	e := newEnv(t)
	var leads []string
	for _, id := range []string{"a", "b", "c", "d", "e"} {
		leads = append(leads, `{"id":"`+id+`","email":"`+id+`@acme.com"}`)
	}
	wantStatus(t, e.do(req{method: "POST", path: "/api/v1/leads", bearer: e.write, body: `{"leads":[` + strings.Join(leads, ",") + `]}`}), 200)

	var seen []string
	path := "/api/v1/leads?limit=2"
	for pages := 0; ; pages++ {
		if pages > 5 {
			t.Fatal("pagination does not end")
		}
		pg := decode[leadPage](t, e.do(req{method: "GET", path: path, bearer: e.read}))
		for _, r := range pg.Data {
			seen = append(seen, r.Lead.ID)
		}
		if pg.NextCursor == nil {
			break
		}
		path = "/api/v1/leads?limit=2&cursor=" + *pg.NextCursor
	}
	if strings.Join(seen, "") != "abcde" {
		t.Errorf("pages gave %v", seen)
	}

	w := e.do(req{method: "GET", bearer: e.read, path: "/api/v1/leads?model=b2b&band=hot&qualified=true&account=acme.com" +
		"&owner=kim&min_score=70.5&updated_since=2026-08-01&q=ad&order=updated&cursor=xyz&limit=10"})
	wantStatus(t, w, 200)
	if pg := decode[leadPage](t, w); pg.Data == nil {
		t.Error("an empty page has data null")
	}
	calls := e.svc.CallsTo("ListLeads")
	f := calls[len(calls)-1].Args[0].(leadscore.LeadFilter)
	qual, minScore := true, 70.5
	want := leadscore.LeadFilter{Model: "b2b", Band: "hot", Qualified: &qual, AccountID: "acme.com", Owner: "kim",
		MinScore: &minScore, UpdatedSince: time.Date(2026, 8, 1, 0, 0, 0, 0, time.UTC), Query: "ad", OrderBy: "updated",
		After: "xyz", Limit: 10}
	if !reflect.DeepEqual(f, want) {
		t.Errorf("filter\n got %+v\nwant %+v", f, want)
	}

	p := problemOf(t, e.do(req{method: "GET", bearer: e.read,
		path: "/api/v1/leads?qualified=maybe&min_score=high&updated_since=soon&order=name&limit=0"}), 400)
	fields := map[string]bool{}
	for _, it := range p.Errors {
		fields[it.Field] = true
	}
	for _, f := range []string{"qualified", "min_score", "updated_since", "order", "limit"} {
		if !fields[f] {
			t.Errorf("no error for %s: %+v", f, p.Errors)
		}
	}
}

func TestLeadHistoryPagination(t *testing.T) {
	e := newEnv(t)
	for i := int64(1); i <= 5; i++ {
		e.svc.AddLedger("u1", leadscore.LedgerEntry{Seq: i, LeadID: "u1", Model: "m", NewScore: float64(i), Cause: leadscore.CauseEvent,
			At: t0.Add(time.Duration(i) * time.Hour)})
	}
	type histPage struct {
		Data       []leadscore.LedgerEntry `json:"data"`
		NextCursor string                  `json:"next_cursor"`
	}
	var seqs []int64
	path := "/api/v1/leads/u1/history?model=m&limit=2"
	for pages := 0; ; pages++ {
		if pages > 5 {
			t.Fatal("pagination does not end")
		}
		pg := decode[histPage](t, e.do(req{method: "GET", path: path, bearer: e.read}))
		for _, en := range pg.Data {
			seqs = append(seqs, en.Seq)
		}
		if pg.NextCursor == "" {
			break
		}
		path = "/api/v1/leads/u1/history?model=m&limit=2&cursor=" + pg.NextCursor
	}
	if !reflect.DeepEqual(seqs, []int64{1, 2, 3, 4, 5}) {
		t.Errorf("seqs %v", seqs)
	}
	problemOf(t, e.do(req{method: "GET", path: "/api/v1/leads/u1/history?cursor=abc", bearer: e.read}), 400)
}

func TestLeadEventsAndScore(t *testing.T) {
	e := newEnv(t)
	wantStatus(t, e.do(req{method: "POST", path: "/api/v1/leads", bearer: e.write, body: `{"id":"u1"}`}), 200)
	wantStatus(t, e.do(req{method: "POST", path: "/api/v1/events", bearer: e.write,
		body: `{"events":[{"user_id":"u1","type":"a"},{"user_id":"u1","type":"b"}]}`}), 200)
	var evs struct{ Data []leadscore.StoredEvent }
	evs = decode[struct{ Data []leadscore.StoredEvent }](t, e.do(req{method: "GET", path: "/api/v1/leads/u1/events?limit=1", bearer: e.read}))
	if len(evs.Data) != 1 || evs.Data[0].Type != "b" {
		t.Errorf("events %+v", evs.Data)
	}
	problemOf(t, e.do(req{method: "GET", path: "/api/v1/leads/u1/events?limit=5000", bearer: e.read}), 400)

	type scoreResp struct {
		AsOf time.Time               `json:"as_of"`
		Data []*leadscore.Evaluation `json:"data"`
	}
	r := decode[scoreResp](t, e.do(req{method: "GET", path: "/api/v1/leads/u1/score?as_of=2026-09-01&model=b2b&version=v3", bearer: e.read}))
	want := time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC)
	if !r.AsOf.Equal(want) || len(r.Data) != 1 || r.Data[0].Model != "b2b" || r.Data[0].Version != "v3" {
		t.Errorf("score %+v", r)
	}
	c := e.svc.CallsTo("ScoreAsOf")[0]
	if !reflect.DeepEqual(c.Args, []any{"u1", want, "b2b", "v3"}) {
		t.Errorf("args %v", c.Args)
	}
	r = decode[scoreResp](t, e.do(req{method: "GET", path: "/api/v1/leads/u1/score", bearer: e.read}))
	if !r.AsOf.Equal(t0) {
		t.Errorf("default as_of %v", r.AsOf)
	}
	r = decode[scoreResp](t, e.do(req{method: "GET", path: "/api/v1/leads/u1/score?as_of=2026-09-01T10:30:00%2B02:00", bearer: e.read}))
	if !r.AsOf.Equal(time.Date(2026, 9, 1, 8, 30, 0, 0, time.UTC)) {
		t.Errorf("as_of with offset %v", r.AsOf)
	}
	problemOf(t, e.do(req{method: "GET", path: "/api/v1/leads/u1/score?version=v3", bearer: e.read}), 400)
	problemOf(t, e.do(req{method: "GET", path: "/api/v1/leads/u1/score?as_of=someday", bearer: e.read}), 400)
	problemOf(t, e.do(req{method: "GET", path: "/api/v1/leads/ghost/score", bearer: e.read}), 404)
}

func TestAccountLists(t *testing.T) {
	e := newEnv(t)
	w := e.do(req{method: "PUT", path: "/api/v1/account-lists/targets", bearer: e.admin,
		body: `{"priority":true,"domains":["Acme.com"," globex.com ",""]}`})
	wantStatus(t, w, 200)
	l := decode[leadscore.AccountList](t, w)
	if l.Name != "targets" || !l.Priority || !reflect.DeepEqual(l.Domains, []string{"acme.com", "globex.com"}) || l.Size != 2 {
		t.Errorf("stored list %+v", l)
	}
	problemOf(t, e.do(req{method: "PUT", path: "/api/v1/account-lists/targets", bearer: e.admin, body: `{"name":"other"}`}), 400)

	wantStatus(t, e.do(req{method: "POST", path: "/api/v1/account-lists/targets/members", bearer: e.admin, body: `{"domains":["initech.com"]}`}), 204)
	wantStatus(t, e.do(req{method: "DELETE", path: "/api/v1/account-lists/targets/members?domain=acme.com", bearer: e.admin}), 204)
	wantStatus(t, e.do(req{method: "DELETE", path: "/api/v1/account-lists/targets/members", bearer: e.admin, body: `{"domains":["globex.com"]}`}), 204)
	problemOf(t, e.do(req{method: "POST", path: "/api/v1/account-lists/targets/members", bearer: e.admin, body: `{"domains":[]}`}), 400)
	problemOf(t, e.do(req{method: "POST", path: "/api/v1/account-lists/nope/members", bearer: e.admin, body: `{"domains":["a.com"]}`}), 404)

	l = decode[leadscore.AccountList](t, e.do(req{method: "GET", path: "/api/v1/account-lists/targets", bearer: e.read}))
	if !reflect.DeepEqual(l.Domains, []string{"initech.com"}) {
		t.Errorf("members %v", l.Domains)
	}
	all := decode[struct{ Data []leadscore.AccountList }](t, e.do(req{method: "GET", path: "/api/v1/account-lists", bearer: e.read}))
	if len(all.Data) != 1 {
		t.Errorf("lists %+v", all)
	}
	wantStatus(t, e.do(req{method: "DELETE", path: "/api/v1/account-lists/targets", bearer: e.admin}), 204)
	problemOf(t, e.do(req{method: "GET", path: "/api/v1/account-lists/targets", bearer: e.read}), 404)
	problemOf(t, e.do(req{method: "DELETE", path: "/api/v1/account-lists/targets", bearer: e.admin}), 404)
}

func TestModelsAndJobs(t *testing.T) {
	e := newEnv(t)
	w := e.do(req{method: "POST", path: "/api/v1/models?filename=b2b.yaml", bearer: e.admin,
		body: "name: b2b\nscale: {min: 0, max: 100}\n", header: map[string]string{"Content-Type": "application/yaml"}})
	wantStatus(t, w, 201)
	up := decode[leadscore.UploadResult](t, w)
	if len(up.Versions) != 1 || up.Versions[0].Version != "v1" || up.Versions[0].CreatedBy != "ops" {
		t.Fatalf("upload %+v", up)
	}
	if c := e.svc.CallsTo("UploadModel")[0]; c.Args[0] != "b2b.yaml" || c.Args[2] != "ops" {
		t.Errorf("upload args %v", c.Args)
	}

	p := problemOf(t, e.do(req{method: "POST", path: "/api/v1/models", bearer: e.admin, body: "scale: {}\n"}), 422)
	if p.Code != "invalid" || len(p.Errors) != 1 || p.Errors[0].Line != 1 || p.Errors[0].Column != 1 ||
		p.Errors[0].Severity != "error" || p.Errors[0].Field != "name" {
		t.Errorf("diagnostics %+v", p)
	}
	e.svc.SetFail("UploadModel", leadscore.Problems{leadscore.Invalid("rules[0]", "bad")})
	p = problemOf(t, e.do(req{method: "POST", path: "/api/v1/models", bearer: e.admin, body: "x: 1\n"}), 422)
	if len(p.Errors) != 1 || p.Errors[0].Field != "rules[0]" {
		t.Errorf("problems %+v", p)
	}
	e.svc.SetFail("UploadModel", nil)
	problemOf(t, e.do(req{method: "POST", path: "/api/v1/models", bearer: e.admin, body: "  \n"}), 400)

	vs := decode[struct{ Data []leadscore.ModelVersion }](t, e.do(req{method: "GET", path: "/api/v1/models/b2b/versions", bearer: e.read}))
	if len(vs.Data) != 1 {
		t.Errorf("versions %+v", vs)
	}
	problemOf(t, e.do(req{method: "GET", path: "/api/v1/models/ghost/versions", bearer: e.read}), 404)

	w = e.do(req{method: "POST", path: "/api/v1/models/b2b/versions/v1/activate", bearer: e.admin})
	wantStatus(t, w, 202)
	job := decode[leadscore.Job](t, w)
	if job.ID == "" || w.Header().Get("Location") != "/api/v1/jobs/"+job.ID {
		t.Errorf("job %+v, Location %q", job, w.Header().Get("Location"))
	}
	got := decode[leadscore.Job](t, e.do(req{method: "GET", path: "/api/v1/jobs/" + job.ID, bearer: e.read}))
	if got.ID != job.ID || got.State != leadscore.JobQueued {
		t.Errorf("job %+v", got)
	}
	problemOf(t, e.do(req{method: "GET", path: "/api/v1/jobs/nope", bearer: e.read}), 404)
	all := decode[struct{ Data []leadscore.ModelVersion }](t, e.do(req{method: "GET", path: "/api/v1/models", bearer: e.read}))
	if len(all.Data) != 1 || !all.Data[0].Active {
		t.Errorf("models %+v", all)
	}
}

func TestKeys(t *testing.T) {
	e := newEnv(t)
	w := e.do(req{method: "POST", path: "/api/v1/keys", bearer: e.admin, body: `{"name":"importer","scopes":["write","read","write"]}`})
	wantStatus(t, w, 201)
	if w.Header().Get("Cache-Control") != "no-store" {
		t.Error("a secret may be cached")
	}
	k := decode[leadscore.NewAPIKey](t, w)
	if k.Secret == "" || k.ID == "" || !reflect.DeepEqual(k.Scopes, []leadscore.Scope{leadscore.ScopeWrite, leadscore.ScopeRead}) {
		t.Fatalf("key %+v", k)
	}
	wantStatus(t, e.do(req{method: "GET", path: "/api/v1/leads", bearer: k.Secret}), 200)

	list := decode[struct{ Data []json.RawMessage }](t, e.do(req{method: "GET", path: "/api/v1/keys", bearer: e.admin}))
	if len(list.Data) != 5 {
		t.Errorf("%d keys", len(list.Data))
	}
	for _, raw := range list.Data {
		var fields map[string]any
		if err := json.Unmarshal(raw, &fields); err != nil {
			t.Fatal(err)
		}
		if _, ok := fields["secret"]; ok {
			t.Errorf("key listing shows a secret: %s", raw)
		}
		if strings.Contains(strings.ToLower(string(raw)), "hash") {
			t.Errorf("key listing shows a hash: %s", raw)
		}
	}

	p := problemOf(t, e.do(req{method: "POST", path: "/api/v1/keys", bearer: e.admin, body: `{"name":" ","scopes":["root"]}`}), 400)
	if len(p.Errors) != 2 {
		t.Errorf("errors %+v", p.Errors)
	}
	problemOf(t, e.do(req{method: "POST", path: "/api/v1/keys", bearer: e.admin, body: `{"name":"x"}`}), 400)

	wantStatus(t, e.do(req{method: "DELETE", path: "/api/v1/keys/" + k.ID, bearer: e.admin}), 204)
	problemOf(t, e.do(req{method: "GET", path: "/api/v1/leads", bearer: k.Secret}), http.StatusUnauthorized)
	problemOf(t, e.do(req{method: "DELETE", path: "/api/v1/keys/nope", bearer: e.admin}), 404)
}
