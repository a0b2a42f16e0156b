package automation

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// TestWebhookDocsPayloads keeps the payload examples of docs/webhooks.md
// true: each must be, byte for byte, one of the payloads the golden test
// pins.
func TestWebhookDocsPayloads(t *testing.T) {
	doc, err := os.ReadFile("../docs/webhooks.md")
	if err != nil {
		t.Fatal(err)
	}
	golden, err := os.ReadFile("testdata/golden/events.json")
	if err != nil {
		t.Fatal(err)
	}
	blocks := regexp.MustCompile("(?s)```json\n(.*?)\n```").FindAllStringSubmatch(string(doc), -1)
	if len(blocks) < 3 {
		t.Fatalf("only %d JSON examples in docs/webhooks.md", len(blocks))
	}
	for _, b := range blocks {
		if !strings.Contains(string(golden), b[1]) {
			t.Errorf("docs/webhooks.md shows a payload leadscore does not send:\n%s", b[1])
		}
	}
}
