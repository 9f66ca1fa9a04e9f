package pipeline_test

import (
	"testing"
	"time"

	"github.com/anyanomaly/anyanomaly/alerts"
	"github.com/anyanomaly/anyanomaly/cmd/anyanomaly/daemon"
)

// TestFileCamera plays a clip through a file:// camera at its own pace:
// the anomaly gives one event, the camera ends stopped, and a missing
// file fails its camera without touching the other.
func TestFileCamera(t *testing.T) {
	e := newEnv(t)
	path := clip(t, 6, redSquare(2, 4), 6)
	d := e.start(t, camera{id: "cam1", url: "file://" + path, threshold: 0.3}, camera{id: "gone", url: "file:///nonexistent/clip.mp4", threshold: 0.3})
	poll(t, 30*time.Second, "the end of the file", func() bool {
		c, _ := cameraStats(d, "cam1")
		return c.State == daemon.CameraStopped
	})
	poll(t, 20*time.Second, "the ended event", func() bool {
		p := d.Status().Publisher
		return p.Events[alerts.KindEnded] >= 1
	})
	c, _ := cameraStats(d, "cam1")
	if want := uint64(6 * clipFPS / segFrames); c.Segments != want || c.Frames != want*segFrames {
		t.Errorf("cam1: %d segments, %d frames, want %d and %d", c.Segments, c.Frames, want, want*segFrames)
	}
	g, _ := cameraStats(d, "gone")
	if g.State != daemon.CameraFailed || g.LastError == "" {
		t.Errorf("camera with a missing file: %+v", g)
	}
	if code, _ := d.Get(t, "/readyz"); code != 503 {
		t.Errorf("/readyz = %d with a failed camera, want 503", code)
	}
	started, ended := kinds(events(t, readAll(t, e.natsURL())), "cam1")
	if len(started) != 1 || len(ended) != 1 {
		t.Fatalf("%d started, %d ended events, want 1 and 1", len(started), len(ended))
	}
	if first := started[0].Segments.First; first < 1 || first > 3 {
		t.Errorf("event starts at segment %d, want the anomaly's (2) ± 1", first)
	}
}
