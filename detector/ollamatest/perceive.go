package ollamatest

import (
	"fmt"
	"image"
	"image/color"
)

// FullFraction is the fraction of red pixels at which DefaultPerceive is
// sure: an object covering this much of the picture scores 0.95.
const FullFraction = 0.004

// RedFraction is the fraction of img's pixels whose hue is the scene
// contract's anomaly red: red at least twice green and blue, and not near
// black. Judging hue rather than brightness matters for the position
// context, which darkens everything by its attention map: a model still
// sees a dimmed red object as red.
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
				if redHue(r, g, bl) {
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

// IsRed reports whether c has the scene contract's anomaly red hue.
func IsRed(c color.Color) bool {
	r, g, b, _ := c.RGBA()
	return redHue(uint8(r>>8), uint8(g>>8), uint8(b>>8))
}

func redHue(r, g, b uint8) bool {
	return r > 48 && int(r) > 2*int(g) && int(r) > 2*int(b)
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
