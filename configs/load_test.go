package configs_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/anyanomaly/anyanomaly/configs"
)

// testEnv is a fixed environment: a few variables, a secret file and a
// credentials directory, all in memory.
func testEnv() configs.Env {
	vars := map[string]string{
		"CAM1_PASSWORD":         "s3cr3t-pw",
		"PORT":                  "4333",
		"EMPTY":                 "",
		"CREDENTIALS_DIRECTORY": "/run/credentials/anyanomaly.service",
	}
	files := map[string]string{
		"/etc/anyanomaly/secret":                  "from-file\n",
		"/run/credentials/anyanomaly.service/cam": "cred-pw\n",
	}
	return configs.Env{
		Lookup: func(k string) (string, bool) { v, ok := vars[k]; return v, ok },
		ReadFile: func(p string) ([]byte, error) {
			if v, ok := files[p]; ok {
				return []byte(v), nil
			}
			return nil, &os.PathError{Op: "open", Path: p, Err: os.ErrNotExist}
		},
		Hostname: func() (string, error) { return "edge.example.net", nil },
	}
}

const base = `
cameras:
  - id: cam1
    url: rtsp://u:${CAM1_PASSWORD}@192.0.2.1/s
    rules:
      - id: fall
        texts: [falling]
`

func TestParseGood(t *testing.T) {
	tests := []struct {
		name  string
		yaml  string
		check func(t *testing.T, c *configs.Config)
	}{
		{"defaults", base, func(t *testing.T, c *configs.Config) {
			if c.Global.HTTP.Listen != "127.0.0.1:9464" || c.NATS.SubjectPrefix != "anyanomaly" || c.NATS.Stream != "ANYANOMALY" {
				t.Errorf("defaults not applied: %+v", c.Global)
			}
			if c.Global.Node != "edge-example-net" {
				t.Errorf("node = %q, want the host name with dots replaced", c.Global.Node)
			}
			cam := c.Cameras[0]
			if !cam.Enabled || cam.Transport != "auto" || cam.Segment.Frames != 24 || cam.Segment.Stride != 24 {
				t.Errorf("camera defaults not applied: %+v", cam)
			}
			r := cam.Rules[0]
			if !r.Enabled || r.Threshold != 0.6 || len(r.Weights) != 3 || r.Weights.Alpha() != 0.5 {
				t.Errorf("rule defaults not applied: %+v", r)
			}
			if cam.URL.Reveal() != "rtsp://u:s3cr3t-pw@192.0.2.1/s" {
				t.Errorf("env not substituted: %s", cam.URL.Reveal())
			}
			if len(c.LVLM.Endpoints) != 1 || c.LVLM.Endpoints[0].Concurrency != 1 {
				t.Errorf("default endpoint missing: %+v", c.LVLM.Endpoints)
			}
		}},
		{"defaults section inherited and overridden", `
defaults:
  transport: tcp
  segment: {frames: 16}
  rule: {threshold: 0.9, weights: [0.6, 0.3, 0.1]}
cameras:
  - id: a
    url: rtsp://h/a
    segment: {stride: 8}
    rules:
      - {id: r, texts: [x]}
      - {id: s, texts: [y], threshold: 0.3}
`, func(t *testing.T, c *configs.Config) {
			cam := c.Cameras[0]
			if cam.Transport != "tcp" || cam.Segment.Frames != 16 || cam.Segment.Stride != 8 {
				t.Errorf("camera = %+v", cam.CameraSettings)
			}
			if cam.Rules[0].Threshold != 0.9 || cam.Rules[1].Threshold != 0.3 || cam.Rules[1].Weights.Gamma() != 0.1 {
				t.Errorf("rules = %+v", cam.Rules)
			}
		}},
		{"substitution forms", `
global:
  node: ${NODE:-n1}
  state_dir: ${EMPTY:-/srv/aa}
lvlm:
  endpoints:
    - url: http://127.0.0.1:11434
      model: m
      concurrency: 3
nats:
  user: app
  password: ${file:/etc/anyanomaly/secret}
  embedded:
    port: ${PORT}
cameras:
  - id: c
    url: rtsp://u:${cred:cam}@h/p$$x
    rules: [{id: r, texts: [x]}]
`, func(t *testing.T, c *configs.Config) {
			if c.Global.Node != "n1" || c.Global.StateDir != "/srv/aa" {
				t.Errorf("defaults: %q %q", c.Global.Node, c.Global.StateDir)
			}
			if c.NATS.Password.Reveal() != "from-file" || c.NATS.Embedded.Port != 4333 {
				t.Errorf("nats: %q %d", c.NATS.Password.Reveal(), c.NATS.Embedded.Port)
			}
			if got := c.Cameras[0].URL.Reveal(); got != "rtsp://u:cred-pw@h/p$x" {
				t.Errorf("url = %q", got)
			}
			if c.LVLM.Endpoints[0].Concurrency != 3 || c.LVLM.Endpoints[0].Timeout.Std() != time.Minute {
				t.Errorf("endpoint defaults: %+v", c.LVLM.Endpoints[0])
			}
		}},
		{"empty keys keep defaults", `
global:
defaults:
cameras:
  - id: c
    url: file:///clips/a.mp4
    motion_gate:
    rules: [{id: r, texts: [x], active_hours: ["mon-fri 22:00-06:00"]}]
`, func(t *testing.T, c *configs.Config) {
			if c.Global.HTTP.Listen != configs.DefaultHTTPListen || !c.Cameras[0].MotionGate.Enabled {
				t.Errorf("empty keys zeroed defaults")
			}
			if len(c.Cameras[0].Rules[0].ActiveHours) != 1 {
				t.Errorf("active hours = %v", c.Cameras[0].Rules[0].ActiveHours)
			}
		}},
		{"anchors, aliases and merge keys", `
cameras:
  - id: a
    url: rtsp://h/a
    rules: &common
      - {id: fall, texts: [falling], threshold: 0.7}
  - id: b
    url: rtsp://h/b
    rules: *common
  - &cam_c
    id: c
    url: rtsp://h/c
    hwaccel: none
    rules: *common
  - <<: *cam_c
    id: d
    url: rtsp://h/d
`, func(t *testing.T, c *configs.Config) {
			for _, id := range []string{"a", "b", "c", "d"} {
				cam := c.Camera(id)
				if cam == nil || len(cam.Rules) != 1 || cam.Rules[0].Threshold != 0.7 || cam.Rules[0].Hysteresis != 0.8 || !cam.Rules[0].Enabled {
					t.Errorf("camera %s = %+v", id, cam)
				}
			}
			if d := c.Camera("d"); d.HWAccel != "none" || d.URL.Reveal() != "rtsp://h/d" || d.Transport != "auto" {
				t.Errorf("merged camera d = %+v", d)
			}
		}},
		{"byte sizes and durations", `
nats:
  max_bytes: 2GiB
  spool_max_bytes: 1048576
  max_age: 72h
  duplicate_window: 90m
cameras:
  - {id: c, url: rtsp://h/p, stall_timeout: 1m30s, rules: [{id: r, texts: [x], cooldown: 0s}]}
`, func(t *testing.T, c *configs.Config) {
			if c.NATS.MaxBytes != 2<<30 || c.NATS.SpoolMaxBytes != 1<<20 || c.NATS.DuplicateWindow.Std() != 90*time.Minute {
				t.Errorf("nats = %+v", c.NATS)
			}
			if c.Cameras[0].StallTimeout.Std() != 90*time.Second {
				t.Errorf("stall = %s", c.Cameras[0].StallTimeout)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := configs.Parse("test.yaml", []byte(tt.yaml), testEnv())
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			tt.check(t, c)
			if err := c.Validate(); err != nil {
				t.Errorf("Validate after Parse: %v", err)
			}
		})
	}
}

func TestParseBroken(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		want []string // every one must appear in the error text
	}{
		{"unknown field with hint", base + "    tranport: tcp\n", []string{"cameras[0].tranport: unknown field; did you mean \"transport\"? (line 8)"}},
		{"unknown top-level", "foo: 1\n" + base, []string{"foo: unknown field", "(line 1)"}},
		{"unknown nested", "nats:\n  embedded:\n    mqtt: {enable: true}\n" + base, []string{"nats.embedded.mqtt.enable: unknown field; did you mean \"enabled\"? (line 3)"}},
		{"bad threshold", base + "        threshold: 1.5\n", []string{"cameras[0].rules[0].threshold: must be in (0,1], got 1.5 (line 8)"}},
		{"zero hysteresis", base + "        hysteresis: 0\n", []string{"cameras[0].rules[0].hysteresis: must be in (0,1]"}},
		{"bad weights", base + "        weights: [0.5, 0.5, 0.5]\n", []string{"cameras[0].rules[0].weights: must sum to 1", "(line 8)"}},
		{"two weights", base + "        weights: [0.5, 0.5]\n", []string{"cameras[0].rules[0].weights: want three weights"}},
		{"duplicate camera ids", base + "  - id: cam1\n    url: rtsp://h/x\n    rules: [{id: r, texts: [x]}]\n", []string{"cameras[1].id: duplicate camera id \"cam1\" (also cameras[0], line 3) (line 8)"}},
		{"duplicate rule ids", base + "      - id: fall\n        texts: [x]\n", []string{"cameras[0].rules[1].id: duplicate rule id \"fall\""}},
		{"bad id chars", strings.Replace(base, "id: cam1", "id: cam.1", 1), []string{"cameras[0].id: \"cam.1\" contains '.'"}},
		{"missing env var", strings.Replace(base, "CAM1_PASSWORD", "NOPE", 1), []string{"cameras[0].url: environment variable NOPE is not set", "(line 4)"}},
		{"missing secret file", strings.Replace(base, "${CAM1_PASSWORD}", "${file:/nope}", 1), []string{"cameras[0].url: read secret file: open /nope"}},
		{"bad duration", base + "        cooldown: 5 minutes\n", []string{"cameras[0].rules[0].cooldown: invalid duration \"5 minutes\"", "(line 8)"}},
		{"bare number duration", base + "    stall_timeout: 30\n", []string{"cameras[0].stall_timeout: invalid duration \"30\""}},
		{"bad type", base + "    sample_fps: fast\n", []string{"cameras[0].sample_fps: cannot unmarshal !!str `fast` into float64 (line 8)"}},
		{"stride over frames", base + "    segment: {frames: 8, stride: 9}\n", []string{"cameras[0].segment.stride: must be ≤ segment.frames (8), got 9 (line 8)"}},
		{"bad enum", base + "    hwaccel: opencl\n", []string{"cameras[0].hwaccel: \"opencl\" is not one of none, cuda, vaapi, auto (line 8)"}},
		{"bad scheme", strings.Replace(base, "rtsp://u:${CAM1_PASSWORD}@", "http://u:${CAM1_PASSWORD}@", 1), []string{"cameras[0].url: \"http://u:***@192.0.2.1/s\": scheme must be rtsp, rtsps or file"}},
		{"password needs escaping", strings.Replace(base, "${CAM1_PASSWORD}", "s3cr/t", 1), []string{`cameras[0].url: invalid URL "rtsp://u:***@192.0.2.1/s": the password has characters that must be percent-encoded`}},
		{"password misread as a port", strings.Replace(base, "${CAM1_PASSWORD}", "1234/5678", 1), []string{`cameras[0].url: invalid URL "rtsp://u:***@192.0.2.1/s": a '/', '?' or '#' before the '@' makes it ambiguous`}},
		{"no texts", base + "      - id: other\n        texts: []\n", []string{"cameras[0].rules[1].texts: at least one text is required"}},
		{"prompt without text, two texts", base + "      - id: other\n        texts: [fire, smoke]\n        prompt: Is anything burning?\n",
			[]string{"cameras[0].rules[1].prompt: must contain {text}: the rule has 2 texts"}},
		{"prompt without text, batching", "lvlm: {batching: true}\n" + base + "      - id: other\n        texts: [fire]\n        prompt: Is anything burning?\n",
			[]string{"cameras[0].rules[1].prompt: must contain {text} with lvlm.batching on"}},
		{"embedded NATS on the HTTP port", "global: {http: {listen: \"0.0.0.0:4222\"}}\nnats: {embedded: {host: 127.0.0.1, port: 4222}}\n" + base,
			[]string{"nats.embedded.port: port 4222 is also the port of global.http.listen (0.0.0.0:4222)"}},
		{"embedded MQTT on the HTTP port", "global: {http: {listen: \"localhost:1883\"}}\nnats: {embedded: {host: 127.0.0.1, mqtt: {enabled: true, port: 1883}}}\n" + base,
			[]string{"nats.embedded.mqtt.port: port 1883 is also the port of global.http.listen (localhost:1883)"}},
		{"no cameras", "global: {node: x}\n", []string{"cameras: at least one camera is required"}},
		{"empty file", "", []string{"empty configuration"}},
		{"syntax error", "cameras: [\n", []string{"line"}},
		{"not a mapping", "- a\n- b\n", []string{"must be a mapping"}},
		{"two documents", base + "---\nx: 1\n", []string{"more than one YAML document"}},
		{"bad active hours", base + "        active_hours: [\"25:00-06:00\"]\n", []string{"cameras[0].rules[0].active_hours[0]: invalid active hours", "(line 8)"}},
		{"bad defaults reported once", "defaults:\n  rule: {threshold: 2}\n" + base + "  - id: cam2\n    url: rtsp://h/x\n    rules: [{id: r, texts: [x]}]\n", []string{"defaults.rule.threshold: must be in (0,1], got 2 (line 2)"}},
		{"nats auth conflict", "nats:\n  urls: [nats://h:4222]\n  token: t\n  creds_file: /x\n" + base, []string{"nats: choose one authentication method"}},
		{"embedded only user/password", "nats:\n  token: t\n" + base, []string{"nats.token: only used with an external server"}},
		{"dup window over max age", "nats:\n  max_age: 1h\n  duplicate_window: 2h\n" + base, []string{"nats.duplicate_window: 2h0m0s is longer than nats.max_age 1h0m0s (line 3)"}},
		{"bad listen", "global:\n  http: {listen: 9464}\n" + base, []string{"global.http.listen: \"9464\" is not host:port"}},
		{"bad timezone", "global:\n  timezone: Mars/Olympus\n" + base, []string{"global.timezone: unknown time zone"}},
		{"relative state dir", "global:\n  state_dir: state\n" + base, []string{"global.state_dir: must be an absolute path"}},
		{"bad size", "nats:\n  max_bytes: lots\n" + base, []string{"nats.max_bytes: invalid size \"lots\""}},
		{"unterminated substitution", strings.Replace(base, "${CAM1_PASSWORD}", "${CAM1", 1), []string{"cameras[0].url: unterminated"}},
		{"cameras not a list", "cameras: {id: a}\n", []string{"cameras: must be a list of cameras (line 1)"}},
		{"unknown field through a merge key", "defaults: &d\n  transport: tcp\n  rule: {threshold: 0.5}\ncameras:\n  - <<: *d\n    id: a\n    url: rtsp://h/a\n    rules: [{id: r, texts: [x]}]\n",
			[]string{"cameras[0].rule: unknown field; did you mean \"rules\"? (line 3)"}},
		{"bad lifecycle settings", base + "        smoothing: 0\n        update_every: 0s\n        close_after: -1s\n", []string{"cameras[0].rules[0].smoothing: must be 1-100 segments, got 0 (line 8)", "cameras[0].rules[0].update_every: must not be 0", "cameras[0].rules[0].close_after: must not be negative"}},
		{"no endpoints", "lvlm:\n  endpoints: []\n" + base, []string{"lvlm.endpoints: at least one endpoint is required"}},
		{"two servers in one url", "nats:\n  urls: [\"nats://bob:pw1@10.0.0.1:4222,nats://bob:pw1@10.0.0.2:4222\"]\n  user: u\n" + base, []string{"nats.urls[0]: one server per list entry"}},
		{"endpoints not a list", "lvlm:\n  endpoints: {url: http://gpu:11434, model: llava}\n" + base, []string{"lvlm.endpoints: must be a list of endpoints (line 2)"}},
		{"cameras twice", base + "cameras:\n  - id: cam2\n    url: rtsp://h/x\n    rules: [{id: r, texts: [x]}]\n", []string{"cameras: defined twice (also at line 2): one block would be ignored (line 8)"}},
		{"rules twice", base + "    rules: [{id: r, texts: [x]}]\n", []string{"cameras[0].rules: defined twice (also at line 5): one block would be ignored (line 8)"}},
		{"endpoints twice", "lvlm:\n  endpoints: [{url: http://a:11434, model: m}]\n  endpoints: [{url: http://b:11434, model: m}]\n" + base, []string{"lvlm.endpoints: defined twice (also at line 2): one block would be ignored (line 3)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := configs.Parse("test.yaml", []byte(tt.yaml), testEnv())
			if err == nil {
				t.Fatalf("Parse accepted a broken file: %+v", c)
			}
			var errs configs.Errors
			if !errors.As(err, &errs) || len(errs) == 0 {
				t.Fatalf("error is not configs.Errors: %T %v", err, err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error\n%v\ndoes not contain\n%s", err, w)
				}
			}
		})
	}
}

