// Package service is leadscore as a running system: it stores what arrives,
// keeps every lead's scores current as events arrive and as time passes,
// records each change in the ledger, and answers questions about leads.
//
// All writes go through one committer goroutine that batches many requests
// into one transaction (group commit): an acknowledged event is committed,
// together with its score effects and ledger rows, and throughput comes
// from batching rather than from weaker durability. The committer also owns
// the cache of lead states, so the cache needs no locks.
package service

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/leadscore/leadscore"
	"github.com/leadscore/leadscore/automation"
	"github.com/leadscore/leadscore/quality"
	"github.com/leadscore/leadscore/scoring"
)

// Config wires a Service.
type Config struct {
	Store     leadscore.Store
	Workspace leadscore.WorkspaceID
	// Clock is the only source of "now"; tests pass a fake one.
	Clock   func() time.Time
	Checker *quality.Checker
	// LoadPredictor loads the trained artefact of a predictive model
	// (predict.LoadPredictor); without it, predictive models are refused.
	LoadPredictor func(artifact string) (scoring.Predictor, error)
	Logger        *slog.Logger
	// MaxBatch bounds the messages committed in one transaction (default
	// 5000). CacheSize bounds the lead states kept in memory (default
	// 20000). DueInterval is how often leads whose score changes with time
	// are re-evaluated (default 15s); DueBatch how many per transaction.
	MaxBatch    int
	CacheSize   int
	DueInterval time.Duration
	DueBatch    int
	// RescoreBatch is how many leads an activation re-scores per
	// transaction (default 500), so that ingestion interleaves with it.
	RescoreBatch int
	// Metrics receives counters; nil discards them.
	Metrics Metrics

	// PublicURL names the installation in webhook events (their
	// CloudEvents source); default "urn:leadscore".
	PublicURL string
	// Qualify is the qualification policy (default sticky).
	Qualify automation.QualifyPolicy
	// Retry is when failed webhook deliveries are tried again (default
	// automation.DefaultRetryPolicy).
	Retry automation.RetryPolicy
	// DeliveryWorkers bounds the webhook requests in flight (default 4);
	// DeliveryInterval is how often the outbox is polled when nothing
	// wakes the worker (default 1s); DeliveryTimeout bounds one request
	// (default 10s).
	DeliveryWorkers  int
	DeliveryInterval time.Duration
	DeliveryTimeout  time.Duration
	// HTTPClient sends webhooks; nil uses a client with DeliveryTimeout.
	HTTPClient *http.Client
	// RetrainEvery retrains each stored predictive model from the store
	// when its newest version is older than this, with that version's
	// options, as a challenger; 0 never retrains on its own.
	RetrainEvery time.Duration
}

// Metrics is what the service reports; the HTTP layer exports it.
type Metrics interface {
	EventsIngested(status leadscore.IngestStatus, n int)
	BatchCommitted(messages int, d time.Duration)
	LeadsScored(n int, d time.Duration)
	DueLeads(n int)
	QueueDepth(n int)
	// WebhookAttempted reports one delivery attempt: its outcome
	// (delivered, retry or gone) and how long the receiver took; final
	// says the delivery is now failed for good.
	WebhookAttempted(outcome string, d time.Duration, final bool)
}

type noMetrics struct{}

func (noMetrics) EventsIngested(leadscore.IngestStatus, int)   {}
func (noMetrics) BatchCommitted(int, time.Duration)            {}
func (noMetrics) LeadsScored(int, time.Duration)               {}
func (noMetrics) DueLeads(int)                                 {}
func (noMetrics) QueueDepth(int)                               {}
func (noMetrics) WebhookAttempted(string, time.Duration, bool) {}

// Service implements leadscore.Service.
type Service struct {
	cfg   Config
	ws    leadscore.WorkspaceStore
	log   *slog.Logger
	now   func() time.Time
	check *quality.Checker

	// models is the compiled set of active models; swapped whole when a
	// model is activated.
	models atomic.Pointer[activeSet]

	queue chan *request
	// cache and uaBots belong to the committer goroutine.
	cache  *stateCache
	uaBots map[string]bool

	keysMu   sync.Mutex
	keyTouch map[string]time.Time

	stop    chan struct{}
	stopped chan struct{}
	// loopDone is closed when the committer has exited: a request queued
	// after that will never be committed.
	loopDone chan struct{}
	// activeCount is each account's number of active people as last
	// scored; a change re-scores the account's people. Committer-owned.
	activeCount map[string]int
	// retrainTried is when each predictive model was last retrained on
	// schedule. Owned by the due loop.
	retrainTried map[string]time.Time
	wg           sync.WaitGroup
	// followUps tracks re-scoring that committed batches started, so a
	// caller can wait until the effects of its writes have settled.
	followUps sync.WaitGroup
	closeMu   sync.Once

	// routing and subs are the active routing file and the enabled
	// webhooks, swapped whole when they change.
	routing atomic.Pointer[routing]
	subs    atomic.Pointer[[]automation.Subscription]
	// source is the CloudEvents source of this workspace's events.
	source string
	// deliver wakes the delivery worker when a commit wrote outbox rows.
	deliver *deliverer
	// training is set while a predictive model trains: one at a time, as
	// training uses every core.
	training atomic.Bool
}

