package predict

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"math"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/leadscore/leadscore"
	"github.com/leadscore/leadscore/ingest"
	"github.com/leadscore/leadscore/quality"
	"github.com/leadscore/leadscore/scoring"
)

// Sample is one stored lead to learn from: its fields, account and events,
// its outcome, and the instant it is observed at. Events at or after
// Cutoff are never read into a feature: for a lead with an outcome the
// cut-off is just before the outcome (less a horizon), so nothing that
// happened because of the outcome can leak into the model.
type Sample struct {
	Lead      *leadscore.Lead
	Account   *leadscore.Account
	Events    []leadscore.Event
	Converted bool
	Cutoff    time.Time
	// Order places the lead in time for the out-of-time check (its
	// creation time, else its first event, else its cut-off).
	Order time.Time
}

// TableBuilder builds a training table from stored leads, each with its
// own cut-off. Columns appear as leads bring them: a custom field first
// seen on the thousandth lead is absent for the 999 before.
type TableBuilder struct {
	t       *Table
	checker *quality.Checker
	bySrc   map[string]int
	typeIdx map[string]uint16
	rules   *RuleInputs
}

// NewTableBuilder starts an empty table whose rows carry their own
// cut-offs. With rules, every rule of the rule model is a 0/1 feature:
// whether it fired for the lead as of its cut-off.
func NewTableBuilder(rules *RuleInputs) *TableBuilder {
	t := &Table{OrderBy: "lead created", cutoffs: []int64{}, Activity: []activity{}}
	b := &TableBuilder{t: t, checker: quality.NewChecker(), bySrc: map[string]int{}, typeIdx: map[string]uint16{}, rules: rules}
	for _, s := range standardSources {
		b.source(s)
	}
	if rules != nil {
		for _, s := range rules.sources() {
			b.source(s)
		}
	}
	return b
}

// source returns the column of s, adding it (absent for the rows so far)
// when new.
func (b *TableBuilder) source(s source) int {
	if k, ok := b.bySrc[s.Name]; ok {
		return k
	}
	k := len(b.t.Sources)
	b.bySrc[s.Name] = k
	b.t.Sources = append(b.t.Sources, s)
	var c rawColumn
	for range b.t.Y {
		c.add(nil)
	}
	b.t.cols = append(b.t.cols, c)
	return k
}

// Add appends one lead. Bot events are not counted, as in files.
func (b *TableBuilder) Add(s Sample) {
	t := b.t
	// Custom fields become sources in a stable order (sorted keys).
	for _, kv := range [2]struct {
		fields map[string]any
		acct   bool
	}{{s.Lead.Fields, false}, {accountFields(s.Account), true}} {
		keys := make([]string, 0, len(kv.fields))
		for k := range kv.fields {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			name := "lead." + k
			if kv.acct {
				name = "account." + k
			}
			b.source(source{Name: name, Label: strings.ReplaceAll(k, "_", " "), field: ingest.FieldCustom, key: k, acct: kv.acct})
		}
	}
	var fired map[string]bool
	if b.rules != nil {
		fired = b.rules.Fired(s.Lead, s.Account, s.Events, s.Cutoff)
	}
	for k := range t.Sources {
		if src := &t.Sources[k]; src.rule {
			t.cols[k].add(ruleValue(fired, src.key))
			continue
		}
		t.cols[k].add(t.Sources[k].value(s.Lead, s.Account, b.checker))
	}
	cut := s.Cutoff.Unix()
	var act activity
	for i := range s.Events {
		e := &s.Events[i]
		t.Stats.Events++
		if e.Bot {
			t.Stats.EventsBot++
			continue
		}
		if e.At.Unix() >= cut {
			t.Stats.EventsAfterCut++
			continue
		}
		k, seen := b.typeIdx[e.Type]
		if !seen {
			if len(t.EventTypes) < maxEventTypes {
				k = uint16(len(t.EventTypes))
				b.typeIdx[e.Type] = k
				t.EventTypes = append(t.EventTypes, e.Type)
			} else {
				k = unknownType
			}
		}
		act.add(k, e.At.Unix(), cut)
	}
	order := s.Order
	if order.IsZero() {
		order = s.Cutoff
	}
	t.Activity = append(t.Activity, act)
	t.cutoffs = append(t.cutoffs, cut)
	t.Y = append(t.Y, s.Converted)
	t.Order = append(t.Order, order.Unix())
	t.Lines = append(t.Lines, len(t.Y))
	t.IDs = append(t.IDs, s.Lead.ID)
	if s.Converted {
		t.Stats.Converted++
	}
}

