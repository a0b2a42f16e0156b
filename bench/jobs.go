package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/leadscore/leadscore"
	"github.com/leadscore/leadscore/quality"
	"github.com/leadscore/leadscore/service"
	"github.com/leadscore/leadscore/sqlstore"
)

// JobsOptions sizes the background-jobs benchmark: re-scoring every lead
// when a model is activated, and the time job re-scoring the leads whose
// scores are due to change. Zero values take the defaults noted.
type JobsOptions struct {
	// DSN is the database, as for IngestOptions (default: a temporary
	// SQLite file).
	DSN string
	// Leads is the number of leads stored before the model is activated
	// (default 100,000), with EventsPerLead events each over the last 90
	// days (default 10), in accounts of five people.
	Leads         int
	EventsPerLead int
	// DuePercent is the share of leads made due for the time job (default 1).
	DuePercent float64
	Seed       uint64
	Progress   func(phase string)
	Logger     *slog.Logger
}

func (o JobsOptions) withDefaults() JobsOptions {
	if o.Leads <= 0 {
		o.Leads = 100_000
	}
	if o.EventsPerLead <= 0 {
		o.EventsPerLead = 10
	}
	if o.DuePercent <= 0 {
		o.DuePercent = 1
	}
	if o.Seed == 0 {
		o.Seed = 1
	}
	if o.Progress == nil {
		o.Progress = func(string) {}
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return o
}

// JobsReport is what RunJobs measured.
type JobsReport struct {
	Dialect    string   `json:"dialect"`
	GOMAXPROCS int      `json:"gomaxprocs"`
	Leads      int      `json:"leads"`
	Events     int      `json:"events"`
	Seed       JobPhase `json:"seed"`
	Activation JobPhase `json:"activation"`
	DueLeads   int      `json:"due_leads"`
	Due        JobPhase `json:"due"`
	DueShare   float64  `json:"due_percent"`
}

// JobPhase is one timed step: N items (events or leads) in Elapsed.
type JobPhase struct {
	N         int64         `json:"n"`
	Elapsed   time.Duration `json:"elapsed_ns"`
	PerSecond float64       `json:"per_second"`
}

func timed(n int64, start time.Time) JobPhase {
	p := JobPhase{N: n, Elapsed: time.Since(start)}
	p.PerSecond = float64(n) / p.Elapsed.Seconds()
	return p
}

// openEmptyStore opens the benchmark's database: dsn, which must hold no
// leads, or a SQLite file in a temporary directory that closing removes.
func openEmptyStore(ctx context.Context, dsn string, logger *slog.Logger) (*sqlstore.Store, func() error, error) {
	var dir string
	if dsn == "" {
		var err error
		if dir, err = os.MkdirTemp("", "leadscore-bench-"); err != nil {
			return nil, nil, err
		}
		dsn = filepath.Join(dir, "bench.db")
	}
	removeDir := func() error {
		if dir == "" {
			return nil
		}
		return os.RemoveAll(dir)
	}
	store, err := sqlstore.Open(ctx, dsn, sqlstore.Options{Logger: logger})
	if err != nil {
		return nil, nil, errors.Join(err, removeDir())
	}
	closeAll := func() error { return errors.Join(store.Close(), removeDir()) }
	n, err := store.Workspace(leadscore.DefaultWorkspace).CountLeads(ctx)
	if err == nil && n > 0 {
		err = fmt.Errorf("the database already holds %d leads: the benchmark needs an empty one", n)
	}
	if err != nil {
		return nil, nil, errors.Join(err, closeAll())
	}
	return store, closeAll, nil
}

// RunJobs stores leads and events straight into the database, activates
// the example models (which scores every lead in the background, as any
// activation of a new version does) and waits for the job, then marks a
// share of the leads due and times one run of the time job over them.
func RunJobs(ctx context.Context, opts JobsOptions) (rep *JobsReport, err error) {
	opts = opts.withDefaults()
	opts.Progress("opening the database")
	store, closeStore, err := openEmptyStore(ctx, opts.DSN, opts.Logger)
	if err != nil {
		return nil, err
	}
	defer func() { err = errors.Join(err, closeStore()) }()
	ws := store.Workspace(leadscore.DefaultWorkspace)
	rep = &JobsReport{Dialect: store.Dialect(), GOMAXPROCS: runtime.GOMAXPROCS(0), Leads: opts.Leads,
		Events: opts.Leads * opts.EventsPerLead, DueShare: opts.DuePercent}

	now := time.Now().UTC()
	opts.Progress(fmt.Sprintf("storing %d leads with %d events each", opts.Leads, opts.EventsPerLead))
	start := time.Now()
	if err := seedLeads(ctx, ws, opts, now); err != nil {
		return nil, fmt.Errorf("storing leads: %w", err)
	}
	rep.Seed = timed(int64(rep.Events), start)

	clock := &benchClock{}
	clock.now.Store(now.UnixNano())
	svc, err := service.New(service.Config{Store: store, Clock: clock.Now, Checker: quality.NewChecker(), Logger: opts.Logger,
		DueInterval: 24 * time.Hour})
	if err != nil {
		return nil, err
	}
	if err := svc.Start(ctx); err != nil {
		return nil, err
	}
	defer func() { err = errors.Join(err, svc.Close()) }()

	opts.Progress("activating the example models: every lead is scored")
	start = time.Now()
	if err := activateAndWait(ctx, svc); err != nil {
		return nil, err
	}
	// Re-scoring an account's people again when the job changed what the
	// service knows of the account is part of the activation's work.
	svc.Settle()
	rep.Activation = timed(int64(opts.Leads), start)

	// The time job finds due leads by their scores' next change. Mark a
	// share of them due now, as a decay step or a closing window would.
	rng := rand.New(rand.NewPCG(opts.Seed, 11))
	due := int(float64(opts.Leads) * opts.DuePercent / 100)
	bulk, ok := ws.(leadscore.BulkReader)
	if !ok {
		return nil, errors.New("the store cannot read in bulk")
	}
	picked := map[int]bool{}
	for len(picked) < due {
		picked[rng.IntN(opts.Leads)] = true
	}
	ids := make([]string, 0, due)
	for i := range picked {
		ids = append(ids, seedLeadID(i))
	}
	scores, err := bulk.ScoresOf(ctx, ids)
	if err != nil {
		return nil, err
	}
	var records []*leadscore.ScoreRecord
	for _, list := range scores {
		for i := range list {
			list[i].NextChangeAt = now.Add(time.Minute)
			records = append(records, &list[i])
		}
	}
	err = ws.Write(ctx, func(tx leadscore.Tx) error {
		btx, ok := tx.(leadscore.BulkTx)
		if !ok {
			return errors.New("the store cannot write in bulk")
		}
		return btx.PutScores(ctx, records)
	})
	if err != nil {
		return nil, err
	}
	clock.advance(2 * time.Minute)
	opts.Progress(fmt.Sprintf("running the time job over %d due leads", due))
	start = time.Now()
	rep.DueLeads = svc.RunDue(ctx)
	svc.Settle()
	rep.Due = timed(int64(rep.DueLeads), start)
	return rep, nil
}

func seedLeadID(i int) string { return "seed-" + strconv.Itoa(i) }

// seedLeads writes leads, their accounts and their events in large
// transactions, bypassing scoring.
func seedLeads(ctx context.Context, ws leadscore.WorkspaceStore, opts JobsOptions, now time.Time) error {
	rng := rand.New(rand.NewPCG(opts.Seed, 7))
	const perTx = 2000
	for lo := 0; lo < opts.Leads; lo += perTx {
		hi := min(lo+perTx, opts.Leads)
		err := ws.Write(ctx, func(tx leadscore.Tx) error {
			btx, ok := tx.(leadscore.BulkTx)
			if !ok {
				return errors.New("the store cannot write in bulk")
			}
			var leads []*leadscore.Lead
			var events []*leadscore.StoredEvent
			for i := lo; i < hi; i++ {
				company := i / 5
				domain := fmt.Sprintf("company%d.com", company)
				if i%5 == 0 || i == lo {
					employees := int64(10 + (company*7919)%5000)
					if err := tx.UpsertAccount(ctx, &leadscore.Account{ID: domain, Domain: domain, Name: "Company " + strconv.Itoa(company),
						Industry: benchIndustries[company%len(benchIndustries)], Employees: &employees}); err != nil {
						return err
					}
				}
				id := seedLeadID(i)
				leads = append(leads, &leadscore.Lead{ID: id, Email: fmt.Sprintf("person%d@%s", i, domain),
					Title: benchTitles[rng.IntN(len(benchTitles))], AccountID: domain, CreatedAt: now.Add(-120 * 24 * time.Hour)})
				for k := range opts.EventsPerLead {
					at := now.Add(-time.Duration(rng.Int64N(int64(90 * 24 * time.Hour))))
					typ := randomType(rng)
					props := map[string]any{"campaign": "bench-" + strconv.Itoa(rng.IntN(20))}
					if typ == "page" {
						typ = "page.viewed"
						path := benchPaths[rng.IntN(len(benchPaths))]
						props = map[string]any{"path": path, "url": "https://example.com" + path}
					}
					msg := id + "-" + strconv.Itoa(k)
					events = append(events, &leadscore.StoredEvent{Event: leadscore.Event{ID: msg, LeadID: id, Type: typ, At: at,
						Source: "seed", Properties: props}, MessageID: msg, ReceivedAt: at})
				}
			}
			if err := btx.UpsertLeads(ctx, leads); err != nil {
				return err
			}
			_, err := btx.InsertEvents(ctx, events)
			return err
		})
		if err != nil {
			return err
		}
		opts.Progress(fmt.Sprintf("stored %d of %d leads", hi, opts.Leads))
	}
	return nil
}

// activateAndWait uploads and activates the example models and waits for
// their re-scoring jobs to finish, as a user watching /api/v1/jobs would.
func activateAndWait(ctx context.Context, svc *service.Service) error {
	jobs, err := activateExample(ctx, svc)
	if err != nil {
		return err
	}
	for _, id := range jobs {
		for {
			job, err := svc.Job(ctx, id)
			if err != nil {
				return err
			}
			if job.State == leadscore.JobFailed {
				return fmt.Errorf("activation job %s failed: %s", id, job.Error)
			}
			if job.State == leadscore.JobSucceeded {
				break
			}
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(50 * time.Millisecond):
			}
		}
	}
	return nil
}

