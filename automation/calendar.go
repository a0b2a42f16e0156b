package automation

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/leadscore/leadscore"
	"github.com/leadscore/leadscore/internal/yamlfile"
)

// CalendarSpec is a business-hours calendar as written in a routing file.
type CalendarSpec struct {
	Name string `json:"name"`
	// Timezone is an IANA name such as Europe/Berlin; the working hours
	// are local time there, so deadlines follow daylight saving.
	Timezone string `json:"timezone"`
	// Days are the working days (mon..sun); default Monday to Friday.
	Days []string `json:"days,omitempty"`
	// Hours are the working hours of a working day, such as "09:00-17:00",
	// or several spans for a lunch break; default 09:00-17:00. "24:00"
	// ends a span at midnight.
	Hours []string `json:"hours,omitempty"`
	// Holidays are dates (2026-12-24) or dates every year (12-25) on
	// which nobody works.
	Holidays []string `json:"holidays,omitempty"`
}

// Calendar counts working time. A nil *Calendar is the plain clock: every
// hour counts.
type Calendar struct {
	name   string
	loc    *time.Location
	days   [7]bool
	spans  []span
	dates  map[civil]bool
	annual map[civil]bool // year zero
}

// span is a working period of a day, in minutes since midnight.
type span struct{ from, to int }

type civil struct {
	y int
	m time.Month
	d int
}

func dayNames() []string { return []string{"mon", "tue", "wed", "thu", "fri", "sat", "sun"} }

// parseWeekday reads mon or monday, in any case.
func parseWeekday(s string) (time.Weekday, error) {
	w := strings.ToLower(strings.TrimSpace(s))
	for i := time.Sunday; i <= time.Saturday; i++ {
		long := strings.ToLower(i.String())
		if w == long || w == long[:3] {
			return i, nil
		}
	}
	msg := fmt.Sprintf("unknown day %q (use %s)", s, yamlfile.OrList(dayNames()))
	if sg := yamlfile.Suggest(s, dayNames()); sg != "" {
		msg += fmt.Sprintf("; did you mean %q?", sg)
	}
	return 0, fmt.Errorf("%s", msg)
}

// parseClock reads HH:MM (24-hour); 24:00 is the end of the day.
func parseClock(s string) (int, error) {
	h, m, ok := strings.Cut(strings.TrimSpace(s), ":")
	hh, err1 := strconv.Atoi(h)
	mm, err2 := strconv.Atoi(m)
	if !ok || err1 != nil || err2 != nil || len(m) != 2 || hh < 0 || mm < 0 || mm > 59 || hh > 24 || (hh == 24 && mm != 0) {
		return 0, fmt.Errorf("expected a time of day such as 09:00 or 17:30, got %q", s)
	}
	return hh*60 + mm, nil
}

// parseSpan reads "09:00-17:00".
func parseSpan(s string) (span, error) {
	a, b, ok := strings.Cut(s, "-")
	if !ok {
		return span{}, fmt.Errorf("expected working hours such as 09:00-17:00, got %q", s)
	}
	from, err := parseClock(a)
	if err != nil {
		return span{}, err
	}
	to, err := parseClock(b)
	if err != nil {
		return span{}, err
	}
	if to <= from {
		return span{}, fmt.Errorf("%q ends before it starts (hours that run past midnight are written as two spans on their days)", s)
	}
	return span{from, to}, nil
}

// parseHoliday reads 2026-12-24 (that day) or 12-25 (that day every year).
func parseHoliday(s string) (civil, bool, error) {
	s = strings.TrimSpace(s)
	if t, err := time.Parse("2006-01-02", s); err == nil {
		return civil{t.Year(), t.Month(), t.Day()}, false, nil
	}
	if t, err := time.Parse("01-02", s); err == nil {
		return civil{0, t.Month(), t.Day()}, true, nil
	}
	return civil{}, false, fmt.Errorf("expected a date such as 2026-12-24, or 12-25 for every year, got %q", s)
}

