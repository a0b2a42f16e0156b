package ingest

import (
	"fmt"
	"strings"
)

// Field is a standard lead or account attribute a column can map to.
type Field int

const (
	FieldCustom Field = iota // not a standard field: Lead.Fields or Account.Fields
	FieldID
	FieldEmail
	FieldFirstName
	FieldLastName
	FieldFullName
	FieldTitle
	FieldPhone
	FieldCountry
	FieldState
	FieldCity
	FieldSource
	FieldCreatedAt
	FieldAccountID
	FieldCompany
	FieldDomain
	FieldCompanyDomain
	FieldWebsite
	FieldEmployees
	FieldIndustry
	FieldRevenue
	FieldPriority
	FieldLists
	FieldAccountCountry
	fieldCount
)

var fieldNames = [fieldCount]string{
	FieldCustom: "custom", FieldID: "id", FieldEmail: "email", FieldFirstName: "first_name",
	FieldLastName: "last_name", FieldFullName: "name", FieldTitle: "title", FieldPhone: "phone",
	FieldCountry: "country", FieldState: "state", FieldCity: "city", FieldSource: "source",
	FieldCreatedAt: "created_at", FieldAccountID: "account_id", FieldCompany: "company",
	FieldDomain: "domain", FieldCompanyDomain: "company_domain", FieldWebsite: "website",
	FieldEmployees: "employees", FieldIndustry: "industry", FieldRevenue: "revenue",
	FieldPriority: "priority", FieldLists: "lists", FieldAccountCountry: "account.country",
}

func (f Field) String() string {
	if f < 0 || f >= fieldCount {
		return fmt.Sprintf("Field(%d)", int(f))
	}
	return fieldNames[f]
}

// headerAliases maps a normalised header (see normalizeHeader) to a field.
// It holds the canonical names and the headers of HubSpot contact exports
// and Salesforce lead exports; docs/import-columns.md is the user-facing
// copy of this table.
var headerAliases = map[string]Field{
	// canonical
	"id": FieldID, "email": FieldEmail, "firstname": FieldFirstName, "lastname": FieldLastName,
	"name": FieldFullName, "fullname": FieldFullName, "title": FieldTitle, "phone": FieldPhone,
	"country": FieldCountry, "state": FieldState, "city": FieldCity, "source": FieldSource,
	"createdat": FieldCreatedAt, "accountid": FieldAccountID, "company": FieldCompany,
	"domain": FieldDomain, "companydomain": FieldCompanyDomain, "website": FieldWebsite,
	"employees": FieldEmployees, "industry": FieldIndustry, "revenue": FieldRevenue,
	"priority": FieldPriority, "targetaccount": FieldPriority, "lists": FieldLists,
	// HubSpot contacts export
	"recordid": FieldID, "jobtitle": FieldTitle, "phonenumber": FieldPhone,
	"country/region": FieldCountry, "state/region": FieldState, "originalsource": FieldSource,
	"createdate": FieldCreatedAt, "companyname": FieldCompany, "companydomainname": FieldCompanyDomain,
	"websiteurl": FieldWebsite, "numberofemployees": FieldEmployees, "annualrevenue": FieldRevenue,
	"associatedcompanyid": FieldAccountID, "emailaddress": FieldEmail,
	// other common spellings
	"contactid": FieldID, "companyid": FieldAccountID, "groupid": FieldAccountID,
	"accountname": FieldCompany, "employeecount": FieldEmployees,
	// Salesforce leads export
	"leadid": FieldID, "state/province": FieldState, "leadsource": FieldSource,
	"createddate": FieldCreatedAt, "noofemployees": FieldEmployees,
	// account.<standard> columns
	"account.id": FieldAccountID, "account.name": FieldCompany, "account.domain": FieldDomain,
	"account.industry": FieldIndustry, "account.employees": FieldEmployees,
	"account.revenue": FieldRevenue, "account.priority": FieldPriority, "account.lists": FieldLists,
	"account.country": FieldAccountCountry,
}

// normalizeHeader makes header matching insensitive to case, spaces,
// underscores, hyphens and dots ("First Name", "first_name", "FIRSTNAME",
// "No. of Employees"), except that an "account." prefix keeps its dot.
func normalizeHeader(h string) string {
	h = strings.ToLower(strings.TrimSpace(h))
	prefix := ""
	if strings.HasPrefix(h, "account.") {
		prefix, h = "account.", h[len("account."):]
	}
	var b strings.Builder
	b.WriteString(prefix)
	for _, r := range h {
		switch r {
		case ' ', '_', '-', '.', '\t':
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// fieldKey turns a custom column header into the name a rule uses:
// "Lead Status" -> lead_status, "account.Tier" -> tier (on the account).
func fieldKey(h string) string {
	var b strings.Builder
	under := false
	for _, r := range strings.ToLower(strings.TrimSpace(h)) {
		ok := r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r > 127
		if !ok {
			under = b.Len() > 0
			continue
		}
		if under {
			b.WriteByte('_')
			under = false
		}
		b.WriteRune(r)
	}
	return b.String()
}

// Column is how one header was understood.
type Column struct {
	Index  int
	Header string
	Field  Field
	// Account is true for custom "account.X" columns.
	Account bool
	// Key is the Fields key of a custom column.
	Key string
}

// Mapping is the understood header of a lead file. It is immutable after
// NewMapping and safe for concurrent use, so rows can be converted on
// several goroutines.
type Mapping struct {
	Columns []Column
	// byField holds the column index of each standard field, -1 if absent.
	byField [fieldCount]int
}

// NewMapping understands a header row. Two columns that mean the same
// standard field, or the same custom field, are an error: silently taking
// one of them would score on data the user did not mean. The three domain
// columns are the exception, read in the order domain, company domain,
// website.
func NewMapping(header []string) (*Mapping, error) {
	m := &Mapping{}
	for i := range m.byField {
		m.byField[i] = -1
	}
	customSeen := map[string]string{}
	for i, h := range header {
		c := Column{Index: i, Header: h}
		norm := normalizeHeader(h)
		if norm == "" || norm == "account." {
			return nil, fmt.Errorf("column %d has an empty header", i+1)
		}
		if f, ok := headerAliases[norm]; ok {
			c.Field = f
			if prev := m.byField[f]; prev >= 0 {
				return nil, fmt.Errorf("columns %q and %q both mean %s", header[prev], h, f)
			}
			m.byField[f] = i
		} else {
			name := strings.TrimSpace(h)
			lower := strings.ToLower(name)
			if strings.HasPrefix(lower, "account.") {
				c.Account = true
				name = name[len("account."):]
			}
			c.Key = fieldKey(name)
			if c.Key == "" {
				return nil, fmt.Errorf("column %d (%q) has no usable name", i+1, h)
			}
			id := c.Key
			if c.Account {
				id = "account." + id
			}
			if prev, dup := customSeen[id]; dup {
				return nil, fmt.Errorf("columns %q and %q both become the field %s", prev, h, id)
			}
			customSeen[id] = h
		}
		m.Columns = append(m.Columns, c)
	}
	if m.byField[FieldID] < 0 && m.byField[FieldEmail] < 0 {
		return nil, fmt.Errorf("a lead file needs an id or an email column (found %s)", strings.Join(header, ", "))
	}
	return m, nil
}

// Has reports whether the header has a column for f.
func (m *Mapping) Has(f Field) bool { return m.byField[f] >= 0 }
