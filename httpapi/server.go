package httpapi

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/leadscore/leadscore"
)

// server is the http.Handler NewServer returns.
type server struct {
	cfg     Config
	svc     leadscore.Service
	log     *slog.Logger
	clock   func() time.Time
	auth    *authCache
	limits  *limiters
	metrics *metrics
	mux     *http.ServeMux
	routes  []route
	openapi []byte
	promh   http.Handler
}

// authMode says how a route authenticates.
type authMode int

const (
	authNone authMode = iota
	// authBearer: Authorization: Bearer <key>, checked before the handler.
	authBearer
	// authSegment: the handler authenticates, because the write key may
	// arrive in the body.
	authSegment
)

type handlerFunc func(w http.ResponseWriter, r *http.Request, rc *reqCtx) error

type route struct {
	method string
	path   string
	auth   authMode
	scope  leadscore.Scope
	handle handlerFunc
}

func (rt route) pattern() string { return rt.method + " " + rt.path }

// reqCtx is what a handler knows about its request beyond *http.Request.
type reqCtx struct {
	key *leadscore.APIKey
	// received is the server clock when the request arrived.
	received time.Time
	info     *reqInfo
}

// reqInfo collects what the request log line reports.
type reqInfo struct {
	requestID string
	keyID     string
	err       error
}

type infoKey struct{}

// NewServer returns the HTTP handler of the API. It panics when
// cfg.Service is nil, which is a wiring mistake.
func NewServer(cfg Config) http.Handler {
	if cfg.Service == nil {
		panic("httpapi: Config.Service is nil")
	}
	cfg.Limits = cfg.Limits.withDefaults()
	if cfg.Clock == nil {
		cfg.Clock = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Registry == nil {
		cfg.Registry = prometheus.NewRegistry()
	}
	s := &server{
		cfg:     cfg,
		svc:     cfg.Service,
		log:     cfg.Logger,
		clock:   cfg.Clock,
		auth:    &authCache{ttl: cfg.Limits.AuthCacheTTL, m: make(map[[32]byte]authEntry)},
		limits:  newLimiters(cfg.Limits),
		metrics: newMetrics(cfg.Registry),
		mux:     http.NewServeMux(),
		promh:   promhttp.HandlerFor(cfg.Registry, promhttp.HandlerOpts{Registry: cfg.Registry}),
	}
	s.routes = append(append(s.routeTable(), s.automationRoutes()...), s.analyticsRoutes()...)
	s.routes = append(s.routes, s.predictiveRoutes()...)
	for _, rt := range s.routes {
		s.mux.Handle(rt.pattern(), s.wrap(rt))
	}
	s.openapi = buildOpenAPI()
	return s
}

// routeTable is every route the server answers. The OpenAPI document is
// checked against it by the tests.
func (s *server) routeTable() []route {
	const read, write, admin = leadscore.ScopeRead, leadscore.ScopeWrite, leadscore.ScopeAdmin
	return []route{
		{"POST", "/v1/batch", authSegment, write, s.segment("")},
		{"POST", "/v1/identify", authSegment, write, s.segment(leadscore.MsgIdentify)},
		{"POST", "/v1/track", authSegment, write, s.segment(leadscore.MsgTrack)},
		{"POST", "/v1/page", authSegment, write, s.segment(leadscore.MsgPage)},
		{"POST", "/v1/screen", authSegment, write, s.segment(leadscore.MsgScreen)},
		{"POST", "/v1/group", authSegment, write, s.segment(leadscore.MsgGroup)},
		{"POST", "/v1/alias", authSegment, write, s.segment(leadscore.MsgAlias)},

		{"POST", "/api/v1/events", authBearer, write, s.postEvents},
		{"POST", "/api/v1/leads", authBearer, write, s.postLeads},
		{"POST", "/api/v1/accounts", authBearer, write, s.postAccounts},

		{"GET", "/api/v1/leads", authBearer, read, s.listLeads},
		{"GET", "/api/v1/leads/{id}", authBearer, read, s.getLead},
		{"GET", "/api/v1/leads/{id}/events", authBearer, read, s.leadEvents},
		{"GET", "/api/v1/leads/{id}/history", authBearer, read, s.leadHistory},
		{"GET", "/api/v1/leads/{id}/score", authBearer, read, s.leadScore},
		{"GET", "/api/v1/accounts/{id}", authBearer, read, s.getAccount},

		{"GET", "/api/v1/account-lists", authBearer, read, s.accountLists},
		{"GET", "/api/v1/account-lists/{name}", authBearer, read, s.accountList},
		{"PUT", "/api/v1/account-lists/{name}", authBearer, admin, s.putAccountList},
		{"DELETE", "/api/v1/account-lists/{name}", authBearer, admin, s.deleteAccountList},
		{"POST", "/api/v1/account-lists/{name}/members", authBearer, admin, s.addListMembers},
		{"DELETE", "/api/v1/account-lists/{name}/members", authBearer, admin, s.removeListMembers},

		{"POST", "/api/v1/models", authBearer, admin, s.uploadModel},
		{"GET", "/api/v1/models", authBearer, read, s.listModels},
		{"GET", "/api/v1/models/{name}/versions", authBearer, read, s.modelVersions},
		{"POST", "/api/v1/models/{name}/versions/{version}/activate", authBearer, admin, s.activateModel},
		{"GET", "/api/v1/jobs/{id}", authBearer, read, s.getJob},

		{"POST", "/api/v1/keys", authBearer, admin, s.createKey},
		{"GET", "/api/v1/keys", authBearer, admin, s.listKeys},
		{"DELETE", "/api/v1/keys/{id}", authBearer, admin, s.revokeKey},

		{"GET", "/api/v1/openapi.json", authNone, "", s.serveOpenAPI},
		{"GET", "/healthz", authNone, "", s.healthz},
		{"GET", "/readyz", authNone, "", s.readyz},
		{"GET", "/metrics", authNone, "", s.serveMetrics},
	}
}

func (s *server) wrap(rt route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		info, _ := r.Context().Value(infoKey{}).(*reqInfo)
		if info == nil {
			info = &reqInfo{}
		}
		rc := &reqCtx{received: s.clock(), info: info}
		if err := s.run(rt, w, r, rc); err != nil {
			s.fail(w, info, err)
		}
	})
}

