package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/leadscore/leadscore"
	"github.com/leadscore/leadscore/examples"
	"github.com/leadscore/leadscore/httpapi"
	"github.com/leadscore/leadscore/quality"
	"github.com/leadscore/leadscore/service"
)

// IngestOptions sizes a service benchmark. Zero values take the defaults
// noted.
type IngestOptions struct {
	// DSN is the database: a postgres:// URL (its tables must be empty or
	// absent: use a fresh database or schema), or empty for a SQLite file
	// in a temporary directory that is removed at the end.
	DSN string
	// Leads is the number of distinct leads the events belong to (default
	// 100,000). Each is identified first, with traits, so that fit rules
	// and accounts take part.
	Leads int
	// Requests is the number of /v1/batch requests of tracked events
	// (default 3,000), BatchSize the events in each (default 100) and
	// Clients the concurrent senders (default 8).
	Requests  int
	BatchSize int
	Clients   int
	// ReadRate and ReadCount shape the read load run while events are
	// ingested: ReadCount requests for one lead with its explanation, sent
	// at ReadRate per second (defaults 1,000/s and 3,000).
	ReadRate  int
	ReadCount int
	// RawBatch is the transaction size of the raw insert measurement
	// (default 1,000).
	RawBatch int
	// CacheSize and MaxBatch tune the service (zero: its defaults), to
	// measure what they change.
	CacheSize int
	MaxBatch  int
	Seed      uint64
	// Logger receives the service's logs (default: discarded).
	Logger *slog.Logger
	// Progress, when set, is told what the benchmark is doing.
	Progress func(phase string)
}

func (o IngestOptions) withDefaults() IngestOptions {
	if o.Leads <= 0 {
		o.Leads = 100_000
	}
	if o.Requests <= 0 {
		o.Requests = 3000
	}
	if o.BatchSize <= 0 {
		o.BatchSize = 100
	}
	if o.Clients <= 0 {
		o.Clients = 8
	}
	if o.ReadRate <= 0 {
		o.ReadRate = 1000
	}
	if o.ReadCount <= 0 {
		o.ReadCount = 3000
	}
	if o.RawBatch <= 0 {
		o.RawBatch = 1000
	}
	if o.Seed == 0 {
		o.Seed = 1
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Progress == nil {
		o.Progress = func(string) {}
	}
	return o
}

// IngestReport is what a service benchmark measured.
type IngestReport struct {
	Dialect    string `json:"dialect"`
	GOMAXPROCS int    `json:"gomaxprocs"`
	Leads      int    `json:"leads"`
	Clients    int    `json:"clients"`
	BatchSize  int    `json:"batch_size"`

	// Identify is the setup phase: every lead identified with traits, at
	// the same concurrency.
	Identify Phase `json:"identify"`
	// Track is the measured phase: tracked events through /v1/batch.
	Track Phase `json:"track"`
	// RawInsertPerSecond is the same events written straight into the
	// store (another workspace of the same database) without scoring, in
	// transactions of RawBatch; ScoringOverhead is how many times faster
	// that is than Track.
	RawInsertPerSecond float64 `json:"raw_insert_events_per_second"`
	RawBatch           int     `json:"raw_batch"`
	ScoringOverhead    float64 `json:"scoring_overhead"`

	// Reads is GET /api/v1/leads/{id} (the lead with its scores and their
	// explanations) at ReadRate while events were being ingested;
	// ReadsDuringIngest of them were sent before the track phase ended.
	Reads             Latency `json:"reads"`
	ReadRate          int     `json:"read_rate_target"`
	ReadRateAchieved  float64 `json:"read_rate_achieved"`
	ReadsDuringIngest int     `json:"reads_during_ingest"`
	// IdleReads is the same read, at the same rate, before ingestion
	// starts: the baseline.
	IdleReads Latency `json:"idle_reads"`

	// Commits describes the group commits of the track phase.
	Commits CommitStats `json:"commits"`

	// Checked leads had their stored events counted after the run: Stored
	// of the Sent events to them are in the database. Scored is the number
	// of leads with a score. They show that the run did what it claims.
	Checked int   `json:"checked_leads"`
	Sent    int64 `json:"sent_events"`
	Stored  int64 `json:"stored_events"`
	Scored  int64 `json:"scored_leads"`
}

// CommitStats describes the service's transactions: how many messages each
// committed (the effect of group commit), how long each took, and how much
// of that was evaluating leads.
type CommitStats struct {
	Transactions  int     `json:"transactions"`
	MeanMessages  float64 `json:"mean_messages"`
	Latency       Latency `json:"latency"`
	LeadsScored   int     `json:"leads_scored"`
	ScoringShare  float64 `json:"scoring_share"`
	MaxQueueDepth int     `json:"max_queue_depth"`
}

// commitRecorder is the service's Metrics for the benchmark.
type commitRecorder struct {
	mu       sync.Mutex
	messages int
	commits  []time.Duration
	scored   int
	scoring  time.Duration
	maxQueue int
}

func (c *commitRecorder) reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.messages, c.commits, c.scored, c.scoring, c.maxQueue = 0, nil, 0, 0, 0
}

