package relevance

import (
	"errors"
	"fmt"
	"image"
	"sync"

	"github.com/anyanomaly/anyanomaly/context/internal/yuv"
)

// MotionConfig tunes the motion scorer. The zero value means the defaults.
type MotionConfig struct {
	// GridSize is the long side, in cells, of the reduced grey copy of each
	// frame on which motion is measured (default 80; a 640×360 frame
	// becomes 80×45 cells of 8×8 pixels). Smaller is faster and blurrier.
	GridSize int
	// Samples is how many pixels of each cell are averaged into the cell's
	// grey level (default 4, at most 64; at most the cell's width counts).
	// They are spread evenly along the cell's middle row: one row per cell keeps the memory traffic at a
	// fraction of the frame (the cost of reading whole frames dominates
	// otherwise) while the averaging still damps sensor noise.
	Samples int
}

// DefaultMotionConfig returns the defaults documented on MotionConfig.
func DefaultMotionConfig() MotionConfig {
	return MotionConfig{GridSize: 80, Samples: 4}
}

func (c MotionConfig) withDefaults() MotionConfig {
	d := DefaultMotionConfig()
	if c.GridSize <= 0 {
		c.GridSize = d.GridSize
	}
	if c.Samples <= 0 {
		c.Samples = d.Samples
	}
	c.Samples = min(c.Samples, 64)
	return c
}

// Motion is the default, text-agnostic relevance (method §3): the mean
// absolute grey-level difference between a region of a frame and the same
// region of the segment's background, the background being the per-pixel
// temporal median of the segment's frames. Everything is measured on a
// reduced grey copy of the frames' Y plane (see MotionConfig), so the
// result is in full-range luma levels (0–255).
//
// A Motion is safe for concurrent use; each Prepare works on its own pooled
// buffers.
type Motion struct {
	cfg  MotionConfig
	pool sync.Pool // *motionSegment
}

// NewMotion returns a motion scorer; zero fields of cfg take their defaults.
func NewMotion(cfg MotionConfig) *Motion {
	return &Motion{cfg: cfg.withDefaults()}
}

// Name returns "motion".
func (m *Motion) Name() string { return "motion" }

// TextAgnostic reports true: motion ignores the text.
func (m *Motion) TextAgnostic() bool { return true }

// ErrNoFrames is returned when a segment has no frames.
var ErrNoFrames = errors.New("relevance: no frames")

// Prepare builds the reduced grey copies, the median background and one
// summed-area table of the absolute difference per frame, so that every
// later Frame or Region call costs a handful of operations. text is ignored.
func (m *Motion) Prepare(frames []*image.YCbCr, _ string) (Segment, error) {
	w, h, err := CheckFrames(frames)
	if err != nil {
		return nil, err
	}
	s, _ := m.pool.Get().(*motionSegment)
	if s == nil {
		s = &motionSegment{}
	}
	s.owner = m
	s.prepare(frames, w, h, m.cfg)
	return s, nil
}

// CheckFrames verifies that frames is non-empty, that every frame is a
// non-empty 4:2:0 picture whose planes cover its rectangle, and that all
// frames have the same size, which it returns. The error names the first
// bad frame's index.
func CheckFrames(frames []*image.YCbCr) (w, h int, err error) {
	if len(frames) == 0 {
		return 0, 0, ErrNoFrames
	}
	for i, f := range frames {
		if err := yuv.Check(f); err != nil {
			return 0, 0, fmt.Errorf("relevance: frame %d %w", i, err)
		}
		b := f.Bounds()
		if i == 0 {
			w, h = b.Dx(), b.Dy()
			continue
		}
		if b.Dx() != w || b.Dy() != h {
			return 0, 0, fmt.Errorf("relevance: frame %d is %dx%d, frame 0 is %dx%d", i, b.Dx(), b.Dy(), w, h)
		}
	}
	return w, h, nil
}

