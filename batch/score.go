package batch

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/leadscore/leadscore"
	"github.com/leadscore/leadscore/scoring"
)

// groupScorer evaluates a group of leads that holds whole accounts (a
// bucket, or the account of one lead). It is used by one goroutine.
type groupScorer struct {
	set   *scoring.Set
	asOf  time.Time
	peers []leadscore.Peer
}

// scoreGroup evaluates every lead of the group in order and hands each
// result to emit. events[i] are lead i's events.
//
// A peer's activity is reduced to its latest non-bot event at or before
// the as-of time: the engine only asks whether a peer was active inside a
// window ending at the as-of time, and the latest activity answers that
// for every window, so the result is the same as passing every event time
// while the work stays linear in the size of an account.
//
// want, when not nil, limits evaluation to the leads it accepts (the others
// still count as peers).
func (g *groupScorer) scoreGroup(leads []leadItem, events [][]leadscore.Event, want func(i int) bool, emit func(i int, evs []*leadscore.Evaluation) error) error {
	accounts := groupAccounts(leads, events, func(evs []leadscore.Event) []time.Time {
		if t := latestActivity(evs, g.asOf); !t.IsZero() {
			return []time.Time{t}
		}
		return nil
	})
	var in scoring.Input
	for i := range leads {
		if want != nil && !want(i) {
			continue
		}
		g.peers = accounts.input(i, &in, g.peers)
		if err := emit(i, g.set.Evaluate(&in, g.asOf)); err != nil {
			return err
		}
	}
	return nil
}

// accountGroups holds the accounts of a group of leads that holds whole
// accounts, and builds each lead's scoring input from them.
//
// People of one account share one account record, merged from their rows
// (the first non-empty value of each field wins, in input order; priority
// is set when any row sets it), and see each other as peers.
type accountGroups struct {
	leads  []leadItem
	events [][]leadscore.Event
	byKey  map[string]*accountGroup
	// member is each lead's position in its account's members.
	member []int32
}

type accountGroup struct {
	merged  *leadscore.Account
	members []int
	peers   []leadscore.Peer
	peerOf  []int // index into peers of each member, -1 when inactive
}

// groupAccounts groups leads by account. activity reduces a lead's events
// to what its colleagues see of it (nil: not active).
func groupAccounts(leads []leadItem, events [][]leadscore.Event, activity func([]leadscore.Event) []time.Time) *accountGroups {
	g := &accountGroups{leads: leads, events: events, byKey: map[string]*accountGroup{}, member: make([]int32, len(leads))}
	for i := range leads {
		key := leads[i].lead.AccountID
		if key == "" {
			continue
		}
		a := g.byKey[key]
		if a == nil {
			a = &accountGroup{merged: &leadscore.Account{ID: key}}
			g.byKey[key] = a
		}
		g.member[i] = int32(len(a.members))
		a.members = append(a.members, i)
		a.merged.FillFrom(leads[i].account)
	}
	for _, a := range g.byKey {
		if len(a.members) < 2 {
			continue
		}
		a.peerOf = make([]int, len(a.members))
		for j, i := range a.members {
			a.peerOf[j] = -1
			if act := activity(events[i]); len(act) > 0 {
				a.peerOf[j] = len(a.peers)
				a.peers = append(a.peers, leadscore.Peer{LeadID: leads[i].lead.ID, Activity: act})
			}
		}
	}
	return g
}

// input sets in to lead i's inputs: the lead, its account (merged when it
// has colleagues), its events and its active colleagues. The colleagues
// are appended to peers[:0], which is returned for reuse; pass nil for a
// slice of the input's own.
func (g *accountGroups) input(i int, in *scoring.Input, peers []leadscore.Peer) []leadscore.Peer {
	l := &g.leads[i]
	*in = scoring.Input{Lead: &l.lead, Account: l.account, Events: g.events[i]}
	a := g.byKey[l.lead.AccountID]
	if a == nil || l.lead.AccountID == "" {
		return peers
	}
	in.Account = a.merged
	if len(a.peers) == 0 {
		return peers
	}
	peers = peers[:0]
	self := a.peerOf[g.member[i]]
	for k := range a.peers {
		if k != self {
			peers = append(peers, a.peers[k])
		}
	}
	in.Peers = peers
	return peers
}

