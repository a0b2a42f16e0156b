package scoring

import (
	"errors"
	"fmt"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/expr-lang/expr/vm"
	"github.com/leadscore/leadscore"
)

var errNotBool = errors.New("condition did not return true or false")

// friendlyError turns expr's message about a missing value into words.
func friendlyError(err error) string {
	msg := firstLine(err.Error())
	if strings.Contains(msg, "<nil>") {
		return "a field it reads is missing (" + msg + ")"
	}
	return msg
}

// Evaluate scores one lead under this model alone. A combined model
// evaluated alone has no parts to combine; use a Set for those.
func (m *Model) Evaluate(in *Input, asOf time.Time) *leadscore.Evaluation {
	return newState([]*Model{m}, in).Evaluate(asOf)[0]
}

// evaluation carries the working state of one model's evaluation.
type evaluation struct {
	m    *Model
	st   *State
	mi   int // the model's index in the state
	asOf time.Time
	// seen are the state's events at or before asOf.
	seen []*entry
	ev   *leadscore.Evaluation
	next time.Time
	// hlRules are the half-life-decayed totals per rule, for nextChangeAt.
	hlRules []halfLifeMass
	notes   map[string]bool
	// anyBot says whether any seen event is bot traffic for this model.
	anyBot bool
	// decayTaken is what inactivity decay actually removed.
	decayTaken float64
}

type halfLifeMass struct {
	points   float64
	halfLife time.Duration
}

func (e *evaluation) candidate(t time.Time) {
	if !t.After(e.asOf) {
		return
	}
	if e.next.IsZero() || t.Before(e.next) {
		e.next = t
	}
}

func (e *evaluation) note(format string, args ...any) {
	s := fmt.Sprintf(format, args...)
	if e.notes[s] {
		return
	}
	e.notes[s] = true
	e.ev.Notes = append(e.ev.Notes, s)
}

func (m *Model) evaluate(st *State, mi, cut int, asOf time.Time) *leadscore.Evaluation {
	e := &evaluation{m: m, st: st, mi: mi, asOf: asOf, seen: st.entries[:cut], notes: map[string]bool{}, ev: &leadscore.Evaluation{
		Model: m.Name(), Version: m.version, LeadID: st.in.Lead.ID, AsOf: asOf,
	}}
	e.reportBots()
	if m.usesNow {
		// A condition reading the clock may flip on any day.
		e.candidate(asOf.Add(24 * time.Hour))
	}
	e.ev.LastActivity = e.lastActivity(m.activity)
	e.setActivePeople()

	for _, r := range m.require {
		ok, err := st.run(r.prog, st.facts.env)
		reason := r.spec.Reason
		if reason == "" {
			reason = r.spec.Name
		}
		if err != nil {
			e.note("requirement %s could not be checked: %s", r.spec.Name, friendlyError(err))
			reason += " (could not be checked)"
		}
		if !ok {
			e.ev.Disqualified = true
			e.ev.Reasons = append(e.ev.Reasons, reason)
		}
	}

	ruleTotals := make(map[*compiledRule]float64)
	e.scoreRules(m.root, ruleTotals)

	decay, decayAdj := e.inactivityDecay()
	total, cats := e.aggregate(ruleTotals, decay)
	e.ev.Categories = cats
	if len(decayAdj) > 0 {
		if m.decayCategory == nil {
			before := total
			if math.IsInf(decay, -1) {
				total = min(total, m.spec.Scale.Min)
			} else {
				total += decay
			}
			e.decayTaken = total - before
		}
		if last := &decayAdj[len(decayAdj)-1]; last.Kind == leadscore.AdjustReset {
			last.Points = round2(e.decayTaken)
		}
	}
	e.ev.Adjustments = append(e.ev.Adjustments, decayAdj...)
	e.finish(total)
	e.halfLifeCandidate()
	e.ev.NextChangeAt = e.next
	return e.ev
}

