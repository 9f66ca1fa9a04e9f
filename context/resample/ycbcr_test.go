package resample_test

import (
	"image"
	"image/color"
	"testing"

	"github.com/anyanomaly/anyanomaly/context/contexttest"
	"github.com/anyanomaly/anyanomaly/context/resample"
)

// toRGBA is the straightforward path BilinearYCbCr stands in for: every
// source pixel through color.YCbCrToRGB.
func toRGBA(src *image.YCbCr) *image.RGBA {
	out := image.NewRGBA(src.Rect)
	for y := src.Rect.Min.Y; y < src.Rect.Max.Y; y++ {
		for x := src.Rect.Min.X; x < src.Rect.Max.X; x++ {
			c := src.YCbCrAt(x, y)
			r, g, b := color.YCbCrToRGB(c.Y, c.Cb, c.Cr)
			out.SetRGBA(x, y, color.RGBA{r, g, b, 255})
		}
	}
	return out
}

// ycbcrTolerance is the largest channel difference allowed from the
// reference: the reference rounds to 8 bits after the conversion and after
// each interpolation pass, BilinearYCbCr only once at the end, which moves
// a value by at most about one level each; on smooth content (no clipping
// between neighbours) that stays within 2.
const ycbcrTolerance = 2

func TestBilinearYCbCrMatchesReference(t *testing.T) {
	for _, tc := range []struct {
		name   string
		src    image.Rectangle
		sr     image.Rectangle
		ow, oh int
	}{
		{"down 640x360→224", image.Rect(0, 0, 640, 360), image.Rect(0, 0, 640, 360), 224, 224},
		{"crop up 128x72→112", image.Rect(0, 0, 640, 360), image.Rect(256, 144, 384, 216), 112, 112},
		{"odd crop of odd frame", image.Rect(0, 0, 203, 117), image.Rect(37, 11, 140, 96), 45, 61},
		{"odd origin", image.Rect(11, 21, 110, 80), image.Rect(13, 22, 91, 79), 33, 17},
		{"odd origin upscaled", image.Rect(7, 5, 30, 20), image.Rect(7, 5, 30, 20), 19, 40},
		{"identity odd size", image.Rect(0, 0, 31, 9), image.Rect(0, 0, 31, 9), 31, 9},
		{"one pixel wide", image.Rect(0, 0, 1, 7), image.Rect(0, 0, 1, 7), 3, 5},
		{"one source pixel", image.Rect(0, 0, 5, 5), image.Rect(3, 3, 4, 4), 4, 4},
		{"clipped source rectangle", image.Rect(0, 0, 64, 48), image.Rect(-10, 40, 30, 90), 20, 20},
		{"wider than the stack buffers", image.Rect(0, 0, 320, 40), image.Rect(0, 0, 320, 40), 300, 20},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := contexttest.ToYCbCr(smooth(tc.src))
			ref := toRGBA(src)
			want := image.NewRGBA(image.Rect(0, 0, tc.ow+2, tc.oh+2))
			got := image.NewRGBA(want.Rect)
			dr := image.Rect(1, 1, 1+tc.ow, 1+tc.oh)
			resample.Bilinear(want, dr, ref, tc.sr)
			resample.BilinearYCbCr(got, dr, src, tc.sr)
			worst := 0
			for i := range got.Pix {
				worst = max(worst, absDiff(got.Pix[i], want.Pix[i]))
			}
			t.Logf("max deviation %d", worst)
			if worst > ycbcrTolerance {
				t.Errorf("max deviation from the reference %d > %d", worst, ycbcrTolerance)
			}
			if tc.ow == tc.sr.Dx() && tc.oh == tc.sr.Dy() && worst != 0 {
				t.Errorf("an unscaled copy deviates by %d; it must be color.YCbCrToRGB exactly", worst)
			}
			if got.Pix[0] != 0 || got.Pix[got.PixOffset(tc.ow+1, tc.oh+1)+3] != 0 {
				t.Error("drew outside the destination rectangle")
			}
		})
	}
}

// TestBilinearYCbCrClipping: on content that leaves the RGB gamut between
// neighbouring pixels (saturated colours next to each other with shared
// chroma), clipping before or after interpolating differs; the result still
// stays within the range the two neighbours' converted values span.
func TestBilinearYCbCrClipping(t *testing.T) {
	rgb := image.NewRGBA(image.Rect(0, 0, 16, 16))
	for y := 0; y < 16; y++ {
		for x := 0; x < 16; x++ {
			c := color.RGBA{255, 0, 0, 255}
			if x%2 == 1 {
				c = color.RGBA{0, 0, 255, 255}
			}
			rgb.SetRGBA(x, y, c)
		}
	}
	src := contexttest.ToYCbCr(rgb)
	ref := toRGBA(src)
	got := image.NewRGBA(image.Rect(0, 0, 32, 32))
	resample.BilinearYCbCr(got, got.Rect, src, src.Rect)
	for y := 0; y < 32; y++ {
		for x := 0; x < 32; x++ {
			// Output pixel x samples source columns around (x−0.5)/2.
			a := ref.RGBAAt(max(0, (x-1)/2), y/2)
			b := ref.RGBAAt(min(15, (x+1)/2), y/2)
			c := got.RGBAAt(x, y)
			for k, v := range [3][3]uint8{{c.R, a.R, b.R}, {c.G, a.G, b.G}, {c.B, a.B, b.B}} {
				if v[0]+1 < min(v[1], v[2]) || v[0] > max(v[1], v[2])+1 {
					t.Fatalf("(%d,%d) channel %d = %d outside [%d,%d]", x, y, k, v[0], min(v[1], v[2]), max(v[1], v[2]))
				}
			}
		}
	}
}

func TestBilinearYCbCrEmpty(t *testing.T) {
	dst := image.NewRGBA(image.Rect(0, 0, 4, 4))
	src := contexttest.ToYCbCr(smooth(image.Rect(0, 0, 4, 4)))
	resample.BilinearYCbCr(dst, image.Rect(10, 10, 20, 20), src, src.Rect)
	resample.BilinearYCbCr(dst, dst.Rect, src, image.Rect(5, 5, 9, 9))
	for _, v := range dst.Pix {
		if v != 0 {
			t.Fatal("drew with an empty rectangle")
		}
	}
}

// smooth is a picture with gradients in every channel and a mid-grey
// checkerboard, the kind of content camera frames have (no saturated
// colour next to its opposite).
func smooth(r image.Rectangle) *image.RGBA {
	img := image.NewRGBA(r)
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			v := 0
			if (x/3+y/3)%2 == 0 {
				v = 40
			}
			img.SetRGBA(x, y, color.RGBA{
				uint8(40 + v + (x*150)/max(1, r.Dx()+r.Min.X) + 10),
				uint8(60 + v/2 + (y*120)/max(1, r.Dy()+r.Min.Y) + 10),
				uint8(30 + v + ((x + y) & 63)), 255})
		}
	}
	return img
}

func absDiff(a, b uint8) int {
	if a > b {
		return int(a - b)
	}
	return int(b - a)
}

// BenchmarkBilinearYCbCr is the PC resize from an analysis frame: a
// 640×360 4:2:0 frame to 224×224 RGBA.
func BenchmarkBilinearYCbCr(b *testing.B) {
	src := contexttest.ToYCbCr(pattern(image.Rect(0, 0, 640, 360)))
	dst := image.NewRGBA(image.Rect(0, 0, 224, 224))
	b.ReportAllocs()
	for b.Loop() {
		resample.BilinearYCbCr(dst, dst.Rect, src, src.Rect)
	}
}
