package replay_test

import (
	"testing"

	"github.com/anyanomaly/anyanomaly/stream/streamtest"
)

// TestWriteSourceFuzzSeeds regenerates the committed seed corpus of
// FuzzSource from tiny generated clips:
// ANYANOMALY_WRITE_FUZZ_SEEDS=1 go test ./stream/replay -run WriteSourceFuzzSeeds
func TestWriteSourceFuzzSeeds(t *testing.T) {
	dir := streamtest.FuzzSeedDir(t, "FuzzSource")
	streamtest.WriteClipSeeds(t, dir, streamtest.ClipSpec{Width: 64, Height: 64, FPS: 10, Seconds: 0.3, GOP: 2}, false, []streamtest.ClipSeed{
		{Name: "h264_mp4", Kind: 0, Codec: "h264", Container: "mp4"},
		{Name: "h265_raw", Kind: 2, Codec: "h265", Container: "raw"},
	})
}
