// Package quality derives lead-quality facts that rules can score on:
// whether an email address is well formed, from a free-mail or disposable
// provider, or a role address (info@, sales@), and whether a user agent
// belongs to a bot or link scanner. The lists come from maintained modules
// (AfterShip/email-verifier, x-way/crawlerdetect) rather than being kept here.
package quality

import (
	"strings"

	emailverifier "github.com/AfterShip/email-verifier"
	"github.com/x-way/crawlerdetect"
)

// EmailFacts describes one address.
type EmailFacts struct {
	Valid      bool
	Local      string
	Domain     string
	Free       bool
	Disposable bool
	Role       bool
}

// Checker answers quality questions. It is safe for concurrent use and cheap
// to share; create one per process and pass it where it is needed.
type Checker struct {
	verifier *emailverifier.Verifier
	crawlers *crawlerdetect.CrawlerDetect
}

// NewChecker builds a Checker with the bundled lists. It does no network I/O.
func NewChecker() *Checker {
	return &Checker{verifier: emailverifier.NewVerifier(), crawlers: crawlerdetect.New()}
}

// Email classifies an address. Matching is case-insensitive and ignores
// surrounding spaces; an invalid address has only Valid=false.
func (c *Checker) Email(address string) EmailFacts {
	address = strings.TrimSpace(address)
	if address == "" {
		return EmailFacts{}
	}
	syntax := c.verifier.ParseAddress(address)
	if !syntax.Valid {
		return EmailFacts{}
	}
	local := strings.ToLower(syntax.Username)
	domain := strings.ToLower(syntax.Domain)
	// Plus-addressing (sales+crm@) is still the role mailbox "sales".
	roleLocal := local
	if i := strings.IndexByte(roleLocal, '+'); i > 0 {
		roleLocal = roleLocal[:i]
	}
	return EmailFacts{
		Valid:      true,
		Local:      local,
		Domain:     domain,
		Free:       c.verifier.IsFreeDomain(domain),
		Disposable: c.verifier.IsDisposable(domain),
		Role:       c.verifier.IsRoleAccount(roleLocal),
	}
}

// IsBotUserAgent reports whether a user agent string belongs to a crawler,
// monitoring tool or link scanner. An empty user agent is not evidence.
func (c *Checker) IsBotUserAgent(userAgent string) bool {
	if strings.TrimSpace(userAgent) == "" {
		return false
	}
	return c.crawlers.IsCrawler(userAgent)
}
