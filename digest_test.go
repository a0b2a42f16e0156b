package leadscore

import (
	"hash/fnv"
	"testing"
	"time"
)

func TestDigestTellsStoriesApart(t *testing.T) {
	at := time.Date(2026, 10, 3, 9, 0, 0, 0, time.UTC)
	base := func() *Evaluation {
		return &Evaluation{Model: "m", Version: "v1", LeadID: "l", AsOf: at, Score: 42, Raw: 41.93, Display: 2042, Band: "warm",
			Categories:    []CategoryResult{{Path: "interest", Points: 1.93, Uncapped: 1.93}},
			Contributions: []Contribution{{Rule: "docs", Category: "interest", Points: 1.93, Count: 1, Matched: 1, Events: []EventRef{{ID: "e1", Type: "page.viewed", At: at, Points: 1.93}}}},
			Adjustments:   []Adjustment{{Kind: AdjustDecay, Points: -10, Text: "-10 no activity for 30 days"}},
			LastActivity:  at, NextChangeAt: at.Add(24 * time.Hour)}
	}
	same := []struct {
		name   string
		change func(e *Evaluation)
	}{
		{"evaluated later", func(e *Evaluation) { e.AsOf = e.AsOf.Add(time.Hour) }},
		{"a half-life estimate of the next change moved", func(e *Evaluation) { e.NextChangeAt = e.NextChangeAt.Add(15 * time.Second) }},
		{"points moved by a thousandth", func(e *Evaluation) {
			e.Raw += 0.001
			e.Contributions[0].Points += 0.001
			e.Contributions[0].Events[0].Points += 0.001
			e.Categories[0].Points += 0.001
		}},
	}
	for _, c := range same {
		e := base()
		c.change(e)
		if e.Digest() != base().Digest() {
			t.Errorf("%s: the story is the same, the digest must be too", c.name)
		}
	}
	differ := []struct {
		name   string
		change func(e *Evaluation)
	}{
		{"score", func(e *Evaluation) { e.Score = 43 }},
		{"band", func(e *Evaluation) { e.Band = "hot" }},
		{"qualified", func(e *Evaluation) { e.Qualified = true }},
		{"version", func(e *Evaluation) { e.Version = "v2" }},
		{"points by a hundredth", func(e *Evaluation) { e.Contributions[0].Points += 0.01 }},
		{"another event behind a rule", func(e *Evaluation) { e.Contributions[0].Events[0].ID = "e2" }},
		{"a rule's count", func(e *Evaluation) { e.Contributions[0].Count = 2 }},
		{"a new rule", func(e *Evaluation) { e.Contributions = append(e.Contributions, Contribution{Rule: "pricing"}) }},
		{"the decay", func(e *Evaluation) { e.Adjustments = nil }},
		{"the last activity", func(e *Evaluation) { e.LastActivity = e.LastActivity.Add(time.Minute) }},
		{"a note", func(e *Evaluation) { e.Notes = []string{"lead.title is missing"} }},
		{"a reason moved between strings", func(e *Evaluation) { e.Reasons = []string{"ab", "c"} }},
	}
	reasons := base()
	reasons.Reasons = []string{"a", "bc"}
	for _, c := range differ {
		e := base()
		c.change(e)
		against := base()
		if c.name == "a reason moved between strings" {
			against = reasons
		}
		if e.Digest() == against.Digest() {
			t.Errorf("%s changed: the digest must change", c.name)
		}
	}
}

// TestDigestIsFNV1a pins the hash: digests are stored with scores, so a
// release that hashed differently would rewrite every score once.
func TestDigestIsFNV1a(t *testing.T) {
	d := digester{h: fnvOffset}
	d.str("a")
	// FNV-1a of the 8 little-endian bytes of 1, then "a", computed with
	// hash/fnv.
	h := fnv.New64a()
	h.Write([]byte{1, 0, 0, 0, 0, 0, 0, 0, 'a'})
	if d.h != h.Sum64() {
		t.Fatalf("digester %x, hash/fnv %x", d.h, h.Sum64())
	}
	if got := (&Evaluation{Model: "m", Score: 1}).Digest(); got != 0xad9fbc57d54fe1cf {
		t.Errorf("the digest of a fixed evaluation changed: %#x", got)
	}
}
