package replay_test

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/anyanomaly/anyanomaly/stream/streamtest"
)

// TestWriteSourceFuzzSeeds regenerates the committed seed corpus of
// FuzzSource from tiny generated clips:
// ANYANOMALY_WRITE_FUZZ_SEEDS=1 go test ./stream/replay -run WriteSourceFuzzSeeds
func TestWriteSourceFuzzSeeds(t *testing.T) {
	if os.Getenv("ANYANOMALY_WRITE_FUZZ_SEEDS") == "" {
		t.Skip("seed corpus is committed; set ANYANOMALY_WRITE_FUZZ_SEEDS=1 to regenerate it")
	}
	dir := filepath.Join("testdata", "fuzz", "FuzzSource")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name             string
		kind             byte
		codec, container string
	}{
		{"h264_mp4", 0, "h264", "mp4"},
		{"h265_raw", 2, "h265", "raw"},
	} {
		clip := streamtest.GenerateClip(t, streamtest.ClipSpec{Width: 64, Height: 64, FPS: 10, Seconds: 0.3, Codec: c.codec, Container: c.container, GOP: 2})
		data, err := os.ReadFile(clip)
		if err != nil {
			t.Fatal(err)
		}
		body := fmt.Appendf(nil, "go test fuzz v1\nbyte(%q)\n[]byte(%q)\n", c.kind, data)
		if err := os.WriteFile(filepath.Join(dir, c.name), body, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
