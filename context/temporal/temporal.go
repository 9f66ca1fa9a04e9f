// Package temporal builds the temporal-context (TC) image of method §6: the
// most relevant window of the four temporal key frames, shown as a 2×2 grid
// in time order.
package temporal

import (
	"fmt"
	"image"
	"math"
	"sync"

	"github.com/anyanomaly/anyanomaly/context/grid"
	"github.com/anyanomaly/anyanomaly/context/internal/yuv"
	"github.com/anyanomaly/anyanomaly/context/relevance"
	"github.com/anyanomaly/anyanomaly/context/resample"
)

// Config sets the geometry of the TC image.
type Config struct {
	// WorkSize is the side of the square working copy the windows are cut
	// from (paper: 240).
	WorkSize int
	// Scales are the window scales (paper: 48, 80, 120 px, stride = size).
	Scales []grid.Scale
	// TileSize is the side of each of the four tiles (112); the image is
	// 2·TileSize square.
	TileSize int
}

// Validate reports the first problem with c.
func (c Config) Validate() error {
	if err := grid.Validate(c.WorkSize, c.Scales); err != nil {
		return fmt.Errorf("temporal: %w", err)
	}
	if c.TileSize <= 0 {
		return fmt.Errorf("temporal: tile size %d must be positive", c.TileSize)
	}
	return nil
}

// Result is a TC image with the numbers that explain it. Results come from
// a pool: hand them back with Builder.Release when done.
type Result struct {
	// Image is the 2×2 grid: Frames[0] top-left, [1] top-right, [2]
	// bottom-left, [3] bottom-right.
	Image *image.RGBA
	// Frames are the segment indices of the four tiles, in time order.
	Frames [4]int
	// Scale is the scale of the chosen window, ScaleIndex its index in
	// Config.Scales, Col and Row its position in that scale's grid.
	Scale      grid.Scale
	ScaleIndex int
	Col, Row   int
	// Window is the chosen window in working-copy coordinates.
	Window image.Rectangle
	// Score is the window's score: the highest of CropScores.
	Score float64
	// CropScores are the relevance of the window in each of the four frames.
	CropScores [4]float64
	// Sources are the areas of the original frames the tiles were resampled
	// from (the window mapped back from working-copy coordinates).
	Sources [4]image.Rectangle
}

// Builder builds TC images; it is safe for concurrent use.
type Builder struct {
	cfg  Config
	pool sync.Pool // *Result
}

// NewBuilder checks cfg.
func NewBuilder(cfg Config) (*Builder, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg.Scales = append([]grid.Scale(nil), cfg.Scales...)
	return &Builder{cfg: cfg}, nil
}

// Release hands r's buffers back for reuse; r must not be used afterwards.
func (b *Builder) Release(r *Result) {
	if r != nil {
		b.pool.Put(r)
	}
}

// Build picks the window position (over all scales) whose best crop among
// the four temporal key frames idx is the most relevant, and tiles that
// window of the four frames in time order. On ties the earlier scale, then
// the earlier window in row-major order, wins. frames are 4:2:0 (as
// relevance.CheckFrames accepts); the tiles are converted to RGB while they
// are resampled.
func (b *Builder) Build(seg relevance.Segment, frames []*image.YCbCr, idx [4]int) (*Result, error) {
	for j, i := range idx {
		if i < 0 || i >= len(frames) {
			return nil, fmt.Errorf("temporal: key frame %d index %d out of range [0,%d)", j, i, len(frames))
		}
		if err := yuv.Check(frames[i]); err != nil {
			return nil, fmt.Errorf("temporal: frame %d %w", i, err)
		}
	}
	work := b.cfg.WorkSize
	r, _ := b.pool.Get().(*Result)
	if r == nil {
		t := b.cfg.TileSize
		r = &Result{Image: image.NewRGBA(image.Rect(0, 0, 2*t, 2*t))}
	}
	r.Frames = idx
	first := true
	var crop [4]float64
	for si, s := range b.cfg.Scales {
		n := s.Count(work)
		for row := 0; row < n; row++ {
			for col := 0; col < n; col++ {
				w := s.Window(col, row)
				best := 0.0
				for j, i := range idx {
					crop[j] = seg.Region(i, work, w)
					if math.IsNaN(crop[j]) || math.IsInf(crop[j], 0) {
						// As in position: a NaN would win the first
						// comparison and then never lose one.
						crop[j] = 0
					}
					if j == 0 || crop[j] > best {
						best = crop[j]
					}
				}
				if first || best > r.Score {
					first = false
					r.Score, r.CropScores = best, crop
					r.Scale, r.ScaleIndex, r.Col, r.Row, r.Window = s, si, col, row, w
				}
			}
		}
	}
	t := b.cfg.TileSize
	for j, i := range idx {
		f := frames[i]
		src := mapRect(r.Window, work, f.Bounds())
		r.Sources[j] = src
		dst := image.Rect((j%2)*t, (j/2)*t, (j%2+1)*t, (j/2+1)*t)
		resample.BilinearYCbCr(r.Image, dst, f, src)
	}
	return r, nil
}

// mapRect maps w from work×work working coordinates onto bounds, rounding
// to the nearest pixel. The result is never empty: on frames smaller than
// the working copy a window can shrink below one pixel, and then it keeps
// the one pixel it starts in.
func mapRect(w image.Rectangle, work int, bounds image.Rectangle) image.Rectangle {
	bw, bh := bounds.Dx(), bounds.Dy()
	x0 := min((w.Min.X*bw+work/2)/work, bw-1)
	y0 := min((w.Min.Y*bh+work/2)/work, bh-1)
	x1 := min(max((w.Max.X*bw+work/2)/work, x0+1), bw)
	y1 := min(max((w.Max.Y*bh+work/2)/work, y0+1), bh)
	return image.Rect(x0, y0, x1, y1).Add(bounds.Min)
}
