package ollamatest

import (
	"fmt"
	"image"
	"image/color"
)

// FullFraction is the fraction of red pixels at which DefaultPerceive is
// sure: an object covering this much of the picture scores 0.95.
const FullFraction = 0.004

// RedFraction is the fraction of img's pixels that are pure-ish red
// (R>150, G<100, B<100 in 8-bit terms).
func RedFraction(img image.Image) float64 {
	b := img.Bounds()
	if b.Empty() {
		return 0
	}
	n := 0
	switch im := img.(type) {
	case *image.YCbCr: // what JPEG decodes to; avoid the per-pixel interface
		for y := b.Min.Y; y < b.Max.Y; y++ {
			for x := b.Min.X; x < b.Max.X; x++ {
				yi, ci := im.YOffset(x, y), im.COffset(x, y)
				r, g, bl := color.YCbCrToRGB(im.Y[yi], im.Cb[ci], im.Cr[ci])
				if r > 150 && g < 100 && bl < 100 {
					n++
				}
			}
		}
	default:
		for y := b.Min.Y; y < b.Max.Y; y++ {
			for x := b.Min.X; x < b.Max.X; x++ {
				if IsRed(img.At(x, y)) {
					n++
				}
			}
		}
	}
	return float64(n) / float64(b.Dx()*b.Dy())
}

// IsRed reports whether c is the scene contract's anomaly red.
func IsRed(c color.Color) bool {
	r, g, b, _ := c.RGBA()
	return r>>8 > 150 && g>>8 < 100 && b>>8 < 100
}

// DefaultPerceive scores 0.05 for a picture without red and rises linearly
// with the red fraction to 0.95 at FullFraction. The prompt is ignored: the
// fake model "sees" only the scripted object.
func DefaultPerceive(img image.Image, _ string) (float64, string) {
	f := RedFraction(img)
	if f == 0 {
		return 0.05, "Nothing unusual is visible in the picture."
	}
	score := 0.05 + 0.9*min(1, f/FullFraction)
	return score, fmt.Sprintf("A red object covers %.2f%% of the picture.", 100*f)
}
