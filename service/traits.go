package service

import (
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/leadscore/leadscore"
	"github.com/leadscore/leadscore/ingest"
)

// leadTraits maps Segment's reserved identify traits (and their common
// snake_case spellings) to lead fields; any other trait becomes a custom
// field readable as lead.<trait>.
var leadTraits = map[string]func(l *leadscore.Lead, v string){
	"email":      func(l *leadscore.Lead, v string) { l.Email = v },
	"firstName":  func(l *leadscore.Lead, v string) { l.FirstName = v },
	"first_name": func(l *leadscore.Lead, v string) { l.FirstName = v },
	"lastName":   func(l *leadscore.Lead, v string) { l.LastName = v },
	"last_name":  func(l *leadscore.Lead, v string) { l.LastName = v },
	"title":      func(l *leadscore.Lead, v string) { l.Title = v },
	"jobTitle":   func(l *leadscore.Lead, v string) { l.Title = v },
	"job_title":  func(l *leadscore.Lead, v string) { l.Title = v },
	"phone":      func(l *leadscore.Lead, v string) { l.Phone = v },
	"country":    func(l *leadscore.Lead, v string) { l.Country = v },
	"state":      func(l *leadscore.Lead, v string) { l.State = v },
	"city":       func(l *leadscore.Lead, v string) { l.City = v },
	"source":     func(l *leadscore.Lead, v string) { l.Source = v },
	"leadSource": func(l *leadscore.Lead, v string) { l.Source = v },
}

// traitsNotFields are reserved traits handled elsewhere or not worth
// keeping as custom fields.
var traitsNotFields = map[string]bool{"name": true, "address": true, "company": true, "createdAt": true, "created_at": true,
	"id": true, "userId": true, "anonymousId": true}

// applyTraits updates a lead from identify traits and returns the company
// facts they carried, if any.
func applyTraits(l *leadscore.Lead, traits map[string]any) *leadscore.Account {
	for k, v := range traits {
		if set, ok := leadTraits[k]; ok {
			if s := strings.TrimSpace(stringOf(v)); s != "" {
				set(l, s)
			}
			continue
		}
		if traitsNotFields[k] || v == nil {
			continue
		}
		if l.Fields == nil {
			l.Fields = map[string]any{}
		}
		l.Fields[k] = v
	}
	if name, ok := traits["name"].(string); ok && l.FirstName == "" && l.LastName == "" {
		first, last, _ := strings.Cut(strings.TrimSpace(name), " ")
		l.FirstName, l.LastName = first, strings.TrimSpace(last)
	}
	if addr, ok := traits["address"].(map[string]any); ok {
		for k, set := range map[string]func(string){
			"country": func(v string) { l.Country = v }, "state": func(v string) { l.State = v }, "city": func(v string) { l.City = v },
		} {
			if s := stringOf(addr[k]); s != "" {
				set(s)
			}
		}
	}
	for _, k := range []string{"createdAt", "created_at"} {
		if t, err := ingest.ParseTime(stringOf(traits[k])); err == nil && l.CreatedAt.IsZero() {
			l.CreatedAt = t
		}
	}
	switch c := traits["company"].(type) {
	case map[string]any:
		return accountFromTraits(c)
	case string:
		if strings.TrimSpace(c) != "" {
			return &leadscore.Account{Name: strings.TrimSpace(c)}
		}
	}
	return nil
}

// accountFromTraits reads company facts from group traits (or an identify
// call's company object), following Segment's reserved group traits.
func accountFromTraits(t map[string]any) *leadscore.Account {
	a := &leadscore.Account{}
	for k, v := range t {
		s := strings.TrimSpace(stringOf(v))
		switch k {
		case "name":
			a.Name = s
		case "industry":
			a.Industry = s
		case "employees", "employee_count", "employeeCount", "numberOfEmployees":
			if n, err := strconv.ParseFloat(s, 64); err == nil {
				e := int64(n)
				a.Employees = &e
			}
		case "revenue", "annual_revenue", "annualRevenue":
			if n, err := strconv.ParseFloat(s, 64); err == nil {
				a.Revenue = &n
			}
		case "website", "domain":
			a.Domain = ingest.RegistrableDomain(s)
		case "country":
			a.Country = s
		case "id":
			a.ID = s
		case "priority", "target", "target_account":
			a.Priority = s == "true"
		default:
			if v != nil {
				if a.Fields == nil {
					a.Fields = map[string]any{}
				}
				a.Fields[k] = v
			}
		}
	}
	return a
}

// mergeLead copies the fields set in update over l: an upsert never blanks
// a field the caller did not send.
func mergeLead(l, u *leadscore.Lead) {
	for _, f := range []struct {
		dst *string
		v   string
	}{
		{&l.Email, u.Email}, {&l.FirstName, u.FirstName}, {&l.LastName, u.LastName}, {&l.Title, u.Title},
		{&l.Phone, u.Phone}, {&l.Country, u.Country}, {&l.State, u.State}, {&l.City, u.City}, {&l.Source, u.Source},
		{&l.AccountID, u.AccountID},
	} {
		if f.v != "" {
			*f.dst = f.v
		}
	}
	if !u.CreatedAt.IsZero() {
		l.CreatedAt = u.CreatedAt
	}
	if len(u.Fields) > 0 {
		if l.Fields == nil {
			l.Fields = map[string]any{}
		}
		maps.Copy(l.Fields, u.Fields)
	}
}

// mergeAccount copies the facts set in u over a.
func mergeAccount(a, u *leadscore.Account) {
	if u == nil {
		return
	}
	for _, f := range []struct {
		dst *string
		v   string
	}{
		{&a.Domain, u.Domain}, {&a.Name, u.Name}, {&a.Industry, u.Industry}, {&a.Country, u.Country},
	} {
		if f.v != "" {
			*f.dst = f.v
		}
	}
	if u.Employees != nil {
		a.Employees = u.Employees
	}
	if u.Revenue != nil {
		a.Revenue = u.Revenue
	}
	if u.Priority {
		a.Priority = true
	}
	for _, l := range u.Lists {
		if !slices.Contains(a.Lists, l) {
			a.Lists = append(a.Lists, l)
		}
	}
	if len(u.Fields) > 0 {
		if a.Fields == nil {
			a.Fields = map[string]any{}
		}
		maps.Copy(a.Fields, u.Fields)
	}
}

// cloneAccount copies an account deeply enough that merging into the
// original leaves the copy as it was.
func cloneAccount(a *leadscore.Account) *leadscore.Account {
	c := *a
	c.Fields = maps.Clone(a.Fields)
	c.Lists = slices.Clone(a.Lists)
	if a.Employees != nil {
		e := *a.Employees
		c.Employees = &e
	}
	if a.Revenue != nil {
		r := *a.Revenue
		c.Revenue = &r
	}
	return &c
}

func accountChanged(before, after *leadscore.Account) bool {
	return !reflect.DeepEqual(before, after)
}

func stringOf(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(x)
	case time.Time:
		return x.Format(time.RFC3339)
	default:
		return fmt.Sprint(x)
	}
}
