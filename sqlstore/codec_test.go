package sqlstore

import (
	"context"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/leadscore/leadscore"
)

func TestCompressedEvaluationsSQLite(t *testing.T) { compressedEvaluations(t, openSQLiteT) }

func TestCompressedEvaluationsPostgres(t *testing.T) { compressedEvaluations(t, openPostgresT) }

// compressedEvaluations checks that an evaluation is stored compressed,
// reads back equal through both read paths, and that a row written before
// compression (JSON in the evaluation column) still reads.
func compressedEvaluations(t *testing.T, open func(testing.TB, Options) *Store) {
	s := open(t, Options{})
	ctx := context.Background()
	ws := s.Workspace("default")
	at := time.Date(2026, 10, 1, 12, 0, 0, 0, time.UTC)
	eval := &leadscore.Evaluation{Model: "m", Version: "v1", LeadID: "l1", AsOf: at, Score: 42, Display: 42, Band: "warm"}
	for i := range 30 {
		eval.Contributions = append(eval.Contributions, leadscore.Contribution{
			Rule: "visited-pricing", Label: "Visited the pricing page", Category: "interest/web", Points: 5,
			Events: []leadscore.EventRef{{ID: "e" + strings.Repeat("x", i), Type: "page_view", At: at, Points: 5}},
		})
	}
	rec := func(lead string) *leadscore.ScoreRecord {
		e := *eval
		e.LeadID = lead
		return &leadscore.ScoreRecord{LeadID: lead, Model: "m", Version: "v1", Score: 42, Display: 42, Band: "warm",
			Evaluation: &e, UpdatedAt: at}
	}
	err := ws.Write(ctx, func(tx leadscore.Tx) error {
		if err := tx.PutScore(ctx, rec("l1")); err != nil {
			return err
		}
		bulk, ok := tx.(leadscore.BulkTx)
		if !ok {
			t.Fatal("the SQL store's transactions are bulk transactions")
		}
		return bulk.PutScores(ctx, []*leadscore.ScoreRecord{rec("l2")})
	})
	if err != nil {
		t.Fatal(err)
	}
	js, _ := json.Marshal(eval)
	var plain, z int
	row := s.write.db.QueryRowContext(ctx, s.d.rebind(`SELECT CASE WHEN evaluation IS NULL THEN 0 ELSE 1 END, LENGTH(evaluation_z) FROM scores WHERE lead_id = ?`), "l1")
	if err := row.Scan(&plain, &z); err != nil {
		t.Fatal(err)
	}
	// plain is 1 when the JSON column is set.
	if plain != 0 || z <= 0 || z*3 > len(js) {
		t.Errorf("JSON column set: %d; %d bytes compressed for a %d-byte evaluation", plain, z, len(js))
	}
	// A row as written before compression: JSON only.
	if _, err := s.write.db.ExecContext(ctx, s.d.rebind(`UPDATE scores SET evaluation = ?, evaluation_z = NULL WHERE lead_id = ?`),
		legacyJSON(t, rec("l3").Evaluation), "l2"); err != nil {
		t.Fatal(err)
	}
	got, err := ws.Scores(ctx, "l1")
	if err != nil || len(got) != 1 {
		t.Fatalf("scores of l1: %v %v", got, err)
	}
	want := rec("l1").Evaluation
	if !reflect.DeepEqual(got[0].Evaluation, want) {
		t.Errorf("l1 read back\n%+v\nwant\n%+v", got[0].Evaluation, want)
	}
	bulk, ok := ws.(leadscore.BulkReader)
	if !ok {
		t.Fatal("the SQL store is a bulk reader")
	}
	many, err := bulk.ScoresOf(ctx, []string{"l1", "l2"})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(many["l1"][0].Evaluation, want) {
		t.Errorf("l1 through ScoresOf: %+v", many["l1"][0].Evaluation)
	}
	if e := many["l2"][0].Evaluation; e == nil || e.LeadID != "l3" || len(e.Contributions) != 30 {
		t.Errorf("a row with JSON only reads as %+v", e)
	}
}

func legacyJSON(t *testing.T, e *leadscore.Evaluation) any {
	b, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
