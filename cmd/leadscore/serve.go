package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/spf13/cobra"

	"github.com/leadscore/leadscore"
	"github.com/leadscore/leadscore/automation"
	"github.com/leadscore/leadscore/httpapi"
	"github.com/leadscore/leadscore/modelfile"
	"github.com/leadscore/leadscore/predict"
	"github.com/leadscore/leadscore/quality"
	"github.com/leadscore/leadscore/service"
	"github.com/leadscore/leadscore/sqlstore"
)

// serveKeys are the configuration keys of serve, in --print-config order.
var serveKeys = []string{
	"data_dir", "db", "addr", "model", "log_level", "log_format",
	"shutdown_timeout", "read_header_timeout", "due_interval", "max_batch", "cache_size",
	"max_request_bytes", "max_message_bytes", "rate_per_second", "rate_burst",
	"public_url", "webhook_workers", "webhook_retry_base", "qualify_hysteresis", "retrain_every",
}

func newServeCmd() *cobra.Command {
	var printConfig bool
	cmd := &cobra.Command{
		Use:   "serve [--data-dir DIR | --db URL] [--addr HOST:PORT] [--model model.yaml]",
		Short: "Run the service: HTTP API, Segment-compatible ingestion, web UI, metrics",
		Long: `serve runs leadscore as a service. With no flags it keeps its data in an
embedded SQLite database in ./leadscore-data (created on first start) and
listens on 127.0.0.1:8080. On first start it creates an admin API key and a
write key for ingestion and prints them once, and an admin user of the web
UI (served at /, beside the API) with its password, also shown once.

--db postgres://user:password@host/db uses PostgreSQL instead. --model
uploads model files at start and activates them.

Every setting can come from a config file (--config), a LEADSCORE_<KEY>
environment variable or a flag, in increasing order of precedence;
--print-config shows the result. SIGINT or SIGTERM stops the server
gracefully: requests in flight finish and queued events are committed.`,
		Example: `  leadscore serve --model examples/b2b-saas.yaml
  leadscore serve --addr 0.0.0.0:8080 --db postgres://leadscore@db/leadscore
  LEADSCORE_DATA_DIR=/var/lib/leadscore leadscore serve --print-config`,
		Args: cobra.NoArgs,
	}
	cf := bindConfigFlags(cmd.Flags(), serveKeys...)
	cmd.Flags().BoolVar(&printConfig, "print-config", false, "print the effective configuration (secrets masked) and exit")
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		cfg, err := cf.load(os.LookupEnv)
		if err != nil {
			return exitError{code: 2, msg: "leadscore serve: " + err.Error()}
		}
		if printConfig {
			return cfg.printConfig(cmd.OutOrStdout(), serveKeys)
		}
		// SIGTERM is how service managers and containers stop a process;
		// it must drain like Ctrl-C does.
		ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
		defer stop()
		return runServe(ctx, stop, cfg, cmd.OutOrStdout(), cmd.ErrOrStderr())
	}
	return cmd
}

