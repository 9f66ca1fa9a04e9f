package rtsp

import "testing"

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