// latestActivity is the time of the latest non-bot event at or before asOf.
func latestActivity(events []leadscore.Event, asOf time.Time) time.Time {
	var t time.Time
	for i := range events {
		e := &events[i]
		if !e.Bot && !e.At.After(asOf) && e.At.After(t) {
			t = e.At
		}
	}
	return t
}

func (r *run) outPath(b int) string { return filepath.Join(r.dir, fmt.Sprintf("out-%05d.bin", b)) }

// score is pass 3: buckets are scored in parallel, each worker holding one
// bucket at a time.
func (r *run) score(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	jobs := make(chan int)
	var (
		wg       sync.WaitGroup
		errOnce  sync.Once
		firstErr error
		done     atomic.Int64
	)
	total := int64(len(r.bucketOf))
	fail := func(err error) {
		errOnce.Do(func() { firstErr = err; cancel() })
	}
	for range r.cfg.Workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			g := &groupScorer{set: r.cfg.Set, asOf: r.cfg.AsOf}
			rw := r.out.newRowWriter()
			for b := range jobs {
				if err := r.scoreBucket(ctx, b, g, rw, &done, total); err != nil {
					fail(err)
					return
				}
			}
		}()
	}
	go func() {
		defer close(jobs)
		for b := range r.cfg.Buckets {
			select {
			case jobs <- b:
			case <-ctx.Done():
				return
			}
		}
	}()
	wg.Wait()
	// Drain in case workers stopped early, so the feeder can exit.
	for range jobs {
	}
	if firstErr != nil {
		return firstErr
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	r.stats.LeadsScored = total
	return nil
}

func (r *run) scoreBucket(ctx context.Context, b int, g *groupScorer, rw *rowWriter, done *atomic.Int64, total int64) error {
	bk, err := r.readBucket(b)
	if err != nil {
		return err
	}
	f, err := os.Create(r.outPath(b))
	if err != nil {
		return err
	}
	defer f.Close()
	w := bufio.NewWriterSize(f, 256<<10)
	var frame [binary.MaxVarintLen64]byte
	n := 0
	err = g.scoreGroup(bk.leads, bk.events, nil, func(i int, results []*leadscore.Evaluation) error {
		row, err := rw.row(&bk.leads[i].lead, results)
		if err != nil {
			return err
		}
		k := binary.PutUvarint(frame[:], uint64(len(row)))
		if _, err := w.Write(frame[:k]); err != nil {
			return err
		}
		if _, err := w.Write(row); err != nil {
			return err
		}
		if n++; n%1024 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
			r.progress(Progress{Phase: PhaseScoring, Done: done.Add(1024), Total: total})
		}
		return nil
	})
	if err != nil {
		return err
	}
	r.progress(Progress{Phase: PhaseScoring, Done: done.Add(int64(n % 1024)), Total: total})
	if err := w.Flush(); err != nil {
		return fmt.Errorf("writing results: %w", err)
	}
	return f.Close()
}

// bucket is one bucket file decoded: its leads in sequence order, and
// each lead's events in file order. Its strings are slices of the file's
// contents, which stay in memory while any of them is used.
type bucket struct {
	leads  []leadItem
	events [][]leadscore.Event
}

