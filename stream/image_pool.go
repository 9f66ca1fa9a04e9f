package stream

import (
	"image"
	"sync"
	"sync/atomic"

	"github.com/anyanomaly/anyanomaly/stream/decode"
)

// imagePool is a bounded free list of analysis images, keyed by size. Only
// images handed back through Segment.Release enter it, and it keeps at most
// max of each size, so a consumer that never releases cannot make it grow;
// its images are then simply garbage collected. Images are not cleared:
// the scaler overwrites every sample of every plane
// (decode.TestScalerMatchesReference fills the destination with stale bytes
// first).
type imagePool struct {
	max int

	mu   sync.Mutex
	free map[image.Point][]*image.YCbCr
	// reused counts images handed out again rather than allocated (tests).
	reused atomic.Int64
}

func newImagePool(max int) *imagePool {
	return &imagePool{max: max, free: map[image.Point][]*image.YCbCr{}}
}

// get returns a w×h image with undefined content.
func (p *imagePool) get(w, h int) *image.YCbCr {
	k := image.Pt(w, h)
	p.mu.Lock()
	if l := p.free[k]; len(l) > 0 {
		img := l[len(l)-1]
		l[len(l)-1] = nil
		p.free[k] = l[:len(l)-1]
		p.mu.Unlock()
		p.reused.Add(1)
		return img
	}
	p.mu.Unlock()
	return decode.NewImage(w, h)
}

// put hands img back; beyond the bound it is left to the garbage collector.
func (p *imagePool) put(img *image.YCbCr) {
	k := img.Rect.Size()
	p.mu.Lock()
	if l := p.free[k]; len(l) < p.max {
		p.free[k] = append(l, img)
	}
	p.mu.Unlock()
}

// size is the number of free images of every size together (tests).
func (p *imagePool) size() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for _, l := range p.free {
		n += len(l)
	}
	return n
}

// pooledImage counts who holds one analysis image: the segmenter's window
// while the frame waits there, and every segment that contains it until
// that segment is released. The image goes back to the pool when the count
// reaches zero. Overlapping segments (Stride < N) share frames, so one
// image may be held by several segments at once.
type pooledImage struct {
	img  *image.YCbCr
	pool *imagePool
	refs atomic.Int32
}

func (r *pooledImage) unref() {
	if r.refs.Add(-1) == 0 {
		r.pool.put(r.img)
	}
}
