package ingest

import (
	"strings"

	"github.com/leadscore/leadscore"
	"github.com/leadscore/leadscore/quality"
)

// LeadRecord is one lead read from a file.
type LeadRecord struct {
	// Line is the 1-based line where the row starts.
	Line int
	Lead leadscore.Lead
	// Account is nil when the row says nothing about a company. An account
	// with an empty ID holds company facts of a lead that cannot be tied to
	// a shared account (a gmail address with a company name): rules can
	// still read them, but no other lead shares them.
	Account *leadscore.Account
}

// AccountKey is the key that groups the record with its colleagues: the
// account ID, or "" when the lead has no shared account.
func (r *LeadRecord) AccountKey() string { return r.Lead.AccountID }

// resolveIdentity fills the lead ID and the account key. Precedence for the
// account: an explicit ID, then the registrable domain of the company's
// domain or website, then that of the email address. Free-mail and
// disposable domains never make an account, or every gmail user would be
// one company.
func resolveIdentity(rec *LeadRecord, domainCell string, checker *quality.Checker) *RowError {
	l := &rec.Lead
	l.ID = strings.TrimSpace(l.ID)
	l.Email = strings.TrimSpace(l.Email)
	var facts quality.EmailFacts
	if l.Email != "" {
		facts = checker.Email(l.Email)
	}
	if l.ID == "" {
		if l.Email == "" {
			return rowErr(rec.Line, "", "a lead needs an id or an email")
		}
		if !facts.Valid {
			return rowErr(rec.Line, "email", "%q is not a valid email address and the row has no id", l.Email)
		}
		l.ID = NormalizeEmail(l.Email)
	}
	acct := rec.Account
	key := strings.TrimSpace(l.AccountID)
	if key == "" && acct != nil {
		key = strings.TrimSpace(acct.ID)
	}
	domain := ""
	if d := RegistrableDomain(domainCell); d != "" && !isFreeDomain(checker, d) {
		domain = d
	}
	if domain == "" && acct != nil && acct.Domain != "" {
		if d := RegistrableDomain(acct.Domain); d != "" && !isFreeDomain(checker, d) {
			domain = d
		}
	}
	if domain == "" && facts.Valid && !facts.Free && !facts.Disposable {
		// The lists were already asked about the address's own domain;
		// only a subdomain's parent needs another look.
		if d := RegistrableDomain(facts.Domain); d != "" && (d == facts.Domain || !isFreeDomain(checker, d)) {
			domain = d
		}
	}
	if key == "" {
		key = domain
	}
	if key == "" && acct == nil {
		return nil
	}
	if acct == nil {
		acct = &leadscore.Account{}
		rec.Account = acct
	}
	acct.ID = key
	if domain != "" {
		acct.Domain = domain
	} else if acct.Domain != "" {
		acct.Domain = hostOf(acct.Domain)
	}
	l.AccountID = key
	return nil
}

// isFreeDomain asks the quality lists about a bare domain. The lists are
// keyed by address, so a placeholder local part is used.
func isFreeDomain(c *quality.Checker, domain string) bool {
	f := c.Email("x@" + domain)
	return f.Free || f.Disposable
}
