package analytics

import (
	"context"
	"os"
	"testing"
	"time"
)

// BenchmarkAnalyzePlanted measures scoring and measuring leads held in
// memory (the engine plus the report's bookkeeping).
func BenchmarkAnalyzePlanted(b *testing.B) {
	src := planted(20000, 1)
	set := loadSet(b, "testdata/planted.yaml")
	b.ResetTimer()
	for b.Loop() {
		a, err := Analyze(context.Background(), src, Options{Set: set, AsOf: asOf})
		if err != nil {
			b.Fatal(err)
		}
		_ = a.Report()
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(src.Records)), "ns/lead")
}

// BenchmarkReportFile measures a whole report from files:
// LEADSCORE_BENCH_LEADS (and optionally LEADSCORE_BENCH_EVENTS,
// LEADSCORE_BENCH_MODEL, LEADSCORE_BENCH_OUTCOME) name them. It is skipped
// without them, since the interesting sizes are too large to ship.
func BenchmarkReportFile(b *testing.B) {
	leads := os.Getenv("LEADSCORE_BENCH_LEADS")
	if leads == "" {
		b.Skip("set LEADSCORE_BENCH_LEADS to a lead file with outcomes")
	}
	model := os.Getenv("LEADSCORE_BENCH_MODEL")
	if model == "" {
		model = "../examples/b2b-saas.yaml"
	}
	outcome := os.Getenv("LEADSCORE_BENCH_OUTCOME")
	if outcome == "" {
		outcome = "converted"
	}
	set := loadSet(b, model)
	src := &FileSource{Leads: leads, OutcomeColumn: outcome}
	if ev := os.Getenv("LEADSCORE_BENCH_EVENTS"); ev != "" {
		src.Events = []string{ev}
	}
	for b.Loop() {
		a, err := Analyze(context.Background(), src, Options{Set: set, AsOf: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)})
		if err != nil {
			b.Fatal(err)
		}
		_ = a.Report()
		b.ReportMetric(float64(len(a.Leads)), "leads")
	}
}

// BenchmarkBacktestFile measures a weekly backtest over 40 dates of the
// files named by LEADSCORE_BENCH_LEADS and LEADSCORE_BENCH_EVENTS (skipped
// without them), under LEADSCORE_BENCH_MODEL (default the b2b-saas
// example).
func BenchmarkBacktestFile(b *testing.B) {
	leads, events := os.Getenv("LEADSCORE_BENCH_LEADS"), os.Getenv("LEADSCORE_BENCH_EVENTS")
	if leads == "" || events == "" {
		b.Skip("set LEADSCORE_BENCH_LEADS and LEADSCORE_BENCH_EVENTS")
	}
	model := os.Getenv("LEADSCORE_BENCH_MODEL")
	if model == "" {
		model = "../examples/b2b-saas.yaml"
	}
	set := loadSet(b, model)
	to := time.Date(2026, 10, 31, 0, 0, 0, 0, time.UTC)
	for b.Loop() {
		bt, err := RunBacktest(context.Background(), &FileSource{Leads: leads, Events: []string{events}},
			BacktestOptions{Set: set, From: to.Add(-39 * 7 * 24 * time.Hour), To: to})
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(bt.Evaluations), "evaluations")
	}
}
