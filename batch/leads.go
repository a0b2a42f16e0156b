package batch

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/leadscore/leadscore"
	"github.com/leadscore/leadscore/ingest"
	"github.com/leadscore/leadscore/internal/pipeline"
)

// spillFile is one bucket on disk.
type spillFile struct {
	path string
	f    *os.File
	w    *bufio.Writer
}

// spillBuffer is the write buffer of each bucket. 128 buckets of 64 KiB
// keep the writers' memory at 8 MiB while writes stay large.
const spillBuffer = 64 << 10

func (r *run) openSpill() error {
	r.spill = make([]*spillFile, r.cfg.Buckets)
	for i := range r.spill {
		p := filepath.Join(r.dir, fmt.Sprintf("bucket-%05d.bin", i))
		f, err := os.Create(p)
		if err != nil {
			return fmt.Errorf("creating a bucket file: %w", err)
		}
		r.spill[i] = &spillFile{path: p, f: f, w: bufio.NewWriterSize(f, spillBuffer)}
	}
	return nil
}

func (r *run) finishSpill() error {
	for _, s := range r.spill {
		if err := s.w.Flush(); err != nil {
			return fmt.Errorf("writing a bucket file: %w", err)
		}
		if err := s.f.Close(); err != nil {
			return fmt.Errorf("writing a bucket file: %w", err)
		}
		s.f = nil
	}
	return nil
}

func (r *run) closeSpill() {
	for _, s := range r.spill {
		if s != nil && s.f != nil {
			s.f.Close()
		}
	}
}

// leadBatch is a run of raw rows (CSV) or lines (JSONL) converted by one
// worker.
type leadBatch struct {
	rows  [][]string
	lines [][]byte
	nums  []int
	errs  []error // a row the CSV parser already rejected
}

type leadResult struct {
	recs []ingest.LeadRecord
	errs []error
}

const leadBatchSize = 256

// readLeads is pass 1.
func (r *run) readLeads(ctx context.Context) error {
	path := r.cfg.Leads
	format := ingest.FormatOf(path)
	if format == ingest.FormatUnknown {
		return leadscore.Errorf(leadscore.CodeInvalid, "%s: unknown lead file type (use .csv, .tsv or .jsonl)", path)
	}
	f, err := ingest.OpenFile(path)
	if err != nil {
		return err
	}
	defer f.Close()
	// Sizing the key maps up front from the file size saves rehashing a
	// million entries several times over; a lead row is rarely under 100
	// bytes, so this errs on the small side.
	if est := int(min(f.Size/100, 50_000_000)); est > len(r.index) {
		r.index = make(map[string]uint32, est)
		r.emails = make(map[string]uint32, est)
		r.bucketOf = make([]uint16, 0, est)
		r.lineOf = make([]uint32, 0, est)
	}

	var produce func(emit func(leadBatch) bool) error
	var mapping *ingest.Mapping
	if format == ingest.FormatCSV {
		rows, err := ingest.NewCSVRows(f)
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		lineIDs := false
		if mapping, err = ingest.NewMapping(rows.Header()); err != nil {
			// An id column only helps a header that has neither an id
			// nor an email; any other header problem stays an error.
			withID, err2 := ingest.NewMapping(append([]string{"id"}, rows.Header()...))
			if !r.cfg.LineIDs || err2 != nil {
				return leadscore.Errorf(leadscore.CodeInvalid, "%s: header row: %v", path, err)
			}
			mapping, lineIDs = withID, true
			r.stats.LineIDs = true
		}
		produce = func(emit func(leadBatch) bool) error {
			b := leadBatch{}
			for {
				row, line, err := rows.Next()
				if errors.Is(err, io.EOF) {
					break
				}
				var rowErr *ingest.RowError
				if err != nil && !errors.As(err, &rowErr) {
					return fmt.Errorf("%s: %w", path, err)
				}
				if lineIDs && err == nil {
					row = append([]string{"line-" + strconv.Itoa(line)}, row...)
				}
				b.rows = append(b.rows, row)
				b.nums = append(b.nums, line)
				b.errs = append(b.errs, err)
				if len(b.nums) == leadBatchSize {
					if !emit(b) {
						return ctx.Err()
					}
					b = leadBatch{}
				}
			}
			if len(b.nums) > 0 {
				emit(b)
			}
			return nil
		}
	} else {
		lines := ingest.NewLineReader(f)
		produce = func(emit func(leadBatch) bool) error {
			b := leadBatch{}
			for {
				line, n, err := lines.Next()
				if errors.Is(err, io.EOF) {
					break
				}
				var rowErr *ingest.RowError
				if err != nil && !errors.As(err, &rowErr) {
					return fmt.Errorf("%s: %w", path, err)
				}
				if err == nil && len(bytes.TrimSpace(line)) == 0 {
					continue
				}
				b.lines = append(b.lines, append([]byte(nil), line...))
				b.nums = append(b.nums, n)
				b.errs = append(b.errs, err)
				if len(b.nums) == leadBatchSize {
					if !emit(b) {
						return ctx.Err()
					}
					b = leadBatch{}
				}
			}
			if len(b.nums) > 0 {
				emit(b)
			}
			return nil
		}
	}
	convert := func(_ int, b leadBatch) leadResult {
		res := leadResult{recs: make([]ingest.LeadRecord, len(b.nums)), errs: make([]error, len(b.nums))}
		for i, n := range b.nums {
			if b.errs[i] != nil {
				res.errs[i] = b.errs[i]
				res.recs[i].Line = n
				continue
			}
			if mapping != nil {
				res.recs[i], res.errs[i] = mapping.Convert(b.rows[i], n, r.cfg.Checker)
			} else {
				res.recs[i], res.errs[i] = ingest.ParseLeadLine(b.lines[i], n, r.cfg.Checker)
			}
		}
		return res
	}
	var buf []byte
	consume := func(res leadResult) error {
		for i := range res.recs {
			r.stats.LeadsRead++
			rec := &res.recs[i]
			if err := res.errs[i]; err != nil {
				r.stats.LeadsBad++
				r.problem(Problem{File: path, Line: rec.Line, Reason: reason(err)})
				continue
			}
			if err := r.addLead(path, rec, &buf); err != nil {
				return err
			}
		}
		r.progress(Progress{Phase: PhaseLeads, Done: f.Offset(), Total: f.Size, Bytes: true})
		return nil
	}
	if err := pipeline.Ordered(ctx, r.cfg.Workers, produce, convert, consume); err != nil {
		return err
	}
	r.progress(Progress{Phase: PhaseLeads, Done: f.Size, Total: f.Size, Bytes: true})
	return nil
}

