// Package storetest is the conformance suite for leadscore.Store. Every
// implementation (sqlstore on SQLite and on PostgreSQL) runs it, so that
// they all behave the same down to ordering, not_found and deduplication.
package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/leadscore/leadscore"
)

// Run runs the suite. open is called once per subtest, possibly in
// parallel, and must return a new, empty store that it closes with
// t.Cleanup. The store's clock (the time it stamps on rows) must advance
// on every reading, as Clock's does: the suite checks this rather than
// depending on how fast the machine is.
func Run(t *testing.T, open func(t *testing.T) leadscore.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s leadscore.Store)
	}{
		{"Leads", testLeads},
		{"NotFound", testNotFound},
		{"Aliases", testAliases},
		{"Accounts", testAccounts},
		{"Events", testEvents},
		{"EventDedup", testEventDedup},
		{"Peers", testPeers},
		{"MoveEvents", testMoveEvents},
		{"DeleteLead", testDeleteLead},
		{"Scores", testScores},
		{"DueLeads", testDueLeads},
		{"DueLeadsManyModels", testDueLeadsManyModels},
		{"Ledger", testLedger},
		{"ListLeadsByScore", testListLeadsByScore},
		{"ListLeadsByUpdated", testListLeadsByUpdated},
		{"ListLeadsInvalid", testListLeadsInvalid},
		{"LeadIDs", testLeadIDs},
		{"LeadKeysByAccount", testLeadKeysByAccount},
		{"Models", testModels},
		{"APIKeys", testAPIKeys},
		{"Jobs", testJobs},
		{"AccountLists", testAccountLists},
		{"Rollback", testRollback},
		{"ReadYourWrites", testReadYourWrites},
		{"UsableAfterRefusal", testUsableAfterRefusal},
		{"Panic", testPanic},
		{"WorkspaceIsolation", testWorkspaceIsolation},
	}
	tests = append(tests, bulkTests()...)
	tests = append(tests, automationTests()...)
	tests = append(tests, usersTests()...)
	tests = append(tests, shadowTests()...)
	tests = append(tests, predictiveTests()...)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn(t, open(t))
		})
	}
}

// Clock returns a clock for stores under test: it starts at a fixed
// instant and advances one millisecond on every reading, so that rows
// written one after the other have distinct, ordered times.
func Clock() func() time.Time {
	var mu sync.Mutex
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	return func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		now = now.Add(time.Millisecond)
		return now
	}
}

// at is the suite's reference instant plus d. It carries microseconds, the
// precision every store must keep.
func at(d time.Duration) time.Time {
	return time.Date(2026, 3, 2, 9, 30, 0, 123456000, time.UTC).Add(d)
}

const (
	hour = time.Hour
	day  = 24 * time.Hour
)

func write(t *testing.T, ws leadscore.WorkspaceStore, fn func(ctx context.Context, tx leadscore.Tx) error) {
	t.Helper()
	ctx := t.Context()
	if err := ws.Write(ctx, func(tx leadscore.Tx) error { return fn(ctx, tx) }); err != nil {
		t.Fatalf("write: %v", err)
	}
}

func wantCode(t *testing.T, what string, err error, code leadscore.ErrorCode) {
	t.Helper()
	if got := leadscore.CodeOf(err); got != code {
		t.Errorf("%s: error %v has code %q, want %q", what, err, got, code)
	}
}

func must[T any](t *testing.T, what string) func(T, error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		return v
	}
}

func same(t *testing.T, what string, got, want any) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s:\n got  %+v\n want %+v", what, got, want)
	}
}

// sameJSON compares values by their JSON form, for nested documents whose
// Go form may differ in ways JSON does not (nil versus empty).
func sameJSON(t *testing.T, what string, got, want any) {
	t.Helper()
	g, err1 := json.Marshal(got)
	w, err2 := json.Marshal(want)
	if err1 != nil || err2 != nil {
		t.Fatalf("%s: marshal: %v %v", what, err1, err2)
	}
	if string(g) != string(w) {
		t.Errorf("%s:\n got  %s\n want %s", what, g, w)
	}
}

func ptr[T any](v T) *T { return &v }

func upsertLeads(t *testing.T, ws leadscore.WorkspaceStore, leads ...leadscore.Lead) {
	t.Helper()
	write(t, ws, func(ctx context.Context, tx leadscore.Tx) error {
		for i := range leads {
			if err := tx.UpsertLead(ctx, &leads[i]); err != nil {
				return err
			}
		}
		return nil
	})
}

func event(lead, msg, typ string, when time.Time) leadscore.StoredEvent {
	return leadscore.StoredEvent{
		Event:     leadscore.Event{ID: msg, LeadID: lead, Type: typ, At: when, Source: "web"},
		MessageID: msg, ReceivedAt: when.Add(time.Second),
	}
}

func insertEvents(t *testing.T, ws leadscore.WorkspaceStore, evs ...leadscore.StoredEvent) []leadscore.StoredEvent {
	t.Helper()
	write(t, ws, func(ctx context.Context, tx leadscore.Tx) error {
		for i := range evs {
			if _, err := tx.InsertEvent(ctx, &evs[i]); err != nil {
				return err
			}
		}
		return nil
	})
	return evs
}

func testLeads(t *testing.T, s leadscore.Store) {
	ctx := t.Context()
	ws := s.Workspace(leadscore.DefaultWorkspace)
	full := leadscore.Lead{
		ID: "u1", Email: "jo@acme.com", FirstName: "Jo", LastName: "Doe", Title: "VP Sales", Phone: "+1 555",
		Country: "US", State: "CA", City: "Oakland", Source: "webinar", AccountID: "acme.com", CreatedAt: at(-30 * day),
		Fields: map[string]any{"age": 41.0, "newsletter": true, "team": "growth", "tags": []any{"a", "b"}},
	}
	bare := leadscore.Lead{ID: "u2", CreatedAt: at(0)}
	upsertLeads(t, ws, full, bare)
	for _, want := range []leadscore.Lead{full, bare} {
		got := must[*leadscore.Lead](t, "Lead")(ws.Lead(ctx, want.ID))
		same(t, "lead "+want.ID, *got, want)
	}

	// An upsert replaces every attribute; a zero CreatedAt keeps the stored one.
	changed := leadscore.Lead{ID: "u1", Email: "jo@acme.com", Title: "CRO"}
	upsertLeads(t, ws, changed)
	got := must[*leadscore.Lead](t, "Lead")(ws.Lead(ctx, "u1"))
	want := changed
	want.CreatedAt = full.CreatedAt
	same(t, "replaced lead", *got, want)

	// A new lead without CreatedAt gets the time of the write, reported back.
	fresh := leadscore.Lead{ID: "u3"}
	write(t, ws, func(ctx context.Context, tx leadscore.Tx) error { return tx.UpsertLead(ctx, &fresh) })
	if fresh.CreatedAt.IsZero() {
		t.Fatal("UpsertLead left CreatedAt zero for a new lead")
	}
	got = must[*leadscore.Lead](t, "Lead")(ws.Lead(ctx, "u3"))
	same(t, "created at", got.CreatedAt, fresh.CreatedAt)

	var err error
	write(t, ws, func(ctx context.Context, tx leadscore.Tx) error {
		err = tx.UpsertLead(ctx, &leadscore.Lead{})
		return nil
	})
	wantCode(t, "lead without id", err, leadscore.CodeInvalid)
	same(t, "count", must[int64](t, "CountLeads")(ws.CountLeads(ctx)), int64(3))
}

func testNotFound(t *testing.T, s leadscore.Store) {
	ctx := t.Context()
	ws := s.Workspace(leadscore.DefaultWorkspace)
	upsertLeads(t, ws, leadscore.Lead{ID: "present", CreatedAt: at(0)})
	checks := []struct {
		name string
		call func(r leadscore.Reader) error
	}{
		{"Lead", func(r leadscore.Reader) error { _, err := r.Lead(ctx, "missing"); return err }},
		{"LeadByAlias", func(r leadscore.Reader) error { _, err := r.LeadByAlias(ctx, "missing"); return err }},
		{"Account", func(r leadscore.Reader) error { _, err := r.Account(ctx, "missing"); return err }},
		{"APIKeyByPrefix", func(r leadscore.Reader) error { _, err := r.APIKeyByPrefix(ctx, "missing"); return err }},
		{"Job", func(r leadscore.Reader) error { _, err := r.Job(ctx, "missing"); return err }},
	}
	for _, c := range checks {
		wantCode(t, c.name, c.call(ws), leadscore.CodeNotFound)
	}
	writes := []struct {
		name string
		call func(ctx context.Context, tx leadscore.Tx) error
	}{
		{"DeleteLead", func(ctx context.Context, tx leadscore.Tx) error { return tx.DeleteLead(ctx, "missing") }},
		{"ActivateModel", func(ctx context.Context, tx leadscore.Tx) error { return tx.ActivateModel(ctx, "m", "v9") }},
		{"RevokeAPIKey", func(ctx context.Context, tx leadscore.Tx) error { return tx.RevokeAPIKey(ctx, "missing", at(0)) }},
		{"TouchAPIKey", func(ctx context.Context, tx leadscore.Tx) error { return tx.TouchAPIKey(ctx, "missing", at(0)) }},
		{"AddToAccountList", func(ctx context.Context, tx leadscore.Tx) error {
			return tx.AddToAccountList(ctx, "missing", []string{"a.com"})
		}},
		{"RemoveFromAccountList", func(ctx context.Context, tx leadscore.Tx) error {
			return tx.RemoveFromAccountList(ctx, "missing", []string{"a.com"})
		}},
		{"DeleteAccountList", func(ctx context.Context, tx leadscore.Tx) error { return tx.DeleteAccountList(ctx, "missing") }},
	}
	for _, w := range writes {
		err := ws.Write(ctx, func(tx leadscore.Tx) error { return w.call(ctx, tx) })
		wantCode(t, w.name, err, leadscore.CodeNotFound)
	}
	// Inside the transaction too, and the error left the lead alone.
	write(t, ws, func(ctx context.Context, tx leadscore.Tx) error {
		for _, c := range checks {
			wantCode(t, "in tx: "+c.name, c.call(tx), leadscore.CodeNotFound)
		}
		return nil
	})
	must[*leadscore.Lead](t, "Lead")(ws.Lead(ctx, "present"))
	// Lists of something missing are empty, not errors.
	same(t, "events", len(must[[]leadscore.StoredEvent](t, "Events")(ws.Events(ctx, "missing", 0))), 0)
	same(t, "scores", len(must[[]leadscore.ScoreRecord](t, "Scores")(ws.Scores(ctx, "missing"))), 0)
	same(t, "ledger", len(must[[]leadscore.LedgerEntry](t, "Ledger")(ws.Ledger(ctx, "missing", "", 0, 0))), 0)
	same(t, "versions", len(must[[]leadscore.ModelVersion](t, "ModelVersions")(ws.ModelVersions(ctx, "missing"))), 0)
}

