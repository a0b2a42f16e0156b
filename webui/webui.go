// Package webui is leadscore's web UI: server-rendered pages (html/template)
// over the leadscore.Service API, with static files and message catalogs
// embedded in the binary, so it works offline and needs no Node at run
// time. Pages read without JavaScript; the little script there is only
// improves (live model validation, sorting a table without a reload).
//
// People sign in with a user account (see leadscore.User); sessions live in
// the store. Every form is protected twice against cross-site requests:
// net/http's CrossOriginProtection, and a per-session token.
package webui

import (
	"embed"
	"errors"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/leadscore/leadscore"
)

//go:embed templates/*.html
var templateFiles embed.FS

//go:embed static
var staticFiles embed.FS

// Config wires the UI.
type Config struct {
	Service leadscore.Service
	Logger  *slog.Logger
	Clock   func() time.Time
	// IdleTimeout ends a session nobody used for this long (default 30
	// minutes).
	IdleTimeout time.Duration
	// SignInBurst sign-in attempts are allowed per client address, then
	// one every SignInEvery (defaults 5 and 12s).
	SignInBurst int
	SignInEvery time.Duration
}

const (
	sessionCookie = "leadscore_session"
	csrfField     = "csrf"
)

// UI is the web UI's http.Handler.
type UI struct {
	svc     leadscore.Service
	log     *slog.Logger
	now     func() time.Time
	idle    time.Duration
	pages   map[string]*template.Template
	cat     *catalogs
	limiter *signInLimiter
	mux     *http.ServeMux
	handler http.Handler
}

