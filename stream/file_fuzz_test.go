package stream_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/anyanomaly/anyanomaly/stream"
	"github.com/anyanomaly/anyanomaly/stream/segment"
	"github.com/anyanomaly/anyanomaly/stream/streamtest"
)

// fuzzFileExts are the names a fuzzed file is given: FFmpeg takes the
// extension as a hint when it probes, so each one reaches other demuxers.
var fuzzFileExts = []string{".mp4", ".mkv", ".264", ".265", ".avi", ""}

// FuzzReadFile hands ReadFile arbitrary bytes as a video file: the files
// users pass to `detect`, `eval` and `replay` are outside input, and a
// broken or hostile one must end in an error, never a panic or a hang.
// kind picks the file name extension (low bits) and the options (bit 4:
// recycled images, bit 5: sampling at 5 fps). Whatever is delivered must
// have the configured shape.
func FuzzReadFile(f *testing.F) {
	f.Add(byte(0), []byte("not a video at all"))
	f.Add(byte(2), []byte{0, 0, 0, 1, 0x67, 0x42, 0, 0x0a, 0, 0, 0, 1, 0x65, 0x88})
	f.Fuzz(func(t *testing.T, kind byte, data []byte) {
		path := filepath.Join(t.TempDir(), "clip"+fuzzFileExts[int(kind&0x0f)%len(fuzzFileExts)])
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		opts := stream.FileOptions{LongSide: 32, SegmentFrames: 2, RecycleImages: kind&0x10 != 0}
		if kind&0x20 != 0 {
			opts.SampleFPS = 5
		}
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		var segs int64
		info, err := stream.ReadFile(ctx, path, opts, func(seg *segment.Segment) error {
			defer seg.Release()
			if len(seg.Frames) != 2 {
				return fmt.Errorf("segment %d has %d frames, want 2", seg.Seq, len(seg.Frames))
			}
			for _, fr := range seg.Frames {
				b := fr.Image.Bounds()
				if b.Dx() <= 0 || b.Dy() <= 0 || max(b.Dx(), b.Dy()) > 32 {
					return fmt.Errorf("frame %d is %v, want a long side of at most 32", fr.Index, b)
				}
				if len(fr.Image.Y) < fr.Image.YStride*(b.Dy()-1)+b.Dx() {
					return fmt.Errorf("frame %d: luma plane of %d bytes for %v", fr.Index, len(fr.Image.Y), b)
				}
			}
			segs++
			return nil
		})
		if ctx.Err() != nil {
			t.Fatalf("ReadFile still busy after 20 s (%v)", err)
		}
		if err != nil {
			if segs > 0 && info.Segments != segs {
				t.Fatalf("error %v after %d segments, info says %d", err, segs, info.Segments)
			}
			return
		}
		if info.Segments != segs || info.Analysed < 2*segs || info.Frames < info.Analysed {
			t.Fatalf("info %+v after %d segments", info, segs)
		}
	})
}

// TestWriteReadFileFuzzSeeds regenerates the committed seed corpus of
// FuzzReadFile from tiny generated clips, whole and cut short:
// ANYANOMALY_WRITE_FUZZ_SEEDS=1 go test ./stream -run WriteReadFileFuzzSeeds
func TestWriteReadFileFuzzSeeds(t *testing.T) {
	dir := streamtest.FuzzSeedDir(t, "FuzzReadFile")
	streamtest.WriteClipSeeds(t, dir, streamtest.ClipSpec{Width: 64, Height: 64, FPS: 10, Seconds: 0.5, GOP: 3}, true, []streamtest.ClipSeed{
		{Name: "h264_mp4", Kind: 0, Codec: "h264", Container: "mp4"},
		{Name: "h265_mkv", Kind: 1 | 0x10, Codec: "h265", Container: "mkv"},
		{Name: "h264_raw", Kind: 2 | 0x20, Codec: "h264", Container: "raw"},
		{Name: "h265_raw", Kind: 3, Codec: "h265", Container: "raw"},
	})
}
