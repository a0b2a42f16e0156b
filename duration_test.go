package leadscore

import (
	"testing"
	"time"
)

func TestParseDuration(t *testing.T) {
	cases := []struct {
		in   string
		want time.Duration
		str  string
		err  bool
	}{
		{in: "30d", want: 30 * 24 * time.Hour, str: "30d"},
		{in: "2w", want: 14 * 24 * time.Hour, str: "2w"},
		{in: "45d", want: 45 * 24 * time.Hour, str: "45d"},
		{in: "7d", want: 7 * 24 * time.Hour, str: "7d"},
		{in: "1w", want: 7 * 24 * time.Hour, str: "7d"},
		{in: "1d12h", want: 36 * time.Hour, str: "1d12h"},
		{in: "90m", want: 90 * time.Minute, str: "1h30m"},
		{in: "5s", want: 5 * time.Second, str: "5s"},
		{in: "1.5d", want: 36 * time.Hour, str: "1d12h"},
		{in: "0", want: 0, str: "0"},
		{in: "0.5s", want: time.Second, str: "1s"},
		{in: "0.4s", want: 0, str: "0"},
		{in: "", err: true},
		{in: "30", err: true},
		{in: "30y", err: true},
		{in: "d", err: true},
		{in: "-3d", err: true},
		{in: "99999999999999w", err: true},
	}
	for _, tc := range cases {
		got, err := ParseDuration(tc.in)
		if (err != nil) != tc.err {
			t.Errorf("ParseDuration(%q) error = %v, want error %v", tc.in, err, tc.err)
			continue
		}
		if tc.err {
			continue
		}
		if got.Std() != tc.want || got.String() != tc.str {
			t.Errorf("ParseDuration(%q) = %v (%s), want %v (%s)", tc.in, got.Std(), got, tc.want, tc.str)
		}
	}
}

func FuzzParseDuration(f *testing.F) {
	for _, s := range []string{"30d", "2w", "1d12h", "0", "5s", "1.5h", "x", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDuration(s)
		if err != nil {
			return
		}
		if d < 0 {
			t.Fatalf("negative duration from %q", s)
		}
		back, err := ParseDuration(d.String())
		if err != nil || back != d {
			t.Fatalf("%q -> %v -> %q does not round-trip (%v)", s, d, d.String(), err)
		}
	})
}
