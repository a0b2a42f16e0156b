package service

import (
	"container/list"
	"time"

	"github.com/leadscore/leadscore/scoring"
)

// stateCache keeps recently active leads' scoring states, so that a new
// event is applied to a state in memory instead of re-reading the lead's
// history. It belongs to the committer goroutine and has no locks.
type stateCache struct {
	cap    int
	ll     *list.List
	items  map[string]*list.Element
	byAcct map[string]map[string]bool
	hits   int64
	misses int64
}

type cached struct {
	lead    string
	account string
	gen     uint64 // the active model set the state was built for
	st      *scoring.State
	// scores are the lead's scores as this process last committed them, so
	// a re-score need not read them back. Nil until known.
	scores map[string]scoreSummary
	// written holds, per model, the digest and next change time of the
	// evaluation as this process last wrote it, so that an evaluation
	// telling the same story is not written again (see
	// leadscore.Evaluation.Digest).
	written map[string]writtenScore
	// activeRead is what the models read as account.active_people in the
	// evaluation this process last wrote (scoring.State.ActivePeopleRead);
	// nil until then. It lets a colleague's activity skip the lead when no
	// condition would decide differently.
	activeRead []int
	// auto is the lead's automation state as this process last committed
	// it; nil until then. The committer is the only writer of automation
	// states, so while the entry lives it saves reading and decoding the
	// stored state for every batch that touches the lead.
	auto *autoLead
}

type writtenScore struct {
	digest uint64
	next   time.Time
}

// remember records the evaluation just written for model.
func (e *cached) remember(model string, digest uint64, next time.Time) {
	if e.written == nil {
		e.written = map[string]writtenScore{}
	}
	e.written[model] = writtenScore{digest: digest, next: next}
}

// stillStored reports whether the stored evaluation of model still serves
// for a new one with this digest and next change time: same story, and a
// stored next change that is still ahead and no later than the new one
// (the due job must not miss a change; an early visit only costs a
// re-evaluation, which then writes).
func (e *cached) stillStored(model string, digest uint64, next, now time.Time) bool {
	w, ok := e.written[model]
	if !ok || w.digest != digest {
		return false
	}
	if w.next.IsZero() {
		return next.IsZero()
	}
	return w.next.After(now) && (next.IsZero() || !w.next.After(next))
}

// scoreSummary is what decides whether a new evaluation is a ledger entry.
type scoreSummary struct {
	score                   float64
	band, version           string
	qualified, disqualified bool
}

func newStateCache(capacity int) *stateCache {
	return &stateCache{cap: capacity, ll: list.New(), items: map[string]*list.Element{}, byAcct: map[string]map[string]bool{}}
}

func (c *stateCache) get(lead string, gen uint64) *scoring.State {
	if e := c.entry(lead, gen); e != nil {
		return e.st
	}
	return nil
}

// entry returns the cached entry of a lead built for generation gen.
func (c *stateCache) entry(lead string, gen uint64) *cached {
	el, ok := c.items[lead]
	if !ok {
		c.misses++
		return nil
	}
	e := el.Value.(*cached)
	if e.gen != gen {
		c.remove(lead)
		c.misses++
		return nil
	}
	c.ll.MoveToFront(el)
	c.hits++
	return e
}

// peek returns the cached entry of a lead built for generation gen,
// without counting a hit or a miss or changing the eviction order.
func (c *stateCache) peek(lead string, gen uint64) *cached {
	el, ok := c.items[lead]
	if !ok {
		return nil
	}
	if e := el.Value.(*cached); e.gen == gen {
		return e
	}
	return nil
}

func (c *stateCache) put(lead, account string, gen uint64, st *scoring.State) {
	c.remove(lead)
	c.items[lead] = c.ll.PushFront(&cached{lead: lead, account: account, gen: gen, st: st})
	if account != "" {
		if c.byAcct[account] == nil {
			c.byAcct[account] = map[string]bool{}
		}
		c.byAcct[account][lead] = true
	}
	for c.ll.Len() > c.cap {
		c.remove(c.ll.Back().Value.(*cached).lead)
	}
}

func (c *stateCache) remove(lead string) {
	el, ok := c.items[lead]
	if !ok {
		return
	}
	e := el.Value.(*cached)
	c.ll.Remove(el)
	delete(c.items, lead)
	if m := c.byAcct[e.account]; m != nil {
		delete(m, lead)
		if len(m) == 0 {
			delete(c.byAcct, e.account)
		}
	}
}

// removeAccount drops the states of every cached lead of an account, whose
// facts just changed.
func (c *stateCache) removeAccount(account string) {
	for lead := range c.byAcct[account] {
		c.remove(lead)
	}
}

func (c *stateCache) clear() {
	c.ll.Init()
	clear(c.items)
	clear(c.byAcct)
}
