package resample_test

import (
	"image"
	"math"
	"testing"

	"github.com/anyanomaly/anyanomaly/context/resample"
)

func row(vals ...uint8) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, len(vals), 1))
	for i, v := range vals {
		img.Pix[4*i], img.Pix[4*i+1], img.Pix[4*i+2], img.Pix[4*i+3] = v, 255-v, v/2, 255
	}
	return img
}

func TestBilinearHandComputed(t *testing.T) {
	// 2 → 4 pixels: weights 0, 64/256, 192/256, 0 on the second pixel
	// (positions −0.25, 0.25, 0.75, 1.25 clamped): 0, 255·¼ ≈ 64, 255·¾ ≈ 191, 255.
	src := row(0, 255)
	dst := image.NewRGBA(image.Rect(0, 0, 4, 1))
	resample.Bilinear(dst, dst.Rect, src, src.Rect)
	want := []uint8{0, 64, 191, 255}
	for i, w := range want {
		if got := dst.Pix[4*i]; got != w {
			t.Errorf("R[%d] = %d, want %d", i, got, w)
		}
		if got := dst.Pix[4*i+1]; got != 255-w {
			t.Errorf("G[%d] = %d, want %d", i, got, 255-w)
		}
		if dst.Pix[4*i+3] != 255 {
			t.Errorf("alpha[%d] = %d", i, dst.Pix[4*i+3])
		}
	}
	// 4 → 2: positions 0.5 and 2.5, the mean of each pair.
	src = row(0, 100, 200, 250)
	dst = image.NewRGBA(image.Rect(0, 0, 2, 1))
	resample.Bilinear(dst, dst.Rect, src, src.Rect)
	if dst.Pix[0] != 50 || dst.Pix[4] != 225 {
		t.Errorf("4→2: %d %d, want 50 225", dst.Pix[0], dst.Pix[4])
	}
}

func pattern(r image.Rectangle) *image.RGBA {
	img := image.NewRGBA(r)
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			i := img.PixOffset(x, y)
			img.Pix[i] = uint8(x * 7)
			img.Pix[i+1] = uint8(y * 5)
			img.Pix[i+2] = uint8((x ^ y) * 3)
			img.Pix[i+3] = 255
		}
	}
	return img
}

// reference is a float64 implementation of the same convention.
func reference(src *image.RGBA, sr image.Rectangle, ow, oh, ox, oy, c int) float64 {
	pos := func(o, in, out int) (int, int, float64) {
		p := (float64(o)+0.5)*float64(in)/float64(out) - 0.5
		p = math.Max(0, math.Min(p, float64(in-1)))
		lo := int(p)
		return lo, min(lo+1, in-1), p - float64(lo)
	}
	x0, x1, wx := pos(ox, sr.Dx(), ow)
	y0, y1, wy := pos(oy, sr.Dy(), oh)
	at := func(x, y int) float64 { return float64(src.Pix[src.PixOffset(sr.Min.X+x, sr.Min.Y+y)+c]) }
	top := at(x0, y0)*(1-wx) + at(x1, y0)*wx
	bot := at(x0, y1)*(1-wx) + at(x1, y1)*wx
	return top*(1-wy) + bot*wy
}

func TestBilinearMatchesReference(t *testing.T) {
	for _, tc := range []struct {
		name   string
		src    image.Rectangle
		sr     image.Rectangle
		ow, oh int
	}{
		{"down 640x360→224", image.Rect(0, 0, 640, 360), image.Rect(0, 0, 640, 360), 224, 224},
		{"crop up 128x72→112", image.Rect(0, 0, 640, 360), image.Rect(256, 144, 384, 216), 112, 112},
		{"offset bounds", image.Rect(10, 20, 110, 80), image.Rect(30, 25, 90, 70), 33, 17},
		{"identity", image.Rect(0, 0, 31, 9), image.Rect(0, 0, 31, 9), 31, 9},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := pattern(tc.src)
			dst := image.NewRGBA(image.Rect(0, 0, tc.ow+2, tc.oh+2))
			dr := image.Rect(1, 1, 1+tc.ow, 1+tc.oh)
			resample.Bilinear(dst, dr, src, tc.sr)
			worst := 0.0
			for y := 0; y < tc.oh; y++ {
				for x := 0; x < tc.ow; x++ {
					for c := 0; c < 3; c++ {
						got := float64(dst.Pix[dst.PixOffset(1+x, 1+y)+c])
						worst = math.Max(worst, math.Abs(got-reference(src, tc.sr, tc.ow, tc.oh, x, y, c)))
					}
				}
			}
			// 8-bit weights and two rounding steps: within 2 grey levels.
			if worst > 2 {
				t.Errorf("max deviation from float reference %.2f", worst)
			}
			// The border outside dr is untouched.
			if dst.Pix[0] != 0 || dst.Pix[dst.PixOffset(tc.ow+1, tc.oh+1)] != 0 {
				t.Error("drew outside the destination rectangle")
			}
		})
	}
}

func TestBilinearEmpty(t *testing.T) {
	dst := image.NewRGBA(image.Rect(0, 0, 4, 4))
	src := pattern(image.Rect(0, 0, 4, 4))
	resample.Bilinear(dst, image.Rect(10, 10, 20, 20), src, src.Rect)
	resample.Bilinear(dst, dst.Rect, src, image.Rect(5, 5, 9, 9))
	for _, v := range dst.Pix {
		if v != 0 {
			t.Fatal("drew with an empty rectangle")
		}
	}
}

// BenchmarkBilinear is the PC resize: a 640×360 frame to 224×224.
func BenchmarkBilinear(b *testing.B) {
	src := pattern(image.Rect(0, 0, 640, 360))
	dst := image.NewRGBA(image.Rect(0, 0, 224, 224))
	b.ReportAllocs()
	for b.Loop() {
		resample.Bilinear(dst, dst.Rect, src, src.Rect)
	}
}

// TestBilinearOnePixelWide covers a source too narrow for paired loads.
func TestBilinearOnePixelWide(t *testing.T) {
	src := image.NewRGBA(image.Rect(0, 0, 1, 2))
	src.Pix[0], src.Pix[3] = 0, 255
	src.Pix[4], src.Pix[7] = 200, 255
	dst := image.NewRGBA(image.Rect(0, 0, 3, 4))
	resample.Bilinear(dst, dst.Rect, src, src.Rect)
	// Rows: positions −0.25, 0.25, 0.75, 1.25 → 0, 50, 150, 200; every
	// column equal.
	want := []uint8{0, 50, 150, 200}
	for y, w := range want {
		for x := 0; x < 3; x++ {
			if got := dst.RGBAAt(x, y).R; got != w {
				t.Errorf("(%d,%d) = %d, want %d", x, y, got, w)
			}
		}
	}
}