func (c *commitRecorder) EventsIngested(leadscore.IngestStatus, int) {}
func (c *commitRecorder) DueLeads(int)                               {}

func (c *commitRecorder) BatchCommitted(messages int, d time.Duration) {
	c.mu.Lock()
	c.messages += messages
	c.commits = append(c.commits, d)
	c.mu.Unlock()
}

func (c *commitRecorder) LeadsScored(n int, d time.Duration) {
	c.mu.Lock()
	c.scored += n
	c.scoring += d
	c.mu.Unlock()
}

func (c *commitRecorder) WebhookAttempted(string, time.Duration, bool) {}

func (c *commitRecorder) QueueDepth(n int) {
	c.mu.Lock()
	c.maxQueue = max(c.maxQueue, n)
	c.mu.Unlock()
}

func (c *commitRecorder) summary() CommitStats {
	c.mu.Lock()
	defer c.mu.Unlock()
	st := CommitStats{Transactions: len(c.commits), LeadsScored: c.scored, MaxQueueDepth: c.maxQueue}
	var total time.Duration
	for _, d := range c.commits {
		total += d
	}
	if len(c.commits) > 0 {
		st.MeanMessages = float64(c.messages) / float64(len(c.commits))
	}
	if total > 0 {
		st.ScoringShare = float64(c.scoring) / float64(total)
	}
	st.Latency = summarise(slices.Clone(c.commits))
	return st
}

// Phase is one timed ingestion phase.
type Phase struct {
	Requests  int           `json:"requests"`
	Messages  int           `json:"messages"`
	Accepted  int           `json:"accepted"`
	Elapsed   time.Duration `json:"elapsed_ns"`
	PerSecond float64       `json:"messages_per_second"`
	Latency   Latency       `json:"request_latency"`
}

