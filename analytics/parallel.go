package analytics

import (
	"context"
	"runtime"
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
// The results come back in source order, whatever the scheduling.
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
	}
	results := make(chan done, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b := range jobs {
				out := make([]T, len(b.recs))
				for i, r := range b.recs {
					out[i] = work(w, b.first+i, r)
				}
				select {
				case results <- done{b.first, out}:
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
	for d := range results {
		if end := d.first + len(d.out); end > len(all) {
			all = append(all, make([]T, end-len(all))...)
		}
		copy(all[d.first:], d.out)
	}
	if err := <-readErr; err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return all, nil
}

func defaultWorkers() int { return runtime.GOMAXPROCS(0) }
