package pipeline

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"
)

// TestOrderedKeepsProductionOrder: results reach consume in the order
// their items were produced, however long each takes.
func TestOrderedKeepsProductionOrder(t *testing.T) {
	var got []int
	err := Ordered(context.Background(), 4, func(emit func(int) bool) error {
		for i := range 200 {
			if !emit(i) {
				return nil
			}
		}
		return nil
	}, func(_ int, in int) int {
		time.Sleep(time.Duration((in*7)%5) * 100 * time.Microsecond)
		return in * in
	}, func(out int) error {
		got = append(got, out)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 200 {
		t.Fatalf("%d results, want 200", len(got))
	}
	for i, v := range got {
		if v != i*i {
			t.Fatalf("result %d is %d, want %d", i, v, i*i)
		}
	}
}

// TestOrderedStopsAtTheFirstError: an error of consume or produce ends the
// run and is returned; the producer sees emit refuse.
func TestOrderedStopsAtTheFirstError(t *testing.T) {
	stop := errors.New("stop")
	refused := false
	err := Ordered(context.Background(), 2, func(emit func(int) bool) error {
		for i := range 10000 {
			if !emit(i) {
				refused = true
				return nil
			}
		}
		return nil
	}, func(_ int, in int) int { return in }, func(out int) error {
		if out == 10 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) || !refused {
		t.Errorf("err %v, producer refused: %v", err, refused)
	}
	bad := errors.New("unreadable")
	err = Ordered(context.Background(), 2, func(emit func(int) bool) error { emit(1); return bad },
		func(_ int, in int) int { return in }, func(int) error { return nil })
	if !errors.Is(err, bad) {
		t.Errorf("produce's error: %v", err)
	}
}

// TestEach: every index is visited exactly once, whatever the split.
func TestEach(t *testing.T) {
	for _, tc := range []struct{ n, perWorker int }{{0, 16}, {1, 16}, {17, 16}, {1000, 1}, {1000, 64}} {
		seen := make([]int32, tc.n)
		Each(tc.n, tc.perWorker, func(_, i int) { atomic.AddInt32(&seen[i], 1) })
		for i, c := range seen {
			if c != 1 {
				t.Fatalf("n=%d per worker %d: index %d visited %d times", tc.n, tc.perWorker, i, c)
			}
		}
	}
}
