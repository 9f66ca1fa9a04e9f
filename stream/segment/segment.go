// Package segment holds the values that leave the ingest side of the
// pipeline: analysed frames and the fixed-size segments they are grouped
// into. It is pure Go so that every consumer (detector, eval, daemon) can
// use it without pulling in the cgo decoder.
package segment

import (
	"image"
	"sync"
	"time"
)

// Frame is one analysed frame: decoded, sampled and scaled to the analysis
// size. The image may come from a pool: once its segment is released
// (Segment.Release) it may be overwritten by a later frame, so whoever keeps
// it beyond that must copy it first.
type Frame struct {
	// CameraID is the id of the source (camera id, or file name offline).
	CameraID string
	// Index counts analysed frames of this source from zero.
	Index int64
	// SourceIndex is the index of this frame among all decoded frames of the
	// source, used offline to map segment scores back to every source frame.
	SourceIndex int64
	// PTS is the presentation time relative to the first frame of the source.
	PTS time.Duration
	// Wall is the wall-clock capture time (RTCP sender reports when present,
	// receive time otherwise; for files, start time plus PTS).
	Wall time.Time
	// Image is the picture at analysis size: full-range YCbCr 4:2:0 (JFIF,
	// as image/color defines it), the decoder's own layout. A camera holds a
	// whole segment of these, and 1.5 bytes per pixel instead of RGBA's 4 is
	// what keeps that affordable; its At method and color.YCbCrToRGB give
	// RGB when needed.
	Image *image.YCbCr
}

// Segment is N consecutive analysed frames of one source.
type Segment struct {
	// CameraID is the id of the source.
	CameraID string
	// Seq numbers the segments of this source from zero.
	Seq uint64
	// Frames are the segment's frames in time order.
	Frames []Frame

	// rel is shared by copies of the Segment value, so releasing any copy
	// releases the images once.
	rel *releaser
}

// releaser runs a producer's release func at most once.
type releaser struct {
	once sync.Once
	fn   func()
}

// SetRelease is for producers: fn hands the segment's images back to the
// pool they came from, and Release calls it at most once. A nil fn makes
// Release a no-op. Call it before the segment is handed to a consumer.
func (s *Segment) SetRelease(fn func()) {
	if fn == nil {
		s.rel = nil
		return
	}
	s.rel = &releaser{fn: fn}
}

// Release tells the producer that the consumer is done with the segment's
// images, so they may be recycled for later frames. It is optional: a
// consumer that never calls it simply owns the images. After Release the
// segment's Frames (their images above all) must not be used, nor any
// image taken from them; copy what must outlive it first. Release is safe
// on a nil segment, on a segment whose producer does not recycle, and when
// called more than once or from several goroutines.
func (s *Segment) Release() {
	if s == nil || s.rel == nil {
		return
	}
	s.rel.once.Do(s.rel.fn)
}

// Start is the wall-clock time of the segment's first frame.
func (s *Segment) Start() time.Time {
	if len(s.Frames) == 0 {
		return time.Time{}
	}
	return s.Frames[0].Wall
}

// End is the wall-clock time of the segment's last frame.
func (s *Segment) End() time.Time {
	if len(s.Frames) == 0 {
		return time.Time{}
	}
	return s.Frames[len(s.Frames)-1].Wall
}

// Images returns the segment's pictures in time order.
func (s *Segment) Images() []*image.YCbCr {
	out := make([]*image.YCbCr, len(s.Frames))
	for i := range s.Frames {
		out[i] = s.Frames[i].Image
	}
	return out
}
