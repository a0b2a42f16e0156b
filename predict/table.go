package predict

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/leadscore/leadscore"
	"github.com/leadscore/leadscore/ingest"
	"github.com/leadscore/leadscore/quality"
)

// ReadOptions says how to read a lead file for training.
type ReadOptions struct {
	// Target is the outcome column as written in the header (Converted, y).
	Target string
	// OutcomeAt optionally names the column holding when the outcome
	// happened. With AsOf set, leads whose outcome came before AsOf are
	// left out: they had already converted when the features were taken.
	OutcomeAt string
	// TimeColumn orders leads for the out-of-time check; empty means the
	// created-at column when there is one, else file order.
	TimeColumn string
	// MaxProblems bounds the rejected rows kept for the report (all are
	// counted). 0 means 20.
	MaxProblems int
	// KeepLeads keeps each row's lead and (with ReadEvents) its events,
	// for AddRules.
	KeepLeads bool
}

// Table is a lead file read column by column, with the outcome per row.
// Values are kept raw (not yet encoded as features) so that each training
// fold can fit its own encoders on its own rows.
type Table struct {
	Sources []source
	cols    []rawColumn
	Y       []bool
	// Order is each row's position in time (created-at as unix seconds, or
	// the row number in file order); OrderBy names what it is.
	Order   []int64
	OrderBy string
	Lines   []int
	// IDs are the lead IDs (row numbers for files without identity).
	IDs []string
	// outcomeAt holds the raw outcome-time cells when that column is named.
	outcomeAt []string
	ids       map[string]int32
	emails    map[string]int32
	// Activity is the per-row event aggregate, nil without events.
	Activity []activity
	// cutoffs holds each row's own cut-off (unix seconds) when rows were
	// observed at different times (training from the store: each lead just
	// before its outcome); nil means every row shares the training AsOf.
	cutoffs []int64
	// kept holds the rows' leads and events for AddRules (KeepLeads).
	kept []keptLead
	// EventTypes lists the event types seen before the cut-off, in order of
	// first appearance; activity entries index into it.
	EventTypes []string
	Stats      ReadStats
}

// ReadStats counts what reading kept and left out.
type ReadStats struct {
	Rows             int      `json:"rows"`
	Converted        int      `json:"converted"`
	Rejected         int      `json:"rejected"`
	NoOutcome        int      `json:"no_outcome"`
	DecidedBeforeCut int      `json:"decided_before_cutoff,omitempty"`
	Problems         []string `json:"problems,omitempty"`
	Events           int      `json:"events,omitempty"`
	EventsAfterCut   int      `json:"events_after_cutoff,omitempty"`
	EventsUnmatched  int      `json:"events_unmatched,omitempty"`
	EventsRejected   int      `json:"events_rejected,omitempty"`
	EventsBot        int      `json:"events_bot,omitempty"`
}

type keptLead struct {
	lead    leadscore.Lead
	account *leadscore.Account
	events  []leadscore.Event
}

// rawColumn holds one source's values: numbers in num (NaN when absent or
// text), text as codes into dict in str (-1 when absent or a number).
// After reading, a column with any text is categorical and its numbers are
// turned into text.
type rawColumn struct {
	num  []float64
	str  []int32
	dict []string
	idx  map[string]int32
	cat  bool
}

func (c *rawColumn) add(v any) {
	switch x := v.(type) {
	case float64:
		c.num = append(c.num, x)
		c.str = append(c.str, -1)
	case string:
		c.num = append(c.num, math.NaN())
		c.str = append(c.str, c.code(x))
	default:
		c.num = append(c.num, math.NaN())
		c.str = append(c.str, -1)
	}
}

func (c *rawColumn) code(s string) int32 {
	if c.idx == nil {
		c.idx = map[string]int32{}
	}
	k, ok := c.idx[s]
	if !ok {
		k = int32(len(c.dict))
		c.dict = append(c.dict, s)
		c.idx[s] = k
	}
	return k
}

// finish decides the column's kind: numeric unless some value was text.
func (c *rawColumn) finish() {
	if len(c.dict) == 0 {
		c.str = nil
		return
	}
	c.cat = true
	for i, f := range c.num {
		if !math.IsNaN(f) {
			c.str[i] = c.code(strconv.FormatFloat(f, 'f', -1, 64))
		}
	}
	c.num = nil
}