// finish clamps, rounds and classifies a raw total.
func (e *evaluation) finish(total float64) {
	m, ev := e.m, e.ev
	ev.Raw = round2(total)
	clamped := total
	if total > m.spec.Scale.Max {
		clamped = m.spec.Scale.Max
		ev.Adjustments = append(ev.Adjustments, leadscore.Adjustment{Kind: leadscore.AdjustClamp, Points: round2(clamped - total),
			Text: fmt.Sprintf("capped at %s (scale maximum, %s earned)", fmtPoints(m.spec.Scale.Max), fmtPoints(total))})
	} else if total < m.spec.Scale.Min {
		clamped = m.spec.Scale.Min
		ev.Adjustments = append(ev.Adjustments, leadscore.Adjustment{Kind: leadscore.AdjustClamp, Points: round2(clamped - total),
			Text: fmt.Sprintf("raised to %s (scale minimum)", fmtPoints(m.spec.Scale.Min))})
	}
	ev.Score = math.Round(clamped)
	if ev.Disqualified && m.spec.Disqualified == leadscore.DisqualifyZero {
		ev.Adjustments = append(ev.Adjustments, leadscore.Adjustment{Kind: leadscore.AdjustDisqualified, Points: m.spec.Scale.Min - ev.Score,
			Text: "disqualified: " + joinReasons(ev.Reasons)})
		ev.Score = m.spec.Scale.Min
	}
	ev.Qualified = !ev.Disqualified && m.spec.MQL != nil && ev.Score >= *m.spec.MQL
	for i, b := range m.spec.Bands {
		if ev.Score >= b.Min || i == len(m.spec.Bands)-1 {
			ev.Band = b.Name
			break
		}
	}
	e.grade()
	e.prefix()
}

func (e *evaluation) grade() {
	g := e.m.spec.Grade
	if g == nil || len(g.Levels) == 0 {
		return
	}
	var pts float64
	if g.Category == "" {
		pts = e.ev.Score
	} else if c := e.m.findCategory(g.Category); c != nil {
		for _, cr := range e.ev.Categories {
			if cr.Path == c.path {
				pts = cr.Points
			}
		}
	}
	e.ev.Grade = g.Levels[len(g.Levels)-1].Grade
	for _, l := range g.Levels {
		if pts >= l.Min {
			e.ev.Grade = l.Grade
			break
		}
	}
}

func (e *evaluation) prefix() {
	for _, pr := range e.m.prefix {
		ok := true
		if pr.prog != nil {
			var err error
			ok, err = e.st.run(pr.prog, e.st.facts.env)
			if err != nil {
				e.note("prefix %d could not be checked: %s", pr.spec.Digit, friendlyError(err))
			}
		}
		if ok {
			e.ev.Prefix = pr.spec.Digit
			e.ev.PrefixLabel = pr.spec.Label
			e.ev.Display = int64(pr.spec.Digit)*prefixMultiplier(e.m.spec.Scale.Max) + int64(e.ev.Score)
			return
		}
	}
	e.ev.Display = int64(e.ev.Score)
}

// prefixMultiplier leaves room for every score of the scale below the digit:
// a 0..100 scale puts the digit in the thousands (2089).
func prefixMultiplier(max float64) int64 {
	mult := int64(1000)
	for float64(mult) <= max {
		mult *= 10
	}
	return mult
}

// reportBots explains how many events this model ignored as bot traffic.
func (e *evaluation) reportBots() {
	var flagged, timing, burst int
	for _, en := range e.seen {
		switch en.bot[e.mi] {
		case botFlagged:
			flagged++
		case botTiming:
			timing++
		case botBurst:
			burst++
		}
	}
	n := flagged + timing + burst
	if n == 0 {
		return
	}
	e.anyBot = true
	var why []string
	if flagged > 0 {
		why = append(why, fmt.Sprintf("%d flagged as bot or scanner traffic", flagged))
	}
	if timing > 0 {
		why = append(why, fmt.Sprintf("%d within %s of delivery", timing, e.m.spec.Quality.ClickDelay))
	}
	if burst > 0 {
		why = append(why, fmt.Sprintf("%d in a burst clicking every link", burst))
	}
	e.ev.Adjustments = append(e.ev.Adjustments, leadscore.Adjustment{Kind: leadscore.AdjustBot,
		Text: fmt.Sprintf("%d bot %s ignored (%s)", n, plural(n, "event", "events"), joinComma(why))})
}

