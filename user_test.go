package leadscore

import (
	"slices"
	"strings"
	"testing"
)

func TestLeadAccess(t *testing.T) {
	rep := User{ID: "usr_rep", Email: "rep@example.com", Name: "Rita Rep", Role: RoleSales, Team: "emea"}
	anna := User{ID: "usr_anna", Email: "anna@acme.example", Name: "Anna Nowak", Role: RoleSales, Team: "EMEA"}
	gone := User{ID: "usr_gone", Email: "gone@example.com", Role: RoleSales, Team: "emea", DisabledAt: &rep.CreatedAt}
	stranger := User{ID: "usr_x", Email: "x@example.com", Role: RoleSales, Team: "apac"}
	loner := User{ID: "usr_l", Email: "loner@example.com", Role: RoleSales}
	users := []User{anna, gone, loner, rep, stranger}
	routing := []RoutingOwner{{Name: "anna", Email: "ANNA@acme.example"}, {Name: "xavier", Email: "x@example.com"}, {Name: "queue"}}

	cases := []struct {
		name  string
		who   User
		allow []string
		deny  []string
	}{
		{"admin", User{Role: RoleAdmin}, []string{"", "anyone"}, nil},
		{"viewer", User{Role: RoleViewer}, []string{"anyone"}, nil},
		{"editor", User{Role: RoleEditor}, []string{"anyone"}, nil},
		{"sales, by id, email and name, ignoring case and space", rep,
			[]string{"usr_rep", " REP@example.com ", "rita rep", "anna@acme.example", "Anna Nowak", "anna", "gone@example.com"},
			[]string{"", "x@example.com", "xavier", "queue", "loner@example.com", "someone"}},
		{"another team", stranger, []string{"x@example.com", "xavier"}, []string{"rep@example.com", "anna"}},
		{"no team: only one's own", loner, []string{"loner@example.com"}, []string{"rep@example.com", "x@example.com"}},
		{"an unknown role sees no other's leads", User{ID: "u", Email: "u@example.com", Role: "boss"}, []string{"u@example.com"}, []string{"anyone"}},
	}
	for _, tc := range cases {
		a := NewLeadAccess(tc.who, users, routing)
		for _, o := range tc.allow {
			if !a.Allows(o) {
				t.Errorf("%s: %q is not allowed", tc.name, o)
			}
		}
		for _, o := range tc.deny {
			if a.Allows(o) {
				t.Errorf("%s: %q is allowed", tc.name, o)
			}
		}
	}

	a := NewLeadAccess(rep, users, routing)
	var members []string
	for _, m := range a.Members {
		members = append(members, m.Email)
	}
	if want := []string{"anna@acme.example", "gone@example.com", "rep@example.com"}; !slices.Equal(members, want) {
		t.Errorf("members %q, want %q", members, want)
	}
	if m, ok := a.Member("ANNA"); !ok || m.ID != "usr_anna" {
		t.Errorf("the member behind anna: %+v %v", m, ok)
	}
	if _, ok := a.Member("x@example.com"); ok {
		t.Errorf("another team's rep is a member")
	}
	if got, want := a.OwnerNames("anna@acme.example"), []string{"anna", "anna nowak", "anna@acme.example", "usr_anna"}; !slices.Equal(got, want) {
		t.Errorf("anna's owner names %q, want %q", got, want)
	}
	if got := a.OwnerNames(""); len(got) != 9 || !slices.IsSorted(got) {
		t.Errorf("the team's owner names: %q", got)
	}
	if NewLeadAccess(User{Role: RoleAdmin}, users, routing).OwnerNames("") != nil {
		t.Errorf("an admin's listing is filtered on owners")
	}
}

func TestCheckTeam(t *testing.T) {
	for _, tc := range []struct{ in, want, err string }{
		{"", "", ""},
		{"  SDR EMEA ", "SDR EMEA", ""},
		{strings.Repeat("ł", 64), strings.Repeat("ł", 64), ""},
		{strings.Repeat("t", 65), "", "at most 64"},
		{"a\nb", "", "control characters"},
	} {
		got, err := CheckTeam(tc.in)
		if tc.err != "" {
			if CodeOf(err) != CodeInvalid || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("CheckTeam(%q): %v, want an invalid error with %q", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("CheckTeam(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}
