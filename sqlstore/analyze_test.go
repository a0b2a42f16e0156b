package sqlstore

import (
	"database/sql"
	"fmt"
	"testing"
	"time"

	"github.com/leadscore/leadscore"
)

// TestAnalyzeNewTables: on PostgreSQL, a table that fills up gets its
// statistics without waiting for autovacuum, and a table with few
// changed rows is left to autovacuum.
func TestAnalyzeNewTables(t *testing.T) {
	s := openPostgresT(t, Options{})
	ctx := t.Context()
	// Autovacuum must not analyze the tables first: the test is about the
	// store's own ANALYZE.
	for _, table := range []string{"leads", "accounts"} {
		if _, err := s.write.db.ExecContext(ctx, "ALTER TABLE "+table+" SET (autovacuum_enabled = false)"); err != nil {
			t.Fatal(err)
		}
	}
	ws := s.Workspace(leadscore.DefaultWorkspace)
	err := ws.Write(ctx, func(tx leadscore.Tx) error {
		leads := make([]*leadscore.Lead, analyzeMinRows+500)
		for i := range leads {
			email := fmt.Sprintf("p%d@example.com", i)
			leads[i] = &leadscore.Lead{ID: email, Email: email}
		}
		if err := tx.(leadscore.BulkTx).UpsertLeads(ctx, leads); err != nil {
			return err
		}
		return tx.UpsertAccount(ctx, &leadscore.Account{ID: "example.com", Domain: "example.com"})
	})
	if err != nil {
		t.Fatal(err)
	}
	analyzed := func(table string) bool {
		t.Helper()
		var at sql.NullTime
		err := s.write.db.QueryRowContext(ctx, `SELECT last_analyze FROM pg_stat_user_tables
			WHERE schemaname = current_schema() AND relname = $1`, table).Scan(&at)
		if err != nil {
			t.Fatal(err)
		}
		return at.Valid
	}
	// PostgreSQL reports a transaction's rows within seconds, and the
	// analyzer checks after them; wait for it rather than for a fixed time.
	deadline := time.Now().Add(45 * time.Second)
	for !analyzed("leads") {
		if time.Now().After(deadline) {
			t.Fatal("the leads table, 1,500 rows, was not analyzed")
		}
		time.Sleep(100 * time.Millisecond)
	}
	var tuples float64
	if err := s.write.db.QueryRowContext(ctx, "SELECT reltuples FROM pg_class WHERE oid = 'leads'::regclass").Scan(&tuples); err != nil {
		t.Fatal(err)
	}
	if tuples != float64(analyzeMinRows+500) {
		t.Errorf("the planner counts %v leads, want %d", tuples, analyzeMinRows+500)
	}
	if analyzed("accounts") {
		t.Error("a table with one changed row was analyzed; autovacuum is enough for it")
	}
	s.Close()
}
