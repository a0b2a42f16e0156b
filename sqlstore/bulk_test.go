package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"math/bits"
	"strings"
	"testing"
	"time"

	"github.com/leadscore/leadscore"
)

// TestBulkStatements checks what the bulk operations are for: a group
// commit of a thousand events with their scores and ledger entries runs a
// handful of statements (round trips on PostgreSQL), not thousands.
func TestBulkStatements(t *testing.T) {
	for _, d := range benchDialects() {
		t.Run(d.name, func(t *testing.T) {
			s := d.open(t, Options{})
			ctx := t.Context()
			ws := s.Workspace(leadscore.DefaultWorkspace)
			const n, leads = 1000, 100
			count := func(fn func(tx leadscore.BulkTx) error) int64 {
				t.Helper()
				before := s.statements.Load()
				if err := ws.Write(ctx, func(tx leadscore.Tx) error { return fn(tx.(leadscore.BulkTx)) }); err != nil {
					t.Fatal(err)
				}
				return s.statements.Load() - before
			}
			// The first write creates the workspace's row.
			count(func(leadscore.BulkTx) error { return nil })

			empty := count(func(tx leadscore.BulkTx) error {
				return errors.Join(
					tx.UpsertLeads(ctx, nil), tx.AddAliases(ctx, nil), tx.PutScores(ctx, nil),
					tx.AppendLedgerEntries(ctx, nil),
					func() error { _, err := tx.InsertEvents(ctx, nil); return err }(),
					func() error { _, err := tx.LeadsByID(ctx, nil); return err }())
			})
			if empty != 0 {
				t.Errorf("empty bulk calls ran %d statements", empty)
			}

			ids := make([]string, n)
			for i := range ids {
				ids[i] = fmt.Sprintf("lead%04d", i)
			}
			got := count(func(tx leadscore.BulkTx) error {
				ls := make([]*leadscore.Lead, n)
				aliases := map[string]string{}
				evs := make([]*leadscore.StoredEvent, n)
				scores := make([]*leadscore.ScoreRecord, n)
				ledger := make([]*leadscore.LedgerEntry, n)
				for i := range n {
					ls[i] = &leadscore.Lead{ID: ids[i], AccountID: "acme.com", CreatedAt: benchBase}
					aliases["user:"+ids[i]] = ids[i]
					evs[i] = benchEvent(i)
					evs[i].LeadID = ids[i%leads]
					scores[i], ledger[i] = benchScore(i, i), benchLedger(i, i)
				}
				if err := tx.UpsertLeads(ctx, ls); err != nil {
					return err
				}
				if err := tx.AddAliases(ctx, aliases); err != nil {
					return err
				}
				if _, err := tx.InsertEvents(ctx, evs); err != nil {
					return err
				}
				if err := tx.PutScores(ctx, scores); err != nil {
					return err
				}
				if err := tx.AppendLedgerEntries(ctx, ledger); err != nil {
					return err
				}
				_, err1 := tx.LeadsByID(ctx, ids)
				_, err2 := tx.AliasesOf(ctx, ids)
				_, err3 := tx.EventsOf(ctx, ids)
				_, err4 := tx.ScoresOf(ctx, ids)
				return errors.Join(err1, err2, err3, err4)
			})
			// Nine bulk calls, then the last activity of the leads with
			// events: one statement with arrays, one per lead without.
			// On SQLite, writes that return nothing go row by row, and
			// each score row first tries the rewrite that leaves the
			// indexes alone (here it finds no row: they are all new).
			var want int64
			b := s.d.bulk
			for _, st := range []*bulkStmt{&b.upsertLeadsKeep, &b.addAliases, &b.insertEvents, &b.putScores,
				&b.appendLedger, &b.leadsByID, &b.aliasesOf, &b.eventsOf, &b.scoresOf} {
				want += int64(len(st.chunks(n)))
			}
			if s.d.arrays {
				want++
			} else {
				want += leads + n
			}
			if got > want {
				t.Errorf("a group commit of %d rows of each kind ran %d statements, want at most %d", n, got, want)
			}
			if s.d.arrays && got != 10 {
				t.Errorf("with arrays, %d statements, want one per call and one for the activity (10)", got)
			}
		})
	}
}

