package analytics

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/leadscore/leadscore"
	"github.com/leadscore/leadscore/batch"
	"github.com/leadscore/leadscore/ingest"
	"github.com/leadscore/leadscore/quality"
	"github.com/leadscore/leadscore/scoring"
)

// FileSource reads leads with outcomes from the files `leadscore score`
// reads: a lead file (.csv, .tsv or .jsonl, optionally .gz) and JSONL event
// files. Outcomes are lead columns (custom fields); they are taken off the
// lead before scoring so that no rule can read them.
//
// The files are read by the offline pipeline (batch.Each), so memory does
// not grow with the events: leads are spilled to bucket files on disk by
// account, events are parsed on all cores and filed under their lead, and
// leads are handed out a bucket at a time. Only a map from lead key to
// position stays in memory while the files are read. Accounts and peers
// are what the pipeline gives a lead: people of one account share one
// account record, merged from their rows (the first non-empty value of
// each field wins), and see each other's activity for
// account.active_people.
//
// Leads therefore do not come in file order but bucket by bucket (always
// the same order for the same files); Record.Line says where each was.
// Problems are reported in file order within each file: the lead file's
// (unreadable rows, duplicates, unreadable outcome and stage cells) while
// it is read, then the event files'.
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
	// Workers bounds the goroutines reading the files (0: GOMAXPROCS).
	// TempDir is where the bucket files go ("": os.TempDir()); they take
	// about half the size of the event files and are removed at the end.
	Workers int
	TempDir string

	stats SourceStats
	// nBuckets overrides the number of bucket files (tests).
	nBuckets int
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

// bytesPerBucket is how many bytes of event lines go to one bucket file.
// A bucket is decoded whole, and a few are in memory at a time (a few per
// worker, waiting to be handed out), so this, rather than the size of the
// files, bounds that memory: a few tens of megabytes per bucket.
const bytesPerBucket = 16 << 20

// buckets is the number of bucket files for the files to read: the
// pipeline's default for small files, more for large ones.
func (s *FileSource) buckets() int {
	if s.nBuckets > 0 {
		return s.nBuckets
	}
	var size int64
	for _, p := range s.Events {
		if st, err := os.Stat(p); err == nil {
			n := st.Size()
			if strings.HasSuffix(strings.ToLower(p), ".gz") {
				n *= 8 // JSON lines compress eight times or more
			}
			size += n
		}
	}
	return int(min(max(size/bytesPerBucket, 128), 4096))
}

// Each reads the files through the offline pipeline and hands out every
// lead with its outcome, bucket by bucket.
func (s *FileSource) Each(ctx context.Context, fn func(*Record) error) error {
	s.stats = SourceStats{}
	if s.Checker == nil {
		s.Checker = quality.NewChecker()
	}
	if ingest.FormatOf(s.Leads) == ingest.FormatUnknown {
		return leadscore.Errorf(leadscore.CodeInvalid, "%s: unknown lead file type (use .csv, .tsv or .jsonl)", s.Leads)
	}
	cols := s.outcomeColumns()
	cfg := batch.Config{
		Leads: s.Leads, Events: s.Events, Checker: s.Checker,
		Workers: s.Workers, Buckets: s.buckets(), TempDir: s.TempDir, LineIDs: true,
		// Outcome cells are checked, counted and reported as the lead file
		// is read, in file order; they are read again, quietly, when the
		// lead is handed out.
		CheckLead: func(l *leadscore.Lead) []string {
			var reasons []string
			o := cols.read(l.Fields, func(why string) { reasons = append(reasons, why) })
			if o.Known {
				s.stats.OutcomesKnown++
			}
			if o.bad {
				s.stats.OutcomesBad++
			}
			return reasons
		},
		OnProblem: func(p batch.Problem) { s.problem(Problem(p)) },
	}
	st, err := batch.Each(ctx, cfg, func(in *scoring.Input, line int) error {
		// The lead is copied, its ID with it, because the analyses keep
		// the ID of a few leads, and a string of the pipeline's would
		// keep its whole bucket in memory.
		lead := *in.Lead
		lead.ID = strings.Clone(lead.ID)
		in.Lead = &lead
		r := &Record{Line: line, Input: *in}
		r.Outcome = cols.read(lead.Fields, nil).Outcome
		cols.remove(lead.Fields)
		return fn(r)
	})
	s.stats.Leads = int(st.LeadsScored)
	s.stats.LeadsBad = int(st.LeadsBad)
	s.stats.Duplicates = int(st.Duplicates)
	s.stats.Events = int(st.EventsRead - st.EventsBad)
	s.stats.EventsBad = int(st.EventsBad)
	s.stats.EventsUnknown = int(st.EventsUnknownLead)
	s.stats.LineIDs = st.LineIDs
	return err
}

func (s *FileSource) problem(p Problem) {
	if s.OnProblem != nil {
		s.OnProblem(p)
	}
}

// outcomeColumns are the field keys of a source's outcome, outcome date
// and stage columns, with the column names for messages.
type outcomeColumns struct {
	src           *FileSource
	outcome, date string
	stages        []string
	// all holds every key above that names a column.
	all []string
}

func (s *FileSource) outcomeColumns() *outcomeColumns {
	c := &outcomeColumns{src: s, outcome: fieldKeyOf(s.OutcomeColumn), date: fieldKeyOf(s.OutcomeDateColumn)}
	for _, name := range s.StageColumns {
		c.stages = append(c.stages, fieldKeyOf(name))
	}
	for _, k := range append([]string{c.outcome, c.date}, c.stages...) {
		if k != "" {
			c.all = append(c.all, k)
		}
	}
	return c
}

// readOutcome is an outcome with whether its cell was unreadable.
type readOutcome struct {
	Outcome
	bad bool
}

// remove takes the outcome, its date and the stage columns off a lead's
// fields, so that no rule can read them.
func (c *outcomeColumns) remove(fields map[string]any) {
	for _, k := range c.all {
		delete(fields, k)
	}
}

// read reads the outcome, its date and the stage columns of a lead's
// fields; problem, when not nil, receives what is wrong with them.
func (c *outcomeColumns) read(fields map[string]any, problem func(string)) readOutcome {
	var o readOutcome
	say := func(format string, args ...any) {
		if problem != nil {
			problem(fmt.Sprintf(format, args...))
		}
	}
	cell := func(key string) (any, bool) {
		if key == "" || fields == nil {
			return nil, false
		}
		v, ok := fields[key]
		return v, ok
	}
	if v, ok := cell(c.outcome); ok {
		conv, known, err := parseOutcome(v)
		if err != nil {
			o.bad = true
			say("%s: %v; the lead is scored with its outcome unknown", c.src.OutcomeColumn, err)
		} else if known {
			o.Known, o.Converted = true, conv
		}
	}
	if v, ok := cell(c.date); ok {
		t, err := parseWhen(v)
		if err != nil {
			say("%s: %v; the outcome date is left out", c.src.OutcomeDateColumn, err)
		} else {
			o.At = t
		}
	}
	if len(c.stages) > 0 {
		o.Stages = make([]bool, len(c.stages))
		o.StageAt = make([]time.Time, len(c.stages))
		for i, k := range c.stages {
			v, ok := cell(k)
			if !ok {
				continue
			}
			if reached, known, err := parseOutcome(v); err == nil {
				o.Stages[i] = known && reached
				continue
			}
			t, err := parseWhen(v)
			if err != nil {
				say("%s: %q is neither a date nor yes/no; the stage is left out", c.src.StageColumns[i], fmt.Sprint(v))
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
