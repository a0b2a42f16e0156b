package modelfile

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// updateGolden rewrites golden files instead of comparing with them:
// LEADSCORE_UPDATE_GOLDEN=1 go test ./modelfile/
func updateGolden() bool { return os.Getenv("LEADSCORE_UPDATE_GOLDEN") != "" }

// checkGolden compares got with the golden file, or rewrites it.
func checkGolden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name)
	if updateGolden() {
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
		t.Errorf("%s differs from the golden file\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}

func diagnosticsText(r *Result) string {
	var b strings.Builder
	for _, d := range r.Diagnostics {
		b.WriteString(d.String())
		b.WriteByte('\n')
	}
	for i, s := range r.Specs {
		src := r.Sources[i]
		b.WriteString("model " + s.Name + ": ")
		if src.Version != "" {
			b.WriteString("compiled")
		} else {
			b.WriteString("not compiled")
		}
		b.WriteByte('\n')
	}
	return b.String()
}

// TestDiagnosticsGolden parses each file of testdata/diag and compares every
// diagnostic, with its position and wording, with a golden file.
func TestDiagnosticsGolden(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "diag", "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no files in testdata/diag")
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			r := Parse(filepath.ToSlash(f), data)
			checkGolden(t, strings.TrimSuffix(filepath.Base(f), ".yaml")+".txt", diagnosticsText(r))
		})
	}
}
