package ingest

import (
	"fmt"
	"math"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	"golang.org/x/net/publicsuffix"
)

// timeLayouts are the textual forms ParseTime accepts, most common first.
// Forms without a zone are read as UTC: exports from HubSpot and most CRMs
// write UTC without saying so, and a local-time guess would make the same
// file score differently on two machines.
var timeLayouts = [...]string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02 15:04",
	"2006-01-02T15:04",
	"2006-01-02",
}

// ParseTime reads a timestamp as written in exports and event streams:
// RFC 3339, a date, "2006-01-02 15:04[:05]" (UTC), or unix seconds or
// milliseconds (a number above 1e11 is taken as milliseconds, since 1e11
// seconds is in the year 5138).
func ParseTime(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, fmt.Errorf("empty time")
	}
	if isUnixNumber(s) {
		// Integers are converted exactly; going through a float would turn
		// 1790000000123 ms into ...122.999 ms.
		if i, err := strconv.ParseInt(s, 10, 64); err == nil {
			return unixInt(i)
		}
		n, err := strconv.ParseFloat(s, 64)
		if err != nil || math.IsInf(n, 0) || math.IsNaN(n) {
			return time.Time{}, fmt.Errorf("cannot read %q as a time", s)
		}
		return unixTime(n)
	}
	for _, layout := range timeLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("cannot read %q as a time (use RFC 3339, 2006-01-02, 2006-01-02 15:04:05 or unix seconds)", s)
}

// unixTime converts unix seconds or milliseconds. Times beyond year 9999 are
// rejected because they cannot be written back as RFC 3339.
func unixTime(n float64) (time.Time, error) {
	if math.Abs(n) > 1e11 {
		n /= 1000
	}
	if n < -62135596800 || n > 253402300799 {
		return time.Time{}, fmt.Errorf("unix time %g is out of range", n)
	}
	sec, frac := math.Modf(n)
	return time.Unix(int64(sec), int64(math.Round(frac*1e9))).UTC(), nil
}

func unixInt(n int64) (time.Time, error) {
	if n > 1e11 || n < -1e11 {
		if n < -62135596800000 || n > 253402300799000 {
			return time.Time{}, fmt.Errorf("unix time %d is out of range", n)
		}
		return time.UnixMilli(n).UTC(), nil
	}
	return time.Unix(n, 0).UTC(), nil
}

func isUnixNumber(s string) bool {
	if s[0] == '-' {
		s = s[1:]
	}
	if s == "" {
		return false
	}
	dot := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
		case c == '.' && !dot && i > 0:
			dot = true
		default:
			return false
		}
	}
	return true
}

// parseCustom turns a cell of a custom column into a number, a bool or a
// string. Numbers with a leading zero ("02134", a ZIP code) stay strings,
// because reading them as numbers would lose the zero.
func parseCustom(s string) (any, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, false
	}
	switch strings.ToLower(s) {
	case "true":
		return true, true
	case "false":
		return false, true
	}
	if looksNumeric(s) {
		if f, err := strconv.ParseFloat(s, 64); err == nil && !math.IsInf(f, 0) {
			return f, true
		}
	}
	return s, true
}

// looksNumeric accepts plain decimal numbers only: ParseFloat alone would
// also take "Inf", "NaN" and hexadecimal forms that are words in a CRM.
func looksNumeric(s string) bool {
	i := 0
	if s[0] == '-' || s[0] == '+' {
		i = 1
	}
	digits := 0
	start := i
	for ; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			digits++
		case c == '.' || c == 'e' || c == 'E' || ((c == '-' || c == '+') && (s[i-1] == 'e' || s[i-1] == 'E')):
		default:
			return false
		}
	}
	if digits == 0 {
		return false
	}
	// A leading zero followed by another digit is an identifier.
	if len(s)-start > 1 && s[start] == '0' && s[start+1] >= '0' && s[start+1] <= '9' {
		return false
	}
	return true
}

// parseBool reads the many ways CRMs write a checkbox.
func parseBool(s string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "true", "yes", "y", "1", "x", "on":
		return true, nil
	case "false", "no", "n", "0", "", "off":
		return false, nil
	}
	return false, fmt.Errorf("cannot read %q as yes/no (use true/false, yes/no or 1/0)", s)
}

// parseAmount reads money and head counts as exported by CRMs: currency
// signs, thousands separators, spaces and k/m/b suffixes are allowed
// ("$1,200,000", "1.2M", "10k"). A range ("51-200", "10,001+") is read as
// its lower bound, which keeps a rule such as employees >= 50 truthful.
func parseAmount(s string) (float64, error) {
	orig := s
	s = strings.TrimSpace(s)
	s = strings.TrimLeft(s, "$€£¥ ")
	s = strings.TrimRight(s, "+ ")
	if i := strings.Index(s[min(1, len(s)):], "-"); i >= 0 {
		s = strings.TrimSpace(s[:i+1])
	}
	s = dropSeparators(s)
	mult := 1.0
	if n := len(s); n > 0 {
		switch s[n-1] {
		case 'k', 'K':
			mult, s = 1e3, s[:n-1]
		case 'm', 'M':
			mult, s = 1e6, s[:n-1]
		case 'b', 'B':
			mult, s = 1e9, s[:n-1]
		}
	}
	if s == "" || !looksNumeric(strings.TrimLeft(s, "0")+"0") {
		return 0, fmt.Errorf("cannot read %q as a number", orig)
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return 0, fmt.Errorf("cannot read %q as a number", orig)
	}
	return f * mult, nil
}

// dropSeparators removes thousands separators and spaces.
func dropSeparators(s string) string {
	if !strings.ContainsAny(s, ", _") {
		return s
	}
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if c := s[i]; c != ',' && c != ' ' && c != '_' {
			b = append(b, c)
		}
	}
	return string(b)
}

func parseEmployees(s string) (int64, error) {
	f, err := parseAmount(s)
	if err != nil {
		return 0, err
	}
	if f < 0 || f > 1e9 {
		return 0, fmt.Errorf("employee count %q is out of range", s)
	}
	return int64(math.Round(f)), nil
}

// hostOf extracts the host name from a domain or URL cell: "acme.com",
// "https://www.Acme.com/about" and "www.acme.com:443" all give a host.
func hostOf(s string) string {
	s = strings.TrimSpace(strings.ToLower(s))
	if s == "" {
		return ""
	}
	if !strings.Contains(s, "://") {
		s = "http://" + s
	}
	u, err := url.Parse(s)
	if err != nil {
		return ""
	}
	h := strings.TrimSuffix(u.Hostname(), ".")
	if h == "" || !strings.Contains(h, ".") || net.ParseIP(h) != nil {
		return ""
	}
	return h
}

// RegistrableDomain returns the domain a company owns for a host name or
// URL: the public suffix plus one label, so mail.example.co.uk and
// www.example.co.uk both give example.co.uk. It returns "" when there is no
// such domain (an IP address, a bare suffix, garbage).
func RegistrableDomain(hostOrURL string) string {
	h := hostOf(hostOrURL)
	if h == "" {
		return ""
	}
	d, err := publicsuffix.EffectiveTLDPlusOne(h)
	if err != nil {
		return ""
	}
	return d
}

// NormalizeEmail is the form of an address used as an identity key.
func NormalizeEmail(s string) string { return strings.ToLower(strings.TrimSpace(s)) }
