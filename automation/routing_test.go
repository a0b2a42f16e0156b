package automation

import (
	"fmt"
	"maps"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/leadscore/leadscore"
)

// router compiles a routing file given as text, failing the test on any
// error.
func router(t testing.TB, src string) *Router {
	t.Helper()
	res := ParseRouting("routing.yaml", []byte(src))
	for _, d := range res.Diagnostics {
		t.Log(d.String())
	}
	r, err := res.Compile(RouterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

const teamFile = `
owners: {a: {capacity: 2}, b: {capacity: 5}, c: {capacity: 5}, q: {}}
teams: {sdr: [a, b, c]}
rules:
  - {name: sdr, assign: {team: sdr}}
`

// routeMany routes n qualified leads in a row, adding each assignment to
// the owner's load, and returns the owners in order.
func routeMany(r *Router, in Input, n int) []string {
	in.Load = cloneLoad(in.Load)
	var owners []string
	for range n {
		d := r.Route(in)
		owners = append(owners, d.Owner)
		if d.Assigned {
			in.RoundRobin = d.RoundRobin
			in.Load[d.Owner]++
		}
	}
	return owners
}

func TestRoundRobinFairness(t *testing.T) {
	r := router(t, `
owners: {a: {}, b: {}, c: {}}
teams: {sdr: [a, b, c]}
rules: [{name: sdr, assign: {team: sdr}}]
`)
	owners := routeMany(r, Input{Qualified: true, Now: t0}, 3000)
	count := map[string]int{}
	for i, o := range owners {
		if want := []string{"a", "b", "c"}[i%3]; o != want {
			t.Fatalf("lead %d went to %s, want %s (turns must rotate)", i, o, want)
		}
		count[o]++
	}
	if count["a"] != 1000 || count["b"] != 1000 || count["c"] != 1000 {
		t.Errorf("counts %v, want 1000 each", count)
	}
}

func TestRoundRobinCapacity(t *testing.T) {
	tests := []struct {
		name   string
		file   string
		load   map[string]int
		rr     map[string]string
		n      int
		want   string
		assign bool
	}{
		{"a full owner is skipped and the others keep turns", teamFile, nil, nil, 8, "a b c a b c b c", true},
		{"the cursor continues after the last owner", teamFile, nil, map[string]string{"sdr": "b"}, 3, "c a b", true},
		{"a cursor naming a removed owner starts over", teamFile, nil, map[string]string{"sdr": "zed"}, 2, "a b", true},
		{"an owner full from the start never gets one", teamFile, map[string]int{"a": 2}, nil, 4, "b c b c", true},
		{"when everyone is full the lead is not assigned", teamFile, map[string]int{"a": 2, "b": 5, "c": 5}, nil, 1, "", false},
		{"overflow takes what the team cannot", strings.Replace(teamFile, "assign: {team: sdr}}", "assign: {team: sdr}, overflow: q}", 1), map[string]int{"a": 2, "b": 4, "c": 5}, nil, 3, "b q q", true},
		{"the next rule takes what the team cannot", teamFile + "  - {name: queue, assign: {owner: q}}\n", map[string]int{"a": 2, "b": 5, "c": 4}, nil, 3, "c q q", true},
		{"the fallback takes what no rule can", teamFile + "fallback: {owner: q}\n", map[string]int{"a": 2, "b": 5, "c": 5}, nil, 2, "q q", true},
		{"a paused owner (capacity 0) is skipped", strings.Replace(teamFile, "a: {capacity: 2}", "a: {capacity: 0}", 1), nil, nil, 3, "b c b", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := router(t, tt.file)
			in := Input{Qualified: true, Now: t0, Load: tt.load, RoundRobin: tt.rr}
			before := maps.Clone(tt.load)
			got := strings.Join(routeMany(r, in, tt.n), " ")
			if got != tt.want {
				t.Errorf("owners %q, want %q", got, tt.want)
			}
			if !maps.Equal(before, tt.load) {
				t.Errorf("the input load changed: %v", tt.load)
			}
			if d := r.Route(Input{Qualified: true, Now: t0, Load: tt.load, RoundRobin: tt.rr}); d.Assigned != tt.assign {
				t.Errorf("assigned %t, want %t", d.Assigned, tt.assign)
			}
		})
	}
}

const territoryFile = `
owners: {de: {}, fr: {}, us: {}, ca: {}, intl: {}, next: {}, full: {capacity: 1}}
territories:
  world:
    areas:
      dach: {countries: [DE, AT, ch], owner: de}
      france: {countries: [FR], owner: full}
      california: {regions: [US-CA], owner: ca}
      us: {countries: [US], owner: us}
    fallback: {owner: intl}
  strict:
    areas:
      dach: {countries: [DE], owner: de}
rules:
  - {name: strict, when: 'lead.source == "strict"', assign: {territory: strict}}
  - {name: world, assign: {territory: world}}
  - {name: next, assign: {owner: next}}
`

func TestTerritory(t *testing.T) {
	r := router(t, territoryFile)
	tests := []struct {
		name       string
		lead       leadscore.Lead
		account    *leadscore.Account
		load       map[string]int
		owner      string
		area, rule string
	}{
		{"a country", leadscore.Lead{Country: "AT"}, nil, nil, "de", "dach", "world"},
		{"countries compare without case or spaces", leadscore.Lead{Country: " ch "}, nil, nil, "de", "dach", "world"},
		{"a region wins over its country", leadscore.Lead{Country: "US", State: "CA"}, nil, nil, "ca", "california", "world"},
		{"another state of the country", leadscore.Lead{Country: "US", State: "TX"}, nil, nil, "us", "us", "world"},
		{"the account's country when the lead has none", leadscore.Lead{}, &leadscore.Account{Country: "DE"}, nil, "de", "dach", "world"},
		{"the lead's country before the account's", leadscore.Lead{Country: "US"}, &leadscore.Account{Country: "DE"}, nil, "us", "us", "world"},
		{"an unlisted country goes to the fallback", leadscore.Lead{Country: "JP"}, nil, nil, "intl", "", "world"},
		{"no country at all goes to the fallback", leadscore.Lead{}, nil, nil, "intl", "", "world"},
		{"an area whose owner is full falls through to the next rule", leadscore.Lead{Country: "FR"}, nil, map[string]int{"full": 1}, "next", "", "next"},
		{"a territory without fallback falls through", leadscore.Lead{Country: "JP", Source: "strict"}, nil, nil, "intl", "", "world"},
		{"a territory without fallback that matches", leadscore.Lead{Country: "DE", Source: "strict"}, nil, nil, "de", "dach", "strict"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lead := tt.lead
			d := r.Route(Input{Lead: &lead, Account: tt.account, Qualified: true, Load: tt.load, Now: t0})
			if d.Owner != tt.owner || d.Area != tt.area || d.Rule != tt.rule {
				t.Errorf("owner %q area %q rule %q, want %q %q %q\n%s", d.Owner, d.Area, d.Rule, tt.owner, tt.area, tt.rule, strings.Join(d.Trace, "\n"))
			}
		})
	}
}

