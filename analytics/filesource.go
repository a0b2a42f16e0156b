package analytics

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/leadscore/leadscore"
	"github.com/leadscore/leadscore/ingest"
	"github.com/leadscore/leadscore/internal/pipeline"
	"github.com/leadscore/leadscore/quality"
)

// FileSource reads leads with outcomes from the files `leadscore score`
// reads: a lead file (.csv, .tsv or .jsonl, optionally .gz) and JSONL event
// files. Outcomes are lead columns (custom fields); they are taken off the
// lead before scoring so that no rule can read them.
//
// Accounts and peers are assembled the way the offline pipeline does it:
// people of one account share one account record, merged from their rows
// (the first non-empty value of each field wins), and see each other's
// activity for account.active_people.
//
// A lead file without an id or email column (a plain export of a data
// set) is accepted: its leads are named by their line, "line-2" onwards.
type FileSource struct {
	Leads  string
	Events []string
	// OutcomeColumn holds the outcome (yes/no, true/false, 1/0, won/lost,
	// converted/not converted; empty means unknown). OutcomeDateColumn
	// optionally holds when it was recorded.
	OutcomeColumn     string
	OutcomeDateColumn string
	// StageColumns are funnel stages in order (mql, sql, opportunity,
	// customer): a date or a yes/no per lead. Reaching a later stage
	// implies the earlier ones.
	StageColumns []string
	Checker      *quality.Checker
	// OnProblem receives every rejected or partly read row, in file order.
	OnProblem func(Problem)

	stats SourceStats
	// noAccounts is set when the lead file has no column an account can
	// come from, so no lead shares an account and the first pass over the
	// leads has nothing to find.
	noAccounts bool
}

// SourceStats counts what a FileSource read.
type SourceStats struct {
	Leads, LeadsBad, Duplicates      int
	OutcomesKnown, OutcomesBad       int
	Events, EventsBad, EventsUnknown int
	// LineIDs is set when the lead file had no id or email column.
	LineIDs bool
}

// Stats returns the counts of the last Each.
func (s *FileSource) Stats() SourceStats { return s.stats }

func (s *FileSource) Stages() []string { return s.StageColumns }

// fieldKeyOf turns a column name into the key the readers file it under,
// as package ingest does ("Lead Status" -> lead_status).
func fieldKeyOf(h string) string {
	var b strings.Builder
	under := false
	for _, r := range strings.ToLower(strings.TrimSpace(h)) {
		ok := r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r > 127
		if !ok {
			under = b.Len() > 0
			continue
		}
		if under {
			b.WriteByte('_')
			under = false
		}
		b.WriteRune(r)
	}
	return b.String()
}

func (s *FileSource) problem(p Problem) {
	if s.OnProblem != nil {
		s.OnProblem(p)
	}
}

// errNoAccounts ends the first pass over the leads early when the file
// has no column an account could come from.
var errNoAccounts = errors.New("no account columns")

// Each reads the events (all of them, grouped by lead), then the leads
// twice: once for accounts and their people, once to hand out records.
func (s *FileSource) Each(ctx context.Context, fn func(*Record) error) error {
	s.stats = SourceStats{}
	if s.Checker == nil {
		s.Checker = quality.NewChecker()
	}
	if ingest.FormatOf(s.Leads) == ingest.FormatUnknown {
		return leadscore.Errorf(leadscore.CodeInvalid, "%s: unknown lead file type (use .csv, .tsv or .jsonl)", s.Leads)
	}
	events, err := s.readEvents(ctx)
	if err != nil {
		return err
	}
	// Pass 1: accounts, their merged facts and their people's activity.
	type account struct {
		merged *leadscore.Account
		peers  []leadscore.Peer
	}
	accounts := map[string]*account{}
	seen := map[string]bool{}
	s.noAccounts = false
	err = s.eachLead(ctx, false, func(rec *ingest.LeadRecord) error {
		if s.noAccounts {
			return errNoAccounts
		}
		if seen[rec.Lead.ID] {
			return nil
		}
		seen[rec.Lead.ID] = true
		key := rec.Lead.AccountID
		if key == "" {
			return nil
		}
		a := accounts[key]
		if a == nil {
			a = &account{merged: &leadscore.Account{ID: key}}
			accounts[key] = a
		}
		a.merged.FillFrom(rec.Account)
		if act := activity(events.of(&rec.Lead, false)); len(act) > 0 {
			a.peers = append(a.peers, leadscore.Peer{LeadID: rec.Lead.ID, Activity: act})
		}
		return nil
	})
	if err != nil && !errors.Is(err, errNoAccounts) {
		return err
	}
	clear(seen)
	stageKeys := make([]string, len(s.StageColumns))
	for i, c := range s.StageColumns {
		stageKeys[i] = fieldKeyOf(c)
	}
	outKey, dateKey := fieldKeyOf(s.OutcomeColumn), fieldKeyOf(s.OutcomeDateColumn)
	firstLine := map[string]int{}
	err = s.eachLead(ctx, true, func(rec *ingest.LeadRecord) error {
		if first, dup := firstLine[rec.Lead.ID]; dup {
			s.stats.LeadsBad++
			s.stats.Duplicates++
			s.problem(Problem{File: s.Leads, Line: rec.Line, Reason: fmt.Sprintf("duplicate lead id %q (first on line %d); row skipped", rec.Lead.ID, first)})
			return nil
		}
		firstLine[rec.Lead.ID] = rec.Line
		s.stats.Leads++
		r := &Record{Line: rec.Line}
		lead := rec.Lead
		r.Outcome = s.outcome(&lead, rec.Line, outKey, dateKey, stageKeys)
		r.Input.Lead = &lead
		r.Input.Account = rec.Account
		r.Input.Events = events.of(&lead, true)
		if a := accounts[lead.AccountID]; a != nil && lead.AccountID != "" {
			r.Input.Account = a.merged
			for _, p := range a.peers {
				if p.LeadID != lead.ID {
					r.Input.Peers = append(r.Input.Peers, p)
				}
			}
		}
		return fn(r)
	})
	if err != nil {
		return err
	}
	s.stats.EventsUnknown = events.unclaimed()
	return nil
}

