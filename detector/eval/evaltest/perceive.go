package evaltest

import (
	"fmt"
	"image"
	"image/draw"
	"math"

	"github.com/anyanomaly/anyanomaly/detector/vqa"
)

// MinFraction is the smallest share of the picture an object must cover to
// be recognised: the stand-in's "resolution limit". The car (28×16 in a
// 320×180 frame, 0.78 %) is above it everywhere it is visible; the bicycle
// (12×12, 0.25 %) only once a temporal-context tile enlarges it.
const MinFraction = 0.005

// Perception answers the questions of the detector's prompts about the
// synthetic scenes. It recognises which text and which context a prompt is
// about by comparing it with the prompts the detector sends (variant as
// configured), so it needs no knowledge of their wording.
type Perception struct {
	frame, temporal map[string]string // prompt → text
}

// NewPerception builds the perception for prompts of the given variant
// ("" = the default) about the synthetic dataset's texts.
func NewPerception(variant vqa.Variant) *Perception {
	p := &Perception{frame: map[string]string{}, temporal: map[string]string{}}
	for t := range Types {
		p.frame[vqa.Prompt{Variant: variant}.Text(t)] = t
		p.temporal[vqa.Prompt{Variant: variant, Temporal: true}.Text(t)] = t
	}
	if variant == "" {
		// The detector fills the default variant in explicitly.
		q := NewPerception(vqa.VariantBoth)
		for k, v := range q.frame {
			p.frame[k] = v
		}
		for k, v := range q.temporal {
			p.temporal[k] = v
		}
	}
	return p
}

// Perceive is an ollamatest Options.Perceive function.
func (p *Perception) Perceive(img image.Image, prompt string) (float64, string) {
	t, grid := p.temporal[prompt]
	if !grid {
		var ok bool
		if t, ok = p.frame[prompt]; !ok {
			return 0, "I do not understand the question."
		}
	}
	// One conversion up front keeps the pixel loops cheap (they run for
	// every question, under the race detector in CI).
	rgba := image.NewRGBA(image.Rect(0, 0, img.Bounds().Dx(), img.Bounds().Dy()))
	draw.Draw(rgba, rgba.Rect, img, img.Bounds().Min, draw.Src)
	return perceive(rgba, t, grid)
}

func perceive(img *image.RGBA, text string, grid bool) (float64, string) {
	switch text {
	case "car":
		return recognise(img, isRed, "a red car")
	case "bicycle":
		return recognise(img, isGreen, "a bicycle")
	case "running":
		if !grid {
			if fraction(img, isPerson) > 0 {
				return 0.3, "People are visible, but one picture cannot show whether anyone runs."
			}
			return 0.1, "Nobody is visible."
		}
		d := gridDisplacement(img)
		if d >= runDisplacement {
			return 0.9, fmt.Sprintf("A person moves %.0f px between moments: running.", d)
		}
		return 0.2, fmt.Sprintf("People move at most %.0f px between moments: walking.", d)
	}
	return 0, "Unknown event."
}

// recognise scores 0.05 below MinFraction and 0.6–0.95 above, rising with
// the covered share.
func recognise(img *image.RGBA, is func(r, g, b uint32) bool, what string) (float64, string) {
	f := fraction(img, is)
	if f < MinFraction {
		return 0.05, fmt.Sprintf("Nothing recognisable as %s (%.2f%% of the picture).", what, 100*f)
	}
	return 0.6 + 0.35*min(1, (f-MinFraction)/(3*MinFraction)), fmt.Sprintf("I see %s covering %.2f%% of the picture.", what, 100*f)
}

func isRed(r, g, b uint32) bool   { return r > 150 && g < 100 && b < 100 }
func isGreen(r, g, b uint32) bool { return g > 100 && r < 90 && b < 90 }

// isPerson matches the walkers' light blue, also when the position context
// has dimmed it somewhat.
func isPerson(r, g, b uint32) bool { return b > 110 && b > r+45 && b > g+45 }

func fraction(img *image.RGBA, is func(r, g, b uint32) bool) float64 {
	if img.Rect.Empty() {
		return 0
	}
	n := 0
	for k := 0; k+3 < len(img.Pix); k += 4 {
		if is(uint32(img.Pix[k]), uint32(img.Pix[k+1]), uint32(img.Pix[k+2])) {
			n++
		}
	}
	return float64(n) / float64(img.Rect.Dx()*img.Rect.Dy())
}

// runDisplacement is how far, in tile pixels, a person's centroid must move
// between the grid's moments to count as running. A walker moves 1.5 px of
// the frame between temporal key frames (6 frames apart; ≈ 1–4 tile px), a
// runner 30 px (≈ 25–70 tile px, depending on the window's scale).
const runDisplacement = 18

// minPersonPixels ignores slivers of a person at a tile's edge.
const minPersonPixels = 40

// gridDisplacement returns the largest distance between the person
// centroids of the 2×2 grid's tiles (0 when fewer than two tiles show one).
func gridDisplacement(img *image.RGBA) float64 {
	bb := img.Rect
	tw, th := bb.Dx()/2, bb.Dy()/2
	type c struct{ x, y float64 }
	var cs []c
	for tile := range 4 {
		x0 := bb.Min.X + (tile%2)*tw
		y0 := bb.Min.Y + (tile/2)*th
		var sx, sy float64
		n := 0
		for y := y0; y < y0+th; y++ {
			for x := x0; x < x0+tw; x++ {
				k := img.PixOffset(x, y)
				if isPerson(uint32(img.Pix[k]), uint32(img.Pix[k+1]), uint32(img.Pix[k+2])) {
					sx += float64(x - x0)
					sy += float64(y - y0)
					n++
				}
			}
		}
		if n >= minPersonPixels {
			cs = append(cs, c{sx / float64(n), sy / float64(n)})
		}
	}
	best := 0.0
	for i := range cs {
		for j := i + 1; j < len(cs); j++ {
			best = max(best, math.Hypot(cs[i].x-cs[j].x, cs[i].y-cs[j].y))
		}
	}
	return best
}
