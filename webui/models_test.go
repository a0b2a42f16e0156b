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

// shadowForm matches the model page's "Run in shadow" form of one version.
func shadowForm(version string) *regexp.Regexp {
	return regexp.MustCompile(`<form method="post" action="/reports/b2b-saas/shadow" class="inline shadow-start" data-version="` +
		regexp.QuoteMeta(version) + `"><input type="hidden" name="csrf" value="[^"]+"><input type="hidden" name="version" value="` +
		regexp.QuoteMeta(version) + `"><button type="submit">([^<]+)</button></form>`)
}

// TestModelPageRunInShadow: the model page's versions table leads to the
// champion/challenger page. Editors get a "Run in shadow" form on each
// inactive version (never the active one), posted with the CSRF token to
// the shadow page's handler; the version in shadow is then marked and
// linked, and the others offer to replace it. Viewers see the mark and the
// link but no form, and cannot post it.
func TestModelPageRunInShadow(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	src, err := os.ReadFile(filepath.Join("..", "examples", "b2b-saas.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	upload := func(from, to string) string {
		t.Helper()
		res, err := f.svc.UploadModel(ctx, "b2b-saas.yaml", []byte(strings.Replace(string(src), from, to, 1)), "editor@example.com")
		if err != nil {
			t.Fatal(err)
		}
		return res.Versions[0].Version
	}
	draft := upload("mql: 70", "mql: 20")
	other := upload("mql: 70", "mql: 60")
	vs, err := f.svc.ModelVersions(ctx, "b2b-saas")
	if err != nil {
		t.Fatal(err)
	}
	active := ""
	for _, v := range vs {
		if v.Active {
			active = v.Version
		}
	}

	editor := f.signIn(leadscore.RoleEditor)
	p := editor.get("/models/b2b-saas")
	wantStatus(t, "model page", p, http.StatusOK)
	for _, v := range []string{draft, other} {
		if m := shadowForm(v).FindStringSubmatch(p.body); m == nil || m[1] != "Run in shadow" {
			t.Errorf("no Run in shadow form for version %s: %v\n%s", v, m, p.body)
		}
	}
	if shadowForm(active).MatchString(p.body) {
		t.Errorf("the active version %s is offered to run in shadow", active)
	}
	wantBody(t, "model page", p, `id="shadow-page" href="/reports/b2b-saas/shadow"`, "A version run in shadow scores every lead")
	if strings.Contains(p.body, `id="in-shadow"`) {
		t.Errorf("a version is marked in shadow before any runs")
	}

	viewer := f.signIn(leadscore.RoleViewer)
	p = viewer.get("/models/b2b-saas")
	wantStatus(t, "viewer", p, http.StatusOK)
	if strings.Contains(p.body, "shadow-start") {
		t.Errorf("a viewer is offered to run a version in shadow")
	}
	wantBody(t, "viewer", p, `id="shadow-page"`)

	// The form posts to the shadow page's handler, which keeps its checks.
	form := url.Values{"version": {draft}}
	wantStatus(t, "viewer posts", viewer.post("/reports/b2b-saas/shadow", url.Values{"version": {draft}}), http.StatusForbidden)
	wantStatus(t, "forged token", editor.post("/reports/b2b-saas/shadow", url.Values{"version": {draft}, "csrf": {"forged"}}), http.StatusForbidden)
	wantStatus(t, "no token", editor.post("/reports/b2b-saas/shadow", url.Values{"version": {draft}, "csrf": {""}}), http.StatusForbidden)
	sales := f.signIn(leadscore.RoleSales)
	wantStatus(t, "sales reads", sales.get("/models/b2b-saas"), http.StatusForbidden)
	wantStatus(t, "sales posts", sales.post("/reports/b2b-saas/shadow", url.Values{"version": {draft}}), http.StatusForbidden)
	if shadows, _ := f.svc.Shadows(ctx); len(shadows) != 0 {
		t.Fatalf("a refused post started a shadow: %+v", shadows)
	}

	p = editor.post("/reports/b2b-saas/shadow", form)
	wantStatus(t, "run in shadow", p, http.StatusSeeOther)
	loc, _ := url.Parse(p.header.Get("Location"))
	if loc.Path != "/reports/b2b-saas/shadow" || loc.Query().Get("job") == "" {
		t.Fatalf("run in shadow redirects to %q", loc)
	}
	f.waitJob(loc.Query().Get("job"))
	wantBody(t, "shadow page", editor.get(loc.String()), `id="shadow-version">`+draft+`<`)

	// Back on the model page: the shadow's version is marked and links to
	// the comparison; the other inactive version offers to replace it.
	p = editor.get("/models/b2b-saas")
	if !regexp.MustCompile(`<code>` + regexp.QuoteMeta(draft) + `</code>.*?<a class="tag" id="in-shadow" href="/reports/b2b-saas/shadow">in shadow</a>`).MatchString(strings.ReplaceAll(p.body, "\n", " ")) {
		t.Errorf("version %s is not marked in shadow:\n%s", draft, p.body)
	}
	if shadowForm(draft).MatchString(p.body) {
		t.Errorf("the version in shadow is offered to run in shadow again")
	}
	if m := shadowForm(other).FindStringSubmatch(p.body); m == nil || m[1] != "Run in shadow instead of "+draft {
		t.Errorf("version %s does not offer to replace the shadow: %v", other, m)
	}
	wantBody(t, "viewer sees the mark", viewer.get("/models/b2b-saas"), `id="in-shadow"`)

	// Every language words the entry point.
	p = editor.get("/models/b2b-saas", "Accept-Language", "pl")
	if m := shadowForm(other).FindStringSubmatch(p.body); m == nil || m[1] != "Uruchom w cieniu zamiast "+draft {
		t.Errorf("Polish replace button: %v", m)
	}
	wantBody(t, "Polish", p, ">w cieniu</a>")
}
