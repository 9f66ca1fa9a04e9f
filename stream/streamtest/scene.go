// Package streamtest is test support for the ingest pipeline and its users:
// synthetic scenes with a scripted anomaly, clips encoded by the ffmpeg CLI
// at test time, numbered JPEG frame folders, and an in-process RTSP replay
// server. Production code never imports it.
package streamtest

import (
	"image"
	"image/color"
	"math"
	"math/rand/v2"
)

// Anomaly is the scripted object: a solid pure red (255,0,0) disc or square
// visible during [Start, End) seconds. No other pixel of the scene is ever
// red-dominant (R>150 with G<100 and B<100).
type Anomaly struct {
	// Start and End bound the visible interval, in seconds.
	Start, End float64
	// X and Y are the centre as fractions of width and height.
	X, Y float64
	// Size is the object's diameter as a fraction of the short side.
	Size float64
	// Moving makes the object drift right and down during its interval.
	Moving bool
	// Square draws a square instead of a disc.
	Square bool
}

// ClipSpec describes a synthetic clip.
type ClipSpec struct {
	Width, Height, FPS int
	Seconds            float64
	// Codec is "h264" (default) or "h265".
	Codec string
	// Container is "mp4" (default), "mkv" or "raw" (annex-b .264/.265).
	Container string
	// GOP is the key frame interval in frames (0 = FPS).
	GOP int
	// BFrames is the number of B-frames (0 = none, like most cameras).
	BFrames int
	// Seed varies the texture and the moving shapes.
	Seed    int64
	Anomaly *Anomaly
}

// RedDominant reports whether c counts as the anomaly colour by the
// package's contract: R>150 with G<100 and B<100.
func RedDominant(r, g, b uint8) bool { return r > 150 && g < 100 && b < 100 }

func (s ClipSpec) withDefaults() ClipSpec {
	if s.Width <= 0 {
		s.Width = 320
	}
	if s.Height <= 0 {
		s.Height = 240
	}
	if s.FPS <= 0 {
		s.FPS = 25
	}
	if s.Seconds <= 0 {
		s.Seconds = 2
	}
	if s.Codec == "" {
		s.Codec = "h264"
	}
	if s.Container == "" {
		s.Container = "mp4"
	}
	if s.GOP <= 0 {
		s.GOP = s.FPS
	}
	return s
}

// Frames is the number of frames of the clip.
func (s ClipSpec) Frames() int {
	s = s.withDefaults()
	return int(math.Round(s.Seconds * float64(s.FPS)))
}

// AnomalyVisible reports whether the anomaly is drawn in frame i.
func (s ClipSpec) AnomalyVisible(i int) bool {
	s = s.withDefaults()
	if s.Anomaly == nil {
		return false
	}
	t := float64(i) / float64(s.FPS)
	return t >= s.Anomaly.Start && t < s.Anomaly.End
}

type shape struct {
	col          color.RGBA
	x, y, vx, vy float64 // fractions and fractions per second
	r            float64 // radius as fraction of short side
	square       bool
}

// Colours of the normal scene: blue, white and cyan, never red-dominant.
var shapeColours = []color.RGBA{{40, 80, 220, 255}, {235, 235, 235, 255}, {40, 220, 220, 255}}

func shapes(seed int64) []shape {
	rng := rand.New(rand.NewPCG(uint64(seed), 0x5eed))
	out := make([]shape, 3)
	for i := range out {
		out[i] = shape{
			col: shapeColours[i%len(shapeColours)],
			x:   0.2 + 0.6*rng.Float64(), y: 0.2 + 0.6*rng.Float64(),
			vx: (0.1 + 0.15*rng.Float64()) * sign(rng), vy: (0.05 + 0.1*rng.Float64()) * sign(rng),
			r: 0.05 + 0.04*rng.Float64(), square: i == 1,
		}
	}
	return out
}

func sign(r *rand.Rand) float64 {
	if r.IntN(2) == 0 {
		return -1
	}
	return 1
}

// bounce folds a linear motion into [lo, hi].
func bounce(p, lo, hi float64) float64 {
	span := hi - lo
	p = math.Mod(p-lo, 2*span)
	if p < 0 {
		p += 2 * span
	}
	if p > span {
		p = 2*span - p
	}
	return lo + p
}

