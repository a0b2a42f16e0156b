// Package bench measures the engine (and, as it grows, the service) the same
// way every time: a seeded synthetic data set, a fixed amount of work, and a
// report of throughput and latency percentiles. Tests never time anything;
// this package is where timing lives.
package bench

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"runtime"
	"slices"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/leadscore/leadscore"
	"github.com/leadscore/leadscore/ingest"
	"github.com/leadscore/leadscore/quality"
	"github.com/leadscore/leadscore/scoring"
	"github.com/leadscore/leadscore/synth"
)

// EngineOptions sizes an engine benchmark.
type EngineOptions struct {
	Leads         int
	EventsPerLead float64
	Seed          uint64
	// Workers is the number of goroutines for the throughput runs
	// (0: GOMAXPROCS).
	Workers int
	// Rounds repeats each measurement over the data set.
	Rounds int
}

// Latency summarises one operation's durations.
type Latency struct {
	Count int           `json:"count"`
	Mean  time.Duration `json:"mean_ns"`
	P50   time.Duration `json:"p50_ns"`
	P90   time.Duration `json:"p90_ns"`
	P99   time.Duration `json:"p99_ns"`
	Max   time.Duration `json:"max_ns"`
}

// EngineReport is what an engine benchmark measured.
type EngineReport struct {
	Models     []string `json:"models"`
	Leads      int      `json:"leads"`
	Events     int      `json:"events"`
	MeanEvents float64  `json:"mean_events_per_lead"`
	Workers    int      `json:"workers"`
	GOMAXPROCS int      `json:"gomaxprocs"`
	// FullEvaluation is one lead scored from scratch under every model,
	// single goroutine; FullPerSecond is leads/s on all workers.
	FullEvaluation Latency `json:"full_evaluation"`
	FullPerSecond  float64 `json:"full_leads_per_second"`
	// StateEvaluation is scoring from a lead's cached state.
	StateEvaluation Latency `json:"state_evaluation"`
	// ApplyPerSecond is events applied to cached lead states per second on
	// all workers; Apply is the single-goroutine latency of one application.
	Apply          Latency   `json:"apply"`
	ApplyPerSecond float64   `json:"apply_events_per_second"`
	AsOf           time.Time `json:"as_of"`
}

// Dataset is a synthetic data set read back through the real readers, ready
// to score.
type Dataset struct {
	Inputs []*scoring.Input
	Events int
	AsOf   time.Time
}

// NewDataset generates leads and events with the synthetic generator and
// reads them with the same readers `leadscore score` uses, grouping events by
// lead and giving each lead its account's other people as peers.
func NewDataset(ctx context.Context, opts synth.Options, checker *quality.Checker) (*Dataset, error) {
	var leadsBuf, eventsBuf bytes.Buffer
	if _, err := synth.Generate(ctx, opts, &leadsBuf, &eventsBuf, nil); err != nil {
		return nil, err
	}
	lr, err := ingest.NewLeadCSVReader(&leadsBuf, checker)
	if err != nil {
		return nil, err
	}
	ds := &Dataset{AsOf: opts.End}
	if ds.AsOf.IsZero() {
		ds.AsOf = synth.DefaultEnd
	}
	byLead := map[string]*scoring.Input{}
	byAccount := map[string][]*scoring.Input{}
	for {
		rec, err := lr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			continue // generated rows are valid; a bad one would only shrink the set
		}
		lead := rec.Lead
		in := &scoring.Input{Lead: &lead, Account: rec.Account}
		byLead[lead.ID] = in
		ds.Inputs = append(ds.Inputs, in)
		if k := rec.AccountKey(); k != "" {
			byAccount[k] = append(byAccount[k], in)
		}
	}
	er := ingest.NewEventReader(&eventsBuf, checker)
	for {
		rec, err := er.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			continue
		}
		if in, ok := byLead[rec.Event.LeadID]; ok {
			in.Events = append(in.Events, rec.Event)
			ds.Events++
		}
	}
	for _, group := range byAccount {
		for _, in := range group {
			for _, other := range group {
				if other == in {
					continue
				}
				peer := leadscore.Peer{LeadID: other.Lead.ID}
				for _, e := range other.Events {
					if !e.Bot {
						peer.Activity = append(peer.Activity, e.At)
					}
				}
				in.Peers = append(in.Peers, peer)
			}
		}
	}
	for _, in := range ds.Inputs {
		slices.SortStableFunc(in.Events, func(a, b leadscore.Event) int { return a.At.Compare(b.At) })
	}
	return ds, nil
}

