package configs_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/anyanomaly/anyanomaly/configs"
)

const diffBase = `
global: {node: n1}
cameras:
  - id: a
    url: rtsp://u:pw@h/a
    rules:
      - {id: r1, texts: [x], threshold: 0.5}
      - {id: r2, texts: [y]}
  - id: b
    url: rtsp://h/b
    rules: [{id: r, texts: [x]}]
  - id: c
    url: rtsp://h/c
    rules: [{id: r, texts: [x]}]
`

func mustParse(t *testing.T, y string) *configs.Config {
	t.Helper()
	c, err := configs.Parse("t.yaml", []byte(y), testEnv())
	if err != nil {
		t.Fatalf("Parse:\n%v", err)
	}
	return c
}

func TestDiff(t *testing.T) {
	tests := []struct {
		name      string
		edit      func(string) string
		want      map[string]configs.CameraChange
		global    []string
		fieldsOfA []string
	}{
		{"identical", func(s string) string { return s }, map[string]configs.CameraChange{"a": configs.CameraUnchanged, "b": configs.CameraUnchanged, "c": configs.CameraUnchanged}, nil, nil},
		{"threshold in place", func(s string) string { return strings.Replace(s, "threshold: 0.5", "threshold: 0.7", 1) },
			map[string]configs.CameraChange{"a": configs.CameraUpdated, "b": configs.CameraUnchanged}, nil, []string{"rules[r1].threshold"}},
		{"rule added and removed", func(s string) string { return strings.Replace(s, "{id: r2, texts: [y]}", "{id: r3, texts: [y]}", 1) },
			map[string]configs.CameraChange{"a": configs.CameraUpdated}, nil, []string{"rules[r3]", "rules[r2]"}},
		{"rule order only", func(s string) string {
			return strings.Replace(s, "      - {id: r1, texts: [x], threshold: 0.5}\n      - {id: r2, texts: [y]}", "      - {id: r2, texts: [y]}\n      - {id: r1, texts: [x], threshold: 0.5}", 1)
		}, map[string]configs.CameraChange{"a": configs.CameraUnchanged}, nil, nil},
		{"motion gate in place", func(s string) string {
			return strings.Replace(s, "url: rtsp://u:pw@h/a", "url: rtsp://u:pw@h/a\n    motion_gate: {threshold: 9}", 1)
		},
			map[string]configs.CameraChange{"a": configs.CameraUpdated}, nil, []string{"motion_gate.threshold"}},
		{"url restarts", func(s string) string { return strings.Replace(s, "rtsp://u:pw@h/a", "rtsp://u:pw2@h/a", 1) },
			map[string]configs.CameraChange{"a": configs.CameraRestart, "b": configs.CameraUnchanged}, nil, []string{"url"}},
		{"transport restarts", func(s string) string {
			return strings.Replace(s, "url: rtsp://h/b", "url: rtsp://h/b\n    transport: udp", 1)
		},
			map[string]configs.CameraChange{"b": configs.CameraRestart, "a": configs.CameraUnchanged}, nil, nil},
		{"tls_insecure restarts", func(s string) string {
			return strings.Replace(s, "url: rtsp://h/b", "url: rtsp://h/b\n    tls_insecure: true", 1)
		},
			map[string]configs.CameraChange{"b": configs.CameraRestart, "a": configs.CameraUnchanged}, nil, nil},
		{"defaults change reaches every camera", func(s string) string { return s + "defaults: {sample_fps: 2}\n" },
			map[string]configs.CameraChange{"a": configs.CameraRestart, "b": configs.CameraRestart, "c": configs.CameraRestart}, nil, []string{"sample_fps"}},
		{"added and removed", func(s string) string {
			return strings.Replace(s, "  - id: c\n    url: rtsp://h/c", "  - id: d\n    url: rtsp://h/d", 1)
		}, map[string]configs.CameraChange{"c": configs.CameraRemoved, "d": configs.CameraAdded, "a": configs.CameraUnchanged}, nil, nil},
		{"disabled counts as removed", func(s string) string {
			return strings.Replace(s, "url: rtsp://h/c", "url: rtsp://h/c\n    enabled: false", 1)
		},
			map[string]configs.CameraChange{"c": configs.CameraRemoved}, nil, nil},
		{"global changes", func(s string) string {
			return s + "lvlm: {prompt_variant: simple}\nnats: {urls: [\"nats://h:4222\"]}\n"
		},
			map[string]configs.CameraChange{"a": configs.CameraUnchanged}, []string{"lvlm.prompt_variant", "nats.urls"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			old := mustParse(t, diffBase)
			d := configs.Diff(old, mustParse(t, tt.edit(diffBase)))
			for id, want := range tt.want {
				cd := d.Camera(id)
				if cd == nil {
					t.Errorf("camera %s missing from diff %+v", id, d)
					continue
				}
				if cd.Change != want {
					t.Errorf("camera %s: %s, want %s (fields %v)", id, cd.Change, want, cd.Fields)
				}
			}
			if !reflect.DeepEqual(d.Global, tt.global) {
				t.Errorf("global = %v, want %v", d.Global, tt.global)
			}
			if tt.fieldsOfA != nil {
				if cd := d.Camera("a"); cd == nil || !reflect.DeepEqual(cd.Fields, tt.fieldsOfA) {
					t.Errorf("fields of a = %+v, want %v", cd, tt.fieldsOfA)
				}
			}
			if tt.name == "identical" && (!d.Empty() || d.Summary() != "no changes") {
				t.Errorf("identical configs: %+v %q", d, d.Summary())
			}
			if strings.Contains(d.Summary(), "pw") {
				t.Errorf("summary leaks: %s", d.Summary())
			}
		})
	}
}

func TestDiffFromNil(t *testing.T) {
	d := configs.Diff(nil, mustParse(t, diffBase))
	if len(d.Cameras) != 3 || len(d.Global) != 0 {
		t.Fatalf("diff from nil = %+v", d)
	}
	for _, c := range d.Cameras {
		if c.Change != configs.CameraAdded {
			t.Errorf("%s: %s, want added", c.ID, c.Change)
		}
	}
	if got := d.Summary(); got != "cameras: added a,b,c" {
		t.Errorf("summary = %q", got)
	}
}
