package automation

import (
	"fmt"
	"strings"

	"github.com/leadscore/leadscore"
	"github.com/leadscore/leadscore/internal/yamlfile"
)

// Stage is a lead's lifecycle stage, with HubSpot's property values so that
// a CRM sync needs no mapping.
type Stage string

const (
	StageSubscriber  Stage = "subscriber"
	StageLead        Stage = "lead"
	StageMQL         Stage = "marketingqualifiedlead"
	StageSQL         Stage = "salesqualifiedlead"
	StageOpportunity Stage = "opportunity"
	StageCustomer    Stage = "customer"
	// StageOther closes a lead that will not buy (lost, rejected, not a
	// fit). It sits outside the forward order: any stage can move to it.
	StageOther Stage = "other"
)

// Stages lists every stage in lifecycle order, other last.
func Stages() []Stage {
	return []Stage{StageSubscriber, StageLead, StageMQL, StageSQL, StageOpportunity, StageCustomer, StageOther}
}

// rank orders the forward stages. Other has no place in the order, which is
// why it is compared separately wherever "forward" matters.
func (s Stage) rank() int {
	switch s {
	case StageSubscriber:
		return 0
	case "", StageLead:
		return 1
	case StageMQL:
		return 2
	case StageSQL:
		return 3
	case StageOpportunity:
		return 4
	case StageCustomer:
		return 5
	}
	return 6
}

// orLead reads the empty stage of a lead nobody has staged yet as "lead".
func (s Stage) orLead() Stage {
	if s == "" {
		return StageLead
	}
	return s
}

// ScoreOwned reports whether the score may still move the lead: only before
// sales has taken it past MQL or closed it.
func (s Stage) ScoreOwned() bool { return s.orLead().rank() <= StageMQL.rank() }

// stageAlias reads the other spellings a CSV export or a person may use.
func stageAlias(key string) (Stage, bool) {
	switch key {
	case "mql", "marketingqualified":
		return StageMQL, true
	case "sql", "salesqualified":
		return StageSQL, true
	case "opp":
		return StageOpportunity, true
	case "closedwon":
		return StageCustomer, true
	case "lost", "closedlost":
		return StageOther, true
	}
	return "", false
}

// ParseStage reads a stage written as HubSpot's value, as its label
// ("Marketing Qualified Lead") or as a common short form (mql, sql, lost).
func ParseStage(s string) (Stage, error) {
	key := strings.Map(func(r rune) rune {
		switch r {
		case ' ', '_', '-', '/':
			return -1
		}
		return r
	}, strings.ToLower(strings.TrimSpace(s)))
	for _, st := range Stages() {
		if key == string(st) {
			return st, nil
		}
	}
	if st, ok := stageAlias(key); ok {
		return st, nil
	}
	names := make([]string, 0, 7)
	for _, st := range Stages() {
		names = append(names, string(st))
	}
	msg := fmt.Sprintf("unknown lifecycle stage %q (use %s)", s, yamlfile.OrList(names))
	if sg := yamlfile.Suggest(key, names); sg != "" {
		msg += fmt.Sprintf("; did you mean %q?", sg)
	}
	return "", leadscore.Invalid("stage", "%s", msg)
}
