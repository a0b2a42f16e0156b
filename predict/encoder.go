package predict

import (
	"cmp"
	"fmt"
	"math"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/leadscore/leadscore/learn"
)

// Level names of pooled and absent categories.
const (
	levelOther   = "(other)"
	levelMissing = "(missing)"
)

// Encoder turns a lead (its fields, account and activity) into a row of
// feature values. It is fitted on training rows only, so that a
// validation fold never shapes the features it is judged on, and it is
// stored in the artefact so that scoring encodes exactly as training did.
type Encoder struct {
	Inputs []Input `json:"inputs"`
	// EventTypes have count features (7, 30 and 90 days before the cut-off).
	EventTypes []string `json:"event_types,omitempty"`
	// Activity adds days since last activity, active days and acceleration.
	Activity bool `json:"activity,omitempty"`
	// OneHot encodes categories as one column per level (for linear
	// models); otherwise a category is one column holding its level's rank
	// by training conversion rate, which a tree splits like a number.
	OneHot  bool     `json:"one_hot,omitempty"`
	Columns []Column `json:"columns"`
	// Groups name the factors: every column belongs to one group (an input,
	// an event type or an activity measure) and a lead's factors are summed
	// per group.
	Groups []string `json:"groups"`

	eventIndex map[string]uint16
	// ownKinds maps event features to activity kinds when the activity was
	// aggregated with eventIndex (scoring): the identity.
	ownKinds []uint16
}

// Input is one lead or account attribute used as a feature.
type Input struct {
	Name  string `json:"name"`
	Label string `json:"label"`
	// Kind is "number" or "category".
	Kind string `json:"kind"`
	// Fill stands in for a missing number (the training median); Missing
	// says whether a missing-indicator column exists.
	Fill    float64 `json:"fill,omitempty"`
	Missing bool    `json:"missing,omitempty"`
	// Levels of a category, ordered by training conversion rate, lowest
	// first. Rare levels are pooled into "(other)"; an absent value is
	// "(missing)". A level never seen in training is "(other)".
	Levels []string `json:"levels,omitempty"`

	lookup map[string]int
	src    source
	// col is the table column this input was fitted from; code maps the
	// table's dictionary codes to levels.
	col  int
	code []int32
}

// Column is one feature column.
type Column struct {
	Name string `json:"name"`
	// Kind: value, missing, level, count, days_since_last, never_active,
	// active_days, acceleration.
	Kind   string `json:"kind"`
	Input  int    `json:"input,omitempty"`
	Level  int    `json:"level,omitempty"`
	Event  int    `json:"event,omitempty"`
	Window int    `json:"window,omitempty"`
	Group  int    `json:"group"`
}

// EncodeOptions tune how features are built.
type EncodeOptions struct {
	// MinLevelCount is the fewest training rows a category level needs to
	// keep its own level; rarer levels are pooled. 0 means max(10, rows/1000).
	MinLevelCount int
	// MaxLevels bounds the levels kept per category (most frequent first).
	// 0 means 50.
	MaxLevels int
	// OneHot: see Encoder.OneHot.
	OneHot bool
}

// fitEncoder builds an encoder from the given rows of t, for the inputs
// (table column indices) and event types (table event kinds) chosen by
// screening.
func fitEncoder(t *Table, rows []int, inputs []int, eventKinds []int, activity bool, opt EncodeOptions) *Encoder {
	if opt.MinLevelCount == 0 {
		opt.MinLevelCount = max(10, len(rows)/1000)
	}
	if opt.MaxLevels == 0 {
		opt.MaxLevels = 50
	}
	e := &Encoder{OneHot: opt.OneHot, Activity: activity}
	for _, k := range inputs {
		src := t.Sources[k]
		in := Input{Name: src.Name, Label: src.Label, src: src, col: k}
		c := &t.cols[k]
		if c.cat {
			in.Kind = "category"
			fitLevels(&in, c, t.Y, rows, opt)
		} else {
			in.Kind = "number"
			var vals []float64
			for _, i := range rows {
				if v := c.num[i]; !math.IsNaN(v) {
					vals = append(vals, v)
				}
			}
			if len(vals) > 0 {
				slices.Sort(vals)
				in.Fill = vals[len(vals)/2]
			}
			in.Missing = len(vals) > 0 && len(vals) < len(rows)
		}
		e.Inputs = append(e.Inputs, in)
	}
	for _, k := range eventKinds {
		e.EventTypes = append(e.EventTypes, t.EventTypes[k])
	}
	e.layout()
	return e
}

