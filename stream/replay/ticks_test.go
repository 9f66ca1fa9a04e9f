package replay

import (
	"testing"
	"time"
)

// TestTicks90k: exact, and still increasing past 28.5 hours, where
// d·90000 overflows int64 and a looping replay's RTP clock once jumped
// back by hours.
func TestTicks90k(t *testing.T) {
	tests := []struct {
		d    time.Duration
		want int64
	}{
		{0, 0},
		{40 * time.Millisecond, 3600},
		{time.Second + time.Microsecond, 90000},
		{29 * time.Hour, 29 * 3600 * 90000},
		{1000*time.Hour + 40*time.Millisecond, 1000*3600*90000 + 3600},
	}
	for _, tc := range tests {
		if got := ticks90k(tc.d); got != tc.want {
			t.Errorf("ticks90k(%v) = %d, want %d", tc.d, got, tc.want)
		}
	}
}