// runServe runs the service until ctx ends. stop is called once shutdown
// begins, so that a second signal ends the process at once.
func runServe(ctx context.Context, stop func(), cfg *config, stdout, stderr io.Writer) error {
	log := cfg.newLogger(stderr)
	rt, err := openInstance(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer rt.close()

	if err := uploadModels(ctx, rt.svc, cfg.Models, stderr); err != nil {
		return err
	}
	if err := firstStartKeys(ctx, rt.svc, stdout); err != nil {
		return err
	}
	if err := firstStartAdmin(ctx, rt.svc, stdout); err != nil {
		return err
	}

	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return exitError{code: 1, msg: fmt.Sprintf("leadscore serve: listen on %s: %v", cfg.Addr, err)}
	}
	var handler http.Handler = httpapi.NewServer(httpapi.Config{
		Service: rt.svc, Logger: log, Registry: rt.registry, Clock: time.Now,
		Limits: cfg.limits(), Ready: rt.ready,
	})
	handler, err = withWebUI(handler, rt.svc, log)
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: cfg.ReadHeaderTimeout,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()

	url := listenURL(ln.Addr())
	fmt.Fprintf(stdout, "leadscore listening on %s\n", url)
	log.Info("serving", "url", url, "db", maskDSN(cfg.dsn()), "dialect", rt.store.Dialect())

	select {
	case err := <-served:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	stop()
	log.Info("shutting down: finishing requests in flight")
	sctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	shutdownErr := srv.Shutdown(sctx)
	if shutdownErr != nil {
		log.Warn("requests still running at the shutdown timeout were cut off", "err", shutdownErr)
		_ = srv.Close()
	}
	// The service commits what is queued before the store closes.
	if err := rt.close(); err != nil {
		return err
	}
	log.Info("stopped")
	return nil
}

// instance is the service with its store and metrics, as serve and the
// in-process verbs use it.
type instance struct {
	store    *sqlstore.Store
	svc      *service.Service
	registry *prometheus.Registry
	closed   bool
}

// openRuntime opens the store (creating the data directory and migrating
// the database on first start) and starts a service on it.
func openInstance(ctx context.Context, cfg *config, log *slog.Logger) (*instance, error) {
	if cfg.usesDataDir() {
		if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
			return nil, exitError{code: 1, msg: fmt.Sprintf("leadscore: data directory: %v", err)}
		}
	}
	store, err := sqlstore.Open(ctx, cfg.dsn(), sqlstore.Options{Logger: log})
	if err != nil {
		return nil, exitError{code: 1, msg: fmt.Sprintf("leadscore: open the database %s: %v", maskDSN(cfg.dsn()), err)}
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	metrics, err := newPromMetrics(reg)
	if err != nil {
		store.Close()
		return nil, err
	}
	retry := automation.DefaultRetryPolicy()
	if cfg.WebhookRetryBase > 0 {
		retry.Base = cfg.WebhookRetryBase
	}
	var qualify automation.QualifyPolicy
	if cfg.QualifyHysteresis != 0 {
		qualify = automation.QualifyPolicy{Mode: automation.Hysteresis, Hysteresis: cfg.QualifyHysteresis}
	}
	svc, err := service.New(service.Config{
		Store: store, Clock: time.Now, Checker: quality.NewChecker(), Logger: log, Metrics: metrics,
		MaxBatch: cfg.MaxBatch, CacheSize: cfg.CacheSize, DueInterval: cfg.DueInterval,
		PublicURL: cfg.PublicURL, DeliveryWorkers: cfg.WebhookWorkers, Retry: retry, Qualify: qualify,
		RetrainEvery: cfg.RetrainEvery,
		// artifact: store:NAME[@VERSION] reads a trained model from the
		// database; any other artifact is a file the server can read.
		LoadPredictor: predict.StoreLoader(store.Workspace(leadscore.DefaultWorkspace).(leadscore.PredictiveReader), predict.LoadPredictor),
	})
	if err != nil {
		store.Close()
		return nil, err
	}
	if err := svc.Start(ctx); err != nil {
		svc.Close()
		store.Close()
		return nil, fmt.Errorf("start the service: %w", err)
	}
	return &instance{store: store, svc: svc, registry: reg}, nil
}

// ready is /readyz: the service takes traffic and the database answers.
func (rt *instance) ready() error {
	if err := rt.svc.Ready(); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_, err := rt.svc.ActiveModels(ctx)
	return err
}

// close stops the service (committing what is queued) before closing the
// store under it. It is safe to call twice.
func (rt *instance) close() error {
	if rt.closed {
		return nil
	}
	rt.closed = true
	return errors.Join(rt.svc.Close(), rt.store.Close())
}

func (c *config) limits() httpapi.Limits {
	return httpapi.Limits{
		MaxRequestBytes: c.MaxRequestBytes, MaxMessageBytes: int(c.MaxMessageBytes),
		RatePerSecond: c.RatePerSecond, RateBurst: c.RateBurst,
	}
}

// listenURL is the URL a user can open: an unspecified address (0.0.0.0,
// [::]) is reachable on loopback.
func listenURL(addr net.Addr) string {
	tcp, ok := addr.(*net.TCPAddr)
	if !ok {
		return "http://" + addr.String()
	}
	host := tcp.IP.String()
	if tcp.IP.IsUnspecified() {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, fmt.Sprint(tcp.Port))
}

// firstStartKeys creates an admin key and a write key when the database has
// no key at all, and prints them: the secrets are stored hashed and can
// never be shown again.
func firstStartKeys(ctx context.Context, svc leadscore.Service, w io.Writer) error {
	keys, err := svc.APIKeys(ctx)
	if err != nil {
		return err
	}
	if len(keys) > 0 {
		return nil
	}
	admin, err := svc.CreateAPIKey(ctx, "admin", []leadscore.Scope{leadscore.ScopeAdmin})
	if err != nil {
		return err
	}
	write, err := svc.CreateAPIKey(ctx, "ingest", []leadscore.Scope{leadscore.ScopeWrite})
	if err != nil {
		return err
	}
	fmt.Fprintln(w, "First start: created two API keys. They are shown only this once; keep them somewhere safe.")
	fmt.Fprintf(w, "admin key: %s\n", admin.Secret)
	fmt.Fprintf(w, "write key: %s\n", write.Secret)
	fmt.Fprintln(w, "  (the write key only ingests: use it as the Segment write key; more keys: leadscore keys create)")
	return nil
}

// uploadModels uploads each model file (a directory contributes its model
// files) and activates the versions it holds, unless they are active
// already, so that restarting with the same --model changes nothing.
func uploadModels(ctx context.Context, svc leadscore.Service, paths []string, stderr io.Writer) error {
	files, err := expandModelPaths(paths)
	if err != nil {
		return exitError{code: 2, msg: "leadscore serve: --model: " + err.Error()}
	}
	var versions []leadscore.ModelVersion
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			return exitError{code: 2, msg: "leadscore serve: --model: " + err.Error()}
		}
		res, err := svc.UploadModel(ctx, filepath.Base(f), src, "serve --model")
		if res != nil {
			for _, d := range res.Diagnostics {
				fmt.Fprintf(stderr, "%s:%d:%d: %s: %s\n", f, d.Line, d.Column, d.Severity, d.Message)
			}
		}
		if err != nil {
			if leadscore.CodeOf(err) == leadscore.CodeInvalid {
				return exitError{code: 2, msg: fmt.Sprintf("leadscore serve: %s: %v", f, err)}
			}
			return err
		}
		versions = append(versions, res.Versions...)
	}
	return activateVersions(ctx, svc, versions)
}

