package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/leadscore/leadscore"
)

// Shadows and their scores (leadscore.ShadowTx): one shadow per model,
// scores kept per run, replaced and deleted with their shadow.

func shadowTests() []struct {
	name string
	fn   func(t *testing.T, s leadscore.Store)
} {
	return []struct {
		name string
		fn   func(t *testing.T, s leadscore.Store)
	}{
		{"Shadows", testShadows},
		{"ShadowScores", testShadowScores},
		{"ShadowRefusals", testShadowRefusals},
		{"ShadowDue", testShadowDue},
	}
}

func shadowReader(t *testing.T, ws leadscore.WorkspaceStore) leadscore.ShadowReader {
	t.Helper()
	r, ok := ws.(leadscore.ShadowReader)
	if !ok {
		t.Skip("the store does not keep shadows")
	}
	return r
}

func shadowWrite(t *testing.T, ws leadscore.WorkspaceStore, fn func(ctx context.Context, tx leadscore.ShadowTx) error) error {
	t.Helper()
	ctx := t.Context()
	return ws.Write(ctx, func(tx leadscore.Tx) error {
		st, ok := tx.(leadscore.ShadowTx)
		if !ok {
			t.Fatal("the store's workspace reads shadows but its transactions cannot write them")
		}
		return fn(ctx, st)
	})
}

func mustShadowWrite(t *testing.T, ws leadscore.WorkspaceStore, fn func(ctx context.Context, tx leadscore.ShadowTx) error) {
	t.Helper()
	if err := shadowWrite(t, ws, fn); err != nil {
		t.Fatalf("write: %v", err)
	}
}

// testShadows: a model has at most one shadow; starting another replaces
// it; deleting one that does not run is not_found.
func testShadows(t *testing.T, s leadscore.Store) {
	ctx := t.Context()
	ws := s.Workspace(leadscore.DefaultWorkspace)
	r := shadowReader(t, ws)
	same(t, "none yet", must[[]leadscore.Shadow](t, "Shadows")(r.Shadows(ctx)), []leadscore.Shadow(nil))
	_, err := r.Shadow(ctx, "fit")
	wantCode(t, "no shadow", err, leadscore.CodeNotFound)

	a := leadscore.Shadow{Model: "fit", Version: "v2", StartedAt: at(0), StartedBy: "ana@example.com", Job: "job_1"}
	b := leadscore.Shadow{Model: "b2b", Version: "v7", StartedAt: at(hour)}
	mustShadowWrite(t, ws, func(ctx context.Context, tx leadscore.ShadowTx) error {
		if err := tx.PutShadow(ctx, &a); err != nil {
			return err
		}
		return tx.PutShadow(ctx, &b)
	})
	same(t, "by model name", must[[]leadscore.Shadow](t, "Shadows")(r.Shadows(ctx)), []leadscore.Shadow{b, a})
	same(t, "one", *must[*leadscore.Shadow](t, "Shadow")(r.Shadow(ctx, "fit")), a)

	a2 := leadscore.Shadow{Model: "fit", Version: "v3", StartedAt: at(2 * hour)}
	mustShadowWrite(t, ws, func(ctx context.Context, tx leadscore.ShadowTx) error { return tx.PutShadow(ctx, &a2) })
	same(t, "replaced", *must[*leadscore.Shadow](t, "Shadow")(r.Shadow(ctx, "fit")), a2)

	mustShadowWrite(t, ws, func(ctx context.Context, tx leadscore.ShadowTx) error { return tx.DeleteShadow(ctx, "fit") })
	same(t, "after delete", must[[]leadscore.Shadow](t, "Shadows")(r.Shadows(ctx)), []leadscore.Shadow{b})
	err = shadowWrite(t, ws, func(ctx context.Context, tx leadscore.ShadowTx) error { return tx.DeleteShadow(ctx, "fit") })
	wantCode(t, "delete twice", err, leadscore.CodeNotFound)

	other := s.Workspace("other")
	same(t, "other workspace", must[[]leadscore.Shadow](t, "Shadows")(shadowReader(t, other).Shadows(ctx)), []leadscore.Shadow(nil))
}

