package webui

import (
	"context"
	"encoding/json"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/leadscore/leadscore"
	"github.com/leadscore/leadscore/service"
)

// pageBudget is what one page may ship before images: its HTML and every
// stylesheet, script and other non-image file it references, uncompressed
// (issue 7: "no page ships more than 200 KB before images").
const pageBudget = 200_000

// The heavy workspace of the weight test: a busy lead, a big account, a
// long history everywhere a list can grow.
const (
	heavyEvents     = 3000 // events of the busy lead
	heavyLedger     = 2500 // extra score changes of the busy lead
	heavyTimeline   = 1500 // automation history rows of the busy lead
	heavyPeople     = 400  // people of the big account
	heavyVersions   = 60   // versions of the model
	heavyDeliveries = 300  // webhook deliveries
	heavyAttempts   = 150  // attempts of one delivery, each with a 1 KB answer
	heavyOwners     = 300  // owners in the routing file
	heavyUsers      = 120  // users on the settings page
	heavyKeys       = 30   // API keys
	heavyArtifacts  = 40   // predictive versions
)

// weightPage is one page of the UI as the weight test requests it.
type weightPage struct {
	// route is the pattern webui.go registers the page under.
	route string
	// path is the URL requested; roles who may see it ("" is signed out).
	path   string
	roles  []leadscore.Role
	status int
}

var (
	everyone = []leadscore.Role{leadscore.RoleAdmin, leadscore.RoleEditor, leadscore.RoleViewer, leadscore.RoleSales}
	readers  = []leadscore.Role{leadscore.RoleAdmin, leadscore.RoleEditor, leadscore.RoleViewer}
	editors  = []leadscore.Role{leadscore.RoleAdmin, leadscore.RoleEditor}
	admins   = []leadscore.Role{leadscore.RoleAdmin}
	nobody   = []leadscore.Role{""}
)

// weightPages lists every page; {job}, {old}, {delivery}, {artifact} and
// {lead} stand for ids the heavy workspace makes. A new page goes here.
func weightPages() []weightPage {
	return []weightPage{
		{"GET /signin", "/signin", nobody, 200},
		{"GET /{$}", "/", everyone, 303},
		{"GET /leads", "/leads", everyone, 200},
		{"GET /leads", "/leads?model=b2b-saas&qualified=yes", everyone, 200},
		{"GET /leads/{id}", "/leads/{lead}", everyone, 200},
		{"GET /leads/{id}/history", "/leads/{lead}/history", everyone, 200},
		{"GET /leads/{id}/history", "/leads/{lead}/history?model=b2b-saas", everyone, 200},
		{"GET /leads/{id}/history", "/leads/{lead}/history?model=b2b-saas&after=1200", everyone, 200},
		{"GET /accounts/{id}", "/accounts/acme", everyone, 200},
		{"GET /models", "/models", readers, 200},
		{"GET /models/new", "/models/new", editors, 200},
		{"GET /models/{name}", "/models/b2b-saas", readers, 200},
		{"GET /models/{name}", "/models/b2b-saas?version={old}&preview=1", readers, 200},
		{"GET /models/{name}", "/models/b2b-saas?older={old}", readers, 200},
		{"GET /models/{name}/edit", "/models/b2b-saas/edit", editors, 200},
		{"GET /jobs/{id}", "/jobs/{job}", readers, 200},
		{"GET /reports", "/reports", readers, 200},
		{"GET /reports/{model}", "/reports/b2b-saas", readers, 200},
		{"GET /reports/{model}", "/reports/b2b-saas?target=capacity&capacity=5", readers, 200},
		{"GET /reports/{model}", "/reports/b2b-saas?target=min_rate&min_rate=20&lost_after=30d", readers, 200},
		{"GET /reports/{model}/shadow", "/reports/b2b-saas/shadow", readers, 200},
		{"GET /predictive", "/predictive", readers, 200},
		{"GET /predictive/{name}/{version}", "/predictive/learned/{artifact}", readers, 200},
		{"GET /routing", "/routing", readers, 200},
		{"GET /webhooks", "/webhooks", editors, 200},
		{"GET /webhooks", "/webhooks?state=failed", editors, 200},
		{"GET /webhooks/deliveries/{id}", "/webhooks/deliveries/{delivery}", editors, 200},
		{"GET /webhooks/deliveries/{id}", "/webhooks/deliveries/{delivery}?before=60", editors, 200},
		{"GET /settings", "/settings", admins, 200},
		{"GET /settings", "/settings?users_after=colleague049@acme.example", admins, 200},
		// Error pages: unknown, forbidden, missing.
		{"/", "/no/such/page", nobody, 404},
		{"/", "/no/such/page", everyone, 404},
		{"", "/settings", []leadscore.Role{leadscore.RoleViewer, leadscore.RoleSales}, 403},
		{"", "/leads/nobody", everyone, 404},
	}
}

