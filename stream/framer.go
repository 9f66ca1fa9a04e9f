package stream

import (
	"fmt"
	"image"
	"time"

	"github.com/anyanomaly/anyanomaly/stream/decode"
	"github.com/anyanomaly/anyanomaly/stream/segment"
)

// framer is the stage shared by every source: decoded picture → sampled →
// scaled YCbCr 4:2:0 frame → segment. It runs on the decoding goroutine.
type framer struct {
	cameraID string
	sampler  sampler
	scaler   *decode.Scaler
	seg      *segment.Segmenter
	n        int
	stride   int
	longSide int
	// pool, when set, supplies the analysis images and takes back those of
	// released segments; held mirrors the segmenter's window.
	pool     *imagePool
	held     []*pooledImage
	alloc    func(w, h int) *image.YCbCr
	analysed int64
	// size is the analysis size of the frames in the window: a segment
	// never mixes sizes (a mid-stream resolution change).
	size image.Point
	// keepSize scales a frame of another size to size instead of
	// dropping the window (offline sources: every frame counts).
	keepSize bool
	// rotation is the clockwise quarter turn applied after scaling (a
	// file's display matrix); scratch holds the picture before it.
	rotation int
	// mirror flips the turned picture left to right (a display matrix
	// that mirrors, as front cameras write).
	mirror  bool
	scratch *image.YCbCr
	// counters
	sampled  int64
	segments int64
	resized  int64
}

// newFramer returns a framer; with recycle its images come from a bounded
// pool and each segment's Release hands them back.
func newFramer(cameraID string, sampleFPS float64, longSide, n, stride int, recycle bool) (*framer, error) {
	if n <= 0 {
		n = DefaultSegmentFrames
	}
	if stride <= 0 {
		stride = n
	}
	seg, err := segment.NewSegmenter(cameraID, n, stride)
	if err != nil {
		return nil, fmt.Errorf("source %s: %w", cameraID, err)
	}
	f := &framer{cameraID: cameraID, sampler: newSampler(sampleFPS), scaler: decode.NewScaler(longSide), seg: seg, n: n, stride: stride,
		longSide: longSide}
	if recycle {
		// One segment's worth of free images refills the window while the
		// consumer holds the previous segment; more would only sit idle.
		f.pool = newImagePool(n)
		f.alloc = f.pool.get
	}
	return f, nil
}

// bandLongSide is the decoder's BandLongSide for this framer: its long
// side when it scales every picture, and 0 (no band scaling) when it
// samples, since scaling every picture early would cost more than it
// saves on the few that are kept.
func (f *framer) bandLongSide() int {
	if f.sampler.interval != 0 {
		return 0
	}
	if f.longSide <= 0 {
		return decode.DefaultLongSide
	}
	return f.longSide
}

// push handles one decoded picture; it returns a completed segment or nil.
func (f *framer) push(p *decode.Picture, sourceIndex int64, pts time.Duration, wall time.Time) (*segment.Segment, error) {
	if !f.sampler.take(pts) {
		return nil, nil
	}
	img, err := f.analysisImage(p)
	if err != nil {
		return nil, fmt.Errorf("source %s: %w", f.cameraID, err)
	}
	if sz := img.Rect.Size(); sz != f.size {
		switch {
		case f.keepSize && f.size != (image.Point{}):
			img = f.resize(img)
		default:
			// The camera changed resolution mid-stream (a new SPS):
			// the context builders refuse a segment of mixed sizes, so
			// the frames before the change are dropped with their
			// window.
			if f.seg.Pending() > 0 {
				f.dropWindow()
			}
			f.size = sz
		}
	}
	fr := segment.Frame{CameraID: f.cameraID, Index: f.analysed, SourceIndex: sourceIndex, PTS: pts, Wall: wall, Image: img}
	f.analysed++
	f.sampled++
	pending := f.seg.Pending()
	s := f.seg.Push(fr)
	if f.pool != nil {
		f.track(img, s, pending)
	}
	if s != nil {
		f.segments++
	}
	return s, nil
}

// track keeps the reference counts of pooled images in step with the
// segmenter: the window holds one reference to each of its frames, and
// every emitted segment one to each of its frames until it is released.
func (f *framer) track(img *image.YCbCr, s *segment.Segment, pending int) {
	r := &pooledImage{img: img, pool: f.pool}
	r.refs.Store(1)
	if s == nil && f.seg.Pending() == pending {
		r.unref() // skipped between segments (Stride > N): never used
		return
	}
	f.held = append(f.held, r)
	if s == nil {
		return
	}
	refs := make([]*pooledImage, len(s.Frames))
	copy(refs, f.held)
	for _, r := range refs {
		r.refs.Add(1)
	}
	s.SetRelease(func() {
		for _, r := range refs {
			r.unref()
		}
	})
	gone := min(f.stride, len(f.held))
	for _, r := range f.held[:gone] {
		r.unref()
	}
	keep := copy(f.held, f.held[gone:])
	clear(f.held[keep:])
	f.held = f.held[:keep]
}

// restart drops the partial window and the sampling schedule (after a
// reconnect: frames on both sides of a gap never share a segment).
func (f *framer) restart() {
	f.dropWindow()
	f.sampler.reset()
}

// dropWindow empties the segmenter's window and releases its images.
func (f *framer) dropWindow() {
	f.seg.Reset()
	for _, r := range f.held {
		r.unref()
	}
	clear(f.held)
	f.held = f.held[:0]
}

func (f *framer) close() { f.scaler.Close() }

// newImage is an analysis image from the pool, or a fresh one.
func (f *framer) newImage(w, h int) *image.YCbCr {
	if f.alloc != nil {
		return f.alloc(w, h)
	}
	return decode.NewImage(w, h)
}

// analysisImage scales p, and turns it upright when the file says so.
func (f *framer) analysisImage(p *decode.Picture) (*image.YCbCr, error) {
	if f.rotation == 0 {
		img, err := f.scaler.Scale(p, f.alloc)
		if err == nil && f.mirror {
			mirrorYCbCr(img)
		}
		return img, err
	}
	src, err := f.scaler.Scale(p, func(w, h int) *image.YCbCr {
		if f.scratch == nil || f.scratch.Rect.Dx() != w || f.scratch.Rect.Dy() != h {
			f.scratch = decode.NewImage(w, h)
		}
		return f.scratch
	})
	if err != nil {
		return nil, err
	}
	img := rotateYCbCr(src, f.rotation, f.newImage)
	if f.mirror {
		// The matrix is the rotation, then the mirror (row vectors:
		// displayed = stored · R · F).
		mirrorYCbCr(img)
	}
	return img, nil
}

// resize scales img to the window's size, handing img back to the pool.
func (f *framer) resize(img *image.YCbCr) *image.YCbCr {
	dst := f.newImage(f.size.X, f.size.Y)
	resizeYCbCr(dst, img)
	// img is left to the garbage collector: keyed by a size that the
	// window never uses, it would sit in the pool for the whole read,
	// one idle image per distinct size.
	f.resized++
	return dst
}
