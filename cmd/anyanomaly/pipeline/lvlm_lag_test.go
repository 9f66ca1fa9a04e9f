package pipeline_test

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/anyanomaly/anyanomaly/cmd/anyanomaly/daemon"
	"github.com/anyanomaly/anyanomaly/cmd/anyanomaly/daemon/daemontest"
	"github.com/anyanomaly/anyanomaly/cmd/anyanomaly/pipeline"
	"github.com/anyanomaly/anyanomaly/detector/ollamatest"
	"github.com/anyanomaly/anyanomaly/stream/streamtest"
)

// The LVLM is slower than the cameras: the detector's queue overflows and
// drops segments. docs/config.md: anyanomaly_camera_dropped_segments_total
// (status: cameras[].segments_dropped) counts per camera the "segments
// dropped because the detector lagged"; it must see those drops.
func TestSlowLVLMDropsReachCameraCounters(t *testing.T) {
	o := ollamatest.New(ollamatest.Options{Latency: time.Second, Concurrency: 1})
	defer o.Close()
	file := clip(t, 12, nil, 3)
	_, port, _ := strings.Cut(streamtest.FreePort(t), ":")
	dir := t.TempDir()
	path := filepath.Join(dir, "anyanomaly.yaml")
	daemontest.WriteConfig(t, path, fmt.Sprintf(`global:
  node: lag-test
  state_dir: %s
  shutdown_timeout: 10s
lvlm:
  endpoints: [{url: %s, model: %s, concurrency: 1, timeout: 5s}]
  queue_size: 2
nats:
  embedded: {host: 127.0.0.1, port: %s}
defaults:
  hwaccel: none
  sample_fps: %d
  segment: {frames: %d}
  motion_gate: {enabled: false}
cameras:
  - id: cam1
    url: file://%s
    rules: [{id: red, texts: ["a red square"], threshold: 0.5}]
`, filepath.Join(dir, "state"), o.URL(), ollamatest.DefaultModel, port, clipFPS, segFrames, file))
	d := daemontest.Start(t, daemon.Options{ConfigPath: path, Version: "v-test"}, daemon.Deps{Factory: pipeline.Factory})
	poll(t, 40*time.Second, "detector drops", func() bool {
		det := d.Status().Detector
		return det != nil && det.Dropped >= 2
	})
	st := d.Status()
	c, _ := cameraStats(d, "cam1")
	_, body := d.Get(t, "/metrics")
	t.Logf("detector dropped %d; cam1 segments %d, segments_dropped %d; metric camera_dropped %v, lvlm_dropped %v",
		st.Detector.Dropped, c.Segments, c.SegmentsDropped,
		metric(body, `anyanomaly_camera_dropped_segments_total{camera="cam1"}`), metric(body, "anyanomaly_lvlm_dropped_segments_total"))
	if c.SegmentsDropped == 0 {
		t.Fatalf("the detector dropped %d of cam1's segments, but cam1's segments_dropped (anyanomaly_camera_dropped_segments_total) is 0", st.Detector.Dropped)
	}
}
