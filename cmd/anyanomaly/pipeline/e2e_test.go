package pipeline_test

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/anyanomaly/anyanomaly/alerts"
	"github.com/anyanomaly/anyanomaly/alerts/alertstest"
	"github.com/anyanomaly/anyanomaly/cmd/anyanomaly/daemon"
	"github.com/anyanomaly/anyanomaly/cmd/anyanomaly/daemon/daemontest"
	"github.com/anyanomaly/anyanomaly/cmd/anyanomaly/pipeline"
	"github.com/anyanomaly/anyanomaly/detector/ollamatest"
	"github.com/anyanomaly/anyanomaly/stream/streamtest"
)

// The scene: 320×240 clips at 8 fps, analysed at 8 fps in segments of 8
// frames, so segment k covers [k, k+1) seconds of a clip played from its
// start. The anomaly (a pure red square, what ollamatest "sees") is
// visible in [anomalyStart, anomalyEnd).
const (
	clipFPS       = 8
	segFrames     = 8
	segDur        = time.Second // segFrames / clipFPS
	anomalyStart  = 4.0
	anomalyEnd    = 8.0
	clipSeconds   = 12.0
	camPassword   = "s3cretPW"
	ruleID        = "red"
	streamName    = "ANYANOMALY"
	eventsSubject = "anyanomaly.events.>"
)

func clip(t *testing.T, seconds float64, anomaly *streamtest.Anomaly, seed int64) string {
	t.Helper()
	streamtest.NeedFFmpeg(t)
	return streamtest.GenerateClip(t, streamtest.ClipSpec{
		Width: 320, Height: 240, FPS: clipFPS, Seconds: seconds, GOP: clipFPS, Seed: seed, Anomaly: anomaly,
	})
}

func redSquare(start, end float64) *streamtest.Anomaly {
	return &streamtest.Anomaly{Start: start, End: end, X: 0.4, Y: 0.4, Size: 0.3, Square: true, Moving: true}
}

// camera is one camera of a test configuration.
type camera struct {
	id, url   string
	threshold float64
	// gate is the camera's own motion_gate as a YAML flow mapping; empty,
	// it inherits defaults.motion_gate.
	gate string
}

// env is one test's surroundings: a fake Ollama, a state directory, a free
// port for the embedded NATS and the configuration file.
type env struct {
	ollama   *ollamatest.Server
	dir      string
	natsPort string
	path     string
	// gate is defaults.motion_gate as a YAML flow mapping; empty, the gate
	// is off.
	gate string
}

func newEnv(t *testing.T) *env {
	t.Helper()
	o := ollamatest.New(ollamatest.Options{})
	t.Cleanup(o.Close)
	_, port, _ := strings.Cut(streamtest.FreePort(t), ":")
	dir := t.TempDir()
	return &env{ollama: o, dir: dir, natsPort: port, path: filepath.Join(dir, "anyanomaly.yaml")}
}

// config renders the YAML for cams: every option the test depends on is
// written out, the rest are the defaults.
func (e *env) config(cams ...camera) string {
	gate := e.gate
	if gate == "" {
		gate = "{enabled: false}"
	}
	var b strings.Builder
	fmt.Fprintf(&b, `global:
  node: e2e
  state_dir: %s
  log: {level: debug}
  shutdown_timeout: 10s
lvlm:
  endpoints:
    - url: %s
      model: %s
      concurrency: 4
      timeout: 20s
nats:
  embedded: {host: 127.0.0.1, port: %s}
defaults:
  transport: tcp
  hwaccel: none
  sample_fps: %d
  segment: {frames: %d}
  motion_gate: %s
  rule: {cooldown: 1s}
cameras:
`, filepath.Join(e.dir, "state"), e.ollama.URL(), ollamatest.DefaultModel, e.natsPort, clipFPS, segFrames, gate)
	for _, c := range cams {
		fmt.Fprintf(&b, `  - id: %s
    url: %s
`, c.id, c.url)
		if c.gate != "" {
			fmt.Fprintf(&b, "    motion_gate: %s\n", c.gate)
		}
		fmt.Fprintf(&b, `    rules:
      - id: %s
        texts: ["a red square"]
        threshold: %g
        weights: [0.5, 0.3, 0.2]
`, ruleID, c.threshold)
	}
	return b.String()
}

func (e *env) start(t *testing.T, cams ...camera) *daemontest.Daemon {
	t.Helper()
	daemontest.WriteConfig(t, e.path, e.config(cams...))
	return daemontest.Start(t, daemon.Options{ConfigPath: e.path, Version: "e2e"}, daemon.Deps{Factory: pipeline.Factory})
}

func (e *env) natsURL() string { return "nats://127.0.0.1:" + e.natsPort }

