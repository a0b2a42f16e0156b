package service

import (
	"testing"
	"time"
)

func TestAStoredScoreServesOnlyWhileItsNextChangeIsAheadAndEarlyEnough(t *testing.T) {
	now := time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)
	var never time.Time
	cases := []struct {
		name         string
		stored, next time.Time
		digest       uint64
		want         bool
	}{
		{"same story, no next change either way", never, never, 1, true},
		{"same story, same next change", now.Add(time.Hour), now.Add(time.Hour), 1, true},
		{"same story, a later estimate of the next change", now.Add(time.Hour), now.Add(2 * time.Hour), 1, true},
		{"same story, no next change any more", now.Add(time.Hour), never, 1, true},
		{"another story", now.Add(time.Hour), now.Add(time.Hour), 2, false},
		{"the next change came earlier: the due job must see it", now.Add(2 * time.Hour), now.Add(time.Hour), 1, false},
		{"a next change appeared", never, now.Add(time.Hour), 1, false},
		{"the stored next change is due: it would stay due", now, now.Add(time.Hour), 1, false},
		{"the stored next change is past", now.Add(-time.Hour), now.Add(time.Hour), 1, false},
	}
	for _, c := range cases {
		e := &cached{}
		e.remember("m", 1, c.stored)
		if got := e.stillStored("m", c.digest, c.next, now); got != c.want {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
	if (&cached{}).stillStored("m", 1, never, now) {
		t.Error("a score this process never wrote must be written")
	}
}