func (s *server) run(rt route, w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	if rt.auth != authBearer {
		return rt.handle(w, r, rc)
	}
	secret, ok := bearerSecret(r)
	if !ok {
		return unauthorized("send an API key as Authorization: Bearer <key>", "Bearer")
	}
	key, err := s.authenticate(r.Context(), secret)
	if err != nil {
		if ae := toAPIError(err); ae.status == http.StatusUnauthorized {
			return unauthorized(ae.detail, "Bearer")
		}
		return err
	}
	if err := s.admit(rc, key, rt.scope, http.StatusForbidden); err != nil {
		return err
	}
	rc.key = key
	return rt.handle(w, r, rc)
}

// fail answers with the problem for err. Server-side causes are kept for
// the request's log line, the one place they are logged.
func (s *server) fail(w http.ResponseWriter, info *reqInfo, err error) {
	ae := toAPIError(err)
	if ae.status >= 500 {
		info.err = err
	}
	writeProblem(w, info.requestID, ae)
}

// ServeHTTP adds what every request gets: a request id, recovery from
// panics, problem+json for unknown routes, CORS for the browser-facing
// Segment routes, one log line and the duration metric.
func (s *server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	info := &reqInfo{requestID: requestID(r)}
	sw := &statusWriter{ResponseWriter: w}
	sw.Header().Set("X-Request-Id", info.requestID)
	r = r.WithContext(context.WithValue(r.Context(), infoKey{}, info))
	label := "unmatched"
	defer func() {
		if p := recover(); p != nil {
			if p == http.ErrAbortHandler {
				panic(p)
			}
			info.err = fmt.Errorf("panic: %v\n%s", p, debug.Stack())
			if !sw.wroteHeader {
				writeProblem(sw, info.requestID, internal(info.err))
			}
		}
		s.observe(r, sw, info, label, time.Since(start))
	}()

	if strings.HasPrefix(r.URL.Path, "/v1/") {
		// Browser SDKs post to the Segment routes from other origins.
		sw.Header().Set("Access-Control-Allow-Origin", "*")
		if r.Method == http.MethodOptions {
			label = "OPTIONS /v1/"
			h := sw.Header()
			h.Set("Access-Control-Allow-Methods", "POST, OPTIONS")
			h.Set("Access-Control-Allow-Headers", "Authorization, Content-Type, Content-Encoding")
			h.Set("Access-Control-Max-Age", "86400")
			sw.WriteHeader(http.StatusNoContent)
			return
		}
	}
	h, pattern := s.mux.Handler(r)
	if pattern == "" {
		s.unmatched(sw, r, h, info)
		return
	}
	label = pattern
	s.mux.ServeHTTP(sw, r)
}