func accountFields(a *leadscore.Account) map[string]any {
	if a == nil {
		return nil
	}
	return a.Fields
}

// Table finishes the table. The builder must not be used afterwards.
func (b *TableBuilder) Table() *Table {
	t := b.t
	for k := range t.cols {
		t.cols[k].finish()
	}
	t.Stats.Rows = len(t.Y)
	return t
}

// Hash identifies the training set (leads, outcomes and cut-offs), so an
// artefact trained from the store can be traced to what it learned from
// as one trained from files is to their SHA-256.
func (t *Table) Hash() string {
	h := sha256.New()
	for i, id := range t.IDs {
		y := "0"
		if t.Y[i] {
			y = "1"
		}
		var cut int64
		if t.cutoffs != nil {
			cut = t.cutoffs[i]
		}
		h.Write([]byte(id + "\x00" + y + "\x00" + time.Unix(cut, 0).UTC().Format(time.RFC3339) + "\n"))
	}
	return hex.EncodeToString(h.Sum(nil))
}

// ArtefactVersion is the version a stored artefact is known by: a hash of
// its bytes.
func ArtefactVersion(body []byte) string {
	sum := sha256.Sum256(body)
	return hex.EncodeToString(sum[:6])
}

// Result is the whole training report as stored with an artefact and as
// `leadscore train --json` prints it.
type Result struct {
	*Report
	Summary    Summary          `json:"summary"`
	Rules      *RuleComparison  `json:"rule_model,omitempty"`
	Challenge  *Challenge       `json:"challenge,omitempty"`
	Tiers      []Tier           `json:"tiers"`
	Importance []Importance     `json:"importance,omitempty"`
	Store      *StoreProvenance `json:"store,omitempty"`
}

// RuleComparison is a rule model's AUC on the same leads as the
// predictive model's out-of-fold AUC.
type RuleComparison struct {
	Model      string  `json:"model"`
	Leads      int     `json:"leads"`
	RuleAUC    float64 `json:"rule_auc"`
	PredictAUC float64 `json:"predictive_auc"`
	Error      string  `json:"error,omitempty"`
}

// Challenge is the verdict on a retrained model against the current one.
type Challenge struct {
	Current         string  `json:"current"`
	CurrentOutOfAUC float64 `json:"current_out_of_time_auc"`
	NewOutOfTimeAUC float64 `json:"new_out_of_time_auc"`
	Replaced        bool    `json:"replaced"`
	Reason          string  `json:"reason"`
}

// Importance is one feature's share of the factors.
type Importance struct {
	Feature string  `json:"feature"`
	Share   float64 `json:"share"`
}

// StoreProvenance says how a training set was taken from the store.
type StoreProvenance struct {
	Name    string `json:"name"`
	Version string `json:"version,omitempty"`
	// Leads is every stored lead looked at.
	Leads     int `json:"leads"`
	Won       int `json:"won"`
	Lost      int `json:"lost"`
	NoOutcome int `json:"no_outcome_mature"`
	// Immature leads have no outcome and are younger than the maturity
	// window: they may still convert, so they are left out.
	Immature int    `json:"immature"`
	Horizon  string `json:"horizon"`
	Maturity string `json:"maturity"`
	// ObservedAge is the age at which a mature lead without an outcome is
	// observed (less the horizon): the median age of leads at their
	// outcome, so that both kinds of lead are seen at a like moment.
	ObservedAge string    `json:"observed_age"`
	TrainedAt   time.Time `json:"trained_at"`
	RuleModel   string    `json:"rule_model,omitempty"`
	// Options are the training's options, which a scheduled retraining
	// uses again.
	Options *leadscore.PredictiveTraining `json:"options,omitempty"`
}

