package scoring

import (
	"errors"
	"iter"
	"strings"
	"testing"
	"time"

	"github.com/leadscore/leadscore"
)

// fakePredictor predicts from the number of events it is shown, so the
// test can see that only events up to the scoring time reach it.
type fakePredictor struct{}

func (fakePredictor) Version() string { return "fake-1" }

func (fakePredictor) Predict(l *leadscore.Lead, _ *leadscore.Account, events iter.Seq[*leadscore.Event], _ time.Time) Prediction {
	n := 0
	for range events {
		n++
	}
	p := 0.1 + 0.2*float64(n)
	return Prediction{Probability: p, Base: 0.1, Factors: []PredictionFactor{{Name: "events", Text: "visited 2 times", Effect: 0.8}, {Name: "title", Text: "job title: intern", Effect: -0.3}}}
}

func TestPredictiveModel(t *testing.T) {
	load := func(artifact string) (Predictor, error) {
		if artifact != "model.json" {
			return nil, errors.New("no such artefact")
		}
		return fakePredictor{}, nil
	}
	pred := &leadscore.ModelSpec{Name: "learned", Kind: leadscore.KindPredictive, Artifact: "model.json"}
	fit := fitModel()
	combined := &leadscore.ModelSpec{Name: "overall", Kind: leadscore.KindCombined,
		Combine: &leadscore.CombineSpec{Parts: []leadscore.CombinePart{{Model: "learned", Weight: 0.6}, {Model: "fit", Weight: 0.4}}}}
	set, err := CompileSet([]*leadscore.ModelSpec{combined, pred, fit}, Options{LoadPredictor: load})
	if err != nil {
		t.Fatal(err)
	}
	in := &Input{Lead: &leadscore.Lead{ID: "l1", Title: "Intern", Country: "US"},
		Events: []leadscore.Event{ev("p1", "page.viewed", daysAgo(3)), ev("p2", "page.viewed", daysAgo(1)), ev("later", "page.viewed", asOf.Add(time.Hour))}}
	evs := set.Evaluate(in, asOf)
	byName := map[string]*leadscore.Evaluation{}
	for _, e := range evs {
		byName[e.Model] = e
	}
	learned := byName["learned"]
	// Two events before asOf: 0.1 + 0.4 = 0.5 -> 50 on 0..100.
	if learned.Score != 50 || len(learned.Contributions) != 2 || learned.Contributions[0].Label != "visited 2 times" {
		t.Fatalf("predictive evaluation:\n%s", render(learned))
	}
	if learned.Contributions[0].Points <= 0 || learned.Contributions[1].Points >= 0 {
		t.Errorf("factor points should follow the effects' signs: %+v", learned.Contributions)
	}
	want := 0.6*0.5 + 0.4*byName["fit"].Score/100
	if got := byName["overall"].Score; got != float64(int(want*100+0.5)) {
		t.Errorf("combined score %v, want %v\n%s\n%s", got, want*100, render(byName["overall"]), render(byName["fit"]))
	}
	if !strings.Contains(render(learned), "predicted conversion probability 50%") {
		t.Errorf("no probability in the explanation:\n%s", render(learned))
	}

	for _, tc := range []struct {
		spec *leadscore.ModelSpec
		opts Options
		want string
	}{
		{&leadscore.ModelSpec{Name: "p", Kind: leadscore.KindPredictive}, Options{LoadPredictor: load}, "needs artifact"},
		{&leadscore.ModelSpec{Name: "p", Kind: leadscore.KindPredictive, Artifact: "x.json"}, Options{LoadPredictor: load}, "no such artefact"},
		{&leadscore.ModelSpec{Name: "p", Kind: leadscore.KindPredictive, Artifact: "model.json"}, Options{}, "cannot be loaded here"},
		{&leadscore.ModelSpec{Name: "p", Kind: leadscore.KindPredictive, Artifact: "model.json", Categories: fitModel().Categories}, Options{LoadPredictor: load}, "cannot have categories"},
	} {
		if _, err := Compile(tc.spec, tc.opts); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: error %v, want %q", tc.spec, err, tc.want)
		}
	}
	if _, err := Compile(&leadscore.ModelSpec{Name: "p", Kind: leadscore.KindPredictive, Artifact: "model.json"}, Options{ValidateOnly: true}); err != nil {
		t.Errorf("validate-only compile: %v", err)
	}
}
