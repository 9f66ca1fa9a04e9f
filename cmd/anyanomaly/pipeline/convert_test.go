package pipeline

import (
	"context"
	"errors"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/anyanomaly/anyanomaly/alerts"
	"github.com/anyanomaly/anyanomaly/cmd/anyanomaly/daemon"
	"github.com/anyanomaly/anyanomaly/configs"
	"github.com/anyanomaly/anyanomaly/detector"
	"github.com/anyanomaly/anyanomaly/detector/vqa"
)

const convertYAML = `
global:
  node: edge-1
  state_dir: /var/lib/aa
  timezone: UTC
  shutdown_timeout: 8s
lvlm:
  endpoints:
    - url: http://u:lvlmPW@10.0.0.1:11434
      model: m1
      concurrency: 3
      timeout: 7s
  prompt_variant: simple
  batching: true
  queue_size: 9
  max_tokens: 64
nats:
  user: alice
  password: natsPW
  embedded: {port: 4333}
defaults:
  hwaccel: none
  sample_fps: 5
  segment: {frames: 12, stride: 6}
  motion_gate: {enabled: true, threshold: 3, refresh: 30s}
cameras:
  - id: cam1
    url: rtsp://v:camPW@10.0.0.2/s
    transport: udp
    rules:
      - id: a
        texts: ["x", "y"]
        threshold: 0.7
        hysteresis: 0.5
        min_duration: 2s
        cooldown: 3s
        weights: [0.6, 0.3, 0.1]
      - id: b
        texts: ["z"]
        prompt_variant: reasoning
        prompt: "Is {text} there?"
      - id: off
        texts: ["w"]
        enabled: false
      - id: night
        texts: ["v"]
        active_hours: ["mon-sun 22:00-06:00"]
`

func parse(t *testing.T) *configs.Config {
	t.Helper()
	cfg, err := configs.Parse("convert.yaml", []byte(convertYAML), configs.Env{Lookup: func(string) (string, bool) { return "", false }})
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func TestCameraConfig(t *testing.T) {
	cfg := parse(t)
	sc := cameraConfig(cfg.Camera("cam1"))
	if sc.ID != "cam1" || sc.URL != "rtsp://v:camPW@10.0.0.2/s" || sc.Transport != "udp" || sc.HWAccel != "" ||
		sc.SampleFPS != 5 || sc.SegmentFrames != 12 || sc.Stride != 6 || sc.StallTimeout != 10*time.Second || sc.TLSInsecure {
		t.Errorf("stream config = %+v", sc)
	}
	c := *cfg.Camera("cam1")
	c.TLSInsecure = true
	if !cameraConfig(&c).TLSInsecure {
		t.Error("tls_insecure did not reach the stream config")
	}
}

func TestPoolConfig(t *testing.T) {
	pc := poolConfig(parse(t))
	if len(pc.Endpoints) != 1 || pc.QueueSize != 9 {
		t.Fatalf("pool config = %+v", pc)
	}
	ep := pc.Endpoints[0]
	if ep.URL != "http://u:lvlmPW@10.0.0.1:11434" || ep.Model != "m1" || ep.Concurrency != 3 || ep.Timeout != 7*time.Second || ep.NumPredict != 64 {
		t.Errorf("endpoint = %+v", ep)
	}
	if g := pc.Gate; !g.Enabled || g.Threshold != 3 || g.Refresh != 30*time.Second {
		t.Errorf("gate = %+v", g)
	}
}

func TestCameraRules(t *testing.T) {
	cfg := parse(t)
	rs := cameraRules(cfg, cfg.Camera("cam1"))
	noon := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	midnight := time.Date(2026, 11, 27, 23, 30, 0, 0, time.UTC)
	ids := func(t time.Time) []string {
		var out []string
		for _, r := range rs.at(t) {
			out = append(out, r.ID)
		}
		return out
	}
	for _, tc := range []struct {
		name string
		at   time.Time
		want []string
	}{
		{"day: the night rule is out of its hours, the disabled one never runs", noon, []string{"a", "b"}},
		{"night", midnight, []string{"a", "b", "night"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := ids(tc.at)
			if len(got) != len(tc.want) {
				t.Fatalf("active rules = %v, want %v", got, tc.want)
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Fatalf("active rules = %v, want %v", got, tc.want)
				}
			}
		})
	}
	a, b := rs.rules[0].det, rs.rules[1].det
	if a.Threshold != 0.7 || a.Weights.Alpha != 0.6 || a.Weights.Gamma != 0.1 || len(a.Texts) != 2 || !a.Batch {
		t.Errorf("rule a = %+v", a)
	}
	if a.Prompt.Variant != vqa.Variant("simple") || b.Prompt.Variant != vqa.Variant("reasoning") || b.Prompt.Override != "Is {text} there?" {
		t.Errorf("prompts: a %+v, b %+v", a.Prompt, b.Prompt)
	}
	if got := rs.ids(); len(got) != 4 {
		t.Errorf("ids = %v", got)
	}
}