var _ leadscore.Service = (*Service)(nil)

// New creates a Service. Start must be called before it ingests.
func New(cfg Config) (*Service, error) {
	if cfg.Store == nil {
		return nil, errors.New("service: a store is required")
	}
	if cfg.Workspace == "" {
		cfg.Workspace = leadscore.DefaultWorkspace
	}
	if cfg.Clock == nil {
		return nil, errors.New("service: a clock is required")
	}
	if cfg.Checker == nil {
		cfg.Checker = quality.NewChecker()
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.MaxBatch <= 0 {
		cfg.MaxBatch = 5000
	}
	if cfg.CacheSize <= 0 {
		cfg.CacheSize = 20000
	}
	if cfg.DueInterval <= 0 {
		cfg.DueInterval = 15 * time.Second
	}
	if cfg.DueBatch <= 0 {
		cfg.DueBatch = 1000
	}
	if cfg.RescoreBatch <= 0 {
		cfg.RescoreBatch = 500
	}
	if cfg.Metrics == nil {
		cfg.Metrics = noMetrics{}
	}
	if cfg.PublicURL == "" {
		cfg.PublicURL = "urn:leadscore"
	}
	if err := cfg.Qualify.Validate(); err != nil {
		return nil, err
	}
	if cfg.Retry == (automation.RetryPolicy{}) {
		cfg.Retry = automation.DefaultRetryPolicy()
	}
	if cfg.DeliveryWorkers <= 0 {
		cfg.DeliveryWorkers = 4
	}
	if cfg.DeliveryInterval <= 0 {
		cfg.DeliveryInterval = time.Second
	}
	if cfg.DeliveryTimeout <= 0 {
		cfg.DeliveryTimeout = automation.DefaultDeliveryTimeout
	}
	s := &Service{
		cfg: cfg, ws: cfg.Store.Workspace(cfg.Workspace), log: cfg.Logger, now: cfg.Clock, check: cfg.Checker,
		queue: make(chan *request, 1024), cache: newStateCache(cfg.CacheSize), uaBots: map[string]bool{},
		keyTouch: map[string]time.Time{}, stop: make(chan struct{}), stopped: make(chan struct{}),
		loopDone: make(chan struct{}), activeCount: map[string]int{}, retrainTried: map[string]time.Time{},
		source: automation.Source(cfg.PublicURL, cfg.Workspace),
	}
	s.deliver = newDeliverer(s)
	return s, nil
}

// Start loads the active models and starts the committer and the time job.
func (s *Service) Start(ctx context.Context) error {
	if err := s.reloadModels(ctx); err != nil {
		return err
	}
	if err := s.reloadRouting(ctx); err != nil {
		return err
	}
	if err := s.reloadWebhooks(ctx); err != nil {
		return err
	}
	s.wg.Add(3)
	go func() { defer s.wg.Done(); defer close(s.loopDone); s.commitLoop() }()
	go func() { defer s.wg.Done(); s.dueLoop() }()
	go func() { defer s.wg.Done(); s.deliver.loop() }()
	if err := s.resumeJobs(ctx); err != nil {
		s.log.Warn("resuming interrupted jobs", "err", err)
	}
	return nil
}

// Close stops background work after the requests already queued are
// committed.
func (s *Service) Close() error {
	s.closeMu.Do(func() {
		close(s.stop)
		s.wg.Wait()
		close(s.stopped)
	})
	return nil
}

// Settle waits until the re-scoring started by earlier writes (the people of
// an account whose facts changed) is committed.
func (s *Service) Settle() { s.followUps.Wait() }

// Ready reports whether the service can take traffic.
func (s *Service) Ready() error {
	select {
	case <-s.stop:
		return errors.New("shutting down")
	default:
		return nil
	}
}

// activeSet is the compiled active models with their versions.
type activeSet struct {
	set      *scoring.Set
	versions map[string]string
	// stakeWindow is the longest stakeholder window of the models, for
	// loading peers.
	stakeWindow time.Duration
	gen         uint64
	// usesActivity says whether a condition reads account.active_people.
	usesActivity bool
	// mql is each model's qualification threshold, nil for none.
	mql map[string]*float64
	// shadow is the shadow versions compiled with the active models (nil
	// when none runs); lead states are built for its set (shadow.go).
	shadow *shadowSet
}

func (s *Service) active() *activeSet { return s.models.Load() }
