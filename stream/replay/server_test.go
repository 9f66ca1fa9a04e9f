package replay_test

import (
	"context"
	"log/slog"
	"os"
	"os/exec"
	"slices"
	"testing"
	"time"

	"github.com/anyanomaly/anyanomaly/stream/replay"
	"github.com/anyanomaly/anyanomaly/stream/rtsp"
	"github.com/anyanomaly/anyanomaly/stream/streamtest"
)

// runReplay starts a replay server for the test and waits until it
// listens; the test's cleanup stops it and checks it ended cleanly.
func runReplay(t *testing.T, cfg replay.Config) *replay.Server {
	t.Helper()
	srv := replay.New(cfg, replay.Deps{Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	})
	select {
	case <-srv.Ready():
	case err := <-done:
		t.Fatal(err)
	}
	return srv
}

func TestReplayFFprobe(t *testing.T) {
	if _, err := exec.LookPath("ffprobe"); err != nil {
		t.Skip("ffprobe not on PATH (run scripts/setup.sh): ", err)
	}
	for _, codec := range []string{"h264", "h265"} {
		t.Run(codec, func(t *testing.T) {
			clip := streamtest.GenerateClip(t, streamtest.ClipSpec{Width: 320, Height: 240, Seconds: 2, Codec: codec})
			srv := runReplay(t, replay.Config{File: clip, Listen: "127.0.0.1:0", Path: "cam", Loop: true})
			pctx, pcancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer pcancel()
			out, err := exec.CommandContext(pctx, "ffprobe", "-v", "error", "-rtsp_transport", "tcp",
				"-select_streams", "v:0", "-count_frames", "-read_intervals", "%+1",
				"-show_entries", "stream=codec_name,width,height,nb_read_frames", "-of", "default=nw=1", srv.URL()).CombinedOutput()
			if err != nil {
				t.Fatalf("ffprobe: %v: %s", err, out)
			}
			t.Logf("ffprobe: %s", out)
		})
	}
}

// TestLoopTimestampsContinue: --loop continues the timestamps, so the
// presentation times of three passes of a clip with B-frames are one
// frame apart throughout. Each loop once added the first picture's
// reorder delay (a two-frame stall with libx264's defaults).
func TestLoopTimestampsContinue(t *testing.T) {
	clip := streamtest.GenerateClip(t, streamtest.ClipSpec{Width: 160, Height: 120, FPS: 25, Seconds: 0.4, GOP: 5, BFrames: 2})
	srv := runReplay(t, replay.Config{File: clip, Listen: "127.0.0.1:0", Path: "cam", Loop: true, Speed: 4})
	s, err := rtsp.Dial(context.Background(), rtsp.Config{URL: srv.URL(), Transport: "tcp"})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var pts []time.Duration
	timeout := time.After(20 * time.Second)
	for len(pts) < 34 { // the pass joined late, then three whole ones
		select {
		case au := <-s.AccessUnits():
			pts = append(pts, au.PTS)
		case <-s.Done():
			t.Fatalf("session ended: %v", s.Err())
		case <-timeout:
			t.Fatalf("timeout after %d units", len(pts))
		}
	}
	// Decode order differs from presentation order within a pass: drop the
	// last few units, whose earlier-presented neighbours may not be in yet.
	slices.Sort(pts)
	pts = pts[:len(pts)-4]
	for i := 1; i < len(pts); i++ {
		if d := pts[i] - pts[i-1]; d < 39*time.Millisecond || d > 41*time.Millisecond {
			t.Fatalf("presentation times step %v at %v (want 40ms throughout): %v", d, pts[i-1], pts)
		}
	}
}
