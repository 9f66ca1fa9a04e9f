package replay_test

import (
	"os"
	"testing"

	"github.com/anyanomaly/anyanomaly/stream/streamtest"
)

// TestWriteSourceFuzzSeeds regenerates the committed seed corpus of
// FuzzSource from tiny generated clips:
// ANYANOMALY_WRITE_FUZZ_SEEDS=1 go test ./stream/replay -run WriteSourceFuzzSeeds
func TestWriteSourceFuzzSeeds(t *testing.T) {
	dir := streamtest.FuzzSeedDir(t, "FuzzSource")
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
		streamtest.WriteFuzzSeed(t, dir, c.name, c.kind, data)
	}
}