// readBucket reads and decodes bucket b, and removes its file.
func (r *run) readBucket(b int) (*bucket, error) {
	data, err := readString(r.spill[b].path)
	if err != nil {
		return nil, fmt.Errorf("reading a bucket file: %w", err)
	}
	// The bucket is in memory now; its file is no longer needed.
	_ = os.Remove(r.spill[b].path)
	d := &decoder{s: data}
	var leads []leadItem
	for d.pos < len(d.s) && d.s[d.pos] == tagLead {
		d.pos++
		leads = append(leads, leadItem{})
		d.lead(&leads[len(leads)-1])
	}
	// Two passes over the events: the first finds each record's owner
	// and counts per lead, so that the second decodes every event straight
	// into its place in one exactly sized slice.
	var starts, owner []int32
	counts := make([]int, len(leads)+1)
	for d.pos < len(d.s) && d.err == nil {
		starts = append(starts, int32(d.pos))
		if d.byte() != tagEvent {
			d.fail()
			break
		}
		seq := uint32(d.uvarint())
		d.skipEventBody()
		// Leads of a bucket are in sequence order, so a binary search
		// finds the owner.
		i := sort.Search(len(leads), func(i int) bool { return leads[i].seq >= seq })
		if i == len(leads) || leads[i].seq != seq {
			d.fail()
			break
		}
		owner = append(owner, int32(i))
		counts[i+1]++
	}
	if d.err != nil {
		return nil, fmt.Errorf("bucket %d: %w", b, d.err)
	}
	for i := 1; i < len(counts); i++ {
		counts[i] += counts[i-1]
	}
	sorted := make([]leadscore.Event, len(owner))
	fill := append([]int(nil), counts[:len(leads)]...)
	for k, o := range owner {
		d.pos = int(starts[k]) + 1
		e := &sorted[fill[o]]
		d.event(e)
		e.LeadID = leads[o].lead.ID
		fill[o]++
	}
	if d.err != nil {
		return nil, fmt.Errorf("bucket %d: %w", b, d.err)
	}
	perLead := make([][]leadscore.Event, len(leads))
	for i := range leads {
		perLead[i] = sorted[counts[i]:counts[i+1]:counts[i+1]]
	}
	return &bucket{leads: leads, events: perLead}, nil
}

// readString reads a file into a string with a single copy.
func readString(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return "", err
	}
	var b strings.Builder
	b.Grow(int(st.Size()))
	if _, err := io.Copy(&b, f); err != nil {
		return "", err
	}
	return b.String(), nil
}

// merge is pass 4: rows are copied to out in input order. Every bucket's
// file is sorted by sequence number, so the next row of lead seq is the
// next frame of bucket bucketOf[seq].
func (r *run) merge(ctx context.Context, out io.Writer) error {
	readers := make([]*bufio.Reader, r.cfg.Buckets)
	for b := range readers {
		f, err := os.Open(r.outPath(b))
		if err != nil {
			return err
		}
		defer f.Close()
		readers[b] = bufio.NewReaderSize(f, 32<<10)
	}
	w := bufio.NewWriterSize(out, 1<<20)
	hdr, err := r.out.headerBytes()
	if err != nil {
		return err
	}
	if _, err := w.Write(hdr); err != nil {
		return err
	}
	total := int64(len(r.bucketOf))
	var row []byte
	for seq, b := range r.bucketOf {
		rd := readers[b]
		n, err := binary.ReadUvarint(rd)
		if err != nil {
			return fmt.Errorf("bucket %d ended early: %w", b, err)
		}
		if cap(row) < int(n) {
			row = make([]byte, n)
		}
		row = row[:n]
		if _, err := io.ReadFull(rd, row); err != nil {
			return fmt.Errorf("bucket %d ended early: %w", b, err)
		}
		if _, err := w.Write(row); err != nil {
			return fmt.Errorf("writing the output: %w", err)
		}
		if seq%8192 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
			r.progress(Progress{Phase: PhaseWriting, Done: int64(seq), Total: total})
		}
	}
	for b, rd := range readers {
		if _, err := rd.ReadByte(); !errors.Is(err, io.EOF) {
			return fmt.Errorf("bucket %d has rows left over", b)
		}
	}
	if err := w.Flush(); err != nil {
		return fmt.Errorf("writing the output: %w", err)
	}
	r.progress(Progress{Phase: PhaseWriting, Done: total, Total: total})
	return nil
}
