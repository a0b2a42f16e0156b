package main

import (
	"testing"
)

func TestRoutingCommands(t *testing.T) {
	const example = "../../examples/routing.yaml"
	tests := []struct {
		name   string
		args   []string
		code   int
		golden string
	}{
		{"validate the example", []string{"routing", "validate", example}, 0, "validate-example.txt"},
		{"validate a broken file", []string{"routing", "validate", "testdata/routing/broken.yaml"}, 1, "validate-broken.txt"},
		{"validate as JSON", []string{"routing", "validate", "--format", "json", "testdata/routing/broken.yaml"}, 1, "validate-broken.json"},
		{"validate with a bad format", []string{"routing", "validate", "--format", "xml", example}, 2, "validate-bad-format.txt"},
		{"test the example", []string{"routing", "test", example}, 0, "test-example.txt"},
		{"test one case verbosely", []string{"routing", "test", example, "--run", "weekend", "-v"}, 0, "test-verbose.txt"},
		{"failing cases", []string{"routing", "test", example, "--tests", "testdata/routing/failing.tests.yaml"}, 1, "test-failing.txt"},
		{"test a broken file", []string{"routing", "test", "testdata/routing/broken.yaml"}, 1, "test-broken.txt"},
		{"no fixture file", []string{"routing", "test", "testdata/routing/failing.tests.yaml"}, 1, "test-not-routing.txt"},
		{"a bad --run", []string{"routing", "test", example, "--run", "("}, 2, "test-bad-run.txt"},
		{"no case matches", []string{"routing", "test", example, "--run", "nothing matches this"}, 1, "test-none.txt"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, code := runCLI(t, tt.args...)
			if code != tt.code {
				t.Errorf("exit code %d, want %d\n%s", code, tt.code, out)
			}
			checkGoldenFile(t, "testdata/routing/golden/"+tt.golden, out)
		})
	}
}