// present reports whether row i has a value.
func (c *rawColumn) present(i int) bool {
	if c.cat {
		return c.str[i] >= 0
	}
	return !math.IsNaN(c.num[i])
}

// syntheticID is the header given to row numbers when a file has neither
// an ID nor an email column (a marketing data set such as UCI Bank
// Marketing): rows still need an identity to be read as leads.
const syntheticID = "Record ID"

// ReadLeads reads a lead file (CSV, or JSON lines as in
// docs/import-columns.md) with a known outcome per row. A row that cannot
// be read, or whose outcome cell is empty or unreadable, is reported with
// its line and left out; the rest are kept.
func ReadLeads(ctx context.Context, path string, opt ReadOptions) (*Table, error) {
	if opt.Target == "" {
		return nil, leadscore.Invalid("target", "name the outcome column (--target)")
	}
	if ingest.FormatOf(path) == ingest.FormatJSONL {
		return nil, leadscore.Invalid("leads", "%s: training reads CSV lead files (the outcome is a column)", path)
	}
	f, err := ingest.OpenFile(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return readLeads(ctx, f, path, opt)
}

// readLeads reads a CSV lead file from r; path names it in messages.
func readLeads(ctx context.Context, r io.Reader, path string, opt ReadOptions) (*Table, error) {
	if opt.MaxProblems == 0 {
		opt.MaxProblems = 20
	}
	rows, err := ingest.NewCSVRows(r)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	header := rows.Header()
	synthetic := false
	m, err := ingest.NewMapping(header)
	if err != nil && !hasIdentity(header) {
		header = append(append([]string(nil), header...), syntheticID)
		synthetic = true
		m, err = ingest.NewMapping(header)
	}
	if err != nil {
		return nil, leadscore.Invalid("leads", "%s: header row: %v", path, err)
	}
	find := func(flag, name string) (int, error) {
		if name == "" {
			return -1, nil
		}
		for _, c := range m.Columns {
			if strings.EqualFold(strings.TrimSpace(c.Header), name) || c.Key == strings.ToLower(name) ||
				(c.Field != ingest.FieldCustom && c.Field.String() == strings.ToLower(name)) {
				return c.Index, nil
			}
		}
		return -1, leadscore.Invalid(flag, "%s has no column %q (columns: %s)", path, name, strings.Join(rows.Header(), ", "))
	}
	target, err := find("target", opt.Target)
	if err != nil {
		return nil, err
	}
	outcomeAt, err := find("outcome-at", opt.OutcomeAt)
	if err != nil {
		return nil, err
	}
	timeCol, err := find("time-column", opt.TimeColumn)
	if err != nil {
		return nil, err
	}
	if timeCol < 0 {
		for _, c := range m.Columns {
			if c.Field == ingest.FieldCreatedAt {
				timeCol = c.Index
			}
		}
	}
	special := map[int]bool{target: true, outcomeAt: true, timeCol: true}
	t := &Table{ids: map[string]int32{}, emails: map[string]int32{}}
	t.Sources = sourcesFor(m, func(c ingest.Column) bool { return special[c.Index] })
	t.cols = make([]rawColumn, len(t.Sources))
	t.OrderBy = "file order"
	if timeCol >= 0 {
		t.OrderBy = header[timeCol]
	}
	checker := quality.NewChecker()
	problem := func(msg string) {
		t.Stats.Rejected++
		if len(t.Stats.Problems) < opt.MaxProblems {
			t.Stats.Problems = append(t.Stats.Problems, msg)
		}
	}
	for n := 0; ; n++ {
		if n%4096 == 0 && ctx.Err() != nil {
			return nil, ctx.Err()
		}
		row, line, err := rows.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		var rowErr *ingest.RowError
		if errors.As(err, &rowErr) {
			problem(fmt.Sprintf("%s:%d: %s", path, rowErr.Line, rowErr.Reason()))
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		if synthetic {
			row = append(row, strconv.Itoa(line))
		}
		if len(row) != len(header) {
			problem(fmt.Sprintf("%s:%d: the row has %d fields but the header has %d", path, line, len(row), len(header)))
			continue
		}
		converted, ok := parseOutcome(row[target])
		if !ok {
			if strings.TrimSpace(row[target]) == "" {
				t.Stats.NoOutcome++
				continue
			}
			problem(fmt.Sprintf("%s:%d: column %q: cannot read %q as an outcome (use yes/no, true/false or 1/0)", path, line, header[target], row[target]))
			continue
		}
		order := int64(n)
		if timeCol >= 0 {
			ts, err := ingest.ParseTime(row[timeCol])
			if err != nil {
				problem(fmt.Sprintf("%s:%d: column %q: %v", path, line, header[timeCol], err))
				continue
			}
			order = ts.Unix()
		}
		if outcomeAt >= 0 && converted && strings.TrimSpace(row[outcomeAt]) != "" {
			if _, err := ingest.ParseTime(row[outcomeAt]); err != nil {
				problem(fmt.Sprintf("%s:%d: column %q: %v", path, line, header[outcomeAt], err))
				continue
			}
		}
		rec, err := m.Convert(row, line, checker)
		if err != nil {
			if errors.As(err, &rowErr) {
				problem(fmt.Sprintf("%s:%d: %s", path, rowErr.Line, rowErr.Reason()))
			} else {
				problem(fmt.Sprintf("%s:%d: %v", path, line, err))
			}
			continue
		}
		if _, dup := t.ids[rec.Lead.ID]; dup {
			problem(fmt.Sprintf("%s:%d: lead %q appears again; the first row is used", path, line, rec.Lead.ID))
			continue
		}
		i := int32(len(t.Y))
		t.ids[rec.Lead.ID] = i
		if rec.Lead.Email != "" {
			t.emails[ingest.NormalizeEmail(rec.Lead.Email)] = i
		}
		for k := range t.Sources {
			t.cols[k].add(t.Sources[k].value(&rec.Lead, rec.Account, checker))
		}
		if opt.KeepLeads {
			t.kept = append(t.kept, keptLead{lead: rec.Lead, account: rec.Account})
		}
		t.Y = append(t.Y, converted)
		t.Order = append(t.Order, order)
		t.Lines = append(t.Lines, line)
		t.IDs = append(t.IDs, rec.Lead.ID)
		if outcomeAt >= 0 {
			t.outcomeAt = append(t.outcomeAt, row[outcomeAt])
		}
		if converted {
			t.Stats.Converted++
		}
	}
	for k := range t.cols {
		t.cols[k].finish()
	}
	t.Stats.Rows = len(t.Y)
	return t, nil
}

// hasIdentity reports whether a header names an ID or email column.
func hasIdentity(header []string) bool {
	_, err := ingest.NewMapping(header)
	return err == nil || !strings.Contains(err.Error(), "needs an id or an email")
}

// Rows returns the number of rows.
func (t *Table) Rows() int { return len(t.Y) }

// keep returns a table holding only the rows where want is true.
func (t *Table) keep(want func(i int) bool) {
	n := 0
	for i := range t.Y {
		if !want(i) {
			continue
		}
		t.Y[n], t.Order[n], t.Lines[n], t.IDs[n] = t.Y[i], t.Order[i], t.Lines[i], t.IDs[i]
		if t.outcomeAt != nil {
			t.outcomeAt[n] = t.outcomeAt[i]
		}
		if t.Activity != nil {
			t.Activity[n] = t.Activity[i]
		}
		if t.cutoffs != nil {
			t.cutoffs[n] = t.cutoffs[i]
		}
		for k := range t.cols {
			c := &t.cols[k]
			if c.cat {
				c.str[n] = c.str[i]
			} else {
				c.num[n] = c.num[i]
			}
		}
		n++
	}
	t.Y, t.Order, t.Lines, t.IDs = t.Y[:n], t.Order[:n], t.Lines[:n], t.IDs[:n]
	// Row numbers changed: events can no longer be matched by ID.
	t.ids, t.emails = nil, nil
	if t.outcomeAt != nil {
		t.outcomeAt = t.outcomeAt[:n]
	}
	if t.Activity != nil {
		t.Activity = t.Activity[:n]
	}
	if t.cutoffs != nil {
		t.cutoffs = t.cutoffs[:n]
	}
	for k := range t.cols {
		c := &t.cols[k]
		if c.cat {
			c.str = c.str[:n]
		} else {
			c.num = c.num[:n]
		}
	}
	t.Stats.Rows, t.Stats.Converted = n, 0
	for _, y := range t.Y {
		if y {
			t.Stats.Converted++
		}
	}
}

// ReadEvents aggregates the events of a JSON lines file into each row's
// activity as of cutoff. Events at or after cutoff are never read into a
// feature: they happened after the moment the model is meant to predict
// from.
func (t *Table) ReadEvents(ctx context.Context, path string, cutoff time.Time) error {
	if t.ids == nil {
		return errors.New("predict: events must be read before rows are left out")
	}
	f, err := ingest.OpenFile(path)
	if err != nil {
		return err
	}
	defer f.Close()
	if t.Activity == nil {
		t.Activity = make([]activity, len(t.Y))
	}
	typeIdx := map[string]uint16{}
	for i, name := range t.EventTypes {
		typeIdx[name] = uint16(i)
	}
	r := ingest.NewEventReader(f, quality.NewChecker())
	cut := cutoff.Unix()
	for n := 0; ; n++ {
		if n%4096 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		rec, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		var rowErr *ingest.RowError
		if errors.As(err, &rowErr) {
			t.Stats.EventsRejected++
			if len(t.Stats.Problems) < 20 {
				t.Stats.Problems = append(t.Stats.Problems, fmt.Sprintf("%s:%d: %s", path, rowErr.Line, rowErr.Reason()))
			}
			continue
		}
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		t.Stats.Events++
		e := &rec.Event
		if e.Bot {
			t.Stats.EventsBot++
			continue
		}
		if e.At.Unix() >= cut {
			t.Stats.EventsAfterCut++
			continue
		}
		var row int32
		var ok bool
		if rec.KeyKind == ingest.KeyEmail {
			row, ok = t.emails[e.LeadID]
		} else {
			row, ok = t.ids[e.LeadID]
			if !ok {
				row, ok = t.emails[ingest.NormalizeEmail(e.LeadID)]
			}
		}
		if !ok {
			t.Stats.EventsUnmatched++
			continue
		}
		k, seen := typeIdx[e.Type]
		if !seen {
			if len(t.EventTypes) < maxEventTypes {
				k = uint16(len(t.EventTypes))
				typeIdx[e.Type] = k
				t.EventTypes = append(t.EventTypes, e.Type)
			} else {
				k = unknownType
			}
		}
		t.Activity[row].add(k, e.At.Unix(), cut)
		if t.kept != nil {
			t.kept[row].events = append(t.kept[row].events, *e)
		}
	}
	return nil
}

// AddRules adds one 0/1 feature per rule of the rule model: whether it
// fired for the lead as of cutoff, with its events before cutoff. The
// table must have been read with KeepLeads (and events read first); the
// kept leads are let go afterwards.
func (t *Table) AddRules(rules *RuleInputs, cutoff time.Time) error {
	if t.kept == nil || len(t.kept) != len(t.Y) {
		return errors.New("predict: rules need a table read with KeepLeads, before rows are left out")
	}
	srcs := rules.sources()
	cols := make([]rawColumn, len(srcs))
	for i := range t.kept {
		k := &t.kept[i]
		fired := rules.Fired(&k.lead, k.account, k.events, cutoff)
		for j, s := range srcs {
			cols[j].add(ruleValue(fired, s.key))
		}
	}
	for j := range cols {
		cols[j].finish()
	}
	t.Sources = append(t.Sources, srcs...)
	t.cols = append(t.cols, cols...)
	t.kept = nil
	return nil
}

// LeaveOutDecided leaves out the converted leads whose outcome time (the
// OutcomeAt column) is before cutoff: their outcome was already known when
// the features were taken. Read events first: afterwards rows can no
// longer be matched to events.
func (t *Table) LeaveOutDecided(cutoff time.Time) {
	if t.outcomeAt == nil {
		return
	}
	cut := cutoff.Unix()
	before := 0
	t.keep(func(i int) bool {
		if !t.Y[i] || strings.TrimSpace(t.outcomeAt[i]) == "" {
			return true
		}
		at, err := ingest.ParseTime(t.outcomeAt[i])
		if err == nil && at.Unix() < cut {
			before++
			return false
		}
		return true
	})
	t.Stats.DecidedBeforeCut = before
}

// maxEventTypes bounds the event types that become features; a stream with
// more distinct types than this is treating the type as free text.
const maxEventTypes = 200
