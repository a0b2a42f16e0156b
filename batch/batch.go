// Package batch scores files of leads and events offline, in bounded memory
// and on all cores. It is the engine behind `leadscore score`.
//
// The pipeline has four steps, so that a million leads with twenty million
// events never need to be in memory at once:
//
//  1. Leads are read in file order, each is given a sequence number and
//     spilled to one of K bucket files chosen by a hash of its account key,
//     so that all people of an account land together (account signals need
//     them). Only a map from lead key to sequence number stays in memory.
//  2. Events are parsed on all cores and appended to their lead's bucket.
//  3. Buckets are scored in parallel, one bucket per worker at a time; each
//     writes its output rows, in sequence order, to its own file.
//  4. The final output is assembled in input order by walking the sequence
//     numbers and taking the next row from the bucket each lead went to.
//
// All temporary files live in one directory that is removed at the end,
// also when the run fails or is cancelled.
package batch

import (
	"context"
	"fmt"
	"io"
	"os"
	"runtime"
	"sync"
	"time"

	"github.com/leadscore/leadscore"
	"github.com/leadscore/leadscore/quality"
	"github.com/leadscore/leadscore/scoring"
)

// Format is the output format.
type Format string

const (
	CSV   Format = "csv"
	JSONL Format = "jsonl"
)

// Config describes one run.
type Config struct {
	Set *scoring.Set
	// Checker supplies email and user-agent facts; nil builds one.
	Checker *quality.Checker
	// Leads is the path of the lead file (.csv, .tsv, .jsonl, optionally
	// .gz). Events are paths of JSONL event files; none is allowed.
	Leads  string
	Events []string
	// AsOf is the instant scores are computed for. Events after it are
	// counted and passed to the engine, which scores none of them but dates
	// the next change by the first. It must be set: the pipeline never
	// reads the clock.
	AsOf    time.Time
	Format  Format
	Explain bool
	// Workers bounds parallelism (0: GOMAXPROCS). Buckets is the number of
	// bucket files (0: 128). TempDir is where the run's directory is made
	// ("" : os.TempDir()).
	Workers int
	Buckets int
	TempDir string
	// LineIDs accepts a CSV lead file whose header has neither an id nor an
	// email column (a plain export of a data set): its leads are named by
	// their line, "line-2" onwards, and Stats.LineIDs is set. Without it
	// such a file is refused.
	LineIDs bool
	// CheckLead, when set, sees every lead that is kept (duplicates are
	// not), in file order, before it is spilled. Each reason it returns is
	// reported as a problem of the lead's line; the lead is kept all the
	// same. It lets a caller report on columns it only reads later, when
	// leads no longer come in file order. It is never called concurrently.
	CheckLead func(l *leadscore.Lead) []string
	// OnProblem receives every rejected row or line, in file order. It is
	// never called concurrently.
	OnProblem func(Problem)
	// Progress receives progress reports. It is never called concurrently.
	Progress func(Progress)
}

// Problem is one rejected row or line.
type Problem struct {
	File   string
	Line   int
	Reason string
}

func (p Problem) String() string { return fmt.Sprintf("%s:%d: %s", p.File, p.Line, p.Reason) }

// Phase names a step of the pipeline.
type Phase string

const (
	PhaseLeads   Phase = "reading leads"
	PhaseEvents  Phase = "reading events"
	PhaseScoring Phase = "scoring"
	PhaseWriting Phase = "writing"
)

// Progress is a report on one phase. Unit says whether Done and Total
// count bytes or leads.
type Progress struct {
	Phase       Phase
	Done, Total int64
	Bytes       bool
}

// Stats summarises a run.
type Stats struct {
	LeadsRead   int64 // rows and lines holding a lead, good or bad
	LeadsScored int64
	LeadsBad    int64 // rejected rows, duplicates included
	Duplicates  int64 // rejected because the lead ID was seen before

	EventsRead        int64 // non-blank lines
	EventsUsed        int64 // filed under a scored lead
	EventsBad         int64
	EventsUnknownLead int64
	// EventsAfterAsOf counts used events dated after AsOf: they add no
	// points, but the engine takes the first as the lead's next change.
	EventsAfterAsOf int64
	// UnknownLeads holds a few lead keys of events that matched no lead,
	// so that a user can see whether the files simply do not belong
	// together.
	UnknownLeads []string
	// LineIDs is set when leads were named by their line (Config.LineIDs).
	LineIDs bool

	Elapsed time.Duration
	// Phases says where the time went, in pipeline order.
	Phases []PhaseTime
}

// PhaseTime is the wall time of one phase.
type PhaseTime struct {
	Phase    Phase
	Duration time.Duration
}

// Accounts groups rows of the same account into one bucket; a few hundred
// buckets keep each bucket small while keeping the number of open files
// modest.
const defaultBuckets = 128

