package scoring

import (
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/expr-lang/expr/vm"
	"github.com/leadscore/leadscore"
)

// State is one lead's working set under a set of models: its events in time
// order, and for every behaviour rule the events that can match it (type and
// where already checked). Applying a new event touches only the rules its
// type can reach; evaluating as of any instant then needs no expression runs
// for events at all. A State is not safe for concurrent use; rebuild it when
// the lead's or account's attributes change, since where conditions may read
// them.
type State struct {
	models  []*Model
	in      Input
	facts   *facts
	entries []*entry
	ids     map[string]struct{}
	// rules[mi][ri] holds model mi's behaviour rule ri.
	rules  [][]ruleState
	emails map[string][]*entry
	vm     vm.VM
	// whereEnv and eventVars are reused for every where condition: a State
	// is used by one goroutine, and rebuilding them per event was most of
	// the garbage of an evaluation.
	whereEnv  map[string]any
	eventVars map[string]any
	envFor    *entry
	// activeRead[mi] is the account.active_people model mi read in the
	// last evaluation, -1 before the first.
	activeRead []int
}

type entry struct {
	// ev points into the Input's events (never modified by the engine), or
	// at a copy for events added with Apply.
	ev *leadscore.Event
	// bot[mi] says why model mi ignores this event (0: it does not).
	bot []botKind
}

type botKind uint8

const (
	human botKind = iota
	botFlagged
	botTiming
	botBurst
)

type ruleState struct {
	matched []*entry
	then    []*entry
	// skipped records events a where condition could not be evaluated on,
	// reported as notes when they fall before the as-of time.
	skipped []skipNote
}

type skipNote struct {
	at  time.Time
	msg string
}

// NewState builds a lead's state for the models of the set. The state keeps
// pointers into in.Events, which the caller must not modify afterwards.
func (s *Set) NewState(in *Input) *State {
	return newState(s.models, in)
}

func newState(models []*Model, in *Input) *State {
	st := &State{models: models, in: *in, emails: map[string][]*entry{}}
	st.in.Events = nil
	if st.in.Lead == nil {
		st.in.Lead = &leadscore.Lead{}
	}
	st.facts = newFacts(&st.in, time.Time{}, models[0].qualityChecker(), 0)
	st.rules = make([][]ruleState, len(models))
	st.activeRead = make([]int, len(models))
	for mi, m := range models {
		st.rules[mi] = make([]ruleState, len(m.byEvent))
		st.activeRead[mi] = -1
	}
	// One allocation for all entries and one for all their bot flags.
	slab := make([]entry, len(in.Events))
	flags := make([]botKind, len(in.Events)*len(models))
	st.entries = make([]*entry, len(in.Events))
	for i := range in.Events {
		e := &slab[i]
		e.ev = &in.Events[i]
		e.bot = flags[i*len(models) : (i+1)*len(models) : (i+1)*len(models)]
		if e.ev.Bot {
			for k := range e.bot {
				e.bot[k] = botFlagged
			}
		}
		st.entries[i] = e
	}
	// Stored events usually arrive in time order already.
	if !slices.IsSortedFunc(st.entries, entryCompare) {
		slices.SortStableFunc(st.entries, entryCompare)
	}
	// The same event delivered twice (same id and time) counts once.
	uniq := st.entries[:0]
	for i, e := range st.entries {
		if i > 0 && e.ev.ID != "" && e.ev.ID == st.entries[i-1].ev.ID && e.ev.At.Equal(st.entries[i-1].ev.At) {
			continue
		}
		uniq = append(uniq, e)
	}
	st.entries = uniq
	// Entries are in order now, so every list below is built by appending.
	for _, e := range st.entries {
		if id := emailID(e.ev); id != "" {
			st.emails[id] = append(st.emails[id], e)
		}
	}
	for _, group := range st.emails {
		st.flagEmailGroup(group)
	}
	for _, e := range st.entries {
		st.match(e, false)
	}
	return st
}

func (st *State) newEntry(ev *leadscore.Event) *entry {
	if ev.ID != "" {
		if st.ids == nil {
			// Built on the first Apply: a state that is only evaluated
			// never pays for it.
			st.ids = make(map[string]struct{}, len(st.entries)+1)
			for _, e := range st.entries {
				if e.ev.ID != "" {
					st.ids[e.ev.ID] = struct{}{}
				}
			}
		}
		if _, dup := st.ids[ev.ID]; dup {
			return nil
		}
		st.ids[ev.ID] = struct{}{}
	}
	copied := *ev
	e := &entry{ev: &copied, bot: make([]botKind, len(st.models))}
	if ev.Bot {
		for i := range e.bot {
			e.bot[i] = botFlagged
		}
	}
	return e
}

func entryCompare(a, b *entry) int {
	if c := a.ev.At.Compare(b.ev.At); c != 0 {
		return c
	}
	return strings.Compare(a.ev.ID, b.ev.ID)
}

