package decode

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
)

func TestHWAccelAutoFallsBackToSoftware(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&buf, nil))
	d, err := NewDecoder(Config{Codec: "h264", HWAccel: HWAuto, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if d.HWAccel() != HWNone {
		t.Skipf("a %s device works on this machine; the fallback path cannot be tested here", d.HWAccel())
	}
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 3 {
		t.Fatalf("want one line per failed device plus the software line, got:\n%s", buf.String())
	}
	for i, dev := range []string{"cuda", "vaapi"} {
		if !strings.Contains(lines[i], "hwaccel="+dev) || !strings.Contains(lines[i], "reason=") {
			t.Fatalf("line %d %q does not explain why %s failed", i, lines[i], dev)
		}
	}
	if !strings.Contains(lines[2], "software") {
		t.Fatalf("last line %q does not say software", lines[2])
	}
	t.Log(buf.String())
}

func TestHWAccelExplicitFailsClearly(t *testing.T) {
	for _, dev := range []string{HWCUDA, HWVAAPI} {
		t.Run(dev, func(t *testing.T) {
			d, err := NewDecoder(Config{Codec: "h264", HWAccel: dev})
			if err == nil {
				d.Close()
				t.Skipf("%s works on this machine", dev)
			}
			if !strings.Contains(err.Error(), "hwaccel "+dev) || len(err.Error()) < len("hwaccel "+dev)+10 {
				t.Fatalf("error %q does not name the device and the reason", err)
			}
			t.Log(err)
		})
	}
}

func TestNewDecoderRejects(t *testing.T) {
	if _, err := NewDecoder(Config{Codec: "nosuchcodec"}); err == nil {
		t.Fatal("unknown codec accepted")
	}
	if _, err := NewDecoder(Config{Codec: "h264", HWAccel: "opencl"}); err == nil {
		t.Fatal("unknown hwaccel accepted")
	}
}

func TestOutputSize(t *testing.T) {
	for _, tc := range []struct{ w, h, long, ww, wh int }{
		{1920, 1080, 640, 640, 360},
		{1080, 1920, 640, 360, 640},
		{856, 480, 0, 640, 359},
		{100, 100, 64, 64, 64},
	} {
		if w, h := OutputSize(tc.w, tc.h, tc.long); w != tc.ww || h != tc.wh {
			t.Errorf("OutputSize(%d,%d,%d) = %dx%d, want %dx%d", tc.w, tc.h, tc.long, w, h, tc.ww, tc.wh)
		}
	}
}
