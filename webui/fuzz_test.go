package webui

import (
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/text/language"

	"github.com/leadscore/leadscore"
)

// FuzzSafeNext: whatever a URL's next parameter holds, the redirect after
// sign-in stays on this site.
func FuzzSafeNext(f *testing.F) {
	for _, s := range []string{"/leads", "//evil.example", "/\\evil.example", "https://evil.example/", "", "/leads?q=a", "javascript:alert(1)"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, next string) {
		got := safeNext(next)
		if !strings.HasPrefix(got, "/") || strings.HasPrefix(got, "//") || strings.HasPrefix(got, "/\\") {
			t.Fatalf("safeNext(%q) = %q leaves the site", next, got)
		}
		u, err := url.Parse(got)
		if err == nil && u.Host != "" {
			t.Fatalf("safeNext(%q) = %q names a host", next, got)
		}
	})
}

// FuzzLeadQuery: any leads URL becomes a filter or a clear invalid error,
// and a sales rep's filter is always their own leads.
func FuzzLeadQuery(f *testing.F) {
	f.Add("model=b2b-saas&band=hot&qualified=yes&since=2026-10-01&q=ada", "sales")
	f.Add("since=yesterday&owner=x@example.com", "sales")
	f.Add("qualified=maybe&after=%ff", "viewer")
	c, err := loadCatalogs()
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, rawQuery, role string) {
		v, err := url.ParseQuery(rawQuery)
		if err != nil {
			return
		}
		rq := &request{Request: httptest.NewRequest("GET", "/leads", nil), L: c.localizer(language.English),
			who: &leadscore.SignedIn{User: leadscore.User{Email: "rep@example.com", Role: leadscore.Role(role)}}}
		q := parseLeadQuery(v)
		flt, err := q.filter(rq, pageSize)
		if err != nil {
			if leadscore.CodeOf(err) != leadscore.CodeInvalid {
				t.Fatalf("filter(%q): %v is not an invalid-input error", rawQuery, err)
			}
			return
		}
		if !permAllLeads.allowed(leadscore.Role(role)) && flt.Owner != "rep@example.com" {
			t.Fatalf("role %q gets owner %q", role, flt.Owner)
		}
		if _, err := url.ParseQuery(q.values().Encode()); err != nil {
			t.Fatalf("the next-page query does not parse: %v", err)
		}
	})
}
