package predict

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/leadscore/leadscore"
	"github.com/leadscore/leadscore/scoring"
)

// storeSamples are leads observed at their own cut-offs: a pricing visit
// before the cut-off is the planted effect; every converted lead also has
// an invoice.paid event after its cut-off, which must never be read.
func storeSamples(n int) []Sample {
	rng := rand.New(rand.NewPCG(3, 5))
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var out []Sample
	for i := range n {
		id := fmt.Sprintf("s%04d", i)
		born := base.Add(time.Duration(i) * time.Hour)
		cut := born.Add(time.Duration(10+rng.IntN(30)) * 24 * time.Hour)
		var evs []leadscore.Event
		pricing := rng.Float64() < 0.4
		if pricing {
			evs = append(evs, leadscore.Event{ID: id + "p", LeadID: id, Type: "pricing.viewed", At: cut.Add(-time.Duration(1+rng.IntN(9*24)) * time.Hour)})
		}
		for k := range rng.IntN(3) {
			evs = append(evs, leadscore.Event{ID: fmt.Sprintf("%sb%d", id, k), LeadID: id, Type: "blog.read", At: born.Add(time.Duration(k+1) * 24 * time.Hour)})
		}
		p := 0.08
		if pricing {
			p = 0.6
		}
		won := rng.Float64() < p
		if won {
			evs = append(evs, leadscore.Event{ID: id + "i", LeadID: id, Type: "invoice.paid", At: cut.Add(time.Hour)})
		}
		out = append(out, Sample{Lead: &leadscore.Lead{ID: id, Title: "x"}, Events: evs, Converted: won, Cutoff: cut, Order: born})
	}
	return out
}

func TestTableBuilderCutsEachLeadOff(t *testing.T) {
	b := NewTableBuilder(nil)
	samples := storeSamples(800)
	won := 0
	for _, s := range samples {
		b.Add(s)
		if s.Converted {
			won++
		}
	}
	tab := b.Table()
	if tab.Rows() != 800 || tab.Stats.Converted != won || tab.Stats.EventsAfterCut != won {
		t.Fatalf("rows %d, converted %d (want %d), after the cut-off %d (want %d)", tab.Rows(), tab.Stats.Converted, won, tab.Stats.EventsAfterCut, won)
	}
	for _, et := range tab.EventTypes {
		if et == "invoice.paid" {
			t.Fatal("an event after a lead's cut-off became an event type")
		}
	}
	// Days since last activity is measured from each row's own cut-off.
	m, rep, err := Train(context.Background(), tab, TrainOptions{Folds: 2, Seed: 1, MinConversions: 10, Now: time.Unix(0, 0)})
	if err != nil {
		t.Fatal(err)
	}
	if rep.CV.Mean < 0.7 {
		t.Errorf("CV AUC %.3f: the planted pricing visit should be found", rep.CV.Mean)
	}
	x := m.Encoder.encodeTable(tab, []int{0}, 0)
	for j, c := range m.Encoder.Columns {
		if c.Kind == "days_since_last" {
			a := tab.Activity[0]
			want := neverActiveDays * 1.0
			if d, ok := a.daysSinceLast(tab.cutoffs[0]); ok {
				want = d
			}
			if got := x.Row(0)[j]; got != want {
				t.Errorf("days since last activity %.2f, want %.2f from the row's cut-off", got, want)
			}
		}
	}
	if m.AsOf != nil {
		t.Errorf("a model of per-lead cut-offs has one cut-off: %v", m.AsOf)
	}
}

type fakeArtefacts map[string]*leadscore.PredictiveArtifact

func (f fakeArtefacts) PredictiveArtifacts(context.Context, string) ([]leadscore.PredictiveArtifact, error) {
	return nil, nil
}

func (f fakeArtefacts) PredictiveArtifact(_ context.Context, name, version string) (*leadscore.PredictiveArtifact, error) {
	for _, a := range f {
		if a.Name == name && (a.Version == version || version == "" && a.Current) {
			return a, nil
		}
	}
	return nil, leadscore.Errorf(leadscore.CodeNotFound, "no %s@%s", name, version)
}

func TestStoreLoader(t *testing.T) {
	b := NewTableBuilder(nil)
	for _, s := range storeSamples(300) {
		b.Add(s)
	}
	m, _, err := Train(context.Background(), b.Table(), TrainOptions{Folds: 1, Seed: 1, MinConversions: 10, Now: time.Unix(0, 0)})
	if err != nil {
		t.Fatal(err)
	}
	body, err := m.JSON()
	if err != nil {
		t.Fatal(err)
	}
	store := fakeArtefacts{
		"a": {Name: "learned", Version: ArtefactVersion(body), Body: body, Activatable: true, Current: true},
		"b": {Name: "learned", Version: "thin", Body: body, Activatable: false},
	}
	files := 0
	load := StoreLoader(store, func(path string) (scoring.Predictor, error) {
		files++
		return nil, leadscore.Invalid("artifact", "no file %s", path)
	})
	p1, err := load("store:learned")
	if err != nil {
		t.Fatal(err)
	}
	p2, err := load("store:learned@" + ArtefactVersion(body))
	if err != nil || p1 != p2 {
		t.Errorf("the same version is parsed once: %v %v", p1 == p2, err)
	}
	for ref, code := range map[string]leadscore.ErrorCode{
		"store:learned@thin": leadscore.CodeInvalid, "store:nobody": leadscore.CodeNotFound, "store:": leadscore.CodeInvalid,
	} {
		if _, err := load(ref); leadscore.CodeOf(err) != code {
			t.Errorf("%s: %v, want %s", ref, err, code)
		}
	}
	if _, err := load("model.json"); err == nil || files != 1 {
		t.Errorf("a path goes to the file loader: %v (%d calls)", err, files)
	}
	if _, err := StoreLoader(store, nil)("model.json"); leadscore.CodeOf(err) != leadscore.CodeInvalid {
		t.Errorf("without a file loader a path is refused: %v", err)
	}
}