// New builds the UI. It fails only if an embedded template or catalog is
// broken, which the tests catch.
func New(cfg Config) (*UI, error) {
	if cfg.Service == nil {
		return nil, errors.New("webui: a service is required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Clock == nil {
		cfg.Clock = time.Now
	}
	if cfg.IdleTimeout <= 0 {
		cfg.IdleTimeout = 30 * time.Minute
	}
	if cfg.SignInBurst <= 0 {
		cfg.SignInBurst = 5
	}
	if cfg.SignInEvery <= 0 {
		cfg.SignInEvery = 12 * time.Second
	}
	cat, err := loadCatalogs()
	if err != nil {
		return nil, err
	}
	pages, err := parsePages()
	if err != nil {
		return nil, err
	}
	u := &UI{svc: cfg.Service, log: cfg.Logger, now: cfg.Clock, idle: cfg.IdleTimeout, pages: pages, cat: cat,
		limiter: newSignInLimiter(cfg.SignInBurst, cfg.SignInEvery), mux: http.NewServeMux()}
	u.routes()
	// CrossOriginProtection refuses a non-safe request that a browser marks
	// as coming from another origin (Sec-Fetch-Site, or Origin vs Host).
	u.handler = http.NewCrossOriginProtection().Handler(u.mux)
	return u, nil
}

func (u *UI) ServeHTTP(w http.ResponseWriter, r *http.Request) { u.handler.ServeHTTP(w, r) }

// permission is one thing a role may do.
type permission int

const (
	permRead         permission = iota // sign in and read leads (sales: their team's)
	permAllLeads                       // every lead, not only one's own
	permModels                         // read models
	permEditModels                     // upload and activate models
	permAdmin                          // users, API keys, settings
	permSalesActions                   // accept, reject, recycle, set stages, record outcomes
)

func (p permission) allowed(r leadscore.Role) bool {
	switch p {
	case permRead:
		return leadscore.ValidRole(r)
	case permAllLeads, permModels:
		return r == leadscore.RoleAdmin || r == leadscore.RoleEditor || r == leadscore.RoleViewer
	case permEditModels:
		return r == leadscore.RoleAdmin || r == leadscore.RoleEditor
	case permAdmin:
		return r == leadscore.RoleAdmin
	case permSalesActions:
		return r == leadscore.RoleAdmin || r == leadscore.RoleSales
	}
	return false
}

// request is one signed-in request.
type request struct {
	*http.Request
	ui   *UI
	who  *leadscore.SignedIn
	L    *localizer
	csrf string
}

type handlerFunc func(w http.ResponseWriter, rq *request) error

func (u *UI) routes() {
	u.mux.HandleFunc("GET /static/", u.serveStatic)
	u.mux.HandleFunc("GET /favicon.ico", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/static/favicon.svg", http.StatusMovedPermanently)
	})
	u.mux.HandleFunc("GET /signin", u.signInPage)
	u.mux.HandleFunc("POST /signin", u.signIn)
	u.mux.Handle("POST /signout", u.page(permRead, u.signOut))
	u.mux.Handle("POST /language", u.page(permRead, u.setLanguage))
	u.mux.Handle("GET /{$}", u.page(permRead, func(w http.ResponseWriter, rq *request) error {
		http.Redirect(w, rq.Request, "/leads", http.StatusSeeOther)
		return nil
	}))
	u.mux.Handle("GET /leads", u.page(permRead, u.leadsPage))
	u.mux.Handle("GET /leads.csv", u.page(permRead, u.leadsCSV))
	u.mux.Handle("GET /leads/{id}", u.page(permRead, u.leadPage))
	u.mux.Handle("GET /leads/{id}/history", u.page(permRead, u.leadHistoryPage))
	u.mux.Handle("POST /leads/{id}/action", u.page(permSalesActions, u.leadAction))
	u.mux.Handle("GET /accounts/{id}", u.page(permRead, u.accountPage))
	u.mux.Handle("GET /models", u.page(permModels, u.modelsPage))
	u.mux.Handle("GET /models/new", u.page(permEditModels, u.editorPage))
	u.mux.Handle("GET /models/{name}", u.page(permModels, u.modelPage))
	u.mux.Handle("GET /models/{name}/edit", u.page(permEditModels, u.editorPage))
	u.mux.Handle("POST /models", u.page(permEditModels, u.saveModel))
	u.mux.Handle("POST /models/validate", u.page(permEditModels, u.validateModel))
	u.mux.Handle("POST /models/{name}/versions/{version}/activate", u.page(permEditModels, u.activateModel))
	u.mux.Handle("GET /jobs/{id}", u.page(permModels, u.jobPage))
	u.mux.Handle("GET /reports", u.page(permModels, u.reportsPage))
	u.mux.Handle("GET /reports/{model}", u.page(permModels, u.reportPage))
	u.mux.Handle("GET /reports/{model}/shadow", u.page(permModels, u.shadowPage))
	u.mux.Handle("POST /reports/{model}/shadow", u.page(permEditModels, u.startShadow))
	u.mux.Handle("POST /reports/{model}/shadow/stop", u.page(permEditModels, u.stopShadow))
	u.mux.Handle("GET /predictive", u.page(permModels, u.predictivePage))
	u.mux.Handle("GET /predictive/{name}/{version}", u.page(permModels, u.predictiveModelPage))
	u.mux.Handle("POST /predictive/train", u.page(permEditModels, u.trainPredictive))
	u.mux.Handle("GET /routing", u.page(permModels, u.routingPage))
	u.mux.Handle("POST /routing", u.page(permEditModels, u.saveRouting))
	u.mux.Handle("GET /webhooks", u.page(permEditModels, u.webhooksPage))
	u.mux.Handle("POST /webhooks", u.page(permEditModels, u.createWebhook))
	u.mux.Handle("POST /webhooks/{id}/test", u.page(permEditModels, u.testWebhook))
	u.mux.Handle("POST /webhooks/{id}/delete", u.page(permEditModels, u.deleteWebhook))
	u.mux.Handle("GET /webhooks/deliveries/{id}", u.page(permEditModels, u.deliveryPage))
	u.mux.Handle("POST /webhooks/deliveries/{id}/replay", u.page(permEditModels, u.replayDelivery))
	u.mux.Handle("GET /settings", u.page(permAdmin, u.settingsPage))
	u.mux.Handle("POST /settings/keys", u.page(permAdmin, u.createKey))
	u.mux.Handle("POST /settings/keys/{id}/revoke", u.page(permAdmin, u.revokeKey))
	u.mux.Handle("POST /settings/users", u.page(permAdmin, u.createUser))
	u.mux.Handle("POST /settings/users/{id}", u.page(permAdmin, u.updateUser))
	u.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		u.renderError(w, r, nil, leadscore.Errorf(leadscore.CodeNotFound, "no such page"))
	})
}

func mustSub(f fs.FS, dir string) fs.FS {
	sub, err := fs.Sub(f, dir)
	if err != nil {
		panic(err) // the embedded tree is fixed at build time
	}
	return sub
}

// serveStatic serves the embedded files; they change only with the binary,
// so browsers may keep them for a day.
func (u *UI) serveStatic(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "public, max-age=86400")
	http.StripPrefix("/static/", http.FileServerFS(mustSub(staticFiles, "static"))).ServeHTTP(w, r)
}

