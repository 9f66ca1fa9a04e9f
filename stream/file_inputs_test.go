package stream_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/anyanomaly/anyanomaly/stream"
	"github.com/anyanomaly/anyanomaly/stream/segment"
	"github.com/anyanomaly/anyanomaly/stream/streamtest"
)

// ffmpegTo runs the ffmpeg CLI with args (the output last).
func ffmpegTo(t *testing.T, args ...string) {
	t.Helper()
	streamtest.NeedFFmpeg(t)
	out, err := exec.Command("ffmpeg", append([]string{"-hide_banner", "-loglevel", "error", "-y"}, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("ffmpeg %v: %v\n%s", args, err, out)
	}
}

// matrixClip writes a 64x48 clip with a white block in the stored
// picture's top-left corner and the track header's display matrix set to
// m, as a phone writes it.
func matrixClip(t *testing.T, m [9]uint32) string {
	t.Helper()
	dir := t.TempDir()
	plain := filepath.Join(dir, "plain.mp4")
	ffmpegTo(t, "-f", "lavfi", "-i", "color=c=black:s=64x48:r=10:d=0.8", "-vf", "drawbox=x=0:y=0:w=16:h=16:c=white:t=fill",
		"-c:v", "libx264", "-pix_fmt", "yuv420p", plain)
	b, err := os.ReadFile(plain)
	if err != nil {
		t.Fatal(err)
	}
	var ident, set bytes.Buffer
	_ = binary.Write(&ident, binary.BigEndian, [9]uint32{0x10000, 0, 0, 0, 0x10000, 0, 0, 0, 0x40000000})
	_ = binary.Write(&set, binary.BigEndian, m)
	i := bytes.Index(b, []byte("tkhd"))
	j := bytes.Index(b[max(i, 0):], ident.Bytes())
	if i < 0 || j < 0 {
		t.Fatal("no track header matrix in the generated clip")
	}
	copy(b[i+j:], set.Bytes())
	path := filepath.Join(dir, "turned.mp4")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestDisplayMatrixApplied: phones store portrait video as landscape
// pictures with a display matrix, which players and the ffmpeg CLI
// honour. Read as stored, the LVLM saw the scene on its side (a standing
// person lying down). A front camera's matrix mirrors instead; read as a
// half turn, it put the picture upside down.
func TestDisplayMatrixApplied(t *testing.T) {
	tests := []struct {
		name   string
		matrix [9]uint32
		size   image.Point
		white  image.Point // where the stored top-left block is shown
	}{
		// ffprobe: rotation=-90, a quarter turn clockwise.
		{"quarter turn", [9]uint32{0, 0x10000, 0, 0xFFFF0000, 0, 0, 0, 0, 0x40000000}, image.Pt(48, 64), image.Pt(40, 4)},
		// x' = -x + width: a mirror, no turn.
		{"mirror", [9]uint32{0xFFFF0000, 0, 0, 0, 0x10000, 0, 64 << 16, 0, 0x40000000}, image.Pt(64, 48), image.Pt(60, 4)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := matrixClip(t, tc.matrix)
			var got *image.YCbCr
			info, err := stream.ReadFile(context.Background(), path, stream.FileOptions{LongSide: 64, SegmentFrames: 4}, func(s *segment.Segment) error {
				if got == nil {
					got = s.Frames[0].Image
				}
				return nil
			})
			if err != nil || got == nil {
				t.Fatalf("read: %v (a frame: %v)", err, got != nil)
			}
			if sz := got.Rect.Size(); sz != tc.size || info.Width != tc.size.X || info.Height != tc.size.Y {
				t.Fatalf("analysed %v, FileInfo %dx%d, want %v", sz, info.Width, info.Height, tc.size)
			}
			for _, c := range []image.Point{{4, 4}, {tc.size.X - 4, 4}, {4, tc.size.Y - 4}, {tc.size.X - 4, tc.size.Y - 4}} {
				y := got.YCbCrAt(c.X, c.Y).Y
				corner := image.Rect(c.X-6, c.Y-6, c.X+6, c.Y+6)
				if want := tc.white.In(corner); want != (y > 200) {
					t.Fatalf("luma %d at %v; the white block should be shown near %v", y, c, tc.white)
				}
			}
		})
	}
}

// TestMixedSizesKeptOffline: one portrait frame in a landscape folder (or
// a recording that changes resolution) once ended the framer's window on
// each side of it, silently losing up to 2N-1 frames that detect then
// scored 0 and eval matched to the wrong labels. Offline every frame is
// kept, scaled to the first frame's size, and counted.
func TestMixedSizesKeptOffline(t *testing.T) {
	solid := func(w, h int) []byte {
		m := image.NewRGBA(image.Rect(0, 0, w, h))
		for i := range w * h {
			m.Set(i%w, i/w, color.RGBA{200, 100, 50, 255})
		}
		var buf bytes.Buffer
		if err := jpeg.Encode(&buf, m, nil); err != nil {
			t.Fatal(err)
		}
		return buf.Bytes()
	}
	land, port := solid(64, 48), solid(48, 64)
	dir := t.TempDir()
	for i := range 12 {
		data := land
		if i == 6 {
			data = port
		}
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("%03d.jpg", i)), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, recycle := range []bool{false, true} {
		t.Run(fmt.Sprint("recycle=", recycle), func(t *testing.T) {
			var src []int64
			info, err := stream.ReadFile(context.Background(), dir, stream.FileOptions{SegmentFrames: 4, LongSide: 64, RecycleImages: recycle}, func(s *segment.Segment) error {
				defer s.Release()
				for _, f := range s.Frames {
					if sz := f.Image.Rect.Size(); sz != image.Pt(64, 48) {
						return fmt.Errorf("frame %d is %v, want the first frame's 64x48", f.SourceIndex, sz)
					}
					if c := f.Image.YCbCrAt(10, 10); c.Y < 100 || c.Y > 150 {
						return fmt.Errorf("frame %d: luma %d, want the picture's (about 125)", f.SourceIndex, c.Y)
					}
					src = append(src, f.SourceIndex)
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			for k, s := range src {
				if s != int64(k) {
					t.Fatalf("delivered source frames %v: frame %d lost", src, k)
				}
			}
			if len(src) != 12 || info.Resized != 1 {
				t.Fatalf("%d frames delivered, %d resized; want 12 and 1", len(src), info.Resized)
			}
		})
	}
}

// TestCoverPictureIsNotTheVideo: a Matroska file whose first video
// stream is a still picture (cover art muxed as a track) was read as a
// one-frame video, and detect advised a shorter --segment.
func TestCoverPictureIsNotTheVideo(t *testing.T) {
	dir := t.TempDir()
	video, cover, path := filepath.Join(dir, "v.mp4"), filepath.Join(dir, "cover.jpg"), filepath.Join(dir, "with_cover.mkv")
	ffmpegTo(t, "-f", "lavfi", "-i", "testsrc2=s=64x48:r=25:d=1", "-c:v", "libx264", video)
	ffmpegTo(t, "-f", "lavfi", "-i", "color=c=blue:s=32x32", "-frames:v", "1", cover)
	ffmpegTo(t, "-i", cover, "-i", video, "-map", "0", "-map", "1", "-c", "copy", path)
	info, err := stream.ReadFile(context.Background(), path, stream.FileOptions{SegmentFrames: 4, LongSide: 64}, func(*segment.Segment) error { return nil })
	if err != nil {
		t.Fatal(err)
	}
	if info.Frames != 25 || info.Codec != "h264" {
		t.Fatalf("read %d frames of %s (%dx%d), want the 25-frame h264 video, not the cover", info.Frames, info.Codec, info.Width, info.Height)
	}
}

// TestSpecialFilesRefused: a FIFO blocked FFmpeg's open with no writer,
// past any cancellation (Ctrl-C on detect did nothing).
func TestSpecialFilesRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "pipe.mp4")
	if err := syscall.Mkfifo(path, 0o600); err != nil {
		t.Skip("cannot make a FIFO here: ", err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := stream.ReadFile(context.Background(), path, stream.FileOptions{SegmentFrames: 4}, func(*segment.Segment) error { return nil })
		done <- err
	}()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "not a regular file") {
			t.Fatalf("err = %v, want the FIFO refused by name", err)
		}
	case <-time.After(10 * time.Second):
		// Unblock the reader so the test can end.
		if f, err := os.OpenFile(path, os.O_WRONLY, 0); err == nil {
			f.Close()
		}
		t.Fatal("ReadFile blocks on a FIFO")
	}
}

// TestFrameNumberTooLarge: a frame number past int64 was reported as "no
// frame number in its name".
func TestFrameNumberTooLarge(t *testing.T) {
	dir := t.TempDir()
	name := "17000000000000000000000.jpg"
	if err := os.WriteFile(filepath.Join(dir, name), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := stream.ReadFile(context.Background(), dir, stream.FileOptions{SegmentFrames: 4}, func(*segment.Segment) error { return nil })
	if err == nil || !strings.Contains(err.Error(), name) || !strings.Contains(err.Error(), "too large") {
		t.Fatalf("err = %v, want %s named as too large", err, name)
	}
}

// TestSourceVersionSeesTheDisplayMatrix: answer caches made before the
// display matrix was applied hold answers about pictures on their side;
// a turned file's fingerprint differs from the same file's unturned.
func TestSourceVersionSeesTheDisplayMatrix(t *testing.T) {
	ident := [9]uint32{0x10000, 0, 0, 0, 0x10000, 0, 0, 0, 0x40000000}
	turned := matrixClip(t, [9]uint32{0, 0x10000, 0, 0xFFFF0000, 0, 0, 0, 0, 0x40000000})
	plain := matrixClip(t, ident)
	when := time.Unix(1_700_000_000, 0)
	for _, p := range []string{turned, plain} {
		if err := os.Chtimes(p, when, when); err != nil {
			t.Fatal(err)
		}
	}
	a, err := stream.SourceVersion(turned)
	if err != nil {
		t.Fatal(err)
	}
	b, err := stream.SourceVersion(plain)
	if err != nil {
		t.Fatal(err)
	}
	if a == b {
		t.Fatalf("a turned file and the same file unturned share the fingerprint %q", a)
	}
}
