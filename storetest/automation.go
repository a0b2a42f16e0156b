package storetest

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/leadscore/leadscore"
)

// What automation stores (leadscore.AutomationTx): lead states with their
// indexed columns, routing files and turns, history, outcomes, webhooks and
// the outbox.

func automationTests() []struct {
	name string
	fn   func(t *testing.T, s leadscore.Store)
} {
	return []struct {
		name string
		fn   func(t *testing.T, s leadscore.Store)
	}{
		{"AutomationStates", testAutomationStates},
		{"AutomationRouting", testAutomationRouting},
		{"AutomationHistory", testAutomationHistory},
		{"AutomationOutcomes", testAutomationOutcomes},
		{"AutomationWebhooks", testAutomationWebhooks},
		{"AutomationOutbox", testAutomationOutbox},
		{"AutomationRefusals", testAutomationRefusals},
		{"AutomationOwnerListing", testAutomationOwnerListing},
	}
}

// testAutomationOwnerListing: listing by owner finds the leads automation
// assigned to that owner, and the owner a lead's custom field names when
// nobody was assigned; an assignment wins over the custom field.
func testAutomationOwnerListing(t *testing.T, s leadscore.Store) {
	ws := s.Workspace(leadscore.DefaultWorkspace)
	autoReader(t, ws)
	write(t, ws, func(ctx context.Context, tx leadscore.Tx) error {
		for _, l := range []*leadscore.Lead{
			{ID: "assigned"},
			{ID: "crm", Fields: map[string]any{"owner": "anna"}},
			{ID: "reassigned", Fields: map[string]any{"owner": "anna"}},
			{ID: "nobody"},
		} {
			if err := tx.UpsertLead(ctx, l); err != nil {
				return err
			}
		}
		return nil
	})
	autoWrite(t, ws, func(ctx context.Context, tx leadscore.AutomationTx) error {
		return tx.PutLeadAutomations(ctx, []*leadscore.LeadAutomation{
			state("assigned", "", "marketingqualifiedlead", "anna", true, time.Time{}),
			state("reassigned", "", "marketingqualifiedlead", "ben", true, time.Time{}),
			state("nobody", "", "lead", "", false, time.Time{}),
		})
	})
	for owner, want := range map[string][]string{"anna": {"assigned", "crm"}, "ben": {"reassigned"}} {
		rows, _, err := ws.ListLeads(t.Context(), leadscore.LeadFilter{Owner: owner, Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, r := range rows {
			got = append(got, r.Lead.ID)
		}
		slices.Sort(got)
		same(t, "leads of "+owner, got, want)
	}
}

// autoWrite runs fn with the automation form of the transaction, skipping
// the test for a store without one.
func autoWrite(t *testing.T, ws leadscore.WorkspaceStore, fn func(ctx context.Context, tx leadscore.AutomationTx) error) {
	t.Helper()
	write(t, ws, func(ctx context.Context, tx leadscore.Tx) error {
		at, ok := tx.(leadscore.AutomationTx)
		if !ok {
			t.Skip("the store's transactions do not implement leadscore.AutomationTx")
		}
		return fn(ctx, at)
	})
}

func autoReader(t *testing.T, ws leadscore.WorkspaceStore) leadscore.AutomationReader {
	t.Helper()
	r, ok := ws.(leadscore.AutomationReader)
	if !ok {
		t.Skip("the store's workspaces do not implement leadscore.AutomationReader")
	}
	return r
}

func state(lead, account, stage, owner string, open bool, due time.Time) *leadscore.LeadAutomation {
	return &leadscore.LeadAutomation{LeadID: lead, AccountID: account, Stage: stage, Owner: owner, OpenMQL: open,
		SLADue: due, State: json.RawMessage(fmt.Sprintf(`{"lead_id":%q,"stage":%q}`, lead, stage))}
}

func testAutomationStates(t *testing.T, s leadscore.Store) {
	ws := s.Workspace(leadscore.DefaultWorkspace)
	r := autoReader(t, ws)
	ctx := t.Context()
	autoWrite(t, ws, func(ctx context.Context, tx leadscore.AutomationTx) error {
		return tx.PutLeadAutomations(ctx, []*leadscore.LeadAutomation{
			state("a", "acme.com", "marketingqualifiedlead", "anna", true, at(2*hour)),
			state("b", "acme.com", "marketingqualifiedlead", "ben", true, at(hour)),
			state("c", "", "lead", "", false, time.Time{}),
			state("d", "acme.com", "salesqualifiedlead", "anna", false, time.Time{}),
		})
	})
	got := must[map[string]*leadscore.LeadAutomation](t, "LeadAutomations")(r.LeadAutomations(ctx, []string{"a", "c", "zz", "a"}))
	if len(got) != 2 || got["a"] == nil || got["c"] == nil {
		t.Fatalf("LeadAutomations(a, c, zz) = %v, want a and c", got)
	}
	same(t, "a", []any{got["a"].Stage, got["a"].Owner, got["a"].OpenMQL, got["a"].SLADue.Equal(at(2 * hour))},
		[]any{"marketingqualifiedlead", "anna", true, true})
	same(t, "a's state", string(got["a"].State), `{"lead_id":"a","stage":"marketingqualifiedlead"}`)
	same(t, "c has no deadline", got["c"].SLADue.IsZero(), true)

	same(t, "OwnerLoads", must[map[string]int](t, "OwnerLoads")(r.OwnerLoads(ctx)), map[string]int{"anna": 1, "ben": 1})
	same(t, "SLADueLeads", must[[]string](t, "SLADueLeads")(r.SLADueLeads(ctx, at(3*hour), 10)), []string{"b", "a"})
	same(t, "SLADueLeads before any", len(must[[]string](t, "SLADueLeads")(r.SLADueLeads(ctx, at(0), 10))), 0)
	same(t, "SLADueLeads limit", must[[]string](t, "SLADueLeads")(r.SLADueLeads(ctx, at(3*hour), 1)), []string{"b"})

	// The latest state replaces the stored one: the deadline stops, the
	// owner's load drops.
	autoWrite(t, ws, func(ctx context.Context, tx leadscore.AutomationTx) error {
		return tx.PutLeadAutomations(ctx, []*leadscore.LeadAutomation{
			state("b", "acme.com", "marketingqualifiedlead", "ben", true, at(hour)),
			state("b", "acme.com", "salesqualifiedlead", "ben", false, time.Time{}),
		})
	})
	same(t, "OwnerLoads after", must[map[string]int](t, "OwnerLoads")(r.OwnerLoads(ctx)), map[string]int{"anna": 1})
	same(t, "SLADueLeads after", must[[]string](t, "SLADueLeads")(r.SLADueLeads(ctx, at(3*hour), 10)), []string{"a"})
	// b was updated last, so its owner is the account's.
	same(t, "AccountOwner", must[string](t, "AccountOwner")(r.AccountOwner(ctx, "acme.com", "a")), "ben")
	same(t, "AccountOwner except b", must[string](t, "AccountOwner")(r.AccountOwner(ctx, "acme.com", "b")), "anna")
	same(t, "AccountOwner unknown", must[string](t, "AccountOwner")(r.AccountOwner(ctx, "nowhere.org", "")), "")
}

func testAutomationRouting(t *testing.T, s leadscore.Store) {
	ws := s.Workspace(leadscore.DefaultWorkspace)
	r := autoReader(t, ws)
	ctx := t.Context()
	_, err := r.ActiveRoutingFile(ctx)
	wantCode(t, "ActiveRoutingFile before any", err, leadscore.CodeNotFound)
	same(t, "cursors before any", len(must[map[string]string](t, "RoutingCursors")(r.RoutingCursors(ctx))), 0)

	autoWrite(t, ws, func(ctx context.Context, tx leadscore.AutomationTx) error {
		if err := tx.PutRoutingFile(ctx, &leadscore.RoutingFile{Version: "v1", Name: "sales", Source: "owners: [a]", CreatedBy: "admin"}); err != nil {
			return err
		}
		return tx.PutRoutingCursors(ctx, map[string]string{"emea": "anna", "us": "sam"})
	})
	autoWrite(t, ws, func(ctx context.Context, tx leadscore.AutomationTx) error {
		if err := tx.PutRoutingFile(ctx, &leadscore.RoutingFile{Version: "v2", Source: "owners: [b]"}); err != nil {
			return err
		}
		return tx.PutRoutingCursors(ctx, map[string]string{"emea": "ben"})
	})
	f := must[*leadscore.RoutingFile](t, "ActiveRoutingFile")(r.ActiveRoutingFile(ctx))
	same(t, "active version", []any{f.Version, f.Source, f.Active}, []any{"v2", "owners: [b]", true})
	same(t, "cursors", must[map[string]string](t, "RoutingCursors")(r.RoutingCursors(ctx)), map[string]string{"emea": "ben", "us": "sam"})
	// Uploading a known version again re-activates it.
	autoWrite(t, ws, func(ctx context.Context, tx leadscore.AutomationTx) error {
		return tx.PutRoutingFile(ctx, &leadscore.RoutingFile{Version: "v1", Source: "owners: [a]"})
	})
	f = must[*leadscore.RoutingFile](t, "ActiveRoutingFile")(r.ActiveRoutingFile(ctx))
	same(t, "re-activated", []any{f.Version, f.Name, f.CreatedBy}, []any{"v1", "sales", "admin"})
}

func testAutomationHistory(t *testing.T, s leadscore.Store) {
	ws := s.Workspace(leadscore.DefaultWorkspace)
	r := autoReader(t, ws)
	ctx := t.Context()
	entries := []*leadscore.HistoryEntry{
		{LeadID: "a", Kind: "lead.qualified", At: at(0), EventID: "evt_1", Data: json.RawMessage(`{"kind":"lead.qualified"}`)},
		{LeadID: "b", Kind: "sla.breached", At: at(hour), Owner: "ben", EventID: "evt_2", Data: json.RawMessage(`{}`)},
		{LeadID: "a", Kind: "lead.assigned", At: at(0), Owner: "anna", EventID: "evt_3", Data: json.RawMessage(`{"to":"anna"}`)},
		{LeadID: "a", Kind: "sla.breached", At: at(2 * hour), Owner: "anna", EventID: "evt_4", Data: json.RawMessage(`{}`)},
		{LeadID: "c", Kind: "sla.breached", At: at(2 * hour), Owner: "ben", EventID: "evt_5", Data: json.RawMessage(`{}`)},
	}
	autoWrite(t, ws, func(ctx context.Context, tx leadscore.AutomationTx) error { return tx.AppendHistory(ctx, entries) })
	for i := 1; i < len(entries); i++ {
		if entries[i].Seq <= entries[i-1].Seq {
			t.Fatalf("seqs do not increase in order: %d then %d", entries[i-1].Seq, entries[i].Seq)
		}
	}
	h := must[[]leadscore.HistoryEntry](t, "History")(r.History(ctx, "a", 0, 0))
	var kinds []string
	for _, e := range h {
		kinds = append(kinds, e.Kind)
	}
	same(t, "a's history", kinds, []string{"lead.qualified", "lead.assigned", "sla.breached"})
	same(t, "data kept", string(h[1].Data), `{"to":"anna"}`)
	same(t, "after", len(must[[]leadscore.HistoryEntry](t, "History")(r.History(ctx, "a", h[0].Seq, 1))), 1)
	tail, total, err := r.HistoryTail(ctx, "a", 2)
	if err != nil {
		t.Fatal(err)
	}
	same(t, "the last two of a's history, oldest first", tail, h[1:])
	same(t, "a's history in all", total, 3)
	same(t, "OwnerBreaches", must[map[string]int](t, "OwnerBreaches")(r.OwnerBreaches(ctx)), map[string]int{"anna": 1, "ben": 2})
}

func testAutomationOutcomes(t *testing.T, s leadscore.Store) {
	ws := s.Workspace(leadscore.DefaultWorkspace)
	r := autoReader(t, ws)
	ctx := t.Context()
	_, err := r.Outcome(ctx, "a")
	wantCode(t, "Outcome before any", err, leadscore.CodeNotFound)
	autoWrite(t, ws, func(ctx context.Context, tx leadscore.AutomationTx) error {
		return tx.PutOutcome(ctx, &leadscore.Outcome{LeadID: "a", Result: leadscore.OutcomeLost, At: at(0), Reason: "budget"})
	})
	autoWrite(t, ws, func(ctx context.Context, tx leadscore.AutomationTx) error {
		return tx.PutOutcome(ctx, &leadscore.Outcome{LeadID: "a", Result: leadscore.OutcomeWon, Value: ptr(1200.5), Currency: "EUR", At: at(day), By: "ben"})
	})
	o := must[*leadscore.Outcome](t, "Outcome")(r.Outcome(ctx, "a"))
	same(t, "outcome replaced", []any{o.Result, *o.Value, o.Currency, o.At.Equal(at(day)), o.By, o.Reason},
		[]any{leadscore.OutcomeWon, 1200.5, "EUR", true, "ben", ""})
	autoWrite(t, ws, func(ctx context.Context, tx leadscore.AutomationTx) error {
		return tx.PutOutcome(ctx, &leadscore.Outcome{LeadID: "b", Result: leadscore.OutcomeLost, At: at(hour)})
	})
	many := must[map[string]*leadscore.Outcome](t, "OutcomesOf")(r.OutcomesOf(ctx, []string{"a", "b", "none", "a"}))
	if len(many) != 2 || many["a"] == nil || many["b"] == nil {
		t.Fatalf("OutcomesOf = %v, want a and b", many)
	}
	same(t, "OutcomesOf agrees with Outcome", *many["a"], *o)
	same(t, "b's outcome", []any{many["b"].Result, many["b"].Value == nil}, []any{leadscore.OutcomeLost, true})
}

func testAutomationWebhooks(t *testing.T, s leadscore.Store) {
	ws := s.Workspace(leadscore.DefaultWorkspace)
	r := autoReader(t, ws)
	ctx := t.Context()
	autoWrite(t, ws, func(ctx context.Context, tx leadscore.AutomationTx) error {
		if err := tx.PutWebhook(ctx, &leadscore.Webhook{ID: "wh_1", URL: "https://a.example/hook", Types: []string{"lead.*"},
			Models: []string{"b2b"}, MinScoreDelta: 5, Secret: "whsec_x"}); err != nil {
			return err
		}
		return tx.PutWebhook(ctx, &leadscore.Webhook{ID: "wh_2", URL: "https://b.example/hook", Secret: "whsec_y"})
	})
	all := must[[]leadscore.Webhook](t, "Webhooks")(r.Webhooks(ctx))
	if len(all) != 2 {
		t.Fatalf("Webhooks = %d, want 2", len(all))
	}
	same(t, "first", []any{all[0].ID, all[0].URL, all[0].Types, all[0].Models, all[0].MinScoreDelta, all[0].Secret, all[0].Disabled},
		[]any{"wh_1", "https://a.example/hook", []string{"lead.*"}, []string{"b2b"}, 5.0, "whsec_x", false})
	same(t, "second has no filters", []any{all[1].Types == nil, all[1].Models == nil}, []any{true, true})

	w := all[1]
	w.Disabled, w.DisabledAt, w.DisabledReason = true, at(0), "the receiver answered 410 Gone"
	autoWrite(t, ws, func(ctx context.Context, tx leadscore.AutomationTx) error { return tx.PutWebhook(ctx, &w) })
	got := must[*leadscore.Webhook](t, "Webhook")(r.Webhook(ctx, "wh_2"))
	same(t, "disabled", []any{got.Disabled, got.DisabledAt.Equal(at(0)), got.DisabledReason, got.CreatedAt.Equal(all[1].CreatedAt)},
		[]any{true, true, "the receiver answered 410 Gone", true})

	autoWrite(t, ws, func(ctx context.Context, tx leadscore.AutomationTx) error { return tx.DeleteWebhook(ctx, "wh_1") })
	_, err := r.Webhook(ctx, "wh_1")
	wantCode(t, "deleted webhook", err, leadscore.CodeNotFound)
	err = ws.Write(ctx, func(tx leadscore.Tx) error { return tx.(leadscore.AutomationTx).DeleteWebhook(ctx, "wh_1") })
	wantCode(t, "deleting twice", err, leadscore.CodeNotFound)
}

func testAutomationOutbox(t *testing.T, s leadscore.Store) {
	ws := s.Workspace(leadscore.DefaultWorkspace)
	r := autoReader(t, ws)
	ctx := t.Context()
	body := `{"specversion":"1.0", "id":"evt_1","data":{"b":1,"a":2}}`
	mk := func(id, hook, evt string, created time.Time) *leadscore.Delivery {
		return &leadscore.Delivery{ID: id, WebhookID: hook, EventID: evt, Type: "com.leadscore.lead.qualified", LeadID: "a",
			Body: json.RawMessage(body), CreatedAt: created}
	}
	autoWrite(t, ws, func(ctx context.Context, tx leadscore.AutomationTx) error {
		return tx.EnqueueDeliveries(ctx, []*leadscore.Delivery{mk("d1", "wh_1", "evt_1", at(0)), mk("d2", "wh_1", "evt_2", at(hour)),
			mk("d3", "wh_2", "evt_1", at(2*hour)), mk("d1", "wh_1", "evt_1", at(0))})
	})
	// Enqueuing a known delivery again changes nothing.
	autoWrite(t, ws, func(ctx context.Context, tx leadscore.AutomationTx) error {
		d := mk("d1", "wh_1", "evt_1", at(5*hour))
		d.Body = json.RawMessage(`{}`)
		return tx.EnqueueDeliveries(ctx, []*leadscore.Delivery{d})
	})
	d1 := must[*leadscore.Delivery](t, "Delivery")(r.Delivery(ctx, "d1"))
	same(t, "body kept byte for byte", string(d1.Body), body)
	same(t, "d1", []any{d1.State, d1.NextAttempt.Equal(at(0)), d1.Attempts}, []any{leadscore.DeliveryPending, true, 0})

	due := must[[]leadscore.Delivery](t, "DueDeliveries")(r.DueDeliveries(ctx, at(90*time.Minute), 10))
	same(t, "due", len(due), 2)
	if len(due) == 2 {
		same(t, "due order", []string{due[0].ID, due[1].ID}, []string{"d1", "d2"})
	}

	d1.State, d1.Attempts, d1.FirstAttempt, d1.NextAttempt, d1.LastStatus, d1.LastError = leadscore.DeliveryPending, 1, at(0), at(3*hour), 503, "the receiver answered 503"
	autoWrite(t, ws, func(ctx context.Context, tx leadscore.AutomationTx) error {
		if err := tx.UpdateDelivery(ctx, d1); err != nil {
			return err
		}
		for _, a := range []*leadscore.DeliveryAttempt{
			{DeliveryID: "d1", N: 1, At: at(0), Outcome: "retry", Status: 503, Error: "the receiver answered 503", DurationMS: 12},
			{DeliveryID: "d1", N: 1, At: at(hour), Outcome: "delivered"},
		} {
			if err := tx.AddDeliveryAttempt(ctx, a); err != nil {
				return err
			}
		}
		return nil
	})
	due = must[[]leadscore.Delivery](t, "DueDeliveries")(r.DueDeliveries(ctx, at(90*time.Minute), 10))
	same(t, "due after a retry is scheduled", len(due), 1)
	atts := must[[]leadscore.DeliveryAttempt](t, "DeliveryAttempts")(r.DeliveryAttempts(ctx, "d1"))
	if len(atts) != 1 {
		t.Fatalf("attempts = %d, want 1 (the first of number 1 kept)", len(atts))
	}
	same(t, "attempt", []any{atts[0].Outcome, atts[0].Status, atts[0].DurationMS}, []any{"retry", 503, int64(12)})

	// Listing: newest first, filtered, in pages.
	var seen []string
	f := leadscore.DeliveryFilter{Limit: 2}
	for {
		page, next := must2[[]leadscore.Delivery, string](t, "Deliveries")(r.Deliveries(ctx, f))
		for _, d := range page {
			seen = append(seen, d.ID)
		}
		if next == "" {
			break
		}
		f.After = next
	}
	same(t, "all deliveries", seen, []string{"d3", "d2", "d1"})
	page, _ := must2[[]leadscore.Delivery, string](t, "Deliveries")(r.Deliveries(ctx, leadscore.DeliveryFilter{WebhookID: "wh_2"}))
	same(t, "by webhook", len(page), 1)
	_, _, err := r.Deliveries(ctx, leadscore.DeliveryFilter{After: "nonsense"})
	wantCode(t, "bad cursor", err, leadscore.CodeInvalid)

	// Deleting a webhook cancels what it still had pending.
	autoWrite(t, ws, func(ctx context.Context, tx leadscore.AutomationTx) error {
		if err := tx.PutWebhook(ctx, &leadscore.Webhook{ID: "wh_2", URL: "https://b.example", Secret: "whsec_y"}); err != nil {
			return err
		}
		return tx.DeleteWebhook(ctx, "wh_2")
	})
	same(t, "cancelled", must[*leadscore.Delivery](t, "Delivery")(r.Delivery(ctx, "d3")).State, leadscore.DeliveryCancelled)
	_, err = r.Delivery(ctx, "nope")
	wantCode(t, "unknown delivery", err, leadscore.CodeNotFound)
}

func must2[A, B any](t *testing.T, what string) func(A, B, error) (A, B) {
	return func(a A, b B, err error) (A, B) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		return a, b
	}
}

// testAutomationRefusals: bad rows are refused before anything is written,
// and the transaction stays usable.
func testAutomationRefusals(t *testing.T, s leadscore.Store) {
	ws := s.Workspace(leadscore.DefaultWorkspace)
	r := autoReader(t, ws)
	ctx := t.Context()
	autoWrite(t, ws, func(ctx context.Context, tx leadscore.AutomationTx) error {
		err := tx.PutLeadAutomations(ctx, []*leadscore.LeadAutomation{state("ok", "", "lead", "", false, time.Time{}),
			{LeadID: "bad", Stage: "lead", State: json.RawMessage(`{`)}})
		wantCode(t, "state that is not JSON", err, leadscore.CodeInvalid)
		err = tx.AppendHistory(ctx, []*leadscore.HistoryEntry{{LeadID: "x", Kind: "", Data: json.RawMessage(`{}`)}})
		wantCode(t, "history without kind", err, leadscore.CodeInvalid)
		err = tx.EnqueueDeliveries(ctx, []*leadscore.Delivery{{ID: "d", WebhookID: "w", EventID: "e\x00"}})
		wantCode(t, "delivery with NUL", err, leadscore.CodeInvalid)
		return tx.PutLeadAutomations(ctx, []*leadscore.LeadAutomation{state("ok", "", "lead", "", false, time.Time{})})
	})
	got := must[map[string]*leadscore.LeadAutomation](t, "LeadAutomations")(r.LeadAutomations(ctx, []string{"ok", "bad"}))
	same(t, "only the good state", len(got), 1)
}
