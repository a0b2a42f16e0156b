package batch

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/leadscore/leadscore"
	"github.com/leadscore/leadscore/ingest"
)

// LeadResult is the outcome of scoring one lead.
type LeadResult struct {
	Lead    leadscore.Lead
	Account *leadscore.Account
	// Line is where the lead was found in the lead file.
	Line int
	// Events is the number of the lead's events (later ones included);
	// Peers the number of other people of its account active by the as-of
	// time.
	Events      int
	Peers       int
	Evaluations []*leadscore.Evaluation
}

// ScoreLead scores the single lead whose ID or email is key, with exactly
// the inputs the full pipeline would give it (its account's other people
// included), streaming the files without temporary storage. The lead file
// is read twice: once to find the lead and its account, once to collect
// the account's people. cfg.Format, Explain, Workers and Buckets are not
// used.
func ScoreLead(ctx context.Context, cfg Config, key string) (*LeadResult, Stats, error) {
	if err := cfg.check(); err != nil {
		return nil, Stats{}, err
	}
	r := &run{cfg: cfg}
	wanted := ingest.NormalizeEmail(key)
	var target *ingest.LeadRecord
	err := r.eachLead(ctx, func(rec *ingest.LeadRecord) bool {
		if rec.Lead.ID == key || rec.Lead.ID == wanted || ingest.NormalizeEmail(rec.Lead.Email) == wanted {
			target = rec
			return false
		}
		return true
	})
	if err != nil {
		return nil, r.stats, err
	}
	if target == nil {
		return nil, r.stats, leadscore.Errorf(leadscore.CodeNotFound, "no lead with id or email %q in %s", key, cfg.Leads)
	}
	// Second pass: the account's people, in input order, with the same
	// duplicate rule as the pipeline (the first row of an ID wins).
	r.stats = Stats{}
	r.index, r.emails = map[string]uint32{}, map[string]uint32{}
	var group []leadItem
	targetIdx := -1
	err = r.eachLead(ctx, func(rec *ingest.LeadRecord) bool {
		if _, dup := r.index[rec.Lead.ID]; dup {
			r.stats.LeadsBad++
			r.stats.Duplicates++
			return true
		}
		seq := uint32(len(r.lineOf))
		r.lineOf = append(r.lineOf, uint32(rec.Line))
		r.index[rec.Lead.ID] = seq
		if e := ingest.NormalizeEmail(rec.Lead.Email); e != "" && e != rec.Lead.ID {
			if _, taken := r.emails[e]; !taken {
				r.emails[e] = seq
			}
		}
		same := rec.Lead.ID == target.Lead.ID || (target.Lead.AccountID != "" && rec.Lead.AccountID == target.Lead.AccountID)
		if same {
			if rec.Lead.ID == target.Lead.ID {
				targetIdx = len(group)
			}
			group = append(group, leadItem{seq: seq, line: rec.Line, lead: rec.Lead, account: rec.Account})
		}
		return true
	})
	if err != nil {
		return nil, r.stats, err
	}
	if targetIdx < 0 {
		return nil, r.stats, fmt.Errorf("the lead file changed while it was read")
	}
	bySeq := map[uint32]int{}
	for i, it := range group {
		bySeq[it.seq] = i
	}
	events := make([][]leadscore.Event, len(group))
	for _, path := range cfg.Events {
		if err := r.eachEvent(ctx, path, func(rec *ingest.EventRecord) {
			seq, ok := r.resolve(rec.Event.LeadID, rec.KeyKind)
			if !ok {
				r.stats.EventsUnknownLead++
				return
			}
			if i, in := bySeq[seq]; in {
				rec.Event.LeadID = group[i].lead.ID
				events[i] = append(events[i], rec.Event)
			}
			r.stats.EventsUsed++
		}); err != nil {
			return nil, r.stats, err
		}
	}
	g := &groupScorer{set: cfg.Set, asOf: cfg.AsOf}
	res := &LeadResult{Lead: group[targetIdx].lead, Line: group[targetIdx].line}
	for _, e := range events[targetIdx] {
		if !e.At.After(cfg.AsOf) {
			res.Events++
		}
	}
	for i := range group {
		if i != targetIdx && !latestActivity(events[i], cfg.AsOf).IsZero() {
			res.Peers++
		}
	}
	only := func(i int) bool { return i == targetIdx }
	err = g.scoreGroup(group, events, only, func(_ int, evs []*leadscore.Evaluation) error {
		res.Evaluations = evs
		return nil
	})
	if err != nil {
		return nil, r.stats, err
	}
	res.Account = group[targetIdx].account
	if target.Lead.AccountID != "" {
		merged := &leadscore.Account{ID: target.Lead.AccountID}
		for i := range group {
			if group[i].lead.AccountID == target.Lead.AccountID {
				merged.FillFrom(group[i].account)
			}
		}
		res.Account = merged
	}
	r.stats.LeadsScored = 1
	return res, r.stats, nil
}

// eachLead streams the lead file, reporting bad rows; fn returns false to
// stop early.
func (r *run) eachLead(ctx context.Context, fn func(*ingest.LeadRecord) bool) error {
	path := r.cfg.Leads
	format := ingest.FormatOf(path)
	if format == ingest.FormatUnknown {
		return leadscore.Errorf(leadscore.CodeInvalid, "%s: unknown lead file type (use .csv, .tsv or .jsonl)", path)
	}
	f, err := ingest.OpenFile(path)
	if err != nil {
		return err
	}
	defer f.Close()
	rd, err := ingest.NewLeadReader(f, format, r.cfg.Checker)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	for n := 0; ; n++ {
		if n%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		rec, err := rd.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		var rowErr *ingest.RowError
		if errors.As(err, &rowErr) {
			r.stats.LeadsRead++
			r.stats.LeadsBad++
			r.problem(Problem{File: path, Line: rowErr.Line, Reason: rowErr.Reason()})
			continue
		}
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		r.stats.LeadsRead++
		if !fn(&rec) {
			return nil
		}
	}
}

// eachEvent streams one events file, reporting bad lines.
func (r *run) eachEvent(ctx context.Context, path string, fn func(*ingest.EventRecord)) error {
	f, err := ingest.OpenFile(path)
	if err != nil {
		return err
	}
	defer f.Close()
	rd := ingest.NewEventReader(f, r.cfg.Checker)
	for n := 0; ; n++ {
		if n%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		rec, err := rd.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		var rowErr *ingest.RowError
		if errors.As(err, &rowErr) {
			r.stats.EventsRead++
			r.stats.EventsBad++
			r.problem(Problem{File: path, Line: rowErr.Line, Reason: rowErr.Reason()})
			continue
		}
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		r.stats.EventsRead++
		if rec.Event.At.After(r.cfg.AsOf) {
			r.stats.EventsAfterAsOf++
		}
		fn(&rec)
	}
}
