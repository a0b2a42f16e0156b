package yamlfile

import (
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// mustNode parses "k: value" and returns the value's node.
func mustNode(t *testing.T, line string) *yaml.Node {
	t.Helper()
	var doc yaml.Node
	if err := yaml.NewDecoder(strings.NewReader(line)).Decode(&doc); err != nil {
		t.Fatal(err)
	}
	return doc.Content[0].Content[1]
}

func TestSuggest(t *testing.T) {
	known := []string{"points", "when", "where", "within", "name", "max_points", "at_least"}
	tests := []struct{ word, want string }{
		{"pointz", "points"},
		{"ponits", "points"}, // a swap is one edit
		{"wen", "when"},
		{"atleast", "at_least"},
		{"maxpoints", "max_points"},
		{"banana", ""},
		{"x", ""},
	}
	for _, tt := range tests {
		if got := Suggest(tt.word, known); got != tt.want {
			t.Errorf("Suggest(%q) = %q, want %q", tt.word, got, tt.want)
		}
	}
}

func TestScalarPosEscapes(t *testing.T) {
	// The value of each scalar is "ab X" where X is the character whose
	// position is asked for; the file spells the prefix differently.
	tests := []struct {
		name    string
		line    string
		offset  int
		wantCol int
	}{
		{"plain", `k: ab X`, 3, 7},
		{"double quoted hex escape", `k: "\x61b X"`, 3, 11},
		{"double quoted unicode escape", `k: "\u0061b X"`, 3, 13},
		{"double quoted backslash", `k: "a\\ X"`, 3, 9},
		{"single quoted doubled quote", `k: 'a'' X'`, 3, 9},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := &Source{Name: "m.yaml", Data: []byte(tt.line + "\n")}
			root := mustNode(t, tt.line)
			line, col := src.ScalarPos(root, tt.offset)
			if line != 1 || col != tt.wantCol {
				t.Errorf("ScalarPos = %d:%d, want 1:%d", line, col, tt.wantCol)
			}
		})
	}
}