// benchClock is a clock the benchmark moves forward, so that leads it
// marks due are due for the time job. The service reads it from its own
// goroutines.
type benchClock struct{ now atomic.Int64 }

func (c *benchClock) Now() time.Time          { return time.Unix(0, c.now.Load()).UTC() }
func (c *benchClock) advance(d time.Duration) { c.now.Add(int64(d)) }

// WriteText prints the report for a person.
func (r *JobsReport) WriteText(w io.Writer) {
	fmt.Fprintf(w, "background jobs on %s: %d leads, %d events, GOMAXPROCS %d\n", r.Dialect, r.Leads, r.Events, r.GOMAXPROCS)
	fmt.Fprintf(w, "  store leads and events (setup) %9d events in %-10s %8.0f events/s\n", r.Seed.N, r.Seed.Elapsed.Round(time.Millisecond), r.Seed.PerSecond)
	fmt.Fprintf(w, "  activation: score every lead  %9d leads  in %-10s %8.0f leads/s  (target: 1,000,000 leads <= 3 min)\n",
		r.Activation.N, r.Activation.Elapsed.Round(time.Millisecond), r.Activation.PerSecond)
	fmt.Fprintf(w, "  time job: %.1f%% of leads due   %9d leads  in %-10s %8.0f leads/s  (target: 1%% of 1,000,000 <= 5s)\n",
		r.DueShare, r.DueLeads, r.Due.Elapsed.Round(time.Millisecond), r.Due.PerSecond)
}
