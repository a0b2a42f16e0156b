package bench

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/leadscore/leadscore/modelfile"
	"github.com/leadscore/leadscore/quality"
	"github.com/leadscore/leadscore/scoring"
	"github.com/leadscore/leadscore/synth"
)

func TestEngineBenchmarkRuns(t *testing.T) {
	res, err := modelfile.Load("../examples/b2b-saas.yaml")
	if err != nil || res.HasErrors() {
		t.Fatalf("example model: %v %v", err, res.Errors())
	}
	checker := quality.NewChecker()
	set, err := res.Compile(scoring.Options{Checker: checker})
	if err != nil {
		t.Fatal(err)
	}
	ds, err := NewDataset(context.Background(), synth.Options{Leads: 60, EventsPerLead: 10, Seed: 3}, checker)
	if err != nil {
		t.Fatal(err)
	}
	if len(ds.Inputs) != 60 || ds.Events == 0 {
		t.Fatalf("data set: %d leads, %d events", len(ds.Inputs), ds.Events)
	}
	peers := 0
	for _, in := range ds.Inputs {
		peers += len(in.Peers)
	}
	if peers == 0 {
		t.Errorf("no lead shares an account: account signals would go unmeasured")
	}
	rep, err := RunEngine(context.Background(), set, ds, EngineOptions{Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	if rep.FullEvaluation.Count != 60 || rep.StateEvaluation.Count != 60 || rep.Apply.Count == 0 {
		t.Errorf("every lead must be measured: %+v", rep)
	}
	if rep.FullEvaluation.P50 > rep.FullEvaluation.P99 || rep.FullEvaluation.P99 > rep.FullEvaluation.Max {
		t.Errorf("percentiles out of order: %+v", rep.FullEvaluation)
	}
	var out bytes.Buffer
	rep.WriteText(&out)
	for _, want := range []string{"full evaluation", "evaluation from state", "apply one event", "events/s"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, out.String())
		}
	}
}

func TestSummarise(t *testing.T) {
	var d []time.Duration
	for i := 100; i >= 1; i-- {
		d = append(d, time.Duration(i)*time.Microsecond)
	}
	got := summarise(d)
	want := Latency{Count: 100, Mean: 50500 * time.Nanosecond, P50: 50 * time.Microsecond, P90: 90 * time.Microsecond, P99: 99 * time.Microsecond, Max: 100 * time.Microsecond}
	if got != want {
		t.Errorf("summarise = %+v, want %+v", got, want)
	}
	if (summarise(nil) != Latency{}) {
		t.Errorf("an empty sample summarises to zero")
	}
}