func testAliases(t *testing.T, s leadscore.Store) {
	ctx := t.Context()
	ws := s.Workspace(leadscore.DefaultWorkspace)
	upsertLeads(t, ws, leadscore.Lead{ID: "u1", CreatedAt: at(0)}, leadscore.Lead{ID: "u2", CreatedAt: at(0)})
	write(t, ws, func(ctx context.Context, tx leadscore.Tx) error {
		for _, a := range [][2]string{{"email:jo@acme.com", "u1"}, {"anon:abc", "u1"}, {"user:u2", "u2"}} {
			if err := tx.AddAlias(ctx, a[0], a[1]); err != nil {
				return err
			}
		}
		return nil
	})
	// Mapping an alias again moves it: an anonymous id follows its visitor.
	write(t, ws, func(ctx context.Context, tx leadscore.Tx) error { return tx.AddAlias(ctx, "anon:abc", "u2") })
	for alias, want := range map[string]string{"email:jo@acme.com": "u1", "anon:abc": "u2", "user:u2": "u2"} {
		same(t, "alias "+alias, must[string](t, "LeadByAlias")(ws.LeadByAlias(ctx, alias)), want)
	}
	_, err := ws.LeadByAlias(ctx, "u1")
	wantCode(t, "a lead id that was never added as an alias", err, leadscore.CodeNotFound)
}

func testAccounts(t *testing.T, s leadscore.Store) {
	ctx := t.Context()
	ws := s.Workspace(leadscore.DefaultWorkspace)
	accounts := []leadscore.Account{
		{ID: "acme.com", Domain: "acme.com", Name: "Acme", Industry: "Software", Country: "US",
			Employees: ptr(int64(1200)), Revenue: ptr(3.5e6), Priority: true, Lists: []string{"targets"},
			Fields: map[string]any{"tier": "gold"}},
		// Zero employees and revenue are facts, distinct from unknown.
		{ID: "zero.io", Employees: ptr(int64(0)), Revenue: ptr(0.0)},
		{ID: "unknown.io"},
	}
	write(t, ws, func(ctx context.Context, tx leadscore.Tx) error {
		for i := range accounts {
			if err := tx.UpsertAccount(ctx, &accounts[i]); err != nil {
				return err
			}
		}
		return nil
	})
	for _, want := range accounts {
		got := must[*leadscore.Account](t, "Account")(ws.Account(ctx, want.ID))
		same(t, "account "+want.ID, *got, want)
	}
	replaced := leadscore.Account{ID: "acme.com", Name: "Acme Inc"}
	write(t, ws, func(ctx context.Context, tx leadscore.Tx) error { return tx.UpsertAccount(ctx, &replaced) })
	same(t, "replaced account", *must[*leadscore.Account](t, "Account")(ws.Account(ctx, "acme.com")), replaced)

	upsertLeads(t, ws,
		leadscore.Lead{ID: "b", AccountID: "acme.com", CreatedAt: at(0)},
		leadscore.Lead{ID: "a", AccountID: "acme.com", CreatedAt: at(0)},
		leadscore.Lead{ID: "c", AccountID: "zero.io", CreatedAt: at(0)},
		leadscore.Lead{ID: "d", CreatedAt: at(0)})
	var ids []string
	for _, l := range must[[]leadscore.Lead](t, "AccountLeads")(ws.AccountLeads(ctx, "acme.com")) {
		ids = append(ids, l.ID)
	}
	same(t, "account leads", ids, []string{"a", "b"})
	same(t, "leads of no account", len(must[[]leadscore.Lead](t, "AccountLeads")(ws.AccountLeads(ctx, ""))), 0)
}

func testEvents(t *testing.T, s leadscore.Store) {
	ctx := t.Context()
	ws := s.Workspace(leadscore.DefaultWorkspace)
	upsertLeads(t, ws, leadscore.Lead{ID: "u1", CreatedAt: at(-day)})
	e1 := event("u1", "m1", "page.viewed", at(2*hour))
	e1.Properties = map[string]any{"path": "/pricing", "n": 3.0}
	e1.UserAgent, e1.AnonymousID = "Mozilla/5.0", "anon-1"
	e2 := event("u1", "m2", "email.opened", at(hour))
	e2.Bot, e2.BotReason = true, "scanner"
	e3 := event("u1", "m3", "email.clicked", at(hour)) // same time as e2, accepted later
	e4 := event("u1", "m4", "form.submitted", at(3*hour))
	e4.ReceivedAt = time.Time{}
	evs := insertEvents(t, ws, e1, e2, e3, e4)
	for i := 1; i < len(evs); i++ {
		if evs[i].Seq <= evs[i-1].Seq {
			t.Fatalf("seq does not follow acceptance: %d then %d", evs[i-1].Seq, evs[i].Seq)
		}
	}
	if evs[3].ReceivedAt.IsZero() {
		t.Error("a zero ReceivedAt was not set")
	}
	got := must[[]leadscore.StoredEvent](t, "Events")(ws.Events(ctx, "u1", 0))
	same(t, "events in time order, ties by seq", got, []leadscore.StoredEvent{evs[1], evs[2], evs[0], evs[3]})
	got = must[[]leadscore.StoredEvent](t, "Events")(ws.Events(ctx, "u1", 2))
	same(t, "latest two, in time order", got, []leadscore.StoredEvent{evs[0], evs[3]})

	tests := []struct {
		name string
		ev   leadscore.StoredEvent
	}{
		{"no lead", event("", "x1", "t", at(0))},
		{"no type", event("u1", "x2", "", at(0))},
		{"no time", event("u1", "x3", "t", time.Time{})},
	}
	for _, tc := range tests {
		err := ws.Write(ctx, func(tx leadscore.Tx) error { _, err := tx.InsertEvent(ctx, &tc.ev); return err })
		wantCode(t, tc.name, err, leadscore.CodeInvalid)
	}
}

func testEventDedup(t *testing.T, s leadscore.Store) {
	ctx := t.Context()
	ws := s.Workspace(leadscore.DefaultWorkspace)
	upsertLeads(t, ws, leadscore.Lead{ID: "u1", CreatedAt: at(-day)})
	first := insertEvents(t, ws, event("u1", "m1", "page.viewed", at(0)))[0]
	tests := []struct {
		name     string
		ev       leadscore.StoredEvent
		inserted bool
	}{
		{"same source and message id", event("u1", "m1", "email.opened", at(hour)), false},
		{"same message id, other source", func() leadscore.StoredEvent {
			e := event("u1", "m1", "page.viewed", at(0))
			e.Source = "api"
			return e
		}(), true},
		{"no message id", event("u1", "", "page.viewed", at(0)), true},
		{"no message id again", event("u1", "", "page.viewed", at(0)), true},
	}
	for _, tc := range tests {
		var inserted bool
		write(t, ws, func(ctx context.Context, tx leadscore.Tx) error {
			var err error
			inserted, err = tx.InsertEvent(ctx, &tc.ev)
			return err
		})
		if inserted != tc.inserted {
			t.Errorf("%s: inserted = %v, want %v", tc.name, inserted, tc.inserted)
		}
		if !tc.inserted && tc.ev.Seq != first.Seq {
			t.Errorf("%s: a duplicate reports seq %d, want the stored event's %d", tc.name, tc.ev.Seq, first.Seq)
		}
	}
	// A duplicate within one transaction is caught too.
	write(t, ws, func(ctx context.Context, tx leadscore.Tx) error {
		a, b := event("u1", "m9", "t", at(0)), event("u1", "m9", "t", at(0))
		for i, e := range []*leadscore.StoredEvent{&a, &b} {
			ok, err := tx.InsertEvent(ctx, e)
			if err != nil {
				return err
			}
			if ok != (i == 0) {
				t.Errorf("in one transaction, insert %d reported inserted=%v", i, ok)
			}
		}
		return nil
	})
	got := must[[]leadscore.StoredEvent](t, "Events")(ws.Events(ctx, "u1", 0))
	same(t, "events kept", len(got), 5)
	for _, e := range got {
		if e.MessageID == "m1" && e.Source == "web" && e.Type != "page.viewed" {
			t.Errorf("a duplicate overwrote the stored event: %+v", e)
		}
	}
}

func testPeers(t *testing.T, s leadscore.Store) {
	ctx := t.Context()
	ws := s.Workspace(leadscore.DefaultWorkspace)
	since := at(-7 * day)
	var leads []leadscore.Lead
	for _, id := range []string{"self", "recent", "stale", "botonly", "notlowered", "boundary", "idle"} {
		leads = append(leads, leadscore.Lead{ID: id, AccountID: "acme.com", CreatedAt: at(-90 * day)})
	}
	leads = append(leads, leadscore.Lead{ID: "other", AccountID: "other.com", CreatedAt: at(-90 * day)},
		leadscore.Lead{ID: "loner", CreatedAt: at(-90 * day)})
	upsertLeads(t, ws, leads...)
	bot := event("botonly", "b1", "page.viewed", at(-hour))
	bot.Bot = true
	insertEvents(t, ws,
		event("self", "s1", "page.viewed", at(0)),
		event("recent", "r1", "page.viewed", at(-day)),
		event("stale", "st1", "page.viewed", at(-10*day)),
		bot,
		event("notlowered", "n1", "page.viewed", at(-2*day)),
		event("notlowered", "n2", "page.viewed", at(-5*day)), // earlier, arriving later
		event("boundary", "bd1", "page.viewed", since),
		event("other", "o1", "page.viewed", at(0)),
		event("loner", "l1", "page.viewed", at(0)),
	)
	got := must[[]leadscore.Peer](t, "Peers")(ws.Peers(ctx, "acme.com", "self", since))
	want := []leadscore.Peer{
		{LeadID: "boundary", Activity: []time.Time{since}},
		{LeadID: "notlowered", Activity: []time.Time{at(-2 * day)}},
		{LeadID: "recent", Activity: []time.Time{at(-day)}},
	}
	same(t, "peers", got, want)
	// Later transactions raise a stored activity and never lower it.
	insertEvents(t, ws,
		event("recent", "r2", "page.viewed", at(-6*day)),
		event("stale", "st2", "page.viewed", at(-3*day)),
	)
	got = must[[]leadscore.Peer](t, "Peers")(ws.Peers(ctx, "acme.com", "self", since))
	want = []leadscore.Peer{
		{LeadID: "boundary", Activity: []time.Time{since}},
		{LeadID: "notlowered", Activity: []time.Time{at(-2 * day)}},
		{LeadID: "recent", Activity: []time.Time{at(-day)}},
		{LeadID: "stale", Activity: []time.Time{at(-3 * day)}},
	}
	same(t, "peers after more events", got, want)
	same(t, "peers of no account", len(must[[]leadscore.Peer](t, "Peers")(ws.Peers(ctx, "", "self", since))), 0)

	// In bulk: every account at once, no lead left out.
	bulk := bulkReader(t, ws)
	all := must[map[string][]leadscore.Peer](t, "PeersOf")(bulk.PeersOf(ctx, []string{"other.com", "acme.com", "", "nobody.com", "acme.com"}, since))
	wantAll := map[string][]leadscore.Peer{}
	for _, account := range []string{"acme.com", "other.com"} {
		wantAll[account] = must[[]leadscore.Peer](t, "Peers")(ws.Peers(ctx, account, "", since))
	}
	same(t, "peers of many accounts", all, wantAll)
	same(t, "acme.com's active people, self included", len(all["acme.com"]), 5)
	same(t, "peers of no accounts", len(must[map[string][]leadscore.Peer](t, "PeersOf")(bulk.PeersOf(ctx, nil, since))), 0)
}

