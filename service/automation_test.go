package service

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"crypto/rand"
	"encoding/hex"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/leadscore/leadscore"
	"github.com/leadscore/leadscore/automation"
	"github.com/leadscore/leadscore/sqlstore"
)

// simpleModel scores 30 points per demo request: one request makes a lead
// warm, two make it hot and qualified.
const simpleModel = `name: simple
qualify: {mql: 40}
bands: {hot: 40, warm: 20}
categories:
  interest:
    max: 100
    rules:
      - {name: demo, event: demo.requested, points: 30}
      - {name: titled, when: 'lead.title != "nobody"', points: 0}
`

// testRouting shares leads between anna (capacity 1) and ben, with a 2h
// follow-up deadline that reassigns within the team.
const testRouting = `name: test-routing
owners:
  anna: {capacity: 1}
  ben: {}
  chloe: {}
teams:
  sdr: [anna, ben]
rules:
  - name: sdr
    assign: {team: sdr}
    sla: {within: 2h, reassign: {team: sdr}}
fallback: {owner: chloe}
`

// receiver is a webhook endpoint that verifies signatures and keeps what
// it received.
type receiver struct {
	t      *testing.T
	now    func() time.Time
	mu     sync.Mutex
	secret automation.Secret
	status int
	events []automation.CloudEvent
	srv    *httptest.Server
}

func newReceiver(t *testing.T, now func() time.Time) *receiver {
	r := &receiver{t: t, now: now, status: http.StatusNoContent}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		defer r.mu.Unlock()
		if err := automation.Verify(r.secret, req.Header, body, r.now()); err != nil {
			r.t.Errorf("signature: %v", err)
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		if r.status >= 300 {
			w.WriteHeader(r.status)
			return
		}
		var ev automation.CloudEvent
		if err := json.Unmarshal(body, &ev); err != nil {
			r.t.Errorf("body: %v", err)
		}
		if req.Header.Get("webhook-id") != ev.ID {
			r.t.Errorf("webhook-id %q is not the event id %q", req.Header.Get("webhook-id"), ev.ID)
		}
		r.events = append(r.events, ev)
		w.WriteHeader(r.status)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) types(subject string) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, e := range r.events {
		if subject == "" || e.Subject == subject {
			out = append(out, strings.TrimPrefix(e.Type, automation.EventTypePrefix))
		}
	}
	// Deliveries run concurrently: their order is not part of the contract.
	slices.Sort(out)
	return out
}

type autoFixture struct {
	*fixture
	open func() leadscore.Store
	recv *receiver
	msgs int
	hook *leadscore.NewWebhook
}

// newAutoFixture starts a service with the simple model, the test routing
// file and a webhook for lead.qualified, lead.assigned and sla.breached.
func newAutoFixture(t *testing.T, open func() leadscore.Store) *autoFixture {
	t.Helper()
	ctx := context.Background()
	st := open()
	c := &clock{t: start}
	f := &autoFixture{fixture: &fixture{t: t, clock: c, store: st}, open: open}
	f.startService(st)
	up, err := f.svc.UploadModel(ctx, "simple.yaml", []byte(simpleModel), "test")
	if err != nil {
		t.Fatalf("upload: %v %v", err, up)
	}
	f.activate("simple", up.Versions[0].Version)
	if _, err := f.svc.UploadRouting(ctx, "routing.yaml", []byte(testRouting), "test"); err != nil {
		t.Fatal(err)
	}
	f.recv = newReceiver(t, c.Now)
	f.hook, err = f.svc.CreateWebhook(ctx, leadscore.Webhook{URL: f.recv.srv.URL + "/hooks",
		Types: []string{"lead.qualified", "lead.assigned", "sla.breached", "lead.accepted"}})
	if err != nil {
		t.Fatal(err)
	}
	if f.recv.secret, err = automation.ParseSecret(f.hook.Secret); err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *autoFixture) startService(st leadscore.Store) {
	svc := startTestService(f.t, Config{Store: st, Clock: f.clock.Now, DueInterval: time.Hour, DeliveryInterval: 5 * time.Millisecond})
	f.svc = svc
}

func (f *autoFixture) demo(lead string, n int) {
	f.t.Helper()
	for i := range n {
		f.msgs++
		f.ingest(track(fmt.Sprintf("%s-demo-%d-%d", lead, f.msgs, i), lead, "demo.requested", nil))
	}
}

