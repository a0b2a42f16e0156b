package webui

import (
	"context"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/leadscore/leadscore"
)

// TestReportsPage: the dashboard over the fixture's leads with outcomes
// recorded through the service, its roles, and its form.
func TestReportsPage(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	for id, res := range map[string]leadscore.OutcomeResult{"L1": "won", "L2": "lost"} {
		if _, err := f.svc.RecordOutcome(ctx, leadscore.Outcome{LeadID: id, Result: res}); err != nil {
			t.Fatal(err)
		}
	}
	b := f.signIn(leadscore.RoleViewer)
	// One active model: the index goes straight to its dashboard.
	p := b.get("/reports")
	wantStatus(t, "reports index", p, http.StatusSeeOther)
	if loc := p.header.Get("Location"); loc != "/reports/b2b-saas" {
		t.Errorf("reports index redirects to %q", loc)
	}
	p = b.get("/reports/b2b-saas")
	wantStatus(t, "dashboard", p, http.StatusOK)
	// Three leads, two with outcomes, one converted (50.0%); the bands,
	// deciles, funnel, charts, advice and rule lift are all there.
	wantBody(t, "dashboard", p, "Reports: b2b-saas", "3 of 3 stored leads",
		"<dt>With outcome</dt><dd>2</dd>", "<dt>Converted</dt><dd>1 (50.0%)</dd>",
		"Conversion by band", "Conversion by decile", "Funnel", "marketing-qualified lead (MQL)",
		"<svg", "Threshold advice", "Rule lift", "Leads without a recorded outcome are left out",
		"Low-scoring leads that converted", `<a href="/leads/L1">L1</a>`, `<a href="/leads/L2">L2</a>`)
	// Counting old leads as lost needs them older than the horizon: none is.
	p = b.get("/reports/b2b-saas?lost_after=90d&target=capacity&capacity=5")
	wantStatus(t, "dashboard with a capacity target", p, http.StatusOK)
	wantBody(t, "dashboard with a capacity target", p, "Leads older than 90d without an outcome count as not converted",
		"<dt>With outcome</dt><dd>2</dd>", "Suggested MQL threshold")
	p = b.get("/reports/b2b-saas?target=min_rate&min_rate=lots")
	wantStatus(t, "a bad rate", p, http.StatusBadRequest)
	wantBody(t, "a bad rate", p, "lots")
	wantStatus(t, "unknown model", b.get("/reports/nope"), http.StatusNotFound)
	// In Polish.
	p = b.get("/reports/b2b-saas", "Accept-Language", "pl")
	wantBody(t, "Polish dashboard", p, "Raporty: b2b-saas", "Lejek")

	sales := f.signIn(leadscore.RoleSales)
	wantStatus(t, "sales", sales.get("/reports/b2b-saas"), http.StatusForbidden)
}

// TestImpactPreviewOnTheModelPage: a saved, inactive version shows its
// impact before its activate button.
func TestImpactPreviewOnTheModelPage(t *testing.T) {
	f := newFixture(t)
	b := f.signIn(leadscore.RoleEditor)
	src, _ := os.ReadFile(filepath.Join("..", "examples", "b2b-saas.yaml"))
	// A threshold of 99 that no lead of the fixture reaches: every qualified
	// lead drops out.
	hard := strings.Replace(string(src), "mql: 70", "mql: 99", 1)
	if hard == string(src) {
		t.Fatal("the example model has no mql: 70 to change")
	}
	p := b.post("/models", url.Values{"name": {"b2b-saas"}, "source": {hard}})
	wantBody(t, "saved", p, "Saved.")
	m := regexp.MustCompile(`/models/b2b-saas/versions/([^/"]+)/activate`).FindStringSubmatch(p.body)
	if m == nil {
		t.Fatalf("no new version:\n%s", p.body)
	}
	version := m[1]
	p = b.get("/models/b2b-saas?version=" + version)
	wantBody(t, "model page", p, "Impact preview: "+version, "Preview the impact")
	before, _, err := f.svc.ListLeads(context.Background(), leadscore.LeadFilter{Model: "b2b-saas", Qualified: new(true)})
	if err != nil || len(before) == 0 {
		t.Fatalf("qualified leads before: %d, %v; the preview needs one to drop out", len(before), err)
	}
	p = b.get("/models/b2b-saas?version=" + version + "&preview=1")
	wantStatus(t, "preview", p, http.StatusOK)
	wantBody(t, "preview", p, `<dd id="preview-newly">0</dd>`, `<dd id="preview-dropout">`+itoa(len(before))+`</dd>`,
		"Leads per score range, before and after", `id="activate-previewed"`)
	// The active version has nothing to preview.
	p = b.get("/models/b2b-saas")
	if strings.Contains(p.body, "Impact preview") {
		t.Errorf("the active version offers a preview of itself")
	}
	// Previewing changed nothing.
	act, _ := f.svc.ActiveModels(context.Background())
	if len(act) != 1 || act[0].Version == version {
		t.Errorf("active after preview: %+v", act)
	}
}

// FuzzReportTarget: whatever the dashboard's form sends, the target is
// refused with a message or is exactly one valid target.
func FuzzReportTarget(f *testing.F) {
	for _, s := range []string{"", "target=best_f1", "target=capacity&capacity=25", "target=min_rate&min_rate=12.5%25",
		"target=min_rate&min_rate=0", "target=capacity&capacity=-1", "target=capacity&capacity=NaN", "target=x", "%zz"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, query string) {
		r, err := http.NewRequest("GET", "/reports/m", nil)
		if err != nil {
			t.Skip()
		}
		r.URL.RawQuery = query
		var d reportData
		tgt, err := reportTarget(&request{Request: r}, &d)
		if err != nil {
			if leadscore.CodeOf(err) != leadscore.CodeInvalid {
				t.Fatalf("%q: %v is not a clear refusal", query, err)
			}
			return
		}
		n := 0
		for _, set := range []bool{tgt.BestF1, tgt.CapacityPerWeek > 0, tgt.MinRate > 0 && tgt.MinRate <= 1} {
			if set {
				n++
			}
		}
		if n != 1 {
			t.Fatalf("%q: target %+v", query, tgt)
		}
	})
}
