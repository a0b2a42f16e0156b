package sqlstore

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/leadscore/leadscore"
)

type benchDialect struct {
	name string
	open func(testing.TB, Options) *Store
}

func benchDialects() []benchDialect {
	return []benchDialect{{"sqlite", openSQLiteT}, {"postgres", openPostgresT}}
}

// benchLeads is the number of leads the write benchmarks spread rows over.
const benchLeads = 1000

// benchStore opens a store for a write benchmark with benchLeads leads, so
// that every event also raises a real row's last activity, as in
// production.
func benchStore(b *testing.B, open func(testing.TB, Options) *Store) leadscore.WorkspaceStore {
	b.Helper()
	s := open(b, Options{})
	ws := s.Workspace(leadscore.DefaultWorkspace)
	ctx := context.Background()
	err := ws.Write(ctx, func(tx leadscore.Tx) error {
		for i := range benchLeads {
			if err := tx.UpsertLead(ctx, &leadscore.Lead{ID: fmt.Sprintf("lead%04d", i), AccountID: "acme.com"}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	return ws
}

var benchBase = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// benchEvent is the seq-th event of a benchmark: a page view as Segment
// sends it.
func benchEvent(seq int) *leadscore.StoredEvent {
	return &leadscore.StoredEvent{
		Event: leadscore.Event{
			ID: fmt.Sprintf("msg-%d", seq), LeadID: fmt.Sprintf("lead%04d", seq%benchLeads), Type: "page.viewed",
			At: benchBase.Add(time.Duration(seq) * time.Millisecond), Source: "segment",
			Properties: map[string]any{"path": "/pricing", "referrer": "https://www.google.com/", "title": "Pricing"},
			UserAgent:  "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 Safari/605.1.15",
		},
		MessageID: fmt.Sprintf("msg-%d", seq), AnonymousID: "a1b2c3",
	}
}

// benchScore is lead i's score after the seq-th event, with an evaluation
// of the size a small model produces.
func benchScore(seq, i int) *leadscore.ScoreRecord {
	score := float64(seq%100) + 0.5
	return &leadscore.ScoreRecord{
		LeadID: fmt.Sprintf("lead%04d", i%benchLeads), Model: "b2b", Version: "v3", Score: score, Display: int64(score),
		Band: "warm", Grade: "B", UpdatedAt: benchBase.Add(time.Duration(seq) * time.Millisecond),
		NextChangeAt: benchBase.Add(30 * 24 * time.Hour),
		Evaluation: &leadscore.Evaluation{Model: "b2b", Version: "v3", Score: score, Band: "warm",
			Contributions: []leadscore.Contribution{
				{Rule: "pricing-page", Category: "engagement", Points: 10, Count: 3, Matched: 3},
				{Rule: "title", Category: "fit", Points: 20, Count: 1, Matched: 1},
			}},
	}
}

func benchLedger(seq, i int) *leadscore.LedgerEntry {
	return &leadscore.LedgerEntry{LeadID: fmt.Sprintf("lead%04d", i%benchLeads), Model: "b2b", Version: "v3",
		At: benchBase.Add(time.Duration(seq) * time.Millisecond), OldScore: new(float64(seq%100) - 0.5),
		NewScore: float64(seq%100) + 0.5, OldBand: "warm", NewBand: "warm", Cause: leadscore.CauseEvent,
		CauseRef: fmt.Sprintf("msg-%d", seq)}
}

// benchWrites runs fn once per operation, each in one transaction of perTx
// rows, with each form (the single writes one by one, and bulk), on each
// dialect, and reports rows/s under unit.
func benchWrites(b *testing.B, perTx int, unit string, fn func(ctx context.Context, tx leadscore.Tx, bulk bool, seq int) error) {
	for _, d := range benchDialects() {
		b.Run(d.name, func(b *testing.B) {
			for _, form := range []string{"each", "bulk"} {
				b.Run(form, func(b *testing.B) {
					ws := benchStore(b, d.open)
					ctx := context.Background()
					seq := 0
					for b.Loop() {
						err := ws.Write(ctx, func(tx leadscore.Tx) error { return fn(ctx, tx, form == "bulk", seq) })
						if err != nil {
							b.Fatal(err)
						}
						seq += perTx
					}
					b.ReportMetric(float64(b.N*perTx)/b.Elapsed().Seconds(), unit)
				})
			}
		})
	}
}

// BenchmarkInsertEvents measures raw event storage: one operation is one
// transaction of 1000 events, the shape group commit produces under load,
// stored one InsertEvent at a time (each) or with one InsertEvents (bulk).
// events/s is the ceiling that scoring overhead is measured against.
func BenchmarkInsertEvents(b *testing.B) {
	const perTx = 1000
	benchWrites(b, perTx, "events/s", func(ctx context.Context, tx leadscore.Tx, bulk bool, seq int) error {
		evs := make([]*leadscore.StoredEvent, perTx)
		for i := range evs {
			evs[i] = benchEvent(seq + i)
		}
		if bulk {
			_, err := tx.(leadscore.BulkTx).InsertEvents(ctx, evs)
			return err
		}
		for _, e := range evs {
			if _, err := tx.InsertEvent(ctx, e); err != nil {
				return err
			}
		}
		return nil
	})
}

// BenchmarkPutScores measures storing 1000 leads' scores, with their
// evaluations, in one transaction.
func BenchmarkPutScores(b *testing.B) {
	const perTx = 1000
	benchWrites(b, perTx, "scores/s", func(ctx context.Context, tx leadscore.Tx, bulk bool, seq int) error {
		scores := make([]*leadscore.ScoreRecord, perTx)
		for i := range scores {
			scores[i] = benchScore(seq, i)
		}
		if bulk {
			return tx.(leadscore.BulkTx).PutScores(ctx, scores)
		}
		for _, s := range scores {
			if err := tx.PutScore(ctx, s); err != nil {
				return err
			}
		}
		return nil
	})
}

// BenchmarkCommitGroup measures what a group commit writes: 1000 events,
// and for each the changed score of its lead and a ledger entry, in one
// transaction.
func BenchmarkCommitGroup(b *testing.B) {
	const perTx = 1000
	benchWrites(b, perTx, "events/s", func(ctx context.Context, tx leadscore.Tx, bulk bool, seq int) error {
		evs := make([]*leadscore.StoredEvent, perTx)
		scores := make([]*leadscore.ScoreRecord, perTx)
		ledger := make([]*leadscore.LedgerEntry, perTx)
		for i := range evs {
			evs[i], scores[i], ledger[i] = benchEvent(seq+i), benchScore(seq+i, seq+i), benchLedger(seq+i, seq+i)
		}
		if bulk {
			btx := tx.(leadscore.BulkTx)
			if _, err := btx.InsertEvents(ctx, evs); err != nil {
				return err
			}
			if err := btx.PutScores(ctx, scores); err != nil {
				return err
			}
			return btx.AppendLedgerEntries(ctx, ledger)
		}
		for i := range evs {
			if _, err := tx.InsertEvent(ctx, evs[i]); err != nil {
				return err
			}
			if err := tx.PutScore(ctx, scores[i]); err != nil {
				return err
			}
			if err := tx.AppendLedger(ctx, ledger[i]); err != nil {
				return err
			}
		}
		return nil
	})
}

// BenchmarkListLeads lists pages of 50 from 100,000 scored leads: the
// first page, a page half-way down (by cursor, as a client paging there
// would ask), and filtered pages.
func BenchmarkListLeads(b *testing.B) {
	const n = 100_000
	for _, d := range benchDialects() {
		b.Run(d.name, func(b *testing.B) {
			s := d.open(b, Options{})
			ws := s.Workspace(leadscore.DefaultWorkspace)
			fillLeads(b, ws, n)
			if s.Dialect() == "postgres" {
				// As autovacuum would soon after a bulk load.
				if _, err := s.write.db.Exec("ANALYZE"); err != nil {
					b.Fatal(err)
				}
			}
			mid := cursor{Order: orderScore, Score: 50, ID: "lead050000"}.encode()
			var updated int64
			err := s.read.db.QueryRow(s.d.rebind("SELECT updated_at FROM leads WHERE workspace_id = ? AND id = ?"),
				"default", "lead050000").Scan(&updated)
			if err != nil {
				b.Fatal(err)
			}
			midUpdated := cursor{Order: orderUpdated, Updated: updated, ID: "lead050000"}.encode()
			cases := []struct {
				name string
				f    leadscore.LeadFilter
			}{
				{"score/first", leadscore.LeadFilter{Model: "m"}},
				{"score/deep", leadscore.LeadFilter{Model: "m", After: mid}},
				{"score/band", leadscore.LeadFilter{Model: "m", Band: "hot"}},
				{"score/qualified-deep", leadscore.LeadFilter{Model: "m", Qualified: new(bool), After: mid}},
				{"score/account", leadscore.LeadFilter{Model: "m", AccountID: "acct0042.com"}},
				{"updated/account", leadscore.LeadFilter{AccountID: "acct0042.com"}},
				{"score/query", leadscore.LeadFilter{Model: "m", Query: "ann"}},
				{"updated/first", leadscore.LeadFilter{}},
				{"updated/deep", leadscore.LeadFilter{After: midUpdated}},
			}
			for _, c := range cases {
				b.Run(c.name, func(b *testing.B) {
					ctx := context.Background()
					for b.Loop() {
						rows, _, err := ws.ListLeads(ctx, c.f)
						if err != nil {
							b.Fatal(err)
						}
						if len(rows) == 0 {
							b.Fatal("empty page")
						}
					}
				})
			}
		})
	}
}

// fillLeads stores n leads in 1,000 accounts, each scored under model m
// with whole-number scores 0..100 (so ties are everywhere).
func fillLeads(b *testing.B, ws leadscore.WorkspaceStore, n int) {
	b.Helper()
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(1, 2))
	names := []string{"Ann", "Bob", "Cleo", "Dan", "Eve", "Finn", "Gia", "Hal"}
	const perTx = 5000
	for start := 0; start < n; start += perTx {
		err := ws.Write(ctx, func(tx leadscore.Tx) error {
			for i := start; i < min(start+perTx, n); i++ {
				first := names[rng.IntN(len(names))]
				l := leadscore.Lead{
					ID: fmt.Sprintf("lead%06d", i), Email: fmt.Sprintf("%s.%d@acct%04d.com", first, i, i%1000),
					FirstName: first, LastName: fmt.Sprintf("Smith%d", i%97), AccountID: fmt.Sprintf("acct%04d.com", i%1000),
				}
				if err := tx.UpsertLead(ctx, &l); err != nil {
					return err
				}
				score := float64(rng.IntN(101))
				band := "cold"
				if score >= 70 {
					band = "hot"
				} else if score >= 40 {
					band = "warm"
				}
				rec := leadscore.ScoreRecord{LeadID: l.ID, Model: "m", Version: "v1", Score: score, Display: int64(score),
					Band: band, Qualified: score >= 70}
				if err := tx.PutScore(ctx, &rec); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}