// addLead files one good lead: it checks for a duplicate ID, assigns the
// next sequence number and spills the record to its account's bucket.
func (r *run) addLead(path string, rec *ingest.LeadRecord, buf *[]byte) error {
	id := rec.Lead.ID
	if first, dup := r.index[id]; dup {
		r.stats.LeadsBad++
		r.stats.Duplicates++
		r.problem(Problem{File: path, Line: rec.Line, Reason: fmt.Sprintf("duplicate lead id %q (first on line %d); row skipped", id, r.lineOf[first])})
		return nil
	}
	if len(r.bucketOf) >= 1<<32-1 {
		return fmt.Errorf("too many leads")
	}
	seq := uint32(len(r.bucketOf))
	// Clone: the parsed row shares one allocation for all its fields, and
	// the key would keep the whole row alive for the rest of the run.
	r.index[strings.Clone(id)] = seq
	if rec.Lead.Email != "" {
		if e := ingest.NormalizeEmail(rec.Lead.Email); e != id {
			if _, taken := r.emails[e]; !taken {
				r.emails[strings.Clone(e)] = seq
			}
		}
	}
	key := rec.AccountKey()
	if key == "" {
		key = "lead:" + id
	}
	b := bucketFor(key, r.cfg.Buckets)
	r.bucketOf = append(r.bucketOf, b)
	r.lineOf = append(r.lineOf, uint32(rec.Line))
	if r.cfg.CheckLead != nil {
		for _, why := range r.cfg.CheckLead(&rec.Lead) {
			r.problem(Problem{File: path, Line: rec.Line, Reason: why})
		}
	}
	var err error
	*buf, err = appendLead((*buf)[:0], seq, rec.Line, &rec.Lead, rec.Account)
	if err != nil {
		return err
	}
	if _, err := r.spill[b].w.Write(*buf); err != nil {
		return fmt.Errorf("writing a bucket file: %w", err)
	}
	return nil
}

// reason is the text of a row problem without the position, which the
// report prints itself.
func reason(err error) string {
	var re *ingest.RowError
	if errors.As(err, &re) {
		return re.Reason()
	}
	return err.Error()
}