// RunIngest starts the service with the example model on a fresh database,
// serves its HTTP API on a loopback port, and measures ingestion through
// /v1/batch, raw inserts, and reads while ingesting. Everything is bounded
// by counts; nothing leaves the loopback interface.
func RunIngest(ctx context.Context, opts IngestOptions) (rep *IngestReport, err error) {
	opts = opts.withDefaults()
	opts.Progress("opening the database")
	store, closeStore, err := openEmptyStore(ctx, opts.DSN, opts.Logger)
	if err != nil {
		return nil, err
	}
	defer func() { err = errors.Join(err, closeStore()) }()
	checker := quality.NewChecker()
	commits := &commitRecorder{}
	svc, err := service.New(service.Config{Store: store, Clock: time.Now, Checker: checker, Logger: opts.Logger,
		DueInterval: time.Hour, Metrics: commits, CacheSize: opts.CacheSize, MaxBatch: opts.MaxBatch})
	if err != nil {
		return nil, err
	}
	if err := svc.Start(ctx); err != nil {
		return nil, err
	}
	defer func() { err = errors.Join(err, svc.Close()) }()
	// Say what failed before the deferred shutdown, which may take a while
	// with work still queued.
	defer func() {
		if err != nil {
			opts.Progress("failed: " + err.Error())
		}
	}()

	if _, err := activateExample(ctx, svc); err != nil {
		return nil, err
	}
	writeKey, err := svc.CreateAPIKey(ctx, "bench", []leadscore.Scope{leadscore.ScopeWrite})
	if err != nil {
		return nil, err
	}
	readKey, err := svc.CreateAPIKey(ctx, "bench-read", []leadscore.Scope{leadscore.ScopeRead})
	if err != nil {
		return nil, err
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	srv := &http.Server{Handler: httpapi.NewServer(httpapi.Config{
		Service: svc, Logger: opts.Logger, Clock: time.Now,
		// The benchmark's clients are the load: a per-key rate limit
		// would measure the limiter.
		Limits: httpapi.Limits{RatePerSecond: -1},
	}), ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	defer srv.Close()
	base := "http://" + ln.Addr().String()
	client := &http.Client{Timeout: time.Minute, Transport: &http.Transport{
		MaxIdleConns: 4 * opts.Clients, MaxIdleConnsPerHost: 4 * opts.Clients, IdleConnTimeout: time.Minute,
	}}
	defer client.CloseIdleConnections()

	rep = &IngestReport{Dialect: store.Dialect(), GOMAXPROCS: runtime.GOMAXPROCS(0), Leads: opts.Leads, Clients: opts.Clients,
		BatchSize: opts.BatchSize, RawBatch: opts.RawBatch, ReadRate: opts.ReadRate}
	gen := newEventGen(opts.Seed, opts.Leads, time.Now().UTC())

	opts.Progress(fmt.Sprintf("identifying %d leads", opts.Leads))
	idBodies := gen.identifyBodies(opts.BatchSize)
	if rep.Identify, err = sendAll(ctx, client, base, writeKey.Secret, idBodies, opts.Clients, nil); err != nil {
		return nil, fmt.Errorf("identify phase: %w", err)
	}
	svc.Settle()

	opts.Progress("reading leads with nothing else running")
	idle := readLoad(ctx, client, base, readKey.Secret, gen, opts.ReadRate, min(opts.ReadCount, opts.ReadRate), &atomic.Bool{})
	if idle.err != nil {
		return nil, fmt.Errorf("idle reads: %w", idle.err)
	}
	rep.IdleReads = summarise(idle.lat)

	opts.Progress(fmt.Sprintf("sending %d requests of %d events from %d clients, reading at %d/s", opts.Requests, opts.BatchSize, opts.Clients, opts.ReadRate))
	trackBodies, events := gen.trackBodies(opts.Requests, opts.BatchSize)
	commits.reset()
	var ingesting atomic.Bool
	ingesting.Store(true)
	readsDone := make(chan readResult, 1)
	started := make(chan struct{})
	go func() {
		<-started
		readsDone <- readLoad(ctx, client, base, readKey.Secret, gen, opts.ReadRate, opts.ReadCount, &ingesting)
	}()
	rep.Track, err = sendAll(ctx, client, base, writeKey.Secret, trackBodies, opts.Clients, started)
	ingesting.Store(false)
	reads := <-readsDone
	if err != nil {
		return nil, fmt.Errorf("track phase: %w", err)
	}
	if reads.err != nil {
		return nil, fmt.Errorf("reads: %w", reads.err)
	}
	rep.Reads, rep.ReadsDuringIngest, rep.ReadRateAchieved = summarise(reads.lat), reads.during, reads.rate
	svc.Settle()
	rep.Commits = commits.summary()

	opts.Progress(fmt.Sprintf("inserting the same %d events without scoring, %d per transaction", len(events), opts.RawBatch))
	raw, err := rawInsert(ctx, store.Workspace("bench-raw"), events, opts.RawBatch)
	if err != nil {
		return nil, fmt.Errorf("raw insert: %w", err)
	}
	rep.RawInsertPerSecond = raw
	if rep.Track.PerSecond > 0 {
		rep.ScoringOverhead = raw / rep.Track.PerSecond
	}

	ws := store.Workspace(leadscore.DefaultWorkspace)
	if rep.Scored, err = countScored(ctx, ws); err != nil {
		return nil, err
	}
	sample := gen.sample(1000)
	rep.Checked = len(sample)
	for _, i := range sample {
		evs, err := ws.Events(ctx, gen.leadID(i), 0)
		if err != nil {
			return nil, err
		}
		rep.Stored += int64(len(evs))
		rep.Sent += int64(gen.sent[i])
	}
	return rep, nil
}

// activateExample uploads and activates the example models and returns
// the ids of their re-scoring jobs.
func activateExample(ctx context.Context, svc *service.Service) ([]string, error) {
	src, err := examples.Files.ReadFile(examples.ModelFile)
	if err != nil {
		return nil, err
	}
	up, err := svc.UploadModel(ctx, examples.ModelFile, src, "bench")
	if err != nil {
		return nil, err
	}
	var jobs []string
	for _, v := range up.Versions {
		job, err := svc.ActivateModel(ctx, v.Name, v.Version)
		if err != nil {
			return nil, err
		}
		jobs = append(jobs, job.ID)
	}
	return jobs, nil
}

// sendAll posts bodies to /v1/batch from clients goroutines and measures
// each request. started, if not nil, is closed when the first request is
// sent.
func sendAll(ctx context.Context, client *http.Client, base, key string, bodies []body, clients int, started chan struct{}) (Phase, error) {
	var (
		next     atomic.Int64
		mu       sync.Mutex
		lat      = make([]time.Duration, 0, len(bodies))
		accepted atomic.Int64
		messages atomic.Int64
		firstErr error
		wg       sync.WaitGroup
		once     sync.Once
	)
	start := time.Now()
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			mine := make([]time.Duration, 0, len(bodies)/clients+1)
			defer func() { mu.Lock(); lat = append(lat, mine...); mu.Unlock() }()
			for {
				i := int(next.Add(1) - 1)
				if i >= len(bodies) || ctx.Err() != nil {
					return
				}
				if started != nil {
					once.Do(func() { close(started) })
				}
				t0 := time.Now()
				err := postBatch(ctx, client, base, key, bodies[i].data)
				mine = append(mine, time.Since(t0))
				if err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = err
					}
					mu.Unlock()
					next.Store(int64(len(bodies))) // stop everyone
					return
				}
				// A batch with nothing rejected is answered with success
				// alone: every message was stored.
				accepted.Add(int64(bodies[i].messages))
				messages.Add(int64(bodies[i].messages))
			}
		}()
	}
	wg.Wait()
	if started != nil {
		once.Do(func() { close(started) })
	}
	elapsed := time.Since(start)
	if firstErr == nil {
		firstErr = ctx.Err()
	}
	p := Phase{Requests: len(lat), Messages: int(messages.Load()), Accepted: int(accepted.Load()), Elapsed: elapsed, Latency: summarise(lat)}
	if elapsed > 0 {
		p.PerSecond = float64(p.Accepted) / elapsed.Seconds()
	}
	return p, firstErr
}