// notPages are GET routes that serve no page, with why the budget does
// not apply.
var notPages = map[string]string{
	"GET /static/":     "the static files each page's weight already counts",
	"GET /favicon.ico": "a redirect to an image",
	"GET /leads.csv":   "a download of the whole filtered view, not a page",
}

// TestPageWeight requests every page of the UI over a heavy workspace, as
// every role that may see it, and holds each to the budget.
func TestPageWeight(t *testing.T) {
	if testing.Short() {
		t.Skip("seeds a heavy workspace")
	}
	f, ids := heavyFixture(t)
	browsers := map[leadscore.Role]*browser{"": f.browser()}
	for _, r := range everyone {
		browsers[r] = f.signIn(r)
	}
	report := []string{}
	for _, pg := range weightPages() {
		p := pg.path
		for k, v := range ids {
			p = strings.ReplaceAll(p, "{"+k+"}", url.PathEscape(v))
		}
		for _, role := range pg.roles {
			b := browsers[role]
			w, err := weigh(b, p, pg.status)
			if err != nil {
				t.Errorf("%s as %q: %v", p, role, err)
				continue
			}
			line := fmt.Sprintf("%-60s %-7s %7d bytes (HTML %d)", p, role, w.total, w.html)
			report = append(report, line)
			if w.total > pageBudget {
				t.Errorf("%s as %q weighs %d bytes, over the budget of %d: HTML %d, %s", p, role, w.total, pageBudget, w.html, w.parts())
			}
		}
	}
	t.Logf("page weights (budget %d bytes):\n%s", pageBudget, strings.Join(report, "\n"))
	t.Run("caps", func(t *testing.T) { checkCaps(t, browsers[leadscore.RoleViewer], browsers[leadscore.RoleEditor]) })
}

