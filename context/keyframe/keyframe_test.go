package keyframe_test

import (
	"math"
	"testing"

	"github.com/anyanomaly/anyanomaly/context/keyframe"
)

// peak returns n zero scores with a single 1 at k.
func peak(n, k int) []float64 {
	s := make([]float64, n)
	s[k] = 1
	return s
}

func TestSelect(t *testing.T) {
	for _, tc := range []struct {
		name     string
		scores   []float64
		key      int
		temporal [4]int
		group    int
	}{
		// N = 24, g = 6: k mod 6 + {0, 6, 12, 18}.
		{"N24 peak 13", peak(24, 13), 13, [4]int{1, 7, 13, 19}, 6},
		{"N24 peak 0", peak(24, 0), 0, [4]int{0, 6, 12, 18}, 6},
		{"N24 peak 23", peak(24, 23), 23, [4]int{5, 11, 17, 23}, 6},
		{"N24 peak 6", peak(24, 6), 6, [4]int{0, 6, 12, 18}, 6},
		// Ties go to the first maximum.
		{"tie", []float64{0, 3, 1, 3, 0, 0, 3, 0}, 1, [4]int{1, 3, 5, 7}, 2},
		// All equal: frame 0 is the key frame.
		{"flat", make([]float64, 12), 0, [4]int{0, 3, 6, 9}, 3},
		{"N4", peak(4, 2), 2, [4]int{0, 1, 2, 3}, 1},
		// N not divisible by 4, k inside the four groups: unchanged rule.
		{"N10 peak 3", peak(10, 3), 3, [4]int{1, 3, 5, 7}, 2},
		{"N27 peak 20", peak(27, 20), 20, [4]int{2, 8, 14, 20}, 6},
		// k among the leftover frames: groups slide to end at k.
		{"N10 peak 8", peak(10, 8), 8, [4]int{2, 4, 6, 8}, 2},
		{"N10 peak 9", peak(10, 9), 9, [4]int{3, 5, 7, 9}, 2},
		{"N5 peak 4", peak(5, 4), 4, [4]int{1, 2, 3, 4}, 1},
		{"N7 peak 6", peak(7, 6), 6, [4]int{3, 4, 5, 6}, 1},
		{"N27 peak 26", peak(27, 26), 26, [4]int{8, 14, 20, 26}, 6},
		// Negative scores work (a scorer's units are its own).
		{"negative", []float64{-5, -1, -3, -2}, 1, [4]int{0, 1, 2, 3}, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sel, err := keyframe.Select(tc.scores)
			if err != nil {
				t.Fatal(err)
			}
			if sel.Key != tc.key || sel.Temporal != tc.temporal || sel.GroupSize != tc.group {
				t.Errorf("got key %d temporal %v g %d, want %d %v %d", sel.Key, sel.Temporal, sel.GroupSize, tc.key, tc.temporal, tc.group)
			}
			if sel.Offset != tc.temporal[0] {
				t.Errorf("offset %d, want %d", sel.Offset, tc.temporal[0])
			}
		})
	}
}

// TestSelectInvariants checks every (N, k) up to 64 frames: the temporal
// key frames are in range, evenly spaced by g = ⌊N/4⌋ and include k.
func TestSelectInvariants(t *testing.T) {
	for n := keyframe.MinFrames; n <= 64; n++ {
		for k := 0; k < n; k++ {
			sel, err := keyframe.Select(peak(n, k))
			if err != nil {
				t.Fatalf("N=%d k=%d: %v", n, k, err)
			}
			g := n / 4
			found := false
			for j, i := range sel.Temporal {
				if i < 0 || i >= n {
					t.Fatalf("N=%d k=%d: index %d out of range", n, k, i)
				}
				if j > 0 && i-sel.Temporal[j-1] != g {
					t.Fatalf("N=%d k=%d: %v not spaced by %d", n, k, sel.Temporal, g)
				}
				found = found || i == k
			}
			if !found || sel.Key != k {
				t.Fatalf("N=%d k=%d: temporal %v key %d", n, k, sel.Temporal, sel.Key)
			}
		}
	}
}

func TestSelectErrors(t *testing.T) {
	for _, tc := range []struct {
		name   string
		scores []float64
	}{
		{"empty", nil},
		{"N1", []float64{1}},
		{"N3", []float64{1, 2, 3}},
		{"NaN", []float64{1, math.NaN(), 2, 3}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := keyframe.Select(tc.scores); err == nil {
				t.Errorf("Select(%v) succeeded", tc.scores)
			}
		})
	}
}
