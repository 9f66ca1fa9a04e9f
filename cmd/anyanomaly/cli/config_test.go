package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestConfigCheck(t *testing.T) {
	t.Setenv("CAM1_PASSWORD", "pw-never-printed")
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := "cameras:\n  - id: a\n    url: rtsp://u:${CAM1_PASSWORD}@h/a\n    rules: [{id: r, texts: [x]}]\n"
	tests := []struct {
		name    string
		file    string
		args    []string
		code    int
		wantOut []string
		wantErr []string
	}{
		{"good", write("good.yaml", good), nil, 0, []string{"good.yaml: OK: 1 camera (1 enabled), 1 rule (1 enabled)"}, nil},
		{"example", "../../../configs/examples/minimal.yaml", nil, 0, []string{"OK: 1 camera"}, nil},
		{"show masks secrets", write("show.yaml", good), []string{"--show"}, 0, []string{"url: rtsp://u:***@h/a"}, nil},
		{"broken", write("bad.yaml", good+"    hwaccel: opencl\n  - id: a\n    url: rtsp://h/b\n    rules: [{id: r, texts: [x], threshold: 2}]\n"), nil, 1, nil,
			[]string{"bad.yaml: cameras[0].hwaccel: \"opencl\" is not one of none, cuda, vaapi, auto (line 5)",
				"bad.yaml: cameras[1].id: duplicate camera id \"a\"",
				"bad.yaml: cameras[1].rules[0].threshold: must be in (0,1], got 2 (line 8)",
				"3 problem(s)"}},
		{"unknown field", write("unknown.yaml", good+"    colour: red\n"), nil, 1, nil, []string{"cameras[0].colour: unknown field", "(line 5)"}},
		{"missing file", filepath.Join(dir, "nope.yaml"), nil, 1, nil, []string{"nope.yaml"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errw bytes.Buffer
			code := Main(append([]string{"config", "check", tt.file}, tt.args...), strings.NewReader(""), &out, &errw)
			if code != tt.code {
				t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tt.code, out.String(), errw.String())
			}
			for _, w := range tt.wantOut {
				if !strings.Contains(out.String(), w) {
					t.Errorf("stdout %q lacks %q", out.String(), w)
				}
			}
			for _, w := range tt.wantErr {
				if !strings.Contains(errw.String(), w) {
					t.Errorf("stderr %q lacks %q", errw.String(), w)
				}
			}
			if strings.Contains(out.String()+errw.String(), "pw-never-printed") {
				t.Errorf("password printed")
			}
			if tt.code == 0 && strings.Count(strings.TrimSpace(out.String()), "\n") > 0 && tt.args == nil {
				t.Errorf("summary is not one line: %q", out.String())
			}
		})
	}
}

func TestConfigSchema(t *testing.T) {
	var out bytes.Buffer
	if code := Main([]string{"config", "schema"}, strings.NewReader(""), &out, &out); code != 0 || !strings.Contains(out.String(), "\"$schema\"") {
		t.Errorf("config schema: %d %s", code, out.String())
	}
}