func testMoveEvents(t *testing.T, s leadscore.Store) {
	ctx := t.Context()
	ws := s.Workspace(leadscore.DefaultWorkspace)
	upsertLeads(t, ws,
		leadscore.Lead{ID: "anon:v1", CreatedAt: at(-day)},
		leadscore.Lead{ID: "u1", AccountID: "acme.com", CreatedAt: at(-day)},
		leadscore.Lead{ID: "peer", AccountID: "acme.com", CreatedAt: at(-day)})
	a1 := event("anon:v1", "a1", "page.viewed", at(-hour))
	a1.AnonymousID = "v1"
	a2 := event("anon:v1", "a2", "page.viewed", at(0))
	a2.AnonymousID, a2.Bot = "v1", true
	insertEvents(t, ws, event("u1", "k1", "form.submitted", at(-3*day)), a1, a2)
	var n int64
	write(t, ws, func(ctx context.Context, tx leadscore.Tx) error {
		var err error
		n, err = tx.MoveEvents(ctx, "anon:v1", "u1")
		return err
	})
	same(t, "moved", n, int64(2))
	got := must[[]leadscore.StoredEvent](t, "Events")(ws.Events(ctx, "u1", 0))
	var summary []string
	for _, e := range got {
		summary = append(summary, e.MessageID+":"+e.LeadID+":"+e.AnonymousID)
	}
	same(t, "events after the move", summary, []string{"k1:u1:", "a1:u1:v1", "a2:u1:v1"})
	same(t, "left behind", len(must[[]leadscore.StoredEvent](t, "Events")(ws.Events(ctx, "anon:v1", 0))), 0)
	// The moved activity counts for the known lead; the bot event does not.
	peers := must[[]leadscore.Peer](t, "Peers")(ws.Peers(ctx, "acme.com", "peer", at(-2*day)))
	same(t, "activity after the move", peers, []leadscore.Peer{{LeadID: "u1", Activity: []time.Time{at(-hour)}}})
	write(t, ws, func(ctx context.Context, tx leadscore.Tx) error {
		var err error
		n, err = tx.MoveEvents(ctx, "anon:v1", "u1")
		return err
	})
	same(t, "moved again", n, int64(0))
}

func testDeleteLead(t *testing.T, s leadscore.Store) {
	ctx := t.Context()
	ws := s.Workspace(leadscore.DefaultWorkspace)
	for _, id := range []string{"gone", "kept"} {
		upsertLeads(t, ws, leadscore.Lead{ID: id, CreatedAt: at(-day)})
		insertEvents(t, ws, event(id, "m-"+id, "page.viewed", at(0)))
		write(t, ws, func(ctx context.Context, tx leadscore.Tx) error {
			if err := tx.AddAlias(ctx, "user:"+id, id); err != nil {
				return err
			}
			if err := tx.PutScore(ctx, &leadscore.ScoreRecord{LeadID: id, Model: "m", Score: 10, NextChangeAt: at(hour)}); err != nil {
				return err
			}
			return tx.AppendLedger(ctx, &leadscore.LedgerEntry{LeadID: id, Model: "m", NewScore: 10, Cause: leadscore.CauseEvent})
		})
	}
	write(t, ws, func(ctx context.Context, tx leadscore.Tx) error { return tx.DeleteLead(ctx, "gone") })
	_, err := ws.Lead(ctx, "gone")
	wantCode(t, "deleted lead", err, leadscore.CodeNotFound)
	_, err = ws.LeadByAlias(ctx, "user:gone")
	wantCode(t, "alias of a deleted lead", err, leadscore.CodeNotFound)
	for id, want := range map[string]int{"gone": 0, "kept": 1} {
		same(t, "events of "+id, len(must[[]leadscore.StoredEvent](t, "Events")(ws.Events(ctx, id, 0))), want)
		same(t, "scores of "+id, len(must[[]leadscore.ScoreRecord](t, "Scores")(ws.Scores(ctx, id))), want)
		same(t, "ledger of "+id, len(must[[]leadscore.LedgerEntry](t, "Ledger")(ws.Ledger(ctx, id, "", 0, 0))), want)
	}
	same(t, "due after delete", must[[]string](t, "DueLeads")(ws.DueLeads(ctx, at(day), 10)), []string{"kept"})
	err = ws.Write(ctx, func(tx leadscore.Tx) error { return tx.DeleteLead(ctx, "gone") })
	wantCode(t, "deleting twice", err, leadscore.CodeNotFound)
}

func testScores(t *testing.T, s leadscore.Store) {
	ctx := t.Context()
	ws := s.Workspace(leadscore.DefaultWorkspace)
	upsertLeads(t, ws, leadscore.Lead{ID: "u1", CreatedAt: at(-day)})
	eval := &leadscore.Evaluation{
		Model: "fit", Version: "v1", LeadID: "u1", AsOf: at(0), Score: 42, Raw: 41.6, Display: 2042, Prefix: 2,
		Band: "warm", Grade: "B", Categories: []leadscore.CategoryResult{{Path: "fit", Points: 42, Uncapped: 50, Max: ptr(42.0), Capped: true}},
		Contributions: []leadscore.Contribution{{Rule: "title", Category: "fit", Points: 10, Count: 1, Matched: 1,
			Events: []leadscore.EventRef{{ID: "m1", Type: "page.viewed", At: at(-hour), Points: 10}}}},
		Adjustments:  []leadscore.Adjustment{{Kind: leadscore.AdjustCap, Category: "fit", Points: -8, Text: "capped"}},
		NextChangeAt: at(30 * day),
	}
	recs := []leadscore.ScoreRecord{
		{LeadID: "u1", Model: "fit", Version: "v1", Score: 42, Display: 2042, Band: "warm", Grade: "B",
			Evaluation: eval, NextChangeAt: at(30 * day), UpdatedAt: at(0)},
		{LeadID: "u1", Model: "b2b", Version: "v3", Score: 88.5, Display: 88, Band: "hot", Qualified: true,
			UpdatedAt: at(0)},
	}
	write(t, ws, func(ctx context.Context, tx leadscore.Tx) error {
		for i := range recs {
			if err := tx.PutScore(ctx, &recs[i]); err != nil {
				return err
			}
		}
		return nil
	})
	got := must[[]leadscore.ScoreRecord](t, "Scores")(ws.Scores(ctx, "u1"))
	if len(got) != 2 {
		t.Fatalf("got %d scores, want 2", len(got))
	}
	sameJSON(t, "scores in model order", got, []leadscore.ScoreRecord{recs[1], recs[0]})
	same(t, "never changing", got[0].NextChangeAt.IsZero(), true)

	// A new score replaces the old; a zero UpdatedAt becomes the time of the write.
	next := leadscore.ScoreRecord{LeadID: "u1", Model: "fit", Version: "v2", Score: 12, Disqualified: true}
	write(t, ws, func(ctx context.Context, tx leadscore.Tx) error { return tx.PutScore(ctx, &next) })
	if next.UpdatedAt.IsZero() {
		t.Error("PutScore left UpdatedAt zero")
	}
	got = must[[]leadscore.ScoreRecord](t, "Scores")(ws.Scores(ctx, "u1"))
	sameJSON(t, "replaced score", got[1], next)
}

func putScores(t *testing.T, ws leadscore.WorkspaceStore, recs ...leadscore.ScoreRecord) {
	t.Helper()
	write(t, ws, func(ctx context.Context, tx leadscore.Tx) error {
		for i := range recs {
			if err := tx.PutScore(ctx, &recs[i]); err != nil {
				return err
			}
		}
		return nil
	})
}

func testDueLeads(t *testing.T, s leadscore.Store) {
	ctx := t.Context()
	ws := s.Workspace(leadscore.DefaultWorkspace)
	due := func(lead, model string, when time.Time) leadscore.ScoreRecord {
		return leadscore.ScoreRecord{LeadID: lead, Model: model, Score: 1, NextChangeAt: when}
	}
	putScores(t, ws,
		due("l1", "m1", at(hour)), due("l1", "m2", at(-2*hour)), // earliest of its models counts
		due("l2", "m1", at(-hour)),
		due("l3", "m1", time.Time{}), // never
		due("l4", "m1", at(5*hour)),
		due("l5", "m1", at(0)), // exactly at t
		due("l6", "m1", at(-2*hour)),
	)
	tests := []struct {
		name  string
		t     time.Time
		limit int
		want  []string
	}{
		{"all due, oldest first, ties by id", at(0), 10, []string{"l1", "l6", "l2", "l5"}},
		{"limit", at(0), 2, []string{"l1", "l6"}},
		{"nothing due yet", at(-3 * hour), 10, nil},
		{"later", at(6 * hour), 10, []string{"l1", "l6", "l2", "l5", "l4"}},
	}
	for _, tc := range tests {
		got := must[[]string](t, "DueLeads")(ws.DueLeads(ctx, tc.t, tc.limit))
		if len(got) == 0 {
			got = nil
		}
		same(t, tc.name, got, tc.want)
	}
	// Re-evaluating a lead moves its time.
	putScores(t, ws, due("l1", "m2", at(4*hour)))
	same(t, "after re-evaluation", must[[]string](t, "DueLeads")(ws.DueLeads(ctx, at(0), 10)), []string{"l6", "l2", "l5"})
}

