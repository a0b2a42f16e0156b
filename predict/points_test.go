package predict

import (
	"strings"
	"testing"

	"github.com/leadscore/leadscore/modelfile"
)

// TestDraftRulesValidate: the draft rule model from planted data is a valid
// model file, gives the planted effects points and stays within budgets.
func TestDraftRulesValidate(t *testing.T) {
	dir := t.TempDir()
	leads, events := plantedLeads(t, dir, 4000, 3)
	tab := readPlanted(t, leads, events)
	out, err := DraftRules(tab, Selection{Drop: []string{"won_reason", "crm_stage"}}, PointsOptions{})
	if err != nil {
		t.Fatal(err)
	}
	res := modelfile.Parse("draft.yaml", out)
	for _, d := range res.Diagnostics {
		if d.Severity == modelfile.Error {
			t.Errorf("%s", d.String())
		}
	}
	text := string(out)
	for _, want := range []string{`lower(lead.title) == "vp engineering"`, "event: page.viewed", "fit:", "interest:"} {
		if !strings.Contains(text, want) {
			t.Errorf("draft lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "lead.plan") && !t.Failed() {
		t.Logf("noise field lead.plan got a rule:\n%s", text)
	}
	if t.Failed() {
		t.Logf("%s", text)
	}
}
