package batch

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/leadscore/leadscore"
	"github.com/leadscore/leadscore/ingest"
	"github.com/leadscore/leadscore/quality"
	"github.com/leadscore/leadscore/scoring"
	"github.com/leadscore/leadscore/synth"
)

var testAsOf = time.Date(2026, 10, 15, 0, 0, 0, 0, time.UTC)

// fixture is a generated data set with planted problems.
type fixture struct {
	leads, events string
	// planted counts
	badLeads, duplicates, badEvents, unknownEvents int
}

// writeFixture generates leads and events and appends rows that must be
// rejected or counted: a bad date, a duplicate id, a row without identity,
// unparseable event lines, and events for leads that do not exist.
func writeFixture(t testing.TB, dir string, leads int) fixture {
	t.Helper()
	fx := fixture{leads: filepath.Join(dir, "leads.csv"), events: filepath.Join(dir, "events.jsonl")}
	lf, err := os.Create(fx.leads)
	if err != nil {
		t.Fatal(err)
	}
	ef, err := os.Create(fx.events)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := synth.Generate(context.Background(), synth.Options{Leads: leads, EventsPerLead: 15, Seed: 11, PeoplePerAccount: 4}, lf, ef, nil); err != nil {
		t.Fatal(err)
	}
	cols := len(synth.LeadColumns)
	row := func(vals ...string) string {
		r := make([]string, cols)
		copy(r, vals)
		return strings.Join(r, ",") + "\n"
	}
	extra := row("X1", "x1@initech.com", "", "", "", "", "", "", "", "", "not-a-date") +
		row("L0000002", "someone.else@initech.com") + // duplicate id
		row("", "", "Nameless") +
		row("X2", "x2@initech.com", "Late", "Comer", "CTO")
	fx.badLeads, fx.duplicates = 3, 1
	if _, err := lf.WriteString(extra); err != nil {
		t.Fatal(err)
	}
	bad := `not json
{"lead_id":"L0000001","timestamp":"2026-10-01T00:00:00Z"}
{"lead_id":"nobody","type":"page.viewed","timestamp":"2026-10-01T00:00:00Z"}
{"email":"nobody@nowhere.com","type":"email.opened","timestamp":"2026-10-01T00:00:00Z"}
{"email":"X2@Initech.com","type":"demo.requested","timestamp":"2026-10-01T00:00:00Z"}
{"lead_id":"X2","type":"page.viewed","timestamp":"2026-10-02T00:00:00Z","properties":{"path":"/pricing"}}

`
	fx.badEvents, fx.unknownEvents = 2, 2
	if _, err := ef.WriteString(bad); err != nil {
		t.Fatal(err)
	}
	if err := lf.Close(); err != nil {
		t.Fatal(err)
	}
	if err := ef.Close(); err != nil {
		t.Fatal(err)
	}
	return fx
}

// direct scores every lead the simple way: everything in memory, every
// peer with all its activity, one set.Evaluate per lead. It shares no code
// with the pipeline beyond the readers.
type directResult struct {
	ids   []string
	evals map[string][]*leadscore.Evaluation
}

