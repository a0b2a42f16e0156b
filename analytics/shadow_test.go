package analytics

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/leadscore/leadscore"
)

func shadowVersions() (*leadscore.ModelVersion, *leadscore.ModelVersion) {
	mql := 50.0
	spec := func() *leadscore.ModelSpec {
		return &leadscore.ModelSpec{Name: "m", Scale: leadscore.Scale{Min: 0, Max: 100}, MQL: &mql,
			Bands: []leadscore.Band{{Name: "hot", Min: 50}, {Name: "cold", Min: 0}}}
	}
	return &leadscore.ModelVersion{Name: "m", Version: "champ", Spec: spec()},
		&leadscore.ModelVersion{Name: "m", Version: "chall", Spec: spec()}
}

// plantedPairs makes n leads whose outcome follows signal: the champion
// scores noise, the challenger (or, swapped, the champion) the signal.
func plantedPairs(n, withOutcome int, swap bool) []ShadowPair {
	rng := rand.New(rand.NewPCG(3, 5))
	side := func(v float64) ShadowSide {
		s := ShadowSide{Score: v, Band: "cold", Qualified: v >= 50}
		if s.Qualified {
			s.Band = "hot"
		}
		return s
	}
	out := make([]ShadowPair, n)
	for i := range out {
		signal, noise := rng.Float64() < 0.5, rng.Float64() < 0.5
		p := 0.1
		if signal {
			p = 0.7
		}
		score := func(b bool) float64 {
			if b {
				return 60
			}
			return 10
		}
		a, b := side(score(noise)), side(score(signal))
		if swap {
			a, b = b, a
		}
		out[i] = ShadowPair{LeadID: fmt.Sprintf("l%03d", i), Champion: a, Challenger: b}
		if i < withOutcome {
			out[i].Outcome = Outcome{Known: true, Converted: rng.Float64() < p}
		}
	}
	return out
}

// TestCompareShadowVerdicts: the verdict finds the planted better version
// either way round, waits for 100 outcomes, and refuses to call a tie.
func TestCompareShadowVerdicts(t *testing.T) {
	champ, chall := shadowVersions()
	sh := leadscore.Shadow{Model: "m", Version: "chall", StartedAt: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)}
	asOf := sh.StartedAt.Add(36 * time.Hour)
	same := plantedPairs(400, 400, false)
	for i := range same {
		same[i].Challenger = same[i].Champion
	}
	oneOutcome := plantedPairs(150, 150, false)
	for i := range oneOutcome {
		oneOutcome[i].Outcome.Converted = false
	}
	for _, tc := range []struct {
		name  string
		pairs []ShadowPair
		kind  string
		text  string
	}{
		{"better", plantedPairs(400, 400, false), VerdictBetter, "challenger better"},
		{"worse", plantedPairs(400, 400, true), VerdictWorse, "challenger worse"},
		{"too few outcomes", plantedPairs(400, 99, false), VerdictNotEnough, "not enough outcomes yet: 99 of the 100 needed"},
		{"no leads", nil, VerdictNotEnough, "0 of the 100 needed"},
		{"the same scores", same, VerdictSame, "no clear difference yet"},
		{"one outcome only", oneOutcome, VerdictOneOutcome, "all 150 outcomes are the same"},
	} {
		c := CompareShadow(sh, champ, chall, tc.pairs, asOf)
		if c.Verdict.Kind != tc.kind || !bytes.Contains([]byte(c.Verdict.Text), []byte(tc.text)) {
			t.Errorf("%s: verdict %+v, want %s (%q)", tc.name, c.Verdict, tc.kind, tc.text)
		}
		g := c.Agreement
		if g.Both+g.OnlyChampion+g.OnlyChallenger+g.Neither != len(tc.pairs) || c.Leads != len(tc.pairs) {
			t.Errorf("%s: agreement %+v over %d leads", tc.name, g, len(tc.pairs))
		}
		if c.Days != 1.5 {
			t.Errorf("%s: %g days, want 1.5", tc.name, c.Days)
		}
	}
}

// TestShadowText: the terminal summary, against a golden file.
func TestShadowText(t *testing.T) {
	champ, chall := shadowVersions()
	sh := leadscore.Shadow{Model: "m", Version: "chall", StartedAt: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)}
	c := CompareShadow(sh, champ, chall, plantedPairs(400, 300, false), sh.StartedAt.Add(7*24*time.Hour))
	var text bytes.Buffer
	if err := c.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	golden(t, "testdata/shadow.golden.txt", text.Bytes())
}
