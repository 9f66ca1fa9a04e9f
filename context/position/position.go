// Package position builds the position-context (PC) image of method §5: the
// key frame with irrelevant areas darkened by a multi-scale window
// attention map.
package position

import (
	"encoding/binary"
	"fmt"
	"image"
	"math"
	"sync"

	"github.com/anyanomaly/anyanomaly/context/grid"
	"github.com/anyanomaly/anyanomaly/context/internal/yuv"
	"github.com/anyanomaly/anyanomaly/context/relevance"
	"github.com/anyanomaly/anyanomaly/context/resample"
)

// Config sets the geometry of the PC image.
type Config struct {
	// WorkSize is the side of the square working copy the windows are cut
	// from (paper: 240).
	WorkSize int
	// Scales are the window scales (paper: 48, 80, 120 px, stride = size).
	Scales []grid.Scale
	// OutSize is the side of the PC image and of the attention map (224).
	OutSize int
}

// Validate reports the first problem with c.
func (c Config) Validate() error {
	if err := grid.Validate(c.WorkSize, c.Scales); err != nil {
		return fmt.Errorf("position: %w", err)
	}
	if c.OutSize <= 0 {
		return fmt.Errorf("position: output size %d must be positive", c.OutSize)
	}
	return nil
}

// Result is a PC image with the numbers that explain it. Results come from
// a pool: hand them back with Builder.Release when done.
type Result struct {
	// Image is the OutSize×OutSize key frame multiplied by Attention.
	Image *image.RGBA
	// Attention is the OutSize×OutSize map (row-major) in [0,1].
	Attention []float32
	// Grids are the per-scale window scores, in Config.Scales order.
	Grids []grid.Scores
	// RawMin and RawMax are the averaged map's range before normalisation,
	// in the scorer's units.
	RawMin, RawMax float32
	// Constant is true when the averaged map was flat, in which case
	// Attention is all ones and Image is the plain resized key frame.
	Constant bool

	scratch []float32 // horizontally upsampled grid rows
}

// Builder builds PC images; it is safe for concurrent use.
type Builder struct {
	cfg  Config
	taps []grid.Taps // per scale: the same taps serve rows and columns
	pool sync.Pool   // *Result
}

// NewBuilder checks cfg and precomputes the upsampling taps.
func NewBuilder(cfg Config) (*Builder, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg.Scales = append([]grid.Scale(nil), cfg.Scales...)
	b := &Builder{cfg: cfg}
	for _, s := range cfg.Scales {
		b.taps = append(b.taps, grid.NewTaps(s.Count(cfg.WorkSize), cfg.OutSize))
	}
	return b, nil
}

func (b *Builder) get() *Result {
	if r, ok := b.pool.Get().(*Result); ok {
		return r
	}
	out := b.cfg.OutSize
	r := &Result{
		Image:     image.NewRGBA(image.Rect(0, 0, out, out)),
		Attention: make([]float32, out*out),
		Grids:     make([]grid.Scores, len(b.cfg.Scales)),
	}
	rows := 0
	for i, s := range b.cfg.Scales {
		n := s.Count(b.cfg.WorkSize)
		r.Grids[i] = grid.Scores{Scale: s, Cols: n, Rows: n, Values: make([]float64, n*n)}
		rows = max(rows, n)
	}
	r.scratch = make([]float32, rows*out)
	return r
}

// Release hands r's buffers back for reuse; r must not be used afterwards.
func (b *Builder) Release(r *Result) {
	if r != nil {
		b.pool.Put(r)
	}
}

// Build makes the PC image of frame key of seg; frame is that frame's
// picture (4:2:0, as relevance.CheckFrames accepts). The PC image is RGB:
// the frame is converted while it is resized.
func (b *Builder) Build(seg relevance.Segment, key int, frame *image.YCbCr) (*Result, error) {
	if err := yuv.Check(frame); err != nil {
		return nil, fmt.Errorf("position: key frame %d %w", key, err)
	}
	r := b.get()
	work, out := b.cfg.WorkSize, b.cfg.OutSize
	att := r.Attention
	clear(att)
	weight := 1 / float32(len(b.cfg.Scales))
	for i := range r.Grids {
		g := &r.Grids[i]
		for row := 0; row < g.Rows; row++ {
			for col := 0; col < g.Cols; col++ {
				v := seg.Region(key, work, g.Scale.Window(col, row))
				if math.IsNaN(v) || math.IsInf(v, 0) {
					v = 0 // a scorer's bad value must not poison the whole map
				}
				// The map is float32: a finite score beyond its range would
				// become ±Inf there and Inf−Inf a NaN map.
				v = max(-maxScore, min(v, maxScore))
				g.Values[row*g.Cols+col] = v
			}
		}
		grid.AddUpsampled(att, out, g.Values, g.Cols, b.taps[i], b.taps[i], weight, r.scratch)
	}
	r.RawMin, r.RawMax, r.Constant = grid.Normalize(att)

	resample.BilinearYCbCr(r.Image, r.Image.Rect, frame, frame.Bounds())
	if !r.Constant {
		applyMap(r.Image, att)
	}
	return r, nil
}

// maxScore bounds window scores so that sums and differences of up to a
// few of them stay finite in float32.
const maxScore = math.MaxFloat32 / 16

// applyMap multiplies the colour channels of img (out×out, tightly packed
// as NewRGBA makes it) by the map, leaving alpha as it is. The map value is
// rounded to 1/256 and applied to two channels per multiplication (R,B and
// G,A packed in 16-bit lanes); the result is within one level of exact.
func applyMap(img *image.RGBA, att []float32) {
	pix := img.Pix[:len(att)*4]
	for i, a := range att {
		p := (*[4]byte)(pix[i*4 : i*4+4])
		v := binary.LittleEndian.Uint32(p[:])
		w := uint32(a*256 + 0.5)
		rb := ((v&0x00FF00FF)*w + 0x00800080) >> 8 & 0x00FF00FF
		g := ((v>>8&0xFF)*w + 0x80) >> 8 & 0xFF
		binary.LittleEndian.PutUint32(p[:], rb|g<<8|v&0xFF000000)
	}
}