func scoreDirect(t testing.TB, fx fixture, set *scoring.Set, checker *quality.Checker, asOf time.Time) directResult {
	t.Helper()
	f, err := os.Open(fx.leads)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	lr, err := ingest.NewLeadCSVReader(f, checker)
	if err != nil {
		t.Fatal(err)
	}
	var recs []ingest.LeadRecord
	byID := map[string]int{}
	byEmail := map[string]int{}
	for {
		rec, err := lr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			continue
		}
		if _, dup := byID[rec.Lead.ID]; dup {
			continue
		}
		byID[rec.Lead.ID] = len(recs)
		if e := ingest.NormalizeEmail(rec.Lead.Email); e != "" {
			if _, ok := byEmail[e]; !ok {
				byEmail[e] = len(recs)
			}
		}
		recs = append(recs, rec)
	}
	events := make([][]leadscore.Event, len(recs))
	ef, err := os.Open(fx.events)
	if err != nil {
		t.Fatal(err)
	}
	defer ef.Close()
	er := ingest.NewEventReader(ef, checker)
	for {
		rec, err := er.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			continue
		}
		i, ok := byID[rec.Event.LeadID]
		if !ok {
			i, ok = byEmail[rec.Event.LeadID]
		}
		if !ok {
			continue
		}
		rec.Event.LeadID = recs[i].Lead.ID
		events[i] = append(events[i], rec.Event)
	}
	members := map[string][]int{}
	for i := range recs {
		if k := recs[i].Lead.AccountID; k != "" {
			members[k] = append(members[k], i)
		}
	}
	res := directResult{evals: map[string][]*leadscore.Evaluation{}}
	for i := range recs {
		in := scoring.Input{Lead: &recs[i].Lead, Account: recs[i].Account, Events: events[i]}
		for _, j := range members[recs[i].Lead.AccountID] {
			if j == i || recs[i].Lead.AccountID == "" {
				continue
			}
			p := leadscore.Peer{LeadID: recs[j].Lead.ID}
			for _, e := range events[j] {
				if !e.Bot {
					p.Activity = append(p.Activity, e.At)
				}
			}
			in.Peers = append(in.Peers, p)
		}
		res.ids = append(res.ids, recs[i].Lead.ID)
		res.evals[recs[i].Lead.ID] = set.Evaluate(&in, asOf)
	}
	return res
}

func runPipeline(t testing.TB, cfg Config) ([]byte, Stats, []Problem) {
	t.Helper()
	var out bytes.Buffer
	var probs []Problem
	cfg.OnProblem = func(p Problem) { probs = append(probs, p) }
	cfg.TempDir = t.TempDir()
	st, err := Run(context.Background(), cfg, &out)
	if err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(cfg.TempDir)
	if len(entries) != 0 {
		t.Errorf("temporary files left behind: %v", entries)
	}
	return out.Bytes(), st, probs
}