// checkCaps: the long lists of the heavy workspace show their most recent
// rows, say how many are left out, and link to the rest, whose pages add
// up to everything.
func checkCaps(t *testing.T, viewer, editor *browser) {
	number := func(s string) int {
		n, err := strconv.Atoi(strings.ReplaceAll(s, ",", ""))
		if err != nil {
			t.Fatalf("%q: %v", s, err)
		}
		return n
	}
	p := viewer.get("/leads/busy")
	wantStatus(t, "busy lead", p, http.StatusOK)
	m := regexp.MustCompile(`The last 100 of ([\d,]+) score changes are charted\. <a href="/leads/busy/history\?model=b2b-saas">`).FindStringSubmatch(p.body)
	if m == nil || number(m[1]) < heavyLedger {
		t.Fatalf("the chart does not say it holds the last 100 changes:\n%s", p.body)
	}
	changes := number(m[1])
	if n := strings.Count(p.body, `<circle class="pt cause-`); n > 2*chartLimit {
		t.Errorf("%d chart markers for two models, want at most %d", n, 2*chartLimit)
	}
	wantBody(t, "busy lead", p, "The 50 most recent events are listed; older ones are left out.",
		`390 more people are not listed here. <a href="/accounts/acme">`, "lead.accepted")
	m = regexp.MustCompile(`The last 50 of ([\d,]+) lifecycle changes are listed\. <a href="/leads/busy/history">`).FindStringSubmatch(p.body)
	if m == nil || number(m[1]) < heavyTimeline {
		t.Fatalf("the lifecycle does not say it holds the last 50 changes:\n%s", p.body)
	}
	lifecycle := number(m[1])
	if strings.Contains(p.body, "20 Oct 2024") {
		t.Errorf("the lead page lists the oldest lifecycle change, not the most recent ones")
	}

	// The full lists page through every row, 100 at a time.
	rowRe := regexp.MustCompile(`<tr><td class="date">`)
	nextRe := regexp.MustCompile(`<a href="([^"]+)" rel="next">`)
	for _, tc := range []struct {
		first string
		want  int
	}{{"/leads/busy/history?model=b2b-saas", changes}, {"/leads/busy/history", lifecycle}} {
		rows, pages, next := 0, 0, tc.first
		for next != "" {
			p := viewer.get(next)
			wantStatus(t, next, p, http.StatusOK)
			n := len(rowRe.FindAllString(p.body, -1))
			if n > historyPageSize {
				t.Errorf("%s lists %d rows", next, n)
			}
			if pages > 0 && !strings.Contains(p.body, `rel="first"`) {
				t.Errorf("%s has no link to the first page", next)
			}
			rows, pages, next = rows+n, pages+1, ""
			if m := nextRe.FindStringSubmatch(p.body); m != nil {
				next = m[1]
			}
		}
		if rows != tc.want {
			t.Errorf("%s and its next pages list %d rows, want %d", tc.first, rows, tc.want)
		}
	}
	wantStatus(t, "a bad cursor", viewer.get("/leads/busy/history?after=soon"), http.StatusBadRequest)

	p = viewer.get("/accounts/acme")
	wantBody(t, "account", p, `The 100 best-scored people are listed; 301 more are left out. <a href="/leads?account=acme">`)
	if n := strings.Count(p.body, `<td class="num" data-value=`); n != peopleShown {
		t.Errorf("the account lists %d people, want %d", n, peopleShown)
	}

	p = editor.get("/webhooks/deliveries/dlv_00000")
	wantBody(t, "delivery", p, `50 attempts are listed; 100 earlier ones are left out. <a href="/webhooks/deliveries/dlv_00000?before=101" rel="prev">`,
		"<td>150</td>")
	p = editor.get("/webhooks/deliveries/dlv_00000?before=101")
	wantBody(t, "earlier attempts", p, `50 earlier ones are left out. <a href="/webhooks/deliveries/dlv_00000?before=51"`, "<td>100</td>",
		`<a href="/webhooks/deliveries/dlv_00000">Latest attempts</a>`)
	p = editor.get("/webhooks/deliveries/dlv_00000?before=51")
	wantBody(t, "first attempts", p, "<td>1</td>", "<td>50</td>")
	if strings.Contains(p.body, "attempts-capped") || strings.Contains(p.body, "<td>51</td>") {
		t.Errorf("the first attempts' page:\n%s", p.body)
	}

	// The settings page lists users 50 at a time, by email.
	admin := viewer.f.signIn(leadscore.RoleAdmin)
	users, next := 0, "/settings"
	for pages := 0; next != "" && pages < 10; pages++ {
		p := admin.get(next)
		wantStatus(t, next, p, http.StatusOK)
		n := strings.Count(p.body, `<select id="role-`)
		if n > usersShown {
			t.Errorf("%s lists %d users", next, n)
		}
		users, next = users+n, ""
		if m := regexp.MustCompile(`\d+ more users follow\. <a href="([^"]+)" rel="next">`).FindStringSubmatch(p.body); m != nil {
			next = m[1]
		}
	}
	if all, _ := viewer.f.svc.Users(context.Background()); users != len(all) {
		t.Errorf("the settings pages list %d users, want %d", users, len(all))
	}

	listed, older := 0, -1
	next = "/models/b2b-saas"
	for next != "" {
		p := viewer.get(next)
		listed += strings.Count(p.body, `<td><a href="/models/b2b-saas?version=`)
		next = ""
		if m := regexp.MustCompile(`(\d+) older versions are not listed\. <a href="([^"]+)" rel="next">`).FindStringSubmatch(p.body); m != nil {
			if older >= 0 && number(m[1]) >= older {
				t.Fatalf("the versions do not page on: %s older, then %d", m[1], older)
			}
			older, next = number(m[1]), m[2]
		}
	}
	if listed != heavyVersions {
		t.Errorf("the model's pages list %d versions, want %d", listed, heavyVersions)
	}
}

