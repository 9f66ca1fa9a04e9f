// Package grid holds the window geometry and map arithmetic shared by the
// position and temporal context builders (method §5–§6): square windows at
// several scales on a square working copy, bilinear upsampling of a scale's
// score grid and min-max normalisation.
package grid

import (
	"fmt"
	"image"
)

// Scale is one window size and the step between neighbouring windows, in
// working-copy pixels. Stride == Size gives the paper's non-overlapping
// windows; a smaller stride gives overlapping ones.
type Scale struct {
	Size   int `json:"size"`
	Stride int `json:"stride"`
}

// Scales pairs sizes with strides; a nil or empty strides means every
// stride equals its size.
func Scales(sizes, strides []int) ([]Scale, error) {
	if len(sizes) == 0 {
		return nil, fmt.Errorf("grid: no window sizes")
	}
	if len(strides) != 0 && len(strides) != len(sizes) {
		return nil, fmt.Errorf("grid: %d window strides for %d window sizes", len(strides), len(sizes))
	}
	out := make([]Scale, len(sizes))
	for i, s := range sizes {
		out[i] = Scale{Size: s, Stride: s}
		if len(strides) != 0 {
			out[i].Stride = strides[i]
		}
	}
	return out, nil
}

// Validate checks that every scale fits the work×work working copy.
func Validate(work int, scales []Scale) error {
	if work <= 0 {
		return fmt.Errorf("grid: working size %d must be positive", work)
	}
	if len(scales) == 0 {
		return fmt.Errorf("grid: no window scales")
	}
	for i, s := range scales {
		if s.Size <= 0 || s.Size > work {
			return fmt.Errorf("grid: window size %d (scale %d) must be in 1..%d", s.Size, i, work)
		}
		if s.Stride <= 0 {
			return fmt.Errorf("grid: window stride %d (scale %d) must be positive", s.Stride, i)
		}
	}
	return nil
}

// Count is the number of windows per axis of scale s on a work-pixel side:
// windows start at 0, Stride, 2·Stride, … while they fit entirely. Pixels
// left over at the right and bottom edge (when the size does not divide the
// working size) belong to no window, as in the paper.
func (s Scale) Count(work int) int {
	if s.Size > work || s.Stride <= 0 {
		return 0
	}
	return (work-s.Size)/s.Stride + 1
}

// Window is the rectangle of window (col, row) of scale s.
func (s Scale) Window(col, row int) image.Rectangle {
	x, y := col*s.Stride, row*s.Stride
	return image.Rect(x, y, x+s.Size, y+s.Size)
}

// Scores is one scale's score grid, row-major, Cols×Rows values.
type Scores struct {
	Scale  Scale     `json:"scale"`
	Cols   int       `json:"cols"`
	Rows   int       `json:"rows"`
	Values []float64 `json:"values"`
}

// At is the score of window (col, row).
func (g Scores) At(col, row int) float64 { return g.Values[row*g.Cols+col] }

// Taps are the precomputed bilinear weights that map out output samples
// onto n input samples with pixel centres aligned (the half-pixel
// convention of OpenCV's resize and PyTorch's align_corners=false): output
// sample o reads input position (o+0.5)·n/out − 0.5, clamped to the edges.
type Taps struct {
	Lo, Hi []int32
	W      []float32 // weight of Hi; Lo gets 1−W
}

// NewTaps computes the taps for resampling n samples to out samples.
func NewTaps(n, out int) Taps {
	t := Taps{Lo: make([]int32, out), Hi: make([]int32, out), W: make([]float32, out)}
	scale := float64(n) / float64(out)
	for o := 0; o < out; o++ {
		p := (float64(o)+0.5)*scale - 0.5
		if p < 0 {
			p = 0
		}
		if p > float64(n-1) {
			p = float64(n - 1)
		}
		lo := int(p)
		hi := min(lo+1, n-1)
		t.Lo[o], t.Hi[o], t.W[o] = int32(lo), int32(hi), float32(p-float64(lo))
	}
	return t
}

// AddUpsampled adds weight × the bilinear upsampling of the cols×rows grid
// src to the out×out map dst (row-major). tx and ty must be NewTaps(cols,
// out) and NewTaps(rows, out); scratch must hold rows·out values. It works
// separably: each grid row is first upsampled horizontally into scratch,
// then every output row blends two of those.
func AddUpsampled(dst []float32, out int, src []float64, cols int, tx, ty Taps, weight float32, scratch []float32) {
	rows := len(src) / cols
	h := scratch[:rows*out]
	lo, hi, w := tx.Lo[:out], tx.Hi[:out], tx.W[:out]
	for r := 0; r < rows; r++ {
		g := src[r*cols : r*cols+cols]
		hr := h[r*out : r*out+out]
		for x := range hr {
			a := float32(g[lo[x]])
			hr[x] = (a + (float32(g[hi[x]])-a)*w[x]) * weight
		}
	}
	for y := 0; y < out; y++ {
		a := h[int(ty.Lo[y])*out : int(ty.Lo[y])*out+out]
		b := h[int(ty.Hi[y])*out : int(ty.Hi[y])*out+out]
		wy := ty.W[y]
		d := dst[y*out : y*out+out]
		if wy == 0 {
			for x := range d {
				d[x] += a[x]
			}
			continue
		}
		for x := range d {
			d[x] += a[x] + (b[x]-a[x])*wy
		}
	}
}

// Normalize rescales m in place to [0,1] by min-max. A constant map (max −
// min below 1e-6 of the larger magnitude, or exactly 0) carries no
// information about where to look, so it becomes all ones: the key frame is
// then passed through undarkened rather than blacked out. It returns the
// raw minimum and maximum and whether the map was constant.
func Normalize(m []float32) (lo, hi float32, constant bool) {
	if len(m) == 0 {
		return 0, 0, true
	}
	lo, hi = m[0], m[0]
	for _, v := range m {
		if v < lo {
			lo = v
		}
		if v > hi {
			hi = v
		}
	}
	span := hi - lo
	mag := max(abs32(lo), abs32(hi))
	if span <= 0 || span <= 1e-6*mag {
		for i := range m {
			m[i] = 1
		}
		return lo, hi, true
	}
	inv := 1 / span
	for i, v := range m {
		// Clamp: (hi−lo)·(1/(hi−lo)) can round to just above 1.
		m[i] = min((v-lo)*inv, 1)
	}
	return lo, hi, false
}

func abs32(v float32) float32 {
	if v < 0 {
		return -v
	}
	return v
}