func testDueLeadsManyModels(t *testing.T, s leadscore.Store) {
	ctx := t.Context()
	ws := s.Workspace(leadscore.DefaultWorkspace)
	// Each lead is due under three models; a page must still hold limit
	// distinct leads, in order of each lead's earliest time.
	var recs []leadscore.ScoreRecord
	var want []string
	for i := range 120 {
		id := fmt.Sprintf("lead%03d", i)
		want = append(want, id)
		for m := range 3 {
			recs = append(recs, leadscore.ScoreRecord{LeadID: id, Model: fmt.Sprintf("m%d", m), Score: 1,
				NextChangeAt: at(time.Duration(i)*time.Minute + time.Duration(m)*time.Second)})
		}
	}
	putScores(t, ws, recs...)
	same(t, "first 50", must[[]string](t, "DueLeads")(ws.DueLeads(ctx, at(day), 50)), want[:50])
	same(t, "all", must[[]string](t, "DueLeads")(ws.DueLeads(ctx, at(day), 500)), want)
}

func testLedger(t *testing.T, s leadscore.Store) {
	ctx := t.Context()
	ws := s.Workspace(leadscore.DefaultWorkspace)
	entries := []leadscore.LedgerEntry{
		{LeadID: "u1", Model: "fit", Version: "v1", At: at(0), NewScore: 10, NewBand: "cold", Cause: leadscore.CauseEvent, CauseRef: "m1"},
		{LeadID: "u1", Model: "b2b", Version: "v1", At: at(hour), OldScore: ptr(0.0), NewScore: 5, Cause: leadscore.CauseModel, CauseRef: "v1"},
		{LeadID: "u1", Model: "fit", Version: "v1", At: at(2 * hour), OldScore: ptr(10.0), NewScore: 80, OldBand: "cold",
			NewBand: "hot", Cause: leadscore.CauseTime, Detail: "decay", Qualified: true},
		{LeadID: "u2", Model: "fit", NewScore: 1, Cause: leadscore.CauseRescore},
	}
	write(t, ws, func(ctx context.Context, tx leadscore.Tx) error {
		for i := range entries {
			if err := tx.AppendLedger(ctx, &entries[i]); err != nil {
				return err
			}
		}
		return nil
	})
	for i := 1; i < len(entries); i++ {
		if entries[i].Seq <= entries[i-1].Seq {
			t.Fatalf("ledger seq does not increase: %d then %d", entries[i-1].Seq, entries[i].Seq)
		}
	}
	if entries[3].At.IsZero() {
		t.Error("a zero At was not set")
	}
	tests := []struct {
		name  string
		model string
		after int64
		limit int
		want  []leadscore.LedgerEntry
	}{
		{"all models", "", 0, 0, entries[:3]},
		{"one model", "fit", 0, 0, []leadscore.LedgerEntry{entries[0], entries[2]}},
		{"after", "", entries[0].Seq, 0, entries[1:3]},
		{"limit", "", 0, 2, entries[:2]},
		{"one model after", "fit", entries[0].Seq, 1, entries[2:3]},
	}
	for _, tc := range tests {
		got := must[[]leadscore.LedgerEntry](t, "Ledger")(ws.Ledger(ctx, "u1", tc.model, tc.after, tc.limit))
		same(t, tc.name, got, tc.want)
	}
	tails := []struct {
		name  string
		lead  string
		model string
		limit int
		want  []leadscore.LedgerEntry
		total int
	}{
		{"the last two, oldest first", "u1", "", 2, entries[1:3], 3},
		{"more than there are", "u1", "", 10, entries[:3], 3},
		{"the last of one model", "u1", "fit", 1, entries[2:3], 2},
		{"a lead without entries", "nobody", "", 5, nil, 0},
	}
	for _, tc := range tails {
		got, total, err := ws.LedgerTail(ctx, tc.lead, tc.model, tc.limit)
		if err != nil {
			t.Fatalf("LedgerTail %s: %v", tc.name, err)
		}
		same(t, "LedgerTail: "+tc.name, got, tc.want)
		same(t, "LedgerTail total: "+tc.name, total, tc.total)
	}
}

// listFixture is a population for listing tests: scores with many ties,
// an anonymous lead, a lead with no score, several accounts.
type listFixture struct {
	leads  []leadscore.Lead
	scores map[string]leadscore.ScoreRecord
}

func newListFixture(t *testing.T, ws leadscore.WorkspaceStore) *listFixture {
	t.Helper()
	f := &listFixture{scores: map[string]leadscore.ScoreRecord{}}
	accounts := []leadscore.Account{{ID: "acme.com", Name: "Acme Corp"}, {ID: "beta.io", Name: "Beta_Labs"}}
	first := []string{"Ann", "Bob", "Cleo", "Dan", "Eve"}
	for i := range 25 {
		l := leadscore.Lead{
			// Ids out of write order, so that id order and write order differ.
			ID:        fmt.Sprintf("lead%02d", (i*7)%25),
			Email:     fmt.Sprintf("%s%d@%s", strings.ToLower(first[i%5]), i, accounts[i%2].ID),
			FirstName: first[i%5], LastName: fmt.Sprintf("Smith%d", i%3),
			AccountID: accounts[i%2].ID,
		}
		if i%4 == 0 {
			l.Fields = map[string]any{"owner": "sam"}
		}
		f.leads = append(f.leads, l)
	}
	anon := leadscore.Lead{ID: "anon:v1", Email: "ann-anon@acme.com", AccountID: "acme.com", CreatedAt: at(0)}
	unscored := leadscore.Lead{ID: "unscored", Email: "ann-u@acme.com", AccountID: "acme.com"}
	write(t, ws, func(ctx context.Context, tx leadscore.Tx) error {
		for i := range accounts {
			if err := tx.UpsertAccount(ctx, &accounts[i]); err != nil {
				return err
			}
		}
		for i := range f.leads {
			if err := tx.UpsertLead(ctx, &f.leads[i]); err != nil {
				return err
			}
			score := float64((i % 4) * 10) // 0, 10, 20, 30: many ties
			rec := leadscore.ScoreRecord{LeadID: f.leads[i].ID, Model: "m", Version: "v1", Score: score, Display: int64(score),
				Band: map[bool]string{true: "hot", false: "cold"}[score >= 20], Qualified: score >= 30, UpdatedAt: at(0)}
			if err := tx.PutScore(ctx, &rec); err != nil {
				return err
			}
			f.scores[rec.LeadID] = rec
			other := leadscore.ScoreRecord{LeadID: f.leads[i].ID, Model: "other", Score: 100 - score, UpdatedAt: at(0)}
			if err := tx.PutScore(ctx, &other); err != nil {
				return err
			}
		}
		if err := tx.UpsertLead(ctx, &anon); err != nil {
			return err
		}
		if err := tx.PutScore(ctx, &leadscore.ScoreRecord{LeadID: anon.ID, Model: "m", Score: 99, UpdatedAt: at(0)}); err != nil {
			return err
		}
		return tx.UpsertLead(ctx, &unscored)
	})
	f.leads = append(f.leads, unscored)
	// A new lead's CreatedAt is the time of its write, which is also its
	// updated_at: the expected "updated" order is the write order, provided
	// the clock moved between writes.
	for i := 1; i < len(f.leads); i++ {
		if !f.leads[i].CreatedAt.After(f.leads[i-1].CreatedAt) {
			t.Fatal("the store's clock did not advance between writes; open must give it a clock like storetest.Clock")
		}
	}
	return f
}

// pages collects every page of a listing, checking each page's size.
func pages(t *testing.T, ws leadscore.WorkspaceStore, f leadscore.LeadFilter) []leadscore.LeadRow {
	t.Helper()
	var all []leadscore.LeadRow
	for n := 0; ; n++ {
		rows, next, err := ws.ListLeads(t.Context(), f)
		if err != nil {
			t.Fatalf("ListLeads %+v: %v", f, err)
		}
		if f.Limit > 0 && len(rows) > f.Limit {
			t.Fatalf("page of %d rows, limit %d", len(rows), f.Limit)
		}
		if next != "" && len(rows) < f.Limit {
			t.Fatalf("short page (%d rows) with a next cursor", len(rows))
		}
		all = append(all, rows...)
		if next == "" {
			return all
		}
		if n > 100 {
			t.Fatal("pagination does not end")
		}
		f.After = next
	}
}

func ids(rows []leadscore.LeadRow) []string {
	out := []string{}
	for _, r := range rows {
		out = append(out, r.Lead.ID)
	}
	return out
}

