package sqlstore

import (
	"bytes"
	"compress/flate"
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
		return bulk.PutScores(ctx, []*leadscore.ScoreRecord{rec("l2"), rec("l4")})
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
	var head []byte
	row = s.write.db.QueryRowContext(ctx, s.d.rebind(`SELECT evaluation_z FROM scores WHERE lead_id = ?`), "l2")
	if err := row.Scan(&head); err != nil || len(head) < 2 || head[0] != 0xFF || head[1] != 0x01 {
		t.Errorf("a bulk-written row starts with the S2 header: % x %v", head[:min(len(head), 2)], err)
	}
	// A row as written before S2: DEFLATE.
	if _, err := s.write.db.ExecContext(ctx, s.d.rebind(`UPDATE scores SET evaluation = NULL, evaluation_z = ? WHERE lead_id = ?`),
		deflated(t, rec("l5").Evaluation), "l4"); err != nil {
		t.Fatal(err)
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
	many, err := bulk.ScoresOf(ctx, []string{"l1", "l2", "l4"})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(many["l1"][0].Evaluation, want) {
		t.Errorf("l1 through ScoresOf: %+v", many["l1"][0].Evaluation)
	}
	if e := many["l2"][0].Evaluation; e == nil || e.LeadID != "l3" || len(e.Contributions) != 30 {
		t.Errorf("a row with JSON only reads as %+v", e)
	}
	if e := many["l4"][0].Evaluation; !reflect.DeepEqual(e, rec("l5").Evaluation) {
		t.Errorf("a DEFLATE row reads as %+v", e)
	}
}

// deflated is an evaluation as rows held it before S2.
func deflated(t *testing.T, e *leadscore.Evaluation) []byte {
	t.Helper()
	js, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	w, err := flate.NewWriter(&buf, flate.BestSpeed)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(js); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestEvaluationCodec: what encodeEvaluation writes reads back equal; rows
// of the older forms read; a damaged or unknown row is an error, never a
// wrong evaluation.
func TestEvaluationCodec(t *testing.T) {
	at := time.Date(2026, 10, 1, 12, 0, 0, 0, time.UTC)
	eval := &leadscore.Evaluation{Model: "m", Version: "v1", LeadID: "l1", AsOf: at, Score: 42, Display: 42, Band: "warm",
		Contributions: []leadscore.Contribution{{Rule: "demo", Label: "asked for a demo", Category: "interest", Points: 25,
			Events: []leadscore.EventRef{{ID: "e1", Type: "demo.requested", At: at, Points: 25}}}}}
	js, err := json.Marshal(eval)
	if err != nil {
		t.Fatal(err)
	}
	z, err := encodeEvaluation(eval)
	if err != nil {
		t.Fatal(err)
	}
	if none, err := encodeEvaluation(nil); none != nil || err != nil {
		t.Errorf("no evaluation is stored as NULL: %v %v", none, err)
	}
	cases := []struct {
		name    string
		z, js   []byte
		want    *leadscore.Evaluation
		wantErr string
	}{
		{name: "S2", z: z, want: eval},
		{name: "DEFLATE", z: deflated(t, eval), want: eval},
		{name: "JSON", js: js, want: eval},
		{name: "none"},
		{name: "unknown format", z: append([]byte{0xFF, 0x02}, z[2:]...), wantErr: "unknown format 2"},
		{name: "damaged S2", z: z[:len(z)-3], wantErr: "unreadable"},
		{name: "damaged DEFLATE", z: deflated(t, eval)[:20], wantErr: "unreadable"},
	}
	var codec evaluationCodec
	// Twice, so that every case also reads with buffers a previous row used.
	for range 2 {
		for _, c := range cases {
			got, err := codec.decode(c.z, c.js)
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Errorf("%s: error %v, want one saying %q", c.name, err, c.wantErr)
				}
				continue
			}
			if err != nil || !reflect.DeepEqual(got, c.want) {
				t.Errorf("%s: read %+v %v, want %+v", c.name, got, err, c.want)
			}
		}
	}
}

// FuzzEvaluationDecode: no stored bytes make decoding panic, and what an
// evaluation encodes to decodes to it again.
func FuzzEvaluationDecode(f *testing.F) {
	at := time.Date(2026, 10, 1, 12, 0, 0, 0, time.UTC)
	z, err := encodeEvaluation(&leadscore.Evaluation{Model: "m", LeadID: "l1", AsOf: at, Score: 7})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(z)
	f.Add([]byte{0xFF, 0x01})
	f.Add([]byte{0xFF})
	f.Add([]byte{0x01, 0x02, 0x03})
	f.Fuzz(func(t *testing.T, z []byte) {
		var codec evaluationCodec
		e, err := codec.decode(z, nil)
		if err != nil || e == nil {
			return
		}
		again, err := encodeEvaluation(e)
		if err != nil {
			t.Fatalf("a decoded evaluation does not encode: %v", err)
		}
		back, err := codec.decode(again, nil)
		if err != nil || !reflect.DeepEqual(back, e) {
			t.Fatalf("round trip: %+v %v, want %+v", back, err, e)
		}
	})
}

func legacyJSON(t *testing.T, e *leadscore.Evaluation) any {
	b, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
