package automation

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/leadscore/leadscore"
	"github.com/leadscore/leadscore/modelfile"
)

func diagnosticsText(ds []modelfile.Diagnostic) string {
	var b strings.Builder
	for _, d := range ds {
		b.WriteString(d.String())
		b.WriteByte('\n')
	}
	return b.String()
}

// TestRoutingDiagnosticsGolden checks every diagnostic of each file in
// testdata/diag, with its position and wording.
func TestRoutingDiagnosticsGolden(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "diag", "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no files in testdata/diag: %v", err)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			var text string
			if strings.HasSuffix(f, ".tests.yaml") {
				_, ds := ParseRoutingTests(filepath.ToSlash(f), data)
				text = diagnosticsText(ds)
			} else {
				res := ParseRouting(filepath.ToSlash(f), data)
				text = diagnosticsText(res.Diagnostics)
				if !res.HasErrors() {
					t.Error("a file in testdata/diag has no errors")
				}
			}
			checkGolden(t, "diag-"+strings.TrimSuffix(filepath.Base(f), ".yaml")+".txt", text)
		})
	}
}

// TestExampleRouting runs the shipped example and its fixtures: the file
// must be clean (no warnings either) and every case must pass.
func TestExampleRouting(t *testing.T) {
	data, err := os.ReadFile("../examples/routing.yaml")
	if err != nil {
		t.Fatal(err)
	}
	res := ParseRouting("routing.yaml", data)
	if len(res.Diagnostics) > 0 {
		t.Fatalf("the example has diagnostics:\n%s", diagnosticsText(res.Diagnostics))
	}
	r, err := res.Compile(RouterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	tests, err := os.ReadFile("../examples/routing.tests.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cases, ds := ParseRoutingTests("routing.tests.yaml", tests)
	if len(ds) > 0 {
		t.Fatalf("the fixtures have diagnostics:\n%s", diagnosticsText(ds))
	}
	if len(cases) < 10 {
		t.Fatalf("only %d cases", len(cases))
	}
	for _, res := range RunRoutingTests(r, cases) {
		if !res.Passed() {
			t.Errorf("%s: %s\n%s", res.Case.Name, strings.Join(res.Failures, "; "), strings.Join(res.Decisions[0].Trace, "\n"))
		}
	}
}

// TestRoutingTestsFail makes sure fixtures can fail, and say why.
func TestRoutingTestsFail(t *testing.T) {
	r := router(t, teamFile)
	cases, ds := ParseRoutingTests("t.tests.yaml", []byte(`
now: 2026-11-06T16:00:00+01:00
cases:
  - name: wrong
    load: {a: 2}
    expect: {owner: a, team: ops, rule: nope, via: owner, assigned: false, sla_due: 2026-11-06T17:00:00+01:00, owners: [a, a, b]}
  - name: right
    expect: {owner: a, team: sdr, rule: sdr, via: round_robin, area: "", assigned: true, sla_due: none, owners: [a, b, c, a]}
`))
	if len(ds) > 0 {
		t.Fatal(diagnosticsText(ds))
	}
	res := RunRoutingTests(r, cases)
	want := "assigned true, want false; owner b, want a; team sdr, want ops; rule sdr, want nope; via round_robin, want owner; sla_due none, want 2026-11-06T17:00:00+01:00; owners [b, c, b], want [a, a, b]"
	if got := strings.Join(res[0].Failures, "; "); got != want {
		t.Errorf("failures\n got %s\nwant %s", got, want)
	}
	if !res[1].Passed() {
		t.Errorf("the right case failed: %v", res[1].Failures)
	}
}

func TestParseRoutingTestsErrors(t *testing.T) {
	_, ds := ParseRoutingTests("t.tests.yaml", []byte(`
cases:
  - name: a
    lead: {country: DE}
    load: {ana: -1}
    expect: {owner: ana, via: teleport, sla_due: tomorrow}
  - name: a
    score: high
    expect: {onwer: ana}
  - lead: [x]
owners: {}
`))
	got := diagnosticsText(ds)
	for _, want := range []string{
		`t.tests.yaml:3:5: error: case "a": needs now, the instant of routing`,
		`t.tests.yaml:5:17: error: case "a": load.ana: cannot be negative (got -1)`,
		`t.tests.yaml:6:31: error: case "a": expect.via: unknown via "teleport"`,
		`t.tests.yaml:6:50: error: case "a": expect.sla_due: expected a time`,
		`t.tests.yaml:7:5: error: case "a": the name is also used by the case at line 3`,
		`t.tests.yaml:8:12: error: case "a": score: expected a number, got "high"`,
		`t.tests.yaml:9:14: error: case "a": expect: unknown field "onwer" (did you mean "owner"?)`,
		`t.tests.yaml:10:5: error: case 3: needs a name`,
		`t.tests.yaml:10:11: error: case 3: lead: expected a lead (a mapping such as {country: DE, title: VP}), got a list`,
		`t.tests.yaml:11:1: error: unknown field "owners" (this looks like a routing file; test it with leadscore routing test FILE, which reads FILE's .tests.yaml)`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("missing %q in\n%s", want, got)
		}
	}
}

func FuzzParseRouting(f *testing.F) {
	for _, dir := range []string{"testdata/diag", "../examples"} {
		files, _ := filepath.Glob(filepath.Join(dir, "*.yaml"))
		for _, file := range files {
			if data, err := os.ReadFile(file); err == nil {
				f.Add(data)
			}
		}
	}
	f.Add([]byte("owners: {a: {}}\nrules: [{name: r, assign: {owner: a}}]\n"))
	f.Add([]byte("a: &x [*x]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 1<<16 {
			return
		}
		res := ParseRouting("f.yaml", data)
		checkDiagnostics(t, data, res.Diagnostics)
		if res.HasErrors() {
			return
		}
		r, err := res.Compile(RouterOptions{})
		if err != nil {
			t.Fatalf("no errors reported, but the file does not compile: %v\n%s", err, data)
		}
		// Whatever a valid file says, routing and timers must work.
		in := Input{
			Lead: &leadscore.Lead{Country: "DE", State: "BY"}, Account: &leadscore.Account{Priority: true, Country: "US"},
			Qualified: true, AccountOwner: "x", Now: t0,
		}
		d := r.Route(in)
		if d.Assigned && d.Owner == "" {
			t.Fatalf("assigned to nobody: %+v", d)
		}
		step := r.Advance(nil, []Observation{obs(90)}, in, QualifyPolicy{}, t0)
		CheckSLA(&step.State, t0.Add(400*24*time.Hour))
	})
}

