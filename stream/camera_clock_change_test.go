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

// TestReconnectToAChangedClock: a camera an hour behind is fixed (its
// clock set right) while disconnected. The new session's frames before its
// first sender report are moved by the old offset (an hour back); the
// first real report must still be seen as a change of clock, or one
// segment starts an hour back and ends now, which the docs (alerts.md:
// "a segment never spans the switch") rule out.
func TestReconnectToAChangedClock(t *testing.T) {
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
	u, _ := url.Parse(rep.URL())
	rep.Stop()
	// The same camera, its clock now right.
	streamtest.NewReplay(t, clip, streamtest.Loop(), streamtest.TCPOnly(), func(c *replay.Config) { c.Listen = u.Host })
	for s := next(); behind(s.End()) || cam.Stats().Reconnects == 0; s = next() {
		s.Release()
	}
	t.Log("on the new clock without a segment across the switch")
}
