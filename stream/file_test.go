package stream_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/anyanomaly/anyanomaly/stream"
	"github.com/anyanomaly/anyanomaly/stream/segment"
	"github.com/anyanomaly/anyanomaly/stream/streamtest"
)

func TestReadFile(t *testing.T) {
	anomaly := &streamtest.Anomaly{Start: 1, End: 1.6, X: 0.5, Y: 0.5, Size: 0.25}
	tests := []struct {
		name       string
		spec       streamtest.ClipSpec
		frames     bool // JPEG folder instead of a clip
		opts       stream.FileOptions
		wantCodec  string
		wantW      int
		wantH      int
		wantFrames int64
	}{
		{"h264 mp4", streamtest.ClipSpec{Width: 320, Height: 240, FPS: 25, Seconds: 2, Anomaly: anomaly}, false,
			stream.FileOptions{SegmentFrames: 8}, "h264", 640, 480, 50},
		{"h265 mkv", streamtest.ClipSpec{Width: 320, Height: 180, FPS: 25, Seconds: 2, Codec: "h265", Container: "mkv", Anomaly: anomaly}, false,
			stream.FileOptions{SegmentFrames: 8, Stride: 4, LongSide: 160}, "hevc", 160, 90, 50},
		{"raw h264 with b-frames", streamtest.ClipSpec{Width: 240, Height: 320, FPS: 25, Seconds: 2, Container: "raw", BFrames: 2, Anomaly: anomaly}, false,
			stream.FileOptions{SegmentFrames: 8}, "h264", 480, 640, 50},
		{"raw h265 sampled", streamtest.ClipSpec{Width: 320, Height: 240, FPS: 25, Seconds: 2, Codec: "h265", Container: "raw", Anomaly: anomaly}, false,
			stream.FileOptions{SegmentFrames: 4, SampleFPS: 5}, "hevc", 640, 480, 50},
		{"jpeg folder", streamtest.ClipSpec{Width: 320, Height: 240, FPS: 25, Seconds: 2, Anomaly: anomaly}, true,
			stream.FileOptions{SegmentFrames: 8}, "mjpeg", 640, 480, 50},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var path string
			if tc.frames {
				path = streamtest.GenerateFrames(t, tc.spec)
			} else {
				path = streamtest.GenerateClip(t, tc.spec)
			}
			n := tc.opts.SegmentFrames
			stride := tc.opts.Stride
			if stride == 0 {
				stride = n
			}
			var segs []*segment.Segment
			info, err := stream.ReadFile(context.Background(), path, tc.opts, func(s *segment.Segment) error {
				segs = append(segs, s)
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if info.Frames != tc.wantFrames || info.Codec != tc.wantCodec {
				t.Fatalf("info %+v, want %d frames of %s", info, tc.wantFrames, tc.wantCodec)
			}
			analysed := info.Frames
			if tc.opts.SampleFPS > 0 {
				analysed = int64(float64(info.Frames) * tc.opts.SampleFPS / 25)
			}
			if info.Analysed != analysed {
				t.Fatalf("analysed %d frames, want %d", info.Analysed, analysed)
			}
			wantSegs := (analysed-int64(n))/int64(stride) + 1
			if int64(len(segs)) != wantSegs {
				t.Fatalf("%d segments, want %d", len(segs), wantSegs)
			}
			var lastSrc int64 = -1
			redInside, redOutside := 0, 0
			for k, s := range segs {
				if s.Seq != uint64(k) || len(s.Frames) != n {
					t.Fatalf("segment %d: seq %d, %d frames", k, s.Seq, len(s.Frames))
				}
				for j, f := range s.Frames {
					if f.Image.Bounds().Dx() != tc.wantW || f.Image.Bounds().Dy() != tc.wantH {
						t.Fatalf("frame size %v, want %dx%d", f.Image.Bounds(), tc.wantW, tc.wantH)
					}
					if j > 0 && (f.PTS <= s.Frames[j-1].PTS || f.SourceIndex <= s.Frames[j-1].SourceIndex) {
						t.Fatalf("segment %d: frame %d not after frame %d", k, j, j-1)
					}
					if stride == n && f.SourceIndex <= lastSrc {
						t.Fatalf("source index %d after %d", f.SourceIndex, lastSrc)
					}
					lastSrc = f.SourceIndex
					red := streamtest.RedFraction(f.Image) > 0.01
					if tc.spec.AnomalyVisible(int(f.SourceIndex)) {
						if red {
							redInside++
						} else {
							t.Errorf("frame %d: anomaly not visible after decoding", f.SourceIndex)
						}
					} else if red {
						redOutside++
						t.Errorf("frame %d: red outside the anomaly interval", f.SourceIndex)
					}
				}
			}
			if redInside == 0 {
				t.Fatal("no analysed frame showed the anomaly")
			}
		})
	}
}

func TestReadFileErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.mp4")
	if err := os.WriteFile(bad, []byte("not a video at all"), 0o644); err != nil {
		t.Fatal(err)
	}
	// Parameter sets and a slice header cut short: FFmpeg opens it as
	// H.264 but no frame decodes.
	undecodable := filepath.Join(dir, "cut.264")
	if err := os.WriteFile(undecodable, []byte{0, 0, 0, 1, 0x67, 0x42, 0, 0x0a, 0, 0, 0, 1, 0x65, 0x88}, 0o644); err != nil {
		t.Fatal(err)
	}
	empty := t.TempDir()
	dup := t.TempDir()
	for _, n := range []string{"1.jpg", "01.jpg"} {
		if err := os.WriteFile(filepath.Join(dup, n), []byte{0xff, 0xd8}, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct{ name, path string }{
		{"missing", filepath.Join(dir, "nope.mp4")},
		{"garbage", bad},
		{"no decodable frame", undecodable},
		{"empty folder", empty},
		{"duplicate numbers", dup},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := stream.ReadFile(context.Background(), tc.path, stream.FileOptions{}, func(*segment.Segment) error { return nil })
			if err == nil {
				t.Fatal("no error")
			}
			t.Log(err)
		})
	}
}

func TestReadFileStopsOnCallbackError(t *testing.T) {
	path := streamtest.GenerateClip(t, streamtest.ClipSpec{Width: 160, Height: 120, Seconds: 2})
	stop := errors.New("stop")
	calls := 0
	_, err := stream.ReadFile(context.Background(), path, stream.FileOptions{SegmentFrames: 4}, func(*segment.Segment) error {
		calls++
		return stop
	})
	if !errors.Is(err, stop) || calls != 1 {
		t.Fatalf("err %v after %d calls", err, calls)
	}
}

// TestResolutionChangeNeverMixesSizes: a raw stream whose resolution
// changes mid-way (two clips concatenated, as a camera whose operator
// switches 16:9 to 4:3 sends a new SPS) once gave a segment with frames of
// both sizes, which the context builders refuse. A camera drops the window
// before the change; offline, the later frames are scaled to the first
// size instead, so that none is lost.
func TestResolutionChangeNeverMixesSizes(t *testing.T) {
	a := streamtest.GenerateClip(t, streamtest.ClipSpec{Width: 320, Height: 240, FPS: 25, Seconds: 0.24, GOP: 6, Container: "raw"})
	b := streamtest.GenerateClip(t, streamtest.ClipSpec{Width: 320, Height: 180, FPS: 25, Seconds: 0.24, GOP: 6, Container: "raw", Seed: 2})
	var data []byte
	for _, p := range []string{a, b} {
		d, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		data = append(data, d...)
	}
	path := filepath.Join(t.TempDir(), "mixed.264")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	read := func(t *testing.T) (stream.FileInfo, [][]string) {
		var sizes [][]string
		info, err := stream.ReadFile(context.Background(), path, stream.FileOptions{SegmentFrames: 4, LongSide: 320}, func(s *segment.Segment) error {
			var seg []string
			for _, f := range s.Frames {
				seg = append(seg, f.Image.Rect.Size().String())
			}
			sizes = append(sizes, seg)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return info, sizes
	}
	t.Run("offline", func(t *testing.T) {
		info, sizes := read(t)
		want := [][]string{{"(320,240)", "(320,240)", "(320,240)", "(320,240)"}, {"(320,240)", "(320,240)", "(320,240)", "(320,240)"}, {"(320,240)", "(320,240)", "(320,240)", "(320,240)"}}
		if info.Frames != 12 || info.Resized != 6 || fmt.Sprint(sizes) != fmt.Sprint(want) {
			t.Fatalf("%d frames (%d resized), segments %v, want 12 frames (6 resized) and %v", info.Frames, info.Resized, sizes, want)
		}
	})
	t.Run("as a camera", func(t *testing.T) {
		stream.ReadFileAsCamera(t)
		info, sizes := read(t)
		// 6 + 6 frames: one segment of each size; the 2 frames left at
		// the change and at the end fill none.
		want := [][]string{{"(320,240)", "(320,240)", "(320,240)", "(320,240)"}, {"(320,180)", "(320,180)", "(320,180)", "(320,180)"}}
		if info.Frames != 12 || info.Resized != 0 || fmt.Sprint(sizes) != fmt.Sprint(want) {
			t.Fatalf("%d frames (%d resized), segments %v, want 12 frames and %v", info.Frames, info.Resized, sizes, want)
		}
	})
}