// emailID ties the events of one sent email together (delivery, opens,
// clicks) for scanner detection.
func emailID(ev *leadscore.Event) string {
	if len(ev.Properties) == 0 || !strings.HasPrefix(ev.Type, "email.") {
		return ""
	}
	for _, k := range []string{"email_id", "message_id", "campaign_id"} {
		switch v := ev.Properties[k].(type) {
		case nil:
		case string:
			return v
		default:
			return fmt.Sprint(v)
		}
	}
	return ""
}

// lastActivity is the time of the latest non-bot event matching patterns
// (any event when there are none).
func (e *evaluation) lastActivity(patterns []string) time.Time {
	return lastActivityOf(e.seen, e.mi, patterns)
}

// lastActivityOf is the time of the latest of entries that model mi counts
// as human and that matches patterns (any event when there are none).
func lastActivityOf(entries []*entry, mi int, patterns []string) time.Time {
	for i := len(entries) - 1; i >= 0; i-- {
		en := entries[i]
		if en.bot[mi] != human {
			continue
		}
		if len(patterns) == 0 || matchAny(patterns, en.ev.Type) {
			return en.ev.At
		}
	}
	return time.Time{}
}

func matchAny(patterns []string, t string) bool {
	for _, p := range patterns {
		if MatchEventType(p, t) {
			return true
		}
	}
	return false
}

// setActivePeople counts the distinct people of the account, the lead
// included, with activity inside the stakeholder window.
func (e *evaluation) setActivePeople() {
	n, latest := activePeople(e.m.stakeWindow, e.asOf, e.lastActivity(nil), e.st.in.Peers)
	e.st.facts.account["active_people"] = n
	e.st.activeRead[e.mi] = n
	if e.m.usesActivePeople {
		for _, t := range latest {
			e.candidate(t.Add(e.m.stakeWindow))
		}
	}
}

// activePeople counts the lead (last active at self) and its peers if
// active in the window of length w ending at asOf, and returns each active
// person's latest activity in it.
func activePeople(w time.Duration, asOf, self time.Time, peers []leadscore.Peer) (int, []time.Time) {
	from := asOf.Add(-w)
	n := 0
	var latest []time.Time
	if !self.IsZero() && self.After(from) {
		n++
		latest = append(latest, self)
	}
	for _, peer := range peers {
		var best time.Time
		for _, t := range peer.Activity {
			if t.After(from) && !t.After(asOf) && t.After(best) {
				best = t
			}
		}
		if !best.IsZero() {
			n++
			latest = append(latest, best)
		}
	}
	return n, latest
}

// scoreRules evaluates every rule below c, recording contributions in model
// order and each rule's total in totals.
func (e *evaluation) scoreRules(c *compiledCategory, totals map[*compiledRule]float64) {
	for _, r := range c.rules {
		if r.when != nil {
			ok, err := e.st.run(r.when, e.st.facts.env)
			if err != nil {
				e.note("rule %s did not match: %s", r.spec.Name, friendlyError(err))
			}
			if !ok {
				continue
			}
		}
		if !r.spec.IsBehaviour() {
			totals[r] = r.spec.Points
			e.ev.Contributions = append(e.ev.Contributions, leadscore.Contribution{
				Rule: r.spec.Name, Label: r.spec.Label, Category: c.path, Points: r.spec.Points, Count: 1,
			})
			continue
		}
		if contrib, ok := e.scoreBehaviour(r); ok {
			totals[r] = contrib.Points
			e.ev.Contributions = append(e.ev.Contributions, contrib)
		}
	}
	for _, ch := range c.children {
		e.scoreRules(ch, totals)
	}
}