func testListLeadsByScore(t *testing.T, s leadscore.Store) {
	ws := s.Workspace(leadscore.DefaultWorkspace)
	fx := newListFixture(t, ws)
	expect := func(keep func(l leadscore.Lead, sc leadscore.ScoreRecord) bool) []string {
		var ls []leadscore.Lead
		for _, l := range fx.leads {
			if sc, ok := fx.scores[l.ID]; ok && keep(l, sc) {
				ls = append(ls, l)
			}
		}
		sort.Slice(ls, func(i, j int) bool {
			si, sj := fx.scores[ls[i].ID].Score, fx.scores[ls[j].ID].Score
			if si != sj {
				return si > sj
			}
			return ls[i].ID < ls[j].ID
		})
		out := []string{}
		for _, l := range ls {
			out = append(out, l.ID)
		}
		return out
	}
	all := func(leadscore.Lead, leadscore.ScoreRecord) bool { return true }
	hasPrefix := func(p string) func(l leadscore.Lead, _ leadscore.ScoreRecord) bool {
		return func(l leadscore.Lead, _ leadscore.ScoreRecord) bool {
			name := map[string]string{"acme.com": "acme corp", "beta.io": "beta_labs"}[l.AccountID]
			return strings.HasPrefix(strings.ToLower(l.Email), p) || strings.HasPrefix(strings.ToLower(l.LastName), p) ||
				strings.HasPrefix(strings.ToLower(l.FirstName+" "+l.LastName), p) || strings.HasPrefix(name, p)
		}
	}
	tests := []struct {
		name   string
		filter leadscore.LeadFilter
		want   []string
	}{
		{"everyone, pages of 4 across ties", leadscore.LeadFilter{Model: "m", Limit: 4}, expect(all)},
		{"one page", leadscore.LeadFilter{Model: "m", Limit: 1000}, expect(all)},
		{"pages of 1", leadscore.LeadFilter{Model: "m", Limit: 1}, expect(all)},
		{"band", leadscore.LeadFilter{Model: "m", Band: "hot", Limit: 3},
			expect(func(_ leadscore.Lead, s leadscore.ScoreRecord) bool { return s.Band == "hot" })},
		{"qualified", leadscore.LeadFilter{Model: "m", Qualified: ptr(true), Limit: 3},
			expect(func(_ leadscore.Lead, s leadscore.ScoreRecord) bool { return s.Qualified })},
		{"not qualified", leadscore.LeadFilter{Model: "m", Qualified: ptr(false), Limit: 5},
			expect(func(_ leadscore.Lead, s leadscore.ScoreRecord) bool { return !s.Qualified })},
		{"min score", leadscore.LeadFilter{Model: "m", MinScore: ptr(20.0), Limit: 3},
			expect(func(_ leadscore.Lead, s leadscore.ScoreRecord) bool { return s.Score >= 20 })},
		{"account", leadscore.LeadFilter{Model: "m", AccountID: "beta.io", Limit: 3},
			expect(func(l leadscore.Lead, _ leadscore.ScoreRecord) bool { return l.AccountID == "beta.io" })},
		{"owner", leadscore.LeadFilter{Model: "m", Owner: "sam", Limit: 2},
			expect(func(l leadscore.Lead, _ leadscore.ScoreRecord) bool { return l.Fields["owner"] == "sam" })},
		{"query: email prefix, any case", leadscore.LeadFilter{Model: "m", Query: "BOB", Limit: 2}, expect(hasPrefix("bob"))},
		{"query: first and last name", leadscore.LeadFilter{Model: "m", Query: "cleo smith1", Limit: 2}, expect(hasPrefix("cleo smith1"))},
		{"query: last name", leadscore.LeadFilter{Model: "m", Query: "smith2", Limit: 2}, expect(hasPrefix("smith2"))},
		{"query: account name", leadscore.LeadFilter{Model: "m", Query: "acme", Limit: 4}, expect(hasPrefix("acme"))},
		{"query: LIKE characters are literal", leadscore.LeadFilter{Model: "m", Query: "beta_", Limit: 4}, expect(hasPrefix("beta_"))},
		{"query: % is literal", leadscore.LeadFilter{Model: "m", Query: "%"}, []string{}},
		{"combined filters", leadscore.LeadFilter{Model: "m", Band: "hot", AccountID: "acme.com", Query: "eve", Limit: 1},
			expect(func(l leadscore.Lead, s leadscore.ScoreRecord) bool {
				return s.Band == "hot" && l.AccountID == "acme.com" && hasPrefix("eve")(l, s)
			})},
	}
	for _, tc := range tests {
		if len(tc.want) == 0 && !strings.Contains(tc.name, "literal") {
			t.Fatalf("%s: the fixture selects nobody, so the test proves nothing", tc.name)
		}
		rows := pages(t, ws, tc.filter)
		same(t, tc.name, ids(rows), tc.want)
		for _, r := range rows {
			want := fx.scores[r.Lead.ID]
			if r.Score == nil || r.Score.Score != want.Score || r.Score.Band != want.Band || r.Score.Model != "m" {
				t.Errorf("%s: row %s has score %+v, want %+v", tc.name, r.Lead.ID, r.Score, want)
				break
			}
		}
	}
	// The other model orders the same leads the other way round.
	rows := pages(t, ws, leadscore.LeadFilter{Model: "other", Limit: 7})
	if got := ids(rows); len(got) != 25 || fx.scores[got[0]].Score != 0 {
		t.Errorf("ordering by another model: %v", got)
	}
	if rows[0].Lead.Email == "" || rows[0].Score.Model != "other" {
		t.Errorf("a listed row lacks its lead or score: %+v", rows[0])
	}
}

func testListLeadsByUpdated(t *testing.T, s leadscore.Store) {
	ctx := t.Context()
	ws := s.Workspace(leadscore.DefaultWorkspace)
	fx := newListFixture(t, ws)
	// Newest write first.
	var want []string
	for i := len(fx.leads) - 1; i >= 0; i-- {
		want = append(want, fx.leads[i].ID)
	}
	same(t, "by update, pages of 4", ids(pages(t, ws, leadscore.LeadFilter{Limit: 4})), want)
	same(t, "explicit order", ids(pages(t, ws, leadscore.LeadFilter{OrderBy: "updated", Limit: 6})), want)

	// Updating a lead moves it to the front.
	moved := fx.leads[3]
	moved.Title = "Head of Data"
	upsertLeads(t, ws, moved)
	rows, _, err := ws.ListLeads(ctx, leadscore.LeadFilter{Limit: 2})
	if err != nil {
		t.Fatal(err)
	}
	same(t, "updated lead first", ids(rows), []string{moved.ID, want[0]})

	// UpdatedSince is inclusive; CreatedAt of a new lead is its update time.
	since := fx.leads[20].CreatedAt
	got := ids(pages(t, ws, leadscore.LeadFilter{UpdatedSince: since, Limit: 3}))
	wantSince := append([]string{moved.ID}, want[:len(fx.leads)-20]...)
	same(t, "updated since", got, wantSince)

	// With a model, unscored leads are listed without a score.
	all := pages(t, ws, leadscore.LeadFilter{Model: "m", OrderBy: "updated", Limit: 5})
	same(t, "with a model", len(all), len(fx.leads))
	for _, r := range all {
		if (r.Score == nil) != (r.Lead.ID == "unscored") {
			t.Errorf("row %s has score %+v", r.Lead.ID, r.Score)
		}
	}
}

func testListLeadsInvalid(t *testing.T, s leadscore.Store) {
	ctx := t.Context()
	ws := s.Workspace(leadscore.DefaultWorkspace)
	upsertLeads(t, ws, leadscore.Lead{ID: "a", CreatedAt: at(0)}, leadscore.Lead{ID: "b", CreatedAt: at(0)})
	putScores(t, ws, leadscore.ScoreRecord{LeadID: "a", Model: "m", Score: 1}, leadscore.ScoreRecord{LeadID: "b", Model: "m", Score: 2})
	_, scoreCursor, err := ws.ListLeads(ctx, leadscore.LeadFilter{Model: "m", Limit: 1})
	if err != nil || scoreCursor == "" {
		t.Fatalf("first page: cursor %q, err %v", scoreCursor, err)
	}
	tests := []struct {
		name string
		f    leadscore.LeadFilter
	}{
		{"score order without a model", leadscore.LeadFilter{OrderBy: "score"}},
		{"unknown order", leadscore.LeadFilter{OrderBy: "name"}},
		{"band without a model", leadscore.LeadFilter{Band: "hot"}},
		{"qualified without a model", leadscore.LeadFilter{Qualified: ptr(true)}},
		{"min score without a model", leadscore.LeadFilter{MinScore: ptr(1.0)}},
		{"garbage cursor", leadscore.LeadFilter{After: "not a cursor!"}},
		{"cursor of another order", leadscore.LeadFilter{Model: "m", OrderBy: "updated", After: scoreCursor}},
	}
	for _, tc := range tests {
		_, _, err := ws.ListLeads(ctx, tc.f)
		wantCode(t, tc.name, err, leadscore.CodeInvalid)
	}
	rows, next, err := ws.ListLeads(ctx, leadscore.LeadFilter{Model: "m", After: scoreCursor})
	if err != nil || next != "" {
		t.Fatalf("last page: next %q, err %v", next, err)
	}
	same(t, "second page", ids(rows), []string{"a"})
}

func testLeadIDs(t *testing.T, s leadscore.Store) {
	ctx := t.Context()
	ws := s.Workspace(leadscore.DefaultWorkspace)
	want := []string{"anon:z", "b", "c", "d", "e", "f", "g"}
	var leads []leadscore.Lead
	for _, id := range []string{"g", "b", "anon:z", "e", "c", "f", "d"} {
		leads = append(leads, leadscore.Lead{ID: id, CreatedAt: at(0)})
	}
	upsertLeads(t, ws, leads...)
	var got []string
	after := ""
	for {
		page := must[[]string](t, "LeadIDs")(ws.LeadIDs(ctx, after, 3))
		if len(page) == 0 {
			break
		}
		if len(page) > 3 {
			t.Fatalf("page of %d ids, limit 3", len(page))
		}
		got = append(got, page...)
		after = page[len(page)-1]
	}
	same(t, "every id in order, anonymous included", got, want)
	same(t, "count", must[int64](t, "CountLeads")(ws.CountLeads(ctx)), int64(len(want)))
}

func testLeadKeysByAccount(t *testing.T, s leadscore.Store) {
	ctx := t.Context()
	ws := s.Workspace(leadscore.DefaultWorkspace)
	leads := []leadscore.Lead{
		{ID: "a", AccountID: "zeta.io"}, {ID: "b", AccountID: "acme.com"}, {ID: "c"}, {ID: "d", AccountID: "acme.com"},
		{ID: "anon:e"}, {ID: "f", AccountID: "beta.org"}, {ID: "g", AccountID: "acme.com"},
	}
	for i := range leads {
		leads[i].CreatedAt = at(0)
	}
	upsertLeads(t, ws, leads...)
	want := []leadscore.LeadKey{{ID: "anon:e"}, {ID: "c"}, {AccountID: "acme.com", ID: "b"}, {AccountID: "acme.com", ID: "d"},
		{AccountID: "acme.com", ID: "g"}, {AccountID: "beta.org", ID: "f"}, {AccountID: "zeta.io", ID: "a"}}
	var got []leadscore.LeadKey
	var after leadscore.LeadKey
	for {
		page := must[[]leadscore.LeadKey](t, "LeadKeysByAccount")(ws.LeadKeysByAccount(ctx, after, 2))
		if len(page) == 0 {
			break
		}
		if len(page) > 2 {
			t.Fatalf("page of %d keys, limit 2", len(page))
		}
		got = append(got, page...)
		after = page[len(page)-1]
	}
	same(t, "every lead, account by account, a page boundary inside an account", got, want)
}

