package stream

import (
	"log/slog"
	"testing"

	"github.com/anyanomaly/anyanomaly/stream/segment"
)

// TestCameraEmitReleasesDroppedSegments: when the consumer lags, the
// camera drops the oldest waiting segment and hands its images back to the
// pool (Release), so a slow consumer cannot pin more images than the queue
// holds; segments still queued are left alone.
func TestCameraEmitReleasesDroppedSegments(t *testing.T) {
	c := NewCamera(CameraConfig{ID: "c1", URL: "rtsp://127.0.0.1:1/x", OutputQueue: 2}, Deps{Logger: slog.New(slog.DiscardHandler)})
	released := map[uint64]int{}
	for seq := range uint64(5) {
		seg := &segment.Segment{CameraID: "c1", Seq: seq}
		seg.SetRelease(func() { released[seq]++ })
		c.emit(seg)
	}
	if got := c.Stats().SegmentDrops; got != 3 {
		t.Fatalf("SegmentDrops = %d, want 3", got)
	}
	for seq := range uint64(5) {
		want := 0
		if seq < 3 {
			want = 1
		}
		if released[seq] != want {
			t.Errorf("segment %d released %d times, want %d", seq, released[seq], want)
		}
	}
	for _, want := range []uint64{3, 4} {
		if s := <-c.Segments(); s.Seq != want {
			t.Fatalf("queued segment %d, want %d (the newest are kept)", s.Seq, want)
		}
	}
}