// body is one request body with the number of messages it holds.
type body struct {
	data     []byte
	messages int
}

type batchResponse struct {
	Success  bool `json:"success"`
	Rejected int  `json:"rejected"`
	Results  []struct {
		Error string `json:"error"`
	} `json:"results"`
}

// postBatch sends one /v1/batch request; the generated messages are all
// valid, so a rejection is an error of the benchmark or the server.
func postBatch(ctx context.Context, client *http.Client, base, key string, data []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/v1/batch", bytes.NewReader(data))
	if err != nil {
		return err
	}
	req.SetBasicAuth(key, "")
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("POST /v1/batch: %s: %s", resp.Status, truncateBytes(out, 300))
	}
	var res batchResponse
	if err := json.Unmarshal(out, &res); err != nil {
		return fmt.Errorf("POST /v1/batch: %w", err)
	}
	if !res.Success || res.Rejected > 0 {
		return fmt.Errorf("POST /v1/batch rejected generated messages: %s", truncateBytes(out, 300))
	}
	return nil
}

type readResult struct {
	lat    []time.Duration
	during int
	rate   float64
	err    error
}

// readLoad sends count reads paced at rate per second, each from its own
// goroutine at its scheduled time so that a slow answer does not delay
// the next request (which would hide latency).
func readLoad(ctx context.Context, client *http.Client, base, key string, gen *eventGen, rate, count int, ingesting *atomic.Bool) readResult {
	rng := rand.New(rand.NewPCG(gen.seed, 99))
	ids := make([]string, count)
	for i := range ids {
		ids[i] = gen.leadID(rng.IntN(gen.leads))
	}
	lat := make([]time.Duration, count)
	var (
		wg       sync.WaitGroup
		during   atomic.Int64
		errMu    sync.Mutex
		firstErr error
	)
	interval := time.Second / time.Duration(rate)
	start := time.Now()
	for i := range count {
		if d := time.Until(start.Add(time.Duration(i) * interval)); d > 0 {
			time.Sleep(d)
		}
		if ctx.Err() != nil {
			break
		}
		if ingesting.Load() {
			during.Add(1)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			t0 := time.Now()
			err := getLead(ctx, client, base, key, ids[i])
			lat[i] = time.Since(t0)
			if err != nil {
				errMu.Lock()
				if firstErr == nil {
					firstErr = err
				}
				errMu.Unlock()
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	return readResult{lat: lat, during: int(during.Load()), rate: float64(count) / elapsed.Seconds(), err: firstErr}
}

func getLead(ctx context.Context, client *http.Client, base, key, id string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/api/v1/leads/"+id, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	var view leadscore.LeadView
	if resp.StatusCode != http.StatusOK {
		data, _ := io.ReadAll(resp.Body)
		return fmt.Errorf("GET /api/v1/leads/%s: %s: %s", id, resp.Status, truncateBytes(data, 300))
	}
	if err := json.NewDecoder(resp.Body).Decode(&view); err != nil {
		return fmt.Errorf("GET /api/v1/leads/%s: %w", id, err)
	}
	if len(view.Scores) == 0 || view.Scores[0].Evaluation == nil {
		return fmt.Errorf("GET /api/v1/leads/%s: no score with its explanation", id)
	}
	return nil
}

// rawInsert writes the events into ws in transactions of batch events,
// with no scoring, and returns events per second.
func rawInsert(ctx context.Context, ws leadscore.WorkspaceStore, events []leadscore.StoredEvent, batch int) (float64, error) {
	start := time.Now()
	for i := 0; i < len(events); i += batch {
		chunk := events[i:min(i+batch, len(events))]
		err := ws.Write(ctx, func(tx leadscore.Tx) error {
			for j := range chunk {
				e := chunk[j]
				if _, err := tx.InsertEvent(ctx, &e); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return 0, err
		}
	}
	return float64(len(events)) / time.Since(start).Seconds(), nil
}

func countScored(ctx context.Context, ws leadscore.WorkspaceStore) (int64, error) {
	var n int64
	after := ""
	for {
		rows, next, err := ws.ListLeads(ctx, leadscore.LeadFilter{Model: "b2b-saas", OrderBy: "score", After: after, Limit: 1000})
		if err != nil {
			return 0, err
		}
		n += int64(len(rows))
		if next == "" || len(rows) == 0 {
			return n, nil
		}
		after = next
	}
}

// eventGen makes Segment payloads for the benchmark: deterministic for a
// seed, with event types and properties that the example model scores.
type eventGen struct {
	seed  uint64
	leads int
	now   time.Time
	rng   *rand.Rand
	// sent counts the tracked events sent to each lead, for the final
	// check.
	sent map[int]int
}

func newEventGen(seed uint64, leads int, now time.Time) *eventGen {
	return &eventGen{seed: seed, leads: leads, now: now, rng: rand.New(rand.NewPCG(seed, 7)), sent: map[int]int{}}
}

func (g *eventGen) leadID(i int) string { return "bench-" + strconv.Itoa(i) }

// sample returns up to n of the leads that were sent events, the lowest
// numbers first.
func (g *eventGen) sample(n int) []int {
	ids := make([]int, 0, len(g.sent))
	for i := range g.sent {
		ids = append(ids, i)
	}
	slices.Sort(ids)
	return ids[:min(n, len(ids))]
}

var (
	benchTitles     = []string{"VP Marketing", "Marketing Manager", "Director of Sales", "Software Engineer", "Head of Growth", "CEO", "Student", "Analyst"}
	benchIndustries = []string{"Software", "Internet", "Financial Services", "Retail", "Manufacturing", "Marketing"}
	benchPaths      = []string{"/pricing", "/blog/lead-scoring", "/docs", "/product", "/careers", "/pricing/enterprise", "/"}
	benchTypes      = []struct {
		typ    string
		weight int
	}{{"page", 40}, {"email.opened", 25}, {"email.clicked", 10}, {"session.started", 12}, {"form.submitted", 5},
		{"webinar.attended", 3}, {"trial.started", 2}, {"demo.requested", 1}, {"email.unsubscribed", 1}, {"email.bounced", 1}}
)

// randomType draws an event type with the weights of benchTypes.
func randomType(rng *rand.Rand) string {
	total := 0
	for _, t := range benchTypes {
		total += t.weight
	}
	w := rng.IntN(total)
	for _, t := range benchTypes {
		if w < t.weight {
			return t.typ
		}
		w -= t.weight
	}
	return benchTypes[0].typ
}

type segMsg struct {
	Type       string         `json:"type"`
	MessageID  string         `json:"messageId"`
	UserID     string         `json:"userId"`
	Event      string         `json:"event,omitempty"`
	Name       string         `json:"name,omitempty"`
	Timestamp  string         `json:"timestamp"`
	Traits     map[string]any `json:"traits,omitempty"`
	Properties map[string]any `json:"properties,omitempty"`
}

func mustBatch(msgs []segMsg) body {
	b, err := json.Marshal(map[string]any{"batch": msgs})
	if err != nil {
		panic(err) // only maps of strings and numbers: cannot fail
	}
	return body{data: b, messages: len(msgs)}
}

// identifyBodies identifies every lead, with a title and a company of
// five people. A company's facts are the same in each of its people's
// traits, as they are in real traffic: facts that change re-score every
// person of the account.
func (g *eventGen) identifyBodies(size int) []body {
	var bodies []body
	var msgs []segMsg
	ts := g.now.Add(-30 * 24 * time.Hour).Format(time.RFC3339Nano)
	for i := range g.leads {
		company := i / 5
		msgs = append(msgs, segMsg{Type: "identify", MessageID: "id-" + strconv.Itoa(i), UserID: g.leadID(i), Timestamp: ts,
			Traits: map[string]any{
				"email": fmt.Sprintf("person%d@company%d.com", i, company),
				"title": benchTitles[g.rng.IntN(len(benchTitles))],
				"company": map[string]any{"name": fmt.Sprintf("Company %d", company), "domain": fmt.Sprintf("company%d.com", company),
					"employees": 10 + (company*7919)%5000, "industry": benchIndustries[company%len(benchIndustries)]},
			}})
		if len(msgs) == size {
			bodies, msgs = append(bodies, mustBatch(msgs)), nil
		}
	}
	if len(msgs) > 0 {
		bodies = append(bodies, mustBatch(msgs))
	}
	return bodies
}

// trackBodies makes requests bodies of size tracked events for random
// leads over the last week, and the same events as stored rows for the
// raw insert.
func (g *eventGen) trackBodies(requests, size int) ([]body, []leadscore.StoredEvent) {
	bodies := make([]body, 0, requests)
	events := make([]leadscore.StoredEvent, 0, requests*size)
	n := 0
	for range requests {
		msgs := make([]segMsg, 0, size)
		for range size {
			lead := g.rng.IntN(g.leads)
			g.sent[lead]++
			at := g.now.Add(-time.Duration(g.rng.Int64N(int64(7 * 24 * time.Hour))))
			typ := randomType(g.rng)
			m := segMsg{MessageID: "ev-" + strconv.Itoa(n), UserID: g.leadID(lead), Timestamp: at.Format(time.RFC3339Nano)}
			n++
			stored := leadscore.StoredEvent{Event: leadscore.Event{ID: m.MessageID, LeadID: m.UserID, At: at, Source: "bench"},
				MessageID: m.MessageID, ReceivedAt: g.now}
			if typ == "page" {
				path := benchPaths[g.rng.IntN(len(benchPaths))]
				m.Type, m.Name, m.Properties = "page", "Page", map[string]any{"path": path, "url": "https://example.com" + path}
				stored.Type = "page.viewed"
			} else {
				m.Type, m.Event = "track", typ
				m.Properties = map[string]any{"campaign": "bench-" + strconv.Itoa(g.rng.IntN(20))}
				stored.Type = typ
			}
			stored.Properties = m.Properties
			msgs = append(msgs, m)
			events = append(events, stored)
		}
		bodies = append(bodies, mustBatch(msgs))
	}
	return bodies, events
}

func truncateBytes(b []byte, n int) string {
	if len(b) <= n {
		return string(b)
	}
	return string(b[:n]) + "…"
}

// WriteText prints the report for a person, with the targets it is held
// to.
func (r *IngestReport) WriteText(w io.Writer) {
	ms := func(d time.Duration) string { return fmt.Sprintf("%.1fms", float64(d)/1e6) }
	fmt.Fprintf(w, "service benchmark on %s: %d leads, %d clients, %d events per request, GOMAXPROCS %d\n",
		r.Dialect, r.Leads, r.Clients, r.BatchSize, r.GOMAXPROCS)
	fmt.Fprintf(w, "  identify (setup)   %8d messages in %-8s %9.0f msgs/s   request p50 %-8s p99 %s\n",
		r.Identify.Accepted, r.Identify.Elapsed.Round(time.Millisecond), r.Identify.PerSecond, ms(r.Identify.Latency.P50), ms(r.Identify.Latency.P99))
	fmt.Fprintf(w, "  track via /v1/batch %7d events   in %-8s %9.0f events/s request p50 %-8s p99 %-8s max %s  (target >= 20000/s, p99 <= 100ms)\n",
		r.Track.Accepted, r.Track.Elapsed.Round(time.Millisecond), r.Track.PerSecond, ms(r.Track.Latency.P50), ms(r.Track.Latency.P99), ms(r.Track.Latency.Max))
	fmt.Fprintf(w, "  group commit: %d transactions, %.0f messages each on average, commit p50 %s p99 %s, %.0f%% of commit time scoring %d leads; queue depth up to %d\n",
		r.Commits.Transactions, r.Commits.MeanMessages, ms(r.Commits.Latency.P50), ms(r.Commits.Latency.P99), 100*r.Commits.ScoringShare, r.Commits.LeadsScored, r.Commits.MaxQueueDepth)
	fmt.Fprintf(w, "  raw insert, no scoring (%d per transaction): %.0f events/s; scoring service is %.2fx slower\n",
		r.RawBatch, r.RawInsertPerSecond, r.ScoringOverhead)
	fmt.Fprintf(w, "  read lead + explanation while ingesting: n=%d (%d during ingest) at %.0f/s  p50 %s p90 %s p99 %s max %s  (target p99 <= 5ms)\n",
		r.Reads.Count, r.ReadsDuringIngest, r.ReadRateAchieved, ms(r.Reads.P50), ms(r.Reads.P90), ms(r.Reads.P99), ms(r.Reads.Max))
	fmt.Fprintf(w, "  the same read with nothing else running: n=%d  p50 %s p90 %s p99 %s max %s\n",
		r.IdleReads.Count, ms(r.IdleReads.P50), ms(r.IdleReads.P90), ms(r.IdleReads.P99), ms(r.IdleReads.Max))
	fmt.Fprintf(w, "  check: %d of %d events sent to %d sampled leads are stored; %d leads have a score\n", r.Stored, r.Sent, r.Checked, r.Scored)
}