func testModels(t *testing.T, s leadscore.Store) {
	ctx := t.Context()
	ws := s.Workspace(leadscore.DefaultWorkspace)
	spec := &leadscore.ModelSpec{Name: "m", Scale: leadscore.Scale{Max: 100}, MQL: ptr(70.0),
		Bands: []leadscore.Band{{Name: "hot", Min: 70}},
		Decay: leadscore.DecaySpec{Inactivity: []leadscore.DecayStep{{After: 30 * leadscore.Day, Points: -10}}},
		Categories: []leadscore.CategorySpec{{Name: "fit", Max: ptr(50.0), Rules: []leadscore.RuleSpec{
			{Name: "pricing", Events: []string{"page.viewed"}, Where: `event.path startsWith "/pricing"`, Points: 10, Within: 7 * leadscore.Day}}}},
	}
	versions := []leadscore.ModelVersion{
		{Name: "m", Version: "v1", Source: "name: m\n", Spec: spec, CreatedAt: at(0), CreatedBy: "ann"},
		{Name: "m", Version: "v2", Source: "name: m # 2\n", Spec: spec, CreatedAt: at(hour)},
		{Name: "n", Version: "v1", CreatedAt: at(2 * hour)},
	}
	write(t, ws, func(ctx context.Context, tx leadscore.Tx) error {
		for i := range versions {
			if err := tx.PutModelVersion(ctx, &versions[i]); err != nil {
				return err
			}
		}
		return nil
	})
	err := ws.Write(ctx, func(tx leadscore.Tx) error {
		return tx.PutModelVersion(ctx, &leadscore.ModelVersion{Name: "m", Version: "v1", CreatedAt: at(0)})
	})
	wantCode(t, "a version again", err, leadscore.CodeConflict)

	activeOf := func() map[string]string {
		out := map[string]string{}
		for _, v := range must[[]leadscore.ModelVersion](t, "ActiveModels")(ws.ActiveModels(ctx)) {
			if _, dup := out[v.Name]; dup {
				t.Errorf("two active versions of %s", v.Name)
			}
			out[v.Name] = v.Version
		}
		// Every listing agrees with ActiveModels.
		for _, v := range must[[]leadscore.ModelVersion](t, "ModelVersions")(ws.ModelVersions(ctx, "")) {
			if v.Active != (out[v.Name] == v.Version) {
				t.Errorf("ModelVersions says %s %s active=%v; ActiveModels says %v", v.Name, v.Version, v.Active, out)
			}
		}
		return out
	}
	same(t, "nothing active at first", activeOf(), map[string]string{})
	steps := []struct {
		name, model, version string
		code                 leadscore.ErrorCode
		want                 map[string]string
	}{
		{"activate m v1", "m", "v1", "", map[string]string{"m": "v1"}},
		{"activate m v2", "m", "v2", "", map[string]string{"m": "v2"}},
		{"activate n v1", "n", "v1", "", map[string]string{"m": "v2", "n": "v1"}},
		{"unknown version changes nothing", "m", "v9", leadscore.CodeNotFound, map[string]string{"m": "v2", "n": "v1"}},
		{"back to m v1", "m", "v1", "", map[string]string{"m": "v1", "n": "v1"}},
		{"activate the active one", "m", "v1", "", map[string]string{"m": "v1", "n": "v1"}},
	}
	for _, st := range steps {
		err := ws.Write(ctx, func(tx leadscore.Tx) error { return tx.ActivateModel(ctx, st.model, st.version) })
		wantCode(t, st.name, err, st.code)
		same(t, st.name, activeOf(), st.want)
	}
	// A version stored active replaces the active one.
	v3 := leadscore.ModelVersion{Name: "m", Version: "v3", Active: true, CreatedAt: at(3 * hour)}
	write(t, ws, func(ctx context.Context, tx leadscore.Tx) error { return tx.PutModelVersion(ctx, &v3) })
	same(t, "stored active", activeOf(), map[string]string{"m": "v3", "n": "v1"})

	got := must[[]leadscore.ModelVersion](t, "ModelVersions")(ws.ModelVersions(ctx, "m"))
	versions[0].Active, versions[1].Active = false, false
	sameJSON(t, "versions of m, oldest first", got, []leadscore.ModelVersion{versions[0], versions[1], v3})
}

func testAPIKeys(t *testing.T, s leadscore.Store) {
	ctx := t.Context()
	ws := s.Workspace(leadscore.DefaultWorkspace)
	k1 := leadscore.APIKey{ID: "k1", Name: "segment", Prefix: "ls_w_abc", Hash: []byte{0, 1, 2, 255},
		Scopes: []leadscore.Scope{leadscore.ScopeWrite}, CreatedAt: at(0)}
	k2 := leadscore.APIKey{ID: "k2", Name: "admin", Prefix: "ls_a_def", Hash: []byte("hash-2"),
		Scopes: []leadscore.Scope{leadscore.ScopeRead, leadscore.ScopeAdmin}, CreatedAt: at(hour)}
	write(t, ws, func(ctx context.Context, tx leadscore.Tx) error {
		if err := tx.PutAPIKey(ctx, &k1); err != nil {
			return err
		}
		return tx.PutAPIKey(ctx, &k2)
	})
	same(t, "by prefix", *must[*leadscore.APIKey](t, "APIKeyByPrefix")(ws.APIKeyByPrefix(ctx, "ls_w_abc")), k1)
	same(t, "all keys, oldest first", must[[]leadscore.APIKey](t, "APIKeys")(ws.APIKeys(ctx)), []leadscore.APIKey{k1, k2})

	// A prefix is unique across workspaces.
	for _, w := range []leadscore.WorkspaceStore{ws, s.Workspace("other")} {
		err := w.Write(ctx, func(tx leadscore.Tx) error {
			return tx.PutAPIKey(ctx, &leadscore.APIKey{ID: "k3", Prefix: "ls_w_abc", Hash: []byte("x"), CreatedAt: at(0)})
		})
		wantCode(t, "a taken prefix", err, leadscore.CodeConflict)
	}

	steps := []struct {
		name string
		fn   func(ctx context.Context, tx leadscore.Tx) error
	}{
		{"revoke", func(ctx context.Context, tx leadscore.Tx) error { return tx.RevokeAPIKey(ctx, "k1", at(day)) }},
		{"revoke again later", func(ctx context.Context, tx leadscore.Tx) error { return tx.RevokeAPIKey(ctx, "k1", at(2*day)) }},
		{"put without revocation", func(ctx context.Context, tx leadscore.Tx) error {
			k := k1
			k.Name = "segment (old)"
			return tx.PutAPIKey(ctx, &k)
		}},
		{"touch", func(ctx context.Context, tx leadscore.Tx) error { return tx.TouchAPIKey(ctx, "k1", at(5*day)) }},
		{"touch earlier", func(ctx context.Context, tx leadscore.Tx) error { return tx.TouchAPIKey(ctx, "k1", at(3*day)) }},
	}
	for _, st := range steps {
		write(t, ws, st.fn)
	}
	got := must[*leadscore.APIKey](t, "APIKeyByPrefix")(ws.APIKeyByPrefix(ctx, "ls_w_abc"))
	want := k1
	want.Name, want.RevokedAt, want.LastUsed = "segment (old)", ptr(at(day)), ptr(at(5*day))
	same(t, "after revoking and touching", *got, want)
	_, err := ws.APIKeyByPrefix(ctx, "ls_w_ab")
	wantCode(t, "a prefix of a prefix", err, leadscore.CodeNotFound)
}

func testJobs(t *testing.T, s leadscore.Store) {
	ctx := t.Context()
	ws := s.Workspace(leadscore.DefaultWorkspace)
	job := leadscore.Job{ID: "j1", Kind: "activate", State: leadscore.JobQueued, Total: 100, CreatedAt: at(0), UpdatedAt: at(0)}
	write(t, ws, func(ctx context.Context, tx leadscore.Tx) error { return tx.PutJob(ctx, &job) })
	same(t, "queued", *must[*leadscore.Job](t, "Job")(ws.Job(ctx, "j1")), job)
	same(t, "unfinished: the queued job", must[[]leadscore.Job](t, "UnfinishedJobs")(ws.UnfinishedJobs(ctx)), []leadscore.Job{job})
	running := leadscore.Job{ID: "j2", Kind: "activate", State: leadscore.JobRunning, Done: 10, Total: 50, Cursor: "lead-0010",
		CreatedAt: at(hour), UpdatedAt: at(hour)}
	write(t, ws, func(ctx context.Context, tx leadscore.Tx) error { return tx.PutJob(ctx, &running) })
	progress := leadscore.Job{ID: "j1", Kind: "activate", State: leadscore.JobFailed, Done: 40, Total: 100,
		Detail: "m v2", Error: "disk full", UpdatedAt: at(hour)}
	write(t, ws, func(ctx context.Context, tx leadscore.Tx) error { return tx.PutJob(ctx, &progress) })
	want := progress
	want.CreatedAt = at(0)
	same(t, "the update keeps the creation time", progress.CreatedAt, at(0))
	same(t, "updated", *must[*leadscore.Job](t, "Job")(ws.Job(ctx, "j1")), want)
	same(t, "unfinished: the running job with its cursor", must[[]leadscore.Job](t, "UnfinishedJobs")(ws.UnfinishedJobs(ctx)),
		[]leadscore.Job{running})
}

