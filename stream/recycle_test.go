package stream_test

import (
	"bytes"
	"context"
	"image"
	"testing"

	"github.com/anyanomaly/anyanomaly/stream"
	"github.com/anyanomaly/anyanomaly/stream/segment"
	"github.com/anyanomaly/anyanomaly/stream/streamtest"
)

// referenceFrames reads path without recycling and returns a copy of every
// analysed frame's pixels by frame index.
func referenceFrames(t *testing.T, path string, opts stream.FileOptions) map[int64][]byte {
	t.Helper()
	opts.RecycleImages = false
	ref := map[int64][]byte{}
	if _, err := stream.ReadFile(context.Background(), path, opts, func(s *segment.Segment) error {
		for _, f := range s.Frames {
			ref[f.Index] = planes(f.Image)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return ref
}

// TestReadFileRecycleImages checks that released images come back for
// later frames, and that no image is reused while a segment that was not
// released yet still holds it: every frame's pixels match a read without
// recycling at the moment its segment is released.
func TestReadFileRecycleImages(t *testing.T) {
	path := streamtest.GenerateClip(t, streamtest.ClipSpec{Width: 160, Height: 120, FPS: 25, Seconds: 2})
	tests := []struct {
		name string
		opts stream.FileOptions
		// hold is how many segments stay unreleased (released oldest
		// first); -1 never releases.
		hold int
		// twice releases every segment twice.
		twice     bool
		wantReuse bool
	}{
		{"back to back, released at once", stream.FileOptions{SegmentFrames: 4}, 0, false, true},
		{"overlapping, released at once", stream.FileOptions{SegmentFrames: 8, Stride: 3}, 0, false, true},
		{"overlapping, two held", stream.FileOptions{SegmentFrames: 8, Stride: 3}, 2, false, true},
		{"gaps between segments", stream.FileOptions{SegmentFrames: 4, Stride: 6}, 1, false, true},
		{"double release", stream.FileOptions{SegmentFrames: 6, Stride: 2}, 1, true, true},
		{"never released", stream.FileOptions{SegmentFrames: 4, Stride: 2}, -1, false, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.opts.LongSide = 64
			ref := referenceFrames(t, path, tc.opts)
			tc.opts.RecycleImages = true
			var (
				held   []*segment.Segment
				seen   = map[*uint8]int64{}
				reused int
				segs   int
			)
			check := func(s *segment.Segment) {
				for _, f := range s.Frames {
					if !bytes.Equal(planes(f.Image), ref[f.Index]) {
						t.Fatalf("segment %d frame %d was overwritten before its segment was released", s.Seq, f.Index)
					}
				}
			}
			release := func(s *segment.Segment) {
				check(s)
				s.Release()
				if tc.twice {
					s.Release()
				}
			}
			info, err := stream.ReadFile(context.Background(), path, tc.opts, func(s *segment.Segment) error {
				segs++
				live := map[*uint8]int64{}
				for _, h := range append(held, s) {
					for _, f := range h.Frames {
						if idx, ok := live[&f.Image.Y[0]]; ok && idx != f.Index {
							t.Fatalf("frames %d and %d share one image while both segments are held", idx, f.Index)
						}
						live[&f.Image.Y[0]] = f.Index
					}
				}
				for _, f := range s.Frames {
					if idx, ok := seen[&f.Image.Y[0]]; ok && idx != f.Index {
						reused++
					}
					seen[&f.Image.Y[0]] = f.Index
				}
				held = append(held, s)
				for tc.hold >= 0 && len(held) > tc.hold {
					release(held[0])
					held = held[1:]
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range held {
				release(s)
			}
			if info.Segments != int64(segs) || segs < 4 {
				t.Fatalf("%d segments delivered, info says %d; want at least 4", segs, info.Segments)
			}
			if tc.wantReuse && reused == 0 {
				t.Fatal("no released image was reused")
			}
			if !tc.wantReuse && reused != 0 {
				t.Fatalf("%d images reused although no segment was released", reused)
			}
		})
	}
}

// planes copies img's three planes into one slice, to compare pictures.
func planes(img *image.YCbCr) []byte {
	out := make([]byte, 0, len(img.Y)+len(img.Cb)+len(img.Cr))
	return append(append(append(out, img.Y...), img.Cb...), img.Cr...)
}
