package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"
	"go.yaml.in/yaml/v3"

	"github.com/leadscore/leadscore"
	"github.com/leadscore/leadscore/httpapi"
	"github.com/leadscore/leadscore/httpapi/client"
)

// envPrefix starts the environment variable of every configuration key:
// data_dir is LEADSCORE_DATA_DIR.
const envPrefix = "LEADSCORE_"

// config is the configuration of the service and of the verbs that reach
// it (import, export, keys). Each value comes from, in increasing order of
// precedence: the default, the config file, a LEADSCORE_* environment
// variable, a command-line flag.
type config struct {
	File string // the config file read, if any

	DataDir string
	DB      string
	Addr    string
	Models  []string

	LogLevel  string
	LogFormat string

	ShutdownTimeout   time.Duration
	ReadHeaderTimeout time.Duration
	DueInterval       time.Duration
	MaxBatch          int
	CacheSize         int
	MaxRequestBytes   int64
	MaxMessageBytes   int64
	RatePerSecond     float64
	RateBurst         int

	// PublicURL names the installation in webhook events; the webhook
	// settings tune delivery.
	PublicURL        string
	WebhookWorkers   int
	WebhookRetryBase time.Duration
	// QualifyHysteresis is 0 for sticky qualification, else the points a
	// qualified score must fall below the threshold before it re-arms.
	QualifyHysteresis float64
	// RetrainEvery retrains stored predictive models on a schedule; 0 never.
	RetrainEvery time.Duration

	Server string
	Key    string

	// from records where each value came from, for --print-config.
	from map[string]string
}

func defaultConfig() *config {
	return &config{
		DataDir:           "leadscore-data",
		Addr:              "127.0.0.1:8080",
		LogLevel:          "info",
		LogFormat:         "text",
		ShutdownTimeout:   30 * time.Second,
		ReadHeaderTimeout: 10 * time.Second,
		DueInterval:       15 * time.Second,
		MaxBatch:          5000,
		CacheSize:         20000,
		MaxRequestBytes:   httpapi.DefaultMaxRequestBytes,
		MaxMessageBytes:   httpapi.DefaultMaxMessageBytes,
		RatePerSecond:     httpapi.DefaultRatePerSecond,
		RateBurst:         httpapi.DefaultRateBurst,
		WebhookWorkers:    4,
		WebhookRetryBase:  30 * time.Second,
		from:              map[string]string{},
	}
}

// configKey is one configuration key: its name in the config file, and
// from the name its environment variable and its flag.
type configKey struct {
	name   string
	help   string
	list   bool
	secret bool
	get    func() string
	set    func(string) error
	// List keys replace the whole list from each source; a flag repeats
	// to give several values.
	setList func([]string)
	getList func() []string
}

func (k *configKey) env() string  { return envPrefix + strings.ToUpper(k.name) }
func (k *configKey) flag() string { return strings.ReplaceAll(k.name, "_", "-") }

