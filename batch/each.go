package batch

import (
	"context"
	"slices"
	"time"

	"github.com/leadscore/leadscore"
	"github.com/leadscore/leadscore/internal/pipeline"
	"github.com/leadscore/leadscore/scoring"
)

// Each reads the files of cfg the way Run does (passes 1 and 2: leads
// spilled to buckets by account, events parsed on all cores and filed
// under their lead) and then hands every kept lead to fn with the inputs
// Run would score it with: its merged account, its events (later ones
// included) and its active colleagues as peers. line is where the lead
// was found in the lead file. It is for callers that evaluate leads
// themselves, at instants of their own, in bounded memory.
//
// Only cfg's file settings are used (Leads, Events, Checker, Workers,
// Buckets, TempDir, LineIDs, CheckLead, OnProblem, Progress); Set, AsOf,
// Format and Explain are not, and Stats.EventsAfterAsOf stays zero.
//
// Leads come bucket by bucket, and in file order within a bucket. fn is
// called one lead at a time, always in the same order for the same files
// and Buckets, whatever Workers is; buckets are decoded on Workers
// goroutines a few ahead of fn, so memory holds a few buckets at a time
// besides the key map. An error of fn ends the run and is returned.
//
// The input is fn's to keep. Its strings share memory with the decoded
// bucket, so a caller keeping a lead for long (rather than the few values
// it measures) should copy what it keeps. Peers carry every distinct
// time a colleague was active (not only the latest before one as-of
// time, as when scoring), since the caller may evaluate at any instant.
func Each(ctx context.Context, cfg Config, fn func(in *scoring.Input, line int) error) (Stats, error) {
	if err := cfg.checkFiles(); err != nil {
		return Stats{}, err
	}
	return spilled(ctx, cfg, func(r *run) error {
		return r.each(ctx, fn)
	})
}

// each is pass 3 of Each: buckets are decoded and grouped on all workers
// and their leads handed to fn in bucket order.
func (r *run) each(ctx context.Context, fn func(in *scoring.Input, line int) error) error {
	total := int64(len(r.bucketOf))
	var done int64
	produce := func(emit func(int) bool) error {
		for b := range r.cfg.Buckets {
			if !emit(b) {
				return ctx.Err()
			}
		}
		return nil
	}
	type grouped struct {
		accounts *accountGroups
		err      error
	}
	group := func(_ int, b int) grouped {
		bk, err := r.readBucket(b)
		if err != nil {
			return grouped{err: err}
		}
		return grouped{accounts: groupAccounts(bk.leads, bk.events, activity)}
	}
	consume := func(g grouped) error {
		if g.err != nil {
			return g.err
		}
		for i := range g.accounts.leads {
			in := &scoring.Input{}
			g.accounts.input(i, in, nil)
			if err := fn(in, g.accounts.leads[i].line); err != nil {
				return err
			}
		}
		done += int64(len(g.accounts.leads))
		r.stats.LeadsScored = done
		r.progress(Progress{Phase: PhaseScoring, Done: done, Total: total})
		return ctx.Err()
	}
	if err := pipeline.Ordered(ctx, r.cfg.Workers, produce, group, consume); err != nil {
		return err
	}
	r.lap(PhaseScoring)
	return nil
}

// activity is the distinct times of a lead's non-bot events, in order:
// all that account.active_people needs of a colleague at any instant.
func activity(events []leadscore.Event) []time.Time {
	var out []time.Time
	for i := range events {
		if !events[i].Bot {
			out = append(out, events[i].At)
		}
	}
	slices.SortFunc(out, func(a, b time.Time) int { return a.Compare(b) })
	return slices.CompactFunc(out, func(a, b time.Time) bool { return a.Equal(b) })
}