// motionSegment is the prepared state of one segment. All buffers are
// reused across Prepare calls through the owner's pool.
type motionSegment struct {
	owner  *Motion
	n      int       // frames
	gw, gh int       // reduced grid size
	grey   []uint8   // n × gw×gh reduced grey frames
	bg     []uint8   // gw×gh median background
	sat    []uint32  // n × (gw+1)×(gh+1) summed-area tables of |grey-bg|
	mean   []float64 // n frame means
	cols   []int     // gw first sampled columns, one per cell column
	rows   []int     // gh sampled rows, one per cell row
	step   int       // distance between a cell's samples
	tmp    []uint8   // median scratch
	words  []uint64  // median network scratch: n × ⌈cells/8⌉ words
}

// gridSize gives the reduced grid for a w×h frame: the long side gets
// size cells (never more than the frame has pixels), the short side keeps
// the aspect ratio.
func gridSize(w, h, size int) (gw, gh int) {
	if w >= h {
		gw = min(size, w)
		gh = max(1, (h*gw+w/2)/w)
		return gw, gh
	}
	gh = min(size, h)
	gw = max(1, (w*gh+h/2)/h)
	return gw, gh
}

// cellStarts returns, per cell, the first of samples pixels spaced step
// apart that sit centred in the cell, and the step. Cells of a length that
// does not divide evenly differ by one pixel; the spacing follows the
// narrower cells, and the last sample never passes the frame's edge.
func cellStarts(dst []int, length, cells, samples int) ([]int, int) {
	step := max(length/cells/samples, 1)
	span := (samples - 1) * step
	dst = dst[:0]
	for c := 0; c < cells; c++ {
		lo := c * length / cells
		hi := (c + 1) * length / cells
		start := lo + (hi-lo-span-1)/2
		start = max(0, min(start, length-1-span))
		dst = append(dst, start)
	}
	return dst, step
}

func grow[T any](b []T, n int) []T {
	if cap(b) < n {
		return make([]T, n)
	}
	return b[:n]
}

func (s *motionSegment) prepare(frames []*image.YCbCr, w, h int, cfg MotionConfig) {
	n := len(frames)
	gw, gh := gridSize(w, h, cfg.GridSize)
	cells := gw * gh
	sp := cfg.Samples
	s.n, s.gw, s.gh = n, gw, gh
	// A cell narrower than Samples pixels averages each of its pixels once.
	sp = max(1, min(sp, w/gw))
	var step int
	s.cols, step = cellStarts(s.cols, w, gw, sp)
	s.step = step
	s.rows, _ = cellStarts(s.rows, h, gh, 1)
	s.grey = grow(s.grey, n*cells)
	s.bg = grow(s.bg, cells)
	s.sat = grow(s.sat, n*(gw+1)*(gh+1))
	s.mean = grow(s.mean, n)
	s.tmp = grow(s.tmp, n)

	for i, f := range frames {
		s.reduce(f, s.grey[i*cells:(i+1)*cells], sp)
	}
	if n <= maxNetworkFrames {
		s.medianNet(cells)
	} else {
		s.median(cells)
	}
	sw := gw + 1
	for i := 0; i < n; i++ {
		g := s.grey[i*cells : (i+1)*cells]
		sat := s.sat[i*sw*(gh+1) : (i+1)*sw*(gh+1)]
		for x := 0; x < sw; x++ {
			sat[x] = 0
		}
		for y := 0; y < gh; y++ {
			prev := sat[y*sw : (y+1)*sw]
			cur := sat[(y+1)*sw : (y+2)*sw]
			gr := g[y*gw : (y+1)*gw]
			br := s.bg[y*gw : (y+1)*gw]
			var run uint32
			cur[0] = 0
			for x := 0; x < gw; x++ {
				d := int32(gr[x]) - int32(br[x])
				if d < 0 {
					d = -d
				}
				run += uint32(d)
				cur[x+1] = prev[x+1] + run
			}
		}
		s.mean[i] = float64(sat[len(sat)-1]) / float64(cells)
	}
}

