package e2e

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/leadscore/leadscore"
	"github.com/leadscore/leadscore/automation"
	"github.com/leadscore/leadscore/httpapi/client"
)

// simpleModel: each demo request is 30 points; two qualify a lead.
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

// e2eRouting: VPs go to chloe with no deadline; everyone else is shared
// by anna (room for one open MQL) and ben, with a 3-second follow-up
// deadline that reassigns within the team.
const e2eRouting = `name: e2e
owners:
  anna: {capacity: 1}
  ben: {}
  chloe: {}
teams:
  sdr: [anna, ben]
rules:
  - name: vip
    when: lead.title == "VP"
    assign: {owner: chloe}
  - name: sdr
    assign: {team: sdr}
    sla: {within: 3s, reassign: {team: sdr}}
fallback: {owner: chloe}
`

// hookReceiver is a webhook endpoint that is down (503) for its first
// requests, then verifies every request's signature and keeps each event
// by id, counting copies.
type hookReceiver struct {
	t        *testing.T
	mu       sync.Mutex
	secret   automation.Secret
	downFor  int
	requests int
	bodies   map[string]string // event id -> body
	copies   map[string]int
	events   []automation.CloudEvent
}

func (h *hookReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	h.mu.Lock()
	defer h.mu.Unlock()
	h.requests++
	if h.requests <= h.downFor {
		w.Header().Set("Retry-After", "1")
		http.Error(w, "down for maintenance", http.StatusServiceUnavailable)
		return
	}
	if err := automation.Verify(h.secret, r.Header, body, time.Now()); err != nil {
		h.t.Errorf("webhook signature: %v", err)
		http.Error(w, err.Error(), http.StatusUnauthorized)
		return
	}
	var ev automation.CloudEvent
	if err := json.Unmarshal(body, &ev); err != nil {
		h.t.Errorf("webhook body: %v", err)
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	if id := r.Header.Get("webhook-id"); id != ev.ID {
		h.t.Errorf("webhook-id %q is not the event id %q", id, ev.ID)
	}
	if prev, seen := h.bodies[ev.ID]; seen && prev != string(body) {
		h.t.Errorf("event %s arrived twice with different bodies", ev.ID)
	}
	if h.copies[ev.ID] == 0 {
		h.events = append(h.events, ev)
	}
	h.bodies[ev.ID] = string(body)
	h.copies[ev.ID]++
	w.WriteHeader(http.StatusNoContent)
}

// distinct counts the distinct events of a type about a lead.
func (h *hookReceiver) distinct(typ, lead string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := 0
	for _, e := range h.events {
		if e.Type == automation.EventTypePrefix+typ && e.Subject == lead {
			n++
		}
	}
	return n
}

// firstOwner is the owner of the first lead.assigned event of a lead.
func (h *hookReceiver) firstOwner(lead string) string {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, e := range h.events {
		if e.Type == automation.EventTypePrefix+"lead.assigned" && e.Subject == lead {
			var d struct {
				Owner string `json:"owner"`
				Rule  string `json:"rule"`
			}
			_ = json.Unmarshal(e.Data, &d)
			if d.Owner != "" && (d.Rule == "vip" || d.Rule == "sdr") {
				return d.Owner
			}
		}
	}
	return ""
}

func (h *hookReceiver) received() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.events)
}

// TestAutomationWebhooks is the proof of the automation issue against the
// real binary: leads crossing the threshold are qualified once each,
// routed per the routing file, and announced to a receiver that is down at
// first; follow-up deadlines breach through the due loop; the server is
// restarted in the middle; in the end every delivery is delivered, each
// event arrived with a valid signature, and copies of an event (at least
// once) carry the same id and body.
func TestAutomationWebhooks(t *testing.T) {
	testAutomationWebhooks(t, "--data-dir", filepath.Join(t.TempDir(), "data"))
}

// TestAutomationWebhooksPostgres is the same on PostgreSQL, in a fresh
// schema, when a server is configured.
func TestAutomationWebhooksPostgres(t *testing.T) {
	base := os.Getenv("LEADSCORE_TEST_POSTGRES_URL")
	if base == "" {
		t.Skip("LEADSCORE_TEST_POSTGRES_URL is not set")
	}
	testAutomationWebhooks(t, "--db", freshSchema(t, base))
}

