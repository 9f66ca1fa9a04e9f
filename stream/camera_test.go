package stream_test

import (
	"context"
	"log/slog"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/anyanomaly/anyanomaly/stream"
	"github.com/anyanomaly/anyanomaly/stream/segment"
	"github.com/anyanomaly/anyanomaly/stream/streamtest"
)

func testLogger(t testing.TB) *slog.Logger {
	if testing.Verbose() {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.DiscardHandler)
}

// runCamera runs cam until the returned stop is called; stop waits for Run.
func runCamera(t *testing.T, cam *stream.Camera) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		if err := cam.Run(ctx); err != nil {
			t.Errorf("Run: %v", err)
		}
	}()
	var once sync.Once
	stop = func() { once.Do(func() { cancel(); wg.Wait() }) }
	t.Cleanup(stop)
	return stop
}

// waitFor polls cond until it holds or the deadline passes.
// waitFor polls cond until d has passed; on time-out it fails the test,
// printing the first of state (e.g. a camera's Stats) when given.
func waitFor(t *testing.T, d time.Duration, what string, cond func() bool, state ...func() stream.CameraStats) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			if len(state) > 0 {
				t.Fatalf("timed out after %s waiting for %s; camera: %+v", d, what, state[0]())
			}
			t.Fatalf("timed out after %s waiting for %s", d, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestCameraIngest(t *testing.T) {
	tests := []struct {
		name      string
		spec      streamtest.ClipSpec
		transport string
	}{
		{"h264 720p tcp", streamtest.ClipSpec{Width: 1280, Height: 720, FPS: 25, Seconds: 2, GOP: 25}, "tcp"},
		{"h264 720p udp", streamtest.ClipSpec{Width: 1280, Height: 720, FPS: 25, Seconds: 2, GOP: 25}, "udp"},
		{"h265 tcp", streamtest.ClipSpec{Width: 640, Height: 360, FPS: 25, Seconds: 2, Codec: "h265", GOP: 25}, "tcp"},
		{"h265 udp", streamtest.ClipSpec{Width: 640, Height: 360, FPS: 25, Seconds: 2, Codec: "h265", GOP: 25}, "udp"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			clip := streamtest.GenerateClip(t, tc.spec)
			url := streamtest.StartReplay(t, clip, streamtest.WaitForReader())
			const n, stride = 8, 4
			cam := stream.NewCamera(stream.CameraConfig{ID: "c1", URL: url, Transport: tc.transport, SegmentFrames: n, Stride: stride, LongSide: 320},
				stream.Deps{Logger: testLogger(t)})
			stop := runCamera(t, cam)
			var segs []*segment.Segment
			want := tc.spec.Frames()
			defer func() { t.Logf("stats %+v", cam.Stats()) }()
			waitFor(t, 30*time.Second, "all frames decoded", func() bool {
				for {
					select {
					case s := <-cam.Segments():
						segs = append(segs, s)
						continue
					default:
					}
					break
				}
				return cam.Stats().FramesDecoded >= uint64(want)
			})
			stop()
			for s := range cam.Segments() {
				segs = append(segs, s)
			}
			st := cam.Stats()
			if float64(st.FramesDecoded) < 0.99*float64(want) {
				t.Fatalf("decoded %d of %d frames", st.FramesDecoded, want)
			}
			if st.Transport != tc.transport {
				t.Fatalf("transport %q, want %q", st.Transport, tc.transport)
			}
			if len(segs) < (want-n)/stride {
				t.Fatalf("%d segments, want >= %d", len(segs), (want-n)/stride)
			}
			var lastPTS time.Duration = -1
			for k, s := range segs {
				if len(s.Frames) != n || s.Seq != uint64(k) || s.CameraID != "c1" {
					t.Fatalf("segment %d: seq %d, %d frames, camera %q", k, s.Seq, len(s.Frames), s.CameraID)
				}
				if s.Start().After(s.End()) {
					t.Fatalf("segment %d ends before it starts", k)
				}
				for j, f := range s.Frames {
					if b := f.Image.Bounds(); b.Dx() != 320 || b.Dy() != 180 {
						t.Fatalf("frame size %v", b)
					}
					if j > 0 && f.PTS <= s.Frames[j-1].PTS {
						t.Fatalf("segment %d: PTS not increasing at frame %d", k, j)
					}
				}
				// Segments start stride frames apart.
				if s.Frames[0].PTS <= lastPTS {
					t.Fatalf("segment %d starts at %v, not after %v", k, s.Frames[0].PTS, lastPTS)
				}
				lastPTS = s.Frames[0].PTS
			}
		})
	}
}