// check validates a configuration for scoring (Run, ScoreLead).
func (c *Config) check() error {
	if c.Set == nil {
		return leadscore.Errorf(leadscore.CodeInvalid, "no models")
	}
	if c.AsOf.IsZero() {
		return leadscore.Errorf(leadscore.CodeInvalid, "no as-of time")
	}
	switch c.Format {
	case "":
		c.Format = CSV
	case CSV, JSONL:
	default:
		return leadscore.Errorf(leadscore.CodeInvalid, "unknown output format %q (use csv or jsonl)", c.Format)
	}
	return c.checkFiles()
}

// checkFiles validates and completes what reading the files needs, which
// is all that Each needs.
func (c *Config) checkFiles() error {
	if c.Leads == "" {
		return leadscore.Errorf(leadscore.CodeInvalid, "no lead file")
	}
	if c.Workers <= 0 {
		c.Workers = runtime.GOMAXPROCS(0)
	}
	if c.Buckets <= 0 {
		c.Buckets = defaultBuckets
	}
	if c.Buckets > 1<<16 {
		return leadscore.Errorf(leadscore.CodeInvalid, "at most 65536 buckets")
	}
	if c.Checker == nil {
		c.Checker = quality.NewChecker()
	}
	return nil
}

// run is the state of one pipeline run.
type run struct {
	cfg   Config
	dir   string
	stats Stats
	// problems and progress are serialised through mu because the scoring
	// phase reports from several workers.
	mu sync.Mutex

	// index maps a lead ID to its sequence number; emails maps the
	// normalised email of leads whose ID is something else.
	index  map[string]uint32
	emails map[string]uint32
	// bucketOf and lineOf are indexed by sequence number.
	bucketOf []uint16
	lineOf   []uint32

	spill []*spillFile
	out   *outputFormat
	// mark is when the current phase began.
	mark time.Time
}

// Run scores the leads of cfg and writes one row per scored lead to out, in
// input order. Bad rows are reported through cfg.OnProblem and counted;
// they do not fail the run. The returned error is about the run itself (an
// unreadable file, a full disk, cancellation).
func Run(ctx context.Context, cfg Config, out io.Writer) (Stats, error) {
	if err := cfg.check(); err != nil {
		return Stats{}, err
	}
	return spilled(ctx, cfg, func(r *run) error {
		r.out = newOutputFormat(cfg.Set, cfg.Format, cfg.Explain)
		if err := r.score(ctx); err != nil {
			return err
		}
		r.lap(PhaseScoring)
		if err := r.merge(ctx, out); err != nil {
			return err
		}
		r.lap(PhaseWriting)
		return nil
	})
}

// spilled runs passes 1 and 2 and then next over the filled buckets, and
// removes the temporary files at the end, also after an error.
func spilled(ctx context.Context, cfg Config, next func(r *run) error) (Stats, error) {
	start := time.Now()
	r, err := spill(ctx, cfg)
	if r == nil {
		return Stats{}, err
	}
	defer r.cleanup()
	if err == nil {
		err = next(r)
	}
	if err == nil {
		r.stats.Elapsed = time.Since(start)
	}
	return r.stats, err
}

// spill runs passes 1 and 2: the leads and then the events are read and
// filed in their buckets, which are closed and ready to be read at the
// end. The returned run is nil only when nothing was created; otherwise
// its cleanup must be called, also after an error.
func spill(ctx context.Context, cfg Config) (*run, error) {
	r := &run{cfg: cfg, index: map[string]uint32{}, emails: map[string]uint32{}, mark: time.Now()}
	dir, err := os.MkdirTemp(cfg.TempDir, "leadscore-score-")
	if err != nil {
		return nil, fmt.Errorf("temporary directory: %w", err)
	}
	r.dir = dir
	if err := r.openSpill(); err != nil {
		return r, err
	}
	if err := r.readLeads(ctx); err != nil {
		return r, err
	}
	r.lap(PhaseLeads)
	for _, path := range cfg.Events {
		if err := r.readEvents(ctx, path); err != nil {
			return r, err
		}
	}
	if err := r.finishSpill(); err != nil {
		return r, err
	}
	r.lap(PhaseEvents)
	// The key maps are not needed any more; let the next phase have the
	// memory.
	r.index, r.emails = nil, nil
	return r, nil
}

// cleanup closes and removes the run's temporary files.
func (r *run) cleanup() {
	r.closeSpill()
	os.RemoveAll(r.dir)
}

// lap records the wall time of the phase that just ended.
func (r *run) lap(p Phase) {
	now := time.Now()
	r.stats.Phases = append(r.stats.Phases, PhaseTime{Phase: p, Duration: now.Sub(r.mark)})
	r.mark = now
}

func (r *run) problem(p Problem) {
	if r.cfg.OnProblem != nil {
		r.mu.Lock()
		r.cfg.OnProblem(p)
		r.mu.Unlock()
	}
}

func (r *run) progress(p Progress) {
	if r.cfg.Progress != nil {
		r.mu.Lock()
		r.cfg.Progress(p)
		r.mu.Unlock()
	}
}

// bucketFor spreads account keys over the buckets with FNV-1a, which is
// stable across runs and platforms, so a run can be reproduced exactly.
func bucketFor(key string, n int) uint16 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(key); i++ {
		h ^= uint64(key[i])
		h *= 1099511628211
	}
	return uint16(h % uint64(n))
}
