package ingest

import (
	"testing"
	"time"
)

func TestParseTime(t *testing.T) {
	utc := func(y int, mo time.Month, d, h, mi, s, ns int) time.Time {
		return time.Date(y, mo, d, h, mi, s, ns, time.UTC)
	}
	cases := []struct {
		in   string
		want time.Time
		bad  bool
	}{
		{in: "2026-10-03T12:30:00Z", want: utc(2026, 10, 3, 12, 30, 0, 0)},
		{in: "2026-10-03T12:30:00.250+02:00", want: utc(2026, 10, 3, 10, 30, 0, 250e6)},
		{in: "2026-10-03", want: utc(2026, 10, 3, 0, 0, 0, 0)},
		{in: "2026-10-03 12:30", want: utc(2026, 10, 3, 12, 30, 0, 0)},
		{in: "2026-10-03 12:30:45", want: utc(2026, 10, 3, 12, 30, 45, 0)},
		{in: "2026-10-03T12:30:45", want: utc(2026, 10, 3, 12, 30, 45, 0)},
		{in: " 1790000000 ", want: time.Unix(1790000000, 0).UTC()},
		{in: "1790000000123", want: time.UnixMilli(1790000000123).UTC()},
		{in: "1790000000.5", want: time.Unix(1790000000, 5e8).UTC()},
		{in: "0", want: time.Unix(0, 0).UTC()},
		{in: "", bad: true},
		{in: "yesterday", bad: true},
		{in: "03/10/2026", bad: true},
		{in: "2026-13-01", bad: true},
		{in: "1e400", bad: true},
		{in: "99999999999999999999999", bad: true},
	}
	for _, tc := range cases {
		got, err := ParseTime(tc.in)
		if tc.bad {
			if err == nil {
				t.Errorf("ParseTime(%q) = %v, want an error", tc.in, got)
			}
			continue
		}
		if err != nil || !got.Equal(tc.want) || got.Location() != time.UTC {
			t.Errorf("ParseTime(%q) = %v, %v; want %v UTC", tc.in, got, err, tc.want)
		}
	}
}

func TestParseCustom(t *testing.T) {
	cases := []struct {
		in   string
		want any
		ok   bool
	}{
		{"42", 42.0, true}, {"-1.5", -1.5, true}, {"1e3", 1000.0, true}, {"0", 0.0, true}, {"0.5", 0.5, true},
		{"true", true, true}, {"FALSE", false, true}, {"yes", "yes", true},
		{"02134", "02134", true}, {"NaN", "NaN", true}, {"Inf", "Inf", true}, {"0x10", "0x10", true},
		{"1,000", "1,000", true}, {"  text ", "text", true}, {"", nil, false}, {"   ", nil, false},
	}
	for _, tc := range cases {
		got, ok := parseCustom(tc.in)
		if ok != tc.ok || got != tc.want {
			t.Errorf("parseCustom(%q) = %#v, %v; want %#v, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

func TestParseAmount(t *testing.T) {
	cases := []struct {
		in   string
		want float64
		bad  bool
	}{
		{in: "1200", want: 1200}, {in: "1,200", want: 1200}, {in: "$12,500,000", want: 12.5e6},
		{in: "2.5M", want: 2.5e6}, {in: "10k", want: 1e4}, {in: "51-200", want: 51}, {in: "10,001+", want: 10001},
		{in: "€ 3 000", want: 3000}, {in: "1B", want: 1e9},
		{in: "lots", bad: true}, {in: "", bad: true}, {in: "M", bad: true}, {in: "1.2.3", bad: true},
	}
	for _, tc := range cases {
		got, err := parseAmount(tc.in)
		if tc.bad != (err != nil) || (!tc.bad && got != tc.want) {
			t.Errorf("parseAmount(%q) = %v, %v; want %v (bad=%v)", tc.in, got, err, tc.want, tc.bad)
		}
	}
	if _, err := parseEmployees("-5"); err == nil {
		t.Error("negative head count accepted")
	}
}

func TestRegistrableDomain(t *testing.T) {
	cases := map[string]string{
		"example.com":                       "example.com",
		"mail.example.co.uk":                "example.co.uk",
		"https://www.Example.COM/about?x=1": "example.com",
		"www.example.com:8443":              "example.com",
		"shop.example.com.au.":              "example.com.au",
		"co.uk":                             "",
		"localhost":                         "",
		"192.168.1.1":                       "",
		"":                                  "",
		"not a domain":                      "",
	}
	for in, want := range cases {
		if got := RegistrableDomain(in); got != want {
			t.Errorf("RegistrableDomain(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestNormalizeHeader(t *testing.T) {
	cases := map[string]string{
		"First Name":        "firstname",
		"first_name":        "firstname",
		" FIRST-NAME ":      "firstname",
		"No. of Employees":  "noofemployees",
		"Country/Region":    "country/region",
		"account.Plan Tier": "account.plantier",
	}
	for in, want := range cases {
		if got := normalizeHeader(in); got != want {
			t.Errorf("normalizeHeader(%q) = %q, want %q", in, got, want)
		}
	}
	keys := map[string]string{"Lead Status": "lead_status", "  Marketing emails opened ": "marketing_emails_opened", "NPS (2026)": "nps_2026", "é": "é"}
	for in, want := range keys {
		if got := fieldKey(in); got != want {
			t.Errorf("fieldKey(%q) = %q, want %q", in, got, want)
		}
	}
}
