package batch

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/leadscore/leadscore"
	"github.com/leadscore/leadscore/quality"
	"github.com/leadscore/leadscore/scoring"
)

type eachLead struct {
	line  int
	id    string
	evals map[time.Time][]*leadscore.Evaluation
}

func runEach(t *testing.T, cfg Config, set *scoring.Set, at ...time.Time) ([]eachLead, Stats, []Problem) {
	t.Helper()
	var probs []Problem
	cfg.OnProblem = func(p Problem) { probs = append(probs, p) }
	cfg.TempDir = t.TempDir()
	var got []eachLead
	st, err := Each(context.Background(), cfg, func(in *scoring.Input, line int) error {
		l := eachLead{line: line, id: in.Lead.ID, evals: map[time.Time][]*leadscore.Evaluation{}}
		for _, t := range at {
			l.evals[t] = set.Evaluate(in, t)
		}
		got = append(got, l)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if entries, _ := os.ReadDir(cfg.TempDir); len(entries) != 0 {
		t.Errorf("temporary files left behind: %v", entries)
	}
	return got, st, probs
}

// Each hands out every lead with the inputs of direct evaluation, peers
// with all their activity included, so that evaluating at any instant
// gives what scoring everything in memory gives; and in an order that
// depends on the buckets but not on the workers.
func TestEachMatchesDirectEvaluation(t *testing.T) {
	checker := quality.NewChecker()
	set := testSet(t, checker)
	fx := writeFixture(t, t.TempDir(), 600)
	base := Config{Checker: checker, Leads: fx.leads, Events: []string{fx.events}}
	early := time.Date(2026, 8, 1, 0, 0, 0, 0, time.UTC)

	one := base
	one.Workers, one.Buckets = 1, 1
	four := base
	four.Workers, four.Buckets = 4, 13
	two := base
	two.Workers, two.Buckets = 2, 13
	got1, st1, probs1 := runEach(t, one, set, testAsOf, early)
	got4, st4, probs4 := runEach(t, four, set, testAsOf, early)
	got2, _, _ := runEach(t, two, set)

	order := func(ls []eachLead) string {
		var ids []string
		for _, l := range ls {
			ids = append(ids, fmt.Sprintf("%s@%d", l.id, l.line))
		}
		return strings.Join(ids, ",")
	}
	if order(got4) != order(got2) {
		t.Error("the order of leads depends on the number of workers")
	}
	if order(got4) == order(got1) {
		t.Error("13 buckets hand leads out in file order; the test does not exercise the order")
	}
	if !slices.IsSortedFunc(got1, func(a, b eachLead) int { return a.line - b.line }) {
		t.Error("with one bucket the leads do not come in file order")
	}
	slices.SortFunc(got4, func(a, b eachLead) int { return a.line - b.line })
	if order(got4) != order(got1) {
		t.Error("the leads differ between 1 and 13 buckets")
	}

	for _, at := range []time.Time{testAsOf, early} {
		want := scoreDirect(t, fx, set, checker, at)
		var ids []string
		for _, l := range got4 {
			ids = append(ids, l.id)
			for k, ev := range want.evals[l.id] {
				a, _ := json.Marshal(ev)
				b, _ := json.Marshal(l.evals[at][k])
				if string(a) != string(b) {
					t.Fatalf("lead %s as of %s:\n  each %s\ndirect %s", l.id, at.Format(time.DateOnly), b, a)
				}
			}
		}
		if !slices.Equal(ids, want.ids) {
			t.Fatalf("leads differ from direct reading: %d, want %d", len(ids), len(want.ids))
		}
	}

	// The counts and problems of reading are Run's.
	scoreCfg := four
	scoreCfg.Set, scoreCfg.AsOf = set, testAsOf
	_, stRun, probsRun := runPipeline(t, scoreCfg)
	if fmt.Sprint(probs4) != fmt.Sprint(probsRun) || fmt.Sprint(probs1) != fmt.Sprint(probsRun) {
		t.Errorf("problems differ from Run's:\n%v\n%v", probs4, probsRun)
	}
	st4.Elapsed, st4.Phases, st1.Elapsed, st1.Phases = 0, nil, 0, nil
	stRun.Elapsed, stRun.Phases, stRun.EventsAfterAsOf = 0, nil, 0
	if fmt.Sprintf("%+v", st4) != fmt.Sprintf("%+v", stRun) || fmt.Sprintf("%+v", st1) != fmt.Sprintf("%+v", stRun) {
		t.Errorf("stats differ from Run's:\n%+v\n%+v", st4, stRun)
	}
}

// CheckLead sees the kept leads in file order and its reasons become
// problems of their lines.
func TestEachCheckLead(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "leads.csv")
	data := "id,email,score_me\na1,a1@x.com,ok\na2,a2@y.com,bad\na1,again@x.com,bad\na3,a3@x.com,bad\n"
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	var seen []string
	cfg := Config{Leads: path, Buckets: 7, Workers: 2, TempDir: dir, CheckLead: func(l *leadscore.Lead) []string {
		seen = append(seen, l.ID)
		if l.Fields["score_me"] == "bad" {
			return []string{"score_me is bad"}
		}
		return nil
	}}
	var probs []string
	cfg.OnProblem = func(p Problem) { probs = append(probs, p.String()) }
	n := 0
	if _, err := Each(context.Background(), cfg, func(*scoring.Input, int) error { n++; return nil }); err != nil {
		t.Fatal(err)
	}
	want := []string{
		path + ":3: score_me is bad",
		path + `:4: duplicate lead id "a1" (first on line 2); row skipped`,
		path + ":5: score_me is bad",
	}
	if !slices.Equal(seen, []string{"a1", "a2", "a3"}) || !slices.Equal(probs, want) || n != 3 {
		t.Errorf("checked %v, %d leads, problems:\n%s", seen, n, strings.Join(probs, "\n"))
	}
}

// A CSV file without an id or email column is refused unless LineIDs
// names its leads by their line.
func TestEachLineIDs(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "bank.csv")
	if err := os.WriteFile(path, []byte("\"age\";\"job\";\"y\"\n58;\"management\";\"no\"\n44;\"technician\";\"yes\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := Config{Leads: path, TempDir: dir}
	_, err := Each(context.Background(), cfg, func(*scoring.Input, int) error { return nil })
	if leadscore.CodeOf(err) != leadscore.CodeInvalid {
		t.Fatalf("without LineIDs: %v, want an invalid header", err)
	}
	cfg.LineIDs = true
	got := map[string]int{}
	st, err := Each(context.Background(), cfg, func(in *scoring.Input, line int) error {
		got[in.Lead.ID] = line
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got["line-2"] != 2 || got["line-3"] != 3 || !st.LineIDs || st.LeadsScored != 2 {
		t.Errorf("leads %v, stats %+v", got, st)
	}
}

// An error of fn ends the run, which removes its files.
func TestEachStopsOnError(t *testing.T) {
	checker := quality.NewChecker()
	fx := writeFixture(t, t.TempDir(), 200)
	tmp := t.TempDir()
	stop := errors.New("enough")
	n := 0
	_, err := Each(context.Background(), Config{Checker: checker, Leads: fx.leads, Events: []string{fx.events}, TempDir: tmp, Buckets: 5},
		func(*scoring.Input, int) error {
			if n++; n == 10 {
				return stop
			}
			return nil
		})
	if !errors.Is(err, stop) || n != 10 {
		t.Errorf("error %v after %d leads", err, n)
	}
	if entries, _ := os.ReadDir(tmp); len(entries) != 0 {
		t.Errorf("temporary files left behind: %v", entries)
	}
}