// occurrence is one time a rule counted: an event, a sequence (first step
// and follow-up), or a threshold reached by a group of events.
type occurrence struct {
	at      time.Time
	trigger *entry
	first   *entry   // a sequence's first step
	group   []*entry // an at_least rule's events, trigger last
}

// size is the number of events behind the occurrence.
func (o *occurrence) size() int {
	switch {
	case o.group != nil:
		return len(o.group)
	case o.first != nil:
		return 2
	}
	return 1
}

func (o *occurrence) entries(yield func(*entry) bool) {
	switch {
	case o.group != nil:
		for _, e := range o.group {
			if !yield(e) {
				return
			}
		}
	case o.first != nil:
		if yield(o.first) {
			yield(o.trigger)
		}
	default:
		yield(o.trigger)
	}
}

// matchEvents narrows a rule's filed events to those that count as of the
// evaluation: not after it, not bot traffic, inside the rule's window, and
// passing a where condition that could only be checked now.
func (e *evaluation) matchEvents(r *compiledRule, filed []*entry, where *vm.Program, dynamic bool) []*entry {
	lo, hi := 0, sort.Search(len(filed), func(i int) bool { return filed[i].ev.At.After(e.asOf) })
	std := where == r.where && r.whereStd || where == r.thenWhere && r.thenStd
	if r.spec.Within > 0 {
		from := e.asOf.Add(-r.spec.Within.Std())
		lo = sort.Search(hi, func(i int) bool { return filed[i].ev.At.After(from) })
	}
	if !dynamic && !e.anyBot {
		// Nothing left to filter: the filed list is already the answer.
		return filed[lo:hi]
	}
	out := make([]*entry, 0, hi-lo)
	for _, en := range filed[lo:hi] {
		if en.bot[e.mi] != human {
			continue
		}
		if dynamic && where != nil {
			ok, err := e.st.run(where, e.st.eventEnv(en, std))
			if err != nil {
				e.note("rule %s skipped a %s event: %s", r.spec.Name, en.ev.Type, friendlyError(err))
			}
			if !ok {
				continue
			}
		}
		out = append(out, en)
	}
	return out
}

