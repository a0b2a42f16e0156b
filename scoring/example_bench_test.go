package scoring_test

import (
	"context"
	"testing"

	"github.com/leadscore/leadscore"
	"github.com/leadscore/leadscore/bench"
	"github.com/leadscore/leadscore/examples"
	"github.com/leadscore/leadscore/modelfile"
	"github.com/leadscore/leadscore/quality"
	"github.com/leadscore/leadscore/scoring"
	"github.com/leadscore/leadscore/synth"
)

// exampleSet compiles the b2b-saas example model alone.
func exampleSet(b *testing.B, checker *quality.Checker) *scoring.Set {
	data, err := examples.Files.ReadFile(examples.ModelFile)
	if err != nil {
		b.Fatal(err)
	}
	res := modelfile.Parse(examples.ModelFile, data)
	if res.HasErrors() {
		b.Fatal(res.Errors())
	}
	var spec *leadscore.ModelSpec
	for _, s := range res.Specs {
		if s.Name == "b2b-saas" {
			spec = s
		}
	}
	set, err := scoring.CompileSet([]*leadscore.ModelSpec{spec}, scoring.Options{Checker: checker})
	if err != nil {
		b.Fatal(err)
	}
	return set
}

// leadsWithAbout100Events are synthetic leads, read through the real
// readers, that have 90 to 110 events each.
func leadsWithAbout100Events(b *testing.B, checker *quality.Checker) (*bench.Dataset, []*scoring.Input) {
	ds, err := bench.NewDataset(context.Background(), synth.Options{Leads: 3000, EventsPerLead: 100, Seed: 5}, checker)
	if err != nil {
		b.Fatal(err)
	}
	var picked []*scoring.Input
	for _, in := range ds.Inputs {
		if n := len(in.Events); n >= 90 && n <= 110 {
			picked = append(picked, in)
		}
	}
	if len(picked) < 20 {
		b.Fatalf("only %d leads with about 100 events", len(picked))
	}
	return ds, picked
}

func BenchmarkExampleModelFullEvaluation(b *testing.B) {
	checker := quality.NewChecker()
	set := exampleSet(b, checker)
	ds, leads := leadsWithAbout100Events(b, checker)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		set.Evaluate(leads[i%len(leads)], ds.AsOf)
		i++
	}
}

func BenchmarkExampleModelApplyEvent(b *testing.B) {
	checker := quality.NewChecker()
	set := exampleSet(b, checker)
	_, leads := leadsWithAbout100Events(b, checker)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		k, j := 0, 0
		var st *scoring.State
		var rest []leadscore.Event
		for pb.Next() {
			if j == len(rest) {
				in := *leads[k%len(leads)]
				k++
				half := len(in.Events) / 2
				rest = in.Events[half:]
				in.Events = in.Events[:half]
				st = set.NewState(&in)
				j = 0
			}
			st.Apply(rest[j])
			j++
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}
