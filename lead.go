package leadscore

import "time"

// Lead is a person being scored. Standard fields follow HubSpot's contact
// properties where one exists; anything else lives in Fields and is reachable
// from rule expressions as lead.<name>.
type Lead struct {
	ID        string         `json:"id"`
	Email     string         `json:"email,omitempty"`
	FirstName string         `json:"first_name,omitempty"`
	LastName  string         `json:"last_name,omitempty"`
	Title     string         `json:"title,omitempty"`
	Phone     string         `json:"phone,omitempty"`
	Country   string         `json:"country,omitempty"`
	State     string         `json:"state,omitempty"`
	City      string         `json:"city,omitempty"`
	Source    string         `json:"source,omitempty"`
	AccountID string         `json:"account_id,omitempty"`
	CreatedAt time.Time      `json:"created_at,omitzero"`
	Fields    map[string]any `json:"fields,omitempty"`
}

// Account is a company. Employees and Revenue are pointers because "unknown"
// must never look like zero to a rule such as `account.employees < 50`.
type Account struct {
	ID        string         `json:"id"`
	Domain    string         `json:"domain,omitempty"`
	Name      string         `json:"name,omitempty"`
	Industry  string         `json:"industry,omitempty"`
	Country   string         `json:"country,omitempty"`
	Employees *int64         `json:"employees,omitempty"`
	Revenue   *float64       `json:"revenue,omitempty"`
	Priority  bool           `json:"priority,omitempty"`
	Lists     []string       `json:"lists,omitempty"`
	Fields    map[string]any `json:"fields,omitempty"`
}

// Event is something a lead did (or that happened to them): an email open, a
// page view, a form fill. Events are immutable facts; whether one counts as
// bot traffic is a flag that may be set later, which simply changes the next
// evaluation.
type Event struct {
	ID         string         `json:"id"`
	LeadID     string         `json:"lead_id"`
	Type       string         `json:"type"`
	At         time.Time      `json:"at"`
	Properties map[string]any `json:"properties,omitempty"`
	Source     string         `json:"source,omitempty"`
	UserAgent  string         `json:"user_agent,omitempty"`
	Bot        bool           `json:"bot,omitempty"`
	BotReason  string         `json:"bot_reason,omitempty"`
}

// Peer is another person of the same account, reduced to what account signals
// need: when they were active. The times need not be sorted.
type Peer struct {
	LeadID   string      `json:"lead_id"`
	Activity []time.Time `json:"activity"`
}

// FillFrom fills dst's empty fields from src, leaving those dst has: how the
// rows of one account in a lead file combine into one account.
func (dst *Account) FillFrom(src *Account) {
	if src == nil {
		return
	}
	fill := func(d *string, s string) {
		if *d == "" {
			*d = s
		}
	}
	fill(&dst.Domain, src.Domain)
	fill(&dst.Name, src.Name)
	fill(&dst.Industry, src.Industry)
	fill(&dst.Country, src.Country)
	if dst.Employees == nil {
		dst.Employees = src.Employees
	}
	if dst.Revenue == nil {
		dst.Revenue = src.Revenue
	}
	dst.Priority = dst.Priority || src.Priority
	if dst.Lists == nil {
		dst.Lists = src.Lists
	}
	for k, v := range src.Fields {
		if _, ok := dst.Fields[k]; ok {
			continue
		}
		if dst.Fields == nil {
			dst.Fields = map[string]any{}
		}
		dst.Fields[k] = v
	}
}

// LeadKey names a lead with its account, for paging account by account.
type LeadKey struct {
	AccountID string `json:"account_id"`
	ID        string `json:"id"`
}