// keys lists every key bound to c. The order is the order --print-config
// shows.
func (c *config) keys() []*configKey {
	str := func(name, help string, p *string) *configKey {
		return &configKey{name: name, help: help, get: func() string { return *p }, set: func(v string) error { *p = v; return nil }}
	}
	dur := func(name, help string, p *time.Duration) *configKey {
		return &configKey{name: name, help: help, get: func() string { return p.String() }, set: func(v string) error {
			d, err := time.ParseDuration(strings.TrimSpace(v))
			if err != nil {
				// Days and weeks, as model files write them (30d, 2w).
				var ld leadscore.Duration
				ld, err = leadscore.ParseDuration(v)
				d = ld.Std()
			}
			if err != nil || d < 0 {
				return fmt.Errorf("%q is not a duration (use 500ms, 30s, 5m, 30d)", v)
			}
			*p = d
			return nil
		}}
	}
	integer := func(name, help string, p *int) *configKey {
		return &configKey{name: name, help: help, get: func() string { return strconv.Itoa(*p) }, set: func(v string) error {
			n, err := strconv.Atoi(strings.TrimSpace(v))
			if err != nil || n < 0 {
				return fmt.Errorf("%q is not a non-negative whole number", v)
			}
			*p = n
			return nil
		}}
	}
	size := func(name, help string, p *int64) *configKey {
		return &configKey{name: name, help: help, get: func() string { return strconv.FormatInt(*p, 10) }, set: func(v string) error {
			n, err := parseSize(v)
			if err != nil {
				return err
			}
			*p = n
			return nil
		}}
	}
	float := func(name, help string, p *float64) *configKey {
		return &configKey{name: name, help: help, get: func() string { return strconv.FormatFloat(*p, 'f', -1, 64) }, set: func(v string) error {
			f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			if err != nil {
				return fmt.Errorf("%q is not a number", v)
			}
			*p = f
			return nil
		}}
	}
	models := &configKey{name: "model", list: true, help: "model file to upload and activate at start (repeatable)",
		setList: func(v []string) { c.Models = v }, getList: func() []string { return c.Models }}
	db := str("db", "database: a SQLite file path or sqlite: DSN, or a postgres:// URL (default: a SQLite file in the data directory)", &c.DB)
	db.secret = true
	key := str("key", "API key for --server", &c.Key)
	key.secret = true
	return []*configKey{
		str("data_dir", "data directory, created on first start", &c.DataDir),
		db,
		str("addr", "address to listen on (port 0 picks a free port)", &c.Addr),
		models,
		str("log_level", "log level: debug, info, warn or error", &c.LogLevel),
		str("log_format", "log format: text or json", &c.LogFormat),
		dur("shutdown_timeout", "how long a shutdown waits for requests in flight", &c.ShutdownTimeout),
		dur("read_header_timeout", "how long a client may take to send request headers", &c.ReadHeaderTimeout),
		dur("due_interval", "how often leads whose score changes with time are re-evaluated", &c.DueInterval),
		integer("max_batch", "most messages committed in one transaction", &c.MaxBatch),
		integer("cache_size", "lead scoring states kept in memory", &c.CacheSize),
		size("max_request_bytes", "largest request body accepted, after decompression (e.g. 4MiB)", &c.MaxRequestBytes),
		size("max_message_bytes", "largest single ingested message (e.g. 32KiB)", &c.MaxMessageBytes),
		float("rate_per_second", "requests per second each API key may make (negative: no limit)", &c.RatePerSecond),
		integer("rate_burst", "requests an API key may make at once above its rate", &c.RateBurst),
		str("public_url", "the service's public base URL, which names it in webhook events (CloudEvents source)", &c.PublicURL),
		integer("webhook_workers", "webhook requests in flight at once", &c.WebhookWorkers),
		dur("webhook_retry_base", "longest wait before a failed webhook's first retry; doubles per attempt up to 4h, for a day", &c.WebhookRetryBase),
		float("qualify_hysteresis", "0: a model qualifies a lead once until it is recycled; N: it may qualify again after its score fell N points below the threshold", &c.QualifyHysteresis),
		dur("retrain_every", "retrain each stored predictive model from the stored outcomes when its newest version is this old (e.g. 30d); 0: only when asked", &c.RetrainEvery),
		str("server", "URL of a running leadscore server (instead of a data directory)", &c.Server),
		key,
	}
}

func (c *config) key(name string) *configKey {
	for _, k := range c.keys() {
		if k.name == name {
			return k
		}
	}
	return nil
}

// configFlags registers the flags of the named keys on fs, plus --config.
// Flags have no defaults of their own: a flag that was not given leaves
// the value from the file or the environment alone.
type configFlags struct {
	names []string
	fs    *pflag.FlagSet
	file  string
}