func TestPipelineMatchesDirectEvaluation(t *testing.T) {
	checker := quality.NewChecker()
	set := testSet(t, checker)
	fx := writeFixture(t, t.TempDir(), 600)
	base := Config{Set: set, Checker: checker, Leads: fx.leads, Events: []string{fx.events}, AsOf: testAsOf,
		Format: JSONL, Explain: true}

	one := base
	one.Workers, one.Buckets = 1, 1
	four := base
	four.Workers, four.Buckets = 4, 13
	out1, st1, probs1 := runPipeline(t, one)
	out4, st4, probs4 := runPipeline(t, four)
	if !bytes.Equal(out1, out4) {
		t.Fatal("output differs between 1 worker / 1 bucket and 4 workers / 13 buckets")
	}
	st1.Elapsed, st4.Elapsed = 0, 0
	st1.Phases, st4.Phases = nil, nil
	if fmt.Sprintf("%+v", st1) != fmt.Sprintf("%+v", st4) || fmt.Sprint(probs1) != fmt.Sprint(probs4) {
		t.Fatalf("stats or problems differ:\n%+v %v\n%+v %v", st1, probs1, st4, probs4)
	}

	want := scoreDirect(t, fx, set, checker, testAsOf)
	// Every lead once, in input order, with the evaluations of direct
	// scoring.
	sc := bufio.NewScanner(bytes.NewReader(out4))
	sc.Buffer(nil, 64<<20)
	var got []string
	for sc.Scan() {
		var row struct {
			LeadID string                     `json:"lead_id"`
			Models map[string]json.RawMessage `json:"models"`
		}
		if err := json.Unmarshal(sc.Bytes(), &row); err != nil {
			t.Fatalf("output line %d: %v", len(got)+1, err)
		}
		got = append(got, row.LeadID)
		evs := want.evals[row.LeadID]
		if len(evs) != len(row.Models) {
			t.Fatalf("lead %s: %d models in the output, %d directly", row.LeadID, len(row.Models), len(evs))
		}
		for _, ev := range evs {
			direct, err := json.Marshal(jsonModel{Evaluation: ev, Explain: scoring.Explain(ev)})
			if err != nil {
				t.Fatal(err)
			}
			if !jsonEqual(t, direct, row.Models[ev.Model]) {
				t.Fatalf("lead %s model %s:\npipeline %s\n  direct %s", row.LeadID, ev.Model, row.Models[ev.Model], direct)
			}
		}
	}
	if strings.Join(got, ",") != strings.Join(want.ids, ",") {
		t.Fatalf("output order or set of leads differs from the input:\n got %d leads\nwant %d leads", len(got), len(want.ids))
	}

	// Counts.
	if st4.LeadsScored != int64(len(want.ids)) || st4.LeadsBad != int64(fx.badLeads) || st4.Duplicates != int64(fx.duplicates) ||
		st4.LeadsRead != st4.LeadsScored+st4.LeadsBad {
		t.Errorf("lead counts: %+v (planted %d bad, %d duplicates)", st4, fx.badLeads, fx.duplicates)
	}
	if st4.EventsBad != int64(fx.badEvents) || st4.EventsUnknownLead != int64(fx.unknownEvents) || len(st4.UnknownLeads) != fx.unknownEvents {
		t.Errorf("event counts: %+v (planted %d bad, %d unknown)", st4, fx.badEvents, fx.unknownEvents)
	}
	if st4.EventsAfterAsOf == 0 || st4.EventsAfterAsOf > st4.EventsUsed || st4.EventsRead != st4.EventsUsed+st4.EventsBad+st4.EventsUnknownLead {
		t.Errorf("events do not add up: %+v", st4)
	}
	if len(probs4) != fx.badLeads+fx.badEvents {
		t.Errorf("%d problems reported, want %d: %v", len(probs4), fx.badLeads+fx.badEvents, probs4)
	}
	for _, p := range probs4 {
		if p.Line < 2 || p.Reason == "" || (p.File != fx.leads && p.File != fx.events) {
			t.Errorf("problem without a position: %+v", p)
		}
	}
	// The planted late lead is scored with its email-keyed demo request.
	late := want.evals["X2"]
	if late == nil || late[0].Contributions == nil {
		t.Fatalf("lead X2 missing or without contributions")
	}
	foundDemo := false
	for _, c := range late[0].Contributions {
		foundDemo = foundDemo || c.Rule == "demo"
	}
	if !foundDemo {
		t.Errorf("the event addressed by email did not reach lead X2: %+v", late[0].Contributions)
	}
}

func jsonEqual(t testing.TB, a, b []byte) bool {
	t.Helper()
	var x, y any
	if err := json.Unmarshal(a, &x); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &y); err != nil {
		t.Fatal(err)
	}
	ja, _ := json.Marshal(x)
	jb, _ := json.Marshal(y)
	return bytes.Equal(ja, jb)
}