const priorityFile = `
owners: {ae: {}, sdr: {}, am: {}}
rules:
  - {name: vip, priority: true, assign: {account_owner: true}}
  - {name: vip-new, priority: true, when: 'account.industry == "Banking"', assign: {owner: ae}}
  - {name: everyone, assign: {owner: sdr}}
`

func TestPriorityRouting(t *testing.T) {
	r := router(t, priorityFile)
	if !r.HasPriorityRules() {
		t.Fatal("HasPriorityRules = false")
	}
	prio := &leadscore.Account{ID: "a", Priority: true, Industry: "Banking"}
	tests := []struct {
		name      string
		in        Input
		owner     string
		rule      string
		qualified bool
	}{
		{"a priority account's lead is routed before it qualifies", Input{Account: prio, AccountOwner: "am"}, "am", "vip", false},
		{"without an account owner the next priority rule", Input{Account: prio}, "ae", "vip-new", false},
		{"a priority account that no priority rule matches waits", Input{Account: &leadscore.Account{Priority: true, Industry: "Retail"}}, "", "", false},
		{"an ordinary lead waits until it qualifies", Input{Account: &leadscore.Account{Industry: "Banking"}}, "", "", false},
		{"once qualified, an ordinary lead takes the ordinary rules", Input{Qualified: true, Account: &leadscore.Account{Industry: "Banking"}}, "sdr", "everyone", true},
		{"a qualified priority lead still takes the priority rule first", Input{Qualified: true, Account: prio, AccountOwner: "am"}, "am", "vip", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.in.Now = t0
			d := r.Route(tt.in)
			if d.Owner != tt.owner || d.Rule != tt.rule || d.Assigned != (tt.owner != "") {
				t.Errorf("got %q by %q (assigned %t), want %q by %q\n%s", d.Owner, d.Rule, d.Assigned, tt.owner, tt.rule, strings.Join(d.Trace, "\n"))
			}
		})
	}
}

