package webui

import (
	"context"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/leadscore/leadscore"
)

// teamFixture adds sales reps in two teams to the fixture, and a lead for
// each: rep@example.com (team emea) owns L1 already; anna@acme.example
// (team EMEA: team names ignore case) owns T1 by email and T2 by her
// routing-file name "anna"; stranger@example.com (team apac) owns T3.
func teamFixture(t *testing.T) (*fixture, map[string]*browser) {
	t.Helper()
	f := newFixture(t)
	ctx := context.Background()
	src, err := os.ReadFile(filepath.Join("..", "examples", "routing.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.UploadRouting(ctx, "routing.yaml", src, "test"); err != nil {
		t.Fatal(err)
	}
	f.user(leadscore.RoleSales)
	rep := f.users[leadscore.RoleSales]
	team := "emea"
	if _, err := f.svc.UpdateUser(ctx, rep.ID, leadscore.UserChange{Team: &team}); err != nil {
		t.Fatal(err)
	}
	for _, nu := range []leadscore.NewUser{
		{Email: "anna@acme.example", Name: "Anna Nowak", Role: leadscore.RoleSales, Team: " EMEA ", Password: password},
		{Email: "stranger@example.com", Role: leadscore.RoleSales, Team: "apac", Password: password},
	} {
		if _, err := f.svc.CreateUser(ctx, nu); err != nil {
			t.Fatal(err)
		}
	}
	leads := []leadscore.Lead{
		{ID: "T1", Email: "tom@globex.com", FirstName: "Tom", LastName: "Anderson", Title: "Engineer", Fields: map[string]any{"owner": "Anna@Acme.example"}},
		{ID: "T2", Email: "tia@initech.com", FirstName: "Tia", LastName: "Dalma", Title: "Engineer", Fields: map[string]any{"owner": "anna"}},
		{ID: "T3", Email: "ted@umbrella.com", FirstName: "Ted", LastName: "Mosby", Title: "Engineer", Fields: map[string]any{"owner": "stranger@example.com"}},
	}
	if err := f.svc.UpsertLeads(ctx, leads); err != nil {
		t.Fatal(err)
	}
	f.svc.Settle()
	browsers := map[string]*browser{}
	for _, email := range []string{"rep@example.com", "anna@acme.example", "stranger@example.com"} {
		b := f.browser()
		p := b.post("/signin", url.Values{"email": {email}, "password": {password}, "next": {"/leads"}})
		wantStatus(t, "sign in as "+email, p, http.StatusSeeOther)
		b.get("/leads")
		browsers[email] = b
	}
	return f, browsers
}

func TestTeamLeadAccess(t *testing.T) {
	_, bs := teamFixture(t)
	cases := []struct {
		who, lead string
		status    int
	}{
		{"rep@example.com", "L1", 200},   // their own
		{"rep@example.com", "T1", 200},   // a team mate's, by email
		{"rep@example.com", "T2", 200},   // a team mate's, by her routing name
		{"rep@example.com", "T3", 403},   // another team's
		{"rep@example.com", "L2", 403},   // nobody in the team's
		{"anna@acme.example", "L1", 200}, // the team works both ways
		{"anna@acme.example", "T3", 403},
		{"stranger@example.com", "T3", 200},
		{"stranger@example.com", "T1", 403},
		{"stranger@example.com", "L1", 403},
	}
	for _, tc := range cases {
		if p := bs[tc.who].get("/leads/" + tc.lead); p.status != tc.status {
			t.Errorf("%s GET /leads/%s: %d, want %d", tc.who, tc.lead, p.status, tc.status)
		}
	}
	// Acting follows the same rule as reading.
	p := bs["rep@example.com"].post("/leads/T1/action", url.Values{"action": {"set_stage"}, "stage": {"salesqualifiedlead"}})
	wantStatus(t, "a rep sets the stage of a team mate's lead", p, http.StatusSeeOther)
	p = bs["rep@example.com"].post("/leads/T3/action", url.Values{"action": {"set_stage"}, "stage": {"salesqualifiedlead"}})
	wantStatus(t, "a rep sets the stage of another team's lead", p, http.StatusForbidden)
	wantBody(t, "another team's lead", p, "This lead belongs to someone else.")
}

func TestTeamLeadsList(t *testing.T) {
	_, bs := teamFixture(t)
	rep := bs["rep@example.com"]
	has := func(what string, p page, in, out []string) {
		t.Helper()
		wantStatus(t, what, p, 200)
		for _, id := range in {
			if !strings.Contains(p.body, `href="/leads/`+id+`"`) {
				t.Errorf("%s: %s is not listed", what, id)
			}
		}
		for _, id := range out {
			if strings.Contains(p.body, `href="/leads/`+id+`"`) {
				t.Errorf("%s: %s is listed", what, id)
			}
		}
	}
	p := rep.get("/leads")
	has("the team's leads", p, []string{"L1", "T1", "T2"}, []string{"L2", "L3", "T3"})
	wantBody(t, "the team's leads", p, "You see the leads of your team, emea.", `<select id="f-owner" name="owner">`,
		`<option value="anna@acme.example">Anna Nowak</option>`, `<option value="rep@example.com">rep@example.com</option>`)
	has("a team mate's leads", rep.get("/leads?owner=anna@acme.example"), []string{"T1", "T2"}, []string{"L1", "T3"})
	has("by the routing name", rep.get("/leads?owner=anna"), []string{"T1", "T2"}, []string{"L1", "T3"})
	has("one's own", rep.get("/leads?owner=rep@example.com"), []string{"L1"}, []string{"T1", "T2", "T3"})
	has("another team's owner", rep.get("/leads?owner=stranger@example.com"), nil, []string{"L1", "T1", "T2", "T3"})
	has("the other team", bs["stranger@example.com"].get("/leads"), []string{"T3"}, []string{"L1", "T1", "T2"})

	csv := rep.get("/leads.csv")
	lines := strings.Split(strings.TrimSpace(csv.body), "\n")
	if len(lines) != 4 || strings.Contains(csv.body, "ted@umbrella.com") {
		t.Errorf("the CSV export holds the team's leads: %q", lines)
	}
}

func TestTeamSettings(t *testing.T) {
	f, bs := teamFixture(t)
	admin := f.signIn(leadscore.RoleAdmin)
	p := admin.get("/settings")
	wantBody(t, "settings", p, `name="team" value="emea"`, `name="team" value="EMEA"`, `name="team" value="apac"`,
		`<datalist id="teams"><option value="EMEA"><option value="apac"></datalist>`)

	// Team names compare ignoring case: the list offers each team once.
	// Moving the stranger into emea opens the team's leads to them at
	// once, without signing in again.
	stranger, err := f.svc.Users(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	id := ""
	for _, u := range stranger {
		if u.Email == "stranger@example.com" {
			id = u.ID
		}
	}
	wantStatus(t, "move to emea", admin.post("/settings/users/"+id, url.Values{"team": {"emea"}}), http.StatusSeeOther)
	wantStatus(t, "a new team mate's lead", bs["stranger@example.com"].get("/leads/T1"), 200)
	wantStatus(t, "the old team's lead", bs["stranger@example.com"].get("/leads/T3"), 200) // still their own
	u, err := f.svc.LeadAccess(context.Background(), leadscore.User{ID: id, Email: "stranger@example.com", Role: leadscore.RoleSales, Team: "emea"})
	if err != nil || len(u.Members) != 3 {
		t.Errorf("emea after the move: %+v, %v", u, err)
	}
	// A role form leaves the team alone; a team too long is refused.
	wantStatus(t, "role only", admin.post("/settings/users/"+id, url.Values{"role": {"sales"}}), http.StatusSeeOther)
	wantBody(t, "team kept", admin.get("/settings"), `id="team-`+id+`" name="team" value="emea"`)
	p = admin.post("/settings/users/"+id, url.Values{"team": {strings.Repeat("x", 65)}})
	wantStatus(t, "long team", p, http.StatusBadRequest)
	wantBody(t, "long team", p, "team: must be at most 64 characters")

	// A new user with a team.
	p = admin.post("/settings/users", url.Values{"email": {"new@example.com"}, "role": {"sales"}, "team": {"apac"}, "password": {password}})
	wantStatus(t, "add a user with a team", p, 200)
	users, err := f.svc.Users(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range users {
		if u.Email == "new@example.com" && u.Team != "apac" {
			t.Errorf("the new user's team: %q", u.Team)
		}
	}
}