// outcome takes the outcome, its date and the stage columns off the lead.
func (s *FileSource) outcome(l *leadscore.Lead, line int, outKey, dateKey string, stageKeys []string) Outcome {
	var o Outcome
	take := func(key string) (any, bool) {
		if key == "" || l.Fields == nil {
			return nil, false
		}
		v, ok := l.Fields[key]
		delete(l.Fields, key)
		return v, ok
	}
	if v, ok := take(outKey); ok {
		conv, known, err := parseOutcome(v)
		if err != nil {
			s.stats.OutcomesBad++
			s.problem(Problem{File: s.Leads, Line: line, Reason: fmt.Sprintf("%s: %v; the lead is scored with its outcome unknown", s.OutcomeColumn, err)})
		} else if known {
			o.Known, o.Converted = true, conv
			s.stats.OutcomesKnown++
		}
	}
	if v, ok := take(dateKey); ok {
		t, err := parseWhen(v)
		if err != nil {
			s.problem(Problem{File: s.Leads, Line: line, Reason: fmt.Sprintf("%s: %v; the outcome date is left out", s.OutcomeDateColumn, err)})
		} else {
			o.At = t
		}
	}
	if len(stageKeys) > 0 {
		o.Stages = make([]bool, len(stageKeys))
		o.StageAt = make([]time.Time, len(stageKeys))
		for i, k := range stageKeys {
			v, ok := take(k)
			if !ok {
				continue
			}
			if reached, known, err := parseOutcome(v); err == nil {
				o.Stages[i] = known && reached
				continue
			}
			t, err := parseWhen(v)
			if err != nil {
				s.problem(Problem{File: s.Leads, Line: line, Reason: fmt.Sprintf("%s: %q is neither a date nor yes/no; the stage is left out", s.StageColumns[i], fmt.Sprint(v))})
				continue
			}
			o.Stages[i], o.StageAt[i] = true, t
		}
		// Reaching a later stage means the lead went through the earlier
		// ones, even when the CRM only recorded the last.
		for i := len(o.Stages) - 2; i >= 0; i-- {
			o.Stages[i] = o.Stages[i] || o.Stages[i+1]
		}
	}
	return o
}

// parseOutcome reads an outcome cell. known is false for an empty cell or
// one that says the outcome is still open.
func parseOutcome(v any) (converted, known bool, err error) {
	switch x := v.(type) {
	case nil:
		return false, false, nil
	case bool:
		return x, true, nil
	case float64:
		switch x {
		case 1:
			return true, true, nil
		case 0:
			return false, true, nil
		}
		return false, false, fmt.Errorf("%g is not an outcome (use 1 or 0)", x)
	case string:
		switch strings.ToLower(strings.TrimSpace(x)) {
		case "yes", "y", "true", "t", "1", "won", "win", "converted", "customer", "closed won", "closedwon":
			return true, true, nil
		case "no", "n", "false", "f", "0", "lost", "loss", "not converted", "closed lost", "closedlost":
			return false, true, nil
		case "", "open", "unknown", "pending", "-":
			return false, false, nil
		}
		return false, false, fmt.Errorf("%q is not an outcome (use yes/no, true/false, 1/0 or won/lost)", x)
	}
	return false, false, fmt.Errorf("%v is not an outcome (use yes/no, true/false, 1/0 or won/lost)", v)
}