// Background draws the static textured greenish-grey background.
func Background(spec ClipSpec) *image.RGBA {
	spec = spec.withDefaults()
	img := image.NewRGBA(image.Rect(0, 0, spec.Width, spec.Height))
	rng := rand.New(rand.NewPCG(uint64(spec.Seed), 0xb6))
	// Low-frequency texture: a few soft blobs of slightly different tone
	// plus mild per-pixel noise; R stays well under 150 everywhere.
	type blob struct{ x, y, r, d float64 }
	blobs := make([]blob, 8)
	for i := range blobs {
		blobs[i] = blob{rng.Float64() * float64(spec.Width), rng.Float64() * float64(spec.Height),
			float64(min(spec.Width, spec.Height)) * (0.1 + 0.2*rng.Float64()), 30 * (rng.Float64() - 0.5)}
	}
	for y := 0; y < spec.Height; y++ {
		for x := 0; x < spec.Width; x++ {
			d := 0.0
			for _, b := range blobs {
				dx, dy := float64(x)-b.x, float64(y)-b.y
				if q := (dx*dx + dy*dy) / (b.r * b.r); q < 1 {
					d += b.d * (1 - q)
				}
			}
			// Checker-like fine texture gives the encoder something real.
			if (x/8+y/8)%2 == 0 {
				d += 6
			}
			d += float64(rng.IntN(7)) - 3
			o := img.PixOffset(x, y)
			img.Pix[o+0] = clamp(105 + d)
			img.Pix[o+1] = clamp(128 + d)
			img.Pix[o+2] = clamp(108 + d)
			img.Pix[o+3] = 255
		}
	}
	return img
}

func clamp(v float64) uint8 {
	return uint8(math.Max(0, math.Min(140, math.Round(v))))
}

// DrawFrame draws frame i of the scene.
func DrawFrame(spec ClipSpec, i int) *image.RGBA {
	spec = spec.withDefaults()
	img := Background(spec)
	drawOn(img, spec, shapes(spec.Seed), i)
	return img
}

func drawOn(img *image.RGBA, spec ClipSpec, shs []shape, i int) {
	t := float64(i) / float64(spec.FPS)
	short := float64(min(spec.Width, spec.Height))
	for _, s := range shs {
		cx := bounce(s.x+s.vx*t, s.r, 1-s.r) * float64(spec.Width)
		cy := bounce(s.y+s.vy*t, s.r, 1-s.r) * float64(spec.Height)
		fill(img, cx, cy, s.r*short, s.square, s.col)
	}
	if a := spec.Anomaly; a != nil && t >= a.Start && t < a.End {
		x, y := a.X, a.Y
		if a.Moving && a.End > a.Start {
			f := (t - a.Start) / (a.End - a.Start)
			x, y = x+0.15*f, y+0.05*f
		}
		fill(img, x*float64(spec.Width), y*float64(spec.Height), a.Size*short/2, a.Square, color.RGBA{255, 0, 0, 255})
	}
}

func fill(img *image.RGBA, cx, cy, r float64, square bool, c color.RGBA) {
	b := img.Bounds()
	x0, x1 := max(b.Min.X, int(cx-r)), min(b.Max.X, int(cx+r)+1)
	y0, y1 := max(b.Min.Y, int(cy-r)), min(b.Max.Y, int(cy+r)+1)
	for y := y0; y < y1; y++ {
		for x := x0; x < x1; x++ {
			dx, dy := float64(x)+0.5-cx, float64(y)+0.5-cy
			if !square && dx*dx+dy*dy > r*r {
				continue
			}
			o := img.PixOffset(x, y)
			img.Pix[o], img.Pix[o+1], img.Pix[o+2], img.Pix[o+3] = c.R, c.G, c.B, 255
		}
	}
}

// RedFraction returns the fraction of img's pixels that are red-dominant.
// It takes RGBA scenes and the pipeline's YCbCr frames alike (any image,
// through the standard colour conversion).
func RedFraction(img image.Image) float64 {
	b := img.Bounds()
	n := 0
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			if RedDominant(uint8(r>>8), uint8(g>>8), uint8(bl>>8)) {
				n++
			}
		}
	}
	return float64(n) / float64(max(1, b.Dx()*b.Dy()))
}
