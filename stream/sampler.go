package stream

import "time"

// sampler picks frames for analysis by timestamp, not by count, so a camera
// whose frame rate wanders still yields frames evenly spaced in time.
type sampler struct {
	interval time.Duration // 0 keeps every frame
	next     time.Duration
	started  bool
}

func newSampler(fps float64) sampler {
	if fps <= 0 {
		return sampler{}
	}
	return sampler{interval: time.Duration(float64(time.Second) / fps)}
}

// take reports whether the frame at pts is analysed.
func (s *sampler) take(pts time.Duration) bool {
	if s.interval == 0 {
		return true
	}
	// Half a millisecond of slack absorbs timestamp rounding (40 ms frames
	// in a 90 kHz clock are not exact).
	const slack = 500 * time.Microsecond
	if !s.started || pts+slack >= s.next || pts < s.next-2*s.interval-time.Second {
		// The last condition catches a timestamp jump backwards (new
		// stream after a reconnect): start over instead of waiting.
		if s.started && pts+slack >= s.next && pts < s.next+s.interval {
			s.next += s.interval
		} else {
			s.next = pts + s.interval
		}
		s.started = true
		return true
	}
	return false
}

// reset forgets the schedule (after a reconnect).
func (s *sampler) reset() { s.started = false }
