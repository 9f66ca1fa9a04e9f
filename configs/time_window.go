package configs

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// TimeWindow is one entry of a rule's active hours: "22:00-06:00" (every
// day) or "mon-fri 08:00-18:00" or "sat,sun 00:00-24:00". A window that
// ends before it starts runs past midnight and belongs to the day it
// starts on.
type TimeWindow struct {
	// Days is a bit set over time.Weekday (bit 0 = Sunday); 0 means every
	// day.
	Days uint8
	// Start and End are minutes after midnight; End may be 1440 (24:00).
	Start, End int
	raw        string
}

var weekdays = map[string]time.Weekday{
	"sun": time.Sunday, "mon": time.Monday, "tue": time.Tuesday, "wed": time.Wednesday,
	"thu": time.Thursday, "fri": time.Friday, "sat": time.Saturday,
}

// ParseTimeWindow reads the active-hours syntax.
func ParseTimeWindow(s string) (TimeWindow, error) {
	w := TimeWindow{raw: s}
	fields := strings.Fields(s)
	var hours string
	switch len(fields) {
	case 1:
		hours = fields[0]
	case 2:
		days, err := parseDays(fields[0])
		if err != nil {
			return w, fmt.Errorf("invalid active hours %q: %w", s, err)
		}
		w.Days, hours = days, fields[1]
	default:
		return w, fmt.Errorf("invalid active hours %q: want \"HH:MM-HH:MM\" or \"DAYS HH:MM-HH:MM\" (e.g. \"mon-fri 22:00-06:00\")", s)
	}
	from, to, ok := strings.Cut(hours, "-")
	if !ok {
		return w, fmt.Errorf("invalid active hours %q: want HH:MM-HH:MM", s)
	}
	var err error
	if w.Start, err = parseClock(from, false); err != nil {
		return w, fmt.Errorf("invalid active hours %q: %w", s, err)
	}
	if w.End, err = parseClock(to, true); err != nil {
		return w, fmt.Errorf("invalid active hours %q: %w", s, err)
	}
	if w.Start == w.End {
		return w, fmt.Errorf("invalid active hours %q: empty window (for a whole day write 00:00-24:00)", s)
	}
	return w, nil
}

func parseClock(s string, allow24 bool) (int, error) {
	h, m, ok := strings.Cut(s, ":")
	if !ok || len(h) == 0 || len(h) > 2 || len(m) != 2 {
		return 0, fmt.Errorf("%q is not a time of day HH:MM", s)
	}
	hh, err1 := strconv.Atoi(h)
	mm, err2 := strconv.Atoi(m)
	if err1 != nil || err2 != nil || hh < 0 || mm < 0 || mm > 59 || hh > 24 || (hh == 24 && (mm != 0 || !allow24)) {
		return 0, fmt.Errorf("%q is not a time of day HH:MM", s)
	}
	return hh*60 + mm, nil
}

func parseDays(s string) (uint8, error) {
	var set uint8
	for _, part := range strings.Split(strings.ToLower(s), ",") {
		from, to, isRange := strings.Cut(part, "-")
		a, ok := weekdays[from]
		if !ok {
			return 0, fmt.Errorf("unknown day %q (use mon, tue, wed, thu, fri, sat, sun)", from)
		}
		if !isRange {
			set |= 1 << a
			continue
		}
		b, ok := weekdays[to]
		if !ok {
			return 0, fmt.Errorf("unknown day %q (use mon, tue, wed, thu, fri, sat, sun)", to)
		}
		// Ranges may wrap over the week end ("fri-mon").
		for d := a; ; d = (d + 1) % 7 {
			set |= 1 << d
			if d == b {
				break
			}
		}
	}
	return set, nil
}

func (w TimeWindow) onDay(d time.Weekday) bool { return w.Days == 0 || w.Days&(1<<d) != 0 }

// Contains reports whether t (already in the configured zone) falls in the
// window.
func (w TimeWindow) Contains(t time.Time) bool {
	m := t.Hour()*60 + t.Minute()
	if w.Start < w.End {
		return w.onDay(t.Weekday()) && m >= w.Start && m < w.End
	}
	// Past midnight: the evening part on a listed day, the morning part
	// on the day after one.
	yesterday := (t.Weekday() + 6) % 7
	return (w.onDay(t.Weekday()) && m >= w.Start) || (w.onDay(yesterday) && m < w.End)
}

// String returns the window as written.
func (w TimeWindow) String() string { return w.raw }

// UnmarshalYAML parses the window syntax.
func (w *TimeWindow) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return typeError(n, "want active hours such as \"22:00-06:00\" or \"mon-fri 08:00-18:00\"")
	}
	v, err := ParseTimeWindow(n.Value)
	if err != nil {
		return typeError(n, err.Error())
	}
	*w = v
	return nil
}

// MarshalYAML writes the window as written.
func (w TimeWindow) MarshalYAML() (any, error) { return w.raw, nil }

// MarshalJSON writes the window as written.
func (w TimeWindow) MarshalJSON() ([]byte, error) { return json.Marshal(w.raw) }

// ActiveAt reports whether a rule with these active hours is active at t,
// converted to loc; no windows means always active.
func ActiveAt(windows []TimeWindow, t time.Time, loc *time.Location) bool {
	if len(windows) == 0 {
		return true
	}
	if loc != nil {
		t = t.In(loc)
	}
	for _, w := range windows {
		if w.Contains(t) {
			return true
		}
	}
	return false
}
