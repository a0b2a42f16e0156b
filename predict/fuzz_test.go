package predict

import (
	"context"
	"strings"
	"testing"
)

// FuzzParse: reading an artefact never panics, and whatever it accepts can
// score a lead.
func FuzzParse(f *testing.F) {
	f.Add([]byte(`{"format":"leadscore.predictive/v1","kind":"gbdt","encoder":{"inputs":[{"name":"lead.title","label":"job title","kind":"category","levels":["(other)","(missing)","vp"]}],"columns":null,"groups":null},"gbdt":{"base":-2,"trees":[{"nodes":[{"f":0,"t":1.5,"l":1,"r":2,"c":10},{"l":-1,"v":-0.1,"c":6},{"l":-1,"v":0.3,"c":4}]}]},"calibrator":{"a":1,"b":0},"activatable":true}`))
	f.Add([]byte(`{"format":"leadscore.predictive/v1","kind":"logistic","encoder":{"inputs":[{"name":"account.employees","label":"employees","kind":"number","fill":50,"missing":true}],"activity":true,"event_types":["page.viewed"]},"logistic":{"intercept":-1,"coef":[0.01,0.2,0.1,0.1,0.1,-0.01,-0.5,0.2,0.1],"means":[0,0,0,0,0,0,0,0,0]},"calibrator":{"a":1}}`))
	f.Add([]byte(`{}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := Parse(data, "fuzz.json")
		if err != nil {
			return
		}
		s := m.NewScorer()
		p := s.Score(&plantedLead, nil, nil, cutoff, 3)
		if p.Probability < 0 || p.Probability > 1 {
			t.Fatalf("probability %v", p.Probability)
		}
	})
}

// FuzzReadLeads: any lead file either fails with an error or yields a table
// whose columns all have one value per row.
func FuzzReadLeads(f *testing.F) {
	f.Add("id,title,employees,converted\n1,VP,10,yes\n2,Dev,,no\n")
	f.Add("age;job;y\n30;\"admin.\";no\n41;x;yes\n")
	f.Add("email,converted,converted_at\na@b.com,true,2026-01-02\n")
	f.Fuzz(func(t *testing.T, data string) {
		tab, err := readLeads(context.Background(), strings.NewReader(data), "fuzz.csv", ReadOptions{Target: "converted"})
		if err != nil {
			return
		}
		for k := range tab.cols {
			c := &tab.cols[k]
			n := len(c.num)
			if c.cat {
				n = len(c.str)
			}
			if n != tab.Rows() {
				t.Fatalf("column %s has %d values for %d rows", tab.Sources[k].Name, n, tab.Rows())
			}
		}
	})
}

// FuzzParseOutcome: an outcome cell is read the same whatever its case and
// surrounding spaces.
func FuzzParseOutcome(f *testing.F) {
	for _, s := range []string{"yes", "No", " 1 ", "0.5", "Closed Won", "", "maybe"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a, okA := parseOutcome(s)
		b, okB := parseOutcome("  " + strings.ToUpper(s) + " ")
		if okA && (!okB || a != b) && strings.ToUpper(s) == strings.ToLower(strings.ToUpper(s)) {
			t.Fatalf("%q -> %v,%v but upper-cased -> %v,%v", s, a, okA, b, okB)
		}
	})
}