// A score row rewritten with the same score, band and next change time
// takes the path that leaves SQLite's score indexes alone; one that moved
// takes the upsert. Either way the row and every index agree with a fresh
// read afterwards.
func TestScoreRewrites(t *testing.T) {
	for _, d := range benchDialects() {
		t.Run(d.name, func(t *testing.T) {
			s := d.open(t, Options{})
			ctx := t.Context()
			ws := s.Workspace(leadscore.DefaultWorkspace)
			next := benchBase.Add(24 * time.Hour)
			put := func(score float64, band string, next time.Time, rule string) int64 {
				t.Helper()
				before := s.statements.Load()
				ev := &leadscore.Evaluation{LeadID: "l1", Model: "m", Version: "v-" + rule, Score: score, Band: band,
					Contributions: []leadscore.Contribution{{Rule: rule, Points: score}}}
				err := ws.Write(ctx, func(tx leadscore.Tx) error {
					if err := tx.UpsertLead(ctx, &leadscore.Lead{ID: "l1", CreatedAt: benchBase}); err != nil {
						return err
					}
					return tx.(leadscore.BulkTx).PutScores(ctx, []*leadscore.ScoreRecord{{LeadID: "l1", Model: "m",
						Version: ev.Version, Score: score, Display: int64(score), Band: band, Evaluation: ev, NextChangeAt: next,
						UpdatedAt: benchBase}})
				})
				if err != nil {
					t.Fatal(err)
				}
				ran := s.statements.Load() - before
				got, err := ws.Scores(ctx, "l1")
				if err != nil || len(got) != 1 {
					t.Fatalf("scores %v, %v", got, err)
				}
				g := got[0]
				if g.Score != score || g.Band != band || !g.NextChangeAt.Equal(next) || g.Version != ev.Version ||
					g.Evaluation == nil || g.Evaluation.Contributions[0].Rule != rule {
					t.Errorf("after writing %v/%s/%s/%s, read %+v", score, band, next, rule, g)
				}
				rows, _, err := ws.ListLeads(ctx, leadscore.LeadFilter{Model: "m", Band: band, MinScore: &score, Limit: 5})
				if err != nil || len(rows) != 1 {
					t.Errorf("listing by band %s and score %v: %v, %v", band, score, rows, err)
				}
				due, err := ws.DueLeads(ctx, next, 5)
				if err != nil || (!next.IsZero() && len(due) != 1) || (next.IsZero() && len(due) != 0) {
					t.Errorf("due at %s: %v, %v", next, due, err)
				}
				sums, err := ws.(leadscore.BulkReader).ScoreSummariesOf(ctx, []string{"l1"})
				if err != nil || len(sums["l1"]) != 1 || sums["l1"][0].Digest != ev.Digest() {
					t.Errorf("after writing %v/%s/%s/%s, the summary is %+v (%v), want digest %x", score, band, next, rule, sums, err, ev.Digest())
				}
				return ran
			}
			put(10, "warm", next, "a")
			same := put(10, "warm", next, "b")        // a new explanation only
			moved := put(20, "hot", next, "b")        // a new score and band
			later := put(20, "hot", time.Time{}, "c") // no next change any more
			put(20, "hot", time.Time{}, "d")
			if !s.d.arrays {
				if moved != same+1 || later != moved {
					t.Errorf("statements: %d for the same score, %d for a moved one, %d for a new next change; want one more for a row that moved", same, moved, later)
				}
				var check string
				if err := s.write.db.QueryRowContext(ctx, "PRAGMA integrity_check").Scan(&check); err != nil || check != "ok" {
					t.Errorf("integrity check: %s %v", check, err)
				}
			}
		})
	}
}

// TestBulkChunks checks the SQLite statement sizes: every number of rows
// splits into sizes that have a statement, and no statement binds more
// parameters than SQLite allows.
func TestBulkChunks(t *testing.T) {
	b := sqliteDialect().bulk
	stmts := map[string]*bulkStmt{
		"insertEvents": &b.insertEvents, "putScores": &b.putScores, "appendLedger": &b.appendLedger,
		"upsertLeadsKeep": &b.upsertLeadsKeep, "upsertLeadsNew": &b.upsertLeadsNew, "addAliases": &b.addAliases,
		"leadsByID": &b.leadsByID, "aliasesOf": &b.aliasesOf, "eventsOf": &b.eventsOf, "scoresOf": &b.scoresOf,
		"eventSeqs": &b.eventSeqs,
	}
	rowByRow := map[string]bool{"putScores": true, "upsertLeadsKeep": true, "addAliases": true}
	for name, s := range stmts {
		if rowByRow[name] {
			// Writes that return nothing run one row per statement.
			if s.maxRows != 1 || len(s.texts) != 1 || strings.Contains(s.texts[0], "RETURNING") {
				t.Errorf("%s: %d rows at most, %d texts; want one row per statement", name, s.maxRows, len(s.texts))
			}
			continue
		}
		if s.maxRows < 2 || bits.OnesCount(uint(s.maxRows)) != 1 || len(s.texts) != bits.Len(uint(s.maxRows)) {
			t.Errorf("%s: %d rows at most, %d texts", name, s.maxRows, len(s.texts))
			continue
		}
		params := func(n int) int { return strings.Count(s.text(n), "?") }
		perRow := params(2) - params(1)
		for k := range s.texts {
			n := 1 << k
			if got, want := params(n), params(1)+(n-1)*perRow; got != want {
				t.Errorf("%s: the statement for %d rows has %d parameters, want %d", name, n, got, want)
			}
		}
		if p := params(s.maxRows); p > sqliteMaxParams {
			t.Errorf("%s: %d parameters, SQLite allows %d", name, p, sqliteMaxParams)
		}
		for n := 0; n <= 3*s.maxRows+1; n++ {
			sum := 0
			sizes := s.chunks(n)
			for _, size := range sizes {
				if size < 1 || size > s.maxRows || bits.OnesCount(uint(size)) != 1 {
					t.Fatalf("%s: %d rows split into %v", name, n, sizes)
				}
				sum += size
			}
			if most := n/s.maxRows + bits.OnesCount(uint(n%s.maxRows)); sum != n || len(sizes) != most {
				t.Fatalf("%s: %d rows split into %v", name, n, sizes)
			}
		}
	}
	pg := postgresDialect().bulk
	if len(pg.insertEvents.texts) != 1 || len(pg.insertEvents.chunks(100_000)) != 1 {
		t.Errorf("PostgreSQL splits bulk statements: %d texts", len(pg.insertEvents.texts))
	}
}

