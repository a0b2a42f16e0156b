package storetest

import (
	"bytes"
	"context"
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/leadscore/leadscore"
)

// Stored predictive artefacts (leadscore.PredictiveTx): immutable versions
// with a compressed body, a JSON report and at most one current version
// per name.
func predictiveTests() []struct {
	name string
	fn   func(t *testing.T, s leadscore.Store)
} {
	return []struct {
		name string
		fn   func(t *testing.T, s leadscore.Store)
	}{
		{"PredictiveArtifacts", testPredictiveArtifacts},
		{"PredictiveCurrent", testPredictiveCurrent},
	}
}

func predictiveWrite(t *testing.T, ws leadscore.WorkspaceStore, fn func(ctx context.Context, tx leadscore.PredictiveTx) error) {
	t.Helper()
	write(t, ws, func(ctx context.Context, tx leadscore.Tx) error {
		pt, ok := tx.(leadscore.PredictiveTx)
		if !ok {
			t.Skip("the store's transactions do not implement leadscore.PredictiveTx")
		}
		return fn(ctx, pt)
	})
}

func predictiveReader(t *testing.T, ws leadscore.WorkspaceStore) leadscore.PredictiveReader {
	t.Helper()
	r, ok := ws.(leadscore.PredictiveReader)
	if !ok {
		t.Skip("the store's workspaces do not implement leadscore.PredictiveReader")
	}
	return r
}

// sameReport compares JSON documents by meaning: PostgreSQL keeps JSONB in
// its own layout.
func sameReport(t *testing.T, what string, got, want json.RawMessage) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("%s: stored report %q: %v", what, got, err)
	}
	if err := json.Unmarshal(want, &w); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(g, w) {
		t.Errorf("%s: report\n got  %s\n want %s", what, got, want)
	}
}

func testPredictiveArtifacts(t *testing.T, s leadscore.Store) {
	ctx := t.Context()
	ws := s.Workspace(leadscore.DefaultWorkspace)
	r := predictiveReader(t, ws)
	// A body large enough to be worth compressing, with every byte value
	// a JSON document can hold after escaping.
	body := bytes.Repeat([]byte(`{"trees":[{"feature":3,"threshold":0.5,"label":"zażółć \u00e9"}]}`+"\n"), 2000)
	report := json.RawMessage(`{"rows":1200,"converted":140,"out_of_time":{"auc":0.71},"features":[{"name":"lead.title","status":"used"}]}`)
	first := leadscore.PredictiveArtifact{Name: "learned", Version: "v1", Body: body, Report: report, Activatable: true,
		Current: true, CreatedAt: at(0), CreatedBy: "ana@example.com"}
	second := leadscore.PredictiveArtifact{Name: "learned", Version: "v2", Body: []byte(`{"small":true}`),
		Report: json.RawMessage(`{"rows":10}`), CreatedAt: at(hour)}
	other := leadscore.PredictiveArtifact{Name: "other", Version: "v1", Body: []byte(`{}`), Activatable: true, CreatedAt: at(2 * hour)}
	predictiveWrite(t, ws, func(ctx context.Context, tx leadscore.PredictiveTx) error {
		for _, a := range []*leadscore.PredictiveArtifact{&first, &second, &other} {
			if err := tx.PutPredictiveArtifact(ctx, a); err != nil {
				return err
			}
		}
		return nil
	})

	got := must[*leadscore.PredictiveArtifact](t, "PredictiveArtifact")(r.PredictiveArtifact(ctx, "learned", "v1"))
	if !bytes.Equal(got.Body, body) {
		t.Errorf("body: %d bytes back for %d stored", len(got.Body), len(body))
	}
	sameReport(t, "v1", got.Report, report)
	want := first
	want.Body, want.Report, got.Body, got.Report = nil, nil, nil, nil
	same(t, "v1 fields", *got, want)

	// Listings are newest first and carry no body.
	list := must[[]leadscore.PredictiveArtifact](t, "PredictiveArtifacts")(r.PredictiveArtifacts(ctx, "learned"))
	if len(list) != 2 || list[0].Version != "v2" || list[1].Version != "v1" {
		t.Fatalf("versions of learned: %+v", list)
	}
	for _, a := range list {
		if a.Body != nil {
			t.Errorf("listing %s carries its body", a.Version)
		}
	}
	sameReport(t, "listed v2", list[0].Report, second.Report)
	all := must[[]leadscore.PredictiveArtifact](t, "PredictiveArtifacts")(r.PredictiveArtifacts(ctx, ""))
	if len(all) != 3 || all[0].Name != "learned" || all[2].Name != "other" || all[2].Report != nil {
		t.Errorf("every artefact: %+v", all)
	}

	// The current version is what an empty version reads.
	cur := must[*leadscore.PredictiveArtifact](t, "current")(r.PredictiveArtifact(ctx, "learned", ""))
	if cur.Version != "v1" || !bytes.Equal(cur.Body, body) {
		t.Errorf("current of learned: %s", cur.Version)
	}
	_, err := r.PredictiveArtifact(ctx, "other", "")
	wantCode(t, "no current version", err, leadscore.CodeNotFound)
	_, err = r.PredictiveArtifact(ctx, "learned", "v9")
	wantCode(t, "unknown version", err, leadscore.CodeNotFound)
	_, err = r.PredictiveArtifact(ctx, "nobody", "")
	wantCode(t, "unknown name", err, leadscore.CodeNotFound)

	// Versions are immutable; the refusal leaves the transaction usable.
	err = ws.Write(ctx, func(tx leadscore.Tx) error {
		pt := tx.(leadscore.PredictiveTx)
		dup := leadscore.PredictiveArtifact{Name: "learned", Version: "v1", Body: []byte(`{"other":1}`)}
		wantCode(t, "same version again", pt.PutPredictiveArtifact(ctx, &dup), leadscore.CodeConflict)
		wantCode(t, "no body", pt.PutPredictiveArtifact(ctx, &leadscore.PredictiveArtifact{Name: "x", Version: "1"}), leadscore.CodeInvalid)
		wantCode(t, "no version", pt.PutPredictiveArtifact(ctx, &leadscore.PredictiveArtifact{Name: "x", Body: []byte("{}")}), leadscore.CodeInvalid)
		return pt.PutPredictiveArtifact(ctx, &leadscore.PredictiveArtifact{Name: "third", Version: "1", Body: []byte("{}")})
	})
	if err != nil {
		t.Fatalf("write after a refusal: %v", err)
	}
	if got := must[*leadscore.PredictiveArtifact](t, "v1 again")(r.PredictiveArtifact(ctx, "learned", "v1")); !bytes.Equal(got.Body, body) {
		t.Error("a refused duplicate changed the stored body")
	}
	if a := must[*leadscore.PredictiveArtifact](t, "third")(r.PredictiveArtifact(ctx, "third", "1")); a.CreatedAt.IsZero() || a.Report != nil {
		t.Errorf("a zero creation time is stamped and no report stays none: %+v", a)
	}

	// Another workspace sees none of them.
	if l := must[[]leadscore.PredictiveArtifact](t, "other workspace")(predictiveReader(t, s.Workspace("agency-2")).PredictiveArtifacts(ctx, "")); len(l) != 0 {
		t.Errorf("another workspace lists %d artefacts", len(l))
	}
}

