package batch

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/leadscore/leadscore/ingest"
	"github.com/leadscore/leadscore/internal/pipeline"
)

// eventBlock is a run of consecutive lines of an events file. Lines are
// stored back to back in data; ends[i] is the end of line i; a negative
// end marks a line the reader already rejected (too long).
type eventBlock struct {
	first int // number of the first line
	data  []byte
	ends  []int
	errs  []error
}

// eventBlockBytes is the size a block grows to before it is handed to a
// worker: large enough that channel traffic is negligible, small enough
// that workers × blocks in flight stay a few megabytes.
const eventBlockBytes = 1 << 20

// parsedBlock is a block after parsing: spill records grouped by bucket,
// problems, and counts.
type parsedBlock struct {
	// recs[i] is a record of bucket buckets[i], stored in data[offs[i]:offs[i+1]].
	data        []byte
	offs        []int
	buckets     []uint16
	probs       []Problem
	read        int64
	bad         int64
	unknown     int64
	after       int64
	used        int64
	unknownKeys []string
	offset      int64 // bytes of the file consumed when the block was cut
}

// readEvents is pass 2 for one file.
func (r *run) readEvents(ctx context.Context, path string) error {
	f, err := ingest.OpenFile(path)
	if err != nil {
		return err
	}
	defer f.Close()
	lines := ingest.NewLineReader(f)
	// The line and record buffers of a block are recycled once it is
	// parsed and written: they are a megabyte each, one per block, and
	// would otherwise be most of what the pass allocates.
	var bufs sync.Pool
	buffer := func() []byte {
		if b, ok := bufs.Get().(*[]byte); ok {
			return (*b)[:0]
		}
		return make([]byte, 0, eventBlockBytes+eventBlockBytes/4)
	}
	recycle := func(b []byte) { bufs.Put(&b) }
	produce := func(emit func(eventBlock) bool) error {
		b := eventBlock{first: 1, data: buffer()}
		for {
			line, n, err := lines.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			var rowErr *ingest.RowError
			if err != nil && !errors.As(err, &rowErr) {
				return fmt.Errorf("%s: %w", path, err)
			}
			if len(b.ends) == 0 {
				b.first = n
			}
			b.data = append(b.data, line...)
			b.ends = append(b.ends, len(b.data))
			b.errs = append(b.errs, err)
			if len(b.data) >= eventBlockBytes {
				if !emit(b) {
					return ctx.Err()
				}
				b = eventBlock{data: buffer()}
			}
		}
		if len(b.ends) > 0 {
			emit(b)
		}
		return nil
	}
	parsers := make([]*ingest.EventParser, r.cfg.Workers)
	for i := range parsers {
		parsers[i] = ingest.NewEventParser(r.cfg.Checker)
	}
	parse := func(w int, b eventBlock) parsedBlock {
		p := parsers[w]
		out := parsedBlock{offs: []int{0}, offset: f.Offset(), data: buffer()}
		// Parsed events are copies, so the lines can go.
		defer recycle(b.data)
		start := 0
		for i, end := range b.ends {
			line := b.data[start:end]
			start = end
			num := b.first + i
			if b.errs[i] != nil {
				out.read++
				out.bad++
				out.probs = append(out.probs, Problem{File: path, Line: num, Reason: reason(b.errs[i])})
				continue
			}
			if len(bytes.TrimSpace(line)) == 0 {
				continue
			}
			out.read++
			rec, err := p.Parse(line, num)
			if err != nil {
				out.bad++
				out.probs = append(out.probs, Problem{File: path, Line: num, Reason: reason(err)})
				continue
			}
			seq, ok := r.resolve(rec.Event.LeadID, rec.KeyKind)
			if !ok {
				out.unknown++
				if len(out.unknownKeys) < maxUnknownExamples {
					out.unknownKeys = append(out.unknownKeys, rec.Event.LeadID)
				}
				continue
			}
			var err2 error
			out.data, err2 = appendEvent(out.data, seq, &rec.Event)
			if err2 != nil {
				// Properties come from JSON, so every value is encodable;
				// this is a bad line rather than a failed run all the same.
				out.data = out.data[:out.offs[len(out.offs)-1]]
				out.bad++
				out.probs = append(out.probs, Problem{File: path, Line: num, Reason: err2.Error()})
				continue
			}
			// Events after the as-of time do not score, but they are
			// kept: the engine dates the lead's next change by the first
			// of them, and scoring must equal evaluating the lead's whole
			// history directly. Each has no as-of time.
			if !r.cfg.AsOf.IsZero() && rec.Event.At.After(r.cfg.AsOf) {
				out.after++
			}
			out.offs = append(out.offs, len(out.data))
			out.buckets = append(out.buckets, r.bucketOf[seq])
			out.used++
		}
		return out
	}
	consume := func(pb parsedBlock) error {
		for _, p := range pb.probs {
			r.problem(p)
		}
		s := &r.stats
		s.EventsRead += pb.read
		s.EventsBad += pb.bad
		s.EventsUnknownLead += pb.unknown
		s.EventsAfterAsOf += pb.after
		s.EventsUsed += pb.used
		for _, k := range pb.unknownKeys {
			if len(s.UnknownLeads) < maxUnknownExamples {
				s.UnknownLeads = append(s.UnknownLeads, k)
			}
		}
		for i, b := range pb.buckets {
			if _, err := r.spill[b].w.Write(pb.data[pb.offs[i]:pb.offs[i+1]]); err != nil {
				return fmt.Errorf("writing a bucket file: %w", err)
			}
		}
		recycle(pb.data)
		r.progress(Progress{Phase: PhaseEvents, Done: pb.offset, Total: f.Size, Bytes: true})
		return nil
	}
	if err := pipeline.Ordered(ctx, r.cfg.Workers, produce, parse, consume); err != nil {
		return err
	}
	r.progress(Progress{Phase: PhaseEvents, Done: f.Size, Total: f.Size, Bytes: true})
	return nil
}

const maxUnknownExamples = 5

// resolve finds the lead an event belongs to. A key is tried as a lead ID
// first; an email (given as such, or an ID that looks like one) is then
// tried against the emails of leads that have a separate ID. The maps are
// only read here, so workers share them safely.
func (r *run) resolve(key string, kind ingest.KeyKind) (uint32, bool) {
	if seq, ok := r.index[key]; ok {
		return seq, true
	}
	if kind == ingest.KeyEmail || strings.Contains(key, "@") {
		e := ingest.NormalizeEmail(key)
		if seq, ok := r.index[e]; ok {
			return seq, true
		}
		if seq, ok := r.emails[e]; ok {
			return seq, true
		}
	}
	return 0, false
}