func bindConfigFlags(fs *pflag.FlagSet, names ...string) *configFlags {
	cf := &configFlags{names: names, fs: fs}
	fs.StringVar(&cf.file, "config", "", "configuration file (YAML; default $"+envPrefix+"CONFIG)")
	shown := defaultConfig()
	for _, name := range names {
		k := shown.key(name)
		if k == nil {
			panic("unknown config key " + name) // a programming error, caught by the tests
		}
		help := fmt.Sprintf("%s ($%s)", k.help, k.env())
		if k.list {
			fs.StringArray(k.flag(), nil, help)
			continue
		}
		def := ""
		if !k.secret {
			def = k.get()
		}
		fs.String(k.flag(), def, help)
	}
	return cf
}

// load builds the effective configuration: defaults, then the file, then
// the environment, then the flags that were given.
func (cf *configFlags) load(getenv func(string) (string, bool)) (*config, error) {
	c := defaultConfig()
	for _, k := range c.keys() {
		c.from[k.name] = "default"
	}
	path := cf.file
	if path == "" {
		if v, ok := getenv(envPrefix + "CONFIG"); ok && v != "" {
			path = v
		}
	}
	if path != "" {
		if err := c.loadFile(path); err != nil {
			return nil, err
		}
	}
	if err := c.loadEnv(getenv); err != nil {
		return nil, err
	}
	for _, name := range cf.names {
		k := c.key(name)
		fl := cf.fs.Lookup(k.flag())
		if fl == nil || !fl.Changed {
			continue
		}
		if k.list {
			vals, _ := cf.fs.GetStringArray(k.flag())
			k.setList(vals)
		} else if err := k.set(fl.Value.String()); err != nil {
			return nil, fmt.Errorf("--%s: %w", k.flag(), err)
		}
		c.from[k.name] = "flag --" + k.flag()
	}
	return c, c.validate()
}

func (c *config) loadFile(path string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("config file: %w", err)
	}
	c.File = path
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return fmt.Errorf("config file %s: %w", path, err)
	}
	if len(doc.Content) == 0 {
		return nil // an empty file configures nothing
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return fmt.Errorf("config file %s:%d: expected key: value pairs", path, root.Line)
	}
	for i := 0; i+1 < len(root.Content); i += 2 {
		kn, vn := root.Content[i], root.Content[i+1]
		k := c.key(kn.Value)
		if k == nil {
			return fmt.Errorf("config file %s:%d: unknown key %q (known: %s)", path, kn.Line, kn.Value, strings.Join(c.keyNames(), ", "))
		}
		where := fmt.Sprintf("config file %s:%d: %s", path, vn.Line, k.name)
		switch {
		case k.list && vn.Kind == yaml.SequenceNode:
			var vals []string
			for _, item := range vn.Content {
				if item.Kind != yaml.ScalarNode {
					return fmt.Errorf("%s: expected a list of strings", where)
				}
				vals = append(vals, item.Value)
			}
			k.setList(vals)
		case vn.Kind != yaml.ScalarNode:
			return fmt.Errorf("%s: expected a single value", where)
		case k.list:
			k.setList(splitList(vn.Value))
		default:
			if err := k.set(vn.Value); err != nil {
				return fmt.Errorf("%s: %w", where, err)
			}
		}
		c.from[k.name] = "file"
	}
	return nil
}

func (c *config) loadEnv(getenv func(string) (string, bool)) error {
	for _, k := range c.keys() {
		v, ok := getenv(k.env())
		if !ok {
			continue
		}
		if k.list {
			k.setList(splitList(v))
		} else if err := k.set(v); err != nil {
			return fmt.Errorf("%s: %w", k.env(), err)
		}
		c.from[k.name] = "env " + k.env()
	}
	return nil
}

func (c *config) keyNames() []string {
	var names []string
	for _, k := range c.keys() {
		names = append(names, k.name)
	}
	sort.Strings(names)
	return names
}

