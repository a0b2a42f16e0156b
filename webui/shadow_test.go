package webui

import (
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/leadscore/leadscore"
)

// TestShadowPage: an editor starts a saved version in shadow from the
// champion/challenger page, sees the side-by-side comparison and stops it;
// viewers read it, sales cannot, and forms need their CSRF token.
func TestShadowPage(t *testing.T) {
	f := newFixture(t)
	viewer := f.signIn(leadscore.RoleViewer)
	p := viewer.get("/reports/b2b-saas")
	wantBody(t, "link from the dashboard", p, `href="/reports/b2b-saas/shadow"`)
	p = viewer.get("/reports/b2b-saas/shadow")
	wantStatus(t, "viewer, no shadow", p, http.StatusOK)
	wantBody(t, "viewer, no shadow", p, "Champion/challenger: b2b-saas", "No version of this model runs in shadow.")
	if strings.Contains(p.body, `id="start-shadow"`) {
		t.Errorf("a viewer is offered to start a shadow")
	}
	wantStatus(t, "unknown model", viewer.get("/reports/nope/shadow"), http.StatusNotFound)

	editor := f.signIn(leadscore.RoleEditor)
	src, _ := os.ReadFile(filepath.Join("..", "examples", "b2b-saas.yaml"))
	draft := strings.Replace(string(src), "mql: 70", "mql: 20", 1)
	p = editor.post("/models", url.Values{"name": {"b2b-saas"}, "source": {draft}})
	m := regexp.MustCompile(`/models/b2b-saas/versions/([^/"]+)/activate`).FindStringSubmatch(p.body)
	if m == nil {
		t.Fatalf("no new version:\n%s", p.body)
	}
	version := m[1]
	p = editor.get("/reports/b2b-saas/shadow")
	wantBody(t, "start form", p, `id="start-shadow"`, `<option value="`+version+`"`)

	wantStatus(t, "viewer starts", viewer.post("/reports/b2b-saas/shadow", url.Values{"version": {version}}), http.StatusForbidden)
	wantStatus(t, "forged token", editor.post("/reports/b2b-saas/shadow", url.Values{"version": {version}, "csrf": {"forged"}}), http.StatusForbidden)
	wantStatus(t, "no version", editor.post("/reports/b2b-saas/shadow", url.Values{"version": {""}}), http.StatusBadRequest)

	p = editor.post("/reports/b2b-saas/shadow", url.Values{"version": {version}})
	wantStatus(t, "start", p, http.StatusSeeOther)
	loc, _ := url.Parse(p.header.Get("Location"))
	if loc.Path != "/reports/b2b-saas/shadow" || loc.Query().Get("job") == "" {
		t.Fatalf("start redirects to %q", loc)
	}
	f.waitJob(loc.Query().Get("job"))
	p = editor.get(loc.String())
	wantStatus(t, "comparison", p, http.StatusOK)
	// Three leads; the challenger's lower threshold qualifies at least as
	// many; no outcome is recorded yet.
	wantBody(t, "comparison", p, `id="shadow-version">`+version+`<`, "The shadow runs.",
		"Not enough outcomes yet: 0 of the 100 needed.", "3 leads scored by both versions",
		"Who qualifies", "Side by side", "<svg", "Leads per score range under each version", `id="stop-shadow"`)
	if got := regexp.MustCompile(`id="agree-(both|champion|challenger|neither)">(\d+)<`).FindAllStringSubmatch(p.body, -1); len(got) != 4 {
		t.Errorf("agreement cells: %v", got)
	}
	p = viewer.get("/reports/b2b-saas/shadow", "Accept-Language", "pl")
	wantBody(t, "Polish", p, "Champion/pretendent: b2b-saas", "Za mało wyników: 0 z 100 potrzebnych.")
	if strings.Contains(p.body, `id="stop-shadow"`) {
		t.Errorf("a viewer is offered to stop the shadow")
	}

	sales := f.signIn(leadscore.RoleSales)
	wantStatus(t, "sales reads", sales.get("/reports/b2b-saas/shadow"), http.StatusForbidden)
	wantStatus(t, "sales stops", sales.post("/reports/b2b-saas/shadow/stop", url.Values{}), http.StatusForbidden)
	wantStatus(t, "viewer stops", viewer.post("/reports/b2b-saas/shadow/stop", url.Values{}), http.StatusForbidden)

	p = editor.post("/reports/b2b-saas/shadow/stop", url.Values{})
	wantStatus(t, "stop", p, http.StatusSeeOther)
	p = editor.get(p.header.Get("Location"))
	wantBody(t, "stopped", p, "The shadow was stopped and its scores deleted.", "No version of this model runs in shadow.")
	wantStatus(t, "stop again", editor.post("/reports/b2b-saas/shadow/stop", url.Values{}), http.StatusNotFound)
}
