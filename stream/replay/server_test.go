package replay_test

import (
	"context"
	"log/slog"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/anyanomaly/anyanomaly/stream/replay"
	"github.com/anyanomaly/anyanomaly/stream/streamtest"
)

func TestReplayFFprobe(t *testing.T) {
	if _, err := exec.LookPath("ffprobe"); err != nil {
		t.Skip("ffprobe not on PATH (run scripts/setup.sh): ", err)
	}
	for _, codec := range []string{"h264", "h265"} {
		t.Run(codec, func(t *testing.T) {
			clip := streamtest.GenerateClip(t, streamtest.ClipSpec{Width: 320, Height: 240, Seconds: 2, Codec: codec})
			srv := replay.New(replay.Config{File: clip, Listen: "127.0.0.1:0", Path: "cam", Loop: true},
				replay.Deps{Logger: slog.New(slog.NewTextHandler(os.Stderr, nil))})
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
			pctx, pcancel := context.WithTimeout(ctx, 30*time.Second)
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
