package leadscore

import (
	"math"
	"time"
)

// Digest summarises what a reader of a stored evaluation sees, except the
// instant it was computed (AsOf) and its next change time, with points to
// the hundredth. Two evaluations with the same digest tell the same story:
// same score, band and qualification, same rules with the same counts and
// events, same caps and decay. NextChangeAt is left out because half-life
// estimates of it move with AsOf; whoever keeps a stored evaluation decides
// whether its next change time is still early enough (early only costs a
// re-evaluation). The service compares digests to skip
// rewriting a score nothing material changed, such as a colleague's
// activity re-scoring an account's people when no rule crosses a
// threshold, or a half-life moving points by a millionth.
func (e *Evaluation) Digest() uint64 {
	d := digester{h: fnvOffset}
	d.str(e.Model)
	d.str(e.Version)
	d.str(e.LeadID)
	d.num(e.Score)
	d.num(e.Raw)
	d.int(e.Display)
	d.int(int64(e.Prefix))
	d.str(e.PrefixLabel)
	d.str(e.Band)
	d.str(e.Grade)
	d.flag(e.Qualified)
	d.flag(e.Disqualified)
	d.strs(e.Reasons)
	d.int(int64(len(e.Categories)))
	for _, c := range e.Categories {
		d.str(c.Path)
		d.str(c.Label)
		d.num(c.Points)
		d.num(c.Uncapped)
		if c.Max != nil {
			d.num(*c.Max)
		} else {
			d.int(-1)
		}
		d.flag(c.Capped)
	}
	d.int(int64(len(e.Contributions)))
	for _, c := range e.Contributions {
		d.str(c.Rule)
		d.str(c.Label)
		d.str(c.Category)
		d.num(c.Points)
		d.int(int64(c.Count))
		d.int(int64(c.Matched))
		d.int(int64(c.EventsOmitted))
		d.str(c.Detail)
		d.int(int64(len(c.Events)))
		for _, r := range c.Events {
			d.str(r.ID)
			d.str(r.Type)
			d.time(r.At)
			d.num(r.Points)
		}
	}
	d.int(int64(len(e.Adjustments)))
	for _, a := range e.Adjustments {
		d.str(string(a.Kind))
		d.str(a.Category)
		d.num(a.Points)
		d.str(a.Text)
	}
	d.strs(e.Notes)
	d.time(e.LastActivity)
	return d.h
}

// digester is FNV-1a (64 bit), written out so that hashing a field costs
// no call through an interface: the digest is computed for every
// evaluation the service makes. It is stored with each score, so it must
// not change between releases.
type digester struct{ h uint64 }

const (
	fnvOffset = 14695981039346656037
	fnvPrime  = 1099511628211
)

func (d *digester) int(v int64) {
	u := uint64(v)
	for range 8 {
		d.h = (d.h ^ (u & 0xff)) * fnvPrime
		u >>= 8
	}
}

// num hashes points rounded to the hundredth, the precision a reader sees.
func (d *digester) num(v float64) { d.int(int64(math.Round(v * 100))) }

func (d *digester) flag(v bool) {
	if v {
		d.int(1)
	} else {
		d.int(0)
	}
}

// str hashes a string with its length, so that ("ab","c") and ("a","bc")
// differ.
func (d *digester) str(s string) {
	d.int(int64(len(s)))
	for i := 0; i < len(s); i++ {
		d.h = (d.h ^ uint64(s[i])) * fnvPrime
	}
}

func (d *digester) strs(ss []string) {
	d.int(int64(len(ss)))
	for _, s := range ss {
		d.str(s)
	}
}

func (d *digester) time(t time.Time) {
	if t.IsZero() {
		d.int(math.MinInt64)
		return
	}
	d.int(t.UnixMicro())
}
