package stream_test

import (
	"net/url"
	"testing"
	"time"

	"github.com/anyanomaly/anyanomaly/stream"
	"github.com/anyanomaly/anyanomaly/stream/replay"
	"github.com/anyanomaly/anyanomaly/stream/segment"
	"github.com/anyanomaly/anyanomaly/stream/streamtest"
)

// TestCameraClockAcrossSwitchAndReconnect: a camera an hour behind sends
// its first RTCP sender report after 10 s; until then frames carry
// receive times.
//   - Frames on both clocks must not share a segment: such a segment
//     starts on one clock and ends on the other (an hour before it starts).
//   - After a reconnect, the new session's frames before its own first
//     report keep the camera's clock as last measured: they once went back
//     to receive times, a jump of an hour forward and back at every
//     reconnect.
//   - When the camera's clock was set right while it was away, the new
//     session's first report is still a change of clock: no segment spans
//     it.
func TestCameraClockAcrossSwitchAndReconnect(t *testing.T) {
	clip := streamtest.GenerateClip(t, streamtest.ClipSpec{Width: 160, Height: 120, FPS: 10, Seconds: 2, GOP: 10})
	rep := streamtest.NewReplay(t, clip, streamtest.Loop(), streamtest.TCPOnly(), streamtest.ClockOffset(-time.Hour))
	cam := stream.NewCamera(stream.CameraConfig{ID: "c1", URL: rep.URL(), Transport: "tcp", SegmentFrames: 8, Stride: 8, LongSide: 160, SampleFPS: 10,
		BackoffMin: 100 * time.Millisecond, BackoffMax: 200 * time.Millisecond},
		stream.Deps{Logger: testLogger(t)})
	stop := runCamera(t, cam)
	defer stop()
	behind := func(w time.Time) bool { return time.Since(w) > 30*time.Minute }
	deadline := time.After(60 * time.Second)
	next := func() *segment.Segment {
		t.Helper()
		select {
		case s := <-cam.Segments():
			if behind(s.Start()) != behind(s.End()) {
				t.Fatalf("segment %d mixes clocks: starts %v, ends %v", s.Seq, s.Start(), s.End())
			}
			return s
		case <-deadline:
			t.Fatal("no segment in time")
			return nil
		}
	}
	for s := next(); !behind(s.End()); s = next() {
		s.Release()
	}

	// A reconnect must not bring receive times back (the new session's
	// first report comes 10 s after it starts).
	rep.Stop()
	rep.Start()
	for cam.Stats().Reconnects == 0 {
		if s := next(); !behind(s.End()) {
			t.Fatalf("segment %d before the reconnect on receive times again", s.Seq)
		}
	}
	for range 3 {
		s := next()
		if !behind(s.End()) {
			t.Fatalf("segment %d after the reconnect on receive times (%v), not on the camera's clock", s.Seq, s.End())
		}
		s.Release()
	}

	// The same camera, its clock now right: its first report moves the
	// times an hour on, between two segments.
	u, _ := url.Parse(rep.URL())
	rep.Stop()
	reconnects := cam.Stats().Reconnects
	streamtest.NewReplay(t, clip, streamtest.Loop(), streamtest.TCPOnly(), func(c *replay.Config) { c.Listen = u.Host })
	for s := next(); behind(s.End()) || cam.Stats().Reconnects == reconnects; s = next() {
		s.Release()
	}
}
