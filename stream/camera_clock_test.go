package stream_test

import (
	"testing"
	"time"

	"github.com/anyanomaly/anyanomaly/stream"
	"github.com/anyanomaly/anyanomaly/stream/segment"
	"github.com/anyanomaly/anyanomaly/stream/streamtest"
)

// TestNoSegmentAcrossTheRTCPSwitch: a camera an hour behind sends its
// first RTCP sender report after 10 s; until then frames carry receive
// times. Frames on both clocks must not share a segment: such a segment
// starts on one clock and ends on the other (here: an hour before it
// starts), and the alerts measure MinDuration/CloseAfter from its Start.
func TestNoSegmentAcrossTheRTCPSwitch(t *testing.T) {
	clip := streamtest.GenerateClip(t, streamtest.ClipSpec{Width: 160, Height: 120, FPS: 10, Seconds: 2, GOP: 10})
	url := streamtest.StartReplay(t, clip, streamtest.Loop(), streamtest.TCPOnly(), streamtest.ClockOffset(-time.Hour))
	cam := stream.NewCamera(stream.CameraConfig{ID: "c1", URL: url, Transport: "tcp", SegmentFrames: 8, Stride: 8, LongSide: 160, SampleFPS: 10},
		stream.Deps{Logger: testLogger(t)})
	stop := runCamera(t, cam)
	defer stop()
	deadline := time.After(40 * time.Second)
	var prev *segment.Segment
	for {
		select {
		case s := <-cam.Segments():
			behind := func(w time.Time) bool { return time.Since(w) > 30*time.Minute }
			if behind(s.Start()) != behind(s.End()) {
				t.Fatalf("segment %d mixes clocks: starts %v, ends %v (%v before its start)", s.Seq, s.Start(), s.End(), s.Start().Sub(s.End()))
			}
			if behind(s.End()) && prev != nil && !behind(prev.End()) {
				t.Logf("clean switch between segments %d and %d", prev.Seq, s.Seq)
				return
			}
			if prev != nil {
				prev.Release()
			}
			prev = s
		case <-deadline:
			t.Fatal("no RTCP-stamped segment within 40 s")
		}
	}
}
