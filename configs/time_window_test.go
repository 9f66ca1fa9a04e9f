package configs_test

import (
	"testing"
	"time"

	"github.com/anyanomaly/anyanomaly/configs"
)

func TestTimeWindow(t *testing.T) {
	// 2026-11-30 is a Monday.
	at := func(day int, hm string) time.Time {
		tt, err := time.Parse("2006-01-02 15:04", "2026-11-"+map[bool]string{true: "0", false: ""}[day < 10]+itoa(day)+" "+hm)
		if err != nil {
			t.Fatal(err)
		}
		return tt
	}
	tests := []struct {
		window string
		t      time.Time
		want   bool
	}{
		{"08:00-18:00", at(30, "08:00"), true},
		{"08:00-18:00", at(30, "18:00"), false},
		{"22:00-06:00", at(30, "23:59"), true},
		{"22:00-06:00", at(30, "05:59"), true},
		{"22:00-06:00", at(30, "06:00"), false},
		{"mon-fri 22:00-06:00", at(30, "23:00"), true},  // Monday evening
		{"mon-fri 22:00-06:00", at(30, "03:00"), false}, // Monday morning belongs to Sunday's window
		{"sat,sun 00:00-24:00", at(29, "12:00"), true},  // Sunday
		{"sat,sun 00:00-24:00", at(30, "12:00"), false}, // Monday
		{"fri-mon 10:00-11:00", at(30, "10:30"), true},  // wrapping day range includes Monday
	}
	for _, tt := range tests {
		w, err := configs.ParseTimeWindow(tt.window)
		if err != nil {
			t.Fatalf("%s: %v", tt.window, err)
		}
		if got := w.Contains(tt.t); got != tt.want {
			t.Errorf("%q contains %s = %v, want %v", tt.window, tt.t.Format("Mon 15:04"), got, tt.want)
		}
	}
	for _, bad := range []string{"", "8-18", "25:00-06:00", "08:00-08:00", "xyz 08:00-09:00", "08:00-24:01", "24:00-06:00", "mon 08:00 09:00"} {
		if _, err := configs.ParseTimeWindow(bad); err == nil {
			t.Errorf("ParseTimeWindow(%q) accepted", bad)
		}
	}
	if !configs.ActiveAt(nil, time.Now(), nil) {
		t.Errorf("no windows must mean always active")
	}
}

func itoa(i int) string { return string(rune('0'+i/10)) + string(rune('0'+i%10)) }