func (e *evaluation) scoreBehaviour(r *compiledRule) (leadscore.Contribution, bool) {
	spec := r.spec
	rs := &e.st.rules[e.mi][r.index]
	for _, sk := range rs.skipped {
		if !sk.at.After(e.asOf) {
			e.note("%s", sk.msg)
		}
	}
	matched := e.matchEvents(r, rs.matched, r.where, r.whereDynamic)
	if len(matched) == 0 {
		return leadscore.Contribution{}, false
	}
	within := spec.Within.Std()
	if within > 0 {
		// The oldest matched event leaving the window can change the count.
		e.candidate(matched[0].ev.At.Add(within))
	}
	var occ []occurrence
	switch {
	case spec.Then != nil:
		follow := e.matchEvents(r, rs.then, r.thenWhere, r.thenDynamic)
		win := spec.Then.Within.Std()
		for _, b := range follow {
			// The latest first step at or before b is the one reported.
			for k := len(matched) - 1; k >= 0; k-- {
				a := matched[k]
				if a == b || entryLess(b, a) {
					continue
				}
				if b.ev.At.Sub(a.ev.At) <= win {
					occ = append(occ, occurrence{at: b.ev.At, trigger: b, first: a})
				}
				break
			}
		}
		occ = e.dedupe(spec.Count, occ)
	case spec.AtLeast > 0:
		d := e.dedupe(spec.Count, singleOccurrences(matched))
		if len(d) >= spec.AtLeast {
			all := make([]*entry, 0, len(d))
			for _, o := range d {
				all = append(all, o.trigger)
			}
			occ = []occurrence{{at: d[len(d)-1].at, trigger: all[len(all)-1], group: all}}
		}
	default:
		occ = e.dedupe(spec.Count, singleOccurrences(matched))
	}
	if r.expire > 0 {
		live := occ[:0]
		for _, o := range occ {
			if end := o.at.Add(r.expire); end.After(e.asOf) {
				live = append(live, o)
				e.candidate(end)
			}
		}
		occ = live
	}
	contrib := leadscore.Contribution{Rule: spec.Name, Label: spec.Label, Category: r.category.path, Matched: len(matched)}
	if len(occ) > 0 {
		contrib.Events = make([]leadscore.EventRef, 0, min(len(occ), leadscore.MaxEventRefs))
	}
	var details []string
	if spec.AtLeast > 0 && len(occ) > 0 {
		details = append(details, fmt.Sprintf("%d times within %s", len(occ[0].group), spec.Within))
	}
	if spec.SkipFirst > 0 {
		skipped := min(spec.SkipFirst, len(occ))
		occ = occ[skipped:]
		details = append(details, fmt.Sprintf("first %d not counted", spec.SkipFirst))
	}
	if spec.MaxTimes > 0 && len(occ) > spec.MaxTimes {
		occ = occ[:spec.MaxTimes]
		details = append(details, fmt.Sprintf("limited to %d %s", spec.MaxTimes, plural(spec.MaxTimes, "time", "times")))
	}
	var total float64
	// Only the most recent occurrences are listed; older ones are counted.
	listFrom := 0
	if n := len(occ); n > 0 {
		refs := 0
		for listFrom = n; listFrom > 0 && refs < leadscore.MaxEventRefs; listFrom-- {
			refs += occ[listFrom-1].size()
		}
	}
	for k, o := range occ {
		pts := spec.Points
		if r.halfLife > 0 {
			pts *= math.Exp2(-float64(e.asOf.Sub(o.at)) / float64(r.halfLife))
		}
		total += pts
		if k < listFrom {
			contrib.EventsOmitted += o.size()
			continue
		}
		for en := range o.entries {
			ref := leadscore.EventRef{ID: en.ev.ID, Type: en.ev.Type, At: en.ev.At}
			if en == o.trigger {
				ref.Points = round2(pts)
			}
			contrib.Events = append(contrib.Events, ref)
		}
	}
	if r.halfLife > 0 && len(occ) > 0 {
		details = append(details, fmt.Sprintf("points halve every %s", leadscore.Duration(r.halfLife)))
	}
	if spec.MaxPoints != nil {
		limit := *spec.MaxPoints
		if spec.Points >= 0 && total > limit {
			total = limit
			details = append(details, fmt.Sprintf("limited to %s points", fmtPoints(limit)))
		} else if spec.Points < 0 && total < -limit {
			total = -limit
			details = append(details, fmt.Sprintf("limited to %s points", fmtPoints(-limit)))
		}
	}
	if r.halfLife > 0 && total != 0 {
		e.hlRules = append(e.hlRules, halfLifeMass{points: total, halfLife: r.halfLife})
	}
	contrib.Count = len(occ)
	contrib.Points = round2(total)
	contrib.Detail = joinComma(details)
	return contrib, true
}

func singleOccurrences(matched []*entry) []occurrence {
	out := make([]occurrence, len(matched))
	for k, en := range matched {
		out[k] = occurrence{at: en.ev.At, trigger: en}
	}
	return out
}

// dedupe keeps the first occurrence of each counting period.
func (e *evaluation) dedupe(mode leadscore.CountMode, occ []occurrence) []occurrence {
	switch mode {
	case leadscore.CountOnce:
		if len(occ) > 1 {
			return occ[:1]
		}
		return occ
	case leadscore.CountDay, leadscore.CountWeek, leadscore.CountMonth:
	default:
		return occ
	}
	out := occ[:0:0]
	var last string
	for _, o := range occ {
		k := periodKey(mode, o.at)
		if k == last {
			continue
		}
		last = k
		out = append(out, o)
	}
	return out
}

