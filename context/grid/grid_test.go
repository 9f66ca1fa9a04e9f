package grid_test

import (
	"image"
	"math"
	"testing"

	"github.com/anyanomaly/anyanomaly/context/grid"
)

func TestScaleGeometry(t *testing.T) {
	for _, tc := range []struct {
		s     grid.Scale
		work  int
		count int
		last  image.Rectangle // window (count-1, count-1)
	}{
		{grid.Scale{Size: 48, Stride: 48}, 240, 5, image.Rect(192, 192, 240, 240)},
		{grid.Scale{Size: 80, Stride: 80}, 240, 3, image.Rect(160, 160, 240, 240)},
		{grid.Scale{Size: 120, Stride: 120}, 240, 2, image.Rect(120, 120, 240, 240)},
		{grid.Scale{Size: 240, Stride: 240}, 240, 1, image.Rect(0, 0, 240, 240)},
		// Overlapping: starts 0, 40, …, 160.
		{grid.Scale{Size: 80, Stride: 40}, 240, 5, image.Rect(160, 160, 240, 240)},
		// 100 does not divide 240: 40 px left over, as in the paper.
		{grid.Scale{Size: 100, Stride: 100}, 240, 2, image.Rect(100, 100, 200, 200)},
		{grid.Scale{Size: 300, Stride: 300}, 240, 0, image.Rectangle{}},
	} {
		if got := tc.s.Count(tc.work); got != tc.count {
			t.Errorf("%+v on %d: count %d, want %d", tc.s, tc.work, got, tc.count)
		}
		if tc.count > 0 {
			if got := tc.s.Window(tc.count-1, tc.count-1); got != tc.last {
				t.Errorf("%+v: last window %v, want %v", tc.s, got, tc.last)
			}
		}
	}
}

func TestScalesAndValidate(t *testing.T) {
	s, err := grid.Scales([]int{48, 80}, nil)
	if err != nil || len(s) != 2 || s[1] != (grid.Scale{Size: 80, Stride: 80}) {
		t.Fatalf("Scales: %v %v", s, err)
	}
	s, err = grid.Scales([]int{48, 80}, []int{24, 40})
	if err != nil || s[0] != (grid.Scale{Size: 48, Stride: 24}) {
		t.Fatalf("Scales with strides: %v %v", s, err)
	}
	for _, tc := range []struct {
		name    string
		sizes   []int
		strides []int
		work    int
	}{
		{"no sizes", nil, nil, 240},
		{"stride count", []int{48, 80}, []int{48}, 240},
		{"zero size", []int{0}, nil, 240},
		{"too big", []int{241}, nil, 240},
		{"zero stride", []int{48}, []int{0}, 240},
		{"zero work", []int{48}, nil, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := grid.Scales(tc.sizes, tc.strides)
			if err == nil {
				err = grid.Validate(tc.work, s)
			}
			if err == nil {
				t.Errorf("accepted sizes %v strides %v work %d", tc.sizes, tc.strides, tc.work)
			}
		})
	}
}

func TestTaps(t *testing.T) {
	// 2 → 4: source positions (o+0.5)/2 − 0.5 = −0.25, 0.25, 0.75, 1.25,
	// clamped to [0, 1].
	tp := grid.NewTaps(2, 4)
	wantLo := []int32{0, 0, 0, 1}
	wantW := []float32{0, 0.25, 0.75, 0}
	for o := range wantLo {
		if tp.Lo[o] != wantLo[o] || math.Abs(float64(tp.W[o]-wantW[o])) > 1e-6 {
			t.Errorf("o=%d: lo %d w %v, want %d %v", o, tp.Lo[o], tp.W[o], wantLo[o], wantW[o])
		}
	}
	// 5 → 224 (the 48-px scale): output 0 and 223 clamp to the end cells,
	// output 112 reads position 112.5·5/224 − 0.5 = 2.01116…
	tp = grid.NewTaps(5, 224)
	if tp.Lo[0] != 0 || tp.W[0] != 0 || tp.Lo[223] != 4 || tp.W[223] != 0 {
		t.Errorf("edges: %d %v %d %v", tp.Lo[0], tp.W[0], tp.Lo[223], tp.W[223])
	}
	if tp.Lo[112] != 2 || math.Abs(float64(tp.W[112])-(112.5*5/224-0.5-2)) > 1e-6 {
		t.Errorf("middle: %d %v", tp.Lo[112], tp.W[112])
	}
}

func TestAddUpsampled(t *testing.T) {
	// 2×2 grid [0 1; 2 3] → 4×4. Per axis the weights are 0, .25, .75, 1
	// (see TestTaps), so value(x, y) = wx + 2·wy.
	w := []float32{0, 0.25, 0.75, 1}
	dst := make([]float32, 16)
	tp := grid.NewTaps(2, 4)
	grid.AddUpsampled(dst, 4, []float64{0, 1, 2, 3}, 2, tp, tp, 1, make([]float32, 8))
	// Adding it again at weight 0.5 gives 1.5× the map.
	grid.AddUpsampled(dst, 4, []float64{0, 1, 2, 3}, 2, tp, tp, 0.5, make([]float32, 8))
	for y := 0; y < 4; y++ {
		for x := 0; x < 4; x++ {
			want := 1.5 * (w[x] + 2*w[y])
			if got := dst[y*4+x]; math.Abs(float64(got-want)) > 1e-6 {
				t.Errorf("(%d,%d) = %v, want %v", x, y, got, want)
			}
		}
	}
}

func TestNormalize(t *testing.T) {
	for _, tc := range []struct {
		name     string
		in, want []float32
		constant bool
	}{
		{"ramp", []float32{2, 4, 6, 3}, []float32{0, 0.5, 1, 0.25}, false},
		{"negative", []float32{-1, 1}, []float32{0, 1}, false},
		{"constant", []float32{5, 5, 5}, []float32{1, 1, 1}, true},
		{"zeros", []float32{0, 0}, []float32{1, 1}, true},
		{"float noise", []float32{1000, 1000.00001}, []float32{1, 1}, true},
		{"empty", nil, nil, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := append([]float32(nil), tc.in...)
			_, _, c := grid.Normalize(m)
			if c != tc.constant {
				t.Errorf("constant = %v, want %v", c, tc.constant)
			}
			for i := range m {
				if math.Abs(float64(m[i]-tc.want[i])) > 1e-6 {
					t.Errorf("%v → %v, want %v", tc.in, m, tc.want)
					break
				}
			}
		})
	}
}