// Decide judges a challenger against the current model's out-of-time AUC:
// it replaces the current one only if it is activatable and better out of
// time.
func Decide(current string, currentAUC float64, m *Model, rep *Report) *Challenge {
	c := &Challenge{Current: current, CurrentOutOfAUC: currentAUC, NewOutOfTimeAUC: m.Summary.OutOfTimeAUC}
	switch {
	case rep.OutOfTime == nil:
		c.Reason = "the new model has no out-of-time check (too few leads with both outcomes in the latest 20%)"
	case !m.Activatable:
		c.Reason = "the new model is not activatable: " + strings.Join(m.NotActivatable, "; ")
	case m.Summary.OutOfTimeAUC > currentAUC:
		c.Replaced = true
		c.Reason = "out-of-time AUC " + f4(m.Summary.OutOfTimeAUC) + " beats the current " + f4(currentAUC)
	default:
		c.Reason = "out-of-time AUC " + f4(m.Summary.OutOfTimeAUC) + " does not beat the current " + f4(currentAUC) + "; the current model stays"
	}
	return c
}

func f4(v float64) string {
	b, _ := json.Marshal(math.Round(v*1e4) / 1e4)
	return string(b)
}

// StorePrefix marks an artefact reference to the store in a model file:
// artifact: store:NAME or store:NAME@VERSION.
const StorePrefix = "store:"

// ParseStoreRef splits a store reference; ok is false for a file path.
func ParseStoreRef(ref string) (name, version string, ok bool) {
	rest, ok := strings.CutPrefix(ref, StorePrefix)
	if !ok {
		return "", "", false
	}
	name, version, _ = strings.Cut(rest, "@")
	return name, version, true
}

// StoreLoader returns a LoadPredictor that reads store: references from r
// and anything else with files (predict.LoadPredictor, or another loader
// that resolves paths). Parsed artefacts are kept by version: artefacts
// are immutable, and reloading the active models must not parse them
// again.
func StoreLoader(r leadscore.PredictiveReader, files func(string) (scoring.Predictor, error)) func(string) (scoring.Predictor, error) {
	var mu sync.Mutex
	cache := map[string]scoring.Predictor{}
	return func(ref string) (scoring.Predictor, error) {
		name, version, ok := ParseStoreRef(ref)
		if !ok {
			if files == nil {
				return nil, leadscore.Invalid("artifact", "%s: this server loads predictive models from its store only (artifact: store:NAME)", ref)
			}
			return files(ref)
		}
		if name == "" {
			return nil, leadscore.Invalid("artifact", "%q names no stored model (store:NAME or store:NAME@VERSION)", ref)
		}
		if version != "" {
			mu.Lock()
			p := cache[name+"@"+version]
			mu.Unlock()
			if p != nil {
				return p, nil
			}
		}
		// Reads outside any request: loading runs at upload and at start.
		a, err := r.PredictiveArtifact(context.Background(), name, version)
		if err != nil {
			return nil, err
		}
		key := a.Name + "@" + a.Version
		mu.Lock()
		p := cache[key]
		mu.Unlock()
		if p != nil {
			return p, nil
		}
		if !a.Activatable {
			return nil, leadscore.Errorf(leadscore.CodeInvalid, "stored model %s is not activatable (see its training report)", key)
		}
		m, err := Parse(a.Body, ref)
		if err != nil {
			return nil, err
		}
		if !m.Activatable {
			return nil, leadscore.Errorf(leadscore.CodeInvalid, "stored model %s is not activatable: %v", key, m.NotActivatable)
		}
		p = m.Predictor()
		mu.Lock()
		cache[key] = p
		mu.Unlock()
		return p, nil
	}
}
