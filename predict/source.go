package predict

import (
	"strconv"
	"strings"

	"github.com/leadscore/leadscore"
	"github.com/leadscore/leadscore/ingest"
	"github.com/leadscore/leadscore/quality"
)

// A source is one attribute of a lead or its account that may become a
// feature. Training and scoring read sources through the same function
// (value), so a model sees a lead scored later exactly as it saw the leads
// it learned from.
type source struct {
	// Name is how the model language spells it: lead.title,
	// account.employees, lead.plan_tier.
	Name string
	// Label is how a factor names it to a person: "job title".
	Label string
	field ingest.Field
	key   string
	acct  bool
	// rule marks a rule of a rule model (RuleInputs): its value is whether
	// the rule fired, which needs the lead's events and the cut-off.
	rule bool
}

// sourcesFor lists the sources a lead file's columns provide. Identifiers
// (ID, email address, names, phone), free text that names one company
// (company, domain) and the creation time are not sources: they cannot
// generalise from one lead to another, and the time is what out-of-time
// validation orders by.
func sourcesFor(m *ingest.Mapping, skip func(c ingest.Column) bool) []source {
	var out []source
	for _, c := range m.Columns {
		if skip(c) {
			continue
		}
		if c.Field != ingest.FieldCustom {
			if s, ok := standardSource(c.Field); ok {
				out = append(out, s)
			}
			continue
		}
		s := source{field: c.Field, key: c.Key, acct: c.Account, Label: strings.ReplaceAll(c.Key, "_", " ")}
		s.Name = "lead." + c.Key
		if c.Account {
			s.Name = "account." + c.Key
		}
		out = append(out, s)
	}
	return out
}

// standardSources are the standard lead and account fields that can be
// features.
var standardSources = []source{
	{Name: "lead.email_type", Label: "email address", field: ingest.FieldEmail},
	{Name: "lead.title", Label: "job title", field: ingest.FieldTitle},
	{Name: "lead.country", Label: "country", field: ingest.FieldCountry},
	{Name: "lead.state", Label: "state", field: ingest.FieldState},
	{Name: "lead.city", Label: "city", field: ingest.FieldCity},
	{Name: "lead.source", Label: "source", field: ingest.FieldSource},
	{Name: "account.employees", Label: "employees", field: ingest.FieldEmployees},
	{Name: "account.revenue", Label: "annual revenue", field: ingest.FieldRevenue},
	{Name: "account.industry", Label: "industry", field: ingest.FieldIndustry},
	{Name: "account.priority", Label: "priority account", field: ingest.FieldPriority},
	{Name: "account.country", Label: "account country", field: ingest.FieldAccountCountry},
}

func standardSource(f ingest.Field) (source, bool) {
	for _, s := range standardSources {
		if s.field == f {
			return s, true
		}
	}
	return source{}, false
}

// value reads the source from a lead: a float64 (numbers and yes/no), a
// string, or nil when absent.
func (s *source) value(l *leadscore.Lead, a *leadscore.Account, checker *quality.Checker) any {
	if s.rule {
		return nil
	}
	switch s.field {
	case ingest.FieldCustom:
		var v any
		if s.acct {
			if a != nil {
				v = a.Fields[s.key]
			}
		} else {
			v = l.Fields[s.key]
		}
		return normalise(v)
	case ingest.FieldEmail:
		if l.Email == "" {
			return nil
		}
		f := checker.Email(l.Email)
		switch {
		case !f.Valid:
			return "invalid"
		case f.Disposable:
			return "disposable"
		case f.Free:
			return "free-mail"
		case f.Role:
			return "role address"
		}
		return "company address"
	case ingest.FieldTitle:
		return text(l.Title)
	case ingest.FieldCountry:
		return text(l.Country)
	case ingest.FieldState:
		return text(l.State)
	case ingest.FieldCity:
		return text(l.City)
	case ingest.FieldSource:
		return text(l.Source)
	}
	if a == nil {
		return nil
	}
	switch s.field {
	case ingest.FieldEmployees:
		if a.Employees != nil {
			return float64(*a.Employees)
		}
	case ingest.FieldRevenue:
		if a.Revenue != nil {
			return *a.Revenue
		}
	case ingest.FieldIndustry:
		return text(a.Industry)
	case ingest.FieldPriority:
		if a.Priority {
			return 1.0
		}
		return 0.0
	case ingest.FieldAccountCountry:
		return text(a.Country)
	}
	return nil
}

// text turns an empty string into an absent value and folds case, so that
// "VP Sales" and "vp sales" are one level.
func text(s string) any {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil
	}
	return strings.ToLower(s)
}

// normalise maps the value types that lead fields hold (from CSV, JSON or
// the API) onto float64, string or nil.
func normalise(v any) any {
	switch x := v.(type) {
	case nil:
		return nil
	case float64:
		return x
	case int:
		return float64(x)
	case int64:
		return float64(x)
	case bool:
		if x {
			return 1.0
		}
		return 0.0
	case string:
		return text(x)
	}
	return nil
}

// parseOutcome reads a target cell: yes/true/1 and no/false/0 in the
// spellings CRMs export. ok is false for an empty or unreadable cell.
func parseOutcome(s string) (converted, ok bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "1", "true", "yes", "y", "won", "converted", "closed won":
		return true, true
	case "0", "false", "no", "n", "lost", "closed lost":
		return false, true
	}
	if f, err := strconv.ParseFloat(strings.TrimSpace(s), 64); err == nil {
		return f > 0, true
	}
	return false, false
}
