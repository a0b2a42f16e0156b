package analytics

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/leadscore/leadscore/synth"
)

// generate writes synthetic leads (with outcomes) and events to dir.
func generate(t *testing.T, dir string, leads int, seed uint64) (leadFile, eventFile string) {
	t.Helper()
	leadFile, eventFile = filepath.Join(dir, "leads.csv"), filepath.Join(dir, "events.jsonl")
	lf, err := os.Create(leadFile)
	if err != nil {
		t.Fatal(err)
	}
	defer lf.Close()
	ef, err := os.Create(eventFile)
	if err != nil {
		t.Fatal(err)
	}
	defer ef.Close()
	if _, err := synth.Generate(context.Background(), synth.Options{Leads: leads, Seed: seed}, lf, ef, nil); err != nil {
		t.Fatal(err)
	}
	return leadFile, eventFile
}

// A file source hands leads out bucket by bucket; reports, backtests and
// their lists of leads must not depend on the buckets or the workers.
func TestFileSourceOrderDoesNotMatter(t *testing.T) {
	dir := t.TempDir()
	leads, events := generate(t, dir, 400, 5)
	set := loadSet(t, "../examples/b2b-saas.yaml")
	asOf := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)

	run := func(buckets, workers int) (report, backtest, mqls []byte) {
		t.Helper()
		src := &FileSource{Leads: leads, Events: []string{events}, OutcomeColumn: "converted", OutcomeDateColumn: "converted_at",
			Workers: workers, TempDir: dir, nBuckets: buckets}
		// Few cases, so that ties in score decide who is listed.
		a, err := Analyze(context.Background(), src, Options{Set: set, AsOf: asOf, Workers: workers, Cases: 4})
		if err != nil {
			t.Fatal(err)
		}
		var text bytes.Buffer
		if err := a.Report().WriteText(&text); err != nil {
			t.Fatal(err)
		}
		js, err := json.Marshal(a.Report())
		if err != nil {
			t.Fatal(err)
		}
		bt, err := RunBacktest(context.Background(), src, BacktestOptions{Set: set, Model: "b2b-saas", Against: "engagement",
			From: time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC), To: asOf, Workers: workers, Examples: 3})
		if err != nil {
			t.Fatal(err)
		}
		bt.Elapsed = ""
		bjs, err := json.Marshal(bt)
		if err != nil {
			t.Fatal(err)
		}
		var m bytes.Buffer
		if err := bt.WriteMQLs(&m); err != nil {
			t.Fatal(err)
		}
		return append(text.Bytes(), js...), bjs, m.Bytes()
	}
	// One bucket hands leads out in file order.
	wantReport, wantBacktest, wantMQLs := run(1, 1)
	for _, c := range []struct{ buckets, workers int }{{13, 1}, {13, 3}, {128, 2}} {
		r, b, m := run(c.buckets, c.workers)
		if !bytes.Equal(r, wantReport) {
			t.Errorf("%d buckets, %d workers: the report differs from file order:\n%s\nwant:\n%s", c.buckets, c.workers, r, wantReport)
		}
		if !bytes.Equal(b, wantBacktest) {
			t.Errorf("%d buckets, %d workers: the backtest differs from file order", c.buckets, c.workers)
		}
		if !bytes.Equal(m, wantMQLs) {
			t.Errorf("%d buckets, %d workers: the MQL list differs from file order", c.buckets, c.workers)
		}
	}
	if !bytes.Contains(wantMQLs, []byte("L0000001,2,")) {
		t.Errorf("the MQL list does not start with the first lead:\n%.300s", wantMQLs)
	}
}

// The results of a parallel pass come back in file order whatever order
// the source used, and in source order for equal lines.
func TestInFileOrder(t *testing.T) {
	vals := []string{"d", "b", "x", "a", "c", "y", "e"}
	lines := []int{5, 3, 0, 2, 4, 0, 6}
	inFileOrder(vals, lines)
	if want := []string{"x", "y", "a", "b", "c", "d", "e"}; !slices.Equal(vals, want) {
		t.Errorf("got %v, want %v", vals, want)
	}
}
