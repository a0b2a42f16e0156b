package modelfile

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