// TestEveryPageIsWeighed fails when a GET route is registered that the
// weight test does not request, so no page escapes the budget.
func TestEveryPageIsWeighed(t *testing.T) {
	listed := map[string]bool{}
	for _, pg := range weightPages() {
		listed[pg.route] = true
	}
	routes := getRoutes(t)
	if len(routes) < 10 {
		t.Fatalf("found only %d GET routes in the package: %v", len(routes), routes)
	}
	for _, r := range routes {
		if !listed[r] && notPages[r] == "" {
			t.Errorf("GET route %q is not in weightPages (weight_test.go): add the page so it is held to the budget", r)
		}
	}
	for r := range listed {
		if r != "" && !slices.Contains(routes, r) {
			t.Errorf("weightPages names route %q, which the UI does not register", r)
		}
	}
}

// getRoutes reads the patterns the package's source registers with
// Handle or HandleFunc that answer GET: "GET /path" and patterns without
// a method.
func getRoutes(t *testing.T) []string {
	t.Helper()
	fset := token.NewFileSet()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		file, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(file, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok || len(call.Args) < 2 {
				return true
			}
			sel, ok := call.Fun.(*ast.SelectorExpr)
			if !ok || (sel.Sel.Name != "Handle" && sel.Sel.Name != "HandleFunc") {
				return true
			}
			lit, ok := call.Args[0].(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				return true
			}
			pat, err := strconv.Unquote(lit.Value)
			if err != nil {
				return true
			}
			if strings.HasPrefix(pat, "GET ") || strings.HasPrefix(pat, "/") {
				out = append(out, pat)
			}
			return true
		})
	}
	sort.Strings(out)
	return out
}

// weight is what one page ships: its HTML and each resource it loads.
type weight struct {
	html, total int
	files       map[string]int
}

func (w weight) parts() string {
	var s []string
	for u, n := range w.files {
		s = append(s, fmt.Sprintf("%s %d", u, n))
	}
	sort.Strings(s)
	return strings.Join(s, ", ")
}

var (
	linkRe    = regexp.MustCompile(`(?is)<link\b[^>]*>`)
	scriptRe  = regexp.MustCompile(`(?is)<script\b[^>]*\bsrc\s*=\s*["']([^"']+)["']`)
	hrefRe    = regexp.MustCompile(`(?is)\bhref\s*=\s*["']([^"']+)["']`)
	importRe  = regexp.MustCompile(`(?i)@import\s+(?:url\(\s*)?["']?([^"')\s;]+)`)
	cssURLRe  = regexp.MustCompile(`(?i)url\(\s*["']?([^"')]+)["']?\s*\)`)
	imageExts = []string{".svg", ".png", ".jpg", ".jpeg", ".gif", ".webp", ".avif", ".ico", ".bmp"}
)

func isImage(u string) bool {
	if strings.HasPrefix(u, "data:image/") {
		return true
	}
	p := u
	if i := strings.IndexAny(p, "?#"); i >= 0 {
		p = p[:i]
	}
	return slices.Contains(imageExts, strings.ToLower(path.Ext(p)))
}