func parseWhen(v any) (time.Time, error) {
	switch x := v.(type) {
	case string:
		return ingest.ParseTime(x)
	case float64:
		return ingest.ParseTime(strconv.FormatFloat(x, 'f', -1, 64))
	}
	return time.Time{}, fmt.Errorf("%v is not a time", v)
}

// eventIndex holds every event by the key its line named the lead with.
type eventIndex struct {
	byKey   map[string][]leadscore.Event
	claimed map[string]bool
}

// of returns the events of a lead: those keyed by its ID and, when the ID
// is something else, by its email. claim marks them as belonging to a
// lead, for the count of events that matched none.
func (ix *eventIndex) of(l *leadscore.Lead, claim bool) []leadscore.Event {
	if ix == nil || len(ix.byKey) == 0 {
		return nil
	}
	out := ix.byKey[l.ID]
	if claim {
		ix.claimed[l.ID] = true
	}
	if e := ingest.NormalizeEmail(l.Email); e != "" && e != l.ID {
		if more := ix.byKey[e]; len(more) > 0 && !ix.claimed[e] {
			out = append(slices.Clip(out), more...)
			if claim {
				ix.claimed[e] = true
			}
		}
	}
	for i := range out {
		out[i].LeadID = l.ID
	}
	return out
}

func (ix *eventIndex) unclaimed() int {
	if ix == nil {
		return 0
	}
	n := 0
	for k, evs := range ix.byKey {
		if !ix.claimed[k] {
			n += len(evs)
		}
	}
	return n
}

// activity is the distinct times of a lead's non-bot events, which is all
// account.active_people needs of a peer.
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

// eventLines is a run of consecutive lines of an events file.
type eventLines struct {
	first int
	lines [][]byte
	errs  []error
}

type parsedEvents struct {
	recs  []ingest.EventRecord
	probs []Problem
}

// readEvents reads every event file on all cores (lines are parsed in
// parallel and filed in file order) and groups the events by lead key.
func (s *FileSource) readEvents(ctx context.Context) (*eventIndex, error) {
	ix := &eventIndex{byKey: map[string][]leadscore.Event{}, claimed: map[string]bool{}}
	// A parser is not safe for concurrent use; each job borrows one.
	parsers := sync.Pool{New: func() any { return ingest.NewEventParser(s.Checker) }}
	for _, path := range s.Events {
		f, err := ingest.OpenFile(path)
		if err != nil {
			return nil, err
		}
		lines := ingest.NewLineReader(f)
		produce := func(emit func(eventLines) bool) error {
			b := eventLines{}
			for {
				line, n, err := lines.Next()
				if errors.Is(err, io.EOF) {
					break
				}
				var rowErr *ingest.RowError
				if err != nil && !errors.As(err, &rowErr) {
					return fmt.Errorf("%s: %w", path, err)
				}
				if len(b.lines) == 0 {
					b.first = n
				}
				b.lines = append(b.lines, append([]byte(nil), line...))
				b.errs = append(b.errs, err)
				if len(b.lines) == 1024 {
					if !emit(b) {
						return ctx.Err()
					}
					b = eventLines{}
				}
			}
			if len(b.lines) > 0 {
				emit(b)
			}
			return nil
		}
		parse := func(b eventLines) parsedEvents {
			p := parsers.Get().(*ingest.EventParser)
			defer parsers.Put(p)
			var out parsedEvents
			for i, line := range b.lines {
				num := b.first + i
				if err := b.errs[i]; err != nil {
					out.probs = append(out.probs, Problem{File: path, Line: num, Reason: rowReason(err)})
					continue
				}
				if len(bytes.TrimSpace(line)) == 0 {
					continue
				}
				rec, err := p.Parse(line, num)
				if err != nil {
					out.probs = append(out.probs, Problem{File: path, Line: num, Reason: rowReason(err)})
					continue
				}
				out.recs = append(out.recs, rec)
			}
			return out
		}
		consume := func(pe parsedEvents) error {
			for _, p := range pe.probs {
				s.stats.EventsBad++
				s.problem(p)
			}
			for i := range pe.recs {
				rec := &pe.recs[i]
				s.stats.Events++
				key := rec.Event.LeadID
				if rec.KeyKind == ingest.KeyEmail || strings.Contains(key, "@") {
					key = ingest.NormalizeEmail(key)
				}
				ix.byKey[key] = append(ix.byKey[key], rec.Event)
			}
			return nil
		}
		err = pipeline.Ordered(ctx, defaultWorkers(), produce, func(_ int, b eventLines) parsedEvents { return parse(b) }, consume)
		f.Close()
		if err != nil {
			return nil, err
		}
	}
	return ix, nil
}

// rowReason is the text of a row problem without its position, which
// Problem prints itself.
func rowReason(err error) string {
	var re *ingest.RowError
	if errors.As(err, &re) {
		return re.Reason()
	}
	return err.Error()
}

