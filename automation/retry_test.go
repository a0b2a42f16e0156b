package automation

import (
	"math/rand/v2"
	"testing"
	"time"
)

func TestNextAttemptBounds(t *testing.T) {
	p := DefaultRetryPolicy()
	rnd := rand.New(rand.NewPCG(1, 2))
	first := t0
	for n := 1; n <= 12; n++ {
		ceiling := min(p.Max, p.Base<<(n-1))
		for i := 0; i < 200; i++ {
			now := first.Add(time.Duration(n) * time.Minute)
			next, ok := p.NextAttempt(Attempts{Number: n, First: first}, Result{Outcome: OutcomeRetry}, now, rnd)
			if !ok {
				t.Fatalf("attempt %d: gave up inside the window", n)
			}
			if wait := next.Sub(now); wait < 0 || wait > ceiling {
				t.Fatalf("attempt %d: wait %s outside [0, %s]", n, wait, ceiling)
			}
		}
	}
}

// TestRetryScheduleAgainstADeadReceiver plays a receiver that never
// answers: deliveries keep trying for about a day, then fail; with the
// same seed the schedule is the same.
func TestRetryScheduleAgainstADeadReceiver(t *testing.T) {
	p := DefaultRetryPolicy()
	schedule := func(seed uint64) []time.Time {
		rnd := rand.New(rand.NewPCG(seed, 0))
		var out []time.Time
		now := t0
		for n := 1; ; n++ {
			out = append(out, now)
			next, ok := p.NextAttempt(Attempts{Number: n, First: t0}, Result{Outcome: OutcomeRetry}, now, rnd)
			if !ok {
				return out
			}
			if next.Before(now) {
				t.Fatalf("attempt %d scheduled in the past", n)
			}
			now = next
		}
	}
	for seed := uint64(1); seed <= 50; seed++ {
		s := schedule(seed)
		last := s[len(s)-1]
		if last.Sub(t0) > p.Window {
			t.Errorf("seed %d: attempt after the window: %s", seed, last.Sub(t0))
		}
		if last.Sub(t0) < 12*time.Hour {
			t.Errorf("seed %d: gave up after only %s (%d attempts)", seed, last.Sub(t0), len(s))
		}
		if len(s) > p.MaxAttempts {
			t.Errorf("seed %d: %d attempts", seed, len(s))
		}
	}
	a, b := schedule(7), schedule(7)
	if len(a) != len(b) || !a[len(a)-1].Equal(b[len(b)-1]) {
		t.Error("the same seed gave different schedules")
	}
}

func TestNextAttempt(t *testing.T) {
	p := RetryPolicy{Base: 10 * time.Second, Max: time.Hour, Window: 24 * time.Hour, MaxAttempts: 10}
	now := t0.Add(time.Hour)
	tests := []struct {
		name string
		a    Attempts
		last Result
		ok   bool
		min  time.Time // inclusive bounds of the next attempt
		max  time.Time
	}{
		{"delivered: nothing more", Attempts{1, t0}, Result{Outcome: OutcomeDelivered}, false, time.Time{}, time.Time{}},
		{"gone: nothing more", Attempts{1, t0}, Result{Outcome: OutcomeGone}, false, time.Time{}, time.Time{}},
		{"first retry within the base", Attempts{1, t0}, Result{Outcome: OutcomeRetry}, true, now, now.Add(10 * time.Second)},
		{"capped at Max", Attempts{9, t0}, Result{Outcome: OutcomeRetry}, true, now, now.Add(time.Hour)},
		{"attempts exhausted", Attempts{10, t0}, Result{Outcome: OutcomeRetry}, false, time.Time{}, time.Time{}},
		{"Retry-After later than the backoff is honoured", Attempts{1, t0}, Result{Outcome: OutcomeRetry, RetryAfter: now.Add(20 * time.Minute)}, true, now.Add(20 * time.Minute), now.Add(20 * time.Minute)},
		{"Retry-After earlier than the backoff changes nothing", Attempts{1, t0}, Result{Outcome: OutcomeRetry, RetryAfter: now.Add(-time.Minute)}, true, now, now.Add(10 * time.Second)},
		{"Retry-After is capped at Max", Attempts{1, t0}, Result{Outcome: OutcomeRetry, RetryAfter: now.Add(30 * 24 * time.Hour)}, true, now.Add(time.Hour), now.Add(time.Hour)},
		{"beyond the window: failed", Attempts{3, t0.Add(-23*time.Hour - 30*time.Minute)}, Result{Outcome: OutcomeRetry, RetryAfter: now.Add(40 * time.Minute)}, false, time.Time{}, time.Time{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for seed := uint64(0); seed < 20; seed++ {
				next, ok := p.NextAttempt(tt.a, tt.last, now, rand.New(rand.NewPCG(seed, seed)))
				if ok != tt.ok {
					t.Fatalf("ok %t, want %t", ok, tt.ok)
				}
				if ok && (next.Before(tt.min) || next.After(tt.max)) {
					t.Fatalf("next %s outside [%s, %s]", next, tt.min, tt.max)
				}
			}
		})
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 11, 6, 15, 0, 0, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Time
	}{
		{"120", now.Add(2 * time.Minute)},
		{" 0 ", now},
		{"Fri, 06 Nov 2026 15:30:00 GMT", now.Add(30 * time.Minute)},
		{"Friday, 06-Nov-26 15:30:00 GMT", now.Add(30 * time.Minute)},
		{"Fri Nov  6 15:30:00 2026", now.Add(30 * time.Minute)},
		{"99999999999999", now.Add(366 * 24 * time.Hour)},
		{"-5", time.Time{}},
		{"soon", time.Time{}},
		{"", time.Time{}},
		{"1.5", time.Time{}},
	}
	for _, tt := range tests {
		if got := ParseRetryAfter(tt.in, now); !got.Equal(tt.want) {
			t.Errorf("ParseRetryAfter(%q) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

func FuzzParseRetryAfter(f *testing.F) {
	for _, s := range []string{"120", "Fri, 06 Nov 2026 15:30:00 GMT", "-1", "9223372036854775807", ""} {
		f.Add(s)
	}
	now := time.Date(2026, 11, 6, 15, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, s string) {
		got := ParseRetryAfter(s, now)
		if got.IsZero() {
			return
		}
		// A number of seconds never points back in time nor beyond a year.
		if n := len(s); n > 0 && s[0] >= '0' && s[0] <= '9' {
			if got.Before(now) || got.After(now.Add(366*24*time.Hour)) {
				t.Fatalf("%q -> %s", s, got)
			}
		}
	})
}
