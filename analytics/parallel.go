package analytics

import (
	"cmp"
	"context"
	"runtime"
	"slices"
	"sync"
)

// recordBatch is a run of consecutive records handed to one worker.
type recordBatch struct {
	first int
	recs  []*Record
}

const batchSize = 256

// eachParallel reads src once and calls work for every record on workers
// goroutines (0: GOMAXPROCS). work gets the worker's index, so it can keep
// per-worker state without locks, and the record's position in the source.
// The results come back in file order (by Record.Line, then source order,
// which is all there is for sources without lines), whatever the
// scheduling: a file source hands out leads bucket by bucket, and every
// list of leads in a report must read as it did in the file.
func eachParallel[T any](ctx context.Context, src Source, workers int, work func(worker, seq int, rec *Record) T) ([]T, error) {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	jobs := make(chan recordBatch, workers)
	type done struct {
		first int
		out   []T
		lines []int
	}
	results := make(chan done, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b := range jobs {
				out := make([]T, len(b.recs))
				lines := make([]int, len(b.recs))
				for i, r := range b.recs {
					out[i] = work(w, b.first+i, r)
					lines[i] = r.Line
				}
				select {
				case results <- done{b.first, out, lines}:
				case <-ctx.Done():
					return
				}
			}
		}()
	}
	readErr := make(chan error, 1)
	go func() {
		defer close(jobs)
		b := recordBatch{}
		n := 0
		send := func() error {
			select {
			case jobs <- b:
			case <-ctx.Done():
				return ctx.Err()
			}
			b = recordBatch{first: n}
			return nil
		}
		err := src.Each(ctx, func(r *Record) error {
			b.recs = append(b.recs, r)
			n++
			if len(b.recs) == batchSize {
				return send()
			}
			return nil
		})
		if err == nil && len(b.recs) > 0 {
			err = send()
		}
		readErr <- err
	}()
	go func() {
		wg.Wait()
		close(results)
	}()
	var all []T
	var lines []int
	for d := range results {
		if end := d.first + len(d.out); end > len(all) {
			all = append(all, make([]T, end-len(all))...)
			lines = append(lines, make([]int, end-len(lines))...)
		}
		copy(all[d.first:], d.out)
		copy(lines[d.first:], d.lines)
	}
	if err := <-readErr; err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	inFileOrder(all, lines)
	return all, nil
}

// inFileOrder sorts results by their lines, keeping the order of equal
// lines, in place: a report of a million leads keeps one copy of them.
func inFileOrder[T any](all []T, lines []int) {
	if slices.IsSorted(lines) {
		return
	}
	// perm[i] is the position of the result that goes to position i.
	perm := make([]int32, len(all))
	for i := range perm {
		perm[i] = int32(i)
	}
	slices.SortStableFunc(perm, func(a, b int32) int { return cmp.Compare(lines[a], lines[b]) })
	// Follow each cycle of the permutation once, marking placed
	// positions with -1.
	for i := range perm {
		if perm[i] < 0 || int(perm[i]) == i {
			continue
		}
		tmp := all[i]
		j := i
		for {
			k := int(perm[j])
			perm[j] = -1
			if k == i {
				all[j] = tmp
				break
			}
			all[j] = all[k]
			j = k
		}
	}
}

func defaultWorkers() int { return runtime.GOMAXPROCS(0) }