func TestCSVOutput(t *testing.T) {
	checker := quality.NewChecker()
	set := testSet(t, checker)
	fx := writeFixture(t, t.TempDir(), 120)
	out, st, _ := runPipeline(t, Config{Set: set, Checker: checker, Leads: fx.leads, Events: []string{fx.events},
		AsOf: testAsOf, Format: CSV, Explain: true, Buckets: 5})
	rows, err := csv.NewReader(bytes.NewReader(out)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	header := strings.Join(rows[0], ",")
	for _, col := range []string{"lead_id,email,account_id,b2b.score,b2b.display,b2b.band,b2b.grade,b2b.qualified,b2b.disqualified,b2b.reasons,b2b.next_change_at,b2b.cat.fit,b2b.cat.interest,b2b.explain,",
		"forms.cat.forms,forms.explain", "overall.score"} {
		if !strings.Contains(header, col) {
			t.Errorf("header %q lacks %q", header, col)
		}
	}
	if int64(len(rows)-1) != st.LeadsScored {
		t.Fatalf("%d rows for %d leads", len(rows)-1, st.LeadsScored)
	}
	want := scoreDirect(t, fx, set, checker, testAsOf)
	col := map[string]int{}
	for i, h := range rows[0] {
		col[h] = i
	}
	for i, r := range rows[1:] {
		if r[0] != want.ids[i] {
			t.Fatalf("row %d is lead %s, want %s", i+1, r[0], want.ids[i])
		}
		ev := want.evals[r[0]][0]
		if r[col["b2b.score"]] != num(ev.Score) || r[col["b2b.band"]] != ev.Band || r[col["b2b.display"]] != fmt.Sprint(ev.Display) ||
			r[col["b2b.explain"]] != strings.Join(scoring.Explain(ev), " | ") {
			t.Fatalf("lead %s: row %v does not match %+v", r[0], r, ev)
		}
	}
}

func TestScoreLeadMatchesPipeline(t *testing.T) {
	checker := quality.NewChecker()
	set := testSet(t, checker)
	fx := writeFixture(t, t.TempDir(), 200)
	cfg := Config{Set: set, Checker: checker, Leads: fx.leads, Events: []string{fx.events}, AsOf: testAsOf, Format: JSONL, Explain: true}
	out, _, _ := runPipeline(t, cfg)
	rows := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(nil, 64<<20)
	var multi []string
	for sc.Scan() {
		var row struct {
			LeadID    string `json:"lead_id"`
			AccountID string `json:"account_id"`
		}
		_ = json.Unmarshal(sc.Bytes(), &row)
		rows[row.LeadID] = sc.Text()
		if row.AccountID != "" && len(multi) < 5 {
			multi = append(multi, row.LeadID)
		}
	}
	for _, id := range append(multi, "X2", "L0000003") {
		res, _, err := ScoreLead(context.Background(), cfg, id)
		if err != nil {
			t.Fatalf("%s: %v", id, err)
		}
		var pipe struct {
			Models map[string]json.RawMessage `json:"models"`
		}
		_ = json.Unmarshal([]byte(rows[id]), &pipe)
		for _, ev := range res.Evaluations {
			one, _ := json.Marshal(jsonModel{Evaluation: ev, Explain: scoring.Explain(ev)})
			if !jsonEqual(t, one, pipe.Models[ev.Model]) {
				t.Fatalf("lead %s model %s:\n  single %s\npipeline %s", id, ev.Model, one, pipe.Models[ev.Model])
			}
		}
	}
	// By email, and not found.
	res, _, err := ScoreLead(context.Background(), cfg, "X2@INITECH.com")
	if err != nil || res.Lead.ID != "X2" {
		t.Errorf("lookup by email: %v %+v", err, res)
	}
	if _, _, err := ScoreLead(context.Background(), cfg, "nobody"); leadscore.CodeOf(err) != leadscore.CodeNotFound {
		t.Errorf("unknown lead: %v", err)
	}
}

func TestCancelRemovesTemporaryFiles(t *testing.T) {
	checker := quality.NewChecker()
	set := testSet(t, checker)
	fx := writeFixture(t, t.TempDir(), 100)
	tmp := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	calls := 0
	cfg := Config{Set: set, Checker: checker, Leads: fx.leads, Events: []string{fx.events}, AsOf: testAsOf, TempDir: tmp,
		Progress: func(p Progress) {
			// Cancel in the middle of reading events.
			if p.Phase == PhaseEvents {
				if calls++; calls == 1 {
					cancel()
				}
			}
		}}
	_, err := Run(ctx, cfg, io.Discard)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want context.Canceled", err)
	}
	if entries, _ := os.ReadDir(tmp); len(entries) != 0 {
		t.Errorf("temporary files left behind: %v", entries)
	}
}

