package modelfile

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/leadscore/leadscore/quality"
	"github.com/leadscore/leadscore/scoring"
)

// FuzzParse feeds arbitrary text to the parser. Whatever the input, parsing
// must not panic or hang, every diagnostic must point inside the file, and
// a result without errors must compile: the parser may never let through a
// model the engine rejects.
func FuzzParse(f *testing.F) {
	for _, dir := range []string{"testdata/valid", "testdata/diag"} {
		files, _ := filepath.Glob(filepath.Join(dir, "*.yaml"))
		for _, file := range files {
			data, err := os.ReadFile(file)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(data)
		}
	}
	f.Add([]byte("name: m\ncategories: {fit: {max: 10, rules: [{name: a, when: 'lead.title matches \"(?i)vp\"', points: 5}]}}\n"))
	f.Add([]byte("name: a\n---\nname: b\nkind: combined\ncombine: {parts: [{model: a}]}\n"))
	f.Add([]byte("a: &x [*x]\n"))
	f.Add([]byte("name: m\nbands: {hot: 70, warm: 40}\ngrade: {levels: {A: 1, B: 0}}\n"))
	f.Add([]byte("name: m\ncategories:\n  c:\n    rules:\n      - name: r\n        when: |\n          lead.x ==\n        points: 1\n"))

	// One checker for the whole run: building one takes milliseconds,
	// which would dominate every execution.
	opts := scoring.Options{Checker: quality.NewChecker()}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 1<<16 {
			return // large inputs only slow the fuzzer down
		}
		r := Parse("f.yaml", data)
		// YAML counts CR, NEL, LS and PS as line breaks too.
		breaks := strings.NewReplacer("\r\n", "\n", "\r", "\n", "\u0085", "\n", "\u2028", "\n", "\u2029", "\n")
		lines := strings.Count(breaks.Replace(string(data)), "\n") + 1
		for _, d := range r.Diagnostics {
			if d.File != "f.yaml" || (d.Severity != Error && d.Severity != Warning) || d.Message == "" {
				t.Fatalf("malformed diagnostic %+v", d)
			}
			if d.Line < 0 || d.Line > lines+1 || d.Column < 0 {
				t.Fatalf("diagnostic outside the file (%d lines): %s", lines, d)
			}
			if !utf8.ValidString(d.Message) && utf8.Valid(data) {
				t.Fatalf("invalid UTF-8 in %q", d.Message)
			}
		}
		if len(r.Specs) != len(r.Sources) {
			t.Fatalf("%d specs but %d sources", len(r.Specs), len(r.Sources))
		}
		if !r.HasErrors() {
			if _, err := r.Compile(opts); err != nil {
				t.Fatalf("no errors reported, but the engine rejects the models: %v\n%s", err, data)
			}
		}
	})
}