func testAccountLists(t *testing.T, s leadscore.Store) {
	ctx := t.Context()
	ws := s.Workspace(leadscore.DefaultWorkspace)
	type names struct {
		names    []string
		priority bool
	}
	steps := []struct {
		name  string
		fn    func(ctx context.Context, tx leadscore.Tx) error
		lists []leadscore.AccountList
		// lookups maps a domain to the lists that hold it.
		lookups map[string]names
	}{
		{
			name: "create, normalising domains",
			fn: func(ctx context.Context, tx leadscore.Tx) error {
				if err := tx.PutAccountList(ctx, leadscore.AccountList{Name: "targets", Domains: []string{"Acme.com", " beta.io", "acme.com", ""}}); err != nil {
					return err
				}
				return tx.PutAccountList(ctx, leadscore.AccountList{Name: "vip", Priority: true, Domains: []string{"acme.com"}})
			},
			lists: []leadscore.AccountList{
				{Name: "targets", Domains: []string{"acme.com", "beta.io"}, Size: 2},
				{Name: "vip", Priority: true, Domains: []string{"acme.com"}, Size: 1},
			},
			lookups: map[string]names{"ACME.com": {[]string{"targets", "vip"}, true}, "beta.io": {[]string{"targets"}, false}, "none.io": {}},
		},
		{
			name: "add and remove",
			fn: func(ctx context.Context, tx leadscore.Tx) error {
				if err := tx.AddToAccountList(ctx, "targets", []string{"gamma.org", "ACME.COM"}); err != nil {
					return err
				}
				return tx.RemoveFromAccountList(ctx, "targets", []string{"Beta.io", "absent.io"})
			},
			lists: []leadscore.AccountList{
				{Name: "targets", Domains: []string{"acme.com", "gamma.org"}, Size: 2},
				{Name: "vip", Priority: true, Domains: []string{"acme.com"}, Size: 1},
			},
			lookups: map[string]names{"beta.io": {}, "gamma.org": {[]string{"targets"}, false}},
		},
		{
			name: "put without domains keeps members and changes priority",
			fn: func(ctx context.Context, tx leadscore.Tx) error {
				return tx.PutAccountList(ctx, leadscore.AccountList{Name: "targets", Priority: true})
			},
			lists: []leadscore.AccountList{
				{Name: "targets", Priority: true, Domains: []string{"acme.com", "gamma.org"}, Size: 2},
				{Name: "vip", Priority: true, Domains: []string{"acme.com"}, Size: 1},
			},
			lookups: map[string]names{"gamma.org": {[]string{"targets"}, true}},
		},
		{
			name: "put with empty domains clears, delete removes",
			fn: func(ctx context.Context, tx leadscore.Tx) error {
				if err := tx.PutAccountList(ctx, leadscore.AccountList{Name: "targets", Domains: []string{}}); err != nil {
					return err
				}
				return tx.DeleteAccountList(ctx, "vip")
			},
			lists:   []leadscore.AccountList{{Name: "targets"}},
			lookups: map[string]names{"acme.com": {}, "gamma.org": {}},
		},
	}
	for _, st := range steps {
		write(t, ws, st.fn)
		same(t, st.name+": lists", must[[]leadscore.AccountList](t, "AccountLists")(ws.AccountLists(ctx)), st.lists)
		for domain, want := range st.lookups {
			got, priority, err := ws.AccountListNames(ctx, domain)
			if err != nil {
				t.Fatal(err)
			}
			same(t, st.name+": lists of "+domain, names{got, priority}, want)
		}
	}
}

// boom is the error (and panic value) a failing fn produces.
type boom struct{}

func (boom) Error() string { return "boom" }

func testRollback(t *testing.T, s leadscore.Store) {
	ctx := t.Context()
	ws := s.Workspace(leadscore.DefaultWorkspace)
	upsertLeads(t, ws, leadscore.Lead{ID: "kept", Email: "before@x.com", CreatedAt: at(0)})
	err := ws.Write(ctx, func(tx leadscore.Tx) error {
		steps := []func() error{
			func() error { return tx.UpsertLead(ctx, &leadscore.Lead{ID: "u1", CreatedAt: at(0)}) },
			func() error {
				return tx.UpsertLead(ctx, &leadscore.Lead{ID: "kept", Email: "after@x.com", CreatedAt: at(0)})
			},
			func() error { return tx.AddAlias(ctx, "user:u1", "u1") },
			func() error { return tx.UpsertAccount(ctx, &leadscore.Account{ID: "acme.com"}) },
			func() error { e := event("u1", "m1", "t", at(0)); _, err := tx.InsertEvent(ctx, &e); return err },
			func() error {
				return tx.PutScore(ctx, &leadscore.ScoreRecord{LeadID: "u1", Model: "m", Score: 5, NextChangeAt: at(0)})
			},
			func() error {
				return tx.AppendLedger(ctx, &leadscore.LedgerEntry{LeadID: "u1", Model: "m", NewScore: 5, Cause: leadscore.CauseEvent})
			},
			func() error {
				return tx.PutModelVersion(ctx, &leadscore.ModelVersion{Name: "m", Version: "v1", Active: true})
			},
			func() error { return tx.PutAPIKey(ctx, &leadscore.APIKey{ID: "k", Prefix: "p", Hash: []byte("h")}) },
			func() error { return tx.PutJob(ctx, &leadscore.Job{ID: "j", Kind: "k", State: leadscore.JobQueued}) },
			func() error {
				return tx.PutAccountList(ctx, leadscore.AccountList{Name: "l", Domains: []string{"a.com"}})
			},
		}
		for _, step := range steps {
			if err := step(); err != nil {
				return err
			}
		}
		return fmt.Errorf("fn failed: %w", boom{})
	})
	if !errors.Is(err, boom{}) {
		t.Fatalf("Write returned %v, want fn's error", err)
	}
	gone := []struct {
		name string
		call func() error
	}{
		{"lead", func() error { _, err := ws.Lead(ctx, "u1"); return err }},
		{"alias", func() error { _, err := ws.LeadByAlias(ctx, "user:u1"); return err }},
		{"account", func() error { _, err := ws.Account(ctx, "acme.com"); return err }},
		{"key", func() error { _, err := ws.APIKeyByPrefix(ctx, "p"); return err }},
		{"job", func() error { _, err := ws.Job(ctx, "j"); return err }},
	}
	for _, g := range gone {
		wantCode(t, "rolled back "+g.name, g.call(), leadscore.CodeNotFound)
	}
	same(t, "unchanged lead", must[*leadscore.Lead](t, "Lead")(ws.Lead(ctx, "kept")).Email, "before@x.com")
	same(t, "events", len(must[[]leadscore.StoredEvent](t, "Events")(ws.Events(ctx, "u1", 0))), 0)
	same(t, "scores", len(must[[]leadscore.ScoreRecord](t, "Scores")(ws.Scores(ctx, "u1"))), 0)
	same(t, "ledger", len(must[[]leadscore.LedgerEntry](t, "Ledger")(ws.Ledger(ctx, "u1", "", 0, 0))), 0)
	same(t, "due", len(must[[]string](t, "DueLeads")(ws.DueLeads(ctx, at(day), 10))), 0)
	same(t, "models", len(must[[]leadscore.ModelVersion](t, "ModelVersions")(ws.ModelVersions(ctx, ""))), 0)
	same(t, "lists", len(must[[]leadscore.AccountList](t, "AccountLists")(ws.AccountLists(ctx))), 0)
	same(t, "count", must[int64](t, "CountLeads")(ws.CountLeads(ctx)), int64(1))
	// The event's message id is free again: nothing of it was kept.
	var inserted bool
	write(t, ws, func(ctx context.Context, tx leadscore.Tx) error {
		e := event("u1", "m1", "t", at(0))
		var err error
		inserted, err = tx.InsertEvent(ctx, &e)
		return err
	})
	same(t, "event after rollback is new", inserted, true)
}

func testReadYourWrites(t *testing.T, s leadscore.Store) {
	ctx := t.Context()
	ws := s.Workspace(leadscore.DefaultWorkspace)
	write(t, ws, func(ctx context.Context, tx leadscore.Tx) error {
		if err := tx.UpsertLead(ctx, &leadscore.Lead{ID: "u1", AccountID: "acme.com", CreatedAt: at(0)}); err != nil {
			return err
		}
		if err := tx.AddAlias(ctx, "user:u1", "u1"); err != nil {
			return err
		}
		e := event("u1", "m1", "page.viewed", at(0))
		if _, err := tx.InsertEvent(ctx, &e); err != nil {
			return err
		}
		if err := tx.PutScore(ctx, &leadscore.ScoreRecord{LeadID: "u1", Model: "m", Score: 3, NextChangeAt: at(hour)}); err != nil {
			return err
		}
		checks := []struct {
			name string
			ok   func() (bool, error)
		}{
			{"lead", func() (bool, error) { _, err := tx.Lead(ctx, "u1"); return err == nil, nil }},
			{"alias", func() (bool, error) { id, err := tx.LeadByAlias(ctx, "user:u1"); return id == "u1", err }},
			{"events", func() (bool, error) { evs, err := tx.Events(ctx, "u1", 0); return len(evs) == 1, err }},
			{"scores", func() (bool, error) { sc, err := tx.Scores(ctx, "u1"); return len(sc) == 1, err }},
			{"due", func() (bool, error) {
				d, err := tx.DueLeads(ctx, at(day), 5)
				return slices.Equal(d, []string{"u1"}), err
			}},
			{"peers", func() (bool, error) {
				p, err := tx.Peers(ctx, "acme.com", "other", at(-hour))
				return len(p) == 1, err
			}},
			{"peers in bulk", func() (bool, error) {
				b, ok := tx.(leadscore.BulkReader)
				if !ok {
					return false, nil
				}
				p, err := b.PeersOf(ctx, []string{"acme.com"}, at(-hour))
				return len(p["acme.com"]) == 1, err
			}},
			{"count", func() (bool, error) { n, err := tx.CountLeads(ctx); return n == 1, err }},
			{"listing", func() (bool, error) {
				rows, _, err := tx.ListLeads(ctx, leadscore.LeadFilter{Model: "m"})
				return len(rows) == 1, err
			}},
		}
		for _, c := range checks {
			ok, err := c.ok()
			if err != nil || !ok {
				t.Errorf("inside the transaction, %s does not see its own write (err %v)", c.name, err)
			}
		}
		// Outside, nothing is visible before the commit.
		_, err := ws.Lead(ctx, "u1")
		wantCode(t, "uncommitted lead seen from outside", err, leadscore.CodeNotFound)
		return nil
	})
	must[*leadscore.Lead](t, "Lead")(ws.Lead(ctx, "u1"))
}