func FuzzParseRoutingTests(f *testing.F) {
	files, _ := filepath.Glob("../examples/*.tests.yaml")
	for _, file := range files {
		if data, err := os.ReadFile(file); err == nil {
			f.Add(data)
		}
	}
	f.Add([]byte("now: 2026-01-01\ncases: [{name: a, expect: {owners: [a, none]}}]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 1<<16 {
			return
		}
		cases, ds := ParseRoutingTests("f.yaml", data)
		checkDiagnostics(t, data, ds)
		for _, c := range cases {
			if c.Name == "" || c.Input.Lead == nil {
				t.Fatalf("a case without a name or lead was returned: %+v", c)
			}
		}
	})
}

// checkDiagnostics holds diagnostics to what editors need: well formed and
// inside the file.
func checkDiagnostics(t *testing.T, data []byte, ds []modelfile.Diagnostic) {
	t.Helper()
	// YAML counts CR, NEL, LS and PS as line breaks too.
	breaks := strings.NewReplacer("\r\n", "\n", "\r", "\n", "\u0085", "\n", "\u2028", "\n", "\u2029", "\n")
	lines := strings.Count(breaks.Replace(string(data)), "\n") + 1
	for _, d := range ds {
		if d.File != "f.yaml" || (d.Severity != modelfile.Error && d.Severity != modelfile.Warning) || d.Message == "" {
			t.Fatalf("malformed diagnostic %+v", d)
		}
		if d.Line < 0 || d.Line > lines+1 || d.Column < 0 {
			t.Fatalf("diagnostic outside the file (%d lines): %s", lines, d)
		}
		if !utf8.ValidString(d.Message) && utf8.Valid(data) {
			t.Fatalf("invalid UTF-8 in %q", d.Message)
		}
	}
}