// testShadowScores: scores are upserted per lead and model, paged in lead
// order without evaluations, read in bulk with them, and go with their run.
func testShadowScores(t *testing.T, s leadscore.Store) {
	ctx := t.Context()
	ws := s.Workspace(leadscore.DefaultWorkspace)
	r := shadowReader(t, ws)
	run := leadscore.Shadow{Model: "fit", Version: "v2", StartedAt: at(0)}
	ev := &leadscore.Evaluation{LeadID: "l2", Model: "fit", Version: "v2", Score: 55, Band: "warm",
		Contributions: []leadscore.Contribution{{Rule: "pricing", Category: "interest", Points: 10, Count: 1}}}
	score := func(lead string, v float64, band string, q bool, e *leadscore.Evaluation) *leadscore.ShadowScore {
		return &leadscore.ShadowScore{LeadID: lead, Model: "fit", Version: "v2", StartedAt: at(0), Score: v, Band: band,
			Qualified: q, Evaluation: e, UpdatedAt: at(hour)}
	}
	mustShadowWrite(t, ws, func(ctx context.Context, tx leadscore.ShadowTx) error {
		if err := tx.PutShadow(ctx, &run); err != nil {
			return err
		}
		return tx.PutShadowScores(ctx, []*leadscore.ShadowScore{
			score("l3", 80, "hot", true, nil), score("l1", 10, "cold", false, nil), score("l2", 40, "warm", false, nil),
			score("l2", 55, "warm", false, ev), // the last one of a lead wins
		})
	})
	page := must[[]leadscore.ShadowScore](t, "ShadowScores")(r.ShadowScores(ctx, "fit", "", 2))
	want := []leadscore.ShadowScore{*score("l1", 10, "cold", false, nil), *score("l2", 55, "warm", false, nil)}
	same(t, "first page", page, want)
	page = must[[]leadscore.ShadowScore](t, "ShadowScores")(r.ShadowScores(ctx, "fit", "l2", 2))
	same(t, "second page", page, []leadscore.ShadowScore{*score("l3", 80, "hot", true, nil)})
	same(t, "other model", must[[]leadscore.ShadowScore](t, "ShadowScores")(r.ShadowScores(ctx, "b2b", "", 10)), []leadscore.ShadowScore(nil))

	of := must[map[string]*leadscore.ShadowScore](t, "ShadowScoresOf")(r.ShadowScoresOf(ctx, "fit", []string{"l2", "l9", "l2"}))
	if len(of) != 1 || of["l2"] == nil {
		t.Fatalf("ShadowScoresOf: %v, want l2 only", of)
	}
	sameJSON(t, "with its evaluation", of["l2"], score("l2", 55, "warm", false, ev))

	// A new run of the same model drops the scores of the old one.
	next := leadscore.Shadow{Model: "fit", Version: "v3", StartedAt: at(day)}
	mustShadowWrite(t, ws, func(ctx context.Context, tx leadscore.ShadowTx) error { return tx.PutShadow(ctx, &next) })
	same(t, "replaced run", must[[]leadscore.ShadowScore](t, "ShadowScores")(r.ShadowScores(ctx, "fit", "", 10)), []leadscore.ShadowScore(nil))

	// Putting the same run again keeps its scores.
	mustShadowWrite(t, ws, func(ctx context.Context, tx leadscore.ShadowTx) error {
		if err := tx.PutShadowScores(ctx, []*leadscore.ShadowScore{{LeadID: "l1", Model: "fit", Version: "v3", StartedAt: at(day), Score: 1, UpdatedAt: at(day)}}); err != nil {
			return err
		}
		return tx.PutShadow(ctx, &next)
	})
	if got := must[[]leadscore.ShadowScore](t, "ShadowScores")(r.ShadowScores(ctx, "fit", "", 10)); len(got) != 1 {
		t.Errorf("same run put again: %d scores, want 1", len(got))
	}
	mustShadowWrite(t, ws, func(ctx context.Context, tx leadscore.ShadowTx) error { return tx.DeleteShadow(ctx, "fit") })
	same(t, "deleted with the shadow", must[[]leadscore.ShadowScore](t, "ShadowScores")(r.ShadowScores(ctx, "fit", "", 10)), []leadscore.ShadowScore(nil))
}

