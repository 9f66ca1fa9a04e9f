package stream_test

import (
	"testing"
	"time"

	"github.com/anyanomaly/anyanomaly/stream"
	"github.com/anyanomaly/anyanomaly/stream/segment"
	"github.com/anyanomaly/anyanomaly/stream/streamtest"
)

// TestCameraRecyclesReleasedImages: a camera consumer that releases each
// segment gets the images back in later segments, and never sees one image
// in two different frames of the segments it still holds.
func TestCameraRecyclesReleasedImages(t *testing.T) {
	spec := streamtest.ClipSpec{Width: 320, Height: 240, FPS: 25, Seconds: 2, GOP: 25}
	clip := streamtest.GenerateClip(t, spec)
	url := streamtest.StartReplay(t, clip, streamtest.WaitForReader())
	cam := stream.NewCamera(stream.CameraConfig{ID: "c1", URL: url, Transport: "tcp", SegmentFrames: 8, Stride: 4, LongSide: 64},
		stream.Deps{Logger: testLogger(t)})
	stop := runCamera(t, cam)
	var held *segment.Segment
	seen := map[*uint8]int64{}
	reused, segs := 0, 0
	take := func(s *segment.Segment) {
		segs++
		live := map[*uint8]int64{}
		for _, h := range []*segment.Segment{held, s} {
			if h == nil {
				continue
			}
			for _, f := range h.Frames {
				if idx, ok := live[&f.Image.Y[0]]; ok && idx != f.Index {
					t.Fatalf("frames %d and %d share one image while both segments are held", idx, f.Index)
				}
				live[&f.Image.Y[0]] = f.Index
			}
		}
		for _, f := range s.Frames {
			if idx, ok := seen[&f.Image.Y[0]]; ok && idx != f.Index {
				reused++
			}
			seen[&f.Image.Y[0]] = f.Index
		}
		held.Release()
		held = s
	}
	waitFor(t, 30*time.Second, "all frames decoded", func() bool {
		for {
			select {
			case s := <-cam.Segments():
				take(s)
				continue
			default:
			}
			break
		}
		return cam.Stats().FramesDecoded >= uint64(spec.Frames())
	})
	stop()
	for s := range cam.Segments() {
		take(s)
	}
	held.Release()
	if segs < 4 || reused == 0 {
		t.Fatalf("%d segments, %d images reused; want at least 4 segments and some reuse", segs, reused)
	}
}