func entryLess(a, b *entry) bool {
	if !a.ev.At.Equal(b.ev.At) {
		return a.ev.At.Before(b.ev.At)
	}
	return a.ev.ID < b.ev.ID
}

// insertSorted places e in a time-ordered list; new events usually belong at
// the end, which costs nothing extra.
func insertSorted(list []*entry, e *entry) []*entry {
	i := len(list)
	for i > 0 && entryLess(e, list[i-1]) {
		i--
	}
	list = append(list, nil)
	copy(list[i+1:], list[i:])
	list[i] = e
	return list
}

// Apply adds one event to the state. An event whose ID is already known is
// ignored, so replays and client retries never count twice. It reports
// whether the event was added.
func (st *State) Apply(ev leadscore.Event) bool {
	e := st.newEntry(&ev)
	if e == nil {
		return false
	}
	st.entries = insertSorted(st.entries, e)
	if id := emailID(e.ev); id != "" {
		st.emails[id] = insertSorted(st.emails[id], e)
		st.flagEmailGroup(st.emails[id])
	}
	st.match(e, true)
	return true
}

// Len is the number of events in the state.
func (st *State) Len() int { return len(st.entries) }

// match files an event under every rule it can count for.
func (st *State) match(e *entry, ordered bool) {
	add := func(list []*entry) []*entry {
		if ordered {
			return insertSorted(list, e)
		}
		return append(list, e)
	}
	for mi, m := range st.models {
		hits := m.patterns.matches(e.ev.Type)
		for ri, r := range m.byEvent {
			rs := &st.rules[mi][ri]
			if hits[r.eventsList] && st.whereHolds(r, r.where, r.whereDynamic, r.whereStd, e, rs) {
				rs.matched = add(rs.matched)
			}
			if r.spec.Then != nil && hits[r.thenList] && st.whereHolds(r, r.thenWhere, r.thenDynamic, r.thenStd, e, rs) {
				rs.then = add(rs.then)
			}
		}
	}
}

// whereHolds checks a where condition at apply time. Conditions that read
// the clock or account activity cannot be decided now; they are filed and
// checked at evaluation.
func (st *State) whereHolds(r *compiledRule, where *vm.Program, dynamic, std bool, e *entry, rs *ruleState) bool {
	if where == nil || dynamic {
		return true
	}
	ok, err := st.run(where, st.eventEnv(e, std))
	if err != nil {
		rs.skipped = append(rs.skipped, skipNote{at: e.ev.At, msg: "rule " + r.spec.Name + " skipped a " + e.ev.Type + " event: " + friendlyError(err)})
	}
	return ok
}

// eventEnv returns the environment for e's where conditions, valid until
// the next call. A condition that reads only event properties (std false)
// gets the properties map itself, with no copy.
func (st *State) eventEnv(e *entry, std bool) map[string]any {
	if st.whereEnv == nil {
		st.eventVars = make(map[string]any, 8)
		st.whereEnv = map[string]any{"lead": st.facts.lead, "account": st.facts.account}
	}
	st.whereEnv["now"] = st.facts.env["now"]
	if !std {
		props := e.ev.Properties
		if props == nil {
			props = emptyVars
		}
		st.whereEnv["event"] = props
		return st.whereEnv
	}
	if st.envFor != e {
		st.facts.fillEventVars(st.eventVars, e.ev)
		st.envFor = e
	}
	st.whereEnv["event"] = st.eventVars
	return st.whereEnv
}

// emptyVars stands in for an event without properties; conditions only read
// it.
var emptyVars = map[string]any{}

func (st *State) run(prog *vm.Program, env map[string]any) (bool, error) {
	out, err := st.vm.Run(prog, env)
	if err != nil {
		return false, err
	}
	b, ok := out.(bool)
	if !ok {
		return false, errNotBool
	}
	return b, nil
}

// flagEmailGroup re-derives, for every model, which events of one email are
// scanner traffic: opened or clicked within seconds of delivery, or part of
// a burst clicking every link. Events flagged at ingestion stay flagged.
func (st *State) flagEmailGroup(group []*entry) {
	for mi, m := range st.models {
		q := m.spec.Quality
		for _, e := range group {
			if e.bot[mi] != botFlagged {
				e.bot[mi] = human
			}
		}
		if q.Disable {
			continue
		}
		var delivered time.Time
		var clicks []*entry
		for _, e := range group {
			switch e.ev.Type {
			case "email.delivered", "email.sent":
				if delivered.IsZero() {
					delivered = e.ev.At
				}
			case "email.opened", "email.clicked":
				if e.bot[mi] == botFlagged {
					continue
				}
				// Clicks caught by timing still join the burst check, so a
				// scanner's later clicks in the same burst are caught too.
				if e.ev.Type == "email.clicked" {
					clicks = append(clicks, e)
				}
				if !delivered.IsZero() && e.ev.At.Sub(delivered) < q.ClickDelay.Std() {
					e.bot[mi] = botTiming
				}
			}
		}
		if len(clicks) < q.BurstClicks {
			continue
		}
		// Slide a window over the clicks; a window holding BurstClicks
		// distinct links marks all of its clicks.
		for lo := range clicks {
			urls := map[any]bool{}
			hi := lo
			for hi < len(clicks) && clicks[hi].ev.At.Sub(clicks[lo].ev.At) <= q.BurstWindow.Std() {
				urls[clicks[hi].ev.Properties["url"]] = true
				hi++
			}
			if len(urls) >= q.BurstClicks {
				for _, c := range clicks[lo:hi] {
					if c.bot[mi] == human {
						c.bot[mi] = botBurst
					}
				}
			}
		}
	}
}

