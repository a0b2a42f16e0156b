// Package pipeline runs work on all cores: Ordered runs a stage of a
// streaming reader while keeping its output in input order, for the
// offline pipeline and analytics, which both read lead and event files;
// Each runs an indexed loop, for batches the service scores and encodes.
package pipeline

import (
	"context"
	"sync"
)

// Ordered runs fn on the items from produce with n workers and hands the
// results to consume in production order. Order matters because problems
// are reported in file order and outputs must not depend on
// scheduling. Memory is bounded by the channel capacities: at most a few
// items per worker are in flight.
//
// produce sends items by calling emit, which returns false once the
// pipeline is stopping; the first error of produce or consume ends the
// run and is returned.
func Ordered[In, Out any](ctx context.Context, n int, produce func(emit func(In) bool) error,
	fn func(worker int, in In) Out, consume func(Out) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type job struct {
		in  In
		out chan Out
	}
	work := make(chan job, n)
	order := make(chan chan Out, 2*n)

	var wg sync.WaitGroup
	for w := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range work {
				j.out <- fn(w, j.in)
			}
		}()
	}

	prodErr := make(chan error, 1)
	go func() {
		defer close(order)
		defer close(work)
		emit := func(in In) bool {
			j := job{in: in, out: make(chan Out, 1)}
			select {
			case work <- j:
			case <-ctx.Done():
				return false
			}
			select {
			case order <- j.out:
				return true
			case <-ctx.Done():
				return false
			}
		}
		prodErr <- produce(emit)
	}()

	var err error
	for ch := range order {
		if err != nil {
			continue // drain so that the producer and workers can finish
		}
		select {
		case out := <-ch:
			if cerr := consume(out); cerr != nil {
				err = cerr
				cancel()
			}
		case <-ctx.Done():
			err = ctx.Err()
		}
	}
	wg.Wait()
	if perr := <-prodErr; err == nil {
		err = perr
	}
	if err == nil {
		err = ctx.Err()
	}
	return err
}