// activateVersions activates versions not yet active. A combined model can
// only be activated once its parts are, so versions refused as a conflict
// are tried again after the others, until a round makes no progress.
func activateVersions(ctx context.Context, svc leadscore.Service, versions []leadscore.ModelVersion) error {
	active, err := svc.ActiveModels(ctx)
	if err != nil {
		return err
	}
	isActive := map[string]string{}
	for _, v := range active {
		isActive[v.Name] = v.Version
	}
	var pending []leadscore.ModelVersion
	for _, v := range versions {
		if isActive[v.Name] != v.Version {
			pending = append(pending, v)
		}
	}
	for len(pending) > 0 {
		var again []leadscore.ModelVersion
		var lastErr error
		for _, v := range pending {
			_, err := svc.ActivateModel(ctx, v.Name, v.Version)
			if leadscore.CodeOf(err) == leadscore.CodeConflict {
				again, lastErr = append(again, v), err
				continue
			}
			if err != nil {
				return fmt.Errorf("activate %s@%s: %w", v.Name, v.Version, err)
			}
		}
		if len(again) == len(pending) {
			return exitError{code: 2, msg: fmt.Sprintf("leadscore serve: cannot activate %s: %v", versionList(again), lastErr)}
		}
		pending = again
	}
	return nil
}

func versionList(vs []leadscore.ModelVersion) string {
	var s []string
	for _, v := range vs {
		s = append(s, v.Name+"@"+v.Version)
	}
	return strings.Join(s, ", ")
}

// expandModelPaths turns files and directories into model files, the way
// modelfile.Load reads a directory: its *.yaml and *.yml files except
// fixture files.
func expandModelPaths(paths []string) ([]string, error) {
	var out []string
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			return nil, err
		}
		if !st.IsDir() {
			out = append(out, p)
			continue
		}
		entries, err := os.ReadDir(p)
		if err != nil {
			return nil, err
		}
		var found []string
		for _, e := range entries {
			ext := filepath.Ext(e.Name())
			if e.IsDir() || (ext != ".yaml" && ext != ".yml") || modelfile.IsTestFile(e.Name()) {
				continue
			}
			found = append(found, filepath.Join(p, e.Name()))
		}
		if len(found) == 0 {
			return nil, fmt.Errorf("%s holds no model file", p)
		}
		sort.Strings(found)
		out = append(out, found...)
	}
	return out, nil
}
