package webui

import (
	"net/http/httptest"
	"net/url"
	"slices"
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
// and a sales rep's filter never reaches beyond their team's leads.
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
		me := leadscore.User{ID: "usr_1", Email: "rep@example.com", Role: leadscore.Role(role), Team: "emea"}
		mate := leadscore.User{ID: "usr_2", Email: "mate@example.com", Name: "Mate", Role: leadscore.RoleSales, Team: "EMEA"}
		stranger := leadscore.User{ID: "usr_3", Email: "x@example.com", Role: leadscore.RoleSales, Team: "apac"}
		acc := leadscore.NewLeadAccess(me, []leadscore.User{me, mate, stranger}, nil)
		team := acc.OwnerNames("")
		rq := &request{Request: httptest.NewRequest("GET", "/leads", nil), L: c.localizer(language.English),
			who: &leadscore.SignedIn{User: me}}
		q := parseLeadQuery(v)
		flt, err := q.filter(rq, &acc, pageSize)
		if err != nil {
			if leadscore.CodeOf(err) != leadscore.CodeInvalid {
				t.Fatalf("filter(%q): %v is not an invalid-input error", rawQuery, err)
			}
			return
		}
		if !permAllLeads.allowed(leadscore.Role(role)) {
			if len(flt.Owners) == 0 {
				t.Fatalf("role %q lists every owner's leads", role)
			}
			for _, o := range flt.Owners {
				if !slices.Contains(team, o) {
					t.Fatalf("role %q lists the leads of %q, outside the team %q", role, o, team)
				}
			}
		}
		if _, err := url.ParseQuery(q.values().Encode()); err != nil {
			t.Fatalf("the next-page query does not parse: %v", err)
		}
	})
}
