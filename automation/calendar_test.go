package automation

import (
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // the tests name IANA zones; do not depend on the host's copy
)

func mustCalendar(t *testing.T, spec CalendarSpec) *Calendar {
	t.Helper()
	c, err := NewCalendar(spec)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func mustTime(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestDeadline(t *testing.T) {
	berlin := CalendarSpec{Name: "emea", Timezone: "Europe/Berlin", Hours: []string{"09:00-17:00"}, Holidays: []string{"12-25", "12-26", "2026-04-03"}}
	lunch := CalendarSpec{Name: "ny", Timezone: "America/New_York", Hours: []string{"08:00-12:00", "13:00-18:00"}}
	always := CalendarSpec{Name: "24x7", Timezone: "Europe/Berlin", Days: []string{"mon", "tue", "wed", "thu", "fri", "sat", "sun"}, Hours: []string{"00:00-24:00"}}
	night := CalendarSpec{Name: "night", Timezone: "Europe/Berlin", Days: []string{"sun"}, Hours: []string{"01:00-05:00"}}
	weekend := CalendarSpec{Name: "weekend", Timezone: "UTC", Days: []string{"sat", "sunday"}, Hours: []string{"10:00-14:00"}}
	tests := []struct {
		name  string
		cal   CalendarSpec
		start string
		d     time.Duration
		want  string
	}{
		{"within the day", berlin, "2026-11-04T10:00:00+01:00", 4 * time.Hour, "2026-11-04T14:00:00+01:00"},
		{"Friday 16:00 plus 4h is Monday 12:00", berlin, "2026-11-06T16:00:00+01:00", 4 * time.Hour, "2026-11-09T12:00:00+01:00"},
		{"using up a day exactly ends at its close", berlin, "2026-11-06T13:00:00+01:00", 4 * time.Hour, "2026-11-06T17:00:00+01:00"},
		{"a start before opening counts from opening", berlin, "2026-11-04T06:30:00+01:00", 2 * time.Hour, "2026-11-04T11:00:00+01:00"},
		{"a start after closing counts from the next opening", berlin, "2026-11-04T19:00:00+01:00", 30 * time.Minute, "2026-11-05T09:30:00+01:00"},
		{"a start on Saturday counts from Monday", berlin, "2026-11-07T11:00:00+01:00", time.Hour, "2026-11-09T10:00:00+01:00"},
		{"a start given in UTC is read in the calendar's zone", berlin, "2026-11-06T15:00:00Z", 4 * time.Hour, "2026-11-09T12:00:00+01:00"},
		{"annual holidays are skipped", berlin, "2026-12-24T16:00:00+01:00", 2 * time.Hour, "2026-12-28T10:00:00+01:00"},
		{"dated holidays are skipped", berlin, "2026-04-02T16:30:00+02:00", time.Hour, "2026-04-06T09:30:00+02:00"},
		{"several working days", berlin, "2026-11-02T09:00:00+01:00", 20 * time.Hour, "2026-11-04T13:00:00+01:00"},
		{"zero is the start itself", berlin, "2026-11-07T11:00:00+01:00", 0, "2026-11-07T11:00:00+01:00"},
		{"a lunch break does not count", lunch, "2026-11-06T10:00:00-05:00", 4 * time.Hour, "2026-11-06T15:00:00-05:00"},
		{"a start during lunch counts from after it", lunch, "2026-11-06T12:20:00-05:00", time.Hour, "2026-11-06T14:00:00-05:00"},
		// Spring forward in Berlin: 2026-03-29 02:00 becomes 03:00.
		{"working hours after the spring change", berlin, "2026-03-27T16:00:00+01:00", 4 * time.Hour, "2026-03-30T12:00:00+02:00"},
		{"a 24-hour calendar is the clock across spring forward", always, "2026-03-28T23:00:00+01:00", 4 * time.Hour, "2026-03-29T04:00:00+02:00"},
		{"a 24-hour calendar is the clock across fall back", always, "2026-10-24T23:00:00+02:00", 4 * time.Hour, "2026-10-25T02:00:00+01:00"},
		{"hours that contain the spring gap are 3 real hours", night, "2026-03-29T00:00:00+01:00", 3 * time.Hour, "2026-03-29T05:00:00+02:00"},
		{"hours that contain the fall repeat are 5 real hours", night, "2026-10-25T00:00:00+02:00", 5 * time.Hour, "2026-10-25T05:00:00+01:00"},
		// Fall back in New York: 2026-11-01 02:00 EDT becomes 01:00 EST.
		{"working hours across the New York fall change", lunch, "2026-10-30T16:00:00-04:00", 4 * time.Hour, "2026-11-02T10:00:00-05:00"},
		{"a weekend-only calendar", weekend, "2026-11-06T12:00:00Z", 6 * time.Hour, "2026-11-08T12:00:00Z"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := mustCalendar(t, tt.cal)
			start, want := mustTime(t, tt.start), mustTime(t, tt.want)
			got := c.Deadline(start, tt.d)
			if !got.Equal(want) {
				t.Fatalf("Deadline(%s, %s) = %s, want %s", tt.start, tt.d, got.Format(time.RFC3339), tt.want)
			}
			if got.Location() != c.Location() {
				t.Errorf("the deadline is in %s, want the calendar's zone %s", got.Location(), c.Location())
			}
			if back := c.Elapsed(start, got); back != tt.d {
				t.Errorf("Elapsed(start, deadline) = %s, want %s", back, tt.d)
			}
			if got2 := Deadline(start, tt.d, c); !got2.Equal(got) {
				t.Errorf("Deadline and the method disagree: %s and %s", got2, got)
			}
		})
	}
}

func TestNilCalendarIsTheClock(t *testing.T) {
	var c *Calendar
	start := mustTime(t, "2026-11-07T11:00:00+01:00")
	if got := c.Deadline(start, 4*time.Hour); !got.Equal(start.Add(4 * time.Hour)) {
		t.Errorf("nil calendar: %s", got)
	}
	if got := c.Elapsed(start, start.Add(90*time.Minute)); got != 90*time.Minute {
		t.Errorf("nil calendar elapsed: %s", got)
	}
	if c.Name() != "" || c.Location() != time.UTC {
		t.Errorf("nil calendar: name %q, location %s", c.Name(), c.Location())
	}
}

// TestDeadlineElapsedProperty checks over many starts and durations that a
// deadline is never before its start, that its working time is exactly the
// duration, and that it never falls outside working hours unless the
// duration is zero.
func TestDeadlineElapsedProperty(t *testing.T) {
	c := mustCalendar(t, CalendarSpec{Timezone: "Europe/London", Hours: []string{"08:30-12:00", "13:00-17:30"}, Holidays: []string{"12-25"}})
	base := mustTime(t, "2026-03-20T00:00:00Z")
	for i := 0; i < 400; i++ {
		start := base.Add(time.Duration(i) * 97 * time.Minute)
		d := time.Duration(i%37) * 25 * time.Minute
		due := c.Deadline(start, d)
		if due.Before(start) {
			t.Fatalf("start %s + %s: deadline %s is before the start", start, d, due)
		}
		if got := c.Elapsed(start, due); got != d {
			t.Fatalf("start %s + %s: deadline %s holds %s of working time", start, d, due, got)
		}
		if d > 0 && c.Elapsed(due.Add(-time.Minute), due) != time.Minute {
			t.Fatalf("start %s + %s: deadline %s does not end working time", start, d, due)
		}
	}
}

func TestNewCalendarErrors(t *testing.T) {
	tests := []struct {
		name string
		spec CalendarSpec
		want []string
	}{
		{"no timezone", CalendarSpec{}, []string{"timezone: a calendar needs a timezone"}},
		{"unknown timezone", CalendarSpec{Timezone: "Europe/Berln"}, []string{`unknown timezone "Europe/Berln"`}},
		{"Local is not a place", CalendarSpec{Timezone: "Local"}, []string{`unknown timezone "Local"`}},
		{"bad day", CalendarSpec{Timezone: "UTC", Days: []string{"mon", "tuesday", "thurs"}}, []string{`days[2]: unknown day "thurs"`}},
		{"bad hours", CalendarSpec{Timezone: "UTC", Hours: []string{"9-17", "17:00-09:00", "08:00-25:00"}}, []string{
			`hours[0]: expected a time of day`, `hours[1]: "17:00-09:00" ends before it starts`, `hours[2]: expected a time of day such as 09:00 or 17:30, got "25:00"`,
		}},
		{"overlapping hours", CalendarSpec{Timezone: "UTC", Hours: []string{"09:00-13:00", "12:00-17:00"}}, []string{"working hours overlap (09:00-13:00 and 12:00-17:00)"}},
		{"bad holiday", CalendarSpec{Timezone: "UTC", Holidays: []string{"2026-02-30", "christmas"}}, []string{`holidays[0]: expected a date`, `holidays[1]: expected a date`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewCalendar(tt.spec)
			if err == nil {
				t.Fatal("no error")
			}
			ps := asProblems(err)
			if len(ps) != len(tt.want) {
				t.Fatalf("%d problems, want %d: %v", len(ps), len(tt.want), ps)
			}
			for i, w := range tt.want {
				if !strings.Contains(ps[i].Error(), w) {
					t.Errorf("problem %d = %q, want it to contain %q", i, ps[i].Error(), w)
				}
			}
		})
	}
}
