package service

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/leadscore/leadscore"
	"github.com/leadscore/leadscore/sqlstore"
)

func newUserService(t *testing.T) (*Service, *clock) {
	t.Helper()
	ctx := context.Background()
	st, err := sqlstore.Open(ctx, filepath.Join(t.TempDir(), "ls.db"), sqlstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	c := &clock{t: time.Date(2026, 10, 1, 8, 0, 0, 0, time.UTC)}
	svc := startTestService(t, Config{Store: st, Clock: c.Now, DueInterval: time.Hour})
	return svc, c
}

func TestCreateUserRefusesBadInput(t *testing.T) {
	svc, _ := newUserService(t)
	ctx := context.Background()
	cases := []struct {
		name string
		u    leadscore.NewUser
		want string
	}{
		{"no email", leadscore.NewUser{Role: leadscore.RoleAdmin, Password: "long enough pw"}, "email: is required"},
		{"not an email", leadscore.NewUser{Email: "ana", Role: leadscore.RoleAdmin, Password: "long enough pw"}, "not an email address"},
		{"unknown role", leadscore.NewUser{Email: "a@example.com", Role: "boss", Password: "long enough pw"}, "unknown role"},
		{"short password", leadscore.NewUser{Email: "a@example.com", Role: leadscore.RoleViewer, Password: "short"}, "at least 10"},
		{"long password", leadscore.NewUser{Email: "a@example.com", Role: leadscore.RoleViewer, Password: strings.Repeat("x", 73)}, "at most 72"},
		{"bad locale", leadscore.NewUser{Email: "a@example.com", Role: leadscore.RoleViewer, Password: "long enough pw", Locale: "not a tag!"}, "not a language tag"},
		{"long team", leadscore.NewUser{Email: "a@example.com", Role: leadscore.RoleSales, Password: "long enough pw", Team: strings.Repeat("t", 65)}, "team: must be at most 64"},
		{"control in team", leadscore.NewUser{Email: "a@example.com", Role: leadscore.RoleSales, Password: "long enough pw", Team: "a\tb"}, "team: must not contain control"},
	}
	for _, tc := range cases {
		_, err := svc.CreateUser(ctx, tc.u)
		if leadscore.CodeOf(err) != leadscore.CodeInvalid || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want an invalid error with %q", tc.name, err, tc.want)
		}
	}
	if users, _ := svc.Users(ctx); len(users) != 0 {
		t.Errorf("refused users were stored: %+v", users)
	}
}

