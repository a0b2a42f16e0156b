package webui

import (
	"context"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/leadscore/leadscore"
	"github.com/leadscore/leadscore/service"
	"github.com/leadscore/leadscore/sqlstore"
)

// clock is the tests' time: it moves only when a test moves it.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

const password = "correct horse battery"

// fixture is a running UI over a real service on SQLite with the example
// model, a few leads and a user per role.
type fixture struct {
	t     *testing.T
	svc   *service.Service
	clock *clock
	srv   *httptest.Server
	users map[leadscore.Role]*leadscore.User
}

// startService starts a service on a fresh SQLite store, on a fake clock
// at 2026-10-20 09:00 UTC; configure may change its settings.
func startService(t *testing.T, configure func(*service.Config)) (*fixture, leadscore.Store) {
	t.Helper()
	ctx := context.Background()
	st, err := sqlstore.Open(ctx, filepath.Join(t.TempDir(), "ls.db"), sqlstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	c := &clock{t: time.Date(2026, 10, 20, 9, 0, 0, 0, time.UTC)}
	cfg := service.Config{Store: st, Clock: c.Now, DueInterval: time.Hour}
	if configure != nil {
		configure(&cfg)
	}
	svc, err := service.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { svc.Close() })
	return &fixture{t: t, svc: svc, clock: c, users: map[leadscore.Role]*leadscore.User{}}, st
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	ctx := context.Background()
	f, _ := startService(t, nil)
	svc, c := f.svc, f.clock

	f.activateExample("b2b-saas.yaml", "b2b-saas")

	emp := int64(2500)
	if err := svc.UpsertAccounts(ctx, []leadscore.Account{{ID: "acme", Domain: "acme.com", Name: "Acme Corp", Employees: &emp, Industry: "Software"}}); err != nil {
		t.Fatal(err)
	}
	leads := []leadscore.Lead{
		{ID: "L1", Email: "grace@acme.com", FirstName: "Grace", LastName: "Hopper", Title: "VP Engineering", AccountID: "acme", Fields: map[string]any{"owner": "rep@example.com"}},
		{ID: "L2", Email: "alan@acme.com", FirstName: "Alan", LastName: "Turing", Title: "Engineer", AccountID: "acme", Fields: map[string]any{"owner": "other@example.com"}},
		{ID: "L3", Email: "ada@engines.io", FirstName: "Ada", LastName: "Lovelace", Title: "Head of Marketing"},
	}
	if err := svc.UpsertLeads(ctx, leads); err != nil {
		t.Fatal(err)
	}
	at := c.Now().Add(-48 * time.Hour)
	msgs := []leadscore.Message{
		{Kind: leadscore.MsgTrack, MessageID: "m1", Source: "test", UserID: "L1", Event: "demo.requested", Timestamp: at, ReceivedAt: at},
		{Kind: leadscore.MsgPage, MessageID: "m2", Source: "test", UserID: "L1", Name: "Pricing", Properties: map[string]any{"path": "/pricing"}, Timestamp: at.Add(time.Hour), ReceivedAt: at.Add(time.Hour)},
		{Kind: leadscore.MsgTrack, MessageID: "m3", Source: "test", UserID: "L2", Event: "webinar.attended", Timestamp: at, ReceivedAt: at},
	}
	if _, err := svc.Ingest(ctx, msgs); err != nil {
		t.Fatal(err)
	}
	svc.Settle()
	ui, err := New(Config{Service: svc, Clock: c.Now, IdleTimeout: 30 * time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	f.srv = httptest.NewServer(ui)
	t.Cleanup(f.srv.Close)
	return f
}

// activateExample uploads a model file of the examples folder, activates
// model's version from it and waits until every lead is scored.
func (f *fixture) activateExample(file, model string) {
	f.t.Helper()
	ctx := context.Background()
	src, err := os.ReadFile(filepath.Join("..", "examples", file))
	if err != nil {
		f.t.Fatal(err)
	}
	res, err := f.svc.UploadModel(ctx, file, src, "test")
	if err != nil {
		f.t.Fatal(err)
	}
	for _, v := range res.Versions {
		if v.Name == model {
			job, err := f.svc.ActivateModel(ctx, model, v.Version)
			if err != nil {
				f.t.Fatal(err)
			}
			f.waitJob(job.ID)
			return
		}
	}
	f.t.Fatalf("%s has no model %q", file, model)
}

func (f *fixture) waitJob(id string) {
	f.t.Helper()
	for i := 0; i < 2000; i++ {
		j, err := f.svc.Job(context.Background(), id)
		if err != nil {
			f.t.Fatal(err)
		}
		if j.State == leadscore.JobSucceeded {
			return
		}
		if j.State == leadscore.JobFailed {
			f.t.Fatalf("job failed: %s", j.Error)
		}
		time.Sleep(5 * time.Millisecond)
	}
	f.t.Fatal("job did not finish")
}

// browser is a client with a cookie jar that does not follow redirects,
// so tests see them.
type browser struct {
	t    *testing.T
	f    *fixture
	c    *http.Client
	csrf string
}

func (f *fixture) browser() *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: f.t, f: f, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
}

type page struct {
	status int
	body   string
	header http.Header
}

var csrfRe = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func (b *browser) do(req *http.Request) page {
	b.t.Helper()
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	// Pages are read as a person reads them: html/template writes + as
	// &#43; and quotes as &#34;.
	p := page{status: resp.StatusCode, body: html.UnescapeString(string(body)), header: resp.Header}
	if m := csrfRe.FindStringSubmatch(p.body); m != nil {
		b.csrf = m[1]
	}
	return p
}

func (b *browser) get(path string, hdr ...string) page {
	req, _ := http.NewRequest("GET", b.f.srv.URL+path, nil)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	return b.do(req)
}

// post sends a form as a same-origin browser would; the session's CSRF
// token is added unless the form has one.
func (b *browser) post(path string, form url.Values, hdr ...string) page {
	if _, ok := form["csrf"]; !ok && b.csrf != "" {
		form.Set("csrf", b.csrf)
	}
	req, _ := http.NewRequest("POST", b.f.srv.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	return b.do(req)
}

// user returns the fixture's user of a role, made on first use: each
// costs a bcrypt hash.
func (f *fixture) user(r leadscore.Role) *leadscore.User {
	f.t.Helper()
	if u := f.users[r]; u != nil {
		return u
	}
	email := string(r) + "@example.com"
	if r == leadscore.RoleSales {
		email = "rep@example.com"
	}
	u, err := f.svc.CreateUser(context.Background(), leadscore.NewUser{Email: email, Role: r, Password: password})
	if err != nil {
		f.t.Fatal(err)
	}
	f.users[r] = u
	return u
}

func (f *fixture) signIn(r leadscore.Role) *browser {
	f.t.Helper()
	f.user(r)
	b := f.browser()
	p := b.post("/signin", url.Values{"email": {f.users[r].Email}, "password": {password}, "next": {"/leads"}})
	if p.status != http.StatusSeeOther {
		f.t.Fatalf("sign in as %s: %d\n%s", r, p.status, p.body)
	}
	b.get("/leads") // picks up the CSRF token
	return b
}

func wantStatus(t *testing.T, what string, p page, status int) {
	t.Helper()
	if p.status != status {
		t.Fatalf("%s: status %d, want %d\n%.2000s", what, p.status, status, p.body)
	}
}

func wantBody(t *testing.T, what string, p page, subs ...string) {
	t.Helper()
	for _, s := range subs {
		if !strings.Contains(p.body, s) {
			t.Errorf("%s: no %q in the page\n%.3000s", what, s, p.body)
		}
	}
}

func TestSignIn(t *testing.T) {
	f := newFixture(t)
	f.user(leadscore.RoleAdmin)
	b := f.browser()
	p := b.get("/leads?band=hot")
	wantStatus(t, "signed out", p, http.StatusSeeOther)
	if loc := p.header.Get("Location"); loc != "/signin?next=/leads?band=hot" {
		t.Errorf("redirect to %q", loc)
	}
	wantBody(t, "sign-in page", b.get("/signin"), `name="password"`, `type="password"`)

	p = b.post("/signin", url.Values{"email": {"admin@example.com"}, "password": {"wrong password!"}})
	wantStatus(t, "wrong password", p, http.StatusUnauthorized)
	wantBody(t, "wrong password", p, "Wrong email or password.")
	p = b.post("/signin", url.Values{"email": {"nobody@example.com"}, "password": {password}})
	wantStatus(t, "unknown email", p, http.StatusUnauthorized)

	p = b.post("/signin", url.Values{"email": {" Admin@Example.com "}, "password": {password}, "next": {"//evil.example/"}})
	wantStatus(t, "right password", p, http.StatusSeeOther)
	if loc := p.header.Get("Location"); loc != "/leads" {
		t.Errorf("an off-site next must not be followed: redirected to %q", loc)
	}
	cookie := p.header.Get("Set-Cookie")
	for _, want := range []string{sessionCookie + "=", "HttpOnly", "SameSite=Lax", "Path=/"} {
		if !strings.Contains(cookie, want) {
			t.Errorf("cookie %q lacks %s", cookie, want)
		}
	}
	if strings.Contains(cookie, "Secure") {
		t.Errorf("a plain-HTTP cookie is not Secure: %q", cookie)
	}
	wantStatus(t, "signed in", b.get("/leads"), http.StatusOK)

	// Behind a TLS-terminating proxy the cookie is Secure.
	p = f.browser().post("/signin", url.Values{"email": {"admin@example.com"}, "password": {password}}, "X-Forwarded-Proto", "https")
	if c := p.header.Get("Set-Cookie"); !strings.Contains(c, "Secure") {
		t.Errorf("behind TLS the cookie must be Secure: %q", c)
	}

	// Signing out ends the session on the server, not just in the browser.
	stolen := *b
	wantStatus(t, "sign out", b.post("/signout", url.Values{}), http.StatusSeeOther)
	wantStatus(t, "after sign-out", stolen.get("/leads"), http.StatusSeeOther)
}

func TestIdleExpiry(t *testing.T) {
	f := newFixture(t)
	b := f.signIn(leadscore.RoleViewer)
	f.clock.Add(20 * time.Minute)
	wantStatus(t, "used within the idle time", b.get("/leads"), http.StatusOK)
	f.clock.Add(20 * time.Minute)
	wantStatus(t, "used again: the idle time restarted", b.get("/leads"), http.StatusOK)
	f.clock.Add(31 * time.Minute)
	wantStatus(t, "idle too long", b.get("/leads"), http.StatusSeeOther)
}

func TestSignInRateLimit(t *testing.T) {
	f := newFixture(t)
	f.user(leadscore.RoleAdmin)
	b := f.browser()
	for i := 0; i < 5; i++ {
		wantStatus(t, "a wrong attempt", b.post("/signin", url.Values{"email": {"admin@example.com"}, "password": {"nope nope nope"}}), http.StatusUnauthorized)
	}
	p := b.post("/signin", url.Values{"email": {"admin@example.com"}, "password": {password}})
	wantStatus(t, "after the burst, even the right password waits", p, http.StatusTooManyRequests)
	f.clock.Add(13 * time.Second)
	wantStatus(t, "one attempt later", b.post("/signin", url.Values{"email": {"admin@example.com"}, "password": {password}}), http.StatusSeeOther)
}

func TestCSRF(t *testing.T) {
	f := newFixture(t)
	b := f.signIn(leadscore.RoleAdmin)
	form := func() url.Values { return url.Values{"name": {"crm"}, "scope": {"read"}} }

	p := b.post("/settings/keys", url.Values{"name": {"crm"}, "scope": {"read"}, "csrf": {""}})
	wantStatus(t, "no token", p, http.StatusForbidden)
	p = b.post("/settings/keys", url.Values{"name": {"crm"}, "scope": {"read"}, "csrf": {"forged"}})
	wantStatus(t, "wrong token", p, http.StatusForbidden)
	// A cross-site request is refused even with the right token.
	p = b.post("/settings/keys", form(), "Sec-Fetch-Site", "cross-site")
	wantStatus(t, "cross-site", p, http.StatusForbidden)
	p = b.post("/settings/keys", form(), "Sec-Fetch-Site", "", "Origin", "https://evil.example")
	wantStatus(t, "foreign origin", p, http.StatusForbidden)
	// Login CSRF: a sign-in form posted from another site.
	p = f.browser().post("/signin", url.Values{"email": {"admin@example.com"}, "password": {password}}, "Sec-Fetch-Site", "cross-site")
	wantStatus(t, "cross-site sign-in", p, http.StatusForbidden)

	keys, _ := f.svc.APIKeys(context.Background())
	if len(keys) != 0 {
		t.Fatalf("a refused form created keys: %+v", keys)
	}
	p = b.post("/settings/keys", form())
	wantStatus(t, "with the token", p, http.StatusOK)
	wantBody(t, "new key", p, "shown only this once", "lsk_")
}

func TestRoles(t *testing.T) {
	f := newFixture(t)
	cases := []struct {
		role   leadscore.Role
		path   string
		status int
	}{
		{leadscore.RoleAdmin, "/settings", 200},
		{leadscore.RoleAdmin, "/models/new", 200},
		{leadscore.RoleEditor, "/settings", 403},
		{leadscore.RoleEditor, "/models/new", 200},
		{leadscore.RoleEditor, "/models/b2b-saas/edit", 200},
		{leadscore.RoleViewer, "/models", 200},
		{leadscore.RoleViewer, "/models/b2b-saas", 200},
		{leadscore.RoleViewer, "/models/new", 403},
		{leadscore.RoleViewer, "/settings", 403},
		{leadscore.RoleViewer, "/leads/L2", 200},
		{leadscore.RoleSales, "/leads", 200},
		{leadscore.RoleSales, "/leads/L1", 200},
		{leadscore.RoleSales, "/leads/L2", 403},
		{leadscore.RoleSales, "/leads/L3", 403},
		{leadscore.RoleSales, "/leads/L1/history", 200},
		{leadscore.RoleSales, "/leads/L2/history?model=b2b-saas", 403},
		{leadscore.RoleSales, "/models", 403},
		{leadscore.RoleSales, "/models/b2b-saas/edit", 403},
		{leadscore.RoleSales, "/settings", 403},
		{leadscore.RoleAdmin, "/leads/nobody", 404},
		{leadscore.RoleAdmin, "/leads/nobody/history", 404},
		{leadscore.RoleAdmin, "/no/such/page", 404},
	}
	browsers := map[leadscore.Role]*browser{}
	for _, tc := range cases {
		b := browsers[tc.role]
		if b == nil {
			b = f.signIn(tc.role)
			browsers[tc.role] = b
		}
		p := b.get(tc.path)
		if p.status != tc.status {
			t.Errorf("%s GET %s: %d, want %d", tc.role, tc.path, p.status, tc.status)
		}
	}
	// A viewer cannot post what an editor can.
	p := browsers[leadscore.RoleViewer].post("/models", url.Values{"source": {"name: x"}})
	wantStatus(t, "viewer saves a model", p, http.StatusForbidden)
	// A sales rep lists only their own leads, whatever the URL asks: an
	// owner outside their team lists nothing.
	p = browsers[leadscore.RoleSales].get("/leads")
	wantBody(t, "sales list", p, "Grace", "You see the leads you own.")
	if strings.Contains(p.body, "Alan") || strings.Contains(p.body, "Ada") {
		t.Errorf("a sales rep sees others' leads:\n%s", p.body)
	}
	p = browsers[leadscore.RoleSales].get("/leads?owner=other@example.com")
	wantStatus(t, "sales list of another owner", p, 200)
	if strings.Contains(p.body, "Grace") || strings.Contains(p.body, "Alan") || strings.Contains(p.body, "Ada") {
		t.Errorf("a sales rep's owner filter reaches beyond their leads:\n%s", p.body)
	}
	csv := browsers[leadscore.RoleSales].get("/leads.csv")
	if n := strings.Count(strings.TrimSpace(csv.body), "\n"); n != 1 || !strings.Contains(csv.body, "grace@acme.com") {
		t.Errorf("sales CSV holds their lead only:\n%s", csv.body)
	}
}

func TestLeadsPage(t *testing.T) {
	f := newFixture(t)
	b := f.signIn(leadscore.RoleViewer)
	p := b.get("/leads")
	wantStatus(t, "leads", p, 200)
	wantBody(t, "leads", p, "Grace", "Alan", "Ada", `class="band band-`, `href="/leads/L1"`, `href="/leads.csv?model=b2b-saas"`)
	// Sorted by score: Grace (senior, demo, pricing) before Alan.
	if strings.Index(p.body, "Grace") > strings.Index(p.body, "Alan") {
		t.Errorf("leads are not sorted by score")
	}
	p = b.get("/leads?q=ada")
	wantBody(t, "search", p, "Ada")
	if strings.Contains(p.body, "Grace") {
		t.Errorf("search for ada lists Grace")
	}
	p = b.get("/leads?account=acme")
	if strings.Contains(p.body, "Ada") || !strings.Contains(p.body, "Alan") {
		t.Errorf("account filter")
	}
	p = b.get("/leads?since=yesterday")
	wantStatus(t, "bad date", p, http.StatusBadRequest)
	wantBody(t, "bad date", p, `"yesterday" is not a date`, `name="since"`)

	csv := b.get("/leads.csv?account=acme")
	if ct := csv.header.Get("Content-Type"); !strings.HasPrefix(ct, "text/csv") {
		t.Errorf("CSV content type %q", ct)
	}
	lines := strings.Split(strings.TrimSpace(csv.body), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "id,email,") {
		t.Errorf("CSV of the filtered view: %q", lines)
	}
}

func TestLeadPage(t *testing.T) {
	f := newFixture(t)
	b := f.signIn(leadscore.RoleAdmin)
	p := b.get("/leads/L1")
	wantStatus(t, "lead", p, 200)
	wantBody(t, "lead", p, "Grace Hopper", "+15 senior title", "<svg", `class="pt cause-`, "Acme Corp", "Alan Turing",
		"rep@example.com", "demo.requested")
	if !regexp.MustCompile(`\+\d+ [^<]+ on 18 Oct`).MatchString(p.body) {
		t.Errorf("no dated event sentence (\"+N … on 18 Oct\") in:\n%s", p.body)
	}
	p = b.get("/accounts/acme")
	wantStatus(t, "account", p, 200)
	wantBody(t, "account", p, "Acme Corp", "Grace", "Alan", "Engaged stakeholders")
}

func TestModelEditor(t *testing.T) {
	f := newFixture(t)
	b := f.signIn(leadscore.RoleEditor)
	p := b.get("/models/b2b-saas/edit")
	wantBody(t, "editor", p, "<textarea", "name: b2b-saas")

	src, _ := os.ReadFile(filepath.Join("..", "examples", "b2b-saas.yaml"))
	lines := strings.Split(string(src), "\n")
	bad := -1
	for i, l := range lines {
		if strings.Contains(l, "points: 15") {
			lines[i] = strings.Replace(l, "points: 15", "points: lots", 1)
			bad = i + 1
			break
		}
	}
	p = b.post("/models", url.Values{"name": {"b2b-saas"}, "source": {strings.Join(lines, "\n")}})
	wantStatus(t, "broken model", p, http.StatusOK)
	wantBody(t, "broken model", p, "Not saved (problems: 1)")
	want := regexp.MustCompile(`id="L` + itoa(bad) + `" class="ln has-diag">.*?<div class="diag error" data-line="` + itoa(bad) + `">`)
	if !want.MatchString(p.body) {
		t.Errorf("the error is not shown at line %d:\n%s", bad, p.body)
	}
	vs, _ := f.svc.ModelVersions(context.Background(), "b2b-saas")
	if len(vs) != 1 {
		t.Errorf("a broken model was stored: %d versions", len(vs))
	}

	// Live validation answers with the same diagnostics and stores nothing.
	p = b.post("/models/validate", url.Values{"source": {strings.Join(lines, "\n")}})
	wantStatus(t, "validate", p, 200)
	wantBody(t, "validate", p, `"line":`+itoa(bad), `"severity":"error"`)

	fixed := strings.Replace(string(src), "points: 15", "points: 20", 1)
	p = b.post("/models", url.Values{"name": {"b2b-saas"}, "source": {fixed}})
	wantStatus(t, "fixed model", p, 200)
	wantBody(t, "saved", p, "Saved.", "Activate")
	m := regexp.MustCompile(`action="(/models/b2b-saas/versions/[^/"]+/activate)"`).FindStringSubmatch(p.body)
	if m == nil {
		t.Fatalf("no activate form:\n%s", p.body)
	}
	p = b.post(m[1], url.Values{})
	wantStatus(t, "activate", p, http.StatusSeeOther)
	loc := p.header.Get("Location")
	if !strings.HasPrefix(loc, "/jobs/") {
		t.Fatalf("activation redirects to %q", loc)
	}
	f.waitJob(strings.TrimPrefix(loc, "/jobs/"))
	wantBody(t, "job", b.get(loc), "<progress", "done")
	p = b.get("/leads/L1")
	wantBody(t, "re-scored lead", p, "+20 senior title")
}

func TestSettingsUsers(t *testing.T) {
	f := newFixture(t)
	b := f.signIn(leadscore.RoleAdmin)
	p := b.post("/settings/users", url.Values{"email": {"new@example.com"}, "role": {"editor"}, "password": {"short"}})
	wantStatus(t, "short password", p, http.StatusBadRequest)
	wantBody(t, "short password", p, "at least 10")
	p = b.post("/settings/users", url.Values{"email": {"new@example.com"}, "role": {"editor"}, "password": {password}})
	wantStatus(t, "add user", p, 200)
	wantBody(t, "add user", p, "new@example.com")
	p = b.post("/settings/users", url.Values{"email": {"new@example.com"}, "role": {"viewer"}, "password": {password}})
	wantStatus(t, "same email", p, http.StatusConflict)

	// Disabling a user ends their session at once.
	viewer := f.signIn(leadscore.RoleViewer)
	f.user(leadscore.RoleAdmin)
	p = b.post("/settings/users/"+f.users[leadscore.RoleViewer].ID, url.Values{"disabled": {"true"}})
	wantStatus(t, "disable", p, http.StatusSeeOther)
	wantStatus(t, "disabled user's session", viewer.get("/leads"), http.StatusSeeOther)
	p = b.post("/settings/users/"+f.users[leadscore.RoleAdmin].ID, url.Values{"role": {"viewer"}})
	wantStatus(t, "demote oneself", p, http.StatusBadRequest)
}

func TestLanguage(t *testing.T) {
	f := newFixture(t)
	b := f.browser()
	wantBody(t, "Polish browser", b.get("/signin", "Accept-Language", "pl-PL,pl;q=0.9,en;q=0.5"), `lang="pl"`, "Zaloguj się")
	wantBody(t, "French browser", b.get("/signin", "Accept-Language", "fr-CA"), `lang="fr"`, "Se connecter")
	wantBody(t, "Indonesian browser", b.get("/signin", "Accept-Language", "id"), `lang="id"`, "Masuk")
	wantBody(t, "other browser", b.get("/signin", "Accept-Language", "ja"), `lang="en"`, "Sign in")

	b = f.signIn(leadscore.RoleAdmin)
	p := b.post("/language", url.Values{"lang": {"pl"}, "next": {"/leads/L1"}})
	wantStatus(t, "set language", p, http.StatusSeeOther)
	p = b.get("/leads/L1", "Accept-Language", "en")
	wantBody(t, "the user's choice beats the browser", p, `lang="pl"`, "Historia wyniku", "+15 senior title", "+25 demo requested, 18 paź")
	p = b.get("/leads")
	wantBody(t, "Polish numbers", p, "Leady")
}

func itoa(n int) string { return strconvItoa(n) }

func TestSalesActions(t *testing.T) {
	f := newFixture(t)
	rep := f.signIn(leadscore.RoleSales)
	p := rep.get("/leads/L1")
	wantBody(t, "an MQL", p, "Stage", "marketing-qualified lead (MQL)", `value="accept"`)

	viewer := f.signIn(leadscore.RoleViewer)
	if strings.Contains(viewer.get("/leads/L1").body, `value="accept"`) {
		t.Errorf("a viewer is offered sales actions")
	}
	wantStatus(t, "a viewer accepts", viewer.post("/leads/L1/action", url.Values{"action": {"accept"}}), http.StatusForbidden)
	wantStatus(t, "a rep acts on another's lead", rep.post("/leads/L2/action", url.Values{"action": {"accept"}}), http.StatusForbidden)

	p = rep.post("/leads/L1/action", url.Values{"action": {"reject"}, "reason": {" "}})
	wantStatus(t, "reject without a reason", p, http.StatusSeeOther)
	wantBody(t, "reject without a reason", rep.get(p.header.Get("Location")), "say why the lead is rejected")

	p = rep.post("/leads/L1/action", url.Values{"action": {"accept"}})
	wantStatus(t, "accept", p, http.StatusSeeOther)
	p = rep.get("/leads/L1")
	wantBody(t, "accepted", p, "Accepted by sales", "Qualified", "by b2b-saas on 20 Oct 2026")
	p = rep.post("/leads/L1/action", url.Values{"action": {"set_stage"}, "stage": {"opportunity"}})
	wantStatus(t, "set stage", p, http.StatusSeeOther)
	view, err := f.svc.LeadAutomation(context.Background(), "L1")
	if err != nil || view.Stage != "opportunity" {
		t.Errorf("after setting the stage: %+v (%v)", view, err)
	}
	wantBody(t, "stage set", rep.get("/leads/L1"), "<dd>opportunity</dd>")

	p = rep.post("/leads/L1/action", url.Values{"action": {"outcome"}, "result": {"won"}, "value": {"12,5"}})
	wantStatus(t, "record an outcome", p, http.StatusSeeOther)
	wantBody(t, "outcome", rep.get("/leads/L1"), "Outcome", "won · 12.5")
}

func TestRoutingPage(t *testing.T) {
	f := newFixture(t)
	ed := f.signIn(leadscore.RoleEditor)
	wantBody(t, "no routing yet", ed.get("/routing"), "No routing file yet")
	src, err := os.ReadFile(filepath.Join("..", "examples", "routing.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(src), "\n")
	bad := -1
	for i, l := range lines {
		if strings.Contains(l, "capacity: 25") {
			lines[i] = strings.Replace(l, "capacity: 25", "capacity: many", 1)
			bad = i + 1
			break
		}
	}
	p := ed.post("/routing", url.Values{"source": {strings.Join(lines, "\n")}})
	wantStatus(t, "broken routing", p, 200)
	if !regexp.MustCompile(`id="L` + itoa(bad) + `" class="ln has-diag">`).MatchString(p.body) {
		t.Errorf("the routing error is not shown at line %d:\n%.3000s", bad, p.body)
	}
	wantBody(t, "broken routing", ed.get("/routing"), "No routing file yet")
	p = ed.post("/routing", url.Values{"source": {string(src)}})
	wantStatus(t, "routing", p, 200)
	wantBody(t, "routing", p, "Saved and active", "anna@acme.example", "Open MQLs")
	viewer := f.signIn(leadscore.RoleViewer)
	wantBody(t, "viewer reads routing", viewer.get("/routing"), "anna@acme.example")
	if strings.Contains(viewer.get("/routing").body, "<textarea") {
		t.Errorf("a viewer is offered the routing editor")
	}
	wantStatus(t, "viewer uploads routing", viewer.post("/routing", url.Values{"source": {string(src)}}), http.StatusForbidden)
	wantStatus(t, "sales reads routing", f.signIn(leadscore.RoleSales).get("/routing"), http.StatusForbidden)
}

func TestWebhooksPages(t *testing.T) {
	f := newFixture(t)
	received := make(chan string, 10)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		received <- string(body)
		w.WriteHeader(http.StatusNoContent)
	}))
	defer hook.Close()
	ed := f.signIn(leadscore.RoleEditor)
	wantBody(t, "no webhooks", ed.get("/webhooks"), "No subscriptions.")
	p := ed.post("/webhooks", url.Values{"url": {"not a url"}})
	if p.status < 400 || p.status >= 500 {
		t.Errorf("a bad URL: %d", p.status)
	}
	p = ed.post("/webhooks", url.Values{"url": {hook.URL + "/in"}, "description": {"CRM"}})
	wantStatus(t, "subscribe", p, 200)
	wantBody(t, "subscribe", p, "shown only this once", hook.URL+"/in", "CRM")
	hooks, err := f.svc.Webhooks(context.Background())
	if err != nil || len(hooks) != 1 {
		t.Fatalf("webhooks: %+v %v", hooks, err)
	}
	p = ed.post("/webhooks/"+hooks[0].ID+"/test", url.Values{})
	wantStatus(t, "test", p, 200)
	wantBody(t, "test", p, "Test event sent")
	select {
	case <-received:
	case <-time.After(10 * time.Second):
		t.Fatal("the test event did not arrive")
	}
	// A lead that qualifies makes a delivery, shown with its attempts and
	// a replay button.
	at := f.clock.Now().Add(-time.Hour)
	if _, err := f.svc.Ingest(context.Background(), []leadscore.Message{
		{Kind: leadscore.MsgTrack, MessageID: "w1", Source: "test", UserID: "L3", Event: "demo.requested", Timestamp: at, ReceivedAt: at},
		{Kind: leadscore.MsgTrack, MessageID: "w2", Source: "test", UserID: "L3", Event: "trial.started", Timestamp: at, ReceivedAt: at},
	}); err != nil {
		t.Fatal(err)
	}
	f.svc.Settle()
	link := regexp.MustCompile(`href="(/webhooks/deliveries/[^"]+)"`)
	var m []string
	for i := 0; i < 500 && m == nil; i++ {
		m = link.FindStringSubmatch(ed.get("/webhooks").body)
		if m == nil {
			time.Sleep(10 * time.Millisecond)
		}
	}
	if m == nil {
		t.Fatalf("no delivery listed after a lead qualified")
	}
	p = ed.get(m[1])
	wantStatus(t, "delivery", p, 200)
	wantBody(t, "delivery", p, "Send again", "Payload", "L3")
	wantStatus(t, "replay", ed.post(m[1]+"/replay", url.Values{}), http.StatusSeeOther)
	wantStatus(t, "viewer", f.signIn(leadscore.RoleViewer).get("/webhooks"), http.StatusForbidden)
	wantStatus(t, "delete", ed.post("/webhooks/"+hooks[0].ID+"/delete", url.Values{}), http.StatusSeeOther)
	wantBody(t, "deleted", ed.get("/webhooks"), "No subscriptions.")
}

func TestModelFixtureTests(t *testing.T) {
	f := newFixture(t)
	ed := f.signIn(leadscore.RoleEditor)
	src, _ := os.ReadFile(filepath.Join("..", "examples", "b2b-saas.yaml"))
	tests, _ := os.ReadFile(filepath.Join("..", "examples", "b2b-saas.tests.yaml"))
	p := ed.post("/models", url.Values{"name": {"b2b-saas"}, "source": {string(src)}, "tests": {string(tests)}, "op": {"test"}})
	wantStatus(t, "run tests", p, 200)
	if !regexp.MustCompile(`Tests: [1-9]\d* passed, 0 failed`).MatchString(p.body) {
		t.Errorf("the example's tests do not all pass:\n%.3000s", p.body)
	}
	// A changed model fails its fixture, with the failure in words.
	changed := strings.Replace(string(src), "points: 15", "points: 20", 1)
	p = ed.post("/models", url.Values{"name": {"b2b-saas"}, "source": {changed}, "tests": {string(tests)}, "op": {"test"}})
	if !regexp.MustCompile(`Tests: \d+ passed, [1-9]\d* failed`).MatchString(p.body) || !strings.Contains(p.body, "want") {
		t.Errorf("a changed model passes its tests:\n%.3000s", p.body)
	}
	p = ed.post("/models", url.Values{"source": {string(src)}, "tests": {"cases: [{name: x, expect: {scroe: 1}}]"}, "op": {"test"}})
	wantBody(t, "a broken tests file", p, "The tests could not run", "scroe")
	if vs, _ := f.svc.ModelVersions(context.Background(), "b2b-saas"); len(vs) != 1 {
		t.Errorf("running tests stored versions: %d", len(vs))
	}
}
