package quality

import "testing"

func TestEmail(t *testing.T) {
	c := NewChecker()
	cases := []struct {
		in                            string
		valid, free, disposable, role bool
		domain                        string
	}{
		{in: "jane.doe@acme-corp.com", valid: true, domain: "acme-corp.com"},
		{in: "  Jane@GMAIL.com ", valid: true, free: true, domain: "gmail.com"},
		{in: "x@mailinator.com", valid: true, disposable: true, domain: "mailinator.com"},
		{in: "info@acme-corp.com", valid: true, role: true, domain: "acme-corp.com"},
		{in: "sales+crm@acme-corp.com", valid: true, role: true, domain: "acme-corp.com"},
		{in: "not an email", valid: false},
		{in: "", valid: false},
		{in: "a@b", valid: false},
	}
	for _, tc := range cases {
		got := c.Email(tc.in)
		if got.Valid != tc.valid || got.Free != tc.free || got.Disposable != tc.disposable || got.Role != tc.role || got.Domain != tc.domain {
			t.Errorf("Email(%q) = %+v, want valid=%v free=%v disposable=%v role=%v domain=%q", tc.in, got, tc.valid, tc.free, tc.disposable, tc.role, tc.domain)
		}
	}
}

func TestIsBotUserAgent(t *testing.T) {
	c := NewChecker()
	cases := []struct {
		ua  string
		bot bool
	}{
		{"Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)", true},
		{"curl/8.4.0", true},
		{"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36", false},
		{"", false},
	}
	for _, tc := range cases {
		if got := c.IsBotUserAgent(tc.ua); got != tc.bot {
			t.Errorf("IsBotUserAgent(%q) = %v, want %v", tc.ua, got, tc.bot)
		}
	}
}