// fitLevels keeps the frequent levels of a category and orders them by
// their smoothed conversion rate on the training rows.
func fitLevels(in *Input, c *rawColumn, y []bool, rows []int, opt EncodeOptions) {
	count := make([]int, len(c.dict))
	pos := make([]int, len(c.dict))
	missing, missingPos, total := 0, 0, 0
	for _, i := range rows {
		if y[i] {
			total++
		}
		k := c.str[i]
		if k < 0 {
			missing++
			if y[i] {
				missingPos++
			}
			continue
		}
		count[k]++
		if y[i] {
			pos[k]++
		}
	}
	var kept []int
	for k, n := range count {
		if n >= opt.MinLevelCount {
			kept = append(kept, k)
		}
	}
	slices.SortStableFunc(kept, func(a, b int) int {
		if r := cmp.Compare(count[b], count[a]); r != 0 {
			return r
		}
		return cmp.Compare(c.dict[a], c.dict[b])
	})
	if len(kept) > opt.MaxLevels {
		kept = kept[:opt.MaxLevels]
	}
	prior := float64(total) / float64(max(1, len(rows)))
	type level struct {
		name string
		rate float64
		src  []int
	}
	smooth := func(p, n int) float64 { return (float64(p) + 10*prior) / (float64(n) + 10) }
	levels := []level{}
	isKept := make([]bool, len(c.dict))
	for _, k := range kept {
		isKept[k] = true
		levels = append(levels, level{c.dict[k], smooth(pos[k], count[k]), []int{k}})
	}
	otherN, otherP := 0, 0
	var otherSrc []int
	for k := range c.dict {
		if !isKept[k] {
			otherN += count[k]
			otherP += pos[k]
			otherSrc = append(otherSrc, k)
		}
	}
	levels = append(levels, level{levelOther, smooth(otherP, otherN), otherSrc})
	levels = append(levels, level{levelMissing, smooth(missingPos, missing), nil})
	slices.SortStableFunc(levels, func(a, b level) int {
		if r := cmp.Compare(a.rate, b.rate); r != 0 {
			return r
		}
		return cmp.Compare(a.name, b.name)
	})
	in.code = make([]int32, len(c.dict))
	for li, l := range levels {
		in.Levels = append(in.Levels, l.name)
		for _, k := range l.src {
			in.code[k] = int32(li)
		}
	}
}

// layout derives the columns and groups from the inputs and event types,
// and the lookups scoring needs. It is called after fitting and after
// reading an artefact.
func (e *Encoder) layout() {
	e.Columns, e.Groups = nil, nil
	group := func(name string) int {
		e.Groups = append(e.Groups, name)
		return len(e.Groups) - 1
	}
	for k := range e.Inputs {
		in := &e.Inputs[k]
		g := group(in.Name)
		in.lookup = map[string]int{}
		for li, l := range in.Levels {
			in.lookup[l] = li
		}
		if s, ok := sourceByName(in.Name, in.Label); ok {
			in.src = s
		}
		switch {
		case in.Kind == "number":
			e.Columns = append(e.Columns, Column{Name: in.Name, Kind: "value", Input: k, Group: g})
			if in.Missing {
				e.Columns = append(e.Columns, Column{Name: in.Name + " missing", Kind: "missing", Input: k, Group: g})
			}
		case e.OneHot:
			for li, l := range in.Levels {
				e.Columns = append(e.Columns, Column{Name: in.Name + "=" + l, Kind: "level", Input: k, Level: li, Group: g})
			}
		default:
			e.Columns = append(e.Columns, Column{Name: in.Name, Kind: "value", Input: k, Group: g})
		}
	}
	e.eventIndex = map[string]uint16{}
	e.ownKinds = make([]uint16, len(e.EventTypes))
	for j, name := range e.EventTypes {
		e.eventIndex[name] = uint16(j)
		e.ownKinds[j] = uint16(j)
		g := group("events " + name)
		for w, days := range windows {
			e.Columns = append(e.Columns, Column{Name: fmt.Sprintf("%s %dd", name, days), Kind: "count", Event: j, Window: w, Group: g})
		}
	}
	if e.Activity {
		g := group("last activity")
		e.Columns = append(e.Columns,
			Column{Name: "days since last activity", Kind: "days_since_last", Group: g},
			Column{Name: "never active", Kind: "never_active", Group: g})
		e.Columns = append(e.Columns, Column{Name: "active days in 90", Kind: "active_days", Group: group("active days")})
		e.Columns = append(e.Columns, Column{Name: "acceleration", Kind: "acceleration", Group: group("acceleration")})
	}
}

