package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/leadscore/leadscore"
)

// runCLI runs the binary's command tree in-process and returns its output
// and exit code (0 for success, as main would exit).
func runCLI(t *testing.T, args ...string) (string, int) {
	t.Helper()
	root := newRootCmd()
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&out)
	root.SetArgs(args)
	err := root.Execute()
	var exit exitError
	switch {
	case err == nil:
		return out.String(), 0
	case errors.As(err, &exit):
		if exit.msg != "" {
			out.WriteString(exit.msg + "\n")
		}
		return out.String(), exit.code
	case leadscore.CodeOf(err) == leadscore.CodeInvalid:
		return out.String() + err.Error() + "\n", 2
	}
	return out.String() + err.Error() + "\n", 1
}

var versionRE = regexp.MustCompile(`(version"?:? "?)[0-9a-f]{12}`)

// stable hides model versions: they are content hashes that change with
// any change to the engine's spec defaults, which is not what these golden
// files are about.
func stable(s string) string { return versionRE.ReplaceAllString(s, "${1}<hash>") }

func checkModelGolden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", "model", "golden", name)
	if os.Getenv("LEADSCORE_UPDATE_GOLDEN") != "" {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with LEADSCORE_UPDATE_GOLDEN=1 to create it)", err)
	}
	if got != string(want) {
		t.Errorf("output differs from %s\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

func TestModelCommands(t *testing.T) {
	const dir = "testdata/model"
	tests := []struct {
		name   string
		args   []string
		code   int
		golden string
	}{
		{"validate a clean set", []string{"model", "validate", dir + "/good"}, 0, "validate-good.txt"},
		{"validate a broken model", []string{"model", "validate", dir + "/broken/model.yaml"}, 1, "validate-broken.txt"},
		{"validate as JSON", []string{"model", "validate", "--format", "json", dir + "/broken"}, 1, "validate-broken.json"},
		{"validate with a bad format", []string{"model", "validate", "--format", "xml", dir + "/good"}, 2, "validate-bad-format.txt"},
		{"validate a missing file", []string{"model", "validate", dir + "/nope.yaml"}, 1, "validate-missing.txt"},
		{"test the fixtures next to a model", []string{"model", "test", dir + "/good/b2b-saas.yaml", dir + "/good/overall.yaml"}, 0, "test-pass.txt"},
		{"test a directory verbosely with a filter", []string{"model", "test", dir + "/good", "--run", "minor", "-v"}, 0, "test-run-verbose.txt"},
		{"failing fixtures", []string{"model", "test", dir + "/good", "--tests", dir + "/failing.tests.yaml"}, 1, "test-fail.txt"},
		{"no fixtures", []string{"model", "test", dir + "/lonely.yaml"}, 1, "test-none.txt"},
		{"test a broken model", []string{"model", "test", dir + "/broken"}, 1, "test-broken.txt"},
		{"show one model of a set", []string{"model", "show", dir + "/good", "--model", "overall"}, 0, "show-overall.json"},
		{"show an unknown model", []string{"model", "show", dir + "/good", "--model", "nope"}, 2, "show-unknown.txt"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, code := runCLI(t, tt.args...)
			if code != tt.code {
				t.Errorf("exit code %d, want %d\n%s", code, tt.code, out)
			}
			checkModelGolden(t, tt.golden, stable(out))
		})
	}
}

func TestModelValidateJSON(t *testing.T) {
	out, code := runCLI(t, "model", "validate", "--format", "json", "testdata/model/good")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, out)
	}
	var report struct {
		OK     bool `json:"ok"`
		Models []struct {
			Name, Version string
			Rules         int
		} `json:"models"`
		Diagnostics []json.RawMessage `json:"diagnostics"`
	}
	if err := json.Unmarshal([]byte(out), &report); err != nil {
		t.Fatal(err)
	}
	if !report.OK || len(report.Models) != 3 || report.Diagnostics == nil || len(report.Diagnostics) != 0 {
		t.Errorf("a clean set: ok, three models, an empty (not null) diagnostics list; got %s", out)
	}
	for _, m := range report.Models {
		if len(m.Version) != 12 {
			t.Errorf("model %s: a compiled model reports its version, got %q", m.Name, m.Version)
		}
	}
}

func TestModelShowAll(t *testing.T) {
	out, code := runCLI(t, "model", "show", "testdata/model/good")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, out)
	}
	var specs []struct {
		Version string `json:"version"`
		leadscore.ModelSpec
	}
	if err := json.Unmarshal([]byte(out), &specs); err != nil {
		t.Fatalf("several models print as an array: %v", err)
	}
	var names []string
	for _, s := range specs {
		names = append(names, s.Name)
	}
	// Evaluation order: rule models first, combined models after their parts.
	if strings.Join(names, ",") != "b2b-saas,engagement,overall" {
		t.Errorf("models in evaluation order: got %v", names)
	}
	if specs[0].AccountScore.Method != "max" || specs[0].Version == "" {
		t.Errorf("show prints the compiled spec with defaults and its version: got %+v", specs[0].AccountScore)
	}
}