// rawLead is one row or line of the lead file before conversion.
type rawLead struct {
	row  []string
	line []byte
	num  int
	err  error // the reader already rejected it
}

// leadChunk is how many rows one conversion job holds.
const leadChunk = 512

// eachLead streams the lead file: rows are read in order, converted on all
// cores, and handed to fn in file order. report says whether bad rows are
// reported and counted (the second pass) or silently skipped (the first).
func (s *FileSource) eachLead(ctx context.Context, report bool, fn func(*ingest.LeadRecord) error) error {
	f, err := ingest.OpenFile(s.Leads)
	if err != nil {
		return err
	}
	defer f.Close()
	next, convert, err := s.leadReader(f)
	if err != nil {
		return err
	}
	type converted struct {
		recs []ingest.LeadRecord
		errs []error
	}
	produce := func(emit func([]rawLead) bool) error {
		chunk := make([]rawLead, 0, leadChunk)
		for {
			raw, err := next()
			if errors.Is(err, io.EOF) {
				break
			}
			var rowErr *ingest.RowError
			if err != nil && !errors.As(err, &rowErr) {
				return fmt.Errorf("%s: %w", s.Leads, err)
			}
			raw.err = err
			chunk = append(chunk, raw)
			if len(chunk) == leadChunk {
				if !emit(chunk) {
					return ctx.Err()
				}
				chunk = make([]rawLead, 0, leadChunk)
			}
		}
		if len(chunk) > 0 {
			emit(chunk)
		}
		return nil
	}
	conv := func(chunk []rawLead) converted {
		out := converted{recs: make([]ingest.LeadRecord, len(chunk)), errs: make([]error, len(chunk))}
		for i := range chunk {
			if chunk[i].err != nil {
				out.errs[i] = chunk[i].err
				continue
			}
			out.recs[i], out.errs[i] = convert(chunk[i])
		}
		return out
	}
	consume := func(c converted) error {
		for i := range c.recs {
			var rowErr *ingest.RowError
			if errors.As(c.errs[i], &rowErr) {
				if report {
					s.stats.LeadsBad++
					s.problem(Problem{File: s.Leads, Line: rowErr.Line, Reason: rowErr.Reason()})
				}
				continue
			}
			if c.errs[i] != nil {
				return fmt.Errorf("%s: %w", s.Leads, c.errs[i])
			}
			if err := fn(&c.recs[i]); err != nil {
				return err
			}
		}
		return nil
	}
	return pipeline.Ordered(ctx, defaultWorkers(), produce, func(_ int, c []rawLead) converted { return conv(c) }, consume)
}

// leadReader returns the raw row reader for the lead file and the
// conversion of a raw row, which is safe for concurrent use. A CSV file
// whose header has neither an id nor an email column gets one: the line
// number.
func (s *FileSource) leadReader(f *ingest.File) (func() (rawLead, error), func(rawLead) (ingest.LeadRecord, error), error) {
	if ingest.FormatOf(s.Leads) != ingest.FormatCSV {
		lines := ingest.NewLineReader(f)
		next := func() (rawLead, error) {
			for {
				line, n, err := lines.Next()
				if err != nil {
					return rawLead{num: n}, err
				}
				if len(bytes.TrimSpace(line)) == 0 {
					continue
				}
				return rawLead{line: append([]byte(nil), line...), num: n}, nil
			}
		}
		convert := func(r rawLead) (ingest.LeadRecord, error) { return ingest.ParseLeadLine(r.line, r.num, s.Checker) }
		return next, convert, nil
	}
	rows, err := ingest.NewCSVRows(f)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", s.Leads, err)
	}
	mapping, err := ingest.NewMapping(rows.Header())
	lineIDs := false
	if err != nil {
		// Adding an id column only helps a header that had neither an id
		// nor an email; any other header problem stays an error.
		withID, err2 := ingest.NewMapping(append([]string{"id"}, rows.Header()...))
		if err2 != nil {
			return nil, nil, leadscore.Errorf(leadscore.CodeInvalid, "%s: header row: %v", s.Leads, err)
		}
		mapping, lineIDs = withID, true
		s.stats.LineIDs = true
	}
	s.noAccounts = !slices.ContainsFunc([]ingest.Field{ingest.FieldAccountID, ingest.FieldEmail, ingest.FieldDomain,
		ingest.FieldCompanyDomain, ingest.FieldWebsite}, mapping.Has)
	next := func() (rawLead, error) {
		row, line, err := rows.Next()
		if err != nil {
			return rawLead{num: line}, err
		}
		if lineIDs {
			row = append([]string{"line-" + strconv.Itoa(line)}, row...)
		}
		return rawLead{row: row, num: line}, nil
	}
	convert := func(r rawLead) (ingest.LeadRecord, error) { return mapping.Convert(r.row, r.num, s.Checker) }
	return next, convert, nil
}