func TestRouteConditions(t *testing.T) {
	r := router(t, `
fields: {lead.segment: string}
owners: {hot: {}, free: {}, seg: {}, model: {}, rest: {}}
rules:
  - {name: broken, when: 'lead.age > 30', assign: {owner: rest}}
  - {name: model, when: 'model == "intent" && score >= 90 && qualified', assign: {owner: model}}
  - {name: free-mail, when: lead.email_free, assign: {owner: free}}
  - {name: segment, when: 'lead.segment == "smb"', assign: {owner: seg}}
  - {name: hot, when: 'band == "hot" && account.scores["fit"] > 50 && now.Hour() == 9', assign: {owner: hot}}
  - {name: rest, assign: {owner: rest}}
`)
	tests := []struct {
		name  string
		in    Input
		owner string
		note  string
	}{
		{"a missing field is a non-match with a note", Input{Lead: &leadscore.Lead{Fields: map[string]any{"age": "old"}}}, "rest", "rule broken: the condition could not be evaluated"},
		{"score, model and qualified", Input{Model: "intent", Score: 95}, "model", ""},
		{"email facts", Input{Lead: &leadscore.Lead{Email: "jo@gmail.com"}}, "free", ""},
		{"custom fields", Input{Lead: &leadscore.Lead{Email: "jo@acme.com", Fields: map[string]any{"segment": "smb"}}}, "seg", ""},
		{"band, account scores and now", Input{Band: "hot", AccountScores: map[string]float64{"fit": 60}}, "hot", ""},
		{"a missing account score is a non-match", Input{Band: "hot"}, "rest", "rule hot: the condition could not be evaluated"},
		{"a cold lead", Input{Band: "cold", AccountScores: map[string]float64{"fit": 60}}, "rest", "rule hot: the condition does not hold"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.in.Qualified, tt.in.Now = true, t0 // t0 is 09:00
			d := r.Route(tt.in)
			if d.Owner != tt.owner {
				t.Errorf("owner %q, want %q\n%s", d.Owner, tt.owner, strings.Join(d.Trace, "\n"))
			}
			if tt.note != "" && !strings.Contains(strings.Join(d.Trace, "\n"), tt.note) {
				t.Errorf("trace lacks %q:\n%s", tt.note, strings.Join(d.Trace, "\n"))
			}
		})
	}
}

func TestRouteIsDeterministic(t *testing.T) {
	r := router(t, teamFile)
	in := Input{Qualified: true, Now: t0, Load: map[string]int{"a": 1}, RoundRobin: map[string]string{"sdr": "a"}}
	first := r.Route(in)
	for i := 0; i < 50; i++ {
		if d := r.Route(in); !reflect.DeepEqual(d, first) {
			t.Fatalf("run %d differs: %+v vs %+v", i, d, first)
		}
	}
	if in.RoundRobin["sdr"] != "a" || in.Load["a"] != 1 {
		t.Errorf("the input changed: %v %v", in.RoundRobin, in.Load)
	}
	if first.RoundRobin["sdr"] != "b" {
		t.Errorf("returned cursor %v", first.RoundRobin)
	}
}

func TestRouteSLA(t *testing.T) {
	r := router(t, `
calendars:
  berlin: {timezone: Europe/Berlin}
  ny: {timezone: America/New_York}
owners: {eu: {calendar: berlin}, us: {calendar: ny}, clock: {}}
sla: {within: 4h}
rules:
  - {name: own-calendar, when: 'lead.country == "DE"', assign: {owner: eu}}
  - {name: rule-calendar, when: 'lead.country == "US"', assign: {owner: eu}, sla: {within: 1h, calendar: ny, reassign: {owner: us}}}
  - {name: clock, when: 'lead.country == "JP"', assign: {owner: clock}}
  - {name: none, assign: {owner: clock}, sla: {within: 30m}}
`)
	friday := mustTime(t, "2026-11-06T16:00:00+01:00")
	tests := []struct {
		country  string
		due      string
		calendar string
		reassign string
	}{
		{"DE", "2026-11-09T12:00:00+01:00", "berlin", ""},
		{"US", "2026-11-06T11:00:00-05:00", "ny", "owner us"},
		{"JP", "2026-11-06T20:00:00+01:00", "", ""},
		{"FR", "2026-11-06T16:30:00+01:00", "", ""},
	}
	for _, tt := range tests {
		d := r.Route(Input{Lead: &leadscore.Lead{Country: tt.country}, Qualified: true, Now: friday})
		if d.SLA == nil {
			t.Fatalf("%s: no SLA", tt.country)
		}
		if want := mustTime(t, tt.due); !d.SLA.Due.Equal(want) || d.SLA.Calendar != tt.calendar || !d.SLA.Start.Equal(friday) {
			t.Errorf("%s: due %s on %q, want %s on %q", tt.country, d.SLA.Due, d.SLA.Calendar, tt.due, tt.calendar)
		}
		got := ""
		if d.SLA.OnBreach != nil {
			got = d.SLA.OnBreach.String()
		}
		if got != tt.reassign {
			t.Errorf("%s: reassign %q, want %q", tt.country, got, tt.reassign)
		}
	}
}

