package pipeline

import (
	"runtime"
	"sync"
)

// Each calls fn(worker, i) for every i in [0, n) on every core, with at
// least perWorker items per worker so that small jobs stay on one
// goroutine. worker is below runtime.GOMAXPROCS(0) and names the goroutine,
// so fn can keep per-worker scratch state (an encoder's buffers).
// Workers yield between items: the callers are batches inside a service,
// and a request waiting for a core (a read of one lead) should run between
// two items rather than after the whole batch.
func Each(n, perWorker int, fn func(worker, i int)) {
	workers := min(runtime.GOMAXPROCS(0), (n+perWorker-1)/perWorker)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < n; i += workers {
				fn(w, i)
				runtime.Gosched()
			}
		}()
	}
	wg.Wait()
}
