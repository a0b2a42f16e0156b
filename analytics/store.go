package analytics

import (
	"context"
	"slices"
	"time"

	"github.com/leadscore/leadscore"
	"github.com/leadscore/leadscore/scoring"
)

// The measures over a running service's store. The store-facing part (paging
// through leads, events, lifecycle states and outcomes) lives in the
// service; what a stored lead means to a report is decided here, so that the
// file and store sources agree.

// StoreStages are the funnel stages of the lifecycle, in order (HubSpot's
// lifecyclestage values from marketing-qualified on).
func StoreStages() []string {
	return []string{"marketingqualifiedlead", "salesqualifiedlead", "opportunity", "customer"}
}

// StoreLead is one stored lead with what the store knows of it.
type StoreLead struct {
	Lead    *leadscore.Lead
	Account *leadscore.Account
	Events  []leadscore.StoredEvent
	// Stage is the lead's current lifecycle stage ("" when automation has
	// not seen it).
	Stage   string
	Outcome *leadscore.Outcome
	// Peers are the other people of the lead's account with the times they
	// were active (see LinkPeers).
	Peers []leadscore.Peer
}

// MaxStorePeers bounds the colleagues a stored lead is given: the
// stakeholder signal saturates long before, and a giant account must not
// make a report quadratic.
const MaxStorePeers = 200

// LinkPeers gives every lead of a page the other people of its account in
// the page, with the times they were active (bot traffic aside): what
// account.active_people counts as of any date. The page must hold each
// account whole (the store pages account by account).
func LinkPeers(page []StoreLead) {
	byAccount := map[string][]leadscore.Peer{}
	for i := range page {
		sl := &page[i]
		acct := sl.Lead.AccountID
		if acct == "" || len(byAccount[acct]) >= MaxStorePeers {
			continue
		}
		var act []time.Time
		for j := range sl.Events {
			if !sl.Events[j].Bot {
				act = append(act, sl.Events[j].At)
			}
		}
		if len(act) > 0 {
			slices.SortFunc(act, func(a, b time.Time) int { return a.Compare(b) })
			act = slices.CompactFunc(act, func(a, b time.Time) bool { return a.Equal(b) })
			byAccount[acct] = append(byAccount[acct], leadscore.Peer{LeadID: sl.Lead.ID, Activity: act})
		}
	}
	for i := range page {
		sl := &page[i]
		sl.Peers = nil
		for _, p := range byAccount[sl.Lead.AccountID] {
			if p.LeadID != sl.Lead.ID && len(sl.Peers) < MaxStorePeers {
				sl.Peers = append(sl.Peers, p)
			}
		}
	}
}

// StoreRecord turns a stored lead into a record.
//
// Outcomes: a won outcome is a conversion, a lost one is not. A lead without
// an outcome is left out of every measure that needs one, unless
// lostAfter > 0 and the lead was created more than lostAfter before asOf: a
// lead that old with no deal is what an analyst counts as not converted.
// Leads without a creation date are never counted that way.
//
// Funnel: a lead reached a stage when its current stage is that stage or a
// later one; a won lead reached every stage. The store keeps the current
// stage, so a lead sent back (recycled, rejected) counts only where it is now.
func StoreRecord(sl StoreLead, asOf time.Time, lostAfter time.Duration) *Record {
	rec := &Record{Input: scoring.Input{Lead: sl.Lead, Account: sl.Account, Peers: sl.Peers}}
	rec.Input.Events = make([]leadscore.Event, len(sl.Events))
	for i := range sl.Events {
		rec.Input.Events[i] = sl.Events[i].Event
	}
	stages := StoreStages()
	out := Outcome{Stages: make([]bool, len(stages))}
	switch {
	case sl.Outcome != nil:
		out.Known = true
		out.Converted = sl.Outcome.Result == leadscore.OutcomeWon
		out.At = sl.Outcome.At
	case lostAfter > 0 && !sl.Lead.CreatedAt.IsZero() && sl.Lead.CreatedAt.Before(asOf.Add(-lostAfter)):
		out.Known = true
	}
	reached := -1
	for i, s := range stages {
		if s == sl.Stage {
			reached = i
		}
	}
	if out.Converted {
		reached = len(stages) - 1
	}
	for i := 0; i <= reached; i++ {
		out.Stages[i] = true
	}
	rec.Outcome = out
	return rec
}