// testUsableAfterRefusal checks that a refused operation (not found, a
// conflict, invalid text) leaves the transaction able to commit the rest.
func testUsableAfterRefusal(t *testing.T, s leadscore.Store) {
	ctx := t.Context()
	ws := s.Workspace(leadscore.DefaultWorkspace)
	write(t, ws, func(ctx context.Context, tx leadscore.Tx) error {
		return tx.PutModelVersion(ctx, &leadscore.ModelVersion{Name: "m", Version: "v1"})
	})
	refusals := []struct {
		name string
		code leadscore.ErrorCode
		fn   func(tx leadscore.Tx) error
	}{
		{"delete a missing lead", leadscore.CodeNotFound, func(tx leadscore.Tx) error { return tx.DeleteLead(ctx, "missing") }},
		{"activate a missing version", leadscore.CodeNotFound, func(tx leadscore.Tx) error { return tx.ActivateModel(ctx, "m", "v9") }},
		{"a version again", leadscore.CodeConflict, func(tx leadscore.Tx) error {
			return tx.PutModelVersion(ctx, &leadscore.ModelVersion{Name: "m", Version: "v1"})
		}},
		{"NUL in text", leadscore.CodeInvalid, func(tx leadscore.Tx) error {
			return tx.UpsertLead(ctx, &leadscore.Lead{ID: "u1", Title: "a\x00b"})
		}},
		{"NUL in an event property", leadscore.CodeInvalid, func(tx leadscore.Tx) error {
			e := event("u1", "m1", "t", at(0))
			e.Properties = map[string]any{"q": "a\x00b"}
			_, err := tx.InsertEvent(ctx, &e)
			return err
		}},
		{"invalid UTF-8", leadscore.CodeInvalid, func(tx leadscore.Tx) error {
			return tx.AddAlias(ctx, "email:\xff", "u1")
		}},
		{"NUL in a key", leadscore.CodeInvalid, func(tx leadscore.Tx) error { _, err := tx.Lead(ctx, "u\x001"); return err }},
	}
	for _, r := range refusals {
		write(t, ws, func(ctx context.Context, tx leadscore.Tx) error {
			wantCode(t, r.name, r.fn(tx), r.code)
			if err := tx.UpsertLead(ctx, &leadscore.Lead{ID: "after " + r.name, CreatedAt: at(0)}); err != nil {
				return err
			}
			e := event("after "+r.name, "after "+r.name, "t", at(0))
			_, err := tx.InsertEvent(ctx, &e)
			return err
		})
		must[*leadscore.Lead](t, "Lead")(ws.Lead(ctx, "after "+r.name))
	}
	// A backslash before u0000 in a property is text, not a NUL.
	write(t, ws, func(ctx context.Context, tx leadscore.Tx) error {
		e := event("u2", "m2", "t", at(0))
		e.Properties = map[string]any{"path": `C:\u0000`}
		_, err := tx.InsertEvent(ctx, &e)
		return err
	})
	evs := must[[]leadscore.StoredEvent](t, "Events")(ws.Events(ctx, "u2", 0))
	if len(evs) != 1 || evs[0].Properties["path"] != `C:\u0000` {
		t.Errorf("escaped backslash property: %+v", evs)
	}
}

func testPanic(t *testing.T, s leadscore.Store) {
	ctx := t.Context()
	ws := s.Workspace(leadscore.DefaultWorkspace)
	func() {
		defer func() {
			if r := recover(); r != (boom{}) {
				t.Errorf("recovered %v, want the panic to pass through", r)
			}
		}()
		ws.Write(ctx, func(tx leadscore.Tx) error {
			if err := tx.UpsertLead(ctx, &leadscore.Lead{ID: "u1", CreatedAt: at(0)}); err != nil {
				return err
			}
			panic(boom{})
		})
	}()
	_, err := ws.Lead(ctx, "u1")
	wantCode(t, "lead written before the panic", err, leadscore.CodeNotFound)
	// The store is still usable.
	upsertLeads(t, ws, leadscore.Lead{ID: "u2", CreatedAt: at(0)})
}

func testWorkspaceIsolation(t *testing.T, s leadscore.Store) {
	ctx := t.Context()
	a, b := s.Workspace(leadscore.DefaultWorkspace), s.Workspace("client-b")
	fill := func(ws leadscore.WorkspaceStore, email string) {
		write(t, ws, func(ctx context.Context, tx leadscore.Tx) error {
			steps := []func() error{
				func() error {
					return tx.UpsertLead(ctx, &leadscore.Lead{ID: "u1", Email: email, AccountID: "acme.com", CreatedAt: at(0)})
				},
				func() error {
					return tx.UpsertLead(ctx, &leadscore.Lead{ID: "u2", AccountID: "acme.com", CreatedAt: at(0)})
				},
				func() error { return tx.AddAlias(ctx, "email:"+email, "u1") },
				func() error { return tx.UpsertAccount(ctx, &leadscore.Account{ID: "acme.com", Name: email}) },
				func() error {
					e := event("u2", "m1", "page.viewed", at(0))
					if ok, err := tx.InsertEvent(ctx, &e); err != nil || !ok {
						return fmt.Errorf("the first event of %s: inserted %v, %v", email, ok, err)
					}
					return nil
				},
				func() error {
					return tx.PutScore(ctx, &leadscore.ScoreRecord{LeadID: "u1", Model: "m", Score: 9, NextChangeAt: at(0)})
				},
				func() error {
					return tx.AppendLedger(ctx, &leadscore.LedgerEntry{LeadID: "u1", Model: "m", NewScore: 9, Cause: leadscore.CauseEvent})
				},
				func() error {
					return tx.PutModelVersion(ctx, &leadscore.ModelVersion{Name: "m", Version: "v1", Active: true})
				},
				func() error { return tx.PutModelVersion(ctx, &leadscore.ModelVersion{Name: "m", Version: "v2"}) },
				func() error {
					return tx.PutAPIKey(ctx, &leadscore.APIKey{ID: "k1", Prefix: "pre-" + email, Hash: []byte("h")})
				},
				func() error { return tx.PutJob(ctx, &leadscore.Job{ID: "j1", Kind: email, State: leadscore.JobQueued}) },
				func() error {
					return tx.PutAccountList(ctx, leadscore.AccountList{Name: "targets", Domains: []string{"acme.com"}})
				},
			}
			for _, step := range steps {
				if err := step(); err != nil {
					return err
				}
			}
			return nil
		})
	}
	fill(a, "a@acme.com")

	// b sees nothing of a.
	empty := []struct {
		name string
		n    func() (int, error)
	}{
		{"Lead", func() (int, error) { return found(b.Lead(ctx, "u1")) }},
		{"LeadByAlias", func() (int, error) { return found(b.LeadByAlias(ctx, "email:a@acme.com")) }},
		{"Account", func() (int, error) { return found(b.Account(ctx, "acme.com")) }},
		{"AccountLeads", func() (int, error) { return count(b.AccountLeads(ctx, "acme.com")) }},
		{"Events", func() (int, error) { return count(b.Events(ctx, "u2", 0)) }},
		{"Peers", func() (int, error) { return count(b.Peers(ctx, "acme.com", "u1", at(-day))) }},
		{"Scores", func() (int, error) { return count(b.Scores(ctx, "u1")) }},
		{"Ledger", func() (int, error) { return count(b.Ledger(ctx, "u1", "", 0, 0)) }},
		{"ListLeads", func() (int, error) {
			rows, _, err := b.ListLeads(ctx, leadscore.LeadFilter{Model: "m"})
			return len(rows), err
		}},
		{"ListLeads by update", func() (int, error) { rows, _, err := b.ListLeads(ctx, leadscore.LeadFilter{}); return len(rows), err }},
		{"DueLeads", func() (int, error) { return count(b.DueLeads(ctx, at(day), 10)) }},
		{"ModelVersions", func() (int, error) { return count(b.ModelVersions(ctx, "")) }},
		{"ActiveModels", func() (int, error) { return count(b.ActiveModels(ctx)) }},
		{"APIKeyByPrefix", func() (int, error) { return found(b.APIKeyByPrefix(ctx, "pre-a@acme.com")) }},
		{"APIKeys", func() (int, error) { return count(b.APIKeys(ctx)) }},
		{"Job", func() (int, error) { return found(b.Job(ctx, "j1")) }},
		{"AccountLists", func() (int, error) { return count(b.AccountLists(ctx)) }},
		{"AccountListNames", func() (int, error) { names, _, err := b.AccountListNames(ctx, "acme.com"); return len(names), err }},
		{"LeadIDs", func() (int, error) { return count(b.LeadIDs(ctx, "", 10)) }},
		{"CountLeads", func() (int, error) { n, err := b.CountLeads(ctx); return int(n), err }},
	}
	for _, e := range empty {
		n, err := e.n()
		if err != nil || n != 0 {
			t.Errorf("workspace b sees a's %s: %d rows, err %v", e.name, n, err)
		}
	}

	// The same ids and message ids in b are b's own; writing them leaves a alone.
	fill(b, "b@beta.io")
	write(t, b, func(ctx context.Context, tx leadscore.Tx) error {
		if err := tx.ActivateModel(ctx, "m", "v2"); err != nil {
			return err
		}
		if err := tx.RevokeAPIKey(ctx, "k1", at(0)); err != nil {
			return err
		}
		if err := tx.DeleteAccountList(ctx, "targets"); err != nil {
			return err
		}
		return tx.DeleteLead(ctx, "u2")
	})
	same(t, "a's lead", must[*leadscore.Lead](t, "Lead")(a.Lead(ctx, "u1")).Email, "a@acme.com")
	same(t, "b's lead", must[*leadscore.Lead](t, "Lead")(b.Lead(ctx, "u1")).Email, "b@beta.io")
	same(t, "a's alias", must[string](t, "LeadByAlias")(a.LeadByAlias(ctx, "email:a@acme.com")), "u1")
	same(t, "a's events", len(must[[]leadscore.StoredEvent](t, "Events")(a.Events(ctx, "u2", 0))), 1)
	same(t, "a's active model", must[[]leadscore.ModelVersion](t, "ActiveModels")(a.ActiveModels(ctx))[0].Version, "v1")
	same(t, "a's key", must[*leadscore.APIKey](t, "APIKeyByPrefix")(a.APIKeyByPrefix(ctx, "pre-a@acme.com")).RevokedAt == nil, true)
	same(t, "a's job", must[*leadscore.Job](t, "Job")(a.Job(ctx, "j1")).Kind, "a@acme.com")
	same(t, "a's lists", len(must[[]leadscore.AccountList](t, "AccountLists")(a.AccountLists(ctx))), 1)
	same(t, "a's count", must[int64](t, "CountLeads")(a.CountLeads(ctx)), int64(2))
	same(t, "b's count", must[int64](t, "CountLeads")(b.CountLeads(ctx)), int64(1))
	same(t, "a's due", must[[]string](t, "DueLeads")(a.DueLeads(ctx, at(day), 10)), []string{"u1"})
}

func found[T any](_ T, err error) (int, error) {
	if leadscore.CodeOf(err) == leadscore.CodeNotFound {
		return 0, nil
	}
	return 1, err
}

func count[T any](v []T, err error) (int, error) { return len(v), err }
