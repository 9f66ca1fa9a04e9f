package segment

import "fmt"

// Segmenter cuts a stream of analysed frames into segments of N frames,
// starting a new segment every Stride frames. Stride == N gives back-to-back
// segments; Stride < N gives sliding windows that share frames (the shared
// images are not copied, so consumers must treat them as read-only).
// A Segmenter is not safe for concurrent use.
type Segmenter struct {
	cameraID string
	n        int
	stride   int
	window   []Frame
	// skip counts frames still to discard before the next window may start
	// (only when Stride > N, i.e. gaps between segments).
	skip int
	seq  uint64
}

// NewSegmenter returns a Segmenter for segments of n frames every stride
// frames. It fails on n < 1 or stride < 1.
func NewSegmenter(cameraID string, n, stride int) (*Segmenter, error) {
	if n < 1 {
		return nil, fmt.Errorf("segment: frames per segment must be >= 1, got %d", n)
	}
	if stride < 1 {
		return nil, fmt.Errorf("segment: stride must be >= 1, got %d", stride)
	}
	return &Segmenter{cameraID: cameraID, n: n, stride: stride, window: make([]Frame, 0, n)}, nil
}

// Push adds one frame and returns a completed segment, or nil when the
// current window is not full yet.
func (s *Segmenter) Push(f Frame) *Segment {
	if s.skip > 0 {
		s.skip--
		return nil
	}
	s.window = append(s.window, f)
	if len(s.window) < s.n {
		return nil
	}
	seg := &Segment{CameraID: s.cameraID, Seq: s.seq, Frames: make([]Frame, s.n)}
	copy(seg.Frames, s.window)
	s.seq++
	if s.stride >= s.n {
		s.window = s.window[:0]
		s.skip = s.stride - s.n
	} else {
		keep := copy(s.window, s.window[s.stride:])
		clear(s.window[keep:])
		s.window = s.window[:keep]
	}
	return seg
}

// Reset drops the partial window (after a reconnect the frames before the
// gap must not share a segment with the frames after it). Sequence numbers
// keep counting.
func (s *Segmenter) Reset() {
	clear(s.window)
	s.window = s.window[:0]
	s.skip = 0
}

// Pending is the number of frames held in the current, incomplete window.
func (s *Segmenter) Pending() int { return len(s.window) }