func (f *autoFixture) timeline(lead string) []string {
	f.t.Helper()
	h, err := f.svc.LeadTimeline(context.Background(), lead, 0, 0)
	if err != nil {
		f.t.Fatal(err)
	}
	var out []string
	for _, e := range h {
		out = append(out, e.Kind)
	}
	return out
}

func (f *autoFixture) view(lead string) *leadscore.AutomationView {
	f.t.Helper()
	v, err := f.svc.LeadAutomation(context.Background(), lead)
	if err != nil {
		f.t.Fatal(err)
	}
	return v
}

// settleDeliveries waits until no delivery is pending and due; the worker
// always gets there against a receiver that answers, so the loop ends
// without depending on timing.
func (f *autoFixture) settleDeliveries() {
	f.t.Helper()
	for i := 0; ; i++ {
		ds, _, err := f.svc.Deliveries(context.Background(), leadscore.DeliveryFilter{State: leadscore.DeliveryPending, Limit: 500})
		if err != nil {
			f.t.Fatal(err)
		}
		due := 0
		for _, d := range ds {
			if !d.NextAttempt.After(f.clock.Now()) {
				due++
			}
		}
		if due == 0 {
			return
		}
		if i > 20000 {
			f.t.Fatalf("%d deliveries never left the outbox", due)
		}
		time.Sleep(time.Millisecond)
	}
}