// NewCalendar checks a specification and builds the calendar. Every problem
// is reported, as leadscore.Problems with the offending field.
func NewCalendar(spec CalendarSpec) (*Calendar, error) {
	var probs leadscore.Problems
	bad := func(field, format string, args ...any) {
		probs = append(probs, leadscore.Invalid(field, format, args...))
	}
	c := &Calendar{name: spec.Name, dates: map[civil]bool{}, annual: map[civil]bool{}}
	if strings.TrimSpace(spec.Timezone) == "" {
		bad("timezone", "a calendar needs a timezone such as Europe/Berlin or UTC")
	} else if loc, err := time.LoadLocation(spec.Timezone); err != nil || strings.EqualFold(spec.Timezone, "local") {
		bad("timezone", "unknown timezone %q (use an IANA name such as Europe/Berlin, America/New_York or UTC)", spec.Timezone)
	} else {
		c.loc = loc
	}
	days := spec.Days
	if len(days) == 0 {
		days = []string{"mon", "tue", "wed", "thu", "fri"}
	}
	for i, d := range days {
		wd, err := parseWeekday(d)
		if err != nil {
			bad(fmt.Sprintf("days[%d]", i), "%v", err)
			continue
		}
		c.days[wd] = true
	}
	hours := spec.Hours
	if len(hours) == 0 {
		hours = []string{"09:00-17:00"}
	}
	for i, h := range hours {
		sp, err := parseSpan(h)
		if err != nil {
			bad(fmt.Sprintf("hours[%d]", i), "%v", err)
			continue
		}
		c.spans = append(c.spans, sp)
	}
	slices.SortFunc(c.spans, func(a, b span) int { return a.from - b.from })
	for i := 1; i < len(c.spans); i++ {
		if c.spans[i].from < c.spans[i-1].to {
			bad("hours", "working hours overlap (%s and %s)", c.spans[i-1], c.spans[i])
		}
	}
	for i, h := range spec.Holidays {
		d, every, err := parseHoliday(h)
		if err != nil {
			bad(fmt.Sprintf("holidays[%d]", i), "%v", err)
			continue
		}
		if every {
			c.annual[d] = true
		} else {
			c.dates[d] = true
		}
	}
	if len(probs) > 0 {
		return nil, probs
	}
	return c, nil
}

func (s span) String() string {
	return fmt.Sprintf("%02d:%02d-%02d:%02d", s.from/60, s.from%60, s.to/60, s.to%60)
}

// Name is the calendar's name in the routing file.
func (c *Calendar) Name() string {
	if c == nil {
		return ""
	}
	return c.name
}

// Location is the calendar's timezone; UTC for the plain clock.
func (c *Calendar) Location() *time.Location {
	if c == nil {
		return time.UTC
	}
	return c.loc
}

// working reports whether a local date is a working day.
func (c *Calendar) working(y int, m time.Month, d int) bool {
	// Noon never falls in a daylight-saving gap, unlike midnight in some
	// zones, so it gives the weekday of the civil date reliably.
	noon := time.Date(y, m, d, 12, 0, 0, 0, c.loc)
	y, m, d = noon.Date()
	return c.days[noon.Weekday()] && !c.dates[civil{y, m, d}] && !c.annual[civil{0, m, d}]
}

// maxCalendarDays bounds the walk of Deadline and Elapsed. A valid calendar
// has working time every week, so the bound is only reached by durations
// far beyond any follow-up deadline.
const maxCalendarDays = 20 * 366

// intervals calls fn with the working intervals of the local days from the
// one holding start onwards, in order, until fn returns false.
func (c *Calendar) intervals(start time.Time, fn func(open, close time.Time) bool) {
	y, m, d := start.In(c.loc).Date()
	for i := 0; i < maxCalendarDays; i++ {
		if !c.working(y, m, d+i) {
			continue
		}
		for _, sp := range c.spans {
			// time.Date normalises both the day overflow and times that
			// fall in a daylight-saving gap, so a span is always real
			// elapsed time: 09:00-17:00 is 8 hours even on the night the
			// clocks change, and 00:00-24:00 is 23 or 25 hours then.
			open := time.Date(y, m, d+i, sp.from/60, sp.from%60, 0, 0, c.loc)
			close := time.Date(y, m, d+i, sp.to/60, sp.to%60, 0, 0, c.loc)
			if !fn(open, close) {
				return
			}
		}
	}
}

// Deadline is the instant when d of working time has passed since start:
// 4h from Friday 16:00 with hours 09:00-17:00 is Monday 12:00. A deadline
// that uses up a working period exactly ends at its close (Friday 17:00),
// not at the next opening. A nil calendar counts every hour. The result is
// in the calendar's timezone; zero only when a calendar could never
// provide that much working time.
func (c *Calendar) Deadline(start time.Time, d time.Duration) time.Time {
	if c == nil {
		return start.Add(max(d, 0))
	}
	if d <= 0 {
		return start.In(c.loc)
	}
	var due time.Time
	remaining := d
	c.intervals(start, func(open, close time.Time) bool {
		if !close.After(start) {
			return true
		}
		if open.Before(start) {
			open = start
		}
		if avail := close.Sub(open); avail < remaining {
			remaining -= avail
			return true
		}
		due = open.Add(remaining).In(c.loc)
		return false
	})
	return due
}

// Deadline is c.Deadline(start, d), for callers that read better with the
// calendar last.
func Deadline(start time.Time, d time.Duration, c *Calendar) time.Time { return c.Deadline(start, d) }

// Elapsed is the working time between from and to (zero when to is not
// after from), the inverse of Deadline: how long a lead really waited.
func (c *Calendar) Elapsed(from, to time.Time) time.Duration {
	if !to.After(from) {
		return 0
	}
	if c == nil {
		return to.Sub(from)
	}
	var total time.Duration
	c.intervals(from, func(open, close time.Time) bool {
		if !open.Before(to) {
			return false
		}
		if !close.After(from) {
			return true
		}
		if open.Before(from) {
			open = from
		}
		if close.After(to) {
			close = to
		}
		total += close.Sub(open)
		return true
	})
	return total
}