// weigh fetches a page and everything non-image it references (stylesheets,
// scripts, CSS imports and fonts), each once. A reference to another site is
// an error: the UI works offline.
func weigh(b *browser, p string, status int) (weight, error) {
	w := weight{files: map[string]int{}}
	body, code, err := fetch(b, p)
	if err != nil {
		return w, err
	}
	if code != status {
		return w, fmt.Errorf("status %d, want %d", code, status)
	}
	w.html, w.total = len(body), len(body)
	var queue []string
	for _, tag := range linkRe.FindAllString(body, -1) {
		if m := hrefRe.FindStringSubmatch(tag); m != nil {
			queue = append(queue, m[1])
		}
	}
	for _, m := range scriptRe.FindAllStringSubmatch(body, -1) {
		queue = append(queue, m[1])
	}
	for len(queue) > 0 {
		ref := queue[0]
		queue = queue[1:]
		if isImage(ref) || strings.HasPrefix(ref, "data:") || strings.HasPrefix(ref, "#") {
			continue
		}
		if !strings.HasPrefix(ref, "/") || strings.HasPrefix(ref, "//") {
			return w, fmt.Errorf("references %q on another site", ref)
		}
		if _, seen := w.files[ref]; seen {
			continue
		}
		res, code, err := fetch(b, ref)
		if err != nil {
			return w, err
		}
		if code != http.StatusOK {
			return w, fmt.Errorf("%s: status %d", ref, code)
		}
		w.files[ref] = len(res)
		w.total += len(res)
		if strings.HasSuffix(strings.SplitN(ref, "?", 2)[0], ".css") {
			base := path.Dir(ref)
			for _, re := range []*regexp.Regexp{importRe, cssURLRe} {
				for _, m := range re.FindAllStringSubmatch(res, -1) {
					u := m[1]
					if !strings.HasPrefix(u, "/") && !strings.Contains(u, ":") {
						u = path.Join(base, u)
					}
					queue = append(queue, u)
				}
			}
		}
	}
	return w, nil
}