// poll checks cond every 100ms until it holds or timeout passes.
func poll(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func cameraStats(d *daemontest.Daemon, id string) (daemon.CameraStats, bool) {
	for _, c := range d.Status().Cameras {
		if c.ID == id {
			return c, true
		}
	}
	return daemon.CameraStats{}, false
}

// streamed reports whether the camera has decoded at least n frames.
func streamed(d *daemontest.Daemon, id string, n uint64) bool {
	c, ok := cameraStats(d, id)
	return ok && c.Frames >= n
}

// message is one message of the stream.
type message struct {
	subject string
	data    []byte
}

// readAll reads every message of the stream.
func readAll(t *testing.T, url string) []message {
	t.Helper()
	nc := alertstest.Connect(t, url)
	defer nc.Close()
	var out []message
	for _, m := range alertstest.ReadStream(t, nc, streamName, ">") {
		out = append(out, message{subject: m.Subject(), data: m.Data()})
	}
	return out
}

func events(t *testing.T, msgs []message) []alerts.Event {
	t.Helper()
	var out []alerts.Event
	for _, m := range msgs {
		if !strings.HasPrefix(m.subject, "anyanomaly.events.") {
			continue
		}
		var ev alerts.Event
		if err := json.Unmarshal(m.data, &ev); err != nil {
			t.Fatalf("event on %s: %v\n%s", m.subject, err, m.data)
		}
		out = append(out, ev)
	}
	return out
}

func kinds(evs []alerts.Event, camera string) (started, ended []alerts.Event) {
	for _, ev := range evs {
		if ev.Camera != camera {
			continue
		}
		switch ev.Kind {
		case alerts.KindStarted:
			started = append(started, ev)
		case alerts.KindEnded:
			ended = append(ended, ev)
		}
	}
	return started, ended
}

// metric returns the value of the sample whose name and labels start with
// prefix (e.g. `anyanomaly_events_total{kind="started"}`), or -1.
func metric(body, prefix string) float64 {
	for _, line := range strings.Split(body, "\n") {
		if !strings.HasPrefix(line, prefix) {
			continue
		}
		f := strings.Fields(line)
		v, err := strconv.ParseFloat(f[len(f)-1], 64)
		if err == nil {
			return v
		}
	}
	return -1
}

// TestEndToEnd boots the whole daemon from a YAML file: cam1 replays a
// clip with the red square in [4 s, 8 s), behind a password; cam2 a clip
// without it. Exactly one started and one ended event arrive for cam1,
// at the right times, with a snapshot; cam2 gives none; metrics, readiness
// and status say so; the camera password appears nowhere.
func TestEndToEnd(t *testing.T) {
	e := newEnv(t)
	anomalous := clip(t, clipSeconds, redSquare(anomalyStart, anomalyEnd), 1)
	normal := clip(t, clipSeconds, nil, 2)
	url1 := streamtest.StartReplay(t, anomalous, streamtest.WaitForReader(), streamtest.TCPOnly(), streamtest.Path("cam1"),
		streamtest.Credentials("viewer", camPassword))
	if !strings.Contains(url1, camPassword) {
		t.Fatalf("replay URL %q carries no password", url1)
	}
	url2 := streamtest.StartReplay(t, normal, streamtest.WaitForReader(), streamtest.TCPOnly(), streamtest.Path("cam2"))
	d := e.start(t, camera{id: "cam1", url: url1, threshold: 0.3}, camera{id: "cam2", url: url2, threshold: 0.3})

	poll(t, 30*time.Second, "ready", func() bool {
		code, _ := d.Get(t, "/readyz")
		return code == 200
	})
	poll(t, 60*time.Second, "cam1's ended event", func() bool {
		p := d.Status().Publisher
		return p != nil && p.Events[alerts.KindEnded] >= 1
	})
	// cam2's clip has played to its end once its camera no longer
	// streams (the replay stops at the end of the file).
	poll(t, 30*time.Second, "the end of cam2's clip", func() bool {
		c, ok := cameraStats(d, "cam2")
		return ok && c.Frames > 0 && c.State != daemon.CameraStreaming
	})
	c2, _ := cameraStats(d, "cam2")
	t.Logf("cam2: %d frames (%d dropped), %d segments (%d dropped)", c2.Frames, c2.FramesDropped, c2.Segments, c2.SegmentsDropped)
	// Under load a camera may lose frames; most segments must be there.
	wantSegs := uint64(clipSeconds*clipFPS/segFrames) / 2
	if c2.Segments < wantSegs {
		t.Errorf("cam2 cut %d segments, want ≥ %d", c2.Segments, wantSegs)
	}

	var msgs []message
	var started, ended []alerts.Event
	poll(t, 20*time.Second, "the ended event on the stream", func() bool {
		msgs = readAll(t, e.natsURL())
		started, ended = kinds(events(t, msgs), "cam1")
		return len(ended) >= 1
	})
	all := events(t, msgs)
	if s2, e2 := kinds(all, "cam2"); len(s2)+len(e2) > 0 {
		t.Errorf("cam2 (no anomaly) gave events: %+v %+v", s2, e2)
	}
	if len(started) != 1 || len(ended) != 1 {
		t.Fatalf("cam1: %d started and %d ended events, want 1 and 1: %+v", len(started), len(ended), all)
	}
	st, en := started[0], ended[0]
	if st.ID != en.ID || st.Rule != ruleID || en.EndedAt == nil {
		t.Fatalf("started %+v / ended %+v", st, en)
	}
	// Segment k covers [k, k+1) s of the clip, so the clip's time zero on
	// the wall clock is the started event's first segment's start minus
	// its number of segments.
	t0 := st.StartedAt.Add(-time.Duration(st.Segments.First) * segDur)
	startAt := st.StartedAt.Sub(t0).Seconds()
	endAt := en.EndedAt.Sub(t0).Seconds()
	c1, _ := cameraStats(d, "cam1")
	t.Logf("event %s: segments %d-%d, started at %.2fs, ended at %.2fs of the clip (anomaly in [%g,%g)), peak %.2f; cam1: %d frames (%d dropped), %d reconnects",
		st.ID, st.Segments.First, en.Segments.Last, startAt, endAt, anomalyStart, anomalyEnd, en.Peak, c1.Frames, c1.FramesDropped, c1.Reconnects)
	if d := startAt - anomalyStart; d < -segDur.Seconds() || d > segDur.Seconds() {
		t.Errorf("started_at at %.2fs of the clip, want within one segment of %gs", startAt, anomalyStart)
	}
	if d := endAt - anomalyEnd; d < -2*segDur.Seconds() || d > 2*segDur.Seconds() {
		t.Errorf("ended_at at %.2fs of the clip, want within two segments of %gs", endAt, anomalyEnd)
	}
	if st.Snapshots == nil || st.Snapshots.KeyFrame == "" {
		t.Fatalf("started event without snapshots: %+v", st)
	}
	checkSnapshot(t, e.natsURL(), st.Snapshots)

	code, body := d.Get(t, "/metrics")
	if code != 200 {
		t.Fatalf("/metrics: %d", code)
	}
	for _, m := range []struct {
		prefix string
		min    float64
	}{
		{`anyanomaly_camera_frames_total{camera="cam1"}`, 1},
		{`anyanomaly_camera_frames_total{camera="cam2"}`, 1},
		{`anyanomaly_camera_segments_total{camera="cam2"}`, float64(wantSegs)},
		{`anyanomaly_lvlm_calls_total{`, 1},
		{`anyanomaly_nats_connected`, 1},
	} {
		if v := metric(body, m.prefix); v < m.min {
			t.Errorf("metric %s = %g, want ≥ %g", m.prefix, v, m.min)
		}
	}
	for _, m := range []struct {
		prefix string
		want   float64
	}{
		{`anyanomaly_events_total{kind="started"}`, 1},
		{`anyanomaly_scores_dropped_total`, 0},
		{`anyanomaly_events_total{kind="ended"}`, 1},
		{`anyanomaly_camera_state{camera="cam1",state="failed"}`, 0},
	} {
		if v := metric(body, m.prefix); v != m.want {
			t.Errorf("metric %s = %g, want %g", m.prefix, v, m.want)
		}
	}
	code, ready := d.Get(t, "/readyz")
	if code != 200 {
		t.Errorf("/readyz %d after the clips ended (cameras back off):\n%s", code, ready)
	}
	_, status := d.Get(t, "/api/v1/status")
	var s daemon.Status
	if err := json.Unmarshal([]byte(status), &s); err != nil {
		t.Fatal(err)
	}
	for _, c := range s.Cameras {
		if len(c.Rules) != 1 || c.Rules[0].LastScoreAt.IsZero() {
			t.Errorf("status of %s: rules %+v, want the rule's last score", c.ID, c.Rules)
		}
	}

	// Secrets: nowhere a reader of logs, metrics, status or the stream
	// could see it.
	if err := d.Stop(10 * time.Second); err != nil {
		t.Fatalf("stop: %v", err)
	}
	for what, text := range map[string]string{"log": d.Log.String(), "metrics": body, "status": status, "readyz": ready} {
		if strings.Contains(text, camPassword) {
			t.Errorf("the camera password appears in the %s", what)
		}
	}
	if !strings.Contains(d.Log.String(), "viewer:***@") {
		t.Errorf("log never shows the masked camera URL; was it logged at all?")
	}
	for _, m := range msgs {
		if strings.Contains(string(m.data), camPassword) {
			t.Errorf("the camera password appears in %s: %s", m.subject, m.data)
		}
	}
}

// checkSnapshot fetches the started event's key frame from the object
// store: a JPEG.
func checkSnapshot(t *testing.T, url string, snap *alerts.Snapshots) {
	t.Helper()
	nc := alertstest.Connect(t, url)
	defer nc.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	obs, err := js.ObjectStore(ctx, snap.Bucket)
	if err != nil {
		t.Fatalf("object store %s: %v", snap.Bucket, err)
	}
	data, err := obs.GetBytes(ctx, snap.KeyFrame)
	if err != nil {
		t.Fatalf("snapshot %s: %v", snap.KeyFrame, err)
	}
	if len(data) < 4 || data[0] != 0xFF || data[1] != 0xD8 {
		t.Errorf("snapshot %s is not a JPEG (%d bytes)", snap.KeyFrame, len(data))
	}
}