// testShadowRefusals: bad rows are refused whole, pointing at the row.
func testShadowRefusals(t *testing.T, s leadscore.Store) {
	ctx := t.Context()
	ws := s.Workspace(leadscore.DefaultWorkspace)
	r := shadowReader(t, ws)
	for _, tc := range []struct {
		name  string
		fn    func(ctx context.Context, tx leadscore.ShadowTx) error
		field string
	}{
		{"shadow without a version", func(ctx context.Context, tx leadscore.ShadowTx) error {
			return tx.PutShadow(ctx, &leadscore.Shadow{Model: "fit"})
		}, "version"},
		{"score without a lead", func(ctx context.Context, tx leadscore.ShadowTx) error {
			return tx.PutShadowScores(ctx, []*leadscore.ShadowScore{
				{LeadID: "ok", Model: "fit", Version: "v", StartedAt: at(0)},
				{Model: "fit", Version: "v", StartedAt: at(0)},
			})
		}, "scores[1].lead_id"},
		{"score without its run", func(ctx context.Context, tx leadscore.ShadowTx) error {
			return tx.PutShadowScores(ctx, []*leadscore.ShadowScore{{LeadID: "x", Model: "fit", Version: "v"}})
		}, "scores[0].started_at"},
	} {
		err := shadowWrite(t, ws, tc.fn)
		wantCode(t, tc.name, err, leadscore.CodeInvalid)
		var e *leadscore.Error
		if le, ok := err.(*leadscore.Error); ok {
			e = le
		}
		if e == nil || e.Field != tc.field {
			t.Errorf("%s: error %v, want field %q", tc.name, err, tc.field)
		}
	}
	same(t, "nothing written", must[[]leadscore.ShadowScore](t, "ShadowScores")(r.ShadowScores(ctx, "fit", "", 10)), []leadscore.ShadowScore(nil))
	_, err := r.ShadowScores(ctx, "fit", "", 0)
	wantCode(t, "zero limit", err, leadscore.CodeInvalid)
}

// testShadowDue: the leads whose shadow score changes with time are listed
// per model, earliest first, up to the time asked; a score that never
// changes is not.
func testShadowDue(t *testing.T, s leadscore.Store) {
	ctx := t.Context()
	ws := s.Workspace(leadscore.DefaultWorkspace)
	r := shadowReader(t, ws)
	sc := func(model, lead string, next time.Time) *leadscore.ShadowScore {
		return &leadscore.ShadowScore{LeadID: lead, Model: model, Version: "v2", StartedAt: at(0), Score: 1, NextChangeAt: next}
	}
	mustShadowWrite(t, ws, func(ctx context.Context, tx leadscore.ShadowTx) error {
		return tx.PutShadowScores(ctx, []*leadscore.ShadowScore{
			sc("fit", "late", at(3*day)), sc("fit", "early", at(day)), sc("fit", "never", time.Time{}),
			sc("fit", "soon", at(2*day)), sc("b2b", "other", at(0)),
		})
	})
	same(t, "due in two days", must[[]string](t, "ShadowDueLeads")(r.ShadowDueLeads(ctx, "fit", at(2*day), 10)), []string{"early", "soon"})
	same(t, "limited", must[[]string](t, "ShadowDueLeads")(r.ShadowDueLeads(ctx, "fit", at(9*day), 1)), []string{"early"})
	same(t, "none yet", must[[]string](t, "ShadowDueLeads")(r.ShadowDueLeads(ctx, "fit", at(hour), 10)), []string(nil))
	got := must[map[string]*leadscore.ShadowScore](t, "ShadowScoresOf")(r.ShadowScoresOf(ctx, "fit", []string{"soon", "never"}))
	if !got["soon"].NextChangeAt.Equal(at(2*day)) || !got["never"].NextChangeAt.IsZero() {
		t.Errorf("next change times read back: %v, %v", got["soon"].NextChangeAt, got["never"].NextChangeAt)
	}
	_, err := r.ShadowDueLeads(ctx, "fit", at(0), 0)
	wantCode(t, "zero limit", err, leadscore.CodeInvalid)
}