func periodKey(mode leadscore.CountMode, t time.Time) string {
	t = t.UTC()
	switch mode {
	case leadscore.CountDay:
		return t.Format("2006-01-02")
	case leadscore.CountWeek:
		y, w := t.ISOWeek()
		return fmt.Sprintf("%d-W%02d", y, w)
	default:
		return t.Format("2006-01")
	}
}

// inactivityDecay computes the decay for the time since the last activity.
func (e *evaluation) inactivityDecay() (float64, []leadscore.Adjustment) {
	steps := e.m.spec.Decay.Inactivity
	if len(steps) == 0 {
		return 0, nil
	}
	last := e.ev.LastActivity
	since := "last activity"
	if last.IsZero() {
		last = e.st.in.Lead.CreatedAt
		since = "creation"
		if last.IsZero() || last.After(e.asOf) {
			return 0, nil
		}
	}
	idle := e.asOf.Sub(last)
	var delta float64
	var adj []leadscore.Adjustment
	for _, st := range steps {
		if idle < st.After.Std() {
			e.candidate(last.Add(st.After.Std()))
			break
		}
		days := int(st.After.Std() / (24 * time.Hour))
		if st.Reset {
			adj = append(adj, leadscore.Adjustment{Kind: leadscore.AdjustReset, Category: e.m.spec.Decay.Category,
				Text: fmt.Sprintf("score cleared: no activity for %d days (since %s %s)", days, since, last.UTC().Format("2006-01-02"))})
			return math.Inf(-1), adj
		}
		delta += st.Points
		adj = append(adj, leadscore.Adjustment{Kind: leadscore.AdjustDecay, Category: e.m.spec.Decay.Category, Points: st.Points,
			Text: fmt.Sprintf("%s no activity for %d days", fmtSigned(st.Points), days)})
	}
	return delta, adj
}

// aggregate sums rule totals up the category tree, applying each category's
// cap and floor, and applies category-scoped decay where the model sets it.
// It returns the total of the top-level categories.
func (e *evaluation) aggregate(totals map[*compiledRule]float64, decay float64) (float64, []leadscore.CategoryResult) {
	var results []leadscore.CategoryResult
	var walk func(c *compiledCategory) float64
	walk = func(c *compiledCategory) float64 {
		idx := -1
		if c.path != "" {
			results = append(results, leadscore.CategoryResult{Path: c.path, Label: c.spec.Label, Max: c.spec.Max})
			idx = len(results) - 1
		}
		var sum float64
		for _, r := range c.rules {
			sum += totals[r]
		}
		for _, ch := range c.children {
			sum += walk(ch)
		}
		pts := sum
		if c.spec.Max != nil && pts > *c.spec.Max {
			pts = *c.spec.Max
			e.ev.Adjustments = append(e.ev.Adjustments, leadscore.Adjustment{Kind: leadscore.AdjustCap, Category: c.path, Points: round2(pts - sum),
				Text: fmt.Sprintf("capped: %s reached its %s-point budget (%s earned)", categoryName(c), fmtPoints(*c.spec.Max), fmtPoints(sum))})
		}
		if c.spec.Min != nil && pts < *c.spec.Min {
			pts = *c.spec.Min
			e.ev.Adjustments = append(e.ev.Adjustments, leadscore.Adjustment{Kind: leadscore.AdjustFloor, Category: c.path, Points: round2(pts - sum),
				Text: fmt.Sprintf("floored: %s cannot go below %s", categoryName(c), fmtPoints(*c.spec.Min))})
		}
		if c == e.m.decayCategory && decay != 0 {
			// Decay takes a category down to zero at most; it never turns
			// earned points into a penalty.
			before := pts
			if math.IsInf(decay, -1) {
				pts = min(pts, 0)
			} else {
				pts = math.Max(pts+decay, min(pts, 0))
			}
			e.decayTaken = pts - before
		}
		if idx >= 0 {
			results[idx].Uncapped = round2(sum)
			results[idx].Points = round2(pts)
			results[idx].Capped = pts != sum && c.spec.Max != nil && sum > *c.spec.Max
		}
		return pts
	}
	total := walk(e.m.root)
	return total, results
}

