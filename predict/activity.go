package predict

import (
	"iter"

	"github.com/leadscore/leadscore"
)

// windows are the look-back windows of event counts, in days.
var windows = [3]int{7, 30, 90}

// activity is what one lead did before the cut-off, reduced to what the
// event features need: counts per event type and window, the last active
// time, and which of the last 90 days had activity.
type activity struct {
	types []typeCount
	last  int64 // unix seconds; 0 when never active
	days  [2]uint64
	total [3]uint32
}

type typeCount struct {
	kind uint16
	n    [3]uint32
}

const day = 24 * 60 * 60

// add counts one event of type kind at unix time at, as of cutoff. Events at
// or after the cut-off are ignored.
func (a *activity) add(kind uint16, at, cutoff int64) {
	if at >= cutoff {
		return
	}
	if at > a.last {
		a.last = at
	}
	age := int((cutoff - at - 1) / day) // 0 = within the last 24 hours
	if age >= windows[2] {
		return
	}
	a.days[age/64] |= 1 << (age % 64)
	var tc *typeCount
	for i := range a.types {
		if a.types[i].kind == kind {
			tc = &a.types[i]
			break
		}
	}
	if tc == nil {
		a.types = append(a.types, typeCount{kind: kind})
		tc = &a.types[len(a.types)-1]
	}
	for w, days := range windows {
		if age < days {
			tc.n[w]++
			a.total[w]++
		}
	}
}

// count returns the events of type kind in window w.
func (a *activity) count(kind uint16, w int) float64 {
	for i := range a.types {
		if a.types[i].kind == kind {
			return float64(a.types[i].n[w])
		}
	}
	return 0
}

// activeDays is the number of distinct days with activity in the last 90.
func (a *activity) activeDays() float64 {
	n := 0
	for _, w := range a.days {
		for ; w != 0; w &= w - 1 {
			n++
		}
	}
	return float64(n)
}

// daysSinceLast is the age of the latest activity in days, and false when
// the lead was never active.
func (a *activity) daysSinceLast(cutoff int64) (float64, bool) {
	if a.last == 0 {
		return 0, false
	}
	return float64(cutoff-a.last) / day, true
}

// acceleration compares the daily rate of the last 7 days with that of the
// 23 days before: positive when a lead is warming up.
func (a *activity) acceleration() float64 {
	recent := float64(a.total[0]) / 7
	before := float64(a.total[1]-a.total[0]) / 23
	return recent - before
}

// activityOfSeq aggregates one lead's events for scoring, with the event
// types a model knows; other types still count as activity.
func activityOfSeq(events iter.Seq[*leadscore.Event], types map[string]uint16, cut int64) activity {
	var a activity
	for e := range events {
		if e.Bot {
			continue
		}
		k, ok := types[e.Type]
		if !ok {
			k = unknownType
		}
		a.add(k, e.At.Unix(), cut)
	}
	return a
}

// unknownType stands for event types a model has no feature for; they still
// count as activity (last active, active days, acceleration).
const unknownType = 0xFFFF
