package pipeline

import (
	"context"
	"errors"
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
