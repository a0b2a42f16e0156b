package storetest

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/leadscore/leadscore"
)

// The bulk operations (leadscore.BulkTx, leadscore.BulkReader) must do
// exactly what their single forms do. The tests below hold them to it by
// running the same inputs through both forms, in two workspaces of one
// store, and comparing everything that can be read back, and by checking
// the cases the single forms cannot show: duplicates within one call and
// calls larger than any one statement can hold.

func bulkTests() []struct {
	name string
	fn   func(t *testing.T, s leadscore.Store)
} {
	return []struct {
		name string
		fn   func(t *testing.T, s leadscore.Store)
	}{
		{"BulkEquivalence", testBulkEquivalence},
		{"BulkEventDedup", testBulkEventDedup},
		{"BulkDefaults", testBulkDefaults},
		{"BulkScoreRewrite", testBulkScoreRewrite},
		{"BulkReaders", testBulkReaders},
		{"BulkLarge", testBulkLarge},
		{"BulkEmpty", testBulkEmpty},
		{"BulkRefusals", testBulkRefusals},
		{"BulkRollback", testBulkRollback},
		{"BulkWorkspaceIsolation", testBulkWorkspaceIsolation},
	}
}

// bulkWrite runs fn in a transaction with its bulk form, skipping the test
// when the store has none (the bulk interfaces are optional).
func bulkWrite(t *testing.T, ws leadscore.WorkspaceStore, fn func(ctx context.Context, tx leadscore.BulkTx) error) {
	t.Helper()
	if err := tryBulkWrite(t, ws, fn); err != nil {
		t.Fatalf("write: %v", err)
	}
}

func tryBulkWrite(t *testing.T, ws leadscore.WorkspaceStore, fn func(ctx context.Context, tx leadscore.BulkTx) error) error {
	t.Helper()
	ctx := t.Context()
	missing := false
	err := ws.Write(ctx, func(tx leadscore.Tx) error {
		b, ok := tx.(leadscore.BulkTx)
		if !ok {
			missing = true
			return nil
		}
		return fn(ctx, b)
	})
	if missing {
		t.Skip("the store's transactions do not implement leadscore.BulkTx")
	}
	return err
}

func bulkReader(t *testing.T, ws leadscore.WorkspaceStore) leadscore.BulkReader {
	t.Helper()
	r, ok := ws.(leadscore.BulkReader)
	if !ok {
		t.Skip("the store's workspace view does not implement leadscore.BulkReader")
	}
	return r
}

func ptrs[T any](vs []T) []*T {
	out := make([]*T, len(vs))
	for i := range vs {
		out[i] = &vs[i]
	}
	return out
}

// seqRanks maps every seq of a workspace's events (or ledger entries) to
// its rank: seqs are global to a store, so two workspaces compare by order.
func seqRanks(seqs []int64) map[int64]int64 {
	slices.Sort(seqs)
	out := make(map[int64]int64, len(seqs))
	for i, s := range seqs {
		out[s] = int64(i + 1)
	}
	return out
}

// bulkFixture is the state both workspaces start from, written with the
// single forms.
func bulkFixture(t *testing.T, ws leadscore.WorkspaceStore) {
	t.Helper()
	upsertLeads(t, ws,
		leadscore.Lead{ID: "known", Email: "k@acme.com", AccountID: "acme.com", CreatedAt: at(-30 * day)},
		leadscore.Lead{ID: "known2", AccountID: "acme.com", CreatedAt: at(-20 * day)},
		leadscore.Lead{ID: "watcher", AccountID: "acme.com", CreatedAt: at(-20 * day)})
	insertEvents(t, ws, event("known", "old1", "page.viewed", at(-5*day)))
	write(t, ws, func(ctx context.Context, tx leadscore.Tx) error {
		if err := tx.AddAlias(ctx, "anon:x", "anon:x"); err != nil {
			return err
		}
		return tx.PutScore(ctx, &leadscore.ScoreRecord{LeadID: "known", Model: "fit", Version: "v1", Score: 5,
			UpdatedAt: at(-day), NextChangeAt: at(day)})
	})
}

// bulkInputs are the writes of the equivalence test, fresh for each form.
type bulkInputs struct {
	leads   []leadscore.Lead
	aliases map[string]string
	events  []leadscore.StoredEvent
	scores  []leadscore.ScoreRecord
	ledger  []leadscore.LedgerEntry
}

func newBulkInputs() bulkInputs {
	api := func(e leadscore.StoredEvent) leadscore.StoredEvent { e.Source = "api"; return e }
	bot := func(e leadscore.StoredEvent) leadscore.StoredEvent { e.Bot, e.BotReason = true, "crawler"; return e }
	props := func(e leadscore.StoredEvent) leadscore.StoredEvent {
		e.Properties = map[string]any{"path": "/pricing", "n": 2.0}
		e.UserAgent, e.AnonymousID = "Mozilla/5.0", "x"
		return e
	}
	eval := &leadscore.Evaluation{Model: "fit", Version: "v2", LeadID: "n1", AsOf: at(0), Score: 40, Band: "warm",
		Contributions: []leadscore.Contribution{{Rule: "pricing", Category: "fit", Points: 40, Count: 1, Matched: 1}}}
	return bulkInputs{
		leads: []leadscore.Lead{
			{ID: "n1", Email: "n1@acme.com", FirstName: "Ann", AccountID: "acme.com", CreatedAt: at(-day),
				Fields: map[string]any{"owner": "sam", "age": 41.0}},
			// No creation time: the stored one is kept.
			{ID: "known", Email: "k@acme.com", Title: "CTO", AccountID: "acme.com"},
			{ID: "known2", AccountID: "acme.com", CreatedAt: at(-40 * day)},
			{ID: "anon:v9", CreatedAt: at(-hour)},
			// Copies of one id: each is written in turn, the last wins, and
			// a copy without a creation time gets the one before it.
			{ID: "dup", Title: "first", CreatedAt: at(-2 * day)},
			{ID: "dup", Title: "second"},
			{ID: "dup", Title: "third", CreatedAt: at(-3 * day)},
			{ID: "dup", Title: "fourth", AccountID: "acme.com"},
		},
		aliases: map[string]string{"user:n1": "n1", "anon:x": "n1", "email:k@acme.com": "known", "user:dup": "dup"},
		events: []leadscore.StoredEvent{
			props(event("n1", "m1", "page.viewed", at(-2*hour))),
			event("n1", "m1", "email.opened", at(-hour)),               // the same message again: not stored
			event("known", "old1", "form.submitted", at(0)),            // stored before: not stored
			api(event("known", "old1", "form.submitted", at(-3*hour))), // another source: new
			event("n1", "", "page.viewed", at(-2*hour)),                // no message id: never a duplicate
			event("n1", "", "page.viewed", at(-2*hour)),
			event("known2", "m2", "page.viewed", at(-4*day)),
			bot(event("known2", "m3", "page.viewed", at(-hour))), // a bot: no activity
			event("dup", "m4", "page.viewed", at(-2*hour)),       // ties with n1's events in time
			event("anon:v9", "m5", "page.viewed", at(-30*time.Minute)),
		},
		scores: []leadscore.ScoreRecord{
			{LeadID: "n1", Model: "fit", Version: "v2", Score: 10, Display: 10, Band: "cold", UpdatedAt: at(0)},
			{LeadID: "n1", Model: "b2b", Version: "v1", Score: 88.5, Display: 88, Band: "hot", Grade: "A",
				Qualified: true, UpdatedAt: at(0), NextChangeAt: at(7 * day)},
			{LeadID: "known", Model: "fit", Version: "v2", Score: 1, Disqualified: true, UpdatedAt: at(0)},
			// The same lead and model again: the last wins.
			{LeadID: "n1", Model: "fit", Version: "v2", Score: 40, Display: 40, Band: "warm", Evaluation: eval,
				UpdatedAt: at(time.Minute), NextChangeAt: at(2 * day)},
		},
		ledger: []leadscore.LedgerEntry{
			{LeadID: "n1", Model: "fit", Version: "v2", At: at(0), NewScore: 10, NewBand: "cold", Cause: leadscore.CauseEvent, CauseRef: "m1"},
			{LeadID: "known", Model: "fit", Version: "v2", At: at(0), OldScore: ptr(5.0), NewScore: 1, Cause: leadscore.CauseModel,
				CauseRef: "v2", Detail: "disqualified"},
			{LeadID: "n1", Model: "fit", Version: "v2", At: at(time.Minute), OldScore: ptr(10.0), NewScore: 40, OldBand: "cold",
				NewBand: "warm", Cause: leadscore.CauseEvent, Qualified: true},
			{LeadID: "n1", Model: "b2b", Version: "v1", At: at(0), NewScore: 88.5, Cause: leadscore.CauseRescore},
		},
	}
}

