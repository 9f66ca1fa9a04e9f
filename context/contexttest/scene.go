// Package contexttest makes synthetic segments for tests and benchmarks of
// the context builders and their users: a static textured background with
// one square that moves across it. Production code never imports it.
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

// Frames renders the scene's N frames.
func (s Scene) Frames() []*image.RGBA {
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
