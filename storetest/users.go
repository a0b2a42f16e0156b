package storetest

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/leadscore/leadscore"
)

func usersTests() []struct {
	name string
	fn   func(t *testing.T, s leadscore.Store)
} {
	return []struct {
		name string
		fn   func(t *testing.T, s leadscore.Store)
	}{
		{"Users", testUsers},
		{"Sessions", testSessions},
		{"ListLeadsByOwners", testListLeadsByOwners},
	}
}

func testUsers(t *testing.T, s leadscore.Store) {
	ctx := t.Context()
	ws := s.Workspace(leadscore.DefaultWorkspace)
	ana := leadscore.User{ID: "u1", Email: "ana@example.com", Name: "Ana", Role: leadscore.RoleEditor, Locale: "pl",
		PasswordHash: []byte("$2a$10$hash-1"), CreatedAt: at(0)}
	bo := leadscore.User{ID: "u2", Email: "bo@example.com", Role: leadscore.RoleSales, Team: "SDR EMEA", PasswordHash: []byte("hash-2"), CreatedAt: at(hour)}
	write(t, ws, func(ctx context.Context, tx leadscore.Tx) error {
		if err := tx.PutUser(ctx, &bo); err != nil {
			return err
		}
		return tx.PutUser(ctx, &ana)
	})
	same(t, "by id", *must[*leadscore.User](t, "User")(ws.User(ctx, "u1")), ana)
	same(t, "by email", *must[*leadscore.User](t, "UserByEmail")(ws.UserByEmail(ctx, "bo@example.com")), bo)
	same(t, "all, by email", must[[]leadscore.User](t, "Users")(ws.Users(ctx)), []leadscore.User{ana, bo})
	_, err := ws.User(ctx, "u9")
	wantCode(t, "unknown id", err, leadscore.CodeNotFound)
	_, err = ws.UserByEmail(ctx, "nobody@example.com")
	wantCode(t, "unknown email", err, leadscore.CodeNotFound)

	// An email belongs to one user; the refusal leaves the transaction usable.
	err = ws.Write(ctx, func(tx leadscore.Tx) error {
		taken := tx.PutUser(ctx, &leadscore.User{ID: "u3", Email: "ana@example.com", Role: leadscore.RoleViewer, PasswordHash: []byte("x")})
		wantCode(t, "a taken email", taken, leadscore.CodeConflict)
		return tx.PutUser(ctx, &leadscore.User{ID: "u3", Email: "cy@example.com", Role: leadscore.RoleViewer, PasswordHash: []byte("x"), CreatedAt: at(2 * hour)})
	})
	if err != nil {
		t.Fatalf("write after a refusal: %v", err)
	}

	// Replacing a user keeps its creation time and changes the rest.
	changed := ana
	changed.Role, changed.Locale, changed.DisabledAt, changed.CreatedAt = leadscore.RoleViewer, "", ptr(at(day)), at(5*day)
	changed.Team = "enterprise"
	write(t, ws, func(ctx context.Context, tx leadscore.Tx) error { return tx.PutUser(ctx, &changed) })
	want := changed
	want.CreatedAt = at(0)
	same(t, "replaced", *must[*leadscore.User](t, "User")(ws.User(ctx, "u1")), want)
	// Leaving a team is a team of "".
	bo.Team = ""
	write(t, ws, func(ctx context.Context, tx leadscore.Tx) error { return tx.PutUser(ctx, &bo) })
	same(t, "no team", must[*leadscore.User](t, "User")(ws.User(ctx, "u2")).Team, "")

	for _, bad := range []leadscore.User{
		{Email: "x@example.com", Role: leadscore.RoleViewer, PasswordHash: []byte("x")},
		{ID: "u4", Role: leadscore.RoleViewer, PasswordHash: []byte("x")},
		{ID: "u4", Email: "x@example.com", PasswordHash: []byte("x")},
		{ID: "u4", Email: "x@example.com", Role: leadscore.RoleViewer},
	} {
		err := ws.Write(ctx, func(tx leadscore.Tx) error { return tx.PutUser(ctx, &bad) })
		wantCode(t, "a user missing a required field", err, leadscore.CodeInvalid)
	}
	// Users are per workspace.
	other := s.Workspace("other")
	_, err = other.UserByEmail(ctx, "bo@example.com")
	wantCode(t, "another workspace's user", err, leadscore.CodeNotFound)
}

