// Package contexttest makes synthetic segments for tests and benchmarks of
// the context builders and their users: a static textured background with
// one square that moves across it, rendered as 4:2:0 YCbCr frames. Production
// code never imports it.
package contexttest

import (
	"image"
	"image/color"
	"math/rand/v2"
)

// Scene describes a synthetic segment.
type Scene struct {
	// W and H are the frame size (e.g. 640×360).
	W, H int
	// N is the number of frames.
	N int
	// Square is the side of the moving square in pixels; 0 means no square
	// (a static scene).
	Square int
	// Color is the square's colour.
	Color color.RGBA
	// Start is the square's top-left corner in frame 0 and Step its motion
	// per frame, in pixels.
	Start, Step image.Point
	// Visible, when non-nil, says per frame index whether the square is
	// drawn; nil draws it in every frame.
	Visible func(i int) bool
	// Noise adds per-pixel, per-frame pseudo-random noise of up to ±Noise
	// grey levels, like a camera sensor (deterministic: seeded by the frame
	// index). 0 renders clean frames.
	Noise int
}

// Background returns the static texture every frame starts from: a
// checkerboard of 16-px cells in two mid greys with a mild diagonal
// gradient, so that no two windows look alike and nothing in it is close to
// a saturated colour.
func Background(w, h int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			v := 90 + (x+y)*40/(w+h)
			if (x/16+y/16)%2 == 0 {
				v += 30
			}
			i := img.PixOffset(x, y)
			img.Pix[i+0] = uint8(v)
			img.Pix[i+1] = uint8(v)
			img.Pix[i+2] = uint8(v + 10)
			img.Pix[i+3] = 255
		}
	}
	return img
}

// SquareAt is the square's rectangle in frame i (not clipped to the frame).
func (s Scene) SquareAt(i int) image.Rectangle {
	p := s.Start.Add(s.Step.Mul(i))
	return image.Rect(p.X, p.Y, p.X+s.Square, p.Y+s.Square)
}

// Frames renders the scene's N frames as the analysis frames the context
// builders take: 4:2:0 YCbCr (see ToYCbCr).
func (s Scene) Frames() []*image.YCbCr {
	rgb := s.RGBAFrames()
	out := make([]*image.YCbCr, len(rgb))
	for i, f := range rgb {
		out[i] = ToYCbCr(f)
	}
	return out
}

// RGBAFrames renders the scene's N frames in RGBA, before the conversion
// Frames applies.
func (s Scene) RGBAFrames() []*image.RGBA {
	bg := Background(s.W, s.H)
	out := make([]*image.RGBA, s.N)
	for i := range out {
		f := image.NewRGBA(bg.Rect)
		copy(f.Pix, bg.Pix)
		if s.Square > 0 && (s.Visible == nil || s.Visible(i)) {
			Fill(f, s.SquareAt(i), s.Color)
		}
		if s.Noise > 0 {
			addNoise(f, s.Noise, uint64(i))
		}
		out[i] = f
	}
	return out
}

// addNoise perturbs every colour channel by up to ±amp, clamping at 0 and
// 255.
func addNoise(img *image.RGBA, amp int, seed uint64) {
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	span := 2*amp + 1
	for i := 0; i < len(img.Pix); i += 4 {
		for c := 0; c < 3; c++ {
			v := int(img.Pix[i+c]) + rng.IntN(span) - amp
			img.Pix[i+c] = uint8(max(0, min(255, v)))
		}
	}
}

// ToYCbCr converts img into a new 4:2:0 picture with the same rectangle,
// full-range as color.RGBToYCbCr defines it: Y per pixel, Cb and Cr the
// rounded average of the converted chroma of the pixels of each 2×2 block
// (fewer at odd edges). This is what a decoder hands the analysis for a
// camera frame of that content. img's origin must not be negative:
// image.YCbCr's chroma offsets do not line up there.
func ToYCbCr(img *image.RGBA) *image.YCbCr {
	r := img.Rect
	out := image.NewYCbCr(r, image.YCbCrSubsampleRatio420)
	sumCb := make([]int, len(out.Cb))
	sumCr := make([]int, len(out.Cr))
	count := make([]int, len(out.Cb))
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			c := img.RGBAAt(x, y)
			yy, cb, cr := color.RGBToYCbCr(c.R, c.G, c.B)
			out.Y[out.YOffset(x, y)] = yy
			ci := out.COffset(x, y)
			sumCb[ci] += int(cb)
			sumCr[ci] += int(cr)
			count[ci]++
		}
	}
	for i, n := range count {
		if n > 0 {
			out.Cb[i] = uint8((sumCb[i] + n/2) / n)
			out.Cr[i] = uint8((sumCr[i] + n/2) / n)
		}
	}
	return out
}

// Fill paints r (clipped to img) with c.
func Fill(img *image.RGBA, r image.Rectangle, c color.RGBA) {
	r = r.Intersect(img.Rect)
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			i := img.PixOffset(x, y)
			img.Pix[i+0], img.Pix[i+1], img.Pix[i+2], img.Pix[i+3] = c.R, c.G, c.B, c.A
		}
	}
}
