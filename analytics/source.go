package analytics

import (
	"context"
	"fmt"
	"time"

	"github.com/leadscore/leadscore/scoring"
)

// Outcome is what became of a lead.
type Outcome struct {
	// Known is false when the lead has no recorded outcome; such leads are
	// scored but left out of every measure that needs the outcome.
	Known     bool
	Converted bool
	// At is when the outcome was recorded (zero when not given).
	At time.Time
	// Stages says, per funnel stage of the source, whether the lead reached
	// it; StageAt holds the date when one was given.
	Stages  []bool
	StageAt []time.Time
}

// Record is one lead with everything needed to score it, and its outcome.
type Record struct {
	// Line is where the lead was found (0 when the source has no lines).
	Line    int
	Input   scoring.Input
	Outcome Outcome
}

// Source yields leads with their events, account and outcome.
type Source interface {
	// Each calls fn for every lead, one at a time and always in the same
	// order. The record and its contents are fn's to keep.
	Each(ctx context.Context, fn func(*Record) error) error
	// Stages names the funnel stages, in order (none when the source has
	// no stage data).
	Stages() []string
}

// Problem is one input row or line that could not be used as it was. The
// row is kept where possible (a lead with an unreadable outcome is still
// scored, with its outcome unknown).
type Problem struct {
	File   string
	Line   int
	Reason string
}

func (p Problem) String() string {
	if p.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", p.File, p.Line, p.Reason)
	}
	return p.File + ": " + p.Reason
}

// SliceSource is a Source over records held in memory (tests, and callers
// that already have the leads).
type SliceSource struct {
	Records    []*Record
	StageNames []string
}

func (s *SliceSource) Each(ctx context.Context, fn func(*Record) error) error {
	for i, r := range s.Records {
		if i%1024 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		if err := fn(r); err != nil {
			return err
		}
	}
	return nil
}

func (s *SliceSource) Stages() []string { return s.StageNames }