func (c *config) validate() error {
	switch strings.ToLower(c.LogLevel) {
	case "debug", "info", "warn", "warning", "error":
	default:
		return fmt.Errorf("log_level must be debug, info, warn or error, not %q", c.LogLevel)
	}
	switch strings.ToLower(c.LogFormat) {
	case "text", "json":
	default:
		return fmt.Errorf("log_format must be text or json, not %q", c.LogFormat)
	}
	if c.Server != "" {
		u, err := url.Parse(c.Server)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("server must be an http:// or https:// URL, not %q", c.Server)
		}
	}
	return nil
}

// splitList reads a list from one string: comma-separated, blanks dropped.
func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// parseSize reads a byte count: 1048576, 512KiB, 4MiB, 1GiB (KB and MB are
// read as powers of 1024 too, which is what people mean for limits).
func parseSize(s string) (int64, error) {
	t := strings.ToUpper(strings.TrimSpace(s))
	mult := int64(1)
	for _, u := range []struct {
		suffix string
		mult   int64
	}{{"KIB", 1 << 10}, {"MIB", 1 << 20}, {"GIB", 1 << 30}, {"KB", 1 << 10}, {"MB", 1 << 20}, {"GB", 1 << 30}, {"K", 1 << 10}, {"M", 1 << 20}, {"G", 1 << 30}, {"B", 1}} {
		if strings.HasSuffix(t, u.suffix) {
			t, mult = strings.TrimSpace(strings.TrimSuffix(t, u.suffix)), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(t, 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("%q is not a size (use 1048576, 512KiB, 4MiB)", s)
	}
	return n * mult, nil
}

// dsn is the database to open: --db, or the SQLite file in the data
// directory.
func (c *config) dsn() string {
	if c.DB != "" {
		return c.DB
	}
	return filepath.Join(c.DataDir, "leadscore.db")
}

// where names the database for messages: the data directory, or --db
// with its password masked.
func (c *config) where() string {
	if c.usesDataDir() {
		return "data directory " + c.DataDir
	}
	return "database " + maskDSN(c.DB)
}

// existingDatabase refuses a data directory without a database: a verb
// other than serve never creates one, since a typo would silently start an
// empty database.
func (c *config) existingDatabase() error {
	if c.usesDataDir() {
		if _, err := os.Stat(c.dsn()); err != nil {
			return fmt.Errorf("no database in %s (start `leadscore serve` there first, or give --data-dir, --db or --server)", c.DataDir)
		}
	}
	return nil
}

// serverOrDatabase refuses --server given together with a data directory
// or --db: the verb could work on either.
func (c *config) serverOrDatabase() error {
	if c.Server != "" && (c.from["db"] != "default" || c.from["data_dir"] != "default") {
		return errors.New("give either --server or a data directory / --db, not both")
	}
	return nil
}

// verbLogger is the logger of a verb working on a database in-process:
// warnings and errors only unless a log level is configured, since the
// verb reports in its own words.
func (c *config) verbLogger(w io.Writer) *slog.Logger {
	lc := *c
	if c.from["log_level"] == "default" {
		lc.LogLevel = "warn"
	}
	return lc.newLogger(w)
}

// usesDataDir reports whether the data directory holds the database, so
// that it must exist.
func (c *config) usesDataDir() bool { return c.DB == "" }

// isPostgres reports whether a DSN names a PostgreSQL database.
func isPostgres(dsn string) bool {
	return strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")
}

// kvPassword finds password=... in a keyword/value connection string.
var kvPassword = regexp.MustCompile(`(?i)(password\s*=\s*)('(?:[^'\\]|\\.)*'|\S+)`)

// maskDSN hides the password of a database URL or connection string, so
// that configuration can be printed and logged.
func maskDSN(dsn string) string {
	if u, err := url.Parse(dsn); err == nil && u.Scheme != "" && u.User != nil {
		if _, has := u.User.Password(); has {
			u.User = url.UserPassword(u.User.Username(), "xxxxx")
		}
		q := u.Query()
		if q.Has("password") {
			q.Set("password", "xxxxx")
			u.RawQuery = q.Encode()
		}
		return u.String()
	}
	if u, err := url.Parse(dsn); err == nil && u.Scheme != "" {
		q := u.Query()
		if q.Has("password") {
			q.Set("password", "xxxxx")
			u.RawQuery = q.Encode()
			return u.String()
		}
		return dsn
	}
	return kvPassword.ReplaceAllString(dsn, "${1}xxxxx")
}

// maskKey keeps the public part of an API key (lsk_<prefix>) so that a
// reader can tell which key is configured, and hides the secret.
func maskKey(k string) string {
	if k == "" {
		return ""
	}
	if i := strings.LastIndexByte(k, '_'); i > 0 && strings.HasPrefix(k, "lsk_") {
		return k[:i+1] + "xxxxx"
	}
	return "xxxxx"
}

// printConfig writes the effective configuration as a YAML config file,
// secrets masked, each value commented with where it came from.
func (c *config) printConfig(w io.Writer, names []string) error {
	var b bytes.Buffer
	if c.File != "" {
		fmt.Fprintf(&b, "# effective configuration (config file: %s)\n", c.File)
	} else {
		fmt.Fprintln(&b, "# effective configuration")
	}
	for _, name := range names {
		k := c.key(name)
		var val string
		if k.list {
			items := k.getList()
			quoted := make([]string, len(items))
			for i, it := range items {
				quoted[i] = yamlScalar(it)
			}
			// flow style keeps one key per line
			val = "[" + strings.Join(quoted, ", ") + "]"
		} else {
			v := k.get()
			switch name {
			case "db":
				v = maskDSN(v)
			case "key":
				v = maskKey(v)
			}
			val = yamlScalar(v)
		}
		fmt.Fprintf(&b, "%s: %s  # %s\n", k.name, val, c.from[k.name])
	}
	_, err := w.Write(b.Bytes())
	return err
}

// yamlScalar renders a string as a YAML scalar, quoted when needed.
func yamlScalar(s string) string {
	out, err := yaml.Marshal(s)
	if err != nil {
		return strconv.Quote(s)
	}
	return strings.TrimSpace(string(out))
}

// newLogger builds the slog logger the configuration asks for.
func (c *config) newLogger(w io.Writer) *slog.Logger {
	var level slog.Level
	switch strings.ToLower(c.LogLevel) {
	case "debug":
		level = slog.LevelDebug
	case "warn", "warning":
		level = slog.LevelWarn
	case "error":
		level = slog.LevelError
	default:
		level = slog.LevelInfo
	}
	opts := &slog.HandlerOptions{Level: level}
	if strings.ToLower(c.LogFormat) == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// targetKeys are the configuration keys of the verbs that work on a data
// directory in-process or on a running server (import, export, keys).
var targetKeys = []string{"data_dir", "db", "server", "key", "log_level", "log_format"}

// target is where import, export and keys work: a running server through
// its API, or the database in-process.
type target interface {
	UpsertLeads(ctx context.Context, leads []leadscore.Lead) error
	UpsertAccounts(ctx context.Context, accounts []leadscore.Account) error
	// IngestEvents stores tracked events; results are in input order.
	IngestEvents(ctx context.Context, msgs []leadscore.Message) ([]leadscore.IngestResult, error)
	GetLead(ctx context.Context, id string) (*leadscore.LeadView, error)
	ListLeads(ctx context.Context, f leadscore.LeadFilter) ([]leadscore.LeadRow, string, error)
	ActiveModels(ctx context.Context) ([]leadscore.ModelVersion, error)
	CreateAPIKey(ctx context.Context, name string, scopes []leadscore.Scope) (*leadscore.NewAPIKey, error)
	APIKeys(ctx context.Context) ([]leadscore.APIKey, error)
	RevokeAPIKey(ctx context.Context, id string) error
	Close() error
	String() string
}

// nativeSource is the source of events imported in-process: the same as
// the server's native events API, so that importing a file once through a
// server and once into the data directory stores each event once.
const nativeSource = "api"

// openTarget opens the server named by --server, else the database of the
// data directory or --db. verb names the command in messages.
func openTarget(ctx context.Context, verb string, cfg *config, stderr io.Writer) (target, error) {
	if err := cfg.serverOrDatabase(); err != nil {
		return nil, exitError{code: 2, msg: fmt.Sprintf("leadscore %s: %v", verb, err)}
	}
	if cfg.Server != "" {
		if cfg.Key == "" {
			return nil, exitError{code: 2, msg: fmt.Sprintf("leadscore %s: --server needs an API key: --key or $%sKEY", verb, envPrefix)}
		}
		hc := &http.Client{Timeout: 2 * time.Minute}
		return &remoteTarget{c: client.NewClient(cfg.Server, cfg.Key, hc), url: cfg.Server, hc: hc}, nil
	}
	if err := cfg.existingDatabase(); err != nil {
		return nil, exitError{code: 2, msg: fmt.Sprintf("leadscore %s: %v", verb, err)}
	}
	rt, err := openInstance(ctx, cfg, cfg.verbLogger(stderr))
	if err != nil {
		return nil, err
	}
	return &localTarget{rt: rt, where: cfg.where()}, nil
}

type localTarget struct {
	rt    *instance
	where string
}

func (t *localTarget) UpsertLeads(ctx context.Context, leads []leadscore.Lead) error {
	return t.rt.svc.UpsertLeads(ctx, leads)
}

func (t *localTarget) UpsertAccounts(ctx context.Context, accounts []leadscore.Account) error {
	return t.rt.svc.UpsertAccounts(ctx, accounts)
}

func (t *localTarget) IngestEvents(ctx context.Context, msgs []leadscore.Message) ([]leadscore.IngestResult, error) {
	now := time.Now().UTC()
	for i := range msgs {
		msgs[i].Source = nativeSource
		msgs[i].ReceivedAt = now
	}
	return t.rt.svc.Ingest(ctx, msgs)
}

func (t *localTarget) GetLead(ctx context.Context, id string) (*leadscore.LeadView, error) {
	return t.rt.svc.GetLead(ctx, id)
}

func (t *localTarget) ListLeads(ctx context.Context, f leadscore.LeadFilter) ([]leadscore.LeadRow, string, error) {
	return t.rt.svc.ListLeads(ctx, f)
}

func (t *localTarget) ActiveModels(ctx context.Context) ([]leadscore.ModelVersion, error) {
	return t.rt.svc.ActiveModels(ctx)
}

func (t *localTarget) CreateAPIKey(ctx context.Context, name string, scopes []leadscore.Scope) (*leadscore.NewAPIKey, error) {
	return t.rt.svc.CreateAPIKey(ctx, name, scopes)
}

func (t *localTarget) APIKeys(ctx context.Context) ([]leadscore.APIKey, error) {
	return t.rt.svc.APIKeys(ctx)
}

func (t *localTarget) RevokeAPIKey(ctx context.Context, id string) error {
	return t.rt.svc.RevokeAPIKey(ctx, id)
}

func (t *localTarget) Close() error   { return t.rt.close() }
func (t *localTarget) String() string { return t.where }

// remoteTarget calls a server. Calls that fail in a way a retry can fix
// (a 429, a 5xx, a dropped connection) are retried with backoff: every
// write it makes is idempotent (upserts, events with stable message ids).
type remoteTarget struct {
	c   *client.Client
	url string
	hc  *http.Client
}

// maxAttempts bounds the retries of one call, so that a server that is
// down ends the command instead of hanging it.
const maxAttempts = 6

func retry(ctx context.Context, fn func() error) error {
	delay := 250 * time.Millisecond
	for attempt := 1; ; attempt++ {
		err := fn()
		if err == nil || attempt == maxAttempts || !retryable(err) {
			return err
		}
		wait := delay
		var he *client.HTTPError
		if errors.As(err, &he) && he.RetryAfter > 0 {
			wait = he.RetryAfter
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(wait):
		}
		delay = min(2*delay, 8*time.Second)
	}
}

func retryable(err error) bool {
	var he *client.HTTPError
	if errors.As(err, &he) {
		return he.StatusCode == http.StatusTooManyRequests || he.StatusCode >= 500
	}
	// No HTTP answer at all: the connection failed.
	return leadscore.CodeOf(err) == leadscore.CodeInternal
}

func (t *remoteTarget) UpsertLeads(ctx context.Context, leads []leadscore.Lead) error {
	return retry(ctx, func() error { _, err := t.c.UpsertLeads(ctx, leads); return err })
}

func (t *remoteTarget) UpsertAccounts(ctx context.Context, accounts []leadscore.Account) error {
	return retry(ctx, func() error { _, err := t.c.UpsertAccounts(ctx, accounts); return err })
}

func (t *remoteTarget) IngestEvents(ctx context.Context, msgs []leadscore.Message) ([]leadscore.IngestResult, error) {
	events := make([]client.Event, len(msgs))
	for i, m := range msgs {
		email, _ := m.Traits["email"].(string)
		events[i] = client.Event{LeadID: m.UserID, Email: email, AnonymousID: m.AnonymousID, Type: m.Event, Timestamp: m.Timestamp,
			Properties: m.Properties, MessageID: m.MessageID, UserAgent: m.UserAgent, IP: m.IP}
	}
	var sum *client.IngestSummary
	err := retry(ctx, func() (err error) { sum, err = t.c.SendEvents(ctx, events); return err })
	if err != nil {
		return nil, err
	}
	out := make([]leadscore.IngestResult, len(msgs))
	for i := range out {
		out[i] = leadscore.IngestResult{MessageID: msgs[i].MessageID, Status: leadscore.IngestRejected, Error: "the server sent no result"}
	}
	for _, r := range sum.Results {
		if r.Index >= 0 && r.Index < len(out) {
			out[r.Index] = leadscore.IngestResult{MessageID: r.MessageID, Status: r.Status, LeadID: r.LeadID, Error: r.Error}
		}
	}
	return out, nil
}

func (t *remoteTarget) GetLead(ctx context.Context, id string) (v *leadscore.LeadView, err error) {
	err = retry(ctx, func() error { v, err = t.c.GetLead(ctx, id); return err })
	return v, err
}

func (t *remoteTarget) ListLeads(ctx context.Context, f leadscore.LeadFilter) (rows []leadscore.LeadRow, next string, err error) {
	err = retry(ctx, func() error { rows, next, err = t.c.ListLeads(ctx, f); return err })
	return rows, next, err
}

func (t *remoteTarget) ActiveModels(ctx context.Context) (vs []leadscore.ModelVersion, err error) {
	err = retry(ctx, func() error { vs, err = t.c.ActiveModels(ctx); return err })
	return vs, err
}

// CreateAPIKey is not retried: a retry after a lost answer would make a
// second key.
func (t *remoteTarget) CreateAPIKey(ctx context.Context, name string, scopes []leadscore.Scope) (*leadscore.NewAPIKey, error) {
	return t.c.CreateAPIKey(ctx, name, scopes)
}

func (t *remoteTarget) APIKeys(ctx context.Context) (ks []leadscore.APIKey, err error) {
	err = retry(ctx, func() error { ks, err = t.c.APIKeys(ctx); return err })
	return ks, err
}

func (t *remoteTarget) RevokeAPIKey(ctx context.Context, id string) error {
	return retry(ctx, func() error { return t.c.RevokeAPIKey(ctx, id) })
}

func (t *remoteTarget) Close() error   { t.hc.CloseIdleConnections(); return nil }
func (t *remoteTarget) String() string { return "server " + t.url }
