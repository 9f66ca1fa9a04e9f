package stream

import (
	"fmt"
	"time"

	"github.com/anyanomaly/anyanomaly/stream/decode"
	"github.com/anyanomaly/anyanomaly/stream/segment"
)

// framer is the stage shared by every source: decoded picture → sampled →
// scaled RGBA frame → segment. It runs on the decoding goroutine.
type framer struct {
	cameraID string
	sampler  sampler
	scaler   *decode.Scaler
	seg      *segment.Segmenter
	analysed int64
	// counters
	sampled  int64
	segments int64
}

func newFramer(cameraID string, sampleFPS float64, longSide, n, stride int) (*framer, error) {
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
	return &framer{cameraID: cameraID, sampler: newSampler(sampleFPS), scaler: decode.NewScaler(longSide), seg: seg}, nil
}

// push handles one decoded picture; it returns a completed segment or nil.
func (f *framer) push(p *decode.Picture, sourceIndex int64, pts time.Duration, wall time.Time) (*segment.Segment, error) {
	if !f.sampler.take(pts) {
		return nil, nil
	}
	img, err := f.scaler.Scale(p, nil)
	if err != nil {
		return nil, fmt.Errorf("source %s: %w", f.cameraID, err)
	}
	fr := segment.Frame{CameraID: f.cameraID, Index: f.analysed, SourceIndex: sourceIndex, PTS: pts, Wall: wall, Image: img}
	f.analysed++
	f.sampled++
	s := f.seg.Push(fr)
	if s != nil {
		f.segments++
	}
	return s, nil
}

// restart drops the partial window and the sampling schedule (after a
// reconnect: frames on both sides of a gap never share a segment).
func (f *framer) restart() {
	f.seg.Reset()
	f.sampler.reset()
}

func (f *framer) close() { f.scaler.Close() }