// Query says which model a report over stored leads measures, as of when,
// and how many leads it may read.
type Query struct {
	Model string `json:"model"`
	// Version is a stored version of Model; empty means the active one.
	Version string `json:"version,omitempty"`
	// AsOf is the instant leads are scored as of (zero: now).
	AsOf time.Time `json:"as_of,omitzero"`
	// Horizon scores each lead with an outcome date as of that date minus
	// Horizon (what the score said before the deal was decided).
	Horizon time.Duration `json:"-"`
	// LostAfter counts leads with no outcome that are older than this as
	// not converted (0: such leads are left out).
	LostAfter time.Duration `json:"-"`
	// MaxLeads bounds the leads read (0: the service's default). When the
	// store holds more, the first MaxLeads by lead id are measured and the
	// result's Scope says so.
	MaxLeads int `json:"-"`
}

// Scope says which stored leads a result was computed over.
type Scope struct {
	AsOf        time.Time `json:"as_of"`
	StoredLeads int64     `json:"stored_leads"`
	Read        int       `json:"read"`
	// Limited is true when the store held more leads than the limit: only
	// the first Read leads, account by account, were measured.
	Limited   bool   `json:"limited"`
	Limit     int    `json:"limit"`
	LostAfter string `json:"lost_after,omitempty"`
	Horizon   string `json:"horizon,omitempty"`
}

// CalibrationResult is a calibration report over stored leads.
type CalibrationResult struct {
	Scope  Scope   `json:"scope"`
	Report *Report `json:"report"`
}

// AdviceResult is threshold advice over stored leads.
type AdviceResult struct {
	Scope  Scope   `json:"scope"`
	Advice *Advice `json:"advice"`
}

// LiftResult is rule lift over stored leads, with points fitted to the
// outcomes when there are enough of them.
type LiftResult struct {
	Scope   Scope      `json:"scope"`
	Model   string     `json:"model"`
	Version string     `json:"version"`
	Rules   []RuleLift `json:"rules"`
	// Suggestion is absent when the points could not be fitted, and
	// SuggestionError says why.
	Suggestion      *Suggestion `json:"suggestion,omitempty"`
	SuggestionError string      `json:"suggestion_error,omitempty"`
}

// PreviewResult is the impact of activating a stored draft version: every
// stored lead scored as of one instant under the draft and under the active
// version.
type PreviewResult struct {
	Scope    Scope     `json:"scope"`
	Model    string    `json:"model"`
	Version  string    `json:"version"`
	Active   string    `json:"active_version"`
	Backtest *Backtest `json:"backtest"`
}

// DashboardResult is every measure of one model from one pass over the
// stored leads: the calibration report, threshold advice for one target and
// rule lift. A measure that cannot be computed (no outcomes yet) leaves its
// field empty and says why in its error field; the others still show.
type DashboardResult struct {
	Scope       Scope       `json:"scope"`
	Report      *Report     `json:"report"`
	Advice      *Advice     `json:"advice,omitempty"`
	AdviceError string      `json:"advice_error,omitempty"`
	Lift        *LiftResult `json:"lift"`
}

// Reporter answers the analytics questions over a service's stored leads.
// The service implements it; the HTTP API and the web UI use it when the
// service they are given does.
type Reporter interface {
	CalibrationReport(ctx context.Context, q Query) (*CalibrationResult, error)
	ThresholdAdvice(ctx context.Context, q Query, t Target) (*AdviceResult, error)
	RuleLift(ctx context.Context, q Query) (*LiftResult, error)
	// Dashboard computes the report, the advice and the lift at once.
	Dashboard(ctx context.Context, q Query, t Target) (*DashboardResult, error)
	// PreviewVersion compares a stored version of a model with its active
	// version over the stored leads.
	PreviewVersion(ctx context.Context, q Query) (*PreviewResult, error)
}
