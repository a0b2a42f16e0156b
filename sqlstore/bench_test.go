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

// BenchmarkInsertEvents measures raw event storage: one operation is one
// transaction of 1000 events, the shape group commit produces under load.
// events/s is the ceiling that scoring overhead is measured against.
func BenchmarkInsertEvents(b *testing.B) {
	const perTx = 1000
	const leads = 1000
	for _, d := range benchDialects() {
		b.Run(d.name, func(b *testing.B) {
			s := d.open(b, Options{})
			ws := s.Workspace(leadscore.DefaultWorkspace)
			ctx := context.Background()
			// The leads exist, so every event also raises a real row's last
			// activity, as in production.
			err := ws.Write(ctx, func(tx leadscore.Tx) error {
				for i := range leads {
					if err := tx.UpsertLead(ctx, &leadscore.Lead{ID: fmt.Sprintf("lead%04d", i), AccountID: "acme.com"}); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				b.Fatal(err)
			}
			base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
			seq := 0
			for b.Loop() {
				err := ws.Write(ctx, func(tx leadscore.Tx) error {
					for range perTx {
						seq++
						e := leadscore.StoredEvent{
							Event: leadscore.Event{
								ID: fmt.Sprintf("msg-%d", seq), LeadID: fmt.Sprintf("lead%04d", seq%leads), Type: "page.viewed",
								At: base.Add(time.Duration(seq) * time.Millisecond), Source: "segment",
								Properties: map[string]any{"path": "/pricing", "referrer": "https://www.google.com/", "title": "Pricing"},
								UserAgent:  "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 Safari/605.1.15",
							},
							MessageID: fmt.Sprintf("msg-%d", seq), AnonymousID: "a1b2c3",
						}
						if _, err := tx.InsertEvent(ctx, &e); err != nil {
							return err
						}
					}
					return nil
				})
				if err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N*perTx)/b.Elapsed().Seconds(), "events/s")
		})
	}
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