// halfLifeCandidate finds the earliest time half-life decay could move the
// rounded score: when the decayed points have shrunk by the distance from the
// raw total to the nearest rounding boundary. Spreading that distance over
// the decaying rules makes the estimate early, never late; early only costs a
// re-evaluation that changes nothing.
func (e *evaluation) halfLifeCandidate() {
	if len(e.hlRules) == 0 {
		return
	}
	raw := e.ev.Raw
	d := math.Min(raw-(math.Round(raw)-0.5), (math.Round(raw)+0.5)-raw)
	d = math.Max(d, 1e-6) / float64(len(e.hlRules))
	best := time.Duration(math.MaxInt64)
	for _, h := range e.hlRules {
		p := math.Abs(h.points)
		if p <= d {
			continue
		}
		dt := time.Duration(-float64(h.halfLife) * math.Log2(1-d/p))
		if dt < time.Minute {
			dt = time.Minute
		}
		best = min(best, dt)
	}
	if best != time.Duration(math.MaxInt64) {
		e.candidate(e.asOf.Add(best))
	}
}

// combine makes a combined model's evaluation from its parts'.
func (m *Model) combine(st *State, asOf time.Time, done map[string]*leadscore.Evaluation) *leadscore.Evaluation {
	e := &evaluation{m: m, st: st, asOf: asOf, notes: map[string]bool{}, ev: &leadscore.Evaluation{
		Model: m.Name(), Version: m.version, LeadID: st.in.Lead.ID, AsOf: asOf,
	}}
	c := m.spec.Combine
	var acc, weights float64
	first := true
	for _, part := range c.Parts {
		pe := done[part.Model]
		if pe == nil {
			continue
		}
		pm := m.partScale[part.Model]
		n := (pe.Score - pm.Min) / (pm.Max - pm.Min)
		switch c.Method {
		case "max":
			if first || n > acc {
				acc = n
			}
		case "min":
			if first || n < acc {
				acc = n
			}
		case "sum":
			acc += part.Weight * n
		default:
			acc += part.Weight * n
			weights += part.Weight
		}
		first = false
		if pe.Disqualified {
			e.ev.Disqualified = true
			for _, r := range pe.Reasons {
				e.ev.Reasons = append(e.ev.Reasons, part.Model+": "+r)
			}
		}
		if !pe.NextChangeAt.IsZero() {
			e.candidate(pe.NextChangeAt)
		}
		if pe.LastActivity.After(e.ev.LastActivity) {
			e.ev.LastActivity = pe.LastActivity
		}
		e.ev.Contributions = append(e.ev.Contributions, leadscore.Contribution{
			Rule: part.Model, Label: part.Model, Category: "parts", Points: pe.Score,
			Detail: fmt.Sprintf("weight %s, %s of its scale", fmtPoints(part.Weight), fmtPoints(round2(n*100))+"%"),
		})
	}
	if c.Method == "weighted_mean" && weights > 0 {
		acc /= weights
	}
	acc = math.Max(0, math.Min(1, acc))
	total := m.spec.Scale.Min + acc*(m.spec.Scale.Max-m.spec.Scale.Min)
	e.ev.Adjustments = append(e.ev.Adjustments, leadscore.Adjustment{Kind: leadscore.AdjustCombined, Points: round2(total),
		Text: fmt.Sprintf("combined by %s of %d models", methodName(c.Method), len(c.Parts))})
	e.finish(total)
	e.ev.NextChangeAt = e.next
	return e.ev
}

func methodName(m string) string {
	if m == "weighted_mean" {
		return "weighted mean"
	}
	return m
}

func categoryName(c *compiledCategory) string {
	if c.spec.Label != "" {
		return c.spec.Label
	}
	return c.spec.Name
}

func round2(f float64) float64 { return math.Round(f*100) / 100 }