// bulkOutcome is everything the equivalence test compares.
type bulkOutcome struct {
	Inserted []bool
	Inputs   bulkInputs
	Leads    map[string]*leadscore.Lead
	Aliases  map[string]string
	Events   map[string][]leadscore.StoredEvent
	Scores   map[string][]leadscore.ScoreRecord
	Ledger   map[string][]leadscore.LedgerEntry
	Listed   []string
	Peers    []leadscore.Peer
	Due      []string
}

func readOutcome(t *testing.T, ws leadscore.WorkspaceStore, in bulkInputs, inserted []bool) bulkOutcome {
	t.Helper()
	ctx := t.Context()
	leadIDs := []string{"n1", "known", "known2", "anon:v9", "dup", "watcher"}
	out := bulkOutcome{Inserted: inserted, Inputs: in, Leads: map[string]*leadscore.Lead{}, Aliases: map[string]string{},
		Events: map[string][]leadscore.StoredEvent{}, Scores: map[string][]leadscore.ScoreRecord{},
		Ledger: map[string][]leadscore.LedgerEntry{}}
	var eventSeqs, ledgerSeqs []int64
	for _, id := range leadIDs {
		out.Leads[id] = must[*leadscore.Lead](t, "Lead")(ws.Lead(ctx, id))
		out.Events[id] = must[[]leadscore.StoredEvent](t, "Events")(ws.Events(ctx, id, 0))
		out.Scores[id] = must[[]leadscore.ScoreRecord](t, "Scores")(ws.Scores(ctx, id))
		out.Ledger[id] = must[[]leadscore.LedgerEntry](t, "Ledger")(ws.Ledger(ctx, id, "", 0, 0))
		for _, e := range out.Events[id] {
			eventSeqs = append(eventSeqs, e.Seq)
		}
		for _, e := range out.Ledger[id] {
			ledgerSeqs = append(ledgerSeqs, e.Seq)
		}
	}
	for alias := range in.aliases {
		out.Aliases[alias] = must[string](t, "LeadByAlias")(ws.LeadByAlias(ctx, alias))
	}
	out.Aliases["anon:x"] = must[string](t, "LeadByAlias")(ws.LeadByAlias(ctx, "anon:x"))
	// Seqs are store-wide: compare them by their order in the workspace.
	evRank, ledRank := seqRanks(eventSeqs), seqRanks(ledgerSeqs)
	for _, evs := range out.Events {
		for i := range evs {
			evs[i].Seq = evRank[evs[i].Seq]
		}
	}
	for i := range out.Inputs.events {
		out.Inputs.events[i].Seq = evRank[out.Inputs.events[i].Seq]
	}
	for _, es := range out.Ledger {
		for i := range es {
			es[i].Seq = ledRank[es[i].Seq]
		}
	}
	for i := range out.Inputs.ledger {
		out.Inputs.ledger[i].Seq = ledRank[out.Inputs.ledger[i].Seq]
	}
	// Leads listed by their last update: the order the writes happened in.
	rows, _, err := ws.ListLeads(ctx, leadscore.LeadFilter{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	out.Listed = ids(rows)
	out.Peers = must[[]leadscore.Peer](t, "Peers")(ws.Peers(ctx, "acme.com", "watcher", at(-10*day)))
	out.Due = must[[]string](t, "DueLeads")(ws.DueLeads(ctx, at(30*day), 100))
	return out
}

func testBulkEquivalence(t *testing.T, s leadscore.Store) {
	single, bulk := s.Workspace("single"), s.Workspace("bulk")
	bulkFixture(t, single)
	bulkFixture(t, bulk)

	in := newBulkInputs()
	var inserted []bool
	write(t, single, func(ctx context.Context, tx leadscore.Tx) error {
		for i := range in.leads {
			if err := tx.UpsertLead(ctx, &in.leads[i]); err != nil {
				return err
			}
		}
		for _, alias := range slices.Sorted(maps.Keys(in.aliases)) {
			if err := tx.AddAlias(ctx, alias, in.aliases[alias]); err != nil {
				return err
			}
		}
		for i := range in.events {
			ok, err := tx.InsertEvent(ctx, &in.events[i])
			if err != nil {
				return err
			}
			inserted = append(inserted, ok)
		}
		for i := range in.scores {
			if err := tx.PutScore(ctx, &in.scores[i]); err != nil {
				return err
			}
		}
		for i := range in.ledger {
			if err := tx.AppendLedger(ctx, &in.ledger[i]); err != nil {
				return err
			}
		}
		return nil
	})
	want := readOutcome(t, single, in, inserted)

	bin := newBulkInputs()
	var binserted []bool
	bulkWrite(t, bulk, func(ctx context.Context, tx leadscore.BulkTx) error {
		if err := tx.UpsertLeads(ctx, ptrs(bin.leads)); err != nil {
			return err
		}
		if err := tx.AddAliases(ctx, bin.aliases); err != nil {
			return err
		}
		var err error
		if binserted, err = tx.InsertEvents(ctx, ptrs(bin.events)); err != nil {
			return err
		}
		if err := tx.PutScores(ctx, ptrs(bin.scores)); err != nil {
			return err
		}
		return tx.AppendLedgerEntries(ctx, ptrs(bin.ledger))
	})
	got := readOutcome(t, bulk, bin, binserted)

	// The fixture must exercise what it claims to: duplicates refused and
	// the repeated lead written in turn.
	same(t, "inserted (single forms)", want.Inserted, []bool{true, false, false, true, true, true, true, true, true, true})
	same(t, "dup's creation time (single forms)", want.Leads["dup"].CreatedAt, at(-3*day))
	same(t, "dup's second copy (single forms)", want.Inputs.leads[5].CreatedAt, at(-2*day))

	same(t, "inserted", got.Inserted, want.Inserted)
	same(t, "events as filled in", got.Inputs.events, want.Inputs.events)
	same(t, "leads as filled in", got.Inputs.leads, want.Inputs.leads)
	sameJSON(t, "scores as filled in", got.Inputs.scores, want.Inputs.scores)
	same(t, "ledger as filled in", got.Inputs.ledger, want.Inputs.ledger)
	same(t, "stored leads", got.Leads, want.Leads)
	same(t, "aliases", got.Aliases, want.Aliases)
	same(t, "stored events", got.Events, want.Events)
	sameJSON(t, "stored scores", got.Scores, want.Scores)
	same(t, "stored ledger", got.Ledger, want.Ledger)
	same(t, "leads by last update", got.Listed, want.Listed)
	same(t, "peers (last activity)", got.Peers, want.Peers)
	same(t, "due leads", got.Due, want.Due)
}

func testBulkEventDedup(t *testing.T, s leadscore.Store) {
	ctx := t.Context()
	ws := s.Workspace(leadscore.DefaultWorkspace)
	upsertLeads(t, ws, leadscore.Lead{ID: "u1", CreatedAt: at(-day)})
	stored := insertEvents(t, ws, event("u1", "m1", "page.viewed", at(0)))[0]
	api := event("u1", "m1", "page.viewed", at(0))
	api.Source = "api"
	evs := []leadscore.StoredEvent{
		event("u1", "m1", "email.opened", at(hour)), // stored before
		event("u1", "m2", "page.viewed", at(hour)),
		event("u1", "m2", "email.clicked", at(2*hour)), // earlier in the call
		api, // the same message id from another source
		event("u1", "", "page.viewed", at(hour)),
		event("u1", "", "page.viewed", at(hour)),
		event("u1", "m3", "page.viewed", at(-hour)),
		event("u1", "m3", "page.viewed", at(-hour)),
		event("u1", "m1", "page.viewed", at(hour)), // stored before, again
	}
	var inserted []bool
	bulkWrite(t, ws, func(ctx context.Context, tx leadscore.BulkTx) error {
		var err error
		inserted, err = tx.InsertEvents(ctx, ptrs(evs))
		return err
	})
	same(t, "inserted", inserted, []bool{false, true, false, true, true, true, true, false, false})
	for i, dupOf := range map[int]int{2: 1, 7: 6} {
		if evs[i].Seq != evs[dupOf].Seq {
			t.Errorf("event %d duplicates event %d of the call: seq %d, want %d", i, dupOf, evs[i].Seq, evs[dupOf].Seq)
		}
	}
	for _, i := range []int{0, 8} {
		if evs[i].Seq != stored.Seq {
			t.Errorf("event %d duplicates a stored event: seq %d, want %d", i, evs[i].Seq, stored.Seq)
		}
	}
	// New events get seqs in the order of the call, after the stored ones.
	last := stored.Seq
	for i, ok := range inserted {
		if ok {
			if evs[i].Seq <= last {
				t.Errorf("event %d: seq %d does not follow %d", i, evs[i].Seq, last)
			}
			last = evs[i].Seq
		}
	}
	got := must[[]leadscore.StoredEvent](t, "Events")(ws.Events(ctx, "u1", 0))
	want := []leadscore.StoredEvent{evs[6], stored, evs[1], evs[3], evs[4], evs[5]}
	slices.SortFunc(want, func(a, b leadscore.StoredEvent) int {
		if c := a.At.Compare(b.At); c != 0 {
			return c
		}
		return int(a.Seq - b.Seq)
	})
	same(t, "stored events: the first of each message", got, want)

	// The same call again: every event with a message id is known now.
	again := []leadscore.StoredEvent{evs[0], evs[1], evs[3], evs[4], evs[6]}
	for i := range again {
		again[i].Seq = 0
	}
	bulkWrite(t, ws, func(ctx context.Context, tx leadscore.BulkTx) error {
		var err error
		inserted, err = tx.InsertEvents(ctx, ptrs(again))
		return err
	})
	same(t, "inserted again", inserted, []bool{false, false, false, true, false})
	same(t, "seqs of known events", []int64{again[0].Seq, again[1].Seq, again[2].Seq, again[4].Seq},
		[]int64{stored.Seq, evs[1].Seq, evs[3].Seq, evs[6].Seq})
}

// testBulkDefaults checks the values the store fills in: each equals what
// reads return.
func testBulkDefaults(t *testing.T, s leadscore.Store) {
	ctx := t.Context()
	ws := s.Workspace(leadscore.DefaultWorkspace)
	upsertLeads(t, ws, leadscore.Lead{ID: "old", CreatedAt: at(-day)})
	e := event("fresh", "m1", "page.viewed", at(0).Add(789*time.Nanosecond))
	e.ReceivedAt = time.Time{}
	leads := []*leadscore.Lead{{ID: "fresh"}, {ID: "old", Title: "CEO"}}
	score := &leadscore.ScoreRecord{LeadID: "fresh", Model: "m", Score: 1}
	entry := &leadscore.LedgerEntry{LeadID: "fresh", Model: "m", NewScore: 1, Cause: leadscore.CauseEvent}
	bulkWrite(t, ws, func(ctx context.Context, tx leadscore.BulkTx) error {
		if err := tx.UpsertLeads(ctx, leads); err != nil {
			return err
		}
		if _, err := tx.InsertEvents(ctx, []*leadscore.StoredEvent{&e}); err != nil {
			return err
		}
		if err := tx.PutScores(ctx, []*leadscore.ScoreRecord{score}); err != nil {
			return err
		}
		return tx.AppendLedgerEntries(ctx, []*leadscore.LedgerEntry{entry})
	})
	if leads[0].CreatedAt.IsZero() || e.ReceivedAt.IsZero() || score.UpdatedAt.IsZero() || entry.At.IsZero() || entry.Seq == 0 {
		t.Fatalf("a default was not filled in: lead %v, event %v, score %v, ledger %v seq %d",
			leads[0].CreatedAt, e.ReceivedAt, score.UpdatedAt, entry.At, entry.Seq)
	}
	same(t, "a new lead's creation time", must[*leadscore.Lead](t, "Lead")(ws.Lead(ctx, "fresh")).CreatedAt, leads[0].CreatedAt)
	same(t, "a kept creation time", leads[1].CreatedAt, at(-day))
	same(t, "the stored event", must[[]leadscore.StoredEvent](t, "Events")(ws.Events(ctx, "fresh", 0)), []leadscore.StoredEvent{e})
	same(t, "microseconds kept", e.At, at(0))
	same(t, "the score's update time", must[[]leadscore.ScoreRecord](t, "Scores")(ws.Scores(ctx, "fresh"))[0].UpdatedAt, score.UpdatedAt)
	same(t, "the ledger entry", must[[]leadscore.LedgerEntry](t, "Ledger")(ws.Ledger(ctx, "fresh", "", 0, 0)), []leadscore.LedgerEntry{*entry})
}

// testBulkScoreRewrite rewrites stored scores: one keeps its score, band
// and next change and tells a new story, one changes its score, one its
// next change, one its band, and one is new. Every field reads back as
// last written, and the ranking and the due listing follow the new values.
func testBulkScoreRewrite(t *testing.T, s leadscore.Store) {
	ctx := t.Context()
	ws := s.Workspace(leadscore.DefaultWorkspace)
	upsertLeads(t, ws, leadscore.Lead{ID: "same"}, leadscore.Lead{ID: "score"}, leadscore.Lead{ID: "next"},
		leadscore.Lead{ID: "band"}, leadscore.Lead{ID: "new"})
	eval := func(score float64, rule string) *leadscore.Evaluation {
		return &leadscore.Evaluation{Model: "m", Score: score, Raw: score, Display: int64(score),
			Contributions: []leadscore.Contribution{{Rule: rule, Points: score}}}
	}
	first := []leadscore.ScoreRecord{
		{LeadID: "same", Model: "m", Version: "v1", Score: 50, Display: 50, Band: "warm", Evaluation: eval(50, "a"), NextChangeAt: at(day), UpdatedAt: at(0)},
		{LeadID: "score", Model: "m", Version: "v1", Score: 40, Display: 40, Band: "warm", Evaluation: eval(40, "a"), NextChangeAt: at(day), UpdatedAt: at(0)},
		{LeadID: "next", Model: "m", Version: "v1", Score: 30, Display: 30, Band: "warm", Evaluation: eval(30, "a"), NextChangeAt: at(day), UpdatedAt: at(0)},
		{LeadID: "band", Model: "m", Version: "v1", Score: 20, Display: 20, Band: "warm", Evaluation: eval(20, "a"), UpdatedAt: at(0)},
	}
	bulkWrite(t, ws, func(ctx context.Context, tx leadscore.BulkTx) error { return tx.PutScores(ctx, ptrs(first)) })
	second := []leadscore.ScoreRecord{
		{LeadID: "same", Model: "m", Version: "v2", Score: 50, Display: 2050, Band: "warm", Grade: "A", Qualified: true,
			Evaluation: eval(50, "b"), NextChangeAt: at(day), UpdatedAt: at(hour)},
		{LeadID: "score", Model: "m", Version: "v2", Score: 60, Display: 60, Band: "warm", Evaluation: eval(60, "b"), NextChangeAt: at(day), UpdatedAt: at(hour)},
		{LeadID: "next", Model: "m", Version: "v2", Score: 30, Display: 30, Band: "warm", Evaluation: eval(30, "b"), NextChangeAt: at(2 * day), UpdatedAt: at(hour)},
		{LeadID: "band", Model: "m", Version: "v2", Score: 20, Display: 20, Band: "cold", Evaluation: eval(20, "b"), NextChangeAt: at(hour), UpdatedAt: at(hour)},
		{LeadID: "new", Model: "m", Version: "v2", Score: 10, Display: 10, Band: "cold", Evaluation: eval(10, "b"), UpdatedAt: at(hour)},
	}
	bulkWrite(t, ws, func(ctx context.Context, tx leadscore.BulkTx) error { return tx.PutScores(ctx, ptrs(second)) })
	for _, want := range second {
		got := must[[]leadscore.ScoreRecord](t, "Scores")(ws.Scores(ctx, want.LeadID))
		if len(got) != 1 {
			t.Fatalf("%s: %d scores, want 1", want.LeadID, len(got))
		}
		got[0].Digest, want.Digest = 0, 0
		sameJSON(t, want.LeadID+"'s score", got[0], want)
	}
	rows, _, err := ws.ListLeads(ctx, leadscore.LeadFilter{Model: "m", Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	var order []string
	for _, r := range rows {
		order = append(order, r.Lead.ID)
	}
	same(t, "the ranking", order, []string{"score", "same", "next", "band", "new"})
	cold, _, err := ws.ListLeads(ctx, leadscore.LeadFilter{Model: "m", Band: "cold", Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	same(t, "the cold band", len(cold), 2)
	same(t, "due within a day", must[[]string](t, "DueLeads")(ws.DueLeads(ctx, at(day), 10)), []string{"band", "same", "score"})
}

func testBulkReaders(t *testing.T, s leadscore.Store) {
	ctx := t.Context()
	ws := s.Workspace(leadscore.DefaultWorkspace)
	br := bulkReader(t, ws)
	upsertLeads(t, ws,
		leadscore.Lead{ID: "u1", Email: "u1@acme.com", Fields: map[string]any{"tier": "gold"}, CreatedAt: at(-day)},
		leadscore.Lead{ID: "u2", AccountID: "acme.com", CreatedAt: at(-day)},
		leadscore.Lead{ID: "u3", CreatedAt: at(-day)}) // no events, no scores
	insertEvents(t, ws,
		event("u1", "m1", "page.viewed", at(2*hour)),
		event("u1", "m2", "email.opened", at(hour)),
		event("u1", "m3", "email.clicked", at(hour)), // ties with m2: seq decides
		event("u2", "m4", "page.viewed", at(0)),
		event("u1", "m5", "form.submitted", at(-hour)))
	write(t, ws, func(ctx context.Context, tx leadscore.Tx) error {
		for alias, lead := range map[string]string{"user:u1": "u1", "email:u1@acme.com": "u1", "anon:z": "u2"} {
			if err := tx.AddAlias(ctx, alias, lead); err != nil {
				return err
			}
		}
		for _, sc := range []leadscore.ScoreRecord{
			{LeadID: "u1", Model: "fit", Score: 3, Evaluation: &leadscore.Evaluation{Model: "fit", Score: 3}},
			{LeadID: "u1", Model: "b2b", Score: 9, NextChangeAt: at(day)},
			{LeadID: "u2", Model: "fit", Score: 1},
		} {
			if err := tx.PutScore(ctx, &sc); err != nil {
				return err
			}
		}
		return nil
	})
	ids := []string{"u2", "missing", "u1", "u3", "u1"}

	check := func(name string, r leadscore.Reader, b leadscore.BulkReader) {
		t.Helper()
		leads := must[map[string]*leadscore.Lead](t, "LeadsByID")(b.LeadsByID(ctx, ids))
		wantLeads := map[string]*leadscore.Lead{}
		for _, id := range []string{"u1", "u2", "u3"} {
			wantLeads[id] = must[*leadscore.Lead](t, "Lead")(r.Lead(ctx, id))
		}
		same(t, name+": LeadsByID", leads, wantLeads)

		aliases := must[map[string]string](t, "AliasesOf")(b.AliasesOf(ctx, []string{"user:u1", "anon:z", "u1", "email:u1@acme.com", "anon:z"}))
		same(t, name+": AliasesOf", aliases, map[string]string{"user:u1": "u1", "email:u1@acme.com": "u1", "anon:z": "u2"})

		events := must[map[string][]leadscore.StoredEvent](t, "EventsOf")(b.EventsOf(ctx, ids))
		wantEvents := map[string][]leadscore.StoredEvent{}
		for _, id := range []string{"u1", "u2"} {
			wantEvents[id] = must[[]leadscore.StoredEvent](t, "Events")(r.Events(ctx, id, 0))
		}
		same(t, name+": EventsOf", events, wantEvents)
		if len(wantEvents["u1"]) != 4 {
			t.Fatalf("%s: the fixture gave u1 %d events", name, len(wantEvents["u1"]))
		}

		scores := must[map[string][]leadscore.ScoreRecord](t, "ScoresOf")(b.ScoresOf(ctx, ids))
		wantScores := map[string][]leadscore.ScoreRecord{}
		for _, id := range []string{"u1", "u2"} {
			wantScores[id] = must[[]leadscore.ScoreRecord](t, "Scores")(r.Scores(ctx, id))
		}
		sameJSON(t, name+": ScoresOf", scores, wantScores)
		summaries := must[map[string][]leadscore.ScoreRecord](t, "ScoreSummariesOf")(b.ScoreSummariesOf(ctx, ids))
		for id := range wantScores {
			for i := range wantScores[id] {
				// A summary carries the digest of the evaluation it leaves out.
				var want uint64 // none without an evaluation
				if ev := wantScores[id][i].Evaluation; ev != nil {
					want = ev.Digest()
				}
				if got := summaries[id][i].Digest; got != want {
					t.Errorf("%s: ScoreSummariesOf %s/%s: digest %x, want the evaluation's %x", name, id, wantScores[id][i].Model, got, want)
				}
				wantScores[id][i].Evaluation = nil
			}
		}
		sameJSON(t, name+": ScoreSummariesOf", summaries, wantScores)
		if len(scores["u1"]) != 2 || scores["u1"][0].Model != "b2b" || scores["u1"][1].Evaluation == nil {
			t.Errorf("%s: u1's scores are not every model in model order with evaluations: %+v", name, scores["u1"])
		}

		for _, empty := range [][]string{nil, {}} {
			n := len(must[map[string]*leadscore.Lead](t, "LeadsByID")(b.LeadsByID(ctx, empty))) +
				len(must[map[string]string](t, "AliasesOf")(b.AliasesOf(ctx, empty))) +
				len(must[map[string][]leadscore.StoredEvent](t, "EventsOf")(b.EventsOf(ctx, empty))) +
				len(must[map[string][]leadscore.ScoreRecord](t, "ScoresOf")(b.ScoresOf(ctx, empty)))
			same(t, name+": reads of no keys", n, 0)
		}
	}
	check("workspace", ws, br)
	write(t, ws, func(ctx context.Context, tx leadscore.Tx) error {
		b, ok := tx.(leadscore.BulkReader)
		if !ok {
			t.Error("the workspace view reads in bulk but its transactions do not")
			return nil
		}
		check("transaction", tx, b)
		return nil
	})

	// Inside a transaction the bulk reads see its bulk writes; outside,
	// nothing shows before the commit.
	bulkWrite(t, ws, func(ctx context.Context, tx leadscore.BulkTx) error {
		if err := tx.UpsertLeads(ctx, []*leadscore.Lead{{ID: "u4", CreatedAt: at(0)}}); err != nil {
			return err
		}
		if err := tx.AddAliases(ctx, map[string]string{"user:u4": "u4"}); err != nil {
			return err
		}
		e := event("u4", "m9", "page.viewed", at(0))
		if _, err := tx.InsertEvents(ctx, []*leadscore.StoredEvent{&e}); err != nil {
			return err
		}
		if err := tx.PutScores(ctx, []*leadscore.ScoreRecord{{LeadID: "u4", Model: "fit", Score: 2}}); err != nil {
			return err
		}
		in := []int{
			len(must[map[string]*leadscore.Lead](t, "LeadsByID")(tx.LeadsByID(ctx, []string{"u4"}))),
			len(must[map[string]string](t, "AliasesOf")(tx.AliasesOf(ctx, []string{"user:u4"}))),
			len(must[map[string][]leadscore.StoredEvent](t, "EventsOf")(tx.EventsOf(ctx, []string{"u4"}))),
			len(must[map[string][]leadscore.ScoreRecord](t, "ScoresOf")(tx.ScoresOf(ctx, []string{"u4"}))),
		}
		same(t, "bulk reads of the transaction's writes", in, []int{1, 1, 1, 1})
		out := []int{
			len(must[map[string]*leadscore.Lead](t, "LeadsByID")(br.LeadsByID(ctx, []string{"u4"}))),
			len(must[map[string]string](t, "AliasesOf")(br.AliasesOf(ctx, []string{"user:u4"}))),
			len(must[map[string][]leadscore.StoredEvent](t, "EventsOf")(br.EventsOf(ctx, []string{"u4"}))),
			len(must[map[string][]leadscore.ScoreRecord](t, "ScoresOf")(br.ScoresOf(ctx, []string{"u4"}))),
		}
		same(t, "bulk reads from outside before the commit", out, []int{0, 0, 0, 0})
		return nil
	})
}

// Sizes for testBulkLarge: every call holds more values than one SQLite
// statement can bind (32,766 parameters), so a store binding a parameter
// per value must split it, and the splits must not show. (PostgreSQL's
// limit is twice that, but a store that can bind arrays there needs none.)
const (
	largeRows    = 2600   // events, scores, ledger entries: 12 columns and the workspace
	largeLeads   = 2100   // 15 columns and the workspace
	largeAliases = 8300   // 3 columns and the workspace
	largeKeys    = 33_000 // one value each
)

func testBulkLarge(t *testing.T, s leadscore.Store) {
	ctx := t.Context()
	ws := s.Workspace(leadscore.DefaultWorkspace)
	br := bulkReader(t, ws)
	const nLeads = 97
	leadOf := func(i int) string { return fmt.Sprintf("lead%04d", i%nLeads) }
	msgOf := func(i int) string { return fmt.Sprintf("m%05d", i) }

	// Some messages are stored beforehand, so duplicates of stored events
	// are spread over the call.
	var before []leadscore.StoredEvent
	for i := 0; i < largeRows; i += 199 {
		before = append(before, event(leadOf(i), msgOf(i), "page.viewed", at(-day)))
	}
	insertEvents(t, ws, before...)
	storedSeq := map[string]int64{}
	for _, e := range before {
		storedSeq[e.MessageID] = e.Seq
	}

	evs := make([]leadscore.StoredEvent, largeRows)
	wantInserted := make([]bool, largeRows)
	dupOf := map[int]int{} // event -> the earlier event of the call it repeats
	firstOf := map[string]int{}
	for i := range evs {
		msg := msgOf(i)
		if i%97 == 96 && i >= 300 {
			msg = msgOf(i - 300) // a repeat of an event far back in the call
		}
		if i%500 == 250 {
			msg = "" // never a duplicate
		}
		evs[i] = event(leadOf(i), msg, "page.viewed", at(time.Duration(i)*time.Second))
		if _, known := storedSeq[msg]; known {
			continue
		}
		if f, seen := firstOf[msg]; seen && msg != "" {
			dupOf[i] = f
			continue
		}
		firstOf[msg] = i
		wantInserted[i] = true
	}
	if len(dupOf) < 10 || len(before) < 10 {
		t.Fatalf("the fixture repeats %d events of the call and %d stored ones", len(dupOf), len(before))
	}
	leads := make([]leadscore.Lead, largeLeads)
	for i := range leads {
		leads[i] = leadscore.Lead{ID: fmt.Sprintf("l%05d", i), Email: fmt.Sprintf("p%d@acme.com", i), CreatedAt: at(-time.Duration(i) * time.Minute)}
	}
	aliases := make(map[string]string, largeAliases)
	for i := range largeAliases {
		aliases[fmt.Sprintf("anon:%05d", i)] = leadOf(i)
	}
	scores := make([]leadscore.ScoreRecord, largeRows)
	for i := range scores {
		scores[i] = leadscore.ScoreRecord{LeadID: fmt.Sprintf("s%05d", i/3), Model: fmt.Sprintf("m%d", i%3),
			Score: float64(i) / 7, Display: int64(i), UpdatedAt: at(0), NextChangeAt: at(time.Duration(i) * time.Minute)}
	}
	ledger := make([]leadscore.LedgerEntry, largeRows)
	for i := range ledger {
		ledger[i] = leadscore.LedgerEntry{LeadID: leadOf(i), Model: "m", At: at(0), NewScore: float64(i), Cause: leadscore.CauseEvent,
			CauseRef: msgOf(i)}
	}

	var inserted []bool
	bulkWrite(t, ws, func(ctx context.Context, tx leadscore.BulkTx) error {
		if err := tx.UpsertLeads(ctx, ptrs(leads)); err != nil {
			return err
		}
		if err := tx.AddAliases(ctx, aliases); err != nil {
			return err
		}
		var err error
		if inserted, err = tx.InsertEvents(ctx, ptrs(evs)); err != nil {
			return err
		}
		if err := tx.PutScores(ctx, ptrs(scores)); err != nil {
			return err
		}
		return tx.AppendLedgerEntries(ctx, ptrs(ledger))
	})

	same(t, "inserted", inserted, wantInserted)
	var last int64
	for i, e := range evs {
		f, repeat := dupOf[i]
		switch {
		case wantInserted[i]:
			if e.Seq <= last {
				t.Fatalf("event %d: seq %d does not follow %d", i, e.Seq, last)
			}
			last = e.Seq
		case repeat:
			if want := evs[f].Seq; e.Seq != want {
				t.Fatalf("event %d repeats event %d: seq %d, want %d", i, f, e.Seq, want)
			}
		default:
			if want := storedSeq[e.MessageID]; e.Seq != want {
				t.Fatalf("event %d duplicates a stored event: seq %d, want %d", i, e.Seq, want)
			}
		}
	}
	for i := 1; i < len(ledger); i++ {
		if ledger[i].Seq <= ledger[i-1].Seq {
			t.Fatalf("ledger entry %d: seq %d does not follow %d", i, ledger[i].Seq, ledger[i-1].Seq)
		}
	}

	// Read everything back in bulk too, with more keys than a statement
	// holds: every id written and unknown ones.
	var keys []string
	for i := range leads {
		keys = append(keys, leads[i].ID)
	}
	for i := range nLeads {
		keys = append(keys, leadOf(i))
	}
	for i := 0; i < largeRows; i += 3 {
		keys = append(keys, scores[i].LeadID)
	}
	for i := len(keys); i < largeKeys; i++ {
		keys = append(keys, fmt.Sprintf("unknown%06d", i))
	}
	gotLeads := must[map[string]*leadscore.Lead](t, "LeadsByID")(br.LeadsByID(ctx, keys))
	same(t, "leads found", len(gotLeads), largeLeads)
	for _, i := range []int{0, 1, largeLeads / 2, largeLeads - 1} {
		same(t, "lead "+leads[i].ID, *gotLeads[leads[i].ID], leads[i])
	}

	aliasKeys := slices.Collect(maps.Keys(aliases))
	aliasKeys = append(aliasKeys, "anon:unknown", "user:unknown")
	same(t, "aliases", must[map[string]string](t, "AliasesOf")(br.AliasesOf(ctx, aliasKeys)), aliases)

	gotEvents := must[map[string][]leadscore.StoredEvent](t, "EventsOf")(br.EventsOf(ctx, keys))
	wantEvents := map[string][]leadscore.StoredEvent{}
	for _, e := range before {
		wantEvents[e.LeadID] = append(wantEvents[e.LeadID], e)
	}
	for i, e := range evs {
		if inserted[i] {
			wantEvents[e.LeadID] = append(wantEvents[e.LeadID], e)
		}
	}
	same(t, "events", gotEvents, wantEvents)

	gotScores := must[map[string][]leadscore.ScoreRecord](t, "ScoresOf")(br.ScoresOf(ctx, keys))
	wantScores := map[string][]leadscore.ScoreRecord{}
	for _, sc := range scores {
		wantScores[sc.LeadID] = append(wantScores[sc.LeadID], sc)
	}
	same(t, "scores", gotScores, wantScores)

	var gotLedger []leadscore.LedgerEntry
	for i := range nLeads {
		gotLedger = append(gotLedger, must[[]leadscore.LedgerEntry](t, "Ledger")(ws.Ledger(ctx, leadOf(i), "", 0, 0))...)
	}
	slices.SortFunc(gotLedger, func(a, b leadscore.LedgerEntry) int { return int(a.Seq - b.Seq) })
	same(t, "ledger", gotLedger, ledger)
}

func testBulkEmpty(t *testing.T, s leadscore.Store) {
	ctx := t.Context()
	ws := s.Workspace(leadscore.DefaultWorkspace)
	bulkWrite(t, ws, func(ctx context.Context, tx leadscore.BulkTx) error {
		for _, evs := range [][]*leadscore.StoredEvent{nil, {}} {
			inserted, err := tx.InsertEvents(ctx, evs)
			if err != nil || len(inserted) != 0 {
				t.Errorf("InsertEvents(%v) = %v, %v", evs, inserted, err)
			}
		}
		for _, err := range []error{
			tx.PutScores(ctx, nil), tx.PutScores(ctx, []*leadscore.ScoreRecord{}),
			tx.AppendLedgerEntries(ctx, nil), tx.AppendLedgerEntries(ctx, []*leadscore.LedgerEntry{}),
			tx.UpsertLeads(ctx, nil), tx.UpsertLeads(ctx, []*leadscore.Lead{}),
			tx.AddAliases(ctx, nil), tx.AddAliases(ctx, map[string]string{}),
		} {
			if err != nil {
				t.Errorf("an empty bulk write: %v", err)
			}
		}
		return tx.UpsertLeads(ctx, []*leadscore.Lead{{ID: "after", CreatedAt: at(0)}})
	})
	same(t, "leads", must[int64](t, "CountLeads")(ws.CountLeads(ctx)), int64(1))
}

// testBulkRefusals checks that an invalid row refuses the whole call,
// stores none of its rows, and leaves the transaction able to commit the
// rest, as refusals of the single forms do.
func testBulkRefusals(t *testing.T, s leadscore.Store) {
	ctx := t.Context()
	ws := s.Workspace(leadscore.DefaultWorkspace)
	good := func() leadscore.StoredEvent { return event("u1", "good", "t", at(0)) }
	withEvent := func(e leadscore.StoredEvent) func(tx leadscore.BulkTx) error {
		return func(tx leadscore.BulkTx) error {
			g := good()
			_, err := tx.InsertEvents(ctx, []*leadscore.StoredEvent{&g, &e})
			return err
		}
	}
	nulProps := event("u1", "x", "t", at(0))
	nulProps.Properties = map[string]any{"q": "a\x00b"}
	refusals := []struct {
		name string
		fn   func(tx leadscore.BulkTx) error
	}{
		{"event without a lead", withEvent(event("", "x", "t", at(0)))},
		{"event without a type", withEvent(event("u1", "x", "", at(0)))},
		{"event without a time", withEvent(event("u1", "x", "t", time.Time{}))},
		{"NUL in an event property", withEvent(nulProps)},
		{"invalid UTF-8 in a message id", withEvent(event("u1", "x\xff", "t", at(0)))},
		{"a nil event", func(tx leadscore.BulkTx) error {
			g := good()
			_, err := tx.InsertEvents(ctx, []*leadscore.StoredEvent{&g, nil})
			return err
		}},
		{"score without a model", func(tx leadscore.BulkTx) error {
			return tx.PutScores(ctx, []*leadscore.ScoreRecord{{LeadID: "u1", Model: "good"}, {LeadID: "u1"}})
		}},
		{"NUL in a band", func(tx leadscore.BulkTx) error {
			return tx.PutScores(ctx, []*leadscore.ScoreRecord{{LeadID: "u1", Model: "good"}, {LeadID: "u1", Model: "m", Band: "\x00"}})
		}},
		{"ledger entry without a cause", func(tx leadscore.BulkTx) error {
			return tx.AppendLedgerEntries(ctx, []*leadscore.LedgerEntry{
				{LeadID: "u1", Model: "good", Cause: leadscore.CauseEvent}, {LeadID: "u1", Model: "m"}})
		}},
		{"NUL in a ledger detail", func(tx leadscore.BulkTx) error {
			return tx.AppendLedgerEntries(ctx, []*leadscore.LedgerEntry{
				{LeadID: "u1", Model: "good", Cause: leadscore.CauseEvent}, {LeadID: "u1", Model: "m", Cause: leadscore.CauseEvent, Detail: "\x00"}})
		}},
		{"lead without an id", func(tx leadscore.BulkTx) error {
			return tx.UpsertLeads(ctx, []*leadscore.Lead{{ID: "good"}, {Email: "x@y.z"}})
		}},
		{"NUL in a custom field", func(tx leadscore.BulkTx) error {
			return tx.UpsertLeads(ctx, []*leadscore.Lead{{ID: "good"}, {ID: "u2", Fields: map[string]any{"f": "\x00"}}})
		}},
		{"alias without a lead", func(tx leadscore.BulkTx) error {
			return tx.AddAliases(ctx, map[string]string{"user:good": "good", "user:x": ""})
		}},
		{"invalid UTF-8 in an alias", func(tx leadscore.BulkTx) error {
			return tx.AddAliases(ctx, map[string]string{"user:good": "good", "email:\xff": "u1"})
		}},
		{"NUL in a lead id read", func(tx leadscore.BulkTx) error { _, err := tx.LeadsByID(ctx, []string{"good", "u\x001"}); return err }},
		{"NUL in an alias read", func(tx leadscore.BulkTx) error { _, err := tx.AliasesOf(ctx, []string{"good", "\x00"}); return err }},
		{"invalid UTF-8 in an events read", func(tx leadscore.BulkTx) error { _, err := tx.EventsOf(ctx, []string{"\xfe"}); return err }},
		{"invalid UTF-8 in a scores read", func(tx leadscore.BulkTx) error { _, err := tx.ScoresOf(ctx, []string{"\xfe"}); return err }},
	}
	for _, r := range refusals {
		marker := "after " + r.name
		bulkWrite(t, ws, func(ctx context.Context, tx leadscore.BulkTx) error {
			wantCode(t, r.name, r.fn(tx), leadscore.CodeInvalid)
			if err := tx.UpsertLeads(ctx, []*leadscore.Lead{{ID: marker, CreatedAt: at(0)}}); err != nil {
				return err
			}
			e := event(marker, marker, "t", at(0))
			_, err := tx.InsertEvents(ctx, []*leadscore.StoredEvent{&e})
			return err
		})
		must[*leadscore.Lead](t, "Lead")(ws.Lead(ctx, marker))
	}
	// Nothing of a refused call was stored, not even its valid rows.
	br := bulkReader(t, ws)
	same(t, "leads of refused calls", len(must[map[string]*leadscore.Lead](t, "LeadsByID")(br.LeadsByID(ctx, []string{"good", "u2"}))), 0)
	same(t, "aliases of refused calls", len(must[map[string]string](t, "AliasesOf")(br.AliasesOf(ctx, []string{"user:good"}))), 0)
	same(t, "events of refused calls", len(must[[]leadscore.StoredEvent](t, "Events")(ws.Events(ctx, "u1", 0))), 0)
	same(t, "scores of refused calls", len(must[[]leadscore.ScoreRecord](t, "Scores")(ws.Scores(ctx, "u1"))), 0)
	same(t, "ledger of refused calls", len(must[[]leadscore.LedgerEntry](t, "Ledger")(ws.Ledger(ctx, "u1", "", 0, 0))), 0)
}

func testBulkRollback(t *testing.T, s leadscore.Store) {
	ctx := t.Context()
	ws := s.Workspace(leadscore.DefaultWorkspace)
	upsertLeads(t, ws,
		leadscore.Lead{ID: "kept", Title: "before", AccountID: "acme.com", CreatedAt: at(-day)},
		leadscore.Lead{ID: "watcher", AccountID: "acme.com", CreatedAt: at(-day)})
	evs := func() []leadscore.StoredEvent {
		return []leadscore.StoredEvent{event("kept", "m1", "t", at(0)), event("u1", "m2", "t", at(0))}
	}
	err := tryBulkWrite(t, ws, func(ctx context.Context, tx leadscore.BulkTx) error {
		if err := tx.UpsertLeads(ctx, []*leadscore.Lead{{ID: "u1"}, {ID: "kept", Title: "after"}}); err != nil {
			return err
		}
		if err := tx.AddAliases(ctx, map[string]string{"user:u1": "u1"}); err != nil {
			return err
		}
		if _, err := tx.InsertEvents(ctx, ptrs(evs())); err != nil {
			return err
		}
		if err := tx.PutScores(ctx, []*leadscore.ScoreRecord{{LeadID: "u1", Model: "m", NextChangeAt: at(0)}}); err != nil {
			return err
		}
		if err := tx.AppendLedgerEntries(ctx, []*leadscore.LedgerEntry{{LeadID: "u1", Model: "m", Cause: leadscore.CauseEvent}}); err != nil {
			return err
		}
		return fmt.Errorf("fn failed: %w", boom{})
	})
	if !errors.Is(err, boom{}) {
		t.Fatalf("Write returned %v, want fn's error", err)
	}
	_, err = ws.Lead(ctx, "u1")
	wantCode(t, "rolled back lead", err, leadscore.CodeNotFound)
	_, err = ws.LeadByAlias(ctx, "user:u1")
	wantCode(t, "rolled back alias", err, leadscore.CodeNotFound)
	same(t, "unchanged lead", must[*leadscore.Lead](t, "Lead")(ws.Lead(ctx, "kept")).Title, "before")
	for _, id := range []string{"u1", "kept"} {
		same(t, "events of "+id, len(must[[]leadscore.StoredEvent](t, "Events")(ws.Events(ctx, id, 0))), 0)
	}
	same(t, "scores", len(must[[]leadscore.ScoreRecord](t, "Scores")(ws.Scores(ctx, "u1"))), 0)
	same(t, "ledger", len(must[[]leadscore.LedgerEntry](t, "Ledger")(ws.Ledger(ctx, "u1", "", 0, 0))), 0)
	same(t, "due", len(must[[]string](t, "DueLeads")(ws.DueLeads(ctx, at(day), 10))), 0)
	same(t, "last activity", len(must[[]leadscore.Peer](t, "Peers")(ws.Peers(ctx, "acme.com", "watcher", at(-day)))), 0)
	// The message ids are free again.
	var inserted []bool
	bulkWrite(t, ws, func(ctx context.Context, tx leadscore.BulkTx) error {
		var err error
		inserted, err = tx.InsertEvents(ctx, ptrs(evs()))
		return err
	})
	same(t, "events after the rollback are new", inserted, []bool{true, true})
}

func testBulkWorkspaceIsolation(t *testing.T, s leadscore.Store) {
	ctx := t.Context()
	a, b := s.Workspace(leadscore.DefaultWorkspace), s.Workspace("client-b")
	fill := func(ws leadscore.WorkspaceStore, email string) {
		t.Helper()
		var inserted []bool
		bulkWrite(t, ws, func(ctx context.Context, tx leadscore.BulkTx) error {
			if err := tx.UpsertLeads(ctx, []*leadscore.Lead{{ID: "u1", Email: email, CreatedAt: at(0)}}); err != nil {
				return err
			}
			if err := tx.AddAliases(ctx, map[string]string{"email:" + email: "u1", "user:u1": "u1"}); err != nil {
				return err
			}
			var err error
			inserted, err = tx.InsertEvents(ctx, ptrs([]leadscore.StoredEvent{event("u1", "m1", "t", at(0)), event("u1", "m2", "t", at(0))}))
			if err != nil {
				return err
			}
			if err := tx.PutScores(ctx, []*leadscore.ScoreRecord{{LeadID: "u1", Model: "m", Band: email}}); err != nil {
				return err
			}
			return tx.AppendLedgerEntries(ctx, []*leadscore.LedgerEntry{{LeadID: "u1", Model: "m", NewBand: email, Cause: leadscore.CauseEvent}})
		})
		// Message ids are per workspace: b's are new though a has them.
		same(t, "events of "+email+" are new", inserted, []bool{true, true})
	}
	fill(a, "a@acme.com")
	bb := bulkReader(t, b)
	ids := []string{"u1"}
	n := len(must[map[string]*leadscore.Lead](t, "LeadsByID")(bb.LeadsByID(ctx, ids))) +
		len(must[map[string]string](t, "AliasesOf")(bb.AliasesOf(ctx, []string{"user:u1", "email:a@acme.com"}))) +
		len(must[map[string][]leadscore.StoredEvent](t, "EventsOf")(bb.EventsOf(ctx, ids))) +
		len(must[map[string][]leadscore.ScoreRecord](t, "ScoresOf")(bb.ScoresOf(ctx, ids)))
	same(t, "rows of a that b reads", n, 0)

	fill(b, "b@beta.io")
	for ws, email := range map[leadscore.WorkspaceStore]string{a: "a@acme.com", b: "b@beta.io"} {
		r := bulkReader(t, ws)
		same(t, email+"'s lead", must[map[string]*leadscore.Lead](t, "LeadsByID")(r.LeadsByID(ctx, ids))["u1"].Email, email)
		same(t, email+"'s aliases", must[map[string]string](t, "AliasesOf")(r.AliasesOf(ctx, []string{"email:a@acme.com", "email:b@beta.io"})),
			map[string]string{"email:" + email: "u1"})
		same(t, email+"'s events", len(must[map[string][]leadscore.StoredEvent](t, "EventsOf")(r.EventsOf(ctx, ids))["u1"]), 2)
		same(t, email+"'s score", must[map[string][]leadscore.ScoreRecord](t, "ScoresOf")(r.ScoresOf(ctx, ids))["u1"][0].Band, email)
		ledger := must[[]leadscore.LedgerEntry](t, "Ledger")(ws.Ledger(ctx, "u1", "", 0, 0))
		if len(ledger) != 1 || ledger[0].NewBand != email {
			t.Errorf("%s's ledger: %+v", email, ledger)
		}
	}
}