// RunEngine measures full evaluation, evaluation from cached state, and
// event application on ds.
func RunEngine(ctx context.Context, set *scoring.Set, ds *Dataset, opts EngineOptions) (*EngineReport, error) {
	if len(ds.Inputs) == 0 {
		return nil, leadscore.Errorf(leadscore.CodeInvalid, "the data set has no leads")
	}
	workers := opts.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	rounds := max(opts.Rounds, 1)
	rep := &EngineReport{Models: set.Names(), Leads: len(ds.Inputs), Events: ds.Events,
		MeanEvents: float64(ds.Events) / float64(len(ds.Inputs)), Workers: workers, GOMAXPROCS: runtime.GOMAXPROCS(0), AsOf: ds.AsOf}

	// Warm up caches (event type index, regexp state) once.
	for _, in := range ds.Inputs[:min(len(ds.Inputs), 100)] {
		set.Evaluate(in, ds.AsOf)
	}

	var full []time.Duration
	for range rounds {
		for _, in := range ds.Inputs {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			start := time.Now()
			set.Evaluate(in, ds.AsOf)
			full = append(full, time.Since(start))
		}
	}
	rep.FullEvaluation = summarise(full)
	rep.FullPerSecond = parallel(workers, rounds*len(ds.Inputs), func(i int) {
		set.Evaluate(ds.Inputs[i%len(ds.Inputs)], ds.AsOf)
	})

	// Cached states: the first half of each lead's events is the state, the
	// second half is what arrives.
	states := make([]*scoring.State, len(ds.Inputs))
	arriving := make([][]leadscore.Event, len(ds.Inputs))
	for i, in := range ds.Inputs {
		half := len(in.Events) / 2
		base := *in
		base.Events = in.Events[:half]
		states[i] = set.NewState(&base)
		arriving[i] = in.Events[half:]
	}
	var applyLat []time.Duration
	for i, st := range states {
		for _, e := range arriving[i] {
			start := time.Now()
			st.Apply(e)
			applyLat = append(applyLat, time.Since(start))
		}
	}
	rep.Apply = summarise(applyLat)
	var stateLat []time.Duration
	for range rounds {
		for _, st := range states {
			start := time.Now()
			st.Evaluate(ds.AsOf)
			stateLat = append(stateLat, time.Since(start))
		}
	}
	rep.StateEvaluation = summarise(stateLat)

	// Throughput of Apply on all workers: each worker owns whole leads, as
	// a scorer owns partitions in the service, so states are never shared.
	rep.ApplyPerSecond = applyThroughput(workers, rounds, ds, set)
	return rep, nil
}

// applyThroughput times only the applications, not the building of the
// states they are applied to.
func applyThroughput(workers, rounds int, ds *Dataset, set *scoring.Set) float64 {
	var busy atomic.Int64 // summed nanoseconds spent applying, over workers
	var applied atomic.Int64
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range rounds {
				for i := w; i < len(ds.Inputs); i += workers {
					in := ds.Inputs[i]
					half := len(in.Events) / 2
					base := *in
					base.Events = in.Events[:half]
					st := set.NewState(&base)
					t0 := time.Now()
					for _, e := range in.Events[half:] {
						st.Apply(e)
					}
					busy.Add(int64(time.Since(t0)))
					applied.Add(int64(len(in.Events) - half))
				}
			}
		}()
	}
	wg.Wait()
	if busy.Load() == 0 {
		return 0
	}
	// The workers ran side by side, so the time they took together is their
	// summed busy time divided by their number.
	return float64(applied.Load()) / (float64(busy.Load()) / float64(workers)) * 1e9
}

// parallel runs n calls of fn on workers goroutines and returns calls/s.
func parallel(workers, n int, fn func(i int)) float64 {
	var next atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				fn(i)
			}
		}()
	}
	wg.Wait()
	return float64(n) / time.Since(start).Seconds()
}

func summarise(d []time.Duration) Latency {
	if len(d) == 0 {
		return Latency{}
	}
	sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
	var sum time.Duration
	for _, v := range d {
		sum += v
	}
	pick := func(q float64) time.Duration {
		i := int(math.Ceil(q*float64(len(d)))) - 1
		return d[max(0, min(i, len(d)-1))]
	}
	return Latency{Count: len(d), Mean: sum / time.Duration(len(d)), P50: pick(0.50), P90: pick(0.90), P99: pick(0.99), Max: d[len(d)-1]}
}

// WriteText prints a report for a person.
func (r *EngineReport) WriteText(w io.Writer) {
	fmt.Fprintf(w, "engine benchmark: models %v, %d leads, %d events (%.1f per lead), %d workers, as of %s\n",
		r.Models, r.Leads, r.Events, r.MeanEvents, r.Workers, r.AsOf.Format("2006-01-02"))
	row := func(name string, l Latency, rate string) {
		fmt.Fprintf(w, "  %-28s n=%-8d mean %-9s p50 %-9s p90 %-9s p99 %-9s max %-9s %s\n", name, l.Count,
			us(l.Mean), us(l.P50), us(l.P90), us(l.P99), us(l.Max), rate)
	}
	row("full evaluation (per lead)", r.FullEvaluation, fmt.Sprintf("%.0f leads/s on %d workers", r.FullPerSecond, r.Workers))
	row("evaluation from state", r.StateEvaluation, "")
	row("apply one event", r.Apply, fmt.Sprintf("%.0f events/s on %d workers", r.ApplyPerSecond, r.Workers))
}

func us(d time.Duration) string { return fmt.Sprintf("%.1fµs", float64(d)/1e3) }