func TestSignInAndSessions(t *testing.T) {
	svc, c := newUserService(t)
	ctx := context.Background()
	u, err := svc.CreateUser(ctx, leadscore.NewUser{Email: " Ana@Example.com", Role: leadscore.RoleEditor, Password: "long enough pw"})
	if err != nil {
		t.Fatal(err)
	}
	if u.Email != "ana@example.com" || u.PasswordHash != nil {
		t.Errorf("created %+v: the email is normalised and the hash never returned", u)
	}
	if _, err := svc.CreateUser(ctx, leadscore.NewUser{Email: "ana@example.com", Role: leadscore.RoleViewer, Password: "long enough pw"}); leadscore.CodeOf(err) != leadscore.CodeConflict {
		t.Errorf("a second user with the same email: %v", err)
	}
	for _, tc := range []struct{ email, password string }{{"ana@example.com", "wrong password"}, {"bo@example.com", "long enough pw"}, {"", ""}} {
		if _, err := svc.SignIn(ctx, tc.email, tc.password); leadscore.CodeOf(err) != leadscore.CodeUnauthorized || err.Error() != "wrong email or password" {
			t.Errorf("sign in %q/%q: %v", tc.email, tc.password, err)
		}
	}
	s, err := svc.SignIn(ctx, "ANA@example.com", "long enough pw")
	if err != nil {
		t.Fatal(err)
	}
	if s.ID == s.Token || len(s.Token) != 64 || s.CSRF == "" {
		t.Errorf("session %+v: the stored id is not the token", s.Session)
	}
	who, err := svc.SessionUser(ctx, s.Token, 30*time.Minute)
	if err != nil || who.User.ID != u.ID || who.Session.CSRF != s.CSRF {
		t.Fatalf("session user: %+v %v", who, err)
	}
	if _, err := svc.SessionUser(ctx, s.ID, 30*time.Minute); leadscore.CodeOf(err) != leadscore.CodeUnauthorized {
		t.Errorf("the stored id works as a token: %v", err)
	}

	// Idle expiry counts from the last use, recorded once a minute.
	c.Add(25 * time.Minute)
	if _, err := svc.SessionUser(ctx, s.Token, 30*time.Minute); err != nil {
		t.Fatalf("within the idle time: %v", err)
	}
	c.Add(25 * time.Minute)
	if _, err := svc.SessionUser(ctx, s.Token, 30*time.Minute); err != nil {
		t.Fatalf("used 25 minutes ago: %v", err)
	}
	c.Add(31 * time.Minute)
	if _, err := svc.SessionUser(ctx, s.Token, 30*time.Minute); leadscore.CodeOf(err) != leadscore.CodeUnauthorized {
		t.Errorf("idle for 31 minutes: %v", err)
	}

	// A new password ends sessions; so does disabling, which also stops sign-in.
	s2, _ := svc.SignIn(ctx, "ana@example.com", "long enough pw")
	pw := "another long pw"
	if _, err := svc.UpdateUser(ctx, u.ID, leadscore.UserChange{Password: &pw}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.SessionUser(ctx, s2.Token, time.Hour); leadscore.CodeOf(err) != leadscore.CodeUnauthorized {
		t.Errorf("a session outlived a password change: %v", err)
	}
	s3, err := svc.SignIn(ctx, "ana@example.com", pw)
	if err != nil {
		t.Fatal(err)
	}
	yes := true
	if _, err := svc.UpdateUser(ctx, u.ID, leadscore.UserChange{Disabled: &yes}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.SessionUser(ctx, s3.Token, time.Hour); leadscore.CodeOf(err) != leadscore.CodeUnauthorized {
		t.Errorf("a disabled user's session: %v", err)
	}
	if _, err := svc.SignIn(ctx, "ana@example.com", pw); leadscore.CodeOf(err) != leadscore.CodeUnauthorized {
		t.Errorf("a disabled user signs in: %v", err)
	}
	s4, _ := svc.SignIn(ctx, "nobody", pw)
	if s4 != nil {
		t.Errorf("signed in as nobody")
	}
	if err := svc.SignOut(ctx, "unknown-token"); err != nil {
		t.Errorf("signing out an unknown session: %v", err)
	}
}

// TestTeams: a team is set on creation and changed on its own, without
// ending sessions; lead access follows the team and the routing file's
// owner emails.
func TestTeams(t *testing.T) {
	svc, _ := newUserService(t)
	ctx := context.Background()
	rep, err := svc.CreateUser(ctx, leadscore.NewUser{Email: "rep@example.com", Role: leadscore.RoleSales, Team: "  emea ", Password: "long enough pw"})
	if err != nil || rep.Team != "emea" {
		t.Fatalf("create with a team: %+v, %v", rep, err)
	}
	mate, err := svc.CreateUser(ctx, leadscore.NewUser{Email: "anna@acme.example", Role: leadscore.RoleSales, Password: "long enough pw"})
	if err != nil || mate.Team != "" {
		t.Fatalf("create without a team: %+v, %v", mate, err)
	}
	sess, err := svc.SignIn(ctx, "anna@acme.example", "long enough pw")
	if err != nil {
		t.Fatal(err)
	}
	team := "EMEA"
	if mate, err = svc.UpdateUser(ctx, mate.ID, leadscore.UserChange{Team: &team}); err != nil || mate.Team != "EMEA" {
		t.Fatalf("join a team: %+v, %v", mate, err)
	}
	if _, err := svc.SessionUser(ctx, sess.Token, time.Hour); err != nil {
		t.Errorf("a new team ended the session: %v", err)
	}
	acc, err := svc.LeadAccess(ctx, *rep)
	if err != nil {
		t.Fatal(err)
	}
	if acc.All || len(acc.Members) != 2 || !acc.Allows("Anna@acme.example") || acc.Allows("anna") {
		t.Errorf("emea before routing: %+v", acc)
	}
	src := "owners:\n  anna: {email: anna@acme.example}\n  ben: {email: ben@acme.example}\nrules:\n  - {name: all, assign: {owner: anna}}\n"
	if up, err := svc.UploadRouting(ctx, "routing.yaml", []byte(src), "test"); err != nil {
		t.Fatalf("routing: %v %+v", err, up)
	}
	if acc, err = svc.LeadAccess(ctx, *rep); err != nil || !acc.Allows("anna") || acc.Allows("ben") {
		t.Errorf("emea with routing: anna %v, ben %v (%v)", acc.Allows("anna"), acc.Allows("ben"), err)
	}
	viewer := leadscore.User{ID: "v", Email: "v@example.com", Role: leadscore.RoleViewer}
	if acc, err = svc.LeadAccess(ctx, viewer); err != nil || !acc.All {
		t.Errorf("a viewer sees every lead: %+v, %v", acc, err)
	}
	long := strings.Repeat("t", 65)
	if _, err := svc.UpdateUser(ctx, mate.ID, leadscore.UserChange{Team: &long}); leadscore.CodeOf(err) != leadscore.CodeInvalid {
		t.Errorf("a long team: %v", err)
	}
}