func testAutomationWebhooks(t *testing.T, storage ...string) {
	dir := t.TempDir()
	model := writeFile(t, dir, "simple.yaml", simpleModel)
	routing := writeFile(t, dir, "routing.yaml", e2eRouting)
	broken := writeFile(t, dir, "broken.yaml", strings.Replace(e2eRouting, "{team: sdr}}", "{team: sdrr}}", 1))

	recv := &hookReceiver{t: t, downFor: 5, bodies: map[string]string{}, copies: map[string]int{}}
	hooks := httptest.NewServer(recv)
	defer hooks.Close()

	args := append(storage, "--addr", "127.0.0.1:0", "--model", model, "--due-interval", "1s",
		"--webhook-retry-base", "1s", "--public-url", "https://leadscore.test")
	srv := startServer(t, nil, args...)
	as := []string{"--server", srv.URL, "--key", srv.AdminKey}

	// A bad routing file is refused with its position, and nothing is active.
	out, _, err := run(t, append([]string{"routing", "upload", broken}, as...)...)
	if exitCode(err) != 1 || !strings.Contains(out, "broken.yaml:") || !strings.Contains(out, `"sdrr"`) {
		t.Fatalf("uploading a broken routing file: exit %d\n%s", exitCode(err), out)
	}
	if _, err := srv.client().ActiveRouting(t.Context()); leadscore.CodeOf(err) != leadscore.CodeNotFound {
		t.Fatalf("a refused routing file became active: %v", err)
	}
	if out, errOut, err := run(t, append([]string{"routing", "upload", routing}, as...)...); err != nil {
		t.Fatalf("routing upload: %v\n%s%s", err, out, errOut)
	}
	// A bad webhook URL is refused with what to fix.
	_, errOut, err := run(t, append([]string{"webhooks", "add", "crm.example.com/hooks"}, as...)...)
	if exitCode(err) != 2 || !strings.Contains(errOut, "not absolute") {
		t.Fatalf("adding a relative webhook URL: exit %d\n%s", exitCode(err), errOut)
	}
	secret, errOut, err := run(t, append([]string{"webhooks", "add", hooks.URL + "/hooks/leadscore",
		"--type", "lead.qualified", "--type", "lead.assigned", "--type", "sla.breached"}, as...)...)
	if err != nil {
		t.Fatalf("webhooks add: %v\n%s", err, errOut)
	}
	recv.mu.Lock()
	recv.secret, err = automation.ParseSecret(strings.TrimSpace(secret))
	recv.mu.Unlock()
	if err != nil {
		t.Fatalf("the secret printed by webhooks add: %v", err)
	}

	c := srv.client()
	leads := []leadscore.Lead{{ID: "l1", Title: "VP"}, {ID: "l2", Title: "Engineer"}, {ID: "l3", Title: "Analyst"}, {ID: "l4", Title: "Manager"}}
	if _, err := c.UpsertLeads(t.Context(), leads); err != nil {
		t.Fatal(err)
	}
	var evs []client.Event
	for _, l := range leads {
		for i := range 2 {
			evs = append(evs, client.Event{LeadID: l.ID, Type: "demo.requested", MessageID: fmt.Sprintf("%s-demo-%d", l.ID, i)})
		}
	}
	if _, err := c.SendEvents(t.Context(), evs); err != nil {
		t.Fatal(err)
	}

	// The receiver is down for its first requests; once something got
	// through, the server restarts while deliveries are still retried.
	eventually(t, "a first webhook delivered after the receiver came up", func() bool { return recv.received() > 0 })
	if err := srv.stop(); err != nil {
		t.Fatalf("stop: %v\n%s", err, srv.logs())
	}
	srv2 := startServer(t, srv, args...)
	c = srv2.client()

	for _, l := range leads {
		eventually(t, l.ID+" qualified and assigned", func() bool {
			return recv.distinct("lead.qualified", l.ID) == 1 && recv.firstOwner(l.ID) != ""
		})
	}
	// The SLA deadlines pass and the due loop breaches them.
	for _, id := range []string{"l2", "l3", "l4"} {
		eventually(t, id+"'s follow-up deadline breached", func() bool { return recv.distinct("sla.breached", id) >= 1 })
	}
	owners := map[string]string{}
	for _, l := range leads {
		owners[l.ID] = recv.firstOwner(l.ID)
	}
	// chloe by the vip rule; anna has room for one, so ben takes the rest.
	want := map[string]string{"l1": "chloe", "l2": "anna", "l3": "ben", "l4": "ben"}
	for id, o := range want {
		if owners[id] != o {
			t.Errorf("%s was first assigned to %q, want %q (per the routing file)", id, owners[id], o)
		}
	}
	if n := recv.distinct("sla.breached", "l1"); n != 0 {
		t.Errorf("l1's route has no deadline, yet %d breaches arrived", n)
	}
	for _, l := range leads {
		if n := recv.distinct("lead.qualified", l.ID); n != 1 {
			t.Errorf("%s: %d distinct lead.qualified events, want exactly 1", l.ID, n)
		}
	}

	// Nothing lost: every delivery the server has is delivered, and the
	// receiver has each of their events.
	eventually(t, "every delivery delivered", func() bool {
		ds, _, err := c.Deliveries(t.Context(), leadscore.DeliveryFilter{Limit: 500})
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range ds {
			if d.State != leadscore.DeliveryDelivered {
				return false
			}
		}
		return len(ds) > 0
	})
	ds, _, err := c.Deliveries(t.Context(), leadscore.DeliveryFilter{Limit: 500})
	if err != nil {
		t.Fatal(err)
	}
	retried := 0
	recv.mu.Lock()
	for _, d := range ds {
		if recv.copies[d.EventID] == 0 {
			t.Errorf("delivery %s (%s) is delivered but its event never arrived", d.ID, d.Type)
		}
		if d.Attempts > 1 {
			retried++
		}
	}
	recv.mu.Unlock()
	if retried == 0 {
		t.Errorf("no delivery needed a retry although the receiver was down for its first %d requests", recv.downFor)
	}
	// A delivery's attempts are listed, the failed ones with the answer.
	for _, d := range ds {
		if d.Attempts < 2 {
			continue
		}
		full, err := c.GetDelivery(t.Context(), d.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(full.AttemptDetail) < 2 || full.AttemptDetail[0].Status != http.StatusServiceUnavailable {
			t.Errorf("attempts of %s: %+v", d.ID, full.AttemptDetail)
		}
		break
	}

	// Replay through the CLI: the same event id arrives again.
	recv.mu.Lock()
	before := recv.copies[ds[0].EventID]
	recv.mu.Unlock()
	if out, errOut, err := run(t, "webhooks", "replay", ds[0].ID, "--server", srv2.URL, "--key", srv2.AdminKey); err != nil {
		t.Fatalf("webhooks replay: %v\n%s%s", err, out, errOut)
	}
	eventually(t, "the replayed event", func() bool {
		recv.mu.Lock()
		defer recv.mu.Unlock()
		return recv.copies[ds[0].EventID] > before
	})

	// Sales moves l1 on; the timeline shows it.
	as2 := []string{"--server", srv2.URL, "--key", srv2.AdminKey}
	if out, errOut, err := run(t, append([]string{"leads", "stage", "l1", "opportunity", "--reason", "demo booked"}, as2...)...); err != nil ||
		!strings.Contains(out, "l1: opportunity, owner chloe") {
		t.Fatalf("leads stage: %v\n%s%s", err, out, errOut)
	}
	_, errOut, err = run(t, append([]string{"leads", "stage", "l1", "sql"}, as2...)...)
	if exitCode(err) != 1 || !strings.Contains(errOut, "stages move forward") {
		t.Errorf("moving l1 back: exit %d\n%s", exitCode(err), errOut)
	}
	out, _, err = run(t, append([]string{"leads", "timeline", "l1"}, as2...)...)
	if err != nil || !strings.Contains(out, "lead.qualified") || !strings.Contains(out, "lead.stage_changed") {
		t.Errorf("timeline: %v\n%s", err, out)
	}
	// Stages and outcomes from a CRM export: good rows are applied, a bad
	// one is reported with its line.
	csvFile := writeFile(t, dir, "crm.csv", "Record ID,Lifecycle Stage,Outcome,Amount,Close Date\n"+
		"l2,Sales Qualified Lead,,,\n"+
		"nobody,opportunity,,,\n"+
		"l3,customer,won,1200,2026-11-20\n")
	out, errOut, err = run(t, append([]string{"leads", "import", csvFile}, as2...)...)
	if exitCode(err) != 1 || !strings.Contains(out, "3 rows: 0 owners assigned, 2 stages set, 1 outcomes recorded, 1 rows failed") ||
		!strings.Contains(errOut, "crm.csv:3: nobody") {
		t.Errorf("leads import: exit %d\n%s%s", exitCode(err), out, errOut)
	}
	if v, err := c.LeadAutomation(t.Context(), "l3"); err != nil || v.Stage != "customer" || v.Outcome == nil || *v.Outcome.Value != 1200 {
		t.Errorf("l3 after the import: %+v %v", v, err)
	}
	out, _, err = run(t, append([]string{"routing", "owners"}, as2...)...)
	if err != nil || !strings.Contains(out, "chloe") {
		t.Errorf("routing owners: %v\n%s", err, out)
	}
}