// neverActiveDays stands in for the days since last activity of a lead
// that never did anything: older than any window.
const neverActiveDays = 365

// fill writes one lead's features into row. level returns input k's level
// index, number its value (ok=false when absent); act may be nil.
func (e *Encoder) fill(row []float64, level func(k int) int, number func(k int) (float64, bool), act *activity, kinds []uint16, cutoff int64) {
	for j, c := range e.Columns {
		var v float64
		switch c.Kind {
		case "value":
			in := &e.Inputs[c.Input]
			if in.Kind == "number" {
				x, ok := number(c.Input)
				if !ok {
					x = in.Fill
				}
				v = x
			} else {
				v = float64(level(c.Input))
			}
		case "missing":
			if _, ok := number(c.Input); !ok {
				v = 1
			}
		case "level":
			if level(c.Input) == c.Level {
				v = 1
			}
		case "count":
			if act != nil {
				v = act.count(kinds[c.Event], c.Window)
			}
		case "days_since_last":
			v = neverActiveDays
			if act != nil {
				if d, ok := act.daysSinceLast(cutoff); ok {
					v = d
				}
			}
		case "never_active":
			if act == nil || act.last == 0 {
				v = 1
			}
		case "active_days":
			if act != nil {
				v = act.activeDays()
			}
		case "acceleration":
			if act != nil {
				v = act.acceleration()
			}
		}
		row[j] = v
	}
}

// encodeTable encodes the given rows of t (fitted from the same table) on
// all cores.
func (e *Encoder) encodeTable(t *Table, rows []int, cutoff int64) *learn.Matrix {
	x := learn.NewMatrix(len(rows), len(e.Columns))
	kinds := make([]uint16, len(e.EventTypes))
	tableKind := map[string]uint16{}
	for k, name := range t.EventTypes {
		tableKind[name] = uint16(k)
	}
	for j, name := range e.EventTypes {
		kinds[j] = tableKind[name]
	}
	workers := runtime.GOMAXPROCS(0)
	chunk := (len(rows) + workers - 1) / max(1, workers)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		lo, hi := w*chunk, min(len(rows), (w+1)*chunk)
		if lo >= hi {
			break
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for r := lo; r < hi; r++ {
				i := rows[r]
				level := func(k int) int {
					in := &e.Inputs[k]
					code := t.cols[in.col].str[i]
					if code < 0 {
						return in.lookup[levelMissing]
					}
					if int(code) < len(in.code) {
						return int(in.code[code])
					}
					return in.lookup[levelOther]
				}
				number := func(k int) (float64, bool) {
					v := t.cols[e.Inputs[k].col].num[i]
					return v, !math.IsNaN(v)
				}
				var act *activity
				if t.Activity != nil {
					act = &t.Activity[i]
				}
				cut := cutoff
				if t.cutoffs != nil {
					cut = t.cutoffs[i]
				}
				e.fill(x.Row(r), level, number, act, kinds, cut)
			}
		}()
	}
	wg.Wait()
	return x
}

func (e *Encoder) encodeValues(row []float64, vals []any, act *activity, asOf int64) {
	level := func(k int) int {
		in := &e.Inputs[k]
		switch v := vals[k].(type) {
		case nil:
			return in.lookup[levelMissing]
		case string:
			if li, ok := in.lookup[v]; ok {
				return li
			}
		case float64:
			if li, ok := in.lookup[strconv.FormatFloat(v, 'f', -1, 64)]; ok {
				return li
			}
		}
		return in.lookup[levelOther]
	}
	number := func(k int) (float64, bool) {
		switch v := vals[k].(type) {
		case float64:
			return v, true
		case string:
			f, err := strconv.ParseFloat(v, 64)
			return f, err == nil && !math.IsNaN(f) && !math.IsInf(f, 0)
		}
		return 0, false
	}
	e.fill(row, level, number, act, e.ownKinds, asOf)
}

// sourceByName rebuilds a source from its model-language name, for an
// encoder read back from an artefact.
func sourceByName(name, label string) (source, bool) {
	for _, s := range standardSources {
		if s.Name == name {
			s.Label = label
			return s, true
		}
	}
	if key, ok := strings.CutPrefix(name, ruleScope); ok {
		return source{Name: name, Label: label, key: key, rule: true}, true
	}
	scope, key, ok := strings.Cut(name, ".")
	if !ok || (scope != "lead" && scope != "account") {
		return source{}, false
	}
	return source{Name: name, Label: label, key: key, acct: scope == "account"}, true
}
