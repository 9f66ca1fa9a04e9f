package rtsp

import (
	"testing"
	"time"
)

func TestUnwrapper(t *testing.T) {
	tests := []struct {
		name string
		in   []uint32
		want []int64
	}{
		{"plain", []uint32{1000, 4600, 8200}, []int64{0, 3600, 7200}},
		{"wrap", []uint32{0xFFFFF000, 0xFFFFFF00, 0x00000100, 0x00001000}, []int64{0, 0xF00, 0x1100, 0x2000}},
		{"backwards (b-frames)", []uint32{9000, 18000, 12000, 27000}, []int64{0, 9000, 3000, 18000}},
		{"wrap backwards", []uint32{0x00000100, 0xFFFFFF00, 0x00000200}, []int64{0, -0x200, 0x100}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var u unwrapper
			for i, ts := range tc.in {
				if got := u.unwrap(ts); got != tc.want[i] {
					t.Fatalf("step %d: got %d, want %d", i, got, tc.want[i])
				}
			}
		})
	}
}

// TestTicksToDuration: exact at every size, and past the 9.2·10⁹ ticks
// (28.5 h at 90 kHz) where ticks·10⁹/rate overflows int64 and a camera's
// PTS once turned negative.
func TestTicksToDuration(t *testing.T) {
	tests := []struct {
		ticks, rate int64
		want        time.Duration
	}{
		{0, 90000, 0},
		{3600, 90000, 40 * time.Millisecond},
		{90000, 90000, time.Second},
		{1, 90000, 11111}, // 11.111 µs, truncated
		{29 * 3600 * 90000, 90000, 29 * time.Hour},
		{1 << 40, 90000, 12216795864177777}, // 3394 h: 2^40·10^9 / 90000, truncated
		{48000 * 100000, 48000, 100000 * time.Second},
	}
	for _, tc := range tests {
		if got := ticksToDuration(tc.ticks, tc.rate); got != tc.want {
			t.Errorf("ticksToDuration(%d, %d) = %v, want %v", tc.ticks, tc.rate, got, tc.want)
		}
	}
}