// fetch reads a response's bytes as sent (the browser helper unescapes
// pages, which changes their length).
func fetch(b *browser, p string) (string, int, error) {
	req, err := http.NewRequest("GET", b.f.srv.URL+p, nil)
	if err != nil {
		return "", 0, err
	}
	resp, err := b.c.Do(req)
	if err != nil {
		return "", 0, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return string(body), resp.StatusCode, err
}

// heavyFixture is the fixture's workspace grown heavy: the ids of what it
// made are returned for the page paths.
func heavyFixture(t *testing.T) (*fixture, map[string]string) {
	t.Helper()
	ctx := context.Background()
	f, st := startService(t, func(c *service.Config) { c.DeliveryInterval = time.Hour })
	svc, c := f.svc, f.clock
	ws := st.Workspace(leadscore.DefaultWorkspace)
	ids := map[string]string{"lead": "busy"}
	now := c.Now()

	// Models: the example, many versions of it, and a second active model
	// so that the reports index lists them.
	src, err := os.ReadFile(filepath.Join("..", "examples", "b2b-saas.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var versions []string
	for i := range heavyVersions { // each with its own threshold: a version is the model's content
		s := string(src)
		if i > 0 {
			s = strings.Replace(s, "mql: 70", fmt.Sprintf("mql: %d", 10+i), 1)
		}
		res, err := svc.UploadModel(ctx, "b2b-saas.yaml", []byte(s), fmt.Sprintf("author%d@example.com", i%7))
		if err != nil {
			t.Fatal(err)
		}
		versions = append(versions, res.Versions[0].Version)
	}
	job, err := svc.ActivateModel(ctx, "b2b-saas", versions[0])
	if err != nil {
		t.Fatal(err)
	}
	f.waitJob(job.ID)
	ids["job"], ids["old"] = job.ID, versions[len(versions)-1]
	f.activateExample("bank-marketing.yaml", "bank-marketing")

	// A big account: hundreds of people, some engaged, some with outcomes.
	emp := int64(12000)
	if err := svc.UpsertAccounts(ctx, []leadscore.Account{{ID: "acme", Domain: "acme.com", Name: "Acme Corporation International",
		Employees: &emp, Industry: "Software", Country: "DE"}}); err != nil {
		t.Fatal(err)
	}
	titles := []string{"VP Engineering", "Head of Marketing", "Senior Software Engineer", "Director of Sales Operations", "Procurement Manager"}
	leads := []leadscore.Lead{{ID: "busy", Email: "grace.hopper@acme.com", FirstName: "Grace", LastName: "Hopper", Title: "Chief Technology Officer",
		AccountID: "acme", Country: "DE", Fields: map[string]any{"owner": "rep@example.com"}}}
	for i := range heavyPeople {
		leads = append(leads, leadscore.Lead{ID: fmt.Sprintf("p%04d", i), Email: fmt.Sprintf("person.number%04d@acme.com", i),
			FirstName: fmt.Sprintf("Firstname%04d", i), LastName: "Lastname-Longerthanusual", Title: titles[i%len(titles)],
			AccountID: "acme", Country: "DE", Fields: map[string]any{"owner": "rep@example.com"}})
	}
	if err := svc.UpsertLeads(ctx, leads); err != nil {
		t.Fatal(err)
	}
	// A long score history and lifecycle history of the busy lead, written
	// to the store as the service would have over the years before the
	// activity below.
	err = ws.Write(ctx, func(tx leadscore.Tx) error {
		prev := 0.0
		for i := range heavyLedger {
			score := float64((i * 37) % 100)
			e := &leadscore.LedgerEntry{LeadID: "busy", Model: "b2b-saas", Version: versions[0],
				At: now.Add(-3 * 365 * 24 * time.Hour).Add(time.Duration(i) * time.Hour), OldScore: &prev, NewScore: score,
				Cause: leadscore.CauseEvent, CauseRef: fmt.Sprintf("evt_%08d", i), Detail: "page.viewed /docs/guides/integrations"}
			prev = score
			if err := tx.AppendLedger(ctx, e); err != nil {
				return err
			}
		}
		at, ok := tx.(leadscore.AutomationTx)
		if !ok {
			return fmt.Errorf("the store has no automation")
		}
		var hist []*leadscore.HistoryEntry
		for i := range heavyTimeline {
			hist = append(hist, &leadscore.HistoryEntry{LeadID: "busy", Kind: []string{"lead.stage_changed", "lead.assigned", "sla.breached"}[i%3],
				At: now.Add(-2 * 365 * 24 * time.Hour).Add(time.Duration(i) * time.Hour), Owner: fmt.Sprintf("owner%02d@acme.example", i%13),
				EventID: fmt.Sprintf("evt_hist_%06d", i), Data: json.RawMessage(`{"by":"rep@example.com"}`)})
		}
		if err := at.AppendHistory(ctx, hist); err != nil {
			return err
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var msgs []leadscore.Message
	for i := range heavyPeople {
		if i%3 == 0 {
			at := now.Add(-time.Duration(i) * time.Hour)
			msgs = append(msgs, leadscore.Message{Kind: leadscore.MsgTrack, MessageID: fmt.Sprintf("pe%d", i), Source: "test",
				UserID: fmt.Sprintf("p%04d", i), Event: "webinar.attended", Timestamp: at, ReceivedAt: at})
		}
	}
	ingest(t, svc, msgs)

	// The busy lead: thousands of events over four months.
	kinds := []string{"page.viewed", "email.opened", "email.clicked", "session.started", "form.submitted", "webinar.attended"}
	msgs = msgs[:0]
	for i := range heavyEvents {
		at := now.Add(-120 * 24 * time.Hour).Add(time.Duration(i) * 120 * 24 * time.Hour / heavyEvents)
		m := leadscore.Message{Kind: leadscore.MsgTrack, MessageID: fmt.Sprintf("busy-%d", i), Source: "test", UserID: "busy",
			Event: kinds[i%len(kinds)], Timestamp: at, ReceivedAt: at}
		if m.Event == "page.viewed" {
			m.Kind, m.Event, m.Name = leadscore.MsgPage, "", "Docs"
			m.Properties = map[string]any{"path": fmt.Sprintf("/docs/guides/integrations/section-%d/a-rather-long-page-name", i%97)}
		}
		msgs = append(msgs, m)
	}
	for i, ev := range []string{"demo.requested", "trial.started"} {
		at := now.Add(-time.Duration(2-i) * time.Hour)
		msgs = append(msgs, leadscore.Message{Kind: leadscore.MsgTrack, MessageID: "busy-" + ev, Source: "test", UserID: "busy", Event: ev, Timestamp: at, ReceivedAt: at})
	}
	ingest(t, svc, msgs)
	if _, err := svc.LeadAction(ctx, "busy", leadscore.LeadAction{Action: "accept", By: "rep@example.com"}); err != nil {
		t.Fatal(err)
	}

	// Outcomes, for the reports and the shadow comparison.
	for i := range heavyPeople {
		if i%4 == 0 {
			r := leadscore.OutcomeLost
			if i%8 == 0 {
				r = leadscore.OutcomeWon
			}
			if _, err := svc.RecordOutcome(ctx, leadscore.Outcome{LeadID: fmt.Sprintf("p%04d", i), Result: r, At: now}); err != nil {
				t.Fatal(err)
			}
		}
	}

	err = ws.Write(ctx, func(tx leadscore.Tx) error {
		// Users and keys as a company of some size has them.
		for i := range heavyUsers {
			u := &leadscore.User{ID: fmt.Sprintf("usr_%03d", i), Email: fmt.Sprintf("colleague%03d@acme.example", i), Name: fmt.Sprintf("Colleague %03d", i),
				Role: everyone[i%len(everyone)], Team: fmt.Sprintf("team-%d", i%5), PasswordHash: []byte("x"), CreatedAt: now}
			if err := tx.PutUser(ctx, u); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for i := range heavyKeys {
		if _, err := svc.CreateAPIKey(ctx, fmt.Sprintf("integration key %d", i), []leadscore.Scope{"read", "write"}); err != nil {
			t.Fatal(err)
		}
	}

	// Webhooks, many deliveries, and one delivery retried very often with
	// a receiver answering at length each time.
	failing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = io.WriteString(w, strings.Repeat("upstream unavailable; ", 60))
	}))
	t.Cleanup(failing.Close)
	var hookIDs []string
	for i := range 5 {
		h, err := svc.CreateWebhook(ctx, leadscore.Webhook{URL: fmt.Sprintf("%s/hooks/%d", failing.URL, i), Description: fmt.Sprintf("CRM sync %d", i),
			Types: []string{"lead.qualified", "lead.assigned"}})
		if err != nil {
			t.Fatal(err)
		}
		hookIDs = append(hookIDs, h.ID)
	}
	err = ws.Write(ctx, func(tx leadscore.Tx) error {
		at := tx.(leadscore.AutomationTx)
		var ds []*leadscore.Delivery
		for i := range heavyDeliveries {
			state := leadscore.DeliveryDelivered
			if i%3 == 0 {
				state = leadscore.DeliveryFailed
			}
			ds = append(ds, &leadscore.Delivery{ID: fmt.Sprintf("dlv_%05d", i), WebhookID: hookIDs[i%len(hookIDs)], EventID: fmt.Sprintf("evt_%05d", i),
				Type: "lead.qualified", LeadID: fmt.Sprintf("p%04d", i%heavyPeople), State: state, CreatedAt: now.Add(-time.Duration(i) * time.Minute),
				Body: json.RawMessage(`{"specversion":"1.0","type":"lead.qualified","data":{"lead_id":"busy","score":88}}`)})
		}
		if err := at.EnqueueDeliveries(ctx, ds); err != nil {
			return err
		}
		for n := 1; n <= heavyAttempts; n++ {
			if err := at.AddDeliveryAttempt(ctx, &leadscore.DeliveryAttempt{DeliveryID: "dlv_00000", N: n, At: now.Add(-time.Duration(heavyAttempts-n) * time.Hour),
				Outcome: "retry", Status: 503, Response: strings.Repeat("upstream unavailable; ", 46), DurationMS: 120}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	ids["delivery"] = "dlv_00000"

	// A long routing file: many owners, teams and rules.
	ingestRouting(t, svc)

	// A version in shadow, compared with the active one.
	if _, sj, _, err := svc.StartShadow(ctx, "b2b-saas", versions[1], "editor@example.com"); err != nil {
		t.Fatal(err)
	} else {
		f.waitJob(sj.ID)
	}
	svc.Settle()

	// Predictive models: many trained versions.
	p := &withPredictive{Service: svc}
	report := storedReport(t)
	for i := range heavyArtifacts {
		p.stored = append(p.stored, leadscore.PredictiveArtifact{Name: "learned", Version: fmt.Sprintf("v%03d", i), Report: report, Activatable: true,
			Current: i == 0, CreatedAt: now.Add(-time.Duration(i) * 24 * time.Hour), CreatedBy: "editor@example.com"})
	}
	ids["artifact"] = "v000"

	ui, err := New(Config{Service: p, Clock: c.Now, IdleTimeout: 30 * time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	f.srv = httptest.NewServer(ui)
	t.Cleanup(f.srv.Close)
	return f, ids
}

func ingest(t *testing.T, svc *service.Service, msgs []leadscore.Message) {
	t.Helper()
	for len(msgs) > 0 {
		n := min(len(msgs), 1000)
		res, err := svc.Ingest(context.Background(), msgs[:n])
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range res {
			if r.Status == leadscore.IngestRejected {
				t.Fatalf("message %s rejected: %s", r.MessageID, r.Error)
			}
		}
		msgs = msgs[n:]
	}
	svc.Settle()
}

// ingestRouting uploads a routing file with heavyOwners owners in teams of
// ten, a territory per team and a rule per team.
func ingestRouting(t *testing.T, svc *service.Service) {
	t.Helper()
	var b strings.Builder
	b.WriteString("name: global-sales\ndescription: Routing for a sales organisation of some size.\n\nowners:\n")
	for i := range heavyOwners {
		fmt.Fprintf(&b, "  owner%03d: {email: owner%03d@acme.example, capacity: %d}\n", i, i, 10+i%30)
	}
	b.WriteString("\nteams:\n")
	teams := heavyOwners / 10
	for tm := range teams {
		fmt.Fprintf(&b, "  team%02d: [", tm)
		for j := range 10 {
			if j > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "owner%03d", tm*10+j)
		}
		b.WriteString("]\n")
	}
	b.WriteString("\nsla: {within: 4h}\n\nrules:\n")
	for tm := range teams {
		fmt.Fprintf(&b, "  - name: segment-%02d\n    description: Accounts of segment %d go to team %d.\n    when: 'lead.title matches \"(?i)segment%02d\"'\n    assign: {team: team%02d}\n",
			tm, tm, tm, tm, tm)
	}
	b.WriteString("\nfallback: {owner: owner000}\n")
	if _, err := svc.UploadRouting(context.Background(), "routing.yaml", []byte(b.String()), "editor@example.com"); err != nil {
		t.Fatalf("routing: %v\n%s", err, b.String())
	}
}