// unmatched answers an unknown path or method with problem+json, keeping
// the Allow header the mux computed for a 405.
func (s *server) unmatched(w http.ResponseWriter, r *http.Request, h http.Handler, info *reqInfo) {
	cw := &captureWriter{header: http.Header{}}
	h.ServeHTTP(cw, r)
	status := cw.status
	if status == 0 {
		status = http.StatusNotFound
	}
	if status != http.StatusNotFound && status != http.StatusMethodNotAllowed {
		for k, v := range cw.header {
			w.Header()[k] = v
		}
		w.WriteHeader(status)
		_, _ = w.Write(cw.body)
		return
	}
	e := newError(status, leadscore.CodeNotFound, "no route for "+r.Method+" "+r.URL.Path)
	if status == http.StatusMethodNotAllowed {
		e.code = ""
		e.detail = r.Method + " is not allowed on " + r.URL.Path
		if allow := cw.header.Get("Allow"); allow != "" {
			e.header = http.Header{"Allow": {allow}}
		}
	}
	writeProblem(w, info.requestID, e)
}

func (s *server) observe(r *http.Request, sw *statusWriter, info *reqInfo, route string, d time.Duration) {
	status := sw.status
	if status == 0 {
		status = http.StatusOK
	}
	s.metrics.duration.WithLabelValues(route, strconv.Itoa(status)).Observe(d.Seconds())
	attrs := []slog.Attr{
		slog.String("method", r.Method),
		slog.String("path", r.URL.Path),
		slog.String("route", route),
		slog.Int("status", status),
		slog.Duration("duration", d),
		slog.Int64("bytes_out", sw.bytes),
		slog.String("request_id", info.requestID),
		slog.String("remote", r.RemoteAddr),
	}
	if info.keyID != "" {
		attrs = append(attrs, slog.String("key_id", info.keyID))
	}
	level := slog.LevelInfo
	if status >= 500 {
		level = slog.LevelError
		if info.err != nil {
			attrs = append(attrs, slog.String("error", info.err.Error()))
		}
	}
	s.log.LogAttrs(r.Context(), level, "http request", attrs...)
}

// requestID keeps a caller's X-Request-Id when it is short and plain, so
// that logs can be joined across services, and makes one otherwise.
func requestID(r *http.Request) string {
	if id := r.Header.Get("X-Request-Id"); id != "" && len(id) <= 64 && plainToken(id) {
		return id
	}
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func plainToken(s string) bool {
	for _, c := range s {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '-', c == '_', c == '.':
		default:
			return false
		}
	}
	return true
}

// statusWriter records the status and size of a response.
type statusWriter struct {
	http.ResponseWriter
	status      int
	bytes       int64
	wroteHeader bool
}

func (w *statusWriter) WriteHeader(code int) {
	if !w.wroteHeader {
		w.status = code
		w.wroteHeader = true
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += int64(n)
	return n, err
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// captureWriter holds a response instead of sending it.
type captureWriter struct {
	header http.Header
	status int
	body   []byte
}

func (w *captureWriter) Header() http.Header { return w.header }
func (w *captureWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
}
func (w *captureWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	w.body = append(w.body, b...)
	return len(b), nil
}

func (s *server) healthz(w http.ResponseWriter, _ *http.Request, _ *reqCtx) error {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	return nil
}

func (s *server) readyz(w http.ResponseWriter, _ *http.Request, _ *reqCtx) error {
	if s.cfg.Ready != nil {
		if err := s.cfg.Ready(); err != nil {
			return unavailable("not ready", err)
		}
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
	return nil
}

func (s *server) serveMetrics(w http.ResponseWriter, r *http.Request, _ *reqCtx) error {
	s.promh.ServeHTTP(w, r)
	return nil
}

func (s *server) serveOpenAPI(w http.ResponseWriter, _ *http.Request, _ *reqCtx) error {
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(s.openapi)
	return nil
}