func testSessions(t *testing.T, s leadscore.Store) {
	ctx := t.Context()
	ws := s.Workspace(leadscore.DefaultWorkspace)
	s1 := leadscore.Session{ID: "s1", UserID: "u1", CSRF: "c1", CreatedAt: at(0), LastSeenAt: at(0)}
	s2 := leadscore.Session{ID: "s2", UserID: "u1", CSRF: "c2", CreatedAt: at(hour), LastSeenAt: at(hour)}
	s3 := leadscore.Session{ID: "s3", UserID: "u2", CSRF: "c3", CreatedAt: at(0), LastSeenAt: at(0)}
	write(t, ws, func(ctx context.Context, tx leadscore.Tx) error {
		for _, x := range []*leadscore.Session{&s1, &s2, &s3} {
			if err := tx.PutSession(ctx, x); err != nil {
				return err
			}
		}
		return nil
	})
	same(t, "session", *must[*leadscore.Session](t, "Session")(ws.Session(ctx, "s2")), s2)
	_, err := s.Workspace("other").Session(ctx, "s2")
	wantCode(t, "another workspace's session", err, leadscore.CodeNotFound)

	write(t, ws, func(ctx context.Context, tx leadscore.Tx) error { return tx.TouchSession(ctx, "s1", at(3*hour)) })
	write(t, ws, func(ctx context.Context, tx leadscore.Tx) error { return tx.TouchSession(ctx, "s1", at(2*hour)) })
	same(t, "touched; never moved back", must[*leadscore.Session](t, "Session")(ws.Session(ctx, "s1")).LastSeenAt, at(3*hour))
	err = ws.Write(ctx, func(tx leadscore.Tx) error { return tx.TouchSession(ctx, "nope", at(0)) })
	wantCode(t, "touch an unknown session", err, leadscore.CodeNotFound)

	write(t, ws, func(ctx context.Context, tx leadscore.Tx) error { return tx.DeleteSession(ctx, "s2") })
	write(t, ws, func(ctx context.Context, tx leadscore.Tx) error { return tx.DeleteSession(ctx, "s2") })
	_, err = ws.Session(ctx, "s2")
	wantCode(t, "deleted session", err, leadscore.CodeNotFound)

	// Ending a user's sessions and the idle ones: s3 (u2) was last seen at
	// 0, before the cut at 1h; s1 (u1) at 3h survives since u9 is not u1.
	var n int64
	write(t, ws, func(ctx context.Context, tx leadscore.Tx) error {
		var err error
		n, err = tx.DeleteSessions(ctx, "u9", at(hour))
		return err
	})
	same(t, "sessions ended", n, int64(1))
	_, err = ws.Session(ctx, "s3")
	wantCode(t, "idle session", err, leadscore.CodeNotFound)
	write(t, ws, func(ctx context.Context, tx leadscore.Tx) error {
		var err error
		n, err = tx.DeleteSessions(ctx, "u1", leadscore.Session{}.CreatedAt)
		return err
	})
	same(t, "the user's sessions ended", n, int64(1))
	_, err = ws.Session(ctx, "s1")
	wantCode(t, "the user's session", err, leadscore.CodeNotFound)
}

// testListLeadsByOwners lists a team's leads: any of several owners,
// ignoring case and surrounding space, whether the owner came from
// automation or from the lead's "owner" field, and never a lead whose
// assigned owner replaced a team member's field.
func testListLeadsByOwners(t *testing.T, s leadscore.Store) {
	ws := s.Workspace(leadscore.DefaultWorkspace)
	autoReader(t, ws)
	write(t, ws, func(ctx context.Context, tx leadscore.Tx) error {
		for _, l := range []*leadscore.Lead{
			{ID: "anna-routed"},
			{ID: "anna-crm", Fields: map[string]any{"owner": " Anna@Example.com "}},
			{ID: "ben-crm", Fields: map[string]any{"owner": "ben"}},
			{ID: "taken-from-anna", Fields: map[string]any{"owner": "anna"}},
			{ID: "cy-routed"},
			{ID: "nobody"},
		} {
			if err := tx.UpsertLead(ctx, l); err != nil {
				return err
			}
		}
		return nil
	})
	autoWrite(t, ws, func(ctx context.Context, tx leadscore.AutomationTx) error {
		return tx.PutLeadAutomations(ctx, []*leadscore.LeadAutomation{
			state("anna-routed", "", "marketingqualifiedlead", "ANNA", true, time.Time{}),
			state("taken-from-anna", "", "marketingqualifiedlead", "cy", true, time.Time{}),
			state("cy-routed", "", "marketingqualifiedlead", "cy", true, time.Time{}),
		})
	})
	for _, tc := range []struct {
		owners []string
		want   []string
	}{
		{[]string{"anna", "anna@example.com", "ben"}, []string{"anna-crm", "anna-routed", "ben-crm"}},
		{[]string{"Cy"}, []string{"cy-routed", "taken-from-anna"}},
		{[]string{"dee"}, nil},
	} {
		rows, _, err := ws.ListLeads(t.Context(), leadscore.LeadFilter{Owners: tc.owners, Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, r := range rows {
			got = append(got, r.Lead.ID)
		}
		slices.Sort(got)
		same(t, fmt.Sprintf("leads of %q", tc.owners), got, tc.want)
	}
}