func TestNothingToScore(t *testing.T) {
	checker := quality.NewChecker()
	dir := t.TempDir()
	leads := filepath.Join(dir, "leads.csv")
	if err := os.WriteFile(leads, []byte("id,created_at\n1,never\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out, st, probs := runPipeline(t, Config{Set: testSet(t, checker), Checker: checker, Leads: leads, AsOf: testAsOf})
	if st.LeadsScored != 0 || st.LeadsBad != 1 || len(probs) != 1 || probs[0].Line != 2 {
		t.Errorf("stats %+v problems %v", st, probs)
	}
	if lines := strings.Count(string(out), "\n"); lines != 1 {
		t.Errorf("output has %d lines, want the header only", lines)
	}
}

func TestConfigErrors(t *testing.T) {
	checker := quality.NewChecker()
	set := testSet(t, checker)
	cases := []struct {
		name string
		cfg  Config
	}{
		{"no set", Config{Leads: "x.csv", AsOf: testAsOf}},
		{"no as-of", Config{Set: set, Leads: "x.csv"}},
		{"no leads", Config{Set: set, AsOf: testAsOf}},
		{"bad format", Config{Set: set, Leads: "x.csv", AsOf: testAsOf, Format: "xml"}},
	}
	for _, tc := range cases {
		tc.cfg.Checker = checker
		if _, err := Run(context.Background(), tc.cfg, io.Discard); leadscore.CodeOf(err) != leadscore.CodeInvalid {
			t.Errorf("%s: got %v, want an invalid error", tc.name, err)
		}
	}
	_, err := Run(context.Background(), Config{Set: set, Checker: checker, Leads: "leads.xlsx", AsOf: testAsOf, TempDir: t.TempDir()}, io.Discard)
	if leadscore.CodeOf(err) != leadscore.CodeInvalid {
		t.Errorf("unknown lead file type: %v", err)
	}
}

func TestMergeAccount(t *testing.T) {
	n := int64(50)
	dst := &leadscore.Account{ID: "a", Name: "First"}
	dst.FillFrom(nil)
	dst.FillFrom(&leadscore.Account{Name: "Second", Industry: "Retail", Employees: &n, Fields: map[string]any{"tier": 1.0}})
	dst.FillFrom(&leadscore.Account{Industry: "Software", Priority: true, Lists: []string{"x"}, Fields: map[string]any{"tier": 2.0, "plan": "gold"}})
	if dst.Name != "First" || dst.Industry != "Retail" || dst.Employees != &n || !dst.Priority ||
		len(dst.Lists) != 1 || dst.Fields["tier"] != 1.0 || dst.Fields["plan"] != "gold" {
		t.Errorf("merged %+v", dst)
	}
}

func TestLatestActivity(t *testing.T) {
	t0 := testAsOf
	evs := []leadscore.Event{
		{At: t0.Add(-48 * time.Hour)},
		{At: t0.Add(-time.Hour), Bot: true},
		{At: t0.Add(time.Hour)},
		{At: t0.Add(-24 * time.Hour)},
	}
	if got := latestActivity(evs, t0); !got.Equal(t0.Add(-24 * time.Hour)) {
		t.Errorf("latest activity %v", got)
	}
	if got := latestActivity(nil, t0); !got.IsZero() {
		t.Errorf("no events gave %v", got)
	}
}

// BenchmarkPipeline measures a whole run on a generated set; b.SetBytes
// uses the event file's size so the rate reads as input throughput.
func BenchmarkPipeline(b *testing.B) {
	checker := quality.NewChecker()
	set := testSet(b, checker)
	fx := writeFixture(b, b.TempDir(), 5000)
	st, err := os.Stat(fx.events)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(st.Size())
	var stats Stats
	for b.Loop() {
		stats, err = Run(context.Background(), Config{Set: set, Checker: checker, Leads: fx.leads, Events: []string{fx.events},
			AsOf: testAsOf, TempDir: b.TempDir()}, io.Discard)
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(stats.EventsRead)*float64(b.N)/b.Elapsed().Seconds(), "events/s")
}