func TestAlertRules(t *testing.T) {
	rules := alertRules(parse(t).Camera("cam1"))
	if len(rules) != 3 {
		t.Fatalf("alert rules = %+v, want the three enabled ones", rules)
	}
	a := rules[0]
	if a.ID != "a" || a.Threshold != 0.7 || a.Hysteresis != 0.5 || a.MinDuration != 2*time.Second || a.Cooldown != 3*time.Second {
		t.Errorf("rule a = %+v", a)
	}
	pub, err := alerts.New(alerts.Config{Node: "n", SpoolDir: t.TempDir(), Embedded: alerts.EmbeddedConfig{StateDir: t.TempDir()}}, alerts.Deps{Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	if err := pub.SetCamera("cam1", "", rules); err != nil {
		t.Errorf("the publisher refuses the rules: %v", err)
	}
}

func TestAlertsConfig(t *testing.T) {
	ac := alertsConfig(parse(t))
	if ac.Node != "edge-1" || ac.SpoolDir != filepath.Join("/var/lib/aa", "spool") || ac.Embedded.StateDir != "/var/lib/aa" ||
		ac.Embedded.Port != 4333 || ac.User != "alice" || ac.Password.Value() != "natsPW" || ac.Embedded.Password.Value() != "natsPW" ||
		ac.ShutdownTimeout != 4*time.Second || len(ac.URLs) != 0 {
		t.Errorf("alerts config = %+v", ac)
	}
	if err := ac.WithDefaults().Validate(); err != nil {
		t.Errorf("alerts config invalid: %v", err)
	}
}

func TestCumulative(t *testing.T) {
	h := cumulative(vqa.Histogram{Bounds: []float64{0.1, 1}, Counts: []uint64{2, 3, 1}, Count: 6, Sum: 4})
	if h.Count != 6 || h.Sum != 4 || h.Buckets[0.1] != 2 || h.Buckets[1] != 5 || len(h.Buckets) != 2 {
		t.Errorf("histogram = %+v", h)
	}
}

func TestReconfigureRestartRequired(t *testing.T) {
	old := parse(t)
	for _, tc := range []struct {
		name           string
		from, to       string
		detector, pubs bool // ErrRestartRequired expected
	}{
		{"prompt variant applies in place", "prompt_variant: simple", "prompt_variant: both", false, false},
		{"batching applies in place", "batching: true", "batching: false", false, false},
		{"queue size needs a restart", "queue_size: 9", "queue_size: 10", true, false},
		{"endpoint model needs a restart", "model: m1", "model: m2", true, false},
		{"the motion gate applies in place", "threshold: 3, refresh", "threshold: 4, refresh", false, false},
		{"nats needs a restart", "user: alice", "user: bob", false, true},
		{"a rule threshold applies in place", "threshold: 0.7", "threshold: 0.8", false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			yaml := strings.Replace(convertYAML, tc.from, tc.to, 1)
			if yaml == convertYAML {
				t.Fatalf("%q not in the test configuration", tc.from)
			}
			cfg, err := configs.Parse("new.yaml", []byte(yaml), configs.Env{Lookup: func(string) (string, bool) { return "", false }})
			if err != nil {
				t.Fatal(err)
			}
			diff := configs.Diff(old, cfg)
			d := &Detector{cfg: old}
			if err := d.Reconfigure(context.Background(), cfg, diff); errors.Is(err, daemon.ErrRestartRequired) != tc.detector {
				t.Errorf("detector: %v", err)
			}
			p := &Publisher{alerts: newAlerts(t)}
			if err := p.Reconfigure(context.Background(), cfg, diff); errors.Is(err, daemon.ErrRestartRequired) != tc.pubs {
				t.Errorf("publisher: %v", err)
			}
		})
	}
}

func newAlerts(t *testing.T) *alerts.Publisher {
	t.Helper()
	a, err := alerts.New(alerts.Config{Node: "n", SpoolDir: t.TempDir(), Embedded: alerts.EmbeddedConfig{StateDir: t.TempDir()}},
		alerts.Deps{Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// TestReloadedShutdownTimeoutReachesThePublisher: the daemon reads
// global.shutdown_timeout from the reloaded configuration, and keeps half
// of it for the publisher's flush, so the publisher's bound must follow.
func TestReloadedShutdownTimeoutReachesThePublisher(t *testing.T) {
	old := parse(t)
	yaml := strings.Replace(convertYAML, "shutdown_timeout: 8s", "shutdown_timeout: 3s", 1)
	if yaml == convertYAML {
		t.Fatal("no shutdown_timeout in the test configuration")
	}
	cfg, err := configs.Parse("new.yaml", []byte(yaml), configs.Env{Lookup: func(string) (string, bool) { return "", false }})
	if err != nil {
		t.Fatal(err)
	}
	p := &Publisher{alerts: newAlerts(t)}
	if err := p.Reconfigure(context.Background(), cfg, configs.Diff(old, cfg)); err != nil {
		t.Fatal(err)
	}
	if got := p.alerts.Config().ShutdownTimeout; got != 1500*time.Millisecond {
		t.Fatalf("publisher flush bound after reload: %s, want 1.5s", got)
	}
}

func TestGateConfig(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   configs.MotionGate
		want detector.GateConfig
	}{
		{"as written", configs.MotionGate{Enabled: true, Threshold: 4, Refresh: configs.Duration(time.Minute)},
			detector.GateConfig{Enabled: true, Threshold: 4, Refresh: time.Minute}},
		{"off", configs.MotionGate{Threshold: 4, Refresh: configs.Duration(time.Minute)},
			detector.GateConfig{Threshold: 4, Refresh: time.Minute}},
		{"refresh 0: never forced", configs.MotionGate{Enabled: true, Threshold: 4},
			detector.GateConfig{Enabled: true, Threshold: 4, Refresh: -1}},
		{"threshold 0: nothing is under it", configs.MotionGate{Enabled: true, Refresh: configs.Duration(time.Minute)},
			detector.GateConfig{Refresh: time.Minute}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := gateConfig(tc.in); got != tc.want {
				t.Errorf("gateConfig(%+v) = %+v, want %+v", tc.in, got, tc.want)
			}
		})
	}
}

// TestMotionGateDiff: a change of a camera's own motion_gate, or of
// defaults.motion_gate for the cameras inheriting it, is an in-place
// update (no reconnect), and nothing global that the detector would
// refuse.
func TestMotionGateDiff(t *testing.T) {
	const base = `
lvlm:
  endpoints: [{url: "http://127.0.0.1:11434", model: m}]
defaults:
  motion_gate: {enabled: true, threshold: 3, refresh: 30s}
cameras:
  - id: own
    url: rtsp://10.0.0.2/s
    motion_gate: {enabled: true, threshold: 5, refresh: 30s}
    rules: [{id: a, texts: [x]}]
  - id: inherits
    url: rtsp://10.0.0.3/s
    rules: [{id: a, texts: [x]}]
`
	for _, tc := range []struct {
		name, from, to string
		want           map[string]configs.CameraChange
	}{
		{"a camera's own gate", "threshold: 5", "threshold: 9",
			map[string]configs.CameraChange{"own": configs.CameraUpdated, "inherits": configs.CameraUnchanged}},
		{"a camera's own gate turned off", "motion_gate: {enabled: true, threshold: 5", "motion_gate: {enabled: false, threshold: 5",
			map[string]configs.CameraChange{"own": configs.CameraUpdated, "inherits": configs.CameraUnchanged}},
		{"the defaults' gate", "threshold: 3", "threshold: 4",
			map[string]configs.CameraChange{"own": configs.CameraUnchanged, "inherits": configs.CameraUpdated}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := configs.Env{Lookup: func(string) (string, bool) { return "", false }}
			old, err := configs.Parse("old.yaml", []byte(base), env)
			if err != nil {
				t.Fatal(err)
			}
			cfg, err := configs.Parse("new.yaml", []byte(strings.Replace(base, tc.from, tc.to, 1)), env)
			if err != nil {
				t.Fatal(err)
			}
			diff := configs.Diff(old, cfg)
			for id, want := range tc.want {
				if cd := diff.Camera(id); cd == nil || cd.Change != want {
					t.Errorf("camera %s: %+v, want %s", id, cd, want)
				}
			}
			if err := (&Detector{cfg: old}).Reconfigure(context.Background(), cfg, diff); err != nil {
				t.Errorf("detector: %v", err)
			}
			if g := gateConfig(cfg.Camera("inherits").MotionGate); g.Threshold != cfg.Defaults.MotionGate.Threshold {
				t.Errorf("inheriting camera's gate %+v, defaults %+v", g, cfg.Defaults.MotionGate)
			}
		})
	}
}