// page wraps a handler: it finds the session, checks the role and, on
// every non-GET request, the form's CSRF token.
func (u *UI) page(need permission, h handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Header().Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'")
		c, _ := r.Cookie(sessionCookie)
		token := ""
		if c != nil {
			token = c.Value
		}
		who, err := u.svc.SessionUser(r.Context(), token, u.idle)
		if err != nil {
			if leadscore.CodeOf(err) == leadscore.CodeUnauthorized {
				if c != nil {
					clearCookie(w, r)
				}
				if r.Method == http.MethodGet {
					http.Redirect(w, r, "/signin?next="+safeNext(r.URL.RequestURI()), http.StatusSeeOther)
					return
				}
			}
			u.renderError(w, r, nil, err)
			return
		}
		rq := &request{Request: r, ui: u, who: who, L: u.cat.localizer(u.cat.pick(who.User.Locale, r)), csrf: who.Session.CSRF}
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			if !validCSRF(r, who.Session.CSRF) {
				u.renderError(w, r, rq, leadscore.Errorf(leadscore.CodeForbidden, "%s", rq.L.T("error.csrf")))
				return
			}
		}
		if !need.allowed(who.User.Role) {
			u.renderError(w, r, rq, leadscore.Errorf(leadscore.CodeForbidden, "%s", rq.L.T("error.forbidden")))
			return
		}
		if err := h(w, rq); err != nil {
			u.renderError(w, r, rq, err)
		}
	})
}

// validCSRF compares the form's token (or the X-CSRF-Token header the
// script sends) with the session's.
func validCSRF(r *http.Request, want string) bool {
	got := r.Header.Get("X-CSRF-Token")
	if got == "" {
		got = r.PostFormValue(csrfField)
	}
	return got != "" && constantEqual(got, want)
}

// safeNext keeps a post-sign-in redirect on this site.
func safeNext(p string) string {
	if !strings.HasPrefix(p, "/") || strings.HasPrefix(p, "//") || strings.HasPrefix(p, "/\\") {
		return "/leads"
	}
	return p
}

func statusOf(err error) int {
	switch leadscore.CodeOf(err) {
	case leadscore.CodeInvalid:
		return http.StatusBadRequest
	case leadscore.CodeNotFound:
		return http.StatusNotFound
	case leadscore.CodeConflict:
		return http.StatusConflict
	case leadscore.CodeUnauthorized:
		return http.StatusUnauthorized
	case leadscore.CodeForbidden:
		return http.StatusForbidden
	}
	return http.StatusInternalServerError
}

// renderError shows an error page; internal errors are logged once here
// and shown without their detail.
func (u *UI) renderError(w http.ResponseWriter, r *http.Request, rq *request, err error) {
	status := statusOf(err)
	if rq == nil {
		rq = &request{Request: r, ui: u, L: u.cat.localizer(u.cat.pick("", r))}
	}
	msg := err.Error()
	if status == http.StatusInternalServerError {
		u.log.Error("web UI request failed", "path", r.URL.Path, "err", err)
		msg = rq.L.T("error.internal")
	}
	u.render(w, rq, status, "error", "error.title", map[string]any{"Status": status, "Message": msg})
}

// view is what every page template receives.
type view struct {
	L         *localizer
	User      *leadscore.User
	CSRF      string
	Title     string
	Nav       string
	Languages []languageChoice
	Data      any
}

// Can reports whether the signed-in user may do what a page offers
// ("models", "editModels", "admin", "allLeads").
func (v *view) Can(what string) bool {
	if v.User == nil {
		return false
	}
	p := map[string]permission{"models": permModels, "editModels": permEditModels, "admin": permAdmin, "allLeads": permAllLeads}[what]
	return p.allowed(v.User.Role) && what != ""
}

func (u *UI) render(w http.ResponseWriter, rq *request, status int, page, titleKey string, data any) {
	t := u.pages[page]
	v := &view{L: rq.L, CSRF: rq.csrf, Title: rq.L.T(titleKey), Nav: page, Languages: languageChoices(), Data: data}
	if rq.who != nil {
		v.User = &rq.who.User
	}
	var buf strings.Builder
	if err := t.ExecuteTemplate(&buf, "layout", v); err != nil {
		u.log.Error("web UI template failed", "page", page, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(buf.String()))
}

func parsePages() (map[string]*template.Template, error) {
	base, err := template.New("layout").Funcs(template.FuncMap{
		"add":       func(a, b int) int { return a + b },
		"bandClass": bandClass,
		"casesOf":   casesOf,
	}).ParseFS(templateFiles, "templates/layout.html")
	if err != nil {
		return nil, err
	}
	entries, err := fs.Glob(templateFiles, "templates/*.html")
	if err != nil {
		return nil, err
	}
	pages := map[string]*template.Template{}
	for _, name := range entries {
		page := strings.TrimSuffix(strings.TrimPrefix(name, "templates/"), ".html")
		if page == "layout" {
			continue
		}
		t, err := template.Must(base.Clone()).ParseFS(templateFiles, name)
		if err != nil {
			return nil, err
		}
		pages[page] = t
	}
	return pages, nil
}

// bandClass is the CSS class of a band's colour; unknown bands are
// neutral.
func bandClass(band string) string {
	switch strings.ToLower(band) {
	case "hot", "a":
		return "band-hot"
	case "warm", "b":
		return "band-warm"
	case "cold", "c", "d":
		return "band-cold"
	case "":
		return "band-none"
	}
	return "band-other"
}