// TestBulkErrorField checks that a refused row is named in the error, so
// that a caller of a bulk write can tell which of its rows was refused.
func TestBulkErrorField(t *testing.T) {
	s := openSQLiteT(t, Options{})
	ctx := t.Context()
	ws := s.Workspace(leadscore.DefaultWorkspace)
	ok := func() *leadscore.StoredEvent {
		return &leadscore.StoredEvent{Event: leadscore.Event{LeadID: "u1", Type: "t", At: time.Now()}}
	}
	noType := ok()
	noType.Type = ""
	nul := ok()
	nul.Properties = map[string]any{"q": "\x00"}
	tests := []struct {
		name  string
		fn    func(tx leadscore.BulkTx) error
		field string
	}{
		{"required", func(tx leadscore.BulkTx) error {
			_, err := tx.InsertEvents(ctx, []*leadscore.StoredEvent{ok(), ok(), noType})
			return err
		}, "events[2].type"},
		{"text", func(tx leadscore.BulkTx) error {
			_, err := tx.InsertEvents(ctx, []*leadscore.StoredEvent{nul})
			return err
		}, "events[0]"},
		{"nil", func(tx leadscore.BulkTx) error {
			return tx.PutScores(ctx, []*leadscore.ScoreRecord{{LeadID: "u1", Model: "m"}, nil})
		}, "scores[1]"},
		{"alias", func(tx leadscore.BulkTx) error {
			return tx.AddAliases(ctx, map[string]string{"a": "u1", "b": ""})
		}, `aliases["b"].lead_id`},
		{"read", func(tx leadscore.BulkTx) error { _, err := tx.LeadsByID(ctx, []string{"a", "\xff"}); return err }, "ids[1]"},
	}
	for _, tc := range tests {
		var err error
		ws.Write(ctx, func(tx leadscore.Tx) error {
			err = tc.fn(tx.(leadscore.BulkTx))
			return nil
		})
		var e *leadscore.Error
		if !errors.As(err, &e) || e.Code != leadscore.CodeInvalid || e.Field != tc.field {
			t.Errorf("%s: error %v, want invalid at %s", tc.name, err, tc.field)
		}
	}
}

// TestBulkReadPlans checks on SQLite that the bulk reads find their keys
// through an index and read each lead's rows in order without sorting.
func TestBulkReadPlans(t *testing.T) {
	s := openSQLiteT(t, Options{})
	b := s.d.bulk
	for name, c := range map[string]struct {
		s     *bulkStmt
		fixed int
		index string
	}{
		"leadsByID": {&b.leadsByID, 1, "sqlite_autoindex_leads_1"},
		"aliasesOf": {&b.aliasesOf, 1, "sqlite_autoindex_lead_aliases_1"},
		"eventsOf":  {&b.eventsOf, 1, "events_lead"},
		"scoresOf":  {&b.scoresOf, 1, "sqlite_autoindex_scores_1"},
		"eventSeqs": {&b.eventSeqs, 2, "sqlite_autoindex_events_1"},
	} {
		args := []any{"default", "src"}[:c.fixed]
		for i := range 4 {
			args = append(args, fmt.Sprintf("k%d", i))
		}
		rows, err := s.read.db.QueryContext(context.Background(), "EXPLAIN QUERY PLAN "+c.s.text(4), args...)
		if err != nil {
			t.Fatal(err)
		}
		var plan []string
		for rows.Next() {
			var id, parent, notused int
			var detail string
			if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, detail)
		}
		rows.Close()
		joined := strings.Join(plan, "; ")
		if !strings.Contains(joined, "INDEX "+c.index+" ") || strings.Contains(joined, "TEMP B-TREE") {
			t.Errorf("%s: plan %q does not read %s in order", name, joined, c.index)
		}
	}
}