// TestParseReportsEveryError checks that problems in different places are
// all reported in one go, in line order.
func TestParseReportsEveryError(t *testing.T) {
	yaml := `
global:
  log: {level: loud}
cameras:
  - id: a
    url: rtsp://h/a
    sample_fps: 0
    rules:
      - {id: r, texts: [x], threshold: 0}
      - {id: s, texts: [y], weights: [1, 1, 1]}
  - id: b
    url: ftp://h/b
    rules: [{id: r, texts: [x]}]
`
	_, err := configs.Parse("t.yaml", []byte(yaml), testEnv())
	var errs configs.Errors
	if !errors.As(err, &errs) {
		t.Fatalf("err = %v", err)
	}
	wantPaths := []string{"global.log.level", "cameras[0].sample_fps", "cameras[0].rules[0].threshold", "cameras[0].rules[1].weights", "cameras[1].url"}
	if len(errs) != len(wantPaths) {
		t.Fatalf("got %d errors, want %d:\n%v", len(errs), len(wantPaths), err)
	}
	for i, e := range errs {
		if e.Path != wantPaths[i] || e.Line == 0 {
			t.Errorf("error %d = %+v, want path %s with a line", i, e, wantPaths[i])
		}
	}
}

func TestLoadFile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "c.yaml")
	if err := os.WriteFile(p, []byte(strings.ReplaceAll(base, "${CAM1_PASSWORD}", "pw")), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := configs.Load(p)
	if err != nil {
		t.Fatal(err)
	}
	if c.Path() != p || c.Line("cameras[0].rules[0].texts") != 7 || c.Line("cameras[0].rules[0].threshold") != 6 {
		t.Errorf("path %q, lines %d %d", c.Path(), c.Line("cameras[0].rules[0].texts"), c.Line("cameras[0].rules[0].threshold"))
	}
	if _, err := configs.Load(filepath.Join(dir, "missing.yaml")); err == nil || !strings.Contains(err.Error(), "missing.yaml") {
		t.Errorf("missing file: %v", err)
	}
}

// TestErrorsNeverLeakSecrets: a substituted secret that fails to decode
// must not be quoted in the error.
func TestErrorsNeverLeakSecrets(t *testing.T) {
	yaml := "nats:\n  embedded:\n    port: ${CAM1_PASSWORD}\n" + strings.Replace(base, "@192.0.2.1/s", "@192.0.2.1:99999/s", 1)
	_, err := configs.Parse("t.yaml", []byte(yaml), testEnv())
	if err == nil {
		t.Fatal("accepted")
	}
	if strings.Contains(err.Error(), "s3cr3t-pw") {
		t.Errorf("secret in error:\n%v", err)
	}
}