func TestNewRouterProblems(t *testing.T) {
	cap1 := -1
	spec := &RoutingSpec{
		Calendars: []CalendarSpec{{Name: "x", Timezone: "Mars/Base"}},
		Owners:    []OwnerSpec{{Name: "a", Capacity: &cap1, Calendar: "nope"}, {Name: "a"}},
		Teams:     []TeamSpec{{Name: "t", Members: []string{"a", "ghost", "a"}}, {Name: "empty"}},
		Territories: []TerritorySpec{{Name: "w", Areas: []AreaSpec{
			{Name: "x", Countries: []string{"DE"}, Regions: []string{"CA"}},
			{Name: "y", Countries: []string{"de"}, Target: Target{Owner: "a"}},
		}}},
		SLA: &SLASpec{Calendar: "nope"},
		Rules: []RouteRule{
			{Name: "r", When: "lead.x ==", Assign: AssignSpec{Team: "t", Owner: "a"}},
			{Name: "r", Assign: AssignSpec{Territory: "none"}, Overflow: "ghost"},
		},
		Fallback: &Target{Team: "zzz"},
	}
	_, err := NewRouter(spec, RouterOptions{})
	var got []string
	for _, p := range asProblems(err) {
		got = append(got, p.Error())
	}
	want := []string{
		`calendars[0].timezone: unknown timezone "Mars/Base" (use an IANA name such as Europe/Berlin, America/New_York or UTC)`,
		`owners[0].capacity: cannot be negative`,
		`owners[0].calendar: no calendar named "nope"`,
		`owners[1].name: owner names must be unique and not blank ("a")`,
		`teams[0].members[1]: no owner named "ghost"`,
		`teams[0].members[2]: "a" is listed twice`,
		`teams[1].members: a team needs at least one member`,
		`territories[0].areas[0]: give exactly one of owner or team`,
		`territories[0].areas[0].regions[0]: a region is written country-state, such as US-CA (got "CA")`,
		`territories[0].areas[1].countries[0]: de is already in area "x"`,
		`sla.within: needs a duration such as 4h`,
		`sla.calendar: no calendar named "nope"`,
		`fallback.team: no team named "zzz"`,
		`rules[0].when: unexpected token EOF`,
		`rules[0].assign: give exactly one of owner, team, territory or account_owner`,
		`rules[1].name: rule names must be unique and not blank ("r")`,
		`rules[1].assign.territory: no territory named "none"`,
		`rules[1].overflow: no owner named "ghost"`,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestReassign(t *testing.T) {
	r := router(t, teamFile)
	breached := &SLATimer{Owner: "b", Rule: "sdr", Within: leadscore.Duration(time.Hour), Due: t0}
	tests := []struct {
		target Target
		load   map[string]int
		rr     map[string]string
		want   string
	}{
		{Target{Team: "sdr"}, nil, map[string]string{"sdr": "a"}, "c"}, // b's turn, but b missed the deadline
		{Target{Team: "sdr"}, map[string]int{"a": 2, "c": 5}, nil, ""},
		{Target{Owner: "q"}, nil, nil, "q"},
		{Target{Owner: "b"}, nil, nil, ""},
		{Target{Team: "gone"}, nil, nil, ""},
	}
	for _, tt := range tests {
		d := r.Reassign(tt.target, breached, Input{Now: t0, Load: tt.load, RoundRobin: tt.rr})
		if d.Owner != tt.want || d.Assigned != (tt.want != "") {
			t.Errorf("%s: got %q, want %q\n%s", tt.target, d.Owner, tt.want, strings.Join(d.Trace, "\n"))
		}
		if d.Assigned && (d.Via != ViaEscalation || d.SLA == nil || !d.SLA.Escalated || !d.SLA.Due.Equal(t0.Add(time.Hour))) {
			t.Errorf("%s: decision %+v sla %+v", tt.target, d, d.SLA)
		}
	}
}

func ExampleRouter_Route() {
	res := ParseRouting("routing.yaml", []byte(`
owners: {ana: {capacity: 1}, ben: {}}
teams: {sdr: [ana, ben]}
rules: [{name: inbound, assign: {team: sdr}}]
`))
	r, _ := res.Compile(RouterOptions{})
	in := Input{Qualified: true, Now: time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC), Load: map[string]int{"ana": 1}}
	d := r.Route(in)
	fmt.Println(d.Owner, d.Rule, d.Via)
	fmt.Println(strings.Join(d.Trace, "\n"))
	// Output:
	// ben inbound round_robin
	// rule inbound: ana is at capacity (1 of 1 open MQLs)
	// rule inbound: assigned to ben of team sdr (round_robin)
}