func sqliteOpener(t *testing.T) func() leadscore.Store {
	path := filepath.Join(t.TempDir(), "ls.db")
	return func() leadscore.Store {
		st, err := sqlstore.Open(context.Background(), path, sqlstore.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		return st
	}
}

// postgresOpener opens a fresh schema on the configured server.
func postgresOpener(t *testing.T) func() leadscore.Store {
	base := os.Getenv("LEADSCORE_TEST_POSTGRES_URL")
	if base == "" {
		t.Skip("LEADSCORE_TEST_POSTGRES_URL is not set")
	}
	cfg, err := pgx.ParseConfig(base)
	if err != nil {
		t.Fatal(err)
	}
	admin := stdlib.OpenDB(*cfg)
	var b [6]byte
	rand.Read(b[:])
	schema := pgx.Identifier{"ls_svc_" + hex.EncodeToString(b[:])}
	if _, err := admin.ExecContext(context.Background(), "CREATE SCHEMA "+schema.Sanitize()); err != nil {
		admin.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() { dropSchema(t, admin, schema.Sanitize()) })
	u, _ := url.Parse(base)
	q := u.Query()
	q.Set("search_path", schema[0])
	u.RawQuery = q.Encode()
	return func() leadscore.Store {
		st, err := sqlstore.Open(context.Background(), u.String(), sqlstore.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		return st
	}
}

func dropSchema(t *testing.T, admin *sql.DB, schema string) {
	if _, err := admin.ExecContext(context.Background(), "DROP SCHEMA "+schema+" CASCADE"); err != nil {
		t.Errorf("drop schema: %v", err)
	}
	admin.Close()
}

func TestAutomationSQLite(t *testing.T)   { testAutomationFlow(t, sqliteOpener(t)) }
func TestAutomationPostgres(t *testing.T) { testAutomationFlow(t, postgresOpener(t)) }

// testAutomationFlow: leads crossing the threshold qualify once each, are
// routed by round robin with capacity, their webhooks arrive signed, an
// SLA breach is found by the due job (also after a restart) and reassigns
// the lead once.
func testAutomationFlow(t *testing.T, open func() leadscore.Store) {
	f := newAutoFixture(t, open)
	ctx := context.Background()

	f.demo("u1", 1)
	if got := f.view("u1"); got.Stage != "lead" || got.Owner != "" {
		t.Fatalf("after one demo u1 is %+v; want an unassigned lead", got)
	}
	f.demo("u1", 3) // crosses 40, then keeps rising: qualifies once
	f.demo("u2", 2)
	f.demo("u3", 2)
	same := func(what string, got, want any) {
		t.Helper()
		g, _ := json.Marshal(got)
		w, _ := json.Marshal(want)
		if string(g) != string(w) {
			t.Errorf("%s:\n got  %s\n want %s", what, g, w)
		}
	}
	same("u1 timeline", f.timeline("u1"), []string{"lead.qualified", "lead.assigned"})
	// anna takes u1 and is then full (capacity 1): ben takes u2 and u3.
	same("owners", []string{f.view("u1").Owner, f.view("u2").Owner, f.view("u3").Owner}, []string{"anna", "ben", "ben"})
	if v := f.view("u1"); v.Stage != "marketingqualifiedlead" || v.SLADue.IsZero() {
		t.Errorf("u1 is %+v; want an MQL with a deadline", v)
	}
	owners, err := f.svc.Owners(ctx)
	if err != nil {
		t.Fatal(err)
	}
	same("owner loads", []int{owners[0].OpenMQLs, owners[1].OpenMQLs, owners[2].OpenMQLs}, []int{1, 2, 0})

	f.settleDeliveries()
	same("u1 webhooks", f.recv.types("u1"), []string{"lead.assigned", "lead.qualified"})
	same("u2 webhooks", f.recv.types("u2"), []string{"lead.assigned", "lead.qualified"})

	// u2 is accepted in time; u1 and u3 are not.
	if _, err := f.svc.LeadAction(ctx, "u2", leadscore.LeadAction{Action: "accept", By: "ben"}); err != nil {
		t.Fatal(err)
	}
	f.settleDeliveries()
	// Three hours later the due job finds the passed deadlines. The
	// service restarts first: the timers live in the store.
	f.svc.Close()
	f.clock.Add(3 * time.Hour)
	f.startService(f.open())
	// The due loop runs once as the service starts; running it here too
	// returns only after whatever it found is committed.
	f.svc.RunDue(ctx)
	same("u1 after the deadline", f.timeline("u1"), []string{"lead.qualified", "lead.assigned", "sla.breached", "lead.assigned"})
	same("u2 accepted in time", f.timeline("u2"), []string{"lead.qualified", "lead.assigned", "lead.accepted"})
	// u1 goes to ben (never back to anna); u3 to anna, who has room now.
	same("reassigned", []string{f.view("u1").Owner, f.view("u3").Owner}, []string{"ben", "anna"})
	// The reassigned lead's own deadline breaches too, but reassigns no further.
	f.settleDeliveries()
	f.clock.Add(3 * time.Hour)
	f.svc.RunDue(ctx)
	same("u1 after the second deadline", f.timeline("u1"),
		[]string{"lead.qualified", "lead.assigned", "sla.breached", "lead.assigned", "sla.breached"})
	f.svc.RunDue(ctx)
	same("a second run changes nothing", len(f.timeline("u1")), 5)
	owners, _ = f.svc.Owners(ctx)
	same("breaches", []int{owners[0].Breaches, owners[1].Breaches}, []int{2, 2})

	f.settleDeliveries()
	same("u1 webhooks after the breaches", f.recv.types("u1"),
		[]string{"lead.assigned", "lead.assigned", "lead.qualified", "sla.breached", "sla.breached"})
	ds, _, err := f.svc.Deliveries(ctx, leadscore.DeliveryFilter{Limit: 500})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range ds {
		if d.State != leadscore.DeliveryDelivered || d.Attempts != 1 {
			t.Errorf("delivery %s: %s after %d attempts", d.ID, d.State, d.Attempts)
		}
	}
}

// TestScoreChangesLiveInTheLedger: a score or band change is written once,
// to the ledger, not again to the lead's history; a webhook that asks for
// them still gets each one.
func TestScoreChangesLiveInTheLedger(t *testing.T) {
	f := newAutoFixture(t, sqliteOpener(t))
	ctx := context.Background()
	scores := newReceiver(t, f.clock.Now)
	hook, err := f.svc.CreateWebhook(ctx, leadscore.Webhook{URL: scores.srv.URL + "/hooks",
		Types: []string{"lead.score_changed", "lead.band_changed"}})
	if err != nil {
		t.Fatal(err)
	}
	if scores.secret, err = automation.ParseSecret(hook.Secret); err != nil {
		t.Fatal(err)
	}
	f.demo("u1", 1)
	f.demo("u1", 1)
	if got := f.timeline("u1"); !slices.Equal(got, []string{"lead.qualified", "lead.assigned"}) {
		t.Errorf("timeline of a lead that scored twice and qualified: %v; want only the qualification", got)
	}
	ledger, err := f.svc.LeadHistory(ctx, "u1", "", 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(ledger) != 2 || ledger[0].OldScore != nil || *ledger[1].OldScore != ledger[0].NewScore {
		t.Fatalf("ledger: %+v; want the first score and one change from it", ledger)
	}
	f.settleDeliveries()
	want := []string{"lead.band_changed", "lead.score_changed", "lead.score_changed"}
	if ledger[1].OldBand != ledger[1].NewBand {
		want = append([]string{"lead.band_changed"}, want...)
	}
	if got := scores.types("u1"); !slices.Equal(got, want) {
		t.Errorf("webhooks: %v; want %v, one per ledger change", got, want)
	}
}

// TestLeadActions: what sales does, and what the lifecycle refuses.
func TestLeadActions(t *testing.T) {
	f := newAutoFixture(t, sqliteOpener(t))
	ctx := context.Background()
	act := func(lead string, a leadscore.LeadAction) error {
		_, err := f.svc.LeadAction(ctx, lead, a)
		return err
	}
	f.demo("u1", 1)
	if err := act("u1", leadscore.LeadAction{Action: "accept"}); leadscore.CodeOf(err) != leadscore.CodeConflict {
		t.Errorf("accepting a lead that is not an MQL: %v, want a conflict", err)
	}
	f.demo("u1", 1)
	if err := act("u1", leadscore.LeadAction{Action: "reject"}); leadscore.CodeOf(err) != leadscore.CodeInvalid {
		t.Errorf("rejecting without a reason: %v, want invalid", err)
	}
	if err := act("u1", leadscore.LeadAction{Action: "assign", Owner: "bne"}); leadscore.CodeOf(err) != leadscore.CodeInvalid {
		t.Errorf("assigning to an unknown owner: %v, want invalid", err)
	}
	if err := act("u1", leadscore.LeadAction{Action: "set_stage", Stage: "opportunity", Reason: "demo booked", By: "anna"}); err != nil {
		t.Fatal(err)
	}
	if v := f.view("u1"); v.Stage != "opportunity" || !v.SLADue.IsZero() {
		t.Errorf("after set_stage: %+v; want an opportunity without a deadline", v)
	}
	if err := act("u1", leadscore.LeadAction{Action: "set_stage", Stage: "sql"}); leadscore.CodeOf(err) != leadscore.CodeConflict {
		t.Errorf("moving back: %v, want a conflict", err)
	}
	// Recycling with a score reset: the old demo requests no longer count,
	// so the lead must earn its way back; two new ones qualify it again.
	f.clock.Add(time.Minute)
	if err := act("u1", leadscore.LeadAction{Action: "recycle", ResetScore: true, Reason: "not now"}); err != nil {
		t.Fatal(err)
	}
	if s := f.score("u1", "simple"); s.Score != 0 {
		t.Errorf("score after a reset: %v, want 0", s.Score)
	}
	if v := f.view("u1"); v.Stage != "lead" || v.Owner != "" {
		t.Errorf("after recycle: %+v", v)
	}
	f.clock.Add(time.Minute)
	f.demo("u1", 2)
	want := []string{"lead.qualified", "lead.assigned", "lead.stage_changed", "lead.recycled", "lead.qualified", "lead.assigned"}
	if got := f.timeline("u1"); !slices.Equal(got, want) {
		t.Errorf("timeline:\n got  %v\n want %v", got, want)
	}
	if err := act("u1", leadscore.LeadAction{Action: "assign", Owner: "chloe", By: "lead"}); err != nil {
		t.Fatal(err)
	}
	if v := f.view("u1"); v.Owner != "chloe" || !v.SLADue.IsZero() {
		t.Errorf("after a manual assignment: %+v", v)
	}
	o, err := f.svc.RecordOutcome(ctx, leadscore.Outcome{LeadID: "u1", Result: "won", Value: new(float64)})
	if err != nil || o.Result != leadscore.OutcomeWon {
		t.Fatalf("outcome: %v %v", o, err)
	}
	if _, err := f.svc.RecordOutcome(ctx, leadscore.Outcome{LeadID: "u1", Result: "maybe"}); leadscore.CodeOf(err) != leadscore.CodeInvalid {
		t.Errorf("outcome maybe: %v", err)
	}
	if v := f.view("u1"); v.Outcome == nil || v.Outcome.Result != leadscore.OutcomeWon {
		t.Errorf("outcome not shown: %+v", v)
	}
}

// A transaction that changes a lead's automation state and then fails
// leaves the state as it is stored: the next batch must not see the change
// from the state the committer keeps in memory.
func TestAFailedWriteLeavesTheAutomationStateAsStored(t *testing.T) {
	f := newAutoFixture(t, sqliteOpener(t))
	ctx := context.Background()
	f.demo("u1", 2)
	if v := f.view("u1"); v.Stage != string(automation.StageMQL) {
		t.Fatalf("after two demo requests: stage %s; want an MQL", v.Stage)
	}
	boom := errors.New("boom")
	err := f.svc.write(ctx, func(ctx context.Context, b *batch) error {
		au := b.auto()
		if err := au.load(ctx, []string{"u1"}); err != nil {
			return err
		}
		al := au.leads["u1"]
		next, ts, err := automation.Apply(&al.state, automation.Action{Kind: automation.ActSetStage, Stage: automation.StageOpportunity}, b.now)
		if err != nil {
			return err
		}
		au.set(al, next, ts)
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("the failing write returned %v", err)
	}
	if v := f.view("u1"); v.Stage != string(automation.StageMQL) {
		t.Errorf("after a failed write: stage %s; want the MQL still", v.Stage)
	}
	// From an opportunity, moving to sql would be a conflict: the action
	// must start from the stored MQL.
	if _, err := f.svc.LeadAction(ctx, "u1", leadscore.LeadAction{Action: "set_stage", Stage: string(automation.StageSQL)}); err != nil {
		t.Errorf("set_stage sql after a failed write: %v", err)
	}
	f.demo("u1", 1)
	want := []string{"lead.qualified", "lead.assigned", "lead.stage_changed"}
	if got := f.timeline("u1"); !slices.Equal(got, want) {
		t.Errorf("timeline:\n got  %v\n want %v", got, want)
	}
}

// TestDeliveryRetries: a receiver that fails is retried per the policy
// (Retry-After honoured), 410 disables the webhook, and a replay resends
// with the same event id.
func TestDeliveryRetries(t *testing.T) {
	f := newAutoFixture(t, sqliteOpener(t))
	ctx := context.Background()
	f.recv.mu.Lock()
	f.recv.status = http.StatusServiceUnavailable
	f.recv.mu.Unlock()
	f.demo("u1", 2)
	ds := f.waitAttempts(2, 1)
	for _, d := range ds {
		if d.State != leadscore.DeliveryPending || d.LastStatus != 503 || !d.NextAttempt.After(f.clock.Now()) {
			t.Errorf("after a 503: %+v; want a retry later", d)
		}
	}
	f.recv.mu.Lock()
	f.recv.status = http.StatusNoContent
	f.recv.mu.Unlock()
	f.clock.Add(time.Hour) // past any first backoff (at most 30s)
	f.deliverer().wake()
	f.settleDeliveries()
	got, err := f.svc.GetDelivery(ctx, ds[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.State != leadscore.DeliveryDelivered || len(got.AttemptDetail) != 2 || got.AttemptDetail[0].Status != 503 {
		t.Errorf("delivery after recovery: %+v", got)
	}
	// Replay: sent again with the same id.
	if _, err := f.svc.ReplayDelivery(ctx, got.ID); err != nil {
		t.Fatal(err)
	}
	f.settleDeliveries()
	f.recv.mu.Lock()
	n := 0
	for _, e := range f.recv.events {
		if e.ID == got.EventID {
			n++
		}
	}
	f.recv.status = http.StatusGone
	f.recv.mu.Unlock()
	if n != 2 {
		t.Errorf("event %s arrived %d times after a replay, want 2", got.EventID, n)
	}
	// 410 Gone disables the webhook.
	f.demo("u2", 2)
	f.waitAttempts(0, 0)
	h, err := f.svc.GetWebhook(ctx, f.hook.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !h.Disabled || !strings.Contains(h.DisabledReason, "410") {
		t.Errorf("webhook after 410: %+v", h)
	}
	if _, err := f.svc.ReplayDelivery(ctx, got.ID); leadscore.CodeOf(err) != leadscore.CodeConflict {
		t.Errorf("replaying to a disabled webhook: %v, want a conflict", err)
	}
}

func (f *autoFixture) deliverer() *deliverer { return f.svc.deliver }

// waitAttempts waits until n deliveries (every one when n is 0) are no
// longer untried, and returns them.
func (f *autoFixture) waitAttempts(n, min int) []leadscore.Delivery {
	f.t.Helper()
	for i := 0; ; i++ {
		ds, _, err := f.svc.Deliveries(context.Background(), leadscore.DeliveryFilter{Limit: 500})
		if err != nil {
			f.t.Fatal(err)
		}
		var tried []leadscore.Delivery
		for _, d := range ds {
			if d.Attempts > 0 || d.State != leadscore.DeliveryPending {
				tried = append(tried, d)
			}
		}
		if (n > 0 && len(tried) >= n) || (n == 0 && len(tried) == len(ds)) {
			return tried
		}
		if i > 20000 {
			f.t.Fatalf("deliveries never tried: %+v", ds)
		}
		time.Sleep(time.Millisecond)
	}
}

// TestQualificationPolicies: a score that falls and rises again qualifies
// once when sticky; with hysteresis it re-arms only after falling far
// enough, and never moves the stage back.
func TestQualificationPolicies(t *testing.T) {
	const model = `name: swing
qualify: {mql: 40}
categories:
  interest:
    max: 100
    rules:
      - {name: demo, event: demo.requested, points: 30}
      - {name: cold-feet, event: email.unsubscribed, points: -35}
`
	for _, tc := range []struct {
		name   string
		policy automation.QualifyPolicy
		want   []string
	}{
		{"sticky", automation.QualifyPolicy{}, []string{"lead.qualified"}},
		{"hysteresis 10", automation.QualifyPolicy{Mode: automation.Hysteresis, Hysteresis: 10},
			[]string{"lead.qualified", "lead.unqualified", "lead.qualified", "lead.unqualified"}},
		{"hysteresis 30", automation.QualifyPolicy{Mode: automation.Hysteresis, Hysteresis: 30}, []string{"lead.qualified"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			c := &clock{t: start}
			svc := startTestService(t, Config{Store: sqliteOpener(t)(), Clock: c.Now, DueInterval: time.Hour, Qualify: tc.policy})
			f := &autoFixture{fixture: &fixture{t: t, svc: svc, clock: c}}
			up, err := svc.UploadModel(ctx, "swing.yaml", []byte(model), "test")
			if err != nil {
				t.Fatalf("%v %v", err, up)
			}
			f.activate("swing", up.Versions[0].Version)
			// 60 (qualifies), 25 (below 40-10, not below 40-30), 55, 20.
			for i, ev := range []string{"demo.requested", "demo.requested", "email.unsubscribed", "demo.requested", "email.unsubscribed"} {
				f.ingest(track(fmt.Sprintf("m%d", i), "u1", ev, nil))
			}
			if got := f.timeline("u1"); !slices.Equal(got, tc.want) {
				t.Errorf("timeline %v, want %v", got, tc.want)
			}
			if v := f.view("u1"); v.Stage != "marketingqualifiedlead" {
				t.Errorf("stage %s: the score never moves a lead back", v.Stage)
			}
		})
	}
}

// TestModelActivatedEvent: activating a model version writes a
// model.activated delivery in the activation's transaction.
func TestModelActivatedEvent(t *testing.T) {
	f := newAutoFixture(t, sqliteOpener(t))
	ctx := context.Background()
	models := newReceiver(t, f.clock.Now)
	hook, err := f.svc.CreateWebhook(ctx, leadscore.Webhook{URL: models.srv.URL, Types: []string{"model.*"}})
	if err != nil {
		t.Fatal(err)
	}
	models.mu.Lock()
	models.secret, err = automation.ParseSecret(hook.Secret)
	models.mu.Unlock()
	if err != nil {
		t.Fatal(err)
	}
	up, err := f.svc.UploadModel(ctx, "simple.yaml", []byte(strings.Replace(simpleModel, "mql: 40", "mql: 50", 1)), "test")
	if err != nil {
		t.Fatal(err)
	}
	f.activate("simple", up.Versions[0].Version)
	ds, _, err := f.svc.Deliveries(ctx, leadscore.DeliveryFilter{Limit: 500})
	if err != nil {
		t.Fatal(err)
	}
	var found *leadscore.Delivery
	for i := range ds {
		if ds[i].Type == "com.leadscore.model.activated" {
			found = &ds[i]
		}
	}
	if found == nil {
		t.Fatalf("no model.activated delivery among %d", len(ds))
	}
	var ev automation.CloudEvent
	if err := json.Unmarshal(found.Body, &ev); err != nil || ev.Subject != "simple" || !strings.Contains(string(ev.Data), up.Versions[0].Version) {
		t.Errorf("model.activated event: %s (%v)", found.Body, err)
	}
}
