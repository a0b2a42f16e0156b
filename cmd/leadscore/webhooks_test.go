package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// checkGoldenFile compares got with a golden file, or rewrites it when
// LEADSCORE_UPDATE_GOLDEN is set.
func checkGoldenFile(t *testing.T, path, got string) {
	t.Helper()
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

// The Standard Webhooks test vector, so these outputs can be checked
// against any other implementation.
const (
	cliSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	cliBody   = `{"test": 2432232314}`
)

func TestWebhooksCommands(t *testing.T) {
	dir := t.TempDir()
	body := filepath.Join(dir, "body.json")
	event := filepath.Join(dir, "event.json")
	if err := os.WriteFile(body, []byte(cliBody), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(event, []byte(`{"specversion":"1.0","id":"evt_abc","type":"com.leadscore.lead.qualified"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	verify := []string{"webhooks", "verify", "--secret", cliSecret, "--id", "msg_p5jXN8AQM9LWM0D4loKWxJek", "--timestamp", "1614265330"}
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"sign the vector", []string{"webhooks", "sign", "--secret", cliSecret, "--id", "msg_p5jXN8AQM9LWM0D4loKWxJek", "--timestamp", "1614265330", body}, 0,
			"webhook-id: msg_p5jXN8AQM9LWM0D4loKWxJek\nwebhook-timestamp: 1614265330\nwebhook-signature: v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=\n"},
		{"sign takes the CloudEvents id", []string{"webhooks", "sign", "--secret", cliSecret, "--timestamp", "1614265330", event}, 0,
			"webhook-id: evt_abc\nwebhook-timestamp: 1614265330\nwebhook-signature: v1,"},
		{"sign needs an id", []string{"webhooks", "sign", "--secret", cliSecret, body}, 2, "the body has no CloudEvents id; give one with --id"},
		{"sign needs a secret", []string{"webhooks", "sign", "--id", "x", body}, 2, "give the secret with --secret or LEADSCORE_WEBHOOK_SECRET"},
		{"sign with a bad secret", []string{"webhooks", "sign", "--secret", "whsec_abc", "--id", "x", body}, 2, "must be standard base64"},
		{"verify the vector", append(verify, "--signature", "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=", "--now", "1614265330", body), 0, "ok\n"},
		{"verify a stale request", append(verify, "--signature", "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=", "--now", "1614269330", body), 1,
			"webhook: the timestamp is too old (signed at 2021-02-25T15:02:10Z; use --now to check an old request)"},
		{"verify a forged request", append(verify, "--signature", "v1,AAAA", "--now", "1614265330", body), 1, "webhook: no signature matches"},
		{"verify needs the headers", []string{"webhooks", "verify", "--secret", cliSecret, body}, 2, "give the request's headers with --id, --timestamp and --signature"},
		{"a fresh secret", []string{"webhooks", "secret"}, 0, "whsec_"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("LEADSCORE_WEBHOOK_SECRET", "")
			out, code := runCLI(t, tt.args...)
			if code != tt.code || !strings.Contains(out, tt.want) {
				t.Errorf("exit %d, output %q; want exit %d with %q", code, out, tt.code, tt.want)
			}
		})
	}
}
