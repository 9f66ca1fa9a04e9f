package contexttest_test

import (
	"image"
	"image/color"
	"testing"

	"github.com/anyanomaly/anyanomaly/context/contexttest"
)

// TestToYCbCr checks the conversion the other packages' tests build frames
// with: 4:2:0, same rectangle, Y per pixel and chroma the rounded mean of
// each block's converted pixels, on odd sizes and origins.
func TestToYCbCr(t *testing.T) {
	for _, r := range []image.Rectangle{
		image.Rect(0, 0, 8, 6),
		image.Rect(0, 0, 7, 5),
		image.Rect(3, 1, 12, 8),
	} {
		t.Run(r.String(), func(t *testing.T) {
			src := image.NewRGBA(r)
			for y := r.Min.Y; y < r.Max.Y; y++ {
				for x := r.Min.X; x < r.Max.X; x++ {
					src.SetRGBA(x, y, color.RGBA{uint8(x * 37), uint8(y * 53), uint8((x + y) * 11), 255})
				}
			}
			img := contexttest.ToYCbCr(src)
			if img.Rect != r || img.SubsampleRatio != image.YCbCrSubsampleRatio420 {
				t.Fatalf("rectangle %v subsampling %v", img.Rect, img.SubsampleRatio)
			}
			sums := map[int][3]int{}
			for y := r.Min.Y; y < r.Max.Y; y++ {
				for x := r.Min.X; x < r.Max.X; x++ {
					c := src.RGBAAt(x, y)
					yy, cb, cr := color.RGBToYCbCr(c.R, c.G, c.B)
					if got := img.Y[img.YOffset(x, y)]; got != yy {
						t.Errorf("Y(%d,%d) = %d, want %d", x, y, got, yy)
					}
					s := sums[img.COffset(x, y)]
					sums[img.COffset(x, y)] = [3]int{s[0] + int(cb), s[1] + int(cr), s[2] + 1}
				}
			}
			for o, s := range sums {
				cb, cr := (s[0]+s[2]/2)/s[2], (s[1]+s[2]/2)/s[2]
				if int(img.Cb[o]) != cb || int(img.Cr[o]) != cr {
					t.Errorf("chroma %d = %d,%d, want %d,%d", o, img.Cb[o], img.Cr[o], cb, cr)
				}
			}
		})
	}
}

// TestFramesMatchRGBAFrames: Frames is RGBAFrames converted.
func TestFramesMatchRGBAFrames(t *testing.T) {
	sc := contexttest.Scene{W: 33, H: 17, N: 3, Square: 5, Color: color.RGBA{R: 230, A: 255},
		Start: image.Pt(2, 3), Step: image.Pt(4, 1), Noise: 2}
	yc, rgb := sc.Frames(), sc.RGBAFrames()
	if len(yc) != 3 || len(rgb) != 3 {
		t.Fatalf("%d and %d frames", len(yc), len(rgb))
	}
	for i := range yc {
		want := contexttest.ToYCbCr(rgb[i])
		if string(yc[i].Y) != string(want.Y) || string(yc[i].Cb) != string(want.Cb) || string(yc[i].Cr) != string(want.Cr) {
			t.Errorf("frame %d differs from its RGBA rendering", i)
		}
	}
}