// cutAt is the number of the state's events at or before asOf: the
// events an evaluation as of then sees.
func (st *State) cutAt(asOf time.Time) int {
	return sort.Search(len(st.entries), func(i int) bool { return st.entries[i].ev.At.After(asOf) })
}

// Evaluate scores the lead under every model of the state as of asOf.
func (st *State) Evaluate(asOf time.Time) []*leadscore.Evaluation {
	cut := st.cutAt(asOf)
	st.facts.env["now"] = asOf
	st.envFor = nil
	out := make([]*leadscore.Evaluation, 0, len(st.models))
	done := make(map[string]*leadscore.Evaluation, len(st.models))
	for mi, m := range st.models {
		var ev *leadscore.Evaluation
		if m.spec.Kind == leadscore.KindCombined {
			ev = m.combine(st, asOf, done)
		} else if m.spec.Kind == leadscore.KindPredictive {
			ev = m.predict(st, cut, asOf)
		} else {
			ev = m.evaluate(st, mi, cut, asOf)
		}
		done[m.Name()] = ev
		out = append(out, ev)
	}
	// An event dated after asOf (a client clock ahead of ours, a scheduled
	// webinar) changes the score when its time comes.
	if cut < len(st.entries) {
		at := st.entries[cut].ev.At
		for _, ev := range out {
			if ev.NextChangeAt.IsZero() || at.Before(ev.NextChangeAt) {
				ev.NextChangeAt = at
			}
		}
	}
	return out
}

// SetPeers replaces the other people of the lead's account, so a cached
// state can be evaluated with current account activity.
func (st *State) SetPeers(peers []leadscore.Peer) { st.in.Peers = peers }

// ActivePeopleRead returns, per model in evaluation order, the
// account.active_people the last Evaluate read; -1 for a model it did not
// count it for (none yet, or a combined or predictive model).
func (st *State) ActivePeopleRead() []int { return slices.Clone(st.activeRead) }

// ActivityDecides reports whether the account's activity as of asOf, with
// the state's current peers, could score the lead differently from an
// evaluation that read the counts in read (from ActivePeopleRead). It is
// false when, for every model, the count is unchanged or every condition
// that reads it decides as it did with the old count: then a colleague's
// activity alone leaves the lead's evaluation as it was, and the work of
// re-evaluating it can be skipped. The answer errs towards true: an
// unknown count, or one an event condition reads, decides.
func (st *State) ActivityDecides(asOf time.Time, read []int) bool {
	if len(read) != len(st.models) {
		return true
	}
	cut := st.cutAt(asOf)
	for mi, m := range st.models {
		if !m.usesActivePeople {
			continue
		}
		if read[mi] < 0 {
			return true
		}
		n, _ := activePeople(m.stakeWindow, asOf, lastActivityOf(st.entries[:cut], mi, nil), st.in.Peers)
		if n == read[mi] {
			continue
		}
		if m.activityPerEvent || st.conditionsDiffer(m.activityConds, asOf, read[mi], n) {
			return true
		}
	}
	return false
}

// conditionsDiffer reports whether any of conds decides differently, as of
// asOf, with account.active_people at a than at b. A condition that fails
// to run differs when its error does: the error becomes a note.
func (st *State) conditionsDiffer(conds []*vm.Program, asOf time.Time, a, b int) bool {
	account, env := st.facts.account, st.facts.env
	savedCount, savedNow := account["active_people"], env["now"]
	defer func() { account["active_people"], env["now"] = savedCount, savedNow }()
	env["now"] = asOf
	errText := func(err error) string {
		if err == nil {
			return ""
		}
		return err.Error()
	}
	for _, prog := range conds {
		account["active_people"] = a
		okA, errA := st.run(prog, env)
		account["active_people"] = b
		okB, errB := st.run(prog, env)
		if okA != okB || errText(errA) != errText(errB) {
			return true
		}
	}
	return false
}

// SetAccountScores replaces the account's scores readable by conditions.
func (st *State) SetAccountScores(scores map[string]float64) {
	st.in.AccountScores = scores
	st.facts.setAccountScores(scores)
}