func testPredictiveCurrent(t *testing.T, s leadscore.Store) {
	ctx := t.Context()
	ws := s.Workspace(leadscore.DefaultWorkspace)
	r := predictiveReader(t, ws)
	put := func(name, version string, current bool, d int) {
		predictiveWrite(t, ws, func(ctx context.Context, tx leadscore.PredictiveTx) error {
			return tx.PutPredictiveArtifact(ctx, &leadscore.PredictiveArtifact{Name: name, Version: version,
				Body: []byte(`{"v":"` + version + `"}`), Activatable: current, Current: current, CreatedAt: at(time.Duration(d) * hour)})
		})
	}
	currentOf := func(name string) string {
		a, err := r.PredictiveArtifact(ctx, name, "")
		if err != nil {
			return ""
		}
		return a.Version
	}
	put("m", "a", true, 0)
	put("m", "b", false, 1) // a challenger that lost
	if c := currentOf("m"); c != "a" {
		t.Errorf("after a losing challenger the current version is %q, want a", c)
	}
	put("m", "c", true, 2) // one that won
	put("n", "z", true, 3) // another name is independent
	if c := currentOf("m"); c != "c" {
		t.Errorf("after a winning challenger the current version is %q, want c", c)
	}
	n := 0
	for _, a := range must[[]leadscore.PredictiveArtifact](t, "list")(r.PredictiveArtifacts(ctx, "m")) {
		if a.Current {
			n++
		}
	}
	if n != 1 || currentOf("n") != "z" {
		t.Errorf("%d current versions of m; current of n %q", n, currentOf("n"))
	}

	// A rolled-back write leaves the current version as it was.
	err := ws.Write(ctx, func(tx leadscore.Tx) error {
		if err := tx.(leadscore.PredictiveTx).PutPredictiveArtifact(ctx, &leadscore.PredictiveArtifact{Name: "m", Version: "d",
			Body: []byte("{}"), Current: true}); err != nil {
			return err
		}
		return leadscore.Invalid("x", "refused")
	})
	wantCode(t, "rolled back", err, leadscore.CodeInvalid)
	if c := currentOf("m"); c != "c" {
		t.Errorf("after a rollback the current version is %q, want c", c)
	}
}
