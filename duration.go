package leadscore

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Duration is a span of time written the way marketers think of it: "30d",
// "2w", "12h", "90m", "45s", or combinations such as "1d12h". Days and weeks
// are exact multiples of 24 hours; calendar months are deliberately not
// supported because their length varies and scores must be reproducible.
type Duration time.Duration

const (
	Day  = Duration(24 * time.Hour)
	Week = 7 * Day
)

// ParseDuration parses the forms described on Duration. A bare "0" is zero.
func ParseDuration(s string) (Duration, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, fmt.Errorf("empty duration")
	}
	if s == "0" {
		return 0, nil
	}
	var total time.Duration
	rest := s
	for rest != "" {
		i := 0
		for i < len(rest) && (rest[i] >= '0' && rest[i] <= '9' || rest[i] == '.') {
			i++
		}
		if i == 0 {
			return 0, fmt.Errorf("duration %q: expected a number at %q", s, rest)
		}
		num, err := strconv.ParseFloat(rest[:i], 64)
		if err != nil {
			return 0, fmt.Errorf("duration %q: bad number %q", s, rest[:i])
		}
		rest = rest[i:]
		j := 0
		for j < len(rest) && (rest[j] < '0' || rest[j] > '9') && rest[j] != '.' {
			j++
		}
		unit := rest[:j]
		rest = rest[j:]
		var mult time.Duration
		switch unit {
		case "w":
			mult = time.Duration(Week)
		case "d":
			mult = time.Duration(Day)
		case "h":
			mult = time.Hour
		case "m":
			mult = time.Minute
		case "s":
			mult = time.Second
		case "":
			return 0, fmt.Errorf("duration %q: missing unit (use w, d, h, m or s)", s)
		default:
			return 0, fmt.Errorf("duration %q: unknown unit %q (use w, d, h, m or s)", s, unit)
		}
		part := num * float64(mult)
		if part > float64(1<<62) {
			return 0, fmt.Errorf("duration %q is too long", s)
		}
		total += time.Duration(part)
	}
	if total < 0 {
		return 0, fmt.Errorf("duration %q is negative", s)
	}
	// Windows and delays are never finer than a second; rounding keeps every
	// value printable in the same units it is parsed from.
	return Duration(total.Round(time.Second)), nil
}

// String renders weeks only for two or more whole weeks, and days
// otherwise, so "45d" prints as "45d", "7d" as "7d" and "14d" as "2w".
func (d Duration) String() string {
	if d == 0 {
		return "0"
	}
	var b strings.Builder
	rest := time.Duration(d)
	units := []struct {
		unit string
		size time.Duration
	}{{"d", time.Duration(Day)}, {"h", time.Hour}, {"m", time.Minute}, {"s", time.Second}}
	if rest%time.Duration(Week) == 0 && rest >= 2*time.Duration(Week) {
		units = append(units[:0:0], struct {
			unit string
			size time.Duration
		}{"w", time.Duration(Week)})
	}
	for _, u := range units {
		if n := rest / u.size; n > 0 {
			fmt.Fprintf(&b, "%d%s", n, u.unit)
			rest -= n * u.size
		}
	}
	if rest > 0 || b.Len() == 0 {
		b.WriteString(rest.String())
	}
	return b.String()
}

func (d Duration) Std() time.Duration { return time.Duration(d) }

func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(d.String()) }

func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("duration must be a string such as \"30d\"")
	}
	v, err := ParseDuration(s)
	if err != nil {
		return err
	}
	*d = v
	return nil
}
