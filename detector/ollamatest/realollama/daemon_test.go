package realollama_test

import (
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/anyanomaly/anyanomaly/cmd/anyanomaly/daemon"
	"github.com/anyanomaly/anyanomaly/cmd/anyanomaly/daemon/daemontest"
	"github.com/anyanomaly/anyanomaly/cmd/anyanomaly/pipeline"
	"github.com/anyanomaly/anyanomaly/detector/ollamatest/realollama"
	"github.com/anyanomaly/anyanomaly/stream/streamtest"
)

// metricValue returns the value of the first sample whose line starts
// with prefix, or -1.
func metricValue(body, prefix string) float64 {
	for _, line := range strings.Split(body, "\n") {
		if !strings.HasPrefix(line, prefix) {
			continue
		}
		f := strings.Fields(line)
		if v, err := strconv.ParseFloat(f[len(f)-1], 64); err == nil {
			return v
		}
	}
	return -1
}

// TestRealOllamaDaemon boots the whole daemon (`anyanomaly run`) from a
// YAML file with the real server as its LVLM endpoint: an RTSP camera
// replaying a generated clip, the embedded NATS server. The daemon must
// become ready (its start-up check accepts the model), score every segment
// through the real server without LVLM errors, export the documented
// metrics, and stop cleanly.
func TestRealOllamaDaemon(t *testing.T) {
	tg := realollama.TargetForTest(t, realollama.Config{NumParallel: 1})
	streamtest.NeedFFmpeg(t)
	const fps, segFrames, seconds = 8, 8, 5.0
	clip := streamtest.GenerateClip(t, streamtest.ClipSpec{Width: 320, Height: 240, FPS: fps, Seconds: seconds, GOP: fps, Seed: 7,
		Anomaly: &streamtest.Anomaly{Start: 1, End: 4, X: 0.4, Y: 0.4, Size: 0.3, Square: true, Moving: true}})
	camURL := streamtest.StartReplay(t, clip, streamtest.WaitForReader(), streamtest.TCPOnly(), streamtest.Path("cam1"))
	_, natsPort, _ := strings.Cut(streamtest.FreePort(t), ":")
	dir := t.TempDir()
	cfg := fmt.Sprintf(`global:
  node: real-ollama
  state_dir: %s
  shutdown_timeout: 20s
lvlm:
  endpoints:
    - url: %s
      model: %s
      concurrency: 1
      timeout: 60s
nats:
  embedded: {host: 127.0.0.1, port: %s}
defaults:
  transport: tcp
  hwaccel: none
  sample_fps: %d
  segment: {frames: %d}
  motion_gate: {enabled: false}
cameras:
  - id: cam1
    url: %s
    rules:
      - id: red
        texts: ["a red square"]
        threshold: 0.5
`, filepath.Join(dir, "state"), tg.URL, tg.VisionModel, natsPort, fps, segFrames, camURL)
	path := filepath.Join(dir, "anyanomaly.yaml")
	daemontest.WriteConfig(t, path, cfg)
	d := daemontest.Start(t, daemon.Options{ConfigPath: path, Version: "real-ollama"}, daemon.Deps{Factory: pipeline.Factory})

	poll := func(timeout time.Duration, what string, cond func() bool) {
		t.Helper()
		deadline := time.Now().Add(timeout)
		for !cond() {
			if time.Now().After(deadline) {
				t.Fatalf("timed out after %s waiting for %s\ndaemon log:\n%s", timeout, what, d.Log.String())
			}
			time.Sleep(100 * time.Millisecond) // polling the daemon's endpoints
		}
	}
	poll(60*time.Second, "/readyz 200", func() bool {
		code, _ := d.Get(t, "/readyz")
		return code == 200
	})
	// Segments that fill completely, each asked 3 questions.
	wantSegs := int(seconds*fps/segFrames) - 1
	var body string
	poll(120*time.Second, fmt.Sprintf("%d segments scored", wantSegs), func() bool {
		_, body = d.Get(t, "/metrics")
		// The latency histogram counts answered calls; calls_total counts
		// calls sent (the next may be in flight).
		return metricValue(body, `anyanomaly_lvlm_call_duration_seconds_count{`) >= float64(3*wantSegs)
	})
	t.Logf("metrics after %d segments:\n%s", wantSegs, grepLines(body, "anyanomaly_lvlm_", "anyanomaly_camera_segments", "anyanomaly_rule_score", "anyanomaly_events_total"))
	for _, m := range []struct {
		prefix string
		min    float64
	}{
		{`anyanomaly_camera_frames_total{camera="cam1"}`, 1},
		{`anyanomaly_camera_segments_total{camera="cam1"}`, float64(wantSegs)},
		{`anyanomaly_lvlm_calls_total{`, float64(3 * wantSegs)},
		{`anyanomaly_nats_connected`, 1},
		{`anyanomaly_rule_score{camera="cam1",rule="red"}`, 0},
		{`anyanomaly_lvlm_queue_capacity`, 1},
	} {
		if v := metricValue(body, m.prefix); v < m.min {
			t.Errorf("metric %s = %g, want ≥ %g", m.prefix, v, m.min)
		}
	}
	for _, prefix := range []string{`anyanomaly_lvlm_errors_total{`, `anyanomaly_lvlm_dropped_segments_total`} {
		if v := metricValue(body, prefix); v > 0 {
			t.Errorf("metric %s = %g, want 0 (or absent)", prefix, v)
		}
	}
	if err := d.Stop(30 * time.Second); err != nil {
		t.Fatalf("stop: %v", err)
	}
	if log := d.Log.String(); strings.Contains(log, "panic") {
		t.Errorf("the daemon log mentions a panic:\n%s", log)
	}
}

func grepLines(body string, prefixes ...string) string {
	var b strings.Builder
	for _, line := range strings.Split(body, "\n") {
		for _, p := range prefixes {
			if strings.HasPrefix(line, p) {
				b.WriteString(line + "\n")
				break
			}
		}
	}
	return b.String()
}