// reduce writes the reduced grey copy of f into dst, read straight from the
// Y plane: full-range luma is the brightness motion needs, and reading one
// byte per sample keeps the pass at a fraction of the frame's memory.
func (s *motionSegment) reduce(f *image.YCbCr, dst []uint8, sp int) {
	gw := s.gw
	w := f.Rect.Dx()
	cols := s.cols[:gw]
	d := s.step
	span := (sp-1)*d + 1
	for y := 0; y < s.gh; y++ {
		o := s.rows[y] * f.YStride
		row := f.Y[o : o+w]
		out := dst[y*gw : (y+1)*gw]
		if sp == 4 && d == 2 {
			// The default geometry (8-px cells): samples at every other
			// pixel, read with constant offsets.
			for x, c := range cols {
				p := (*[7]byte)(row[c : c+7])
				out[x] = uint8((uint32(p[0]) + uint32(p[2]) + uint32(p[4]) + uint32(p[6]) + 2) >> 2)
			}
			continue
		}
		for x, c := range cols {
			p := row[c : c+span]
			var sum uint32
			for k := 0; k < len(p); k += d {
				sum += uint32(p[k])
			}
			out[x] = uint8((sum + uint32(sp)/2) / uint32(sp))
		}
	}
}

// median fills s.bg with the per-cell temporal median; for an even number
// of frames it is the rounded mean of the two middle values.
func (s *motionSegment) median(cells int) {
	n := s.n
	tmp := s.tmp[:n]
	for c := 0; c < cells; c++ {
		for i := 0; i < n; i++ {
			tmp[i] = s.grey[i*cells+c]
		}
		// Insertion sort: n is small (24 by default) and the values of a
		// static pixel are nearly sorted already.
		for i := 1; i < n; i++ {
			v := tmp[i]
			j := i
			for j > 0 && tmp[j-1] > v {
				tmp[j] = tmp[j-1]
				j--
			}
			tmp[j] = v
		}
		if n%2 == 1 {
			s.bg[c] = tmp[n/2]
		} else {
			s.bg[c] = uint8((uint16(tmp[n/2-1]) + uint16(tmp[n/2]) + 1) / 2)
		}
	}
}

// Frame returns the mean absolute difference of frame i from the
// background over the whole frame; 0 for an index out of range.
func (s *motionSegment) Frame(i int) float64 {
	if i < 0 || i >= s.n {
		return 0
	}
	return s.mean[i]
}

// Region returns the mean absolute difference of frame i from the
// background over r (in size×size working coordinates, clipped to the
// frame); 0 for an index out of range or an empty rectangle. Cell
// boundaries that fall inside r's edges are weighted by the covered
// fraction, which bilinear interpolation of the summed-area table gives
// exactly.
func (s *motionSegment) Region(i int, size int, r image.Rectangle) float64 {
	if i < 0 || i >= s.n || size <= 0 {
		return 0
	}
	r = r.Intersect(image.Rect(0, 0, size, size))
	if r.Empty() {
		return 0
	}
	fx := float64(s.gw) / float64(size)
	fy := float64(s.gh) / float64(size)
	x0, x1 := float64(r.Min.X)*fx, float64(r.Max.X)*fx
	y0, y1 := float64(r.Min.Y)*fy, float64(r.Max.Y)*fy
	sw := s.gw + 1
	sat := s.sat[i*sw*(s.gh+1) : (i+1)*sw*(s.gh+1)]
	sum := s.at(sat, x1, y1) - s.at(sat, x0, y1) - s.at(sat, x1, y0) + s.at(sat, x0, y0)
	return sum / ((x1 - x0) * (y1 - y0))
}

// at samples the summed-area table at a fractional grid position.
func (s *motionSegment) at(sat []uint32, x, y float64) float64 {
	sw := s.gw + 1
	ix, iy := int(x), int(y)
	if ix >= s.gw {
		ix = s.gw - 1
	}
	if iy >= s.gh {
		iy = s.gh - 1
	}
	ax, ay := x-float64(ix), y-float64(iy)
	a := float64(sat[iy*sw+ix])
	b := float64(sat[iy*sw+ix+1])
	c := float64(sat[(iy+1)*sw+ix])
	d := float64(sat[(iy+1)*sw+ix+1])
	top := a + (b-a)*ax
	bot := c + (d-c)*ax
	return top + (bot-top)*ay
}

// Release returns the buffers to the scorer's pool.
func (s *motionSegment) Release() {
	if s.owner == nil {
		return
	}
	o := s.owner
	s.owner = nil
	o.pool.Put(s)
}
