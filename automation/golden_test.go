package automation

import (
	"os"
	"path/filepath"
	"testing"
)

// checkGolden compares got with testdata/golden/name, or rewrites the file
// when LEADSCORE_UPDATE_GOLDEN is set:
//
//	LEADSCORE_UPDATE_GOLDEN=1 go test ./automation/
func checkGolden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name)
	if os.Getenv("LEADSCORE_UPDATE_GOLDEN") != "" {
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
